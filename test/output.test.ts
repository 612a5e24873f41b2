/**
 * The CLI's output places: checked before any work (exit 2, one line naming the path and the
 * reason), leftovers of killed writers cleaned up, a user's file never replaced, a finding of
 * swarm never lost to a failed write, and no run replacing the report of another. Root ignores
 * permissions, so unwritable places here are a regular file in the way of a directory and /proc.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { capture } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'topsim-output-'));

const SMALL = `name: cli-small
duration: 5s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 50, rate_tps: 20 }
`;

/** Violates conservation on every seed: swarm keeps its scenario file. */
const MINTING = `name: minting
duration: 6s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1, tables: 2, validator_groups_per_auditor: 2 }
workload: { accounts: 100, rate_tps: 40 }
sabotage: { ledger_mint: true }
`;

async function cli(argv: string[]) {
  const c = capture();
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
}

/** Exit 2, nothing on stdout (nothing ran), and exactly one stderr line, matching `re`. */
function refused(r: { code: number; out: string; err: string }, re: RegExp): void {
  expect(r.err).toMatch(re);
  expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('output places', () => {
  it('run, sweep, swarm, bench and merge refuse an unwritable --out (or --log, --baseline) before any work', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'a regular file, where a directory is needed');
    const isFile = `${escape(blocker)} is a file, not a directory`;

    refused(await cli(['run', file, '--out', join(blocker, 'reports')]),
      new RegExp(`^error: --out: cannot write ${escape(join(blocker, 'reports', 'cli-small'))}: ${isFile}\n$`));
    refused(await cli(['run', file, '--check-determinism', '--out', join(blocker, 'reports')]), /^error: --out: cannot write .*is a file/);
    if (process.platform === 'linux') {
      // Not even root can create files in /proc.
      refused(await cli(['run', file, '--out', '/proc/topsim-reports']),
        /^error: --out: cannot write \/proc\/topsim-reports\/cli-small: cannot create files in \/proc: .*\(E[A-Z]+\)\n$/);
    }
    refused(await cli(['sweep', file, '--set', 'tables=1,2', '--out', join(blocker, 'sweep')]), new RegExp(`^error: --out: .*${isFile}`));
    refused(await cli(['swarm', '--seeds', '1', '--duration', '5s', '--out', join(blocker, 'swarm')]), new RegExp(`^error: --out: .*${isFile}`));

    writeFileSync(join(dir, 'suite.json'), JSON.stringify({ entries: [{ id: 'small', scenario: 's.yaml', workers: 1 }] }));
    const bench = ['bench', '--suite', join(dir, 'suite.json'), '--baseline', join(dir, 'baseline.json')];
    refused(await cli([...bench, '--log', join(dir, 'bench.jsonl'), '--out', join(blocker, 'bench')]), new RegExp(`^error: --out: .*${isFile}`));
    mkdirSync(join(dir, 'logdir'));
    refused(await cli([...bench, '--log', join(dir, 'logdir'), '--out', join(dir, 'bench')]),
      new RegExp(`^error: --log: cannot write ${escape(join(dir, 'logdir'))}: a directory is there, expected a file`));
    refused(await cli(['bench', '--suite', join(dir, 'suite.json'), '--update-baseline', '--baseline', join(blocker, 'b.json'),
      '--log', join(dir, 'bench.jsonl'), '--out', join(dir, 'bench')]), new RegExp(`^error: --baseline: .*${isFile}`));
    // Nothing was run, so nothing was written.
    expect(readdirSync(dir).sort()).toEqual(['blocker', 'logdir', 's.yaml', 'suite.json']);

    // merge: one sweep to merge, then places it may not write.
    const sweep = join(dir, 'sw');
    expect((await cli(['sweep', file, '--set', 'tables=1', '--out', sweep])).code).toBe(0);
    refused(await cli(['merge', sweep, '--out', join(blocker, 'merged')]), new RegExp(`^error: --out: .*${isFile}`));
    // A directory of other things is not replaced by a merge.
    const mine = join(dir, 'mine');
    mkdirSync(join(mine, 'photos'), { recursive: true });
    refused(await cli(['merge', sweep, '--out', mine]), /^error: --out: cannot write .*mine: a directory that is not a report is there/);
    expect(readdirSync(mine)).toEqual(['photos']);
  }, 60_000);

  it('a file at the report path is refused before the run, naming it, and kept', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const at = join(dir, 'out', 'cli-small', '5');
    mkdirSync(join(dir, 'out', 'cli-small'), { recursive: true });
    writeFileSync(at, 'my notes');
    refused(await cli(['run', file, '--seed', '5', '--out', join(dir, 'out')]),
      new RegExp(`^error: --out: cannot write ${escape(at)}: a file is there, not a report directory; move it away\n$`));
    expect(readFileSync(at, 'utf8')).toBe('my notes');
    expect(readdirSync(join(dir, 'out', 'cli-small'))).toEqual(['5']);
  });

  it('a run removes what a killed writer left in its report folder, and leaves a live writer\'s alone', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const folder = join(dir, 'out', 'cli-small');
    // `kill -9` during a write leaves <seed>.tmp-<pid>/ with part of the files.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    mkdirSync(join(folder, `5.tmp-${dead}`), { recursive: true });
    writeFileSync(join(folder, `5.tmp-${dead}`, 'summary.json'), '{"partial');
    mkdirSync(join(folder, `9.tmp-${dead}-2`));
    // A writer that is still running (our parent process stands in for it).
    mkdirSync(join(folder, `5.tmp-${process.ppid}-1`));
    const r = await cli(['run', file, '--seed', '5', '--out', join(dir, 'out')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`report: ${join(folder, '5')}/report.html`);
    expect(readdirSync(folder).sort()).toEqual(['5', `5.tmp-${process.ppid}-1`]);
    expect(readdirSync(join(folder, '5')).sort()).toEqual(['report.html', 'summary.json', 'timeseries.csv']);
  });

  it('swarm prints a violation and its reproducer before writing the file; a failed write is one error line', async () => {
    const dir = tmp();
    const base = join(dir, 'minting.yaml');
    writeFileSync(base, MINTING);
    const out = join(dir, 'found');
    // A directory where the scenario file goes: the write fails after the run.
    const file = join(out, 'minting-seed1.yaml');
    mkdirSync(file, { recursive: true });
    const r = await cli(['swarm', '--seeds', '1', '--base', base, '--out', out]);
    expect(r.code).toBe(1); // the finding's code: a failed write does not hide it
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^seed 1 .* VIOLATION$/);
    expect(lines[1]).toMatch(/^ {2}first violation: conservation at /);
    expect(lines[2]).toBe(`  reproduce: npm run sim -- run ${file}`);
    expect(lines[3]).toBe('swarm: 1 seed (1..1): 0 ok, 1 VIOLATION (seed 1), 0 FAILED; scenario file not written (seed 1)');
    const errors = r.err.split('\n').filter((l) => l.startsWith('error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^error: swarm seed 1: cannot write ${escape(file)}: .*; the scenario is the YAML above, ` +
      `and "npm run sim -- swarm --seeds 1 --from 1 --base ${escape(base)}" draws it again$`));
    expect(r.err).not.toMatch(/^\s+at /m); // no stack trace
    // --json: the totals name the seed whose file is missing.
    const j = await cli(['swarm', '--seeds', '1', '--base', base, '--out', out, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out.trimEnd().split('\n')[1]).totals).toMatchObject({ violation: [1], unwritten: [1] });
  });

  it('no run replaces the report of another: overrides or another file of the same name go to <seed>-<hash8>', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const folder = join(dir, 'out', 'cli-small');
    const reportOf = (r: { out: string }) => /^report: (.*)\/report\.html$/m.exec(r.out)![1];
    const digestIn = (d: string) => JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')).digest as string;

    const first = await cli(['run', file, '--seed', '5', '--out', join(dir, 'out')]);
    expect(reportOf(first)).toBe(join(folder, '5'));
    const digest5 = digestIn(join(folder, '5'));
    // --duration: another run, same name and seed.
    const shorter = await cli(['run', file, '--seed', '5', '--duration', '4s', '--out', join(dir, 'out')]);
    const at = reportOf(shorter);
    expect(at).toMatch(new RegExp(`^${escape(folder)}/5-[0-9a-f]{8}$`));
    expect(JSON.parse(readFileSync(join(at, 'summary.json'), 'utf8')).sim_s).toBe(4);
    expect(digestIn(join(folder, '5'))).toBe(digest5); // untouched
    // Another file that keeps the name (as a scenario exported from the page keeps "default").
    const other = join(dir, 'other.yaml');
    writeFileSync(other, SMALL.replace('rate_tps: 20', 'rate_tps: 30'));
    const third = reportOf(await cli(['run', other, '--seed', '5', '--out', join(dir, 'out')]));
    expect(third).toMatch(/\/5-[0-9a-f]{8}$/);
    expect(third).not.toBe(at);
    // The same scenario and seed again replaces its own report, in each place.
    expect(reportOf(await cli(['run', file, '--seed', '5', '--out', join(dir, 'out')]))).toBe(join(folder, '5'));
    expect(reportOf(await cli(['run', file, '--seed', '5', '--duration', '4s', '--out', join(dir, 'out')]))).toBe(at);
    expect(readdirSync(folder).sort()).toEqual(['5', at.slice(folder.length + 1), third.slice(folder.length + 1)].sort());
    expect(existsSync(join(folder, '5', 'report.html'))).toBe(true);
  }, 60_000);
});
