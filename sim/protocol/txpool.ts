/**
 * A node's queues for one table (PROTOCOL.md §9.2):
 * - TxPool: transfers whose sender lives in the table (their INNER or SEND leg), in arrival order,
 *   packed in per-account nonce order; a capacity (`pool_txs_max`, new txs refused when full) and
 *   a per-account pending limit (`account_pending_max`, refused beyond it). Expired txs are dropped.
 * - ReceiptQueue: receipts waiting for their RECV (or CONFIRM) leg, per peer table by receipt id;
 *   packed strictly in receipt-id order, so one missing id holds back every later one (§9.4).
 */
import type { TxStore } from './txstore.js';
import {
  checkLeg, applyLeg, TX_OK, LEG_INNER, LEG_SEND,
  type StateView, type LedgerRules, type TableLedger, type AccountMap,
} from './ledger.js';
import { IntSet } from './intset.js';

export const POOL_OK = 0;
export const POOL_DUP = 1;
export const POOL_FULL = 2;
export const POOL_ACCOUNT_LIMIT = 3;
export const POOL_STALE = 4;

/** What packing collects: parallel lists of tx ids, legs and receipt ids. */
export interface Picks {
  txs: number[];
  legs: number[];
  rids: number[];
}

export class TxPool {
  private order: number[] = [];
  private head = 0;
  /** Sized up front for a few hundred txs: most pools get there, and each doubling costs a rehash. */
  private readonly members: IntSet;
  /**
   * Pooled txs per sender, by the sender's index in this table (every pooled tx's sender lives in
   * the table: edges route each batch to its senders' table). Counts never exceed
   * min(capacity, accountMax), so 16 bits suffice unless both limits are raised beyond that.
   */
  private readonly perAccount: Uint16Array | Int32Array;

  constructor(
    private readonly txs: TxStore,
    private readonly map: AccountMap,
    private readonly table: number,
    private readonly capacity: number,
    private readonly accountMax: number,
  ) {
    this.members = new IntSet(Math.min(2 * capacity, 512));
    const accounts = map.tableAccounts[table].length;
    this.perAccount = Math.min(capacity, accountMax) <= 0xffff ? new Uint16Array(accounts) : new Int32Array(accounts);
  }

  get size(): number {
    return this.members.size;
  }

  has(id: number): boolean {
    return this.members.has(id);
  }

  add(id: number, committed: TableLedger, rules: LedgerRules): number {
    if (this.members.has(id)) return POOL_DUP;
    const a = this.map.localIndex[this.txs.sender[id]];
    if (!rules.skipNonceCheck && this.txs.nonce[id] < committed.nonce[a]) return POOL_STALE;
    if (this.members.size >= this.capacity) return POOL_FULL;
    const c = this.perAccount[a];
    if (c >= this.accountMax) return POOL_ACCOUNT_LIMIT;
    this.perAccount[a] = c + 1;
    this.members.add(id);
    this.order.push(id);
    return POOL_OK;
  }

  remove(id: number): void {
    if (!this.members.delete(id)) return;
    const a = this.map.localIndex[this.txs.sender[id]];
    if (this.perAccount[a] > 0) this.perAccount[a]--;
  }

  /**
   * Adds to `out` up to `max` legs that apply in order on `view` (advancing it). Txs of one
   * account go in nonce order; a gap leaves the account's later txs waiting; arrival order
   * decides between accounts. `sendAllowed(peer)` is the flow-control gate for SEND legs.
   */
  select(view: StateView, max: number, rules: LedgerRules, out: Picks, sendAllowed: (peer: number) => boolean,
    maxScan = 4096): void {
    this.compact();
    const start = out.txs.length;
    const taken = new Set<number>();
    const order = this.order;
    const map = this.map;
    let progressed = true;
    // Later passes pick txs that became valid after an earlier one of the same account.
    for (let pass = 0; pass < 4 && progressed && out.txs.length - start < max; pass++) {
      progressed = false;
      let scanned = 0;
      for (let i = this.head; i < order.length && out.txs.length - start < max && scanned < maxScan; i++) {
        const id = order[i];
        if (!this.members.has(id) || taken.has(id)) continue;
        scanned++;
        const peer = map.tableOf[this.txs.receiver[id]];
        const leg = peer === this.table ? LEG_INNER : LEG_SEND;
        if (leg === LEG_SEND && !sendAllowed(peer)) continue;
        if (checkLeg(view, this.txs, map, id, leg, -1, rules) !== TX_OK) continue;
        const rid = applyLeg(view, this.txs, map, id, leg, -1, rules);
        out.txs.push(id);
        out.legs.push(leg);
        out.rids.push(rid);
        taken.add(id);
        progressed = true;
      }
    }
  }

