/**
 * The normalized scenario: what the loader returns after validation and defaults.
 * Every duration is an integer number of microseconds (`_us`), every bandwidth an integer
 * number of bits per second (`_bps`). The file format (YAML/JSON) uses strings with units
 * ("50ms", "100Mbps"); see sim/scenario/schema.ts and scenarios/scenario.schema.json.
 */
import type { Popularity as WorkloadPopularity } from '../workload/accounts.js';
import type { CostTable } from '../crypto/costs.js';
import type { ArrivalKind, RateSchedule } from '../workload/schedule.js';

export type CryptoMode = 'real' | 'modeled';
export type RoleName = 'validator' | 'auditor' | 'edge' | 'beacon' | 'archive';

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
  /** Tables (shards); each validator group owns a contiguous range of them (docs/PROTOCOL.md §3.3). */
  tables: number;
  auditor_groups: number;
  validator_groups_per_auditor: number;
  /** Members per validator group. */
  validators: number;
  /** Members per auditor group. */
  auditors: number;
  edges: number;
  /** REC beacon nodes certifying the clock; 0 means an ideal clock read locally by every node. */
  beacons: number;
  /** Archive nodes: follow every table's chain without voting. */
  archives: number;
  /** Registered validators / auditors not seated at genesis (the standby pool elections draw from). */
  standby_validators: number;
  standby_auditors: number;
  /** How nodes are spread over regions. */
  placement: 'round_robin' | 'seeded';
}

export interface ProtocolConfig {
  /** The protocol family (sim/protocol/registry.ts); `top` by default. */
  family: string;
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
  /** Per block: receipt legs (recv + confirm) at most, and confirm legs at most (§4.3). */
  recv_per_block_max: number;
  confirm_per_block_max: number;
  /** Receipt reliability timers (§9.4): resend, pull, receipt-id state broadcast, minimum resend age. */
  receipt_resend_us: number;
  receipt_pull_us: number;
  receipt_state_us: number;
  receipt_min_age_us: number;
  /** Flow control: no new sends to a peer table with this many receipts unconfirmed (§9.2). */
  receipts_unconfirmed_max: number;
}

/** Cluster elections (docs/PROTOCOL.md §7): rotation sizes, schedule, leader eligibility. Clocks are beacon ticks. */
export interface ElectionConfig {
  /** A cluster rotates when this many clocks passed since its last election (MC-4: 1080, 3 h). */
  cluster_interval: number;
  /** ZEC's election timer period in clocks (`zone_election_trigger_interval`). */
  trigger_interval: number;
  /** Clusters rotated per trigger at most (`max_auditor_rotation_count`). */
  clusters_per_trigger: number;
  /** Members swapped per election: max(1, ⌊rotation_percent% × size⌋). */
  rotation_percent: number;
  /** At or below this share of the group size, a small standby pool also rotates members out. */
  min_rotation_ratio_percent: number;
  max_auditor_group_size: number;
  max_validator_group_size: number;
  /** Members who joined within this many rounds lead only when nobody else can (§8.2). */
  leader_election_rounds: number;
  /** Non-genesis members with credit at or below this lead only when nobody else can. */
  leader_min_credit: number;
}

export interface SizeTable {
  tx_bytes: number;
  vote_bytes: number;
  qc_bytes: number;
  proposal_header_bytes: number;
  unit_per_account_bytes: number;
  receipt_bytes: number;
  sync_request_bytes: number;
  /** State sync for a new member: bytes per account of the table. */
  state_per_account_bytes: number;
}

/** How many transfers per second, over time (all clients together); defined in sim/workload/schedule.ts. */
export type { RateSchedule };

/** Which accounts send and receive: uniform, or Zipf over accounts (global or within each table). */
/** Account popularity as a scenario holds it (sim/workload/accounts.ts), Zipf's scope filled in. */
export type Popularity = Exclude<WorkloadPopularity, { kind: 'zipf' }> | Required<Extract<WorkloadPopularity, { kind: 'zipf' }>>;

export interface WorkloadConfig {
  accounts: number;
  /** The schedule's rate at its start (a constant schedule's rate), for display. */
  rate_tps: number;
  schedule: RateSchedule;
  arrival: ArrivalKind;
  start_us: number;
  /** Submissions stop at this time (default: the run's duration). */
  stop_us: number;
  amount_max: number;
  genesis_balance: number;
  popularity: Popularity;
  /** Share of transfers whose receiver is in the sender's table; null: as the accounts fall (≈ 1/tables). */
  intra_share_percent: number | null;
  /** Share of transfers that call a system contract (their confirm leg exists with variant impl too). */
  system_call_percent: number;
}

/** A node selector (sim/scenario/selectors.ts): a name, a role, a group, a table, a region or a seeded fraction. */
export type NodeSelector = string;

