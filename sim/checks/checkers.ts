/**
 * Invariant checkers (DESIGN.md sim/checks). They watch every commit of every node and judge the
 * protocol from outside it: they keep their own records and never trust the protocol's
 * bookkeeping. Each violation names the check, node, table, height and simulated time.
 *
 * A commit counts as honest when no byzantine window of its node covers its time
 * (ByzantineWindows); docs/CHECKS.md says what each check covers.
 *
 * - safety: no two different blocks committed at one height of a table (across honest commits);
 * - agreement: each node's honestly committed chain is hash-linked without gaps and is a prefix
 *   of the canonical chain (the first honest commit of each height); the link to the commit
 *   before is not judged across a byzantine window in which the node committed;
 * - conservation: the balances of all tables plus the value in flight in receipts (sent, not yet
 *   received) equal the genesis total, and every honest commit leaves its node's table state
 *   summing to what the first honest commit of that height had;
 * - nonce_order: on the canonical chain, each account's transactions carry nonces 0, 1, 2, ...
 * - exactly_once: every receipt leg (recv, confirm) is applied once, and only after its send (or
 *   recv) leg was committed. A leg is committed when any node commits its block, byzantine or
 *   not: the receipt's certificate proves the commit, and a byzantine leader may hold that
 *   certificate (and send the receipt) long before an honest replica hears of it. So a recv
 *   whose send has no honest commit yet waits, and is judged when the send's block reaches the
 *   canonical chain: it is a violation unless some node had committed that block before the
 *   recv. A leg still waiting at the end is judged against blocks only byzantine nodes
 *   committed.
 * - liveness: after the last fault starts or heals, a table with work waiting (a transfer from one
 *   of its accounts, or a receipt committed toward it) commits within the bound.
 */
import type { Violation } from '../report/types.js';
import type { Block } from '../protocol/top/messages.js';
import { LEG_INNER, LEG_SEND, LEG_RECV, LEG_CONFIRM, type AccountMap } from '../protocol/top/ledger.js';
import type { TxStore } from '../protocol/top/txstore.js';
import type { ByzantineWindows } from '../faults/byzantine.js';

const SEEN_SEND = 1;
const SEEN_RECV = 2;
const SEEN_CONFIRM = 4;

export const VIOLATIONS_MAX = 1000;

/** A receipt leg committed canonically before any honest commit of the leg it follows. */
interface Waiting {
  leg: number;
  node: string;
  table: number;
  height: number;
  time_us: number;
}

export class Checkers {
  readonly violations: Violation[] = [];
  private readonly canonical: string[][] = [];
  /**
   * Per table and node: its last honest commit; null when it committed inside a byzantine window
   * since (the next honest commit is not linked to the one before).
   */
  private readonly last: ({ height: number; id: string } | null)[][] = [];
  /** Blocks some node committed before any honest commit of their height: when, and the block. */
  private readonly early = new Map<string, { time_us: number; block: Block }>();
  /** Receipt legs waiting for the honest commit of the leg they follow, by transaction. */
  private readonly waiting = new Map<number, Waiting>();
  private readonly expectedNonce: Uint32Array;
  private readonly total: number;
  private readonly fired = new Set<string>();
  /** Canonical balance sum of each table by height, and the value in flight. */
  private readonly sums: number[][] = [];
  private readonly tableSum: number[] = [];
  private inflight = 0;
  private seen = new Uint8Array(1024);
  /** Per table: when work arrived for it, and its first-commit times (both ascending). */
  private readonly demand: number[][] = [];
  private readonly commits: number[][] = [];

