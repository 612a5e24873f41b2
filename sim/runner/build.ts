/**
 * Builds a runnable simulation from a normalized scenario: node ids and names, regions, groups,
 * stakes, keys, faults, and the protocol programs. Everything decided here is a function of the
 * scenario and its seed.
 *
 * Node ids: validators v0.. first, then auditors a0.., then edges e0.. (names in the scenario).
 */
import type { Scenario } from '../scenario/types.js';
import { Simulation, type NetParams } from '../engine/sim.js';
import type { NodeLogic } from '../contract/env.js';
import { Stream, streamSeed } from '../lib/random.js';
import { NetTopology } from '../net/topology.js';
import { createSigner } from '../crypto/index.js';
import { TxStore } from '../protocol/top/txstore.js';
import {
  ChainContext, quorum, SEAT_A, SEAT_V, COLLUDING, type Observer, type Epoch, type CrashAsLeader, type ReceiptDrop,
  type Misbehavior,
} from '../protocol/top/context.js';
import { electionPlan, type ClusterRound, type GroundTrigger } from '../protocol/top/beacon.js';
import { leaderPool } from '../protocol/top/election.js';
import type { AccountMap } from '../protocol/top/ledger.js';
import { wordOfString } from '../engine/digest.js';
import { ConsensusNode, EdgeNode } from '../protocol/top/node.js';
import { BeaconNode } from '../protocol/top/clock.js';
import { genesisBlock } from '../protocol/top/xbft.js';
import { auditorComprehensiveStakes, auditorStake, validatorComprehensiveStake } from '../protocol/top/stake.js';
import { Checkers } from '../checks/checkers.js';
import { MetricsCollector } from '../metrics/collector.js';
import type { StakeInput } from '../scenario/types.js';
import { scheduleMaxRate } from '../workload/schedule.js';
import {
  churnOf, departuresOf, faultPhaseEnd, linkWindows, resolveSelectors, type Departure, type NodeInfo,
} from '../faults/schedule.js';
import { ByzantineWindows } from '../faults/byzantine.js';

export { faultPhaseEnd, resolveSelectors, type Departure, type NodeInfo };

export interface BuiltRun {
  sc: Scenario;
  sim: Simulation;
  ctx: ChainContext;
  nodes: NodeInfo[];
  /** When each node is byzantine: checks and metrics leave out what it does in those windows. */
  byzantine: ByzantineWindows;
  checks: Checkers;
  metrics: MetricsCollector;
  txs: TxStore;
  /** Each cluster's election rounds, genesis first (PROTOCOL.md §7). */
  rounds: ClusterRound[][];
  /** Election triggers whose seed a grinding aggregator chose (MC-3). */
  ground: GroundTrigger[];
  /** Nodes that left (`leave` faults) and when they went offline. */
  departures: Departure[];
  /** End of the fault phase: liveness is judged from here on. */
  faultPhaseEnd_us: number;
}

export interface BuildOptions {
  /**
   * A partitioned run: 1 for the nodes this instance runs. The others get no program (their
   * events go to the workers that run them) and their state is never built here. 'none': the
   * main thread's copy of a run over workers, which runs no node.
   */
  local?: Uint8Array | 'none';
  /** Replaces the observer that feeds metrics and checks (a worker records instead of judging). */
  observer?: (sim: Simulation) => Observer;
  /**
   * Also told of what the default observer sees, after metrics and checks (the visualizer's
   * incremental figures). It only reads; the run is the same with and without it.
   */
  watch?: Partial<Observer>;
}

/** Stands in for a node that another worker runs; the engine never calls it. */
const ELSEWHERE: NodeLogic = {
  onStart: elsewhere, onMessage: elsewhere, onTimer: elsewhere, onClock: elsewhere, onRestart: elsewhere,
};
function elsewhere(): never {
  throw new Error('a node run by another worker was called here');
}

/** The nodes a topology lays out, in node order: role, name prefix and count. */
export function roleCounts(topo: Scenario['topology']): [NodeInfo['role'], string, number][] {
  return [
    ['validator', 'v', topo.validators * topo.auditor_groups * topo.validator_groups_per_auditor + topo.standby_validators],
    ['auditor', 'a', topo.auditors * topo.auditor_groups + topo.standby_auditors],
    ['edge', 'e', topo.edges],
    ['beacon', 'r', topo.beacons],
    ['archive', 'h', topo.archives],
  ];
}

/** How many nodes a scenario has. */
export function nodeCount(sc: Scenario): number {
  return roleCounts(sc.topology).reduce((sum, [, , count]) => sum + count, 0);
}

