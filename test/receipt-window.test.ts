// The flow-control window of a table pair (docs/PROTOCOL.md §9.2, §9.4 "Receipt-id state in
// blocks"): with the receipt-id state carried in blocks it reopens within a few blocks of the
// receiver's commits; with it off, only when the receiver's 64 s state broadcast arrives.
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../sim/scenario/index.js';
import { buildRun } from '../sim/runner/build.js';
import { ConsensusNode } from '../sim/protocol/top/node.js';
import type { TopRun } from '../sim/protocol/top/run.js';

const WINDOW = 32;

/**
 * Four tables run by the same nodes, nine transfers in ten across tables, a 32-receipt window. (As
 * in TOP, only a block with transactions carries the state: a table whose every account waits on a
 * send toward a full window makes no block to carry it in, so the test keeps other pairs open.)
 */
function scenario(inBlocks: boolean) {
  return parseScenarioText(`name: receipt-window
seed: 11
duration: 80s
warmup: 10s
crypto: modeled
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { tables: 4, auditor_groups: 1, validator_groups_per_auditor: 1, validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 400, rate_tps: 100, intra_share_percent: 10 }
protocol: { receipts_unconfirmed_max: ${WINDOW}, receipt_state_in_blocks: ${inBlocks} }
`, 'receipt-window.yaml');
}

interface Trace {
  /** Longest time (s) from the receiver applying table 0's receipts to the sender counting them confirmed. */
  lag_s: number;
  /** Time (s) table 0's window toward table 1 was full. */
  closed_s: number;
  /** The same in the measurement window (10 s to the end), as a share of it. */
  closedShare: number;
  /** The window's use (unconfirmed ÷ window, under half counting as none) averaged over the measurement window. */
  use: number;
  /** The limits analysis's tally of the two, from the leaders' notes at table 0's blocks. */
  talliedFull: number;
  talliedUse: number;
}

/** Steps the run 100 ms at a time, reading v0's replicas of the two tables. */
function trace(inBlocks: boolean): Trace {
  const built = buildRun(scenario(inBlocks));
  const sim = built.sim;
  const v0 = built.nodes.findIndex((x) => x.name === 'v0');
  sim.start();
  const node = sim.logicOf(v0) as ConsensusNode;
  const sender = node.replicas[0]!;
  const receiver = node.replicas[1]!;
  // Each sample's receiver count waits until the sender counts that many confirmed: the longest wait.
  const waiting: [number, number][] = [];
  let lag = 0;
  let closed = 0;
  let closedInWindow = 0;
  let useInWindow = 0;
  const step = 100_000;
  for (let t = step; t <= 80_000_000; t += step) {
    sim.run(t);
    const confirmed = sender.confirmedToward(1);
    const use = Math.min(1, (sender.ledger.sendId[1] - confirmed) / WINDOW);
    if (use >= 1) {
      closed += step;
      if (t > 10_000_000) closedInWindow += step;
    }
    if (t > 10_000_000 && use >= 0.5) useInWindow += use * step;
    waiting.push([t, receiver.ledger.recvId[0]]);
    while (waiting.length > 0 && waiting[0][1] <= confirmed) lag = Math.max(lag, t - waiting.shift()![0]);
  }
  if (waiting.length > 0) lag = Math.max(lag, 80_000_000 - waiting[0][0]);
  const tally = (built.family as TopRun).checks.windows;
  tally.finish();
  return { lag_s: lag / 1e6, closed_s: closed / 1e6, closedShare: closedInWindow / 70_000_000, use: useInWindow / 70_000_000,
    talliedFull: tally.fullShare(0, 1), talliedUse: tally.fill(0, 1),
  };
}

describe('the receipt window of a table pair', () => {
  it('reopens within a few blocks of the receiver\'s commits with the state in blocks, and at the 64 s broadcast without', () => {
    const on = trace(true);
    const off = trace(false);
    // A block about every second here, and a pair's proof every 3 heights, committed 2 later.
    expect(on.lag_s).toBeLessThan(12);
    // Without: the sender learns only from the broadcast, every 64 s.
    expect(off.lag_s).toBeGreaterThan(40);
    expect(off.lag_s).toBeLessThan(70);
    expect(off.closed_s).toBeGreaterThan(3 * on.closed_s);
    // The limits analysis sees the same from the leaders' notes at table 0's blocks, to within a
    // block or two of the 100 ms reads here.
    for (const x of [on, off]) {
      expect(Math.abs(x.talliedFull - x.closedShare)).toBeLessThan(0.03);
      expect(Math.abs(x.talliedUse - x.use)).toBeLessThan(0.03);
    }
    expect(off.talliedUse).toBeGreaterThan(0.8); // the window binds this pair without the state in blocks
    expect(on.talliedUse).toBeLessThan(0.8);
  });
});
