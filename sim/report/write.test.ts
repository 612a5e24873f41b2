/**
 * The output rules of ./write.ts: places checked before the work (creating nothing), leftovers
 * of killed writers cleaned up without touching a live process's, a user's file never replaced,
 * a run's report never replacing another run's, and writers racing into one folder, driven step
 * by step through every interleaving (the writes are synchronous, so two in one process can
 * only interleave this way; each step is a point where another process could act).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkDirWritable, OutputError, planRunReport, removeLeftovers, reportWrite, runPlacement, scenarioHash, writeReport,
  type Placement,
} from './write.js';

let root = '';
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'topsim-write-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const listing = (d: string): string[] => readdirSync(d).sort();

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  return r.pid!;
}

/** The error `f` throws (failing the test if it throws none). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('checkDirWritable', () => {
  it('names a regular file in the way of a directory, and creates nothing', () => {
    // Root ignores permissions, but not a file where a directory must be.
    writeFileSync(join(root, 'file'), 'mine');
    const e = thrown(() => checkDirWritable(join(root, 'file', 'x', 'y')));
    expect(e).toBeInstanceOf(OutputError);
    expect(e.message).toBe(`cannot write ${join(root, 'file', 'x', 'y')}: ${join(root, 'file')} is a file, not a directory`);
    expect(listing(root)).toEqual(['file']);
    expect(readFileSync(join(root, 'file'), 'utf8')).toBe('mine');
  });

  it.runIf(process.platform === 'linux')('refuses /proc, where even root cannot create files, without hanging', () => {
    // Node's recursive mkdir loops forever there; the check must not.
    const e = thrown(() => checkDirWritable('/proc/topsim-out/reports'));
    expect(e).toBeInstanceOf(OutputError);
    expect(e.message).toMatch(/^cannot write \/proc\/topsim-out\/reports: cannot create files in \/proc: .*\(E[A-Z]+\)$/);
  });

  it.runIf(typeof process.getuid === 'function' && process.getuid() !== 0)('refuses a read-only directory (not as root)', () => {
    const ro = join(root, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    try {
      expect(() => checkDirWritable(join(ro, 'reports'))).toThrow(/cannot create files in .*ro: permission denied \(EACCES\)/);
    } finally {
      chmodSync(ro, 0o700);
    }
  });

  it('passes for a writable place, leaving nothing behind (not even the missing directories)', () => {
    checkDirWritable(join(root, 'a', 'b'));
    expect(listing(root)).toEqual([]);
  });
});

describe('leftovers of killed writers', () => {
  it('a write removes the temporary directories of dead writers, never those of live ones', () => {
    const dead = deadPid();
    const parent = join(root, 'default');
    // What `kill -9` during a write leaves: a temporary directory with part of the files.
    for (const name of [`42.tmp-${dead}`, `42.tmp-${dead}-3`, `7.tmp-${dead}-1`]) {
      mkdirSync(join(parent, name), { recursive: true });
      writeFileSync(join(parent, name, 'summary.json'), '{"partial');
    }
    writeFileSync(join(parent, `notes.txt.tmp-${dead}`), 'half a file'); // writeFileAtomic's
    // A live process (our parent) is writing: its temporary directory stays.
    mkdirSync(join(parent, `42.tmp-${process.ppid}-1`));
    writeReport(join(parent, '42'), { 'summary.json': '{}\n' });
    expect(listing(parent)).toEqual(['42', `42.tmp-${process.ppid}-1`]);
  });

  it('puts back a report that a killed writer had moved aside, or drops it if a newer one took its place', () => {
    const dead = deadPid();
    const parent = join(root, 'default');
    mkdirSync(join(parent, `42.old-${dead}-1`), { recursive: true });
    writeFileSync(join(parent, `42.old-${dead}-1`, 'summary.json'), 'the last good report');
    mkdirSync(join(parent, `9.old-${dead}-2`));
    mkdirSync(join(parent, '9'));
    writeFileSync(join(parent, '9', 'summary.json'), 'newer');
    removeLeftovers(parent);
    expect(listing(parent)).toEqual(['42', '9']);
    expect(readFileSync(join(parent, '42', 'summary.json'), 'utf8')).toBe('the last good report');
    expect(readFileSync(join(parent, '9', 'summary.json'), 'utf8')).toBe('newer');
  });

  it('never deletes a file at the report path: the write is refused naming it', () => {
    const dir = join(root, 'default', '42');
    mkdirSync(join(root, 'default'));
    writeFileSync(dir, 'a file of mine');
    expect(() => writeReport(dir, { 'summary.json': '{}\n' })).toThrow(`cannot write ${dir}: a file is there, not a report directory`);
    expect(readFileSync(dir, 'utf8')).toBe('a file of mine');
    expect(listing(join(root, 'default'))).toEqual(['42']);
    // Nor a directory of other things.
    const other = join(root, 'mine');
    mkdirSync(join(other, 'sub'), { recursive: true });
    writeFileSync(join(other, 'summary.json'), 'x');
    expect(() => writeReport(other, { 'summary.json': '{}\n' })).toThrow(/a directory that is not a report is there/);
    expect(listing(other)).toEqual(['sub', 'summary.json']);
  });
});

// ---------------------------------------------------------------------------------------------
// Run reports: one place per scenario as run

const SCENARIO_X = { name: 'default', seed: 42, duration: '30s' };
const SCENARIO_Y = { name: 'default', seed: 42, duration: '12s' }; // same name and seed, another run

/** A run report's files, each naming its writer, so a mixed or partial report is visible. */
function runFiles(scenario: object, writer: string): Record<string, string> {
  return {
    'summary.json': JSON.stringify({ scenario_file: scenario, writer }),
    'timeseries.csv': `${writer}\n`,
    'report.html': `<p>${writer}</p>`,
  };
}

