/**
 * A node's transaction pool for one table (PROTOCOL.md §9.2): arrival order, per-account nonce
 * order when packing, a capacity (`pool_txs_max`, new txs refused when full) and a per-account
 * pending limit (`account_pending_max`, refused beyond it). Expired txs are dropped.
 */
import type { TxStore } from './txstore.js';
import { checkTx, applyTx, TX_OK, TX_STALE, type StateView, type LedgerRules, type TableLedger } from './ledger.js';

export const POOL_OK = 0;
export const POOL_DUP = 1;
export const POOL_FULL = 2;
export const POOL_ACCOUNT_LIMIT = 3;
export const POOL_STALE = 4;

export class TxPool {
  private order: number[] = [];
  private head = 0;
  private readonly members = new Set<number>();
  private readonly perAccount = new Map<number, number>();

  constructor(
    private readonly txs: TxStore,
    private readonly capacity: number,
    private readonly accountMax: number,
  ) {}

  get size(): number {
    return this.members.size;
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  add(id: number, committed: TableLedger, rules: LedgerRules): number {
    if (this.members.has(id)) return POOL_DUP;
    const s = this.txs.sender[id];
    if (!rules.skipNonceCheck && this.txs.nonce[id] < committed.nonce[s]) return POOL_STALE;
    if (this.members.size >= this.capacity) return POOL_FULL;
    const c = this.perAccount.get(s) ?? 0;
    if (c >= this.accountMax) return POOL_ACCOUNT_LIMIT;
    this.perAccount.set(s, c + 1);
    this.members.add(id);
    this.order.push(id);
    return POOL_OK;
  }

  remove(id: number): void {
    if (!this.members.delete(id)) return;
    const s = this.txs.sender[id];
    const c = (this.perAccount.get(s) ?? 1) - 1;
    if (c <= 0) this.perAccount.delete(s);
    else this.perAccount.set(s, c);
  }

  /**
   * Picks up to `max` txs that apply in order on `view` (which it advances as it picks).
   * Txs of one account are taken in nonce order; a gap leaves the account's later txs waiting.
   * Arrival order decides between accounts.
   */
  select(view: StateView, max: number, rules: LedgerRules, maxScan = 4096): number[] {
    this.compact();
    const out: number[] = [];
    const taken = new Set<number>();
    const order = this.order;
    let progressed = true;
    // A second pass picks txs that became valid after an earlier one of the same account.
    for (let pass = 0; pass < 4 && progressed && out.length < max; pass++) {
      progressed = false;
      let scanned = 0;
      for (let i = this.head; i < order.length && out.length < max && scanned < maxScan; i++) {
        const id = order[i];
        if (!this.members.has(id)) continue;
        scanned++;
        if (taken.has(id)) continue;
        const st = checkTx(view, this.txs, id, rules);
        if (st === TX_OK) {
          applyTx(view, this.txs, id, rules);
          out.push(id);
          taken.add(id);
          progressed = true;
        } else if (st === TX_STALE) {
          // Already in an uncommitted ancestor: skip; removed when that block commits.
        }
      }
    }
    return out;
  }

  /** Drops txs submitted before `cutoff_us`. Returns how many. */
  expire(cutoff_us: number): number {
    let n = 0;
    for (let i = this.head; i < this.order.length; i++) {
      const id = this.order[i];
      if (this.members.has(id) && this.txs.submit_us[id] < cutoff_us) {
        this.remove(id);
        n++;
      }
    }
    this.compact();
    return n;
  }

  private compact(): void {
    const order = this.order;
    while (this.head < order.length && !this.members.has(order[this.head])) this.head++;
    if (this.head > 4096 && this.head * 2 > order.length) {
      this.order = order.slice(this.head);
      this.head = 0;
    }
  }
}
