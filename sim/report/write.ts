/**
 * Writing a run's outputs to disk, atomically: everything goes into a temporary sibling
 * directory, which is then renamed into place, so a crash or an exception while writing never
 * leaves a half report where a reader (or a baseline check) would find it.
 *
 * Safety rules, in the order a write meets them:
 * - The place is checked before the (long) work that produces the report: `checkDirWritable`,
 *   `checkReportPlace` and `planRunReport` throw an OutputError (one line: the path and why)
 *   when a file is in the way or nothing can be created there. They create nothing.
 * - Leftovers of writers that were killed (`<name>.tmp-<pid>[-n]`, `<name>.old-<pid>[-n]` whose
 *   process is gone) are removed by the next write into the same directory; a report that a
 *   killed writer had moved aside is put back when its place is still free. A live process's
 *   leftovers are never touched.
 * - A file, or a directory that does not hold a report, is never replaced or deleted: the write
 *   is refused naming it.
 * - A run's report goes to `<root>/<name>/<seed>/` when that place is free or holds a report of
 *   the very same scenario as run (the hash of its summary's `scenario_file`), otherwise to
 *   `<root>/<name>/<seed>-<first 8 hex of the hash>/`: no run replaces another's report.
 * - Several writers into one directory never crash on each other: a directory is claimed by
 *   renaming into a free place (which fails when another writer got there first), and a writer
 *   that loses a race decides again. The last writer of the same report wins. (With three or
 *   more writers of two scenarios at once, one scenario's report can end in its other place,
 *   `<seed>-<hash8>` instead of `<seed>`, and so elsewhere than its writer said: whole, never lost.)
 *
 * This is the only file in sim/report that touches the file system (Node only). The other
 * modules are pure string builders that also run in a browser; ./index.ts does not re-export
 * this one so the web build never pulls in `node:fs`. The CLI imports it directly.
 */
