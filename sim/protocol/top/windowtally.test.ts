import { describe, expect, it } from 'vitest';
import { ReceiptWindowTally } from './windowtally.js';

describe('receipt window tally', () => {
  it('counts the time a pair was full between its table\'s samples, within the window, and the last state to the end', () => {
    // Three tables, window 10 s to 30 s.
    const t = new ReceiptWindowTally(3, 10e6, 30e6);
    t.sample(0, 1, 5e6);
    t.full(0, 1); // full from 5 s: counts from 10 s
    t.sample(0, 2, 14e6); // 4 s full
    t.full(0, 1);
    t.full(0, 2);
    t.sample(0, 3, 16e6); // 2 s more for both
    // A sample of an older height (its leader committed late) is ignored with its notes.
    t.sample(0, 2, 17e6);
    t.full(0, 1);
    t.sample(0, 4, 20e6); // 0->1 was open from 16 s
    t.full(0, 2);
    // Table 0 makes no block after 20 s: 0->2 stays full to the end (10 s more).
    t.sample(1, 1, 12e6);
    t.full(1, 0);
    t.sample(1, 2, 40e6); // past the window's end: counts to 30 s
    t.finish();
    expect(t.fill(0, 1)).toBeCloseTo(6 / 20, 9);
    expect(t.fill(0, 2)).toBeCloseTo(12 / 20, 9);
    expect(t.fill(1, 0)).toBeCloseTo(18 / 20, 9);
    expect(t.fill(2, 0)).toBe(0);
    expect(t.fullest()).toEqual({ fill: 0.9, from: 1, to: 0 });
  });

  it('reports no pair when no window was ever full', () => {
    const t = new ReceiptWindowTally(2, 0, 10e6);
    t.sample(0, 1, 1e6);
    t.sample(1, 1, 2e6);
    t.finish();
    expect(t.fullest()).toEqual({ fill: 0, from: -1, to: -1 });
  });
});
