/**
 * Loading scenarios: from parsed data, from YAML/JSON text, or from a file; and command-line
 * overrides on a loaded scenario. Every failure is a ScenarioError with one line per problem.
 */
import { parseDocument } from 'yaml';
import { ScenarioError, issuesFromZod, scenarioErrorMap } from './errors.js';
import { scenarioFileSchema } from './schema.js';
import type { Scenario } from './types.js';
import { formatDuration } from './units.js';

/** Validate parsed data (the object from YAML or JSON) and fill defaults. Throws ScenarioError. */
export function parseScenario(data: unknown): Scenario {
  const r = scenarioFileSchema.safeParse(data, { error: scenarioErrorMap });
  if (!r.success) throw new ScenarioError(issuesFromZod(r.error.issues));
  return r.data;
}

/** 1-based line and column of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/** YAML text → data, or a ScenarioError naming the file, line and column of the first syntax error. */
function parseYaml(text: string, filename: string): unknown {
  // Duplicate keys are errors too (the yaml package's default), so a key is never silently lost.
  const doc = parseDocument(text, { prettyErrors: false });
  const err = doc.errors[0];
  if (err !== undefined) {
    const { line, col } = lineCol(text, err.pos[0]);
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ScenarioError([{ path: `${filename}:${line}:${col}`, message: `invalid YAML: ${message}` }], filename);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

/**
 * Where JSON.parse would fail on `text`: V8 names a character offset in some of its messages and
 * not in others, so the error is located by this small scanner of the JSON grammar instead.
 * Returns null if the scanner finds no error.
 */
export function jsonSyntaxError(text: string): { line: number; col: number; message: string } | null {
  let i = 0;
  const stop = { at: -1 };
  const fail = (): never => {
    stop.at = i;
    throw stop;
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const hex4 = /[0-9a-fA-F]{4}/y;
  const literal = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
  const string = (): void => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail();
      if (c === '\\') {
        i++;
        const e = text[i] ?? '';
        if (e === 'u') {
          hex4.lastIndex = i + 1;
          if (!hex4.test(text)) fail();
          i += 5;
        } else if ('"\\/bfnrt'.includes(e) && e !== '') i++;
        else fail();
        continue;
      }
      i++;
    }
    fail();
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          string();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail();
      }
    }
    if (c === '"') return string();
    literal.lastIndex = i;
    const m = literal.exec(text);
    if (m === null) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return null;
  } catch (e) {
    if (e !== stop) throw e;
    const found = stop.at >= text.length ? 'end of file' : JSON.stringify(text[stop.at]);
    return { ...lineCol(text, stop.at), message: `unexpected ${found}` };
  }
}

function parseText(text: string, filename: string): unknown {
  if (/\.json$/i.test(filename)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      const err = jsonSyntaxError(text);
      const path = err === null ? filename : `${filename}:${err.line}:${err.col}`;
      throw new ScenarioError([{ path, message: `invalid JSON: ${err?.message ?? 'syntax error'}` }], filename);
    }
  }
  return parseYaml(text, filename);
}

/**
 * Parse scenario text. `filename` picks the syntax (`.json` is JSON, anything else YAML) and
 * names the file in syntax errors (`scenarios/x.yaml:3:5: invalid YAML: ...`).
 */
export function parseScenarioText(text: string, filename: string): Scenario {
  const data = parseText(text, filename);
  try {
    return parseScenario(data);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(e.issues, filename);
    throw e;
  }
}

/**
 * Read and parse a `.yaml`, `.yml` or `.json` scenario file. Node only: the file system is
 * reached through `process.getBuiltinModule` so this module has no static Node import and still
 * bundles for the browser, where only parseScenario/parseScenarioText are used.
 */
export function loadScenario(path: string): Scenario {
  if (!/\.(ya?ml|json)$/i.test(path)) {
    throw new ScenarioError([{ path, message: 'expected a .yaml, .yml or .json file' }], path);
  }
  const fs = process.getBuiltinModule('node:fs');
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const message = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot read: ${String(code ?? e)}`;
    throw new ScenarioError([{ path, message }], path);
  }
  return parseScenarioText(text, path);
}

export interface ScenarioOverrides {
  seed?: number;
  duration_us?: number;
}

/**
 * A copy of `s` with command-line overrides applied (`--seed`, `--duration`), checked like the
 * file's own values. With a new duration, a workload stop that equalled the old duration follows
 * it (it was almost surely the default), and one beyond the new duration is clamped to it.
 */
export function applyOverrides(s: Scenario, o: ScenarioOverrides): Scenario {
  const out: Scenario = structuredClone(s);
  if (o.seed !== undefined) {
    if (!Number.isSafeInteger(o.seed) || o.seed < 0) {
      throw new ScenarioError([{ path: '--seed', message: `expected a non-negative integer, got ${o.seed}` }]);
    }
    out.seed = o.seed;
  }
  if (o.duration_us !== undefined) {
    const d = o.duration_us;
    if (!Number.isSafeInteger(d) || d <= 0) {
      throw new ScenarioError([{ path: '--duration', message: `expected a duration greater than 0, got ${d} µs` }]);
    }
    if (s.warmup_us >= d) {
      throw new ScenarioError([
        {
          path: '--duration',
          message: `expected more than the scenario's warmup (${formatDuration(s.warmup_us)}), got ${JSON.stringify(formatDuration(d))}`,
        },
      ]);
    }
    if (s.workload.stop_us === s.duration_us || s.workload.stop_us > d) out.workload.stop_us = d;
    if (out.workload.start_us > out.workload.stop_us) {
      throw new ScenarioError([
        {
          path: '--duration',
          message: `expected at least the workload's start (${formatDuration(s.workload.start_us)}), got ${JSON.stringify(formatDuration(d))}`,
        },
      ]);
    }
    out.duration_us = d;
  }
  return out;
}