import {
  appendFileSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { summaryJson, timeseriesCsv } from './csv.js';
import { reportHtml } from './html.js';
import { hashJson } from './sweep.js';
import type { Summary, TimeseriesRow } from '../metrics/types.js';

/** File names allowed in a report: one plain path segment, no separators, no dot-dot. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** An output place that cannot be used: `path` and why, for one line on stderr (exit 2). */
export class OutputError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot write ${path}: ${reason}`);
    this.name = 'OutputError';
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'a directory is in the way',
  EEXIST: 'something is in the way',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

function codeOf(e: unknown): string | undefined {
  const c = (e as NodeJS.ErrnoException | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** An fs error in words: "permission denied (EACCES)". */
function words(e: unknown): string {
  const c = codeOf(e);
  if (c === undefined) return (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return `${REASONS[c] ?? 'failed'} (${c})`;
}

/** An fs error (it has a code) as an OutputError about `path`; anything else unchanged. */
function asOutputError(e: unknown, path: string): unknown {
  if (e instanceof OutputError || codeOf(e) === undefined) return e;
  const x = e as NodeJS.ErrnoException;
  return new OutputError(path, `${x.syscall ?? 'write'} ${x.path ?? path}: ${words(e)}`);
}

let seq = 0;
/** A suffix no other writer uses at the same time: this process's pid and a counter. */
function ownSuffix(): string {
  return `${process.pid}-${++seq}`;
}

/**
 * The nearest existing ancestor of `path` (itself included). Throws an OutputError when that is
 * a file: nothing can be created under it.
 */
function existingAncestor(path: string): string {
  let p = normalize(path);
  for (;;) {
    try {
      if (!statSync(p).isDirectory()) throw new OutputError(path, `${p} is a file, not a directory`);
      return p;
    } catch (e) {
      if (e instanceof OutputError) throw e;
      const c = codeOf(e);
      if (c !== 'ENOENT' && c !== 'ENOTDIR') throw new OutputError(path, `cannot look at ${p}: ${words(e)}`);
    }
    const up = dirname(p);
    if (up === p) throw new OutputError(path, 'no part of the path exists');
    p = up;
  }
}

/**
 * Checks that directories and files can be created (and renamed) at `dir`, creating nothing
 * that stays: a directory in the way must be one, and in the nearest existing directory a probe
 * directory with a file in it is made, the file renamed, and the probe removed. Throws an
 * OutputError naming `dir` and the reason. (Permissions do not stop root, but a file in the way,
 * a read-only mount or a pseudo file system like /proc do.)
 */
export function checkDirWritable(dir: string): void {
  const at = existingAncestor(dir);
  const probe = join(at, `.topsim-probe.tmp-${ownSuffix()}`);
  try {
    mkdirSync(probe);
    writeFileSync(join(probe, 'a'), '');
    renameSync(join(probe, 'a'), join(probe, 'b'));
  } catch (e) {
    throw new OutputError(dir, `cannot create files in ${at}: ${words(e)}`);
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/**
 * `mkdir -p` that throws an OutputError naming `dir`. (Node's recursive mkdir loops forever
 * where a parent exists but the child cannot be made, as under /proc.)
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let p = normalize(dir);
  for (;;) {
    try {
      if (!statSync(p).isDirectory()) throw new OutputError(dir, `${p} is a file, not a directory`);
      break;
    } catch (e) {
      if (e instanceof OutputError) throw e;
      const c = codeOf(e);
      if (c !== 'ENOENT' && c !== 'ENOTDIR') throw new OutputError(dir, `cannot look at ${p}: ${words(e)}`);
    }
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      let isDir = false;
      try {
        isDir = statSync(m).isDirectory();
      } catch {
        // reported below
      }
      if (codeOf(e) === 'EEXIST' && isDir) continue; // another writer made it meanwhile
      throw new OutputError(dir, isDir || codeOf(e) !== 'EEXIST' ? `cannot create ${m}: ${words(e)}` : `${m} is a file, not a directory`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Leftovers of killed writers

/** `<name>.tmp-<pid>` or `<name>.old-<pid>`, with an optional `-<n>` (several writes in one process). */
const LEFTOVER = /^(.+)\.(tmp|old)-(\d+)(?:-\d+)?$/;

/** Whether process `pid` exists (a process we may not signal exists too). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid > 0x7fffffff) return true; // not a pid we can check: keep
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return codeOf(e) === 'EPERM';
  }
}

/**
 * Removes what writers that died (`kill -9`, a power cut) left in `parent`: partial temporary
 * directories and files; a report one had moved aside goes back to its place if that is free,
 * and is removed if a newer report took it. Anything of a live process is left alone.
 */
export function removeLeftovers(parent: string): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.sort()) {
    const m = LEFTOVER.exec(name);
    if (m === null || alive(Number(m[3]))) continue;
    const path = join(parent, name);
    if (m[2] === 'old') {
      try {
        renameSync(path, join(parent, m[1]));
        continue;
      } catch {
        // Its place holds a newer report (or is gone): the old one is superseded.
      }
    }
    rmSync(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Placing a report directory

/** Where a report goes. */
export type Placement =
  /** Exactly `dir` (a sweep point, a bench entry, a merge): replaces the report there. */
  | { kind: 'fixed'; dir: string; names: readonly string[] }
  /** A run's report under `parent` (`<root>/<name>`), by its seed and scenario hash. */
  | { kind: 'run'; parent: string; seed: number; hash: string };

type PlaceState = 'free' | 'file' | 'ours' | 'other';

/** The hash a run's report is recognised by: of the scenario as run (the summary's `scenario_file`). */
export function scenarioHash(scenarioFile: unknown): string {
  return hashJson(scenarioFile);
}

/** The scenario hash of the report in `dir`, or null when it has none (no readable summary.json). */
function reportHashOf(dir: string): string | null {
  try {
    const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { scenario_file?: unknown } | null;
    return s !== null && typeof s === 'object' && s.scenario_file !== undefined ? scenarioHash(s.scenario_file) : null;
  } catch {
    return null;
  }
}

/**
 * What is at `dir`: nothing (or an empty directory, which a rename replaces), a file (or a
 * symbolic link: not ours to replace), a report this write may replace, or something else.
 * "Something else" is only believed when the same directory is still there after the look: a
 * report another writer moves away while we read it looks, for that moment, like no report.
 */
function* stateOf(dir: string, p: Placement): Generator<string, PlaceState, void> {
  for (let tries = 0; ; tries++) {
    let before;
    try {
      before = lstatSync(dir);
    } catch (e) {
      const c = codeOf(e);
      if (c === 'ENOENT') return 'free';
      if (c === 'ENOTDIR') return 'file';
      throw new OutputError(dir, `cannot look at it: ${words(e)}`);
    }
    if (!before.isDirectory()) return 'file';
    const state = yield* lookInto(dir, p);
    if (state !== 'other' || tries >= 10) return state;
    try {
      const after = lstatSync(dir);
      if (after.ino === before.ino && after.dev === before.dev) return 'other';
    } catch {
      // gone meanwhile: look again
    }
  }
}

/**
 * What the directory `dir` holds: nothing, a report this write may replace, or something else.
 * Yields between listing it and reading its files, where another writer may move it away.
 */
function* lookInto(dir: string, p: Placement): Generator<string, 'free' | 'ours' | 'other', void> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return 'free';
    throw new OutputError(dir, `cannot look at it: ${words(e)}`);
  }
  if (entries.length === 0) return 'free';
  yield `listed ${basename(dir)}`;
  if (p.kind === 'run') return reportHashOf(dir) === p.hash ? 'ours' : 'other';
  // A report directory holds plain files only, among them one this write would write.
  const plainFiles = entries.every((f) => {
    try {
      return lstatSync(join(dir, f)).isFile();
    } catch {
      return false;
    }
  });
  return plainFiles && entries.some((f) => p.names.includes(f)) ? 'ours' : 'other';
}

function candidates(p: Placement): string[] {
  if (p.kind === 'fixed') return [p.dir];
  return [join(p.parent, String(p.seed)), join(p.parent, `${p.seed}-${p.hash.slice(0, 8)}`)];
}

/**
 * The directory the report goes to and what is there now, or an OutputError: a file in the way,
 * or (fixed place) a directory that is not a report, or (run) both places taken by other reports.
 */
function* choose(p: Placement): Generator<string, { dir: string; state: 'free' | 'ours' }, void> {
  const all = candidates(p);
  for (const dir of all) {
    const state = yield* stateOf(dir, p);
    if (state === 'free' || state === 'ours') return { dir, state };
    if (state === 'file') throw new OutputError(dir, 'a file is there, not a report directory; move it away');
  }
  const last = all[all.length - 1];
  if (p.kind === 'fixed') {
    throw new OutputError(last, 'a directory that is not a report is there (it has other files or directories); ' +
      'move it away or choose another place');
  }
  throw new OutputError(last, 'another report or other files are there; move them away');
}

/** Renames `from` to `to`; false when another writer got in the way (`to` taken, `from` gone). */
function claim(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (e) {
    const c = codeOf(e);
    if (c === 'ENOTEMPTY' || c === 'EEXIST' || c === 'ENOTDIR' || c === 'EISDIR' || c === 'ENOENT') return false;
    throw e;
  }
}

/** How many times a writer decides again after losing a race before it gives up. */
const MAX_ATTEMPTS = 50;

/**
 * Moves the complete directory `tmp` into place by the rules of `p`, yielding after each step
 * whose outcome another writer could change before the next (the look at the place, the move
 * aside of the old report); the CLI runs it straight through, tests interleave several. Returns
 * the directory it went to, right after the rename that put it there.
 */
function* place(tmp: string, p: Placement): Generator<string, string, void> {
  const parent = dirname(tmp);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const { dir, state } = yield* choose(p);
    yield `chose ${basename(dir)} (${state})`;
    if (state === 'free') {
      if (claim(tmp, dir)) return dir;
      continue; // another writer got there first: decide again
    }
    // Replace our own report: move it aside, put the new one in, delete the old one.
    const old = join(parent, `${basename(dir)}.old-${ownSuffix()}`);
    if (!claim(dir, old)) continue; // another writer moved it meanwhile
    yield `moved ${basename(dir)} aside`;
    if ((yield* stateOf(old, p)) !== 'ours') {
      // Another writer swapped something else in between our look and our move: give it back.
      yield* giveBack(old, dir, p);
      continue;
    }
    let placed: boolean;
    try {
      placed = claim(tmp, dir);
    } catch (e) {
      // The rename failed for good: the old report goes back (or, failing that, a later write
      // puts it back once this process is gone).
      try {
        claim(old, dir);
      } catch {
        // left as a leftover
      }
      throw e;
    }
    // Placed or not, the old report is superseded (by ours, or by the writer who got in first).
    rmSync(old, { recursive: true, force: true });
    if (placed) return dir;
  }
  throw new OutputError(candidates(p)[0], `other writers kept taking this place (${MAX_ATTEMPTS} tries)`);
}

/** Puts back `moved`, taken from `dir` by mistake; if `dir` is taken meanwhile, places it by its own rules. */
function* giveBack(moved: string, dir: string, p: Placement): Generator<string, void, void> {
  if (claim(moved, dir)) return;
  const hash = p.kind === 'run' ? reportHashOf(moved) : null;
  if (p.kind === 'run' && hash !== null) {
    yield* place(moved, { kind: 'run', parent: p.parent, seed: p.seed, hash });
    return;
  }
  // Not a report we can place: keep it under a name no cleanup removes, and say where.
  const kept = join(dirname(moved), `${basename(dir)}.kept-${ownSuffix()}`);
  renameSync(moved, kept);
  throw new OutputError(dir, `another writer changed it during this write; what was there is kept at ${kept}`);
}

/**
 * The steps of writing `files` (name → content) as one report placed by `p`: check the names,
 * create the parent directory, remove leftovers of dead writers, write everything into a
 * temporary sibling directory, then place it. On failure nothing is left behind and an
 * earlier report is untouched. fs failures become an OutputError.
 */
export function* reportWrite(p: Placement, files: Record<string, string>): Generator<string, string, void> {
  const names = Object.keys(files).sort();
  const contents = names.map((name) => {
    if (!FILE_NAME.test(name)) throw new Error(`writeReport: file name ${JSON.stringify(name)} must be a single plain path segment`);
    const content = files[name];
    if (typeof content !== 'string') throw new Error(`writeReport: content of ${name} must be a string, got ${typeof content}`);
    return content;
  });
  const parent = p.kind === 'fixed' ? dirname(p.dir) : p.parent;
  const what = p.kind === 'fixed' ? p.dir : join(p.parent, String(p.seed));
  makeDirs(parent);
  removeLeftovers(parent);
  const tmp = join(parent, `${basename(what)}.tmp-${ownSuffix()}`);
  try {
    mkdirSync(tmp);
    names.forEach((name, i) => writeFileSync(join(tmp, name), contents[i]));
    return yield* place(tmp, p);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw asOutputError(e, what);
  }
}

/** Runs the steps of a write straight through. */
function finish<T>(steps: Generator<string, T, void>): T {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/** Writes one file by a temporary name and a rename (creating its directory), so a reader never sees half of it. */
export function writeFileAtomic(path: string, text: string): void {
  makeDirs(dirname(path));
  removeLeftovers(dirname(path));
  const tmp = `${path}.tmp-${ownSuffix()}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw asOutputError(e, path);
  }
}

