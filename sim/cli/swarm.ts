/**
 * `npm run sim -- swarm --seeds N`: draw a fault scenario per seed (sim/scenario/draw.ts), run
 * it, and report one line per seed; keep the scenario of every seed that violates an invariant
 * (or crashes the simulator) as a file, with the command that reproduces it.
 *
 * Streams: each drawn scenario goes to stderr as YAML before its run, so stdout holds only the
 * per-seed lines, the details of failing seeds and the totals (or, with --json, one JSON object
 * per line). Nothing on stdout depends on the wall clock, so two invocations print the same text;
 * the wall time goes to stderr.
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseShard, shardItems } from './shard.js';
import { RESULTS_SCHEMA_VERSION, resultsCsv, resultsJson, type ResultItem, type ResultsFile } from '../report/results.js';
import { SIM_VERSION } from '../engine/version.js';
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { parseDuration } from '../scenario/index.js';
import { loadScenarioFile } from '../scenario/load.js';
import { drawScenario, SWARM_DURATION_MIN_US, SWARM_FAMILIES, type DrawBase, type Drawn } from '../scenario/draw.js';
import { DURATION_MAX_US } from '../scenario/schema.js';
import { echoFileName, formatDuration, quoteText, TooLargeError } from '../scenario/units.js';
import { runOnWorkers, WorkerFailure } from '../runner/parallel.js';
import { spawnNodeWorker } from '../runner/node-host.js';
import { formatTimeUs } from '../report/table.js';
import { checkDirWritable, checkFileTarget, OutputError, writeFileAtomic } from '../report/write.js';
import type { Summary, Violation } from '../metrics/types.js';
import { intFlag, UsageError, type FlagSpec, type Parsed } from './args.js';
import type { Io } from './io.js';
import { checkMemory } from './memory.js';

export const SWARM_SEEDS_MAX = 10_000;

export const SWARM_FLAGS: Record<string, FlagSpec> = {
  seeds: { value: true },
  from: { value: true },
  duration: { value: true },
  workers: { value: true },
  out: { value: true },
  base: { value: true },
  family: { value: true },
  json: { value: false },
  shard: { value: true },
};

type Verdict = 'ok' | 'VIOLATION' | 'FAILED';

/** One seed's outcome: what the per-seed line (text or JSON) says. */
interface SeedResult {
  seed: number;
  scenario: string;
  kinds: string[];
  verdict: Verdict;
  digest: string | null;
  tps_final: number | null;
  commits: number | null;
  violations: number;
  /** The checks that fired, in order of first firing: a new kind of finding stands out in a long run. */
  checks: string[];
  first_violation: Violation | null;
  /** Why the run failed (FAILED only). */
  error: string | null;
  /** Where the scenario was written, and the command that re-runs it (VIOLATION and FAILED). */
  file: string | null;
  reproduce: string | null;
}

interface SwarmOptions {
  seeds: number;
  from: number;
  duration_us: number | undefined;
  workers: number;
  out: string;
  json: boolean;
  base: DrawBase | undefined;
  /** The family of the drawn bases (none: the base's, or the default family's). */
  family: string | undefined;
  /** The flags that shape the drawing, for the header of written files. */
  drawFlags: string;
}

function options(p: Parsed, workersMax: number): SwarmOptions {
  if (p.positional.length > 0) {
    throw new UsageError(`swarm takes no scenario file (use --base FILE), got ${p.positional.map((x) => echoFileName(x)).join(' ')}`);
  }
  const seeds = intFlag(p, 'seeds', 1, SWARM_SEEDS_MAX);
  if (seeds === undefined) throw new UsageError(`missing --seeds N (how many seeds to draw, 1 to ${SWARM_SEEDS_MAX})`);
  const from = intFlag(p, 'from', 0, Number.MAX_SAFE_INTEGER - seeds) ?? 1;
  const d = p.flags.get('duration');
  let duration_us: number | undefined;
  if (typeof d === 'string') {
    let us: number | undefined;
    try {
      us = parseDuration(d);
    } catch (e) {
      if (e instanceof TooLargeError) throw new UsageError(`--duration: ${e.message}`);
      us = undefined;
    }
    if (us === undefined || us < SWARM_DURATION_MIN_US || us > DURATION_MAX_US) {
      throw new UsageError(`--duration: expected a duration from ${formatDuration(SWARM_DURATION_MIN_US)} to ${formatDuration(DURATION_MAX_US)} ` +
        `like "60s", got ${quoteText(d)}`);
    }
    duration_us = us;
  }
  const workers = intFlag(p, 'workers', 1, workersMax) ?? 1;
  const familyFlag = p.flags.get('family');
  const family = typeof familyFlag === 'string' ? familyFlag : undefined;
  if (family !== undefined && !SWARM_FAMILIES.includes(family)) {
    throw new UsageError(`--family: expected one of ${SWARM_FAMILIES.join(', ')}, got ${quoteText(family)}`);
  }
  const baseFlag = p.flags.get('base');
  const base = typeof baseFlag === 'string' ? loadBase(baseFlag) : undefined;
  if (family !== undefined && base !== undefined && base.scenario.protocol.family !== family) {
    throw new UsageError(`--family ${family}: --base ${echoFileName(String(baseFlag))} is a ${base.scenario.protocol.family} scenario (give one of the two, or a ${family} base)`);
  }
  if (base !== undefined && duration_us === undefined && base.scenario.duration_us < SWARM_DURATION_MIN_US) {
    throw new UsageError(`--base: ${echoFileName(String(baseFlag))} runs ${formatDuration(base.scenario.duration_us)}; a swarm needs at least ` +
      `${formatDuration(SWARM_DURATION_MIN_US)} (give --duration)`);
  }
  const drawFlags = [
    ...(family !== undefined ? [`--family ${family}`] : []),
    ...(typeof baseFlag === 'string' ? [`--base ${baseFlag}`] : []),
    ...(typeof d === 'string' ? [`--duration ${d}`] : []),
  ].join(' ');
  return {
    seeds, from, duration_us, workers, out: (p.flags.get('out') as string | undefined) ?? join('reports', 'swarm'),
    json: p.flags.get('json') === true, base, family, drawFlags,
  };
}

