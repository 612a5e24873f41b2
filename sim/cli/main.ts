/**
 * topsim command line.
 *
 *   run <scenario> [--seed N] [--duration 30s] [--warmup 5s] [--crypto real|modeled] [--fidelity packet|flow]
 *       [--replica-state shared|own] [--workers N]
 *       [--check-determinism] [--out DIR] [--json] [--trace [--trace-window 10s..12s] [--trace-cap N]]
 *   replay <summary.json> [--workers N]
 *   validate <file>   (a scenario or a comparison)
 *   swarm --seeds N [--from S] [--duration 60s] [--workers N] [--out DIR] [--family NAME | --base FILE] [--shard i/n|auto] [--json]
 *   sweep <scenario> --set key=v1,v2 [--set ...] [--shard i/n|auto] [--out DIR] [--workers N] [--duration 30s]
 *         [--warmup 5s] [--seed N] [--json]
 *   merge <dirs...> [--out DIR] [--json]
 *   compare <comparison> [--set key=v1,v2 ...] [--shard i/n] [--out DIR] [--workers N] [--duration 30s]
 *         [--warmup 5s] [--seed N] [--json]
 *   bench [--suite ci|full|propagation|FILE] [--only IDS] [--update-baseline] [--baseline FILE] [--log FILE] [--out DIR]
 *         [--wall-threshold R] [--workers N] [--json]
 *   help [command]   (also <command> --help or -h)
 *
 * Exit codes: 0 ok, 1 an invariant was violated (or the runs of --check-determinism differ),
 * 2 bad input or usage, 3 the run failed (a worker died). Wall-clock reads live here (and in
 * sim/bench), never in the simulation.
 */
import { performance } from 'node:perf_hooks';
import { availableParallelism, cpus } from 'node:os';
import { loadScenario, applyOverrides, parseDuration, parseScenario, scenarioToFile, ScenarioError, type Scenario } from '../scenario/index.js';
import { FIDELITIES, REPLICA_STATES } from '../scenario/types.js';
import { readTextFile, REPORT_BYTES_MAX, SCENARIO_BYTES_MAX } from '../scenario/load.js';
import { closest } from '../scenario/errors.js';
import { describeValue, echoFileName, echoText, quoteText } from '../scenario/units.js';
import { SIM_VERSION } from '../engine/version.js';
import type { Summary } from '../metrics/types.js';
import { phasesOf, runScenario, type RunResult, type WallHooks } from '../runner/run.js';
import { runOnWorkers, runPartitioned, WorkerFailure } from '../runner/parallel.js';
import { spawnNodeWorker } from '../runner/node-host.js';
import { checkDeterminism, formatDivergence, type Runner } from '../runner/determinism.js';
import { buildRun, defaultWorkers, faultPhaseEnd, familyOf } from '../runner/build.js';
import { formatSummaryTable, createProgress, summaryJson } from '../report/index.js';
import { OutputError, planRunReport, writeRunReport } from '../report/write.js';
import { TRACE_CAP, chromeTraceJson, traceNodes, type TimelineOptions } from '../report/trace.js';
import { parseArgs, intFlag, durationFlag, UsageError, wantsHelp, type Parsed } from './args.js';
import { cmdBench } from './bench.js';
import { checkMemory } from './memory.js';
import { cmdSwarm, SWARM_FLAGS, SWARM_SEEDS_MAX } from './swarm.js';
import { SWARM_FAMILIES } from '../scenario/draw.js';
import { DEFAULT_FAMILY } from '../protocol/families.js';
import { cmdMerge, cmdSweep, SWEEP_POINTS_MAX } from './sweep.js';
import { cmdCompare, COMPARE_RUNS_MAX, isComparisonFile, planCompare } from './compare.js';
import type { Io } from './io.js';

export type { Io };

/** Most workers a run may ask for. */
export const WORKERS_MAX = 64;

