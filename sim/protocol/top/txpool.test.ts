// TxPool admission: which refusal a transfer meets, and that a refused one leaves nothing behind.
import { describe, expect, it } from 'vitest';
import { TxStore } from './txstore.js';
import { TableLedger, type AccountMap, type LedgerRules } from './ledger.js';
import { TxPool, POOL_OK, POOL_DUP, POOL_FULL, POOL_STALE, POOL_ACCOUNT_LIMIT } from './txpool.js';

const RULES: LedgerRules = { mint: false, skipNonceCheck: false };

/** Four accounts in table 0, four in table 1. */
function setup(capacity: number, accountMax: number) {
  const map: AccountMap = {
    tables: 2,
    tableOf: Uint16Array.from([0, 0, 0, 0, 1, 1, 1, 1]),
    localIndex: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]),
    tableAccounts: [Int32Array.from([0, 1, 2, 3]), Int32Array.from([4, 5, 6, 7])],
  };
  const txs = new TxStore(1);
  const ledger = new TableLedger(4, 2, 100);
  const pool = new TxPool(txs, map, 0, capacity, accountMax);
  let next = 0;
  const tx = (sender: number, nonce: number) => {
    const id = next++;
    txs.create(id, sender, 5, 1, nonce, 0);
    return id;
  };
  return { txs, ledger, pool, tx };
}

describe('TxPool.add', () => {
  it('admits, then refuses duplicates, stale nonces and senders at their pending limit', () => {
    const { ledger, pool, tx } = setup(10, 2);
    ledger.nonce[1] = 3;
    const a = tx(0, 0);
    expect(pool.add(a, ledger, RULES)).toBe(POOL_OK);
    expect(pool.add(a, ledger, RULES)).toBe(POOL_DUP);
    expect(pool.add(tx(1, 2), ledger, RULES)).toBe(POOL_STALE);
    expect(pool.add(tx(1, 3), ledger, RULES)).toBe(POOL_OK);
    expect(pool.add(tx(0, 1), ledger, RULES)).toBe(POOL_OK);
    expect(pool.add(tx(0, 2), ledger, RULES)).toBe(POOL_ACCOUNT_LIMIT);
    expect(pool.size).toBe(3);
    // A stale nonce passes when the rules skip the check (the sabotage rule).
    expect(pool.add(tx(1, 0), ledger, { mint: false, skipNonceCheck: true })).toBe(POOL_OK);
  });

  it('a full pool refuses before the ledger is read, stale or not, and keeps what it has', () => {
    const { ledger, pool, tx } = setup(2, 8);
    ledger.nonce[2] = 5;
    expect(pool.add(tx(0, 0), ledger, RULES)).toBe(POOL_OK);
    expect(pool.add(tx(1, 0), ledger, RULES)).toBe(POOL_OK);
    expect(pool.add(tx(2, 9), ledger, RULES)).toBe(POOL_FULL);
    expect(pool.add(tx(2, 1), ledger, RULES)).toBe(POOL_FULL); // stale too: refused as full
    expect(pool.add(0, ledger, RULES)).toBe(POOL_DUP); // a pooled tx is still a duplicate
    expect(pool.size).toBe(2);
    expect(pool.ids()).toEqual(Int32Array.from([0, 1]));
    pool.remove(0);
    expect(pool.add(tx(2, 1), ledger, RULES)).toBe(POOL_STALE);
    expect(pool.add(tx(2, 5), ledger, RULES)).toBe(POOL_OK);
  });
});
