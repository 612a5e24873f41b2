/**
 * `npm run sim -- bench [--suite ci|full|propagation|FILE] [--update-baseline]`: runs a benchmark suite,
 * appends one JSON line per run to reports/bench.jsonl and compares with reports/baseline.json.
 *
 * - Simulated figures (and the digest) must equal the baseline's: any difference fails (exit 1)
 *   unless --update-baseline records the new ones.
 * - Wall figures (wall_s, events/s, sim_s/s, peak RSS) only warn when they move beyond
 *   --wall-threshold (a ratio, default 1.5) in the bad direction.
 *
 * Everything a user can get wrong (flags, the suite file, the baseline file, a scenario) is
 * checked before the first run: exit 2 with one line, nothing appended or written.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyOverrides, loadScenario, parseDuration, ScenarioError, type Scenario } from '../scenario/index.js';
import { closest, formatPath } from '../scenario/errors.js';
import { parseJsonText, readTextFile, REPORT_BYTES_MAX, SCENARIO_BYTES_MAX } from '../scenario/load.js';
import { echoFileName, quoteText, TooLargeError } from '../scenario/units.js';
import { SIM_VERSION } from '../engine/version.js';
import { runOnWorkers } from '../runner/parallel.js';
import { spawnNodeWorker } from '../runner/node-host.js';
import { createProgress } from '../report/progress.js';
import {
  appendLine, checkAppendable, checkDirWritable, checkFileTarget, checkFileWritable, checkReportTarget, OutputError, RUN_FILE_NAMES, writeFileAtomic,
  writeRunOutputs,
} from '../report/write.js';
import { SUITES, metricsOf, WALL_LOWER_IS_BETTER, type BenchEntry, type Metric, type WallMetric } from '../bench/suite.js';
import { NO_VALUE } from '../report/table.js';
import { intFlag, parseArgs, UsageError, type FlagSpec } from './args.js';
import type { Io } from './io.js';
import { checkMemory } from './memory.js';
import { parseShard, shardItems } from './shard.js';
import { RESULTS_SCHEMA_VERSION, resultsCsv, resultsJson, type ResultItem, type ResultsFile } from '../report/results.js';

export const BENCH_FLAGS: Record<string, FlagSpec> = {
  suite: { value: true },
  only: { value: true },
  'update-baseline': { value: false },
  baseline: { value: true },
  log: { value: true },
  out: { value: true },
  'wall-threshold': { value: true },
  workers: { value: true },
  json: { value: false },
  shard: { value: true },
};

export const BASELINE_SCHEMA_VERSION = 1;

const REPO = resolve(import.meta.dirname, '..', '..');

interface BaselineEntry {
  scenario: string;
  duration: string | null;
  warmup: string | null;
  seed: number;
  simulator_version: string;
  digest: string;
  /** Null for a latency figure of a class with no finalized transaction (as in summary.json). */
  sim: Record<string, { unit: string; value: number | null }>;
  wall: Record<string, { unit: string; value: number }>;
  recorded: { commit: string; node: string; date: string; workers: number };
}

interface Baseline {
  schema_version: number;
  suites: Record<string, Record<string, BaselineEntry>>;
}

interface Planned {
  entry: BenchEntry;
  file: string;
  scenario: Scenario;
}

/**
 * A JSON file's contents, or a UsageError naming the flag that gave the file. The file must be a
 * regular file of at most `maxBytes` (a FIFO or a device is refused, not read). A suite file is
 * user-written and parsed with a scenario file's checks (`checked`); the baseline, which bench
 * itself writes, is parsed as it is.
 */
function readJsonFile(file: string, flag: string, maxBytes: number, checked: boolean): unknown {
  const name = echoFileName(file);
  let text: string;
  try {
    text = readTextFile(file, { maxBytes, what: checked ? 'a suite file' : 'a baseline' });
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`${flag} ${name}: cannot read it (${e.issues[0]!.message})`);
    throw e;
  }
  if (checked) {
    try {
      return parseJsonText(text, file);
    } catch (e) {
      if (e instanceof ScenarioError) throw new UsageError(`${flag} ${e.message}`);
      throw e;
    }
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new UsageError(`${flag} ${name}: not JSON`);
  }
}

