import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { capture, scenario, SMALL_NET } from './helpers.js';
import { runScenario } from '../sim/runner/run.js';
import { runPartitioned } from '../sim/runner/parallel.js';
import { spawnNodeWorker } from '../sim/runner/node-host.js';
import { F } from '../sim/runner/timeline.js';

const SMALL = `name: trace-small
seed: 42
duration: 6s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 50, rate_tps: 20 }
faults: [{ kind: crash, at: 2500ms, until: 4s, nodes: [v1] }]
`;

interface Ev {
  ph: string;
  name: string;
  cat?: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  s?: string;
  args: Record<string, unknown>;
}
interface Trace {
  displayTimeUnit: string;
  metadata: Record<string, unknown>;
  traceEvents: Ev[];
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'topsim-trace-'));
}

function scenarioFile(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 's.yaml');
  writeFileSync(file, SMALL);
  return file;
}

/** Runs the CLI; returns the exit code, output, and the report directory's trace and summary. */
async function runCli(dir: string, args: string[]) {
  const file = scenarioFile(dir);
  const out = join(dir, 'out');
  const c = capture();
  const code = await main(['run', file, '--json', '--out', out, ...args], c.io);
  const rep = join(out, 'trace-small', '42');
  const tracePath = join(rep, 'trace.json');
  const text = existsSync(tracePath) ? readFileSync(tracePath, 'utf8') : null;
  const summary = existsSync(join(rep, 'summary.json')) ? JSON.parse(readFileSync(join(rep, 'summary.json'), 'utf8')) : null;
  return { code, err: c.err(), out, text, trace: text ? (JSON.parse(text) as Trace) : null, summary };
}

function slices(t: Trace): Ev[] {
  return t.traceEvents.filter((e) => e.ph === 'X');
}

/** Per node name: its tids, from the thread_name metadata (`<node>-<core>`). */
function threadNames(t: Trace): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of t.traceEvents) if (e.ph === 'M' && e.name === 'thread_name') m.set(`${e.pid}/${e.tid}`, e.args.name as string);
  return m;
}

