import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ELECT_OUT_SCALE,
  MAX_CLUSTERS_PER_TRIGGER,
  SplitMix64,
  ZONE_ELECTION_TRIGGER_CLOCKS,
  biasedSeed,
  clusterDue,
  clusterJitter,
  dueClusters,
  electIn,
  electOut,
  electionSeed,
  ftsSelect,
  grindingCandidates,
  groupSeed,
  leaderPool,
  pickLeader,
  roleExclusion,
  rotationPlan,
  roundStartClock,
  type GroupSeat,
} from './election.js';

const cands = (stakes: readonly number[], base = 0) => stakes.map((stake, i) => ({ id: base + i, stake }));

describe('SplitMix64', () => {
  it('matches the published reference outputs', () => {
    // Proves the PRNG is SplitMix64 bit for bit (Rosetta Code / splitmix64.c vectors), so every
    // engine and every machine draws the same elections.
    const r = new SplitMix64(1234567n);
    expect([r.next(), r.next(), r.next(), r.next(), r.next()]).toEqual([
      6457827717110365317n,
      3203168211198807973n,
      9817491932198370423n,
      4593380528125082431n,
      16408922859458223821n,
    ]);
    expect(new SplitMix64(0n).next()).toBe(0xe220a8397b1dcdafn);
    // Seeds reduce mod 2^64 like a uint64_t, so seed + groupId may wrap as in TOP.
    expect(new SplitMix64(-1n).next()).toBe(new SplitMix64((1n << 64n) - 1n).next());
    expect(groupSeed((1n << 64n) - 1n, 2)).toBe(1n);
  });

  it('draws below a bound uniformly, including bounds beyond 2^64', () => {
    // Proves `below` stays in range for tiny and huge bounds and hits every value of a small range.
    const r = new SplitMix64(7n);
    const seen = new Set<bigint>();
    for (let i = 0; i < 200; i++) {
      const x = r.below(5n);
      expect(x >= 0n && x < 5n).toBe(true);
      seen.add(x);
    }
    expect(seen.size).toBe(5);
    const big = (1n << 70n) + 3n;
    for (let i = 0; i < 50; i++) expect(r.below(big) < big).toBe(true);
    expect(r.below(1n)).toBe(0n);
    expect(() => r.below(0n)).toThrow(RangeError);
  });
});