/** Each command's part of the usage text: its synopsis line and its options. */
const COMMAND_USAGE: Readonly<Record<string, string>> = {
  run: `  run <scenario.yaml|json>   run a scenario; writes reports/<scenario>/<seed>/ (or
                             <seed>-<hash8>/ when that holds another run's report)
      --seed N               override the scenario's seed
      --duration 30s         override the simulated duration
      --warmup 5s            override the warm-up (measurements start after it; it must be less
                             than the duration): --duration 4s --warmup 1s smoke-tests a large
                             scenario in seconds
      --crypto real|modeled  override the crypto mode (the digest is the same in both)
      --fidelity packet|flow override how bulk data travels (network.fidelity; the two
                             give different digests, docs/VALIDATION.md)
      --replica-state shared|own
                             override replica_state: one copy per table and thread of what
                             in-sync replicas hold alike, or a copy per replica (the digest is
                             the same in both; own needs more memory)
      --workers N            spread the nodes over N worker threads (default: one per core not
                             busy with other work, here up to ${availableParallelism()}, for a run with enough
                             work between barriers to gain from it; else 1); every N gives the
                             same digest
      --check-determinism    run twice in one thread and once over --workers threads, compare
                             the digests, and on a mismatch name the first node and simulated
                             time at which the runs diverge
      --out DIR              report root (default: reports)
      --json                 print only the summary JSON on stdout
      --trace                also write trace.json, a Chrome trace of the run: one track per node
                             and core, one slice per handled message, timer or clock tick (start,
                             CPU cost charged), crashes and restarts as instants; timestamps are
                             simulated µs. Open it at https://ui.perfetto.dev or chrome://tracing.
                             With --check-determinism, the first one-worker run is traced
      --trace-window A..B    trace only work that starts in [A, B), e.g. 10s..12s; implies --trace
      --trace-cap N          most slices in the trace (default ${TRACE_CAP}); past it the trace
                             stops at a time it names, with a warning`,
  replay: `  replay <summary.json>      re-run the scenario recorded in a summary and check its digest
      --workers N            worker threads for the re-run (default as for run; any number gives
                             the same digest)`,
  validate: `  validate <file>            check a scenario (or comparison) file; exit 2 with the first error`,
  swarm: `  swarm --seeds N            draw a fault scenario per seed (byzantine nodes within tolerance, every
                             fault healed before a liveness phase), run each, print one line per
                             seed; a violating seed's scenario is written with the command that
                             reproduces it (the drawn YAML goes to stderr)
      --from S               first seed (default 1); seeds S..S+N-1, N up to ${SWARM_SEEDS_MAX}
      --duration 60s         override the simulated duration (at least 5s)
      --workers N            worker threads per run (default 1)
      --family NAME          the family of the built-in small network: ${SWARM_FAMILIES.join(' or ')}
                             (default ${DEFAULT_FAMILY})
      --base FILE            draw faults on this scenario's topology, workload and settings
                             instead of the built-in small network (its faults are replaced; its
                             family is the file's)
      --shard i/n|auto       run only the seeds from+k with k % n == i-1, as for sweep
      --out DIR              where violating scenarios go, with swarm.json (and unsharded,
                             swarm.csv: one row per seed) for merge (default: reports/swarm)
      --json                 one JSON object per seed, and one for the totals`,
  sweep: `  sweep <scenario.yaml|json> run the scenario at every point of a grid of values; each point's
                             report goes to <out>/<point-id>/ (like tables=256,rate_tps=5000), the
                             manifest to <out>/sweep.json, and without --shard sweep.csv and
                             sweep.html (the sweep curves); one line per point on stderr
      --set key=v1,v2,...    a key to sweep (repeatable; the first varies slowest): tables, rate
                             (or rate_tps), validators, auditors, auditor_groups, validator_groups,
                             edges, accounts, seed, or a dotted path into the scenario file such as
                             network.loss_percent; up to ${SWEEP_POINTS_MAX} points
      --shard i/n|auto       run only the points k with k % n == i-1 (i from 1 to n); auto reads
                             the index and count of a Kubernetes Indexed Job, a Slurm job array
                             or a GitLab parallel job (docs/scaling.md)
      --duration 30s         override the simulated duration of every point
      --warmup 5s            override the warm-up of every point (less than the duration)
      --seed N               override the scenario's seed (unless seed is swept)
      --workers N            worker threads per run (default 1: points are independent)
      --out DIR              default reports/sweeps/<scenario>/ (plus shard-i-of-n/ with --shard)
      --json                 print the manifest as JSON instead of the results table`,
  merge: `  merge <dir...>             combine the shards of one sweep (sweep.json: into sweep.json,
                             sweep.csv and sweep.html), one bench suite (bench.json: into
                             bench.json and bench.csv) or one swarm (swarm.json: into swarm.json
                             and swarm.csv); exit 1 naming items missing from all of them (the
                             output is still written) or an item whose digests differ
      --out DIR              default reports/sweeps/<scenario>/merged
      --json                 print the merged manifest as JSON instead of the results table`,
  compare: `  compare <comparison.yaml>  run scenarios of any families on what the file makes them share
                             (seed, duration, network, hardware, offered load, faults) and print
                             their figures side by side: a sweep whose last key is the run, with
                             each run's report in <out>/<point-id>/ and sweep.json, sweep.csv and
                             sweep.html beside them; up to ${COMPARE_RUNS_MAX} runs (an example:
                             scenarios/compare/compare-top-bystack.yaml)
      --set key=v1,v2,...    also sweep a shared key across every run, like rate=500,2000
      --shard i/n|auto       run only the points k with k % n == i-1, as for sweep (merge
                             combines the shards)
      --duration 30s         override the simulated duration of every run
      --warmup 5s            override the warm-up of every run
      --seed N               override the seed of every run
      --workers N            worker threads per run (default 1)
      --out DIR              default reports/compare/<name>/ (plus shard-i-of-n/ with --shard)
      --json                 print the manifest as JSON instead of the results table`,
  bench: `  bench                      run a benchmark suite; append one JSON line per run to
                             reports/bench.jsonl; compare with reports/baseline.json: any change
                             of a simulated figure fails, wall figures warn beyond a ratio
      --suite ci|full|propagation|FILE
                             ci (default; within 10 minutes on 2 cores), full, propagation
                             (Bystack's block propagation at 1,000 and 6,000 nodes), or a suite file
                             {"entries": [{"id", "scenario", "duration", "seed", "workers"}]}
      --only ID,ID           run only these entries of the suite
      --update-baseline      record this run's figures as the baseline (instead of comparing)
      --baseline FILE        default reports/baseline.json
      --log FILE             default reports/bench.jsonl
      --out DIR              where each run's report goes, as DIR/<suite>/<id>/ (default reports/bench)
      --wall-threshold R     warn when a wall figure is R times worse (default 1.5)
      --workers N            override every entry's worker count (simulated figures stay equal)
      --shard i/n|auto       run only the entries k with k % n == i-1 (after --only), as for sweep;
                             each shard writes bench.json (and unsharded, bench.csv) beside the
                             reports, and merge combines them
      --json                 one JSON object per run on stdout instead of the results lines`,
  help: `  help [command]             this text, or one command's part of it (also: <command> --help)`,
};

