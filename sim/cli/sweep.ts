/**
 * `npm run sim -- sweep <scenario> --set key=v1,v2 ...`: run a scenario over the grid of the
 * swept values (or one shard of it, `--shard i/n`), each point's report in `<out>/<point-id>/`
 * and the manifest in `<out>/sweep.json`; and `npm run sim -- merge <dirs...>`: combine the
 * manifests of shards into one sweep.json, sweep.csv and sweep.html.
 *
 * Every grid point is the base scenario in file form (overrides applied) with the point's values
 * set, parsed again by the schema; all points are checked before the first runs, so a mistake
 * exits 2 with one line and writes nothing. Stdout holds the results table (or JSON), which does
 * not depend on the wall clock; progress and wall times go to stderr.
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import {
  applyOverrides, loadScenario, parseDuration, parseScenario, scenarioToFile, ScenarioError, type Scenario,
} from '../scenario/index.js';
import { readTextFile, REPORT_BYTES_MAX } from '../scenario/load.js';
import { closest } from '../scenario/errors.js';
import { describeValue, echoFileName, echoText, quoteText } from '../scenario/units.js';
import { SIM_VERSION } from '../engine/version.js';
import { runOnWorkers } from '../runner/parallel.js';
import { spawnNodeWorker } from '../runner/node-host.js';
import { createProgress } from '../report/progress.js';
import {
  checkDirWritable, checkFileTarget, checkReportPlace, checkReportTarget, OutputError, RUN_FILE_NAMES, writeFileAtomic, writeReport,
  writeRunOutputs,
} from '../report/write.js';
import {
  gridSize, gridValues, hashJson, mergeManifests, missingText, pointId, shardPoints, sweepCsv, sweepHtml, sweepJson,
  SweepMergeError, sweepPoint, sweepTable, SWEEP_SCHEMA_VERSION, SWEEP_SCHEMA_VERSIONS_READ, upgradeManifest, type SweepKey,
  type SweepManifest, type SweepPoint, type SweepValue,
} from '../report/sweep.js';
import { durationFlag, intFlag, parseArgs, UsageError, type FlagSpec, type Parsed } from './args.js';
import { parseShard, type Env } from './shard.js';
import { mergeResults, parseResults, resultsCsv, resultsJson, ResultsMergeError, type ResultsFile } from '../report/results.js';
import type { Io } from './io.js';
import { checkMemory } from './memory.js';

export const SWEEP_FLAGS: Record<string, FlagSpec> = {
  shard: { value: true },
  out: { value: true },
  workers: { value: true },
  duration: { value: true },
  warmup: { value: true },
  seed: { value: true },
  json: { value: false },
};

export const MERGE_FLAGS: Record<string, FlagSpec> = {
  out: { value: true },
  json: { value: false },
};

/** Short names for the keys swept most; any other key is a dotted path into the file form. */
export const SWEEP_ALIASES: Readonly<Record<string, string>> = {
  tables: 'topology.tables',
  rate: 'workload.rate_tps',
  rate_tps: 'workload.rate_tps',
  validators: 'topology.validators',
  auditors: 'topology.auditors',
  auditor_groups: 'topology.auditor_groups',
  validator_groups: 'topology.validator_groups_per_auditor',
  validator_groups_per_auditor: 'topology.validator_groups_per_auditor',
  edges: 'topology.edges',
  accounts: 'workload.accounts',
};

/** Most points one sweep may have. */
export const SWEEP_POINTS_MAX = 10_000;

const WALL = { now_ms: () => performance.now(), rss_bytes: () => process.memoryUsage().rss };

/** A --set problem: one line, `--set <what>: <why>`, exit 2 (a ScenarioError, like --seed's). */
export function setError(what: string, message: string): ScenarioError {
  return new ScenarioError([{ path: `--set ${echoText(what)}`, message }]);
}

/** Pulls every `--set X` / `--set=X` out of argv (the generic parser allows a flag once). */
export function takeSets(argv: readonly string[]): { sets: string[]; rest: string[] } {
  const sets: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--set') {
      const v = argv[++i];
      if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError('--set expects a value like tables=64,256');
      sets.push(v);
    } else if (a.startsWith('--set=')) {
      sets.push(a.slice('--set='.length));
    } else rest.push(a);
  }
  return { sets, rest };
}

