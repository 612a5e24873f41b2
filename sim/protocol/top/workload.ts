/**
 * Workload generators: what a client submits and when (PROTOCOL.md §14.1 workload knobs: rate over
 * time, account skew, locality ρ, system-contract share). Pure functions and immutable tables; every
 * random choice comes from the `Stream` the caller passes in, and every decision is an integer
 * comparison (DESIGN.md contract 3). The only floats are rates and weights computed with + - * /
 * and `Math.sqrt`, which IEEE 754 and ECMAScript fix exactly, and they are rounded to integers
 * before they decide anything.
 */
import { detLn, type Stream } from '../../lib/random.js';

// ---------------------------------------------------------------------------------------------
// Rate schedules
// ---------------------------------------------------------------------------------------------

/**
 * The total submission rate over simulated time (all clients together; each client takes a
 * `share`). Rates are transactions per second, times are integer µs.
 * - `constant`: `rate_tps` forever.
 * - `ramp`: `from_tps` before `start_us`, linear from `from_tps` to `to_tps` over
 *   [`start_us`, `end_us`), `to_tps` from `end_us` on.
 * - `steps`: 0 before the first step; step i's `rate_tps` over [`at_us`_i, `at_us`_{i+1}); the last
 *   step's rate forever. `at_us` strictly increasing.
 */
export type RateSchedule =
  | { kind: 'constant'; rate_tps: number }
  | { kind: 'ramp'; from_tps: number; to_tps: number; start_us: number; end_us: number }
  | { kind: 'steps'; steps: { at_us: number; rate_tps: number }[] };

/** How arrivals are spaced: evenly (`constant`) or as a (non-homogeneous) Poisson process. */
export type ArrivalKind = 'constant' | 'poisson';

/** Ramps are cut into this many equal parts for Poisson thinning, so a rising ramp rejects at most about half its candidates. */
const RAMP_PARTS = 64;
/** Acceptance probabilities in thinning are rounded to multiples of 2^-32 (one u32 draw). */
const ACCEPT_DEN = 0x100000000;
/** A limit on thinning work for one arrival; reaching it means the schedule is absurd (a limit on everything). */
const THINNING_STEPS_MAX = 10_000_000;

function fmtTime(t_us: number): string {
  if (t_us % 1_000_000 === 0) return `${t_us / 1_000_000}s`;
  if (t_us % 1000 === 0) return `${t_us / 1000}ms`;
  return `${t_us}us`;
}

function badRate(r: unknown): boolean {
  return typeof r !== 'number' || !Number.isFinite(r) || r < 0;
}

function badTime(t: unknown): boolean {
  return typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0;
}

/**
 * Checks that a schedule can be run: rates finite and ≥ 0, times non-negative integer µs, a ramp's
 * `end_us` > `start_us`, steps non-empty with strictly increasing `at_us`. Returns an error text
 * naming the field (relative to the schedule), or null when the schedule is valid. The other schedule
 * functions assume a valid schedule.
 */
export function checkSchedule(s: RateSchedule): string | null {
  switch (s.kind) {
    case 'constant':
      if (badRate(s.rate_tps)) return `rate_tps: expected a finite rate >= 0, got ${s.rate_tps}`;
      return null;
    case 'ramp':
      if (badRate(s.from_tps)) return `from_tps: expected a finite rate >= 0, got ${s.from_tps}`;
      if (badRate(s.to_tps)) return `to_tps: expected a finite rate >= 0, got ${s.to_tps}`;
      if (badTime(s.start_us)) return `start_us: expected an integer time >= 0 in us, got ${s.start_us}`;
      if (badTime(s.end_us)) return `end_us: expected an integer time >= 0 in us, got ${s.end_us}`;
      if (s.end_us <= s.start_us) return `end_us: expected later than start_us (${s.start_us}), got ${s.end_us}`;
      return null;
    case 'steps': {
      if (!Array.isArray(s.steps) || s.steps.length === 0) return 'steps: expected at least one step';
      for (let i = 0; i < s.steps.length; i++) {
        const st = s.steps[i];
        if (badTime(st.at_us)) return `steps[${i}].at_us: expected an integer time >= 0 in us, got ${st.at_us}`;
        if (badRate(st.rate_tps)) return `steps[${i}].rate_tps: expected a finite rate >= 0, got ${st.rate_tps}`;
        if (i > 0 && st.at_us <= s.steps[i - 1].at_us) {
          return `steps[${i}].at_us: expected later than steps[${i - 1}].at_us (${s.steps[i - 1].at_us}), got ${st.at_us}`;
        }
      }
      return null;
    }
    default:
      return `kind: expected "constant", "ramp" or "steps", got ${JSON.stringify((s as { kind: unknown }).kind)}`;
  }
}

