/**
 * Scenario validation errors: one line per problem, naming the path, what was expected and what
 * was found (`faults[2].at: expected a duration like "30s", got "soon"`). Never a stack trace.
 *
 * Zod produces the issues; `scenarioErrorMap` words them (it is passed to every parse, and the
 * schema's own per-field messages take precedence over it), and `issuesFromZod` turns them into
 * `{ path, message }` pairs.
 */
import type { z } from 'zod';
import { describeValue } from './units.js';

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
    const first = issues[0] ?? { path: '(root)', message: 'invalid scenario' };
    super(`${first.path}: ${first.message}`);
    this.issues = issues.length > 0 ? issues : [first];
    this.file = file;
  }

  /** Every issue as one `path: message` line, in order. */
  lines(): string[] {
    return this.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ['faults', 2, 'at'] → "faults[2].at"; [] → "(root)"; odd keys in brackets: overrides["x y"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out === '' ? '(root)' : out;
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
  if (typeof v === 'string') return `${JSON.stringify(v)} (${v.length} characters)`;
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
