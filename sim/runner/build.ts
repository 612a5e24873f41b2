/**
 * Builds a runnable simulation from a normalized scenario: the nodes of the family's layout placed
 * in regions, the network and its link faults, byzantine windows, the family's programs and shared
 * facts, and the metrics and checks that read the run's observation records. Everything decided
 * here is a function of the scenario and its seed; the family is `protocol.family`'s module.
 */
import { genericFault, type Scenario } from '../scenario/types.js';
import { Simulation, type NetParams } from '../engine/sim.js';
import type { NodeLogic } from '../contract/env.js';
import type { FamilyRun, NodeInfo, ProtocolModule } from '../contract/module.js';
import type { CommitKey, RecordSink } from '../contract/observe.js';
import { Stream, streamSeed } from '../lib/random.js';
import { invariant } from '../lib/assert.js';
import { NetTopology } from '../net/topology.js';
import { Checkers } from '../checks/checkers.js';
import { MetricsCollector } from '../metrics/collector.js';
import { faultPhaseEnd, linkWindows, resolveSelectors as resolveWith, type SelectorWords } from '../faults/schedule.js';
import { ByzantineWindows } from '../faults/byzantine.js';
import { moduleOf } from '../protocol/registry.js';

export { faultPhaseEnd, type NodeInfo };

export interface BuiltRun<R extends FamilyRun = FamilyRun> {
  sc: Scenario;
  sim: Simulation;
  module: ProtocolModule<R>;
  /** The family's part of the run (TOP: sim/protocol/top/module.ts TopRun). */
  family: R;
  nodes: NodeInfo[];
  /** When each node is byzantine: checks and metrics leave out what it does in those windows. */
  byzantine: ByzantineWindows;
  checks: Checkers;
  metrics: MetricsCollector;
  /** End of the fault phase: liveness is judged from here on. */
  faultPhaseEnd_us: number;
  /**
   * Also tells `w` of every record metrics and checks see, after them (the page's incremental
   * figures, tests). It only reads; the run is the same with and without it.
   */
  watch(w: Partial<RecordSink>): void;
  /** Metrics, checks and watchers as one sink: where a run over workers replays their records. */
  judge: RecordSink;
}

export interface BuildOptions {
  /**
   * A partitioned run: 1 for the nodes this instance runs. The others get no program (their
   * events go to the workers that run them) and their state is never built here. 'none': the
   * main thread's copy of a run over workers, which runs no node.
   */
  local?: Uint8Array | 'none';
  /** Where records go instead of metrics and checks (a worker records them for the main thread). */
  records?: (sim: Simulation) => RecordSink;
  /** The family, when not the one `protocol.family` names (tests of a family outside the registry). */
  module?: ProtocolModule;
}

/** Stands in for a node that another worker runs; the engine never calls it. */
const ELSEWHERE: NodeLogic = {
  onStart: elsewhere, onMessage: elsewhere, onTimer: elsewhere, onTick: elsewhere, onRestart: elsewhere,
};
function elsewhere(): never {
  throw new Error('a node run by another worker was called here');
}

/** The family module a scenario runs. */
export function familyOf(sc: Scenario): ProtocolModule {
  return moduleOf(sc.protocol.family);
}

/**
 * The node ids a list of selectors stands for (sim/scenario/selectors.ts), ascending, with the
 * scenario's family naming its groups. `site` names where the list stands in the scenario.
 */
export function resolveSelectors(
  sel: readonly string[], sc: Scenario, nodes: readonly NodeInfo[], site: string, module: ProtocolModule = familyOf(sc),
): number[] {
  return resolveWith(sel, sc, nodes, site, selectorWords(sc, module));
}

/** The words of a family's selectors and what its groups hold in this scenario. */
function selectorWords(sc: Scenario, module: ProtocolModule): SelectorWords {
  return { vocabulary: module.config.vocabulary, roles: module.layout(sc).map(([role]) => role), groups: module.groups(sc) };
}

/** How many nodes a scenario has. */
export function nodeCount(sc: Scenario, module: ProtocolModule = familyOf(sc)): number {
  return module.layout(sc).reduce((sum, [, , count]) => sum + count, 0);
}

