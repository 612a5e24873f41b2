import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { phasesOf } from '../sim/runner/run.js';
import { MetricsCollector } from '../sim/metrics/collector.js';
import { genesisBlock } from '../sim/protocol/top/xbft.js';
import { capture, issueOf, run, scenario, SMALL_NET } from './helpers.js';
import { commitKey } from '../sim/protocol/top/messages.js';

/**
 * The liveness phase is judged only where it can be, and a run that cannot judge it says so: a
 * fault set after the end is refused, and a run cut inside its fault phase warns and records why.
 */
const SMALL = `name: phases
duration: 20s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 50, rate_tps: 20 }
checks: { liveness_bound: 5s }
`;

describe('phases', () => {
  it('refuses a fault or byzantine behaviour that starts at or after the end', () => {
    // Such a fault never happens, yet it used to move the liveness phase past the end: a run
    // whose tables stalled exited 0 with "violations none".
    const base = scenario({ duration: '60s', network: SMALL_NET, topology: { validators: 4, auditors: 4, edges: 1 } });
    expect(issueOf(base, { faults: [{ kind: 'crash', at: '500s', until: '600s', nodes: ['e0'] }] }))
      .toBe('faults[0].at: expected a time before duration (60s), got "500s"');
    expect(issueOf(base, { faults: [{ kind: 'partition', at: '60s', a: ['v0'] }] }))
      .toBe('faults[0].at: expected a time before duration (60s), got "60s"');
    expect(issueOf(base, { byzantine: [{ nodes: ['v0'], behavior: 'silent', at: '61s' }] }))
      .toBe('byzantine[0].at: expected a time before duration (60s), got "61s"');
    expect(issueOf(base, { faults: [{ kind: 'crash', at: '59s', until: '600s', nodes: ['e0'] }] })).toBe('no error');
  });

  it('says when and why liveness is not judged', () => {
    expect(phasesOf(0, 120e6, 90e6)).toEqual({ fault_end_s: 0, liveness_bound_s: 90, liveness_judged: true, liveness_reason: null });
    expect(phasesOf(20e6, 120e6, 90e6).liveness_judged).toBe(true);
    expect(phasesOf(50e6, 40e6, 90e6).liveness_reason).toBe("the fault phase lasts until 50 s, not before the run's end at 40 s");
    expect(phasesOf(40e6, 120e6, 90e6).liveness_reason).toBe('the liveness phase (40 s to 120 s) is not longer than the liveness bound (90 s)');
    expect(phasesOf(0, 60e6, 90e6).liveness_reason).toBe('the run (60 s) is not longer than the liveness bound (90 s)');
  });

  it('a stall is a liveness violation when judged, and a run cut inside the fault phase warns', async () => {
    // A crash of 2 of 4 validators leaves no quorum: the table stalls. Healed at 8 s, it
    // recovers; never healed, the checker fires once the 5 s bound has passed.
    const dir = mkdtempSync(join(tmpdir(), 'topsim-phases-'));
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL + 'faults:\n  - { kind: crash, at: 4s, nodes: [v0, v1] }\n');
    const stalled = capture();
    expect(await main(['run', file, '--out', join(dir, 'out')], stalled.io)).toBe(1);
    expect(stalled.out()).toMatch(/liveness/);
    expect(stalled.err()).not.toMatch(/warning/);
    // Cut at 6 s: the crash has no `until`, so the fault phase ends at 4 s, and the liveness
    // phase (4 s to 6 s) is shorter than the bound: not judged, and said so.
    const cut = capture();
    expect(await main(['run', file, '--out', join(dir, 'out2'), '--duration', '6s', '--json', '--seed', '3'], cut.io)).toBe(0);
    expect(cut.err()).toContain('warning: liveness will not be judged: the liveness phase (4 s to 6 s) is not longer than the liveness bound (5 s)');
    const s = JSON.parse(cut.out());
    expect(s.phases.liveness_judged).toBe(false);
    expect(s.phases.liveness_reason).toBe('the liveness phase (4 s to 6 s) is not longer than the liveness bound (5 s)');
    const onDisk = JSON.parse(readFileSync(join(dir, 'out2', 'phases', '3', 'summary.json'), 'utf8'));
    expect(onDisk.phases.liveness_judged).toBe(false);
    expect(existsSync(join(dir, 'out2'))).toBe(true);
  });

  it('metrics count a byzantine node\'s commits outside its windows only', () => {
    // v3 is silent from 2 s to 6 s; a height it commits first in that window is final only at the
    // first commit of a node outside its windows, one it commits first after the window at once.
    const r = run(scenario({
      duration: '12s', warmup: '1s', network: SMALL_NET,
      topology: { validators: 4, auditors: 4, edges: 1 }, workload: { accounts: 50, rate_tps: 20 },
      byzantine: [{ nodes: ['v3'], behavior: 'silent', at: '2s', until: '6s' }],
    }));
    expect(r.summary.violations).toEqual([]);
    const w = r.built.byzantine;
    expect([w.honestAt(3, 1e6), w.honestAt(3, 3e6), w.honestAt(3, 6e6), w.ever(3), w.ever(0)]).toEqual([true, false, true, true, false]);
    const m = new MetricsCollector(w, 1, r.built.family.blocks, r.built.module.genesisKind, r.built.module.latencyClasses);
    const blk = { ...genesisBlock(0), height: 1, txs: new Int32Array(0), legs: new Uint8Array(0), rids: new Int32Array(0) };
    m.commit(3, 3e6, commitKey(blk), blk);
    expect(m.chains[0].commitTimes[1]).toBeUndefined();
    m.commit(3, 7e6, commitKey(blk), blk);
    expect(m.chains[0].commitTimes[1]).toBe(7e6);
  });
});
