/**
 * TOP election mechanics as pure functions (docs/PROTOCOL.md §5, §7, §8.2): Follow-The-Satoshi
 * selection, elect-in / elect-out, rotation sizes, the cluster rotation schedule, the leader pools
 * and the election seed (with the MC-3 grinding knob).
 *
 * Nothing here touches the engine, a clock or a shared stream: every result is a function of the
 * arguments, so every node (and every worker) that evaluates an election gets the same answer.
 *
 * Randomness: SplitMix64 (Steele, Lea & Flood 2014; the reference `splitmix64.c`), on BigInt and
 * masked to 64 bits, so it is exact on every engine. TOP itself uses `std::mt19937_64`; we do not
 * claim bit-compatibility with TOP's draws, only the same selection semantics.
 */
import { sha256 } from '@noble/hashes/sha2.js';

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------

const MASK64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/**
 * SplitMix64, the seed generator of the xoshiro family (reference: `splitmix64.c`). Chosen for the
 * FTS draws of §7.3 because its state is one 64-bit word, so a 64-bit election seed maps to a
 * stream with no further derivation, and consecutive seeds (seed + groupId, as TOP does) give
 * unrelated streams. Exact on BigInt; seed 1234567 gives 6457827717110365317, 3203168211198807973…
 */
export class SplitMix64 {
  private state: bigint;

  constructor(seed: bigint) {
    if (typeof seed !== 'bigint') throw new RangeError(`SplitMix64: seed must be a bigint, got ${typeof seed}`);
    // Reduce mod 2^64 like a C++ uint64_t, so `seed + groupId` may wrap as it does in TOP.
    this.state = BigInt.asUintN(64, seed);
  }

  /** The next unsigned 64-bit output. */
  next(): bigint {
    this.state = (this.state + GOLDEN_GAMMA) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /**
   * A uniform integer in [0, bound), bound ≥ 1, of any size: draw enough 64-bit words, keep the
   * low bitLength(bound - 1) bits and reject values ≥ bound. Unbiased (no modulo bias) and exact.
   */
  below(bound: bigint): bigint {
    if (bound < 1n) throw new RangeError(`SplitMix64.below: bound must be >= 1, got ${bound}`);
    if (bound === 1n) return 0n;
    const bits = bitLength(bound - 1n);
    const words = Math.ceil(bits / 64);
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      let x = 0n;
      for (let i = 0; i < words; i++) x = (x << 64n) | this.next();
      x &= mask;
      if (x < bound) return x;
    }
  }
}

function bitLength(x: bigint): number {
  let n = 0;
  while (x > 0n) {
    x >>= 1n;
    n++;
  }
  return n;
}

/**
 * The seed TOP hands to one group's FTS: `random_seed + groupId` as uint64 (§7.2,
 * `elect_group` in xelect_consensus_group_contract.cpp). Elect-out and elect-in of one group use
 * the same value.
 */
export function groupSeed(seed: bigint, groupId: number): bigint {
  checkBigSeed('groupSeed', seed);
  checkNonNegInt('groupSeed', 'groupId', groupId);
  return BigInt.asUintN(64, seed + BigInt(groupId));
}

// ---------------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------------

function checkNonNegInt(fn: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`${fn}: ${name} must be a non-negative safe integer, got ${String(v)}`);
  }
}

function checkPosInt(fn: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new RangeError(`${fn}: ${name} must be a positive safe integer, got ${String(v)}`);
  }
}

function checkBigSeed(fn: string, seed: bigint): void {
  if (typeof seed !== 'bigint') throw new RangeError(`${fn}: seed must be a bigint, got ${typeof seed}`);
}

function checkId(fn: string, where: string, id: number): void {
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
    throw new RangeError(`${fn}: ${where}.id must be a safe integer, got ${String(id)}`);
  }
}

/** A stake as an exact non-negative BigInt; numbers must be safe integers. */
function toStake(fn: string, where: string, s: number | bigint): bigint {
  if (typeof s === 'bigint') {
    if (s < 0n) throw new RangeError(`${fn}: ${where}.stake must be >= 0, got ${s}`);
    return s;
  }
  if (typeof s !== 'number' || !Number.isSafeInteger(s)) {
    throw new RangeError(`${fn}: ${where}.stake must be an integer (exact, below 2^53), got ${String(s)}`);
  }
  if (s < 0) throw new RangeError(`${fn}: ${where}.stake must be >= 0, got ${s}`);
  return BigInt(s);
}