/**
 * "64" → 64, "true" → true, "100Mbps" stays a string. An integer beyond 2^53 - 1 is refused
 * (`what` names it), as in a scenario file: as a number it would be silently rounded.
 */
function parseValue(s: string, what: string): SweepValue {
  if (/^[+-]?\d+$/.test(s) && !Number.isSafeInteger(Number(s))) {
    throw setError(what, `integer ${echoText(s)} is too large: the limit is ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`);
  }
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return Number(s);
  if (s === 'true') return true;
  if (s === 'false') return false;
  return s;
}

export type FileObject = Record<string, unknown>;

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a section' : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Sets `path` in a copy of `file`, the file form of a scenario. Setting `workload.rate_tps`
 * replaces the workload's schedule (a constant rate); setting `duration` moves a workload stop
 * that equalled the old duration along with it, as `--duration` does.
 */
export function setPath(file: FileObject, path: string, value: SweepValue, what: string): FileObject {
  const out = structuredClone(file);
  const segs = path.split('.');
  let node: unknown = out;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i];
    const container = node as FileObject | unknown[];
    const next: unknown = Array.isArray(container) ? (/^\d+$/.test(seg) ? container[Number(seg)] : undefined) : container[seg];
    if (next === undefined) {
      if (Array.isArray(container)) {
        throw setError(what, `${segs.slice(0, i + 1).join('.')}: no such entry (the list has ${container.length})`);
      }
      container[seg] = {};
      node = container[seg];
    } else if (next === null || typeof next !== 'object') {
      throw setError(what, `${segs.slice(0, i + 1).join('.')} is ${describe(next)}, not a section`);
    } else node = next;
  }
  const last = segs[segs.length - 1];
  if (Array.isArray(node)) {
    if (!/^\d+$/.test(last) || Number(last) >= node.length) throw setError(what, `${path}: no such entry (the list has ${node.length})`);
    node[Number(last)] = value;
  } else (node as FileObject)[last] = value;
  if (path === 'workload.rate_tps') delete (out['workload'] as FileObject)['schedule'];
  if (path === 'duration') {
    const w = out['workload'] as FileObject | undefined;
    try {
      if (w !== undefined && parseDuration(w['stop'] as string) === parseDuration(file['duration'] as string)) w['stop'] = value;
    } catch {
      // Left to the schema: it names the bad duration.
    }
  }
  return out;
}

/** The keys of the --set arguments, each resolved to a path of the file form and checked. */
export function sweepKeys(sets: readonly string[], base: FileObject): SweepKey[] {
  if (sets.length === 0) throw new UsageError('missing --set key=v1,v2,... (what to sweep, like --set tables=64,256)');
  const keys: SweepKey[] = [];
  for (const arg of sets) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw setError(arg, 'expected key=v1,v2,... like tables=64,256');
    const set = arg.slice(0, eq);
    const list = arg.slice(eq + 1);
    const path = SWEEP_ALIASES[set] ?? set;
    if (!/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$/.test(path)) throw setError(arg, `expected a dotted key like topology.tables, got ${quoteText(set)}`);
    const top = path.split('.')[0];
    if (!(top in base)) {
      const near = closest(set, [...Object.keys(SWEEP_ALIASES), ...Object.keys(base)]);
      throw setError(arg, `unknown key ${quoteText(set)} (${near !== undefined ? `did you mean ${near}? ` : ''}a short name: ` +
        `${Object.keys(SWEEP_ALIASES).join(', ')}; or a path into the scenario file: ${Object.keys(base).join(', ')})`);
    }
    const dup = keys.find((k) => k.path === path);
    if (dup !== undefined) throw setError(arg, `${path} is already swept by --set ${dup.set}=...`);
    const raw = list.split(',');
    if (list === '' || raw.some((v) => v.trim() === '')) throw setError(arg, 'expected a comma-separated list of values with none empty');
    const values = raw.map((v) => parseValue(v.trim(), arg));
    const seen = new Set<string>();
    for (const v of values) {
      if (seen.has(String(v))) throw setError(arg, `the value ${String(v)} is given twice`);
      seen.add(String(v));
    }
    keys.push({ set, path, label: '', values });
  }
  // Labels: the last segment of the path, or the whole path where two keys would share it.
  for (const k of keys) {
    const lastOf = (p: string) => p.slice(p.lastIndexOf('.') + 1);
    k.label = keys.filter((o) => lastOf(o.path) === lastOf(k.path)).length > 1 ? k.path : lastOf(k.path);
  }
  return keys;
}

