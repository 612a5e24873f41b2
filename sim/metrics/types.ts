import type { ScenarioFile } from '../scenario/schema.js';
import type { Violation } from '../contract/module.js';
/**
 * The run summary (summary.json). Field names are fixed by docs/DESIGN.md "Metrics".
 *
 * Version 4: a latency class with no transaction has `count: 0` and null figures (and a null
 * `latency_cdf_ms` entry); up to version 3 it had 0 for each figure and an empty quantile list.
 */
export const SUMMARY_SCHEMA_VERSION = 4;

/** Latency classes of `latency_final_ms` and `latency_cdf_ms`. */
export type LatencyClass = 'all' | 'intra_table' | 'cross_table';

/**
 * Latencies of one class, ms. When `count` is 0 every figure is null: an empty class has no
 * latency, and 0 ms would read as instant finality.
 */
export interface LatencyStats {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export type { Violation } from '../contract/module.js';

/**
 * One chain's figures (TOP: a table's). `blocks_<kind>` counts the blocks of each of the family's
 * block kinds (TOP: blocks_light, blocks_empty, blocks_full), in the family's kind order.
 */
export interface TableStats {
  table: number;
  height_committed: number;
  [blocksOfKind: `blocks_${string}`]: number;
  views: number;
  /** Longest gap between two commits, simulated seconds. */
  stall_s_max: number;
  /** Total time with no commit for longer than 5 s, simulated seconds. */
  stall_s_total: number;
  messages_per_block: number;
}

/** A node's figures of a run (defined with the contract, which families' summaries read). */
export type { NodeStats } from '../contract/module.js';
import type { NodeStats } from '../contract/module.js';

/**
 * Per table and time bucket over the whole run: blocks first committed in the bucket, and the
 * fraction of the bucket (3 decimals) inside a stall (no commit for longer than 5 s).
 */
export interface TableTimeline {
  /** Bucket width, simulated seconds (1, 2, 5, 10, ...: at most 120 buckets). */
  bucket_s: number;
  /** [table][bucket] */
  blocks: number[][];
  /** [table][bucket] */
  stalled: number[][];
}

export interface WallStats {
  wall_s: number;
  events_per_wall_s: number;
  sim_s_per_wall_s: number;
  peak_rss_bytes: number;
  /** Workers the run was spread over (1: in-process), and message copies that crossed between them. */
  workers: number;
  cross_worker_messages: number;
  /** Crossed copies over all message copies sent. */
  cross_worker_share: number;
}

export interface Summary {
  schema_version: number;
  simulator_version: string;
  scenario: string;
  seed: number;
  crypto: string;
  /** How bulk data travelled: `packet` or `flow` (`network.fidelity`, with `auto` resolved). */
  fidelity: string;
  digest: string;
  events: number;
  sim_s: number;
  warmup_s: number;
  tx_submitted: number;
  tx_dropped: number;
  tx_final: number;
  tps_final: number;
  tps_slots: number;
  latency_final_ms: Record<string, LatencyStats>;
  /**
   * Per class, the quantiles p0, p1, ..., p100 (101 values, ms, 3 decimals) of the latencies
   * `latency_final_ms` summarises; null when no transaction of the class finalized in the window
   * (as the class's `latency_final_ms` figures).
   */
  latency_cdf_ms: Record<string, number[] | null>;
  tables: TableStats[];
  table_timeline: TableTimeline;
  nodes: NodeStats[];
  messages: Record<string, number>;
  violations: Violation[];
  /** How close the run came to each limit of docs/PROTOCOL.md §14, and which binds (sim/report/limits.ts). */
  limits: LimitStats | null;
  phases: PhaseStats;
  /*
   * The family's own sections follow `phases` in the written summary (ProtocolModule.summarize;
   * TOP: `elections`, sim/protocol/top/summary.ts). They are not typed here: the family reads its
   * own.
   */
  /**
   * The scenario as run, overrides applied, in file form: `npm run sim -- replay` re-runs it and
   * checks the digest.
   */
  scenario_file: ScenarioFile;
  wall: WallStats;
}

/**
 * The two phases of a run with faults: up to `fault_end_s` (the last fault start or heal) the run
 * is checked for safety only; from it on, every table with work waiting must also commit within
 * `liveness_bound_s`. A run that ends inside the fault phase, or too soon after it, is not judged
 * for liveness, and says so.
 */
export interface PhaseStats {
  fault_end_s: number;
  liveness_bound_s: number;
  /**
   * Whether liveness was judged at all: only a liveness phase longer than the bound can hold a
   * stretch without commits longer than the bound.
   */
  liveness_judged: boolean;
  /** Why liveness was not judged (null when it was). */
  liveness_reason: string | null;
}

/** Per role: bandwidth against the documented hardware, and CPU (whole run, per simulated second). */
export interface RoleLoad {
  role: string;
  nodes: number;
  cores: number;
  download_mbps_capacity: number;
  upload_mbps_capacity: number;
  in_mbps_mean: number;
  in_mbps_max: number;
  out_mbps_mean: number;
  out_mbps_max: number;
  /** The busiest node's received (sent) bits per second over its downlink (uplink) capacity. */
  download_util_max: number;
  upload_util_max: number;
  cpu_busy_mean: number;
  cpu_busy_max: number;
}

export interface LimitStats {
  /** Transactions offered per simulated second in the measurement window. */
  offered_tps: number;
  /** tps_final stayed below 90% of the offered rate. */
  saturated: boolean;
  blocks_per_table_per_s: number;
  /** Legs per committed block over the block size, in the window. */
  block_fill: number;
  /** tables × block size × blocks per table per second: the slot limit at the observed round time. */
  slot_capacity_legs_per_s: number;
  /** The busiest validator or auditor: link utilization (in or out) and CPU busy fraction. */
  bandwidth_util_max: number;
  cpu_util_max: number;
  /**
   * TOP: how full the window of unconfirmed receipts from one table toward another was, averaged
   * over the measurement window (a use under half counts as none), for the fullest pair (tables
   * [from, to]; null if no window reached half); and the share of the window it was full.
   */
  receipt_window_fill_max: number;
  receipt_window_full_share: number;
  receipt_window_pair: [number, number] | null;
  binding: 'slots' | 'bandwidth' | 'cpu' | 'receipt_window' | 'none';
  /** The utilization from which a limit counts as binding. */
  binding_at: number;
  roles: RoleLoad[];
}

/** One row per second of simulated time (timeseries.csv). */
export interface TimeseriesRow {
  t_s: number;
  tx_submitted: number;
  tx_final: number;
  blocks_committed: number;
  height_max: number;
  view_max: number;
  /** Median latency of the transactions final in this second; null when none was. */
  latency_final_ms_p50: number | null;
  bytes_total: number;
  /** Transaction legs in blocks first committed in this second (tps_slots, per second). */
  legs_committed: number;
}

/** The `blocks_<kind>` keys of a chain's figures, in their order (the family's kinds). */
export function blockKindKeys(t: TableStats): string[] {
  return Object.keys(t).filter((k) => k.startsWith('blocks_'));
}

/** Blocks committed on a chain, over all kinds. */
export function blockCount(t: TableStats): number {
  let n = 0;
  for (const k of blockKindKeys(t)) n += (t as unknown as Record<string, number>)[k];
  return n;
}
