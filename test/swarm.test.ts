import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { capture } from './helpers.js';
import { drawnYaml } from '../sim/cli/swarm.js';
import { drawScenario, faultWindow, LIVENESS_MARGIN_US } from '../sim/scenario/draw.js';
import { parseScenarioText } from '../sim/scenario/index.js';
import { asTop, type TopScenario as Scenario } from '../sim/protocol/top/scenario.js';
import { buildRun, faultPhaseEnd, resolveSelectors } from '../sim/runner/build.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'topsim-swarm-'));
const SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);

/**
 * The nodes each group may not exceed, counted on the nodes the run actually picks: byzantine
 * ones and those restarting with state lost, per genesis group, or per role when standby nodes
 * let elections move members between groups.
 */
function toleranceProblems(sc: Scenario): string[] {
  const { nodes } = buildRun(sc, { local: 'none' });
  const t = sc.topology;
  const counted = new Set<number>();
  sc.byzantine.forEach((b, bi) => resolveSelectors(b.nodes, sc, nodes, `byzantine/${bi}/nodes`).forEach((i) => counted.add(i)));
  sc.faults.forEach((f, fi) => {
    if (f.kind === 'crash' && f.state === 'lost') resolveSelectors(f.nodes, sc, nodes, `faults/${fi}/nodes`).forEach((i) => counted.add(i));
  });
  const leaving = { v: 0, a: 0 };
  for (const f of sc.faults) if (f.kind === 'leave') for (const n of f.nodes) leaving[n[0] as 'v' | 'a']++;
  const roleWide = t.standby_validators + t.standby_auditors > 0;
  const groups = new Map<string, { n: number; count: number }>();
  const add = (key: string, n: number) => {
    const g = groups.get(key) ?? { n, count: 0 };
    g.count++;
    groups.set(key, g);
  };
  for (const i of counted) {
    const name = nodes[i].name;
    const index = Number(name.slice(1));
    if (name[0] === 'v') add(roleWide ? 'validators' : `vgroup ${Math.floor(index / t.validators)}`, t.validators - leaving.v);
    else if (name[0] === 'a') add(roleWide ? 'auditors' : `agroup ${Math.floor(index / t.auditors)}`, t.auditors - leaving.a);
    else if (name[0] === 'r') add('beacons', t.beacons);
    else return [`${name} is byzantine or loses its state, but is no group member`];
  }
  return [...groups].filter(([, g]) => g.count > Math.floor((g.n - 1) / 3)).map(([k, g]) => `${k}: ${g.count} of ${g.n}`);
}