/** Index of the last step with `at_us` ≤ t, or -1 before the first step (binary search). */
function stepIndex(steps: readonly { at_us: number }[], t_us: number): number {
  let lo = 0;
  let hi = steps.length; // answer + 1 lies in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (steps[mid].at_us <= t_us) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The total rate (tps) at time t_us. */
export function rateAt(schedule: RateSchedule, t_us: number): number {
  switch (schedule.kind) {
    case 'constant':
      return schedule.rate_tps;
    case 'ramp': {
      const s = schedule;
      if (t_us < s.start_us) return s.from_tps;
      if (t_us >= s.end_us) return s.to_tps;
      return s.from_tps + ((s.to_tps - s.from_tps) * (t_us - s.start_us)) / (s.end_us - s.start_us);
    }
    case 'steps': {
      const i = stepIndex(schedule.steps, t_us);
      return i < 0 ? 0 : schedule.steps[i].rate_tps;
    }
  }
}

/** The highest rate (tps) the schedule ever reaches. */
export function scheduleMaxRate(schedule: RateSchedule): number {
  switch (schedule.kind) {
    case 'constant':
      return schedule.rate_tps;
    case 'ramp':
      return Math.max(schedule.from_tps, schedule.to_tps);
    case 'steps': {
      let m = 0;
      for (const st of schedule.steps) if (st.rate_tps > m) m = st.rate_tps;
      return m;
    }
  }
}

/** The highest rate (tps) over [t_us, ∞): the envelope a thinning sampler may use from t_us on. */
export function scheduleMaxRateFrom(schedule: RateSchedule, t_us: number): number {
  switch (schedule.kind) {
    case 'constant':
      return schedule.rate_tps;
    case 'ramp':
      return Math.max(rateAt(schedule, t_us), schedule.to_tps);
    case 'steps': {
      const steps = schedule.steps;
      let m = 0;
      for (let i = Math.max(0, stepIndex(steps, t_us)); i < steps.length; i++) if (steps[i].rate_tps > m) m = steps[i].rate_tps;
      return m;
    }
  }
}

/**
 * The piece of the schedule that starts at u: over [u, end) the rate is linear from r0 (at u) to r1
 * (approached at end); end may be Infinity (then r1 = r0). Written into a scratch array that no call
 * keeps beyond its own synchronous run, so the hot path allocates nothing.
 */
const piece = new Float64Array(3); // [r0, r1, end]
function pieceAt(s: RateSchedule, u: number): void {
  switch (s.kind) {
    case 'constant':
      piece[0] = s.rate_tps; piece[1] = s.rate_tps; piece[2] = Infinity;
      return;
    case 'ramp': {
      if (u < s.start_us) { piece[0] = s.from_tps; piece[1] = s.from_tps; piece[2] = s.start_us; return; }
      if (u >= s.end_us) { piece[0] = s.to_tps; piece[1] = s.to_tps; piece[2] = Infinity; return; }
      const r0 = rateAt(s, u);
      if (s.to_tps <= s.from_tps) {
        // Falling (or flat): r0 bounds the rest of the ramp, no need to cut it.
        piece[0] = r0; piece[1] = s.to_tps; piece[2] = s.end_us;
        return;
      }
      // Rising: cut at the next of RAMP_PARTS equal-time grid points, so the bound (the rate at
      // the part's end) is at most twice the rate anywhere in the part except the first part.
      const d = s.end_us - s.start_us;
      let k = Math.floor(((u - s.start_us) * RAMP_PARTS) / d) + 1;
      while (k < RAMP_PARTS && s.start_us + Math.floor((k * d) / RAMP_PARTS) <= u) k++;
      const end = k >= RAMP_PARTS ? s.end_us : s.start_us + Math.floor((k * d) / RAMP_PARTS);
      piece[0] = r0; piece[1] = rateAt(s, end); piece[2] = end;
      return;
    }
    case 'steps': {
      const steps = s.steps;
      const i = stepIndex(steps, u);
      const r = i < 0 ? 0 : steps[i].rate_tps;
      piece[0] = r; piece[1] = r; piece[2] = i + 1 < steps.length ? steps[i + 1].at_us : Infinity;
      return;
    }
  }
}

/**
 * The expected number of arrivals in [from_us, to_us) for a client with the given share: the
 * integral of rate × share. For checks and reports (the arrival functions do not use it).
 */
export function expectedArrivals(schedule: RateSchedule, from_us: number, to_us: number, share = 1): number {
  let area = 0; // tps·µs
  let u = from_us;
  while (u < to_us) {
    pieceAt(schedule, u);
    const r0 = piece[0], r1 = piece[1], end = piece[2];
    const e = Math.min(end, to_us);
    const re = end === Infinity ? r0 : r0 + ((r1 - r0) * (e - u)) / (end - u);
    area += ((r0 + re) / 2) * (e - u);
    u = e;
  }
  return (area * share) / 1_000_000;
}

/**
 * The next arrival time (integer µs) strictly after t_us for a client that generates `share` of the
 * schedule's total rate, or null if the rate is 0 from t_us on for good (or the next arrival would lie
 * beyond 2^53 µs).
 *
 * - `constant`: evenly spaced in "operational time": the next arrival is where the integral of
 *   rate × share from t_us reaches one transaction. While the rate is constant this is exactly
 *   t_us + round(1e6 / (rate · share)), re-evaluated at each arrival; across a step or along a ramp
 *   the spacing follows the rate instead of waiting out a gap computed at the old rate (a ramp from 0
 *   would otherwise wait forever). No random draw.
 * - `poisson`: a non-homogeneous Poisson process by thinning (Lewis–Shedler) against a piecewise
 *   envelope: on each piece of the schedule the bound is the piece's highest rate, candidates come
 *   from `stream.expInt` at that bound, a candidate past the piece's end restarts at the end
 *   (memorylessness), and a candidate at time c is kept with probability rate(c)/bound, rounded to
 *   a multiple of 2^-32 and drawn with `stream.chance`. Zero-rate pieces are skipped without draws.
 *   Exact up to the 1 µs rounding of each gap (a gap of 0 counts as 1 µs, so one client saturates
 *   at 1e6 tps).
 *
 * The schedule must pass `checkSchedule`; share must be ≥ 0 (0 means this client never submits).
 */
export function nextArrival(
  schedule: RateSchedule,
  t_us: number,
  stream: Stream,
  arrival: ArrivalKind,
  share: number,
): number | null {
  if (!(share >= 0) || share === Infinity) throw new RangeError(`nextArrival: share must be finite and >= 0, got ${share}`);
  if (!Number.isSafeInteger(t_us)) throw new RangeError(`nextArrival: t_us must be an integer, got ${t_us}`);
  if (share === 0) return null;
  return arrival === 'poisson' ? nextPoisson(schedule, t_us, stream, share) : nextEven(schedule, t_us, share);
}

function nextEven(s: RateSchedule, t_us: number, share: number): number | null {
  const whole = 1_000_000 / share; // tps·µs of rate per arrival
  let need = whole; // still to integrate before the next arrival
  let u = t_us;
  let x: number;
  for (;;) {
    pieceAt(s, u);
    const r0 = piece[0], r1 = piece[1], end = piece[2];
    if (end === Infinity && r0 <= 0) return null;
    const area = end === Infinity ? Infinity : ((r0 + r1) / 2) * (end - u);
    if (area >= need) {
      if (r0 === r1) {
        // Constant piece; from a fresh start this is the documented 1e6 / (rate · share), bit for bit.
        x = need === whole ? u + 1_000_000 / (r0 * share) : u + need / r0;
      } else {
        // r(u + d) = r0 + k d; solve r0 d + k d²/2 = need in the cancellation-free form.
        const k = (r1 - r0) / (end - u);
        const disc = Math.max(0, r0 * r0 + 2 * k * need);
        x = u + (2 * need) / (r0 + Math.sqrt(disc));
      }
      break;
    }
    need -= area;
    u = end;
  }
  let t = Math.round(x);
  if (t <= t_us) t = t_us + 1;
  return t <= Number.MAX_SAFE_INTEGER ? t : null;
}

function nextPoisson(s: RateSchedule, t_us: number, stream: Stream, share: number): number | null {
  let u = t_us;
  for (let n = 0; n < THINNING_STEPS_MAX; n++) {
    pieceAt(s, u);
    const r0 = piece[0], r1 = piece[1], end = piece[2];
    const bound = r0 > r1 ? r0 : r1;
    if (bound <= 0) {
      if (end === Infinity) return null;
      u = end;
      continue;
    }
    const gap = stream.expInt(1_000_000 / (bound * share));
    const c = u + (gap < 1 ? 1 : gap);
    if (c >= end) { u = end; continue; }
    if (c > Number.MAX_SAFE_INTEGER) return null;
    if (r0 === r1) return c;
    const r = rateAt(s, c);
    if (r >= bound || stream.chance(Math.round((r / bound) * ACCEPT_DEN), ACCEPT_DEN)) return c;
    u = c;
  }
  throw new Error(`nextArrival: no arrival after ${THINNING_STEPS_MAX} thinning steps from ${t_us} us; the schedule's rates are too far apart`);
}

// ---------------------------------------------------------------------------------------------
// Account popularity
// ---------------------------------------------------------------------------------------------

/**
 * How popular each account is. `uniform`: all equal. `zipf`: P(rank r) ∝ 1/r^s (s ≥ 0) over a given
 * order. `scope` matters only to `ReceiverSpace`: `global` (default) ranks all accounts by id, so
 * account 0 is the hottest everywhere; `table` ranks each table's accounts by their order in that
 * table, so every table has its own hot accounts. An `AccountPicker` ranks over its own list.
 */
export type Popularity = { kind: 'uniform' } | { kind: 'zipf'; s: number; scope?: 'global' | 'table' };

/** Checks a popularity spec; returns an error text naming the field, or null. */
export function checkPopularity(p: Popularity): string | null {
  if (p.kind === 'uniform') return null;
  if (p.kind === 'zipf') {
    if (typeof p.s !== 'number' || !Number.isFinite(p.s) || p.s < 0 || p.s > 100) return `s: expected a Zipf exponent in [0, 100], got ${p.s}`;
    if (p.scope !== undefined && p.scope !== 'global' && p.scope !== 'table') return `scope: expected "global" or "table", got ${JSON.stringify(p.scope)}`;
    return null;
  }
  return `kind: expected "uniform" or "zipf", got ${JSON.stringify((p as { kind: unknown }).kind)}`;
}

const LN2 = 0.6931471805599453;

/**
 * e^x from + - * / alone (range reduction by ln 2, Taylor series, exact scaling by powers of 2), so
 * every engine gives the same bits, unlike Math.exp / Math.pow, which the spec lets engines
 * approximate.
 */
function detExp(x: number): number {
  if (x === 0) return 1;
  if (x < -745) return 0;
  if (x > 709) return Infinity;
  const k = Math.round(x / LN2);
  const f = x - k * LN2; // |f| ≤ ~0.35
  let term = 1;
  let sum = 1;
  for (let i = 1; i < 40; i++) {
    term = (term * f) / i;
    sum += term;
    if (Math.abs(term) < 1e-18) break;
  }
  if (k > 0) for (let i = 0; i < k; i++) sum *= 2;
  else for (let i = 0; i < -k; i++) sum /= 2;
  return sum;
}

/**
 * The integer Zipf weight of rank r (1-based) with exponent s and the weight `scale` for rank 1:
 * max(1, floor(scale / r^s)), with r^s = e^(s·ln r) from deterministic ln and exp. Every account
 * keeps a weight of at least 1, so none is unreachable.
 */
export function zipfWeight(rank: number, s: number, scale: number): number {
  if (s === 0 || rank === 1) return scale;
  const w = Math.floor(scale * detExp(-s * detLn(rank)));
  return w < 1 ? 1 : w;
}

/** The rank-1 weight for n candidates, chosen so the n weights sum to at most 2^53 - 1 (exact integers). */
function zipfScale(n: number): number {
  return Math.floor(Number.MAX_SAFE_INTEGER / n);
}

/**
 * Cumulative integer weights over indices 0..n-1 (all 1 when `cum` is null), with draws over a
 * weight interval minus an excluded sub-interval: one `stream.int` and one binary search, no
 * rejection loop, however much weight the excluded part holds.
 */
class Cumulative {
  readonly total: number;

  constructor(readonly n: number, private readonly cum: Float64Array | null) {
    this.total = cum === null ? n : n === 0 ? 0 : cum[n - 1];
  }

  /** Sum of the weights of indices [0, i). */
  before(i: number): number {
    return this.cum === null ? i : i === 0 ? 0 : this.cum[i - 1];
  }

  /** The index whose weight interval contains x (0 ≤ x < total). */
  indexAt(x: number): number {
    const cum = this.cum;
    if (cum === null) return x;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** An index drawn by weight from the weight interval [lo, hi) minus [exLo, exHi) ⊆ [lo, hi); -1 if that is empty. */
  draw(stream: Stream, lo: number, hi: number, exLo: number, exHi: number): number {
    const span = hi - lo - (exHi - exLo);
    if (span <= 0) return -1;
    let x = lo + stream.int(0, span - 1);
    if (x >= exLo) x += exHi - exLo;
    return this.indexAt(x);
  }
}

function buildCumulative(weights: ArrayLike<number> | null, n: number, what: string): Cumulative {
  if (weights === null) return new Cumulative(n, null);
  if (weights.length !== n) throw new RangeError(`${what}: ${n} accounts but ${weights.length} weights`);
  const cum = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`${what}: weight ${i} must be an integer >= 0, got ${w}`);
    sum += w;
    if (sum > Number.MAX_SAFE_INTEGER) throw new RangeError(`${what}: weights sum beyond 2^53 - 1`);
    cum[i] = sum;
  }
  if (n > 0 && sum === 0) throw new RangeError(`${what}: all weights are 0`);
  return new Cumulative(n, cum);
}

