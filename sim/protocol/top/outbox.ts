/**
 * A replica's committed receipts toward its peer tables, kept until the peer is known to have
 * applied them (docs/PROTOCOL.md §9.4: resends, pulls and state snapshots read them).
 *
 * Every replica of a table keeps its own outbox, and the receipt-id state that prunes it comes
 * every 64 s, so under load each replica holds every receipt its table committed in the last
 * minute: a hundred replicas per table times tens of thousands of receipts. As a `Map` per peer of
 * `{ tx, committed_us, cert }` objects that cost ~100 bytes a receipt and 30 GB of heap in a
 * one-minute run of 64 tables; here a receipt costs 14 bytes of typed-array columns.
 *
 * Layout (docs/DESIGN.md "Data layout for speed"): one log of entries in insertion order (peer, receipt
 * id, tx, link to the peer's next entry), a list per peer through the links, and groups of
 * consecutive entries that share a commit time and certificate (a commit adds its receipts as one
 * group). Pruned entries leave holes that a compaction closes once they outnumber the rest.
 *
 * The answers are those of a `Map<peer, Map<rid, entry>>`: `add` on an existing (peer, rid)
 * replaces its entry, and every reader visits a peer's entries in receipt-id order.
 */

/**
 * What a replica's receipt flow asks of an outbox: its own (ReceiptOutbox) or its view of the one
 * its table's in-sync replicas share (SharedOutboxView, sharedoutbox.ts). Positions are valid until
 * the next change.
 */
export interface Outbox {
  /** A commit of block `blockId` at `height`, at `at_us`: the entries added until `end` are its. */
  begin(at_us: number, height: number, blockId: string): void;
  add(peer: number, rid: number, tx: number): void;
  end(): void;
  certify(cert: string): void;
  addWith(peer: number, rid: number, tx: number, at_us: number, cert: string): void;
  /**
   * Drops every entry toward `peer` with an id at or below `rid`; `committed` is the highest id
   * toward `peer` this replica has committed (every entry's id is at most that).
   */
  pruneUpTo(peer: number, rid: number, committed: number): void;
  find(peer: number, rid: number): number;
  peers(): number[];
  positions(peer: number): number[];
  rid(pos: number): number;
  tx(pos: number): number;
  committedAt(pos: number): number;
  cert(pos: number): string;
  entries(): [number, number, number, number, string][];
}

/** No entry (list ends, empty lists). */
const NONE = -1;
/** The peer column of a pruned entry (tables are fewer than 65,535). */
const DEAD = 0xffff;
/** Logs smaller than this are never shrunk. */
const LOG_MIN = 64;

export class ReceiptOutbox implements Outbox {
  // The log, by position.
  private peerOf = new Uint16Array(LOG_MIN);
  private ridOf = new Int32Array(LOG_MIN);
  private txOf = new Int32Array(LOG_MIN);
  private nextOf = new Int32Array(LOG_MIN);
  /** Positions used (live and pruned). */
  private len = 0;
  private live = 0;
  // Per peer, allocated at the first entry: first and last positions, whether ids are out of order.
  private head: Int32Array | null = null;
  private tail: Int32Array | null = null;
  private unsorted: Uint8Array | null = null;
  // Groups: group g holds the positions from gStart[g] up to the next group's start.
  private gStart = new Int32Array(4);
  private gAt = new Float64Array(4);
  private gCert: string[] = [''];
  private groups = 1;

  constructor(private readonly tables: number) {
    if (!(tables >= 1 && tables < DEAD)) throw new RangeError(`ReceiptOutbox: tables must be in [1, ${DEAD}), got ${tables}`);
  }

  /** Receipts held. */
  get size(): number {
    return this.live;
  }

  /** Starts the group of a commit at `at_us`: entries added from now on carry it, with no certificate. */
  begin(at_us: number): void {
    this.openGroup(at_us, '');
  }

  /** Ends a commit's entries (nothing to do for an outbox of one's own). */
  end(): void {}

  /** Sets the certificate of the current group (the commit's receipts, when its leader sends them). */
  certify(cert: string): void {
    this.gCert[this.groups - 1] = cert;
  }

