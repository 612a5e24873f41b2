/**
 * Runs a scenario to its simulated-time limit and assembles the summary.
 *
 * Wall-clock figures come from functions the caller injects (the CLI passes its wall clock and
 * memory readings); the engine itself never reads a clock, and wall figures never enter the
 * digest or any simulated figure.
 */
import type { Scenario } from '../scenario/types.js';
import { invariant } from '../lib/assert.js';
import type { ProtocolModule } from '../contract/module.js';
import { buildRun, type BuiltRun } from './build.js';
import type { NodeCounters, ProgressFn, Simulation } from '../engine/sim.js';
import { SIM_VERSION } from '../engine/version.js';
import { scenarioToFile } from '../scenario/schema.js';
import { latencyCdf, latencyStats, round3 } from '../metrics/collector.js';
import { TimelineRecorder, mergeTimeline, type Timeline, type TimelineOptions } from './timeline.js';
import { SUMMARY_SCHEMA_VERSION, type Summary, type TimeseriesRow, type NodeStats, type PhaseStats } from '../metrics/types.js';

export interface WallHooks {
  now_ms: () => number;
  rss_bytes: () => number;
}

export interface RunOptions {
  progress?: ProgressFn;
  wall?: WallHooks;
  /** Called once the run is built, before it starts (tests and viewers attach observers here). */
  attach?: (built: BuiltRun) => void;
  /** Record per-node digests every so often (divergence finder). */
  checkpoint_us?: number;
  /** Record each event of these nodes in [from_us, to_us) (divergence finder). */
  trace?: { nodes: Uint8Array; from_us: number; to_us: number };
  /** Stop before this time instead of the scenario's end (for recordings). */
  stop_us?: number;
  /** Record the work each node handles for a Chrome trace (sim/report/trace.ts). */
  timeline?: TimelineOptions;
  /** The family, when not the registry's for `protocol.family` (tests of the seam). */
  module?: ProtocolModule;
}

/** What a recording run captured (see Simulation.recordCheckpoints and recordTrace). */
export interface Recorded {
  checkpoints: { every_us: number; times: number[]; lanes: Int32Array[] } | null;
  trace: number[] | null;
}

export interface RunResult extends Recorded {
  summary: Summary;
  timeseries: TimeseriesRow[];
  /** The run as built; in a run over several workers, the main thread's copy (no node programs). */
  built: BuiltRun;
  /** What RunOptions.timeline asked for (null when it was not). */
  timeline: Timeline | null;
}

/** The engine's figures of a finished run, from one simulation or merged from several workers. */
export interface RunTotals {
  digest: string;
  events: number;
  /** Message copies sent per kind (sparse: kinds never sent are holes). */
  msgCount: readonly (number | undefined)[];
  msgTableCount: ReadonlyMap<number, number>;
  bytesPerSecond: readonly number[];
  counters(i: number): NodeCounters;
  alive(i: number): boolean;
  workers: number;
  crossed: number;
}

export function totalsOf(sim: Simulation): RunTotals {
  return {
    digest: sim.digest(),
    events: sim.events,
    msgCount: sim.msgCount,
    msgTableCount: sim.msgTableCount,
    bytesPerSecond: sim.bytesPerSecond,
    counters: (i) => sim.counters(i),
    alive: (i) => sim.isAlive(i),
    workers: 1,
    crossed: 0,
  };
}

export function runScenario(sc: Scenario, opts: RunOptions = {}): RunResult {
  const wall = opts.wall;
  const t0 = wall ? wall.now_ms() : 0;
  let peak = wall ? wall.rss_bytes() : 0;
  const built = buildRun(sc, { module: opts.module });
  opts.attach?.(built);
  const { sim } = built;
  const checkpoints = opts.checkpoint_us !== undefined ? sim.recordCheckpoints(opts.checkpoint_us) : null;
  const trace = opts.trace ? sim.recordTrace(opts.trace.nodes, opts.trace.from_us, opts.trace.to_us) : null;
  const recorder = opts.timeline ? new TimelineRecorder(opts.timeline, built.module.positionOf) : null;
  if (recorder) sim.traceWork(recorder);
  sim.start();
  const progress: ProgressFn = (now, events) => {
    if (wall) peak = Math.max(peak, wall.rss_bytes());
    opts.progress?.(now, events);
  };
  sim.run(opts.stop_us ?? sc.duration_us, progress);
  sim.finish();
  built.checks.finish(sim.now_us);
  if (wall) peak = Math.max(peak, wall.rss_bytes());
  const wall_s = wall ? (wall.now_ms() - t0) / 1000 : 0;
  const totals = totalsOf(sim);
  const summary = summarize(built, totals, wall_s, peak);
  const timeseries = built.metrics.timeseries(sc.duration_us, sim.bytesPerSecond);
  const timeline = recorder ? mergeTimeline([recorder.take()], opts.timeline!) : null;
  return { summary, timeseries, built, checkpoints, trace: trace ? trace.rows : null, timeline };
}

/**
 * The run's phases, and whether its liveness phase could be judged: the checker looks for a
 * stretch without commits longer than the bound after the fault phase, so a liveness phase no
 * longer than the bound (or none at all) judges nothing.
 */
