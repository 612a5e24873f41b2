/**
 * Which limit binds (docs/PROTOCOL.md §14): throughput is the minimum of the slot limit (tables ×
 * block size ÷ round time), the per-node bandwidth limit and the per-node CPU limit. A run shows
 * how close it came to each:
 *
 * - slots: how full the blocks committed in the measurement window were (legs ÷ blocks ÷ the
 *   block size). Full blocks mean the tables pack all they may, so more load cannot commit faster
 *   at this round time.
 * - bandwidth: per node, bits received (sent) per simulated second over its downlink (uplink)
 *   capacity, over the whole run; the busiest consensus node counts, since one saturated link
 *   (a leader's uplink, an auditor's downlink) slows every round it takes part in.
 * - cpu: per node, the busy fraction of its cores over the whole run; again the busiest node.
 * - receipt_window (TOP, docs/PROTOCOL.md §9.4): per pair of tables, how full the sending
 *   table's window of unconfirmed receipts toward the peer was, averaged over the window; the
 *   fullest pair counts. A full window refuses (or holds) the sends toward that peer whatever
 *   room the blocks, links and CPUs have.
 *
 * The binding limit is the one with the highest utilization, if that reaches BINDING_AT; below it
 * no resource is near its limit, and the round time (latency, the pipeline) or the offered load
 * sets the throughput ("none").
 */
import type { LimitStats, NodeStats, RoleLoad } from './types.js';

/** Utilization from which a limit counts as reached. */
export const BINDING_AT = 0.8;

/** Roles that take part in table consensus (the limits under test). */
const CONSENSUS_ROLES = new Set(['validator', 'auditor']);

export interface LimitInputs {
  nodes: readonly NodeStats[];
  sim_s: number;
  window_s: number;
  tables: number;
  block_txs_max: number;
  /** Blocks and legs first committed in the window, and transactions offered in it. */
  blocks: number;
  legs: number;
  offered: number;
  tps_final: number;
  /**
   * The fullest receipt window, if the family has one (TOP): its use averaged over the window and
   * the share of the window it was full (0 to 1), and its pair of tables.
   */
  receipt_window?: { fill: number; full: number; from: number; to: number };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function roleLoads(nodes: readonly NodeStats[], sim_s: number): RoleLoad[] {
  const byRole = new Map<string, NodeStats[]>();
  for (const n of nodes) {
    const list = byRole.get(n.role) ?? [];
    list.push(n);
    byRole.set(n.role, list);
  }
  const out: RoleLoad[] = [];
  for (const role of [...byRole.keys()].sort()) {
    const list = byRole.get(role)!;
    const inMbps = list.map((n) => (n.bytes_in * 8) / sim_s / 1e6);
    const outMbps = list.map((n) => (n.bytes_out * 8) / sim_s / 1e6);
    const downUtil = list.map((n, i) => (n.download_bps > 0 ? (inMbps[i] * 1e6) / n.download_bps : 0));
    const upUtil = list.map((n, i) => (n.upload_bps > 0 ? (outMbps[i] * 1e6) / n.upload_bps : 0));
    const cpu = list.map((n) => n.cpu_busy_fraction);
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    const max = (a: number[]) => a.reduce((m, x) => (x > m ? x : m), 0);
    out.push({
      role,
      nodes: list.length,
      cores: list[0].cores,
      download_mbps_capacity: round3(list[0].download_bps / 1e6),
      upload_mbps_capacity: round3(list[0].upload_bps / 1e6),
      in_mbps_mean: round3(mean(inMbps)),
      in_mbps_max: round3(max(inMbps)),
      out_mbps_mean: round3(mean(outMbps)),
      out_mbps_max: round3(max(outMbps)),
      download_util_max: round3(max(downUtil)),
      upload_util_max: round3(max(upUtil)),
      cpu_busy_mean: round3(mean(cpu)),
      cpu_busy_max: round3(max(cpu)),
    });
  }
  return out;
}

export function limitStats(x: LimitInputs): LimitStats {
  const roles = x.sim_s > 0 ? roleLoads(x.nodes, x.sim_s) : [];
  const consensus = roles.filter((r) => CONSENSUS_ROLES.has(r.role));
  const bw = consensus.reduce((m, r) => Math.max(m, r.download_util_max, r.upload_util_max), 0);
  const cpu = consensus.reduce((m, r) => Math.max(m, r.cpu_busy_max), 0);
  const fill = x.blocks > 0 ? x.legs / (x.blocks * x.block_txs_max) : 0;
  const perTable = x.window_s > 0 && x.tables > 0 ? x.blocks / x.tables / x.window_s : 0;
  const win = x.receipt_window ?? { fill: 0, full: 0, from: -1, to: -1 };
  const util = { slots: round3(fill), bandwidth: round3(bw), cpu: round3(cpu), receipt_window: round3(win.fill) };
  let binding: LimitStats['binding'] = 'none';
  let top = BINDING_AT;
  for (const k of ['slots', 'bandwidth', 'cpu', 'receipt_window'] as const) {
    if (util[k] >= top) {
      top = util[k];
      binding = k;
    }
  }
  const offered = x.window_s > 0 ? x.offered / x.window_s : 0;
  return {
    offered_tps: round3(offered),
    saturated: offered > 0 && x.tps_final < 0.9 * offered,
    blocks_per_table_per_s: round3(perTable),
    block_fill: util.slots,
    slot_capacity_legs_per_s: round3(x.tables * x.block_txs_max * perTable),
    bandwidth_util_max: util.bandwidth,
    cpu_util_max: util.cpu,
    receipt_window_fill_max: util.receipt_window,
    receipt_window_full_share: round3(win.full),
    receipt_window_pair: win.fill > 0 ? [win.from, win.to] : null,
    binding,
    binding_at: BINDING_AT,
    roles,
  };
}

/** The binding limit as the summary table and the report print it. */
export function bindingName(b: LimitStats['binding']): string {
  return b.replace('_', ' ');
}

/** Two lines for the summary table (each under 100 characters). */
export function limitsLines(l: LimitStats): string[] {
  return [
    `binding ${l.binding === 'none' ? 'none reached' : bindingName(l.binding)}: blocks ${pct(l.block_fill)} full, ` +
      `busiest link ${pct(l.bandwidth_util_max)}, busiest CPU ${pct(l.cpu_util_max)}, receipt window ${pct(l.receipt_window_fill_max)}`,
    `offered ${l.offered_tps} tx/s${l.saturated ? ' (saturated)' : ''}, ${l.blocks_per_table_per_s} blocks/s per table`,
  ];
}

function pct(x: number): string {
  return `${(100 * x).toFixed(0)}%`;
}
