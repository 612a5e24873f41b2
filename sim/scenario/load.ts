/**
 * Loading scenarios: from parsed data, from YAML/JSON text, or from a file; and command-line
 * overrides on a loaded scenario. Every failure is a ScenarioError with one line per problem.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import { ScenarioError, closest, formatPath, issuesFromZod, scenarioErrorMap, type ScenarioIssue } from './errors.js';
import { DURATION_MAX_US, familyConfigOf, scenarioSchema } from './schema.js';
import type { FamilyConfig } from '../contract/config.js';
import type { Scenario } from './types.js';
import { echoFileName, echoText, formatDuration, quoteText } from './units.js';

/**
 * Validate parsed data (the object from YAML or JSON) and fill defaults. Throws ScenarioError.
 * The family's part of the format is the one `protocol.family` names, unless `config` gives it
 * (a family that is not registered, in tests).
 */
export function parseScenario(data: unknown, config: FamilyConfig = familyConfigOf(data)): Scenario {
  const r = scenarioSchema(config).safeParse(data, { error: scenarioErrorMap });
  if (!r.success) throw new ScenarioError(issuesFromZod(r.error.issues));
  return r.data;
}

/**
 * Most bytes a scenario file (or a bench suite file) may have: the shipped scenarios are a few
 * KiB, so anything near this is not a scenario, and is refused before it is read.
 */
export const SCENARIO_BYTES_MAX = 4 * 1024 * 1024;

/**
 * Most bytes of a JSON file the simulator wrote and reads back (a summary.json for replay, a
 * sweep.json for merge, the bench baseline): summaries of large runs list every node.
 */
export const REPORT_BYTES_MAX = 256 * 1024 * 1024;

/** Deepest nesting of lists and mappings in a scenario file (the format itself needs about 5). */
export const NESTING_MAX = 64;

/** 1-based line and column of a character offset. */
function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/** A problem at a place in the text: `file:line:col: message`. */
function errorAt(filename: string, text: string, offset: number, message: string): ScenarioError {
  const { line, col } = lineCol(text, offset);
  return new ScenarioError([{ path: `${echoFileName(filename)}:${line}:${col}`, message }], filename);
}

const TOO_DEEP = `nested too deeply: more than ${NESTING_MAX} levels of lists and mappings`;

