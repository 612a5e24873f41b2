/**
 * `compare` (sim/cli/compare.ts): the families side by side on what a comparison file makes them
 * share. The shipped comparison's runs share seed, duration, network, hardware and load; each
 * point's digest is its scenario's own; shards merge to the unsharded manifest; mistakes exit 2
 * with one line naming the run and the field, and write nothing.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { planCompare } from '../sim/cli/compare.js';
import { runScenario } from '../sim/runner/run.js';
import { capture } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');
const SHIPPED = join(ROOT, 'scenarios', 'compare', 'compare-top-bystack.yaml');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'topsim-compare-'));
}

const SMALL = `compare: 1
name: small
shared:
  seed: 3
  duration: 12s
  warmup: 4s
  network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
  hardware: { cores: 2, bandwidth: 50Mbps }
  workload: { accounts: 400, rate_tps: 40 }
runs:
  - label: top
    scenario: { topology: { validators: 4, auditors: 4, edges: 1 } }
  - label: vapor
    scenario:
      protocol: { family: bystack }
      mainchain: { miners: 2, nodes: 0, peers: 1 }
      vapor: { producers: 4 }
      federation: { signers: 0 }
      workload: { side_percent: 100 }
      checks: { liveness_bound: 10s }
`;

async function refused(argv: string[]): Promise<string> {
  const c = capture();
  const code = await main(argv, c.io);
  expect(code, argv.join(' ')).toBe(2);
  expect(c.out()).toBe('');
  const lines = c.err().split('\n').filter((l) => l !== '');
  expect(lines[0]).toMatch(/^error: /);
  expect(lines.slice(1).every((l) => /^run "npm run sim -- help" for usage$/.test(l))).toBe(true);
  return lines[0];
}

describe('compare', () => {
  it('the shipped comparison gives TOP and Bystack the same seed, duration, network, hardware and load', () => {
    const plan = planCompare([SHIPPED], 1);
    expect(plan.labels).toEqual(['top', 'bystack', 'bystack-design']);
    expect(plan.points.map((p) => p.id)).toEqual(['run=top', 'run=bystack', 'run=bystack-design']);
    const scs = plan.points.map((p) => p.scenario);
    expect(scs.map((s) => s.protocol.family)).toEqual(['top', 'bystack', 'bystack']);
    for (const s of scs) {
      expect(s.seed).toBe(scs[0].seed);
      expect(s.duration_us).toBe(scs[0].duration_us);
      expect(s.warmup_us).toBe(scs[0].warmup_us);
      expect(s.network).toEqual(scs[0].network);
      expect(s.workload.rate_tps).toBe(500);
      expect(s.workload.accounts).toBe(20_000);
      const hw = s.hardware as unknown as Record<string, unknown>;
      expect(Object.keys(hw).length).toBeGreaterThanOrEqual(4);
      for (const role of Object.keys(hw)) expect(hw[role], `${s.name} ${role}`).toEqual({ cores: 4, upload_bps: 100e6, download_bps: 100e6 });
    }
    // --set sweeps a shared key across every run; the run is the last key.
    const swept = planCompare([SHIPPED, '--set', 'rate=500,2000', '--duration', '30s'], 1);
    expect(swept.points.map((p) => [p.id, p.scenario.workload.rate_tps, p.scenario.duration_us])).toEqual([
      ['rate_tps=500,run=top', 500, 30e6], ['rate_tps=500,run=bystack', 500, 30e6], ['rate_tps=500,run=bystack-design', 500, 30e6],
      ['rate_tps=2000,run=top', 2000, 30e6], ['rate_tps=2000,run=bystack', 2000, 30e6], ['rate_tps=2000,run=bystack-design', 2000, 30e6],
    ]);
  });

  it('runs each family, prints them side by side, and each point is its scenario run alone; shards merge to the same manifest', async () => {
    const dir = tmp();
    const file = join(dir, 'small.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    expect(await main(['compare', file, '--out', join(dir, 'all')], c.io)).toBe(0);
    const table = c.out();
    expect(table).toMatch(/^compare small: top vs vapor: 2 of 2 points/);
    expect(table).toMatch(/\n0 +run=?top|\n0 +top /);
    expect(table).toContain(' vapor ');
    const manifest = JSON.parse(readFileSync(join(dir, 'all', 'sweep.json'), 'utf8'));
    expect(manifest.points.map((p: { id: string }) => p.id)).toEqual(['run=top', 'run=vapor']);
    expect(readdirSync(join(dir, 'all')).sort()).toEqual(['run=top', 'run=vapor', 'sweep.csv', 'sweep.html', 'sweep.json']);
    const plan = planCompare([file], 1);
    plan.points.forEach((p, k) => {
      const alone = runScenario(p.scenario).summary;
      expect(manifest.points[k].digest).toBe(alone.digest);
      expect(manifest.points[k].tps_final).toBe(alone.tps_final);
      expect(alone.tx_final).toBeGreaterThan(0);
    });
    // Two shards, merged, give the unsharded manifest's points.
    for (const i of [1, 2]) expect(await main(['compare', file, '--shard', `${i}/2`, '--out', join(dir, `s${i}`)], capture().io)).toBe(0);
    const m = capture();
    expect(await main(['merge', join(dir, 's1'), join(dir, 's2'), '--out', join(dir, 'merged'), '--json'], m.io)).toBe(0);
    const merged = JSON.parse(m.out());
    expect(merged.points.map((p: { digest: string }) => p.digest)).toEqual(manifest.points.map((p: { digest: string }) => p.digest));
    expect(readFileSync(join(dir, 'merged', 'sweep.csv'), 'utf8')).toBe(readFileSync(join(dir, 'all', 'sweep.csv'), 'utf8'));
  }, 120_000);

  it('the shipped comparison as shipped: TOP keeps up with 500 tx/s, Vapor as coded is held at 256 by its 128 transfers a block, packed to the gas ceiling it keeps up', async () => {
    const dir = tmp();
    const c = capture();
    expect(await main(['compare', SHIPPED, '--out', join(dir, 'out'), '--json'], c.io)).toBe(0);
    const m = JSON.parse(c.out());
    const by = Object.fromEntries(m.points.map((p: { values: string[] }) => [p.values[0], p]));
    expect(by.top.tps_final).toBeGreaterThan(480);
    expect(by.top.violations).toBe(0);
    expect(by.bystack.tps_final).toBe(256);
    expect(by.bystack.latency_final_ms.side.p50).toBeGreaterThan(10_000);
    expect(by['bystack-design'].tps_final).toBeGreaterThan(480);
    expect(by['bystack-design'].latency_final_ms.side.p50).toBeLessThan(2_000);
    for (const p of m.points) expect(p.violations).toBe(0);
    // validate reads a comparison too; run points to compare.
    const v = capture();
    expect(await main(['validate', SHIPPED], v.io)).toBe(0);
    expect(v.out()).toMatch(/^ok: .*compare-top-bystack\.yaml: comparison "compare-top-bystack" of 3 runs, top \(top: 8 tables/);
    expect(await refused(['run', SHIPPED])).toMatch(/is a comparison, not a scenario: npm run sim -- compare .*compare-top-bystack\.yaml runs it$/);
  }, 120_000);

  it('refuses an unfair or malformed comparison with one line naming the run and the field, and writes nothing', async () => {
    const dir = tmp();
    const out = join(dir, 'out');
    const bad = (name: string, text: string) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    const run1 = SMALL.indexOf('  - label: vapor');
    const withRun1 = (extra: string) => SMALL.slice(0, run1) + SMALL.slice(run1).replace('      workload: { side_percent: 100 }', `      workload: { side_percent: 100${extra} }`);
    expect(await refused(['compare', bad('a.yaml', withRun1(', rate_tps: 10')), '--out', out])).toMatch(
      /^error: runs\[1\]\.scenario\.workload\.rate_tps: set in shared too \(a comparison gives every run the shared value; remove one\)$/,
    );
    expect(await refused(['compare', bad('b.yaml', SMALL.replace('compare: 1', 'compare: 2')), '--out', out])).toMatch(
      /compare: expected 1 \(the comparison format's version\)$/,
    );
    expect(await refused(['compare', bad('c.yaml', SMALL.slice(0, run1)), '--out', out])).toMatch(/runs: expected at least two runs to compare$/);
    expect(await refused(['compare', bad('d.yaml', SMALL.replace('label: vapor', 'label: top')), '--out', out])).toMatch(
      /runs\[1\]\.label: "top" is the label of runs\[0\] too$/,
    );
    expect(await refused(['compare', bad('e.yaml', SMALL.replace('shared:', 'shared:\n  protocol: { family: top }')), '--out', out])).toMatch(
      /shared\.protocol: not shared: each run names its own family \(in its scenario\)$/,
    );
    expect(await refused(['compare', bad('f.yaml', SMALL.replace('cores: 2,', 'cpus: 2,')), '--out', out])).toMatch(/shared\.hardware\.cpus: unknown key/);
    expect(await refused(['compare', bad('g.yaml', withRun1(', side_pct: 5')), '--out', out])).toMatch(/runs\[1\] \(vapor\): workload.side_pct: unknown key/);
    expect(await refused(['compare', bad('h.yaml', SMALL.replace('family: bystack', 'family: bitcoin')), '--out', out])).toMatch(/runs\[1\] \(vapor\): protocol\.family: expected one of top, bystack/);
    expect(await refused(['compare', bad('i.yaml', SMALL.replace('name: small', 'name: small\ncolour: red')), '--out', out])).toMatch(/colour/);
    expect(await refused(['compare', join(ROOT, 'scenarios', 'default.yaml'), '--out', out])).toMatch(/compare: missing: this looks like a scenario/);
    expect(await refused(['compare', SHIPPED, '--set', 'protocol.family=top', '--out', out])).toMatch(/not sweepable in a comparison/);
    expect(await refused(['compare', SHIPPED, '--set', 'rate=0.5x', '--out', out])).toMatch(/^error: --set rate=0\.5x: run top: workload\.rate_tps/);
    expect(await refused(['compare', '--out', out])).toBe('error: missing comparison file');
    expect(existsSync(out)).toBe(false);
  });
});
