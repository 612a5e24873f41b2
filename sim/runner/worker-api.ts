/**
 * What a partition worker exposes through comlink: one PartitionWorker, with packed batches and the
 * page's parts sent back transferred, not copied. Exposed by worker.ts (Node's worker threads) and
 * web/partition.worker.ts (the page's Web Workers).
 */
import * as Comlink from 'comlink';
import { PartitionWorker, type WindowResult, type WorkerOptions } from './partition-worker.js';
import type { Scenario } from '../scenario/types.js';

function sendBack(r: WindowResult): WindowResult {
  return Comlink.transfer(r, r.out.filter((b): b is Uint8Array => b !== null).map((b) => b.buffer as ArrayBuffer));
}

export function partitionApi() {
  const worker = new PartitionWorker();
  return {
    init: (sc: Scenario, index: number, owner: Int32Array, workers: number, opts: WorkerOptions) =>
      sendBack(worker.init(sc, index, owner, workers, opts)),
    window: (inbox: (Uint8Array | null)[], until_us: number) => sendBack(worker.window(inbox, until_us)),
    runShared: () => worker.runShared(),
    finish: (end_us: number) => worker.finish(end_us),
    // The page's calls between frames (web/partitioned.ts).
    watched: (inspected: number) => {
      const p = worker.watched(inspected);
      const views = [p.msgFrom, p.msgTo, p.msgKind, p.msgAt, p.leaders, p.links, p.alive, p.bytesIn, p.bytesOut, p.cpuBusy, p.observations.rows, p.observations.blocks, p.rows];
      return Comlink.transfer(p, [...new Set(views.map((v) => v.buffer as ArrayBuffer))]);
    },
    known: (node: number) => worker.known(node),
    blockDetail: (chain: number, height: number) => worker.blockDetail(chain, height),
  };
}
