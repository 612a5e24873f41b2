import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { anyScenarioFile, familyOf, run, scenario, scenarioFile, SMALL_NET } from './helpers.js';
import { loadScenario } from '../sim/scenario/index.js';
import { top } from './helpers.js';

const SCENARIOS = join(import.meta.dirname, '..', 'scenarios');

describe('determinism (docs/DESIGN.md contracts 3, 4, 6)', () => {
  it('every scenario in scenarios/ gives the same digest twice (the second time with a copy of state per replica)', () => {
    // Proves replay: same scenario + seed = same digest, for each shipped scenario (short runs);
    // and that state shared by in-sync replicas gives what a copy per replica gives (contract 5).
    const files = readdirSync(SCENARIOS).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.schema.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      // Big networks get a shorter run: the point is the digest, not the figures. A proof-of-work
      // chain (Bystack's main chain alone) needs minutes for a few blocks; with Vapor beside it,
      // five minutes hold 600 Vapor blocks and two or three main-chain ones.
      const big = /mainnet|viz-1k/.test(f);
      const bystack = familyOf(loadScenario(join(SCENARIOS, f))) === 'bystack';
      const pow = bystack && /mainchain|selfish/.test(f);
      const both = bystack && /bystack|federation/.test(f);
      const sc = anyScenarioFile(join(SCENARIOS, f), {
        duration_us: pow ? 1_200_000_000 : both ? 300_000_000 : big ? 3_000_000 : 15_000_000,
      });
      expect(sc.replica_state).toBe('shared');
      const a = run(sc).summary;
      const b = run({ ...sc, replica_state: 'own' }).summary;
      expect(b.digest, f).toBe(a.digest);
      expect(b.events, f).toBe(a.events);
      const same = (s: typeof a) => ({ ...s, wall: null, scenario_file: { ...s.scenario_file, replica_state: null } });
      expect(same(b), f).toEqual(same(a));
    }
  });

  it('a different seed changes the digest', () => {
    // Proves the seed reaches the streams (jitter, workload, leaders).
    const sc = scenarioFile(join(SCENARIOS, 'default.yaml'), { duration_us: 15_000_000 });
    const a = run(sc).summary.digest;
    const b = run({ ...sc, seed: sc.seed + 1 }).summary.digest;
    expect(b).not.toBe(a);
  });

  it('real and modeled crypto give the same digest', () => {
    // Proves contract 6: signature bytes stay out of the digest; verification outcomes and costs
    // are the same in both modes. Real mode signs and verifies with secp256k1 Schnorr.
    const base = {
      duration: '12s', warmup: '2s', network: SMALL_NET,
      topology: { validators: 4, auditors: 4, edges: 1 },
      workload: { accounts: 100, rate_tps: 20 },
    };
    const modeled = run(scenario({ ...base, crypto: 'modeled' }));
    const real = run(scenario({ ...base, crypto: 'real' }));
    expect(top(real.built).ctx.signer.mode).toBe('real');
    expect(top(real.built).ctx.signer.stats.verifies).toBeGreaterThan(0);
    expect(modeled.summary.tx_final).toBeGreaterThan(100);
    expect(real.summary.digest).toBe(modeled.summary.digest);
    expect(real.summary.tx_final).toBe(modeled.summary.tx_final);
  });
});
