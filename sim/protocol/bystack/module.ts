/**
 * Bystack as a protocol family (sim/contract/module.ts; the model is docs/BYSTACK.md): the node
 * layout, the relay graph, the node programs, the wire codec, the block facts the generic metrics
 * read, Bystack's own checks, and its section of the summary.
 */
import type {
  BlockFacts, BuildInput, CheckHost, FamilyRun, NodeInfo, ProtocolModule, SummaryInput, ViewAdapter,
} from '../../contract/module.js';
import type { NodeLogic } from '../../contract/env.js';
import { Stream, streamSeed } from '../../lib/random.js';
import { percentile as nearestRank, round3 } from '../../metrics/collector.js';
import type { Scenario } from '../../scenario/types.js';
import { BYSTACK_CONFIG } from './config.js';
import { asBystack, type BystackScenario } from './scenario.js';
import {
  CHAIN_MAIN, CHAIN_SIDE, LATENCY_CLASSES, MSG, MSG_NAMES, TIMER, finalLeg, type BlockMsg, type InvMsg, type MainBlock, type SideBlock, type SideBlockMsg,
} from './messages.js';
import { MainNode, mainGenesis, type MainShared } from './mainchain.js';
import { SideNode, sideGenesis, SLOT_US, type SideShared } from './vapor.js';
import { SignerNode, type FederationShared } from './federation.js';
import { createSigner } from '../../crypto/index.js';
import { sha256Hex } from '../../crypto/hash.js';
import { EdgeClient } from './client.js';
import { BystackChecks, type MainStats, type PegStats, type SideStats } from './checks.js';
import { codecOf } from './wire.js';
import { bystackStory } from './story.js';
import { reportSections } from './report.js';
import type { FederationSummary, MainSummary, VaporSummary } from './summary.js';

export type { FederationSummary, MainSummary, VaporSummary } from './summary.js';

export interface BystackRun extends FamilyRun {
  readonly sc: BystackScenario;
  readonly shared: MainShared;
  readonly side: SideShared;
  readonly checks: BystackChecks;
}

/** Node counts by role, in id order: miners, full nodes, federation signers, Vapor producers, edges. */
function roles(sc: BystackScenario): [role: string, prefix: string, count: number][] {
  return [
    ['miner', 'm', sc.mainchain.miners], ['node', 'n', sc.mainchain.nodes], ['signer', 'f', sc.federation.signers],
    ['producer', 'p', sc.vapor.producers], ['edge', 'e', sc.clients.edges],
  ];
}

/**
 * Vapor's schedule order: by votes, then by key (`ConsensusNodes`: votes descending, ties by xpub
 * descending). Every producer has the same votes here, so the order is by a stand-in for the key
 * that does not depend on the crypto mode: the SHA-256 of the node's name.
 */
function scheduleOrder(first: number, count: number): Int32Array {
  const keyed = Array.from({ length: count }, (_, i) => ({ node: first + i, key: sha256Hex(utf8.encode(`p${i}`)) }));
  keyed.sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
  return Int32Array.from(keyed.map((x) => x.node));
}

const utf8 = new TextEncoder();

/** Producers each federation signer is linked to on Vapor. */
const SIGNER_LINKS = 3;

/**
 * The relay graph: each full node dials `peers` others drawn from the seed; a link carries both
 * ways, so a node's peers are those it dialled and those that dialled it (in id order).
 */
export function peerGraph(sc: BystackScenario): Int32Array[] {
  // Every main-chain full node: miners, full nodes and the federation's signers.
  const n = sc.mainchain.miners + sc.mainchain.nodes + sc.federation.signers;
  const want = sc.mainchain.peers;
  const links: Set<number>[] = Array.from({ length: n }, () => new Set());
  const stream = new Stream(streamSeed(sc.seed, 'run', 0, 'peers'));
  for (let i = 0; i < n; i++) {
    let dialled = 0;
    // Dials `peers` others, or as many as it is not yet linked to.
    while (dialled < want && links[i].size < n - 1) {
      const j = stream.int(0, n - 2);
      const p = j >= i ? j + 1 : j;
      if (links[i].has(p)) continue;
      links[i].add(p);
      links[p].add(i);
      dialled++;
    }
  }
  return links.map((s) => Int32Array.from([...s].sort((a, b) => a - b)));
}

