/**
 * Cluster elections in a run (docs/PROTOCOL.md §7.4): the schedule, role exclusion, the half-interval
 * start delay, state sync of new members, leader eligibility, and tables committing through
 * every change of round.
 */
import { describe, expect, it } from 'vitest';
import { electionsOf } from '../sim/protocol/top/summary.js';
import { join } from 'node:path';
import { runScenario } from '../sim/runner/run.js';
import type { TopScenario } from '../sim/protocol/top/scenario.js';
import { buildRun, type BuiltRun } from '../sim/runner/build.js';
import { ConsensusNode } from '../sim/protocol/top/node.js';
import type { Block } from '../sim/protocol/top/messages.js';
import { scenarioFile } from './helpers.js';
import { top } from './helpers.js';

const CHURN = join(import.meta.dirname, '..', 'scenarios', 'churn-rotation.yaml');
/** Cluster 0 is elected at 60 s (active from 90 s), cluster 1 at 100 s (active from 130 s). */
const churn = (duration_us = 150_000_000) => scenarioFile(CHURN, { duration_us });

function seatsOf(b: BuiltRun, round: { auditors: Int32Array; validators: Int32Array[] }): number[] {
  return [...round.auditors, ...round.validators.flatMap((v) => [...v])];
}

describe('election schedule', () => {
  it('rotates each due cluster with the planned sizes, exclusions and start delay', () => {
    const sc = churn(400_000_000);
    const b = buildRun(sc);
    const e = sc.elections;
    const ci = sc.protocol.clock_interval_us;
    expect(top(b).rounds).toHaveLength(2);
    let elections = 0;
    for (const list of top(b).rounds) {
      expect(list[0].elected_clock).toBe(0);
      for (let r = 1; r < list.length; r++) {
        const prev = list[r - 1];
        const cur = list[r];
        elections++;
        expect(cur.elected_clock % e.trigger_interval).toBe(0);
        expect(cur.start_clock).toBe(cur.elected_clock + Math.floor(e.cluster_interval / 2));
        // Groups at their maximum size swap max(1, ⌊30% × 7⌋) = 2 members each.
        for (const [p, c] of [[prev.auditors, cur.auditors], ...prev.validators.map((v, k) => [v, cur.validators[k]])]) {
          expect(c.length).toBe(7);
          const stayed = [...c].filter((id) => p.includes(id)).length;
          expect(stayed).toBe(5);
        }
        // New members of each group are recorded as joining in this round; the others keep theirs.
        const pairs = [[prev.auditors, cur.auditors], ...prev.validators.map((v, k) => [v, cur.validators[k]])];
        for (const [p, c] of pairs) {
          for (const id of c) expect(cur.joined.get(id)).toBe(p.includes(id) ? prev.joined.get(id) : r);
        }
      }
    }
    expect(elections).toBeGreaterThanOrEqual(8);
    // Role exclusion at every clock: no node holds two validator seats, two auditor seats, or an
    // auditor seat and a seat in one of that auditor group's validator groups.
    const lastClock = sc.duration_us / ci;
    for (let clock = 0; clock <= lastClock; clock++) {
      const seen = new Map<number, string>();
      top(b).rounds.forEach((list, c) => {
        let i = list.length - 1;
        while (i > 0 && list[i].elected_clock > clock) i--;
        for (const id of list[i].auditors) {
          expect(seen.has(id), `a${id} twice at clock ${clock}`).toBe(false);
          seen.set(id, `A${c}`);
        }
        list[i].validators.forEach((v, k) => {
          for (const id of v) {
            expect(seen.has(id), `v${id} twice at clock ${clock}`).toBe(false);
            seen.set(id, `V${c}.${k}`);
          }
        });
      });
    }
  });

  it('without a standby pool, or with groups below their maximum, only genesis or growth', () => {
    expect(top(buildRun(churn())).rounds.every((l) => l.length > 1)).toBe(true);
    const plain: TopScenario = { ...churn(), topology: { ...churn().topology, standby_validators: 0, standby_auditors: 0 } };
    const noStandby = buildRun(plain);
    expect(top(noStandby).rounds.every((l) => l.length === 1)).toBe(true);
    // Below the maximum size a group only adds members (§7.4).
    const sc = churn();
    const small: TopScenario = { ...sc, elections: { ...sc.elections, max_validator_group_size: 9, max_auditor_group_size: 9 } };
    const grow = buildRun(small);
    const [g0, g1] = top(grow).rounds[0];
    expect(g1.validators[0].length).toBeGreaterThan(g0.validators[0].length);
    expect([...g0.validators[0]].every((id) => g1.validators[0].includes(id))).toBe(true);
  });
});