describe('swarm drawing', () => {
  it('every drawn scenario validates, also as the YAML written to disk', () => {
    // Proves the drawing never produces a file the loader rejects, and that the YAML (flow
    // style, header comment) reads back as the same scenario.
    for (const seed of SEEDS) {
      const d = drawScenario(seed);
      expect(parseScenarioText(drawnYaml(d, ' header'), `seed${seed}.yaml`), `seed ${seed}`).toEqual(d.scenario);
      const short = drawScenario(seed, { duration_us: 6_000_000 });
      expect(short.scenario.duration_us).toBe(6_000_000);
    }
  });

  it('the same seed draws the same file; different seeds draw different faults', () => {
    const a = SEEDS.map((s) => drawnYaml(drawScenario(s), ''));
    const b = SEEDS.map((s) => drawnYaml(drawScenario(s), ''));
    expect(b).toEqual(a);
    const faults = new Set(SEEDS.map((s) => JSON.stringify(drawScenario(s).file.faults)));
    expect(faults.size).toBeGreaterThan(SEEDS.length * 0.95);
    // The knobs vary: every fault kind and several byzantine behaviours occur.
    const kinds = new Set(SEEDS.flatMap((s) => drawScenario(s).kinds));
    for (const k of ['crash', 'crash(lost)', 'crash_leader', 'partition', 'degrade', 'clock', 'drop_receipts', 'join', 'leave', 'rotate']) {
      expect(kinds.has(k), k).toBe(true);
    }
    expect([...kinds].filter((k) => k.startsWith('byz:')).length).toBeGreaterThanOrEqual(6);
  });

  it('byzantine and lost-state nodes stay within each group\'s tolerance', () => {
    let withByzantine = 0;
    for (const seed of SEEDS) {
      const sc = asTop(drawScenario(seed).scenario);
      if (sc.byzantine.length > 0) withByzantine++;
      expect(toleranceProblems(sc), `seed ${seed}`).toEqual([]);
    }
    expect(withByzantine).toBeGreaterThan(SEEDS.length / 2);
  });

  it('the tolerance check can fail', () => {
    // Proves toleranceProblems is not vacuous: three of seven in one group is one too many.
    const sc = asTop(drawScenario(1).scenario);
    const over = { ...sc, topology: { ...sc.topology, standby_validators: 0, standby_auditors: 0 }, faults: [],
      byzantine: [{ ...sc.byzantine[0]!, nodes: ['v0', 'v1', 'v2'] }] };
    expect(toleranceProblems(over)).toEqual(['vgroup 0: 3 of 7']);
  });

  it('every fault heals before the liveness phase', () => {
    for (const seed of SEEDS) {
      const d = drawScenario(seed);
      const sc = d.scenario;
      const liveFrom = sc.duration_us - sc.checks.liveness_bound_us - LIVENESS_MARGIN_US;
      expect(faultWindow(sc).to_us, `seed ${seed}`).toBeLessThanOrEqual(liveFrom);
      expect(faultPhaseEnd(sc)).toBeLessThanOrEqual(d.faultEnd_us);
      expect(d.faultEnd_us).toBeLessThanOrEqual(liveFrom);
      for (const f of sc.faults) {
        if ('until_us' in f) {
          expect(f.until_us, `seed ${seed} ${f.kind}`).not.toBeNull();
          expect(f.until_us!).toBeLessThanOrEqual(liveFrom);
        }
        if ('at_us' in f) expect(f.at_us).toBeGreaterThanOrEqual(sc.warmup_us);
      }
      for (const b of sc.byzantine) expect(b.until_us !== null && b.until_us <= liveFrom, `seed ${seed}`).toBe(true);
    }
    // A short duration squeezes the faults into the first part of the run, still healed.
    for (const seed of SEEDS.slice(0, 20)) {
      const d = drawScenario(seed, { duration_us: 8_000_000 });
      expect(d.faultEnd_us).toBeLessThan(8_000_000 * 0.8);
    }
  });
});

const BROKEN = `name: minting
duration: 6s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1, tables: 2, validator_groups_per_auditor: 2 }
workload: { accounts: 100, rate_tps: 40 }
sabotage: { ledger_mint: true }
`;