function blockFacts(): BlockFacts {
  return {
    view: () => 0,
    kind: (b) => ((b as MainBlock | SideBlock).txs.length > 0 ? 0 : 1),
    items: (b) => (b as MainBlock | SideBlock).txs.length,
    // A peg's lock is not final for its client: its release is.
    finals: (b, f) => {
      for (const tx of (b as MainBlock | SideBlock).txs) if (finalLeg(tx)) f(tx.id);
    },
  };
}

function build(input: BuildInput, host: CheckHost): BystackRun {
  const sc = asBystack(input.sc);
  const { nodes } = input;
  const m = sc.mainchain;
  const S = sc.federation.signers;
  // Main-chain full nodes: miners, full nodes, signers; then the producers.
  const firstSigner = m.miners + m.nodes;
  const full = firstSigner + S;
  const miners = Int32Array.from({ length: m.miners }, (_, i) => i);
  const shared: MainShared = {
    sc,
    genesis: mainGenesis(sc),
    miners,
    peersOf: peerGraph(sc),
    blockTxsMax: Math.floor(m.block_gas_max / m.tx_gas),
    selfishAt: behaviorAt(input, 'selfish_mining'),
    blocksOf: new Map(),
    indexed: new WeakSet(),
  };
  const P = sc.vapor.producers;
  const producers = scheduleOrder(full, P);
  const orderOf = new Int32Array(nodes.length).fill(-1);
  producers.forEach((node, k) => { orderOf[node] = k; });
  // Vapor's producers keep up to 20 peers (config MaxNumPeers): with 10 producers, all the others.
  // Each federation signer, a Vapor full node, is linked to SIGNER_LINKS producers (signer k to
  // producers 3k, 3k+1, 3k+2 in id order, wrapping), and they to it.
  const signers = Int32Array.from({ length: S }, (_, k) => firstSigner + k);
  const signerLinks = Array.from(signers, (_, k) => Int32Array.from({ length: Math.min(SIGNER_LINKS, P) }, (_, j) => full + ((SIGNER_LINKS * k + j) % P)));
  const sidePeers = nodes.map((_, i) => {
    if (i >= full && i < full + P) {
      const others = Array.from({ length: P - 1 }, (_, k) => full + (k >= i - full ? k + 1 : k));
      return Int32Array.from([...others, ...signers.filter((_, k) => signerLinks[k].includes(i))]);
    }
    if (i >= firstSigner && i < full && P > 0) return signerLinks[i - firstSigner];
    return new Int32Array(0);
  });
  const side: SideShared = {
    sc, genesis: sideGenesis(), producers, peersOf: sidePeers, orderOf,
    signer: createSigner(sc.crypto, `${sc.seed}`),
    gasTxsMax: Math.floor(sc.vapor.block_gas_max / m.tx_gas),
    withholdsAt: behaviorAt(input, 'withhold_signatures'),
    doubleSignsAt: behaviorAt(input, 'double_sign'),
  };
  const checks = new BystackChecks(host, P > 0, input.faultPhaseEnd_us, sc.checks.liveness_bound_us);
  const edgeProducers = Int32Array.from({ length: P }, (_, k) => full + k);
  const fed: FederationShared = {
    sc, signers, miners, producers: edgeProducers,
    withholdsAt: behaviorAt(input, 'withhold_peg_signatures'),
  };
  const program = (i: number): NodeLogic => {
    if (i < m.miners) return new MainNode(shared, i, m.hash_share_bp[i], new Stream(streamSeed(sc.seed, 'node', i, 'mine')));
    if (i < firstSigner) return new MainNode(shared, i, 0, null);
    if (i < full) {
      return new SignerNode(fed, i, i - firstSigner, new MainNode(shared, i, 0, null), P > 0 ? new SideNode(side, i) : null,
        new Stream(streamSeed(sc.seed, 'node', i, 'keeper')));
    }
    if (i < full + P) return new SideNode(side, i);
    const e = i - full - P;
    return new EdgeClient(sc, i, e, sc.clients.edges, miners, edgeProducers, new Stream(streamSeed(sc.seed, 'node', i, 'workload')));
  };
  return {
    sc, shared, side, checks,
    program,
    // Only the producers read the 0.5 s slot tick.
    ticks: (i) => i >= full && i < full + P,
    crashes: [],
    faultPhaseEnd_us: input.faultPhaseEnd_us,
    owners: (workers) => Int32Array.from(nodes, (_, i) => i % workers),
    genesis: P > 0 ? [shared.genesis.id, side.genesis.id] : [shared.genesis.id],
    blocks: blockFacts(),
    codec: codecOf(),
  };
}

