/**
 * Bystack's part of the scenario format (sim/contract/config.ts): its sections with their defaults
 * and sources (docs/BYSTACK.md), its node names and selector words, its byzantine behaviours, the
 * checks across its sections and the way back to the file form. A file:
 *
 *   name: bytom-mainchain
 *   protocol: { family: bystack }
 *   mainchain: { miners: 8, nodes: 24, confirmations: 6 }
 *   workload: { rate_tps: 20 }
 *   byzantine: [{ nodes: [m0], behavior: selfish_mining }]
 */
import { z } from 'zod';
import type { CheckTools, FamilyConfig, ParsedFile, SelectorScope } from '../../contract/config.js';
import { byteSize, duration, expecting, int, num, percent } from '../../scenario/fields.js';
import type { Selector, Vocabulary } from '../../scenario/selectors.js';
import { genericFault, type ByzantineSpec, type FaultSpec, type Scenario } from '../../scenario/types.js';
import { formatDuration } from '../../scenario/units.js';
import {
  asBystack, type ClientsConfig, type FederationConfig, type MainChainConfig, type RoleName, type SizeTable, type VaporConfig,
} from './scenario.js';
import { BYSTACK_SWARM } from './draw.js';

/** Full nodes, miners included, that one run may have (the block-propagation benchmark runs 6,000). */
export const MAIN_NODES_MAX = 20_000;

const mainchainSchema = z
  .strictObject({
    miners: int(1, 4096).default(8).describe('Nodes that mine (m0, m1, ...); they relay and validate like full nodes.'),
    nodes: int(0, MAIN_NODES_MAX).default(24).describe('Full nodes that relay and validate but do not mine (n0, n1, ...).'),
    hash_shares: z
      .array(num(0, 100), expecting('a list of percentages, one per miner'))
      .optional()
      .describe("Each miner's share of the hash rate in percent, in miner order, summing to 100 (default: equal shares)."),
    block_interval: duration({ positive: true })
      .prefault('150s')
      .describe('Target block interval (consensus/general.go TargetSecondsPerBlock = 150).'),
    confirmations: int(1, 1000)
      .default(6)
      .describe('A block is final once this many blocks, itself included, are on the best chain (6 and 10 are usual; peg-ins wait for 10).'),
    retarget_blocks: int(2, 1_000_000)
      .default(2016)
      .describe('Difficulty is retargeted every this many blocks (consensus/general.go BlocksPerRetarget = 2016).'),
    block_gas_max: int(1, 1e12)
      .default(10_000_000)
      .describe('Gas ceiling of a block (consensus/general.go MaxBlockGas = 10,000,000).'),
    tx_gas: int(1, 1e9)
      .default(1740)
      .describe('Gas of one transfer (one input, two outputs): 331 bytes of storage gas and 1,409 of VM gas (blockchain/txbuilder/estimate.go).'),
    peers: int(1, 256).default(8).describe('Peers each node dials (config MaxNumPeers = 50 is the most it keeps); the relay graph is the union of these links.'),
    relay: z
      .enum(['push', 'announce'])
      .default('push')
      .describe('push: a validated block goes whole to every peer not known to have it (netsync broadcastMinedBlock, block_fetcher); announce: INV, then GETDATA from the first announcer (Bitcoin, SimBlock).'),
    pool_max: int(1, 10_000_000).default(10_000).describe('Transactions a miner\'s pool holds (protocol/txpool.go maxNewTxNum = 10,000; no eviction).'),
    edge_flush: duration({ positive: true })
      .prefault('1s')
      .describe('Edges send the transfers their clients submitted to every miner at this period.'),
  })
  .superRefine(
    (m, ctx) => {
      const shares = m.hash_shares;
      if (shares !== undefined) {
        const sum = shares.reduce((a, b) => a + b, 0);
        if (shares.length !== m.miners) {
          ctx.addIssue({ code: 'custom', path: ['hash_shares'], message: `expected ${m.miners} shares (one per miner), got ${shares.length}` });
        } else if (Math.abs(sum - 100) > 1e-6) {
          ctx.addIssue({ code: 'custom', path: ['hash_shares'], message: `expected shares summing to 100, got ${+sum.toFixed(6)}` });
        }
      }
      if (m.peers >= m.miners + m.nodes) {
        ctx.addIssue({ code: 'custom', path: ['peers'], message: `expected fewer peers than the ${m.miners + m.nodes} full nodes, got ${m.peers}` });
      }
    },
    { when: (p) => p.issues.length === 0 },
  )
  .transform((m): MainChainConfig => ({
    miners: m.miners,
    nodes: m.nodes,
    hash_share_bp: sharesBp(m.hash_shares, m.miners),
    block_interval_us: m.block_interval,
    confirmations: m.confirmations,
    retarget_blocks: m.retarget_blocks,
    block_gas_max: m.block_gas_max,
    tx_gas: m.tx_gas,
    peers: m.peers,
    relay: m.relay,
    pool_max: m.pool_max,
    edge_flush_us: m.edge_flush,
  }));

