/**
 * The scenario library (scenarios/README.md, "The scenarios here"): each shipped scenario's
 * expected outcome, asserted on a full run of the file as shipped. A scenario whose outcome
 * changes must change its README row with it.
 */
import { describe, expect, it } from 'vitest';
import { electionsOf } from '../sim/protocol/top/summary.js';
import { join } from 'node:path';
import { loadScenario, parseScenario, scenarioToFile } from '../sim/scenario/index.js';
import { runScenario, type RunResult } from '../sim/runner/run.js';
import type { Scenario } from '../sim/scenario/types.js';

const SCENARIOS = join(import.meta.dirname, '..', 'scenarios');
const S = 1e6;

function load(name: string): Scenario {
  return loadScenario(join(SCENARIOS, `${name}.yaml`));
}

/** The same scenario without its faults and byzantine nodes: the honest twin to compare with. */
function honest(sc: Scenario): Scenario {
  return parseScenario({ ...scenarioToFile(sc), faults: [], byzantine: [] });
}

/** Commit times (µs, first commit of each height) of one table. */
function commits(r: RunResult, table: number): number[] {
  return r.built.metrics.chains[table].commitTimes.slice(1).filter((t): t is number => t !== undefined);
}

const within = (times: number[], from: number, to: number) => times.filter((t) => t >= from && t < to).length;