const COMMANDS = Object.keys(COMMAND_USAGE);

const EXIT_CODES = `exit codes: 0 ok, 1 an invariant was violated (in any swarm seed or sweep point),
            --check-determinism found a difference, a merge is incomplete, or a benchmark's
            simulated figures differ from the baseline, 2 bad input or usage, 3 the run failed
            (a worker thread died; in a swarm, a run threw and no seed violated an invariant)
files: a scenario (or suite) file is a regular file of at most ${SCENARIO_BYTES_MAX / 2 ** 20} MiB, a summary.json at most
            ${REPORT_BYTES_MAX / 2 ** 20} MiB; a FIFO, socket, device or directory is refused`;

export const USAGE = `usage: npm run sim -- <command> [options]

commands:
${COMMANDS.map((c) => COMMAND_USAGE[c]).join('\n')}

${EXIT_CODES}`;

/** One command's usage (`run --help`). */
export function commandUsage(cmd: string): string {
  return `usage: npm run sim -- ${cmd} ${cmd === 'help' ? '[command]' : '[options]'}\n\n${COMMAND_USAGE[cmd]}\n\n${EXIT_CODES}`;
}

/** "unknown command "rn" (did you mean run?)", or the list of commands when none is close. */
function unknownCommand(cmd: string): UsageError {
  const near = closest(cmd, COMMANDS);
  return new UsageError(`unknown command ${quoteText(cmd)} (${near !== undefined ? `did you mean ${near}?` : `expected ${COMMANDS.slice(0, -1).join(', ')} or help`})`);
}