/**
 * Work per lookahead window, in events, estimated from the scenario: transaction batches dominate
 * (each edge flushes each table's batch every edge_flush, at most one per transaction; each copy
 * to an auditor of the table, and two to each validator, is two or three events), so
 * 2.4 × batches/s × (A + 2V) × lookahead. Measured events/s, one thread: default.yaml 2.4k
 * (estimate 5k), top-small 9.5k, viz-1k 356k (357k), top-mainnet 855k (768k), nodes-10k 2.1M
 * (1.6M); saturated runs are over-estimated, which decides the same way.
 */
export function eventsPerWindow(sc: Scenario): number {
  const t = sc.topology;
  const w = sc.workload;
  let lookahead_us = Infinity;
  for (const row of sc.network.latency.matrix_us) for (const v of row) if (v < lookahead_us) lookahead_us = v;
  const flushes = (t.edges * t.tables * 1e6) / sc.protocol.edge_flush_us;
  const rate = scheduleMaxRate(w.schedule);
  const batches = Math.min(rate, flushes);
  return (2.4 * batches * (t.auditors + 2 * t.validators) * lookahead_us) / 1e6;
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

export function buildRun(sc: Scenario, opts: BuildOptions = {}): BuiltRun {
  const topo = sc.topology;
  let local: Uint8Array | null = null;
  const nodes: NodeInfo[] = [];
  const regions = sc.network.latency.regions;
  const place = new Stream(streamSeed(sc.seed, 'run', 0, 'placement'));
  const regionIdx: number[] = [];
  const addRole = (role: NodeInfo['role'], prefix: string, count: number) => {
    for (let i = 0; i < count; i++) {
      const r = sc.topology.placement === 'round_robin' ? i % regions.length : place.int(0, regions.length - 1);
      regionIdx.push(r);
      nodes.push({ name: `${prefix}${i}`, role, region: regions[r] });
    }
  };
  for (const [role, prefix, count] of roleCounts(topo)) addRole(role, prefix, count);
  const n = nodes.length;
  const names = nodes.map((x) => x.name);
  if (opts.local === 'none') local = new Uint8Array(n);
  else if (opts.local) {
    if (opts.local.length !== n) throw new Error(`buildRun: ${opts.local.length} node flags for ${n} nodes`);
    local = opts.local;
  }

  // Network facts.
  const matrix = sc.network.latency.matrix_us.map((row) => Int32Array.from(row));
  const { partitions, degradations } = linkWindows(sc, nodes);
  const net = new NetTopology(Int32Array.from(regionIdx), matrix, partitions, degradations);
  const params: NetParams = {
    jitter_percent: sc.network.jitter_percent,
    loss_percent: sc.network.loss_percent,
    duplicate_percent: sc.network.duplicate_percent,
    relay_fanout: sc.network.relay_fanout,
    failure_detect_us: sc.network.failure_detect_us,
    clock_interval_us: sc.protocol.clock_interval_us,
    message_base_us: sc.costs.message_base_us,
    end_us: sc.duration_us,
  };
  const sim = new Simulation(sc.seed, net, params);

  // Groups (PROTOCOL.md §3.3): auditor group a has validator groups a*VPA .. a*VPA+VPA-1; each
  // validator group owns an equal contiguous range of tables, its auditor group the union.
  const AG = topo.auditor_groups;
  const VG = AG * topo.validator_groups_per_auditor;
  const nV = topo.validators;
  const nA = topo.auditors;
  const stakeOf = (i: number): StakeInput => {
    const base = nodes[i].role === 'validator' ? sc.stake.validator : sc.stake.auditor;
    return { ...base, ...(sc.stake.overrides[nodes[i].name] ?? {}) };
  };
  const allAuditors = nodes.map((x, i) => (x.role === 'auditor' ? i : -1)).filter((i) => i >= 0);
  const auditorWeight = new Map<number, number>();
  auditorComprehensiveStakes(allAuditors.map((i) => auditorStake(stakeOf(i))))
    .forEach((w, k) => auditorWeight.set(allAuditors[k], w + 1));
  // What byzantine nodes do (the protocol's view), and when they are byzantine (checks and
  // metrics leave out what a node does inside its windows, grinding included).
  const misbehavior: Misbehavior[] = [];
  const windows: { node: number; at_us: number; until_us: number }[] = [];
  const colluding = new Set<number>();
  sc.byzantine.forEach((b, bi) => {
    const ids = resolveSelectors(b.nodes, sc, nodes, `byzantine/${bi}/nodes`);
    for (const i of ids) windows.push({ node: i, at_us: b.at_us, until_us: b.until_us ?? Infinity });
    const behavior = b.behavior;
    if (behavior === 'grind_seed') return;
    for (const i of ids) {
      misbehavior.push({ node: i, behavior, at_us: b.at_us, until_us: b.until_us ?? Infinity, delay_us: b.delay_us });
      if (COLLUDING.includes(behavior)) colluding.add(i);
    }
  });
  const byzantine = new ByzantineWindows(n, windows);
  const forks = (members: Int32Array): [Int32Array, Int32Array] => {
    const f: [number[], number[]] = [[], []];
    let k = 0;
    for (const m of members) {
      if (colluding.has(m)) { f[0].push(m); f[1].push(m); } else f[k++ % 2].push(m);
    }
    return [Int32Array.from(f[0]), Int32Array.from(f[1])];
  };
  const shortfall = sc.sabotage.quorum_shortfall;
  const range = (from: number, count: number) => Int32Array.from({ length: count }, (_, k) => from + k);
  const nVAll = VG * nV + topo.standby_validators;
  const vGroups = Array.from({ length: VG }, (_, g) => range(g * nV, nV));
  const aGroups = Array.from({ length: AG }, (_, g) => range(nVAll + g * nA, nA));
  const validatorPool = Array.from(range(0, nVAll));
  const weightV = (i: number) => validatorComprehensiveStake(stakeOf(i)) + 1;
  const weightA = (i: number) => auditorWeight.get(i)!;

  // Elections over the run (PROTOCOL.md §7): each cluster's rounds, computed from the seed, with
  // the churn (join, leave, forced rotations) and seed grinding of the scenario.
  const ci = sc.protocol.clock_interval_us;
  const lastClock = Math.floor(sc.duration_us / ci);
  const churn = churnOf(sc, nodes);
  const plan = electionPlan({
    sc, vGroups, aGroups, validatorPool, auditorPool: allAuditors, lastClock,
    weight: (i) => (nodes[i].role === 'validator' ? weightV(i) - 1 : weightA(i) - 1) || 1,
    ...churn,
  });
  const rounds = plan.rounds;
  const departures = departuresOf(rounds, churn.leaveClock, ci, sc.duration_us);
  const el = sc.elections;
  const leaders = (ids: Int32Array, weight: (i: number) => number, joined: ReadonlyMap<number, number>, round: number) => {
    const pool = leaderPool(Array.from(ids, (id) => ({
      id, joinedRound: joined.get(id)!, credit: stakeOf(id).credit, genesis: joined.get(id) === 0,
    })), round, el.leader_election_rounds, el.leader_min_credit);
    const ids2 = Int32Array.from(pool.high.length > 0 ? pool.high : pool.low);
    return { ids: ids2, weights: Array.from(ids2, weight) };
  };
  const union = (a: Int32Array, b: Int32Array) => Int32Array.from(new Set([...a, ...b])).sort();
  const epochs: Epoch[][] = Array.from({ length: VG }, (_, g) => {
    const c = Math.floor(g / topo.validator_groups_per_auditor);
    const k = g % topo.validator_groups_per_auditor;
    const list: Epoch[] = [];
    for (const r of rounds[c]) {
      const V = r.validators[k];
      const A = r.auditors;
      const lv = leaders(V, weightV, r.joined, r.round);
      const la = leaders(A, weightA, r.joined, r.round);
      const seat = new Map<number, number>();
      for (const id of V) seat.set(id, SEAT_V);
      for (const id of A) seat.set(id, SEAT_A);
      list.push({
        vgroup: g, round: r.round, elected_clock: r.elected_clock, start_clock: r.start_clock,
        validators: V, auditors: A, members: Int32Array.from([...V, ...A]),
        weightsV: Array.from(V, weightV), weightsA: Array.from(A, weightA),
        thresholdV: quorum(V.length, shortfall), thresholdA: quorum(A.length, shortfall),
        forkV: forks(V), forkA: forks(A),
        leadersV: lv.ids, leaderWeightsV: lv.weights, leadersA: la.ids, leaderWeightsA: la.weights,
        seat, hearV: null, hearA: null, next: null, leaderMemo: new Map(),
      });
    }
    for (let i = 0; i + 1 < list.length; i++) {
      const cur = list[i] as { -readonly [K in keyof Epoch]: Epoch[K] };
      const nxt = list[i + 1];
      cur.next = nxt;
      cur.hearV = union(cur.validators, nxt.validators);
      cur.hearA = union(cur.auditors, nxt.auditors);
    }
    return list;
  });
  const T = topo.tables;
  const vgroupOf = Int32Array.from({ length: T }, (_, t) => Math.floor((t * VG) / T));

  // Accounts to tables: a 32-bit hash of the account's address, mod the table count (§4.1).
  const A_N = sc.workload.accounts;
  const tableOf = new Uint16Array(A_N);
  const localIndex = new Int32Array(A_N);
  const perTable: number[][] = Array.from({ length: T }, () => []);
  for (let a = 0; a < A_N; a++) {
    const t = wordOfString(`T80000${a}`) % T;
    tableOf[a] = t;
    localIndex[a] = perTable[t].length;
    perTable[t].push(a);
  }
  const map: AccountMap = { tables: T, tableOf, localIndex, tableAccounts: perTable.map((l) => Int32Array.from(l)) };

  const crashLeader: CrashAsLeader[] = [];
  const drops: ReceiptDrop[] = [];
  for (const f of sc.faults) {
    if (f.kind === 'crash_leader') crashLeader.push({ table: f.table, view: f.view, until_us: f.until_us });
    if (f.kind === 'drop_receipts') {
      drops.push({ from_table: f.from_table, to_table: f.to_table, at_us: f.at_us, until_us: f.until_us ?? Infinity });
    }
  }

  const txs = new TxStore(topo.edges);
  const metrics = new MetricsCollector(txs, byzantine, map);
  const liveFrom = Math.max(faultPhaseEnd(sc), ...departures.map((d) => d.at_us));
  const checks = new Checkers(names, byzantine, map, sc.workload.genesis_balance, txs,
    Array.from({ length: T }, (_, t) => genesisBlock(t).id), liveFrom, sc.checks.liveness_bound_us);
  const watch = opts.watch ?? {};
  const observer: Observer = opts.observer ? opts.observer(sim) : {
    onCommit: (node, b, now, ledger) => {
      metrics.onCommit(node, b, now);
      checks.onCommit(node, b, now, ledger.sum());
      watch.onCommit?.(node, b, now, ledger);
    },
    onView: (node, table, view, now) => {
      metrics.onView(node, table, view, now);
      watch.onView?.(node, table, view, now);
    },
    onPoolReject: (_node, tx) => metrics.onPoolReject(tx),
    onTxSubmit: (tx, now) => {
      metrics.onTxSubmit();
      checks.onSubmit(tx, now);
    },
    onStateSync: (node, table, committed, now, bytes) => {
      metrics.onStateSync(node, table, now, bytes);
      checks.onStateSync(node, table, committed, now);
    },
  };
  const signer = createSigner(sc.crypto, `${sc.seed}`);
  const archives = Int32Array.from(nodes.map((x, i) => (x.role === 'archive' ? i : -1)).filter((i) => i >= 0));
  const ctx = new ChainContext(sc, names, epochs, vgroupOf, map, misbehavior, crashLeader, drops, signer, txs, observer,
    validatorPool, allAuditors, archives);

  let edgeIndex = 0;
  const rec = Int32Array.from(nodes.map((x, i) => (x.role === 'beacon' ? i : -1)).filter((i) => i >= 0));
  const audience = Int32Array.from(nodes.map((x, i) => (x.role === 'beacon' ? -1 : i)).filter((i) => i >= 0));
  nodes.forEach((x, i) => {
    const hw = sc.hardware[x.role];
    const spec = {
      name: x.name, cores: hw.cores, upload_bps: hw.upload_bps, download_bps: hw.download_bps,
      // With REC nodes, only they read the slot boundary; everyone else follows their certificates.
      ticks: rec.length === 0 || x.role === 'beacon',
    };
    if (local && !local[i]) {
      if (x.role === 'edge') edgeIndex++;
      sim.addNode(spec, ELSEWHERE);
    } else if (x.role === 'beacon') {
      sim.addNode(spec, new BeaconNode(ctx, i, rec, audience));
    } else if (x.role === 'archive') {
      sim.addNode(spec, new ConsensusNode(ctx, i, Array.from({ length: T }, (_, t) => t)));
    } else if (x.role === 'edge') {
      const stream = new Stream(streamSeed(sc.seed, 'node', i, 'workload'));
      sim.addNode(spec, new EdgeNode(ctx, i, edgeIndex++, topo.edges, stream));
    } else {
      sim.addNode(spec, new ConsensusNode(ctx, i, ctx.tablesOf[i]));
    }
  });
  if (local) sim.partition(local, () => {
    throw new Error('a partitioned simulation needs its worker to route events to other workers');
  });
  // A node that left goes offline when the first round without it starts.
  for (const d of departures) if (sim.runs(d.node)) sim.scheduleCrash(d.node, d.at_us, null);
  sc.faults.forEach((f, fi) => {
    if (f.kind !== 'crash' && f.kind !== 'clock') return;
    for (const i of resolveSelectors(f.nodes, sc, nodes, `faults/${fi}/nodes`)) {
      if (!sim.runs(i)) continue;
      if (f.kind === 'crash') sim.scheduleCrash(i, f.at_us, f.until_us, f.state === 'lost');
      else sim.addClockFault(i, { at_us: f.at_us, until_us: f.until_us, skew_us: f.skew_us, drift_ppm: f.drift_ppm });
    }
  });
  return { sc, sim, ctx, nodes, byzantine, checks, metrics, txs, rounds, ground: plan.ground, departures, faultPhaseEnd_us: liveFrom };
}