describe('swarm command', () => {
  it('prints one line per seed and a totals line, the same in every invocation', async () => {
    const dir = tmp();
    const argv = ['swarm', '--seeds', '2', '--from', '3', '--duration', '8s', '--out', join(dir, 'out')];
    const c = capture();
    expect(await main(argv, c.io)).toBe(0);
    const lines = c.out().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^seed 3 {2}faults \S+ {2}digest [0-9a-f]{12} {2}tps \d+\.\d {2}commits \d+ {2}violations 0 {2}ok$/);
    expect(lines[1]).toMatch(/^seed 4 /);
    expect(lines[2]).toBe('swarm: 2 seeds (3..4): 2 ok, 0 VIOLATION, 0 FAILED');
    // Each drawn scenario goes to stderr before its run, as YAML that validates.
    const docs = c.err().split(/^# swarm seed \d+\n/m).slice(1);
    expect(docs).toHaveLength(2);
    expect(parseScenarioText(docs[0]!.replace(/^swarm: .*\n/m, ''), 's.yaml').seed).toBe(3);
    // Nothing violated: no scenario file, only the results (swarm.json, swarm.csv).
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['swarm.csv', 'swarm.json']);
    const again = capture();
    expect(await main(argv, again.io)).toBe(0);
    expect(again.out()).toBe(c.out());
    // --json: the same outcome, one object per line.
    const j = capture();
    expect(await main([...argv, '--json'], j.io)).toBe(0);
    const objs = j.out().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(objs[0]).toMatchObject({ seed: 3, verdict: 'ok', violations: 0, file: null });
    expect(objs[0].digest.slice(0, 12)).toBe(lines[0]!.match(/digest (\w+)/)![1]);
    expect(objs[2]).toEqual({ totals: { seeds: 2, from: 3, to: 4, ok: 2, violation: [], failed: [] } });
  });

  it('writes a violating seed\'s scenario with the command that reproduces it, and exits 1', async () => {
    const dir = tmp();
    const base = join(dir, 'minting.yaml');
    writeFileSync(base, BROKEN);
    const out = join(dir, 'found');
    const c = capture();
    expect(await main(['swarm', '--seeds', '1', '--base', base, '--out', out, '--json'], c.io)).toBe(1);
    const [first, totals] = c.out().trimEnd().split('\n').map((l) => JSON.parse(l));
    const file = join(out, 'minting-seed1.yaml');
    expect(first).toMatchObject({ seed: 1, scenario: 'minting', verdict: 'VIOLATION', file, reproduce: `npm run sim -- run ${file}` });
    expect(first.first_violation.check).toBe('conservation');
    expect(totals.totals).toMatchObject({ ok: 0, violation: [1] });
    // The file keeps the base's own lines and adds the drawn faults.
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# Drawn by: npm run sim -- swarm --seeds 1 --from 1 --base /);
    expect(text).toContain('ledger_mint: true');
    expect(text).not.toContain('costs:');
    // Running that file reproduces the run: the same digest and violation.
    const r = capture();
    expect(await main(['run', file, '--json', '--workers', '1', '--out', join(dir, 'reports')], r.io)).toBe(1);
    const s = JSON.parse(r.out());
    expect(s.digest).toBe(first.digest);
    expect(s.violations[0]).toEqual(first.first_violation);
    // The text form names the violation and the command.
    const t = capture();
    expect(await main(['swarm', '--seeds', '1', '--base', base, '--out', out], t.io)).toBe(1);
    expect(t.out()).toMatch(/ {2}violations \d+ \(conservation\) {2}VIOLATION\n {2}first violation: conservation at \d+\.\d{6}s, /);
    expect(t.out()).toContain(`  reproduce: npm run sim -- run ${file}\n`);
    expect(t.out()).toMatch(/swarm: 1 seed \(1\.\.1\): 0 ok, 1 VIOLATION \(seed 1\), 0 FAILED\n$/);
  });

  it('bad flags exit 2 with one line naming the problem', async () => {
    const dir = tmp();
    const short = join(dir, 'short.yaml');
    writeFileSync(short, BROKEN.replace('duration: 6s', 'duration: 3s'));
    const cases: [string[], RegExp][] = [
      [['swarm'], /^error: missing --seeds N/],
      [['swarm', '--seeds', '0'], /^error: --seeds: expected an integer from 1 to 10000, got "0"/],
      [['swarm', '--seeds', '10001'], /^error: --seeds: expected an integer from 1 to 10000/],
      [['swarm', '--seeds', '2', '--from', '-1'], /^error: --from: expected an integer/],
      [['swarm', '--seeds', '2', '--duration', 'soon'], /^error: --duration: expected a duration from 5s to 168h like "60s", got "soon"/],
      [['swarm', '--seeds', '2', '--duration', '2s'], /^error: --duration: expected a duration from 5s to 168h/],
      [['swarm', '--seeds', '2', '--workers', '0'], /^error: --workers: expected an integer from 1 to 64/],
      [['swarm', '--seeds', '2', '--bogus'], /^error: unknown option --bogus/],
      [['swarm', '--seeds', '2', 'scenarios/default.yaml'], /^error: swarm takes no scenario file \(use --base FILE\)/],
      [['swarm', '--seeds', '2', '--base', join(dir, 'missing.yaml')], /^error: .*missing\.yaml: file not found/],
      [['swarm', '--seeds', '2', '--base', short], /^error: --base: .*short\.yaml runs 3s; a swarm needs at least 5s/],
    ];
    for (const [argv, re] of cases) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err(), argv.join(' ')).toMatch(re);
      expect(c.out()).toBe('');
    }
  });
});
