/**
 * Per-replica flags about transactions (is it in my pool; have I handled the batch it starts),
 * laid out transaction-major (docs/DESIGN.md "Data layout for speed").
 *
 * Every replica of a table receives the same batches, and so the same transactions, within a few
 * hundred milliseconds of the others. Flags kept together per transaction are then still in cache
 * for every replica after the first. Kept per replica (a hash set each), they cost a cache miss on
 * nearly every access once a thread hosts thousands of replicas, and a table of their own each.
 *
 * A replica takes a slot among its table's replicas on this thread, a fresh one per replica
 * instance (so a replica rebuilt after a crash starts with no flags), and reads and writes only its
 * own bits: each replica's own state in a shared layout, never state that one node can see of
 * another (docs/DESIGN.md contract 5). Slot numbers depend on which replicas a thread hosts; no answer
 * does.
 */

/** Hands out slots: per table, the number of replica instances created on this thread so far. */
export class ReplicaSlots {
  private readonly taken: Int32Array;

  constructor(tables: number) {
    this.taken = new Int32Array(tables);
  }

  /** A new slot for a replica of `table`, never used before in this run. */
  take(table: number): number {
    return this.taken[table]++;
  }

  /** Slots taken so far for `table`. */
  count(table: number): number {
    return this.taken[table];
  }
}

/**
 * One bit per (transaction id, replica slot). A transaction's entry holds one bit per slot of its
 * table and is allocated at the first bit set, as wide as the table's slots at that time; a slot
 * taken later widens the entry when it sets a bit in it. Entries live in one arena for the run, as
 * the transaction store's columns do (a few words per transaction).
 */
export class TxFlags {
  /** Per transaction id: its entry's offset in `arena` (0: no entry, nothing set). */
  private offset = new Int32Array(1024);
  /** Entries: a width in 32-bit words, then that many words of bits. */
  private arena = new Int32Array(4096);
  private top = 1;

  constructor(private readonly slots: ReplicaSlots) {}

  has(tx: number, slot: number): boolean {
    const at = this.wordOf(tx, slot);
    return at >= 0 && ((this.arena[at] >>> (slot & 31)) & 1) === 1;
  }

  /** Sets the bit of `slot` (a slot of `table`, the transaction's table); false if it was set. */
  add(tx: number, table: number, slot: number): boolean {
    if (tx >= this.offset.length) this.growOffsets(tx);
    let off = this.offset[tx];
    const w = slot >>> 5;
    if (off === 0 || w >= this.arena[off]) off = this.place(tx, table, off);
    const arena = this.arena;
    const at = off + 1 + w;
    const bit = 1 << (slot & 31);
    const v = arena[at];
    if ((v & bit) !== 0) return false;
    arena[at] = v | bit;
    return true;
  }

  /** Clears the bit of `slot`; false if it was not set. */
  delete(tx: number, slot: number): boolean {
    const at = this.wordOf(tx, slot);
    if (at < 0) return false;
    const bit = 1 << (slot & 31);
    const v = this.arena[at];
    if ((v & bit) === 0) return false;
    this.arena[at] = v & ~bit;
    return true;
  }

  /** Where the word holding (tx, slot) sits in `arena`; -1 when the transaction's entry has none. */
  private wordOf(tx: number, slot: number): number {
    if (tx >= this.offset.length) return -1;
    const off = this.offset[tx];
    if (off === 0) return -1;
    const w = slot >>> 5;
    return w < this.arena[off] ? off + 1 + w : -1;
  }

  /** Gives `tx` an entry as wide as its table's slots now, carrying over the bits of `old` (0: none). */
  private place(tx: number, table: number, old: number): number {
    const width = Math.max(1, (this.slots.count(table) + 31) >>> 5);
    if (this.top + 1 + width > this.arena.length) {
      let c = this.arena.length * 2;
      while (this.top + 1 + width > c) c *= 2;
      const next = new Int32Array(c);
      next.set(this.arena.subarray(0, this.top));
      this.arena = next;
    }
    const arena = this.arena;
    const off = this.top;
    arena[off] = width;
    // A widened entry leaves its old words unused: only a replica created after the entry was
    // allocated (churn, a restart without state) ever widens one.
    if (old !== 0) for (let k = 0; k < arena[old]; k++) arena[off + 1 + k] = arena[old + 1 + k];
    this.top = off + 1 + width;
    this.offset[tx] = off;
    return off;
  }

  private growOffsets(tx: number): void {
    let c = this.offset.length * 2;
    while (c <= tx) c *= 2;
    const next = new Int32Array(c);
    next.set(this.offset);
    this.offset = next;
  }
}
