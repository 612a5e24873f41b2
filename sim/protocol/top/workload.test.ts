import { describe, expect, it } from 'vitest';
import { Stream } from '../../lib/random.js';
import { AccountPicker } from '../../workload/accounts.js';
import { nextArrival, type ArrivalKind, type RateSchedule } from '../../workload/schedule.js';
import { ReceiverSpace, checkWorkload, describeWorkload, isSystemCall, pickReceiver, type WorkloadSpec } from './workload.js';

const S = 1_000_000; // µs per second

/** Accounts 0..n-1 spread over T tables by a mod T. */
function modTables(n: number, T: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: T }, () => []);
  for (let a = 0; a < n; a++) lists[a % T].push(a);
  return lists.map((l) => Int32Array.from(l));
}

describe('a client\'s draws', () => {
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