/** The writer whose complete report is in `dir`; fails on a partial or mixed one. */
function writerIn(dir: string): string {
  expect(listing(dir)).toEqual(['report.html', 'summary.json', 'timeseries.csv']);
  const w = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).writer as string;
  expect(readFileSync(join(dir, 'timeseries.csv'), 'utf8')).toBe(`${w}\n`);
  expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(`<p>${w}</p>`);
  return w;
}

function finishWrite(p: Placement, files: Record<string, string>): string {
  const g = reportWrite(p, files);
  for (;;) {
    const r = g.next();
    if (r.done === true) return r.value;
  }
}

describe('run report places', () => {
  const hash8 = (s: object) => scenarioHash(s).slice(0, 8);

  it('another scenario with the same name and seed gets <seed>-<hash8>; the same one replaces its own', () => {
    const px = runPlacement(root, 'default', 42, SCENARIO_X);
    const py = runPlacement(root, 'default', 42, SCENARIO_Y);
    expect(planRunReport(root, 'default', 42, SCENARIO_X)).toBe(join(root, 'default', '42'));
    expect(finishWrite(px, runFiles(SCENARIO_X, 'x1'))).toBe(join(root, 'default', '42'));
    expect(planRunReport(root, 'default', 42, SCENARIO_Y)).toBe(join(root, 'default', `42-${hash8(SCENARIO_Y)}`));
    expect(finishWrite(py, runFiles(SCENARIO_Y, 'y1'))).toBe(join(root, 'default', `42-${hash8(SCENARIO_Y)}`));
    expect(finishWrite(px, runFiles(SCENARIO_X, 'x2'))).toBe(join(root, 'default', '42'));
    expect(finishWrite(py, runFiles(SCENARIO_Y, 'y2'))).toBe(join(root, 'default', `42-${hash8(SCENARIO_Y)}`));
    expect(writerIn(join(root, 'default', '42'))).toBe('x2');
    expect(writerIn(join(root, 'default', `42-${hash8(SCENARIO_Y)}`))).toBe('y2');
    expect(listing(join(root, 'default'))).toEqual(['42', `42-${hash8(SCENARIO_Y)}`]);
    // Key order does not matter: the hash is of the canonical JSON.
    expect(scenarioHash({ duration: '30s', seed: 42, name: 'default' })).toBe(scenarioHash(SCENARIO_X));
  });

  it('a directory that is not a report sends the run to <seed>-<hash8>; with that taken too, the write is refused', () => {
    const mine = join(root, 'default', '42');
    mkdirSync(mine, { recursive: true });
    writeFileSync(join(mine, 'notes.txt'), 'mine');
    const alt = join(root, 'default', `42-${hash8(SCENARIO_X)}`);
    expect(finishWrite(runPlacement(root, 'default', 42, SCENARIO_X), runFiles(SCENARIO_X, 'x'))).toBe(alt);
    expect(listing(mine)).toEqual(['notes.txt']);
    rmSync(alt, { recursive: true });
    writeFileSync(alt, 'also mine');
    expect(() => planRunReport(root, 'default', 42, SCENARIO_X)).toThrow(`cannot write ${alt}: a file is there`);
    expect(() => finishWrite(runPlacement(root, 'default', 42, SCENARIO_X), runFiles(SCENARIO_X, 'x'))).toThrow(OutputError);
    expect(readFileSync(alt, 'utf8')).toBe('also mine');
    expect(listing(join(root, 'default'))).toEqual(['42', `42-${hash8(SCENARIO_X)}`]);
  });
});