function zipfWeights(n: number, s: number): Float64Array {
  const scale = zipfScale(n);
  const w = new Float64Array(n);
  for (let r = 1; r <= n; r++) w[r - 1] = zipfWeight(r, s, scale);
  return w;
}

/** Explicit integer popularity weights for an `AccountPicker`, one per candidate. */
export type ExplicitWeights = { kind: 'weights'; weights: ArrayLike<number> };

/**
 * Picks accounts from a fixed candidate list by popularity. The integer cumulative table is built
 * once at construction (uniform needs none); a pick is one `stream.int` plus, for Zipf, a binary
 * search. Account ids must be distinct integers ≥ 0. Immutable after construction, so many
 * clients may share one picker (each with its own stream).
 */
export class AccountPicker {
  /** The candidates, in rank order. */
  readonly accounts: Int32Array;
  private readonly cum: Cumulative;
  private readonly lookup: 'identity' | 'sorted' | Map<number, number>;

  /**
   * A picker over `accounts` (rank order = the given order) with the given popularity, or with
   * explicit integer weights (≥ 0, not all 0, sum ≤ 2^53 - 1), one per account.
   */
  constructor(accounts: ArrayLike<number>, popularity: Popularity | ExplicitWeights) {
    let weights: ArrayLike<number> | null;
    if (popularity.kind === 'weights') {
      weights = popularity.weights;
    } else {
      const err = checkPopularity(popularity);
      if (err !== null) throw new RangeError(`AccountPicker: popularity.${err}`);
      weights = popularity.kind === 'zipf' && popularity.s > 0 ? zipfWeights(accounts.length, popularity.s) : null;
    }
    this.accounts = Int32Array.from(accounts);
    if (this.accounts.length === 0) throw new RangeError('AccountPicker: no accounts');
    this.cum = buildCumulative(weights, this.accounts.length, 'AccountPicker');
    this.lookup = AccountPicker.buildLookup(this.accounts, accounts);
  }

