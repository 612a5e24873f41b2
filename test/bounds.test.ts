import { describe, expect, it } from 'vitest';
import { issueOf, run, scenario, SMALL_NET } from './helpers.js';

/**
 * Every number in a scenario has a bound a run on one machine can honour: values that used to
 * validate and then crash the run (or never let it end) are refused with one line naming the
 * field, and the largest values still allowed run without a crash.
 */
const base = scenario({ duration: '20s', network: SMALL_NET, topology: { validators: 4, auditors: 4, edges: 1 } });

describe('bounds', () => {
  it('refuses the values that crashed or hung runs', () => {
    const cases: [Record<string, unknown>, string][] = [
      // A RangeError stack trace while building the account map.
      [{ workload: { accounts: 1e15 } }, 'workload.accounts: expected an integer from 2 to 10000000, got 1000000000000000'],
      // V8 aborted after 2.5 GB: per-second byte counters grew to the departure time of one message.
      [{ sizes: { tx_bytes: 9007199254740991 } }, 'sizes.tx_bytes: expected an integer from 1 to 100000000, got 9007199254740991'],
      [{ faults: [{ kind: 'degrade', at: '1s', a: ['v0'], bandwidth_percent: 1e-10 }] },
        'faults[0].bandwidth_percent: expected a number from 0.01 to 100, got 1e-10'],
      // Weeks of wall time.
      [{ duration: '87600h' }, 'duration: expected a duration of at most 168h, got "87600h"'],
      // Arrivals at whole µs bunch up at the start: "offered 0 tx/s".
      [{ workload: { rate_tps: 1e12 } }, 'workload.rate_tps: expected a number from 0 to 10000000, got 1000000000000'],
      [{ workload: { rate_tps: 2_000_000 } },
        'workload.rate_tps: expected at most 1,000,000 tx/s per edge (1 edge: 1,000,000), got 2000000; add topology.edges or lower the rate'],
      [{ workload: { accounts: 10_000_000, genesis_balance: 1e10 } },
        'workload.genesis_balance: expected accounts × genesis_balance at most 2^53 - 1 (balances are summed exactly), got 10000000 × 10000000000'],
      [{ workload: { amount_max: 10, genesis_balance: 5 } }, 'workload.amount_max: expected at most genesis_balance (5), got 10'],
      [{ protocol: { pool_txs_max: 1e9 } }, 'protocol.pool_txs_max: expected an integer from 1 to 1000000, got 1000000000'],
      [{ costs: { verify_tx_us: 1e300 } }, 'costs.verify_tx_us: expected a number from 0 to 10000000, got 1e+300'],
      [{ stake: { validator: { deposit_top: 1e16 } } }, 'stake.validator.deposit_top: expected an integer from 0 to 1000000000000, got 10000000000000000'],
      [{ hardware: { edge: { upload: '2Tbps' } } }, 'hardware.edge.upload: expected a bandwidth like "100Mbps" (from 1bps to 1Tbps), got "2Tbps"'],
      [{ checks: { liveness_bound: '200h' } }, 'checks.liveness_bound: expected a duration of at most 168h, got "200h"'],
    ];
    for (const [patch, line] of cases) expect(issueOf(base, patch)).toBe(line);
  });

  it('runs the slowest link and the largest messages still allowed, without a crash', () => {
    // A 1 bps link degraded to 0.01% and 100 MB transactions: every copy departs long after the
    // end (queue times stop at a horizon past every run instead of growing past 2^53 µs), and
    // nothing is counted as sent.
    const r = run(scenario({
      duration: '6s', warmup: '1s', network: SMALL_NET,
      topology: { validators: 4, auditors: 4, edges: 1 },
      hardware: { edge: { upload: '1bps' } },
      sizes: { tx_bytes: 100_000_000 },
      workload: { accounts: 50, rate_tps: 20 },
      faults: [{ kind: 'degrade', at: '0s', a: ['e0'], bandwidth_percent: 0.01 }],
    }));
    const edge = r.summary.nodes.find((n) => n.node === 'e0')!;
    expect(edge.bytes_out).toBe(0);
    expect(r.summary.tx_final).toBe(0);
    expect(r.timeseries.length).toBeLessThanOrEqual(6);
  });
});

describe('bounds on command-line overrides', () => {
  it('--duration past a week is refused like the file field', async () => {
    const { main } = await import('../sim/cli/main.js');
    const { capture } = await import('./helpers.js');
    for (const argv of [['run', 'scenarios/default.yaml', '--duration', '200h'], ['swarm', '--seeds', '1', '--duration', '200h']]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(2);
      expect(c.err()).toMatch(/^error: --duration: expected a duration (of at most|from 5s to) 168h/);
    }
  });
});