describe('trace.json (run --trace)', () => {
  // One traced run, one untraced run and one traced two-worker run, shared by the checks below.
  const dir = tmp();
  const runs = Promise.all([
    runCli(join(dir, 'a'), ['--trace', '--workers', '1']),
    runCli(join(dir, 'b'), ['--workers', '1']),
    runCli(join(dir, 'c'), ['--trace', '--workers', '2']),
  ]);

  it('has the documented shape: M events naming every track, X slices, crash and restart instants', async () => {
    const [a] = await runs;
    expect(a.code).toBe(0);
    const t = a.trace!;
    expect(t.displayTimeUnit).toBe('ms');
    expect(t.metadata).toMatchObject({ scenario: 'trace-small', seed: 42, truncated: false, truncated_at_us: null, window_us: [0, 6_000_000] });
    expect(t.metadata.digest).toBe(a.summary.digest);
    const names = threadNames(t);
    const procs = new Map(t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => [e.pid, e.args.name]));
    expect([...procs.values()]).toEqual(['validator group 0', 'auditor group 0', 'edges']);
    // 4 validators and 4 auditors of 2/4 cores... one thread per node and core, each sorted.
    const sorted = t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_sort_index');
    expect(sorted.length).toBe(names.size);
    expect([...names.values()]).toContain('v0-0');
    expect(names.size).toBe(4 * 2 + 4 * 4 + 1 * 2); // validators and edges have 2 cores, auditors 4
    const xs = slices(t);
    expect(xs.length).toBeGreaterThan(1000);
    expect(t.metadata.slices).toBe(xs.length);
    for (const e of xs) {
      expect(e.ts).toBeGreaterThanOrEqual(0);
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(e.ts) && Number.isInteger(e.dur)).toBe(true);
      const thread = names.get(`${e.pid}/${e.tid}`);
      expect(thread, `${e.name} at ${e.ts}`).toBeDefined();
      expect(thread).toBe(`${e.args.node}-${e.args.core}`);
      expect(procs.has(e.pid)).toBe(true);
    }
    const kinds = new Set(xs.map((e) => e.name));
    for (const k of ['proposal', 'vote', 'commit', 'tx_batch', 'timer:pack']) expect(kinds, k).toContain(k);
    const vote = xs.find((e) => e.name === 'vote')!;
    expect(vote.args).toMatchObject({ table: 0 });
    expect(typeof vote.args.view).toBe('number');
    expect(typeof vote.args.bytes).toBe('number');
    expect(typeof vote.args.from).toBe('string');
    const proposal = xs.find((e) => e.name === 'proposal')!;
    expect(typeof proposal.args.height).toBe('number');
    // Message slices of the kinds the summary counts by name.
    for (const k of kinds) if (!k.startsWith('timer:') && k !== 'clock') expect(Object.keys(a.summary.messages)).toContain(k);
  });

  it('draws an arrow from each send to its receive: flow events in pairs, from a slice of the sender to a slice of the receiver', async () => {
    const [a, , c] = await runs;
    const t = a.trace!;
    const starts = t.traceEvents.filter((e) => e.ph === 's') as (Ev & { id: string; bp?: string })[];
    const ends = t.traceEvents.filter((e) => e.ph === 'f') as (Ev & { id: string; bp?: string })[];
    expect(starts.length).toBeGreaterThan(500);
    expect(t.metadata.flows).toBe(starts.length);
    expect(ends.map((e) => e.id)).toEqual(starts.map((e) => e.id));
    expect(new Set(starts.map((e) => e.id)).size).toBe(starts.length);
    const names = threadNames(t);
    const xs = slices(t);
    const sliceAt = (e: Ev) => xs.find((x) => x.pid === e.pid && x.tid === e.tid && x.ts === e.ts);
    starts.slice(0, 200).forEach((st, k) => {
      const en = ends[k];
      expect(en.bp).toBe('e');
      expect(en.name).toBe(st.name);
      // The receive's slice handles that kind of message from the sender's node; it starts no earlier than the send.
      const recv = sliceAt(en)!;
      expect(recv.name).toBe(en.name);
      expect(sliceAt(st), `send slice of ${st.id}`).toBeDefined();
      expect(recv.args.from).toBe(names.get(`${st.pid}/${st.tid}`)!.replace(/-(\d+|relay)$/, ''));
      expect(en.ts!).toBeGreaterThanOrEqual(st.ts!);
    });
    // The same arrows on two workers (the trace is the same file: below).
    expect(c.trace!.traceEvents.filter((e) => e.ph === 's').length).toBe(starts.length);
  });

  it('shows the crash and the restart on the crashed node at their times', async () => {
    const [a] = await runs;
    const t = a.trace!;
    const names = threadNames(t);
    const inst = t.traceEvents.filter((e) => e.ph === 'i');
    expect(inst.map((e) => [e.name, e.ts, e.args.node, names.get(`${e.pid}/${e.tid}`)])).toEqual([
      ['crash', 2_500_000, 'v1', 'v1-0'],
      ['restart', 4_000_000, 'v1', 'v1-0'],
    ]);
    expect(inst[0].args.until_us).toBe(4_000_000);
    // A crashed node handles nothing while it is down.
    const during = slices(t).filter((e) => e.args.node === 'v1' && e.ts! >= 2_500_000 && e.ts! < 4_000_000);
    expect(during).toEqual([]);
  });

  it('never has more slices of a node open than it has cores, nor two on one core', async () => {
    const [a] = await runs;
    const t = a.trace!;
    const cores = (node: string) => (node.startsWith('e') || node.startsWith('v') ? 2 : 4);
    const byNode = new Map<string, Ev[]>();
    for (const e of slices(t)) {
      const n = e.args.node as string;
      if (!byNode.has(n)) byNode.set(n, []);
      byNode.get(n)!.push(e);
    }
    expect(byNode.size).toBe(9);
    for (const [node, list] of byNode) {
      // Sweep over [ts, ts + dur) intervals: ends before starts at equal times.
      const points: [number, number][] = [];
      for (const e of list) if (e.dur! > 0) points.push([e.ts!, 1], [e.ts! + e.dur!, -1]);
      points.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      let open = 0;
      let most = 0;
      for (const [, d] of points) most = Math.max(most, (open += d));
      expect(most, node).toBeLessThanOrEqual(cores(node));
      expect(most, node).toBeGreaterThan(0);
      const perCore = new Map<unknown, Ev[]>();
      for (const e of list) (perCore.get(e.args.core) ?? perCore.set(e.args.core, []).get(e.args.core)!).push(e);
      for (const [core, l] of perCore) {
        expect(core as number).toBeLessThan(cores(node));
        for (let i = 1; i < l.length; i++) expect(l[i].ts!, `${node} core ${core}`).toBeGreaterThanOrEqual(l[i - 1].ts! + l[i - 1].dur!);
      }
    }
  });

  it('leaves the digest alone and is the same file for one and two workers', async () => {
    const [a, b, c] = await runs;
    expect(b.text).toBeNull();
    expect(b.summary.digest).toBe(a.summary.digest);
    expect(c.summary.digest).toBe(a.summary.digest);
    expect(c.summary.wall.workers).toBe(2);
    expect(c.text).toBe(a.text);
  });
});

