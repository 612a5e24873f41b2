// The node count a scenario lays out, and the worker count a run picks when none is asked for.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/index.js';
import { WORKERS_MIN_EVENTS_PER_WINDOW, buildRun, defaultWorkers, eventsPerWindow, nodeCount } from './build.js';

const shipped = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => `scenarios/${f}`);

describe('nodeCount and defaultWorkers', () => {
  it('count the nodes buildRun lays out, for every shipped scenario', () => {
    expect(shipped.length).toBeGreaterThan(10);
    for (const file of shipped) {
      const sc = loadScenario(file);
      expect(nodeCount(sc), file).toBe(buildRun(sc).nodes.length);
    }
  });

  it('run scenarios with little work per window in one thread, busy ones on every free core', () => {
    // The measured sides of the threshold (build.ts): default.yaml and top-small lose over two
    // workers (~2 and ~10 events per window), viz-1k and top-mainnet gain (~360 and ~850).
    const per = (f: string) => eventsPerWindow(loadScenario(f));
    expect(per('scenarios/default.yaml')).toBeLessThan(WORKERS_MIN_EVENTS_PER_WINDOW);
    expect(per('scenarios/top-small.yaml')).toBeLessThan(WORKERS_MIN_EVENTS_PER_WINDOW);
    expect(per('scenarios/viz-1k.yaml')).toBeGreaterThanOrEqual(WORKERS_MIN_EVENTS_PER_WINDOW);
    expect(per('scenarios/top-mainnet.yaml')).toBeGreaterThanOrEqual(WORKERS_MIN_EVENTS_PER_WINDOW);
    const small = loadScenario('scenarios/default.yaml');
    const large = loadScenario('scenarios/bench/top-mainnet-impl.yaml');
    for (const cores of [1, 2, 8]) {
      expect(defaultWorkers(small, cores)).toBe(1);
      expect(defaultWorkers(large, cores)).toBe(cores);
    }
    // Cores busy with other work are not counted: two workers on one free core lose to one thread.
    expect(defaultWorkers(large, 2, 0.4)).toBe(2);
    expect(defaultWorkers(large, 2, 0.6)).toBe(1);
    expect(defaultWorkers(large, 8, 3)).toBe(5);
    expect(defaultWorkers(large, 2, 5)).toBe(1);
    // The same network with less load falls below the threshold.
    const quiet = { ...large, workload: { ...large.workload, schedule: { kind: 'constant' as const, rate_tps: 1 } } };
    expect(defaultWorkers(quiet, 2)).toBe(1);
  });
});
