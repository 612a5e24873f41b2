// Share URLs read in Node (web/actions.ts): every bad parameter is one line naming it and what was
// expected, and a problem in an action the worker finds names that action, not a faults[...] entry.
import { describe, expect, it } from 'vitest';
import { applyOverrides, loadScenario, ScenarioError } from '../sim/scenario/index.js';
import { readShareUrl, scenarioWith, shareIssue, type Action, type Issue } from '../web/actions.js';

const BUNDLED = ['default.yaml', 'leader-crash.yaml', 'bench/top-100k.yaml'];
const read = (search: string) => readShareUrl(search, BUNDLED, 'default.yaml');
const lines = (problems: Issue[]) => problems.map((p) => `${p.path}: ${p.message}`);

function issuesOf(f: () => unknown): Issue[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ScenarioError) return e.issues;
    throw e;
  }
  throw new Error('no error');
}

describe('share URL', () => {
  it('reads a good share URL, and an empty one as the default scenario', () => {
    expect(read('?scenario=leader-crash.yaml&seed=42&actions=crash:v3@12000000,restart:v3@20000000')).toEqual({
      run: {
        scenario: 'leader-crash.yaml',
        seed: 42,
        actions: [{ kind: 'crash', node: 'v3', at_us: 12_000_000 }, { kind: 'restart', node: 'v3', at_us: 20_000_000 }],
        workers: null,
      },
      problems: [],
    });
    expect(read('')).toEqual({ run: { scenario: 'default.yaml', seed: null, actions: [], workers: null }, problems: [] });
    expect(read('?workers=2').run.workers).toBe(2);
    expect(read('?scenario=bench%2Ftop-100k.yaml&utm_source=x').run.scenario).toBe('bench/top-100k.yaml');
  });

  it('names the bad action and what was expected, and keeps what the URL got right', () => {
    const r = read('?scenario=leader-crash.yaml&seed=7&actions=crash:zz@1');
    expect(lines(r.problems)).toEqual(['URL parameter actions: crash needs a node name like v3, got "zz" (in "crash:zz@1")']);
    expect(r.run).toEqual({ scenario: 'leader-crash.yaml', seed: 7, actions: [], workers: null });
  });

  it('refuses garbage in actions (base64, a bare word, a missing time) in one line each', () => {
    expect(lines(read('?actions=Y3Jhc2g6djE%3D').problems))
      .toEqual(['URL parameter actions: expected kind[:target]@µs like "crash:v3@12000000", got "Y3Jhc2g6djE="']);
    expect(lines(read('?actions=crash:v1@1000,explode@5').problems))
      .toEqual(['URL parameter actions: unknown action "explode" (expected crash, restart, equivocate, partition, heal) (in "explode@5")']);
    expect(read('?actions=crash:v1').problems).toHaveLength(1);
  });

  it('refuses a seed that is not an integer from 0 to 2^53 - 1, as --seed does', () => {
    for (const bad of ['abc', '1.5', '', '-1', '0x10', '1e3', ' 5', '9007199254740992']) {
      const r = read(`?seed=${encodeURIComponent(bad)}`);
      expect(lines(r.problems), bad).toEqual([`URL parameter seed: expected an integer from 0 to 9007199254740991, got ${JSON.stringify(bad)}`]);
      expect(r.run.seed).toBeNull();
      expect(r.run.scenario).toBe('default.yaml');
    }
    expect(read('?seed=0').run.seed).toBe(0);
  });

  it('refuses a scenario that is not bundled, and a parameter given twice', () => {
    const r = read('?scenario=..%2Fetc%2Fpasswd&seed=1&seed=2');
    expect(lines(r.problems)).toEqual([
      'URL parameter scenario: expected a bundled scenario (default.yaml, leader-crash.yaml, bench/top-100k.yaml), got "../etc/passwd"',
      'URL parameter seed: expected one value, got 2: "1", "2"',
    ]);
    expect(r.run).toEqual({ scenario: null, seed: null, actions: [], workers: null });
    for (const bad of ['0', '9', 'two', '1.5']) {
      expect(lines(read(`?workers=${bad}`).problems)).toEqual([`URL parameter workers: expected an integer from 1 to 8, got "${bad}"`]);
    }
    expect(lines(read('?scenario=').problems)[0]).toMatch(/^URL parameter scenario: expected a bundled scenario .*, got ""$/);
  });
});

describe('actions the scenario refuses', () => {
  const sc = { ...applyOverrides(loadScenario('scenarios/default.yaml'), { duration_us: 12_000_000 }), warmup_us: 2_000_000 };

  it('name the action, not the scenario entry it became', () => {
    expect(issuesOf(() => scenarioWith(sc, [{ kind: 'crash', node: 'v99', at_us: 1000 }])))
      .toEqual([{ path: 'actions/0', message: expect.stringMatching(/^unknown node "v99"/) }]);
    expect(issuesOf(() => scenarioWith(sc, [{ kind: 'crash', node: 'v1', at_us: 1000 }, { kind: 'equivocate', node: 'a99', at_us: 2000 }])))
      .toEqual([{ path: 'actions/1', message: expect.stringMatching(/^unknown node "a99"/) }]);
    expect(issuesOf(() => scenarioWith(sc, [{ kind: 'crash', node: 'v1', at_us: 1000 }, { kind: 'partition', a: 'vgroup:0', b: 'nope', at_us: 2000 }])))
      .toEqual([{ path: 'actions/1', message: expect.stringMatching(/got "nope"$/) }]);
  });

  it('read from a share URL, name the URL parameter and the action as the URL spells it', () => {
    const actions: Action[] = [{ kind: 'crash', node: 'v1', at_us: 1000 }, { kind: 'crash', node: 'v99', at_us: 5_000_000 }];
    const [issue] = issuesOf(() => scenarioWith(sc, actions));
    expect(shareIssue(issue, actions)).toEqual({
      path: 'URL parameter actions',
      message: expect.stringMatching(/^unknown node "v99" \(topology has .*\) \(in "crash:v99@5000000"\)$/),
    });
    const late: Action[] = [{ kind: 'crash', node: 'v1', at_us: 12_000_000 }];
    expect(shareIssue(issuesOf(() => scenarioWith(sc, late))[0], late))
      .toEqual({ path: 'URL parameter actions', message: 'expected a time in [0, 12s), got 12000000 µs (in "crash:v1@12000000")' });
    expect(shareIssue({ path: 'topology.validators', message: 'x' }, late)).toEqual({ path: 'topology.validators', message: 'x' });
  });
});
