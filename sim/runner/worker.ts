/**
 * The worker module of a partitioned run in Node (`worker_threads`, through comlink's node
 * adapter; it also runs as a module Web Worker). It exposes one PartitionWorker (worker-api.ts);
 * the main thread drives it window by window (see parallel.ts). The page starts its partition
 * workers from web/partition.worker.ts, which exposes the same API with no Node branch.
 */
import * as Comlink from 'comlink';
import { partitionApi } from './worker-api.js';

async function endpoint(): Promise<Comlink.Endpoint> {
  const g = globalThis as { WorkerGlobalScope?: unknown; self?: unknown };
  if (g.WorkerGlobalScope !== undefined) return g.self as Comlink.Endpoint;
  const { parentPort } = await import('node:worker_threads');
  const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
  if (!parentPort) throw new Error('the partition worker module must run in a worker');
  return nodeEndpoint(parentPort);
}

Comlink.expose(partitionApi(), await endpoint());
