/**
 * Bystack's swarm drawing (sim/protocol/bystack/draw.ts): the drawn files validate, every fault
 * ends inside the fault phase, the tolerance rules hold on the nodes the run actually picks, the
 * same seed draws the same file, a handful of drawn runs finish with no violation, and the CLI's
 * `swarm --family bystack` draws them.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { capture } from './helpers.js';
import { drawnYaml } from '../sim/cli/swarm.js';
import { drawScenario, faultWindow, LIVENESS_MARGIN_US, SWARM_FAMILIES, type DrawBase } from '../sim/scenario/draw.js';
import { parseScenarioText } from '../sim/scenario/index.js';
import { loadScenarioFile } from '../sim/scenario/load.js';
import { genericFault, type Scenario } from '../sim/scenario/types.js';
import { buildRun, faultPhaseEnd, resolveSelectors } from '../sim/runner/build.js';
import { runScenario } from '../sim/runner/run.js';
import { asBystack, type BystackScenario } from '../sim/protocol/bystack/scenario.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'topsim-bystack-swarm-'));
const SEEDS = Array.from({ length: 150 }, (_, i) => i + 1);
const bystack = (seed: number, o: { base?: DrawBase; duration_us?: number } = {}) =>
  drawScenario(seed, { ...o, family: o.base === undefined ? 'bystack' : undefined });

function base(name: string): DrawBase {
  const { data, scenario } = loadScenarioFile(join('scenarios', `${name}.yaml`));
  return { file: data as Record<string, unknown>, scenario };
}
const BASES = ['bystack', 'vapor', 'federation-signer-down', 'bytom-mainchain'].map(base);

/** What draw.ts allows each chance-bounded rule (its RISK); the checks below compute the chances their own way. */
const RISK = 1e-7;

/** P(a miner of share a finds c+1 blocks before the others find c), summed term by term. */
function raceWin(a: number, c: number): number {
  let p = 0;
  for (let k = 0; k < c; k++) {
    let binom = 1;
    for (let i = 1; i <= k; i++) binom = (binom * (c + i)) / i;
    p += binom * Math.pow(a, c + 1) * Math.pow(1 - a, k);
  }
  return p;
}

