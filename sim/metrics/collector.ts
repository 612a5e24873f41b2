/**
 * Metrics (DESIGN.md "Metrics"). A transaction is final when the block holding its final leg is
 * first committed honestly (by a node outside its byzantine windows); block statistics count each
 * height once, at that first commit.
 */
import type { Block } from '../protocol/top/messages.js';
import { BLOCK_LIGHT, BLOCK_EMPTY, BLOCK_FULL } from '../protocol/top/messages.js';
import { TX_REJECTED, TX_EXISTS, TX_NEEDS_CONFIRM, type TxStore } from '../protocol/top/txstore.js';
import { LEG_INNER, LEG_RECV, LEG_CONFIRM, type AccountMap } from '../protocol/top/ledger.js';
import type { ByzantineWindows } from '../faults/byzantine.js';
import type { LatencyStats, TableStats, TableTimeline, TimeseriesRow } from '../report/types.js';

/** A transfer is final when its last leg commits: INNER; RECV, unless a CONFIRM follows; CONFIRM. */
export function isFinalLeg(txs: TxStore, id: number, leg: number): boolean {
  return leg === LEG_INNER || leg === LEG_CONFIRM || (leg === LEG_RECV && !(txs.flags[id] & TX_NEEDS_CONFIRM));
}

/** Gaps between commits longer than this count as stall time. */
export const STALL_THRESHOLD_US = 5_000_000;

interface TableRecord {
  commitTimes: number[]; // first-commit time by height (index 0 = genesis)
  classes: number[];
  views: number[];
  viewMax: number;
}

export class MetricsCollector {
  readonly tables: TableRecord[] = [];
  submitted = 0;
  rejected = 0;
  /** First-commit time and leg count of every block, for tps_slots. */
  private readonly slotTimes: number[] = [];
  private readonly slotCounts: number[] = [];

  constructor(
    private readonly txs: TxStore,
    private readonly byzantine: ByzantineWindows,
    private readonly map: AccountMap,
  ) {
    for (let t = 0; t < map.tables; t++) this.tables.push({ commitTimes: [0], classes: [BLOCK_FULL], views: [0], viewMax: 0 });
  }

  /** Whether a transfer stays inside one table (its class for latency). */
  isIntra(id: number): boolean {
    return this.map.tableOf[this.txs.sender[id]] === this.map.tableOf[this.txs.receiver[id]];
  }

  /** State syncs of newly elected members: node, table, when installed, bytes. */
  readonly stateSyncs: { node: number; table: number; at_us: number; bytes: number }[] = [];

  onStateSync(node: number, table: number, at_us: number, bytes: number): void {
    this.stateSyncs.push({ node, table, at_us, bytes });
  }

  onTxSubmit(): void {
    this.submitted++;
  }

  onPoolReject(tx: number): void {
    if (!(this.txs.flags[tx] & TX_REJECTED)) {
      this.txs.flags[tx] |= TX_REJECTED;
      this.rejected++;
    }
  }

  onView(node: number, table: number, view: number, now_us: number): void {
    if (!this.byzantine.honestAt(node, now_us)) return;
    const r = this.tables[table];
    if (view > r.viewMax) r.viewMax = view;
  }