/** The metrics' nearest-rank percentile of a sorted array, or null for none. */
function percentile(sorted: readonly number[], p: number): number | null {
  return sorted.length === 0 ? null : nearestRank(sorted, p);
}

/**
 * When each node shows byzantine `behavior`: the windows of the scenario's entries for it, as a
 * test of (node, time).
 */
function behaviorAt(input: BuildInput, behavior: string): (node: number, t_us: number) => boolean {
  const windows = new Map<number, { at_us: number; until_us: number }[]>();
  input.sc.byzantine.forEach((b, bi) => {
    if (b.behavior !== behavior) return;
    for (const i of input.select(b.nodes, `byzantine/${bi}/nodes`)) {
      windows.set(i, [...(windows.get(i) ?? []), { at_us: b.at_us, until_us: b.until_us ?? Infinity }]);
    }
  });
  return (node, t) => windows.get(node)?.some((w) => t >= w.at_us && t < w.until_us) ?? false;
}


function mainSummary(st: MainStats, nodes: readonly NodeInfo[]): MainSummary {
  const H = st.canonical.length;
  let mined = 0;
  let upTo = 0;
  for (let h = 1; h < st.mined.length; h++) {
    const n = st.mined[h] ?? 0;
    mined += n;
    if (h <= H) upTo += n;
  }
  const stale = Math.max(0, upTo - H);
  const arrivals = [...st.arrivals].sort((a, b) => a - b);
  const ms = (x: number | null) => (x === null ? null : round3(x / 1000));
  const byMiner: Record<string, number> = {};
  for (const c of st.canonical) byMiner[nodes[c.miner].name] = (byMiner[nodes[c.miner].name] ?? 0) + 1;
  const c = st.canonical;
  return {
    blocks_mined: mined,
    final_height: H,
    stale_blocks: stale,
    stale_rate: upTo > 0 ? round3(stale / upTo) : 0,
    reorgs: st.reorgs,
    reorg_depth_max: st.reorgDepths.length > 0 ? st.reorgDepths.length - 1 : 0,
    reorgs_by_depth: Object.fromEntries(st.reorgDepths.map((n, d) => [String(d), n]).filter(([, n]) => (n as number) > 0)),
    block_interval_mean_s: H > 1 ? round3((c[H - 1].found_us - c[0].found_us) / (H - 1) / 1e6) : null,
    difficulty_final_s: round3((H > 0 ? c[H - 1].difficulty : 0) / 1e6),
    propagation_ms: { p50: ms(percentile(arrivals, 50)), p90: ms(percentile(arrivals, 90)), p99: ms(percentile(arrivals, 99)), max: ms(arrivals.length > 0 ? arrivals[arrivals.length - 1] : null) },
    blocks_by_miner: Object.fromEntries(Object.entries(byMiner).sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)))),
    stale_by_height: Object.fromEntries(st.mined.flatMap((n, h) => (h >= 1 && h <= H && (n ?? 0) > 1 ? [[String(h), n - 1]] : []))),
  };
}