const RUN_FLAGS = {
  seed: { value: true },
  duration: { value: true },
  warmup: { value: true },
  crypto: { value: true },
  fidelity: { value: true },
  'replica-state': { value: true },
  out: { value: true },
  json: { value: false },
  workers: { value: true },
  'check-determinism': { value: false },
  trace: { value: false },
  'trace-window': { value: true },
  'trace-cap': { value: true },
};

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (cmd !== undefined && cmd !== 'help' && COMMANDS.includes(cmd) && wantsHelp(rest)) {
      io.stdout.write(commandUsage(cmd) + '\n');
      return 0;
    }
    switch (cmd) {
      case 'run':
        return await cmdRun(parseArgs(rest, RUN_FLAGS), io);
      case 'replay':
        return await cmdReplay(parseArgs(rest, { workers: { value: true } }), io);
      case 'validate':
        return cmdValidate(parseArgs(rest, {}), io);
      case 'swarm':
        return await cmdSwarm(parseArgs(rest, SWARM_FLAGS), io, WORKERS_MAX);
      case 'sweep':
        return await cmdSweep(rest, io, WORKERS_MAX);
      case 'merge':
        return await cmdMerge(rest, io);
      case 'compare':
        return await cmdCompare(rest, io, WORKERS_MAX);
      case 'bench':
        return await cmdBench(rest, io, WORKERS_MAX);
      case 'help':
      case '--help':
      case '-h': {
        const about = rest.find((a) => a !== '--help' && a !== '-h');
        if (about === undefined) io.stdout.write(USAGE + '\n');
        else if (COMMANDS.includes(about)) io.stdout.write(commandUsage(about) + '\n');
        else throw unknownCommand(about);
        return 0;
      }
      case undefined:
        throw new UsageError('missing command (run, replay, validate, swarm, sweep, merge, compare, bench, help)');
      default:
        throw unknownCommand(cmd);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError) {
      io.stderr.write(`error: ${e.message}\n`);
      if (e instanceof UsageError) io.stderr.write(`run "npm run sim -- help" for usage\n`);
      return 2;
    }
    if (e instanceof OutputError) {
      // An output place found unusable where a command did not check it itself: one line.
      io.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof WorkerFailure) {
      io.stderr.write(`\nerror: worker ${e.worker} failed at simulated time ${(e.at_us / 1e6).toFixed(6)} s: ` +
        `${e.reason.split('\n')[0]}\nno report was written\n`);
      return 3;
    }
    throw e;
  }
}

function onePositional(p: Parsed, what: string): string {
  if (p.positional.length === 0) throw new UsageError(`missing ${what}`);
  if (p.positional.length > 1) {
    throw new UsageError(`expected one ${what}, got ${p.positional.length}: ${p.positional.map((x) => echoFileName(x)).join(' ')}`);
  }
  return p.positional[0];
}

function loadWithOverrides(p: Parsed): Scenario {
  const file = onePositional(p, 'scenario file');
  const seed = intFlag(p, 'seed', 0);
  const duration_us = durationFlag(p, 'duration');
  const warmup_us = durationFlag(p, 'warmup');
  let sc = applyOverrides(loadScenarioNotComparison(file, 'run'), { seed, duration_us, warmup_us });
  const crypto = p.flags.get('crypto');
  if (crypto !== undefined) {
    if (crypto !== 'real' && crypto !== 'modeled') throw new UsageError(`--crypto: expected real or modeled, got ${quoteText(String(crypto))}`);
    sc = { ...sc, crypto };
  }
  const fidelity = p.flags.get('fidelity');
  if (fidelity !== undefined) {
    const f = FIDELITIES.find((x) => x === fidelity);
    if (f === undefined) throw new UsageError(`--fidelity: expected ${FIDELITIES.join(', ')}, got ${quoteText(String(fidelity))}`);
    sc = { ...sc, network: { ...sc.network, fidelity: f } };
  }
  const state = p.flags.get('replica-state');
  if (state !== undefined) {
    const s = REPLICA_STATES.find((x) => x === state);
    if (s === undefined) throw new UsageError(`--replica-state: expected ${REPLICA_STATES.join(', ')}, got ${quoteText(String(state))}`);
    sc = { ...sc, replica_state: s };
  }
  return sc;
}

