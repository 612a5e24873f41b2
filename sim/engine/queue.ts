/**
 * The event queue: a bucketed calendar in front of two binary min-heaps, over typed arrays.
 *
 * Order is the total key (time_us, origin_node, origin_seq), docs/DESIGN.md contract 4:
 * - time_us first, because the simulation handles events in time order;
 * - origin_node breaks ties between different nodes by a number that does not depend on which
 *   worker or queue the event passed through;
 * - origin_seq (the count of events the origin scheduled before this one) orders the events of
 *   one origin, so two events never compare equal and ties never fall to heap internals.
 * Pops come out in exactly that order however the events are stored, so the layout below is free
 * to change for speed without changing any run.
 *
 * Layout. Time is cut into buckets of BUCKET_US. The `near` heap holds every event of the current
 * bucket and earlier; the next RING - 1 buckets are unsorted lists (pushing there appends); events
 * further ahead wait in the `far` heap. When `near` runs dry, the next non-empty bucket is heaped
 * into it. A simulation with 10^5..10^6 pending events keeps only a few thousand in `near`, so a
 * pop sifts through memory that stays in cache, where one heap of them all missed it at every
 * level below the top ones (the pop was 13% of a saturated run's time).
 *
 * An event's fields live by slot, touched only on push and pop: its four integers side by side and
 * its data beside them. Popping copies the top event into the `top_*` fields and frees its slot at
 * once, so a handler may push freely. No object is allocated per event except `data`.
 */

/** Bucket width (µs): a few thousand events of a saturated run; a power of two. */
const BUCKET_US = 512;
/** Buckets in the ring (a power of two): RING * BUCKET_US = 4.2 s ahead are kept in lists. */
const RING = 8192;
/** Events per chunk of a bucket list. */
const CHUNK = 64;
/** origin * 2^32 + seq stays an exact integer double below 2^53. */
const SEQ_LIMIT = 0x1_0000_0000;
const ORIGIN_LIMIT = 1 << 21;

function bucketOf(time_us: number): number {
  return Math.floor(time_us / BUCKET_US);
}

/**
 * A binary min-heap of (time, tie, slot). Keys are interleaved by position ([2i] = time,
 * [2i+1] = tie) so one comparison of two doubles settles each tie level and a position's key sits
 * in one cache line.
 */
class SlotHeap {
  key: Float64Array;
  slot: Int32Array;
  n = 0;
  /** Key of the entry the last pop removed. */
  popTime = 0;
  popTie = 0;

  constructor(capacity: number) {
    this.key = new Float64Array(2 * capacity);
    this.slot = new Int32Array(capacity);
  }

  push(time: number, tie: number, slot: number): void {
    if (this.n === this.slot.length) this.grow();
    const hk = this.key, hl = this.slot;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = hk[2 * p];
      if (pt < time || (pt === time && hk[2 * p + 1] < tie)) break;
      hk[2 * i] = pt; hk[2 * i + 1] = hk[2 * p + 1]; hl[i] = hl[p];
      i = p;
    }
    hk[2 * i] = time; hk[2 * i + 1] = tie; hl[i] = slot;
  }

  /** Removes the least entry (the heap is not empty); returns its slot, its key in popTime/popTie. */
  pop(): number {
    const hk = this.key, hl = this.slot;
    const slot = hl[0];
    this.popTime = hk[0];
    this.popTie = hk[1];
    const n = --this.n;
    if (n === 0) return slot;
    // Sift the last element down from the root.
    const lt = hk[2 * n], lk = hk[2 * n + 1], ll = hl[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ct = hk[2 * c];
      const r = c + 1;
      if (r < n) {
        const rt = hk[2 * r];
        if (rt < ct || (rt === ct && hk[2 * r + 1] < hk[2 * c + 1])) { c = r; ct = rt; }
      }
      if (lt < ct || (lt === ct && lk < hk[2 * c + 1])) break;
      hk[2 * i] = ct; hk[2 * i + 1] = hk[2 * c + 1]; hl[i] = hl[c];
      i = c;
    }
    hk[2 * i] = lt; hk[2 * i + 1] = lk; hl[i] = ll;
    return slot;
  }

  private grow(): void {
    const c = 2 * this.slot.length;
    const k = new Float64Array(2 * c); k.set(this.key); this.key = k;
    const s = new Int32Array(c); s.set(this.slot); this.slot = s;
  }
}

export class EventQueue {
  /** Payload by slot: [4s] target, [4s+1] kind, [4s+2] a0, [4s+3] a1. */
  private ints: Int32Array;
  private data: unknown[];
  private capacity: number;
  private free: Int32Array;
  private freeCount = 0;
  private slotsUsed = 0;
  private n = 0;

  private readonly near: SlotHeap;
  private readonly far: SlotHeap;
  /**
   * Bucket lists, by bucket mod RING: chains of chunks of CHUNK (time, tie, slot) triples, appended
   * in push order, so filling and draining a bucket both walk memory in order. Chunks come from one
   * shared store and go back to its free list when their bucket drains: the lists together hold
   * about as much memory as the events in them, not as the fullest bucket times RING.
   */
  private chunks: Float64Array;
  private chunkNext: Int32Array;
  private chunkFree: number[] = [];
  private chunksUsed = 0;
  private readonly listHead = new Int32Array(RING).fill(-1);
  private readonly listTail = new Int32Array(RING).fill(-1);
  /** Entries in each list's tail chunk. */
  private readonly tailLen = new Int32Array(RING);
  /** Events in bucket lists. */
  private bucketed = 0;
  /** The current bucket: `near` holds every event of it and of earlier ones. */
  private cur = 0;

