/**
 * How much memory a run will need, estimated from its scenario before anything is built, so that
 * a run too large for the machine is refused up front (exit 2, naming what to shrink) instead of
 * growing for minutes and dying.
 *
 * The model has four parts, each a measured cost per unit (peak resident memory of one process,
 * measured on this repository's scenarios with `node --expose-gc`, docs in scenarios/README.md,
 * "Limits"):
 * - the process and its modules: about 120 MB, plus ~80 MB per worker thread;
 * - per node (runtime, queues, random streams, digests): ~14 KB;
 * - per table replica (a validator or auditor serving a table, or an archive): ~17 KB, plus 24 B
 *   per table of the run (receipt queues and outboxes per peer table) and 17 B per account of its
 *   table (the ledger); and what a replica accumulates as blocks, certificates and caches fill:
 *   ~1 KB per simulated second for the first 20 s, then ~0.3 KB per second up to 512 s (the
 *   blocks a replica keeps);
 * - per transaction offered (every submitted transfer stays in the transaction store, and a
 *   cross-table one leaves receipts with every replica of both tables): ~230 B, plus 32 B per
 *   replica of its table when it crosses tables.
 * Against measured peaks: top-100k 30 s 18.1 GB estimated / 16.9 GB measured, 3 s 3.7 / 3.3 GB;
 * nodes-10k 20 s 3.1 / 2.7 GB (one thread) and 3.2 GB (two workers); top-mainnet-impl at
 * 1,000 tx/s for 60 s 1.5 / 1.4 GB; default.yaml at 20,000 tx/s for 20 s 0.2 / 0.2 GB.
 */
import type { Scenario } from '../scenario/types.js';
import { expectedArrivals } from '../workload/schedule.js';
import { nodeCount } from './build.js';

const MB = 1e6;
const KB = 1e3;

export interface MemoryEstimate {
  bytes: number;
  /** The parts, largest first, each with what would shrink it. */
  parts: { what: string; bytes: number; shrink: string }[];
}

export function estimateMemory(sc: Scenario, workers = 1): MemoryEstimate {
  const t = sc.topology;
  const T = t.tables;
  const perTable = t.validators + t.auditors + t.archives;
  const replicas = T * perTable;
  const accountsPerTable = sc.workload.accounts / T;
  const d_s = sc.duration_us / 1e6;
  const grown_kb = Math.min(d_s, 20) * 1 + Math.max(0, Math.min(d_s, 512) - 20) * 0.3;
  const w = sc.workload;
  const offered = expectedArrivals(w.schedule, w.start_us, Math.min(w.stop_us, sc.duration_us));
  const cross = w.intra_share_percent !== null ? 1 - w.intra_share_percent / 100 : T > 1 ? 1 - 1 / T : 0;
  const parts = [
    { what: 'process', bytes: 120 * MB + 80 * MB * (workers > 1 ? workers : 0), shrink: '--workers' },
    { what: `${nodeCount(sc).toLocaleString('en-US')} nodes`, bytes: nodeCount(sc) * 14 * KB, shrink: 'the topology (topology.*)' },
    {
      what: `${replicas.toLocaleString('en-US')} table replicas`,
      bytes: replicas * (17 * KB + 24 * T + 17 * accountsPerTable + grown_kb * KB),
      shrink: 'topology.tables, topology.validators, topology.auditors or workload.accounts',
    },
    {
      what: `${Math.round(offered).toLocaleString('en-US')} transactions`,
      bytes: offered * (230 + 32 * perTable * cross),
      shrink: 'workload.rate_tps (or schedule) or duration',
    },
  ];
  parts.sort((a, b) => b.bytes - a.bytes);
  return { bytes: parts.reduce((n, p) => n + p.bytes, 0), parts };
}

/** Bytes as the refusal prints them: "18.1 GB". */
export function formatBytes(b: number): string {
  return b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : `${Math.round(b / MB)} MB`;
}

/**
 * Null when the run fits in `available` bytes, else the one-line reason: the estimate, its
 * largest part, and what to shrink.
 */
export function wontFit(sc: Scenario, workers: number, available: number): string | null {
  const e = estimateMemory(sc, workers);
  if (e.bytes <= available) return null;
  const top = e.parts[0];
  return `this run needs about ${formatBytes(e.bytes)} of memory, more than the ${formatBytes(available)} it may use here; ` +
    `most of it for ${top.what} (${formatBytes(top.bytes)}): shrink ${top.shrink}`;
}