/** What --trace, --trace-window and --trace-cap ask for (null: no trace). */
function traceOptions(p: Parsed, sc: Scenario): TimelineOptions | null {
  const w = p.flags.get('trace-window');
  const cap = intFlag(p, 'trace-cap', 1) ?? TRACE_CAP;
  if (p.flags.get('trace') !== true && w === undefined) {
    if (p.flags.has('trace-cap')) throw new UsageError('--trace-cap: only with --trace or --trace-window');
    return null;
  }
  if (typeof w !== 'string') return { from_us: 0, to_us: sc.duration_us, cap };
  const parts = w.split('..');
  let from_us = NaN;
  let to_us = NaN;
  if (parts.length === 2) {
    try {
      from_us = parseDuration(parts[0]);
      to_us = parseDuration(parts[1]);
    } catch {
      // reported below
    }
  }
  if (Number.isNaN(from_us) || Number.isNaN(to_us)) {
    throw new UsageError(`--trace-window: expected FROM..TO with durations like 10s..12s, got ${quoteText(w)}`);
  }
  if (from_us >= to_us) throw new UsageError(`--trace-window: FROM (${echoText(parts[0])}) must be before TO (${echoText(parts[1])}), got ${quoteText(w)}`);
  if (to_us > sc.duration_us) {
    throw new UsageError(`--trace-window: TO (${echoText(parts[1])}) is beyond the run's duration (${sc.duration_us / 1e6}s), got ${quoteText(w)}`);
  }
  return { from_us, to_us, cap };
}

/**
 * Cores other work keeps busy right now: the machine's busy share over a quarter second, times its
 * cores (the load average would still count a run that just ended). chooseWorkers asks only for
 * a run that would otherwise take more than one worker.
 */
async function busyCores(): Promise<number> {
  const sample = () => cpus().reduce((a, c) => {
    const t = c.times;
    a.busy += t.user + t.nice + t.sys + t.irq;
    a.all += t.user + t.nice + t.sys + t.irq + t.idle;
    return a;
  }, { busy: 0, all: 0 });
  const a = sample();
  await new Promise((done) => setTimeout(done, 250));
  const b = sample();
  const all = b.all - a.all;
  return all > 0 ? ((b.busy - a.busy) / all) * cpus().length : 0;
}

/**
 * The worker count of a run that does not ask (defaultWorkers): one per free core for a run that
 * gains from workers; says so when other work on the machine cut the count.
 */
async function chooseWorkers(sc: Scenario, io: Io): Promise<number> {
  const cores = availableParallelism();
  const ideal = defaultWorkers(sc, cores);
  if (ideal === 1) return 1;
  const busy = io.busy_cores ?? await busyCores();
  const w = defaultWorkers(sc, cores, busy);
  if (w < ideal) {
    io.stderr.write(`workers: ${w} instead of ${ideal}: other work keeps ${busy.toFixed(1)} of ${cores} cores busy ` +
      `(--workers ${ideal} to use them anyway)\n`);
  }
  return w;
}

const WALL: WallHooks = { now_ms: () => performance.now(), rss_bytes: () => process.memoryUsage().rss };

/**
 * A run with faults whose liveness phase cannot be judged (a `--duration` that ends the run inside
 * or too soon after the fault phase) says so before it starts; the summary records it too.
 */
function warnLiveness(sc: Scenario, io: Io): void {
  const end = faultPhaseEnd(sc);
  if (end === 0) return;
  const phases = phasesOf(end, sc.duration_us, sc.checks.liveness_bound_us);
  if (!phases.liveness_judged) io.stderr.write(`warning: liveness will not be judged: ${phases.liveness_reason}\n`);
}

