import { describe, expect, it } from 'vitest';
import { commitTimes, gaps, run, scenario, SMALL_NET } from './helpers.js';
import { runPartitioned } from '../sim/runner/parallel.js';
import { spawnNodeWorker } from '../sim/runner/node-host.js';
import type { RunResult } from '../sim/runner/run.js';
import { TX_EXISTS } from '../sim/protocol/top/txstore.js';
import { top } from './helpers.js';

/**
 * Byzantine behaviours (scenario `byzantine`, the contract in sim/scenario/types.ts): each one
 * within the tolerance of ⌊(n-1)/3⌋ members per group costs at most liveness, never safety, and
 * past it (where that is the point) the checkers see the damage.
 */
const ONE_TABLE = {
  duration: '60s', warmup: '5s', network: SMALL_NET,
  topology: { validators: 7, auditors: 7, edges: 1 },
  workload: { accounts: 400, rate_tps: 40 },
};

/** v0 leads almost every even view: the other validators hold little stake. */
const V0_LEADS = {
  stake: {
    overrides: Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`v${i}`, { deposit_top: 1, credit: 0.1 }])),
  },
};

function checks(r: RunResult): Set<string> {
  return new Set(r.summary.violations.map((v) => v.check));
}

/** The leader of each committed height of table 0 (heights 1..), from the views the honest nodes committed. */
function committedLeaders(r: RunResult): { leader: string; at_us: number }[] {
  const rec = r.built.metrics.chains[0];
  const out: { leader: string; at_us: number }[] = [];
  for (let h = 1; h < rec.commitTimes.length; h++) {
    if (rec.commitTimes[h] === undefined) continue;
    out.push({ leader: r.built.nodes[top(r.built).ctx.leaderOf(0, rec.views[h], 0)].name, at_us: rec.commitTimes[h] });
  }
  return out;
}

