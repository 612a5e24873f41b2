import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Stream } from '../lib/random.js';
import {
  checkSchedule, describeSchedule, expectedArrivals, nextArrival, rateAt, scheduleMaxRate, scheduleMaxRateFrom,
  type ArrivalKind, type RateSchedule,
} from './schedule.js';

const S = 1_000_000; // µs per second

/** All arrivals in (from, until] (the first one strictly after `from`), stopping at null. */
function arrivals(s: RateSchedule, kind: ArrivalKind, share: number, seed: string, from: number, until: number): number[] {
  const st = new Stream(seed);
  const out: number[] = [];
  let t = from;
  for (;;) {
    const n = nextArrival(s, t, st, kind, share);
    if (n === null || n > until) return out;
    out.push(n);
    t = n;
  }
}

const countIn = (xs: number[], lo: number, hi: number) => xs.filter((x) => x >= lo && x < hi).length;

describe('rate schedules', () => {
  it('spaces constant arrivals by round(1e6 / (rate · share)) µs', () => {
    // Proves the constant-arrival spacing, including a share that does not divide evenly.
    const s: RateSchedule = { kind: 'constant', rate_tps: 200 };
    const xs = arrivals(s, 'constant', 1 / 4, 'c', 1000, 1000 + 10 * 20_000);
    expect(xs).toEqual(Array.from({ length: 10 }, (_, i) => 1000 + (i + 1) * 20_000));
    const ys = arrivals({ kind: 'constant', rate_tps: 70 }, 'constant', 1 / 3, 'c', 0, 5 * S);
    const gap = Math.round(1e6 / (70 * (1 / 3)));
    expect(gap).toBe(42_857);
    for (let i = 1; i < ys.length; i++) expect(ys[i] - ys[i - 1]).toBe(gap);
    // Constant arrivals draw nothing from the stream.
    const st = new Stream('untouched');
    nextArrival(s, 0, st, 'constant', 1);
    expect(st.u32()).toBe(new Stream('untouched').u32());
  });

  it('gives Poisson arrivals at the mean rate (200 tps over 100 s within 3%) with exponential gaps', () => {
    // Proves the Poisson generator's rate and that its gaps are memoryless (coefficient of variation ≈ 1).
    const xs = arrivals({ kind: 'constant', rate_tps: 200 }, 'poisson', 1, 'p', 0, 100 * S);
    expect(Math.abs(xs.length - 20_000)).toBeLessThan(600);
    const gaps = xs.slice(1).map((x, i) => x - xs[i]);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.05);
    // A quarter share gives a quarter of the rate.
    const q = arrivals({ kind: 'constant', rate_tps: 200 }, 'poisson', 0.25, 'p4', 0, 100 * S);
    expect(Math.abs(q.length - 5_000)).toBeLessThan(300);
  });

  it('follows a ramp: arrivals in the first and last 10 s match the integral of the rate', () => {
    // Proves time-varying rates for both arrival kinds (thinning for Poisson, fluid spacing for constant).
    const s: RateSchedule = { kind: 'ramp', from_tps: 500, to_tps: 2500, start_us: 0, end_us: 100 * S };
    const first = expectedArrivals(s, 0, 10 * S);
    const last = expectedArrivals(s, 90 * S, 100 * S);
    expect(first).toBeCloseTo(6000, 6);
    expect(last).toBeCloseTo(24_000, 6);
    for (const kind of ['poisson', 'constant'] as const) {
      const xs = arrivals(s, kind, 1, `ramp-${kind}`, 0, 100 * S);
      const tol = kind === 'poisson' ? 0.05 : 0.001;
      expect(Math.abs(countIn(xs, 0, 10 * S) / first - 1)).toBeLessThan(tol);
      expect(Math.abs(countIn(xs, 90 * S, 100 * S) / last - 1)).toBeLessThan(tol);
    }
    // A ramp from 0 starts producing right away (no gap computed at rate 0), and a falling ramp works too.
    const up = arrivals({ kind: 'ramp', from_tps: 0, to_tps: 1000, start_us: 0, end_us: 10 * S }, 'constant', 1, 'u', 0, 10 * S);
    expect(Math.abs(up.length - 5000)).toBeLessThanOrEqual(2);
    expect(up[0]).toBeLessThan(0.2 * S);
    const down = arrivals({ kind: 'ramp', from_tps: 1000, to_tps: 100, start_us: 0, end_us: 10 * S }, 'poisson', 1, 'd', 0, 10 * S);
    expect(Math.abs(countIn(down, 0, S) / expectedArrivals({ kind: 'ramp', from_tps: 1000, to_tps: 100, start_us: 0, end_us: 10 * S }, 0, S) - 1)).toBeLessThan(0.1);
  });

  it('switches rate at the step times', () => {
    // Proves step boundaries are exact: no arrivals in a zero-rate step, the new spacing right after a step.
    const s: RateSchedule = { kind: 'steps', steps: [{ at_us: S, rate_tps: 100 }, { at_us: 6 * S, rate_tps: 0 }, { at_us: 8 * S, rate_tps: 400 }] };
    expect(rateAt(s, 0)).toBe(0);
    expect(rateAt(s, S)).toBe(100);
    expect(rateAt(s, 6 * S - 1)).toBe(100);
    expect(rateAt(s, 6 * S)).toBe(0);
    expect(rateAt(s, 8 * S)).toBe(400);
    expect(scheduleMaxRate(s)).toBe(400);
    expect(scheduleMaxRateFrom(s, 9 * S)).toBe(400);
    const c = arrivals(s, 'constant', 1, 'st', 0, 10 * S);
    expect(c.slice(0, 3)).toEqual([S + 10_000, S + 20_000, S + 30_000]);
    expect(countIn(c, S, 6 * S + 1)).toBe(500);
    expect(countIn(c, 6 * S + 1, 8 * S + 1)).toBe(0);
    const after = c.filter((x) => x > 8 * S);
    expect(after[0]).toBe(8 * S + 2500);
    expect(after.length).toBe(800);
    const p = arrivals(s, 'poisson', 1, 'sp', 0, 10 * S);
    expect(countIn(p, 0, S + 1)).toBe(0);
    expect(countIn(p, 6 * S + 1, 8 * S + 1)).toBe(0);
    expect(Math.abs(countIn(p, S, 6 * S) - 500)).toBeLessThan(80);
    expect(Math.abs(countIn(p, 8 * S, 10 * S) - 800)).toBeLessThan(100);
  });

  it('returns null once the rate is 0 for good', () => {
    // Proves the end-of-workload signal for every schedule kind and both arrival kinds.
    const st = new Stream('z');
    for (const kind of ['constant', 'poisson'] as const) {
      expect(nextArrival({ kind: 'constant', rate_tps: 0 }, 0, st, kind, 1)).toBeNull();
      const steps: RateSchedule = { kind: 'steps', steps: [{ at_us: 0, rate_tps: 50 }, { at_us: 2 * S, rate_tps: 0 }] };
      const xs = arrivals(steps, kind, 1, `z-${kind}`, 0, Number.MAX_SAFE_INTEGER);
      expect(xs.length).toBeGreaterThan(50);
      expect(xs[xs.length - 1]).toBeLessThanOrEqual(2 * S);
      expect(nextArrival(steps, 2 * S, st, kind, 1)).toBeNull();
      const ramp: RateSchedule = { kind: 'ramp', from_tps: 100, to_tps: 0, start_us: 0, end_us: 4 * S };
      const rs = arrivals(ramp, kind, 1, `zr-${kind}`, 0, Number.MAX_SAFE_INTEGER);
      expect(rs[rs.length - 1]).toBeLessThanOrEqual(4 * S);
      expect(Math.abs(rs.length - 200)).toBeLessThan(kind === 'constant' ? 2 : 50);
      expect(nextArrival({ kind: 'constant', rate_tps: 10 }, 0, st, kind, 0)).toBeNull();
    }
  });

  it('validates schedules and names the bad field', () => {
    // Proves impossible schedules are refused with a readable message, and valid ones pass.
    expect(checkSchedule({ kind: 'constant', rate_tps: 10 })).toBeNull();
    expect(checkSchedule({ kind: 'constant', rate_tps: -1 })).toMatch(/^rate_tps: expected a finite rate >= 0, got -1/);
    expect(checkSchedule({ kind: 'constant', rate_tps: Infinity })).toMatch(/^rate_tps:/);
    expect(checkSchedule({ kind: 'ramp', from_tps: 1, to_tps: 2, start_us: 5, end_us: 5 })).toMatch(/^end_us: expected later than start_us \(5\), got 5/);
    expect(checkSchedule({ kind: 'ramp', from_tps: 1, to_tps: -2, start_us: 0, end_us: 5 })).toMatch(/^to_tps:/);
    expect(checkSchedule({ kind: 'ramp', from_tps: 1, to_tps: 2, start_us: 0.5, end_us: 5 })).toMatch(/^start_us:/);
    expect(checkSchedule({ kind: 'steps', steps: [] })).toBe('steps: expected at least one step');
    expect(checkSchedule({ kind: 'steps', steps: [{ at_us: 0, rate_tps: 1 }, { at_us: 10, rate_tps: 2 }, { at_us: 10, rate_tps: 3 }] }))
      .toBe('steps[2].at_us: expected later than steps[1].at_us (10), got 10');
    expect(checkSchedule({ kind: 'steps', steps: [{ at_us: 0, rate_tps: NaN }] })).toMatch(/^steps\[0\]\.rate_tps:/);
    expect(checkSchedule({ kind: 'nope' } as unknown as RateSchedule)).toMatch(/^kind:/);
  });

  it('property: nextArrival strictly increases and never returns null while the rate stays positive', () => {
    // Proves progress and monotonicity over arbitrary valid schedules with positive rates, both kinds.
    const rate = fc.double({ min: 0.5, max: 5000, noNaN: true });
    const sched: fc.Arbitrary<RateSchedule> = fc.oneof(
      rate.map((r) => ({ kind: 'constant' as const, rate_tps: r })),
      fc.tuple(rate, rate, fc.integer({ min: 0, max: 5 * S }), fc.integer({ min: 1, max: 5 * S }))
        .map(([a, b, st, d]) => ({ kind: 'ramp' as const, from_tps: a, to_tps: b, start_us: st, end_us: st + d })),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 2 * S }), rate), { minLength: 1, maxLength: 6 }).map((xs) => {
        let at = 0;
        return { kind: 'steps' as const, steps: xs.map(([d, r], i) => ({ at_us: i === 0 ? 0 : (at += d), rate_tps: r })) };
      }),
    );
    fc.assert(
      fc.property(sched, fc.constantFrom<ArrivalKind>('constant', 'poisson'), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 8 * S }), fc.string(),
        (s, kind, parts, t0, seed) => {
          expect(checkSchedule(s)).toBeNull();
          const st = new Stream(seed);
          let t = t0;
          for (let i = 0; i < 40; i++) {
            const n = nextArrival(s, t, st, kind, 1 / parts);
            expect(n).not.toBeNull();
            expect(Number.isSafeInteger(n)).toBe(true);
            expect(n!).toBeGreaterThan(t);
            t = n!;
          }
        }),
      { numRuns: 300 },
    );
  });

  it('describes each schedule kind in one line for logs', () => {
    // Proves the log text names the kind, the rates and the times in their shortest unit.
    expect(describeSchedule({ kind: 'constant', rate_tps: 50 })).toBe('50 tps');
    expect(describeSchedule({ kind: 'ramp', from_tps: 0, to_tps: 200, start_us: 10 * S, end_us: 70 * S })).toBe('ramp 0->200 tps over 10s..70s');
    expect(describeSchedule({ kind: 'steps', steps: [{ at_us: 0, rate_tps: 5 }, { at_us: 1500, rate_tps: 9 }, { at_us: 2_500_001, rate_tps: 1 }] }))
      .toBe('steps 0s:5, 1500us:9, 2500001us:1 tps');
    expect(describeSchedule({ kind: 'steps', steps: [{ at_us: 3000, rate_tps: 5 }] })).toBe('steps 3ms:5 tps');
  });
});
