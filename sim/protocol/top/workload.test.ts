import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Stream } from '../../lib/random.js';
import {
  AccountPicker, ReceiverSpace, checkSchedule, checkWorkload, describeWorkload, expectedArrivals, isSystemCall,
  nextArrival, pickReceiver, rateAt, scheduleMaxRate, scheduleMaxRateFrom, zipfWeight,
  type ArrivalKind, type RateSchedule, type WorkloadSpec,
} from './workload.js';

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

/** Accounts 0..n-1 spread over T tables by a mod T. */
function modTables(n: number, T: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: T }, () => []);
  for (let a = 0; a < n; a++) lists[a % T].push(a);
  return lists.map((l) => Int32Array.from(l));
}

describe('rate schedules', () => {
  it('are deterministic: the same stream seed gives the same arrivals, picks and receivers', () => {
    // Proves contract 3 for this module: every output is a function of the seed string alone.
    const ramp: RateSchedule = { kind: 'ramp', from_tps: 10, to_tps: 300, start_us: 2 * S, end_us: 12 * S };
    const run = (seed: string) => {
      const st = new Stream(seed);
      const picker = new AccountPicker(Array.from({ length: 500 }, (_, i) => i * 3), { kind: 'zipf', s: 1.2 });
      const space = new ReceiverSpace(modTables(400, 8), { kind: 'zipf', s: 0.8 });
      const out: number[] = [];
      let t = 0;
      for (let i = 0; i < 300; i++) {
        t = nextArrival(ramp, t, st, 'poisson', 0.5)!;
        const sender = picker.pick(st) % 400;
        out.push(t, sender, pickReceiver(st, space, sender, 30), isSystemCall(st, 5) ? 1 : 0);
      }
      return out;
    };
    const a = run('7/edge/3/workload');
    expect(run('7/edge/3/workload')).toEqual(a);
    expect(run('7/edge/4/workload')).not.toEqual(a);
  });

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
});

describe('account popularity', () => {
  it('Zipf s=1 picks rank 1 about twice as often as rank 2 (2^s), and the weights follow 1/r^s', () => {
    // Proves the Zipf table: integer weights ∝ 1/r^s and sampling frequencies that match them.
    const accounts = Array.from({ length: 1000 }, (_, i) => 5000 - i); // rank order = given order, not id order
    const p = new AccountPicker(accounts, { kind: 'zipf', s: 1 });
    expect(p.weightAt(0) / p.weightAt(1)).toBeCloseTo(2, 9);
    expect(p.weightAt(0) / p.weightAt(9)).toBeCloseTo(10, 9);
    const st = new Stream('zipf');
    const counts = new Map<number, number>();
    const n = 200_000;
    for (let i = 0; i < n; i++) { const a = p.pick(st); counts.set(a, (counts.get(a) ?? 0) + 1); }
    const c1 = counts.get(5000)!;
    const c2 = counts.get(4999)!;
    expect(Math.abs(c1 / c2 - 2)).toBeLessThan(0.1);
    let h = 0;
    for (let r = 1; r <= 1000; r++) h += 1 / r;
    expect(Math.abs(c1 / n - 1 / h)).toBeLessThan(0.005);
    // Other exponents: the weight ratio of ranks 1 and 2 is 2^s.
    for (const s of [0.5, 1.5, 2]) {
      const q = new AccountPicker(accounts, { kind: 'zipf', s });
      expect(q.weightAt(0) / q.weightAt(1)).toBeCloseTo(2 ** s, 9);
    }
    // The deep tail keeps a weight of at least 1.
    expect(zipfWeight(1e6, 3, 1000)).toBe(1);
  });

  it('uniform picks cover every candidate about equally, and pickExcept never returns the excluded one', () => {
    // Proves the uniform picker's coverage and the exact exclusion (no retry loop) for every list shape.
    const strided = Array.from({ length: 50 }, (_, i) => i * 7 + 3);
    const shuffled = [9, 2, 40, 7, 0, 33];
    for (const list of [strided, shuffled, [0, 1, 2, 3, 4]]) {
      const p = new AccountPicker(list, { kind: 'uniform' });
      const st = new Stream(`u${list.length}`);
      const counts = new Map<number, number>();
      const n = 400 * list.length;
      for (let i = 0; i < n; i++) { const a = p.pick(st); counts.set(a, (counts.get(a) ?? 0) + 1); }
      expect([...counts.keys()].sort((a, b) => a - b)).toEqual([...list].sort((a, b) => a - b));
      for (const a of list) expect(Math.abs(counts.get(a)! - 400)).toBeLessThan(90);
      for (const ex of [list[0], list[list.length - 1]]) {
        for (let i = 0; i < 500; i++) expect(p.pickExcept(st, ex)).not.toBe(ex);
      }
      expect(p.indexOf(list[2])).toBe(2);
      expect(p.indexOf(-5)).toBe(-1);
    }
    const zp = new AccountPicker([4, 8], { kind: 'zipf', s: 20 });
    for (let i = 0; i < 100; i++) expect(zp.pickExcept(new Stream(`x${i}`), 4)).toBe(8);
    expect(new AccountPicker([11], { kind: 'uniform' }).pickExcept(new Stream('one'), 11)).toBe(-1);
    expect(() => new AccountPicker([], { kind: 'uniform' })).toThrow(/no accounts/);
    expect(() => new AccountPicker([3, 1, 3], { kind: 'uniform' })).toThrow(/appears twice/);
    const w = new AccountPicker([1, 2, 3], { kind: 'weights', weights: [0, 3, 1] });
    const st = new Stream('w');
    let twos = 0;
    for (let i = 0; i < 4000; i++) { const a = w.pick(st); expect(a).not.toBe(1); if (a === 2) twos++; }
    expect(Math.abs(twos - 3000)).toBeLessThan(120);
  });
});

