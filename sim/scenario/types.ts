/**
 * The normalized scenario: what the loader returns after validation and defaults.
 * Every duration is an integer number of microseconds (`_us`), every bandwidth an integer
 * number of bits per second (`_bps`). The file format (YAML/JSON) uses strings with units
 * ("50ms", "100Mbps"); see sim/scenario/schema.ts and scenarios/scenario.schema.json.
 */
import type { Popularity as WorkloadPopularity } from '../workload/accounts.js';
import type { ArrivalKind, RateSchedule } from '../workload/schedule.js';

export type CryptoMode = 'real' | 'modeled';

/**
 * Whether a family may keep one copy of state its in-sync replicas hold alike (per table and thread),
 * each replica keeping only its own part (docs/DESIGN.md "Shared state of in-sync replicas"), or
 * every replica keeps its own. Never a result: both give the same digest.
 */
export const REPLICA_STATES = ['shared', 'own'] as const;
export type ReplicaState = (typeof REPLICA_STATES)[number];

export interface Hardware {
  cores: number;
  upload_bps: number;
  download_bps: number;
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
  /** How bulk data travels (docs/VALIDATION.md). */
  fidelity: Fidelity;
}

/** What `network.fidelity` may say: every copy hop by hop, or each relay hop planned whole (sim/net/flow.ts). */
export const FIDELITIES = ['packet', 'flow'] as const;

export type Fidelity = (typeof FIDELITIES)[number];

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
}

/** A node selector (sim/scenario/selectors.ts): a name, a role, a group, a table, a region or a seeded fraction. */
export type NodeSelector = string;

/** The envelope's fault kinds (sim/faults/, the engine and the link model act on them). */
export type GenericFaultSpec =
  | {
      kind: 'crash';
      at_us: number;
      until_us: number | null;
      nodes: NodeSelector[];
      /** On restart: `kept` resumes from the state held at the crash; `lost` rebuilds it from peers (state sync). */
      state: 'kept' | 'lost';
    }
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
       * family's slot tick (nodes that read it locally) and when their timers fire.
       */
      kind: 'clock';
      at_us: number;
      until_us: number | null;
      nodes: NodeSelector[];
      skew_us: number;
      drift_ppm: number;
    };

export const GENERIC_FAULT_KINDS: readonly GenericFaultSpec['kind'][] = ['crash', 'partition', 'degrade', 'clock'];

/** A fault kind of a family's own (FamilyConfig): a kind, and a window when it has one. */
export interface FamilyFaultSpec {
  kind: string;
  at_us?: number;
  until_us?: number | null;
}

export type FaultSpec = GenericFaultSpec | FamilyFaultSpec;

/** The fault as one of the envelope's kinds, or null when it is the family's. */
export function genericFault(f: FaultSpec): GenericFaultSpec | null {
  return (GENERIC_FAULT_KINDS as readonly string[]).includes(f.kind) ? (f as GenericFaultSpec) : null;
}

/**
 * Nodes that misbehave from `at` until `until`; what they do (`behavior`) is the family's
 * (TOP's: sim/protocol/top/config.ts), and so are an entry's further fields.
 */
export interface ByzantineSpec {
  nodes: NodeSelector[];
  behavior: string;
  at_us: number;
  until_us: number | null;
}

export interface ChecksConfig {
  /**
   * Liveness: after the last fault starts or heals, a chain with work waiting (the family says when
   * work arrives; TOP: a transfer from one of a table's accounts, or a receipt toward it) must
   * commit within this bound.
   */
  liveness_bound_us: number;
}

/**
 * The normalized scenario as the generic layers see it: the envelope. A family's sections (TOP:
 * variant, topology, stake, protocol's parameters, elections, sizes, sabotage) sit beside these
 * fields; the family reads them through its own type (TOP: `TopScenario`).
 */
export interface Scenario {
  schema_version: 1;
  name: string;
  description: string;
  seed: number;
  duration_us: number;
  warmup_us: number;
  crypto: CryptoMode;
  replica_state: ReplicaState;
  network: NetworkConfig;
  /** Each role's hardware; the roles are the family's. */
  hardware: Readonly<Record<string, Hardware>>;
  /** The family (sim/protocol/registry.ts) and its parameters. */
  protocol: { family: string };
  /** CPU cost per operation, µs of one core; the keys are the family's, `message_base_us` every family's. */
  costs: { message_base_us: number };
  workload: WorkloadConfig;
  faults: FaultSpec[];
  byzantine: ByzantineSpec[];
  checks: ChecksConfig;
}