/** The first error the schema gives for `file`, as one line, or null. */
export function schemaError(file: FileObject): string | null {
  try {
    parseScenario(file);
    return null;
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines()[0];
    throw e;
  }
}


/** A scenario name as one directory name (as report directories are named). */
export function segment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || /^\.+$/.test(s) ? '_' : s;
}

export interface GridPoint {
  k: number;
  id: string;
  values: SweepValue[];
  scenario: Scenario;
}

export interface SweepPlan {
  /** The manifest's readable name, and the name of what was swept (the base scenario's). */
  name: string;
  scenarioName: string;
  /** sha256 of what every point derives from (the base in file form): shards of one sweep share it. */
  baseHash: string;
  keys: SweepKey[];
  points: GridPoint[];
  shard: { i: number; n: number };
  /** The points this invocation runs. */
  run: number[];
  out: string;
  workers: number;
  json: boolean;
}

/**
 * The flags a grid of runs shares (sweep, compare), checked, with its one file argument (`what`):
 * overrides of every run, workers per run, and the shard.
 */
export function gridFlags(p: Parsed, what: string, workersMax: number, env: Env) {
  if (p.positional.length !== 1) {
    throw new UsageError(p.positional.length === 0 ? `missing ${what}` : `expected one ${what}, got ${p.positional.length}: ${p.positional.map((x) => echoFileName(x)).join(' ')}`);
  }
  const shardFlag = p.flags.get('shard');
  return {
    file: p.positional[0],
    seed: intFlag(p, 'seed', 0),
    duration_us: durationFlag(p, 'duration'),
    warmup_us: durationFlag(p, 'warmup'),
    workers: intFlag(p, 'workers', 1, workersMax) ?? 1,
    shard: typeof shardFlag === 'string' ? parseShard(shardFlag, env) : { i: 1, n: 1 },
  };
}

/** Everything a sweep will do, checked: throws UsageError or ScenarioError before anything runs. */
export function planSweep(argv: readonly string[], workersMax: number, env: Env = {}): SweepPlan {
  const { sets, rest } = takeSets(argv);
  // --set is taken out above; it is in the spec only so that a typo of it is suggested and listed.
  const p: Parsed = parseArgs(rest, { ...SWEEP_FLAGS, set: { value: true } });
  const { seed, duration_us, warmup_us, workers, shard } = gridFlags(p, 'scenario file', workersMax, env);
  const base = applyOverrides(loadScenario(p.positional[0]), { seed, duration_us, warmup_us });
  const baseFile = scenarioToFile(base) as FileObject;
  const keys = sweepKeys(sets, baseFile);
  const total = gridSize(keys);
  if (total > SWEEP_POINTS_MAX) throw new UsageError(`--set: ${total} points; a sweep may have at most ${SWEEP_POINTS_MAX}`);
  const points: GridPoint[] = [];
  const ids = new Map<string, number>();
  for (let k = 0; k < total; k++) {
    const values = gridValues(keys, k);
    const id = pointId(keys, values);
    const what = keys.map((key, j) => `${key.set}=${String(values[j])}`).join(' ');
    const other = ids.get(id);
    if (other !== undefined) throw setError(what, `gives the directory name ${id} that point ${other} has too (values differ only in punctuation)`);
    ids.set(id, k);
    let file = baseFile;
    keys.forEach((key, j) => {
      file = setPath(file, key.path, values[j], `${key.set}=${String(values[j])}`);
    });
    const err = schemaError(file);
    if (err !== null) {
      // Name the one value that is impossible on its own, where there is one; else the point.
      const alone = keys.findIndex((key, j) => schemaError(setPath(baseFile, key.path, values[j], what)) === err);
      throw setError(alone >= 0 ? `${keys[alone].set}=${String(values[alone])}` : what, err);
    }
    points.push({ k, id, values, scenario: parseScenario(file) });
  }
  const outFlag = p.flags.get('out');
  const out = typeof outFlag === 'string'
    ? outFlag
    : join('reports', 'sweeps', segment(base.name), ...(shard.n > 1 ? [`shard-${shard.i}-of-${shard.n}`] : []));
  return {
    name: `${base.name} over ${keys.map((k) => k.label).join(' x ')}`, scenarioName: base.name, baseHash: hashJson(baseFile),
    keys, points, shard, run: shardPoints(total, shard), out, workers, json: p.flags.get('json') === true,
  };
}

