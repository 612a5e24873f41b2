/**
 * A node's local clock under clock faults (scenario fault kind `clock`).
 *
 * The clock reads L(t) = t + offset(t) at real time t, where offset(t) is the sum, over the
 * faults active at t (at_us <= t < until_us), of skew_us + drift_ppm * (t - at_us) / 1e6, rounded
 * down to whole µs. Between fault boundaries this is one rational linear function, so each
 * question the engine asks ("when does the clock first read at least X?") is solved per segment
 * in exact integer arithmetic (BigInt: drift times run time overflows 2^53 on long runs), and any
 * two workers that run the node compute the same µs.
 *
 * A node without clock faults never gets one of these: the engine keeps its plain arithmetic, so
 * runs without clock faults are bit-for-bit what they were.
 */

/** One clock fault of one node, as the builder hands it over. */
export interface ClockWindow {
  at_us: number;
  /** Null: never corrected. */
  until_us: number | null;
  skew_us: number;
  drift_ppm: number;
}

/** Drift is kept in parts per 10^9 (ppm to three decimals), so a fractional ppm stays exact. */
const SCALE = 1_000_000_000n;
const PPB_PER_PPM = 1000;

/** A stretch of real time with one set of active faults: L(t) = floor((a * t + s) / SCALE). */
interface Segment {
  from: number;
  a: bigint;
  s: bigint;
}

function floorDiv(x: bigint, y: bigint): bigint {
  const q = x / y;
  return q * y > x ? q - 1n : q;
}

function ceilDiv(x: bigint, y: bigint): bigint {
  const q = x / y;
  return q * y < x ? q + 1n : q;
}

export class LocalClock {
  /** Ascending by `from`; the first starts at 0 (or earlier), the last runs forever. */
  private readonly segments: Segment[] = [];

  constructor(windows: readonly ClockWindow[]) {
    for (const w of windows) {
      if (!Number.isSafeInteger(w.at_us) || !Number.isSafeInteger(w.skew_us) ||
          (w.until_us !== null && (!Number.isSafeInteger(w.until_us) || w.until_us <= w.at_us))) {
        throw new Error(`clock fault: expected integer µs with until after at, got ${JSON.stringify(w)}`);
      }
    }
    const cuts = new Set<number>([0]);
    for (const w of windows) {
      cuts.add(w.at_us);
      if (w.until_us !== null) cuts.add(w.until_us);
    }
    for (const from of [...cuts].sort((x, y) => x - y)) {
      let a = SCALE;
      let s = 0n;
      for (const w of windows) {
        if (w.at_us > from || (w.until_us !== null && w.until_us <= from)) continue;
        const d = BigInt(Math.round(w.drift_ppm * PPB_PER_PPM));
        a += d;
        s += BigInt(w.skew_us) * SCALE - d * BigInt(w.at_us);
      }
      this.segments.push({ from, a, s });
    }
  }

  private segmentAt(t: number): number {
    let i = this.segments.length - 1;
    while (i > 0 && this.segments[i].from > t) i--;
    return i;
  }

  /** The local clock's reading at real time `t` (integer µs). */
  read(t: number): number {
    const g = this.segments[this.segmentAt(t)];
    return Number(floorDiv(g.a * BigInt(Math.floor(t)) + g.s, SCALE));
  }

  /**
   * The first real time t >= `from` at which the clock reads at least `target`, or Infinity when
   * it never does (a clock stopped or running backwards for good by overlapping drifts).
   */
  firstAtLeast(from: number, target: number): number {
    const k = BigInt(Math.ceil(target)) * SCALE;
    let t = Math.ceil(from);
    for (let i = this.segmentAt(from); i < this.segments.length; i++) {
      const g = this.segments[i];
      if (i > 0 && g.from > t) t = g.from;
      const end = i + 1 < this.segments.length ? this.segments[i + 1].from : Infinity;
      if (g.a > 0n) {
        // Non-decreasing here: solve a * t + s >= k for the least integer t.
        const c = ceilDiv(k - g.s, g.a);
        const bt = BigInt(t);
        const at = c > bt ? c : bt;
        if (at < BigInt(Number.MAX_SAFE_INTEGER) && Number(at) < end) return Number(at);
      } else if (g.a * BigInt(t) + g.s >= k) {
        // Stopped or running backwards: the segment's first instant reads the most.
        return t;
      }
    }
    return Infinity;
  }
}