/** Shares in basis points (integers summing to 10,000); equal when none are given. */
function sharesBp(shares: number[] | undefined, miners: number): number[] {
  if (shares === undefined || shares.length !== miners) {
    const base = Math.floor(10_000 / miners);
    return Array.from({ length: miners }, (_, i) => base + (i < 10_000 - base * miners ? 1 : 0));
  }
  const bp = shares.map((s) => Math.round(s * 100));
  // Rounding leftovers go to the first miner, so the sum is exact.
  bp[0] += 10_000 - bp.reduce((a, b) => a + b, 0);
  return bp;
}

const vaporSchema = z
  .strictObject({
    producers: int(0, 64)
      .default(10)
      .describe('Consensus nodes (p0, p1, ...), the top by votes (consensus/general.go NumOfConsensusNode = 10); 0: no side chain.'),
    pool_max: int(1, 10_000_000).default(65_536).describe("Transactions a producer's pool holds (protocol/txpool.go maxNewTxNum = 65,536)."),
    block_gas_max: int(1, 1e12).default(10_000_000).describe('Gas ceiling of a block (consensus/general.go MaxBlockGas).'),
  })
  .transform((v): VaporConfig => ({ ...v }));

const federationSchema = z
  .strictObject({
    signers: int(0, 64).default(4).describe('Federation signers (f0, f1, ...), full nodes of both chains (config DefaultFederationConfig: 4); 0: no pegs.'),
    quorum: int(1, 64).default(2).describe('Signatures a mint or payout needs (DefaultFederationConfig Quorum: 2; 1 of 1 after Vapor height 128,957,600).'),
    pegin_confirmations: int(1, 1000).default(10).describe('A deposit is processed once the main chain is this many blocks above it (federation config confirmations: 10).'),
    pegout_blocks: int(0, 1_000_000).default(300).describe("A burn is processed once Vapor's last irreversible block is this many above it (federation config confirmations: 300)."),
    poll: duration({ positive: true }).prefault('150s').describe('Each keeper polls both chains at this period (federation config sync_seconds: 150).'),
  })
  .superRefine(
    (f, ctx) => {
      if (f.signers > 0 && f.quorum > f.signers) {
        ctx.addIssue({ code: 'custom', path: ['quorum'], message: `expected at most the ${f.signers} signers, got ${f.quorum}` });
      }
    },
    { when: (p) => p.issues.length === 0 },
  )
  .transform((f): FederationConfig => ({
    signers: f.signers, quorum: f.quorum, pegin_confirmations: f.pegin_confirmations, pegout_blocks: f.pegout_blocks, poll_us: f.poll,
  }));

const sizesSchema = z
  .strictObject({
    tx_bytes: byteSize(331, 'A transfer (one input, two outputs) on the wire and in a block'),
    header_bytes: byteSize(125, 'A block header (types/block_header.go)'),
    side_header_bytes: byteSize(190, "A Vapor block header with its producer's signature (types/block_header.go, one witness slot filled)"),
    signature_bytes: byteSize(170, 'A Vapor signature message: block hash, 64-byte signature and the signer\'s key (BlockSignatureMsg)'),
    inv_bytes: byteSize(40, 'An announcement of a block hash, or a request for one'),
  })
  .transform((s): SizeTable => ({ ...s }));