describe('rotation in a run', () => {
  it('new members sync state, vote after the round starts, lead only later; tables never stall', () => {
    const sc = churn();
    const commits: Block[][] = Array.from({ length: sc.topology.tables }, () => []);
    const res = runScenario(sc, {
      attach: (b) => {
        b.watch({
          commit: (_node, _now, key, block) => {
            if (commits[key.chain][key.height] === undefined) commits[key.chain][key.height] = block as Block;
          },
        });
      },
    });
    const b = res.built;
    const s = res.summary;
    expect(s.violations).toEqual([]);
    // Both clusters changed round inside the run; every incoming member synced each of its tables.
    const r0 = top(b).rounds[0][1];
    const r1 = top(b).rounds[1][1];
    expect(r0.start_clock * 10).toBeLessThan(150);
    expect(r1.start_clock * 10).toBeLessThan(150);
    const T = sc.topology.tables;
    // Every (node, table) that an election adds, in every round elected in the run, is one sync:
    // a validator syncs its group's 2 tables, an auditor its cluster's 4.
    let expectedSyncs = 0;
    for (const list of top(b).rounds) {
      for (let r = 1; r < list.length; r++) {
        const groups = (x: typeof list[0]) => [x.auditors, ...x.validators];
        groups(list[r]).forEach((g, k) => {
          for (const id of g) if (!groups(list[r - 1])[k].includes(id)) expectedSyncs += k === 0 ? T / 2 : T / 4;
        });
      }
    }
    expect(electionsOf(s)!.state_syncs).toBe(expectedSyncs);
    expect(electionsOf(s)!.state_sync_bytes).toBeGreaterThan(0);
    expect(electionsOf(s)!.state_sync_s_max).toBeLessThan(2);
    // Each new member's replicas are synced and voted in the new round; each leaver dropped its replicas.
    for (const [c, r] of [[0, r0], [1, r1]] as const) {
      const before = seatsOf(b, top(b).rounds[c][0]);
      const after = seatsOf(b, r);
      for (const id of after.filter((x) => !before.includes(x))) {
        const node = b.sim.logicOf(id) as ConsensusNode;
        const reps = node.replicas.filter((x) => x !== undefined);
        expect(reps.length).toBeGreaterThan(0);
        for (const rep of reps) {
          expect(rep!.synced).toBe(true);
          // Voting is checked where the node holds a seat at the end (it may be syncing others).
          if (!top(b).ctx.epoch(rep!.table, sc.duration_us / sc.protocol.clock_interval_us).seat.has(id)) continue;
          expect(rep!.committedHeight).toBeGreaterThan(50);
          expect(rep!.lastVotedView, `${b.nodes[id].name} t${rep!.table} h${rep!.committedHeight} v${rep!.view}`).toBeGreaterThan(rep!.highQC.view - 5);
        }
      }
      const later = new Set(top(b).rounds.flatMap((list) => list.slice(1).flatMap((x) => seatsOf(b, x))));
      for (const id of before.filter((x) => !after.includes(x) && !later.has(x))) {
        const node = b.sim.logicOf(id) as ConsensusNode;
        expect(node.replicas.filter((x) => x !== undefined)).toHaveLength(0);
      }
    }
    // Blocks bound to a clock of the new round come from its members; its new members do not
    // lead yet (leader_election_rounds = 2). Each table keeps committing: no gap over 5 s.
    for (let t = 0; t < T; t++) {
      const c = Math.floor(t / (T / 2));
      const r = top(b).rounds[c][1];
      const newcomers = new Set(seatsOf(b, r).filter((id) => r.joined.get(id) === 1));
      let inNewRound = 0;
      for (const blk of commits[t]) {
        if (!blk || blk.clock < r.start_clock) continue;
        inNewRound++;
        expect(r.joined.has(blk.leader), `leader ${blk.leader} of table ${t} h${blk.height}`).toBe(true);
        expect(newcomers.has(blk.leader)).toBe(false);
      }
      expect(inNewRound).toBeGreaterThan(5);
      expect(s.tables[t].stall_s_max, `table ${t}`).toBeLessThan(5);
    }
  });

  it('a new member whose first state source is down syncs from the members that answer', () => {
    const sc = churn(100_000_000);
    const b = buildRun(sc);
    const r = top(b).rounds[0][1];
    const joiner = [...r.validators[0]].find((id) => r.joined.get(id) === 1)!;
    // The first member the joiner probes (requestState, attempt 0), crashed just before the
    // election so nobody has noticed yet.
    const members = top(b).ctx.epoch(0, r.elected_clock).members;
    let first = members[joiner % members.length];
    if (first === joiner) first = members[(joiner + 1) % members.length];
    const crashed = { ...sc, faults: [{ kind: 'crash' as const, at_us: 59_900_000, until_us: 75_000_000, nodes: [b.nodes[first].name], state: 'kept' as const }] };
    const s = runScenario(crashed).summary;
    expect(s.violations).toEqual([]);
    expect(electionsOf(s)!.state_syncs).toBe(electionsOf(runScenario(sc).summary)!.state_syncs);
    // The probe waits one sync period for the silent member, then fetches from the best answer.
    expect(electionsOf(s)!.state_sync_s_max).toBeGreaterThanOrEqual(sc.protocol.sync_retry_us / 1e6);
  });

  it('the same digest twice, through two changes of round', () => {
    const sc = churn(140_000_000);
    const a = runScenario(sc).summary;
    const c = runScenario(sc).summary;
    expect(c.digest).toBe(a.digest);
    expect({ ...c, wall: null }).toEqual({ ...a, wall: null });
    expect(electionsOf(a)!.rounds.length).toBeGreaterThanOrEqual(2);
  });
});