describe('scenario library: each expected outcome', () => {
  it('leader-crash: a 20-30 s stall at the crashed leader\'s view, then commits resume; each later view it leads fails alike', () => {
    const r = runScenario(load('leader-crash'));
    expect(r.summary.violations).toEqual([]);
    const t = commits(r, 0);
    const gaps = t.slice(1).map((x, i) => ({ at: t[i], gap: x - t[i] })).filter((g) => g.gap > 10 * S);
    expect(gaps.length).toBeGreaterThan(0);
    expect(gaps[0].at).toBeLessThan(15 * S);
    for (const g of gaps) {
      expect(g.gap).toBeGreaterThanOrEqual(18 * S);
      expect(g.gap).toBeLessThanOrEqual(32 * S);
    }
    expect(r.summary.nodes.filter((n) => n.crashed).length).toBe(1);
  });

  it('group-third-crash: two of seven crashed per group, the group still commits, the other cluster never stalls', () => {
    const sc = load('group-third-crash');
    const r = runScenario(sc);
    expect(r.summary.violations).toEqual([]);
    expect(r.summary.nodes.filter((n) => n.crashed).length).toBe(4);
    // Group 0 (tables 0 and 1) commits while four of its cluster's members are down.
    for (const t of [0, 1]) expect(within(commits(r, t), 15 * S, 45 * S)).toBeGreaterThan(0);
    // Cluster 1 (tables 4..7) never stalls: its commits keep the honest pace (about one a second).
    for (const t of [4, 5, 6, 7]) expect(r.summary.tables[t].stall_s_max).toBeLessThan(6);
  });

  it('partition-heal: no certificate while partitioned, nothing unsafe, commits resume within the bound after the heal', () => {
    const sc = load('partition-heal');
    const r = runScenario(sc);
    expect(r.summary.violations).toEqual([]);
    const t = commits(r, 0);
    // Blocks certified just before the cut may still commit in its first seconds.
    expect(within(t, 25 * S, 50 * S)).toBe(0);
    const after = t.find((x) => x >= 50 * S)!;
    expect(after - 50 * S).toBeLessThanOrEqual(sc.checks.liveness_bound_us);
    expect(within(t, 50 * S, 120 * S)).toBeGreaterThan(20);
    expect(r.summary.phases.fault_end_s).toBe(50);
  });

  it('region-outage: Virginia down for 40 s, tables keep committing unless two views in a row fall to its nodes', () => {
    const r = runScenario(load('region-outage'));
    expect(r.summary.violations).toEqual([]);
    expect(r.summary.nodes.filter((n) => n.region === 'Virginia' && n.crashed).length).toBe(11);
    const live = Array.from({ length: 8 }, (_, t) => within(commits(r, t), 25 * S, 60 * S)).filter((n) => n > 0);
    expect(live.length).toBeGreaterThanOrEqual(4);
    // A stall is at most two failed views (a Virginia validator, then a Virginia auditor).
    for (const t of r.summary.tables) expect(t.stall_s_max, `table ${t.table}`).toBeLessThanOrEqual(60);
  });

  it('lossy-wan: latency rises against the clean network, commits continue, nothing unsafe', () => {
    const sc = load('lossy-wan');
    const r = runScenario(sc).summary;
    const clean = runScenario(honest(sc)).summary;
    expect(r.violations).toEqual([]);
    expect(r.latency_final_ms.all.p50).toBeGreaterThan(1.5 * (clean.latency_final_ms.all.p50 ?? NaN));
    expect(r.tps_final).toBeLessThan(clean.tps_final);
    expect(r.tables[0].height_committed).toBeGreaterThan(20);
  });

  it('receipt-loss: receipts of one table pair wait for the resend (head-of-line), then all arrive', () => {
    const sc = load('receipt-loss');
    const r = runScenario(sc).summary;
    const clean = runScenario(honest(sc)).summary;
    expect(r.violations).toEqual([]);
    expect(clean.latency_final_ms.cross_table.max).toBeLessThan(15_000);
    expect(r.latency_final_ms.cross_table.max).toBeGreaterThan(40_000);
    // Intra-table transfers are untouched, and in the end every accepted transfer is final.
    expect(r.latency_final_ms.intra_table.max).toBeLessThan(15_000);
    expect(r.tx_final).toBe(clean.tx_final);
  });

  it('churn-join-leave: leavers elected out and offline, joiners only after registering, tables commit throughout', () => {
    const r = runScenario(load('churn-join-leave'));
    const s = r.summary;
    expect(s.violations).toEqual([]);
    expect(electionsOf(s)!.departed.map((d) => d.node).sort()).toEqual(['a9', 'v2']);
    for (const d of electionsOf(s)!.departed) expect(s.nodes.find((n) => n.node === d.node)!.crashed).toBe(true);
    for (const round of electionsOf(s)!.rounds) {
      if (round.elected_s < 60) expect(round.joined).not.toContain('v32');
      if (round.elected_s < 60) expect(round.joined).not.toContain('v33');
    }
    expect(electionsOf(s)!.rounds.some((x) => x.cluster === 1 && x.elected_s === 50)).toBe(true);
    for (const t of s.tables) expect(t.stall_s_max, `table ${t.table}`).toBeLessThan(10);
  });

  it('byzantine-tolerated: two equivocators per group of seven cause no violation', () => {
    const r = runScenario(load('byzantine-tolerated')).summary;
    expect(r.violations).toEqual([]);
    expect(r.tables[0].height_committed).toBeGreaterThan(10);
  });

  it('byzantine-past-tolerance: three equivocators per group of seven are caught by the safety checker', () => {
    const r = runScenario(load('byzantine-past-tolerance')).summary;
    const checks = new Set(r.violations.map((v) => v.check));
    expect(checks.has('safety')).toBe(true);
    const v = r.violations.find((x) => x.check === 'safety')!;
    expect(v.node).toMatch(/^[va]\d+$/);
  });

  it('seed-grinding: grinding REC nodes seat more favoured validators than honest seeds would', () => {
    const r = runScenario(load('seed-grinding')).summary;
    expect(r.violations).toEqual([]);
    const g = electionsOf(r)!.grinding!;
    expect(g.triggers).toBeGreaterThan(3);
    expect(g.seeds_changed).toBeGreaterThan(0);
    expect(g.favored_seated_ground).toBeGreaterThan(g.favored_seated_fair);
    expect(g.bias).toBeGreaterThan(1.1);
  });
});