describe('receivers and locality', () => {
  const T = 8;
  const N = 800;

  function intraShare(space: ReceiverSpace, intra: number | null, seed: string, n = 20_000): number {
    const st = new Stream(seed);
    let same = 0;
    let bad = 0; // receivers equal to the sender or outside the accounts (counted, not asserted per draw, for speed)
    for (let i = 0; i < n; i++) {
      const sender = st.int(0, N - 1);
      const r = pickReceiver(st, space, sender, intra);
      if (r === sender || !(r >= 0 && r < N)) bad++;
      else if (space.tableOf(r) === space.tableOf(sender)) same++;
    }
    expect(bad).toBe(0);
    return same / n;
  }

  it('observes the intra-table share at 0%, 50% and 100% and never picks the sender', () => {
    // Proves the locality knob (ρ = 1 − intra share) under uniform and Zipf popularity.
    for (const pop of [{ kind: 'uniform' as const }, { kind: 'zipf' as const, s: 1 }, { kind: 'zipf' as const, s: 1, scope: 'table' as const }]) {
      const space = new ReceiverSpace(modTables(N, T), pop);
      expect(intraShare(space, 0, 'i0')).toBe(0);
      expect(Math.abs(intraShare(space, 50, 'i50') - 0.5)).toBeLessThan(0.02);
      expect(intraShare(space, 100, 'i100')).toBe(1);
      expect(Math.abs(intraShare(space, 12.25, 'i12') - 0.1225)).toBeLessThan(0.015);
    }
  });

  it('natural mode gives a cross-table share of about 1 − 1/T', () => {
    // Proves the default locality reproduces §14.1's ρ ≈ 1 − 1/T with uniform accounts.
    const space = new ReceiverSpace(modTables(N, T), { kind: 'uniform' });
    expect(Math.abs(1 - intraShare(space, null, 'nat') - (1 - 1 / T))).toBeLessThan(0.01);
    const big = new ReceiverSpace(modTables(6400, 64), { kind: 'uniform' });
    const st = new Stream('nat64');
    let cross = 0;
    for (let i = 0; i < 20_000; i++) {
      const s = st.int(0, 6399);
      if (big.tableOf(pickReceiver(st, big, s, null)) !== big.tableOf(s)) cross++;
    }
    expect(Math.abs(cross / 20_000 - 0.984)).toBeLessThan(0.005);
  });

  it('falls back to the natural choice when the chosen side is empty, and ranks Zipf per scope', () => {
    // Proves the fallbacks (a sender alone in its table; a single table) and where the hot accounts are.
    const lonely = new ReceiverSpace([Int32Array.of(0), Int32Array.of(1, 2, 3), Int32Array.of()], { kind: 'uniform' });
    const st = new Stream('fb');
    for (let i = 0; i < 200; i++) {
      const r = pickReceiver(st, lonely, 0, 100);
      expect(r).not.toBe(0);
      expect(lonely.tableOf(r)).toBe(1);
    }
    const one = new ReceiverSpace([Int32Array.of(0, 1, 2)], { kind: 'uniform' });
    for (let i = 0; i < 200; i++) expect(pickReceiver(st, one, 1, 0)).not.toBe(1);
    expect(() => pickReceiver(st, new ReceiverSpace([Int32Array.of(0)], { kind: 'uniform' }), 0, null)).toThrow(/only account/);
    expect(() => new ReceiverSpace([Int32Array.of(0, 1), Int32Array.of(1)], { kind: 'uniform' })).toThrow(/appears twice/);
    expect(() => new ReceiverSpace([Int32Array.of(0, 5)], { kind: 'uniform' })).toThrow(/expected an integer in \[0, 2\)/);
    // Zipf: globally account 0 is hottest; per table, each table's first-listed account is.
    const lists = modTables(N, T).map((l) => l.slice().reverse());
    const hottest = (scope: 'global' | 'table', table: number) => {
      const sp = new ReceiverSpace(lists, { kind: 'zipf', s: 1.5, scope });
      const s2 = new Stream(`hot-${scope}`);
      const counts = new Map<number, number>();
      const sender = (table + 1) % T; // a sender in another table, all-cross draws
      for (let i = 0; i < 30_000; i++) {
        const r = pickReceiver(s2, sp, sender, 0);
        if (sp.tableOf(r) === table) counts.set(r, (counts.get(r) ?? 0) + 1);
      }
      return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
    };
    expect(hottest('global', 0)).toBe(0);
    expect(hottest('table', 0)).toBe(lists[0][0]);
  });

  it('draws system calls at their share, and draws nothing at 0%', () => {
    // Proves the system-contract knob and that turning it off leaves the stream untouched.
    const st = new Stream('sys');
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (isSystemCall(st, 2.5)) hits++;
    expect(Math.abs(hits - 2500)).toBeLessThan(250);
    const a = new Stream('sys0');
    for (let i = 0; i < 10; i++) expect(isSystemCall(a, 0)).toBe(false);
    expect(a.u32()).toBe(new Stream('sys0').u32());
    expect(() => isSystemCall(a, 101)).toThrow(/system_call_percent/);
  });
});

