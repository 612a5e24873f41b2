/**
 * How long each pair of tables had its window of unconfirmed receipts full (docs/PROTOCOL.md
 * §9.4, §14): the limits analysis's fourth limit. After committing a block it led, a table's
 * leader notes the block's height (NOTE_WINDOW_SAMPLE) and then each peer whose window that block
 * leaves full (NOTE_WINDOW_FULL); the state holds until the table's next sampled block. A pair's
 * fill is the share of the measurement window during which its window was full: at 1 it refused
 * or held every send toward the peer the whole time, and the window, not the slots, links or
 * CPU, set that pair's pace. A table that stops making blocks keeps the state its last block
 * left, so a window that stalls its table counts as full to the end.
 *
 * A sample older than one already taken for the table (another leader committed a later height
 * first) is ignored with its notes; a block whose leader was down when it was committed goes
 * unsampled, and the state before it holds.
 */
export class ReceiptWindowTally {
  /** Full time (µs) in the window per pair, at a * tables + b. */
  private readonly fullUs: Float64Array;
  /** Whether the pair's window was full at its table's last sample. */
  private readonly fullNow: Uint8Array;
  /** Per table: time and height of its last sample, and whether the notes after it count. */
  private readonly sampledAt: Float64Array;
  private readonly sampledHeight: Float64Array;
  private readonly taking: Uint8Array;

  constructor(
    private readonly tables: number,
    /** The measurement window: [from_us, end_us). */
    private readonly from_us: number,
    private readonly end_us: number,
  ) {
    this.fullUs = new Float64Array(tables * tables);
    this.fullNow = new Uint8Array(tables * tables);
    this.sampledAt = new Float64Array(tables);
    this.sampledHeight = new Float64Array(tables).fill(-1);
    this.taking = new Uint8Array(tables);
  }

  /** A leader of `table` committed its block at `height`: the table's windows as of now follow. */
  sample(table: number, height: number, now_us: number): void {
    if (height <= this.sampledHeight[table]) {
      this.taking[table] = 0;
      return;
    }
    this.close(table, now_us);
    this.sampledHeight[table] = height;
    this.sampledAt[table] = now_us;
    this.taking[table] = 1;
  }

  /** After the sample of `table`: its window toward `peer` is full. */
  full(table: number, peer: number): void {
    if (this.taking[table] === 1) this.fullNow[table * this.tables + peer] = 1;
  }

  /** Counts the full time of `table`'s pairs from its last sample to `now_us`, and clears them. */
  private close(table: number, now_us: number): void {
    const T = this.tables;
    const lo = Math.max(this.sampledAt[table], this.from_us);
    const hi = Math.min(now_us, this.end_us);
    for (let b = 0, i = table * T; b < T; b++, i++) {
      if (this.fullNow[i] === 0) continue;
      if (hi > lo) this.fullUs[i] += hi - lo;
      this.fullNow[i] = 0;
    }
  }

  /** The end of the run: each table's last state holds to the end of the window. */
  finish(): void {
    for (let a = 0; a < this.tables; a++) this.close(a, this.end_us);
  }

  /** The share of the window during which `from`'s window toward `to` was full (after finish). */
  fill(from: number, to: number): number {
    const span = this.end_us - this.from_us;
    return span > 0 ? Math.min(1, this.fullUs[from * this.tables + to] / span) : 0;
  }

  /** The fullest pair (after finish). */
  fullest(): { fill: number; from: number; to: number } {
    const T = this.tables;
    let best = { fill: 0, from: -1, to: -1 };
    for (let a = 0; a < T; a++) {
      for (let b = 0; b < T; b++) {
        const f = this.fill(a, b);
        if (f > best.fill) best = { fill: f, from: a, to: b };
      }
    }
    return best;
  }
}