  private static buildLookup(a: Int32Array, given: ArrayLike<number>): 'identity' | 'sorted' | Map<number, number> {
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== given[i] || a[i] < 0) throw new RangeError(`AccountPicker: account ${i} must be an integer in [0, 2^31), got ${given[i]}`);
    }
    let identity = true;
    let sorted = true;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== i) identity = false;
      if (i > 0 && a[i] <= a[i - 1]) sorted = false;
    }
    if (identity) return 'identity';
    if (sorted) return 'sorted';
    const m = new Map<number, number>();
    for (let i = 0; i < a.length; i++) {
      if (m.has(a[i])) throw new RangeError(`AccountPicker: account ${a[i]} appears twice`);
      m.set(a[i], i);
    }
    return m;
  }

  /** Number of candidates. */
  get size(): number {
    return this.accounts.length;
  }

  /** Sum of all weights (= size for uniform). */
  get totalWeight(): number {
    return this.cum.total;
  }

  /** The integer weight of the candidate at `index` (rank index + 1). */
  weightAt(index: number): number {
    return this.cum.before(index + 1) - this.cum.before(index);
  }

  /** The position of `account` in the list, or -1 (O(1), O(log n) or a map lookup, by list shape). */
  indexOf(account: number): number {
    const a = this.accounts;
    const l = this.lookup;
    if (l === 'identity') return Number.isInteger(account) && account >= 0 && account < a.length ? account : -1;
    if (l === 'sorted') {
      let lo = 0;
      let hi = a.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (a[mid] === account) return mid;
        if (a[mid] < account) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    }
    return l.get(account) ?? -1;
  }

  /** An account drawn by popularity. */
  pick(stream: Stream): number {
    return this.accounts[this.cum.draw(stream, 0, this.cum.total, 0, 0)];
  }

  /**
   * An account drawn by popularity among all candidates except `exclude` (exactly: the excluded
   * account's weight is cut out of the draw, no retry), or -1 if `exclude` is the only candidate.
   * If `exclude` is not a candidate this is `pick`.
   */
  pickExcept(stream: Stream, exclude: number): number {
    const i = this.indexOf(exclude);
    const c = this.cum;
    const r = i < 0 ? c.draw(stream, 0, c.total, 0, 0) : c.draw(stream, 0, c.total, c.before(i), c.before(i + 1));
    return r < 0 ? -1 : this.accounts[r];
  }
}

