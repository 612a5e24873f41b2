/**
 * The compiled command line's entry point (bin/build.mjs bundles it into out/cli/main.js): runs
 * the command the arguments name and sets the exit code. `tsx sim/cli/main.ts` does the same
 * from the sources.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
