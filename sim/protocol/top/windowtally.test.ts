import { describe, expect, it } from 'vitest';
import { ReceiptWindowTally } from './windowtally.js';

describe('receipt window tally', () => {
  it('averages a pair\'s use between its table\'s samples, within the window, the last state to the end', () => {
    // Three tables, window 10 s to 30 s.
    const t = new ReceiptWindowTally(3, 10e6, 30e6);
    t.sample(0, 1, 5e6);
    t.use(0, 1, 1); // full from 5 s: counts from 10 s
    t.sample(0, 2, 14e6); // 4 s full
    t.use(0, 1, 0.5);
    t.use(0, 2, 1);
    t.sample(0, 3, 16e6); // 2 s half full, 2 s full
    // A sample of an older height (its leader committed late) is ignored with its notes.
    t.sample(0, 2, 17e6);
    t.use(0, 1, 1);
    t.sample(0, 4, 20e6); // 0->1 under half from 16 s
    t.use(0, 2, 1);
    // Table 0 makes no block after 20 s: 0->2 stays full to the end (10 s more).
    t.sample(1, 1, 12e6);
    t.use(1, 0, 0.75);
    t.sample(1, 2, 40e6); // past the window's end: counts to 30 s
    t.finish();
    expect(t.fill(0, 1)).toBeCloseTo((4 + 0.5 * 2) / 20, 9);
    expect(t.fullShare(0, 1)).toBeCloseTo(4 / 20, 9);
    expect(t.fill(0, 2)).toBeCloseTo(12 / 20, 9);
    expect(t.fullShare(0, 2)).toBeCloseTo(12 / 20, 9);
    expect(t.fill(1, 0)).toBeCloseTo((0.75 * 18) / 20, 9);
    expect(t.fullShare(1, 0)).toBe(0);
    expect(t.fill(2, 0)).toBe(0);
    expect(t.fullest()).toEqual({ fill: 0.675, full: 0, from: 1, to: 0 });
  });

  it('reports no pair when no window reached half', () => {
    const t = new ReceiptWindowTally(2, 0, 10e6);
    t.sample(0, 1, 1e6);
    t.sample(1, 1, 2e6);
    t.finish();
    expect(t.fullest()).toEqual({ fill: 0, full: 0, from: -1, to: -1 });
  });
});