describe('trace bounds', () => {
  const small = () => scenario({
    duration: '5s', warmup: '1s', network: SMALL_NET,
    topology: { validators: 4, auditors: 4, edges: 1 }, workload: { accounts: 50, rate_tps: 20 },
  });

  it('--trace-window keeps only work starting in the window', async () => {
    const r = await runCli(tmp(), ['--trace-window', '2s..3500ms', '--workers', '1']);
    expect(r.code).toBe(0);
    const xs = slices(r.trace!);
    expect(xs.length).toBeGreaterThan(100);
    for (const e of xs) {
      expect(e.ts).toBeGreaterThanOrEqual(2_000_000);
      expect(e.ts).toBeLessThan(3_500_000);
    }
    expect(r.trace!.metadata.window_us).toEqual([2_000_000, 3_500_000]);
    // The crash at 2.5 s is inside, the restart at 4 s is not.
    expect(r.trace!.traceEvents.filter((e) => e.ph === 'i').map((e) => e.name)).toEqual(['crash']);
  });

  it('a capped trace stops at one time, the same for one and two workers', async () => {
    const sc = small();
    const timeline = { from_us: 0, to_us: sc.duration_us, cap: 500 };
    const one = runScenario(sc, { timeline }).timeline!;
    const two = (await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker, exchange: 'messages', timeline })).timeline!;
    expect(one.truncated_at_us).not.toBeNull();
    expect(one.slices).toBeLessThanOrEqual(500);
    expect(one.slices).toBeGreaterThan(450);
    for (let r = 0; r < one.rows.length; r += F) expect(one.rows[r]).toBeLessThan(one.truncated_at_us!);
    expect(two.truncated_at_us).toBe(one.truncated_at_us);
    expect(two.slices).toBe(one.slices);
    expect(Array.from(two.rows)).toEqual(Array.from(one.rows));
    // Uncapped, the same run has slices at the cut time: nothing before it was left out.
    const all = runScenario(sc, { timeline: { ...timeline, cap: 1e9 } }).timeline!;
    const before: number[] = [];
    for (let r = 0; r < all.rows.length; r += F) if (all.rows[r] < one.truncated_at_us!) before.push(...all.rows.subarray(r, r + F));
    expect(before).toEqual(Array.from(one.rows));
    expect(all.slices).toBeGreaterThan(one.slices);
  });

  it('--trace-cap: the trace says where it stops and one warning line says so', async () => {
    const r = await runCli(tmp(), ['--trace', '--trace-cap', '300', '--workers', '1']);
    expect(r.code).toBe(0);
    const at = r.trace!.metadata.truncated_at_us as number;
    expect(r.trace!.metadata.truncated).toBe(true);
    expect(at).toBeGreaterThan(0);
    expect(slices(r.trace!).length).toBeLessThanOrEqual(300);
    for (const e of r.trace!.traceEvents) if (e.ph !== 'M') expect(e.ts).toBeLessThan(at);
    // (The run, cut short inside its fault phase, also warns that liveness is not judged.)
    const warn = r.err.split('\n').filter((l) => l.startsWith('warning: trace'));
    expect(warn).toEqual([`warning: trace.json stops at ${(at / 1e6).toFixed(6)} s simulated: the cap of 300 slices was reached ` +
      '(--trace-window picks a stretch, --trace-cap raises the cap)']);
  });

  it('with --check-determinism the kept run is traced', async () => {
    const r = await runCli(tmp(), ['--trace-window', '1s..2s', '--check-determinism', '--workers', '2']);
    expect(r.code).toBe(0);
    const ref = await runCli(tmp(), ['--trace-window', '1s..2s', '--workers', '1']);
    expect(r.text).toBe(ref.text);
  });

  it('bad trace flags exit 2 with one line naming the flag and write nothing', async () => {
    const cases: [string[], string][] = [
      [['--trace-window', '10s'], '--trace-window: expected FROM..TO'],
      [['--trace-window', '1s..soon'], '--trace-window: expected FROM..TO'],
      [['--trace-window', '1s..2s..3s'], '--trace-window: expected FROM..TO'],
      [['--trace-window', '3s..2s'], '--trace-window: FROM (3s) must be before TO (2s)'],
      [['--trace-window', '2s..2s'], '--trace-window: FROM (2s) must be before TO (2s)'],
      [['--trace-window', '2s..7s'], "--trace-window: TO (7s) is beyond the run's duration (6s)"],
      [['--trace', '--trace-cap', '0'], '--trace-cap: expected an integer'],
      [['--trace-cap', '10'], '--trace-cap: only with --trace'],
      [['--trace', '--trace'], '--trace given twice'],
    ];
    for (const [args, msg] of cases) {
      const dir = tmp();
      const r = await runCli(dir, args);
      expect(r.code, args.join(' ')).toBe(2);
      const lines = r.err.split('\n').filter((l) => l.startsWith('error:'));
      expect(lines.length, args.join(' ')).toBe(1);
      expect(lines[0], args.join(' ')).toContain(`error: ${msg}`);
      expect(existsSync(r.out), args.join(' ')).toBe(false);
    }
  });
});

