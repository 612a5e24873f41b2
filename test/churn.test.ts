/**
 * Churn and seed grinding: nodes joining and leaving, forced early rotations, and a drand
 * aggregator grinding election seeds (MC-3). Elections are planned before the run, so most of
 * this is checked on the plan (buildRun) and a few runs show the network living through it.
 */
import { describe, expect, it } from 'vitest';
import { electionsOf } from '../sim/protocol/top/summary.js';
import { join } from 'node:path';
import { issueOf, scenarioFile, withFile } from './helpers.js';
import { parseScenario, scenarioToFile } from '../sim/scenario/index.js';
import { buildRun } from '../sim/runner/build.js';
import { runScenario } from '../sim/runner/run.js';
import { top } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');
const churn = scenarioFile(join(ROOT, 'scenarios', 'churn-rotation.yaml'));

/** Every member of a cluster's round. */
const members = (r: { auditors: Int32Array; validators: Int32Array[] }) => [...r.auditors, ...r.validators.flatMap((v) => [...v])];

describe('churn in the scenario format', () => {
  it('rejects impossible churn with path-naming errors', () => {
    expect(issueOf(churn, { faults: [{ kind: 'join', at: '10s', nodes: ['v0'] }] }))
      .toBe('faults[0].nodes[0]: node "v0" is not a standby validator or auditor (joining takes nodes not seated at genesis)');
    expect(issueOf(churn, { faults: [{ kind: 'join', at: '10s', nodes: ['region:London'] }] }))
      .toMatch(/^faults\[0\]\.nodes\[0\]: expected standby nodes by name/);
    expect(issueOf(churn, { faults: [{ kind: 'leave', at: '10s', nodes: ['e0'] }] }))
      .toBe('faults[0].nodes[0]: node "e0" is not a validator or auditor (only they register and leave)');
    expect(issueOf(churn, { faults: [{ kind: 'rotate', at: '10s', clusters: [2] }] }))
      .toBe('faults[0].clusters[0]: expected a cluster from 0 to 1, got 2');
    expect(issueOf(churn, { faults: [{ kind: 'rotate', at: '10s', clusters: [] }] }))
      .toMatch(/^faults\[0\]\.clusters: expected a non-empty list/);
    expect(issueOf(churn, { byzantine: [{ nodes: ['beacons'], behavior: 'grind_seed' }] }))
      .toBe('byzantine[0].behavior: grind_seed needs REC nodes (topology.beacons): they lead the drand rounds');
    expect(issueOf(churn, { byzantine: [{ nodes: ['v0'], behavior: 'silent', tries: 4 }] }))
      .toBe('byzantine[0].tries: applies only to behavior grind_seed, not silent');
    const ok = withFile(churn, {
      faults: [
        { kind: 'join', at: '10s', nodes: ['2 of standby'] },
        { kind: 'leave', at: '20s', nodes: ['v3'] },
        { kind: 'rotate', at: '25s', clusters: [1] },
      ],
    });
    expect(parseScenario(scenarioToFile(ok))).toEqual(ok);
  });
});