function vaporSummary(st: SideStats, nodes: readonly NodeInfo[], producers: Int32Array): VaporSummary {
  const c = st.canonical;
  const H = c.length;
  let upTo = 0;
  let made = 0;
  for (let h = 1; h < st.produced.length; h++) {
    made += st.produced[h] ?? 0;
    if (h <= H) upTo += st.produced[h] ?? 0;
  }
  const irr = c.map((x) => x.irreversible_us - (x.time_us - SLOT_US)).sort((a, b) => a - b);
  const arrivals = [...st.arrivals].sort((a, b) => a - b);
  const ms = (x: number | null) => (x === null ? null : round3(x / 1000));
  const byProducer: Record<string, number> = {};
  for (const x of c) byProducer[nodes[x.producer].name] = (byProducer[nodes[x.producer].name] ?? 0) + 1;
  return {
    blocks_produced: made,
    final_height: H,
    forked_blocks: Math.max(0, upTo - H),
    missed_slots: H > 1 ? Math.round((c[H - 1].time_us - c[0].time_us) / SLOT_US) + 1 - H : 0,
    reorgs: st.reorgs,
    reorg_depth_max: st.reorgDepths.length > 0 ? st.reorgDepths.length - 1 : 0,
    irreversible_ms: { p50: ms(percentile(irr, 50)), p90: ms(percentile(irr, 90)), max: ms(irr.length > 0 ? irr[irr.length - 1] : null) },
    propagation_ms: { p50: ms(percentile(arrivals, 50)), p90: ms(percentile(arrivals, 90)), max: ms(arrivals.length > 0 ? arrivals[arrivals.length - 1] : null) },
    blocks_by_producer: Object.fromEntries(Object.entries(byProducer).sort(([a], [b]) => Number(a.slice(1)) - Number(b.slice(1)))),
    txs_per_block_mean: H > 0 ? round3(c.reduce((n, x) => n + x.txs, 0) / H) : 0,
    double_signs: {
      caught: st.doubleSigns.size,
      refusals: [...st.doubleSigns.values()].reduce((a, b) => a + b, 0),
      producers: [...new Set([...st.doubleSigns.keys()].map((k) => k % 64))].sort((a, b) => a - b).map((o) => nodes[producers[o]].name),
    },
  };
}


function federationSummary(c: BystackChecks): FederationSummary {
  const open = (p: PegStats) => ({ ...p, open: p.locked - p.released });
  return { peg_in: open(c.pegIn), peg_out: open(c.pegOut) };
}

function summaryLines(s: object, fmt: { fixed(x: number, decimals: number): string }): string[] {
  const m = (s as { mainchain?: MainSummary }).mainchain;
  if (m === undefined) return [];
  const p = m.propagation_ms;
  const opt = (x: number | null, d: number) => (x === null ? '-' : fmt.fixed(x, d));
  const fed = (s as { federation?: FederationSummary | null }).federation;
  const federation = fed === undefined || fed === null ? [] : [
    `federation     peg-ins ${fed.peg_in.released} minted of ${fed.peg_in.locked} locked; peg-outs ${fed.peg_out.released} paid of ${fed.peg_out.locked} burned; open ${fed.peg_in.open + fed.peg_out.open}`,
  ];
  const v = (s as { vapor?: VaporSummary | null }).vapor;
  const vapor = v === undefined || v === null ? [] : [
    `vapor          final height ${v.final_height}, ${v.blocks_produced} blocks made, ${v.missed_slots} slots missed, ${fmt.fixed(v.txs_per_block_mean, 1)} transfers a block`,
    `               irreversible after p50 ${opt(v.irreversible_ms.p50, 0)} ms, p90 ${opt(v.irreversible_ms.p90, 0)} ms; reorganisations ${v.reorgs} (deepest ${v.reorg_depth_max})`,
    ...(v.double_signs.caught === 0 ? [] : [
      `               double signs caught ${v.double_signs.caught} (${v.double_signs.producers.join(', ')}), refused ${v.double_signs.refusals} times`,
    ]),
  ];
  return [
    `main chain     final height ${m.final_height}, ${m.blocks_mined} blocks mined, ${m.stale_blocks} stale (${fmt.fixed(100 * m.stale_rate, 1)}%), mean interval ${opt(m.block_interval_mean_s, 1)} s`,
    `               reorganisations ${m.reorgs} (deepest ${m.reorg_depth_max}); block propagation p50 ${opt(p.p50, 0)} ms, p90 ${opt(p.p90, 0)} ms, max ${opt(p.max, 0)} ms`,
    ...vapor,
    ...federation,
  ];
}

