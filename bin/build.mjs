#!/usr/bin/env node
/**
 * Compiles the command line and its worker thread to plain JavaScript with esbuild: out/cli/main.js
 * (from sim/cli/entry.ts) and out/cli/worker.js (from sim/runner/worker.ts), each one bundle with
 * its dependencies, so a run starts without compiling TypeScript in every process and worker.
 *
 * The bundles sit two folders below the repository root, as their sources do (sim/cli/,
 * sim/runner/), so paths a module takes relative to itself (the shipped scenarios, the bench
 * suites, the worker next to the command line) hold in both.
 *
 * `npm ci` runs it (the `prepare` script); bin/topsim.mjs runs it again when a source is newer than
 * the bundles. A build writes a temporary folder and renames it into place, so a run never loads a
 * half-written bundle, and two builds at once both end with a whole one.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT = join(ROOT, 'out', 'cli');
const STAMP = '.built';

/** Newest modification time (ms) of what the bundles are built from. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(ROOT, 'sim'));
  for (const f of ['package.json', 'package-lock.json', 'bin/build.mjs']) {
    if (existsSync(join(ROOT, f))) newest = Math.max(newest, statSync(join(ROOT, f)).mtimeMs);
  }
  return newest;
}

/** Whether the bundles are missing or older than a source. */
export function stale() {
  const stamp = join(OUT, STAMP);
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newestSource();
}

/** Builds the bundles into OUT. */
export async function build() {
  const { build: esbuild } = await import('esbuild');
  const tmp = `${OUT}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const started = Date.now();
  await esbuild({
    absWorkingDir: ROOT,
    entryPoints: { main: 'sim/cli/entry.ts', worker: 'sim/runner/worker.ts' },
    outdir: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    // CommonJS packages in an ES module bundle (seedrandom) call require for Node's built-ins.
    banner: { js: "import { createRequire as __topsimRequire } from 'node:module'; const require = __topsimRequire(import.meta.url);" },
  });
  writeFileSync(join(tmp, STAMP), `${new Date(started).toISOString()}\n`);
  mkdirSync(dirname(OUT), { recursive: true });
  const old = `${OUT}.old-${process.pid}`;
  try {
    if (existsSync(OUT)) renameSync(OUT, old);
    renameSync(tmp, OUT);
  } catch {
    // Another build put its bundles in place first: they are as good as these.
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build();
  process.stderr.write(`built ${OUT.slice(ROOT.length + 1)}/main.js and worker.js\n`);
}
