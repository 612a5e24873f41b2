import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { issueOf, scenarioFile, withFile } from './helpers.js';
import { parseScenario, scenarioToFile } from '../sim/scenario/index.js';
import { runScenario } from '../sim/runner/run.js';
import { runPartitioned } from '../sim/runner/parallel.js';
import { spawnNodeWorker } from '../sim/runner/node-host.js';
import type { Scenario } from '../sim/scenario/types.js';

const ROOT = join(import.meta.dirname, '..');

const withFaults = (sc: Scenario, faults: unknown[]): Scenario => withFile(sc, { faults });
const faultIssue = (sc: Scenario, faults: unknown[]): string => issueOf(sc, { faults });

describe('degrade faults', () => {
  const base = scenarioFile(join(ROOT, 'scenarios', 'top-small.yaml'), { duration_us: 30e6 });

  it('are checked with path-naming errors and survive re-serialisation', () => {
    expect(faultIssue(base, [{ kind: 'degrade', at: '5s', a: ['region:London'] }]))
      .toMatch(/^faults\[0\]: expected at least one of latency, .*this degrades nothing/);
    expect(faultIssue(base, [{ kind: 'degrade', at: '5s', a: ['v0'], bandwidth_percent: 0 }]))
      .toMatch(/^faults\[0\]\.bandwidth_percent: expected a number from 0\.01 to 100, got 0$/);
    expect(faultIssue(base, [{ kind: 'degrade', at: '5s', a: ['region:Mars'], latency: '5ms' }]))
      .toMatch(/^faults\[0\]\.a\[0\]: unknown region "Mars"/);
    expect(faultIssue(base, [{ kind: 'degrade', at: '5s', a: ['v0'], loss_percent: 101 }])).toMatch(/^faults\[0\]\.loss_percent: /);
    const f = { kind: 'degrade', at: '5s', until: '15s', a: ['cluster:0'], b: ['cluster:1'], direction: 'a_to_b',
      latency: '40ms', jitter_percent: 20, loss_percent: 2, duplicate_percent: 1, reorder: '5ms', bandwidth_percent: 50 };
    const sc = withFaults(base, [f]);
    expect(parseScenario(scenarioToFile(sc))).toEqual(sc);
  });

  it('slow the links between two clusters, identically on one and two workers', async () => {
    const fault = { kind: 'degrade', at: '5s', until: '20s', a: ['cluster:0'], b: ['cluster:1', 'edges'], latency: '300ms', loss_percent: 5 };
    const sc = withFaults(base, [fault]);
    const clean = runScenario(base);
    const slow = runScenario(sc);
    expect(slow.summary.violations).toEqual([]);
    expect(slow.summary.latency_final_ms.cross_table.p90).toBeGreaterThan((clean.summary.latency_final_ms.cross_table.p90 ?? NaN) + 300);
    expect(slow.summary.nodes.reduce((n, _x, i) => n + slow.built.sim.counters(i).dropped_loss, 0)).toBeGreaterThan(0);
    const par = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker });
    expect(par.summary.digest).toBe(slow.summary.digest);
  });
});

describe('the failure detector', () => {
  it('a crash shorter than the detection delay does not leave the node believed down for good', async () => {
    // Three of seven validators down for 3 s: their "down" notices (at 5 s) come after their "up"
    // notices. Were the late ones believed, peers would route around them for the rest of the run
    // and the group would never reach 5 of 7 votes again.
    const base = scenarioFile(join(ROOT, 'scenarios', 'default.yaml'), { duration_us: 60e6 });
    const sc = withFaults(base, [{ kind: 'crash', at: '20s', until: '23s', nodes: ['3 of vgroup:0'] }]);
    const r = runScenario(sc);
    expect(r.summary.violations).toEqual([]);
    const after = r.built.metrics.chains[0].commitTimes.filter((t) => t !== undefined && t > 30e6);
    expect(after.length).toBeGreaterThan(20);
    for (let i = 0; i < r.built.nodes.length; i++) {
      for (let p = 0; p < r.built.nodes.length; p++) expect(r.built.sim.believesDown(i, p), `${i} about ${p}`).toBe(false);
    }
    // The notices carry their epoch across workers too.
    const two = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker });
    expect(two.summary.digest).toBe(r.summary.digest);
  });
});
