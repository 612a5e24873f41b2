/**
 * TOP Chain's own invariant checks (docs/CHECKS.md), beside the generic safety, agreement and
 * liveness of sim/checks/checkers.ts, which call them at fixed points of each commit:
 *
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
 *
 * Work for liveness: a transfer is work for its sender's table from its submission, and a send
 * leg committed canonically is work for the receiver's table.
 */
import type { CheckHost, FamilyChecks } from '../../contract/module.js';
import type { CommitKey } from '../../contract/observe.js';
import type { Block } from './messages.js';
import { LEG_INNER, LEG_SEND, LEG_RECV, LEG_CONFIRM, type AccountMap } from './ledger.js';
import type { TxStore } from './txstore.js';
import { ReceiptWindowTally } from './windowtally.js';

const SEEN_SEND = 1;
const SEEN_RECV = 2;
const SEEN_CONFIRM = 4;

/** A receipt leg committed canonically before any honest commit of the leg it follows. */
interface Waiting {
  leg: number;
  node: string;
  table: number;
  height: number;
  time_us: number;
}

export class TopChecks implements FamilyChecks {
  /** Blocks some node committed before any honest commit of their height: when, and the block. */
  private readonly early = new Map<string, { time_us: number; block: Block }>();
  /** Receipt legs waiting for the honest commit of the leg they follow, by transaction. */
  private readonly waiting = new Map<number, Waiting>();
  private readonly expectedNonce: Uint32Array;
  private readonly total: number;
  /** Canonical balance sum of each table by height, and the value in flight. */
  private readonly sums: number[][] = [];
  private readonly tableSum: number[] = [];
  private inflight = 0;
  private seen = new Uint8Array(1024);
  /** Not a check: how often each pair's receipt window was full, for the limits analysis. */
  readonly windows: ReceiptWindowTally;

  constructor(
    private readonly host: CheckHost,
    private readonly map: AccountMap,
    genesis_balance: number,
    private readonly txs: TxStore,
    /** The measurement window: from the warm-up's end to the run's. */
    window: { from_us: number; end_us: number } = { from_us: 0, end_us: 0 },
  ) {
    this.windows = new ReceiptWindowTally(map.tables, window.from_us, window.end_us);
    this.expectedNonce = new Uint32Array(map.tableOf.length);
    this.total = map.tableOf.length * genesis_balance;
    for (let t = 0; t < map.tables; t++) {
      const s = map.tableAccounts[t].length * genesis_balance;
      this.sums.push([s]);
      this.tableSum.push(s);
    }
  }

  submit(tx: number, at_us: number): void {
    this.host.demand(this.map.tableOf[this.txs.sender[tx]], at_us);
  }

  byzantineCommit(key: CommitKey, block: object, now_us: number): void {
    // No honest commit of this height yet: past the canonical chain's end, or in a gap of it.
    const canon = this.host.canonicalAt(key.chain, key.height);
    if ((canon === undefined || canon === '') && !this.early.has(key.id)) this.early.set(key.id, { time_us: now_us, block: block as Block });
  }

  committed(node: number, name: string, key: CommitKey, _block: object, now_us: number, sum: number, canonical: boolean): void {
    // The node's table state must sum to the canonical state's at this height.
    const t = key.chain;
    const canonSum = this.sums[t][key.height];
    if (canonSum !== undefined && canonical && sum !== canonSum) {
      this.host.once(`conservation/${node}/${t}`, {
        check: 'conservation', node: name, table: t, height: key.height, time_us: now_us,
        message: `table ${t} balances sum to ${sum} here, ${canonSum} at the node that committed it first`,
      });
    }
  }

  /** The first commit of a height: nonces, receipts exactly once, conservation across tables. */
  canonical(name: string, _key: CommitKey, block: object, now_us: number, sum: number): void {
    const b = block as Block;
    const txs = this.txs;
    const host = this.host;
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
          host.report({
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
          host.report({
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
    for (let i = 0; i < b.txs.length; i++) {
      if (b.legs[i] === LEG_SEND) host.demand(this.map.tableOf[txs.receiver[b.txs[i]]], now_us);
    }
    this.sums[t][b.height] = sum;
    this.tableSum[t] = sum;
    let total = this.inflight;
    for (const x of this.tableSum) total += x;
    if (total !== this.total) {
      host.once('conservation/global', {
        check: 'conservation', node: name, table: t, height: b.height, time_us: now_us,
        message: `balances of all tables plus ${this.inflight} in flight sum to ${total}, genesis total is ${this.total}`,
      });
    }
  }

  private reportEarly(id: number, w: Waiting, when: string): void {
    const what = w.leg === LEG_RECV ? 'recv' : 'confirm';
    const before = w.leg === LEG_RECV ? 'send' : 'recv';
    this.host.report({
      check: 'exactly_once', node: w.node, table: w.table, height: w.height, time_us: w.time_us,
      message: `tx ${id}: ${what} leg committed before its ${before} leg (${before} leg ${when})`,
    });
  }

  note(_node: number, now_us: number, kind: number, chain: number, value: number): void {
    this.windows.note(kind, chain, value, now_us);
  }

  /**
   * Receipt legs still waiting at the end: their leg before may be in a block that only
   * byzantine nodes committed (in their windows) before the run ended; if no such block holds it
   * from before the receipt leg, the receipt leg was applied without it.
   */
  finish(): void {
    this.windows.finish();
    if (this.waiting.size === 0) return;
    const proof = new Map<number, number>(); // tx -> earliest byzantine-only commit of its leg before
    for (const { time_us, block } of this.early.values()) {
      // A block whose height has another canonical block never was the committed one.
      const canon = this.host.canonicalAt(block.table, block.height);
      if (canon !== undefined && canon !== '') continue;
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
}

/** Simulated time as the violations print it: "49.106291s". */
function formatTime(t_us: number): string {
  return `${(t_us / 1e6).toFixed(6)}s`;
}