/**
 * Work per lookahead window in events: transfers reach every miner or producer (two events a
 * copy); each main-chain block crosses every link; each Vapor block (two a second) reaches every
 * producer and every producer's signature is flooded over every link.
 */
function eventsPerWindow(sc: BystackScenario): number {
  let lookahead_us = Infinity;
  for (const row of sc.network.latency.matrix_us) for (const v of row) if (v < lookahead_us) lookahead_us = v;
  const m = sc.mainchain;
  const rate = sc.workload.rate_tps;
  const blocksPerS = 1e6 / m.block_interval_us;
  const full = m.miners + m.nodes;
  const P = sc.vapor.producers;
  const side = sc.workload.side_percent / 100;
  const vapor = P > 0 ? 2 * rate * side * P + 2 * (1e6 / SLOT_US) * P * (P - 1) * (1 + P) : 0;
  return ((2 * rate * (1 - side) * m.miners + blocksPerS * full * m.peers * 4 + vapor) * lookahead_us) / 1e6;
}

/**
 * Bystack's share of a run's peak memory: per full node its maps (~3 KB) and ~100 B per block it
 * holds; per miner its pool (~150 B per transfer held); per transfer offered ~200 B (records,
 * batches and blocks hold it once per worker).
 */
function memoryParts(sc: BystackScenario): { what: string; bytes: number; shrink: string }[] {
  const m = sc.mainchain;
  const full = m.miners + m.nodes;
  const blocks = sc.duration_us / m.block_interval_us + 2;
  const offered = sc.workload.rate_tps * (sc.duration_us / 1e6);
  return [
    { what: 'main-chain nodes', bytes: full * (3000 + 100 * blocks), shrink: 'fewer full nodes or a shorter run' },
    { what: 'miner pools', bytes: m.miners * 150 * Math.min(m.pool_max, offered), shrink: 'fewer miners or a smaller pool_max' },
    {
      what: 'Vapor producers', bytes: sc.vapor.producers * (150 * Math.min(sc.vapor.pool_max, offered) + 400 * (sc.duration_us / SLOT_US)),
      shrink: 'fewer producers, a smaller vapor.pool_max or a shorter run',
    },
    { what: 'transfers', bytes: 200 * offered, shrink: 'a lower rate or a shorter run' },
  ];
}

