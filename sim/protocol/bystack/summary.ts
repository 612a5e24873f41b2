/**
 * The shapes of Bystack's sections of the summary (`mainchain`, `vapor`, `federation`), built in
 * module.ts and rendered by report.ts and the terminal lines.
 */
import type { PegStats } from './checks.js';

/** The `mainchain` section of the summary. */
export interface MainSummary {
  blocks_mined: number;
  final_height: number;
  stale_blocks: number;
  stale_rate: number;
  reorgs: number;
  reorg_depth_max: number;
  reorgs_by_depth: Record<string, number>;
  block_interval_mean_s: number | null;
  difficulty_final_s: number;
  propagation_ms: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  blocks_by_miner: Record<string, number>;
  /** Heights up to the final one at which blocks went stale (lost to the final block), and how many. */
  stale_by_height: Record<string, number>;
}

/** The `vapor` section of the summary. */
export interface VaporSummary {
  blocks_produced: number;
  final_height: number;
  /** Blocks made at a height that did not become irreversible there. */
  forked_blocks: number;
  /** Slots between the first and the last irreversible block that hold none of them. */
  missed_slots: number;
  reorgs: number;
  reorg_depth_max: number;
  /**
   * From the start of a block's slot window (its stamp less one slot: its producer builds it at
   * the tick before the slot it stamps) to the first node holding it irreversible.
   */
  irreversible_ms: { p50: number | null; p90: number | null; max: number | null };
  propagation_ms: { p50: number | null; p90: number | null; max: number | null };
  blocks_by_producer: Record<string, number>;
  txs_per_block_mean: number;
  /**
   * Producers caught signing two blocks at one height (`checkDoubleSign`): the (producer, height)
   * pairs caught, how many times a node refused a block or signature for it, and who.
   */
  double_signs: { caught: number; refusals: number; producers: string[] };
}

/** The `federation` section of the summary: pegs each way, final locks and releases and their value. */
export interface FederationSummary {
  peg_in: PegStats & { open: number };
  peg_out: PegStats & { open: number };
}