  /** Adds (or replaces) `rid` toward `peer` in the current group. */
  add(peer: number, rid: number, tx: number): void {
    if (this.head === null) {
      this.head = new Int32Array(this.tables).fill(NONE);
      this.tail = new Int32Array(this.tables).fill(NONE);
      this.unsorted = new Uint8Array(this.tables);
    }
    const t = this.tail![peer];
    // Ids toward a peer come in increasing order: a new highest id needs no search.
    if (t !== NONE && (this.unsorted![peer] === 1 || rid <= this.ridOf[t])) {
      let prev = NONE;
      for (let p = this.head[peer]; p !== NONE; prev = p, p = this.nextOf[p]) {
        if (this.ridOf[p] !== rid) continue;
        this.unlink(peer, prev, p);
        break;
      }
    }
    this.append(peer, rid, tx);
  }

  /** Adds an entry with its own commit time and certificate (a state snapshot's entry). */
  addWith(peer: number, rid: number, tx: number, at_us: number, cert: string): void {
    const g = this.groups - 1;
    if (this.gAt[g] !== at_us || this.gCert[g] !== cert) this.openGroup(at_us, cert);
    this.add(peer, rid, tx);
  }

  /** Drops every entry toward `peer` with an id at or below `rid`. */
  pruneUpTo(peer: number, rid: number): void {
    if (this.head === null) return;
    let prev = NONE;
    for (let p = this.head[peer]; p !== NONE;) {
      const next = this.nextOf[p];
      if (this.ridOf[p] <= rid) this.unlink(peer, prev, p);
      else if (this.unsorted![peer] === 0) break;
      else prev = p;
      p = next;
    }
    if (this.live * 4 < this.len && this.len > 4 * LOG_MIN) this.compact();
  }

  /** Position of the first entry toward `peer` (in list order) with an id above `rid`, or -1. */
  firstAbove(peer: number, rid: number): number {
    if (this.head === null) return NONE;
    let p = this.head[peer];
    while (p !== NONE && this.ridOf[p] <= rid) p = this.nextOf[p];
    return p;
  }

  /** The entry after `pos` in its peer's list, or -1. */
  next(pos: number): number {
    return this.nextOf[pos];
  }

  /** The position of the oldest live entry, or -1. */
  firstLive(): number {
    for (let p = 0; p < this.len; p++) if (this.peerOf[p] !== DEAD) return p;
    return NONE;
  }

