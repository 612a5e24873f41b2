/**
 * Shared state of in-sync replicas is exact (docs/DESIGN.md contract 5): over the fault library run
 * as shipped, `replica_state: shared` and `own` give the same summary and digest, while the shared
 * runs do share (and replicas that fork, or start from a snapshot, keep their own). Shared so far:
 * TOP's committed ledgers, receipt outboxes and receipt queues.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadScenario } from '../sim/scenario/index.js';
import { runScenario } from '../sim/runner/run.js';
import { top } from './helpers.js';
import type { ChainContext } from '../sim/protocol/top/context.js';

const SCENARIOS = join(import.meta.dirname, '..', 'scenarios');

/**
 * Fault-library scenarios, each with what it brings to shared ledgers and (with more than one table)
 * outboxes: receipts resent, pulled and pruned (receipt-loss), crashed members that lag and catch up
 * (group-third-crash, leader-crash), members elected in and out that start from snapshots
 * (churn-rotation), equivocating leaders whose forks commit (byzantine-past-tolerance: their replicas
 * leave the shared state). test/determinism.test.ts runs every shipped scenario both ways, shorter.
 */
const LIBRARY: [string, (s: ReturnType<ChainContext['sharing']>) => void][] = [
  ['leader-crash', (s) => expect(s.ledgers).toBeGreaterThan(0)],
  ['receipt-loss', (s) => expect(s.entries).toBeGreaterThan(0)],
  ['group-third-crash', (s) => { expect(s.entries).toBeGreaterThan(0); expect(s.queued).toBeGreaterThan(0); }],
  ['churn-rotation', (s) => expect(s.entries).toBeGreaterThan(0)],
  ['byzantine-past-tolerance', (s) => { expect(s.fallbacks).toBeGreaterThan(0); expect(s.ledgerFallbacks).toBeGreaterThan(0); }],
];

describe('shared replica state: the same results as a copy per replica', () => {
  for (const [name, shares] of LIBRARY) {
    it(name, () => {
      const sc = loadScenario(join(SCENARIOS, `${name}.yaml`));
      expect(sc.replica_state).toBe('shared');
      const shared = runScenario(sc);
      const own = runScenario({ ...sc, replica_state: 'own' });
      expect(own.summary.digest).toBe(shared.summary.digest);
      // The summaries differ only in the recorded scenario's replica_state.
      const same = (r: typeof own) => ({ ...r.summary, wall: null, scenario_file: { ...r.summary.scenario_file, replica_state: null } });
      expect(same(own)).toEqual(same(shared));
      const s = top(shared.built).ctx.sharing();
      const o = top(own.built).ctx.sharing();
      expect(o).toEqual({ attached: 0, fallbacks: 0, entries: 0, ledgers: 0, ledgerFallbacks: 0, queued: 0, queueFallbacks: 0 });
      expect(s.attached).toBeGreaterThan(0);
      shares(s);
    });
  }
});
