/**
 * Seeded random streams (docs/DESIGN.md contract 3): one `seedrandom` stream per (node, purpose),
 * seeded by a string derived from the scenario seed, e.g. "42/node/117/net". Adding a consumer
 * of one purpose never shifts the draws of another.
 *
 * Decisions use integers only: ranges, ratio probabilities. The one float function needed
 * (an exponential draw for Poisson arrivals) uses a logarithm built from + - * / alone, which
 * IEEE 754 fixes exactly, instead of Math.log, which engines may approximate differently.
 */
import seedrandom from 'seedrandom';

export function streamSeed(seed: number, scope: string, id: number, purpose: string): string {
  return `${seed}/${scope}/${id}/${purpose}`;
}

/** The ARC4 state seedrandom exposes with `{ state: true }`. */
interface Arc4State {
  i: number;
  j: number;
  S: number[];
}

/**
 * A stream draws exactly what `seedrandom(seedString).int32() >>> 0` would: seedrandom seeds it
 * (its key schedule, its discarded first 256 bytes), and the stream then runs the same ARC4 on
 * the state seedrandom hands over, in a byte array and one tight loop instead of seedrandom's
 * closure over a plain array (the draws were 4.5% of a saturated run's time).
 */
export class Stream {
  private readonly S: Uint8Array;
  private i: number;
  private j: number;

  constructor(seedString: string) {
    const prng = seedrandom(seedString, { state: true }) as seedrandom.PRNG & { state(): Arc4State };
    const st = prng.state();
    this.S = Uint8Array.from(st.S);
    this.i = st.i;
    this.j = st.j;
  }

  /** A uniform unsigned 32-bit integer: four ARC4 output bytes, the first the most significant. */
  u32(): number {
    const s = this.S;
    let i = this.i;
    let j = this.j;
    let r = 0;
    for (let k = 0; k < 4; k++) {
      i = (i + 1) & 255;
      const t = s[i];
      j = (j + t) & 255;
      const u = s[j];
      s[i] = u;
      s[j] = t;
      r = r * 256 + s[(u + t) & 255];
    }
    this.i = i;
    this.j = j;
    return r;
  }

  /** A uniform integer in [lo, hi] (inclusive), by rejection so every value is equally likely. */
  int(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new RangeError(`Stream.int: empty range [${lo}, ${hi}]`);
    const span = hi - lo + 1;
    if (span > 0x100000000) {
      // Two draws for spans beyond 32 bits (up to 2^53).
      const hiPart = this.int(0, Math.floor((span - 1) / 0x100000000));
      const loPart = this.u32();
      const v = hiPart * 0x100000000 + loPart;
      return v < span ? lo + v : this.int(lo, hi);
    }
    const limit = 0x100000000 - (0x100000000 % span);
    for (;;) {
      const x = this.u32();
      if (x < limit) return lo + (x % span);
    }
  }

  /** True with probability numerator/denominator (integers). */
  chance(numerator: number, denominator: number): boolean {
    if (numerator <= 0) return false;
    if (numerator >= denominator) return true;
    return this.int(0, denominator - 1) < numerator;
  }

  /** A uniform float in (0, 1], from 53 random bits. */
  unitOpen(): number {
    const a = this.u32() >>> 5; // 27 bits
    const b = this.u32() >>> 6; // 26 bits
    return (a * 67108864 + b + 1) / 9007199254740992;
  }

  /** An exponential draw with the given mean, rounded to an integer. */
  expInt(mean: number): number {
    return Math.round(-detLn(this.unitOpen()) * mean);
  }
}

const LN2 = 0.6931471805599453;

/**
 * Natural logarithm from basic arithmetic only, so every engine gives the same bits.
 * x = m * 2^e with m in [1, 2); ln m = 2 atanh(s), s = (m-1)/(m+1) <= 1/3, series to 1e-17.
 */
export function detLn(x: number): number {
  if (!(x > 0)) throw new RangeError(`detLn: expected x > 0, got ${x}`);
  let e = 0;
  let m = x;
  while (m >= 2) { m /= 2; e++; }
  while (m < 1) { m *= 2; e--; }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let term = s;
  let sum = 0;
  for (let k = 1; k < 80; k += 2) {
    sum += term / k;
    term *= s2;
    if (term < 1e-18) break;
  }
  return 2 * sum + e * LN2;
}
