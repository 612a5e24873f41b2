/** Percent knobs as integer odds, for `Stream.chance(bp, 10_000)` (docs/DESIGN.md contract 3: decisions are integer comparisons). */

/**
 * A percentage with up to two decimals as basis points (an integer out of 10,000), rounding
 * finer digits. RangeError outside [0, 100].
 */
export function percentToBasisPoints(percent: number, what = 'percent'): number {
  if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) throw new RangeError(`${what}: expected a percentage in [0, 100], got ${percent}`);
  return Math.round(percent * 100);
}
