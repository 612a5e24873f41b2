/**
 * Metrics (docs/DESIGN.md "Metrics"), from observation records only (sim/contract/observe.ts),
 * so every family is measured by the same code. A transaction is final when a block that makes it
 * final (the family's BlockFacts.finals) is first committed honestly (by a node outside its
 * byzantine windows); block statistics count each height of each chain once, at that first commit.
 */
import type { BlockFacts, ByzantineView } from '../contract/module.js';
import type { CommitKey } from '../contract/observe.js';
import type { LatencyStats, TableStats, TableTimeline, TimeseriesRow } from './types.js';

/** A block's first honest commit, with the transactions it made final. */
export type FirstCommitListener = (key: CommitKey, block: object, now_us: number, finals: readonly number[]) => void;

/** Gaps between commits longer than this count as stall time. */
export const STALL_THRESHOLD_US = 5_000_000;

interface ChainRecord {
  commitTimes: number[]; // first-commit time by height (index 0 = genesis)
  kinds: number[];
  views: number[];
  viewMax: number;
}

const TX_SUBMITTED = 1;
const TX_REJECTED = 2;

/** The transactions the records named: when offered, when final, class, and flags. */
class TxColumns {
  submit_us = new Float64Array(1024);
  final_us = new Float64Array(1024).fill(-1);
  cls = new Uint8Array(1024);
  flags = new Uint8Array(1024);
  /** One past the highest id seen. */
  end = 0;

  ensure(id: number): void {
    if (id >= this.end) this.end = id + 1;
    if (id < this.flags.length) return;
    let c = this.flags.length;
    while (c <= id) c *= 2;
    const grow = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const g = make(c);
      g.set(a);
      return g;
    };
    this.submit_us = grow(this.submit_us, (n) => new Float64Array(n));
    const fin = new Float64Array(c).fill(-1);
    fin.set(this.final_us);
    this.final_us = fin;
    this.cls = grow(this.cls, (n) => new Uint8Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
  }
}

export class MetricsCollector {
  readonly chains: ChainRecord[] = [];
  submitted = 0;
  rejected = 0;
  private readonly tx = new TxColumns();
  /** First-commit time and leg count of every block holding legs, for tps_slots. */
  private readonly slotTimes: number[] = [];
  private readonly slotCounts: number[] = [];
  /** State syncs: node, chain, when installed, bytes. */
  readonly stateSyncs: { node: number; table: number; at_us: number; bytes: number }[] = [];

  /**
   * `chains` chains, each starting from a genesis block of kind `genesisKind`; `classes`: the
   * family's latency classes (a submit record's class indexes them).
   */
  constructor(
    private readonly byzantine: ByzantineView,
    chains: number,
    private readonly facts: BlockFacts,
    genesisKind: number,
    readonly classes: readonly string[],
  ) {
    for (let t = 0; t < chains; t++) this.chains.push({ commitTimes: [0], kinds: [genesisKind], views: [0], viewMax: 0 });
  }

  /** Transactions named so far: ids 0 .. txEnd - 1 (some may be unused). */
  get txEnd(): number {
    return this.tx.end;
  }

  submit(tx: number, at_us: number, cls: number): void {
    const c = this.tx;
    c.ensure(tx);
    c.submit_us[tx] = at_us;
    c.cls[tx] = cls;
    c.flags[tx] |= TX_SUBMITTED;
    this.submitted++;
  }

  /** A transaction refused anywhere counts as dropped, once. */
  reject(tx: number): void {
    const c = this.tx;
    c.ensure(tx);
    if (!(c.flags[tx] & TX_REJECTED)) {
      c.flags[tx] |= TX_REJECTED;
      this.rejected++;
    }
  }

  sync(node: number, chain: number, at_us: number, bytes: number): void {
    this.stateSyncs.push({ node, table: chain, at_us, bytes });
  }

  view(node: number, now_us: number, chain: number, view: number): void {
    if (!this.byzantine.honestAt(node, now_us)) return;
    const r = this.chains[chain];
    if (view > r.viewMax) r.viewMax = view;
  }

  private finalize = (id: number): void => {
    const c = this.tx;
    // Only what a client offered can be final (a family's block may hold other entries).
    if (id >= c.end || !(c.flags[id] & TX_SUBMITTED)) return;
    if (c.final_us[id] < 0) {
      c.final_us[id] = this.now_us;
      if (this.firstListeners.length > 0) this.newlyFinal.push(id);
    }
  };
  private now_us = 0;
  private newlyFinal: number[] = [];
  private readonly firstListeners: FirstCommitListener[] = [];

  /**
   * Tells `f` of each block's first honest commit (the one the metrics count), with the
   * transactions it made final; a reader such as the page follows the run's figures this way
   * without re-deriving them.
   */
  onFirstCommit(f: FirstCommitListener): void {
    this.firstListeners.push(f);
  }

