/**
 * One outbox per table and thread for the table's in-sync replicas (docs/DESIGN.md "Shared state
 * of in-sync replicas"), where each replica would otherwise keep its own copy of every receipt its
 * table committed until the peer table is known to have applied it: under load a hundred copies of
 * the same entries per table.
 *
 * What a replica's outbox holds is a function of its committed chain, of when it committed each
 * block, of which commits it certified as their leader, and of the prunes it made. The entries of a
 * commit are a function of the chain alone (receipt ids come from the ledger, itself a function of
 * the chain). So the shared log keeps each committed height's entries once, in commit order, and
 * each replica's view keeps only its own part:
 * - its committed height: entries of later heights are not yet its own;
 * - per peer, its prune bound: the highest id its prunes removed. A prune removes the entries held
 *   at that moment, those up to the replica's highest committed id toward the peer, so an entry
 *   committed after a prune whose id it covered stays (the receipt-id state can run ahead of a
 *   lagging replica). Ids toward a peer grow with height, so an entry is the replica's exactly
 *   when its height is at most the committed height and its id above the bound;
 * - when it committed each height, and the certificate of the commits it sent as leader.
 *
 * A replica commits block h into the shared log only as the log's next height, or as the block the
 * log already holds at h with the same entries (checked: a digest of the entries per height).
 * Anything else (a different block at a height, a replica that got its state from a snapshot, a
 * gap) gives the replica its own ReceiptOutbox, filled with exactly what its view held, and it goes
 * on alone. Replicas rebuilt after a crash or elected later start from a snapshot and so keep
 * their own from the start.
 *
 * The log drops an entry once every attached replica's bound covers it (checked whenever the log
 * has doubled since the last check). No answer depends on which replicas share or on the log's
 * layout; a test over the scenario library shows the same digest with sharing off.
 */
import { ReceiptOutbox, type Outbox } from './outbox.js';

/** The log of one table's committed entries toward its peers, on one thread. */
export class SharedOutbox {
  /** Entries by height (the store's group key is the height; certificates are per replica). */
  readonly store: ReceiptOutbox;
  /** Per height: the committed block's id, the digest and number of its entries. */
  private readonly ids: string[] = [''];
  private readonly digests: number[] = [0];
  private readonly counts: number[] = [0];
  private readonly views: SharedOutboxView[] = [];
  /** Live entries after the last trim: the next trim comes when the log has doubled. */
  private trimmedAt = 0;
  /** Replicas that left the log for an outbox of their own (a statistic). */
  fallbacks = 0;

  constructor(readonly tables: number) {
    this.store = new ReceiptOutbox(tables);
  }

  /** The highest height committed into the log (0: genesis only). */
  get top(): number {
    return this.ids.length - 1;
  }

  idAt(h: number): string {
    return this.ids[h];
  }

  digestAt(h: number): number {
    return this.digests[h];
  }

  countAt(h: number): number {
    return this.counts[h];
  }

  /** Replicas reading this log. */
  get attached(): number {
    return this.views.length;
  }

  /** A new replica's view, at genesis. */
  attach(): SharedOutboxView {
    const v = new SharedOutboxView(this);
    this.views.push(v);
    return v;
  }

  detach(v: SharedOutboxView): void {
    const i = this.views.indexOf(v);
    if (i < 0) return;
    this.views[i] = this.views[this.views.length - 1];
    this.views.pop();
    if (this.views.length === 0) this.trim();
  }

  /** Opens height `h` (the log's next) for block `id`. */
  open(h: number, id: string): void {
    this.ids.push(id);
    this.digests.push(0);
    this.counts.push(0);
    this.store.begin(h);
  }

  append(h: number, peer: number, rid: number, tx: number): void {
    this.store.add(peer, rid, tx);
    this.digests[h] = mix(this.digests[h], peer, rid, tx);
    this.counts[h]++;
    if (this.store.size >= 2 * this.trimmedAt + 4096) this.trim();
  }

