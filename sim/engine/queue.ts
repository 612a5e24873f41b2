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
 * Slots hold each event's fields in columns; the heap orders slot numbers. Popping copies the
 * top event into the `top_*` fields and frees its slot at once, so a handler may push freely.
 * No object is allocated per event except the optional `data` reference.
 */
export class EventQueue {
  private time: Float64Array;
  private origin: Int32Array;
  private seq: Float64Array;
  private target: Int32Array;
  private kind: Uint8Array;
  private a0: Int32Array;
  private a1: Int32Array;
  private data: unknown[];
  private heap: Int32Array;
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
    this.time = new Float64Array(c);
    this.origin = new Int32Array(c);
    this.seq = new Float64Array(c);
    this.target = new Int32Array(c);
    this.kind = new Uint8Array(c);
    this.a0 = new Int32Array(c);
    this.a1 = new Int32Array(c);
    this.data = new Array(c);
    this.heap = new Int32Array(c);
    this.free = new Int32Array(c);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.n === 0 ? Infinity : this.time[this.heap[0]];
  }

  push(time_us: number, origin: number, seq: number, target: number, kind: number,
       a0: number, a1: number, data: unknown): void {
    let slot: number;
    if (this.freeCount > 0) slot = this.free[--this.freeCount];
    else {
      if (this.slotsUsed === this.time.length) this.grow();
      slot = this.slotsUsed++;
    }
    this.time[slot] = time_us;
    this.origin[slot] = origin;
    this.seq[slot] = seq;
    this.target[slot] = target;
    this.kind[slot] = kind;
    this.a0[slot] = a0;
    this.a1[slot] = a1;
    this.data[slot] = data;
    // Sift up.
    const heap = this.heap;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = heap[p];
      if (!this.less(slot, ps)) break;
      heap[i] = ps;
      i = p;
    }
    heap[i] = slot;
  }

  /** Removes the earliest event into the top_* fields; returns false when empty. */
  pop(): boolean {
    if (this.n === 0) return false;
    const heap = this.heap;
    const slot = heap[0];
    this.top_time = this.time[slot];
    this.top_origin = this.origin[slot];
    this.top_seq = this.seq[slot];
    this.top_target = this.target[slot];
    this.top_kind = this.kind[slot];
    this.top_a0 = this.a0[slot];
    this.top_a1 = this.a1[slot];
    this.top_data = this.data[slot];
    this.data[slot] = undefined;
    this.free[this.freeCount++] = slot;
    const last = heap[--this.n];
    if (this.n > 0) {
      // Sift down.
      let i = 0;
      const n = this.n;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let cs = heap[l];
        if (r < n) {
          const rs = heap[r];
          if (this.less(rs, cs)) { c = r; cs = rs; }
        }
        if (!this.less(cs, last)) break;
        heap[i] = cs;
        i = c;
      }
      heap[i] = last;
    }
    return true;
  }

  private less(a: number, b: number): boolean {
    const ta = this.time[a], tb = this.time[b];
    if (ta !== tb) return ta < tb;
    const oa = this.origin[a], ob = this.origin[b];
    if (oa !== ob) return oa < ob;
    return this.seq[a] < this.seq[b];
  }

  private grow(): void {
    const c = this.time.length * 2;
    const f64 = (a: Float64Array) => { const b = new Float64Array(c); b.set(a); return b; };
    const i32 = (a: Int32Array) => { const b = new Int32Array(c); b.set(a); return b; };
    this.time = f64(this.time);
    this.seq = f64(this.seq);
    this.origin = i32(this.origin);
    this.target = i32(this.target);
    this.a0 = i32(this.a0);
    this.a1 = i32(this.a1);
    this.heap = i32(this.heap);
    this.free = i32(this.free);
    const k = new Uint8Array(c); k.set(this.kind); this.kind = k;
    this.data.length = c;
  }
}