/** Integer literals: decimal (YAML and JSON), and YAML's 0o octal and 0x hexadecimal. */
const INT_LITERAL = /^[-+]?(?:[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;

function tooLargeInteger(path: readonly PropertyKey[], literal: string): ScenarioIssue {
  const message = literal.startsWith('-')
    ? `integer ${echoText(literal)} is too large in magnitude: the limit is -${Number.MAX_SAFE_INTEGER} (-(2^53 - 1))`
    : `integer ${echoText(literal)} is too large: the limit is ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`;
  return { path: formatPath(path), message };
}

const TYPED_YAML: Readonly<Record<string, string>> = {
  'tag:yaml.org,2002:set': 'a set (!!set)',
  'tag:yaml.org,2002:omap': 'an ordered mapping (!!omap)',
};

/**
 * The first problem in a parsed YAML document that YAML itself allows but a scenario cannot
 * hold: nesting deeper than NESTING_MAX, an integer beyond 2^53 - 1 (which JavaScript would
 * round), or a typed value (!!binary, !!timestamp, !!set, !!omap). The walk is iterative and in
 * document order, and runs before toJS, whose recursion a deep document would overflow.
 */
function yamlProblem(doc: Document.Parsed, text: string, filename: string): ScenarioError | null {
  const stack: { node: unknown; path: PropertyKey[]; depth: number }[] = [{ node: doc.contents, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { node, path, depth } = stack.pop()!;
    if (isScalar(node)) {
      const v = node.value;
      const typed = v instanceof Uint8Array ? 'binary data (!!binary)' : v instanceof Date ? 'a timestamp (!!timestamp)' : null;
      if (typed !== null) {
        return new ScenarioError([{ path: formatPath(path), message: `expected a mapping, list, string, number, true/false or null, got ${typed}` }], filename);
      }
      if (typeof v === 'number' && !Number.isSafeInteger(v) && typeof node.source === 'string' && INT_LITERAL.test(node.source.trim())) {
        return new ScenarioError([tooLargeInteger(path, node.source.trim())], filename);
      }
    } else if (isMap(node) || isSeq(node)) {
      const typed = node.tag === undefined ? undefined : TYPED_YAML[node.tag];
      if (typed !== undefined) {
        return new ScenarioError([{ path: formatPath(path), message: `expected a mapping, list, string, number, true/false or null, got ${typed}` }], filename);
      }
      if (depth >= NESTING_MAX) return errorAt(filename, text, node.range?.[0] ?? 0, TOO_DEEP);
      const children: { node: unknown; path: PropertyKey[]; depth: number }[] = [];
      if (isMap(node)) {
        for (const pair of node.items) {
          const k = pair.key;
          children.push({ node: k, path, depth: depth + 1 });
          const seg = isScalar(k) ? String(k.value) : '(key)';
          children.push({ node: pair.value, path: [...path, seg], depth: depth + 1 });
        }
      } else {
        node.items.forEach((item, i) => children.push({ node: item, path: [...path, i], depth: depth + 1 }));
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
  return null;
}

/** First line of an error's message, for a parser failure that is not a located syntax error. */
function reason(e: unknown): string {
  const m = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  return /call stack/i.test(m) ? TOO_DEEP : m;
}

/** YAML text → data, or a ScenarioError naming the file, line and column of the first problem. */
function parseYaml(text: string, filename: string): unknown {
  const name = echoFileName(filename);
  let doc: Document.Parsed;
  try {
    // Duplicate keys are errors too (the yaml package's default), so a key is never silently lost.
    // logLevel 'error': the package's warnings would be extra stderr lines; errors are reported here.
    doc = parseDocument(text, { prettyErrors: false, logLevel: 'error' });
  } catch (e) {
    throw new ScenarioError([{ path: name, message: `invalid YAML: ${reason(e)}` }], filename);
  }
  const err = doc.errors[0];
  if (err !== undefined) {
    // The parser reports a document too deep for its recursion as an error at some position.
    const message = /call stack/i.test(err.message)
      ? TOO_DEEP
      : `invalid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
    throw errorAt(filename, text, err.pos[0], message);
  }
  const problem = yamlProblem(doc, text, filename);
  if (problem !== null) throw problem;
  try {
    return doc.toJS({ maxAliasCount: ALIAS_COUNT_MAX }) as unknown;
  } catch (e) {
    const m = reason(e);
    const message = /alias count/i.test(m)
      ? `invalid YAML: its aliases expand too far (more than ${ALIAS_COUNT_MAX} nodes through aliases; an alias bomb?)`
      : `invalid YAML: ${m}`;
    throw new ScenarioError([{ path: name, message }], filename);
  }
}

/** Most alias expansions a YAML file may make (the yaml package's measure; its default too). */
const ALIAS_COUNT_MAX = 100;

/** What the JSON scanner found: the first syntax error, nesting too deep, or integer too large. */
interface JsonScan {
  syntax: { offset: number; message: string } | null;
  deep: number | null;
  big: ScenarioIssue | null;
}

/**
 * One pass of the JSON grammar over `text`, without recursion (so any depth of nesting is
 * scanned): where JSON.parse would fail (V8 names a character offset in some of its messages and
 * not in others), where the nesting first goes deeper than NESTING_MAX, and the first integer
 * literal beyond 2^53 - 1 with its path (JSON.parse would round it).
 */
function scanJson(text: string): JsonScan {
  let i = 0;
  const out: JsonScan = { syntax: null, deep: null, big: null };
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
  // Open containers: the kind, the index of the current item, and the current key's token.
  const open: { close: string; index: number; key: [number, number] | null }[] = [];
  const key = (): void => {
    ws();
    if (text[i] !== '"') fail();
    const from = i;
    string();
    open[open.length - 1]!.key = [from, i];
    ws();
    if (text[i] !== ':') fail();
    i++;
  };
  const path = (): PropertyKey[] =>
    open.map((o) => (o.key === null ? o.index : (JSON.parse(text.slice(o.key[0], o.key[1])) as string)));
  try {
    for (;;) {
      // A value.
      ws();
      const c = text[i];
      if (c === '{' || c === '[') {
        if (open.length >= NESTING_MAX && out.deep === null) out.deep = i;
        open.push({ close: c === '{' ? '}' : ']', index: 0, key: null });
        i++;
        ws();
        if (text[i] === open[open.length - 1]!.close) {
          i++;
          open.pop();
        } else {
          if (c === '{') key();
          continue;
        }
      } else if (c === '"') {
        string();
      } else {
        literal.lastIndex = i;
        const m = literal.exec(text);
        if (m === null) fail();
        const lit = m![0];
        if (out.big === null && lit.length > 15 && /^-?\d+$/.test(lit) && !Number.isSafeInteger(Number(lit))) {
          out.big = tooLargeInteger(path(), lit);
        }
        i += lit.length;
      }
      // After a value: close containers, or move to the next item.
      let next = false;
      while (open.length > 0 && !next) {
        ws();
        const top = open[open.length - 1]!;
        if (text[i] === ',') {
          i++;
          top.index++;
          if (top.close === '}') key();
          next = true;
        } else if (text[i] === top.close) {
          i++;
          open.pop();
        } else fail();
      }
      if (!next) break;
    }
    ws();
    if (i < text.length) fail();
  } catch (e) {
    if (e !== stop) throw e;
    const found = stop.at >= text.length ? 'end of file' : quoteText(text[stop.at]!);
    out.syntax = { offset: stop.at, message: `unexpected ${found}` };
  }
  return out;
}

/**
 * Where JSON.parse would fail on `text`, by the scanner of the JSON grammar (V8 names a
 * character offset in some of its messages and not in others). Returns null if it finds no error.
 */
export function jsonSyntaxError(text: string): { line: number; col: number; message: string } | null {
  const { syntax } = scanJson(text);
  return syntax === null ? null : { ...lineCol(text, syntax.offset), message: syntax.message };
}

/**
 * JSON text → data. Syntax errors name the file, line and column; nesting deeper than
 * NESTING_MAX and integers beyond 2^53 - 1 are refused (the latter naming their path).
 */
function parseJson(text: string, filename: string): unknown {
  const scan = scanJson(text);
  if (scan.syntax !== null) {
    throw errorAt(filename, text, scan.syntax.offset, `invalid JSON: ${scan.syntax.message}`);
  }
  if (scan.deep !== null) throw errorAt(filename, text, scan.deep, TOO_DEEP);
  if (scan.big !== null) throw new ScenarioError([scan.big], filename);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ScenarioError([{ path: echoFileName(filename), message: `invalid JSON: ${reason(e)}` }], filename);
  }
}

/**
 * Text → data, by the file name's syntax (`.json` is JSON, anything else YAML). A leading
 * byte-order mark is skipped in both (YAML allows one; JSON.parse would not), and text with a
 * NUL byte is refused as binary, whichever syntax.
 */
function parseText(text: string, filename: string, json = /\.json$/i.test(filename)): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const nul = body.indexOf('\u0000');
  if (nul >= 0) throw errorAt(filename, body, nul, 'expected a text file, got binary data (a NUL byte)');
  return json ? parseJson(body, filename) : parseYaml(body, filename);
}

/**
 * Parse scenario text. `filename` picks the syntax (`.json` is JSON, anything else YAML) and
 * names the file in syntax errors (`scenarios/x.yaml:3:5: invalid YAML: ...`).
 */
export function parseScenarioText(text: string, filename: string): Scenario {
  return parseScenarioData(parseText(text, filename), filename);
}

function parseScenarioData(data: unknown, filename: string): Scenario {
  try {
    return parseScenario(data);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(e.issues, filename);
    throw e;
  }
}

/** What a file that is not a regular file is, for "is a FIFO (named pipe), not a regular file". */
function kindOf(st: import('node:fs').Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function mib(bytes: number): string {
  return `${Number.isInteger(bytes / 2 ** 20) ? bytes / 2 ** 20 : (bytes / 2 ** 20).toFixed(1)} MiB`;
}

export interface ReadOptions {
  /** Refuse a file larger than this, before reading it. */
  maxBytes: number;
  /** What the file should be, for "too large to be a scenario". */
  what: string;
  /** A close existing file to name when the file does not exist. */
  suggest?: (path: string) => string | undefined;
}

/**
 * A file's text, read only when it is a regular file of at most `maxBytes` bytes: a FIFO,
 * socket, device or directory is refused (reading a FIFO would block forever, a device may never
 * end), and so is a larger file, without reading it. The file is opened without blocking and
 * checked again through its descriptor, so a file swapped after the first check is caught too,
 * and at most `maxBytes` + 1 bytes are ever read. Node only (see loadScenario). Every failure is
 * a one-line ScenarioError naming the file.
 */
export function readTextFile(path: string, o: ReadOptions): string {
  const fs = process.getBuiltinModule('node:fs');
  const fail = (message: string): never => {
    throw new ScenarioError([{ path: echoFileName(path), message }], path);
  };
  const check = (st: import('node:fs').Stats): void => {
    const kind = kindOf(st);
    if (kind === 'a directory') fail('is a directory, not a file');
    if (kind !== null) fail(`is ${kind}, not a regular file`);
    if (st.size > o.maxBytes) fail(`is too large to be ${o.what}: ${st.size} bytes (${mib(st.size)}); the limit is ${mib(o.maxBytes)}`);
  };
  let fd: number;
  try {
    check(fs.statSync(path));
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const near = o.suggest?.(path);
      fail(near === undefined ? 'file not found' : `file not found (did you mean ${echoFileName(near)}?)`);
    }
    fail(code === 'EACCES' || code === 'EPERM' ? 'cannot read: permission denied' : `cannot read: ${echoText(String(code ?? reason(e)))}`);
  }
  try {
    check(fs.fstatSync(fd!));
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(1 << 16, o.maxBytes + 1 - total));
      const n = fs.readSync(fd!, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > o.maxBytes) fail(`is too large to be ${o.what}: more than ${o.maxBytes} bytes; the limit is ${mib(o.maxBytes)}`);
    }
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    // ignoreBOM keeps a leading byte-order mark in the text; parseText skips it for YAML and JSON alike.
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(all);
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as { code?: unknown }).code;
    return fail(code === 'EAGAIN' ? 'cannot read: it would block (not a regular file?)' : `cannot read: ${echoText(String(code ?? reason(e)))}`);
  } finally {
    fs.closeSync(fd!);
  }
}

/**
 * A scenario file close to `path` (a typo of its name), in its own directory or else in
 * scenarios/ (the working directory's, then this repository's), for "did you mean ...?".
 */
export function similarScenarioFile(path: string): string | undefined {
  const fs = process.getBuiltinModule('node:fs');
  const nodePath = process.getBuiltinModule('node:path');
  const base = nodePath.basename(path);
  const shipped = process.getBuiltinModule('node:url').fileURLToPath(new URL('../../scenarios', import.meta.url));
  const dirs = [nodePath.dirname(path), 'scenarios', nodePath.relative(process.cwd(), shipped) || '.'];
  const self = nodePath.resolve(path);
  const seen = new Set<string>();
  for (const dir of dirs) {
    const abs = nodePath.resolve(dir);
    if (seen.has(abs)) continue;
    seen.add(abs);
    const names: string[] = [];
    try {
      const d = fs.opendirSync(dir);
      try {
        // A bounded look: a huge directory is not searched through.
        for (let n = 0, e = d.readSync(); e !== null && n < 5000; n++, e = d.readSync()) {
          if (/\.(ya?ml|json)$/i.test(e.name) && (e.isFile() || e.isSymbolicLink())) names.push(e.name);
        }
      } finally {
        d.closeSync();
      }
    } catch {
      continue;
    }
    // In scenarios/, the very name is the best answer (the directory was mistyped or left out).
    const near = closest(base, names.sort().filter((n) => nodePath.resolve(dir, n) !== self));
    if (near !== undefined) return nodePath.join(dir, near);
  }
  return undefined;
}

/**
 * Read and parse a `.yaml`, `.yml` or `.json` scenario file: its data as written (the file form)
 * and the scenario. Node only: the file system is reached through `process.getBuiltinModule` so
 * this module has no static Node import and still bundles for the browser, where only
 * parseScenario/parseScenarioText are used.
 */
export function loadScenarioFile(path: string): { data: unknown; scenario: Scenario } {
  if (!/\.(ya?ml|json)$/i.test(path)) {
    throw new ScenarioError([{ path: echoFileName(path), message: 'expected a .yaml, .yml or .json file' }], path);
  }
  const text = readTextFile(path, { maxBytes: SCENARIO_BYTES_MAX, what: 'a scenario', suggest: similarScenarioFile });
  const data = parseText(text, path);
  return { data, scenario: parseScenarioData(data, path) };
}

/**
 * A user's YAML or JSON file other than a scenario (a comparison), read and parsed with a
 * scenario file's checks (its kind, size, byte-order mark, syntax, nesting); its content is the
 * caller's to check. Throws ScenarioError.
 */
export function loadDataFile(path: string, what: string): unknown {
  if (!/\.(ya?ml|json)$/i.test(path)) {
    throw new ScenarioError([{ path: echoFileName(path), message: 'expected a .yaml, .yml or .json file' }], path);
  }
  return parseText(readTextFile(path, { maxBytes: SCENARIO_BYTES_MAX, what, suggest: similarScenarioFile }), path);
}

/** Read and parse a `.yaml`, `.yml` or `.json` scenario file (see loadScenarioFile). */
export function loadScenario(path: string): Scenario {
  return loadScenarioFile(path).scenario;
}

/**
 * User-written JSON other than a scenario (a bench suite) → data, with a scenario file's checks:
 * a leading byte-order mark skipped, syntax errors located, nesting deeper than NESTING_MAX and
 * integers beyond 2^53 - 1 refused. Throws ScenarioError.
 */
export function parseJsonText(text: string, filename: string): unknown {
  return parseText(text, filename, true);
}

export interface ScenarioOverrides {
  seed?: number;
  duration_us?: number;
  warmup_us?: number;
}

/**
 * A copy of `s` with command-line overrides applied (`--seed`, `--duration`, `--warmup`), checked
 * like the file's own values (the warmup below the duration). With a new duration, a workload stop
 * that equalled the old duration follows it (it was almost surely the default), and one beyond
 * the new duration is clamped to it.
 */
export function applyOverrides(s: Scenario, o: ScenarioOverrides): Scenario {
  const out: Scenario = structuredClone(s);
  if (o.seed !== undefined) {
    if (!Number.isSafeInteger(o.seed) || o.seed < 0) {
      throw new ScenarioError([{ path: '--seed', message: `expected a non-negative integer, got ${o.seed}` }]);
    }
    out.seed = o.seed;
  }
  if (o.duration_us !== undefined && (!Number.isSafeInteger(o.duration_us) || o.duration_us <= 0)) {
    throw new ScenarioError([{ path: '--duration', message: `expected a duration greater than 0, got ${o.duration_us} µs` }]);
  }
  if (o.duration_us !== undefined && o.duration_us > DURATION_MAX_US) {
    throw new ScenarioError([{
      path: '--duration', message: `expected a duration of at most ${formatDuration(DURATION_MAX_US)}, got ${JSON.stringify(formatDuration(o.duration_us))}`,
    }]);
  }
  if (o.warmup_us !== undefined && (!Number.isSafeInteger(o.warmup_us) || o.warmup_us < 0)) {
    throw new ScenarioError([{ path: '--warmup', message: `expected a duration of at least 0, got ${o.warmup_us} µs` }]);
  }
  const d = o.duration_us ?? s.duration_us;
  const w = o.warmup_us ?? s.warmup_us;
  if (w >= d) {
    throw new ScenarioError([
      o.warmup_us !== undefined
        ? {
            path: '--warmup',
            message: `expected less than the ${o.duration_us !== undefined ? '' : "scenario's "}duration (${formatDuration(d)}), got ${JSON.stringify(formatDuration(w))}`,
          }
        : {
            path: '--duration',
            message: `expected more than the scenario's warmup (${formatDuration(w)}), got ${JSON.stringify(formatDuration(d))}`,
          },
    ]);
  }
  if (o.duration_us !== undefined) {
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
  out.warmup_us = w;
  return out;
}