function checkDistinct(fn: string, what: string, ids: readonly number[]): void {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) throw new RangeError(`${fn}: duplicate id ${id} in ${what}`);
    seen.add(id);
  }
}

// ---------------------------------------------------------------------------------------------
// FTS (§7.3)
// ---------------------------------------------------------------------------------------------

/** A selection candidate. Stakes are exact integers; a bigint is accepted for sums beyond 2^53. */
export interface StakeCandidate {
  readonly id: number;
  readonly stake: number | bigint;
}

/**
 * Follow-The-Satoshi selection, `select(candidates, seed, k)` of TOP's `xfts.h` (docs/PROTOCOL.md §7.3).
 *
 * Draws `k` distinct candidates without replacement. A complete binary tree is built over the
 * candidates in the given order (leaf i = candidate i); each node holds the stake sum of its
 * subtree. One draw walks from the root: at each node it draws r uniform in [0, L + R) and goes
 * left iff r < L, so a leaf is reached with probability exactly stake / remaining total. The chosen
 * leaf's weight is then set to 0 and its ancestors' sums updated. If `candidates.length <= k` all ids
 * are returned in input order (as `xfts.h`); otherwise ids come back in draw order.
 *
 * Zero stakes: a zero-stake candidate is never drawn while positive stake remains; once it is
 * exhausted, the remaining draws take zero-stake candidates in input order (what `xfts.h` does,
 * as its inclusive draw goes left on an all-zero subtree).
 *
 * Differences from `xfts.h`, on purpose: TOP draws r in [0, S] inclusive and goes left iff r ≤ L,
 * a (L+1)/(S+1) bias toward the left, and rebuilds the tree from the remaining list after each
 * draw; we use the exact proportional rule the docs describe and a fixed tree with removal.
 * Randomness: SplitMix64 seeded with `seed` (mod 2^64), one uniform draw per tree level.
 */