/** Appends `text` to the file `path` (creating it and its directory); fs failures become an OutputError. */
export function appendLine(path: string, text: string): void {
  makeDirs(dirname(path));
  try {
    appendFileSync(path, text);
  } catch (e) {
    throw asOutputError(e, path);
  }
}

/** Checks that no directory sits where writeFileAtomic would put the file `path`. */
export function checkFileTarget(path: string): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // absent (or under a file, which checkDirWritable names)
  }
  if (isDir) throw new OutputError(path, 'a directory is there, expected a file');
}

/** Checks that a file can be written at `path` by writeFileAtomic: no directory there, its directory writable. */
export function checkFileWritable(path: string): void {
  checkFileTarget(path);
  checkDirWritable(dirname(path));
}

/** Checks that a log file can be appended to: an existing one is opened for appending (and not changed). */
export function checkAppendable(path: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    checkDirWritable(dirname(path)); // absent: appending creates it
    return;
  }
  if (isDir) throw new OutputError(path, 'a directory is there, expected a file');
  try {
    closeSync(openSync(path, 'a'));
  } catch (e) {
    throw new OutputError(path, `cannot append to it: ${words(e)}`);
  }
}

/** `root/<scenario>/<seed>`. The scenario name becomes one path segment (unsafe characters → `_`). */
export function reportDir(root: string, scenario: string, seed: number): string {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`reportDir: seed must be a non-negative safe integer, got ${seed}`);
  }
  const segment = scenario.replace(/[^A-Za-z0-9._-]/g, '_');
  if (segment === '' || /^\.+$/.test(segment)) {
    throw new Error(`reportDir: scenario name ${JSON.stringify(scenario)} is not usable as a directory name`);
  }
  return join(root, segment, String(seed));
}

