import { describe, expect, it } from 'vitest';
import { parseSelector, fractionCount } from '../sim/scenario/selectors.js';
import { TOP_VOCABULARY as V } from '../sim/protocol/top/config.js';
import { parseScenario } from '../sim/scenario/index.js';
import { buildRun, resolveSelectors } from '../sim/runner/build.js';
import { firstError, top } from './helpers.js';

const SMALL = {
  name: 'sel',
  duration: '20s',
  network: { latency: { dataset: 'wittgenstein-aws-rtt-2019', regions: ['Frankfurt', 'London', 'Ireland'] } },
  topology: { tables: 8, auditor_groups: 2, validator_groups_per_auditor: 2, validators: 4, auditors: 4, edges: 2 },
  workload: { accounts: 200, rate_tps: 20 },
};

const issueOf = (file: Record<string, unknown>) => firstError(() => parseScenario(file));

describe('node selectors', () => {
  it('parse the grammar and reject what is not in it', () => {
    expect(parseSelector('v3', V)).toEqual({ kind: 'node', prefix: 'v', index: 3 });
    expect(parseSelector('validators', V)).toEqual({ kind: 'role', role: 'validators' });
    expect(parseSelector('vgroup:1', V)).toEqual({ kind: 'group', group: 'vgroup', index: 1 });
    expect(parseSelector('table:12', V)).toEqual({ kind: 'group', group: 'table', index: 12 });
    expect(parseSelector('region:New York', V)).toEqual({ kind: 'region', region: 'New York' });
    expect(parseSelector('2 of vgroup:0', V)).toEqual({ kind: 'fraction', count: 2, percent: null, base: { kind: 'group', group: 'vgroup', index: 0 } });
    expect(parseSelector('33.3% of validators', V)).toEqual({
      kind: 'fraction', count: null, percent: 33.3, base: { kind: 'role', role: 'validators' },
    });
    for (const bad of ['v03', 'vgroup:', 'vgroup:-1', '0 of validators', '101% of all', '0% of all', '2 of 3 of v1', 'region:', 'x1', '']) {
      expect(parseSelector(bad, V), bad).toBeNull();
    }
    expect(fractionCount({ count: null, percent: 34, base: null } as never, 7)).toBe(2);
    expect(fractionCount({ count: null, percent: 1, base: null } as never, 7)).toBe(1);
    expect(fractionCount({ count: 9, percent: null, base: null } as never, 7)).toBe(7);
  });

  it('are checked against the topology with path-naming errors', () => {
    const crash = (nodes: string[]) => ({ ...SMALL, faults: [{ kind: 'crash', at: '5s', nodes }] });
    expect(issueOf(crash(['vgroup:4']))).toMatch(/^faults\[0\]\.nodes\[0\]: unknown validator group 4 .*expected validator group 0 to 3/);
    expect(issueOf(crash(['agroup:2']))).toMatch(/unknown auditor group 2/);
    expect(issueOf(crash(['table:8']))).toMatch(/unknown table 8/);
    expect(issueOf(crash(['region:Tokyo']))).toMatch(/^faults\[0\]\.nodes\[0\]: unknown region "Tokyo" .*Frankfurt, London, Ireland/);
    expect(issueOf(crash(['5 of vgroup:0']))).toMatch(/asks for 5 nodes of a selection of 4/);
    expect(issueOf(crash(['half of v1']))).toMatch(/^faults\[0\]\.nodes\[0\]: expected a node name like "v3"/);
    expect(issueOf({ ...SMALL, byzantine: [{ nodes: ['v99'], behavior: 'equivocate' }] })).toMatch(/^byzantine\[0\]\.nodes\[0\]: unknown node "v99"/);
    expect(issueOf(crash(['2 of vgroup:3', 'region:London', 'cluster:1', 'table:7', '50% of auditors']))).toBe('no error');
    // A partition side given by groups is checked for overlap like one given by names.
    expect(issueOf({ ...SMALL, faults: [{ kind: 'partition', at: '1s', a: ['cluster:0'], b: ['table:0'] }] }))
      .toMatch(/^faults\[0\]\.b\[0\]: node "v0" is on both sides/);
  });

  it('resolve groups, tables and regions to the nodes that hold them at genesis', () => {
    const sc = parseScenario(SMALL);
    const b = buildRun(sc);
    const at = (sel: string[]) => resolveSelectors(sel, sc, b.nodes, 'test');
    const names = (ids: number[]) => ids.map((i) => b.nodes[i].name);
    expect(names(at(['vgroup:1']))).toEqual(['v4', 'v5', 'v6', 'v7']);
    expect(names(at(['agroup:1']))).toEqual(['a4', 'a5', 'a6', 'a7']);
    expect(names(at(['cluster:1']))).toEqual(['v8', 'v9', 'v10', 'v11', 'v12', 'v13', 'v14', 'v15', 'a4', 'a5', 'a6', 'a7']);
    for (let t = 0; t < 8; t++) {
      expect(at([`table:${t}`]), `table ${t}`).toEqual([...top(b).ctx.epoch(t, 0).members].sort((x, y) => x - y));
    }
    const london = at(['region:London']);
    expect(london.length).toBeGreaterThan(0);
    expect(london.every((i) => b.nodes[i].region === 'London')).toBe(true);
    expect(b.nodes.filter((x) => x.region === 'London').length).toBe(london.length);
  });

  it('a fraction is a seeded choice: the same for the same seed and site, independent across sites', () => {
    const sc = parseScenario(SMALL);
    const b = buildRun(sc);
    const pick = (sel: string, site: string, seed = sc.seed) => resolveSelectors([sel], { ...sc, seed }, b.nodes, site);
    const a = pick('3 of validators', 'faults/0/nodes');
    expect(a).toHaveLength(3);
    expect(a.every((i) => b.nodes[i].role === 'validator')).toBe(true);
    expect(pick('3 of validators', 'faults/0/nodes')).toEqual(a);
    const sites = Array.from({ length: 8 }, (_, k) => pick('3 of validators', `faults/${k}/nodes`).join(','));
    expect(new Set(sites).size).toBeGreaterThan(1);
    const seeds = Array.from({ length: 8 }, (_, k) => pick('3 of validators', 'faults/0/nodes', k + 1).join(','));
    expect(new Set(seeds).size).toBeGreaterThan(1);
    expect(pick('25% of auditors', 'x')).toHaveLength(2);
    expect(pick('2 of region:London', 'x').every((i) => b.nodes[i].region === 'London')).toBe(true);
  });

  it('a crash fault on a seeded third of a validator group crashes exactly those nodes', () => {
    const sc = parseScenario({ ...SMALL, faults: [{ kind: 'crash', at: '3s', nodes: ['34% of vgroup:2'] }] });
    const b = buildRun(sc);
    const chosen = resolveSelectors(['34% of vgroup:2'], sc, b.nodes, 'faults/0/nodes');
    expect(chosen).toHaveLength(1);
    b.sim.start();
    b.sim.run(4_000_000);
    for (let i = 0; i < b.nodes.length; i++) expect(b.sim.isAlive(i), b.nodes[i].name).toBe(!chosen.includes(i));
  });
});