export type FaultSpec =
  | {
      kind: 'crash';
      at_us: number;
      until_us: number | null;
      nodes: NodeSelector[];
      /** On restart: `kept` resumes from the state held at the crash; `lost` rebuilds it from peers (state sync). */
      state: 'kept' | 'lost';
    }
  | { kind: 'crash_leader'; view: number; table: number; until_us: number | null }
  | {
      kind: 'partition';
      at_us: number;
      until_us: number | null;
      a: NodeSelector[];
      /** Empty means "every node not in a". */
      b: NodeSelector[];
      direction: 'both' | 'a_to_b';
    }
  | {
      /** Links between node sets a and b get slower, lossier, duplicating, reordering or narrower. */
      kind: 'degrade';
      at_us: number;
      until_us: number | null;
      a: NodeSelector[];
      /** Empty means "every node not in a". */
      b: NodeSelector[];
      direction: 'both' | 'a_to_b';
      latency_us: number;
      jitter_percent: number;
      loss_percent: number;
      duplicate_percent: number;
      reorder_us: number;
      bandwidth_percent: number;
    }
  | {
      /**
       * The nodes' local clocks run off: `skew_us` ahead (negative: behind) from `at`, drifting a
       * further `drift_ppm` µs per second, until `until` corrects them. It moves when they see the
       * beacon clock tick (nodes that read it locally) and when their timers fire.
       */
      kind: 'clock';
      at_us: number;
      until_us: number | null;
      nodes: NodeSelector[];
      skew_us: number;
      drift_ppm: number;
    }
  | {
      /** Standby validators or auditors register at `at`: before it no election can seat them. */
      kind: 'join';
      at_us: number;
      nodes: NodeSelector[];
    }
  | {
      /**
       * Registered nodes deregister at `at`: their cluster's next election elects them out first
       * (docs/PROTOCOL.md §7.3), and they go offline when the first round without them starts (at
       * once when they hold no seat).
       */
      kind: 'leave';
      at_us: number;
      nodes: NodeSelector[];
    }
  | {
      /** Forced early rotation: these clusters hold an election at the first clock at or after `at`. */
      kind: 'rotate';
      at_us: number;
      clusters: number[];
    }
  | {
      /** The first copy of receipts from one table to another is lost (resend and pull still work). */
      kind: 'drop_receipts';
      at_us: number;
      until_us: number | null;
      from_table: number;
      to_table: number;
    };

/**
 * What byzantine nodes do wrong (active from `at` until `until`):
 * - equivocate: as leader, two conflicting proposals per view, each to half of the honest
 *   members; as a member, a vote for every well-formed proposal (both forks).
 * - double_vote: as a member, a vote for every well-formed proposal, ignoring the voted view and
 *   the lock.
 * - silent: sends nothing of its own (no proposals, votes, certificates, receipts or answers).
 * - withhold_votes: never votes; leads as usual.
 * - delay_proposals: as leader, proposes `delay_us` after the view starts, and no earlier.
 * - invalid_execution: as leader, proposes blocks whose execution result is wrong; as a member,
 *   votes without re-executing.
 * - withhold_receipts: sends, re-sends and serves no receipts of its tables.
 * - grind_seed: a REC node that, when it leads the drand round of an election trigger, tries
 *   `tries` signer sets and keeps the seed that seats the most `favor` nodes (MC-3).
 */
export type ByzantineBehavior =
  | 'equivocate' | 'double_vote' | 'silent' | 'withhold_votes' | 'delay_proposals' | 'invalid_execution'
  | 'withhold_receipts' | 'grind_seed';

export interface ByzantineSpec {
  nodes: NodeSelector[];
  behavior: ByzantineBehavior;
  at_us: number;
  until_us: number | null;
  /** delay_proposals: how long after the view starts the leader proposes. */
  delay_us: number;
  /** grind_seed: candidate seeds tried per ground trigger. */
  tries: number;
  /** grind_seed: the nodes the grinder tries to seat (empty: every other byzantine node). */
  favor: NodeSelector[];
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

/** Where TOP's code and design disagree: `impl` follows the code, `design` the 2020 documents. */
export type Variant = 'impl' | 'design';

export interface ChecksConfig {
  /**
   * Liveness: after the last fault starts or heals, a table with work waiting (a transfer from one
   * of its accounts, or a receipt committed toward it) must commit within this bound.
   */
  liveness_bound_us: number;
}

export interface Scenario {
  schema_version: 1;
  name: string;
  description: string;
  seed: number;
  duration_us: number;
  warmup_us: number;
  crypto: CryptoMode;
  /** MC-5: `design` adds the confirm leg to every cross-table transfer. */
  variant: Variant;
  network: NetworkConfig;
  topology: TopologyConfig;
  hardware: Record<RoleName, Hardware>;
  stake: Record<'validator' | 'auditor', StakeInput> & { overrides: Record<string, Partial<StakeInput>> };
  protocol: ProtocolConfig;
  elections: ElectionConfig;
  costs: CostTable;
  sizes: SizeTable;
  workload: WorkloadConfig;
  faults: FaultSpec[];
  byzantine: ByzantineSpec[];
  sabotage: SabotageConfig;
  checks: ChecksConfig;
}
