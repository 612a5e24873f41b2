/**
 * One receipt queue per table, leg and thread for the table's in-sync replicas (docs/DESIGN.md
 * "Shared state of in-sync replicas"). Under load every replica of a receiving table fills its
 * queue to the capacity with much the same receipts; each kept its own table of them.
 *
 * What a replica's queue holds depends on which copies reached it and when (a lost copy, a full
 * queue), so membership stays the replica's own: the shared table holds each receipt (peer table,
 * receipt id, transaction) once, with one bit per attached replica, and each replica's view keeps
 * its own count and count per peer and reads and writes only its own bits (the per-slot layout of
 * contract 5). A receipt leaves the table when no replica holds it. A replica that receives a
 * receipt id another replica holds for a different transaction (a source table that forked) takes a
 * queue of its own with exactly what it held, and goes on alone; so does one attached after the
 * first receipt arrived (the width of the bits is fixed then). No answer depends on the table's
 * layout or on which replicas share it.
 */
import { ReceiptQueue, ReceiptTable, FREE, selectReceipts, type Picks, type ReceiptQueueLike } from './txpool.js';
import type { TxStore } from './txstore.js';
import type { AccountMap, LedgerRules, StateView } from './ledger.js';

/** The receipts a table's sharing replicas hold, each once with a bit per replica (the table's words). */
export class SharedReceiptQueue extends ReceiptTable {
  private views = 0;
  /** Replicas that left for a queue of their own (a statistic). */
  fallbacks = 0;

  constructor(readonly leg: number, readonly capacity: number, readonly tables: number) {
    super();
  }

  /** Receipts held (a statistic). */
  get size(): number {
    return this.count;
  }

  /** A view for a new replica; one attached after the first receipt keeps a queue of its own. */
  attach(): SharedReceiptQueueView {
    if (this.width !== 0) return new SharedReceiptQueueView(null, -1, new ReceiptQueue(this.leg, this.capacity, this.tables));
    return new SharedReceiptQueueView(this, this.views++, null);
  }

  tx(i: number): number {
    return this.txV[i];
  }

  has(i: number, view: number): boolean {
    return ((this.words[i * this.width + (view >>> 5)] >>> (view & 31)) & 1) === 1;
  }

  set(i: number, view: number): void {
    this.words[i * this.width + (view >>> 5)] |= 1 << (view & 31);
  }

  /** Clears `view`'s bit of slot `i`, and drops the receipt when no replica holds it any more. */
  clear(i: number, view: number): void {
    const w = this.width;
    this.words[i * w + (view >>> 5)] &= ~(1 << (view & 31));
    for (let k = 0; k < w; k++) if (this.words[i * w + k] !== 0) return;
    this.deleteAt(i);
  }

  /** Adds (peer, rid) -> tx with no bits (fixing the bits' width at the first); returns its slot. */
  add(peer: number, rid: number, tx: number): number {
    if (this.width === 0) {
      this.width = Math.max(1, Math.ceil(this.views / 32));
      this.words = new Int32Array(this.peerK.length * this.width);
    }
    return this.insert(peer, rid, tx);
  }

  /** Every slot holding a bit of `view`, as [peer, rid, tx] sorted by peer then id. */
  held(view: number): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.peerK.length; i++) if (this.peerK[i] !== FREE && this.has(i, view)) out.push([this.peerK[i], this.ridK[i], this.txV[i]]);
    return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }
}

/** A replica's receipt queue as its bits in a SharedReceiptQueue, or a queue of its own once it left. */
export class SharedReceiptQueueView implements ReceiptQueueLike {
  private count = 0;
  private perPeer: Int32Array | null = null;

  constructor(
    private store: SharedReceiptQueue | null,
    private readonly index: number,
    private own: ReceiptQueue | null,
  ) {}

  /** Whether this replica still holds its receipts in the shared table. */
  get shared(): boolean {
    return this.own === null;
  }

  get size(): number {
    return this.own !== null ? this.own.size : this.count;
  }

  get(peer: number, rid: number): number | undefined {
    if (this.own !== null) return this.own.get(peer, rid);
    const s = this.store!;
    const i = s.slot(peer, rid);
    return i >= 0 && s.has(i, this.index) ? s.tx(i) : undefined;
  }

  has(peer: number, rid: number): boolean {
    if (this.own !== null) return this.own.has(peer, rid);
    const s = this.store!;
    const i = s.slot(peer, rid);
    return i >= 0 && s.has(i, this.index);
  }

  /** As ReceiptQueue.add: refused when already applied, already held, or the queue is full. */
  add(peer: number, rid: number, tx: number, appliedUpTo: number): boolean {
    if (this.own !== null) return this.own.add(peer, rid, tx, appliedUpTo);
    if (rid <= appliedUpTo) return false;
    const s = this.store!;
    let i = s.slot(peer, rid);
    if (i >= 0 && s.has(i, this.index)) return false;
    if (this.count >= s.capacity) return false;
    if (i >= 0 && s.tx(i) !== tx) {
      // Another replica holds this id for another transaction: this one's state is its own now.
      this.leave();
      return this.own!.add(peer, rid, tx, appliedUpTo);
    }
    if (i < 0) i = s.add(peer, rid, tx);
    s.set(i, this.index);
    this.count++;
    (this.perPeer ??= new Int32Array(s.tables))[peer]++;
    return true;
  }

  remove(peer: number, rid: number): void {
    if (this.own !== null) return this.own.remove(peer, rid);
    const s = this.store!;
    const i = s.slot(peer, rid);
    if (i < 0 || !s.has(i, this.index)) return;
    s.clear(i, this.index);
    this.count--;
    this.perPeer![peer]--;
  }

  entries(): Int32Array {
    if (this.own !== null) return this.own.entries();
    return Int32Array.from(this.store!.held(this.index).flat());
  }

  pruneApplied(applied: (peer: number) => number): void {
    if (this.own !== null) return this.own.pruneApplied(applied);
    for (const [peer, rid] of this.store!.held(this.index)) if (rid <= applied(peer)) this.remove(peer, rid);
  }

  peers(): number[] {
    if (this.own !== null) return this.own.peers();
    const out: number[] = [];
    const pp = this.perPeer;
    if (pp === null) return out;
    for (let p = 0; p < pp.length; p++) if (pp[p] > 0) out.push(p);
    return out;
  }

  select(view: StateView, max: number, out: Picks, txs: TxStore, map: AccountMap, rules: LedgerRules, rotate: number): void {
    if (this.own !== null) return this.own.select(view, max, out, txs, map, rules, rotate);
    selectReceipts(this, this.store!.leg, view, max, out, txs, map, rules, rotate);
  }

  /** Lets go of the shared table (the replica is dropped). */
  detach(): void {
    const s = this.store;
    if (s === null) return;
    for (const [peer, rid] of s.held(this.index)) s.clear(s.slot(peer, rid), this.index);
    this.store = null;
    this.count = 0;
    this.perPeer = null;
    if (this.own === null) this.own = new ReceiptQueue(s.leg, s.capacity, s.tables);
  }

  /** Takes a queue of its own holding exactly what it held, and lets go of the shared table. */
  private leave(): void {
    const s = this.store!;
    const own = new ReceiptQueue(s.leg, s.capacity, s.tables);
    for (const [peer, rid, tx] of s.held(this.index)) own.add(peer, rid, tx, -1);
    s.fallbacks++;
    this.detach();
    this.own = own;
  }
}
