/**
 * Starts partition workers in Node: `worker_threads` driven through comlink's Node adapter,
 * loading the same worker module the browser loads as a module Web Worker. When the module is
 * TypeScript source (run through tsx or vitest), the worker registers tsx's loader first.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { PartitionWorker } from './partition-worker.js';
import type { WorkerHandle } from './parallel.js';

const MODULE = new URL('./worker.ts', import.meta.url);

function startThread(): Worker {
  if (!MODULE.pathname.endsWith('.ts')) return new Worker(MODULE);
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(MODULE.href)}); })` +
    `.catch((e) => { throw e; });`;
  return new Worker(boot, { eval: true });
}

export function spawnNodeWorker(): WorkerHandle {
  const worker = startThread();
  let ending = false;
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => { fail = reject; });
  failed.catch(() => undefined); // observed by the runner's calls; never an unhandled rejection
  worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
  worker.on('exit', (code) => {
    if (!ending) fail(new Error(`the worker thread stopped (exit code ${code})`));
  });
  const api = Comlink.wrap<PartitionWorker>(nodeEndpoint(worker));
  return {
    api,
    failed,
    async terminate() {
      ending = true;
      api[Comlink.releaseProxy]();
      await worker.terminate();
    },
    kill() {
      void worker.terminate();
    },
  };
}