  commit(node: number, now_us: number, key: CommitKey, block: object): void {
    if (!this.byzantine.honestAt(node, now_us)) return;
    const r = this.chains[key.chain];
    const h = key.height;
    if (h < r.commitTimes.length && r.commitTimes[h] !== undefined) return;
    const f = this.facts;
    r.commitTimes[h] = now_us;
    r.kinds[h] = f.kind(block);
    r.views[h] = f.view(block);
    const items = f.items(block);
    if (items > 0) {
      this.slotTimes.push(now_us);
      this.slotCounts.push(items);
    }
    this.now_us = now_us;
    f.finals(block, this.finalize);
    if (this.firstListeners.length > 0) {
      const finals = this.newlyFinal;
      this.newlyFinal = [];
      for (const l of this.firstListeners) l(key, block, now_us, finals);
    }
  }

  /** When transaction `id` was offered (NaN if never), and its latency class. */
  submittedAt(id: number): number {
    const c = this.tx;
    return id < c.end && c.flags[id] & TX_SUBMITTED ? c.submit_us[id] : NaN;
  }

  classOf(id: number): number {
    return id < this.tx.end ? this.tx.cls[id] : -1;
  }

  /** Whether transaction `id` was submitted, and when it became final (-1: not final). */
  finalAt(id: number): number {
    return id < this.tx.end ? this.tx.final_us[id] : -1;
  }

  /** Transactions final by the end of the run (any time). */
  finalCount(): number {
    const c = this.tx;
    let n = 0;
    for (let id = 0; id < c.end; id++) if (c.final_us[id] >= 0) n++;
    return n;
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

  /** Blocks first committed in [from_us, to_us), over all chains (empty ones included). */
  blocks(from_us: number, to_us: number): number {
    let n = 0;
    for (const r of this.chains) {
      for (let h = 1; h < r.commitTimes.length; h++) {
        const t = r.commitTimes[h];
        if (t !== undefined && t >= from_us && t < to_us) n++;
      }
    }
    return n;
  }

  /** Transactions submitted in [from_us, to_us) (refused ones included: the offered load). */
  offered(from_us: number, to_us: number): number {
    const c = this.tx;
    let n = 0;
    for (let id = 0; id < c.end; id++) {
      const t = c.submit_us[id];
      if (t >= from_us && t < to_us && c.flags[id] & TX_SUBMITTED) n++;
    }
    return n;
  }

  /** Latencies (ms) of txs that became final in [from_us, to_us), of one class or all. */
  latencies(from_us: number, to_us: number, cls: string = 'all'): number[] {
    const c = this.tx;
    const k = cls === 'all' ? -1 : this.classes.indexOf(cls);
    if (cls !== 'all' && k < 0) throw new Error(`metrics: unknown latency class "${cls}" (${this.classes.join(', ')})`);
    const out: number[] = [];
    for (let id = 0; id < c.end; id++) {
      const f = c.final_us[id];
      if (f < from_us || f >= to_us) continue;
      if (k >= 0 && c.cls[id] !== k) continue;
      out.push((f - c.submit_us[id]) / 1000);
    }
    return out;
  }

  /**
   * Per chain: height, blocks of each kind (`blocks_<kind>` for the family's `kinds`; a kind past
   * the list counts as the last), views, stalls, and consensus messages per block.
   */
  tableStats(end_us: number, kinds: readonly string[], consensusMsgs: (table: number) => number): TableStats[] {
    return this.chains.map((r, t) => {
      const counts = new Array<number>(kinds.length).fill(0);
      let stallMax = 0, stallTotal = 0;
      let prev = 0;
      let height = 0;
      for (let h = 1; h < r.commitTimes.length; h++) {
        const ct = r.commitTimes[h];
        if (ct === undefined) continue;
        height = h;
        counts[Math.min(r.kinds[h], kinds.length - 1)]++;
        const gap = ct - prev;
        if (gap > stallMax) stallMax = gap;
        if (gap > STALL_THRESHOLD_US) stallTotal += gap;
        prev = ct;
      }
      const tail = end_us - prev;
      if (tail > stallMax) stallMax = tail;
      if (tail > STALL_THRESHOLD_US) stallTotal += tail;
      const blocks = counts.reduce((a, b) => a + b, 0);
      const row: Record<string, number> = { table: t, height_committed: height };
      kinds.forEach((k, i) => { row[`blocks_${k}`] = counts[i]; });
      row.views = r.viewMax;
      row.stall_s_max = round3(stallMax / 1e6);
      row.stall_s_total = round3(stallTotal / 1e6);
      row.messages_per_block = blocks > 0 ? round3(consensusMsgs(t) / blocks) : 0;
      return row as unknown as TableStats;
    });
  }

  /**
   * Blocks first committed per chain and time bucket, and the share of each bucket inside a stall
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
    for (const r of this.chains) {
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
    const c = this.tx;
    for (let id = 0; id < c.end; id++) {
      const s = Math.floor(c.submit_us[id] / 1e6);
      if (!(c.flags[id] & TX_SUBMITTED)) continue;
      if (s < secs) sub[s]++;
      const f = c.final_us[id];
      if (f >= 0) {
        const fs = Math.floor(f / 1e6);
        if (fs < secs) {
          fin[fs]++;
          lat[fs].push((f - c.submit_us[id]) / 1000);
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
    for (const r of this.chains) {
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