/** Work per lookahead window, in events (the family's estimate). */
export function eventsPerWindow(sc: Scenario, module: ProtocolModule = familyOf(sc)): number {
  return module.eventsPerWindow(sc);
}

/**
 * Below this much work per window a run is faster in one thread than over several: workers
 * advance in lock-step windows one lookahead long, and each barrier costs ~100-150 µs (measured
 * on 2 cores: default.yaml, ~2 events per window, 0.64 s in one thread against 2.9 s over two;
 * top-small, ~10 per window, 1.5 s against 4.4 s; viz-1k, ~360 per window, 14.4 s against
 * 10.7-12.5 s; top-mainnet, ~850 per window, 36-40 s against 25 s; 12-30 simulated s each).
 */
export const WORKERS_MIN_EVENTS_PER_WINDOW = 300;

/**
 * Worker threads for a run that does not ask: one per free core when the run has enough work
 * per window to gain from more (WORKERS_MIN_EVENTS_PER_WINDOW), else one. `busy` is how many
 * cores other work keeps busy (the CLI samples it before the run): a worker without a core of its own makes every
 * barrier wait for the scheduler, and a run over two workers sharing one core with something
 * else was measured 2-2.5 times slower than the same run in one thread.
 */
export function defaultWorkers(sc: Scenario, cores: number, busy = 0): number {
  if (eventsPerWindow(sc) < WORKERS_MIN_EVENTS_PER_WINDOW) return 1;
  const free = Math.floor(cores - busy + 0.5);
  return free >= 2 ? free : 1;
}

/**
 * The node list of a scenario: the family's roles in id order, each node placed in a region
 * (round robin per role, or a seeded draw), with each node's index in the region list.
 */
export function layoutNodes(sc: Scenario, module: ProtocolModule): { nodes: NodeInfo[]; regionIdx: Int32Array } {
  const nodes: NodeInfo[] = [];
  const idx: number[] = [];
  const regions = sc.network.latency.regions;
  const place = new Stream(streamSeed(sc.seed, 'run', 0, 'placement'));
  const placement = module.placement(sc);
  for (const [role, prefix, count] of module.layout(sc)) {
    for (let i = 0; i < count; i++) {
      const r = placement === 'round_robin' ? i % regions.length : place.int(0, regions.length - 1);
      idx.push(r);
      nodes.push({ name: `${prefix}${i}`, role, region: regions[r] });
    }
  }
  return { nodes, regionIdx: Int32Array.from(idx) };
}

/**
 * The records of a run go to metrics and checks, then to watchers; the one place that fans them
 * out, in one thread or when the main thread replays the workers' records.
 */
class Judge implements RecordSink {
  readonly watchers: Partial<RecordSink>[] = [];
  constructor(private readonly metrics: MetricsCollector, private readonly checks: Checkers) {}
  submit(node: number, now_us: number, tx: number, at_us: number, cls: number): void {
    this.metrics.submit(tx, at_us, cls);
    this.checks.submit(tx, at_us, cls);
    for (const w of this.watchers) w.submit?.(node, now_us, tx, at_us, cls);
  }
  reject(node: number, now_us: number, tx: number, reason: number): void {
    this.metrics.reject(tx);
    for (const w of this.watchers) w.reject?.(node, now_us, tx, reason);
  }
  view(node: number, now_us: number, chain: number, view: number): void {
    this.metrics.view(node, now_us, chain, view);
    for (const w of this.watchers) w.view?.(node, now_us, chain, view);
  }
  commit(node: number, now_us: number, key: CommitKey, block: object, state: number): void {
    this.metrics.commit(node, now_us, key, block);
    this.checks.commit(node, now_us, key, block, state);
    for (const w of this.watchers) w.commit?.(node, now_us, key, block, state);
  }
  sync(node: number, now_us: number, key: CommitKey, block: object, bytes: number): void {
    this.metrics.sync(node, key.chain, now_us, bytes);
    this.checks.sync(node, now_us, key);
    for (const w of this.watchers) w.sync?.(node, now_us, key, block, bytes);
  }
  note(node: number, now_us: number, kind: number, chain: number, value: number): void {
    this.checks.note(node, now_us, kind, chain, value);
    for (const w of this.watchers) w.note?.(node, now_us, kind, chain, value);
  }
}