/** The files of a run's report (plus `trace.json` with --trace). */
export const RUN_FILE_NAMES: readonly string[] = ['report.html', 'summary.json', 'timeseries.csv'];

/**
 * Checks that writeReport may put a report with files `names` at `dir`: no file there, and no
 * directory other than an earlier report. (Whether anything can be created there is
 * checkDirWritable's question.)
 */
export function checkReportTarget(dir: string, names: readonly string[]): void {
  finish(choose({ kind: 'fixed', dir, names }));
}

/** Checks, before the work, that a report can be placed at `dir` by writeReport: checkDirWritable and checkReportTarget. */
export function checkReportPlace(dir: string, names: readonly string[]): void {
  checkDirWritable(dirname(dir));
  checkReportTarget(dir, names);
}

/**
 * Writes `files` (name → content) as the directory `dir`, replacing an older report there
 * (a directory of plain files that has one of these names), atomically. Refuses (OutputError)
 * a file, or a directory that is not a report, at `dir`.
 */
export function writeReport(dir: string, files: Record<string, string>): void {
  finish(reportWrite({ kind: 'fixed', dir, names: Object.keys(files) }, files));
}

/** The standard report file names and contents for a finished run. */
export function runOutputFiles(summary: Summary, rows: readonly TimeseriesRow[]): Record<string, string> {
  return {
    'summary.json': summaryJson(summary),
    'timeseries.csv': timeseriesCsv(rows),
    'report.html': reportHtml(summary, rows),
  };
}