// ---------------------------------------------------------------------------------------------
// Concurrent writers

interface Writer {
  id: string;
  scenario: object;
}

interface Outcome {
  /** Writer ids in the order their write finished (right after renaming its report into place). */
  placed: string[];
  /** Each step, as `<writer>: <what it did>`. */
  labels: string[];
  /** The directory each writer's write returned. */
  dirs: Map<string, string>;
}

/**
 * Runs the writes of `writers` into one report root, advancing writer `schedule[i]` one step at
 * a time (a finished writer's turns go to the next unfinished one), then the writer `pick`
 * chooses among the unfinished ones (default: the first) until all are done. `taken` collects
 * the writers in the order they stepped.
 */
function runSchedule(
  base: string, writers: readonly Writer[], schedule: readonly number[],
  pick: (open: number[]) => number = (open) => open[0], taken: number[] = [],
): Outcome {
  const gens = writers.map((w) => reportWrite(runPlacement(base, 'default', 42, w.scenario), runFiles(w.scenario, w.id)));
  const done = writers.map(() => false);
  const out: Outcome = { placed: [], labels: [], dirs: new Map() };
  const step = (i: number) => {
    taken.push(i);
    const r = gens[i].next();
    out.labels.push(`${writers[i].id}: ${r.done === true ? 'done' : r.value}`);
    if (r.done === true) {
      done[i] = true;
      out.dirs.set(writers[i].id, r.value);
      out.placed.push(writers[i].id);
    }
  };
  for (const s of schedule) {
    let i = s;
    while (done[i] && done.some((d) => !d)) i = (i + 1) % writers.length;
    if (!done[i]) step(i);
  }
  for (;;) {
    const open = writers.map((_, i) => i).filter((i) => !done[i]);
    if (open.length === 0) return out;
    step(pick(open));
  }
}

/**
 * Calls `check` once for every interleaving of the writers' steps that differs in what the
 * filesystem sees: depth first, each run follows the first unfinished writer and leaves the
 * other choices on a stack, to be replayed from a fresh root. Returns how many there were.
 */
function forEachInterleaving(writers: readonly Writer[], old: object | null, check: (dir: string, o: Outcome, schedule: string) => void): number {
  const stack: number[][] = [[]];
  let count = 0;
  while (stack.length > 0) {
    const forced = stack.pop()!;
    const dir = freshRoot(old);
    const schedule: number[] = [];
    const o = runSchedule(dir, writers, forced, (open) => {
      if (schedule.length >= forced.length) for (const j of open.slice(1)) stack.push([...schedule, j]);
      return open[0];
    }, schedule);
    check(dir, o, schedule.map((i) => writers[i].id).join(''));
    count++;
  }
  return count;
}

/** A fresh report root, with an older report of `old` at default/42 when given. */
function freshRoot(old: object | null): string {
  const dir = mkdtempSync(join(root, 'r-'));
  if (old !== null) finishWrite(runPlacement(dir, 'default', 42, old), runFiles(old, 'older'));
  return dir;
}

/**
 * The report of scenario X (at `dx`) and of Y (at `dy`): one has default/42, whichever came
 * first, and the other default/42-<first 8 hex of its own scenario's hash>.
 */
function bothPlaced(dir: string, dx: string, dy: string): void {
  const home = join(dir, 'default', '42');
  expect([dx, dy]).toContain(home);
  if (dx === home) expect(dy).toBe(join(dir, 'default', `42-${scenarioHash(SCENARIO_Y).slice(0, 8)}`));
  else expect(dx).toBe(join(dir, 'default', `42-${scenarioHash(SCENARIO_X).slice(0, 8)}`));
}

/** No temporary or moved-aside directory is left in default/. */
function noLeftovers(dir: string): void {
  expect(listing(join(dir, 'default')).filter((f) => /\.(tmp|old|kept)-/.test(f))).toEqual([]);
}

