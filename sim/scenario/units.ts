/**
 * Durations and bandwidths with units, as written in scenario files ("50ms", "100Mbps").
 *
 * Internally a duration is an integer number of microseconds and a bandwidth an integer number
 * of bits per second. Parsing rounds to the nearest integer, so "0.1ms" is exactly 100 µs even
 * though 0.1 * 1000 is not exactly 100 in binary floating point.
 */

const US_PER_UNIT: Readonly<Record<string, number>> = Object.freeze({
  us: 1,
  µs: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
});

const BPS_PER_UNIT: Readonly<Record<string, number>> = Object.freeze({
  bps: 1,
  kbps: 1e3,
  Kbps: 1e3,
  Mbps: 1e6,
  Gbps: 1e9,
  Tbps: 1e12,
});

/** Plain decimal: "12", "1.5", ".5". No sign, no exponent, no thousands separators. */
const DECIMAL = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`;

/** Regex source (anchored) for a duration string; also published in the JSON Schema. */
export const DURATION_PATTERN = `^(?:0|${DECIMAL} ?(?:us|µs|ms|s|m|h))$`;
/** Regex source (anchored) for a bandwidth string; also published in the JSON Schema. */
export const BANDWIDTH_PATTERN = `^${DECIMAL} ?(?:bps|kbps|Kbps|Mbps|Gbps|Tbps)$`;

const DURATION_RE = new RegExp(`^(${DECIMAL}) ?(us|µs|ms|s|m|h)$`);
const BANDWIDTH_RE = new RegExp(`^(${DECIMAL}) ?(bps|kbps|Kbps|Mbps|Gbps|Tbps)$`);

/** How a value looks in an error message: strings quoted, everything else by its kind. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (typeof v === 'object') return Object.keys(v).length === 0 ? 'an empty mapping' : 'a mapping';
  return typeof v;
}

export const DURATION_EXPECTED = 'a duration like "30s"';
export const BANDWIDTH_EXPECTED = 'a bandwidth like "100Mbps"';

/**
 * "250us", "50ms", "1.5s", "10s", "2m", "1h", "0" → integer µs (rounded to the nearest µs).
 * The number 0 is accepted too (YAML reads a bare `0` as a number); any other bare number is
 * rejected because its unit would be a guess.
 */
export function parseDuration(s: string | number): number {
  if (s === 0 || s === '0') return 0;
  const m = typeof s === 'string' ? DURATION_RE.exec(s.trim()) : null;
  if (m === null) throw new RangeError(`expected ${DURATION_EXPECTED}, got ${describeValue(s)}`);
  const us = Math.round(Number(m[1]) * (US_PER_UNIT[m[2]!] ?? Number.NaN));
  if (!Number.isSafeInteger(us)) throw new RangeError(`duration ${JSON.stringify(s)} is too large`);
  return us;
}

/** "100Mbps", "1Gbps", "800kbps", "1.5Gbps", "10bps" → integer bits/s (rounded). */
export function parseBandwidth(s: string): number {
  const m = typeof s === 'string' ? BANDWIDTH_RE.exec(s.trim()) : null;
  if (m === null) throw new RangeError(`expected ${BANDWIDTH_EXPECTED}, got ${describeValue(s)}`);
  const bps = Math.round(Number(m[1]) * (BPS_PER_UNIT[m[2]!] ?? Number.NaN));
  if (!Number.isSafeInteger(bps)) throw new RangeError(`bandwidth ${JSON.stringify(s)} is too large`);
  return bps;
}

/**
 * Integer µs → an exact string that parseDuration reads back to the same value, in hours when
 * whole, else seconds, milliseconds or microseconds (minutes are left out so that error messages
 * echo "60s" rather than "1m"): 0 → "0", 7_200_000_000 → "2h", 90_000_000 → "90s",
 * 1_500_000 → "1.5s", 1_250 → "1.25ms", 250 → "250us".
 */
export function formatDuration(us: number): string {
  if (!Number.isSafeInteger(us) || us < 0) throw new RangeError(`expected a non-negative integer of µs, got ${us}`);
  if (us === 0) return '0';
  if (us % 3_600_000_000 === 0) return `${us / 3_600_000_000}h`;
  if (us >= 1_000_000 && us % 1_000 === 0) return `${us / 1_000_000}s`;
  if (us >= 1_000) return `${us / 1_000}ms`;
  return `${us}us`;
}

/** Integer bits/s → a string that parseBandwidth reads back exactly: 100_000_000 → "100Mbps". */
export function formatBandwidth(bps: number): string {
  if (!Number.isSafeInteger(bps) || bps < 0) throw new RangeError(`expected a non-negative integer of bits/s, got ${bps}`);
  if (bps !== 0 && bps % 1e9 === 0) return `${bps / 1e9}Gbps`;
  if (bps !== 0 && bps % 1e6 === 0) return `${bps / 1e6}Mbps`;
  if (bps !== 0 && bps % 1e3 === 0) return `${bps / 1e3}kbps`;
  return `${bps}bps`;
}
