/**
 * Shards on the batch engines people have (docs/scaling.md): `--shard auto` reads the index and
 * count of a Kubernetes Indexed Job, a Slurm job array or a GitLab parallel job; three shards, one
 * through each engine's variables, merge to files byte for byte those of the unsharded run, for a
 * sweep and a bench suite.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { parseShard, shardItems, type Env } from '../sim/cli/shard.js';
import { capture } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'topsim-shard-'));

/** Shard i (1-based) of 3 as each engine says it. */
const ENGINES: { name: string; env: (i: number) => Env }[] = [
  { name: 'Kubernetes', env: (i) => ({ JOB_COMPLETION_INDEX: String(i - 1), JOB_COMPLETIONS: '3' }) },
  { name: 'Slurm', env: (i) => ({ SLURM_ARRAY_TASK_ID: String(i), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }) },
  { name: 'GitLab', env: (i) => ({ CI_NODE_INDEX: String(i), CI_NODE_TOTAL: '3' }) },
];

async function run(argv: string[], env: Env = {}) {
  const c = capture();
  const code = await main(argv, { ...c.io, env });
  return { code, out: c.out(), err: c.err() };
}

const SMALL = `name: shard-small
duration: 5s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 50, rate_tps: 30 }
`;

describe('--shard', () => {
  it('reads i/n, or each engine\'s variables with auto; refuses what is missing or wrong, naming it', () => {
    expect(parseShard('2/4')).toEqual({ i: 2, n: 4 });
    for (const e of ENGINES) for (const i of [1, 2, 3]) expect(parseShard('auto', e.env(i)), `${e.name} ${i}`).toEqual({ i, n: 3 });
    // Slurm arrays numbered from 0.
    expect(parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '4' })).toEqual({ i: 1, n: 4 });
    expect(shardItems(7, { i: 2, n: 3 })).toEqual([1, 4]);
    const err = (v: string, env: Env = {}) => {
      try {
        parseShard(v, env);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(err('auto')).toBe('--shard auto: no batch engine\'s shard index in the environment (expected JOB_COMPLETION_INDEX and JOB_COMPLETIONS ' +
      '(a Kubernetes Indexed Job), or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array), or CI_NODE_INDEX and CI_NODE_TOTAL (a GitLab parallel job))');
    expect(err('auto', { JOB_COMPLETION_INDEX: '0' })).toBe('--shard auto: JOB_COMPLETIONS is not set; expected a whole number of at least 1');
    expect(err('auto', { CI_NODE_INDEX: 'x', CI_NODE_TOTAL: '3' })).toBe('--shard auto: CI_NODE_INDEX is "x"; expected a whole number of at least 1');
    expect(err('auto', { CI_NODE_INDEX: '4', CI_NODE_TOTAL: '3' })).toBe('--shard auto: CI_NODE_INDEX gives shard 4 of 3 (CI_NODE_TOTAL); expected at most 3');
    expect(err('0/2')).toMatch(/^--shard: expected i\/n with 1 <= i <= n/);
  });

  it('a sweep in three shards, one per engine, merges to the unsharded sweep.csv byte for byte', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const sets = ['--set', 'rate=10,20,30,40'];
    expect((await run(['sweep', file, ...sets, '--out', join(dir, 'all')])).code).toBe(0);
    for (const [k, e] of ENGINES.entries()) {
      const r = await run(['sweep', file, ...sets, '--shard', 'auto', '--out', join(dir, `s${k + 1}`)], e.env(k + 1));
      expect(r.code, `${e.name}: ${r.err}`).toBe(0);
      expect(r.err).toContain(`shard ${k + 1}/3`);
    }
    const m = await run(['merge', join(dir, 's1'), join(dir, 's2'), join(dir, 's3'), '--out', join(dir, 'merged')]);
    expect(m.code, m.err).toBe(0);
    expect(readFileSync(join(dir, 'merged', 'sweep.csv'), 'utf8')).toBe(readFileSync(join(dir, 'all', 'sweep.csv'), 'utf8'));
    // --shard auto with no engine: exit 2, one line.
    const none = await run(['sweep', file, ...sets, '--shard', 'auto', '--out', join(dir, 'none')]);
    expect(none.code).toBe(2);
    expect(none.err.split('\n')[0]).toMatch(/^error: --shard auto: no batch engine's shard index in the environment/);
  }, 120_000);

  it('a swarm in three shards, one per engine, merges to the unsharded swarm.csv byte for byte', async () => {
    const dir = tmp();
    const args = (out: string) => ['swarm', '--seeds', '5', '--from', '3', '--duration', '60s', '--out', join(dir, out)];
    const all = await run(args('all'));
    expect(all.code, all.err).toBe(0);
    const csv = readFileSync(join(dir, 'all', 'swarm.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('k,id,status,faults,tps_final,commits,violations,digest');
    expect(csv.trim().split('\n')).toHaveLength(6);
    for (const [k, e] of ENGINES.entries()) {
      const r = await run([...args(`s${k + 1}`), '--shard', 'auto'], e.env(k + 1));
      expect(r.code, `${e.name}: ${r.err}`).toBe(0);
      expect(r.out).toContain(`shard ${k + 1}/3`);
    }
    const m = await run(['merge', join(dir, 's1'), join(dir, 's2'), join(dir, 's3'), '--out', join(dir, 'merged')]);
    expect(m.code, m.err).toBe(0);
    expect(m.out).toMatch(/^merged swarm swarm --seeds 5 --from 3 --duration 60s: 5 of 5 seeds, all ok/);
    expect(readFileSync(join(dir, 'merged', 'swarm.csv'), 'utf8')).toBe(csv);
    // Shards of another swarm do not merge with these.
    expect((await run(['swarm', '--seeds', '2', '--from', '3', '--duration', '60s', '--out', join(dir, 'other')])).code).toBe(0);
    const mixed = await run(['merge', join(dir, 's1'), join(dir, 'other'), '--out', join(dir, 'mixed')]);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/^error: .*other: not the swarm of .*s1: job/);
  }, 300_000);

  it('a bench suite in three shards, one per engine, merges to the unsharded bench.csv byte for byte', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'small.yaml'), SMALL);
    writeFileSync(join(dir, 'suite.json'), JSON.stringify({
      entries: [1, 2, 3, 4].map((seed) => ({ id: `small-${seed}`, scenario: 'small.yaml', seed, workers: 1 })),
    }));
    const args = (out: string) => ['bench', '--suite', join(dir, 'suite.json'), '--baseline', join(dir, 'baseline.json'),
      '--log', join(dir, 'bench.jsonl'), '--out', join(dir, out)];
    expect((await run([...args('rec'), '--update-baseline'])).code).toBe(0);
    const all = await run(args('all'));
    expect(all.code, all.err).toBe(0);
    const csv = readFileSync(join(dir, 'all', 'suite', 'bench.csv'), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^k,id,status,tps_final,tps_slots,/);
    expect(csv.trim().split('\n')).toHaveLength(5);
    for (const [k, e] of ENGINES.entries()) {
      const r = await run([...args(`s${k + 1}`), '--shard', 'auto'], e.env(k + 1));
      expect(r.code, `${e.name}: ${r.err}`).toBe(0);
    }
    const shards = [1, 2, 3].map((i) => join(dir, `s${i}`, 'suite'));
    const m = await run(['merge', ...shards, '--out', join(dir, 'merged')]);
    expect(m.code, m.err).toBe(0);
    expect(m.out).toMatch(/^merged bench suite: 4 of 4 entries, all ok/);
    expect(readFileSync(join(dir, 'merged', 'bench.csv'), 'utf8')).toBe(csv);
    // Two shards of three: the merge names what is missing, exit 1, and still writes.
    const part = await run(['merge', shards[0], shards[1], '--out', join(dir, 'part')]);
    expect(part.code).toBe(1);
    expect(part.err).toContain('incomplete: missing small-3');
    // A sharded run cannot record a baseline.
    const upd = await run([...args('u'), '--shard', '1/2', '--update-baseline']);
    expect(upd.code).toBe(2);
    expect(upd.err.split('\n')[0]).toBe('error: --update-baseline records a whole suite: run it without --shard');
  }, 180_000);
});