describe('election plan under churn', () => {
  // Regular elections every 80 clocks: none within the first 60 (the run's 600 s), so only
  // forced rotations elect, and their rounds start 40 clocks later.
  const slow = withFile(churn, {
    duration: '600s',
    workload: { ...(scenarioToFile(churn).workload as object), stop: '600s' },
    elections: { ...(scenarioToFile(churn).elections as object), cluster_interval: 80 },
  });

  it('a forced rotation elects the cluster at the first clock at or after its time', () => {
    expect(top(buildRun(slow)).rounds.map((l) => l.length)).toEqual([1, 1]);
    const b = buildRun(withFile(slow, { faults: [{ kind: 'rotate', at: '25s', clusters: [1] }] }));
    expect(top(b).rounds[0].length).toBe(1);
    expect(top(b).rounds[1].map((r) => r.elected_clock)).toEqual([0, 3]);
    expect(members(top(b).rounds[1][1])).not.toEqual(members(top(b).rounds[1][0]));
  });

  it('joining nodes are never seated before they register', () => {
    const all = buildRun(churn);
    const standby = all.nodes.map((_, i) => i).filter((i) => !members(top(all).rounds[0][0]).includes(i) && !members(top(all).rounds[1][0]).includes(i) &&
      (all.nodes[i].role === 'validator' || all.nodes[i].role === 'auditor'));
    const late = buildRun(withFile(churn, { faults: [{ kind: 'join', at: '120s', nodes: ['standby'] }] }));
    const ci = churn.protocol.clock_interval_us;
    for (const list of top(late).rounds) {
      for (const r of list) {
        const seated = members(r).filter((id) => standby.includes(id));
        if (r.elected_clock * ci < 120e6) expect(seated).toEqual([]);
      }
    }
    // After registering they are elected in as before.
    expect(top(late).rounds.flat().some((r) => members(r).some((id) => standby.includes(id)))).toBe(true);
  });

  it('a leaving member is elected out at its next election and goes offline when that round starts', () => {
    const b = buildRun(withFile(slow, {
      faults: [{ kind: 'leave', at: '15s', nodes: ['v3'] }, { kind: 'rotate', at: '40s', clusters: [0] }],
    }));
    const v3 = b.nodes.findIndex((n) => n.name === 'v3');
    const r = top(b).rounds[0][1];
    expect(r.elected_clock).toBe(4);
    expect(members(r)).not.toContain(v3);
    expect(top(b).departures).toEqual([{ node: v3, at_us: r.start_clock * churn.protocol.clock_interval_us }]);
    // Without another election it stays seated, and online, to the end.
    expect(top(buildRun(withFile(slow, { faults: [{ kind: 'leave', at: '15s', nodes: ['v3'] }] }))).departures).toEqual([]);
  });
});

describe('runs through churn', () => {
  it('tables keep committing through joins, leaves and forced rotations, and the leaver is offline', () => {
    const sc = withFile(churn, {
      duration: '150s',
      workload: { ...(scenarioToFile(churn).workload as object), stop: '150s' },
      faults: [
        { kind: 'join', at: '30s', nodes: ['v28', 'v29'] },
        { kind: 'leave', at: '20s', nodes: ['v0', 'a1'] },
        { kind: 'rotate', at: '35s', clusters: [0, 1] },
      ],
    });
    const s = runScenario(sc).summary;
    expect(s.violations).toEqual([]);
    expect(electionsOf(s)!.departed.map((d) => d.node).sort()).toEqual(['a1', 'v0']);
    for (const d of electionsOf(s)!.departed) expect(s.nodes.find((n) => n.node === d.node)!.crashed).toBe(true);
    expect(s.phases.fault_end_s).toBe(Math.max(35, ...electionsOf(s)!.departed.map((d) => d.at_s)));
    expect(Math.min(...s.tables.map((t) => t.height_committed))).toBeGreaterThan(10);
  });
});

describe('seed grinding (MC-3)', () => {
  const rec = withFile(churn, {
    topology: { ...(scenarioToFile(churn).topology as object), beacons: 4 },
  });
  const favor = ['v28', 'v29', 'v30', 'v31', 'v32', 'v33'];

  it('a grinding aggregator seats more of its favoured nodes than honest seeds would', () => {
    const fair = buildRun(rec);
    const ground = buildRun(withFile(rec, { byzantine: [{ nodes: ['beacons'], behavior: 'grind_seed', tries: 32, favor }] }));
    expect(top(ground).ground.length).toBeGreaterThan(10);
    const sum = (k: 'favored_fair' | 'favored_ground') => top(ground).ground.reduce((n, g) => n + g[k], 0);
    expect(sum('favored_ground')).toBeGreaterThan(sum('favored_fair'));
    expect(top(ground).ground.some((g) => g.chosen !== 0)).toBe(true);
    // The whole run: favoured seats over all rounds, ground against fair.
    const seats = (b: typeof fair) => top(b).rounds.flat().reduce((n, r) => n + members(r).filter((id) => favor.includes(b.nodes[id].name)).length, 0);
    expect(seats(ground)).toBeGreaterThan(seats(fair));
  });

  it('only triggers a grinder aggregates are ground, and one grinder of four leads a quarter of them', () => {
    const one = buildRun(withFile(rec, { byzantine: [{ nodes: ['r1'], behavior: 'grind_seed', favor }] }));
    const all = buildRun(withFile(rec, { byzantine: [{ nodes: ['beacons'], behavior: 'grind_seed', favor }] }));
    expect(top(one).ground.every((g) => g.clock % 4 === 1)).toBe(true);
    expect(top(one).ground.length).toBe(top(all).ground.filter((g) => g.clock % 4 === 1).length);
  });
});
