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

/**
 * Longest echo of a user's text (a value, key, flag value) in a message, in characters: a 50 MB
 * scalar or a pasted binary file is shown by its first characters and its length, never whole.
 */
export const ECHO_CHARS_MAX = 60;

/**
 * Characters that must not reach a terminal raw: C0 and C1 controls (ESC, CSI U+009B, newlines),
 * format characters (bidi overrides such as U+202E, zero-width characters, the byte-order mark),
 * line and paragraph separators, and lone surrogates.
 */
const UNSAFE_CHARS = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

function escapeChar(c: string): string {
  const cp = c.codePointAt(0)!;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

/** `s` with every control, format (bidi), separator and lone-surrogate character written as \uXXXX. */
export function escapeText(s: string): string {
  return s.replace(UNSAFE_CHARS, escapeChar);
}

/** The first `max` code points of `s` (a surrogate pair is never split), and whether it was cut. */
function prefix(s: string, max: number): { head: string; cut: boolean } {
  if (s.length <= max) return { head: s, cut: false };
  const cps = Array.from(s.slice(0, 2 * max + 2));
  return cps.length <= max ? { head: s, cut: false } : { head: cps.slice(0, max).join(''), cut: true };
}

/** User text echoed unquoted (a key, a flag name): escaped, and cut to `max` characters with "…". */
export function echoText(s: string, max = ECHO_CHARS_MAX): string {
  const { head, cut } = prefix(s, max);
  return escapeText(head) + (cut ? '…' : '');
}

/**
 * A whole message line, made printable and at most `max` characters long (escapes included):
 * the last guard of every error line, after each builder cut the values it echoes.
 */
export function clipLine(s: string, max: number): string {
  const { head, cut } = prefix(s, max);
  const e = escapeText(head);
  if (e.length <= max) return e + (cut ? '…' : '');
  // Escapes made it longer: cut again, without splitting a pair.
  return prefix(e, max - 1).head + '…';
}

/**
 * User text echoed as a quoted string: `"abc"`, or `"abcdef…" (52428800 characters)` when cut
 * (the length left out with `withLength` false).
 * Quotes and backslashes are escaped as in JSON, and so is every character escapeText escapes.
 */
export function quoteText(s: string, max = ECHO_CHARS_MAX, withLength = true): string {
  const { head, cut } = prefix(s, max);
  const q = escapeText(JSON.stringify(head));
  return cut ? `${q.slice(0, -1)}…"${withLength ? ` (${s.length} characters)` : ''}` : q;
}

/**
 * A file name as echoed in messages: escaped, and when longer than `max` characters cut at the
 * front ("…/deep/dir/file.yaml"), since the end of a path names the file.
 */
export function echoFileName(path: string, max = 120): string {
  if (path.length <= max) return escapeText(path);
  const cps = Array.from(path.length > 4 * max ? path.slice(-2 * max - 2) : path);
  return cps.length <= max ? escapeText(cps.join('')) : '…' + escapeText(cps.slice(-(max - 1)).join(''));
}

/**
 * How a value looks in an error message: strings quoted (escaped, and cut when long), everything
 * else by its kind. YAML's typed values (!!binary, !!timestamp, !!set, !!omap) are named as such.
 */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return quoteText(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return echoText(String(v));
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  if (v instanceof Uint8Array) return 'binary data (!!binary)';
  if (v instanceof Date) return 'a timestamp (!!timestamp)';
  if (v instanceof Set) return 'a set (!!set)';
  if (v instanceof Map) return 'an ordered mapping (!!omap)';
  if (typeof v === 'object') return Object.keys(v).length === 0 ? 'an empty mapping' : 'a mapping';
  return typeof v;
}

/**
 * A duration or bandwidth beyond 2^53 - 1 of its integer unit (µs, bits/s), which could not be
 * held exactly. Its message names the value and the limit.
 */
export class TooLargeError extends RangeError {}

/** The most microseconds (and bits per second) a value may hold: 2^53 - 1, about 285 years of µs. */
export const UNITS_MAX = Number.MAX_SAFE_INTEGER;

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
  if (!Number.isSafeInteger(us)) {
    throw new TooLargeError(`${quoteText(String(s))} is too large: a duration is at most ${UNITS_MAX}us (2^53 - 1 µs, about 285 years)`);
  }
  return us;
}

/** "100Mbps", "1Gbps", "800kbps", "1.5Gbps", "10bps" → integer bits/s (rounded). */
export function parseBandwidth(s: string): number {
  const m = typeof s === 'string' ? BANDWIDTH_RE.exec(s.trim()) : null;
  if (m === null) throw new RangeError(`expected ${BANDWIDTH_EXPECTED}, got ${describeValue(s)}`);
  const bps = Math.round(Number(m[1]) * (BPS_PER_UNIT[m[2]!] ?? Number.NaN));
  if (!Number.isSafeInteger(bps)) {
    throw new TooLargeError(`${quoteText(s)} is too large: a bandwidth is at most ${UNITS_MAX}bps (2^53 - 1 bits/s, about 9007Tbps)`);
  }
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