export function phasesOf(faultEnd_us: number, duration_us: number, bound_us: number): PhaseStats {
  const s = (us: number) => `${round3(us / 1e6)} s`;
  let reason: string | null = null;
  if (faultEnd_us >= duration_us) {
    reason = `the fault phase lasts until ${s(faultEnd_us)}, not before the run's end at ${s(duration_us)}`;
  } else if (duration_us - faultEnd_us <= bound_us) {
    reason = faultEnd_us === 0
      ? `the run (${s(duration_us)}) is not longer than the liveness bound (${s(bound_us)})`
      : `the liveness phase (${s(faultEnd_us)} to ${s(duration_us)}) is not longer than the liveness bound (${s(bound_us)})`;
  }
  return {
    fault_end_s: round3(faultEnd_us / 1e6), liveness_bound_s: round3(bound_us / 1e6),
    liveness_judged: reason === null, liveness_reason: reason,
  };
}

/** The summary of a finished run (`built`'s metrics and checks have seen all of it). */
export function summarize(b: BuiltRun, sim: RunTotals, wall_s: number, peak_rss_bytes: number): Summary {
  const { sc, metrics, module } = b;
  const end = sc.duration_us;
  const from = sc.warmup_us;
  const window_s = (end - from) / 1e6;
  const lat = metrics.latencies(from, end);
  const finalCount = lat.length;
  const slots = metrics.slots(from, end);
  const messages: Record<string, number> = {};
  sim.msgCount.forEach((v, k) => { if (v !== undefined) messages[module.kinds[k] ?? `kind_${k}`] = v; });
  const consensusMsgs = (t: number) => module.consensusKinds
    .reduce((n, k) => n + (sim.msgTableCount.get(k * 65536 + t) ?? 0), 0);
  const nodes: NodeStats[] = b.nodes.map((info, i) => {
    const c = sim.counters(i);
    const hw = sc.hardware[info.role as keyof Scenario['hardware']];
    const cores = hw.cores;
    return {
      node: info.name,
      role: info.role,
      region: info.region,
      bytes_in: c.bytes_in,
      bytes_out: c.bytes_out,
      cpu_busy_fraction: round3(c.cpu_busy_us / (cores * end)),
      crashed: !sim.alive(i) || c.crashed_us > 0,
      cores: hw.cores,
      upload_bps: hw.upload_bps,
      download_bps: hw.download_bps,
    };
  });
  const finalTotal = metrics.finalCount();
  const latency_final_ms: Summary['latency_final_ms'] = { all: latencyStats(lat) };
  const latency_cdf_ms: Summary['latency_cdf_ms'] = { all: latencyCdf(lat) };
  for (const cls of module.latencyClasses) {
    const l = metrics.latencies(from, end, cls);
    latency_final_ms[cls] = latencyStats(l);
    latency_cdf_ms[cls] = latencyCdf(l);
  }
  const tps_final = window_s > 0 ? finalCount / window_s : 0;
  const family = module.summarize(b.family, {
    sc, nodes: b.nodes, blocks: metrics.blocks(from, end), items: slots, offered: metrics.offered(from, end),
    tps_final, window_s, nodeStats: nodes, syncs: metrics.stateSyncs,
  });
  // `limits` is every family's (its slot, bandwidth and CPU limits); the rest are its own sections.
  const { limits, ...sections } = family;
  const base: Summary = {
    schema_version: SUMMARY_SCHEMA_VERSION,
    simulator_version: SIM_VERSION,
    scenario: sc.name,
    seed: sc.seed,
    crypto: sc.crypto,
    fidelity: sc.network.fidelity,
    digest: sim.digest,
    events: sim.events,
    sim_s: round3(end / 1e6),
    warmup_s: round3(from / 1e6),
    tx_submitted: metrics.submitted,
    tx_dropped: metrics.rejected,
    tx_final: finalTotal,
    tps_final: round3(tps_final),
    tps_slots: round3(window_s > 0 ? slots / window_s : 0),
    latency_final_ms,
    latency_cdf_ms,
    tables: metrics.tableStats(end, module.blockKinds, consensusMsgs),
    table_timeline: metrics.tableTimeline(end),
    nodes,
    messages,
    violations: b.checks.violations,
    limits: (limits ?? null) as Summary['limits'],
    phases: phasesOf(b.faultPhaseEnd_us, sc.duration_us, sc.checks.liveness_bound_us),
    scenario_file: scenarioToFile(sc, module.config),
    wall: {
      wall_s: round3(wall_s),
      events_per_wall_s: wall_s > 0 ? Math.round(sim.events / wall_s) : 0,
      sim_s_per_wall_s: wall_s > 0 ? round3(end / 1e6 / wall_s) : 0,
      peak_rss_bytes: peak_rss_bytes,
      workers: sim.workers,
      cross_worker_messages: sim.crossed,
      cross_worker_share: sim.crossed > 0 ? round3(sim.crossed / messageCopies(sim)) : 0,
    },
  };
  for (const k of Object.keys(sections)) {
    invariant(!(k in base), () => `family ${module.family}: its summary section "${k}" is a generic field`);
  }
  // The family's sections follow `phases`.
  const { scenario_file, wall, ...head } = base;
  return { ...head, ...sections, scenario_file, wall };
}

function messageCopies(t: RunTotals): number {
  let n = 0;
  for (const v of t.msgCount) n += v ?? 0;
  return n;
}
