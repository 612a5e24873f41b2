/**
 * Command-line parsing. Every mistake becomes a UsageError: one line naming the flag and what
 * was expected, exit code 2.
 */
import { parseDuration } from '../scenario/units.js';

export class UsageError extends Error {}

export interface FlagSpec {
  /** Takes a value (`--seed 7` or `--seed=7`) or is a switch (`--json`). */
  value: boolean;
}

export interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
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
      if (a.startsWith('-') && a.length > 1) throw new UsageError(`unknown option ${a} (options are ${known(spec)})`);
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name} (options are ${known(spec)})`);
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

/** A duration flag (`--duration 30s`) in µs, or undefined when not given. */
export function durationFlag(p: Parsed, name: string): number | undefined {
  const v = p.flags.get(name);
  if (typeof v !== 'string') return undefined;
  try {
    return parseDuration(v);
  } catch {
    throw new UsageError(`--${name}: expected a duration like "30s", got "${v}"`);
  }
}

export function intFlag(p: Parsed, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = p.flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got "${String(v)}"`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got "${v}"`);
  return n;
}
