import { describe, expect, it } from 'vitest';
import { percentToBasisPoints } from './percent.js';

describe('percentToBasisPoints', () => {
  it('turns a percentage into basis points, rounding beyond two decimals, and refuses values outside [0, 100]', () => {
    // Proves the integer odds behind every percent knob and the error that names the knob.
    expect(percentToBasisPoints(0)).toBe(0);
    expect(percentToBasisPoints(100)).toBe(10_000);
    expect(percentToBasisPoints(12.25)).toBe(1225);
    expect(percentToBasisPoints(2.5)).toBe(250);
    expect(percentToBasisPoints(0.004)).toBe(0);
    expect(percentToBasisPoints(0.006)).toBe(1);
    expect(() => percentToBasisPoints(100.01, 'loss_percent')).toThrow(/^loss_percent: expected a percentage in \[0, 100\], got 100.01$/);
    expect(() => percentToBasisPoints(-0.5)).toThrow(/^percent:/);
    expect(() => percentToBasisPoints(NaN)).toThrow(/got NaN/);
    expect(() => percentToBasisPoints('5' as unknown as number)).toThrow(RangeError);
  });
});