/**
 * Writes summary.json, timeseries.csv and report.html into `dir` (a fixed place: a sweep point,
 * a bench entry), atomically, with any `extra` files of the run (e.g. `trace.json`) in the same step.
 */
export function writeRunOutputs(dir: string, summary: Summary, rows: readonly TimeseriesRow[], extra: Record<string, string> = {}): void {
  writeReport(dir, { ...extra, ...runOutputFiles(summary, rows) });
}

/** Where a run's report goes under `root`: the placement `writeRunReport` uses. */
export function runPlacement(root: string, scenario: string, seed: number, scenarioFile: unknown): Extract<Placement, { kind: 'run' }> {
  return { kind: 'run', parent: dirname(reportDir(root, scenario, seed)), seed, hash: scenarioHash(scenarioFile) };
}

/**
 * Before a run: checks that its report can be written under `root` and returns where it would
 * go (`<root>/<name>/<seed>` or `<root>/<name>/<seed>-<hash8>`), or throws an OutputError.
 */
export function planRunReport(root: string, scenario: string, seed: number, scenarioFile: unknown): string {
  const p = runPlacement(root, scenario, seed, scenarioFile);
  checkDirWritable(p.parent);
  return finish(choose(p)).dir;
}

/**
 * Writes a finished run's report under `root`: to `<root>/<name>/<seed>/` when that is free or
 * holds this very scenario's report, else to `<root>/<name>/<seed>-<hash8>/`. Returns the directory.
 */
export function writeRunReport(root: string, summary: Summary, rows: readonly TimeseriesRow[], extra: Record<string, string> = {}): string {
  const p = runPlacement(root, summary.scenario, summary.seed, summary.scenario_file);
  return finish(reportWrite(p, { ...extra, ...runOutputFiles(summary, rows) }));
}