  /** The pooled tx ids in arrival order (for a state snapshot). */
  ids(): Int32Array {
    const out: number[] = [];
    for (let i = this.head; i < this.order.length; i++) if (this.members.has(this.order[i])) out.push(this.order[i]);
    return Int32Array.from(out);
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

export class ReceiptQueue {
  /** peer table -> receipt id -> tx id. */
  private readonly byPeer = new Map<number, Map<number, number>>();
  private count = 0;

  constructor(
    private readonly leg: number,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Adds a receipt unless already applied (`appliedUpTo`) or queued. Returns false when refused. */
  add(peer: number, rid: number, tx: number, appliedUpTo: number): boolean {
    if (rid <= appliedUpTo) return false;
    let m = this.byPeer.get(peer);
    if (!m) {
      m = new Map();
      this.byPeer.set(peer, m);
    }
    if (m.has(rid)) return false;
    if (this.count >= this.capacity) return false;
    m.set(rid, tx);
    this.count++;
    return true;
  }

  has(peer: number, rid: number): boolean {
    return this.byPeer.get(peer)?.has(rid) ?? false;
  }

  /**
   * Drops receipt `rid` of `peer` once its leg commits. Receipts apply in id order and `add`
   * refuses ids already committed, so every lower id left the queue at its own commit.
   */
  remove(peer: number, rid: number): void {
    if (this.byPeer.get(peer)?.delete(rid)) this.count--;
  }

  /** Every queued receipt as [peer, rid, tx] triples, by peer then id (for a state snapshot). */
  entries(): Int32Array {
    const out: number[] = [];
    for (const peer of [...this.byPeer.keys()].sort((a, b) => a - b)) {
      const m = this.byPeer.get(peer)!;
      for (const rid of [...m.keys()].sort((a, b) => a - b)) out.push(peer, rid, m.get(rid)!);
    }
    return Int32Array.from(out);
  }

  /** Drops every queued receipt at or below what has been applied from each peer. */
  pruneApplied(applied: (peer: number) => number): void {
    for (const [peer, m] of this.byPeer) {
      const upTo = applied(peer);
      for (const rid of [...m.keys()]) if (rid <= upTo) { m.delete(rid); this.count--; }
    }
  }

  /** Peers with queued receipts, ascending. */
  peers(): number[] {
    return [...this.byPeer.keys()].filter((p) => (this.byPeer.get(p)?.size ?? 0) > 0).sort((a, b) => a - b);
  }

  /** The lowest queued receipt id above `after` for `peer`, or -1 (for pulls: is there a gap?). */
  lowestAbove(peer: number, after: number): number {
    const m = this.byPeer.get(peer);
    if (!m) return -1;
    let best = -1;
    for (const k of m.keys()) if (k > after && (best < 0 || k < best)) best = k;
    return best;
  }

  /**
   * Adds to `out` up to `max` legs, per peer in ascending table order, each peer's receipts
   * strictly consecutive from the view's last applied id.
   */
  select(view: StateView, max: number, out: Picks, txs: TxStore, map: AccountMap, rules: LedgerRules,
    rotate: number): void {
    const peers = this.peers();
    let taken = 0;
    for (let k = 0; k < peers.length && taken < max; k++) {
      const peer = peers[(k + rotate) % peers.length];
      const m = this.byPeer.get(peer)!;
      for (;;) {
        if (taken >= max) break;
        const last = this.leg === 2 ? view.recvId(peer) : view.confirmId(peer);
        const id = m.get(last + 1);
        if (id === undefined) break;
        if (checkLeg(view, txs, map, id, this.leg, last + 1, rules) !== TX_OK) break;
        applyLeg(view, txs, map, id, this.leg, last + 1, rules);
        out.txs.push(id);
        out.legs.push(this.leg);
        out.rids.push(last + 1);
        taken++;
      }
    }
  }
}