/** A suite by name (ci, full) or a JSON file `{"entries": [...]}` whose scenario paths are relative to it. */
function loadSuite(name: string): { name: string; entries: BenchEntry[]; base: string } {
  if (SUITES[name]) return { name, entries: SUITES[name], base: REPO };
  const shown = echoFileName(name);
  if (!name.endsWith('.json')) {
    const near = closest(name, Object.keys(SUITES));
    throw new UsageError(`--suite: expected ${Object.keys(SUITES).join(' or ')}, or a suite file ending in .json, got ${quoteText(name)}` +
      `${near !== undefined ? ` (did you mean ${near}?)` : ''}`);
  }
  const data = readJsonFile(name, '--suite', SCENARIO_BYTES_MAX, true);
  const entries = (data as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries) || entries.length === 0) throw new UsageError(`--suite ${shown}: entries: expected a non-empty list`);
  const out: BenchEntry[] = [];
  const ids = new Set<string>();
  entries.forEach((e: Record<string, unknown>, i) => {
    const at = `--suite ${shown}: entries[${i}]`;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new UsageError(`${at}: expected an object`);
    const KEYS = ['id', 'scenario', 'duration', 'warmup', 'seed', 'workers', 'note'];
    for (const k of Object.keys(e)) {
      if (!KEYS.includes(k)) {
        const key = formatPath([k]);
        const near = closest(k, KEYS);
        throw new UsageError(`${at}${key.startsWith('[') ? '' : '.'}${key}: unknown key (${near !== undefined ? `did you mean ${near}? ` : ''}` +
          `expected ${KEYS.join(', ')})`);
      }
    }
    if (typeof e.id !== 'string' || !/^[A-Za-z0-9._-]+$/.test(e.id)) throw new UsageError(`${at}.id: expected a name of letters, digits, '.', '_' or '-'`);
    if (ids.has(e.id)) throw new UsageError(`${at}.id: ${quoteText(e.id)} is used twice`);
    ids.add(e.id);
    if (typeof e.scenario !== 'string') throw new UsageError(`${at}.scenario: expected a scenario file path`);
    if (e.duration !== undefined && typeof e.duration !== 'string') throw new UsageError(`${at}.duration: expected a duration like "20s"`);
    if (e.warmup !== undefined && typeof e.warmup !== 'string') throw new UsageError(`${at}.warmup: expected a duration like "5s"`);
    if (e.seed !== undefined && (!Number.isSafeInteger(e.seed) || (e.seed as number) < 0)) throw new UsageError(`${at}.seed: expected an integer ≥ 0`);
    if (e.workers !== undefined && (!Number.isSafeInteger(e.workers) || (e.workers as number) < 1 || (e.workers as number) > 64)) {
      throw new UsageError(`${at}.workers: expected an integer from 1 to 64`);
    }
    out.push({
      id: e.id, scenario: e.scenario, duration: e.duration as string | undefined, warmup: e.warmup as string | undefined,
      seed: e.seed as number | undefined,
      workers: (e.workers as number | undefined) ?? 1, note: typeof e.note === 'string' ? e.note : '',
    });
  });
  return { name, entries: out, base: dirname(resolve(name)) };
}

function readBaseline(file: string): Baseline {
  if (!existsSync(file)) return { schema_version: BASELINE_SCHEMA_VERSION, suites: {} };
  const b = readJsonFile(file, '--baseline', REPORT_BYTES_MAX, false) as Partial<Baseline> | null;
  if (b === null || typeof b !== 'object' || b.schema_version !== BASELINE_SCHEMA_VERSION || typeof b.suites !== 'object' || b.suites === null) {
    throw new UsageError(`--baseline ${echoFileName(file)}: expected a baseline with schema_version ${BASELINE_SCHEMA_VERSION} and suites`);
  }
  return b as Baseline;
}