describe('concurrent writers into one report root', () => {
  const A: Writer = { id: 'a', scenario: SCENARIO_X };
  const B: Writer = { id: 'b', scenario: SCENARIO_X };
  const C: Writer = { id: 'c', scenario: SCENARIO_Y };

  for (const old of [null, SCENARIO_X]) {
    const what = old === null ? 'into an empty folder' : 'over an older report';

    it(`two runs of the same scenario ${what}: every interleaving completes, and the last writer's report wins`, () => {
      // The interleaving that crashed with ENOTEMPTY: a moves the old report aside, b puts its
      // report in the freed place, a's rename of its own then finds the place taken.
      let raced = 0;
      const n = forEachInterleaving([A, B], old, (dir, o, s) => {
        if (o.labels.filter((l) => l.startsWith('a: chose')).length > 1) raced++;
        const home = join(dir, 'default', '42');
        expect(o.dirs.get('a'), s).toBe(home);
        expect(o.dirs.get('b'), s).toBe(home);
        expect(writerIn(home), s).toBe(o.placed[o.placed.length - 1]);
        expect(listing(join(dir, 'default')), s).toEqual(['42']);
        noLeftovers(dir);
      });
      expect(n).toBeGreaterThanOrEqual(6);
      expect(raced).toBeGreaterThan(0); // some interleavings made a writer decide again
    });

    it(`runs of two scenarios with the same name and seed ${what}: every interleaving keeps both reports whole`, () => {
      let raced = 0;
      const n = forEachInterleaving([A, C], old, (dir, o, s) => {
        if (o.labels.filter((l) => / chose /.test(l)).length > 2) raced++;
        const da = o.dirs.get('a')!;
        const dc = o.dirs.get('c')!;
        bothPlaced(dir, da, dc);
        expect(writerIn(da), s).toBe('a');
        expect(writerIn(dc), s).toBe('c');
        expect(listing(join(dir, 'default')), s).toHaveLength(2);
        noLeftovers(dir);
      });
      expect(n).toBeGreaterThanOrEqual(6);
      expect(raced).toBeGreaterThan(0); // some interleavings made a writer decide again
    });
  }

  it('three writers, two scenarios: a report swapped in under a writer is given back or placed by its own scenario', () => {
    // a and b run scenario X, c runs Y; 42 holds an older X report. b moves it aside, c takes the
    // free 42 with Y, a (which saw X there) moves c's report aside, b puts X into 42: a finds
    // it took Y's report by mistake and places it under Y's own name.
    const dir = freshRoot(SCENARIO_X);
    const labels: string[] = [];
    const gens = [A, B, C].map((w) => reportWrite(runPlacement(dir, 'default', 42, w.scenario), runFiles(w.scenario, w.id)));
    const step = (i: number) => {
      const r = gens[i].next();
      labels.push(`${'abc'[i]}: ${r.done === true ? 'done' : r.value}`);
    };
    /** Steps writer i until it has done `what`. */
    const until = (i: number, what: string) => {
      do step(i);
      while (labels[labels.length - 1] !== `${'abc'[i]}: ${what}` && !labels[labels.length - 1].endsWith(': done'));
      expect(labels[labels.length - 1]).toBe(`${'abc'[i]}: ${what}`);
    };
    until(0, 'chose 42 (ours)'); // a and b look at 42: the older X report, theirs to replace
    until(1, 'chose 42 (ours)');
    until(1, 'moved 42 aside');
    until(2, 'done'); // c finds 42 free and puts Y there
    until(0, 'moved 42 aside'); // a moves what is at 42 aside: c's report (it will see it is not X) ...
    until(1, 'done'); // ... but b puts its X into the freed 42 first
    for (const i of [0, 1, 2]) while (!labels.includes(`${'abc'[i]}: done`)) step(i);
    const y8 = scenarioHash(SCENARIO_Y).slice(0, 8);
    expect(labels).toContain(`a: chose 42-${y8} (free)`); // c's report, moved by a, placed under Y's own name
    expect(writerIn(join(dir, 'default', `42-${y8}`))).toBe('c');
    expect(writerIn(join(dir, 'default', '42'))).toBe('a'); // a then replaced b's X: the last writer wins
    expect(listing(join(dir, 'default'))).toEqual(['42', `42-${y8}`]);
    noLeftovers(dir);
  });

  it('three writers, two scenarios, 100 pseudo-random interleavings: no crash, every report whole, none lost', () => {
    let state = 12345;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state;
    };
    for (let n = 0; n < 100; n++) {
      const dir = freshRoot(n % 2 === 0 ? SCENARIO_X : SCENARIO_Y);
      const schedule = Array.from({ length: 12 }, () => next() % 3);
      const o = runSchedule(dir, [A, B, C], schedule);
      const s = schedule.join('');
      // Every directory is a whole report, nothing else is left, and no finished write is lost:
      // c's report (the only Y) survives, and so does the X report placed last (the other X
      // writer's may be replaced by it: the same scenario, the last writer wins). With three
      // writers a report may end in its scenario's other place: X's report at 42 can be moved
      // aside while Y takes the free place, or (the case above) Y's moved by mistake and
      // placed again under Y's own name.
      const found = listing(join(dir, 'default')).map((f) => writerIn(join(dir, 'default', f)));
      expect(found, s).toContain('c');
      expect(found, s).toContain(o.placed.filter((w) => w !== 'c').pop());
      expect(found.length, s).toBe(new Set(found).size);
      noLeftovers(dir);
    }
  });
});
