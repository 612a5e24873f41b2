/**
 * The command line's entry point: runs the command the arguments name and sets the exit code.
 * Compiled by bin/build.mjs into out/cli/main.js (what `npm run sim` runs); `npm run sim:dev`
 * runs it from the sources through tsx.
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
