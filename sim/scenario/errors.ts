/**
 * Scenario validation errors: one line per problem, naming the path, what was expected and what
 * was found (`faults[2].at: expected a duration like "30s", got "soon"`). Never a stack trace.
 *
 * Zod produces the issues; `scenarioErrorMap` words them (it is passed to every parse, and the
 * schema's own per-field messages take precedence over it), and `issuesFromZod` turns them into
 * `{ path, message }` pairs.
 */
import type { z } from 'zod';
import { clipLine, describeValue, quoteText } from './units.js';

export interface ScenarioIssue {
  /** `faults[2].at`, `network.latency.regions[1]`, `(root)`, or a file name for file errors. */
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
  readonly issues: ScenarioIssue[];
  /** The file the scenario came from, when it came from a file. */
  readonly file: string | undefined;

  constructor(issues: ScenarioIssue[], file?: string) {
    // Every line is bounded and printable whatever the input: each builder already cuts and
    // escapes the values it echoes, and this is the one place all of them pass through.
    const safe = issues.map((i) => ({ path: clipLine(i.path, PATH_CHARS_MAX), message: clipLine(i.message, MESSAGE_CHARS_MAX) }));
    const first = safe[0] ?? { path: '(root)', message: 'invalid scenario' };
    super(`${first.path}: ${first.message}`);
    this.issues = safe.length > 0 ? safe : [first];
    this.file = file;
  }

  /** Every issue as one `path: message` line, in order. */
  lines(): string[] {
    return this.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

/** Longest path, and longest message, of one issue (in characters). */
const PATH_CHARS_MAX = 200;
const MESSAGE_CHARS_MAX = 320;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * ['faults', 2, 'at'] → "faults[2].at"; [] → "(root)"; odd keys in brackets: overrides["x y"].
 * Long keys are cut ("["xxxx…"]"), and a path longer than 160 characters keeps its first and
 * last segments around "…" (`a…[3].b`), so a path is short whatever the file's keys and depth.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  const segs = path.map((seg, i) => {
    if (typeof seg === 'number') return `[${seg}]`;
    if (typeof seg === 'string' && IDENTIFIER.test(seg) && seg.length <= 60) return i === 0 ? seg : `.${seg}`;
    return `[${quoteText(String(seg), 60, false)}]`;
  });
  if (segs.length === 0) return '(root)';
  const out = segs.join('');
  if (out.length <= 160) return out;
  let tail = '';
  for (let i = segs.length - 1; i > 0 && segs[0]!.length + segs[i]!.length + tail.length <= 159; i--) tail = segs[i]! + tail;
  return `${segs[0]}…${tail}`;
}

/** Optimal string alignment distance (edits, with a swap of neighbours as one edit). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word` (ignoring case) within a few edits, for "did you mean ...?":
 * one edit for words of up to 3 characters, two up to 6, three beyond. The first of equally
 * close candidates wins; undefined when none is close (or the word is too long to be a typo).
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length === 0 || word.length > 64) return undefined;
  const limit = word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3;
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    if (Math.abs(c.length - w.length) >= bestD || c.length > 128) continue;
    const dist = editDistance(w, c.toLowerCase());
    if (dist < bestD) {
      best = c;
      bestD = dist;
    }
  }
  return best;
}

/** "expected X, got Y", or a "missing" message when there was no value at all. */
export function expectedGot(expected: string, input: unknown): string {
  if (input === undefined) return `required key is missing (expected ${expected})`;
  return `expected ${expected}, got ${describeValue(input)}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

function listValues(values: readonly unknown[]): string {
  if (values.length === 1) return JSON.stringify(values[0]);
  return `one of ${values.map((v) => String(v)).join(', ')}`;
}

function bound(n: number | bigint, inclusive: boolean | undefined, dir: 'min' | 'max'): string {
  if (inclusive === false) return dir === 'min' ? `greater than ${n}` : `less than ${n}`;
  return dir === 'min' ? `at least ${n}` : `at most ${n}`;
}

/** Keys an object schema accepts, for "unknown key" messages. */
function shapeKeys(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  return shape === undefined ? [] : Object.keys(shape);
}

/**
 * Wording for zod issues that the schema did not word itself. Each message says what was
 * expected and what was found.
 */
export const scenarioErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return expectedGot(TYPE_WORDS[iss.expected] ?? iss.expected, iss.input);
    case 'too_small':
      if (iss.origin === 'array' || iss.origin === 'string') {
        return `expected at least ${countOf(iss.minimum, iss.origin)}, got ${describeLength(iss.input)}`;
      }
      return expectedGot(`a number ${bound(iss.minimum, iss.inclusive, 'min')}`, iss.input);
    case 'too_big':
      if (iss.origin === 'array' || iss.origin === 'string') {
        return `expected at most ${countOf(iss.maximum, iss.origin)}, got ${describeLength(iss.input)}`;
      }
      return expectedGot(`a number ${bound(iss.maximum, iss.inclusive, 'max')}`, iss.input);
    case 'invalid_value':
      return expectedGot(listValues(iss.values), iss.input);
    case 'unrecognized_keys': {
      const keys = shapeKeys(iss.inst);
      return keys.length > 0 ? `unknown key (expected one of ${keys.join(', ')})` : 'unknown key';
    }
    case 'invalid_union': {
      if (iss.discriminator !== undefined && iss.options !== undefined) {
        const input = iss.input as Record<string, unknown> | undefined;
        const got = typeof input === 'object' && input !== null ? input[iss.discriminator] : undefined;
        return expectedGot(listValues(iss.options as readonly unknown[]), got);
      }
      return expectedGot('a valid value', iss.input);
    }
    case 'invalid_format':
      return expectedGot(`a string matching ${iss.pattern ?? iss.format}`, iss.input);
    case 'invalid_key':
      // A record key that failed its own schema: that schema's message says what was expected.
      return iss.issues[0]?.message ?? 'invalid key';
    case 'not_multiple_of':
      return expectedGot(`a multiple of ${iss.divisor}`, iss.input);
    default:
      return undefined;
  }
};

function countOf(n: number | bigint, origin: string): string {
  const unit = origin === 'array' ? 'item' : 'character';
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

function describeLength(v: unknown): string {
  if (Array.isArray(v)) return `${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'string') return `${quoteText(v, 60, false)} (${v.length} characters)`;
  return describeValue(v);
}

/**
 * Zod issues → one `{ path, message }` per problem. An unknown-keys issue names several keys on
 * the parent object; it becomes one issue per key, at the key's own path (`network.jitter`).
 * Issues that repeat the same path and message (an integer check and a range check firing on the
 * same value) are reported once.
 */
export function issuesFromZod(issues: readonly z.core.$ZodIssue[]): ScenarioIssue[] {
  const out: ScenarioIssue[] = [];
  const seen = new Set<string>();
  const push = (path: readonly PropertyKey[], message: string): void => {
    const p = formatPath(path);
    const key = `${p}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ path: p, message });
  };
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const k of iss.keys) push([...iss.path, k], iss.message);
    } else {
      push(iss.path, iss.message);
    }
  }
  return out;
}
