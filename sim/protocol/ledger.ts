/**
 * Table state: balances and next nonces of the table's accounts, as columns.
 *
 * A node keeps the committed state; a `StateView` layers the effects of certified but not yet
 * committed blocks (at most a few, by the 3-chain rule) over it without copying it.
 */
import type { TxStore } from './txstore.js';

export class TableLedger {
  readonly balance: Float64Array;
  readonly nonce: Uint32Array;

  constructor(accounts: number, genesis_balance: number) {
    this.balance = new Float64Array(accounts).fill(genesis_balance);
    this.nonce = new Uint32Array(accounts);
  }
}

export interface LedgerRules {
  /** Sabotage: credit without debit. */
  mint: boolean;
  /** Sabotage: accept any nonce. */
  skipNonceCheck: boolean;
}

export class StateView {
  private readonly bal = new Map<number, number>();
  private readonly non = new Map<number, number>();

  constructor(private readonly base: TableLedger) {}

  balance(a: number): number {
    const v = this.bal.get(a);
    return v === undefined ? this.base.balance[a] : v;
  }
  nonce(a: number): number {
    const v = this.non.get(a);
    return v === undefined ? this.base.nonce[a] : v;
  }
  setBalance(a: number, v: number): void {
    this.bal.set(a, v);
  }
  setNonce(a: number, v: number): void {
    this.non.set(a, v);
  }
}

/** Where a transaction stands against a state. */
export const TX_OK = 0;
export const TX_NONCE_AHEAD = 1; // a nonce gap: wait for earlier ones
export const TX_STALE = 2; // nonce already used
export const TX_FUNDS = 3; // insufficient balance

export function checkTx(view: StateView | TableLedger, txs: TxStore, id: number, rules: LedgerRules): number {
  const s = txs.sender[id];
  const expected = view instanceof StateView ? view.nonce(s) : view.nonce[s];
  const n = txs.nonce[id];
  if (!rules.skipNonceCheck) {
    if (n > expected) return TX_NONCE_AHEAD;
    if (n < expected) return TX_STALE;
  }
  const bal = view instanceof StateView ? view.balance(s) : view.balance[s];
  if (bal < txs.amount[id]) return TX_FUNDS;
  return TX_OK;
}

/** Applies a checked transaction: debit, credit, nonce + 1 (both legs: one table here). */
export function applyTx(view: StateView | TableLedger, txs: TxStore, id: number, rules: LedgerRules): void {
  const s = txs.sender[id];
  const r = txs.receiver[id];
  const a = txs.amount[id];
  const n = txs.nonce[id];
  if (view instanceof StateView) {
    if (!rules.mint) view.setBalance(s, view.balance(s) - a);
    view.setBalance(r, view.balance(r) + a);
    view.setNonce(s, Math.max(view.nonce(s), n + 1));
  } else {
    if (!rules.mint) view.balance[s] -= a;
    view.balance[r] += a;
    if (n + 1 > view.nonce[s]) view.nonce[s] = n + 1;
  }
}