  constructor(
    private readonly names: readonly string[],
    private readonly byzantine: ByzantineWindows,
    private readonly map: AccountMap,
    genesis_balance: number,
    private readonly txs: TxStore,
    genesisIds: readonly string[],
    /** Liveness is judged from this time on (the last fault change) with this bound. */
    private readonly liveFrom_us: number,
    private readonly liveBound_us: number,
  ) {
    this.expectedNonce = new Uint32Array(map.tableOf.length);
    this.total = map.tableOf.length * genesis_balance;
    for (let t = 0; t < map.tables; t++) {
      this.canonical.push([genesisIds[t]]);
      this.last.push([]);
      const s = map.tableAccounts[t].length * genesis_balance;
      this.sums.push([s]);
      this.tableSum.push(s);
      this.demand.push([]);
      this.commits.push([]);
    }
  }

  /** A transfer was submitted: work for its sender's table. */
  onSubmit(tx: number, now_us: number): void {
    this.demand[this.map.tableOf[this.txs.sender[tx]]].push(now_us);
  }

  private once(key: string, v: Violation): void {
    if (this.fired.has(key)) return;
    this.fired.add(key);
    this.report(v);
  }

  private report(v: Violation): void {
    if (this.violations.length < VIOLATIONS_MAX) this.violations.push(v);
  }

  /** A node committed `b`; `sum` is its table's balance sum right after. */
  onCommit(node: number, b: Block, now_us: number, sum: number): void {
    const t = b.table;
    const canon = this.canonical[t];
    if (!this.byzantine.honestAt(node, now_us)) {
      // Not judged, but proof that the block was committed then (exactly_once), and the node's
      // chain is not linked across this commit (agreement).
      if (b.height >= canon.length && !this.early.has(b.id)) this.early.set(b.id, { time_us: now_us, block: b });
      this.last[t][node] = null;
      return;
    }
    const name = this.names[node];
    // safety
    if (b.height < canon.length) {
      if (canon[b.height] !== b.id) {
        const key = `safety/${t}/${b.height}`;
        if (!this.fired.has(key)) {
          this.fired.add(key);
          this.report({
            check: 'safety', node: name, table: t, height: b.height, time_us: now_us,
            message: `committed ${b.id.slice(0, 12)} where another honest node committed ${canon[b.height].slice(0, 12)}`,
          });
        }
      }
    } else {
      // Another node's gap is an agreement problem reported below; extend with placeholders.
      while (canon.length < b.height) canon.push('');
      canon.push(b.id);
      this.onCanonical(name, b, now_us, sum);
    }
    // agreement: hash-linked, no gaps
    const prev = this.last[t][node] === undefined ? { height: 0, id: canon[0] } : this.last[t][node];
    if (prev !== null && (b.height !== prev.height + 1 || b.parent !== prev.id)) {
      this.report({
        check: 'agreement', node: name, table: t, height: b.height, time_us: now_us,
        message: b.height !== prev.height + 1
          ? `committed height ${b.height} right after ${prev.height}`
          : `block's parent ${b.parent.slice(0, 12)} is not this node's committed ${prev.id.slice(0, 12)}`,
      });
    } else if (prev === null && canon[b.height - 1] && b.parent !== canon[b.height - 1]) {
      // The first honest commit after a byzantine window: at least its parent must be canonical.
      this.report({
        check: 'agreement', node: name, table: t, height: b.height, time_us: now_us,
        message: `block's parent ${b.parent.slice(0, 12)} is not the committed ${canon[b.height - 1].slice(0, 12)}`,
      });
    }
    this.last[t][node] = { height: b.height, id: b.id };
    // The node's table state must sum to the canonical state's at this height.
    const canonSum = this.sums[t][b.height];
    if (canonSum !== undefined && canon[b.height] === b.id) {
      if (sum !== canonSum) {
        this.once(`conservation/${node}/${t}`, {
          check: 'conservation', node: name, table: t, height: b.height, time_us: now_us,
          message: `table ${t} balances sum to ${sum} here, ${canonSum} at the node that committed it first`,
        });
      }
    }
  }