  /** Every live entry's position, in the order entries were added. */
  livePositions(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.len; p++) if (this.peerOf[p] !== DEAD) out.push(p);
    return out;
  }

  peer(pos: number): number {
    return this.peerOf[pos];
  }

  /** Position of `rid` toward `peer`, or -1. */
  find(peer: number, rid: number): number {
    if (this.head === null) return NONE;
    const sorted = this.unsorted![peer] === 0;
    for (let p = this.head[peer]; p !== NONE; p = this.nextOf[p]) {
      const r = this.ridOf[p];
      if (r === rid) return p;
      if (sorted && r > rid) return NONE;
    }
    return NONE;
  }

  /** Peers with entries, ascending. */
  peers(): number[] {
    const out: number[] = [];
    if (this.head === null) return out;
    for (let p = 0; p < this.tables; p++) if (this.head[p] !== NONE) out.push(p);
    return out;
  }

  /** Positions of `peer`'s entries in receipt-id order. */
  positions(peer: number): number[] {
    const out: number[] = [];
    if (this.head === null) return out;
    for (let p = this.head[peer]; p !== NONE; p = this.nextOf[p]) out.push(p);
    if (this.unsorted![peer] === 1) out.sort((a, b) => this.ridOf[a] - this.ridOf[b]);
    return out;
  }

  rid(pos: number): number {
    return this.ridOf[pos];
  }

  tx(pos: number): number {
    return this.txOf[pos];
  }

  /** When the replica committed the entry at `pos`. */
  committedAt(pos: number): number {
    return this.gAt[this.groupOf(pos)];
  }

  /** The certificate the entry at `pos` was sent with ('' when this replica did not send it). */
  cert(pos: number): string {
    return this.gCert[this.groupOf(pos)];
  }

  /** Every entry as [peer, rid, tx, committed_us, cert], by peer then id (a state snapshot). */
  entries(): [number, number, number, number, string][] {
    const out: [number, number, number, number, string][] = [];
    for (const peer of this.peers()) {
      for (const p of this.positions(peer)) out.push([peer, this.ridOf[p], this.txOf[p], this.committedAt(p), this.cert(p)]);
    }
    return out;
  }

  private openGroup(at_us: number, cert: string): void {
    let g = this.groups - 1;
    // An empty last group is reused, so groups never pile up between commits without receipts.
    if (this.gStart[g] !== this.len) {
      g = this.groups++;
      if (g === this.gStart.length) {
        const start = new Int32Array(2 * g);
        start.set(this.gStart);
        this.gStart = start;
        const at = new Float64Array(2 * g);
        at.set(this.gAt);
        this.gAt = at;
      }
    }
    this.gStart[g] = this.len;
    this.gAt[g] = at_us;
    this.gCert[g] = cert;
  }

  /** The last group starting at or before `pos`. */
  private groupOf(pos: number): number {
    let lo = 0;
    let hi = this.groups - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.gStart[mid] <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private append(peer: number, rid: number, tx: number): void {
    if (this.len === this.peerOf.length) {
      if (2 * this.live <= this.len) this.compact();
      else this.resize(2 * this.len);
    }
    const p = this.len++;
    this.peerOf[p] = peer;
    this.ridOf[p] = rid;
    this.txOf[p] = tx;
    this.nextOf[p] = NONE;
    const t = this.tail![peer];
    if (t === NONE) this.head![peer] = p;
    else {
      this.nextOf[t] = p;
      if (rid < this.ridOf[t]) this.unsorted![peer] = 1;
    }
    this.tail![peer] = p;
    this.live++;
  }

  /** Removes the entry at `p` (after `prev` in its peer's list) and marks its position pruned. */
  private unlink(peer: number, prev: number, p: number): void {
    const next = this.nextOf[p];
    if (prev === NONE) this.head![peer] = next;
    else this.nextOf[prev] = next;
    if (this.tail![peer] === p) this.tail![peer] = prev;
    if (this.head![peer] === NONE) this.unsorted![peer] = 0;
    this.peerOf[p] = DEAD;
    this.live--;
  }

  private resize(capacity: number): void {
    const grow = <T extends Uint16Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, this.len));
      return b;
    };
    this.peerOf = grow(this.peerOf, (n) => new Uint16Array(n));
    this.ridOf = grow(this.ridOf, (n) => new Int32Array(n));
    this.txOf = grow(this.txOf, (n) => new Int32Array(n));
    this.nextOf = grow(this.nextOf, (n) => new Int32Array(n));
  }

  /**
   * Closes the holes: live entries move down in log order (so each peer's list keeps its order)
   * and the log shrinks to about twice their number. Groups left without entries go, except the
   * last (the current commit may still add to it and certify it); groups are never merged.
   */
  private compact(): void {
    let cap = LOG_MIN;
    while (cap < 2 * this.live) cap *= 2;
    const peerOf = new Uint16Array(cap);
    const ridOf = new Int32Array(cap);
    const txOf = new Int32Array(cap);
    const nextOf = new Int32Array(cap);
    const head = this.head!;
    const tail = this.tail!;
    head.fill(NONE);
    tail.fill(NONE);
    const gStart = new Int32Array(this.gStart.length);
    const gAt = new Float64Array(this.gStart.length);
    const gCert: string[] = [];
    let groups = 0;
    const copyGroup = (from: number, start: number) => {
      gStart[groups] = start;
      gAt[groups] = this.gAt[from];
      gCert[groups] = this.gCert[from];
      groups++;
    };
    let g = 0;
    let copied = -1;
    let n = 0;
    for (let p = 0; p < this.len; p++) {
      const peer = this.peerOf[p];
      if (peer === DEAD) continue;
      while (g + 1 < this.groups && this.gStart[g + 1] <= p) g++;
      if (g !== copied) {
        copyGroup(g, n);
        copied = g;
      }
      peerOf[n] = peer;
      ridOf[n] = this.ridOf[p];
      txOf[n] = this.txOf[p];
      nextOf[n] = NONE;
      const t = tail[peer];
      if (t === NONE) head[peer] = n;
      else nextOf[t] = n;
      tail[peer] = n;
      n++;
    }
    // The current group stays last (possibly empty), so later adds and `certify` still reach it.
    if (copied !== this.groups - 1) copyGroup(this.groups - 1, n);
    this.peerOf = peerOf;
    this.ridOf = ridOf;
    this.txOf = txOf;
    this.nextOf = nextOf;
    this.len = n;
    this.gStart = gStart;
    this.gAt = gAt;
    this.gCert = gCert;
    this.groups = groups;
  }
}