  onCommit(node: number, b: Block, now_us: number): void {
    if (!this.byzantine.honestAt(node, now_us)) return;
    const r = this.tables[b.table];
    if (b.height < r.commitTimes.length && r.commitTimes[b.height] !== undefined) return;
    r.commitTimes[b.height] = now_us;
    r.classes[b.height] = b.cls;
    r.views[b.height] = b.view;
    const txs = this.txs;
    if (b.txs.length > 0) {
      this.slotTimes.push(now_us);
      this.slotCounts.push(b.txs.length);
    }
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      if (isFinalLeg(txs, id, b.legs[i]) && txs.final_us[id] < 0) txs.final_us[id] = now_us;
    }
  }

  /** Legs committed (first commit of their block) in [from_us, to_us). */
  slots(from_us: number, to_us: number): number {
    let n = 0;
    for (let i = 0; i < this.slotTimes.length; i++) {
      const t = this.slotTimes[i];
      if (t >= from_us && t < to_us) n += this.slotCounts[i];
    }
    return n;
  }

  /** Blocks first committed in [from_us, to_us), over all tables (empty ones included). */
  blocks(from_us: number, to_us: number): number {
    let n = 0;
    for (const r of this.tables) {
      for (let h = 1; h < r.commitTimes.length; h++) {
        const t = r.commitTimes[h];
        if (t !== undefined && t >= from_us && t < to_us) n++;
      }
    }
    return n;
  }

  /** Transactions submitted in [from_us, to_us) (refused ones included: the offered load). */
  offered(from_us: number, to_us: number): number {
    const txs = this.txs;
    let n = 0;
    for (let id = 0; id < txs.end; id++) {
      const t = txs.submit_us[id];
      if (t >= from_us && t < to_us && txs.flags[id] & TX_EXISTS) n++;
    }
    return n;
  }

  /** Latencies (ms) of txs that became final in [from_us, to_us), by class. */
  latencies(from_us: number, to_us: number, cls: 'all' | 'intra_table' | 'cross_table' = 'all'): number[] {
    const txs = this.txs;
    const out: number[] = [];
    for (let id = 0; id < txs.end; id++) {
      const f = txs.final_us[id];
      if (f < from_us || f >= to_us) continue;
      if (cls !== 'all' && this.isIntra(id) !== (cls === 'intra_table')) continue;
      out.push((f - txs.submit_us[id]) / 1000);
    }
    return out;
  }

  tableStats(end_us: number, consensusMsgs: (table: number) => number): TableStats[] {
    return this.tables.map((r, t) => {
      let light = 0, empty = 0, full = 0, stallMax = 0, stallTotal = 0;
      let prev = 0;
      let height = 0;
      for (let h = 1; h < r.commitTimes.length; h++) {
        const ct = r.commitTimes[h];
        if (ct === undefined) continue;
        height = h;
        const c = r.classes[h];
        if (c === BLOCK_LIGHT) light++;
        else if (c === BLOCK_EMPTY) empty++;
        else full++;
        const gap = ct - prev;
        if (gap > stallMax) stallMax = gap;
        if (gap > STALL_THRESHOLD_US) stallTotal += gap;
        prev = ct;
      }
      const tail = end_us - prev;
      if (tail > stallMax) stallMax = tail;
      if (tail > STALL_THRESHOLD_US) stallTotal += tail;
      const blocks = light + empty + full;
      return {
        table: t,
        height_committed: height,
        blocks_light: light,
        blocks_empty: empty,
        blocks_full: full,
        views: r.viewMax,
        stall_s_max: round3(stallMax / 1e6),
        stall_s_total: round3(stallTotal / 1e6),
        messages_per_block: blocks > 0 ? round3(consensusMsgs(t) / blocks) : 0,
      };
    });
  }

  /**
   * Blocks first committed per table and time bucket, and the share of each bucket inside a stall
   * (a gap between commits, or from the last commit to the end, longer than STALL_THRESHOLD_US; the
   * whole gap counts, as in `stall_s_total`). Buckets are 1, 2, 5, 10, 20, 50, ... s wide, the
   * narrowest giving at most TIMELINE_BUCKETS_MAX buckets over [0, end_us).
   */
  tableTimeline(end_us: number): TableTimeline {
    const bucket_s = timelineBucketS(end_us / 1e6);
    const width = bucket_s * 1e6;
    const n = Math.max(1, Math.ceil(end_us / width));
    const blocks: number[][] = [];
    const stalled: number[][] = [];
    for (const r of this.tables) {
      const b = new Array<number>(n).fill(0);
      const stallUs = new Array<number>(n).fill(0);
      const addStall = (from: number, to: number): void => {
        for (let k = Math.floor(from / width); k < n && k * width < to; k++) {
          const lo = Math.max(from, k * width);
          const hi = Math.min(to, (k + 1) * width, end_us);
          if (hi > lo) stallUs[k] += hi - lo;
        }
      };
      let prev = 0;
      for (let h = 1; h < r.commitTimes.length; h++) {
        const ct = r.commitTimes[h];
        if (ct === undefined) continue;
        b[Math.min(n - 1, Math.floor(ct / width))]++;
        if (ct - prev > STALL_THRESHOLD_US) addStall(prev, ct);
        prev = ct;
      }
      if (end_us - prev > STALL_THRESHOLD_US) addStall(prev, end_us);
      blocks.push(b);
      stalled.push(stallUs.map((us, k) => {
        const span = Math.min(end_us, (k + 1) * width) - k * width;
        return span > 0 ? round3(Math.min(1, us / span)) : 0;
      }));
    }
    return { bucket_s, blocks, stalled };
  }

  timeseries(end_us: number, bytesPerSecond: readonly number[]): TimeseriesRow[] {
    const secs = Math.ceil(end_us / 1e6);
    const rows: TimeseriesRow[] = [];
    const sub = new Array<number>(secs).fill(0);
    const fin = new Array<number>(secs).fill(0);
    const lat: number[][] = Array.from({ length: secs }, () => []);
    const txs = this.txs;
    for (let id = 0; id < txs.end; id++) {
      const s = Math.floor(txs.submit_us[id] / 1e6);
      if (!(txs.flags[id] & TX_EXISTS)) continue;
      if (s < secs) sub[s]++;
      const f = txs.final_us[id];
      if (f >= 0) {
        const fs = Math.floor(f / 1e6);
        if (fs < secs) {
          fin[fs]++;
          lat[fs].push((f - txs.submit_us[id]) / 1000);
        }
      }
    }
    const legs = new Array<number>(secs).fill(0);
    for (let i = 0; i < this.slotTimes.length; i++) {
      const s = Math.floor(this.slotTimes[i] / 1e6);
      if (s < secs) legs[s] += this.slotCounts[i];
    }
    const blocks = new Array<number>(secs).fill(0);
    const height = new Array<number>(secs).fill(0);
    const view = new Array<number>(secs).fill(0);
    for (const r of this.tables) {
      for (let h = 1; h < r.commitTimes.length; h++) {
        const ct = r.commitTimes[h];
        if (ct === undefined) continue;
        const s = Math.floor(ct / 1e6);
        if (s >= secs) continue;
        blocks[s]++;
        if (h > height[s]) height[s] = h;
        if (r.views[h] > view[s]) view[s] = r.views[h];
      }
    }
    for (let s = 0; s < secs; s++) {
      if (s > 0) {
        if (height[s] < height[s - 1]) height[s] = height[s - 1];
        if (view[s] < view[s - 1]) view[s] = view[s - 1];
      }
      rows.push({
        t_s: s,
        tx_submitted: sub[s],
        tx_final: fin[s],
        blocks_committed: blocks[s],
        height_max: height[s],
        view_max: view[s],
        latency_final_ms_p50: lat[s].length ? percentile(lat[s].sort((a, b) => a - b), 50) : null,
        bytes_total: bytesPerSecond[s] ?? 0,
        legs_committed: legs[s],
      });
    }
    return rows;
  }
}

