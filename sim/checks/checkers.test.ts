import { describe, expect, it } from 'vitest';
import { Checkers } from './checkers.js';
import type { ByzantineView, CheckHost, FamilyChecks } from '../contract/module.js';
import type { CommitKey } from '../contract/observe.js';

/**
 * The generic checks on hand-made commit records of one chain (genesis `g`), with a family that
 * records each hook call. A gap: a node that synced past a height commits the next one before
 * any honest node committed that height.
 */
const NAMES = ['A', 'B', 'C', 'D'];

/** Every node honest, except those in `byzantine` (throughout the run). */
function view(byzantine: number[] = []): ByzantineView {
  return { honestAt: (node) => !byzantine.includes(node), ever: (node) => byzantine.includes(node) };
}

/** Records the hooks as short strings; its `canonical` brings work at the commit's time, as TOP's does. */
class Recorder implements FamilyChecks {
  readonly calls: string[] = [];
  constructor(private readonly host: CheckHost) {}
  submit(tx: number): void {
    this.calls.push(`submit ${tx}`);
  }
  byzantineCommit(key: CommitKey, _block: object, now_us: number): void {
    this.calls.push(`byzantine ${key.height} ${key.id} @${now_us / 1e6}`);
  }
  canonical(node: string, key: CommitKey, _block: object, now_us: number, state: number): void {
    this.calls.push(`canonical ${node} ${key.height} ${key.id} @${now_us / 1e6} s${state}`);
    this.host.demand(key.chain, now_us);
  }
  committed(_node: number, name: string, key: CommitKey, _block: object, now_us: number, _state: number, canonical: boolean): void {
    this.calls.push(`committed ${name} ${key.height} ${key.id} @${now_us / 1e6}${canonical ? '' : ' not-canonical'}`);
  }
  finish(): void {
    this.calls.push('finish');
  }
}

function setup(byzantine: number[] = []) {
  const c = new Checkers(NAMES, view(byzantine), ['g'], 0, 1e12);
  const fam = new Recorder(c);
  c.family = fam;
  return { c, fam };
}

function key(height: number, id: string, parent: string): CommitKey {
  return { chain: 0, height, id, parent };
}

const b1 = key(1, 'b1', 'g');
const b2 = key(2, 'b2', 'b1');
const b3 = key(3, 'b3', 'b2');
const x1 = key(1, 'x1', 'g');
const x2 = key(2, 'x2', 'b1');

function commit(c: Checkers, node: number, t_s: number, k: CommitKey, state = k.height): void {
  c.commit(node, t_s * 1e6, k, { id: k.id }, state);
}

/** The first-commit times (liveness) and work times of chain 0, in seconds. */
function times(c: Checkers): { commits: number[]; demands: number[] } {
  const inner = c as unknown as { commits: number[][]; demands: number[][] };
  return { commits: inner.commits[0].map((x) => x / 1e6), demands: inner.demands[0].map((x) => x / 1e6) };
}

function brief(c: Checkers): (string | number)[][] {
  return c.violations.map((v) => [v.check, v.node, v.height, v.time_us / 1e6]);
}