// ---------------------------------------------------------------------------------------------
// Receivers and locality (ρ)
// ---------------------------------------------------------------------------------------------

/**
 * All accounts grouped by table, with popularity weights, built once per run and shared read-only by
 * every client. Accounts are 0..N-1 where N is the total listed; each must appear in exactly one
 * table (tables may be empty). The accounts are laid out table after table in one cumulative weight
 * table, so "the sender's table", "every other table" and "everyone but the sender" are each one
 * weight interval, and `pickReceiver` needs one draw (plus one for the intra/cross coin).
 */
export class ReceiverSpace {
  /** Number of tables. */
  readonly tables: number;
  /** Number of accounts (N). */
  readonly accounts: number;
  /** Accounts in table order (table 0's list, then table 1's, …). */
  private readonly flat: Int32Array;
  /** account → its position in `flat`. */
  private readonly pos: Int32Array;
  /** account → table. */
  private readonly table: Int32Array;
  /** Table t's accounts are flat[tableStart[t] .. tableStart[t+1]). */
  private readonly tableStart: Int32Array;
  private readonly cum: Cumulative;

  /** Builds the space; `popularity.scope` (Zipf) chooses global ranking by account id or per-table ranking by list order. */
  constructor(accountsByTable: readonly ArrayLike<number>[], popularity: Popularity) {
    const err = checkPopularity(popularity);
    if (err !== null) throw new RangeError(`ReceiverSpace: popularity.${err}`);
    const T = accountsByTable.length;
    if (T === 0) throw new RangeError('ReceiverSpace: no tables');
    let N = 0;
    for (const list of accountsByTable) N += list.length;
    this.tables = T;
    this.accounts = N;
    this.flat = new Int32Array(N);
    this.pos = new Int32Array(N).fill(-1);
    this.table = new Int32Array(N);
    this.tableStart = new Int32Array(T + 1);
    const zipf = popularity.kind === 'zipf' && popularity.s > 0;
    const weights = zipf ? new Float64Array(N) : null;
    const s = popularity.kind === 'zipf' ? popularity.s : 0;
    const perTable = popularity.kind === 'zipf' && popularity.scope === 'table';
    const scale = zipfScale(Math.max(1, N));
    let k = 0;
    for (let t = 0; t < T; t++) {
      this.tableStart[t] = k;
      const list = accountsByTable[t];
      for (let j = 0; j < list.length; j++) {
        const a = list[j];
        if (!Number.isInteger(a) || a < 0 || a >= N) throw new RangeError(`ReceiverSpace: table ${t} lists account ${a}, expected an integer in [0, ${N})`);
        if (this.pos[a] >= 0) throw new RangeError(`ReceiverSpace: account ${a} appears twice (table ${t} and table ${this.table[a]})`);
        this.flat[k] = a;
        this.pos[a] = k;
        this.table[a] = t;
        if (weights !== null) weights[k] = zipfWeight(perTable ? j + 1 : a + 1, s, scale);
        k++;
      }
    }
    this.tableStart[T] = k;
    this.cum = buildCumulative(weights, N, 'ReceiverSpace');
  }

