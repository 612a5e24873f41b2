import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../sim/cli/main.js';
import { capture } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'topsim-cli-'));
}

const SMALL = `name: cli-small
duration: 8s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 50, rate_tps: 20 }
`;

describe('CLI', () => {
  it('run --json prints only the summary JSON and writes the report atomically', async () => {
    // Proves the run command's contract: JSON on stdout, summary.json + timeseries.csv + report.html.
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    const code = await main(['run', file, '--json', '--out', join(dir, 'out'), '--seed', '5'], c.io);
    expect(code).toBe(0);
    const s = JSON.parse(c.out());
    for (const k of ['schema_version', 'scenario', 'seed', 'digest', 'events', 'sim_s', 'tps_final', 'tps_slots',
      'latency_final_ms', 'violations', 'wall']) expect(s).toHaveProperty(k);
    for (const k of ['p50', 'p90', 'p99', 'max']) expect(s.latency_final_ms.all).toHaveProperty(k);
    for (const k of ['wall_s', 'events_per_wall_s', 'sim_s_per_wall_s', 'peak_rss_bytes']) expect(s.wall).toHaveProperty(k);
    expect(s.seed).toBe(5);
    expect(s.digest).toMatch(/^[0-9a-f]{64}$/);
    const out = join(dir, 'out', 'cli-small', '5');
    expect(readdirSync(out).sort()).toEqual(['report.html', 'summary.json', 'timeseries.csv']);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).digest).toBe(s.digest);
    expect(readdirSync(join(dir, 'out', 'cli-small')).filter((f) => f.includes('tmp'))).toEqual([]);
    // --duration overrides the file.
    const c2 = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out'), '--duration', '4s'], c2.io)).toBe(0);
    expect(JSON.parse(c2.out()).sim_s).toBe(4);
  });

  it('replay re-runs the scenario a summary recorded and checks its digest', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out'), '--seed', '9', '--duration', '5s', '--workers', '1'], c.io)).toBe(0);
    const summaryFile = join(dir, 'out', 'cli-small', '9', 'summary.json');
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    // The overrides are part of the recorded scenario.
    expect(s.scenario_file.seed).toBe(9);
    expect(s.scenario_file.duration).toBe('5s');
    const ok = capture();
    expect(await main(['replay', summaryFile, '--workers', '2'], ok.io)).toBe(0);
    expect(ok.out()).toMatch(new RegExp(`^replay: same digest ${s.digest} .*recorded by topsim \\S+, replayed by topsim `));
    // A summary whose digest no longer matches: exit 1, both digests and versions named.
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...s, digest: 'f'.repeat(64), simulator_version: '0.0.9' }));
    const bad = capture();
    expect(await main(['replay', tampered, '--workers', '1'], bad.io)).toBe(1);
    expect(bad.out()).toContain(`recorded ${'f'.repeat(64)}, replayed ${s.digest}`);
    expect(bad.out()).toContain('recorded by topsim 0.0.9');
    // Bad input: exit 2, one line naming the problem.
    const cases: [unknown, RegExp][] = [
      [{ ...s, scenario_file: undefined }, /scenario_file: missing/],
      [{ ...s, scenario_file: { ...s.scenario_file, duration: 'soon' } }, /scenario_file\.duration: /],
      [[1, 2], /expected a summary object, got an array/],
    ];
    for (const [body, re] of cases) {
      const f = join(dir, 'case.json');
      writeFileSync(f, JSON.stringify(body));
      const e = capture();
      expect(await main(['replay', f], e.io)).toBe(2);
      expect(e.err().split('\n')[0]).toMatch(re);
    }
    writeFileSync(join(dir, 'junk.json'), 'not json');
    expect(await main(['replay', join(dir, 'junk.json')], capture().io)).toBe(2);
  });

  it('replay accepts a summary of an older schema: it reads only digest and scenario_file', async () => {
    // Version 3 wrote 0 for the latencies of an empty class; version 4 writes null. Both replay.
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out'), '--seed', '3', '--duration', '4s', '--workers', '1'], c.io)).toBe(0);
    const s = JSON.parse(c.out());
    expect(s.schema_version).toBe(4);
    expect(s.latency_final_ms.cross_table).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
    const v3 = {
      ...s,
      schema_version: 3,
      latency_final_ms: { ...s.latency_final_ms, cross_table: { count: 0, p50: 0, p90: 0, p99: 0, max: 0 } },
      latency_cdf_ms: { ...s.latency_cdf_ms, cross_table: [] },
    };
    const minimal = { digest: s.digest, scenario_file: s.scenario_file };
    for (const [name, body] of [['v3', v3], ['minimal', minimal]] as const) {
      const f = join(dir, `${name}.json`);
      writeFileSync(f, JSON.stringify(body));
      const r = capture();
      expect(await main(['replay', f, '--workers', '1'], r.io), name).toBe(0);
      expect(r.out()).toMatch(new RegExp(`^replay: same digest ${s.digest} `));
    }
  });

  it('run prints a summary table without --json', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    expect(await main(['run', file, '--out', join(dir, 'out')], c.io)).toBe(0);
    expect(c.out()).toMatch(/digest\s+[0-9a-f]{64}/);
    expect(c.out()).toMatch(/report: /);
    expect(c.err()).toBe(''); // no progress bar when stderr is not a terminal
  });

  it('exits 1 when an invariant is violated', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, SMALL + 'sabotage: { ledger_mint: true }\n');
    const c = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out')], c.io)).toBe(1);
    expect(JSON.parse(c.out()).violations[0].check).toBe('conservation');
  });

  it('bad input and usage exit 2 with one line naming the problem, and write nothing', async () => {
    const dir = tmp();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\ntopology: { validators: 0 }\nfaults: [{ kind: crash, at: soon, nodes: [v1] }]\n');
    const cases: [string[], RegExp][] = [
      [['validate', bad], /^error: (topology\.validators|faults\[0\]\.at): expected/],
      [['run', bad, '--out', join(dir, 'out')], /^error: (topology\.validators|faults\[0\]\.at): expected/],
      [['validate', join(dir, 'missing.yaml')], /file not found/],
      [['run', bad, '--bogus'], /^error: unknown option --bogus/],
      [['run'], /^error: missing scenario file/],
      [['frobnicate'], /^error: unknown command "frobnicate"/],
      [['run', join(ROOT, 'scenarios', 'default.yaml'), '--seed', '-3'], /^error: --seed: expected an integer/],
      [['run', join(ROOT, 'scenarios', 'default.yaml'), '--duration', 'soon'], /^error: --duration: expected a duration like "30s", got "soon"/],
      [['run', join(ROOT, 'scenarios', 'default.yaml'), '--crypto', 'fast'], /^error: --crypto: expected real or modeled/],
    ];
    for (const [argv, re] of cases) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err(), argv.join(' ')).toMatch(re);
      expect(c.err()).not.toMatch(/\n\s+at /); // no stack trace
      expect(c.out()).toBe('');
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('malformed fault and byzantine entries exit 2 naming the entry, and write nothing', async () => {
    const dir = tmp();
    const cases: [string, string][] = [
      ['- { kind: crash, at: 5s, nodes: [v1], state: lost }', 'faults[0].state: expected `until` with state: lost'],
      ['- { kind: clock, at: 5s, nodes: [v1], skew: soon }', 'faults[0].skew: expected a duration like "30s", optionally signed'],
      ['- { kind: clock, at: 5s, nodes: [v1] }', 'faults[0]: expected a skew or a drift_ppm other than 0'],
      ['- { kind: join, at: 5s, nodes: [v0] }', 'faults[0].nodes[0]: node "v0" is not a standby validator or auditor'],
      ['- { kind: leave, at: 5s, nodes: [e0] }', 'faults[0].nodes[0]: node "e0" is not a validator or auditor'],
      ['- { kind: rotate, at: 5s, clusters: [3] }', 'faults[0].clusters[0]: expected a cluster from 0 to 0, got 3'],
      ['- { kind: partition, at: 9s, until: 5s, a: [v0] }', 'faults[0].until: expected a time after at (9s), got "5s"'],
      ['- { kind: degrade, at: 5s, a: [region:Mars], latency: 5ms }', 'faults[0].a[0]: unknown region "Mars"'],
    ];
    for (const [entry, line] of cases) {
      const f = join(dir, 'bad.yaml');
      writeFileSync(f, `${SMALL}faults:\n  ${entry}\n`);
      const c = capture();
      expect(await main(['run', f, '--out', join(dir, 'out')], c.io), entry).toBe(2);
      expect(c.err(), entry).toContain(`error: ${line}`);
      expect(c.err().trim().split('\n'), entry).toHaveLength(1);
    }
    const byz = join(dir, 'byz.yaml');
    writeFileSync(byz, `${SMALL}byzantine:\n  - { nodes: [v1], behavior: silent, tries: 4 }\n`);
    const c = capture();
    expect(await main(['run', byz, '--out', join(dir, 'out')], c.io)).toBe(2);
    expect(c.err()).toContain('error: byzantine[0].tries: applies only to behavior grind_seed, not silent');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('validate accepts every shipped scenario', async () => {
    for (const f of readdirSync(join(ROOT, 'scenarios')).filter((x) => x.endsWith('.yaml'))) {
      const c = capture();
      expect(await main(['validate', join(ROOT, 'scenarios', f)], c.io), f).toBe(0);
      expect(c.out()).toMatch(/^ok: /);
    }
    // Node counts are per group times groups, plus standby, REC and archive nodes.
    const c = capture();
    expect(await main(['validate', join(ROOT, 'scenarios', 'top-mainnet.yaml')], c.io)).toBe(0);
    expect(c.out()).toContain('64 tables, 680 nodes (512 validators, 128 auditors, 8 edges, 32 REC beacons)');
  });

  it('as a process: `npm run sim -- validate` on a malformed file exits 2 with a path-naming line', async () => {
    // Proves the real entry point (tsx + main) maps errors to exit codes, not stack traces.
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', network: { jitter_percent: 150 } }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'sim', 'cli', 'main.ts'), 'validate', bad], {
      cwd: ROOT, encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: network\.jitter_percent: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
