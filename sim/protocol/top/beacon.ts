/**
 * The beacon's cluster elections over a run (docs/PROTOCOL.md §7): which members each cluster's groups
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
 * anything that happens in the run, so the whole schedule is computed before the run (docs/DESIGN.md:
 * global choices are derived from the seed before the run or on the beacon chain) and every
 * node, in every worker, reads the same rounds.
 */
import type { TopScenario } from './scenario.js';
import {
  biasedSeed, dueClusters, electIn, electOut, electionSeed, grindingCandidates, groupSeed, roleExclusion, rotationPlan,
  roundStartClock, type GroupSeat, type StakeCandidate,
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
  sc: TopScenario;
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
  /** Churn: nodes of the pools that register only from this clock on (`join` faults). */
  joinClock?: ReadonlyMap<number, number>;
  /** Churn: nodes that deregister from this clock on (`leave` faults). */
  leaveClock?: ReadonlyMap<number, number>;
  /** Forced early rotations: at these clocks, these clusters hold an election, due or not. */
  forced?: ReadonlyMap<number, readonly number[]>;
  /** MC-3: seed grinding by the drand round's aggregator. */
  grind?: GrindInput;
}

/** A grinding adversary (MC-3): which triggers it aggregates, how hard it tries, whom it favours. */
export interface GrindInput {
  /** Whether a grinding node aggregates the drand round of the trigger at `clock`. */
  leads(clock: number): boolean;
  tries: number;
  favor: ReadonlySet<number>;
}

/** One trigger whose seed a grinder chose: favoured nodes seated with the honest seed and with its pick. */
export interface GroundTrigger {
  clock: number;
  /** Which candidate it kept (0: the honest seed was already the best). */
  chosen: number;
  favored_fair: number;
  favored_ground: number;
}

export interface ElectionPlan {
  rounds: ClusterRound[][];
  ground: GroundTrigger[];
}

/** The seed of the trigger at `clock` (the drand signature word, MC-3). */
export function triggerSeed(runSeed: number, clock: number): bigint {
  return electionSeed(drandWord(runSeed, clock), clock, 0, 0);
}

function drandWord(runSeed: number, clock: number): bigint {
  return draw64(`${runSeed}/drand/${clock}`);
}

/** Every cluster's rounds, genesis first, for a run up to `lastClock`. */
export function electionSchedule(inp: ElectionInput): ClusterRound[][] {
  return electionPlan(inp).rounds;
}

/** The seats and bookkeeping that elections carry from one trigger to the next. */
interface SeatState {
  vSeats: number[][];
  aSeats: number[][];
  joinedV: Map<number, number>[];
  joinedA: Map<number, number>[];
  last: number[];
  rounds: ClusterRound[][];
}

function cloneState(st: SeatState): SeatState {
  return {
    vSeats: st.vSeats.map((g) => [...g]),
    aSeats: st.aSeats.map((g) => [...g]),
    joinedV: st.joinedV.map((m) => new Map(m)),
    joinedA: st.joinedA.map((m) => new Map(m)),
    last: [...st.last],
    rounds: st.rounds.map((l) => [...l]),
  };
}

/**
 * Every cluster's rounds, genesis first, for a run up to `lastClock`, with the triggers whose
 * seed a grinder chose.
 *
 * Churn: a node is a candidate only while registered (from its `join` clock, before its `leave`
 * clock). A member no longer registered is elected out first (§7.3); the election removes at
 * least all of them, and adds as many as the standby pool and the group's maximum size allow on
 * top of the usual plan, so a group does not shrink just because members left.
 */
