/**
 * Writing a run's outputs to disk, atomically: everything goes into a temporary sibling
 * directory, which is then renamed over the final one, so a crash or an exception while
 * writing never leaves a half report where a reader (or a baseline check) would find it.
 *
 * This is the only file in sim/report that touches the file system (Node only). The other
 * modules are pure string builders that also run in a browser; ./index.ts does not re-export
 * this one so the web build never pulls in `node:fs`. The CLI imports it directly.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { summaryJson, timeseriesCsv } from './csv.js';
import { reportHtml } from './html.js';
import type { Summary, TimeseriesRow } from './types.js';

/** File names allowed in a report: one plain path segment, no separators, no dot-dot. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `root/<scenario>/<seed>`. The scenario name becomes one path segment (unsafe characters → `_`). */
/** Writes one file by a temporary name and a rename (creating its directory), so a reader never sees half of it. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

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

/**
 * Writes `files` (name → content) as the directory `dir`, replacing any older `dir`.
 *
 * Steps: write all files into `${dir}.tmp-<pid>`; move an existing `dir` aside to
 * `${dir}.old-<pid>`; rename the temporary directory to `dir`; delete the old one. If anything
 * fails before the final rename, the temporary directory is removed, the old report is put back
 * where it was, and the error is rethrown. (Moving the old report aside rather than deleting it
 * first means that even the rename itself failing loses nothing.)
 */
export function writeReport(dir: string, files: Record<string, string>): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  mkdirSync(dirname(dir), { recursive: true });
  // Left over from an earlier crash of a process that had our pid: never ours to keep.
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  let movedAside = false;
  try {
    for (const name of Object.keys(files).sort()) {
      if (!FILE_NAME.test(name)) {
        throw new Error(`writeReport: file name ${JSON.stringify(name)} must be a single plain path segment`);
      }
      const content = files[name];
      if (typeof content !== 'string') {
        throw new Error(`writeReport: content of ${name} must be a string, got ${typeof content}`);
      }
      writeFileSync(join(tmp, name), content);
    }
    if (existsSync(old)) rmSync(old, { recursive: true, force: true });
    if (existsSync(dir)) {
      renameSync(dir, old);
      movedAside = true;
    }
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (movedAside && !existsSync(dir)) renameSync(old, dir);
    throw err;
  }
  if (movedAside) rmSync(old, { recursive: true, force: true });
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
 * Writes summary.json, timeseries.csv and report.html into `dir`, atomically, with any `extra`
 * files of the run (e.g. `trace.json`) in the same step.
 */
export function writeRunOutputs(dir: string, summary: Summary, rows: readonly TimeseriesRow[], extra: Record<string, string> = {}): void {
  writeReport(dir, { ...extra, ...runOutputFiles(summary, rows) });
}
