/**
 * Command-line parsing. Every mistake becomes a UsageError: one line naming the flag and what
 * was expected, exit code 2. What the user typed is echoed cut and escaped (echoText, quoteText),
 * and the whole line is bounded and printable whatever the arguments.
 */
import { closest } from '../scenario/errors.js';
import { clipLine, echoText, parseDuration, quoteText, TooLargeError } from '../scenario/units.js';

/** Longest UsageError line, in characters. */
const USAGE_LINE_MAX = 400;

export class UsageError extends Error {
  constructor(message: string) {
    super(clipLine(message, USAGE_LINE_MAX));
  }
}

export interface FlagSpec {
  /** Takes a value (`--seed 7` or `--seed=7`) or is a switch (`--json`). */
  value: boolean;
}

export interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

/** `--help` or `-h` among the arguments (before a `--`): the command's usage is wanted. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** "unknown option --sed (did you mean --seed?)", or the list of options when none is close. */
function unknownOption(typed: string, name: string, spec: Record<string, FlagSpec>): UsageError {
  const near = closest(name, Object.keys(spec));
  const hint = near !== undefined ? `did you mean --${near}?` : `options are ${known(spec)}`;
  return new UsageError(`unknown option ${echoText(typed)} (${hint})`);
}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      if (a.startsWith('-') && a.length > 1) throw unknownOption(a, a.slice(1).replace(/=.*$/, ''), spec);
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const s = spec[name];
    if (!s) throw unknownOption(`--${name}`, name, spec);
    if (flags.has(name)) throw new UsageError(`--${name} given twice`);
    if (s.value) {
      let v: string | undefined;
      if (eq >= 0) v = a.slice(eq + 1);
      else v = argv[++i];
      if (v === undefined || v === '' || (eq < 0 && v.startsWith('--'))) throw new UsageError(`--${name} expects a value`);
      flags.set(name, v);
    } else {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    }
  }
  return { positional, flags };
}

function known(spec: Record<string, FlagSpec>): string {
  return Object.keys(spec).map((k) => `--${k}`).join(', ');
}

/**
 * A duration string from the command line in µs, or a UsageError naming the flag: not a
 * duration, or too large to hold exactly (the message names the limit).
 */
export function parseDurationFlag(name: string, v: string): number {
  try {
    return parseDuration(v);
  } catch (e) {
    if (e instanceof TooLargeError) throw new UsageError(`--${name}: ${e.message}`);
    throw new UsageError(`--${name}: expected a duration like "30s", got ${quoteText(v)}`);
  }
}

/** A duration flag (`--duration 30s`) in µs, or undefined when not given. */
export function durationFlag(p: Parsed, name: string): number | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? parseDurationFlag(name, v) : undefined;
}

export function intFlag(p: Parsed, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return undefined;
  const expected = `--${name}: expected an integer from ${min} to ${max}`;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`${expected}, got ${quoteText(String(v))}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${expected}, got ${quoteText(v)}${n > max ? ' (too large)' : ''}`);
  }
  return n;
}
