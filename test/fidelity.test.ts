import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CASES, caseScenario, compareFidelity, fidelityMarkdown, withinAim } from '../sim/bench/fidelity.js';
import { runScenario } from '../sim/runner/run.js';
import { scenarioFile } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');

/**
 * docs/VALIDATION.md: flow against packet on the small cases over their shipped durations, each
 * figure's mean over the case's seeds held to its aim (tps_final within 2%, latency p50 within
 * 5%, p99 within 10%) or, where the seeds alone swing it more, to twice their standard error.
 */
describe('fidelity: flow against packet', () => {
  for (const c of CASES.filter((x) => !x.long)) {
    it(`${c.scenario} (${c.duration}): flow meets the aims`, async () => {
      const r = await compareFidelity(caseScenario(ROOT, c), c.seeds, (sc) => runScenario(sc).summary);
      for (const d of r.digests) expect(d.flow).not.toBe(d.packet);
      const missed = r.rows.filter((row) => !withinAim(row));
      expect(missed, fidelityMarkdown(r)).toEqual([]);
      // Flows take fewer events: one per hop instead of one per copy.
      const events = r.rows.find((row) => row.figure === 'events')!;
      expect(events.flow!).toBeLessThan(events.packet!);
    });
  }

  it('packet is the default; the summary says which fidelity a run used', () => {
    const sc = scenarioFile(join(ROOT, 'scenarios/default.yaml'), { duration_us: 3e6 });
    expect(sc.network.fidelity).toBe('packet');
    expect(runScenario(sc).summary.fidelity).toBe('packet');
    expect(runScenario({ ...sc, network: { ...sc.network, fidelity: 'flow' } }).summary.fidelity).toBe('flow');
  });
});
