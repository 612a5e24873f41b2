/**
 * Crash and restart with the state lost: the node comes back empty, rebuilds each of its tables
 * from a peer's snapshot (state sync, as a newly elected member does), and takes part again
 * without voting or proposing twice in a view it may have used before the crash.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { scenarioFile } from './helpers.js';
import { runScenario, type RunResult } from '../sim/engine/run.js';
import { runPartitioned } from '../sim/engine/parallel.js';
import { spawnNodeWorker } from '../sim/engine/node-host.js';
import { MSG, type ProposalMsg, type VoteMsg } from '../sim/protocol/messages.js';
import type { ConsensusNode } from '../sim/protocol/node.js';
import type { Scenario } from '../sim/scenario/types.js';

const ROOT = join(import.meta.dirname, '..');
const V = 2; // v2

const crash = (state: 'kept' | 'lost', nodes = ['v2'], at_us = 12e6, until_us = 20e6) =>
  ({ kind: 'crash' as const, at_us, until_us, nodes, state });

interface Watched {
  r: RunResult;
  /** v2's state syncs: when, and the last view it may have used (it votes only after it). */
  syncs: { at: number; table: number; sitOut: number }[];
  /** Commits by v2 (time, height). */
  commits: [number, number][];
  /** Votes from v2 and proposals led by v2, as others receive them: [receive time, view]. */
  votes: [number, number][];
  proposals: [number, number][];
}

function watched(sc: Scenario): Watched {
  const w: Omit<Watched, 'r'> = { syncs: [], commits: [], votes: [], proposals: [] };
  const r = runScenario(sc, {
    attach: (b) => {
      const o = b.ctx.observer;
      const sync = o.onStateSync;
      o.onStateSync = (node, table, committed, now, bytes) => {
        if (node === V) w.syncs.push({ at: now, table, sitOut: (b.sim.logicOf(V) as ConsensusNode).replicas[table]!.lastVotedView });
        sync(node, table, committed, now, bytes);
      };
      const commit = o.onCommit;
      o.onCommit = (node, block, now, ledger) => {
        if (node === V) w.commits.push([now, block.height]);
        commit(node, block, now, ledger);
      };
      b.nodes.forEach((x, i) => {
        if (i === V || (x.role !== 'validator' && x.role !== 'auditor')) return;
        const logic = b.sim.logicOf(i);
        const inner = logic.onMessage.bind(logic);
        logic.onMessage = (env, from, msg) => {
          if (msg.kind === MSG.VOTE && (msg as VoteMsg).voter === V) w.votes.push([env.now_us, (msg as VoteMsg).view]);
          if (msg.kind === MSG.PROPOSAL && (msg as ProposalMsg).block.leader === V) w.proposals.push([env.now_us, (msg as ProposalMsg).block.view]);
          inner(env, from, msg);
        };
      });
    },
  });
  return { r, ...w };
}

describe('crash and restart with the state lost', () => {
  const base = scenarioFile(join(ROOT, 'scenarios', 'default.yaml'), { duration_us: 50e6 });
  const withFaults = (faults: Scenario['faults']): Scenario => ({ ...base, faults });

  it('a validator re-syncs its table, commits again, and sits out the view current at re-sync', () => {
    // v2 leads the view the table is in when it restarts (its crash stalled that view). Empty, it
    // cannot know whether it proposed there before, so it does not: the table waits for the
    // clock-driven view change, where with its state kept v2 proposes on restart.
    const lost = watched(withFaults([crash('lost')]));
    const s = lost.r.summary;
    expect(s.violations).toEqual([]);
    expect(s.elections.state_syncs).toBe(1);
    expect(lost.syncs).toHaveLength(1);
    const synced = lost.syncs[0].at;
    expect(synced).toBeGreaterThanOrEqual(20e6);
    // It commits again after the restart, continuing from the snapshot.
    const after = lost.commits.filter(([t]) => t > synced);
    expect(after.length).toBeGreaterThan(5);
    expect(after[0][1]).toBeGreaterThan(Math.max(...lost.commits.filter(([t]) => t < 12e6).map(([, h]) => h)));
    // Views up to the one current at re-sync are never used again: it sits out every view it
    // used before the crash, and no vote or proposal it sends after the restart names one.
    const rep = (lost.r.built.sim.logicOf(V) as ConsensusNode).replicas[0]!;
    expect(rep.synced).toBe(true);
    const used = [...lost.votes, ...lost.proposals];
    const before = Math.max(...used.filter(([t]) => t < 12e6).map(([, v]) => v));
    expect(lost.syncs[0].sitOut).toBeGreaterThanOrEqual(before);
    const later = used.filter(([t]) => t >= 20e6);
    expect(later.length).toBeGreaterThan(0);
    for (const [, v] of later) expect(v).toBeGreaterThan(lost.syncs[0].sitOut);
    // The replica was rebuilt: kept state gives another run.
    const kept = runScenario(withFaults([crash('kept')])).summary;
    expect(kept.violations).toEqual([]);
    expect(kept.elections.state_syncs).toBe(0);
    expect(kept.digest).not.toBe(s.digest);
  });

  it('validators, an archive and an edge restart empty together; one and two workers agree, with clock faults too', async () => {
    const sc: Scenario = {
      ...base,
      duration_us: 9e6,
      topology: { ...base.topology, archives: 1 },
      faults: [crash('lost', ['2 of validators', 'h0'], 3e6, 6e6), crash('lost', ['e1'], 3e6, 6e6),
        // Clocks off on nodes either worker may run: ahead and slowing, behind and speeding up.
        { kind: 'clock', at_us: 2e6, until_us: 7e6, nodes: ['34% of vgroup:0', 'e0'], skew_us: 4e6, drift_ppm: -100_000 },
        { kind: 'clock', at_us: 1e6, until_us: null, nodes: ['a3', 'h0'], skew_us: -3e6, drift_ppm: 50_000 }],
    };
    const one = runScenario(sc);
    expect(one.summary.violations).toEqual([]);
    expect(one.summary.elections.state_syncs).toBe(3);
    const par = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker, cores: 2 });
    expect(par.summary.digest).toBe(one.summary.digest);
    expect(par.summary.elections).toEqual(one.summary.elections);
  });
});
