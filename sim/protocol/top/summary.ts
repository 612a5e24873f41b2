/**
 * TOP's own section of the run summary (ProtocolModule.summarize): cluster elections, state syncs,
 * departures and seed grinding; and its lines in the terminal summary.
 */
import type { Summary } from '../../metrics/types.js';

/** Cluster elections in the run (docs/PROTOCOL.md §7): each round after genesis, and the state syncs. */
export interface ElectionStats {
  rounds: {
    cluster: number;
    round: number;
    elected_s: number;
    start_s: number;
    joined: string[];
    left: string[];
  }[];
  /** New members' table-state syncs completed, their bytes, and the longest wait from election. */
  state_syncs: number;
  state_sync_bytes: number;
  state_sync_s_max: number;
  /** Nodes that left (`leave` faults) and when they went offline. */
  departed: { node: string; at_s: number }[];
  /**
   * Seed grinding (MC-3), over the triggers a grinding REC node aggregated: how many, in how many
   * it kept another seed than the honest one, and the favoured nodes seated right after those
   * triggers with the honest seeds and with the chosen ones. `bias` is ground / fair (1: none).
   */
  grinding: { triggers: number; seeds_changed: number; favored_seated_fair: number; favored_seated_ground: number; bias: number } | null;
}

/** A summary of a TOP run, with TOP's section. */
export type TopSummary = Summary & { elections: ElectionStats | null };

/** The summary's TOP section (a summary of another family has none). */
export function electionsOf(s: object): ElectionStats | null {
  return (s as Partial<TopSummary>).elections ?? null;
}

/** The terminal summary's lines for TOP's section. */
export function electionLines(s: object, fmt: { fixed(x: number, d: number): string; megabytes(b: number): string }): string[] {
  const out: string[] = [];
  const el = electionsOf(s);
  if (el && el.rounds.length > 0) {
    const joined = el.rounds.reduce((n, r) => n + r.joined.length, 0);
    const left = el.rounds.reduce((n, r) => n + r.left.length, 0);
    out.push(
      `elections ${el.rounds.length} rounds: ${joined} joined, ${left} left; ${el.state_syncs} state syncs ` +
        `(${fmt.megabytes(el.state_sync_bytes)} MB, longest ${fmt.fixed(el.state_sync_s_max, 2)} s)`,
    );
  }
  if (el?.grinding) {
    const g = el.grinding;
    out.push(
      `grinding ${g.triggers} triggers led by a grinder, ${g.seeds_changed} seeds changed; favoured seats ` +
        `${g.favored_seated_ground} vs ${g.favored_seated_fair} with honest seeds (bias ${fmt.fixed(g.bias, 2)})`,
    );
  }
  if (el && el.departed.length > 0) out.push(`departed  ${el.departed.map((d) => `${d.node}@${fmt.fixed(d.at_s, 0)}s`).join(' ')}`);
  return out;
}