describe('byzantine behaviours', () => {
  it('double votes with an equivocating leader break safety past a third of each group, not at it', () => {
    // Proves the quorum's tolerance against votes for both of two conflicting proposals: with
    // 3 of 7 byzantine per group each fork gets 3 + 2 honest = 5 = ⌊14/3⌋+1 votes per group,
    // so two halves of the honest members commit different blocks; with 2 of 7 only one fork
    // reaches a quorum. The behaviours start at 10 s, so nothing breaks before.
    const at = { ...ONE_TABLE, ...V0_LEADS, duration: '40s' };
    const byz = (extra: string[]) => [
      { nodes: ['v0', 'a0'], behavior: 'equivocate', at: '10s' },
      { nodes: extra, behavior: 'double_vote', at: '10s' },
    ];
    const within = run(scenario({ ...at, byzantine: byz(['v1', 'a1']) }));
    expect(within.summary.violations).toEqual([]);
    expect(within.summary.tables[0].height_committed).toBeGreaterThan(5);
    const past = run(scenario({ ...at, byzantine: byz(['v1', 'v2', 'a1', 'a2']) }));
    expect(checks(past).has('safety')).toBe(true);
    expect(Math.min(...past.summary.violations.map((v) => v.time_us))).toBeGreaterThan(10_000_000);
  });

  it('silent members: a third of each group costs views but no safety; one more stalls the table', () => {
    // Proves silence is tolerated like crashes (⌊n/3⌋ per group), while the silent nodes still
    // relay others' broadcasts and keep their state: once silence ends they take part again.
    const base = { ...ONE_TABLE, checks: { liveness_bound: '25s' } };
    const f = run(scenario({ ...base, byzantine: [{ nodes: ['v5', 'v6', 'a5', 'a6'], behavior: 'silent', until: '30s' }] }));
    expect(f.summary.violations).toEqual([]);
    expect(f.summary.tables[0].height_committed).toBeGreaterThan(10);
    const over = run(scenario({ ...base, byzantine: [{ nodes: ['v4', 'v5', 'v6'], behavior: 'silent', at: '10s' }] }));
    expect([...checks(over)]).toEqual(['liveness']);
    const late = commitTimes(over).filter((t) => t > 11_000_000);
    expect(late).toEqual([]);
  });

  it('withheld votes: a third of each group is tolerated and the withholders still lead; one more stalls', () => {
    // Proves withholding votes is not withholding leadership: v0 withholds its votes but its
    // own proposals still commit (a leader counts its own vote).
    const base = { ...ONE_TABLE, ...V0_LEADS, duration: '40s', checks: { liveness_bound: '25s' } };
    const f = run(scenario({ ...base, byzantine: [{ nodes: ['v0', 'v6', 'a5', 'a6'], behavior: 'withhold_votes' }] }));
    expect(f.summary.violations).toEqual([]);
    expect(committedLeaders(f).filter((x) => x.leader === 'v0').length).toBeGreaterThan(5);
    const over = run(scenario({ ...base, byzantine: [{ nodes: ['v4', 'v5', 'v6'], behavior: 'withhold_votes', at: '10s' }] }));
    expect([...checks(over)]).toEqual(['liveness']);
    expect(commitTimes(over).filter((t) => t > 11_000_000)).toEqual([]);
  });

  it('delayed proposals raise latency; a delay past the view time costs every view the leader holds', () => {
    // Proves the leader holds its proposal `delay` after the view starts: where v0 leads most
    // even views a 2 s delay adds about a second per transfer; where it leads one view in 14 a
    // 40 s delay outlasts each of its views (20-30 s) and only other leaders' blocks commit.
    const base = { ...ONE_TABLE, duration: '60s' };
    const lead = run(scenario({ ...base, ...V0_LEADS })).summary;
    const slow = run(scenario({ ...base, ...V0_LEADS, byzantine: [{ nodes: ['v0'], behavior: 'delay_proposals', delay: '2s' }] }));
    expect(slow.summary.violations).toEqual([]);
    expect(slow.summary.latency_final_ms.all.p50).toBeGreaterThan((lead.latency_final_ms.all.p50 ?? NaN) + 500);
    const honest = run(scenario(base));
    expect(committedLeaders(honest).some((x) => x.leader === 'v0')).toBe(true);
    expect(Math.max(...gaps([0, ...commitTimes(honest)]))).toBeLessThan(5_000_000);
    const stuck = run(scenario({ ...base, byzantine: [{ nodes: ['v0'], behavior: 'delay_proposals', delay: '40s' }] }));
    expect(stuck.summary.violations).toEqual([]);
    expect(Math.max(...gaps([0, ...commitTimes(stuck)]))).toBeGreaterThanOrEqual(20_000_000);
    expect(committedLeaders(stuck).some((x) => x.leader === 'v0')).toBe(false);
    expect(stuck.summary.tps_final).toBeLessThan(honest.summary.tps_final);
  });

  it('blocks with a wrong execution result are never certified; the leader is back once it is honest', () => {
    // Proves re-execution guards the vote: while v0 proposes wrong results (off-by-one receipt
    // ids, or a result with no leg behind it in an empty block), no honest member votes for them
    // and no honest node commits them, even with a1 voting without re-executing; after `until`
    // v0's blocks commit again.
    const base = { ...ONE_TABLE, duration: '80s' };
    const honest = committedLeaders(run(scenario(base)));
    expect(honest.filter((x) => x.leader === 'v0' && x.at_us < 40_000_000).length).toBeGreaterThan(0);
    const r = run(scenario({
      ...base,
      byzantine: [{ nodes: ['v0', 'a1'], behavior: 'invalid_execution', until: '40s' }],
    }));
    expect(r.summary.violations).toEqual([]);
    const leaders = committedLeaders(r);
    // A block proposed before 40 s commits two certificates later (a few seconds).
    expect(leaders.filter((x) => x.leader === 'v0' && x.at_us < 40_000_000)).toEqual([]);
    expect(leaders.filter((x) => x.leader === 'v0' && x.at_us >= 40_000_000).length).toBeGreaterThan(0);
    expect(leaders.filter((x) => x.leader !== 'v0' && x.at_us < 40_000_000).length).toBeGreaterThan(0);
    // With a full block every second height v0's first proposal is one without legs (like a
    // block from an empty pool): its wrong result is a receipt id that no leg assigns.
    const idle = run(scenario({
      ...base, ...V0_LEADS, duration: '40s', protocol: { full_block_interval: 2 },
      byzantine: [{ nodes: ['v0'], behavior: 'invalid_execution' }],
    }));
    expect(idle.summary.violations).toEqual([]);
    expect(committedLeaders(idle).filter((x) => x.leader === 'v0')).toEqual([]);
  });

  it('a whole table withholding receipts holds its transfers out of the other table until the window ends', () => {
    // Proves every path of a receipt stops (first copies, resends, pull answers) and that the
    // resend and pull timers deliver them after `until`: transfers from table 0 to table 1 wait
    // for 20 s, those the other way do not.
    const r = run(scenario({
      duration: '50s', warmup: '5s', network: SMALL_NET,
      // The archive node follows table 0 for the checkers, whose members are all byzantine.
      topology: { tables: 2, auditor_groups: 2, validator_groups_per_auditor: 1, validators: 7, auditors: 7, edges: 1, archives: 1 },
      workload: { accounts: 400, rate_tps: 40 },
      protocol: { receipt_resend: '5s', receipt_pull: '5s', receipt_state: '5s', receipt_min_age: '4s' },
      byzantine: [{ nodes: ['table:0'], behavior: 'withhold_receipts', until: '20s' }],
    }));
    expect(r.summary.violations).toEqual([]);
    const txs = top(r.built).txs;
    const map = top(r.built).ctx.map;
    const finals = (src: number): number[] => {
      const out: number[] = [];
      for (let id = 0; id < txs.end; id++) {
        if (!(txs.flags[id] & TX_EXISTS) || txs.submit_us[id] > 15_000_000) continue;
        if (map.tableOf[txs.sender[id]] === src && map.tableOf[txs.receiver[id]] !== src) out.push(r.built.metrics.finalAt(id));
      }
      return out;
    };
    const held = finals(0);
    expect(held.length).toBeGreaterThan(100);
    expect(held.every((t) => t >= 20_000_000)).toBe(true);
    expect(Math.max(...held)).toBeLessThan(35_000_000);
    const free = finals(1);
    expect(free.filter((t) => t >= 0 && t < 20_000_000).length).toBeGreaterThan(free.length * 0.9);
  });

  it('gives the same digest on one and two workers', async () => {
    const sc = scenario({
      ...ONE_TABLE, ...V0_LEADS, duration: '30s',
      byzantine: [
        { nodes: ['v0'], behavior: 'equivocate', at: '3s', until: '12s' },
        { nodes: ['v1'], behavior: 'double_vote', at: '3s' },
        { nodes: ['a0'], behavior: 'silent', at: '5s', until: '15s' },
        { nodes: ['a1'], behavior: 'delay_proposals', delay: '3s' },
        { nodes: ['v0'], behavior: 'invalid_execution', at: '15s', until: '25s' },
        { nodes: ['a2'], behavior: 'withhold_votes' },
      ],
    });
    const one = run(sc);
    const two = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker });
    expect(two.summary.digest).toBe(one.summary.digest);
  });
});
