/**
 * TOP Chain as a protocol family (sim/contract/module.ts): the node layout, the run's shared
 * facts (groups, stakes, elections, accounts, keys), the node programs, the wire codec, the block
 * facts the generic metrics read, TOP's own checks, and its sections of the summary.
 */
import { TOP_CONFIG } from './config.js';
import { asTop, type StakeInput, type TopScenario } from './scenario.js';
import type {
  BlockFacts, BuildInput, CheckHost, FamilyCodec, NodeInfo, ProtocolModule, SummaryInput,
} from '../../contract/module.js';
import type { NodeLogic } from '../../contract/env.js';
import { Stream, streamSeed } from '../../lib/random.js';
import { createSigner } from '../../crypto/index.js';
import { TxStore, TX_EXISTS, TX_NEEDS_CONFIRM } from './txstore.js';
import {
  ChainContext, quorum, SEAT_A, SEAT_V, COLLUDING, forksOf, type Epoch, type CrashAsLeader, type ReceiptDrop, type Misbehavior,
} from './context.js';
import { electionPlan, type ClusterRound } from './beacon.js';
import { leaderPool } from './election.js';
import { LEG_CONFIRM, LEG_INNER, LEG_RECV, type AccountMap } from './ledger.js';
import { wordOfString } from '../../engine/digest.js';
import { ConsensusNode, EdgeNode } from './node.js';
import { BeaconNode } from './clock.js';
import { genesisBlock } from './xbft.js';
import { auditorComprehensiveStakes, auditorStake, validatorComprehensiveStake } from './stake.js';
import { expectedArrivals, scheduleMaxRate } from '../../workload/schedule.js';
import { BLOCK_FULL, LATENCY_CLASSES, MSG, MSG_NAMES, TIMER, type Block } from './messages.js';
import { forEachTxRef, readBlock, readMsg, readTxRows, writeBlock, writeMsg, writeTxRows } from './wire.js';
import { TopChecks } from './checks.js';
import { TopLayout } from './layout.js';
import type { TopRun } from './run.js';
import { TOP_VIEWS } from './views.js';
import { churnOf, departuresOf, type Departure } from './churn.js';
import { partitionNodes } from './partition.js';
import { limitStats } from '../../metrics/limits.js';
import { round3 } from '../../metrics/collector.js';
import { electionLines, type ElectionStats } from './summary.js';

export type { Departure };
export type { TopRun };


/**
 * Work per lookahead window, in events, estimated from the scenario: transaction batches dominate
 * (each edge flushes each table's batch every edge_flush, at most one per transaction; each copy
 * to an auditor of the table, and two to each validator, is two or three events), so
 * 2.4 × batches/s × (A + 2V) × lookahead. Measured events/s, one thread: default.yaml 2.4k
 * (estimate 5k), top-small 9.5k, viz-1k 356k (357k), top-mainnet 855k (768k), nodes-10k 2.1M
 * (1.6M); saturated runs are over-estimated, which decides the same way.
 */