  top_time = 0;
  top_origin = 0;
  top_seq = 0;
  top_target = 0;
  top_kind = 0;
  top_a0 = 0;
  top_a1 = 0;
  top_data: unknown = undefined;

  constructor(capacity = 1024) {
    const c = Math.max(16, capacity);
    this.ints = new Int32Array(4 * c);
    this.capacity = c;
    this.data = new Array(c).fill(undefined);
    this.free = new Int32Array(c);
    this.chunks = new Float64Array(3 * CHUNK * 64);
    this.chunkNext = new Int32Array(64);
    this.near = new SlotHeap(1024);
    this.far = new SlotHeap(1024);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    if (this.n === 0) return Infinity;
    if (this.near.n === 0) this.advance();
    return this.near.key[0];
  }

  push(time_us: number, origin: number, seq: number, target: number, kind: number,
       a0: number, a1: number, data: unknown): void {
    if (origin >= ORIGIN_LIMIT || seq >= SEQ_LIMIT) {
      throw new RangeError(`EventQueue: origin ${origin} or seq ${seq} beyond the key's range`);
    }
    let slot: number;
    if (this.freeCount > 0) slot = this.free[--this.freeCount];
    else {
      if (this.slotsUsed === this.capacity) this.grow();
      slot = this.slotsUsed++;
    }
    const ints = this.ints;
    ints[4 * slot] = target;
    ints[4 * slot + 1] = kind & 0xff; // kinds are bytes (as in the Uint8Array this replaced)
    ints[4 * slot + 2] = a0;
    ints[4 * slot + 3] = a1;
    this.data[slot] = data;
    this.n++;
    this.place(time_us, origin * SEQ_LIMIT + seq, slot);
  }

  /** Files a stored event under its bucket: the near heap, a bucket list, or the far heap. */
  private place(time: number, tie: number, slot: number): void {
    const b = bucketOf(time);
    if (b <= this.cur) this.near.push(time, tie, slot);
    else if (b < this.cur + RING) {
      const i = b & (RING - 1);
      let tail = this.listTail[i];
      let len = this.tailLen[i];
      if (tail === -1 || len === CHUNK) {
        const c = this.newChunk();
        if (tail === -1) this.listHead[i] = c;
        else this.chunkNext[tail] = c;
        this.listTail[i] = tail = c;
        len = 0;
      }
      const at = 3 * (tail * CHUNK + len);
      const chunks = this.chunks;
      chunks[at] = time;
      chunks[at + 1] = tie;
      chunks[at + 2] = slot;
      this.tailLen[i] = len + 1;
      this.bucketed++;
    } else this.far.push(time, tie, slot);
  }

  /** Moves on to the next non-empty bucket (near is empty, the queue is not). */
  private advance(): void {
    const near = this.near, far = this.far, listHead = this.listHead;
    while (near.n === 0) {
      // No bucket list holds anything: skip straight to the far heap's first bucket.
      if (this.bucketed === 0) this.cur = Math.max(this.cur, bucketOf(far.key[0]) - 1);
      const cur = ++this.cur;
      // Far events that came within the ring's reach join it (or near) before it passes them.
      while (far.n > 0 && bucketOf(far.key[0]) < cur + RING) {
        const s = far.pop();
        this.place(far.popTime, far.popTie, s);
      }
      const i = cur & (RING - 1);
      let c = listHead[i];
      if (c === -1) continue;
      const tail = this.listTail[i];
      const chunks = this.chunks;
      for (;;) {
        const len = c === tail ? this.tailLen[i] : CHUNK;
        const end = 3 * (c * CHUNK + len);
        for (let k = 3 * c * CHUNK; k < end; k += 3) near.push(chunks[k], chunks[k + 1], chunks[k + 2]);
        this.bucketed -= len;
        this.chunkFree.push(c);
        if (c === tail) break;
        c = this.chunkNext[c];
      }
      listHead[i] = -1;
      this.listTail[i] = -1;
      this.tailLen[i] = 0;
    }
  }

  private newChunk(): number {
    if (this.chunkFree.length > 0) return this.chunkFree.pop()!;
    if (this.chunksUsed === this.chunkNext.length) {
      const n = 2 * this.chunkNext.length;
      const ch = new Float64Array(3 * CHUNK * n);
      ch.set(this.chunks);
      this.chunks = ch;
      const nx = new Int32Array(n);
      nx.set(this.chunkNext);
      this.chunkNext = nx;
    }
    return this.chunksUsed++;
  }

  /** Removes the earliest event into the top_* fields; returns false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const near = this.near;
    if (near.n === 0) this.advance();
    const slot = near.pop();
    this.top_time = near.popTime;
    const tie0 = near.popTie;
    this.top_origin = Math.floor(tie0 / SEQ_LIMIT);
    this.top_seq = tie0 - this.top_origin * SEQ_LIMIT;
    const ints = this.ints;
    this.top_target = ints[4 * slot];
    this.top_kind = ints[4 * slot + 1];
    this.top_a0 = ints[4 * slot + 2];
    this.top_a1 = ints[4 * slot + 3];
    this.top_data = this.data[slot];
    this.data[slot] = undefined;
    this.free[this.freeCount++] = slot;
    this.n--;
    return true;
  }

  private grow(): void {
    const c = this.capacity * 2;
    const i32 = (a: Int32Array, n: number) => { const b = new Int32Array(n); b.set(a); return b; };
    this.ints = i32(this.ints, 4 * c);
    this.free = i32(this.free, c);
    this.capacity = c;
    const d = new Array(c).fill(undefined);
    for (let i = 0; i < this.slotsUsed; i++) d[i] = this.data[i];
    this.data = d;
  }
}
