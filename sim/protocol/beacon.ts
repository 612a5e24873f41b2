/**
 * The beacon's cluster elections over a run (PROTOCOL.md §7): which members each cluster's groups
 * have in each round, when each round is elected and when it becomes active.
 *
 * ZEC's election timer fires every `trigger_interval` clocks; at each trigger the due clusters
 * (at most `clusters_per_trigger`) rotate their auditor group and all its validator groups in one
 * election: elect-out by inverted stake, elect-in by comprehensive stake from the standby pool,
 * under the role-exclusion rules. A round elected at clock c becomes active at c + interval/2, so
 * new members have time to sync the tables' state; the previous round stops then.
 *
 * The seed of each trigger stands for the drand block's signature (MC-3: a per-election value from
 * the run's seed). Elections depend only on the seed, the stakes and the registered nodes, not on
 * anything that happens in the run, so the whole schedule is computed before the run (DESIGN.md:
 * global choices are derived from the seed before the run or on the beacon chain) and every
 * node, in every worker, reads the same rounds.
 */
import type { Scenario } from '../scenario/types.js';
import {
  dueClusters, electIn, electOut, electionSeed, groupSeed, roleExclusion, rotationPlan, roundStartClock,
  type GroupSeat, type StakeCandidate,
} from './election.js';
import { draw64 } from './stake.js';

/** One round (group version) of a cluster: its auditor group and its validator groups. */
export interface ClusterRound {
  readonly cluster: number;
  readonly round: number;
  /** The clock of the election transaction (0 for genesis). */
  readonly elected_clock: number;
  /** From this clock on the round proposes and votes; the previous round stops. */
  readonly start_clock: number;
  readonly auditors: Int32Array;
  /** One member list per validator group of the cluster. */
  readonly validators: Int32Array[];
  /** The round in which each member joined its group (0: genesis). */
  readonly joined: ReadonlyMap<number, number>;
}

export interface ElectionInput {
  sc: Scenario;
  /** Genesis seats: validator group g, auditor group a. */
  vGroups: readonly Int32Array[];
  aGroups: readonly Int32Array[];
  /** Every registered (eligible) validator and auditor, seated or not, ascending. */
  validatorPool: readonly number[];
  auditorPool: readonly number[];
  /** Election weights (integers ≥ 1): comprehensive stake. */
  weight: (id: number) => number;
  /** Plan elections up to this clock. */
  lastClock: number;
}

/** The seed of the trigger at `clock` (the drand signature word, MC-3). */
export function triggerSeed(runSeed: number, clock: number): bigint {
  return electionSeed(draw64(`${runSeed}/drand/${clock}`), clock, 0, 0);
}

/** Every cluster's rounds, genesis first, for a run up to `lastClock`. */
export function electionSchedule(inp: ElectionInput): ClusterRound[][] {
  const { sc, vGroups, aGroups } = inp;
  const e = sc.elections;
  const AG = aGroups.length;
  const VPA = sc.topology.validator_groups_per_auditor;
  const vSeats = vGroups.map((g) => [...g]);
  const aSeats = aGroups.map((g) => [...g]);
  const joinedV = vGroups.map((g) => new Map<number, number>([...g].map((id) => [id, 0])));
  const joinedA = aGroups.map((g) => new Map<number, number>([...g].map((id) => [id, 0])));
  const rounds: ClusterRound[][] = aGroups.map((_, c) => [{
    cluster: c, round: 0, elected_clock: 0, start_clock: 0, auditors: Int32Array.from(aSeats[c]),
    validators: Array.from({ length: VPA }, (_, k) => Int32Array.from(vSeats[c * VPA + k])),
    joined: new Map([...joinedA[c], ...Array.from({ length: VPA }, (_, k) => [...joinedV[c * VPA + k]]).flat()]),
  }]);
  const standbyAny = inp.validatorPool.length > vSeats.flat().length || inp.auditorPool.length > aSeats.flat().length;
  if (!standbyAny) return rounds;
  const last = new Array<number>(AG).fill(0);
  const cand = (pool: readonly number[]): StakeCandidate[] => pool.map((id) => ({ id, stake: inp.weight(id) }));
  const vCands = cand(inp.validatorPool);
  const aCands = cand(inp.auditorPool);
  const seats = (): GroupSeat[] => [
    ...aSeats.flatMap((g, a) => g.map((id) => ({ id, kind: 'auditor' as const, group: a }))),
    ...vSeats.flatMap((g, v) => g.map((id) => ({ id, kind: 'validator' as const, group: v, parentAuditor: Math.floor(v / VPA) }))),
  ];
  /** One group's election; returns the new member list (ascending). */
  const electGroup = (members: number[], maxSize: number, cands: StakeCandidate[], excluded: (id: number) => boolean,
    seed: bigint): number[] => {
    const memberSet = new Set(members);
    const standby = cands.filter((c) => !memberSet.has(c.id) && !excluded(c.id)).length;
    const plan = rotationPlan(members.length, maxSize, standby, e.rotation_percent, e.min_rotation_ratio_percent);
    const out = new Set(electOut(members.map((id) => ({ id, stake: inp.weight(id) })), [], plan.remove, seed));
    const inn = electIn(cands, memberSet, plan.add, seed, excluded);
    return [...members.filter((id) => !out.has(id)), ...inn].sort((x, y) => x - y);
  };
  for (let clock = e.trigger_interval; clock <= inp.lastClock; clock += e.trigger_interval) {
    const seed = triggerSeed(sc.seed, clock);
    const due = dueClusters(clock, last, e.cluster_interval, seed, AG + vGroups.length, e.clusters_per_trigger);
    for (const c of due) {
      const round = rounds[c].length;
      const aSeed = groupSeed(seed, c);
      const nextA = electGroup(aSeats[c], e.max_auditor_group_size, aCands,
        roleExclusion({ kind: 'auditor', group: c }, seats()), aSeed);
      for (const id of aSeats[c]) if (!nextA.includes(id)) joinedA[c].delete(id);
      for (const id of nextA) if (!joinedA[c].has(id)) joinedA[c].set(id, round);
      aSeats[c] = nextA;
      for (let k = 0; k < VPA; k++) {
        const g = c * VPA + k;
        const nextV = electGroup(vSeats[g], e.max_validator_group_size, vCands,
          roleExclusion({ kind: 'validator', group: g, parentAuditor: c }, seats()), groupSeed(seed, AG + g));
        for (const id of vSeats[g]) if (!nextV.includes(id)) joinedV[g].delete(id);
        for (const id of nextV) if (!joinedV[g].has(id)) joinedV[g].set(id, round);
        vSeats[g] = nextV;
      }
      last[c] = clock;
      rounds[c].push({
        cluster: c, round, elected_clock: clock, start_clock: roundStartClock(clock, e.cluster_interval),
        auditors: Int32Array.from(aSeats[c]),
        validators: Array.from({ length: VPA }, (_, k) => Int32Array.from(vSeats[c * VPA + k])),
        joined: new Map([...joinedA[c], ...Array.from({ length: VPA }, (_, k) => [...joinedV[c * VPA + k]]).flat()]),
      });
    }
  }
  return rounds;
}
