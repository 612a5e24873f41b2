/**
 * A node's queues for one table (docs/PROTOCOL.md §9.2):
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
import { ReplicaSlots, TxFlags } from './txflags.js';

export const POOL_OK = 0;
export const POOL_DUP = 1;
export const POOL_FULL = 2;
export const POOL_ACCOUNT_LIMIT = 3;
export const POOL_STALE = 4;
/** A send toward a peer table whose receipt window is full on chain (TOP refuses it at admission, push_send_tx). */
export const POOL_WINDOW = 5;

/** What packing collects: parallel lists of tx ids, legs and receipt ids. */
export interface Picks {
  txs: number[];
  legs: number[];
  rids: number[];
  /** Receipt-id state proofs: [peer, recv id, ...] (receipts.ts proofsFor). */
  proofs?: number[];
}

/** Smallest capacity of a pool's arrival-order column. */
const ORDER_MIN = 64;

export class TxPool {
  /**
   * Pooled tx ids in arrival order at [head, end) (a removed id stays until `head` passes it).
   * Positions before `head` are never read again, so the column drops them whenever it needs room.
   */
  private order = new Int32Array(ORDER_MIN);
  private head = 0;
  private end = 0;
  /** Pooled txs: this pool's bits in a store shared by the table's replicas on the thread (txflags.ts). */
  private readonly members: TxFlags;
  private readonly slot: number;
  private count = 0;
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
    /** Where the pool keeps its membership bits, and its slot there (default: a store of its own). */
    members?: TxFlags,
    slot?: number,
  ) {
    if (members === undefined) {
      const slots = new ReplicaSlots(map.tables);
      members = new TxFlags(slots);
      slot = slots.take(table);
    }
    this.members = members;
    this.slot = slot!;
    const accounts = map.tableAccounts[table].length;
    this.perAccount = Math.min(capacity, accountMax) <= 0xffff ? new Uint16Array(accounts) : new Int32Array(accounts);
  }

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return this.members.has(id, this.slot);
  }

  /**
   * Admits `id`, or says why not: already pooled, stale (its nonce is used), the pool full, or its
   * sender at the pending limit. A full pool is checked before the ledger: under saturation most
   * arrivals meet a full pool, and the sender's nonce is a read from the replica's own ledger
   * (memory no other replica shares). A tx both stale and refused by a full pool is reported as
   * refused; callers treat every refusal alike.
   */
  add(id: number, committed: TableLedger, rules: LedgerRules): number {
    if (this.has(id)) return POOL_DUP;
    if (this.count >= this.capacity) return POOL_FULL;
    const a = this.map.localIndex[this.txs.sender[id]];
    if (!rules.skipNonceCheck && this.txs.nonce[id] < committed.nonce[a]) return POOL_STALE;
    const c = this.perAccount[a];
    if (c >= this.accountMax) return POOL_ACCOUNT_LIMIT;
    this.perAccount[a] = c + 1;
    this.members.add(id, this.table, this.slot);
    this.count++;
    if (this.end === this.order.length) this.reshape(2 * this.order.length);
    this.order[this.end++] = id;
    return POOL_OK;
  }

  remove(id: number): void {
    if (!this.members.delete(id, this.slot)) return;
    this.count--;
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
    const end = this.end;
    const map = this.map;
    let progressed = true;
    // Later passes pick txs that became valid after an earlier one of the same account.
    for (let pass = 0; pass < 4 && progressed && out.txs.length - start < max; pass++) {
      progressed = false;
      let scanned = 0;
      for (let i = this.head; i < end && out.txs.length - start < max && scanned < maxScan; i++) {
        const id = order[i];
        if (!this.has(id) || taken.has(id)) continue;
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
    for (let i = this.head; i < this.end; i++) if (this.has(this.order[i])) out.push(this.order[i]);
    return Int32Array.from(out);
  }

  /** Drops txs submitted before `cutoff_us`. Returns how many. */
  expire(cutoff_us: number): number {
    let n = 0;
    for (let i = this.head; i < this.end; i++) {
      const id = this.order[i];
      if (this.has(id) && this.txs.submit_us[id] < cutoff_us) {
        this.remove(id);
        n++;
      }
    }
    this.compact();
    return n;
  }

  private compact(): void {
    const order = this.order;
    while (this.head < this.end && !this.has(order[this.head])) this.head++;
    const span = this.end - this.head;
    if (order.length > ORDER_MIN && 4 * span < order.length) this.reshape(order.length / 2);
  }

  /**
   * Moves [head, end) to the front of a column of `capacity` entries (the same column when the
   * dropped prefix makes enough room: no allocation then).
   */
  private reshape(capacity: number): void {
    const span = this.end - this.head;
    if (capacity > this.order.length && 2 * span <= this.order.length) capacity = this.order.length;
    if (capacity === this.order.length) this.order.copyWithin(0, this.head, this.end);
    else {
      const next = new Int32Array(capacity);
      next.set(this.order.subarray(this.head, this.end));
      this.order = next;
    }
    this.head = 0;
    this.end = span;
  }
}

/**
 * What a replica asks of its receipt queue: its own (ReceiptQueue) or its part of the one its
 * table's in-sync replicas share (SharedReceiptQueue, sharedqueue.ts).
 */
export interface ReceiptQueueLike {
  readonly size: number;
  get(peer: number, rid: number): number | undefined;
  add(peer: number, rid: number, tx: number, appliedUpTo: number): boolean;
  has(peer: number, rid: number): boolean;
  remove(peer: number, rid: number): void;
  entries(): Int32Array;
  pruneApplied(applied: (peer: number) => number): void;
  peers(): number[];
  select(view: StateView, max: number, out: Picks, txs: TxStore, map: AccountMap, rules: LedgerRules, rotate: number): void;
}

/**
 * Adds to `out` up to `max` legs of kind `leg` from `q`, per peer in ascending table order from
 * `rotate`, each peer's receipts strictly consecutive from the view's last applied id.
 */
export function selectReceipts(q: ReceiptQueueLike, leg: number, view: StateView, max: number, out: Picks, txs: TxStore,
  map: AccountMap, rules: LedgerRules, rotate: number): void {
  const peers = q.peers();
  let taken = 0;
  for (let k = 0; k < peers.length && taken < max; k++) {
    const peer = peers[(k + rotate) % peers.length];
    for (;;) {
      if (taken >= max) break;
      const last = leg === 2 ? view.recvId(peer) : view.confirmId(peer);
      const id = q.get(peer, last + 1);
      if (id === undefined) break;
      if (checkLeg(view, txs, map, id, leg, last + 1, rules) !== TX_OK) break;
      applyLeg(view, txs, map, id, leg, last + 1, rules);
      out.txs.push(id);
      out.legs.push(leg);
      out.rids.push(last + 1);
      taken++;
    }
  }
}

/** A free slot of a ReceiptTable (tables are fewer than 65,535). */
export const FREE = 0xffff;

/**
 * Receipts by (peer table, receipt id) -> tx over typed-array columns: open addressing, linear
 * probing, backward-shift deletion, load at most 1/2; with `width` words per slot beside each
 * receipt (none in a replica's own queue; a bit per replica in a shared one, sharedqueue.ts).
 * Nothing depends on the table's order: readers that iterate sort by peer and id.
 */
export class ReceiptTable {
  protected peerK = new Uint16Array(16).fill(FREE);
  protected ridK = new Int32Array(16);
  protected txV = new Int32Array(16);
  /** `width` words per slot. */
  protected words = new Int32Array(0);
  protected width = 0;
  /** 32 - log2(slots): Fibonacci hashing keeps the top bits. */
  private shift = 28;
  private mask = 15;
  protected count = 0;

  private home(peer: number, rid: number): number {
    return Math.imul(rid ^ Math.imul(peer + 1, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** Slot of (peer, rid), or -1. */
  slot(peer: number, rid: number): number {
    const pk = this.peerK;
    const mask = this.mask;
    for (let i = this.home(peer, rid); ; i = (i + 1) & mask) {
      const p = pk[i];
      if (p === FREE) return -1;
      if (p === peer && this.ridK[i] === rid) return i;
    }
  }

  /** Adds (peer, rid) -> tx, absent before, with its words zero; returns its slot. */
  protected insert(peer: number, rid: number, tx: number): number {
    if (2 * (this.count + 1) > this.peerK.length) this.grow();
    const mask = this.mask;
    let i = this.home(peer, rid);
    while (this.peerK[i] !== FREE) i = (i + 1) & mask;
    this.peerK[i] = peer;
    this.ridK[i] = rid;
    this.txV[i] = tx;
    this.count++;
    return i;
  }

  protected deleteAt(i: number): void {
    const pk = this.peerK;
    const mask = this.mask;
    const w = this.width;
    // Backward shift: move later members of the probe run into the hole when their home slot
    // does not lie cyclically in (hole, their slot], so every remaining key stays reachable.
    let hole = i;
    for (let j = (i + 1) & mask; pk[j] !== FREE; j = (j + 1) & mask) {
      const home = this.home(pk[j], this.ridK[j]);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        pk[hole] = pk[j];
        this.ridK[hole] = this.ridK[j];
        this.txV[hole] = this.txV[j];
        if (w !== 0) this.words.copyWithin(hole * w, j * w, j * w + w);
        hole = j;
      }
    }
    pk[hole] = FREE;
    if (w !== 0) this.words.fill(0, hole * w, hole * w + w);
    this.count--;
  }

  private grow(): void {
    const oldP = this.peerK;
    const oldR = this.ridK;
    const oldT = this.txV;
    const oldW = this.words;
    const w = this.width;
    const c = 2 * oldP.length;
    this.peerK = new Uint16Array(c).fill(FREE);
    this.ridK = new Int32Array(c);
    this.txV = new Int32Array(c);
    this.words = new Int32Array(c * w);
    this.mask = c - 1;
    this.shift--;
    for (let j = 0; j < oldP.length; j++) {
      const p = oldP[j];
      if (p === FREE) continue;
      let i = this.home(p, oldR[j]);
      while (this.peerK[i] !== FREE) i = (i + 1) & this.mask;
      this.peerK[i] = p;
      this.ridK[i] = oldR[j];
      this.txV[i] = oldT[j];
      if (w !== 0) this.words.set(oldW.subarray(j * w, j * w + w), i * w);
    }
  }
}

/**
 * A replica's own receipt queue: a ReceiptTable plus a count per peer. Every replica of a receiving
 * table fills its queue to the capacity (2,048) under load; as a Map per peer that cost ~85 bytes a
 * receipt plus a Map per sending table (~250 KB per replica with 512 tables), here 10-20 bytes.
 */
export class ReceiptQueue extends ReceiptTable implements ReceiptQueueLike {
  /** Receipts queued per peer table (allocated at the first one). */
  private perPeer: Int32Array | null = null;

  constructor(
    private readonly leg: number,
    private readonly capacity: number,
    private readonly tables: number,
  ) {
    super();
    if (!(tables >= 1 && tables < FREE)) throw new RangeError(`ReceiptQueue: tables must be in [1, ${FREE}), got ${tables}`);
  }

  get size(): number {
    return this.count;
  }

  /** The tx of receipt `rid` from `peer`, or undefined. */
  get(peer: number, rid: number): number | undefined {
    const i = this.slot(peer, rid);
    return i < 0 ? undefined : this.txV[i];
  }

  /** Adds a receipt unless already applied (`appliedUpTo`) or queued. Returns false when refused. */
  add(peer: number, rid: number, tx: number, appliedUpTo: number): boolean {
    if (rid <= appliedUpTo) return false;
    if (this.slot(peer, rid) >= 0) return false;
    if (this.count >= this.capacity) return false;
    this.insert(peer, rid, tx);
    (this.perPeer ??= new Int32Array(this.tables))[peer]++;
    return true;
  }

  has(peer: number, rid: number): boolean {
    return this.slot(peer, rid) >= 0;
  }

  /**
   * Drops receipt `rid` of `peer` once its leg commits. Receipts apply in id order and `add`
   * refuses ids already committed, so every lower id left the queue at its own commit.
   */
  remove(peer: number, rid: number): void {
    const i = this.slot(peer, rid);
    if (i < 0) return;
    this.perPeer![peer]--;
    this.deleteAt(i);
  }

  /** Slots in use, by peer then receipt id. */
  private sortedSlots(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.peerK.length; i++) if (this.peerK[i] !== FREE) out.push(i);
    return out.sort((a, b) => this.peerK[a] - this.peerK[b] || this.ridK[a] - this.ridK[b]);
  }

  /** Every queued receipt as [peer, rid, tx] triples, by peer then id (for a state snapshot). */
  entries(): Int32Array {
    const slots = this.sortedSlots();
    const out = new Int32Array(3 * slots.length);
    slots.forEach((i, k) => {
      out[3 * k] = this.peerK[i];
      out[3 * k + 1] = this.ridK[i];
      out[3 * k + 2] = this.txV[i];
    });
    return out;
  }

  /** Drops every queued receipt at or below what has been applied from each peer. */
  pruneApplied(applied: (peer: number) => number): void {
    const drop: number[] = [];
    for (const i of this.sortedSlots()) if (this.ridK[i] <= applied(this.peerK[i])) drop.push(this.peerK[i], this.ridK[i]);
    for (let k = 0; k < drop.length; k += 2) this.remove(drop[k], drop[k + 1]);
  }

  /** Peers with queued receipts, ascending. */
  peers(): number[] {
    const out: number[] = [];
    const pp = this.perPeer;
    if (pp === null) return out;
    for (let p = 0; p < pp.length; p++) if (pp[p] > 0) out.push(p);
    return out;
  }

  /**
   * Adds to `out` up to `max` legs, per peer in ascending table order, each peer's receipts
   * strictly consecutive from the view's last applied id.
   */
  select(view: StateView, max: number, out: Picks, txs: TxStore, map: AccountMap, rules: LedgerRules,
    rotate: number): void {
    selectReceipts(this, this.leg, view, max, out, txs, map, rules, rotate);
  }
}
