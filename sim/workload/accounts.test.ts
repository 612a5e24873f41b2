import { describe, expect, it } from 'vitest';
import { Stream } from '../lib/random.js';
import { AccountPicker, zipfWeight } from './accounts.js';

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