/** The drawn scenario's problems with Bystack's tolerance rules, counted on the nodes the run picks. */
function toleranceProblems(sc: BystackScenario): string[] {
  const { nodes } = buildRun(sc, { local: 'none' });
  const names = (sel: readonly string[], site: string) => resolveSelectors(sel, sc, nodes, site).map((i) => nodes[i].name);
  const m = sc.mainchain;
  const P = sc.vapor.producers;
  const S = sc.federation.signers;
  const fanout = sc.network.relay_fanout;
  const problems: string[] = [];
  // Who is out when: crashed or on a side of a partition (by node), and the main-chain splits;
  // miners cut off from the signers (crashed, or cut off from everyone else).
  const out: { at: number; until: number; nodes: string[] }[] = [];
  const minersCut: { at: number; until: number; nodes: string[] }[] = [];
  let split = 0;
  sc.faults.forEach((raw, fi) => {
    const f = genericFault(raw);
    if (f === null) return problems.push(`faults/${fi}: ${raw.kind} is no generic fault`);
    if (f.kind === 'clock') return problems.push(`faults/${fi}: a clock fault`);
    const until = f.until_us ?? Infinity;
    if (f.kind === 'crash') {
      const who = names(f.nodes, `faults/${fi}/nodes`);
      if (f.state !== 'kept') problems.push(`faults/${fi}: state ${f.state}`);
      if (who.includes('f0')) problems.push(`faults/${fi}: f0 crashes`);
      if (who.some((n) => /^[mnf]/.test(n))) split += until - f.at_us;
      out.push({ at: f.at_us, until, nodes: who });
      minersCut.push({ at: f.at_us, until, nodes: who });
      return;
    }
    const a = names(f.a, `faults/${fi}/a`);
    const b = f.b.length > 0 ? names(f.b, `faults/${fi}/b`) : nodes.map((n) => n.name).filter((n) => !a.includes(n));
    if (f.direction !== 'both') problems.push(`faults/${fi}: one-way`);
    if ([...f.a, ...f.b].some((s) => /^f\d|signers|all|region:/.test(s))) problems.push(`faults/${fi}: names signers`);
    if (f.kind === 'degrade') {
      if (f.loss_percent > 0) problems.push(`faults/${fi}: loses ${f.loss_percent}%`);
      return;
    }
    const main = (xs: string[]) => xs.some((n) => /^[mnf]/.test(n));
    if (main(a) && main(b)) split += until - f.at_us;
    out.push({ at: f.at_us, until, nodes: f.b.length > 0 ? [...a, ...b] : a });
    if (f.b.length === 0) minersCut.push({ at: f.at_us, until, nodes: a });
  });
  // Main-chain splits: at most 2c blocks' worth of time, by the Poisson tail itself.
  const lambda = split / m.block_interval_us;
  let tail = 0;
  let term = Math.exp(-lambda);
  for (let k = 0; k < 400; k++) {
    if (k >= 2 * m.confirmations) tail += term;
    term *= lambda / (k + 1);
  }
  if (tail > RISK) problems.push(`main-chain splits last ${split / 1e6} s (P = ${tail.toExponential(2)})`);
  // Producers absent (withholding, crashed, cut off) and out (crashed, cut off), miners out, per moment.
  const withheld = sc.byzantine.flatMap((b, bi) => (b.behavior === 'withhold_signatures'
    ? [{ at: b.at_us, until: b.until_us ?? Infinity, nodes: names(b.nodes, `byzantine/${bi}/nodes`) }] : []));
  const moments = new Set([...out, ...minersCut, ...withheld].map((x) => x.at));
  const pegs = S > 0;
  for (const t of moments) {
    const at = (xs: typeof out) => new Set(xs.filter((x) => x.at <= t && t < x.until).flatMap((x) => x.nodes));
    const down = [...at(out)];
    const absent = new Set([...down, ...at(withheld)]);
    const producersAbsent = [...absent].filter((n) => n[0] === 'p').length;
    if (producersAbsent > 0 && producersAbsent > P - (Math.floor((2 * P) / 3) + 1)) problems.push(`${producersAbsent} of ${P} producers absent at ${t / 1e6} s`);
    const producersDown = down.filter((n) => n[0] === 'p').length;
    if (pegs && sc.workload.peg_in_percent > 0 && producersDown > fanout - 1) problems.push(`${producersDown} producers out at ${t / 1e6} s`);
    const minersDown = [...at(minersCut)].filter((n) => n[0] === 'm').length;
    const minersMax = pegs && sc.workload.peg_out_percent > 0 ? 0 : m.miners - 1;
    if (minersDown > minersMax) problems.push(`${minersDown} miners cut off at ${t / 1e6} s`);
  }
  // Withholding signers over the whole run; selfish mining by one miner within the race bound.
  const pegWithheld = new Set(sc.byzantine.flatMap((b, bi) => (b.behavior === 'withhold_peg_signatures' ? names(b.nodes, `byzantine/${bi}/nodes`) : [])));
  if (pegWithheld.size > 0 && pegWithheld.size > S - sc.federation.quorum) problems.push(`${pegWithheld.size} of ${S} signers withhold at quorum ${sc.federation.quorum}`);
  const selfish = sc.byzantine.filter((b) => b.behavior === 'selfish_mining');
  if (selfish.length > 1 || (selfish[0] !== undefined && selfish[0].nodes.length !== 1)) problems.push('more than one selfish miner');
  for (const b of selfish) {
    const miner = names(b.nodes, 'selfish')[0];
    const alpha = m.hash_share_bp[Number(miner.slice(1))] / 10_000;
    const episodes = (alpha * ((b.until_us ?? Infinity) - b.at_us)) / m.block_interval_us;
    if (episodes * raceWin(alpha, m.confirmations) > RISK) problems.push(`selfish ${miner} at ${alpha * 100}%: P = ${(episodes * raceWin(alpha, m.confirmations)).toExponential(2)}`);
  }
  for (const b of sc.byzantine) if (b.behavior === 'double_sign') problems.push('double_sign drawn');
  return problems;
}

