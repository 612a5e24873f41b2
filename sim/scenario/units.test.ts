import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { describeValue, echoFileName, echoText, formatBandwidth, formatDuration, parseBandwidth, parseDuration, quoteText } from './units.js';

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

  // Values beyond 2^53 µs cannot be represented exactly and are refused, naming the limit.
  test('rejects durations too large for exact integers', () => {
    expect(() => parseDuration('9999999999h')).toThrow('too large');
    expect(() => parseDuration('2500000000h')).toThrow(
      '"2500000000h" is too large: a duration is at most 9007199254740991us (2^53 - 1 µs, about 285 years)',
    );
    expect(() => parseDuration('9'.repeat(400) + 's')).toThrow(/^"9{60}…" \(401 characters\) is too large: /);
    // The largest whole number of hours that fits is accepted.
    expect(parseDuration('2501999h')).toBe(2501999 * 3_600_000_000);
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

  // Bandwidths beyond 2^53 bits/s are refused, naming the limit.
  test('rejects bandwidths too large for exact integers', () => {
    expect(() => parseBandwidth('10000Tbps')).toThrow('"10000Tbps" is too large: a bandwidth is at most 9007199254740991bps');
    expect(parseBandwidth('9000Tbps')).toBe(9e15);
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

describe('echoes of user input', () => {
  // A huge value is shown by a short prefix and its length, so an error line stays short.
  test('describeValue cuts long strings', () => {
    const big = 'x'.repeat(50 * 1024 * 1024);
    expect(describeValue(big)).toBe(`"${'x'.repeat(60)}…" (52428800 characters)`);
    expect(describeValue('short')).toBe('"short"');
    expect(describeValue(BigInt('1' + '0'.repeat(200))).length).toBeLessThanOrEqual(61);
  });

  // Bidi overrides, C1 controls (CSI), ESC, zero-width and separator characters never reach a terminal raw.
  test('control, bidi, C1 and format characters are escaped', () => {
    expect(describeValue('a\u202eb\u009b31m\u001b[0m\u200b\u2028\ufeff')).toBe(
      '"a\\u202eb\\u009b31m\\u001b[0m\\u200b\\u2028\\ufeff"',
    );
    expect(echoText('--\u202eflag')).toBe('--\\u202eflag');
    expect(quoteText('\u{e0001}x')).toBe('"\\u{e0001}x"');
    // A lone surrogate is escaped too, and a cut never splits a pair.
    expect(quoteText('\ud800')).toBe('"\\ud800"');
    expect(quoteText('😀'.repeat(70), 60)).toBe(`"${'😀'.repeat(60)}…" (140 characters)`);
    for (const s of ['\u0085', '\u061c', '\u2066', '\u00ad', '\u0000', '\u007f']) {
      expect(describeValue(s), JSON.stringify(s)).toMatch(/^"\\u[0-9a-f]{4}"$/);
    }
  });

  // A long file name keeps its end, which names the file.
  test('echoFileName keeps the end of a long path', () => {
    const p = `/tmp/${'d/'.repeat(100)}file\u202e.yaml`;
    const e = echoFileName(p);
    expect(e.length).toBeLessThanOrEqual(130);
    expect(e.startsWith('…')).toBe(true);
    expect(e.endsWith('file\\u202e.yaml')).toBe(true);
    expect(echoFileName('scenarios/default.yaml')).toBe('scenarios/default.yaml');
  });

  // YAML's typed values are named as what they are, not as a mapping.
  test('typed YAML values are named', () => {
    expect(describeValue(new Uint8Array([1, 2]))).toBe('binary data (!!binary)');
    expect(describeValue(new Set([1]))).toBe('a set (!!set)');
    expect(describeValue(new Map([[1, 2]]))).toBe('an ordered mapping (!!omap)');
  });
});