export function ftsSelect(candidates: readonly StakeCandidate[], seed: bigint, k: number): number[] {
  const fn = 'ftsSelect';
  if (!Array.isArray(candidates)) throw new RangeError(`${fn}: candidates must be an array`);
  checkBigSeed(fn, seed);
  checkNonNegInt(fn, 'k', k);
  const n = candidates.length;
  const weights: bigint[] = new Array<bigint>(n);
  const ids: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const c = candidates[i];
    checkId(fn, `candidates[${i}]`, c.id);
    ids[i] = c.id;
    weights[i] = toStake(fn, `candidates[${i}]`, c.stake);
  }
  checkDistinct(fn, 'candidates', ids);
  if (n <= k) return ids.slice();
  if (k === 0) return [];

  // Array-backed tree: root at 1, children of i at 2i and 2i+1, leaves at [size, size + n).
  let size = 1;
  while (size < n) size *= 2;
  const tree = new Array<bigint>(2 * size).fill(0n);
  for (let i = 0; i < n; i++) tree[size + i] = weights[i];
  for (let i = size - 1; i >= 1; i--) tree[i] = tree[2 * i] + tree[2 * i + 1];

  const taken = new Array<boolean>(n).fill(false);
  const rng = new SplitMix64(seed);
  const out: number[] = [];
  let zeroCursor = 0; // next candidate to consider once positive stake is exhausted
  while (out.length < k) {
    let leaf: number;
    if (tree[1] === 0n) {
      while (taken[zeroCursor]) zeroCursor++;
      leaf = zeroCursor;
    } else {
      let node = 1;
      while (node < size) {
        const left = tree[2 * node];
        const right = tree[2 * node + 1];
        node = rng.below(left + right) < left ? 2 * node : 2 * node + 1;
      }
      leaf = node - size;
    }
    taken[leaf] = true;
    out.push(ids[leaf]);
    const w = tree[size + leaf];
    if (w !== 0n) for (let i = size + leaf; i >= 1; i >>= 1) tree[i] -= w;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rotation sizes (§7.4)
// ---------------------------------------------------------------------------------------------

/** How many members one election adds to and removes from a group. */
export interface RotationPlan {
  readonly add: number;
  readonly remove: number;
}

/**
 * Rotation size of one group election (docs/PROTOCOL.md §7.4; `do_normal_election` /
 * `do_shrink_election` in xelect_consensus_group_contract.cpp).
 *
 * rotation = max(1, floor(ratioPercent × groupSize / 100)): 64 → 5, 128 → 10.
 * - Above `maxSize` (after a governance shrink): only removes, `groupSize − maxSize` at once.
 * - At `maxSize`: adds = removes = min(rotation, standbyCount).
 * - Below `maxSize`: adds min(rotation, standbyCount, maxSize − groupSize) and removes nothing,
 *   unless the standby pool is small: standbyCount ≤ ceil(minRotationRatioPercent% × groupSize)
 *   (the code's `(size × 66 + 99) / 100`), in which case it removes as many as it adds.
 * - Below `minSize` (optional, default 0; the code's `min_group_size`): adds up to the minimum.
 * `standbyCount` is the number of candidates not already in the group. `remove` counts every
 * member that leaves, including those that are no longer eligible (see `electOut`).
 */
export function rotationPlan(
  groupSize: number,
  maxSize: number,
  standbyCount: number,
  ratioPercent = 8,
  minRotationRatioPercent = 66,
  minSize = 0,
): RotationPlan {
  const fn = 'rotationPlan';
  checkNonNegInt(fn, 'groupSize', groupSize);
  checkPosInt(fn, 'maxSize', maxSize);
  checkNonNegInt(fn, 'standbyCount', standbyCount);
  checkNonNegInt(fn, 'ratioPercent', ratioPercent);
  checkNonNegInt(fn, 'minRotationRatioPercent', minRotationRatioPercent);
  checkNonNegInt(fn, 'minSize', minSize);
  if (ratioPercent > 100) throw new RangeError(`${fn}: ratioPercent must be <= 100, got ${ratioPercent}`);
  if (minSize > maxSize) throw new RangeError(`${fn}: minSize ${minSize} exceeds maxSize ${maxSize}`);

  if (groupSize > maxSize) return { add: 0, remove: groupSize - maxSize };
  if (groupSize < minSize) return { add: Math.min(minSize - groupSize, standbyCount), remove: 0 };
  const rotation = Math.max(1, Math.floor((ratioPercent * groupSize) / 100));
  if (groupSize === maxSize) {
    const swap = Math.min(rotation, standbyCount);
    return { add: swap, remove: swap };
  }
  const add = Math.min(rotation, standbyCount, maxSize - groupSize);
  const smallPoolMax = Math.floor((groupSize * minRotationRatioPercent + 99) / 100); // ceil(66% × size)
  return { add, remove: standbyCount <= smallPoolMax ? add : 0 };
}

// ---------------------------------------------------------------------------------------------
// Elect-out and elect-in (§7.3, §5)
// ---------------------------------------------------------------------------------------------

/** The weight scale of the inverted elect-out stake, `basic_comprehensive_stake = 1e8`. */
export const ELECT_OUT_SCALE = 100_000_000n;

/**
 * Elect-out (docs/PROTOCOL.md §7.3): chooses `count` members to leave the group.
 *
 * 1. Ineligible members (no longer in the standby pool) leave first, in ascending id order, up to
 *    `count`. Ids in `ineligible` that are not members are ignored.
 * 2. The rest are drawn by `ftsSelect` over the remaining members with the inverted weight
 *    floor(topStake × 1e8 / stake) (exact, BigInt), so low stakes are likelier to leave. Stake 0
 *    counts as 1, and an ineligible member kept because `count` ran out counts as 1 too (TOP
 *    resets its comprehensive stake to `minimum_comprehensive_stake`). As in TOP, the candidates
 *    are ordered by stake descending, then id descending, so input order does not matter.
 *
 * Returns the leaving ids: the ineligible ones first, then the FTS picks in draw order.
 * `seed` is the group's seed (`groupSeed`).
 */
export function electOut(
  members: readonly StakeCandidate[],
  ineligible: ReadonlySet<number> | readonly number[],
  count: number,
  seed: bigint,
): number[] {
  const fn = 'electOut';
  if (!Array.isArray(members)) throw new RangeError(`${fn}: members must be an array`);
  checkNonNegInt(fn, 'count', count);
  checkBigSeed(fn, seed);
  const stakes = members.map((m, i) => {
    checkId(fn, `members[${i}]`, m.id);
    return toStake(fn, `members[${i}]`, m.stake);
  });
  checkDistinct(fn, 'members', members.map((m) => m.id));
  if (count > members.length) throw new RangeError(`${fn}: cannot remove ${count} of ${members.length} members`);
  const bad = ineligible instanceof Set ? ineligible : new Set<number>(ineligible as readonly number[]);

  const gone = members
    .map((m) => m.id)
    .filter((id) => bad.has(id))
    .sort((a, b) => a - b)
    .slice(0, count);
  const remaining = count - gone.length;
  if (remaining === 0) return gone;

  const goneSet = new Set(gone);
  const pool: { id: number; stake: bigint }[] = [];
  members.forEach((m, i) => {
    if (goneSet.has(m.id)) return;
    const s = bad.has(m.id) || stakes[i] === 0n ? 1n : stakes[i];
    pool.push({ id: m.id, stake: s });
  });
  pool.sort((a, b) => (a.stake !== b.stake ? (a.stake > b.stake ? -1 : 1) : b.id - a.id));
  const top = pool[0].stake;
  const inverted = pool.map((p) => ({ id: p.id, stake: (top * ELECT_OUT_SCALE) / p.stake }));
  return gone.concat(ftsSelect(inverted, seed, remaining));
}

/**
 * Elect-in (docs/PROTOCOL.md §7.3, exclusions of §5): chooses up to `count` standby candidates to join.
 *
 * FTS by comprehensive stake over the standby candidates that are not already members and for
 * which `excluded(id)` is false (build it with `roleExclusion`). As in TOP, candidates are ordered
 * by stake ascending, then id ascending, before the tree is built, so input order does not matter.
 * If at most `count` candidates qualify, all of them are returned (in that order); otherwise the
 * picks come back in draw order. `seed` is the group's seed (`groupSeed`, the same as elect-out).
 */
export function electIn(
  standby: readonly StakeCandidate[],
  currentMembers: ReadonlySet<number> | readonly number[],
  count: number,
  seed: bigint,
  excluded: (id: number) => boolean = () => false,
): number[] {
  const fn = 'electIn';
  if (!Array.isArray(standby)) throw new RangeError(`${fn}: standby must be an array`);
  checkNonNegInt(fn, 'count', count);
  checkBigSeed(fn, seed);
  if (typeof excluded !== 'function') throw new RangeError(`${fn}: excluded must be a function`);
  const stakes = standby.map((c, i) => {
    checkId(fn, `standby[${i}]`, c.id);
    return toStake(fn, `standby[${i}]`, c.stake);
  });
  checkDistinct(fn, 'standby', standby.map((c) => c.id));
  const members = currentMembers instanceof Set ? currentMembers : new Set<number>(currentMembers as readonly number[]);

  const pool: { id: number; stake: bigint }[] = [];
  standby.forEach((c, i) => {
    if (members.has(c.id) || excluded(c.id)) return;
    pool.push({ id: c.id, stake: stakes[i] });
  });
  pool.sort((a, b) => (a.stake !== b.stake ? (a.stake < b.stake ? -1 : 1) : a.id - b.id));
  return ftsSelect(pool, seed, count);
}

/** A seat in a consensus group: auditor group `group`, or validator group `group` under `parentAuditor`. */
export interface GroupSeat {
  readonly id: number;
  readonly kind: 'auditor' | 'validator';
  readonly group: number;
  /** For validator seats: the auditor group the validator group hangs under. */
  readonly parentAuditor?: number;
}

/** The group an election fills. A validator group names its auditor group. */
export type ElectionTarget =
  | { readonly kind: 'auditor'; readonly group: number }
  | { readonly kind: 'validator'; readonly group: number; readonly parentAuditor: number };

/**
 * The role-exclusion rules of docs/PROTOCOL.md §5 as an `excluded` callback for `electIn`: a node may
 * not sit in two auditor groups, nor in two validator groups, nor in an auditor group and one of
 * that auditor group's validator groups. `seats` are the current seats of every consensus group
 * (members of the target group itself are not excluded here; `electIn` skips them as members).
 */
export function roleExclusion(target: ElectionTarget, seats: readonly GroupSeat[]): (id: number) => boolean {
  const fn = 'roleExclusion';
  if (target.kind !== 'auditor' && target.kind !== 'validator') {
    throw new RangeError(`${fn}: target.kind must be 'auditor' or 'validator'`);
  }
  checkNonNegInt(fn, 'target.group', target.group);
  if (target.kind === 'validator') checkNonNegInt(fn, 'target.parentAuditor', target.parentAuditor);
  const out = new Set<number>();
  seats.forEach((s, i) => {
    checkId(fn, `seats[${i}]`, s.id);
    if (s.kind === 'validator' && s.parentAuditor === undefined) {
      throw new RangeError(`${fn}: seats[${i}] is a validator seat without parentAuditor`);
    }
    if (target.kind === 'auditor') {
      if (s.kind === 'auditor' && s.group !== target.group) out.add(s.id); // rule 1
      if (s.kind === 'validator' && s.parentAuditor === target.group) out.add(s.id); // rule 3
    } else {
      if (s.kind === 'validator' && s.group !== target.group) out.add(s.id); // rule 2
      if (s.kind === 'auditor' && s.group === target.parentAuditor) out.add(s.id); // rule 3
    }
  });
  return (id) => out.has(id);
}

// ---------------------------------------------------------------------------------------------
// Cluster rotation schedule (§7.4)
// ---------------------------------------------------------------------------------------------

/** At most this many clusters rotate per ZEC trigger (`max_auditor_rotation_count`, §7.4). */
export const MAX_CLUSTERS_PER_TRIGGER = 2;
/** ZEC's election timer period in clocks (`zone_election_trigger_interval`, §7.4). */
export const ZONE_ELECTION_TRIGGER_CLOCKS = 31;

/**
 * The schedule jitter of cluster `clusterIndex` (docs/PROTOCOL.md §7.4): (seed mod W) − floor(W/2) with
 * W = totalGroupCount + clusterIndex, so it lies in [−floor(W/2), W − 1 − floor(W/2)].
 */
export function clusterJitter(seed: bigint | number, clusterIndex: number, totalGroupCount: number): number {
  const fn = 'clusterJitter';
  checkNonNegInt(fn, 'clusterIndex', clusterIndex);
  checkPosInt(fn, 'totalGroupCount', totalGroupCount);
  const s = toSeed64(fn, seed);
  const w = totalGroupCount + clusterIndex;
  return Number(s % BigInt(w)) - Math.floor(w / 2);
}

/**
 * Whether cluster `clusterIndex` is due for rotation at ZEC clock `nowClock` (docs/PROTOCOL.md §7.4,
 * `elect` in xzec_elect_consensus_group_contract.cpp): now − last ≥ interval + jitter.
 */
export function clusterDue(
  nowClock: number,
  lastElectionClock: number,
  interval: number,
  seed: bigint | number,
  clusterIndex: number,
  totalGroupCount: number,
): boolean {
  const fn = 'clusterDue';
  checkNonNegInt(fn, 'nowClock', nowClock);
  checkNonNegInt(fn, 'lastElectionClock', lastElectionClock);
  checkPosInt(fn, 'interval', interval);
  if (lastElectionClock > nowClock) {
    throw new RangeError(`${fn}: lastElectionClock ${lastElectionClock} is after nowClock ${nowClock}`);
  }
  return nowClock - lastElectionClock >= interval + clusterJitter(seed, clusterIndex, totalGroupCount);
}

/**
 * The clusters that rotate at one ZEC trigger (docs/PROTOCOL.md §7.4): the due ones in index order, at
 * most `maxPerTrigger`. (TOP counts only elections that succeed against the cap; a caller whose
 * election can fail should call `clusterDue` per cluster instead.)
 */
export function dueClusters(
  nowClock: number,
  lastElectionClocks: readonly number[],
  interval: number,
  seed: bigint | number,
  totalGroupCount: number,
  maxPerTrigger = MAX_CLUSTERS_PER_TRIGGER,
): number[] {
  checkNonNegInt('dueClusters', 'maxPerTrigger', maxPerTrigger);
  const out: number[] = [];
  for (let i = 0; i < lastElectionClocks.length && out.length < maxPerTrigger; i++) {
    if (clusterDue(nowClock, lastElectionClocks[i], interval, seed, i, totalGroupCount)) out.push(i);
  }
  return out;
}

/**
 * The clock at which a round elected at `electionClock` becomes active (docs/PROTOCOL.md §7.4):
 * electionClock + floor(interval / 2); the previous round is faded at that moment.
 */
export function roundStartClock(electionClock: number, interval: number): number {
  checkNonNegInt('roundStartClock', 'electionClock', electionClock);
  checkPosInt('roundStartClock', 'interval', interval);
  return electionClock + Math.floor(interval / 2);
}

function toSeed64(fn: string, seed: bigint | number): bigint {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  checkNonNegInt(fn, 'seed', seed);
  return BigInt(seed);
}

// ---------------------------------------------------------------------------------------------
// Leader pools (§8.2)
// ---------------------------------------------------------------------------------------------

/** A group member as the leader election sees it. `credit` is the score in [0, 1]. */
export interface LeaderCandidate {
  readonly id: number;
  readonly joinedRound: number;
  readonly credit: number;
  readonly genesis: boolean;
}

/** Leader candidates split by priority; ids keep the input (slot) order. */
export interface LeaderPool {
  readonly high: number[];
  readonly low: number[];
}

/** Credit scores are compared in integer millionths, as TOP stores them (numerator over 1e6). */
const CREDIT_UNITS = 1_000_000;

/**
 * Leader priority pools of docs/PROTOCOL.md §8.2 (`get_leader` in xleader_election.cpp).
 * Low priority: members who joined within the last `leaderElectionRound` rounds
 * (currentRound − joinedRound < leaderElectionRound), except those who joined in round 0, whom
 * TOP always trusts (the genesis election, `joined_version == 0`); and non-genesis members whose
 * credit ≤ `minCredit`. Everyone else is high priority. Credits compare in integer millionths so
 * float drift (0.30000000000000004) never flips a decision.
 */
export function leaderPool(
  members: readonly LeaderCandidate[],
  currentRound: number,
  leaderElectionRound = 2,
  minCredit = 0.1,
): LeaderPool {
  const fn = 'leaderPool';
  checkNonNegInt(fn, 'currentRound', currentRound);
  checkNonNegInt(fn, 'leaderElectionRound', leaderElectionRound);
  if (!(Number.isFinite(minCredit) && minCredit >= 0 && minCredit <= 1)) {
    throw new RangeError(`${fn}: minCredit must be in [0, 1], got ${minCredit}`);
  }
  const minUnits = Math.round(minCredit * CREDIT_UNITS);
  const high: number[] = [];
  const low: number[] = [];
  members.forEach((m, i) => {
    checkId(fn, `members[${i}]`, m.id);
    checkNonNegInt(fn, `members[${i}].joinedRound`, m.joinedRound);
    if (m.joinedRound > currentRound) {
      throw new RangeError(`${fn}: members[${i}].joinedRound ${m.joinedRound} is after currentRound ${currentRound}`);
    }
    if (!(Number.isFinite(m.credit) && m.credit >= 0 && m.credit <= 1)) {
      throw new RangeError(`${fn}: members[${i}].credit must be in [0, 1], got ${m.credit}`);
    }
    const recent = m.joinedRound !== 0 && currentRound - m.joinedRound < leaderElectionRound;
    const lowCredit = !m.genesis && Math.round(m.credit * CREDIT_UNITS) <= minUnits;
    (recent || lowCredit ? low : high).push(m.id);
  });
  checkDistinct(fn, 'members', high.concat(low));
  return { high, low };
}

/**
 * The leader among a pool (docs/PROTOCOL.md §8.2): FTS (`ftsSelect`, k = 1) over `high`, or over `low`
 * if `high` is empty. `weights` gives each candidate's FTS weight, used as given: per §8.2 pass
 * comprehensive stake + 1. `seed` is the view's seed (TOP: view id + table xid).
 */
export function pickLeader(
  pool: LeaderPool,
  weights: ReadonlyMap<number, number | bigint> | ((id: number) => number | bigint),
  seed: bigint,
): number {
  const fn = 'pickLeader';
  checkBigSeed(fn, seed);
  const cands = pool.high.length > 0 ? pool.high : pool.low;
  if (cands.length === 0) throw new RangeError(`${fn}: both leader pools are empty`);
  const weightOf = (id: number): number | bigint => {
    if (typeof weights === 'function') return weights(id);
    const w = weights.get(id);
    if (w === undefined) throw new RangeError(`${fn}: no weight for candidate ${id}`);
    return w;
  };
  return ftsSelect(cands.map((id) => ({ id, stake: weightOf(id) })), seed, 1)[0];
}

// ---------------------------------------------------------------------------------------------
// Election seed and grinding (§7.2, MC-3)
// ---------------------------------------------------------------------------------------------

const SEED_TAG = new TextEncoder().encode('topsim/election-seed/v1');

function u64be(fn: string, name: string, v: number | bigint): Uint8Array {
  let x: bigint;
  if (typeof v === 'bigint') {
    if (v < 0n || v > MASK64) throw new RangeError(`${fn}: ${name} must be in [0, 2^64), got ${v}`);
    x = v;
  } else {
    checkNonNegInt(fn, name, v);
    x = BigInt(v);
  }
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/**
 * The 64-bit seed of one group election (docs/PROTOCOL.md §7.2, MC-3). TOP hashes the previous block's
 * nonce, the view token and the signature on the latest drand block, then `xxh64`s it and adds the
 * group id. We model that as sha256("topsim/election-seed/v1" ‖ u64be(drandSignatureWord) ‖
 * u64be(viewToken) ‖ u64be(prevNonce) ‖ u64be(groupId)), first 8 bytes big-endian, so the seed
 * depends on every input and the drand signature is the one an aggregator can vary (see `biasedSeed`).
 */
export function electionSeed(
  drandSignatureWord: number | bigint,
  viewToken: number,
  prevNonce: number,
  groupId: number,
): bigint {
  const fn = 'electionSeed';
  const msg = new Uint8Array(SEED_TAG.length + 32);
  msg.set(SEED_TAG, 0);
  msg.set(u64be(fn, 'drandSignatureWord', drandSignatureWord), SEED_TAG.length);
  msg.set(u64be(fn, 'viewToken', viewToken), SEED_TAG.length + 8);
  msg.set(u64be(fn, 'prevNonce', prevNonce), SEED_TAG.length + 16);
  msg.set(u64be(fn, 'groupId', groupId), SEED_TAG.length + 24);
  const h = sha256(msg);
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(h[i]);
  return x;
}

/**
 * `k` seeds a grinding drand leader can choose from (docs/PROTOCOL.md §7.2, MC-3). A Schnorr multisig
 * is not unique: an aggregator that leaves out or adds signers gets a different valid signature,
 * hence a different seed. Candidate 0 is the honest seed; candidate i > 0 replaces the signature
 * word with a hash of (word, i), standing for the i-th alternative signer set.
 */
export function grindingCandidates(
  drandSignatureWord: number | bigint,
  viewToken: number,
  prevNonce: number,
  groupId: number,
  k: number,
): bigint[] {
  checkPosInt('grindingCandidates', 'k', k);
  const out = [electionSeed(drandSignatureWord, viewToken, prevNonce, groupId)];
  for (let i = 1; i < k; i++) {
    const alt = electionSeed(drandSignatureWord, i, 0, 0xffffffff); // a distinct, derived signature word
    out.push(electionSeed(alt, viewToken, prevNonce, groupId));
  }
  return out;
}

/**
 * The MC-3 bias (docs/PROTOCOL.md §7.2): the drand leader picks, among candidate seeds, the one that
 * maximises `prefer` (ties go to the earliest candidate, so honest candidate 0 wins a tie).
 * `prefer` must return a number that is not NaN.
 */
export function biasedSeed(candidates: readonly bigint[], prefer: (s: bigint) => number): bigint {
  const fn = 'biasedSeed';
  if (!Array.isArray(candidates) || candidates.length === 0) throw new RangeError(`${fn}: no candidate seeds`);
  if (typeof prefer !== 'function') throw new RangeError(`${fn}: prefer must be a function`);
  let best = 0;
  let bestScore = -Infinity;
  candidates.forEach((s, i) => {
    if (typeof s !== 'bigint') throw new RangeError(`${fn}: candidates[${i}] must be a bigint`);
    const score = prefer(s);
    if (typeof score !== 'number' || Number.isNaN(score)) {
      throw new RangeError(`${fn}: prefer returned ${String(score)} for candidates[${i}]`);
    }
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return candidates[best];
}