async function cmdRun(p: Parsed, io: Io): Promise<number> {
  const sc = loadWithOverrides(p);
  warnLiveness(sc, io);
  const timeline = traceOptions(p, sc) ?? undefined;
  const outRoot = (p.flags.get('out') as string | undefined) ?? 'reports';
  const json = p.flags.get('json') === true;
  const cores = availableParallelism();
  const workers = intFlag(p, 'workers', 1, WORKERS_MAX) ?? await chooseWorkers(sc, io);
  checkMemory(sc, workers, onePositional(p, 'scenario file'), io.memory_bytes);
  const spawn = io.spawnWorker ?? spawnNodeWorker;
  // The report's place is checked before the run, so a bad --out costs nothing.
  try {
    planRunReport(outRoot, sc.name, sc.seed, scenarioToFile(sc));
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr.write(`error: --out: ${e.message}\n`);
    return 2;
  }
  const newBar = (what: string) => {
    if (what) io.stderr.write(`${what}\n`);
    return createProgress(io.stderr as never, sc.duration_us / 1e6, { now_ms: () => performance.now(), min_interval_ms: 100 });
  };
  const run = async (w: number, what: string): Promise<RunResult> => {
    const bar = newBar(what);
    const progress = (now_us: number, events: number) => bar.update(now_us / 1e6, events);
    const result = await runOnWorkers(sc, { workers: w, spawn, cores, progress, wall: WALL, timeline });
    bar.update(sc.duration_us / 1e6, result.summary.events);
    bar.done();
    return result;
  };
  let result: RunResult;
  if (p.flags.get('check-determinism') === true) {
    const names = buildRun(sc, { local: 'none' }).nodes.map((x) => x.name);
    let kept: RunResult | null = null;
    const inProcess = (label: string): Runner => ({
      label,
      run: async (rec) => {
        const bar = newBar(rec.trace ? `locating the divergence (${label})` : `determinism check: ${label}`);
        // Only the run whose report is kept records the trace.
        const traced = !rec.trace && kept === null ? timeline : undefined;
        const r = runScenario(sc, { ...rec, wall: WALL, progress: (t, e) => bar.update(t / 1e6, e), timeline: traced });
        bar.done();
        if (!rec.trace && kept === null) kept = r;
        return { digest: r.summary.digest, checkpoints: r.checkpoints, trace: r.trace };
      },
    });
    const runners = [inProcess('1 worker, run 1'), inProcess('1 worker, run 2')];
    const N = Math.max(2, workers);
    runners.push({
      label: `${N} workers`,
      run: async (rec) => {
        const bar = newBar(rec.trace ? `locating the divergence (${N} workers)` : `determinism check: ${N} workers`);
        const r = await runPartitioned(sc, { ...rec, workers: N, spawn, cores, wall: WALL, progress: (t, e) => bar.update(t / 1e6, e) });
        bar.done();
        return { digest: r.summary.digest, checkpoints: r.checkpoints, trace: r.trace };
      },
    });
    const report = await checkDeterminism(sc, runners, names);
    for (const d of report.digests) io.stderr.write(`  ${d.label.padEnd(16)} ${d.digest}\n`);
    if (!report.same) {
      io.stderr.write(`error: not deterministic: ${report.divergence ? formatDivergence(report.divergence) : 'digests differ'}\n` +
        'no report was written\n');
      return 1;
    }
    io.stderr.write(`determinism: ok, the same digest in ${runners.length} runs\n`);
    result = kept!;
  } else {
    result = await run(workers, '');
  }
  const extra: Record<string, string> = {};
  const tl = result.timeline;
  if (tl) {
    const module = result.built.module;
    extra['trace.json'] = chromeTraceJson(tl, traceNodes(sc, result.built.nodes, module), {
      scenario: sc.name, seed: sc.seed, digest: result.summary.digest, simulator_version: SIM_VERSION,
    }, module);
    if (tl.truncated_at_us !== null) {
      io.stderr.write(`warning: trace.json stops at ${(tl.truncated_at_us / 1e6).toFixed(6)} s simulated: the cap of ` +
        `${tl.cap} slices was reached (--trace-window picks a stretch, --trace-cap raises the cap)\n`);
    }
  }
  const violated = result.summary.violations.length > 0;
  // The results first: a report that cannot be written (the place changed during the run) loses
  // the files, not the outcome.
  if (json) io.stdout.write(summaryJson(result.summary) + '\n');
  else io.stdout.write(formatSummaryTable(result.summary) + '\n');
  let dir: string;
  try {
    dir = writeRunReport(outRoot, result.summary, result.timeseries, extra);
  } catch (e) {
    if (!(e instanceof OutputError)) throw e;
    io.stderr.write(`error: --out: ${e.message}; no report was written\n`);
    return violated ? 1 : 2;
  }
  if (!json) {
    io.stdout.write(`report: ${dir}/report.html\n`);
    if (tl) io.stdout.write(`trace: ${dir}/trace.json (${tl.slices} slices; open it at https://ui.perfetto.dev)\n`);
  }
  return violated ? 1 : 0;
}

/**
 * Re-runs the scenario a summary recorded (its `scenario_file`, overrides applied) and compares
 * the digests; the summary's simulator version is named either way.
 */
