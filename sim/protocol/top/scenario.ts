/**
 * TOP Chain's scenario as its code reads it: the envelope (sim/scenario/types.ts) and TOP's
 * sections, normalized (durations in µs). The file format of these sections is ./config.ts.
 */
import type {
  ByzantineSpec, GenericFaultSpec, Hardware, NodeSelector, Scenario, WorkloadConfig,
} from '../../scenario/types.js';
import type { CostTable } from '../../crypto/costs.js';

export type RoleName = 'validator' | 'auditor' | 'edge' | 'beacon' | 'archive';

export interface StakeInput {
  deposit_top: number;
  votes: number;
  /** Credit score in [0.1, 1]. */
  credit: number;
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
  /** Receipt-id state proofs in table blocks (docs/PROTOCOL.md §9.4); false: the window reads broadcasts. */
  receipt_state_in_blocks: boolean;
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
  /** A peer table's receipt-id state proof carried in a block (§9.4). */
  receipt_state_proof_bytes: number;
}

/** TOP's own fault kinds. */
export type TopOwnFaultSpec =
  | { kind: 'crash_leader'; view: number; table: number; until_us: number | null }
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

export type TopFaultSpec = GenericFaultSpec | TopOwnFaultSpec;

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

export interface TopByzantineSpec extends ByzantineSpec {
  behavior: ByzantineBehavior;
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

/** TOP's workload keys beside the envelope's. */
export interface TopWorkloadConfig extends WorkloadConfig {
  /** Share of transfers whose receiver is in the sender's table; null: as the accounts fall (≈ 1/tables). */
  intra_share_percent: number | null;
  /** Share of transfers that call a system contract (their confirm leg exists with variant impl too). */
  system_call_percent: number;
}

/** A scenario of the family `top`: the envelope and TOP's sections. */
export interface TopScenario extends Scenario {
  /** MC-5: `design` adds the confirm leg to every cross-table transfer. */
  variant: Variant;
  topology: TopologyConfig;
  hardware: Record<RoleName, Hardware>;
  stake: Record<'validator' | 'auditor', StakeInput> & { overrides: Record<string, Partial<StakeInput>> };
  protocol: ProtocolConfig;
  elections: ElectionConfig;
  costs: CostTable;
  sizes: SizeTable;
  workload: TopWorkloadConfig;
  faults: TopFaultSpec[];
  byzantine: TopByzantineSpec[];
  sabotage: SabotageConfig;
}

/** A scenario as TOP's: its family must be `top` (a family's code reads only its own scenarios). */
export function asTop(sc: Scenario): TopScenario {
  if (sc.protocol.family !== 'top') throw new Error(`a scenario of family "${sc.protocol.family}" where TOP's was expected`);
  return sc as TopScenario;
}

