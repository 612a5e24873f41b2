/**
 * Crash and restart with the state lost: the node comes back empty, rebuilds each of its tables
 * from a peer's snapshot (state sync, as a newly elected member does), and takes part again
 * without voting or proposing twice in a view it may have used before the crash.
 */
import { describe, expect, it } from 'vitest';
import { electionsOf } from '../sim/protocol/top/summary.js';
import { join } from 'node:path';
import { scenarioFile } from './helpers.js';
import { parseScenario } from '../sim/scenario/index.js';
import { runScenario, type RunResult } from '../sim/runner/run.js';
import { runPartitioned } from '../sim/runner/parallel.js';
import { spawnNodeWorker } from '../sim/runner/node-host.js';
import { MSG, type ProposalMsg, type VoteMsg } from '../sim/protocol/top/messages.js';
import type { ConsensusNode } from '../sim/protocol/top/node.js';
import type { TopScenario as Scenario } from '../sim/protocol/top/scenario.js';

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
      b.watch({
        sync: (node, now, key) => {
          const table = key.chain;
          if (node === V) w.syncs.push({ at: now, table, sitOut: (b.sim.logicOf(V) as ConsensusNode).replicas[table]!.lastVotedView });
        },
        commit: (node, now, key) => {
          if (node === V) w.commits.push([now, key.height]);
        },
      });
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
    expect(electionsOf(s)!.state_syncs).toBe(1);
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
    expect(electionsOf(kept)!.state_syncs).toBe(0);
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
    expect(electionsOf(one.summary)!.state_syncs).toBe(3);
    const par = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker, cores: 2 });
    expect(par.summary.digest).toBe(one.summary.digest);
    expect(electionsOf(par.summary)).toEqual(electionsOf(one.summary));
  });
});

describe('state sync takes the state of the member furthest ahead', () => {
  it('a node restarting after a partition healed syncs from an up-to-date member, not a stale one', () => {
    // Swarm seed 151: Virginia's nodes (v3, a3 of table 1's groups) are cut off from 6.2 s to
    // 14.2 s and fall six heights behind; v2 and v6 crash at 13.4 s with their state lost. v2
    // used to ask one member for its state, v3 (the next in line), and installed v3's stale
    // chain: three members of one group then lagged, the leaders of views 13 and 14 among them,
    // and table 1 made no commit for 75 s after the faults healed (a liveness violation). Now the
    // restarting node probes several members and fetches from the one with the highest
    // certificate.
    const sc = parseScenario({
      name: 'swarm', seed: 151, duration: '105s', warmup: '5s',
      network: { latency: { dataset: 'wittgenstein-aws-rtt-2019', regions: ['Frankfurt', 'Ireland', 'London', 'Virginia'] }, jitter_percent: 5 },
      topology: { tables: 4, auditor_groups: 1, validator_groups_per_auditor: 2, validators: 7, auditors: 7, edges: 2, beacons: 4 },
      workload: { accounts: 2000, rate_tps: 80 },
      faults: [
        { kind: 'partition', at: '23.5s', until: '24.2s', a: ['2 of validators'], b: ['7 of agroup:0'], direction: 'both' },
        { kind: 'degrade', at: '15.6s', until: '24.9s', a: ['3 of vgroup:1'], b: ['6 of agroup:0'], direction: 'both', bandwidth_percent: 87, reorder: '1ms' },
        { kind: 'partition', at: '6.2s', until: '14.2s', a: ['region:Virginia'], b: [], direction: 'both' },
        { kind: 'degrade', at: '12.7s', until: '14s', a: ['a1'], b: [], direction: 'both', reorder: '29ms', latency: '120ms' },
        { kind: 'crash', at: '13.4s', until: '16s', nodes: ['2 of vgroup:0'], state: 'lost' },
      ],
      checks: { liveness_bound: '60s' },
    });
    const synced: { node: string; table: number; height: number }[] = [];
    const r = runScenario(sc, {
      attach: (b) => {
        b.watch({
          sync: (node, _now, key) => { synced.push({ node: b.nodes[node].name, table: key.chain, height: key.height }); },
        });
      },
    });
    expect(r.summary.violations).toEqual([]);
    // v2 serves tables 0 and 1; table 1 had committed height 9 before the crash.
    const v2 = synced.filter((x) => x.node === 'v2' && x.table === 1);
    expect(v2.length).toBe(1);
    expect(v2[0].height).toBeGreaterThanOrEqual(9);
  });
});