function manifestOf(plan: SweepPlan, done: SweepPoint[]): SweepManifest {
  const have = new Set(done.map((p) => p.k));
  return {
    sweep_schema_version: SWEEP_SCHEMA_VERSION,
    simulator_version: SIM_VERSION,
    name: plan.name,
    scenario: plan.scenarioName,
    base_hash: plan.baseHash,
    keys: plan.keys,
    points_total: plan.points.length,
    shard: plan.shard,
    missing: plan.run.filter((k) => !have.has(k)),
    points: [...done].sort((a, b) => a.k - b.k),
  };
}

export async function cmdSweep(argv: readonly string[], io: Io, workersMax: number): Promise<number> {
  return runPlan(planSweep(argv, workersMax, io.env ?? process.env), io, 'sweep');
}

/**
 * Runs the points of a plan (a sweep's, or a comparison's: sim/cli/compare.ts), each point's
 * report in its directory, and writes the manifest; `word` names the command in progress lines.
 */
export async function runPlan(plan: SweepPlan, io: Io, word: string): Promise<number> {
  // Every point this shard runs must fit in memory before the first one starts.
  for (const k of plan.run) checkMemory(plan.points[k].scenario, plan.workers, `--set ${plan.points[k].id}`, io.memory_bytes);
  // The output places are checked before the first point runs (creating nothing).
  try {
    checkDirWritable(plan.out);
    for (const f of ['sweep.json', 'sweep.csv', 'sweep.html']) checkFileTarget(join(plan.out, f));
    for (const k of plan.run) checkReportTarget(join(plan.out, plan.points[k].id), RUN_FILE_NAMES);
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr.write(`error: --out: ${e.message}\n`);
    return 2;
  }
  const t0 = performance.now();
  const spawn = io.spawnWorker ?? spawnNodeWorker;
  const cores = availableParallelism();
  const sharded = plan.shard.n > 1;
  io.stderr.write(`${word} ${plan.scenarioName}: ${plan.points.length} point${plan.points.length === 1 ? '' : 's'}` +
    `${sharded ? `, shard ${plan.shard.i}/${plan.shard.n} runs ${plan.run.length}` : ''}; writing ${plan.out}\n`);
  const done: SweepPoint[] = [];
  writeFileAtomic(join(plan.out, 'sweep.json'), sweepJson(manifestOf(plan, done)));
  for (const [n, k] of plan.run.entries()) {
    const pt = plan.points[k];
    const sc = pt.scenario;
    const bar = createProgress(io.stderr as never, sc.duration_us / 1e6, { now_ms: () => performance.now(), min_interval_ms: 100 });
    const progress = (now_us: number, events: number) => bar.update(now_us / 1e6, events);
    const started = performance.now();
    const result = await runOnWorkers(sc, { workers: plan.workers, spawn, cores, progress, wall: WALL });
    bar.done();
    const s = result.summary;
    writeRunOutputs(join(plan.out, pt.id), s, result.timeseries);
    done.push(sweepPoint(k, pt.id, pt.values, s));
    writeFileAtomic(join(plan.out, 'sweep.json'), sweepJson(manifestOf(plan, done)));
    io.stderr.write(`[${n + 1}/${plan.run.length}] k=${k} ${pt.id}: digest ${s.digest.slice(0, 12)}  tps ${s.tps_final.toFixed(1)}  ` +
      `violations ${s.violations.length}  (${((performance.now() - started) / 1000).toFixed(1)} s wall)\n`);
  }
  const manifest = manifestOf(plan, done);
  if (!sharded) {
    // The whole grid: the n = 1 case of merge.
    writeFileAtomic(join(plan.out, 'sweep.csv'), sweepCsv(manifest));
    writeFileAtomic(join(plan.out, 'sweep.html'), sweepHtml(manifest));
  }
  if (plan.json) io.stdout.write(JSON.stringify(manifest) + '\n');
  else {
    io.stdout.write(sweepTable(manifest, { word, dropEmptyClasses: word === 'compare' }));
    io.stdout.write(`${word}: ${join(plan.out, sharded ? 'sweep.json' : 'sweep.html')}\n`);
  }
  io.stderr.write(`${word}: ${plan.run.length} run${plan.run.length === 1 ? '' : 's'} in ${((performance.now() - t0) / 1000).toFixed(1)} s wall\n`);
  return done.some((p) => p.violations > 0) ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// merge

/**
 * A directory's sweep.json (or a sweep.json named directly), checked for the fields a merge
 * reads, or why not. The file is read like a summary (a regular file, at most REPORT_BYTES_MAX
 * bytes), so a FIFO or a device in its place is refused rather than read.
 */
function readManifest(dir: string): { manifest: SweepManifest } | { problem: string } {
  let isFile = false;
  try {
    isFile = !statSync(dir).isDirectory();
  } catch {
    // Named as missing below.
  }
  const file = isFile ? dir : join(dir, 'sweep.json');
  let text: string;
  try {
    text = readTextFile(file, { maxBytes: REPORT_BYTES_MAX, what: 'a sweep manifest' });
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    return { problem: /file not found$/.test(e.message) ? `${echoFileName(dir)}: no sweep.json (ENOENT)` : e.message };
  }
  const name = echoFileName(file);
  let m: unknown;
  try {
    m = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { problem: `${name}: not JSON` };
  }
  const x = m as Partial<SweepManifest> | null;
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return { problem: `${name}: expected a sweep manifest object` };
  if (!SWEEP_SCHEMA_VERSIONS_READ.includes(x.sweep_schema_version as number)) {
    return { problem: `${name}: sweep_schema_version: expected ${SWEEP_SCHEMA_VERSIONS_READ.join(' or ')}, got ${describeValue(x.sweep_schema_version)}` };
  }
  const bad = (field: string) => ({ problem: `${name}: ${field}: missing or malformed` });
  if (typeof x.base_hash !== 'string') return bad('base_hash');
  if (!Array.isArray(x.keys) || x.keys.some((k) => typeof k?.path !== 'string' || !Array.isArray(k.values))) return bad('keys');
  if (!Number.isSafeInteger(x.points_total)) return bad('points_total');
  if (!Array.isArray(x.points) || x.points.some((p) => typeof p?.k !== 'number' || typeof p.digest !== 'string')) return bad('points');
  // Version 1 wrote 0 for the latency of a class with no transaction; read it as null.
  return { manifest: upgradeManifest(x as SweepManifest) };
}

/** `a` is `b` or inside it. */
function within(a: string, b: string): boolean {
  const r = relative(resolve(b), resolve(a));
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** Whether `out` is, or is inside, one of the merged directories (said on stderr). */
function clashes(io: Io, parts: readonly { dir: string }[], out: string): boolean {
  const clash = parts.find((x) => within(x.dir, out));
  if (clash !== undefined) io.stderr.write(`error: --out ${echoFileName(out)} would replace ${echoFileName(clash.dir)}, one of the merged directories\n`);
  return clash !== undefined;
}

/** Writes a merge's files into `out` (as a report: atomically); false, said on stderr, if it cannot. */
function writeMerged(io: Io, out: string, files: Record<string, string>): boolean {
  try {
    checkReportPlace(out, Object.keys(files));
    writeReport(out, files);
    return true;
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr.write(`error: --out: ${e.message}\n`);
    return false;
  }
}

/** Which results a directory (or a results file named directly) holds: a sweep's, a bench suite's or a swarm's. */
function resultsKind(dir: string): 'sweep' | 'bench' | 'swarm' {
  const base = dir.replace(/[\\/]+$/, '');
  for (const k of ['bench', 'swarm'] as const) {
    if (base.endsWith(`${k}.json`) || existsSync(join(dir, `${k}.json`))) return k;
  }
  return 'sweep';
}

/** `merge` of the shards of a bench suite or a swarm (their bench.json or swarm.json). */
function mergeResultsCmd(p: Parsed, io: Io, kind: 'bench' | 'swarm'): number {
  const parts: { dir: string; file: ResultsFile }[] = [];
  for (const dir of p.positional) {
    const file = dir.endsWith('.json') ? dir : join(dir, `${kind}.json`);
    let text: string;
    try {
      text = readTextFile(file, { maxBytes: REPORT_BYTES_MAX, what: `a ${kind} results file` });
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      io.stderr.write(`error: ${/file not found$/.test(e.message) ? `${echoFileName(dir)}: no ${kind}.json (ENOENT); every directory must hold the results of one ${kind}` : e.message}\n`);
      return 2;
    }
    const r = parseResults(text, echoFileName(file));
    if ('problem' in r) {
      io.stderr.write(`error: ${r.problem}\n`);
      return 2;
    }
    parts.push({ dir, file: r.file });
  }
  let merged: ResultsFile;
  try {
    merged = mergeResults(parts);
  } catch (e) {
    if (e instanceof ResultsMergeError) {
      io.stderr.write(`error: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  // A suite named by its file: its name without the folders and the extension.
  const name = merged.job.replace(/^.*[\\/]/, '').replace(/\.json$/, '');
  const outFlag = p.flags.get('out');
  const out = typeof outFlag === 'string' ? outFlag : join('reports', kind, segment(name), 'merged');
  if (clashes(io, parts, out) || !writeMerged(io, out, { [`${kind}.json`]: resultsJson(merged), [`${kind}.csv`]: resultsCsv(merged) })) return 2;
  const bad = merged.items.filter((x) => x.status !== 'ok');
  if (p.flags.get('json') === true) io.stdout.write(JSON.stringify(merged) + '\n');
  else {
    io.stdout.write(`merged ${kind} ${name}: ${merged.items.length} of ${merged.ids.length} ${kind === 'bench' ? 'entries' : 'seeds'}` +
      `${bad.length > 0 ? `; not ok: ${bad.map((x) => `${x.id} (${x.status})`).join(', ')}` : ', all ok'}\n`);
    io.stdout.write(`merged: ${join(out, `${kind}.csv`)}\n`);
  }
  if (merged.missing.length > 0) io.stderr.write(`incomplete: missing ${merged.missing.map((k) => merged.ids[k]).join(', ')}\n`);
  return merged.missing.length > 0 || bad.length > 0 ? 1 : 0;
}

export async function cmdMerge(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, MERGE_FLAGS);
  if (p.positional.length === 0) throw new UsageError('missing directories to merge (each with the sweep.json, bench.json or swarm.json of a shard)');
  const kinds = [...new Set(p.positional.map(resultsKind))];
  if (kinds.length > 1) throw new UsageError(`merge: the directories hold results of different kinds (${kinds.join(' and ')}); merge the shards of one job`);
  if (kinds[0] !== 'sweep') return mergeResultsCmd(p, io, kinds[0]);
  const parts: { dir: string; manifest: SweepManifest }[] = [];
  for (const dir of p.positional) {
    const r = readManifest(dir);
    if ('problem' in r) {
      io.stderr.write(`error: ${r.problem}\n`);
      return 2;
    }
    parts.push({ dir, manifest: r.manifest });
  }
  let merged: SweepManifest;
  try {
    merged = mergeManifests(parts);
  } catch (e) {
    if (e instanceof SweepMergeError) {
      io.stderr.write(`error: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
  const outFlag = p.flags.get('out');
  const out = typeof outFlag === 'string' ? outFlag : join('reports', 'sweeps', segment(merged.scenario), 'merged');
  if (clashes(io, parts, out)) return 2;
  // Each point's report stays in the shard that ran it: sweep.html links there.
  const where = new Map<number, string>();
  for (const part of parts) {
    const base = part.dir.endsWith('.json') ? dirname(part.dir) : part.dir;
    for (const pt of part.manifest.points) if (!where.has(pt.k)) where.set(pt.k, base);
  }
  const reportOf = (pt: SweepPoint) => relative(out, join(where.get(pt.k) ?? out, pt.id, 'report.html')).replace(/\\/g, '/');
  if (!writeMerged(io, out, { 'sweep.json': sweepJson(merged), 'sweep.csv': sweepCsv(merged), 'sweep.html': sweepHtml(merged, reportOf) })) return 2;
  if (p.flags.get('json') === true) {
    io.stdout.write(JSON.stringify(merged) + '\n');
    if (merged.missing.length > 0) io.stderr.write(`incomplete: missing ${missingText(merged)}\n`);
  } else {
    io.stdout.write(sweepTable(merged));
    io.stdout.write(`merged: ${join(out, 'sweep.html')}\n`);
  }
  return merged.missing.length > 0 || merged.points.some((x) => x.violations > 0) ? 1 : 0;
}
