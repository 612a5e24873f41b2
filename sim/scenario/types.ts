/**
 * The normalized scenario: what the loader returns after validation and defaults.
 * Every duration is an integer number of microseconds (`_us`), every bandwidth an integer
 * number of bits per second (`_bps`). The file format (YAML/JSON) uses strings with units
 * ("50ms", "100Mbps"); see sim/scenario/schema.ts and scenarios/scenario.schema.json.
 */
import type { CostTable } from '../crypto/costs.js';

export type CryptoMode = 'real' | 'modeled';
export type RoleName = 'validator' | 'auditor' | 'edge';

export interface Hardware {
  cores: number;
  upload_bps: number;
  download_bps: number;
}

export interface StakeInput {
  deposit_top: number;
  votes: number;
  /** Credit score in [0.1, 1]. */
  credit: number;
}

export interface LatencyConfig {
  /** Dataset name from sim/net/datasets.ts, or 'uniform'. */
  dataset: string;
  /** Region labels used, in order (a subset of the dataset's, default all). */
  regions: string[];
  /** One-way latency in µs: matrix_us[i][j] from regions[i] to regions[j]. Filled by the loader. */
  matrix_us: number[][];
  /** The dataset's provenance line, for reports. */
  source: string;
}

export interface NetworkConfig {
  latency: LatencyConfig;
  /** One-way latency inside one region where the dataset has none (diagonal 0 or null). */
  intra_region_us: number;
  /** Seeded jitter: each message gets uniform extra delay in [0, jitter_percent% of one-way]. */
  jitter_percent: number;
  loss_percent: number;
  duplicate_percent: number;
  /** Children per hop in the group relay tree. */
  relay_fanout: number;
  /** Time after a crash until peers route around the crashed node. */
  failure_detect_us: number;
}

export interface TopologyConfig {
  tables: number;
  validators: number;
  auditors: number;
  edges: number;
  /** How nodes are spread over regions. */
  placement: 'round_robin' | 'seeded';
}

export interface ProtocolConfig {
  block_txs_max: number;
  pack_immediate_txs: number;
  pack_retry_us: number;
  /** Minimum pool size to pack, by time since view start; after the last `until_us` it is 0. */
  pack_thresholds: { until_us: number; min_txs: number }[];
  full_block_interval: number;
  clock_interval_us: number;
  view_clock_ticks: number;
  proposal_expiry_us: number;
  pool_txs_max: number;
  account_pending_max: number;
  /** Edges batch transactions per table and flush at this period. */
  edge_flush_us: number;
  /** Retry period for fetching a missing block from a peer. */
  sync_retry_us: number;
}

export interface SizeTable {
  tx_bytes: number;
  vote_bytes: number;
  qc_bytes: number;
  proposal_header_bytes: number;
  unit_per_account_bytes: number;
  receipt_bytes: number;
  sync_request_bytes: number;
}

export interface WorkloadConfig {
  accounts: number;
  rate_tps: number;
  arrival: 'constant' | 'poisson';
  start_us: number;
  /** Submissions stop at this time (default: the run's duration). */
  stop_us: number;
  amount_max: number;
  genesis_balance: number;
}

export type NodeSelector = string; // a node name ("v3", "a0", "e1") or a role ("validators", "auditors", "edges", "all")

export type FaultSpec =
  | { kind: 'crash'; at_us: number; until_us: number | null; nodes: NodeSelector[] }
  | { kind: 'crash_leader'; view: number; table: number; until_us: number | null }
  | {
      kind: 'partition';
      at_us: number;
      until_us: number | null;
      a: NodeSelector[];
      /** Empty means "every node not in a". */
      b: NodeSelector[];
      direction: 'both' | 'a_to_b';
    };

export interface ByzantineSpec {
  nodes: NodeSelector[];
  behavior: 'equivocate';
}

/** Deliberate breakage, only to prove that each checker can fire. Never for experiments. */
export interface SabotageConfig {
  /** Certificates need this many fewer votes per group than ⌊2n/3⌋+1. */
  quorum_shortfall: number;
  /** The ledger credits receivers without debiting senders. */
  ledger_mint: boolean;
  /** The ledger accepts any nonce; clients replay this share of their nonces. */
  skip_nonce_check: boolean;
  replay_nonce_percent: number;
}

export interface Scenario {
  schema_version: 1;
  name: string;
  description: string;
  seed: number;
  duration_us: number;
  warmup_us: number;
  crypto: CryptoMode;
  network: NetworkConfig;
  topology: TopologyConfig;
  hardware: Record<RoleName, Hardware>;
  stake: Record<'validator' | 'auditor', StakeInput> & { overrides: Record<string, Partial<StakeInput>> };
  protocol: ProtocolConfig;
  costs: CostTable;
  sizes: SizeTable;
  workload: WorkloadConfig;
  faults: FaultSpec[];
  byzantine: ByzantineSpec[];
  sabotage: SabotageConfig;
}
