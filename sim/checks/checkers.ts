/**
 * Invariant checkers (DESIGN.md sim/checks). They watch every commit of every honest node and
 * judge the protocol from outside it: they keep their own records and never trust the protocol's
 * bookkeeping. Each violation names the check, node, table, height and simulated time.
 *
 * - safety: no two different blocks committed at one height of a table (across honest nodes);
 * - agreement: each honest node's committed chain is hash-linked without gaps and is a prefix of
 *   the canonical chain;
 * - conservation: the balances of all tables plus the value in flight in receipts (sent, not yet
 *   received) equal the genesis total, and every honest node's table state sums to what the first
 *   node to commit that height had;
 * - nonce_order: on the canonical chain, each account's transactions carry nonces 0, 1, 2, ...
 * - exactly_once: every receipt leg (recv, confirm) is applied once, and only after its send.
 */
import type { Violation } from '../report/types.js';
import type { Block } from '../protocol/messages.js';
import { LEG_INNER, LEG_SEND, LEG_RECV, type TableLedger, type AccountMap } from '../protocol/ledger.js';
import type { TxStore } from '../protocol/txstore.js';

const SEEN_SEND = 1;
const SEEN_RECV = 2;
const SEEN_CONFIRM = 4;

export const VIOLATIONS_MAX = 1000;

export class Checkers {
  readonly violations: Violation[] = [];
  private readonly canonical: string[][] = [];
  private readonly last: { height: number; id: string }[][] = [];
  private readonly expectedNonce: Uint32Array;
  private readonly total: number;
  private readonly fired = new Set<string>();
  /** Canonical balance sum of each table by height, and the value in flight. */
  private readonly sums: number[][] = [];
  private readonly tableSum: number[] = [];
  private inflight = 0;
  private seen = new Uint8Array(1024);

  constructor(
    private readonly names: readonly string[],
    private readonly honest: Uint8Array,
    map: AccountMap,
    genesis_balance: number,
    private readonly txs: TxStore,
    genesisIds: readonly string[],
  ) {
    this.expectedNonce = new Uint32Array(map.tableOf.length);
    this.total = map.tableOf.length * genesis_balance;
    for (let t = 0; t < map.tables; t++) {
      this.canonical.push([genesisIds[t]]);
      this.last.push([]);
      const s = map.tableAccounts[t].length * genesis_balance;
      this.sums.push([s]);
      this.tableSum.push(s);
    }
  }

  private once(key: string, v: Violation): void {
    if (this.fired.has(key)) return;
    this.fired.add(key);
    this.report(v);
  }

  private report(v: Violation): void {
    if (this.violations.length < VIOLATIONS_MAX) this.violations.push(v);
  }

  onCommit(node: number, b: Block, now_us: number, ledger: TableLedger): void {
    if (!this.honest[node]) return;
    const t = b.table;
    const canon = this.canonical[t];
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
      this.onCanonical(name, b, now_us, ledger);
    }
    // agreement: hash-linked, no gaps
    const prev = this.last[t][node] ?? { height: 0, id: canon[0] };
    if (b.height !== prev.height + 1 || b.parent !== prev.id) {
      this.report({
        check: 'agreement', node: name, table: t, height: b.height, time_us: now_us,
        message: b.height !== prev.height + 1
          ? `committed height ${b.height} right after ${prev.height}`
          : `block's parent ${b.parent.slice(0, 12)} is not this node's committed ${prev.id.slice(0, 12)}`,
      });
    }
    this.last[t][node] = { height: b.height, id: b.id };
    // The node's table state must sum to the canonical state's at this height.
    const canonSum = this.sums[t][b.height];
    if (canonSum !== undefined && canon[b.height] === b.id) {
      const sum = ledger.sum();
      if (sum !== canonSum) {
        this.once(`conservation/${node}/${t}`, {
          check: 'conservation', node: name, table: t, height: b.height, time_us: now_us,
          message: `table ${t} balances sum to ${sum} here, ${canonSum} at the node that committed it first`,
        });
      }
    }
  }

  /** The first commit of a height: nonces, receipts exactly once, conservation across tables. */
  private onCanonical(name: string, b: Block, now_us: number, ledger: TableLedger): void {
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
        const what = leg === LEG_RECV ? 'recv' : 'confirm';
        if (!(this.seen[id] & need)) {
          this.report({
            check: 'exactly_once', node: name, table: t, height: b.height, time_us: now_us,
            message: `tx ${id}: ${what} leg committed before its ${leg === LEG_RECV ? 'send' : 'recv'} leg`,
          });
        }
        if (this.seen[id] & bit) {
          this.report({
            check: 'exactly_once', node: name, table: t, height: b.height, time_us: now_us,
            message: `tx ${id}: ${what} leg committed twice (receipt id ${b.rids[i]})`,
          });
        }
        this.seen[id] |= bit;
        if (leg === LEG_RECV) this.inflight -= txs.amount[id];
      }
    }
    const sum = ledger.sum();
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

  /** End of run: honest nodes' committed chains must be prefixes of the canonical chain. */
  finish(now_us: number): void {
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