describe('a height first committed after the one above it', () => {
  it('becomes canonical, and the family sees the heights in order', () => {
    const { c, fam } = setup();
    c.sync(0, 0.5e6, b1); // A installs the state as of height 1, which no honest node committed yet
    commit(c, 0, 1, b2);
    expect(c.canonicalAt(0, 1)).toBe('');
    expect(c.canonicalAt(0, 2)).toBe('b2');
    expect(fam.calls).toEqual([]); // height 2 waits for height 1
    commit(c, 1, 2, b1);
    expect(c.canonicalAt(0, 1)).toBe('b1');
    commit(c, 1, 3, b2);
    commit(c, 0, 4, b3);
    c.finish(10e6);
    expect(c.violations).toEqual([]);
    expect(fam.calls).toEqual([
      'canonical B 1 b1 @2 s1',
      'committed B 1 b1 @2',
      // Held back since 1 s, with its own time.
      'canonical A 2 b2 @1 s2',
      'committed A 2 b2 @1',
      'committed B 2 b2 @3',
      'canonical A 3 b3 @4 s3',
      'committed A 3 b3 @4',
      'finish',
    ]);
    expect(times(c)).toEqual({ commits: [1, 2, 4], demands: [1, 2, 4] });
  });

  it('keeps the work times ascending: held-back work arrived before later work', () => {
    const { c } = setup();
    c.sync(0, 0.5e6, b1);
    commit(c, 0, 1, b2);
    c.demand(0, 1.5e6);
    commit(c, 1, 2, b1);
    expect(times(c)).toEqual({ commits: [1, 2], demands: [1, 1.5, 2] });
  });

  it('keeps the commit times ascending when the filling record is older', () => {
    const { c } = setup();
    c.sync(0, 0.5e6, b1);
    commit(c, 0, 3, b2);
    commit(c, 1, 2, b1);
    expect(times(c).commits).toEqual([2, 3]);
  });

  it('waits for every gap below it, and the end of the run releases what never filled', () => {
    const { c, fam } = setup();
    c.sync(0, 0.5e6, b2);
    commit(c, 0, 1, b3);
    c.sync(1, 1.5e6, b1);
    commit(c, 1, 2, b2); // fills height 2; height 1 is still open
    expect(c.canonicalAt(0, 1)).toBe('');
    expect(fam.calls).toEqual([]);
    c.finish(10e6);
    expect(c.violations).toEqual([]);
    expect(fam.calls).toEqual([
      'canonical B 2 b2 @2 s2',
      'committed B 2 b2 @2',
      'canonical A 3 b3 @1 s3',
      'committed A 3 b3 @1',
      'finish',
    ]);
  });

  it('counts a byzantine commit in the gap as before any honest commit of its height', () => {
    const { c, fam } = setup([3]);
    c.sync(0, 0.5e6, b1);
    commit(c, 0, 1, b2);
    commit(c, 3, 1.5, b1);
    expect(fam.calls).toEqual(['byzantine 1 b1 @1.5']);
    commit(c, 1, 2, b1);
    expect(c.violations).toEqual([]);
  });
});

describe('safety around gaps', () => {
  it('fires on a conflict at a filled height', () => {
    const { c, fam } = setup();
    c.sync(0, 0.5e6, b1);
    commit(c, 0, 1, b2);
    commit(c, 1, 2, b1);
    commit(c, 2, 3, x1);
    expect(brief(c)).toEqual([['safety', 'C', 1, 3]]);
    expect(c.violations[0].message).toBe('committed x1 where another honest node committed b1');
    expect(fam.calls.at(-1)).toBe('committed C 1 x1 @3 not-canonical');
  });

  it('fires on a conflict at a height first committed in order, above a gap', () => {
    const { c, fam } = setup();
    c.sync(0, 0.5e6, b1);
    commit(c, 0, 1, b2);
    c.sync(2, 1.5e6, b1);
    commit(c, 2, 2, x2); // conflicts with A's height 2 while height 1 is open
    commit(c, 1, 3, b1);
    expect(brief(c)).toEqual([['safety', 'C', 2, 2]]);
    expect(fam.calls).toEqual([
      'canonical B 1 b1 @3 s1',
      'committed B 1 b1 @3',
      'canonical A 2 b2 @1 s2',
      'committed A 2 b2 @1',
      'committed C 2 x2 @2 not-canonical',
    ]);
  });
});

describe('without gaps', () => {
  it('calls the hooks and reports the violations in the order of the records', () => {
    const { c, fam } = setup([3]);
    // Violations as they stand at each hook call show where the reports fall between them.
    const at = () => fam.calls.push(`violations ${c.violations.length}`);
    const canonical = fam.canonical.bind(fam);
    fam.canonical = (...args) => {
      at();
      canonical(...args);
    };
    c.submit(7, 0.1e6);
    commit(c, 0, 1, b1);
    commit(c, 3, 1.5, x2);
    commit(c, 1, 2, x1); // safety and agreement at height 1
    commit(c, 0, 3, b2);
    commit(c, 1, 4, b2); // agreement: its parent is not its own x1
    commit(c, 2, 5, b1);
    commit(c, 0, 6, b3);
    c.finish(10e6);
    expect(brief(c)).toEqual([
      ['safety', 'B', 1, 2],
      ['agreement', 'B', 2, 4],
    ]);
    expect(fam.calls).toEqual([
      'submit 7',
      'violations 0',
      'canonical A 1 b1 @1 s1',
      'committed A 1 b1 @1',
      'byzantine 2 x2 @1.5',
      'committed B 1 x1 @2 not-canonical',
      'violations 1',
      'canonical A 2 b2 @3 s2',
      'committed A 2 b2 @3',
      'committed B 2 b2 @4',
      'committed C 1 b1 @5',
      'violations 2',
      'canonical A 3 b3 @6 s3',
      'committed A 3 b3 @6',
      'finish',
    ]);
    expect(times(c)).toEqual({ commits: [1, 3, 6], demands: [1, 3, 6] });
  });
});
