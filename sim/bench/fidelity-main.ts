/**
 * `npm run validate:fidelity [-- --workers N] [scenario-substring ...]`: runs the validation cases
 * of sim/bench/fidelity.ts at both fidelities (the small ones, or those named: `mainnet-impl`
 * for the long one) and prints their Markdown tables (docs/VALIDATION.md).
 */
import { join } from 'node:path';
import { runScenario } from '../runner/run.js';
import { runPartitioned } from '../runner/parallel.js';
import { spawnNodeWorker } from '../runner/node-host.js';
import { CASES, caseScenario, compareFidelity, fidelityMarkdown } from './fidelity.js';

const ROOT = join(import.meta.dirname, '..', '..');

async function main(argv: string[]): Promise<void> {
  let workers = 1;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--workers') workers = Number.parseInt(argv[++i] ?? '', 10);
    else names.push(argv[i]!);
  }
  if (!(Number.isInteger(workers) && workers >= 1)) throw new Error('--workers: expected an integer >= 1');
  // By default the small cases; a name picks any case whose scenario path contains it.
  const cases = names.length === 0 ? CASES.filter((c) => !c.long) : CASES.filter((c) => names.some((n) => c.scenario.includes(n)));
  for (const c of cases) {
    const sc = caseScenario(ROOT, c);
    const started = Date.now();
    const r = await compareFidelity(sc, c.seeds, async (s) =>
      workers === 1 ? runScenario(s).summary : (await runPartitioned(s, { workers, spawn: spawnNodeWorker })).summary);
    process.stdout.write(fidelityMarkdown(r) + '\n');
    process.stderr.write(`${c.scenario}: ${((Date.now() - started) / 1000).toFixed(0)} s wall\n`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`validate:fidelity: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