describe('Bystack swarm drawing', () => {
  it('every drawn scenario is a Bystack one that validates, also as the YAML written to disk', () => {
    // Proves the drawing never produces a file the loader rejects, from the built-in base, from
    // shipped Bystack files and at a short duration, and that the YAML reads back the same.
    for (const seed of SEEDS) {
      for (const d of [bystack(seed), bystack(seed, { duration_us: 8_000_000 }), bystack(seed, { base: BASES[seed % BASES.length] })]) {
        expect(d.scenario.protocol.family, `seed ${seed}`).toBe('bystack');
        expect(parseScenarioText(drawnYaml(d, ' header'), `seed${seed}.yaml`), `seed ${seed}`).toEqual(d.scenario);
      }
      expect(bystack(seed, { duration_us: 8_000_000 }).scenario.duration_us).toBe(8_000_000);
    }
  });

  it('the same seed draws the same file; different seeds draw different scenarios of every kind', () => {
    const a = SEEDS.map((s) => drawnYaml(bystack(s), ''));
    expect(SEEDS.map((s) => drawnYaml(bystack(s), ''))).toEqual(a);
    expect(new Set(a).size).toBe(SEEDS.length);
    const kinds = new Set(SEEDS.flatMap((s) => bystack(s).kinds));
    expect([...kinds].sort()).toEqual(['byz:selfish_mining', 'byz:withhold_peg_signatures', 'byz:withhold_signatures', 'crash', 'degrade', 'partition']);
    // The base varies: with and without Vapor and a federation, and the faults reach every role.
    const files = SEEDS.map((s) => bystack(s).file as { vapor: { producers: number }; federation: { signers: number }; faults: object[] });
    expect(files.filter((f) => f.vapor.producers > 0).length).toBeGreaterThan(SEEDS.length / 3);
    expect(files.filter((f) => f.federation.signers > 0).length).toBeGreaterThan(SEEDS.length / 8);
    const sides = JSON.stringify(files.map((f) => f.faults));
    for (const who of ['"m', '"n', '"p', '"e', '"f', 'of miners', 'of producers']) expect(sides, who).toContain(who);
  });

  it('TOP\'s drawing is untouched: family top draws what the default draws', () => {
    for (const seed of SEEDS.slice(0, 40)) {
      expect(drawnYaml(drawScenario(seed, { family: 'top' }), '')).toBe(drawnYaml(drawScenario(seed), ''));
    }
    expect(SWARM_FAMILIES).toEqual(['top', 'bystack']);
    expect(() => drawScenario(1, { family: 'bystack', base: base('default') })).toThrow(/family bystack asked for a base of family top/);
  });

  it('every fault and byzantine behaviour ends inside the fault phase', () => {
    for (const seed of SEEDS) {
      const builtIn = bystack(seed);
      // The built-in base always has room for a whole liveness phase after the faults.
      const sc0 = builtIn.scenario;
      expect(builtIn.faultEnd_us, `seed ${seed}`).toBeLessThanOrEqual(sc0.duration_us - sc0.checks.liveness_bound_us - LIVENESS_MARGIN_US);
      for (const d of [builtIn, bystack(seed, { base: BASES[seed % BASES.length], duration_us: 600_000_000 })]) {
        const sc = d.scenario;
        const { from_us, to_us } = faultWindow(sc);
        expect(faultPhaseEnd(sc), `seed ${seed}`).toBeLessThanOrEqual(d.faultEnd_us);
        expect(d.faultEnd_us).toBeLessThanOrEqual(to_us);
        for (const f of sc.faults) {
          expect(f.at_us, `seed ${seed} ${f.kind}`).toBeGreaterThanOrEqual(from_us);
          expect(f.until_us, `seed ${seed} ${f.kind}`).not.toBeNull();
          expect(f.until_us!).toBeLessThanOrEqual(to_us);
        }
        for (const b of sc.byzantine) {
          expect(b.at_us).toBeGreaterThanOrEqual(from_us);
          expect(b.until_us !== null && b.until_us <= to_us, `seed ${seed} ${b.behavior}`).toBe(true);
        }
      }
    }
  });

  it('the tolerance rules hold for any seed, base and duration', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(-1, 0, 1, 2, 3),
        fc.constantFrom(undefined, 8_000_000, 300_000_000),
        (seed, b, duration_us) => {
          const d = bystack(seed, { base: b < 0 ? undefined : BASES[b], duration_us });
          expect(toleranceProblems(asBystack(d.scenario)), `seed ${seed} base ${b} duration ${duration_us}`).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the tolerance check can fail', () => {
    // Proves toleranceProblems is not vacuous: each rule, broken once, is reported.
    const sc = asBystack(bystack(4).scenario);
    const over = (patch: Partial<Scenario>) => toleranceProblems({ ...sc, ...patch } as BystackScenario);
    const at = 60_000_000;
    const crash = (nodes: string[], until = at + 1_000_000) => ({ kind: 'crash' as const, at_us: at, until_us: until, nodes, state: 'kept' as const });
    expect(over({ faults: [crash(['f0'])], byzantine: [] })).toEqual(['faults/0: f0 crashes']);
    expect(over({ faults: [crash(['n0'], at + 60_000_000)], byzantine: [] })).toEqual([expect.stringMatching(/^main-chain splits last 60 s/)]);
    expect(over({ faults: [crash(['p0', 'p1'])], byzantine: [] })).toEqual([`2 of 4 producers absent at ${at / 1e6} s`]);
    expect(over({ faults: [crash(['m0'])], byzantine: [] })).toEqual([`1 miners cut off at ${at / 1e6} s`]);
    expect(over({ faults: [], byzantine: [{ nodes: ['f0', 'f1', 'f2', 'f3', 'f4'], behavior: 'withhold_peg_signatures', at_us: at, until_us: at + 1 }] }))
      .toEqual([`5 of 5 signers withhold at quorum ${sc.federation.quorum}`]);
    const big = sc.mainchain.hash_share_bp.indexOf(Math.max(...sc.mainchain.hash_share_bp));
    expect(over({ faults: [], byzantine: [{ nodes: [`m${big}`], behavior: 'selfish_mining', at_us: at, until_us: at + 100_000_000 }] }))
      .toEqual([expect.stringMatching(new RegExp(`^selfish m${big} at \\d+%`))]);
  });
});

