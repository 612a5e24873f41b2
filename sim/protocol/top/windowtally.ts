/**
 * How full each pair of tables kept its window of unconfirmed receipts (docs/PROTOCOL.md §9.4,
 * §14): the limits analysis's fourth limit. After committing a block it led, a table's leader
 * notes the block's height (NOTE_WINDOW_SAMPLE) and then each peer whose window that block leaves
 * at least half full, with its use (unconfirmed ÷ window; NOTE_WINDOW_USE); the state holds until
 * the table's next sampled block. A pair's fill is its use averaged over the measurement window,
 * a use under half counting as none (it matters only near the 80% at which a limit binds); its
 * full share is the part of the window during which it was full, refusing or holding every send
 * toward the peer. A table that stops making blocks keeps the state its last block left, so a
 * window that stalls its table counts as full to the end.
 *
 * A sample older than one already taken for the table (another leader committed a later height
 * first) is ignored with its notes; a block whose leader was down when it was committed goes
 * unsampled, and the state before it holds.
 */
/** Observe.note kind: a leader committed its block (`chain` its table, `value` the height). */
export const NOTE_WINDOW_SAMPLE = 1;
/** Observe.note kind: after that block, a peer's window is at least half full (`value`: windowUseValue). */
export const NOTE_WINDOW_USE = 2;
/** The least use of a window (unconfirmed ÷ window) that the leader notes. */
export const WINDOW_NOTE_FROM = 0.5;

/** A NOTE_WINDOW_USE value: the use in per mille and the peer table, in one number. */
export function windowUseValue(use: number, peer: number, tables: number): number {
  return Math.round(use * 1000) * tables + peer;
}

export class ReceiptWindowTally {
  /** Per pair, at a * tables + b: use × µs, and µs full, in the window. */
  private readonly useUs: Float64Array;
  private readonly fullUs: Float64Array;
  /** The pair's use at its table's last sample (0 when under half). */
  private readonly useNow: Float64Array;
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
    this.useUs = new Float64Array(tables * tables);
    this.fullUs = new Float64Array(tables * tables);
    this.useNow = new Float64Array(tables * tables);
    this.sampledAt = new Float64Array(tables);
    this.sampledHeight = new Float64Array(tables).fill(-1);
    this.taking = new Uint8Array(tables);
  }

  /** A record of the leaders' (Observe.note); other kinds are not the tally's. */
  note(kind: number, table: number, value: number, now_us: number): void {
    if (kind === NOTE_WINDOW_SAMPLE) this.sample(table, value, now_us);
    else if (kind === NOTE_WINDOW_USE) this.use(table, value % this.tables, Math.floor(value / this.tables) / 1000);
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

  /** After the sample of `table`: its window toward `peer` is `use` full (0.5 to 1). */
  use(table: number, peer: number, use: number): void {
    if (this.taking[table] === 1) this.useNow[table * this.tables + peer] = use;
  }

  /** Counts `table`'s pairs from its last sample to `now_us`, and clears them. */
  private close(table: number, now_us: number): void {
    const T = this.tables;
    const span = Math.min(now_us, this.end_us) - Math.max(this.sampledAt[table], this.from_us);
    for (let b = 0, i = table * T; b < T; b++, i++) {
      const u = this.useNow[i];
      if (u === 0) continue;
      if (span > 0) {
        this.useUs[i] += u * span;
        if (u >= 1) this.fullUs[i] += span;
      }
      this.useNow[i] = 0;
    }
  }

  /** The end of the run: each table's last state holds to the end of the window. */
  finish(): void {
    for (let a = 0; a < this.tables; a++) this.close(a, this.end_us);
  }

  /** The use of `from`'s window toward `to`, averaged over the window (after finish). */
  fill(from: number, to: number): number {
    return this.share(this.useUs[from * this.tables + to]);
  }

  /** The share of the window during which `from`'s window toward `to` was full (after finish). */
  fullShare(from: number, to: number): number {
    return this.share(this.fullUs[from * this.tables + to]);
  }

  private share(us: number): number {
    const span = this.end_us - this.from_us;
    return span > 0 ? Math.min(1, us / span) : 0;
  }

  /** The fullest pair by fill (after finish), and the share of the window it was full. */
  fullest(): { fill: number; full: number; from: number; to: number } {
    const T = this.tables;
    let best = { fill: 0, full: 0, from: -1, to: -1 };
    for (let a = 0; a < T; a++) {
      for (let b = 0; b < T; b++) {
        const f = this.fill(a, b);
        if (f > best.fill) best = { fill: f, full: this.fullShare(a, b), from: a, to: b };
      }
    }
    return best;
  }
}
