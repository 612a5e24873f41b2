/**
 * The event queue: a binary min-heap over typed arrays.
 *
 * Order is the total key (time_us, origin_node, origin_seq), DESIGN.md contract 4:
 * - time_us first, because the simulation handles events in time order;
 * - origin_node breaks ties between different nodes by a number that does not depend on which
 *   worker or queue the event passed through;
 * - origin_seq (the count of events the origin scheduled before this one) orders the events of
 *   one origin, so two events never compare equal and ties never fall to heap internals.
 *
 * The keys live at heap positions (time, origin, seq, slot side by side per position), so sifting
 * reads neighbouring memory; an event's other fields live by slot, touched only on push and pop:
 * its four integers side by side (one cache line to fetch on a pop) and its data beside them. Popping copies the top event into the `top_*` fields and frees its slot at
 * once, so a handler may push freely. No object is allocated per event except `data`.
 */
export class EventQueue {
  /**
   * Keys by heap position, interleaved: [2i] = time_us, [2i+1] = origin * 2^32 + seq (exact:
   * origins < 2^21, seq < 2^32), so one comparison of two doubles settles each tie level and a
   * position's key sits in one cache line.
   */
  private hKey: Float64Array;
  private hSlot: Int32Array;
  /** Payload by slot: [4s] target, [4s+1] kind, [4s+2] a0, [4s+3] a1. */
  private ints: Int32Array;
  private data: unknown[];
  private capacity: number;
  private free: Int32Array;
  private freeCount = 0;
  private slotsUsed = 0;
  private n = 0;

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
    this.hKey = new Float64Array(2 * c);
    this.hSlot = new Int32Array(c);
    this.ints = new Int32Array(4 * c);
    this.capacity = c;
    this.data = new Array(c).fill(undefined);
    this.free = new Int32Array(c);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.n === 0 ? Infinity : this.hKey[0];
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
    const hk = this.hKey, hl = this.hSlot;
    const tie = origin * SEQ_LIMIT + seq;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = hk[2 * p];
      if (pt < time_us || (pt === time_us && hk[2 * p + 1] < tie)) break;
      hk[2 * i] = pt; hk[2 * i + 1] = hk[2 * p + 1]; hl[i] = hl[p];
      i = p;
    }
    hk[2 * i] = time_us; hk[2 * i + 1] = tie; hl[i] = slot;
  }

  /** Removes the earliest event into the top_* fields; returns false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const hk = this.hKey, hl = this.hSlot;
    const slot = hl[0];
    this.top_time = hk[0];
    const tie0 = hk[1];
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
    const n = --this.n;
    if (n === 0) return true;
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
    return true;
  }

  private grow(): void {
    const c = this.capacity * 2;
    const i32 = (a: Int32Array, n: number) => { const b = new Int32Array(n); b.set(a); return b; };
    const k = new Float64Array(2 * c); k.set(this.hKey); this.hKey = k;
    this.hSlot = i32(this.hSlot, c);
    this.ints = i32(this.ints, 4 * c);
    this.free = i32(this.free, c);
    this.capacity = c;
    const d = new Array(c).fill(undefined);
    for (let i = 0; i < this.slotsUsed; i++) d[i] = this.data[i];
    this.data = d;
  }
}

/** origin * 2^32 + seq stays an exact integer double below 2^53. */
const SEQ_LIMIT = 0x1_0000_0000;
const ORIGIN_LIMIT = 1 << 21;
