/**
 * A bounded memory of recent strings for a per-replica structure that every certificate touches
 * (docs/DESIGN.md "Data layout for speed"). It offers membership and size, never iteration: nothing may
 * depend on the order of a hash table.
 */

/**
 * The last `max` distinct strings added, forgetting the oldest first: the same answers as a
 * `Set<string>` trimmed by deleting its first entry whenever it exceeds `max`, without the holes
 * V8 leaves at the front of such a Set (each trim there skips over every earlier deleted entry
 * until the table is rehashed). A ring of the strings beside an open-addressing table of ring
 * positions (linear probing, backward-shift deletion), hashed from the strings' first characters:
 * ~12 bytes a string where the Set costs ~38, for the certificate cache every replica keeps full
 * (2,000 block ids).
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