/** Most time buckets in `table_timeline`. */
export const TIMELINE_BUCKETS_MAX = 120;

/** The narrowest bucket of 1, 2, 5, 10, 20, 50, ... s that splits `sim_s` into at most TIMELINE_BUCKETS_MAX. */
export function timelineBucketS(sim_s: number): number {
  for (let decade = 1; ; decade *= 10) {
    for (const m of [1, 2, 5]) if (Math.ceil(sim_s / (m * decade)) <= TIMELINE_BUCKETS_MAX) return m * decade;
  }
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/**
 * The 101 quantiles p0, p1, ..., p100 (nearest rank, as in latencyStats), ms to 3 decimals; null
 * for no values (an empty class has no distribution, as its latencyStats figures are null).
 */
export function latencyCdf(values: readonly number[]): number[] | null {
  if (values.length === 0) return null;
  const s = sortedCopy(values);
  return Array.from({ length: 101 }, (_, p) => round3(percentile(s, p)));
}

/**
 * Ascending copy. A typed array sorts numbers without a comparator call per comparison: the same
 * order as `(a, b) => a - b` for the finite values here, several times faster on a run's latencies.
 */
function sortedCopy(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * Count and nearest-rank percentiles (ms, 3 decimals) of a class's latencies. A class with no
 * values keeps `count: 0` and has every figure null: no transaction, no latency (0 ms would read
 * as instant finality).
 */
export function latencyStats(values: readonly number[]): LatencyStats {
  if (values.length === 0) return { count: 0, p50: null, p90: null, p99: null, max: null };
  const s = sortedCopy(values);
  return {
    count: s.length,
    p50: round3(percentile(s, 50)),
    p90: round3(percentile(s, 90)),
    p99: round3(percentile(s, 99)),
    max: round3(s[s.length - 1]),
  };
}
