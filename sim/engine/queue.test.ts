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