/**
 * A user's base scenario: read and validated by the loader (its errors exit 2 like `run`'s; a
 * FIFO or an oversized file is refused), and kept in the file form it was written in, so a drawn
 * file repeats the user's few lines, not every default.
 */
function loadBase(path: string): DrawBase {
  const { data, scenario } = loadScenarioFile(path);
  return { file: data as Record<string, unknown>, scenario };
}

/** The drawn file as YAML: each fault and byzantine entry, and each list of names, on one line. */
export function drawnYaml(d: Drawn, header: string): string {
  const doc = new Document(d.file);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((x) => isScalar(x))) node.flow = true;
    },
  });
  for (const key of ['faults', 'byzantine']) {
    const list = doc.get(key);
    if (isSeq(list)) for (const item of list.items) if (isMap(item)) item.flow = true;
  }
  doc.commentBefore = header;
  return doc.toString({ lineWidth: 0 });
}

function violationText(v: Violation): string {
  return `${v.check} at ${formatTimeUs(v.time_us)}s, table ${v.table}, height ${v.height}, node ${v.node}: ${v.message}`;
}

function seedLine(r: SeedResult): string {
  const faults = r.kinds.length > 0 ? r.kinds.join(',') : 'none';
  if (r.verdict === 'FAILED') return `seed ${r.seed}  faults ${faults}  FAILED: ${r.error}`;
  return `seed ${r.seed}  faults ${faults}  digest ${r.digest!.slice(0, 12)}  tps ${r.tps_final!.toFixed(1)}  ` +
    `commits ${r.commits}  violations ${r.violations}${r.checks.length > 0 ? ` (${r.checks.join(',')})` : ''}  ${r.verdict}`;
}

function commitsOf(s: Summary): number {
  return s.tables.reduce((n, t) => n + t.height_committed, 0);
}