describe('WorkloadSpec', () => {
  it('is validated field by field and described in one line', () => {
    // Proves the bundle's checks name the path and the log line shows every knob.
    const spec: WorkloadSpec = {
      schedule: { kind: 'ramp', from_tps: 0, to_tps: 200, start_us: 10 * S, end_us: 70 * S },
      arrival: 'poisson',
      popularity: { kind: 'zipf', s: 1 },
      intra_share_percent: null,
      system_call_percent: 0,
      amount_max: 1000,
    };
    expect(checkWorkload(spec)).toBeNull();
    expect(describeWorkload(spec)).toBe('poisson ramp 0->200 tps over 10s..70s; zipf s=1 (global); intra natural; system 0%; amount 1..1000');
    expect(describeWorkload({ ...spec, arrival: 'constant', schedule: { kind: 'steps', steps: [{ at_us: 0, rate_tps: 5 }, { at_us: 1500, rate_tps: 9 }] }, popularity: { kind: 'uniform' }, intra_share_percent: 25, system_call_percent: 1.5 }))
      .toBe('constant steps 0s:5, 1500us:9 tps; uniform; intra 25%; system 1.5%; amount 1..1000');
    expect(checkWorkload({ ...spec, schedule: { kind: 'ramp', from_tps: 0, to_tps: 200, start_us: 9, end_us: 3 } })).toMatch(/^schedule\.end_us:/);
    expect(checkWorkload({ ...spec, popularity: { kind: 'zipf', s: -1 } })).toMatch(/^popularity\.s:/);
    expect(checkWorkload({ ...spec, intra_share_percent: 120 })).toMatch(/^intra_share_percent:/);
    expect(checkWorkload({ ...spec, system_call_percent: -1 })).toMatch(/^system_call_percent:/);
    expect(checkWorkload({ ...spec, amount_max: 0 })).toMatch(/^amount_max:/);
    expect(checkWorkload({ ...spec, arrival: 'burst' as ArrivalKind })).toMatch(/^arrival:/);
  });
});
