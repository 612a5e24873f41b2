import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { estimateMemory, wontFit } from '../sim/runner/memory.js';
import { loadScenario, applyOverrides } from '../sim/scenario/index.js';
import { capture, scenario } from './helpers.js';

/**
 * A run too large for the machine is refused before it is built: its memory is estimated from
 * the scenario, and the refusal names the largest part and what shrinks it. The estimate tracks
 * measured peaks (sim/runner/memory.ts) closely enough to refuse only what cannot fit.
 */
const ROOT = join(import.meta.dirname, '..');
const GiB = 2 ** 30;
const HERE = 0.9 * 24 * GiB; // what a run may use on a 24 GiB machine

/** The largest topology the schema allows: 559,360 nodes. */
const LARGEST = {
  duration: '10s',
  topology: {
    tables: 1024, auditor_groups: 64, validator_groups_per_auditor: 16, validators: 512, auditors: 512,
    edges: 512, beacons: 256, archives: 512, standby_validators: 512, standby_auditors: 512,
  },
};

describe('memory estimate', () => {
  it('stays within 20% of the measured peaks of the bench scenarios', () => {
    const gb = (file: string, duration_us?: number, replica_state: 'shared' | 'own' = 'shared') => {
      const sc = applyOverrides(loadScenario(join(ROOT, file)), duration_us === undefined ? {} : { duration_us, warmup_us: 0 });
      return estimateMemory({ ...sc, replica_state }).bytes / 1e9;
    };
    // Measured (one process, 2 workers), in-sync replicas sharing their state (the default):
    // top-100k 30 s 10.3 GB; nodes-10k 20 s 2.04 GB.
    expect(gb('scenarios/bench/top-100k.yaml')).toBeGreaterThan(10.3 * 0.95);
    expect(gb('scenarios/bench/top-100k.yaml')).toBeLessThan(10.3 * 1.2);
    expect(gb('scenarios/bench/nodes-10k.yaml')).toBeGreaterThan(2.04 * 0.95);
    expect(gb('scenarios/bench/nodes-10k.yaml')).toBeLessThan(2.04 * 1.2);
    expect(gb('scenarios/default.yaml')).toBeLessThan(0.3);
    // Every replica with its own state: top-100k 30 s 16.9 GB (2 workers), 3 s 3.25 GB; nodes-10k 20 s 2.66 GB.
    expect(gb('scenarios/bench/top-100k.yaml', undefined, 'own')).toBeGreaterThan(16.9 * 0.95);
    expect(gb('scenarios/bench/top-100k.yaml', undefined, 'own')).toBeLessThan(16.9 * 1.2);
    expect(gb('scenarios/bench/top-100k.yaml', 3e6, 'own')).toBeLessThan(3.25 * 1.2);
    expect(gb('scenarios/bench/nodes-10k.yaml', undefined, 'own')).toBeLessThan(2.66 * 1.2);
  });

  it('refuses the largest topology and the largest load, naming what to shrink, and passes the bench scenarios', () => {
    const big = wontFit(scenario(LARGEST), 2, HERE);
    expect(big).toMatch(/^this run needs about \d+\.\d GB of memory, more than the 23\.2 GB it may use here; most of it for 1,572,864 table replicas \(\d+\.\d GB\): shrink topology\.tables, topology\.validators, topology\.auditors or workload\.accounts$/);
    const load = wontFit(scenario({ duration: '168h', topology: { edges: 10 }, workload: { rate_tps: 10_000_000 } }), 1, HERE);
    expect(load).toMatch(/most of it for 6,048,000,000,000 transactions .*: shrink workload\.rate_tps \(or schedule\) or duration$/);
    for (const f of ['top-100k', 'top-mainnet-impl', 'nodes-10k']) {
      expect(wontFit(loadScenario(join(ROOT, 'scenarios', 'bench', `${f}.yaml`)), 2, HERE)).toBeNull();
    }
  });

  it('run, sweep and bench refuse a run that will not fit, with exit 2, one line and nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'topsim-memory-'));
    const file = join(dir, 'big.yaml');
    writeFileSync(file, `name: big\nduration: 10s\ntopology: ${JSON.stringify(LARGEST.topology)}\n`);
    const out = join(dir, 'out');
    const c = capture();
    expect(await main(['run', file, '--out', out], { ...c.io, memory_bytes: HERE })).toBe(2);
    expect(c.err()).toMatch(/^error: .*big\.yaml: this run needs about .* GB of memory, .*: shrink topology\.tables/);
    expect(c.err().trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    // A small machine refuses even the default scenario; sweep checks every point first.
    const small = capture();
    const def = join(ROOT, 'scenarios', 'default.yaml');
    expect(await main(['sweep', def, '--set', 'rate=10,100', '--out', out], { ...small.io, memory_bytes: 50e6 })).toBe(2);
    expect(small.err()).toMatch(/^error: --set rate_tps=10: this run needs about \d+ MB of memory, more than the 50 MB/);
    expect(existsSync(out)).toBe(false);
  });
});
