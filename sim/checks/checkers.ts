/**
 * Invariant checkers (DESIGN.md sim/checks). They watch every commit of every honest node and
 * judge the protocol from outside it: they keep their own records and never trust the protocol's
 * bookkeeping. Each violation names the check, node, table, height and simulated time.
 *
 * - safety: no two different blocks committed at one height of a table (across honest nodes);
 * - agreement: each honest node's committed chain is hash-linked without gaps and is a prefix of
 *   the canonical chain;
 * - conservation: the sum of all balances at every honest node equals the genesis total;
 * - nonce_order: on the canonical chain, each account's transactions carry nonces 0, 1, 2, ...
 */
import type { Violation } from '../report/types.js';
import type { Block } from '../protocol/messages.js';
import type { TableLedger } from '../protocol/ledger.js';
import type { TxStore } from '../protocol/txstore.js';

export const VIOLATIONS_MAX = 1000;

export class Checkers {
  readonly violations: Violation[] = [];
  private readonly canonical: string[][] = [];
  private readonly last: { height: number; id: string }[][] = [];
  private readonly expectedNonce: Uint32Array;
  private readonly total: number;
  private readonly fired = new Set<string>();

  constructor(
    private readonly names: readonly string[],
    private readonly honest: Uint8Array,
    accounts: number,
    genesis_balance: number,
    private readonly txs: TxStore,
    tables: number,
    genesisIds: readonly string[],
  ) {
    this.expectedNonce = new Uint32Array(accounts);
    this.total = accounts * genesis_balance;
    for (let t = 0; t < tables; t++) {
      this.canonical.push([genesisIds[t]]);
      this.last.push([]);
    }
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
    } else if (b.height === canon.length) {
      canon.push(b.id);
      this.checkNonces(name, b, now_us);
    } else {
      // Another node's gap is an agreement problem reported below; extend with placeholders.
      while (canon.length < b.height) canon.push('');
      canon.push(b.id);
      this.checkNonces(name, b, now_us);
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
    // conservation
    let sum = 0;
    const bal = ledger.balance;
    for (let i = 0; i < bal.length; i++) sum += bal[i];
    if (sum !== this.total) {
      const key = `conservation/${node}`;
      if (!this.fired.has(key)) {
        this.fired.add(key);
        this.report({
          check: 'conservation', node: name, table: t, height: b.height, time_us: now_us,
          message: `balances sum to ${sum}, genesis total is ${this.total}`,
        });
      }
    }
  }

  private checkNonces(name: string, b: Block, now_us: number): void {
    const txs = this.txs;
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      const s = txs.sender[id];
      const n = txs.nonce[id];
      if (n !== this.expectedNonce[s]) {
        this.report({
          check: 'nonce_order', node: name, table: b.table, height: b.height, time_us: now_us,
          message: `account ${s} nonce ${n} committed where ${this.expectedNonce[s]} was next`,
        });
      }
      if (n + 1 > this.expectedNonce[s]) this.expectedNonce[s] = n + 1;
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
