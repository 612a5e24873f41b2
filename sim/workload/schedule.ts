/**
 * Rate schedules and arrival processes: when a client submits, whatever the protocol family
 * (docs/PROTOCOL.md §14.1 rate over time). Pure functions; every random choice comes from the `Stream`
 * the caller passes in, and every decision is an integer comparison (docs/DESIGN.md contract 3). The only
 * floats are rates computed with + - * / and `Math.sqrt`, which IEEE 754 and ECMAScript fix exactly,
 * and they are rounded to integers before they decide anything.
 */
import type { Stream } from '../lib/random.js';

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

/** A short text for logs, e.g. `ramp 0->200 tps over 10s..70s` or `steps 0s:5, 1500us:9 tps`. */
export function describeSchedule(s: RateSchedule): string {
  switch (s.kind) {
    case 'constant':
      return `${s.rate_tps} tps`;
    case 'ramp':
      return `ramp ${s.from_tps}->${s.to_tps} tps over ${fmtTime(s.start_us)}..${fmtTime(s.end_us)}`;
    case 'steps':
      return `steps ${s.steps.map((st) => `${fmtTime(st.at_us)}:${st.rate_tps}`).join(', ')} tps`;
  }
}
