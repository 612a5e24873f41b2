/**
 * Bystack's scenario as its code reads it: the envelope (sim/scenario/types.ts) and Bystack's
 * sections, normalized (durations in µs). The file format of these sections is ./config.ts; the
 * model and the source of every default is docs/BYSTACK.md.
 */
import type { ByzantineSpec, GenericFaultSpec, Scenario } from '../../scenario/types.js';

export type RoleName = 'miner' | 'node' | 'signer' | 'producer' | 'edge';

/** The Bytom main chain (docs/BYSTACK.md "Main chain"). */
export interface MainChainConfig {
  /** Nodes that mine (m0, m1, ...); they also relay and validate like full nodes. */
  miners: number;
  /** Full nodes that relay and validate but do not mine (n0, n1, ...). */
  nodes: number;
  /** Each miner's share of the hash rate, in basis points of the total (sums to 10,000). */
  hash_share_bp: number[];
  /** Target block interval. */
  block_interval_us: number;
  /** A block is final once this many blocks (itself included) are on the node's best chain. */
  confirmations: number;
  /** Difficulty is retargeted every this many blocks. */
  retarget_blocks: number;
  /** Gas ceiling of a block, and the gas of one transfer (so block_gas_max / tx_gas transfers fit). */
  block_gas_max: number;
  tx_gas: number;
  /** Peers each node dials (the relay graph is the union of these links). */
  peers: number;
  /** How a new block travels: whole to every peer that lacks it (Bytom), or announced and asked for. */
  relay: 'push' | 'announce';
  /** Transactions a miner's pool holds; more are refused. */
  pool_max: number;
  /** Edges send what their clients submitted to the miners at this period. */
  edge_flush_us: number;
}

/** The Vapor side chain (docs/BYSTACK.md "Vapor"); none when `producers` is 0. */
export interface VaporConfig {
  /** Consensus nodes (p0, p1, ...) in schedule order. */
  producers: number;
  /** Transactions a producer's pool holds. */
  pool_max: number;
  /** Gas ceiling of a block. */
  block_gas_max: number;
}

/** The federation between the chains (docs/BYSTACK.md "Federation"); none when `signers` is 0. */
export interface FederationConfig {
  /** Signer nodes (f0, f1, ...): full nodes of both chains with a keeper. */
  signers: number;
  /** Signatures a release needs. */
  quorum: number;
  /** A deposit is processed once the main chain's best height is this far above its block. */
  pegin_confirmations: number;
  /** A burn is processed once Vapor's last irreversible height is this far above its block. */
  pegout_blocks: number;
  /** Each keeper polls both chains at this period. */
  poll_us: number;
}

export interface ClientsConfig {
  /** Edges: the clients' entry points (e0, e1, ...); accounts are dealt to them in turn. */
  edges: number;
}

export interface SizeTable {
  /** A transfer on the wire and in a block (one input, two outputs). */
  tx_bytes: number;
  /** A block header. */
  header_bytes: number;
  /** An announcement of a block hash, and a request for one. */
  inv_bytes: number;
  /** A Vapor block header with its producer's signature. */
  side_header_bytes: number;
  /** A producer's signature message (block hash, signature, key). */
  signature_bytes: number;
}

/** Selfish mining (Eyal and Sirer): the miner withholds the blocks it finds and publishes them to override. */
export interface BystackByzantineSpec extends ByzantineSpec {
  behavior: 'selfish_mining' | 'withhold_signatures' | 'double_sign' | 'withhold_peg_signatures';
}

export type BystackFaultSpec = GenericFaultSpec;

/** CPU cost per operation, µs of one core (docs/BYSTACK.md "Costs"). */
export interface CostTable {
  message_base_us: number;
  verify_tx_us: number;
  verify_pow_us: number;
  execute_tx_us: number;
  verify_sig_us: number;
  sign_us: number;
}

/** Per transfer, the chain it goes to, in percent (the rest stays on the main chain). */
export interface BystackWorkload {
  side_percent: number;
  peg_in_percent: number;
  peg_out_percent: number;
}

export interface BystackScenario extends Scenario {
  /** Vapor's packing: the code's window and cap (impl), or the design's gas ceiling alone. */
  variant: 'impl' | 'design';
  costs: CostTable;
  workload: Scenario['workload'] & BystackWorkload;
  mainchain: MainChainConfig;
  vapor: VaporConfig;
  federation: FederationConfig;
  clients: ClientsConfig;
  sizes: SizeTable;
}

export function asBystack(sc: Scenario): BystackScenario {
  return sc as BystackScenario;
}