const HARDWARE = {
  miner: { cores: 4, bandwidth: '100Mbps' },
  node: { cores: 2, bandwidth: '100Mbps' },
  signer: { cores: 2, bandwidth: '100Mbps' },
  producer: { cores: 4, bandwidth: '100Mbps' },
  edge: { cores: 2, bandwidth: '100Mbps' },
} as const satisfies Record<RoleName, { cores: number; bandwidth: string }>;

/**
 * CPU costs in µs of one core (docs/BYSTACK.md "Costs"): an ed25519 signature check per transfer,
 * the Tensority proof of work checked once per block header, a transfer applied to the UTXO set.
 */
const COSTS = {
  message_base_us: 5,
  verify_tx_us: 60,
  verify_pow_us: 2000,
  execute_tx_us: 20,
  verify_sig_us: 60,
  sign_us: 30,
};

const VOCABULARY: Vocabulary = {
  prefixes: 'mnfpe',
  words: ['miners', 'nodes', 'signers', 'producers', 'edges', 'all'],
  groups: [],
  help: 'a node name like "m1", "n0", "f0", "p2" or "e0", miners, nodes, signers, producers, edges, all, region:NAME, or "K of S" / "P% of S"',
};

interface Counts { m: number; n: number; f: number; p: number; e: number }

function countsOf(f: ParsedFile): Counts {
  const m = f.mainchain as MainChainConfig;
  return {
    m: m.miners, n: m.nodes, f: (f.federation as FederationConfig).signers, p: (f.vapor as VaporConfig).producers,
    e: (f.clients as ClientsConfig).edges,
  };
}

function scopeOf(c: Counts): SelectorScope {
  const names = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);
  return {
    total: c.m + c.n + c.f + c.p + c.e,
    expand: (sel: Selector) => {
      if (sel.kind === 'node') return [`${sel.prefix}${sel.index}`];
      if (sel.kind !== 'role') return null;
      if (sel.role === 'miners') return names('m', c.m);
      if (sel.role === 'nodes') return names('n', c.n);
      if (sel.role === 'signers') return names('f', c.f);
      if (sel.role === 'producers') return names('p', c.p);
      if (sel.role === 'edges') return names('e', c.e);
      return [...names('m', c.m), ...names('n', c.n), ...names('f', c.f), ...names('p', c.p), ...names('e', c.e)];
    },
    check: (sel, text) => {
      if (sel.kind === 'node') {
        const n = c[sel.prefix as keyof Counts];
        return sel.index < n ? null : `unknown node ${JSON.stringify(text)} (${n === 0 ? `the run has no ${sel.prefix} nodes` : `expected ${sel.prefix}0 to ${sel.prefix}${n - 1}`})`;
      }
      if (sel.kind === 'role' && sel.role === 'nodes' && c.n === 0) return 'selects no node: mainchain.nodes is 0';
      if (sel.kind === 'role' && sel.role === 'producers' && c.p === 0) return 'selects no node: vapor.producers is 0';
      if (sel.kind === 'role' && sel.role === 'signers' && c.f === 0) return 'selects no node: federation.signers is 0';
      return null;
    },
  };
}

const clientsSchema = z
  .strictObject({
    edges: int(1, 256).default(2).describe('Edges (e0, e1, ...): the clients\' entry points; accounts are dealt to them in turn.'),
  })
  .transform((c): ClientsConfig => ({ ...c }));