export async function cmdSwarm(p: Parsed, io: Io, workersMax: number): Promise<number> {
  const o = options(p, workersMax);
  // A base scenario too large for this machine is refused before the first seed.
  if (o.base !== undefined) {
    const sc = o.duration_us === undefined ? o.base.scenario : { ...o.base.scenario, duration_us: o.duration_us };
    checkMemory(sc, o.workers, `--base ${echoFileName(String(p.flags.get('base')))}`, io.memory_bytes);
  }
  // Checked before the first seed (creating nothing): a finding must never be lost to a bad --out.
  try {
    checkDirWritable(o.out);
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr.write(`error: --out: ${e.message}\n`);
    return 2;
  }
  // A shard runs the seeds from + k with k % n == i - 1 (docs/scaling.md).
  const shardFlag = p.flags.get('shard');
  const shard = typeof shardFlag === 'string' ? parseShard(shardFlag, io.env ?? process.env) : { i: 1, n: 1 };
  const ks = shardItems(o.seeds, shard);
  try {
    for (const f of ['swarm.json', 'swarm.csv']) checkFileTarget(join(o.out, f));
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr.write(`error: --out: ${e.message}\n`);
    return 2;
  }
  const items: ResultItem[] = [];
  const resultsFile = (): ResultsFile => ({
    results_schema_version: RESULTS_SCHEMA_VERSION, kind: 'swarm', simulator_version: SIM_VERSION,
    job: `swarm --seeds ${o.seeds} --from ${o.from}${o.drawFlags ? ` ${o.drawFlags}` : ''}`,
    ids: Array.from({ length: o.seeds }, (_, k) => String(o.from + k)),
    shard: shard.n > 1 ? shard : null, missing: ks.filter((k) => !items.some((it) => it.k === k)), items,
  });
  const t0 = performance.now();
  const results: SeedResult[] = [];
  /** Seeds whose scenario file could not be written. */
  const unwritten: number[] = [];
  for (const k of ks) {
    const seed = o.from + k;
    const drawn = drawScenario(seed, { base: o.base, family: o.family, duration_us: o.duration_us });
    const sc = drawn.scenario;
    const file = join(o.out, `${sc.name}-seed${seed}.yaml`);
    const header = ` Drawn by: npm run sim -- swarm --seeds 1 --from ${seed}${o.drawFlags ? ` ${o.drawFlags}` : ''}\n` +
      ` Every fault has ended by ${formatDuration(drawn.faultEnd_us)}; the liveness phase follows.`;
    const yaml = drawnYaml(drawn, header);
    io.stderr.write(`# swarm seed ${seed}\n${yaml}`);
    const r: SeedResult = {
      seed, scenario: sc.name, kinds: drawn.kinds, verdict: 'ok', digest: null, tps_final: null, commits: null,
      violations: 0, checks: [], first_violation: null, error: null, file: null, reproduce: null,
    };
    const started = performance.now();
    try {
      const result = await runOnWorkers(sc, { workers: o.workers, spawn: io.spawnWorker ?? spawnNodeWorker, cores: availableParallelism() });
      const s = result.summary;
      r.digest = s.digest;
      r.tps_final = s.tps_final;
      r.commits = commitsOf(s);
      r.violations = s.violations.length;
      r.checks = [...new Set(s.violations.map((v) => v.check))];
      r.first_violation = s.violations[0] ?? null;
      if (r.violations > 0) r.verdict = 'VIOLATION';
    } catch (e) {
      // A run that throws is a finding too (a simulator bug this scenario reaches): keep it.
      r.verdict = 'FAILED';
      r.error = e instanceof WorkerFailure
        ? `worker ${e.worker} failed at simulated time ${formatTimeUs(e.at_us)} s: ${e.reason.split('\n')[0]}`
        : (e instanceof Error ? e.message : String(e)).split('\n')[0];
    }
    io.stderr.write(`# seed ${seed}: ${r.verdict}, ${((performance.now() - started) / 1000).toFixed(1)} s wall\n`);
    if (r.verdict !== 'ok') {
      r.file = file;
      r.reproduce = `npm run sim -- run ${file}`;
    }
    results.push(r);
    items.push({
      k, id: String(seed), digest: r.digest ?? '', status: r.verdict === 'ok' ? 'ok' : r.verdict === 'VIOLATION' ? `violation: ${r.checks.join(',')}` : `failed: ${r.error}`,
      figures: { faults: r.kinds.join(' '), tps_final: r.tps_final, commits: r.commits, violations: r.violations },
    });
    writeFileAtomic(join(o.out, 'swarm.json'), resultsJson(resultsFile()));
    // The finding first, then the file: a file that cannot be written loses nothing printed.
    if (o.json) io.stdout.write(JSON.stringify(r) + '\n');
    else {
      io.stdout.write(seedLine(r) + '\n');
      if (r.first_violation !== null) io.stdout.write(`  first violation: ${violationText(r.first_violation)}\n`);
      if (r.reproduce !== null) io.stdout.write(`  reproduce: ${r.reproduce}\n`);
    }
    if (r.file !== null) {
      try {
        writeFileAtomic(r.file, yaml);
      } catch (e) {
        // The exit code stays the finding's (1 or 3); the scenario is on stderr above and the
        // swarm command in its header draws it again.
        if (!(e instanceof OutputError)) throw e;
        unwritten.push(seed);
        io.stderr.write(`error: swarm seed ${seed}: ${e.message}; the scenario is the YAML above, and ` +
          `"npm run sim -- swarm --seeds 1 --from ${seed}${o.drawFlags ? ` ${o.drawFlags}` : ''}" draws it again\n`);
      }
    }
  }
  if (shard.n === 1) writeFileAtomic(join(o.out, 'swarm.csv'), resultsCsv(resultsFile()));
  const bad = results.filter((x) => x.verdict === 'VIOLATION').map((x) => x.seed);
  const failed = results.filter((x) => x.verdict === 'FAILED').map((x) => x.seed);
  const ok = results.length - bad.length - failed.length;
  const last = o.from + o.seeds - 1;
  if (o.json) {
    io.stdout.write(JSON.stringify({
      totals: { seeds: o.seeds, from: o.from, to: last, ...(shard.n > 1 ? { shard, run: results.length } : {}), ok, violation: bad, failed, ...(unwritten.length > 0 ? { unwritten } : {}) },
    }) + '\n');
  } else {
    const list = (seeds: number[]) => (seeds.length > 0 ? ` (seed${seeds.length === 1 ? '' : 's'} ${seeds.join(', ')})` : '');
    const of = shard.n > 1 ? `${results.length} of ` : '';
    io.stdout.write(`swarm: ${of}${o.seeds} seed${o.seeds === 1 ? '' : 's'} (${o.from}..${last}${shard.n > 1 ? `, shard ${shard.i}/${shard.n}` : ''}): ${ok} ok, ` +
      `${bad.length} VIOLATION${list(bad)}, ${failed.length} FAILED${list(failed)}` +
      `${unwritten.length > 0 ? `; scenario file not written${list(unwritten)}` : ''}\n`);
  }
  io.stderr.write(`swarm: ${results.length} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s wall\n`);
  return bad.length > 0 ? 1 : failed.length > 0 ? 3 : 0;
}
