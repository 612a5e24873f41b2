/**
 * Benchmark suites (`npm run sim -- bench`): which runs, and the figures each yields.
 *
 * A run's simulated figures are exact (the same on any machine, worker count or crypto mode), so
 * the baseline compares them for equality: any change is a change of the protocol model and
 * fails until the baseline is updated on purpose. Wall figures are noisy and only warn when they
 * move beyond a ratio.
 */
import { blockCount, type Summary } from '../metrics/types.js';

export interface BenchEntry {
  /** Key in the baseline; unique in its suite. */
  id: string;
  /** Scenario file, relative to the repository root (or absolute). */
  scenario: string;
  /** Simulated duration override, like "20s". */
  duration?: string;
  /** Warm-up override (shortened runs start measuring earlier). */
  warmup?: string;
  seed?: number;
  /** Worker threads (wall figures only; the simulated figures are the same for any count). */
  workers: number;
  /** What the entry is for, printed with the results. */
  note: string;
}

/**
 * A simulated figure is null when it does not exist: the latencies (p50, p90, p99, max) of a class
 * in which no transaction finalized (its count is 0). It is compared like any value: null equals
 * only null. Wall figures always exist.
 */
export type Metric = SimMetric | WallMetric;

export interface SimMetric {
  name: string;
  unit: string;
  value: number | null;
  kind: 'sim';
}

export interface WallMetric {
  name: string;
  unit: string;
  value: number;
  kind: 'wall';
}

/**
 * The ci suite finishes within 10 minutes on a 2-core machine: the consensus scenario (engine
 * speed), a fault scenario, and the two 100k-question scenarios shortened to the start of their
 * measurement windows plus a few seconds. The full suite runs the bench scenarios as written.
 */
export const SUITES: Record<string, BenchEntry[]> = {
  ci: [
    { id: 'default', scenario: 'scenarios/default.yaml', workers: 1, note: 'consensus scenario: engine events per wall second' },
    { id: 'leader-crash', scenario: 'scenarios/leader-crash.yaml', workers: 1, note: 'a crashed leader stalls its table' },
    {
      id: 'top-mainnet-impl-8s', scenario: 'scenarios/bench/top-mainnet-impl.yaml', duration: '8s', warmup: '4s', workers: 2,
      note: 'mainnet as implemented, saturated: start-up and first rounds',
    },
    {
      id: 'top-100k-4s', scenario: 'scenarios/bench/top-100k.yaml', duration: '4s', warmup: '2s', workers: 2,
      note: 'design scale (4,644 nodes), saturated: start-up and first rounds',
    },
  ],
  full: [
    { id: 'default', scenario: 'scenarios/default.yaml', workers: 1, note: 'consensus scenario: engine events per wall second' },
    { id: 'leader-crash', scenario: 'scenarios/leader-crash.yaml', workers: 1, note: 'a crashed leader stalls its table' },
    { id: 'top-mainnet', scenario: 'scenarios/top-mainnet.yaml', workers: 2, note: 'mainnet as implemented at 1,000 tx/s' },
    { id: 'top-mainnet-impl', scenario: 'scenarios/bench/top-mainnet-impl.yaml', workers: 2, note: 'the 100k question as implemented, saturated' },
    {
      // The scenario's 30 s as written (the last 20 measured): on a 2-core machine 25 to 40
      // minutes and about 10.4 GB peak resident memory with the shared replica state (17 GB with
      // `replica_state: own`).
      id: 'top-100k', scenario: 'scenarios/bench/top-100k.yaml', workers: 2,
      note: 'the 100k question at design scale, saturated',
    },
    { id: 'nodes-10k', scenario: 'scenarios/bench/nodes-10k.yaml', workers: 2, note: 'memory: 9,992 nodes against the 4 GiB target' },
  ],
  // Bystack's main-chain block propagation beside SimBlock's own model (scenarios/README.md
  // "Benchmarks"): wall seconds per block, one thread as SimBlock runs.
  propagation: [
    {
      id: 'bytom-propagation-1k', scenario: 'scenarios/bench/bytom-propagation-1k.yaml', workers: 1,
      note: 'Bytom blocks over 1,000 nodes (SimBlock here: 76 ms a block)',
    },
    {
      id: 'bytom-propagation-6k', scenario: 'scenarios/bench/bytom-propagation-6k.yaml', workers: 1,
      note: 'Bytom blocks over 6,000 nodes (SimBlock here: 503 ms a block)',
    },
  ],
};

/** The figures of one run: simulated ones first (compared exactly), then wall ones. */
export function metricsOf(s: Summary): Metric[] {
  const m: Metric[] = [];
  const sim = (name: string, unit: string, value: number | null) => m.push({ name, unit, value, kind: 'sim' });
  const wall = (name: string, unit: string, value: number) => m.push({ name, unit, value, kind: 'wall' });
  sim('tps_final', 'tx/s', s.tps_final);
  sim('tps_slots', 'legs/s', s.tps_slots);
  for (const cls of ['all', 'intra_table', 'cross_table']) {
    const l = s.latency_final_ms[cls];
    if (!l) continue;
    sim(`latency_final_ms.${cls}.count`, 'tx', l.count);
    for (const p of ['p50', 'p90', 'p99', 'max'] as const) sim(`latency_final_ms.${cls}.${p}`, 'ms', l[p]);
  }
  sim('tx_submitted', 'tx', s.tx_submitted);
  sim('tx_final', 'tx', s.tx_final);
  sim('tx_dropped', 'tx', s.tx_dropped);
  sim('blocks_committed', 'blocks', s.tables.reduce((n, t) => n + blockCount(t), 0));
  sim('stall_s_max', 's', s.tables.reduce((x, t) => Math.max(x, t.stall_s_max), 0));
  sim('violations', 'count', s.violations.length);
  sim('events', 'events', s.events);
  sim('messages', 'copies', Object.values(s.messages).reduce((n, x) => n + x, 0));
  if (s.limits) {
    sim('limits.block_fill', 'fraction', s.limits.block_fill);
    sim('limits.bandwidth_util_max', 'fraction', s.limits.bandwidth_util_max);
    sim('limits.cpu_util_max', 'fraction', s.limits.cpu_util_max);
    sim('limits.receipt_window_fill_max', 'fraction', s.limits.receipt_window_fill_max);
    for (const r of s.limits.roles) {
      if (r.role !== 'validator' && r.role !== 'auditor') continue;
      sim(`${r.role}.in_mbps_mean`, 'Mb/s', r.in_mbps_mean);
      sim(`${r.role}.out_mbps_mean`, 'Mb/s', r.out_mbps_mean);
      sim(`${r.role}.cpu_busy_mean`, 'fraction', r.cpu_busy_mean);
    }
  }
  wall('wall_s', 's', s.wall.wall_s);
  // Wall time per block made final (the block-propagation entries compare it with SimBlock's).
  const blocks = s.tables.reduce((n, t) => n + blockCount(t), 0);
  if (blocks > 0) wall('wall_s_per_block', 's', s.wall.wall_s / blocks);
  wall('events_per_wall_s', 'events/s', s.wall.events_per_wall_s);
  wall('sim_s_per_wall_s', 'sim_s/s', s.wall.sim_s_per_wall_s);
  wall('peak_rss_bytes', 'bytes', s.wall.peak_rss_bytes);
  return m;
}

/** Wall figures where a larger value is worse (the rest: larger is better). */
export const WALL_LOWER_IS_BETTER = new Set(['wall_s', 'wall_s_per_block', 'peak_rss_bytes']);