export const BYSTACK_CONFIG: FamilyConfig = {
  family: 'bystack',
  vocabulary: VOCABULARY,
  hardware: HARDWARE,
  costs: COSTS,
  workload: {
    side_percent: percent().default(0).describe('Share of transfers made on the Vapor side chain (the rest on the main chain).'),
    peg_in_percent: percent().default(0).describe('Share of transfers that are peg-ins: locked on the main chain, minted on Vapor.'),
    peg_out_percent: percent().default(0).describe('Share of transfers that are peg-outs: burned on Vapor, paid on the main chain.'),
  },
  root: (parts) => ({
    $schema: parts.sections.$schema,
    schema_version: parts.sections.schema_version,
    name: parts.sections.name,
    description: parts.sections.description,
    seed: parts.sections.seed,
    duration: parts.sections.duration,
    warmup: parts.sections.warmup,
    crypto: parts.sections.crypto,
    replica_state: parts.sections.replica_state,
    protocol: z.strictObject({ family: parts.familyKey() }).prefault({}),
    variant: z
      .enum(['impl', 'design'])
      .default('impl')
      .describe("Vapor's packing: impl follows the code (100 ms window, no batch after 128 transactions); design packs up to the gas ceiling."),
    network: parts.sections.network,
    mainchain: mainchainSchema.prefault({}).describe('The Bytom main chain: proof of work, heaviest chain, finality at a confirmation depth.'),
    vapor: vaporSchema.prefault({}).describe('The Vapor side chain: producers in 0.5 s slots, irreversible at more than 2/3 of their signatures.'),
    federation: federationSchema.prefault({}).describe('The federation that pegs assets between the chains: signers that poll both and sign mints and payouts.'),
    clients: clientsSchema.prefault({}),
    hardware: parts.sections.hardware,
    costs: parts.sections.costs,
    sizes: sizesSchema.prefault({}).describe('Message sizes in bytes.'),
    workload: parts.sections.workload,
    faults: parts.faultList(
      [parts.faults.crash, parts.faults.partition, parts.faults.degrade],
      'Fault schedule; `kind` is crash, partition or degrade. Times are from the start of the run.',
    ),
    byzantine: parts.byzantineList(
      z.strictObject(parts.byzantineFields(['selfish_mining', 'withhold_signatures', 'double_sign', 'withhold_peg_signatures'],
        'selfish_mining: a miner withholds the blocks it finds and publishes them to override the honest chain; withhold_signatures: a producer signs no block and relays no signature; double_sign: a producer makes two blocks in each of its slots, one to each half of its peers, and signs every block it sees; withhold_peg_signatures: a federation signer signs no mint or payout.'))
        .transform((b) => ({ nodes: b.nodes, behavior: b.behavior, at_us: b.at, until_us: b.until ?? null })),
    ),
    // The envelope's checks, with a liveness bound for 150 s blocks: the first final block comes
    // after `confirmations` blocks, and then a live chain almost never goes 14 intervals without one.
    checks: z
      .strictObject({
        liveness_bound: duration({ positive: true })
          .prefault('1h')
          .describe('After the last fault change, a chain with work waiting must make a block final within this.'),
      })
      .transform((c) => ({ liveness_bound_us: c.liveness_bound }))
      .prefault({}),
  }),
  scope: (f) => scopeOf(countsOf(f)),
  checkSections: (f: ParsedFile, tools: CheckTools) => {
    const m = f.mainchain as MainChainConfig;
    const w = f.workload as unknown as { side_percent: number; peg_in_percent: number; peg_out_percent: number };
    const side = w.side_percent;
    const producers = (f.vapor as VaporConfig).producers;
    const signers = (f.federation as FederationConfig).signers;
    if (side > 0 && producers === 0) {
      tools.issue(['workload', 'side_percent'], `expected 0 when vapor.producers is 0 (there is no side chain), got ${side}`);
    }
    if (signers > 0 && producers === 0) {
      tools.issue(['federation', 'signers'], `expected 0 when vapor.producers is 0 (there is no side chain to peg to), got ${signers}`);
    }
    for (const k of ['peg_in_percent', 'peg_out_percent'] as const) {
      if (w[k] > 0 && signers === 0) tools.issue(['workload', k], `expected 0 when federation.signers is 0 (nobody pegs), got ${w[k]}`);
    }
    const sum = side + w.peg_in_percent + w.peg_out_percent;
    if (sum > 100) tools.issue(['workload', 'peg_out_percent'], `expected side_percent + peg_in_percent + peg_out_percent at most 100, got ${+sum.toFixed(6)}`);
    // A restarted Bystack node resumes with its chains (both chains' nodes store them on disk); a
    // restart from nothing is not modelled, so a crash that asks for one is refused.
    f.faults.forEach((fault, i) => {
      const g = genericFault(fault);
      if (g?.kind === 'crash' && g.state === 'lost') {
        tools.issue(['faults', i, 'state'], 'expected kept: a Bystack node restarts with the chains it stored (a restart from nothing is not modelled)');
      }
    });
    const bound = (f.checks as { liveness_bound_us: number }).liveness_bound_us;
    const least = (m.confirmations + 2) * m.block_interval_us;
    // The bound binds the main chain only when transactions go to it.
    if (side < 100 && bound < least) {
      tools.issue(['checks', 'liveness_bound'],
        `expected at least ${formatDuration(least)} (a block is final only after ${m.confirmations} confirmations of ${formatDuration(m.block_interval_us)} blocks, plus two), got ${formatDuration(bound)}`);
    }
  },
  checkFault: () => {},
  checkByzantine: (f, b, path, tools) => {
    if (b.behavior === 'selfish_mining') {
      const miners = new Set(Array.from({ length: (f.mainchain as MainChainConfig).miners }, (_, i) => `m${i}`));
      if (!tools.candidates(b.nodes).every((n) => miners.has(n))) tools.issue([...path, 'nodes'], 'expected miners (selfish mining needs hash rate)');
    } else if (b.behavior === 'withhold_signatures' || b.behavior === 'double_sign') {
      const producers = new Set(Array.from({ length: (f.vapor as VaporConfig).producers }, (_, i) => `p${i}`));
      if (!tools.candidates(b.nodes).every((n) => producers.has(n))) tools.issue([...path, 'nodes'], 'expected producers (only producers sign Vapor blocks)');
    } else {
      const signers = new Set(Array.from({ length: (f.federation as FederationConfig).signers }, (_, i) => `f${i}`));
      if (!tools.candidates(b.nodes).every((n) => signers.has(n))) tools.issue([...path, 'nodes'], 'expected federation signers (f0, f1, ...)');
    }
  },
  sectionToFile: (key: string, sc: Scenario) => {
    const s = asBystack(sc);
    switch (key) {
      case 'protocol': return { family: 'bystack' };
      case 'mainchain': {
        const m = s.mainchain;
        const equal = sharesBp(undefined, m.miners);
        return {
          miners: m.miners, nodes: m.nodes,
          ...(m.hash_share_bp.every((x, i) => x === equal[i]) ? {} : { hash_shares: m.hash_share_bp.map((x) => x / 100) }),
          block_interval: formatDuration(m.block_interval_us), confirmations: m.confirmations, retarget_blocks: m.retarget_blocks,
          block_gas_max: m.block_gas_max, tx_gas: m.tx_gas, peers: m.peers, relay: m.relay, pool_max: m.pool_max,
          edge_flush: formatDuration(m.edge_flush_us),
        };
      }
      case 'clients': return { ...s.clients };
      case 'vapor': return { ...s.vapor };
      case 'federation': {
        const f = s.federation;
        return {
          signers: f.signers, quorum: f.quorum, pegin_confirmations: f.pegin_confirmations, pegout_blocks: f.pegout_blocks,
          poll: formatDuration(f.poll_us),
        };
      }
      case 'variant': return s.variant;
      case 'sizes': return { ...s.sizes };
    }
    throw new Error(`Bystack has no section ${key}`);
  },
  workloadToFile: (sc) => {
    const w = asBystack(sc).workload;
    return { side_percent: w.side_percent, peg_in_percent: w.peg_in_percent, peg_out_percent: w.peg_out_percent };
  },
  faultToFile: (f: FaultSpec) => {
    throw new Error(`Bystack has no fault kind ${f.kind} of its own`);
  },
  byzantineToFile: (_b: ByzantineSpec) => ({}),
  swarm: BYSTACK_SWARM,
};