export function electionPlan(inp: ElectionInput): ElectionPlan {
  const { sc, vGroups, aGroups } = inp;
  const e = sc.elections;
  const AG = aGroups.length;
  const VPA = sc.topology.validator_groups_per_auditor;
  const joinClock = inp.joinClock ?? new Map<number, number>();
  const leaveClock = inp.leaveClock ?? new Map<number, number>();
  const forced = inp.forced ?? new Map<number, readonly number[]>();
  const registered = (id: number, clock: number) =>
    (joinClock.get(id) ?? 0) <= clock && clock < (leaveClock.get(id) ?? Infinity);
  const init: SeatState = {
    vSeats: vGroups.map((g) => [...g]),
    aSeats: aGroups.map((g) => [...g]),
    joinedV: vGroups.map((g) => new Map<number, number>([...g].map((id) => [id, 0]))),
    joinedA: aGroups.map((g) => new Map<number, number>([...g].map((id) => [id, 0]))),
    last: new Array<number>(AG).fill(0),
    rounds: [],
  };
  init.rounds = aGroups.map((_, c) => [{
    cluster: c, round: 0, elected_clock: 0, start_clock: 0, auditors: Int32Array.from(init.aSeats[c]),
    validators: Array.from({ length: VPA }, (_, k) => Int32Array.from(init.vSeats[c * VPA + k])),
    joined: new Map([...init.joinedA[c], ...Array.from({ length: VPA }, (_, k) => [...init.joinedV[c * VPA + k]]).flat()]),
  }]);
  const ground: GroundTrigger[] = [];
  const standbyAny = inp.validatorPool.length > init.vSeats.flat().length || inp.auditorPool.length > init.aSeats.flat().length;
  if (!standbyAny && leaveClock.size === 0) return { rounds: init.rounds, ground };
  const cand = (pool: readonly number[]): StakeCandidate[] => pool.map((id) => ({ id, stake: inp.weight(id) }));
  const vCands = cand(inp.validatorPool);
  const aCands = cand(inp.auditorPool);

  /** One trigger's elections at `clock` with `seed`, applied to `st` in place. */
  const trigger = (st: SeatState, clock: number, seed: bigint, isTrigger: boolean): void => {
    const seats = (): GroupSeat[] => [
      ...st.aSeats.flatMap((g, a) => g.map((id) => ({ id, kind: 'auditor' as const, group: a }))),
      ...st.vSeats.flatMap((g, v) => g.map((id) => ({ id, kind: 'validator' as const, group: v, parentAuditor: Math.floor(v / VPA) }))),
    ];
    /** One group's election; returns the new member list (ascending). */
    const electGroup = (members: number[], maxSize: number, cands: StakeCandidate[], excluded: (id: number) => boolean,
      gSeed: bigint): number[] => {
      const memberSet = new Set(members);
      const eligible = cands.filter((c) => registered(c.id, clock));
      const standby = eligible.filter((c) => !memberSet.has(c.id) && !excluded(c.id)).length;
      const gone = members.filter((id) => !registered(id, clock));
      const plan = rotationPlan(members.length, maxSize, standby, e.rotation_percent, e.min_rotation_ratio_percent);
      const remove = Math.max(plan.remove, gone.length);
      const add = Math.min(standby, maxSize - (members.length - remove), plan.add + (remove - plan.remove));
      const out = new Set(electOut(members.map((id) => ({ id, stake: inp.weight(id) })), gone, remove, gSeed));
      const inn = electIn(eligible, memberSet, add, gSeed, excluded);
      return [...members.filter((id) => !out.has(id)), ...inn].sort((x, y) => x - y);
    };
    const due = isTrigger ? dueClusters(clock, st.last, e.cluster_interval, seed, AG + vGroups.length, e.clusters_per_trigger) : [];
    const list = [...new Set([...due, ...(forced.get(clock) ?? [])])].sort((x, y) => x - y);
    for (const c of list) {
      const round = st.rounds[c].length;
      const aSeed = groupSeed(seed, c);
      const nextA = electGroup(st.aSeats[c], e.max_auditor_group_size, aCands,
        roleExclusion({ kind: 'auditor', group: c }, seats()), aSeed);
      for (const id of st.aSeats[c]) if (!nextA.includes(id)) st.joinedA[c].delete(id);
      for (const id of nextA) if (!st.joinedA[c].has(id)) st.joinedA[c].set(id, round);
      st.aSeats[c] = nextA;
      for (let k = 0; k < VPA; k++) {
        const g = c * VPA + k;
        const nextV = electGroup(st.vSeats[g], e.max_validator_group_size, vCands,
          roleExclusion({ kind: 'validator', group: g, parentAuditor: c }, seats()), groupSeed(seed, AG + g));
        for (const id of st.vSeats[g]) if (!nextV.includes(id)) st.joinedV[g].delete(id);
        for (const id of nextV) if (!st.joinedV[g].has(id)) st.joinedV[g].set(id, round);
        st.vSeats[g] = nextV;
      }
      st.last[c] = clock;
      st.rounds[c] = [...st.rounds[c], {
        cluster: c, round, elected_clock: clock, start_clock: roundStartClock(clock, e.cluster_interval),
        auditors: Int32Array.from(st.aSeats[c]),
        validators: Array.from({ length: VPA }, (_, k) => Int32Array.from(st.vSeats[c * VPA + k])),
        joined: new Map([...st.joinedA[c], ...Array.from({ length: VPA }, (_, k) => [...st.joinedV[c * VPA + k]]).flat()]),
      }];
    }
  };
  /** Favoured nodes holding a seat. */
  const favoredSeated = (st: SeatState, favor: ReadonlySet<number>) =>
    [...st.aSeats, ...st.vSeats].reduce((n, g) => n + g.filter((id) => favor.has(id)).length, 0);

  const clocks = new Set<number>();
  for (let clock = e.trigger_interval; clock <= inp.lastClock; clock += e.trigger_interval) clocks.add(clock);
  for (const clock of forced.keys()) if (clock >= 1 && clock <= inp.lastClock) clocks.add(clock);
  let st = init;
  for (const clock of [...clocks].sort((x, y) => x - y)) {
    const isTrigger = clock % e.trigger_interval === 0;
    const g = inp.grind;
    if (g && g.leads(clock)) {
      // The aggregator tries alternative signer sets and keeps the seed that seats the most
      // favoured nodes once this trigger's elections are done (ties: the earliest, so honest).
      const seeds = grindingCandidates(drandWord(sc.seed, clock), clock, 0, 0, g.tries);
      const outcomes = seeds.map((seed) => {
        const trial = cloneState(st);
        trigger(trial, clock, seed, isTrigger);
        return trial;
      });
      const scores = outcomes.map((o) => favoredSeated(o, g.favor));
      const pick = seeds.indexOf(biasedSeed(seeds, (seed) => scores[seeds.indexOf(seed)]));
      ground.push({ clock, chosen: pick, favored_fair: scores[0], favored_ground: scores[pick] });
      st = outcomes[pick];
    } else {
      trigger(st, clock, triggerSeed(sc.seed, clock), isTrigger);
    }
  }
  return { rounds: st.rounds, ground };
}
