/**
 * Archive nodes (docs/PROTOCOL.md §5, MC-10): they follow every table's chain and hold all state, but
 * hold no seat, so they never vote or lead, and the consensus does not wait for them.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { run, scenarioFile } from './helpers.js';
import { ConsensusNode } from '../sim/protocol/top/node.js';

const SMALL = join(import.meta.dirname, '..', 'scenarios', 'top-small.yaml');

describe('archive nodes', () => {
  it('commit every block of every table without voting, in agreement with the groups', () => {
    const base = scenarioFile(SMALL, { duration_us: 30_000_000 });
    const sc = { ...base, topology: { ...base.topology, archives: 2 } };
    const r = run(sc);
    const s = r.summary;
    expect(s.violations).toEqual([]);
    const ids = s.nodes.map((n, i) => (n.role === 'archive' ? i : -1)).filter((i) => i >= 0);
    expect(ids.map((i) => s.nodes[i].node)).toEqual(['h0', 'h1']);
    for (const i of ids) {
      const node = r.built.sim.logicOf(i) as ConsensusNode;
      const reps = node.replicas.filter((x) => x !== undefined);
      expect(reps).toHaveLength(sc.topology.tables);
      for (const rep of reps) {
        // Within the 3-chain pipeline of the groups' progress, and never a vote.
        expect(rep!.committedHeight).toBeGreaterThanOrEqual(s.tables[rep!.table].height_committed - 3);
        expect(rep!.lastVotedView).toBe(0);
      }
      expect(s.nodes[i].bytes_in).toBeGreaterThan(0);
    }
    // The archives add listeners, not voters: only the leaders' extra uploads shift timing a little.
    const plain = run(base).summary;
    s.tables.forEach((t, k) => expect(Math.abs(t.height_committed - plain.tables[k].height_committed)).toBeLessThanOrEqual(2));
    expect(Math.abs(s.tps_final - plain.tps_final)).toBeLessThan(0.03 * plain.tps_final);
  });

  it('a crashed archive changes nothing for the groups', () => {
    const base = scenarioFile(SMALL, { duration_us: 30_000_000 });
    const sc = { ...base, topology: { ...base.topology, archives: 1 } };
    const crashed = run({ ...sc, faults: [{ kind: 'crash' as const, at_us: 1_000_000, until_us: null, nodes: ['h0'], state: 'kept' as const }] }).summary;
    expect(crashed.violations).toEqual([]);
    expect(crashed.tps_final).toBeGreaterThan(150);
  });
});
