/**
 * topsim command line.
 *
 *   run <scenario> [--seed N] [--duration 30s] [--crypto real|modeled] [--out DIR] [--json]
 *   validate <file>
 *
 * Exit codes: 0 ok, 1 an invariant was violated, 2 bad input or usage. Wall-clock reads live
 * here (and in sim/bench), never in the simulation.
 */
import { performance } from 'node:perf_hooks';
import { loadScenario, applyOverrides, parseDuration, ScenarioError, type Scenario } from '../scenario/index.js';
import { runScenario } from '../engine/run.js';
import { formatSummaryTable, createProgress, summaryJson } from '../report/index.js';
import { reportDir, writeRunOutputs } from '../report/write.js';
import { parseArgs, intFlag, UsageError, type Parsed } from './args.js';

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

export const USAGE = `usage: npm run sim -- <command> [options]

commands:
  run <scenario.yaml|json>   run a scenario; writes reports/<scenario>/<seed>/
      --seed N               override the scenario's seed
      --duration 30s         override the simulated duration
      --crypto real|modeled  override the crypto mode (the digest is the same in both)
      --out DIR              report root (default: reports)
      --json                 print only the summary JSON on stdout
  validate <file>            check a scenario file; exit 2 with the first error
  help                       this text

exit codes: 0 ok, 1 an invariant was violated, 2 bad input or usage`;

const RUN_FLAGS = {
  seed: { value: true },
  duration: { value: true },
  crypto: { value: true },
  out: { value: true },
  json: { value: false },
};

export function main(argv: readonly string[], io: Io): number {
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'run':
        return cmdRun(parseArgs(rest, RUN_FLAGS), io);
      case 'validate':
        return cmdValidate(parseArgs(rest, {}), io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE + '\n');
        return 0;
      case undefined:
        throw new UsageError('missing command (run, validate, help)');
      default:
        throw new UsageError(`unknown command "${cmd}" (expected run, validate or help)`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError) {
      io.stderr.write(`error: ${e.message}\n`);
      if (e instanceof UsageError) io.stderr.write(`run "npm run sim -- help" for usage\n`);
      return 2;
    }
    throw e;
  }
}

function onePositional(p: Parsed, what: string): string {
  if (p.positional.length === 0) throw new UsageError(`missing ${what}`);
  if (p.positional.length > 1) throw new UsageError(`expected one ${what}, got ${p.positional.length}: ${p.positional.join(' ')}`);
  return p.positional[0];
}

function loadWithOverrides(p: Parsed): Scenario {
  const file = onePositional(p, 'scenario file');
  const seed = intFlag(p, 'seed', 0);
  const d = p.flags.get('duration');
  let duration_us: number | undefined;
  if (typeof d === 'string') {
    try {
      duration_us = parseDuration(d);
    } catch {
      throw new UsageError(`--duration: expected a duration like "30s", got "${d}"`);
    }
  }
  let sc = applyOverrides(loadScenario(file), { seed, duration_us });
  const crypto = p.flags.get('crypto');
  if (crypto !== undefined) {
    if (crypto !== 'real' && crypto !== 'modeled') throw new UsageError(`--crypto: expected real or modeled, got "${String(crypto)}"`);
    sc = { ...sc, crypto };
  }
  return sc;
}

function cmdRun(p: Parsed, io: Io): number {
  const sc = loadWithOverrides(p);
  const outRoot = (p.flags.get('out') as string | undefined) ?? 'reports';
  const json = p.flags.get('json') === true;
  const bar = createProgress(io.stderr as never, sc.duration_us / 1e6, {
    now_ms: () => performance.now(),
    min_interval_ms: 100,
  });
  const result = runScenario(sc, {
    progress: (now_us, events) => bar.update(now_us / 1e6, events),
    wall: { now_ms: () => performance.now(), rss_bytes: () => process.memoryUsage().rss },
  });
  bar.update(sc.duration_us / 1e6, result.summary.events);
  bar.done();
  const dir = reportDir(outRoot, sc.name, sc.seed);
  writeRunOutputs(dir, result.summary, result.timeseries);
  if (json) io.stdout.write(summaryJson(result.summary) + '\n');
  else {
    io.stdout.write(formatSummaryTable(result.summary) + '\n');
    io.stdout.write(`report: ${dir}/report.html\n`);
  }
  return result.summary.violations.length > 0 ? 1 : 0;
}

function cmdValidate(p: Parsed, io: Io): number {
  const file = onePositional(p, 'scenario file');
  const sc = loadScenario(file);
  const t = sc.topology;
  const vGroups = t.auditor_groups * t.validator_groups_per_auditor;
  const counts: [number, string][] = [
    [vGroups * t.validators + t.standby_validators, 'validators'],
    [t.auditor_groups * t.auditors + t.standby_auditors, 'auditors'],
    [t.edges, 'edges'],
    [t.beacons, 'REC beacons'],
    [t.archives, 'archives'],
  ];
  const nodes = counts.reduce((n, [c]) => n + c, 0);
  const parts = counts.filter(([c]) => c > 0).map(([c, what]) => `${c} ${what}`).join(', ');
  const standby = t.standby_validators + t.standby_auditors;
  io.stdout.write(
    `ok: ${file}: scenario "${sc.name}", ${t.tables} table${t.tables === 1 ? '' : 's'}, ${nodes} nodes (${parts}` +
    `${standby > 0 ? `; ${standby} on standby` : ''}), ${sc.faults.length} faults, ` +
    `${sc.duration_us / 1e6} s simulated\n`,
  );
  return 0;
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntry) {
  process.exitCode = main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
