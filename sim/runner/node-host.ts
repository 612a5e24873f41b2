/**
 * Starts partition workers in Node: `worker_threads` driven through comlink's Node adapter,
 * loading the same worker module the browser loads as a module Web Worker. When the module is
 * TypeScript source (run through tsx or vitest), the worker registers tsx's loader first;
 * compiled, it loads the worker bundle.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { PartitionWorker } from './partition-worker.js';
import { workerHandle, type WorkerHandle } from './parallel.js';

/**
 * The worker module beside this one: the TypeScript source under tsx or vitest, the compiled
 * bundle (out/cli/worker.js, bin/build.mjs) when this module runs compiled.
 */
const MODULE = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/**
 * A worker's heap ceiling: three quarters of the machine's memory (a ceiling, not a reservation).
 * V8's default for a thread is sized like a small process's and stopped a saturated
 * 4,644-node run at 7 s with "JS heap out of memory" while the machine had memory to spare.
 */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: Math.max(4096, Math.floor((totalmem() / 2 ** 20) * 0.75)) };

function startThread(): Worker {
  if (!MODULE.pathname.endsWith('.ts')) return new Worker(MODULE, { resourceLimits: RESOURCE_LIMITS });
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(MODULE.href)}); })` +
    `.catch((e) => { throw e; });`;
  return new Worker(boot, { eval: true, resourceLimits: RESOURCE_LIMITS });
}

export function spawnNodeWorker(): WorkerHandle {
  const worker = startThread();
  return workerHandle(
    Comlink.wrap<PartitionWorker>(nodeEndpoint(worker)),
    (fail) => {
      worker.on('error', (e) => fail(e instanceof Error ? e : new Error(String(e))));
      worker.on('exit', (code) => fail(new Error(`the worker thread stopped (exit code ${code})`)));
    },
    () => worker.terminate(),
  );
}