async function cmdReplay(p: Parsed, io: Io): Promise<number> {
  const file = onePositional(p, 'summary file');
  const name = echoFileName(file);
  const text = readTextFile(file, { maxBytes: REPORT_BYTES_MAX, what: 'a summary' });
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new UsageError(`${name}: expected a summary.json, got text that is not JSON`);
  }
  const rec = data as Partial<Summary> | null;
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
    throw new UsageError(`${name}: expected a summary object, got ${Array.isArray(rec) ? 'an array' : describeValue(rec)}`);
  }
  if (typeof rec.digest !== 'string' || !/^[0-9a-f]{64}$/.test(rec.digest)) {
    throw new UsageError(`${name}: digest: expected 64 hex characters, got ${describeValue(rec.digest)}`);
  }
  if (rec.scenario_file === undefined) {
    throw new UsageError(`${name}: scenario_file: missing (summaries record their scenario from schema_version 2 on; ` +
      `this one is version ${describeValue(rec.schema_version)} from topsim ${describeValue(rec.simulator_version)})`);
  }
  let sc: Scenario;
  try {
    sc = parseScenario(rec.scenario_file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`${name}: scenario_file.${e.message}`);
    throw e;
  }
  const workers = intFlag(p, 'workers', 1, WORKERS_MAX) ?? await chooseWorkers(sc, io);
  checkMemory(sc, workers, name, io.memory_bytes);
  warnLiveness(sc, io);
  const bar = createProgress(io.stderr as never, sc.duration_us / 1e6, { now_ms: () => performance.now(), min_interval_ms: 100 });
  const progress = (now_us: number, events: number) => bar.update(now_us / 1e6, events);
  const result = await runOnWorkers(sc, { workers, spawn: io.spawnWorker ?? spawnNodeWorker, cores: availableParallelism(), progress, wall: WALL });
  bar.done();
  const made = `recorded by topsim ${rec.simulator_version ?? '(unknown)'}, replayed by topsim ${SIM_VERSION}`;
  if (result.summary.digest === rec.digest) {
    io.stdout.write(`replay: same digest ${rec.digest} (${sc.name}, seed ${sc.seed}, ${sc.duration_us / 1e6} s; ${made})\n`);
    return 0;
  }
  io.stdout.write(`replay: DIGEST DIFFERS for ${sc.name}, seed ${sc.seed}: recorded ${rec.digest}, replayed ` +
    `${result.summary.digest} (${made}${rec.simulator_version !== SIM_VERSION ? '; the versions differ' : ''})\n`);
  return 1;
}

/**
 * A scenario file, or, when the file is a comparison (`compare: 1`), a one-line error that says
 * which command runs it.
 */
function loadScenarioNotComparison(file: string, cmd: string): Scenario {
  try {
    return loadScenario(file);
  } catch (e) {
    if (e instanceof ScenarioError && isComparisonFile(file)) {
      throw new UsageError(`${echoFileName(file)} is a comparison, not a scenario: npm run sim -- compare ${echoFileName(file)}${cmd === 'validate' ? '' : ` runs it`}`);
    }
    throw e;
  }
}

function cmdValidate(p: Parsed, io: Io): number {
  const file = onePositional(p, 'scenario file');
  let sc: Scenario;
  try {
    sc = loadScenario(file);
  } catch (e) {
    if (!(e instanceof ScenarioError) || !isComparisonFile(file)) throw e;
    // A comparison: every run checked as `compare` checks it.
    const plan = planCompare([file], 1);
    io.stdout.write(`ok: ${echoFileName(file)}: comparison "${plan.scenarioName}" of ${plan.labels.length} runs, ` +
      `${plan.points.map((x, i) => `${plan.labels[i]} (${x.scenario.protocol.family}: ${familyOf(x.scenario).describe(x.scenario)})`).join('; ')}\n`);
    return 0;
  }
  io.stdout.write(
    `ok: ${echoFileName(file)}: scenario "${sc.name}", ${familyOf(sc).describe(sc)}, ${sc.faults.length} faults, ` +
    `${sc.byzantine.length > 0 ? `${sc.byzantine.length} byzantine entr${sc.byzantine.length === 1 ? 'y' : 'ies'}, ` : ''}` +
    `${sc.duration_us / 1e6} s simulated\n`,
  );
  return 0;
}

