/**
 * Sets of non-negative 32-bit integers (tx ids, batch ids) over typed arrays, for the per-replica
 * structures that every transaction touches (DESIGN.md "Data layout for speed"). A `Set<number>`
 * costs ~14-30 bytes per entry in V8 and a hash-table probe through the runtime; these cost 8-16
 * bytes per entry and an inlined probe.
 *
 * Only membership and size are offered, never iteration: nothing may depend on the order of a
 * hash table.
 */

/** A free slot. Slots hold key + 1, so a fresh (zeroed) array is an empty table. */
const EMPTY = 0;

/**
 * Open addressing with linear probing and backward-shift deletion (no tombstones, so a table
 * under constant insert/delete churn never degrades). Load stays at most 1/2; the table doubles
 * when it would exceed that and never shrinks. Keys are in [0, 2^31 - 1).
 */
export class IntSet {
  private keys: Int32Array;
  /** 32 - log2(capacity): Fibonacci hashing keeps the top bits of key * 2^32/phi. */
  private shift: number;
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 16) {
    let c = 16;
    while (c < initialCapacity) c *= 2;
    this.keys = new Int32Array(c);
    this.mask = c - 1;
    this.shift = 32 - Math.log2(c);
  }

  get size(): number {
    return this.count;
  }

  has(key: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    const stored = key + 1;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[i];
      if (k === stored) return true;
      if (k === EMPTY) return false;
      i = (i + 1) & mask;
    }
  }

  /** Adds `key`; returns false when it was already present. */
  add(key: number): boolean {
    if (2 * (this.count + 1) > this.keys.length) this.grow();
    const keys = this.keys;
    const mask = this.mask;
    const stored = key + 1;
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = keys[i];
      if (k === stored) return false;
      if (k === EMPTY) break;
      i = (i + 1) & mask;
    }
    keys[i] = stored;
    this.count++;
    return true;
  }

  /** Removes `key`; returns false when it was absent. */
  delete(key: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    const shift = this.shift;
    const stored = key + 1;
    let i = Math.imul(key, 0x9e3779b1) >>> shift;
    for (;;) {
      const k = keys[i];
      if (k === stored) break;
      if (k === EMPTY) return false;
      i = (i + 1) & mask;
    }
    // Backward shift: move later members of the probe run into the hole when their home slot
    // does not lie cyclically in (hole, their slot], so every remaining key stays reachable.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k === EMPTY) break;
      const home = Math.imul(k - 1, 0x9e3779b1) >>> shift;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = k;
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    this.count--;
    return true;
  }

  private grow(): void {
    const old = this.keys;
    const c = old.length * 2;
    const keys = new Int32Array(c);
    const mask = c - 1;
    const shift = this.shift - 1;
    for (let j = 0; j < old.length; j++) {
      const k = old[j];
      if (k === EMPTY) continue;
      let i = Math.imul(k - 1, 0x9e3779b1) >>> shift;
      while (keys[i] !== EMPTY) i = (i + 1) & mask;
      keys[i] = k;
    }
    this.keys = keys;
    this.mask = mask;
    this.shift = shift;
  }
}

/**
 * The last `max` distinct ids added, forgetting the oldest first: a ring of ids in insertion
 * order beside an IntSet of the same ids. Same answers as a `Set` trimmed by deleting its first
 * entry whenever it exceeds `max`, without the holes V8 leaves at the front of such a Set (each
 * trim there skips over every earlier deleted entry until the table is rehashed).
 */
export class RecentIds {
  private ring: Int32Array;
  /** Position of the oldest id in the ring. */
  private head = 0;
  private readonly set = new IntSet();

  constructor(private readonly max: number) {
    this.ring = new Int32Array(Math.min(max, 64));
  }

  get size(): number {
    return this.set.size;
  }

  has(id: number): boolean {
    return this.set.has(id);
  }

  /** Adds `id` unless present (then returns false), forgetting the oldest id beyond `max`. */
  add(id: number): boolean {
    const set = this.set;
    if (set.has(id)) return false;
    const n = set.size;
    if (n === this.max) {
      // Full: the new id takes the oldest one's place (the set never holds more than `max`).
      set.delete(this.ring[this.head]);
      this.ring[this.head] = id;
      this.head = this.head + 1 === this.max ? 0 : this.head + 1;
    } else {
      // Filling up: the ring holds the ids at [0, n) with head 0; it grows as needed.
      if (n === this.ring.length) {
        const r = new Int32Array(Math.min(this.max, 2 * n));
        r.set(this.ring);
        this.ring = r;
      }
      this.ring[n] = id;
    }
    set.add(id);
    return true;
  }
}

/**
 * The last `max` distinct strings added, forgetting the oldest first: the same answers as a
 * `Set<string>` trimmed by deleting its first entry whenever it exceeds `max` (as RecentIds for
 * ids). A ring of the strings beside an open-addressing table of ring positions (linear probing,
 * backward-shift deletion), hashed from the strings' first characters: ~12 bytes a string where
 * the Set costs ~38, for the certificate cache every replica keeps full (2,000 block ids).
 */
export class RecentStrings {
  private ring: string[] = [];
  /** Position of the oldest string in the ring (once full). */
  private head = 0;
  /** Ring position + 1 per slot; 0 is free. */
  private slots = new Int16Array(16);
  private shift = 28;
  private mask = 15;

  constructor(private readonly max: number) {
    if (!(Number.isInteger(max) && max >= 1 && max < 0x7fff)) throw new RangeError(`RecentStrings: max must be in [1, 32767), got ${max}`);
  }

  get size(): number {
    return this.ring.length;
  }

  /** FNV-1a over the first 16 characters (block ids are uniform hex: that is plenty). */
  private home(s: string): number {
    let h = 0x811c9dc5;
    const n = s.length < 16 ? s.length : 16;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return Math.imul(h, 0x9e3779b1) >>> this.shift;
  }

  private slotOf(s: string): number {
    const slots = this.slots;
    for (let i = this.home(s); ; i = (i + 1) & this.mask) {
      const k = slots[i];
      if (k === 0) return -1;
      if (this.ring[k - 1] === s) return i;
    }
  }

  has(s: string): boolean {
    return this.slotOf(s) >= 0;
  }

  /** Adds `s` unless present (then returns false), forgetting the oldest string beyond `max`. */
  add(s: string): boolean {
    if (this.slotOf(s) >= 0) return false;
    let pos: number;
    if (this.ring.length === this.max) {
      pos = this.head;
      this.deleteAt(this.slotOf(this.ring[pos]));
      this.ring[pos] = s;
      this.head = pos + 1 === this.max ? 0 : pos + 1;
    } else {
      pos = this.ring.length;
      this.ring.push(s);
      if (2 * this.ring.length > this.slots.length) this.grow();
    }
    let i = this.home(s);
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = pos + 1;
    return true;
  }

  private deleteAt(i: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let hole = i;
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(this.ring[slots[j] - 1]);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = 0;
  }

  /** Doubles the table and re-inserts the ring (called before the new string is placed). */
  private grow(): void {
    const c = 2 * this.slots.length;
    this.slots = new Int16Array(c);
    this.mask = c - 1;
    this.shift--;
    // Every ring entry but the newest (the caller places it).
    for (let k = 0; k < this.ring.length - 1; k++) {
      let i = this.home(this.ring[k]);
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = k + 1;
    }
  }
}
