/**
 * How often each pair of tables had its window of unconfirmed receipts full (docs/PROTOCOL.md
 * §9.4, §14): the limits analysis's fourth limit. After committing a block it led, a table's
 * leader notes each peer whose window that block leaves full (receipts.ts NOTE_WINDOW_FULL); a
 * pair's fill is the share of its sending table's blocks in the measurement window after which
 * the window toward the peer was full. A pair at 1 refused or held every send toward the peer
 * that whole time: the window, not the slots, links or CPU, set that pair's pace.
 *
 * Sampled at blocks, not in time: a table's blocks come at its round time, so the share of blocks
 * is the share of time to within a round. A block whose leader was down when it was committed
 * goes unsampled (it counts as open).
 */
export class ReceiptWindowTally {
  /** Canonical blocks per table in the window. */
  private readonly blocks: Float64Array;
  /** Blocks after which the window from table a toward table b was full, at a * tables + b. */
  private readonly full: Float64Array;

  constructor(
    private readonly tables: number,
    /** The measurement window: [from_us, end). */
    private readonly from_us: number,
  ) {
    this.blocks = new Float64Array(tables);
    this.full = new Float64Array(tables * tables);
  }

  /** The first honest commit of a block of `table`. */
  block(table: number, now_us: number): void {
    if (now_us >= this.from_us) this.blocks[table]++;
  }

  /** A leader found the window from `table` toward `peer` full after its block. */
  fullAfter(table: number, peer: number, now_us: number): void {
    if (now_us >= this.from_us) this.full[table * this.tables + peer]++;
  }

  /** The share of `from`'s blocks in the window after which its window toward `to` was full. */
  fill(from: number, to: number): number {
    const n = this.blocks[from];
    return n === 0 ? 0 : Math.min(1, this.full[from * this.tables + to] / n);
  }

  /** The fullest pair: the share of its sender's blocks after which its window was full (0 to 1). */
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