  /** The table of `account` (RangeError if it is not an account). */
  tableOf(account: number): number {
    if (!Number.isInteger(account) || account < 0 || account >= this.accounts) throw new RangeError(`ReceiverSpace: no account ${account}`);
    return this.table[account];
  }

  /** The accounts of table t (a copy, in the given order). */
  accountsOf(t: number): Int32Array {
    return this.flat.slice(this.tableStart[t], this.tableStart[t + 1]);
  }

  /** One draw over the weight of flat positions [lo, hi) minus [exLo, exHi); an account or -1. */
  private draw(stream: Stream, lo: number, hi: number, exLo: number, exHi: number): number {
    const c = this.cum;
    const i = c.draw(stream, c.before(lo), c.before(hi), c.before(exLo), c.before(exHi));
    return i < 0 ? -1 : this.flat[i];
  }

  /** See `pickReceiver`. */
  pickReceiver(stream: Stream, sender: number, intraSharePercent: number | null): number {
    const st = this.tableOf(sender);
    const p = this.pos[sender];
    if (intraSharePercent !== null) {
      const bp = percentToBasisPoints(intraSharePercent, 'intra_share_percent');
      const lo = this.tableStart[st];
      const hi = this.tableStart[st + 1];
      const r = stream.chance(bp, 10_000) ? this.draw(stream, lo, hi, p, p + 1) : this.draw(stream, 0, this.accounts, lo, hi);
      if (r >= 0) return r;
    }
    const r = this.draw(stream, 0, this.accounts, p, p + 1);
    if (r < 0) throw new RangeError(`pickReceiver: account ${sender} is the only account, no receiver possible`);
    return r;
  }
}

