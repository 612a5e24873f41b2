#!/usr/bin/env node
/**
 * The `topsim` command (`npx topsim run scenarios/default.yaml`, `npm run sim -- ...`): runs the
 * compiled command line, out/cli/main.js, building it first when it is missing or older than the
 * sources (bin/build.mjs), so an edit to sim/ never runs stale code. Development without a build:
 * `npm run sim:dev -- ...` (tsx sim/cli/entry.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OUT, build, stale } from './build.mjs';

if (stale()) {
  try {
    await build();
  } catch (e) {
    const main = join(OUT, 'main.js');
    if (!existsSync(main)) {
      process.stderr.write(`topsim: cannot build ${main}: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    }
    // Without esbuild (a production install), the bundles in place still run.
    process.stderr.write('topsim: the sources changed but the build failed; running the last build\n');
  }
}
await import(pathToFileURL(join(OUT, 'main.js')).href);