export function buildRun<R extends FamilyRun = FamilyRun>(sc: Scenario, opts: BuildOptions = {}): BuiltRun<R> {
  const module = (opts.module ?? familyOf(sc)) as ProtocolModule<R>;
  const { nodes, regionIdx } = layoutNodes(sc, module);
  const n = nodes.length;
  let local: Uint8Array | null = null;
  if (opts.local === 'none') local = new Uint8Array(n);
  else if (opts.local) {
    if (opts.local.length !== n) throw new Error(`buildRun: ${opts.local.length} node flags for ${n} nodes`);
    local = opts.local;
  }
  const words = selectorWords(sc, module);
  const select = (sel: readonly string[], site: string) => resolveWith(sel, sc, nodes, site, words);

  // Network facts.
  const matrix = sc.network.latency.matrix_us.map((row) => Int32Array.from(row));
  const { partitions, degradations } = linkWindows(sc, nodes, words);
  const net = new NetTopology(regionIdx, matrix, partitions, degradations);
  const params: NetParams = {
    jitter_percent: sc.network.jitter_percent,
    loss_percent: sc.network.loss_percent,
    duplicate_percent: sc.network.duplicate_percent,
    relay_fanout: sc.network.relay_fanout,
    failure_detect_us: sc.network.failure_detect_us,
    tick_us: module.tick_us(sc),
    message_base_us: sc.costs.message_base_us,
    end_us: sc.duration_us,
    flow_kinds: sc.network.fidelity === 'flow' ? module.bulkKinds : [],
  };
  const sim = new Simulation(sc.seed, net, params, module.chainOf);

  // When nodes are byzantine: checks and metrics leave out what a node does inside its windows.
  const windows: { node: number; at_us: number; until_us: number }[] = [];
  sc.byzantine.forEach((b, bi) => {
    for (const i of select(b.nodes, `byzantine/${bi}/nodes`)) windows.push({ node: i, at_us: b.at_us, until_us: b.until_us ?? Infinity });
  });
  const byzantine = new ByzantineWindows(n, windows);

  const checks = new Checkers(nodes.map((x) => x.name), byzantine, [], 0, sc.checks.liveness_bound_us);
  const family = module.build({ sc, nodes, select, byzantine, faultPhaseEnd_us: faultPhaseEnd(sc) }, checks);
  // What the generic layers rely on (a family's mistake, not a user's).
  invariant(module.blockKinds.length > 0, () => `family ${module.family}: blockKinds is empty`);
  invariant(family.genesis.length > 0, () => `family ${module.family}: a run has no chain`);
  checks.addChains(family.genesis);
  checks.judgeLivenessFrom(family.faultPhaseEnd_us);
  checks.family = family.checks;
  const metrics = new MetricsCollector(byzantine, family.genesis.length, family.blocks, module.genesisKind, module.latencyClasses);
  const judge = new Judge(metrics, checks);
  sim.records = opts.records ? opts.records(sim) : judge;

  nodes.forEach((x, i) => {
    const hw = sc.hardware[x.role];
    const spec = { name: x.name, cores: hw.cores, upload_bps: hw.upload_bps, download_bps: hw.download_bps, ticks: family.ticks(i) };
    sim.addNode(spec, local && !local[i] ? ELSEWHERE : family.program(i));
  });
  if (local) sim.partition(local, () => {
    throw new Error('a partitioned simulation needs its worker to route events to other workers');
  });
  for (const d of family.crashes) if (sim.runs(d.node)) sim.scheduleCrash(d.node, d.at_us, null);
  sc.faults.forEach((raw, fi) => {
    const f = genericFault(raw);
    if (f === null || (f.kind !== 'crash' && f.kind !== 'clock')) return;
    for (const i of select(f.nodes, `faults/${fi}/nodes`)) {
      if (!sim.runs(i)) continue;
      if (f.kind === 'crash') sim.scheduleCrash(i, f.at_us, f.until_us, f.state === 'lost');
      else sim.addClockFault(i, { at_us: f.at_us, until_us: f.until_us, skew_us: f.skew_us, drift_ppm: f.drift_ppm });
    }
  });
  return {
    sc, sim, module, family, nodes, byzantine, checks, metrics, faultPhaseEnd_us: family.faultPhaseEnd_us,
    watch: (w) => { judge.watchers.push(w); },
    judge,
  };
}