/** The commit the benchmark ran on ("+dirty" when the tree has changes), or "unknown" outside git. */
function commitOf(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString().trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

/** A suite name (or suite file path) as one directory name. */
function segment(name: string): string {
  const base = name.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
  const s = base.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || /^\.+$/.test(s) ? '_' : s;
}

/** A figure for the terminal; a missing one (null) as an en dash, as in the run's summary table. */
function fmt(v: number | null): string {
  if (v === null) return NO_VALUE;
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
}

export interface Difference {
  name: string;
  unit: string;
  baseline: string;
  now: string;
}

/**
 * Simulated figures (and the digest) that differ from the baseline's; empty when they agree.
 * Exact: a null figure (a latency of an empty class) equals null only, so a class that gains or
 * loses its transactions is a change.
 */
export function compareSim(b: BaselineEntry, digest: string, metrics: readonly Metric[]): Difference[] {
  const diffs: Difference[] = [];
  if (b.digest !== digest) diffs.push({ name: 'digest', unit: '', baseline: b.digest.slice(0, 16), now: digest.slice(0, 16) });
  const seen = new Set<string>();
  for (const m of metrics) {
    if (m.kind !== 'sim') continue;
    seen.add(m.name);
    const old = b.sim[m.name];
    if (old === undefined) diffs.push({ name: m.name, unit: m.unit, baseline: '(none)', now: fmt(m.value) });
    else if (old.value !== m.value) diffs.push({ name: m.name, unit: m.unit, baseline: fmt(old.value), now: fmt(m.value) });
  }
  for (const [name, old] of Object.entries(b.sim)) {
    if (!seen.has(name)) diffs.push({ name, unit: old.unit, baseline: fmt(old.value), now: '(none)' });
  }
  return diffs;
}

/** Wall figures worse than the baseline's by more than `threshold` (a ratio). */
export function compareWall(b: BaselineEntry, metrics: readonly Metric[], threshold: number): string[] {
  const out: string[] = [];
  for (const m of metrics) {
    if (m.kind !== 'wall') continue;
    const old = b.wall[m.name];
    if (old === undefined || old.value <= 0 || m.value <= 0) continue;
    const ratio = WALL_LOWER_IS_BETTER.has(m.name) ? m.value / old.value : old.value / m.value;
    if (ratio > threshold) {
      out.push(`${m.name} ${fmt(m.value)} ${m.unit} vs baseline ${fmt(old.value)} (${ratio.toFixed(2)}x worse, threshold ${threshold}x)`);
    }
  }
  return out;
}

export async function cmdBench(argv: readonly string[], io: Io, workersMax: number): Promise<number> {
  const p = parseArgs(argv, BENCH_FLAGS);
  if (p.positional.length > 0) {
    throw new UsageError(`bench takes no file arguments (got ${p.positional.map((x) => echoFileName(x)).join(' ')}); use --suite`);
  }
  const suite = loadSuite((p.flags.get('suite') as string | undefined) ?? 'ci');
  const update = p.flags.get('update-baseline') === true;
  const baselineFile = (p.flags.get('baseline') as string | undefined) ?? join('reports', 'baseline.json');
  const logFile = (p.flags.get('log') as string | undefined) ?? join('reports', 'bench.jsonl');
  const json = p.flags.get('json') === true;
  const reportRoot = (p.flags.get('out') as string | undefined) ?? join('reports', 'bench');
  let threshold = 1.5;
  const t = p.flags.get('wall-threshold');
  if (typeof t === 'string') {
    threshold = Number(t);
    if (!/^\d+(\.\d+)?$/.test(t) || !(threshold >= 1)) throw new UsageError(`--wall-threshold: expected a ratio ≥ 1 like 1.5, got ${quoteText(t)}`);
  }
  const workersOverride = intFlag(p, 'workers', 1, workersMax);
  let entries = suite.entries;
  const only = p.flags.get('only');
  if (typeof only === 'string') {
    const want = only.split(',');
    for (const id of want) {
      if (!entries.some((e) => e.id === id)) {
        const near = closest(id, entries.map((e) => e.id));
        throw new UsageError(`--only: no entry ${quoteText(id)} in suite ${echoFileName(suite.name)} (${near !== undefined ? `did you mean ${near}? ` : ''}` +
          `entries: ${entries.map((e) => e.id).join(', ')})`);
      }
    }
    entries = entries.filter((e) => want.includes(e.id));
  }
  // A shard runs the entries k with k % n == i - 1 of the suite (after --only).
  const shardFlag = p.flags.get('shard');
  const shard = typeof shardFlag === 'string' ? parseShard(shardFlag, io.env ?? process.env) : { i: 1, n: 1 };
  if (shard.n > 1 && update) throw new UsageError('--update-baseline records a whole suite: run it without --shard');
  const allIds = entries.map((e) => e.id);
  const shardKs = shardItems(entries.length, shard);
  entries = shardKs.map((k) => entries[k]);
  const baseline = readBaseline(baselineFile);
  // Load every scenario before running any, so a mistake costs nothing.
  const planned: Planned[] = entries.map((entry) => {
    const file = isAbsolute(entry.scenario) ? entry.scenario : join(suite.base, entry.scenario);
    const dur = (what: 'duration' | 'warmup'): number | undefined => {
      const v = entry[what];
      if (v === undefined) return undefined;
      try {
        return parseDuration(v);
      } catch (e) {
        const why = e instanceof TooLargeError ? e.message : `expected a duration like "20s", got ${quoteText(v)}`;
        throw new UsageError(`suite ${echoFileName(suite.name)}, entry ${entry.id}: ${what}: ${why}`);
      }
    };
    const duration_us = dur('duration');
    const warmup_us = dur('warmup');
    let sc = loadScenario(file);
    if (warmup_us !== undefined) sc = { ...sc, warmup_us };
    if ((duration_us ?? sc.duration_us) <= sc.warmup_us) {
      throw new UsageError(`suite ${echoFileName(suite.name)}, entry ${entry.id}: the duration (${(duration_us ?? sc.duration_us) / 1e6} s) ` +
        `must exceed the warmup (${sc.warmup_us / 1e6} s)`);
    }
    sc = applyOverrides(sc, { duration_us, seed: entry.seed });
    return { entry, file, scenario: sc };
  });
  // Every entry must fit in memory before the first one runs.
  for (const { entry, scenario } of planned) {
    checkMemory(scenario, workersOverride ?? entry.workers, `suite ${echoFileName(suite.name)}, entry ${entry.id}`, io.memory_bytes);
  }
  // Every output place is checked before the first run (creating nothing).
  const suiteRoot = join(reportRoot, segment(suite.name));
  let flag = '--log';
  try {
    checkAppendable(logFile);
    flag = '--out';
    checkDirWritable(suiteRoot);
    for (const { entry } of planned) checkReportTarget(join(suiteRoot, entry.id), RUN_FILE_NAMES);
    for (const f of ['bench.json', 'bench.csv']) checkFileTarget(join(suiteRoot, f));
    flag = '--baseline';
    if (update) checkFileWritable(baselineFile);
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr.write(`error: ${flag}: ${e.message}\n`);
    return 2;
  }

  const commit = commitOf();
  const cores = availableParallelism();
  const spawn = io.spawnWorker ?? spawnNodeWorker;
  const suiteBase = baseline.suites[suite.name] ?? {};
  const recorded: Record<string, BaselineEntry> = {};
  let failed = 0;
  let warned = 0;
  const items: ResultItem[] = [];
  const results = (): ResultsFile => ({
    results_schema_version: RESULTS_SCHEMA_VERSION, kind: 'bench', simulator_version: SIM_VERSION, job: suite.name, ids: allIds,
    shard: shard.n > 1 ? shard : null, missing: shardKs.filter((k) => !items.some((it) => it.k === k)), items,
  });
  const t0 = performance.now();
  io.stderr.write(`bench: suite ${suite.name}, ${planned.length} run${planned.length === 1 ? '' : 's'}; baseline ${baselineFile}` +
    `${update ? ' (updating)' : ''}; log ${logFile}\n`);
  for (const [i, { entry, scenario: sc }] of planned.entries()) {
    const workers = workersOverride ?? entry.workers;
    io.stderr.write(`[${i + 1}/${planned.length}] ${entry.id}: ${sc.name}, ${sc.duration_us / 1e6} s simulated, seed ${sc.seed}, ` +
      `${workers} worker${workers === 1 ? '' : 's'}${entry.note ? ` (${entry.note})` : ''}\n`);
    const bar = createProgress(io.stderr as never, sc.duration_us / 1e6, { now_ms: () => performance.now(), min_interval_ms: 100 });
    const result = await runOnWorkers(sc, {
      workers, spawn, cores, progress: (now_us, events) => bar.update(now_us / 1e6, events),
      wall: { now_ms: () => performance.now(), rss_bytes: () => process.memoryUsage().rss },
    });
    bar.done();
    const s = result.summary;
    const reportAt = join(suiteRoot, entry.id);
    writeRunOutputs(reportAt, s, result.timeseries);
    const metrics = metricsOf(s);
    const date = new Date().toISOString();
    const line = {
      date,
      suite: suite.name,
      id: entry.id,
      attributes: {
        commit, scenario: sc.name, scenario_file: entry.scenario, seed: sc.seed, duration_s: sc.duration_us / 1e6,
        warmup_s: sc.warmup_us / 1e6,
        workers, node: process.version, simulator_version: SIM_VERSION, digest: s.digest, binding_limit: s.limits?.binding ?? null,
      },
      metrics,
    };
    appendLine(logFile, JSON.stringify(line) + '\n');
    const entryRecord: BaselineEntry = {
      scenario: entry.scenario, duration: entry.duration ?? null, warmup: entry.warmup ?? null, seed: sc.seed, simulator_version: SIM_VERSION, digest: s.digest,
      sim: Object.fromEntries(metrics.filter((m) => m.kind === 'sim').map((m) => [m.name, { unit: m.unit, value: m.value }])),
      wall: Object.fromEntries(metrics.filter((m): m is WallMetric => m.kind === 'wall').map((m) => [m.name, { unit: m.unit, value: m.value }])),
      recorded: { commit, node: process.version, date, workers },
    };
    recorded[entry.id] = entryRecord;
    const base = suiteBase[entry.id];
    let status: string;
    const out: string[] = [];
    if (update) status = base === undefined ? 'recorded' : 'updated';
    else if (base === undefined) {
      status = 'NO BASELINE';
      failed++;
      out.push(`  no baseline for ${suite.name}/${entry.id} in ${baselineFile}; record one with --update-baseline`);
    } else if (base.scenario !== entry.scenario || base.duration !== (entry.duration ?? null) ||
      (base.warmup ?? null) !== (entry.warmup ?? null) || base.seed !== sc.seed) {
      status = 'CHANGED ENTRY';
      failed++;
      out.push(`  the baseline ran ${base.scenario} (duration ${base.duration ?? 'as written'}, seed ${base.seed}); ` +
        `this entry runs ${entry.scenario} (duration ${entry.duration ?? 'as written'}, seed ${sc.seed}); record it with --update-baseline`);
    } else {
      const diffs = compareSim(base, s.digest, metrics);
      if (diffs.length > 0) {
        status = 'SIM CHANGED';
        failed++;
        out.push(`  ${diffs.length} simulated figure${diffs.length === 1 ? '' : 's'} differ from the baseline (recorded at ${base.recorded.commit.slice(0, 12)}):`);
        const wName = Math.max(...diffs.map((d) => d.name.length));
        for (const d of diffs.slice(0, 30)) out.push(`    ${d.name.padEnd(wName)}  ${d.baseline} -> ${d.now} ${d.unit}`);
        if (diffs.length > 30) out.push(`    ... and ${diffs.length - 30} more`);
      } else status = 'ok';
      for (const warn of compareWall(base, metrics, threshold)) {
        warned++;
        out.push(`  warning (wall): ${warn}`);
      }
    }
    items.push({
      k: shardKs[i], id: entry.id, digest: s.digest, status,
      figures: Object.fromEntries(metrics.filter((m) => m.kind === 'sim').map((m) => [m.name, m.value])),
    });
    writeFileAtomic(join(suiteRoot, 'bench.json'), resultsJson(results()));
    const get = (n: string) => metrics.find((m) => m.name === n)!.value;
    if (json) io.stdout.write(JSON.stringify({ ...line, status }) + '\n');
    else {
      io.stdout.write(`${entry.id.padEnd(22)} ${status.padEnd(13)} tps_final ${fmt(get('tps_final'))}  tps_slots ${fmt(get('tps_slots'))}  ` +
        `p50 ${fmt(get('latency_final_ms.all.p50'))} ms  limit ${s.limits?.binding ?? '-'}  digest ${s.digest.slice(0, 12)}  | wall ` +
        `${fmt(get('wall_s'))} s, ${fmt(get('events_per_wall_s'))} events/s, ${fmt(get('sim_s_per_wall_s'))} sim_s/s, ` +
        `peak RSS ${((get('peak_rss_bytes') ?? 0) / 2 ** 20).toFixed(0)} MiB\n  report: ${join(reportAt, 'report.html')}\n`);
      for (const l of out) io.stdout.write(l + '\n');
    }
  }
  if (shard.n === 1) writeFileAtomic(join(suiteRoot, 'bench.csv'), resultsCsv(results()));
  if (update) {
    // Read the file again: another bench run may have recorded other entries meanwhile.
    const now = readBaseline(baselineFile);
    const next: Baseline = { schema_version: BASELINE_SCHEMA_VERSION, suites: { ...now.suites } };
    next.suites[suite.name] = { ...(now.suites[suite.name] ?? {}), ...recorded };
    writeFileAtomic(baselineFile, JSON.stringify(next, null, 2) + '\n');
    io.stderr.write(`bench: baseline ${baselineFile} updated for ${Object.keys(recorded).join(', ')}\n`);
  }
  const wall = ((performance.now() - t0) / 1000).toFixed(1);
  if (failed > 0) {
    io.stderr.write(`bench: FAILED: ${failed} of ${planned.length} runs differ from the baseline (${wall} s wall); ` +
      'if the change is intended, run again with --update-baseline and commit reports/baseline.json\n');
    return 1;
  }
  io.stderr.write(`bench: ${update ? 'recorded' : 'ok'}, ${planned.length} run${planned.length === 1 ? '' : 's'}` +
    `${warned > 0 ? `, ${warned} wall warning${warned === 1 ? '' : 's'}` : ''} (${wall} s wall)\n`);
  return 0;
}