/** Seeds whose drawn runs cover the main chain alone, Vapor, a federation, selfish mining and every fault kind. */
const RUN_SEEDS = [1, 4, 6, 8, 14, 15, 16, 18];

describe('Bystack swarm runs', () => {
  it('a handful of drawn scenarios run to the end with no violation', () => {
    const seen = new Set<string>();
    for (const seed of RUN_SEEDS) {
      const d = bystack(seed);
      d.kinds.forEach((k) => seen.add(k));
      if (asBystack(d.scenario).federation.signers > 0) seen.add('federation');
      const s = runScenario(d.scenario).summary;
      expect(s.violations, `seed ${seed}`).toEqual([]);
      expect(s.tables.every((t) => t.height_committed > 0), `seed ${seed}`).toBe(true);
    }
    expect([...seen].sort()).toEqual(['byz:selfish_mining', 'byz:withhold_peg_signatures', 'byz:withhold_signatures', 'crash', 'degrade', 'federation', 'partition']);
  }, 60_000);
});

describe('swarm --family', () => {
  it('draws Bystack scenarios, and the header of each reproduces the flag', async () => {
    const dir = tmp();
    const c = capture();
    expect(await main(['swarm', '--seeds', '2', '--from', '4', '--family', 'bystack', '--out', join(dir, 'out')], c.io)).toBe(0);
    const lines = c.out().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^seed 4 {2}faults \S+ {2}digest [0-9a-f]{12} {2}tps \d+\.\d {2}commits \d+ {2}violations 0 {2}ok$/);
    expect(lines[2]).toBe('swarm: 2 seeds (4..5): 2 ok, 0 VIOLATION, 0 FAILED');
    const docs = c.err().split(/^# swarm seed \d+\n/m).slice(1);
    expect(docs).toHaveLength(2);
    expect(docs[0]).toMatch(/^# Drawn by: npm run sim -- swarm --seeds 1 --from 4 --family bystack\n/);
    const sc = parseScenarioText(docs[1]!.replace(/^(#|swarm: ).*\n/gm, ''), 's.yaml');
    expect(sc.seed).toBe(5);
    expect(sc.protocol.family).toBe('bystack');
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['swarm.csv', 'swarm.json']);
    // The help lists the flag.
    const h = capture();
    expect(await main(['help', 'swarm'], h.io)).toBe(0);
    expect(h.out()).toMatch(/--family NAME +the family of the built-in small network: top or bystack/);
  });

  it('an unknown family, or a base of another family, exits 2 with one line naming the flag', async () => {
    const cases: [string[], string][] = [
      [['swarm', '--seeds', '1', '--family', 'bitcoin'], 'error: --family: expected one of top, bystack, got "bitcoin"'],
      [['swarm', '--seeds', '1', '--family', 'bystack', '--base', 'scenarios/default.yaml'],
        'error: --family bystack: --base scenarios/default.yaml is a top scenario (give one of the two, or a bystack base)'],
      [['swarm', '--seeds', '1', '--family', 'top', '--base', 'scenarios/vapor.yaml'],
        'error: --family top: --base scenarios/vapor.yaml is a bystack scenario (give one of the two, or a top base)'],
    ];
    for (const [argv, line] of cases) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err().split('\n')[0]).toBe(line);
      expect(c.out()).toBe('');
    }
  });
});
