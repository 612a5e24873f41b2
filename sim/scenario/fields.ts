/**
 * Building blocks of the scenario format, shared by the generic envelope (./schema.ts) and each
 * family's sections (FamilyConfig): bounded numbers, durations and bandwidths with units, node
 * selectors. Each carries its own "expected ..." wording, used for both a wrong type and a value
 * out of range, so the message for `validators: 0` and `validators: "7"` reads the same.
 */
import { z } from 'zod';
import { expectedGot } from './errors.js';
import { selectorPattern, type Vocabulary } from './selectors.js';
import {
  BANDWIDTH_EXPECTED,
  BANDWIDTH_PATTERN,
  DURATION_EXPECTED,
  DURATION_PATTERN,
  formatDuration,
  parseBandwidth,
  parseDuration,
  TooLargeError,
} from './units.js';

/** Limits on topology sizes: beyond these a single-machine run is not meaningful yet. */
export const NODES_PER_ROLE_MAX = 512;

/*
 * Every number has a bound, so that a file that validates describes a run that can end on one
 * machine (see scenarios/README.md, "Limits"); what the bounds cannot catch alone (a topology or a
 * load too large for the memory) the command line estimates before it builds the run.
 */
/** Longest simulated time of a run, and of any duration in a scenario: one week. */
export const DURATION_MAX_US = 7 * 24 * 3_600_000_000;
/** Most user accounts. */
export const ACCOUNTS_MAX = 10_000_000;
/** Highest offered rate over all clients, and per edge (arrival times are whole µs). */
export const RATE_TPS_MAX = 10_000_000;
export const RATE_TPS_PER_EDGE_MAX = 1_000_000;
/** Largest message part (bytes), and the largest per-operation CPU cost (µs). */
export const BYTES_MAX = 100_000_000;
export const COST_US_MAX = 10_000_000;
/** Fastest link (bits per second). */
export const BANDWIDTH_MAX_BPS = 1e12;
/** Transaction counts in protocol settings (block sizes, pool capacities, caps). */
export const COUNT_MAX = 1_000_000;

/** zod `error` option: "expected <what>, got <input>". */
export function expecting(what: string): { error: (iss: { input?: unknown }) => string } {
  return { error: (iss) => expectedGot(what, iss.input) };
}

function intWords(min: number, max: number | undefined): string {
  if (max !== undefined) return `an integer from ${min} to ${max}`;
  if (min === 0) return 'a non-negative integer';
  if (min === 1) return 'a positive integer';
  return `an integer of at least ${min}`;
}

/** A safe integer in [min, max]. */
export function int(min: number, max?: number) {
  const e = expecting(intWords(min, max));
  const base = z.number(e).int(e).min(min, e);
  return max === undefined ? base : base.max(max, e);
}

/** A finite number in [min, max]. */
export function num(min: number, max?: number) {
  const e = expecting(max === undefined ? (min === 0 ? 'a non-negative number' : `a number of at least ${min}`) : `a number from ${min} to ${max}`);
  const base = z.number(e).min(min, e);
  return max === undefined ? base : base.max(max, e);
}

export const percent = () => num(0, 100);

/**
 * A duration string ("30s") → integer µs. `positive` rejects zero. A bare `0` is accepted where
 * zero is allowed, since YAML reads it as a number and it needs no unit.
 */
export function duration(opts: { positive: boolean }) {
  const what = opts.positive ? `${DURATION_EXPECTED} (greater than 0)` : DURATION_EXPECTED;
  const e = expecting(what);
  const str = z.string(e).regex(new RegExp(DURATION_PATTERN), e);
  const input = opts.positive ? str : z.union([str, z.literal(0)], e);
  return input.transform((s, ctx) => {
    const us = attempt(() => parseDuration(s));
    if (typeof us !== 'number' || (opts.positive && us <= 0)) {
      ctx.issues.push({ code: 'custom', input: s, message: us instanceof TooLargeError ? us.message : expectedGot(what, s) });
      return z.NEVER;
    }
    if (us > DURATION_MAX_US) {
      ctx.issues.push({ code: 'custom', input: s, message: expectedGot(`a duration of at most ${formatDuration(DURATION_MAX_US)}`, s) });
      return z.NEVER;
    }
    return us;
  });
}

/** A signed duration ("-2s", "+500ms", "1s", 0) → integer µs. */
export function signedDuration() {
  const what = `${DURATION_EXPECTED}, optionally signed ("-2s", "+500ms")`;
  const e = expecting(what);
  const str = z.string(e).regex(new RegExp(`^[-+]?${DURATION_PATTERN.slice(1)}`), e);
  return z.union([str, z.literal(0)], e).transform((s, ctx) => {
    const text = typeof s === 'number' ? '0' : s;
    const sign = text.startsWith('-') ? -1 : 1;
    const us = attempt(() => parseDuration(text.replace(/^[-+]/, '')));
    if (typeof us !== 'number') {
      ctx.issues.push({ code: 'custom', input: s, message: us instanceof TooLargeError ? us.message : expectedGot(what, s) });
      return z.NEVER;
    }
    return sign * us;
  });
}

/** µs as a signed duration string ("-2s"). */
export function formatSignedDuration(us: number): string {
  return us < 0 ? `-${formatDuration(-us)}` : formatDuration(us);
}

/** A bandwidth string ("100Mbps") → integer bits/s, at least 1. */
export function bandwidth() {
  const what = `${BANDWIDTH_EXPECTED} (from 1bps to 1Tbps)`;
  const e = expecting(what);
  return z
    .string(e)
    .regex(new RegExp(BANDWIDTH_PATTERN), e)
    .transform((s, ctx) => {
      const bps = attempt(() => parseBandwidth(s));
      if (typeof bps !== 'number' || bps < 1 || bps > BANDWIDTH_MAX_BPS) {
        ctx.issues.push({ code: 'custom', input: s, message: bps instanceof TooLargeError ? bps.message : expectedGot(what, s) });
        return z.NEVER;
      }
      return bps;
    });
}

/**
 * The parser's result; or, if it throws, undefined (the caller words the error), or the
 * TooLargeError of a value beyond the exact range, whose message names the limit.
 */
function attempt(parse: () => number): number | TooLargeError | undefined {
  try {
    return parse();
  } catch (e) {
    return e instanceof TooLargeError ? e : undefined;
  }
}

/** Node selectors and non-empty lists of them, in a family's vocabulary (./selectors.ts). */
export function selectorFields(v: Vocabulary) {
  const nodeSelector = () => {
    const e = expecting(v.help);
    return z.string(e).regex(new RegExp(selectorPattern(v)), e);
  };
  const nodeList = (what: string) =>
    z.array(nodeSelector(), expecting(`a list of ${what}`)).min(1, expecting(`a non-empty list of ${what}`));
  return { nodeSelector, nodeList };
}

/** A byte count with a default, at most BYTES_MAX. */
export const byteSize = (dflt: number, what: string) => int(1, BYTES_MAX).default(dflt).describe(`${what}, bytes.`);