/**
 * A percentage with up to two decimals as basis points (an integer out of 10,000), rounding
 * finer digits. RangeError outside [0, 100].
 */
export function percentToBasisPoints(percent: number, what = 'percent'): number {
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) throw new RangeError(`${what}: expected a percentage in [0, 100], got ${percent}`);
  return Math.round(percent * 100);
}

/**
 * The receiver of a transfer from `sender`, never the sender itself, drawn by popularity.
 * - `intraSharePercent = null` (natural locality): any account but the sender; with uniform
 *   popularity and T equal tables the cross-table share is ρ ≈ 1 − 1/T (§14.1).
 * - otherwise, with probability intraSharePercent/100 (basis points, `stream.chance`) an account of
 *   the sender's own table other than the sender, else an account of another table (weighted by
 *   popularity across all other tables). When the chosen side is empty (the sender is alone in its
 *   table, or every account is in one table) it falls back to the natural choice.
 * Draws: one `stream.chance` (none at 0% or 100%) and one `stream.int`. RangeError if the sender is
 * not an account or is the only one.
 */
export function pickReceiver(stream: Stream, space: ReceiverSpace, sender: number, intraSharePercent: number | null): number {
  return space.pickReceiver(stream, sender, intraSharePercent);
}

/**
 * Whether this transaction calls a system contract (which triggers the confirm leg, §9.4), with
 * probability sharePercent/100 in basis points. Draws nothing at 0% or 100%, so a workload without
 * system calls keeps the same stream as before the knob existed.
 */