  /**
   * Drops the entries every attached replica has pruned (all of them, once none is attached), and
   * lets the views forget commit times below the lowest height still held.
   */
  trim(): void {
    const store = this.store;
    const views = this.views;
    for (const peer of store.peers()) {
      let bound = 0x7fffffff;
      for (let i = 0; i < views.length && bound > 0; i++) {
        const b = views[i].boundOf(peer);
        if (b < bound) bound = b;
      }
      if (bound > 0) store.pruneUpTo(peer, bound);
    }
    this.trimmedAt = store.size;
    const first = store.firstLive();
    const low = first >= 0 ? store.committedAt(first) : this.top + 1;
    for (const v of views) v.forgetBelow(low);
  }
}

/** Digest of a height's entries, in commit order. */
function mix(h: number, peer: number, rid: number, tx: number): number {
  h = Math.imul(h ^ peer, 0x9e3779b1) + 0x7f4a7c15;
  h = Math.imul(h ^ rid, 0x85ebca6b) + 0x165667b1;
  return Math.imul(h ^ tx, 0xc2b2ae35) | 0;
}

/** The current commit's entries while a view checks them against the log (commits never interleave). */
let checking: number[] = [];

/** A replica's outbox as its part of a SharedOutbox (see the file's comment), or its own once it left. */
export class SharedOutboxView implements Outbox {
  /** The outbox of its own, once it left the log. */
  private own: ReceiptOutbox | null = null;
  private committed = 0;
  /** Per peer: the highest id its prunes removed (made at the first prune). */
  private bound: Uint32Array | null = null;
  /** When it committed each height from `timesBase`. */
  private times = new Float64Array(16);
  private timesBase = 0;
  /** Certificates of the commits it sent as leader, by height. */
  private certs: Map<number, string> | null = null;
  /** The commit under way: its height, whether this view writes it into the log, its digest so far. */
  private cur = -1;
  private writing = false;
  private digest = 0;
  private count = 0;

  constructor(private log: SharedOutbox | null) {}

  /** Whether this replica still reads the shared log. */
  get shared(): boolean {
    return this.own === null;
  }

  boundOf(peer: number): number {
    return this.bound === null ? 0 : this.bound[peer];
  }

  /** The log holds no entry below height `h`: commit times below it are never read again. */
  forgetBelow(h: number): void {
    // A lagging replica still has heights to commit below the log's lowest entry.
    if (h > this.committed + 1) h = this.committed + 1;
    const drop = h - this.timesBase;
    if (drop <= 0) return;
    if (drop < this.times.length) this.times.copyWithin(0, drop);
    this.timesBase = h;
    if (this.certs !== null) for (const k of [...this.certs.keys()]) if (k < h) this.certs.delete(k);
  }

  /** Leaves the log (the replica is dropped). */
  detach(): void {
    if (this.log !== null) this.log.detach(this);
    this.log = null;
  }

  begin(at_us: number, height: number, blockId: string): void {
    if (this.own !== null) return this.own.begin(at_us);
    const log = this.log!;
    if (height !== this.committed + 1 || height > log.top + 1 || (height <= log.top && log.idAt(height) !== blockId)) {
      this.leave();
      return this.own!.begin(at_us);
    }
    this.committed = height;
    this.setTime(height, at_us);
    this.cur = height;
    this.writing = height === log.top + 1;
    if (this.writing) log.open(height, blockId);
    this.digest = 0;
    this.count = 0;
    checking.length = 0;
  }

  add(peer: number, rid: number, tx: number): void {
    if (this.own !== null) return this.own.add(peer, rid, tx);
    if (this.writing) {
      this.log!.append(this.cur, peer, rid, tx);
      return;
    }
    this.digest = mix(this.digest, peer, rid, tx);
    this.count++;
    checking.push(peer, rid, tx);
  }

  end(): void {
    if (this.own !== null) return;
    const log = this.log!;
    const h = this.cur;
    this.cur = -1;
    if (!this.writing && (log.digestAt(h) !== this.digest || log.countAt(h) !== this.count)) {
      // The same block with other entries: this replica's state differs; it keeps its own from here.
      const own = checking.slice();
      const at = this.timeOf(h);
      this.committed = h - 1;
      this.leave();
      this.own!.begin(at);
      for (let k = 0; k < own.length; k += 3) this.own!.add(own[k], own[k + 1], own[k + 2]);
    }
    checking.length = 0;
  }

