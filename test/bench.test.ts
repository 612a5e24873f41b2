/**
 * `npm run sim -- bench`: one JSON line per run in the log, exact comparison of simulated figures
 * with the baseline (a changed protocol constant fails), wall figures only warn, and every usage
 * mistake exits 2 before anything runs or is written.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { compareSim, compareWall } from '../sim/cli/bench.js';
import { SUITES } from '../sim/bench/suite.js';
import { loadScenario } from '../sim/scenario/index.js';
import { capture } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');

const SMALL = `name: bench-small
duration: 5s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 50, rate_tps: 40 }
`;

function setup(scenario = SMALL) {
  const dir = mkdtempSync(join(tmpdir(), 'topsim-bench-'));
  writeFileSync(join(dir, 'small.yaml'), scenario);
  writeFileSync(join(dir, 'suite.json'), JSON.stringify({
    entries: [
      { id: 'small', scenario: 'small.yaml', workers: 1 },
      { id: 'small-2w', scenario: 'small.yaml', duration: '4s', warmup: '2s', workers: 2 },
    ],
  }));
  const args = ['bench', '--suite', join(dir, 'suite.json'), '--baseline', join(dir, 'baseline.json'), '--log', join(dir, 'bench.jsonl'),
    '--out', join(dir, 'out')];
  return { dir, args };
}

async function bench(args: string[]) {
  const c = capture();
  const code = await main(args, c.io);
  return { code, out: c.out(), err: c.err() };
}

describe('bench', () => {
  it('records a baseline, passes against it, and fails when a protocol constant changes', async () => {
    const { dir, args } = setup();
    const first = await bench([...args, '--update-baseline']);
    expect(first.code, first.err).toBe(0);
    const baseline = JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8'));
    const entry = baseline.suites[join(dir, 'suite.json')]?.small ?? Object.values(baseline.suites)[0] as never;
    expect(entry).toBeDefined();
    // The baseline records a missing figure as null, with its unit.
    expect(entry.sim['latency_final_ms.cross_table.max']).toEqual({ unit: 'ms', value: null });

    // The log: one line per run with the attributes and labelled metrics.
    const lines = readFileSync(join(dir, 'bench.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(Object.keys(l.attributes)).toEqual(expect.arrayContaining(['commit', 'scenario', 'seed', 'node', 'digest']));
      expect(l.attributes.node).toBe(process.version);
      expect(l.metrics.length).toBeGreaterThan(10);
      const value = (name: string) => l.metrics.find((m: { name: string }) => m.name === name)?.value;
      for (const m of l.metrics) {
        expect(typeof m.name).toBe('string');
        expect(typeof m.unit).toBe('string');
        expect(['sim', 'wall']).toContain(m.kind);
        if (m.value === null) {
          // Only a latency of a class with no finalized transaction is missing.
          const cls = /^latency_final_ms\.(\w+)\.(p50|p90|p99|max)$/.exec(m.name)?.[1];
          expect(cls, m.name).toBeDefined();
          expect(value(`latency_final_ms.${cls}.count`), m.name).toBe(0);
        } else expect(Number.isFinite(m.value), m.name).toBe(true);
      }
      // One table: no cross-table transfer, so its latencies are null (not 0) in the log.
      expect(value('latency_final_ms.cross_table.count')).toBe(0);
      expect(value('latency_final_ms.cross_table.p50')).toBeNull();
      expect(value('latency_final_ms.all.p50')).toBeGreaterThan(0);
      expect(l.metrics.find((m: { name: string }) => m.name === 'tps_final').kind).toBe('sim');
      expect(l.metrics.find((m: { name: string }) => m.name === 'events_per_wall_s').kind).toBe('wall');
    }
    // The 1- and 2-worker entries run different durations, but each is exact: the second pass agrees.
    const again = await bench(args);
    expect(again.code, again.out + again.err).toBe(0);
    expect(again.out).toMatch(/^small\s+ok/m);
    expect(again.out).toMatch(/^small-2w\s+ok/m);
    expect(readFileSync(join(dir, 'bench.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    // Each run's report is written under --out/<suite>/<id>/.
    const summary = JSON.parse(readFileSync(join(dir, 'out', 'suite', 'small', 'summary.json'), 'utf8'));
    expect(summary.digest).toBe(lines[0].attributes.digest);
    expect(existsSync(join(dir, 'out', 'suite', 'small-2w', 'report.html'))).toBe(true);

    // A deliberate change of a protocol constant (block size 288 -> 3) changes simulated figures.
    writeFileSync(join(dir, 'small.yaml'), SMALL + 'protocol: { block_txs_max: 3 }\n');
    const changed = await bench(args);
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(/^small\s+SIM CHANGED/m);
    expect(changed.out).toMatch(/digest/);
    expect(changed.out).toMatch(/tps_final|latency_final_ms/);
    expect(changed.err).toMatch(/FAILED: 2 of 2 runs differ/);
    // The baseline is untouched by a failing comparison.
    expect(JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8'))).toEqual(baseline);

    // --update-baseline accepts the change; the next comparison passes.
    expect((await bench([...args, '--update-baseline'])).code).toBe(0);
    expect((await bench([...args, '--only', 'small'])).code).toBe(0);
  }, 120_000);

  it('fails when the baseline has no entry for a run', async () => {
    const { args } = setup();
    const r = await bench(args);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no baseline for .*small.*--update-baseline/);
  }, 60_000);

  it('compares a missing figure exactly: null equals null, and null against a number is a change', () => {
    // A latency of a class with no finalized transaction is null, in the baseline and in a run.
    const base = {
      scenario: 's', duration: null, warmup: null, seed: 1, simulator_version: 'x', digest: 'd',
      sim: {
        'latency_final_ms.cross_table.count': { unit: 'tx', value: 0 },
        'latency_final_ms.cross_table.p50': { unit: 'ms', value: null },
        'latency_final_ms.intra_table.p50': { unit: 'ms', value: 1500 },
      },
      wall: {}, recorded: { commit: 'c', node: 'v', date: 'd', workers: 1 },
    };
    const run = (cross: number | null, intra: number | null, count = cross === null ? 0 : 1) => [
      { name: 'latency_final_ms.cross_table.count', unit: 'tx', value: count, kind: 'sim' as const },
      { name: 'latency_final_ms.cross_table.p50', unit: 'ms', value: cross, kind: 'sim' as const },
      { name: 'latency_final_ms.intra_table.p50', unit: 'ms', value: intra, kind: 'sim' as const },
    ];
    expect(compareSim(base, 'd', run(null, 1500))).toEqual([]);
    expect(compareSim(base, 'd', run(0, 1500, 0))).toEqual([
      { name: 'latency_final_ms.cross_table.p50', unit: 'ms', baseline: '–', now: '0' },
    ]);
    expect(compareSim(base, 'd', run(2100.5, 1500))).toEqual([
      { name: 'latency_final_ms.cross_table.count', unit: 'tx', baseline: '0', now: '1' },
      { name: 'latency_final_ms.cross_table.p50', unit: 'ms', baseline: '–', now: '2100.5' },
    ]);
    expect(compareSim(base, 'd', run(null, null))).toEqual([
      { name: 'latency_final_ms.intra_table.p50', unit: 'ms', baseline: '1500', now: '–' },
    ]);
  });

  it('warns, but does not fail, when a wall figure is worse beyond the threshold', () => {
    const base = {
      scenario: 's', duration: null, warmup: null, seed: 1, simulator_version: 'x', digest: 'd', sim: {},
      wall: { wall_s: { unit: 's', value: 10 }, events_per_wall_s: { unit: 'events/s', value: 1000 } },
      recorded: { commit: 'c', node: 'v', date: 'd', workers: 1 },
    };
    const warn = compareWall(base, [
      { name: 'wall_s', unit: 's', value: 16, kind: 'wall' },
      { name: 'events_per_wall_s', unit: 'events/s', value: 700, kind: 'wall' },
    ], 1.5);
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatch(/^wall_s 16 s vs baseline 10 \(1\.60x worse/);
    expect(compareWall(base, [{ name: 'wall_s', unit: 's', value: 5, kind: 'wall' }], 1.5)).toEqual([]);
  });

  it('rejects bad usage with one line and exit 2, writing nothing', async () => {
    const { dir, args } = setup();
    const cases: [string[], RegExp][] = [
      [['bench', '--suite', 'nightly'], /--suite: expected ci or full or propagation, or a suite file/],
      [['bench', '--suite', join(dir, 'missing.json')], /cannot read it/],
      [[...args, '--only', 'nope'], /--only: no entry "nope"/],
      [[...args, '--wall-threshold', '0.5'], /--wall-threshold: expected a ratio/],
      [[...args, '--workers', '0'], /--workers: expected an integer/],
      [[...args, '--frobnicate'], /unknown option --frobnicate/],
      [['bench', 'extra.yaml'], /bench takes no file arguments/],
    ];
    for (const [argv, re] of cases) {
      const r = await bench(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.split('\n')[0]).toMatch(re);
    }
    writeFileSync(join(dir, 'bad-suite.json'), JSON.stringify({ entries: [{ id: 'x', scenario: 'small.yaml', workers: 'two' }] }));
    const bad = await bench(['bench', '--suite', join(dir, 'bad-suite.json'), '--log', join(dir, 'bench.jsonl')]);
    expect(bad.code).toBe(2);
    expect(bad.err.split('\n')[0]).toMatch(/entries\[0\]\.workers: expected an integer from 1 to 64/);
    writeFileSync(join(dir, 'broken.yaml'), 'name: broken\nduration: soon\n');
    writeFileSync(join(dir, 'broken-suite.json'), JSON.stringify({ entries: [{ id: 'ok', scenario: 'small.yaml' }, { id: 'b', scenario: 'broken.yaml' }] }));
    const broken = await bench(['bench', '--suite', join(dir, 'broken-suite.json'), '--log', join(dir, 'bench.jsonl')]);
    expect(broken.code).toBe(2);
    expect(broken.err.split('\n')[0]).toMatch(/duration: expected a duration/);
    writeFileSync(join(dir, 'baseline.json'), '{ not json');
    const badBase = await bench(args);
    expect(badBase.code).toBe(2);
    expect(badBase.err.split('\n')[0]).toMatch(/--baseline .*: not JSON/);
    // Nothing ran, so nothing was logged.
    expect(existsSync(join(dir, 'bench.jsonl'))).toBe(false);
  }, 60_000);

  it('the built-in suites name scenarios that load, with durations beyond their warm-ups', () => {
    for (const [name, entries] of Object.entries(SUITES)) {
      const ids = new Set<string>();
      for (const e of entries) {
        expect(ids.has(e.id), `${name}/${e.id}`).toBe(false);
        ids.add(e.id);
        const sc = loadScenario(join(ROOT, e.scenario));
        const warmup = e.warmup ? Number.parseFloat(e.warmup) * 1e6 : sc.warmup_us;
        if (e.duration) expect(Number.parseFloat(e.duration) * 1e6, `${name}/${e.id}`).toBeGreaterThan(warmup);
      }
    }
  });
});