describe('ftsSelect (§7.3)', () => {
  const ten = Array.from({ length: 10 }, (_, i) => ({ id: 100 + i, stake: (i + 1) * 10 }));

  it('is a pure function of its inputs (golden picks)', () => {
    // Proves determinism: the same seed gives the same picks (fixed here, so a change in the
    // PRNG or tree walk shows up), and a different seed gives different picks.
    expect(ftsSelect(ten, 42n, 4)).toEqual([107, 102, 105, 109]);
    expect(ftsSelect(ten, 42n, 4)).toEqual(ftsSelect(ten.map((c) => ({ ...c })), 42n, 4));
    expect(ftsSelect(ten, 43n, 4)).toEqual([104, 109, 103, 106]);
  });

  it('returns k distinct candidates and never a duplicate', () => {
    // Proves draws are without replacement: every k from 0 to n - 1 gives k distinct input ids.
    for (let k = 0; k < ten.length; k++) {
      for (let seed = 0n; seed < 20n; seed++) {
        const out = ftsSelect(ten, seed, k);
        expect(out.length).toBe(k);
        expect(new Set(out).size).toBe(k);
        for (const id of out) expect(id >= 100 && id < 110).toBe(true);
      }
    }
  });

  it('returns every candidate, in input order, when k >= n', () => {
    // Proves the xfts.h short-cut: with no more candidates than seats, all are taken as given.
    const c = [{ id: 9, stake: 1 }, { id: 3, stake: 0 }, { id: 5, stake: 7 }];
    expect(ftsSelect(c, 1n, 3)).toEqual([9, 3, 5]);
    expect(ftsSelect(c, 1n, 10)).toEqual([9, 3, 5]);
    expect(ftsSelect([], 1n, 0)).toEqual([]);
  });

  it('selects with frequency proportional to stake (1:2:7 over 20,000 draws)', () => {
    // Proves the tree walk is exactly stake-proportional: shares within 1.5 points of 10/20/70 %.
    const counts = [0, 0, 0];
    const n = 20_000;
    for (let s = 0; s < n; s++) counts[ftsSelect(cands([1, 2, 7]), BigInt(s), 1)[0]]++;
    expect(Math.abs(counts[0] / n - 0.1)).toBeLessThan(0.015);
    expect(Math.abs(counts[1] / n - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(counts[2] / n - 0.7)).toBeLessThan(0.015);
  });

  it('removes the chosen weight before the next draw', () => {
    // Proves without-replacement probabilities: with stakes 1:2:7 and k = 2, the pair {1, 2}
    // (leaving out id 0) has probability 0.2·7/8 + 0.7·2/3 = 0.6417.
    const n = 10_000;
    let pair12 = 0;
    for (let s = 0; s < n; s++) {
      const out = ftsSelect(cands([1, 2, 7]), BigInt(s) + 1_000_000n, 2);
      if (!out.includes(0)) pair12++;
    }
    expect(Math.abs(pair12 / n - (0.2 * 7) / 8 - (0.7 * 2) / 3)).toBeLessThan(0.02);
  });

  it('takes zero-stake candidates only after positive stake runs out, then in input order', () => {
    // Proves the zero-stake rule: positive stakes first (any order), then zeros leftmost first.
    const c = [{ id: 1, stake: 0 }, { id: 2, stake: 5 }, { id: 3, stake: 0 }, { id: 4, stake: 1 }, { id: 5, stake: 0 }];
    for (let s = 0n; s < 30n; s++) {
      const out = ftsSelect(c, s, 4);
      expect(new Set(out.slice(0, 2))).toEqual(new Set([2, 4]));
      expect(out.slice(2)).toEqual([1, 3]);
    }
  });

  it('accepts exact bigint stakes beyond 2^53', () => {
    // Proves huge weights (inverted elect-out stakes) keep their exact ratio: 1 : 2^60.
    const c = [{ id: 0, stake: 1n }, { id: 1, stake: 1n << 60n }];
    let zero = 0;
    for (let s = 0n; s < 500n; s++) if (ftsSelect(c, s, 1)[0] === 0) zero++;
    expect(zero).toBe(0);
  });

  it('rejects impossible input with RangeError', () => {
    // Proves argument validation: non-integer, negative or unsafe stakes, duplicate ids, bad k or seed.
    expect(() => ftsSelect([{ id: 1, stake: 1.5 }], 1n, 0)).toThrow(RangeError);
    expect(() => ftsSelect([{ id: 1, stake: -1 }], 1n, 0)).toThrow(/>= 0/);
    expect(() => ftsSelect([{ id: 1, stake: -1n }], 1n, 0)).toThrow(RangeError);
    expect(() => ftsSelect([{ id: 1, stake: 2 ** 60 }], 1n, 0)).toThrow(RangeError);
    expect(() => ftsSelect([{ id: 1, stake: Number.NaN }], 1n, 0)).toThrow(RangeError);
    expect(() => ftsSelect([{ id: 1, stake: 1 }, { id: 1, stake: 2 }], 1n, 1)).toThrow(/duplicate id 1/);
    expect(() => ftsSelect(cands([1, 2]), 1n, -1)).toThrow(RangeError);
    expect(() => ftsSelect(cands([1, 2]), 1n, 0.5)).toThrow(RangeError);
    expect(() => ftsSelect(cands([1, 2]), 1 as unknown as bigint, 1)).toThrow(/bigint/);
    expect(() => ftsSelect([{ id: 0.5, stake: 1 }], 1n, 1)).toThrow(/id/);
  });

  it('property: returns min(k, n) distinct ids drawn from the candidates', () => {
    // Proves, for random candidate lists, stakes, seeds and k, that the result has the right
    // size, no duplicates, only candidate ids, and is the same when recomputed.
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 40, maxLength: 40 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.nat({ max: 45 }),
        (ids, stakes, seed, k) => {
          const c = ids.map((id, i) => ({ id, stake: stakes[i] }));
          const out = ftsSelect(c, seed, k);
          expect(out.length).toBe(Math.min(k, c.length));
          expect(new Set(out).size).toBe(out.length);
          const idSet = new Set(ids);
          for (const id of out) expect(idSet.has(id)).toBe(true);
          expect(ftsSelect(c, seed, k)).toEqual(out);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('rotationPlan (§7.4)', () => {
  it('matches the table cases of §7.4', () => {
    // Proves the rotation counts: full auditor group swaps 5, full validator group swaps 10;
    // below max adds only; a small standby pool (≤ 66 %) also removes; above max only removes.
    expect(rotationPlan(64, 64, 200)).toEqual({ add: 5, remove: 5 });
    expect(rotationPlan(128, 128, 500)).toEqual({ add: 10, remove: 10 });
    expect(rotationPlan(50, 64, 100)).toEqual({ add: 4, remove: 0 });
    expect(rotationPlan(62, 64, 100)).toEqual({ add: 2, remove: 0 }); // capped by max − size
    expect(rotationPlan(50, 64, 33)).toEqual({ add: 4, remove: 4 }); // 33 ≤ ceil(0.66 × 50) = 33
    expect(rotationPlan(50, 64, 34)).toEqual({ add: 4, remove: 0 });
    expect(rotationPlan(51, 64, 34)).toEqual({ add: 4, remove: 4 }); // ceil(33.66) = 34
    expect(rotationPlan(50, 64, 2)).toEqual({ add: 2, remove: 2 }); // capped by the pool
    expect(rotationPlan(70, 64, 100)).toEqual({ add: 0, remove: 6 });
    expect(rotationPlan(70, 64, 0)).toEqual({ add: 0, remove: 6 });
  });

  it('rotates at least one member and never more than the standby pool offers', () => {
    // Proves the max(1, ·) floor and the standby cap at max size, and a 0-standby election is empty.
    expect(rotationPlan(6, 64, 100)).toEqual({ add: 1, remove: 0 });
    expect(rotationPlan(6, 6, 100)).toEqual({ add: 1, remove: 1 });
    expect(rotationPlan(64, 64, 3)).toEqual({ add: 3, remove: 3 });
    expect(rotationPlan(64, 64, 0)).toEqual({ add: 0, remove: 0 });
    expect(rotationPlan(30, 64, 0)).toEqual({ add: 0, remove: 0 });
  });

  it('honours custom ratios and a minimum size', () => {
    // Proves the governance knobs: ratio 20 % of 64 = 12; below minSize the group fills up.
    expect(rotationPlan(64, 64, 100, 20)).toEqual({ add: 12, remove: 12 });
    expect(rotationPlan(50, 64, 40, 8, 90)).toEqual({ add: 4, remove: 4 });
    expect(rotationPlan(2, 64, 100, 8, 66, 6)).toEqual({ add: 4, remove: 0 });
    expect(rotationPlan(2, 64, 3, 8, 66, 6)).toEqual({ add: 3, remove: 0 });
  });

  it('rejects impossible input with RangeError', () => {
    // Proves validation: negative or fractional sizes, zero max, ratio > 100, min > max.
    expect(() => rotationPlan(-1, 64, 1)).toThrow(RangeError);
    expect(() => rotationPlan(1.5, 64, 1)).toThrow(RangeError);
    expect(() => rotationPlan(1, 0, 1)).toThrow(/maxSize/);
    expect(() => rotationPlan(1, 64, -2)).toThrow(/standbyCount/);
    expect(() => rotationPlan(1, 64, 1, 101)).toThrow(/ratioPercent/);
    expect(() => rotationPlan(1, 6, 1, 8, 66, 7)).toThrow(/minSize/);
  });
});

describe('electOut (§7.3)', () => {
  it('removes ineligible members first, in id order, up to count', () => {
    // Proves the "no longer eligible leave first" rule and its id order, whatever the input order.
    const m = cands([10, 20, 30, 40, 50, 60]);
    expect(electOut(m, [5, 1, 3], 2, 1n)).toEqual([1, 3]);
    expect(electOut(m, new Set([5, 1, 3]), 3, 1n)).toEqual([1, 3, 5]);
    const out = electOut(m, [4, 99], 3, 9n); // 99 is not a member: ignored
    expect(out[0]).toBe(4);
    expect(out.length).toBe(3);
    expect(new Set(out).size).toBe(3);
    expect(electOut(m, [], 0, 1n)).toEqual([]);
  });

  it('prefers low stake through the inverted weight', () => {
    // Proves topStake·1e8/stake: between stakes 1 and 100 the low one leaves ~100/101 of the time,
    // and stake 0 is treated as 1.
    let low = 0;
    for (let s = 0n; s < 2000n; s++) if (electOut([{ id: 1, stake: 100 }, { id: 2, stake: 1 }], [], 1, s)[0] === 2) low++;
    expect(low / 2000).toBeGreaterThan(0.97);
    let zero = 0;
    for (let s = 0n; s < 500n; s++) if (electOut([{ id: 1, stake: 100_000_000 }, { id: 2, stake: 0 }], [], 1, s)[0] === 2) zero++;
    expect(zero).toBe(500);
    expect(ELECT_OUT_SCALE).toBe(100_000_000n);
  });

  it('counts an ineligible member kept past the limit as stake 1', () => {
    // Proves TOP's reset of surplus ineligible members to the minimum stake: they become the
    // likeliest to be drawn out by the FTS part.
    const m = [{ id: 1, stake: 1000 }, { id: 2, stake: 1000 }, { id: 3, stake: 1000 }, { id: 4, stake: 1000 }];
    let four = 0;
    for (let s = 0n; s < 300n; s++) {
      const out = electOut(m, [3, 4], 2, s);
      expect(out[0]).toBe(3);
      if (out[1] === 4) four++;
    }
    expect(four).toBeGreaterThan(290);
  });

  it('does not depend on the order of the members', () => {
    // Proves TOP's sort (stake desc, id desc) fixes the tree, so shuffled input gives the same picks.
    const m = cands([5, 9, 1, 7, 3, 8, 2], 10);
    const rev = m.slice().reverse();
    for (let s = 0n; s < 20n; s++) expect(electOut(rev, [], 3, s)).toEqual(electOut(m, [], 3, s));
  });

  it('rejects impossible input with RangeError', () => {
    // Proves validation: removing more members than exist, bad stakes, duplicates.
    expect(() => electOut(cands([1, 2]), [], 3, 1n)).toThrow(/cannot remove 3 of 2/);
    expect(() => electOut([{ id: 1, stake: 0.5 }], [], 1, 1n)).toThrow(RangeError);
    expect(() => electOut([{ id: 1, stake: 1 }, { id: 1, stake: 1 }], [], 1, 1n)).toThrow(/duplicate/);
    expect(() => electOut(cands([1, 2]), [], -1, 1n)).toThrow(RangeError);
  });

  it('property: returns count distinct members, lowest-id ineligible ones first', () => {
    // Proves for random groups that elect-out never invents or repeats a member and honours the
    // ineligible-first rule.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
        fc.nat({ max: 30 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        (stakes, badFlags, rawCount, seed) => {
          const m = cands(stakes);
          const count = rawCount % (m.length + 1);
          const bad = m.filter((x) => badFlags[x.id]).map((x) => x.id);
          const out = electOut(m, bad, count, seed);
          expect(out.length).toBe(count);
          expect(new Set(out).size).toBe(count);
          for (const id of out) expect(id >= 0 && id < m.length).toBe(true);
          expect(out.slice(0, Math.min(count, bad.length))).toEqual(bad.slice(0, count));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('electIn (§7.3, §5)', () => {
  it('draws only standby candidates that are neither members nor excluded', () => {
    // Proves the elect-in filter: members and excluded ids never come back; all qualifying
    // candidates come back when count covers them.
    const sb = cands([10, 20, 30, 40, 50, 60]);
    for (let s = 0n; s < 30n; s++) {
      const out = electIn(sb, [0, 1], 2, s, (id) => id === 5);
      expect(out.length).toBe(2);
      for (const id of out) expect([2, 3, 4]).toContain(id);
    }
    expect(electIn(sb, new Set([0, 1]), 10, 1n, (id) => id === 5)).toEqual([2, 3, 4]);
    expect(electIn(sb, [], 0, 1n)).toEqual([]);
  });

  it('prefers high comprehensive stake and ignores input order', () => {
    // Proves elect-in is stake-proportional (9:1) and that TOP's sort (stake asc, id asc) makes
    // the result independent of the standby list's order.
    const sb = [{ id: 1, stake: 9 }, { id: 2, stake: 1 }];
    let high = 0;
    for (let s = 0n; s < 2000n; s++) if (electIn(sb, [], 1, s)[0] === 1) high++;
    expect(Math.abs(high / 2000 - 0.9)).toBeLessThan(0.025);
    const many = cands([3, 1, 4, 1, 5, 9, 2, 6], 50);
    for (let s = 0n; s < 10n; s++) expect(electIn(many.slice().reverse(), [], 3, s)).toEqual(electIn(many, [], 3, s));
  });

  it('rejects impossible input with RangeError', () => {
    // Proves validation of stakes, duplicates and the callback.
    expect(() => electIn([{ id: 1, stake: -3 }], [], 1, 1n)).toThrow(RangeError);
    expect(() => electIn([{ id: 1, stake: 1 }, { id: 1, stake: 2 }], [], 1, 1n)).toThrow(/duplicate/);
    expect(() => electIn(cands([1]), [], 1, 1n, 5 as unknown as () => boolean)).toThrow(/excluded/);
  });
});

describe('roleExclusion (§5)', () => {
  // Cluster 1: auditor group 1 with validator groups 10, 11; cluster 2: auditor group 2 with 20.
  const seats: GroupSeat[] = [
    { id: 1, kind: 'auditor', group: 1 },
    { id: 2, kind: 'auditor', group: 2 },
    { id: 3, kind: 'validator', group: 10, parentAuditor: 1 },
    { id: 4, kind: 'validator', group: 11, parentAuditor: 1 },
    { id: 5, kind: 'validator', group: 20, parentAuditor: 2 },
  ];

  it('applies the three exclusion rules', () => {
    // Proves: no two auditor groups (2 for auditor group 1), no two validator groups (4, 5 for
    // validator group 10), no auditor group together with one of its own validator groups (3, 4
    // for auditor group 1; 1 for validator group 10); an auditor may validate in another cluster.
    const forA1 = roleExclusion({ kind: 'auditor', group: 1 }, seats);
    expect([1, 2, 3, 4, 5, 6].map(forA1)).toEqual([false, true, true, true, false, false]);
    const forV10 = roleExclusion({ kind: 'validator', group: 10, parentAuditor: 1 }, seats);
    expect([1, 2, 3, 4, 5, 6].map(forV10)).toEqual([true, false, false, true, true, false]);
    const forV20 = roleExclusion({ kind: 'validator', group: 20, parentAuditor: 2 }, seats);
    expect([1, 2, 3, 4, 5, 6].map(forV20)).toEqual([false, true, true, true, false, false]);
  });

  it('rejects a validator seat without its auditor group', () => {
    // Proves validation: rule 3 cannot be checked without the parent auditor group.
    expect(() => roleExclusion({ kind: 'auditor', group: 1 }, [{ id: 1, kind: 'validator', group: 3 }])).toThrow(/parentAuditor/);
  });
});

describe('cluster schedule (§7.4)', () => {
  it('keeps the jitter within [-floor(W/2), W - 1 - floor(W/2)] and decides due exactly', () => {
    // Proves the jitter rule for every W the mainnet layout (6 groups, 2 clusters) and larger ones
    // produce, and that due flips exactly at interval + jitter.
    for (const total of [1, 6, 12]) {
      for (let idx = 0; idx < 4; idx++) {
        const w = total + idx;
        const seen = new Set<number>();
        for (let s = 0; s < 400; s++) {
          const seed = new SplitMix64(BigInt(s)).next();
          const j = clusterJitter(seed, idx, total);
          expect(j).toBeGreaterThanOrEqual(-Math.floor(w / 2));
          expect(j).toBeLessThanOrEqual(w - 1 - Math.floor(w / 2));
          seen.add(j);
          expect(clusterDue(1000 + 60 + j - 1, 1000, 60, seed, idx, total)).toBe(false);
          expect(clusterDue(1000 + 60 + j, 1000, 60, seed, idx, total)).toBe(true);
        }
        expect(seen.size).toBe(w);
      }
    }
    expect(clusterJitter(13n, 0, 6)).toBe(13 % 6 - 3);
    expect(clusterJitter(13, 1, 6)).toBe(13 % 7 - 3);
  });

  it('rotates at most two due clusters per trigger, in index order', () => {
    // Proves max_auditor_rotation_count: three due clusters, two rotate; the constants of §7.4.
    expect(MAX_CLUSTERS_PER_TRIGGER).toBe(2);
    expect(ZONE_ELECTION_TRIGGER_CLOCKS).toBe(31);
    expect(dueClusters(10_000, [0, 0, 0], 60, 5n, 6)).toEqual([0, 1]);
    expect(dueClusters(10_000, [9_990, 0, 0], 60, 5n, 6)).toEqual([1, 2]);
    expect(dueClusters(10_000, [9_990, 9_990], 60, 5n, 6)).toEqual([]);
  });

  it('starts a new round half an interval after its election', () => {
    // Proves start_time = election_time + interval/2 (floored).
    expect(roundStartClock(1000, 60)).toBe(1030);
    expect(roundStartClock(1000, 1080)).toBe(1540);
    expect(roundStartClock(7, 31)).toBe(22);
  });

  it('rejects impossible input with RangeError', () => {
    // Proves validation: time going backwards, zero interval, zero groups, negative index.
    expect(() => clusterDue(5, 6, 60, 1n, 0, 6)).toThrow(/after nowClock/);
    expect(() => clusterDue(5, 0, 0, 1n, 0, 6)).toThrow(/interval/);
    expect(() => clusterJitter(1n, 0, 0)).toThrow(/totalGroupCount/);
    expect(() => clusterJitter(1n, -1, 6)).toThrow(/clusterIndex/);
    expect(() => clusterJitter(-1, 0, 6)).toThrow(/seed/);
    expect(() => roundStartClock(-1, 60)).toThrow(RangeError);
  });
});

describe('leader pools (§8.2)', () => {
  const m = (id: number, joinedRound: number, credit: number, genesis = false) => ({ id, joinedRound, credit, genesis });

  it('puts recent joiners and low-credit non-genesis members in the low pool', () => {
    // Proves the §8.2 rules at round 5: joined in rounds 4–5 → low; joined at 3 → high; credit
    // ≤ 0.1 → low unless genesis, including 0.1·3 − 0.2 = 0.10000000000000003, which a float
    // compare would call high; round-0 joiners are trusted as in TOP.
    const pool = leaderPool(
      [m(1, 3, 0.5), m(2, 4, 0.5), m(3, 5, 0.5), m(4, 1, 0.1), m(5, 1, 0.1, true), m(6, 0, 0.5), m(7, 1, 0.1 * 3 - 0.2), m(8, 2, 0.100001)],
      5,
    );
    expect(pool).toEqual({ high: [1, 5, 6, 8], low: [2, 3, 4, 7] });
    // Round 1 right after genesis: round-0 members stay high, round-1 joiners are low.
    expect(leaderPool([m(1, 0, 0.33), m(2, 1, 0.33)], 1)).toEqual({ high: [1], low: [2] });
    // Custom window and threshold.
    expect(leaderPool([m(1, 4, 0.2), m(2, 2, 0.2)], 5, 3, 0.2)).toEqual({ high: [], low: [1, 2] });
    expect(leaderPool([m(1, 4, 0.2), m(2, 2, 0.3)], 5, 3, 0.2)).toEqual({ high: [2], low: [1] });
  });

  it('picks from the high pool unless it is empty, deterministically', () => {
    // Proves the fallback order and determinism of the leader draw.
    const weights = new Map([[1, 10], [2, 10], [3, 10]]);
    for (let s = 0n; s < 50n; s++) {
      expect(pickLeader({ high: [1, 2], low: [3] }, weights, s)).not.toBe(3);
      expect(pickLeader({ high: [], low: [3] }, weights, s)).toBe(3);
      expect(pickLeader({ high: [1, 2], low: [3] }, (id) => id * 5, s)).toBe(pickLeader({ high: [1, 2], low: [3] }, (id) => id * 5, s));
    }
    const seen = new Set<number>();
    for (let s = 0n; s < 50n; s++) seen.add(pickLeader({ high: [1, 2, 3], low: [] }, weights, s));
    expect(seen.size).toBe(3);
  });

  it('rejects impossible input with RangeError', () => {
    // Proves validation: empty pools, missing weights, future join rounds, credits out of range.
    expect(() => pickLeader({ high: [], low: [] }, new Map(), 1n)).toThrow(/empty/);
    expect(() => pickLeader({ high: [1], low: [] }, new Map(), 1n)).toThrow(/no weight/);
    expect(() => leaderPool([m(1, 6, 0.5)], 5)).toThrow(/after currentRound/);
    expect(() => leaderPool([m(1, 1, 1.5)], 5)).toThrow(/credit/);
    expect(() => leaderPool([m(1, 1, 0.5), m(1, 2, 0.5)], 5)).toThrow(/duplicate/);
    expect(() => leaderPool([], 5, 2, 2)).toThrow(/minCredit/);
  });
});

describe('election seed and grinding (§7.2, MC-3)', () => {
  it('hashes every input into a fixed 64-bit seed', () => {
    // Proves the seed is a pure function (golden value) that changes with each of its inputs.
    const base = electionSeed(0x1234n, 7, 9, 1);
    expect(base).toBe(4432902846746025364n);
    expect(electionSeed(0x1234, 7, 9, 1)).toBe(base);
    const variants = [electionSeed(0x1235n, 7, 9, 1), electionSeed(0x1234n, 8, 9, 1), electionSeed(0x1234n, 7, 10, 1), electionSeed(0x1234n, 7, 9, 2)];
    for (const v of variants) expect(v).not.toBe(base);
    expect(base < 1n << 64n).toBe(true);
    expect(() => electionSeed(1n << 64n, 0, 0, 0)).toThrow(RangeError);
    expect(() => electionSeed(1, -1, 0, 0)).toThrow(/viewToken/);
    expect(() => electionSeed(1, 0, 0.5, 0)).toThrow(/prevNonce/);
  });

  it('lets a grinding drand leader pick the seed it prefers', () => {
    // Proves the MC-3 knob: biasedSeed returns the argmax (earliest on ties), and with 8 candidate
    // seeds a target node gets elected in far more often than its honest 1-in-20 chance.
    expect(biasedSeed([5n, 9n, 7n], (s) => Number(s))).toBe(9n);
    expect(biasedSeed([5n, 9n, 7n], () => 0)).toBe(5n);
    expect(() => biasedSeed([], () => 0)).toThrow(RangeError);
    expect(() => biasedSeed([1n], () => Number.NaN)).toThrow(/NaN/);

    const standby = cands(new Array<number>(20).fill(100));
    const target = 13;
    let honest = 0;
    let biased = 0;
    const rounds = 200;
    for (let r = 0; r < rounds; r++) {
      const seeds = grindingCandidates(0xabcdefn, r, r * 7, 3, 8);
      expect(new Set(seeds).size).toBe(8);
      const wins = (s: bigint) => (electIn(standby, [], 1, s)[0] === target ? 1 : 0);
      honest += wins(seeds[0]);
      biased += wins(biasedSeed(seeds, wins));
    }
    expect(honest).toBeLessThan(25); // ≈ 10 expected
    expect(biased).toBeGreaterThan(45); // ≈ 1 − (19/20)^8 ≈ 34 % → ≈ 68 expected
  });
});
