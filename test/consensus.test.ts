import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { commitTimes, gaps, run, scenario, scenarioFile, SMALL_NET } from './helpers.js';

const SCENARIOS = join(import.meta.dirname, '..', 'scenarios');

describe('xBFT for one table (docs/PROTOCOL.md §8)', () => {
  it('commits steadily with no faults, about 3(n-1) messages per block', () => {
    // Proves the message pattern of §8.3: one proposal tree, n-1 votes, one certificate tree.
    const r = run(scenario({
      duration: '30s', warmup: '5s', network: SMALL_NET,
      topology: { validators: 7, auditors: 7, edges: 1 }, workload: { rate_tps: 50 },
    }));
    const s = r.summary;
    expect(s.violations).toEqual([]);
    expect(s.tables[0].height_committed).toBeGreaterThan(15);
    expect(Math.max(...gaps(commitTimes(r)))).toBeLessThan(5_000_000);
    const n = 14;
    expect(s.tables[0].messages_per_block).toBeGreaterThanOrEqual(3 * (n - 1) - 1);
    expect(s.tables[0].messages_per_block).toBeLessThanOrEqual(3 * n);
    expect(s.tps_final).toBeGreaterThan(40);
    expect(s.tps_final).toBeLessThan(60);
  });

  it('at low load, intra-table finality is near 3 s, from the pacing rules', () => {
    // Proves §9.5: the pack threshold falls to 0 only after 1 s and two empty blocks push a
    // light block to commit, so a lone transfer waits ~1 s three times (W + 3T).
    const r = run(scenario({
      duration: '60s', warmup: '5s', network: SMALL_NET,
      topology: { validators: 4, auditors: 4, edges: 1 }, workload: { rate_tps: 0.5, arrival: 'constant' },
    }));
    const lat = r.summary.latency_final_ms.all;
    expect(lat.count).toBeGreaterThan(10);
    expect(lat.p50).toBeGreaterThan(2500);
    expect(lat.p50).toBeLessThan(3600);
    expect(r.summary.tables[0].blocks_empty).toBeGreaterThan(10);
  });

  it('a crashed leader stalls the table for 20-30 s, then commits resume', () => {
    // Proves the clock-driven view change (§8.2, MC-6): without a leader no certificate forms
    // until the view moves on by 3 clock ticks of 10 s, counted from the last certified block.
    const r = run(scenarioFile(join(SCENARIOS, 'leader-crash.yaml'), { duration_us: 60_000_000 }));
    const times = commitTimes(r);
    const g = gaps(times);
    const first = g.findIndex((x) => x > 5_000_000);
    expect(first).toBeGreaterThan(3);
    expect(g[first]).toBeGreaterThanOrEqual(20_000_000);
    expect(g[first]).toBeLessThanOrEqual(31_000_000);
    // Commits resume after the stall.
    expect(times.length - (first + 1)).toBeGreaterThanOrEqual(3);
    const crashed = r.summary.nodes.filter((x) => x.crashed).map((x) => x.node);
    expect(crashed).toHaveLength(1);
    expect(r.summary.violations).toEqual([]);
  });

  it('keeps committing with ⌊n/3⌋ validators crashed, and stalls with one more', () => {
    // Proves the quorum ⌊2n/3⌋+1 per group (§8.4): 7 validators tolerate 2 crashes, not 3.
    // Crashed members still win leader draws (until an election rotates them out), so the
    // table also stalls 20-30 s whenever one of them leads; certificates still form between.
    const base = {
      duration: '60s', warmup: '5s', network: SMALL_NET,
      topology: { validators: 7, auditors: 7, edges: 1 }, workload: { rate_tps: 30 },
    };
    const ok = run(scenario({ ...base, faults: [{ kind: 'crash', at: '10s', nodes: ['v5', 'v6'] }] }));
    const okTimes = commitTimes(ok);
    expect(okTimes.filter((t) => t > 15_000_000).length).toBeGreaterThanOrEqual(5);
    expect(ok.summary.violations).toEqual([]);
    const stalled = run(scenario({ ...base, faults: [{ kind: 'crash', at: '10s', nodes: ['v4', 'v5', 'v6'] }] }));
    const stTimes = commitTimes(stalled);
    expect(stTimes.filter((t) => t > 15_000_000)).toEqual([]);
    expect(stalled.summary.violations).toEqual([]);
  });
});