  certify(cert: string): void {
    if (this.own !== null) return this.own.certify(cert);
    (this.certs ??= new Map()).set(this.committed, cert);
  }

  addWith(peer: number, rid: number, tx: number, at_us: number, cert: string): void {
    if (this.own === null) this.leave();
    this.own!.addWith(peer, rid, tx, at_us, cert);
  }

  pruneUpTo(peer: number, rid: number, committed: number): void {
    if (this.own !== null) return this.own.pruneUpTo(peer, rid);
    const b = Math.min(rid, committed);
    const bound = (this.bound ??= new Uint32Array(this.log!.tables));
    if (b > bound[peer]) bound[peer] = b;
  }

  /** The first of `peer`'s entries that is this replica's, or -1. */
  private first(peer: number): number {
    const store = this.log!.store;
    const p = store.firstAbove(peer, this.boundOf(peer));
    return p >= 0 && store.committedAt(p) <= this.committed ? p : -1;
  }

  find(peer: number, rid: number): number {
    if (this.own !== null) return this.own.find(peer, rid);
    const store = this.log!.store;
    const p = store.find(peer, rid);
    return p >= 0 && rid > this.boundOf(peer) && store.committedAt(p) <= this.committed ? p : -1;
  }

  peers(): number[] {
    if (this.own !== null) return this.own.peers();
    return this.log!.store.peers().filter((peer) => this.first(peer) >= 0);
  }

  positions(peer: number): number[] {
    if (this.own !== null) return this.own.positions(peer);
    const store = this.log!.store;
    const out: number[] = [];
    for (let p = this.first(peer); p >= 0 && store.committedAt(p) <= this.committed; p = store.next(p)) out.push(p);
    return out;
  }

  rid(pos: number): number {
    return this.own !== null ? this.own.rid(pos) : this.log!.store.rid(pos);
  }

  tx(pos: number): number {
    return this.own !== null ? this.own.tx(pos) : this.log!.store.tx(pos);
  }

  committedAt(pos: number): number {
    return this.own !== null ? this.own.committedAt(pos) : this.timeOf(this.log!.store.committedAt(pos));
  }

  cert(pos: number): string {
    return this.own !== null ? this.own.cert(pos) : this.certs?.get(this.log!.store.committedAt(pos)) ?? '';
  }

  entries(): [number, number, number, number, string][] {
    if (this.own !== null) return this.own.entries();
    const out: [number, number, number, number, string][] = [];
    for (const peer of this.peers()) {
      for (const p of this.positions(peer)) out.push([peer, this.rid(p), this.tx(p), this.committedAt(p), this.cert(p)]);
    }
    return out;
  }

  private setTime(h: number, at_us: number): void {
    const i = h - this.timesBase;
    if (i >= this.times.length) {
      const t = new Float64Array(Math.max(2 * this.times.length, i + 1));
      t.set(this.times);
      this.times = t;
    }
    this.times[i] = at_us;
  }

  private timeOf(h: number): number {
    return this.times[h - this.timesBase];
  }

  /**
   * Takes an outbox of its own holding exactly what its view holds (entries in the order they were
   * committed, each with its commit time and certificate) and leaves the log.
   */
  private leave(): void {
    const log = this.log!;
    const store = log.store;
    const own = new ReceiptOutbox(log.tables);
    for (const p of store.livePositions()) {
      const peer = store.peer(p);
      const h = store.committedAt(p);
      if (h > this.committed || store.rid(p) <= this.boundOf(peer)) continue;
      own.addWith(peer, store.rid(p), store.tx(p), this.timeOf(h), this.certs?.get(h) ?? '');
    }
    log.fallbacks++;
    this.detach();
    this.own = own;
    this.bound = null;
    this.certs = null;
    this.times = new Float64Array(0);
  }
}