describe('trace.json: relay trees', () => {
  // Groups of 12 validators: a broadcast goes down a relay tree of fan-out 4, so most copies are forwarded by relays.
  const RELAYED = SMALL.replace('name: trace-small', 'name: trace-relays').replace('validators: 4, auditors: 4', 'validators: 12, auditors: 4')
    .replace(/^faults:.*$/m, '').replace('duration: 6s', 'duration: 3s');
  async function run(workers: number) {
    const dir = tmp();
    const file = join(dir, 'r.yaml');
    writeFileSync(file, RELAYED);
    const c = capture();
    const code = await main(['run', file, '--json', '--trace', '--workers', String(workers), '--out', join(dir, 'out')], c.io);
    expect(code, c.err()).toBe(0);
    return JSON.parse(readFileSync(join(dir, 'out', 'trace-relays', '42', 'trace.json'), 'utf8')) as Trace;
  }

  it('draws the copies a relay forwards as arrows from the relay, on its relay track, the same on two workers', async () => {
    const [t, t2] = await Promise.all([run(1), run(2)]);
    const names = threadNames(t);
    const relays = t.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'relay');
    expect(relays.length).toBeGreaterThan(100);
    for (const e of relays.slice(0, 100)) {
      expect(names.get(`${e.pid}/${e.tid}`)).toBe(`${e.args.node}-relay`);
      expect(e.dur).toBe(0);
      expect(e.name).toMatch(/^relay:/);
    }
    // Slices are handled work; relays are not counted among them.
    expect(t.metadata.slices).toBe(t.traceEvents.filter((e) => e.ph === 'X').length - relays.length);
    const starts = t.traceEvents.filter((e) => e.ph === 's') as (Ev & { id: string })[];
    const ends = t.traceEvents.filter((e) => e.ph === 'f') as (Ev & { id: string })[];
    expect(ends.map((e) => e.id)).toEqual(starts.map((e) => e.id));
    expect(new Set(starts.map((e) => e.id)).size).toBe(starts.length);
    const fromRelay = starts.map((e, k) => [e, ends[k]] as const).filter(([e]) => names.get(`${e.pid}/${e.tid}`)!.endsWith('-relay'));
    expect(fromRelay.length).toBeGreaterThan(starts.length / 4);
    const xs = slices(t);
    for (const [st, en] of fromRelay.slice(0, 200)) {
      const relay = names.get(`${st.pid}/${st.tid}`)!.replace(/-relay$/, '');
      expect(relays.some((r) => r.pid === st.pid && r.tid === st.tid && r.ts === st.ts), `relay slice of ${st.id}`).toBe(true);
      const recv = xs.find((x) => x.pid === en.pid && x.tid === en.tid && x.ts === en.ts)!;
      expect(recv.args.from).toBe(relay);
      expect(recv.name).toBe(st.name);
      expect(en.ts!).toBeGreaterThan(st.ts!);
    }
    expect(t2.traceEvents.filter((e) => e.ph === 's').length).toBe(starts.length);
    expect(t2.traceEvents.filter((e) => e.cat === 'relay').length).toBe(relays.length);
    expect(t2.metadata.digest).toBe(t.metadata.digest);
  });
});
