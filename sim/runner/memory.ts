/**
 * How much memory a run will need, estimated from its scenario before anything is built, so that
 * a run too large for the machine is refused up front (exit 2, naming what to shrink) instead of
 * growing for minutes and dying.
 *
 * The model has four parts (the process and the nodes here, the rest from the family's
 * `memoryParts`; TOP's in sim/protocol/top/module.ts), each a measured cost per unit (peak resident memory of one process,
 * measured on this repository's scenarios with `node --expose-gc`, docs in scenarios/README.md,
 * "Limits"):
 * - the process and its modules: about 120 MB, plus ~80 MB per worker thread;
 * - per node (runtime, queues, random streams, digests): ~14 KB;
 * - per table replica (a validator or auditor serving a table, or an archive): what it accumulates
 *   as blocks, certificates and caches fill (~1 KB per simulated second for the first 20 s, then
 *   ~0.3 KB per second up to 512 s), plus, when every replica keeps its own state
 *   (`replica_state: own`), ~17 KB, 24 B per table of the run and 17 B per account of its table
 *   (the ledger), or, when in-sync replicas share their ledger, receipt outboxes and queues (the
 *   default), ~14 KB and 8 B per table, and ~100 B per account and table for the shared state;
 * - per transaction offered (every submitted transfer stays in the transaction store, and a
 *   cross-table one leaves copies in flight and receipts with the replicas of both tables): ~230 B,
 *   plus 32 B (own state) or 16 B (shared) per replica of its table when it crosses tables.
 * Against measured peaks, shared state: top-100k 30 s 10.35 GB estimated / 10.3 GB measured (2
 * workers); nodes-10k 20 s 2.42 / 2.04 GB (2 workers); top-mainnet-impl 8 s 1.20 / 0.93 GB (one
 * thread). Own state: top-100k 30 s 18.1 / 16.9 GB, 3 s 3.7 / 3.3 GB; nodes-10k 20 s 3.1 / 2.7 GB
 * (one thread) and 3.2 GB (two workers); top-mainnet-impl at 1,000 tx/s for 60 s 1.5 / 1.4 GB;
 * default.yaml at 20,000 tx/s for 20 s 0.2 / 0.2 GB.
 */
import type { Scenario } from '../scenario/types.js';
import { familyOf, nodeCount } from './build.js';

const MB = 1e6;
const KB = 1e3;

export interface MemoryEstimate {
  bytes: number;
  /** The parts, largest first, each with what would shrink it. */
  parts: { what: string; bytes: number; shrink: string }[];
}

export function estimateMemory(sc: Scenario, workers = 1): MemoryEstimate {
  const module = familyOf(sc);
  const nodes = nodeCount(sc, module);
  const parts = [
    { what: 'process', bytes: 120 * MB + 80 * MB * (workers > 1 ? workers : 0), shrink: '--workers' },
    { what: `${nodes.toLocaleString('en-US')} nodes`, bytes: nodes * 14 * KB, shrink: 'the topology (topology.*)' },
    ...module.memoryParts(sc),
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
