// IntSet and RecentIds answer exactly as the Set-based structures they replace, under random churn.
import { describe, expect, it } from 'vitest';
import { IntSet, RecentIds } from './intset.js';
import { Stream } from '../engine/random.js';

describe('IntSet', () => {
  it('matches a Set under random adds and deletes (small key range: long probe runs, many shifts)', () => {
    const r = new Stream('intset-test');
    const a = new IntSet();
    const b = new Set<number>();
    for (let step = 0; step < 60_000; step++) {
      const k = r.int(0, step < 30_000 ? 3_000 : 70_000);
      const op = r.int(0, 2);
      if (op === 0) expect(a.add(k)).toBe(!b.has(k)), b.add(k);
      else if (op === 1) expect(a.delete(k)).toBe(b.delete(k));
      else expect(a.has(k)).toBe(b.has(k));
      expect(a.size).toBe(b.size);
    }
    for (let k = 0; k <= 70_000; k++) expect(a.has(k)).toBe(b.has(k));
  });
});

describe('RecentIds', () => {
  it('matches a Set trimmed to its newest `max` entries', () => {
    for (const max of [1, 5, 64, 100, 300]) {
      const r = new Stream(`recent-${max}`);
      const a = new RecentIds(max);
      const b = new Set<number>();
      for (let step = 0; step < 5_000; step++) {
        const id = r.int(0, 4 * max);
        const fresh = !b.has(id);
        if (fresh) {
          b.add(id);
          if (b.size > max) b.delete(b.values().next().value!);
        }
        expect(a.add(id)).toBe(fresh);
        expect(a.size).toBe(b.size);
        const probe = r.int(0, 4 * max);
        expect(a.has(probe)).toBe(b.has(probe));
      }
    }
  });
});
