import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventQueue } from './queue.js';

describe('EventQueue', () => {
  it('pops in (time, origin, seq) order under random pushes (property)', () => {
    // Proves contract 4: the pop order is the total key order whatever the push order,
    // including interleaved pops, with many ties on time and origin.
    const ev = fc.record({ time: fc.integer({ min: 0, max: 50 }), origin: fc.integer({ min: 0, max: 5 }) });
    fc.assert(
      fc.property(fc.array(fc.tuple(ev, fc.boolean()), { maxLength: 400 }), (ops) => {
        const q = new EventQueue(16);
        const seqs = new Map<number, number>();
        const model: [number, number, number][] = [];
        const popped: [number, number, number][] = [];
        const expected: [number, number, number][] = [];
        const cmp = (a: [number, number, number], b: [number, number, number]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
        for (const [e, popNow] of ops) {
          const seq = seqs.get(e.origin) ?? 0;
          seqs.set(e.origin, seq + 1);
          q.push(e.time, e.origin, seq, 0, 1, 0, 0, null);
          model.push([e.time, e.origin, seq]);
          if (popNow) {
            model.sort(cmp);
            expected.push(model.shift()!);
            expect(q.pop()).toBe(true);
            popped.push([q.top_time, q.top_origin, q.top_seq]);
          }
        }
        model.sort(cmp);
        while (q.pop()) popped.push([q.top_time, q.top_origin, q.top_seq]);
        expect(popped).toEqual([...expected, ...model]);
        expect(q.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('pops in key order across buckets, the ring and the far heap (property)', () => {
    // Times from the same bucket to far beyond the ring (4.2 s), pushed relative to the last pop
    // as a simulation does, and also before it, with runs of pops that empty the near heap.
    type Cmd = { delta: number; back: boolean; origin: number; pops: number };
    const delta = fc.oneof(
      fc.integer({ min: 0, max: 600 }),
      fc.integer({ min: 0, max: 50_000 }),
      fc.integer({ min: 0, max: 6_000_000 }),
      fc.integer({ min: 0, max: 40_000_000 }),
    );
    const cmd: fc.Arbitrary<Cmd> = fc.record({
      delta, back: fc.boolean(), origin: fc.integer({ min: 0, max: 3 }), pops: fc.integer({ min: 0, max: 3 }),
    });
    const cmp = (a: number[], b: number[]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 300 }), (cmds) => {
        const q = new EventQueue(16);
        const seqs = [0, 0, 0, 0];
        const model: number[][] = [];
        const popped: number[][] = [];
        const expected: number[][] = [];
        let now = 0;
        for (const c of cmds) {
          const time = c.back ? Math.max(0, now - (c.delta % 3000)) : now + c.delta;
          const seq = seqs[c.origin]!++;
          q.push(time, c.origin, seq, seq, 1, 0, 0, null);
          model.push([time, c.origin, seq]);
          for (let k = 0; k < c.pops && model.length > 0; k++) {
            model.sort(cmp);
            expected.push(model.shift()!);
            expect(q.peekTime()).toBe(expected[expected.length - 1]![0]);
            expect(q.pop()).toBe(true);
            popped.push([q.top_time, q.top_origin, q.top_seq]);
            expect(q.top_target).toBe(q.top_seq);
            now = q.top_time;
          }
          expect(q.size).toBe(model.length);
        }
        model.sort(cmp);
        while (q.pop()) popped.push([q.top_time, q.top_origin, q.top_seq]);
        expect(popped).toEqual([...expected, ...model]);
        expect(q.size).toBe(0);
        expect(q.peekTime()).toBe(Infinity);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps order over a long hold run with 20,000 events pending (the simulation\'s pattern)', () => {
    // Each pop schedules a follow-up between 0 and 6 s later: events cross bucket lists, the ring's
    // wrap-around and the far heap many times over; the pops must never go back in time.
    const q = new EventQueue(16);
    let x = 12345;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    let seq = 0;
    for (let i = 0; i < 20_000; i++) q.push(next() % 3_000_000, i % 50, seq++, 0, 1, 0, 0, null);
    let last = -1;
    let lastTie = -1;
    for (let i = 0; i < 200_000; i++) {
      expect(q.pop()).toBe(true);
      const tie = q.top_origin * 0x1_0000_0000 + q.top_seq;
      if (q.top_time === last) expect(tie).toBeGreaterThan(lastTie);
      else expect(q.top_time).toBeGreaterThan(last);
      last = q.top_time;
      lastTie = tie;
      const r = next();
      const d = r % 8 === 0 ? r % 6_000_000 : r % 2_000;
      q.push(last + d, r % 50, seq++, 0, 1, 0, 0, null);
    }
    expect(q.size).toBe(20_000);
  });

  it('carries every field and grows past its initial capacity', () => {
    // Proves the columns survive growth and that pop copies them out before the slot is reused.
    const q = new EventQueue(16);
    for (let i = 0; i < 1000; i++) q.push(1000 - i, i % 7, i, i * 2, (i % 9) + 1, i + 1, -i | 0, { i });
    let last = -1;
    let n = 0;
    while (q.pop()) {
      expect(q.top_time).toBeGreaterThanOrEqual(last);
      last = q.top_time;
      const i = q.top_seq;
      expect(q.top_target).toBe(i * 2);
      expect(q.top_kind).toBe((i % 9) + 1);
      expect(q.top_a0).toBe(i + 1);
      expect(q.top_a1).toBe(-i | 0);
      expect(q.top_data).toEqual({ i });
      n++;
    }
    expect(n).toBe(1000);
    expect(q.peekTime()).toBe(Infinity);
  });
});