const VIEWS: ViewAdapter<BystackRun> = {
  chainWord: 'chain',
  chainLabel: (c) => (c === CHAIN_MAIN ? 'main' : c === CHAIN_SIDE ? 'vapor' : `chain ${c}`),
  groupOrder: ['miners', 'nodes', 'signers', 'producers', 'edges'],
  groups: (b) => b.nodes.map((x) => `${x.role}s`),
  partitionSides: () => ['miners', 'nodes', 'signers', 'producers'],
  leaderOf: () => null,
  story: bystackStory,
  inspect: (b, node) => {
    const logic = b.logicOf(node);
    if (logic instanceof SignerNode) {
      return {
        facts: [['role', 'federation signer'], ['index', String(logic.index)], ['pegs signed or seen', String(logic.pegsGathered)]],
        columns: ['chain', 'best height', 'final height', 'tip'],
        rows: [
          ['main', logic.main.height, logic.main.committedHeight, logic.main.tip.id.slice(0, 8)],
          ...(logic.side === null ? [] : [['vapor', logic.side.height, logic.side.irreversibleHeight, logic.side.tip.id.slice(0, 8)]]),
        ],
      };
    }
    if (logic instanceof SideNode) {
      return {
        facts: [['role', 'Vapor producer'], ['schedule order', String(logic.order)]],
        columns: ['chain', 'best height', 'irreversible', 'tip', 'pool'],
        rows: [['vapor', logic.height, logic.irreversibleHeight, logic.tip.id.slice(0, 8), logic.poolSize]],
      };
    }
    if (!(logic instanceof MainNode)) return { facts: [['role', b.nodes[node].role]], columns: [], rows: [] };
    return {
      facts: [
        ['role', b.nodes[node].role],
        ['peers', String(b.family.shared.peersOf[node].length)],
        ...(logic.mines ? [['hash share', `${(b.family.sc.mainchain.hash_share_bp[node] / 100).toFixed(2)}%`] as [string, string]] : []),
      ],
      columns: ['chain', 'best height', 'final height', 'tip', 'pool'],
      rows: [['main', logic.height, logic.committedHeight, logic.tip.id.slice(0, 8), logic.mines ? logic.poolSize : '-']],
    };
  },
};

export const BYSTACK: ProtocolModule<BystackRun> = {
  family: 'bystack',
  config: BYSTACK_CONFIG,
  kinds: MSG_NAMES,
  timerKinds: Object.fromEntries(Object.entries(TIMER).map(([k, v]) => [v, k.toLowerCase()])),
  chainOf: (m) => (m.kind === MSG.BLOCK || m.kind === MSG.INV ? CHAIN_MAIN
    : m.kind === MSG.SIDE_BLOCK || m.kind === MSG.SIGNATURE ? CHAIN_SIDE : undefined),
  positionOf: (m) => {
    if (m.kind === MSG.BLOCK) return { chain: CHAIN_MAIN, view: -1, height: (m as BlockMsg).block.height };
    if (m.kind === MSG.INV) return { chain: CHAIN_MAIN, view: -1, height: (m as InvMsg).height };
    if (m.kind === MSG.SIDE_BLOCK) return { chain: CHAIN_SIDE, view: -1, height: (m as SideBlockMsg).block.height };
    return { chain: -1, view: -1, height: -1 };
  },
  consensusKinds: [MSG.INV, MSG.GETDATA, MSG.BLOCK, MSG.SIDE_BLOCK, MSG.SIGNATURE],
  bulkKinds: [MSG.TX_BATCH],
  latencyClasses: [...LATENCY_CLASSES],
  blockKinds: ['block', 'empty'],
  genesisKind: 1,
  describe: (sc: Scenario) => {
    const s = asBystack(sc);
    const m = s.mainchain;
    const vapor = s.vapor.producers > 0 ? `; Vapor: ${s.vapor.producers} producers, 0.5 s slots (${s.variant})` : '';
    return `main chain: ${m.miners} miners, ${m.nodes} full nodes, ${m.block_interval_us / 1e6} s blocks, final at ${m.confirmations} confirmations${vapor}; ${s.clients.edges} edges`;
  },
  layout: (sc) => roles(asBystack(sc)),
  placement: () => 'round_robin',
  groups: (sc) => (kind) => {
    throw new Error(`the bystack family has no node group "${kind}" (${sc.name})`);
  },
  tick_us: () => SLOT_US,
  eventsPerWindow: (sc) => eventsPerWindow(asBystack(sc)),
  memoryParts: (sc) => memoryParts(asBystack(sc)),
  build,
  summarize: (run, input: SummaryInput) => ({
    limits: null,
    mainchain: mainSummary(run.checks.main, input.nodes),
    vapor: run.sc.vapor.producers > 0 ? vaporSummary(run.checks.side, input.nodes, run.side.producers) : null,
    federation: run.sc.federation.signers > 0 ? federationSummary(run.checks) : null,
  }),
  summaryLines,
  reportSections,
  views: VIEWS,
  traceGroup: (_sc, nodes, i) => `${nodes[i].role}s`,
};