function eventsPerWindow(sc: TopScenario): number {
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
 * TOP's share of a run's peak memory (sim/runner/memory.ts has the model and its measurements):
 * per table replica (a validator or auditor serving a table, or an archive) what it accumulates as
 * blocks, certificates and caches fill (~1 KB per simulated second for the first 20 s, then ~0.3 KB
 * per second up to 512 s), plus ~17 KB, 24 B per table of the run and 17 B per account of its table
 * (its ledger) when every replica keeps its own state, or ~14 KB and 8 B per table when in-sync
 * replicas share their ledger, outboxes and queues (then ~100 B per account and table of the run
 * for the shared state); per transaction offered ~230 B, plus per replica of its table when it
 * crosses tables 32 B (own state) or 16 B (shared).
 */
function memoryParts(sc: TopScenario): { what: string; bytes: number; shrink: string }[] {
  const KB = 1e3;
  const t = sc.topology;
  const T = t.tables;
  const perTable = t.validators + t.auditors + t.archives;
  const replicas = T * perTable;
  const accountsPerTable = sc.workload.accounts / T;
  const d_s = sc.duration_us / 1e6;
  const grown_kb = Math.min(d_s, 20) * 1 + Math.max(0, Math.min(d_s, 512) - 20) * 0.3;
  const w = sc.workload;
  const offered = expectedArrivals(w.schedule, w.start_us, Math.min(w.stop_us, sc.duration_us));
  const cross = w.intra_share_percent !== null ? 1 - w.intra_share_percent / 100 : T > 1 ? 1 - 1 / T : 0;
  // With replica_state: shared, a table's ledger, receipt outboxes and queues are held per table and
  // thread (a table's two groups may sit on two workers; a ledger at two or three heights) instead
  // of per replica; what remains per replica and transaction is mostly copies in flight.
  const shared = sc.replica_state === 'shared';
  const parts = [
    {
      what: `${replicas.toLocaleString('en-US')} table replicas`,
      bytes: replicas * ((shared ? 14 : 17) * KB + (shared ? 8 : 24) * T + (shared ? 0 : 17 * accountsPerTable) + grown_kb * KB),
      shrink: 'topology.tables, topology.validators, topology.auditors or workload.accounts',
    },
    {
      what: `${Math.round(offered).toLocaleString('en-US')} transactions`,
      bytes: offered * (230 + (shared ? 16 : 32) * perTable * cross),
      shrink: 'workload.rate_tps (or schedule) or duration',
    },
  ];
  if (shared) {
    parts.push({
      what: `${T.toLocaleString('en-US')} tables' shared state`,
      bytes: T * 2 * 3 * (17 * accountsPerTable + 16 * T),
      shrink: 'topology.tables or workload.accounts',
    });
  }
  return parts;
}

type Fields = { table?: unknown; view?: unknown; height?: unknown; block?: Fields; qc?: Fields };

function num(v: unknown): number {
  return typeof v === 'number' ? v : -1;
}

/** A TOP message's or timer's table, view and height: its own, or its block's or certificate's. */
function positionOf(item: { readonly kind: number }): { chain: number; view: number; height: number } {
  const d = item as Fields;
  return {
    chain: num(d.table),
    view: num(d.view ?? d.block?.view ?? d.qc?.view),
    height: num(d.height ?? d.block?.height ?? d.qc?.height),
  };
}

/** What the generic metrics read of a TOP block. */
function blockFacts(txs: TxStore): BlockFacts {
  return {
    view: (b) => (b as Block).view,
    kind: (b) => (b as Block).cls,
    items: (b) => (b as Block).txs.length,
    // A transfer is final when its last leg commits: INNER; RECV, unless a CONFIRM follows; CONFIRM.
    finals: (block, f) => {
      const b = block as Block;
      for (let i = 0; i < b.txs.length; i++) {
        const id = b.txs[i];
        const leg = b.legs[i];
        if (leg === LEG_INNER || leg === LEG_CONFIRM || (leg === LEG_RECV && !(txs.flags[id] & TX_NEEDS_CONFIRM))) f(id);
      }
    },
  };
}

function codecOf(txs: TxStore, nodes: readonly NodeInfo[]): FamilyCodec {
  const edges = nodes.map((x, i) => (x.role === 'edge' ? i : -1)).filter((i) => i >= 0);
  return {
    writeMsg,
    readMsg,
    writeBlock: (w, b) => writeBlock(w, b as Block),
    readBlock,
    refs: forEachTxRef,
    writeRows: (w, rows) => writeTxRows(w, txs, rows),
    readRows: (r) => readTxRows(r, txs),
    ownRows: (local) => {
      // The transactions this instance's clients created (id = k * clients + client).
      const mine = Uint8Array.from(edges, (i) => local[i]);
      const own: number[] = [];
      for (let id = 0; id < txs.end; id++) if (txs.flags[id] & TX_EXISTS && mine[id % txs.clients]) own.push(id);
      return own;
    },
  };
}

/** What byzantine nodes do (the protocol's view; when they are byzantine is the runner's). */
function misbehaviorOf(input: BuildInput): { misbehavior: Misbehavior[]; forks: (members: Int32Array) => [Int32Array, Int32Array] } {
  const misbehavior: Misbehavior[] = [];
  const colluding = new Set<number>();
  asTop(input.sc).byzantine.forEach((b, bi) => {
    const behavior = b.behavior;
    if (behavior === 'grind_seed') return;
    for (const i of input.select(b.nodes, `byzantine/${bi}/nodes`)) {
      misbehavior.push({ node: i, behavior, at_us: b.at_us, until_us: b.until_us ?? Infinity, delay_us: b.delay_us });
      if (COLLUDING.includes(behavior)) colluding.add(i);
    }
  });
  return { misbehavior, forks: forksOf(colluding) };
}

/** Stake weights of validators and auditors (docs/PROTOCOL.md §5), +1 so none is zero. */
function weightsOf(sc: TopScenario, nodes: readonly NodeInfo[], allAuditors: readonly number[]) {
  const stakeOf = (i: number): StakeInput => {
    const base = nodes[i].role === 'validator' ? sc.stake.validator : sc.stake.auditor;
    return { ...base, ...(sc.stake.overrides[nodes[i].name] ?? {}) };
  };
  const auditorWeight = new Map<number, number>();
  auditorComprehensiveStakes(allAuditors.map((i) => auditorStake(stakeOf(i))))
    .forEach((w, k) => auditorWeight.set(allAuditors[k], w + 1));
  return {
    stakeOf,
    weightV: (i: number) => validatorComprehensiveStake(stakeOf(i)) + 1,
    weightA: (i: number) => auditorWeight.get(i)!,
  };
}

/**
 * Each validator group's epochs (docs/PROTOCOL.md §7.4): per election round, its validators and
 * auditors, weights, quorums, forks, leader pools and seats, linked to the next round.
 */
function epochsOf(
  sc: TopScenario, layout: TopLayout, rounds: readonly ClusterRound[][], w: ReturnType<typeof weightsOf>,
  forks: (members: Int32Array) => [Int32Array, Int32Array],
): Epoch[][] {
  const el = sc.elections;
  const shortfall = sc.sabotage.quorum_shortfall;
  const leaders = (ids: Int32Array, weight: (i: number) => number, joined: ReadonlyMap<number, number>, round: number) => {
    const pool = leaderPool(Array.from(ids, (id) => ({
      id, joinedRound: joined.get(id)!, credit: w.stakeOf(id).credit, genesis: joined.get(id) === 0,
    })), round, el.leader_election_rounds, el.leader_min_credit);
    const ids2 = Int32Array.from(pool.high.length > 0 ? pool.high : pool.low);
    return { ids: ids2, weights: Array.from(ids2, weight) };
  };
  const union = (a: Int32Array, b: Int32Array) => Int32Array.from(new Set([...a, ...b])).sort();
  return Array.from({ length: layout.VG }, (_, g) => {
    const c = Math.floor(g / layout.VPA);
    const k = g % layout.VPA;
    const list: Epoch[] = [];
    for (const r of rounds[c]) {
      const V = r.validators[k];
      const A = r.auditors;
      const lv = leaders(V, w.weightV, r.joined, r.round);
      const la = leaders(A, w.weightA, r.joined, r.round);
      const seat = new Map<number, number>();
      for (const id of V) seat.set(id, SEAT_V);
      for (const id of A) seat.set(id, SEAT_A);
      list.push({
        vgroup: g, round: r.round, elected_clock: r.elected_clock, start_clock: r.start_clock,
        validators: V, auditors: A, members: Int32Array.from([...V, ...A]),
        weightsV: Array.from(V, w.weightV), weightsA: Array.from(A, w.weightA),
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
}

/** Accounts to tables: a 32-bit hash of the account's address, mod the table count (§4.1). */
function accountMap(accounts: number, T: number): AccountMap {
  const tableOf = new Uint16Array(accounts);
  const localIndex = new Int32Array(accounts);
  const perTable: number[][] = Array.from({ length: T }, () => []);
  for (let a = 0; a < accounts; a++) {
    const t = wordOfString(`T80000${a}`) % T;
    tableOf[a] = t;
    localIndex[a] = perTable[t].length;
    perTable[t].push(a);
  }
  return { tables: T, tableOf, localIndex, tableAccounts: perTable.map((l) => Int32Array.from(l)) };
}

/** TOP's own faults: a crash of the leader of a view, and dropped first copies of receipts. */
function topFaults(sc: TopScenario): { crashLeader: CrashAsLeader[]; drops: ReceiptDrop[] } {
  const crashLeader: CrashAsLeader[] = [];
  const drops: ReceiptDrop[] = [];
  for (const f of sc.faults) {
    if (f.kind === 'crash_leader') crashLeader.push({ table: f.table, view: f.view, until_us: f.until_us });
    if (f.kind === 'drop_receipts') {
      drops.push({ from_table: f.from_table, to_table: f.to_table, at_us: f.at_us, until_us: f.until_us ?? Infinity });
    }
  }
  return { crashLeader, drops };
}

/** The programs, by node: REC nodes, archives, edges (with their client index) and replicas. */
function programsOf(sc: TopScenario, nodes: readonly NodeInfo[], ctx: ChainContext): { program: (i: number) => NodeLogic; rec: Int32Array } {
  const T = sc.topology.tables;
  // An edge's index counts every edge before it, run here or not.
  const edgeIndex = new Int32Array(nodes.length).fill(-1);
  let edges = 0;
  nodes.forEach((x, i) => { if (x.role === 'edge') edgeIndex[i] = edges++; });
  const rec = Int32Array.from(nodes.map((x, i) => (x.role === 'beacon' ? i : -1)).filter((i) => i >= 0));
  const audience = Int32Array.from(nodes.map((x, i) => (x.role === 'beacon' ? -1 : i)).filter((i) => i >= 0));
  const program = (i: number): NodeLogic => {
    const x = nodes[i];
    if (x.role === 'beacon') return new BeaconNode(ctx, i, rec, audience);
    if (x.role === 'archive') return new ConsensusNode(ctx, i, Array.from({ length: T }, (_, t) => t));
    if (x.role === 'edge') {
      const stream = new Stream(streamSeed(sc.seed, 'node', i, 'workload'));
      return new EdgeNode(ctx, i, edgeIndex[i], sc.topology.edges, stream);
    }
    return new ConsensusNode(ctx, i, ctx.tablesOf[i]);
  };
  return { program, rec };
}

function build(input: BuildInput, host: CheckHost): TopRun {
  const sc = asTop(input.sc);
  const { nodes } = input;
  const layout = new TopLayout(sc.topology);
  const T = sc.topology.tables;
  const allAuditors = nodes.map((x, i) => (x.role === 'auditor' ? i : -1)).filter((i) => i >= 0);
  const w = weightsOf(sc, nodes, allAuditors);
  const { misbehavior, forks } = misbehaviorOf(input);
  const validatorPool = Array.from({ length: layout.validatorCount }, (_, k) => k);

  // Elections over the run (docs/PROTOCOL.md §7): each cluster's rounds, computed from the seed,
  // with the churn (join, leave, forced rotations) and seed grinding of the scenario.
  const ci = sc.protocol.clock_interval_us;
  const churn = churnOf(sc, nodes, input.select);
  const plan = electionPlan({
    sc,
    vGroups: Array.from({ length: layout.VG }, (_, g) => layout.vgroup(g)),
    aGroups: Array.from({ length: layout.AG }, (_, g) => layout.agroup(g)),
    validatorPool, auditorPool: allAuditors, lastClock: Math.floor(sc.duration_us / ci),
    weight: (i) => (nodes[i].role === 'validator' ? w.weightV(i) - 1 : w.weightA(i) - 1) || 1,
    ...churn,
  });
  const rounds = plan.rounds;
  const departures = departuresOf(rounds, churn.leaveClock, ci, sc.duration_us);
  const epochs = epochsOf(sc, layout, rounds, w, forks);
  const vgroupOf = Int32Array.from({ length: T }, (_, t) => layout.vgroupOfTable(t));
  const map = accountMap(sc.workload.accounts, T);
  const { crashLeader, drops } = topFaults(sc);

  const txs = new TxStore(sc.topology.edges);
  const signer = createSigner(sc.crypto, `${sc.seed}`);
  const archives = Int32Array.from(nodes.map((x, i) => (x.role === 'archive' ? i : -1)).filter((i) => i >= 0));
  const ctx = new ChainContext(sc, nodes.map((x) => x.name), epochs, vgroupOf, map, misbehavior, crashLeader, drops, signer, txs,
    validatorPool, allAuditors, archives);
  const { program, rec } = programsOf(sc, nodes, ctx);
  return {
    sc, layout, ctx, txs, rounds, ground: plan.ground, departures,
    program,
    // With REC nodes, only they read the slot boundary; everyone else follows their certificates.
    ticks: (i) => rec.length === 0 || nodes[i].role === 'beacon',
    // A node that left goes offline when the first round without it starts.
    crashes: departures,
    faultPhaseEnd_us: Math.max(input.faultPhaseEnd_us, ...departures.map((d) => d.at_us)),
    owners: (workers) => partitionNodes(nodes, rounds, workers),
    genesis: Array.from({ length: T }, (_, t) => genesisBlock(t).id),
    blocks: blockFacts(txs),
    checks: new TopChecks(host, map, sc.workload.genesis_balance, txs, { from_us: sc.warmup_us, end_us: sc.duration_us }),
    codec: codecOf(txs, nodes),
  };
}

function electionStats(run: TopRun, input: SummaryInput): ElectionStats {
  const ci = run.sc.protocol.clock_interval_us;
  const rounds: ElectionStats['rounds'] = [];
  const name = (i: number) => input.nodes[i].name;
  for (const list of run.rounds) {
    for (let r = 1; r < list.length; r++) {
      const prev = new Set([...list[r - 1].auditors, ...list[r - 1].validators.flatMap((v) => [...v])]);
      const cur = new Set([...list[r].auditors, ...list[r].validators.flatMap((v) => [...v])]);
      rounds.push({
        cluster: list[r].cluster, round: r,
        elected_s: round3((list[r].elected_clock * ci) / 1e6), start_s: round3((list[r].start_clock * ci) / 1e6),
        joined: [...cur].filter((i) => !prev.has(i)).sort((x, y) => x - y).map(name),
        left: [...prev].filter((i) => !cur.has(i)).sort((x, y) => x - y).map(name),
      });
    }
  }
  const syncs = input.syncs;
  let waitMax = 0;
  for (const s of syncs) {
    const d = run.ctx.duties[s.node].filter((x) => x.join && x.table === s.table && x.clock * ci <= s.at_us);
    if (d.length > 0) waitMax = Math.max(waitMax, s.at_us - d[d.length - 1].clock * ci);
  }
  return {
    rounds,
    state_syncs: syncs.length,
    state_sync_bytes: syncs.reduce((n, s) => n + s.bytes, 0),
    state_sync_s_max: round3(waitMax / 1e6),
    departed: run.departures.map((d) => ({ node: name(d.node), at_s: round3(d.at_us / 1e6) })),
    grinding: grindingStats(run),
  };
}

function grindingStats(run: TopRun): ElectionStats['grinding'] {
  if (!run.sc.byzantine.some((x) => x.behavior === 'grind_seed')) return null;
  const fair = run.ground.reduce((n, g) => n + g.favored_fair, 0);
  const ground = run.ground.reduce((n, g) => n + g.favored_ground, 0);
  return {
    triggers: run.ground.length,
    seeds_changed: run.ground.filter((g) => g.chosen !== 0).length,
    favored_seated_fair: fair,
    favored_seated_ground: ground,
    bias: round3(fair > 0 ? ground / fair : ground > 0 ? Infinity : 1),
  };
}

export const TOP: ProtocolModule<TopRun> = {
  family: 'top',
  config: TOP_CONFIG,
  kinds: MSG_NAMES,
  timerKinds: Object.fromEntries(Object.entries(TIMER).map(([k, v]) => [v, k.toLowerCase()])),
  chainOf: (m) => (m as { table?: number }).table,
  positionOf,
  consensusKinds: [MSG.PROPOSAL, MSG.VOTE, MSG.COMMIT],
  bulkKinds: [MSG.TX_BATCH, MSG.RECEIPT],
  latencyClasses: LATENCY_CLASSES,
  blockKinds: ['light', 'empty', 'full'],
  genesisKind: BLOCK_FULL,
  describe: (sc) => {
    const t = asTop(sc).topology;
    const names: Record<string, string> = { validator: 'validators', auditor: 'auditors', edge: 'edges', beacon: 'REC beacons', archive: 'archives' };
    const counts = new TopLayout(t).roles().map(([role, , count]) => [count, names[role]] as const);
    const nodes = counts.reduce((n, [c]) => n + c, 0);
    const parts = counts.filter(([c]) => c > 0).map(([c, what]) => `${c} ${what}`).join(', ');
    const standby = t.standby_validators + t.standby_auditors;
    return `${t.tables} table${t.tables === 1 ? '' : 's'}, ${nodes} nodes (${parts}${standby > 0 ? `; ${standby} on standby` : ''})`;
  },
  layout: (sc) => new TopLayout(asTop(sc).topology).roles(),
  placement: (sc) => asTop(sc).topology.placement,
  groups: (sc) => {
    const layout = new TopLayout(asTop(sc).topology);
    return (kind, index) => layout.group(kind, index);
  },
  tick_us: (sc) => asTop(sc).protocol.clock_interval_us,
  eventsPerWindow: (sc) => eventsPerWindow(asTop(sc)),
  memoryParts: (sc) => memoryParts(asTop(sc)),
  build,
  summarize: (run, input) => ({
    limits: limitStats({
      nodes: input.nodeStats, sim_s: input.sc.duration_us / 1e6, window_s: input.window_s, tables: asTop(input.sc).topology.tables,
      block_txs_max: asTop(input.sc).protocol.block_txs_max, blocks: input.blocks, legs: input.items, offered: input.offered,
      tps_final: input.tps_final, receipt_window: run.checks.windows.fullest(),
    }),
    elections: electionStats(run, input),
  }),
  summaryLines: electionLines,
  views: TOP_VIEWS,
  traceGroup: (sc, nodes, i) => new TopLayout(asTop(sc).topology).genesisGroup(nodes[i].role, i),
};