  /**
   * A new member installed a table's state as of `committed`: its commits continue from there.
   * The block must be the canonical one at that height (agreement).
   */
  onStateSync(node: number, table: number, committed: Block, now_us: number): void {
    if (!this.byzantine.honestAt(node, now_us)) {
      this.last[table][node] = null;
      return;
    }
    const canon = this.canonical[table];
    if (committed.height < canon.length && canon[committed.height] !== '' && canon[committed.height] !== committed.id) {
      this.report({
        check: 'agreement', node: this.names[node], table, height: committed.height, time_us: now_us,
        message: `synced state at ${committed.id.slice(0, 12)}, not the committed ${canon[committed.height].slice(0, 12)}`,
      });
    }
    this.last[table][node] = { height: committed.height, id: committed.id };
  }

  /** The first commit of a height: nonces, receipts exactly once, conservation across tables. */
  private onCanonical(name: string, b: Block, now_us: number, sum: number): void {
    const txs = this.txs;
    const t = b.table;
    if (txs.end > this.seen.length) {
      let c = this.seen.length;
      while (c < txs.end) c *= 2;
      const g = new Uint8Array(c);
      g.set(this.seen);
      this.seen = g;
    }
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      const leg = b.legs[i];
      if (leg === LEG_INNER || leg === LEG_SEND) {
        const s = txs.sender[id];
        const n = txs.nonce[id];
        if (n !== this.expectedNonce[s]) {
          this.report({
            check: 'nonce_order', node: name, table: t, height: b.height, time_us: now_us,
            message: `account ${s} nonce ${n} committed where ${this.expectedNonce[s]} was next`,
          });
        }
        if (n + 1 > this.expectedNonce[s]) this.expectedNonce[s] = n + 1;
        if (leg === LEG_SEND) {
          this.seen[id] |= SEEN_SEND;
          this.inflight += txs.amount[id];
        }
      } else {
        const need = leg === LEG_RECV ? SEEN_SEND : SEEN_RECV;
        const bit = leg === LEG_RECV ? SEEN_RECV : SEEN_CONFIRM;
        if (this.seen[id] & bit) {
          this.report({
            check: 'exactly_once', node: name, table: t, height: b.height, time_us: now_us,
            message: `tx ${id}: ${leg === LEG_RECV ? 'recv' : 'confirm'} leg committed twice (receipt id ${b.rids[i]})`,
          });
        } else if (!(this.seen[id] & need)) {
          this.waiting.set(id, { leg, node: name, table: t, height: b.height, time_us: now_us });
        }
        this.seen[id] |= bit;
        if (leg === LEG_RECV) this.inflight -= txs.amount[id];
      }
      // The leg a waiting receipt leg follows: committed before it, by some node?
      if (leg !== LEG_INNER && leg !== LEG_CONFIRM) {
        const w = this.waiting.get(id);
        if (w !== undefined && w.leg === leg + 1) {
          this.waiting.delete(id);
          const since = this.early.get(b.id)?.time_us ?? now_us;
          if (since > w.time_us) this.reportEarly(id, w, `first committed at ${formatTime(since)}`);
        }
      }
    }
    this.early.delete(b.id);
    this.commits[t].push(now_us);
    for (let i = 0; i < b.txs.length; i++) {
      if (b.legs[i] === LEG_SEND) this.demand[this.map.tableOf[txs.receiver[b.txs[i]]]].push(now_us);
    }
    this.sums[t][b.height] = sum;
    this.tableSum[t] = sum;
    let total = this.inflight;
    for (const x of this.tableSum) total += x;
    if (total !== this.total) {
      this.once('conservation/global', {
        check: 'conservation', node: name, table: t, height: b.height, time_us: now_us,
        message: `balances of all tables plus ${this.inflight} in flight sum to ${total}, genesis total is ${this.total}`,
      });
    }
  }

  private reportEarly(id: number, w: Waiting, when: string): void {
    const what = w.leg === LEG_RECV ? 'recv' : 'confirm';
    const before = w.leg === LEG_RECV ? 'send' : 'recv';
    this.report({
      check: 'exactly_once', node: w.node, table: w.table, height: w.height, time_us: w.time_us,
      message: `tx ${id}: ${what} leg committed before its ${before} leg (${before} leg ${when})`,
    });
  }

  /**
   * Receipt legs still waiting at the end: their leg before may be in a block that only
   * byzantine nodes committed (in their windows) before the run ended; if no such block holds it
   * from before the receipt leg, the receipt leg was applied without it.
   */
  private judgeWaiting(): void {
    if (this.waiting.size === 0) return;
    const proof = new Map<number, number>(); // tx -> earliest byzantine-only commit of its leg before
    for (const { time_us, block } of this.early.values()) {
      // A block whose height has another canonical block never was the committed one.
      const canon = this.canonical[block.table];
      if (block.height < canon.length && canon[block.height] !== '') continue;
      for (let i = 0; i < block.txs.length; i++) {
        const id = block.txs[i];
        const w = this.waiting.get(id);
        if (w === undefined || block.legs[i] !== w.leg - 1) continue;
        if (time_us < (proof.get(id) ?? Infinity)) proof.set(id, time_us);
      }
    }
    const ids = [...this.waiting.keys()].sort((x, y) => x - y);
    for (const id of ids) {
      const w = this.waiting.get(id)!;
      const since = proof.get(id);
      if (since === undefined) this.reportEarly(id, w, 'never committed');
      else if (since > w.time_us) this.reportEarly(id, w, `committed only by byzantine nodes, at ${formatTime(since)}`);
    }
    this.waiting.clear();
  }

  /**
   * Liveness at the end of the run: within [liveFrom, end], every stretch without a commit that
   * is longer than the bound must not start with work already waiting for the table.
   */
  private checkLiveness(end_us: number): void {
    const from = this.liveFrom_us;
    const bound = this.liveBound_us;
    for (let t = 0; t < this.commits.length; t++) {
      const c = this.commits[t];
      const d = this.demand[t];
      // Stretches: `from` .. next commit .. ... .. end.
      let prev = from;
      const stops = c.filter((x) => x > from);
      stops.push(end_us);
      for (const next of stops) {
        if (next - prev > bound) {
          // Work waiting at some point in [prev, next - bound]: the table sat on it too long.
          const waiting = firstAtOrAfter(d, prev - bound);
          const w = waiting >= 0 && d[waiting] <= next - bound ? d[waiting] : -1;
          if (w >= 0) {
            const since = Math.max(prev, w);
            this.report({
              check: 'liveness', node: '-', table: t, height: this.canonical[t].length - 1, time_us: next,
              message: `table ${t} made no commit for ${((next - since) / 1e6).toFixed(1)} s with work waiting ` +
                `(bound ${(bound / 1e6).toFixed(0)} s, judged from ${(from / 1e6).toFixed(1)} s)`,
            });
            break;
          }
        }
        prev = next;
      }
    }
  }

  /** End of run: honest nodes' committed chains must be prefixes of the canonical chain. */
  finish(now_us: number): void {
    this.checkLiveness(now_us);
    this.judgeWaiting();
    this.last.forEach((perNode, t) => {
      perNode.forEach((l, node) => {
        if (!l) return;
        if (this.canonical[t][l.height] !== l.id) {
          this.report({
            check: 'agreement', node: this.names[node], table: t, height: l.height, time_us: now_us,
            message: `committed chain ends in ${l.id.slice(0, 12)}, not on the canonical chain`,
          });
        }
      });
    });
  }
}

/** Simulated time as the violations print it: "49.106291s". */
function formatTime(t_us: number): string {
  return `${(t_us / 1e6).toFixed(6)}s`;
}

/** Index of the first element >= x in an ascending array, or -1. */
function firstAtOrAfter(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < a.length ? lo : -1;
}
