// The node count a scenario lays out, and the worker count a run picks when none is asked for.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../scenario/index.js';
import { SMALL_RUN_NODES, buildRun, defaultWorkers, nodeCount } from './build.js';

const shipped = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => `scenarios/${f}`);

describe('nodeCount and defaultWorkers', () => {
  it('count the nodes buildRun lays out, for every shipped scenario', () => {
    expect(shipped.length).toBeGreaterThan(10);
    for (const file of shipped) {
      const sc = loadScenario(file);
      expect(nodeCount(sc), file).toBe(buildRun(sc).nodes.length);
    }
  });

  it('run small scenarios in one thread and large ones on every core', () => {
    const small = loadScenario('scenarios/default.yaml');
    const large = loadScenario('scenarios/bench/top-mainnet-impl.yaml');
    expect(nodeCount(small)).toBeLessThan(SMALL_RUN_NODES);
    expect(nodeCount(large)).toBe(680);
    for (const cores of [1, 2, 8]) {
      expect(defaultWorkers(small, cores)).toBe(1);
      expect(defaultWorkers(large, cores)).toBe(cores);
    }
    // At the threshold a run counts as large.
    const edge = { ...small, topology: { ...small.topology, edges: small.topology.edges + SMALL_RUN_NODES - nodeCount(small) } };
    expect(nodeCount(edge)).toBe(SMALL_RUN_NODES);
    expect(defaultWorkers(edge, 2)).toBe(2);
    expect(defaultWorkers({ ...edge, topology: { ...edge.topology, edges: edge.topology.edges - 1 } }, 2)).toBe(1);
  });
});
