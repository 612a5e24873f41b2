/**
 * The clock chain (docs/PROTOCOL.md §4.5): REC nodes sign each 10 s slot's clock block, a ⌊2n/3⌋+1
 * certificate forms without a leader, and three REC nodes per slot relay it to everyone. Views
 * move with the certified clock, so without a REC quorum a failed leader is never replaced.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { commitTimes, gaps, run, scenarioFile } from './helpers.js';
import { ConsensusNode } from '../sim/protocol/top/node.js';
import { CLOCK_RELAYS } from '../sim/protocol/top/clock.js';
import type { TopScenario as Scenario } from '../sim/protocol/top/scenario.js';

const LEADER_CRASH = join(import.meta.dirname, '..', 'scenarios', 'leader-crash.yaml');

function withRec(sc: Scenario, beacons: number, faults: Scenario['faults'] = []): Scenario {
  return { ...sc, topology: { ...sc.topology, beacons }, faults: [...sc.faults, ...faults] };
}

describe('the REC clock chain', () => {
  it('certifies every slot and reaches every node, relayed by three REC nodes', () => {
    const sc = withRec(scenarioFile(LEADER_CRASH, { duration_us: 45_000_000 }), 7);
    const r = run({ ...sc, faults: [] });
    const s = r.summary;
    expect(s.violations).toEqual([]);
    const ticks = 4; // clocks 1..4 at 10..40 s
    const audience = s.nodes.filter((n) => n.role !== 'beacon').length;
    expect(s.messages.clock_share).toBe(ticks * 7 * 6);
    expect(s.messages.clock_cert).toBe(ticks * CLOCK_RELAYS * audience);
    for (let i = 0; i < s.nodes.length; i++) {
      if (s.nodes[i].role !== 'validator' && s.nodes[i].role !== 'auditor') continue;
      const node = r.built.sim.logicOf(i) as ConsensusNode;
      for (const rep of node.replicas) if (rep) expect(rep.clock).toBe(ticks);
    }
    // The certified clock trails the slot boundary by a network delay, so blocks keep committing.
    expect(s.tables[0].height_committed).toBeGreaterThan(25);
  });

  it('a crashed leader is replaced on the certified clock; with a REC quorum down, it is not', () => {
    const base = withRec(scenarioFile(LEADER_CRASH, { duration_us: 120_000_000 }), 7);
    // Two of seven REC nodes down (relays of some slots among them): the clock still runs.
    const ok = run(withRec(base, 7, [{ kind: 'crash', at_us: 1_000_000, until_us: null, nodes: ['r0', 'r1'], state: 'kept' }]));
    const g1 = gaps(commitTimes(ok));
    const stall1 = Math.max(...g1);
    expect(stall1).toBeGreaterThanOrEqual(20_000_000);
    expect(stall1).toBeLessThanOrEqual(32_000_000);
    expect(ok.summary.violations).toEqual([]);
    // Three down, from before the leader crash until 90 s: no certificate, no view change, so the
    // table waits for the REC group to come back.
    const down = run(withRec(base, 7, [{ kind: 'crash', at_us: 1_000_000, until_us: 90_000_000, nodes: ['r0', 'r1', 'r2'], state: 'kept' }]));
    const times = commitTimes(down);
    const g2 = gaps(times);
    const stall2 = Math.max(...g2);
    expect(stall2).toBeGreaterThan(60_000_000);
    const resumed = times[g2.indexOf(stall2) + 1];
    expect(resumed).toBeGreaterThan(90_000_000);
    expect(down.summary.messages.clock_cert).toBeLessThan(ok.summary.messages.clock_cert);
  });
});
