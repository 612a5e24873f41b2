/**
 * The worker module of a partitioned run, the same file in Node (`worker_threads`, through
 * comlink's node adapter) and in the browser (a module Web Worker). It exposes one
 * PartitionWorker; the main thread drives it window by window (see parallel.ts). Packed batches
 * go back transferred, not copied.
 */
import * as Comlink from 'comlink';
import { PartitionWorker, type WindowResult, type WorkerOptions } from './partition-worker.js';
import type { Scenario } from '../scenario/types.js';

async function endpoint(): Promise<Comlink.Endpoint> {
  const g = globalThis as { WorkerGlobalScope?: unknown; self?: unknown };
  if (g.WorkerGlobalScope !== undefined) return g.self as Comlink.Endpoint;
  const { parentPort } = await import('node:worker_threads');
  const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
  if (!parentPort) throw new Error('the partition worker module must run in a worker');
  return nodeEndpoint(parentPort);
}

const worker = new PartitionWorker();

function sendBack(r: WindowResult): WindowResult {
  return Comlink.transfer(r, r.out.filter((b): b is Uint8Array => b !== null).map((b) => b.buffer as ArrayBuffer));
}

const api = {
  init: (sc: Scenario, index: number, owner: Int32Array, workers: number, opts: WorkerOptions) =>
    sendBack(worker.init(sc, index, owner, workers, opts)),
  window: (inbox: (Uint8Array | null)[], until_us: number) => sendBack(worker.window(inbox, until_us)),
  runShared: () => worker.runShared(),
  finish: (end_us: number) => worker.finish(end_us),
};

Comlink.expose(api, await endpoint());
