import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatBandwidth, formatDuration, parseBandwidth, parseDuration } from './units.js';

describe('parseDuration', () => {
  // Every unit the file format documents converts to integer microseconds.
  test.each([
    ['250us', 250],
    ['250µs', 250],
    ['50ms', 50_000],
    ['1.5s', 1_500_000],
    ['10s', 10_000_000],
    ['2m', 120_000_000],
    ['1h', 3_600_000_000],
    ['0', 0],
    ['0s', 0],
    ['.5ms', 500],
    ['20 ms', 20_000],
  ])('%s -> %i µs', (s, us) => {
    expect(parseDuration(s)).toBe(us);
  });

  // Fractions are rounded to the nearest µs, so binary floating point never leaks a non-integer.
  test('rounds to an integer number of microseconds', () => {
    expect(parseDuration('0.1ms')).toBe(100);
    expect(parseDuration('0.0004ms')).toBe(0);
    expect(parseDuration('0.0006ms')).toBe(1);
    expect(Number.isInteger(parseDuration('1.234567s'))).toBe(true);
  });

  // A bare zero needs no unit (YAML reads `0` as a number); any other bare number is ambiguous.
  test('accepts the number 0 but no other bare number', () => {
    expect(parseDuration(0)).toBe(0);
    expect(() => parseDuration(30)).toThrow('expected a duration like "30s", got 30');
  });

  // Garbage, negatives, exponents, unknown units and NaN are rejected with the offending value.
  test.each(['soon', '-5s', '5', '5 s s', '1e3ms', '5sec', '5S', 'NaN', '', 'ms', '1.s', '5d'])('rejects %j', (s) => {
    expect(() => parseDuration(s)).toThrow(`expected a duration like "30s", got ${JSON.stringify(s)}`);
  });

  // Values beyond 2^53 µs cannot be represented exactly and are refused.
  test('rejects durations too large for exact integers', () => {
    expect(() => parseDuration('9999999999h')).toThrow('too large');
  });
});

describe('parseBandwidth', () => {
  // Every documented bandwidth unit converts to integer bits per second.
  test.each([
    ['100Mbps', 100_000_000],
    ['1Gbps', 1_000_000_000],
    ['800kbps', 800_000],
    ['1.5Gbps', 1_500_000_000],
    ['10bps', 10],
    ['2Kbps', 2_000],
  ])('%s -> %i bps', (s, bps) => {
    expect(parseBandwidth(s)).toBe(bps);
  });

  // Byte units, bare numbers and garbage are rejected with the offending value.
  test.each(['100MB', '100', 'fast', '-1Mbps', '100mbps', '1 Gb/s'])('rejects %j', (s) => {
    expect(() => parseBandwidth(s)).toThrow(`expected a bandwidth like "100Mbps", got ${JSON.stringify(s)}`);
  });
});

describe('formatting', () => {
  // The formatter picks readable units, and echoes seconds rather than minutes.
  test('formats with readable units', () => {
    expect(formatDuration(0)).toBe('0');
    expect(formatDuration(250)).toBe('250us');
    expect(formatDuration(1_250)).toBe('1.25ms');
    expect(formatDuration(50_000)).toBe('50ms');
    expect(formatDuration(1_500_000)).toBe('1.5s');
    expect(formatDuration(60_000_000)).toBe('60s');
    expect(formatDuration(7_200_000_000)).toBe('2h');
    expect(formatBandwidth(100_000_000)).toBe('100Mbps');
    expect(formatBandwidth(1_500_000_000)).toBe('1500Mbps');
    expect(formatBandwidth(1_234)).toBe('1234bps');
  });

  // Formatting then parsing gives back the exact integer, for any duration up to ~115 days.
  test('formatDuration round-trips through parseDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000_000 }), (us) => parseDuration(formatDuration(us)) === us),
      { numRuns: 2000 },
    );
  });

  // Formatting then parsing gives back the exact integer bandwidth.
  test('formatBandwidth round-trips through parseBandwidth', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000_000_000 }), (bps) => parseBandwidth(formatBandwidth(bps)) === bps),
      { numRuns: 2000 },
    );
  });
});