export function isSystemCall(stream: Stream, sharePercent: number): boolean {
  return stream.chance(percentToBasisPoints(sharePercent, 'system_call_percent'), 10_000);
}

// ---------------------------------------------------------------------------------------------
// The bundle
// ---------------------------------------------------------------------------------------------

/** Everything a client needs to generate its transactions (the workload side of a scenario). */
export interface WorkloadSpec {
  /** Total rate over time, shared by all clients. */
  schedule: RateSchedule;
  arrival: ArrivalKind;
  /** Popularity of senders (within a client's accounts) and receivers. */
  popularity: Popularity;
  /** Percent of transfers whose receiver is in the sender's table; null = natural (ρ ≈ 1 − 1/T). */
  intra_share_percent: number | null;
  /** Percent of transactions that call a system contract. */
  system_call_percent: number;
  /** Amounts are uniform in [1, amount_max]. */
  amount_max: number;
}

/** Checks a workload spec; returns an error text naming the field (e.g. `schedule.end_us: …`), or null. */
export function checkWorkload(spec: WorkloadSpec): string | null {
  const se = checkSchedule(spec.schedule);
  if (se !== null) return `schedule.${se}`;
  if (spec.arrival !== 'constant' && spec.arrival !== 'poisson') return `arrival: expected "constant" or "poisson", got ${JSON.stringify(spec.arrival)}`;
  const pe = checkPopularity(spec.popularity);
  if (pe !== null) return `popularity.${pe}`;
  const pct = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 100;
  if (spec.intra_share_percent !== null && !pct(spec.intra_share_percent)) {
    return `intra_share_percent: expected a percentage in [0, 100] or null, got ${spec.intra_share_percent}`;
  }
  if (!pct(spec.system_call_percent)) return `system_call_percent: expected a percentage in [0, 100], got ${spec.system_call_percent}`;
  if (!Number.isSafeInteger(spec.amount_max) || spec.amount_max < 1) return `amount_max: expected an integer >= 1, got ${spec.amount_max}`;
  return null;
}

function describeSchedule(s: RateSchedule): string {
  switch (s.kind) {
    case 'constant':
      return `${s.rate_tps} tps`;
    case 'ramp':
      return `ramp ${s.from_tps}->${s.to_tps} tps over ${fmtTime(s.start_us)}..${fmtTime(s.end_us)}`;
    case 'steps':
      return `steps ${s.steps.map((st) => `${fmtTime(st.at_us)}:${st.rate_tps}`).join(', ')} tps`;
  }
}

/** A one-line summary for logs, e.g. `poisson ramp 0->200 tps over 10s..70s; zipf s=1 (global); intra natural; system 0%; amount 1..1000`. */
export function describeWorkload(spec: WorkloadSpec): string {
  const p = spec.popularity;
  const pop = p.kind === 'uniform' ? 'uniform' : `zipf s=${p.s} (${p.scope ?? 'global'})`;
  const intra = spec.intra_share_percent === null ? 'intra natural' : `intra ${spec.intra_share_percent}%`;
  return `${spec.arrival} ${describeSchedule(spec.schedule)}; ${pop}; ${intra}; system ${spec.system_call_percent}%; amount 1..${spec.amount_max}`;
}
