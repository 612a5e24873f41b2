/**
 * Runs a scenario over several workers (docs/DESIGN.md "Parallel runner") and merges their results
 * into the summary a one-worker run gives, wall figures aside.
 *
 * Conservative synchronous windows: with lookahead L (the minimum link latency), every worker
 * handles all its events with time < T + L; an event for another worker's node is at least L
 * after the event that caused it, so it falls at or after T + L and waits in a packed batch.
 * After each window the main thread routes the batches and moves T to the earliest pending event
 * over all workers, so idle stretches cost nothing. Inside a worker, events keep the total order
 * (time, origin, seq), so every node sees the same history as in a one-worker run.
 *
 * Control goes through comlink (`init`, `window`, `finish`); the data travels as transferred
 * byte arrays. How a worker is started is the caller's: `spawnNodeWorker` in Node, a module Web
 * Worker in the browser, both loading the same worker module.
 */
import * as Comlink from 'comlink';
import type { Scenario } from '../scenario/types.js';
import { buildRun } from './build.js';
import { Digest64, runDigest } from '../engine/digest.js';
import { NodeCounters } from '../engine/sim.js';
import { FAILED, START, STOP, SharedView, W_EVENTS, createShared } from './shared.js';
import { COUNTER_FIELDS, FAILED_AT, type PartitionWorker, type WindowResult, type WorkerOptions, type WorkerTotals } from './partition-worker.js';
import { readLogBlocks, replayObservations, type ObservationLog } from './record.js';
import { runScenario, summarize, type RunOptions, type RunResult, type RunTotals } from './run.js';
import { Reader } from '../lib/bytes.js';
import { mergeTimeline } from './timeline.js';

export interface WorkerHandle {
  readonly api: Comlink.Remote<PartitionWorker>;
  /** Rejects if the worker dies, is killed or throws outside a call. */
  readonly failed: Promise<never>;
  /** Ends the worker in an orderly way (not a failure). */
  terminate(): Promise<void>;
  /** Stops the worker abruptly, as if its thread died (a failure). */
  kill(): void;
}

export type SpawnWorker = (index: number) => WorkerHandle;

/**
 * A worker handle around `api`: `listen` wires the thread's failures to `fail` (called only
 * while the worker is not being ended), `stop` ends the thread.
 */
export function workerHandle(
  api: Comlink.Remote<PartitionWorker>,
  listen: (fail: (e: Error) => void) => void,
  stop: () => unknown,
): WorkerHandle {
  let ending = false;
  let reject: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, r) => { reject = r; });
  failed.catch(() => undefined); // observed by the runner's calls; never an unhandled rejection
  listen((e) => { if (!ending) reject(e); });
  return {
    api,
    failed,
    async terminate() {
      ending = true;
      api[Comlink.releaseProxy]();
      await stop();
    },
    kill() {
      void stop();
    },
  };
}

/**
 * Awaits a call to worker `w`, as a WorkerFailure if the worker throws or dies: at the simulated
 * time the worker's error names, else `at_us` (read when it fails).
 */
export async function callWorker<T>(h: WorkerHandle, w: number, p: Promise<T>, at_us: number | (() => number)): Promise<T> {
  try {
    return await Promise.race([p, h.failed]);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const at = new RegExp(`^${FAILED_AT}(\\d+): `).exec(msg);
    throw new WorkerFailure(w, at ? Number(at[1]) : typeof at_us === 'number' ? at_us : at_us(), at ? msg.slice(at[0].length) : msg);
  }
}

/** A worker failed: the run ends with this error and writes nothing. */
export class WorkerFailure extends Error {
  constructor(
    readonly worker: number,
    readonly at_us: number,
    readonly reason: string,
  ) {
    super(`worker ${worker} failed at simulated time ${(at_us / 1e6).toFixed(6)} s: ${reason}`);
    this.name = 'WorkerFailure';
  }
}

export interface ParallelOptions extends Omit<RunOptions, 'attach'> {
  workers: number;
  spawn: SpawnWorker;
  /** Record per-node digests every so often (divergence finder). */
  checkpoint_us?: number;
  /** Record each event of these nodes in [from_us, to_us) (divergence finder). */
  trace?: { nodes: Uint8Array; from_us: number; to_us: number };
  /** Stop before this time instead of the scenario's end (no summary then). */
  stop_us?: number;
  /**
   * How batches travel: 'shared' (SharedArrayBuffer mailboxes and an atomic barrier, the default
   * where shared memory exists) or 'messages' (one comlink call per worker and window, for pages
   * without cross-origin isolation). Both give the same results.
   */
  exchange?: 'shared' | 'messages';
  /** Cores of the machine, when known: with no more workers than cores, a barrier polls briefly before sleeping. */
  cores?: number;
}

/** Barrier polls before sleeping (a few hundred microseconds: most windows end within that). */
const SPIN_POLLS = 200_000;

export interface ParallelResult extends RunResult {
  owner: Int32Array;
  checkpoints: { every_us: number; times: number[]; lanes: Int32Array[] } | null;
  trace: number[] | null;
}

/** Hands `bufs` to the worker without copying them. */
function transferList(bufs: readonly (Uint8Array | null)[]): (Uint8Array | null)[] {
  const list = bufs.slice();
  return Comlink.transfer(list, list.filter((b): b is Uint8Array => b !== null).map((b) => b.buffer as ArrayBuffer));
}

/**
 * A run over `workers` worker threads, or in this thread for one worker (no worker to start, and
 * the same digest and summary either way): what the commands use when the user picks a count.
 */
export async function runOnWorkers(
  sc: Scenario,
  opts: Pick<ParallelOptions, 'workers' | 'spawn' | 'cores' | 'progress' | 'wall' | 'timeline'>,
): Promise<RunResult> {
  if (opts.workers === 1) return runScenario(sc, { progress: opts.progress, wall: opts.wall, timeline: opts.timeline });
  return runPartitioned(sc, opts);
}

export async function runPartitioned(sc: Scenario, opts: ParallelOptions): Promise<ParallelResult> {
  const W = opts.workers;
  if (!(Number.isInteger(W) && W >= 1)) throw new RangeError(`workers must be an integer >= 1, got ${W}`);
  const wall = opts.wall;
  const t0 = wall ? wall.now_ms() : 0;
  let peak = wall ? wall.rss_bytes() : 0;
  const built = buildRun(sc, { local: 'none', module: opts.module });
  const owner = built.family.owners(W);
  const L = built.sim.lookahead_us;
  const end = opts.stop_us ?? sc.duration_us;
  const wopts: WorkerOptions = {};
  if (opts.checkpoint_us !== undefined) wopts.checkpoint_us = opts.checkpoint_us;
  if (opts.trace) wopts.trace = opts.trace;
  if (opts.timeline) wopts.timeline = opts.timeline;
  if (opts.module) wopts.module = opts.module;

  const exchange = opts.exchange ?? (typeof SharedArrayBuffer === 'function' ? 'shared' : 'messages');
  const layout = exchange === 'shared' ? createShared(W, end, L) : null;
  const view = layout ? new SharedView(layout) : null;
  if (layout) {
    wopts.shared = layout;
    if (opts.cores !== undefined && W <= opts.cores) wopts.spin = SPIN_POLLS;
  }

  const handles: WorkerHandle[] = [];
  /** Start of the window in progress (messages mode; the shared block holds it otherwise). */
  let windowStart = 0;
  const call = <T>(w: number, p: Promise<T>): Promise<T> => callWorker(handles[w], w, p, () => (view ? view.f64[START] : windowStart));
  const report = (now_us: number, events: number) => {
    if (wall) peak = Math.max(peak, wall.rss_bytes());
    opts.progress?.(now_us, events);
  };
  try {
    for (let w = 0; w < W; w++) handles.push(opts.spawn(w));
    const started = await Promise.all(handles.map((h, w) => call(w, h.api.init(sc, w, owner, W, wopts))));
    if (view) await runShared(view, handles, call, report);
    else {
      // Messages mode: route each window's batches through this thread.
      let results: WindowResult[] = started;
      let nextProgress = 0;
      for (;;) {
        let T = Infinity;
        const inbox: (Uint8Array | null)[][] = handles.map(() => new Array<Uint8Array | null>(W).fill(null));
        results.forEach((r, w) => {
          if (r.next_us < T) T = r.next_us;
          if (r.outMin_us < T) T = r.outMin_us;
          r.out.forEach((b, d) => { inbox[d][w] = b; });
        });
        if (T >= end) break;
        windowStart = T;
        const until = Math.min(T + L, end);
        results = await Promise.all(handles.map((h, w) => call(w, h.api.window(transferList(inbox[w]), until))));
        const events = results.reduce((n, r) => n + r.events, 0);
        if (events >= nextProgress) {
          nextProgress = events + 16_384;
          report(until, events);
        }
      }
    }
    windowStart = end;
    const parts: WorkerTotals[] = await Promise.all(handles.map((h, w) => call(w, h.api.finish(end))));
    if (wall) peak = Math.max(peak, wall.rss_bytes());

    // Merge. The family's rows first (TOP: transactions): its checks and block facts read them.
    const codec = built.family.codec;
    for (const p of parts) codec.readRows(new Reader(p.rows));
    const logs: ObservationLog[] = parts.map((p) => readLogBlocks(p.observations.rows, p.observations.blocks, codec));
    replayObservations(logs, built.judge);
    built.checks.finish(end);
    const n = built.nodes.length;
    const digests = Array.from({ length: n }, () => new Digest64());
    const counters = Array.from({ length: n }, () => new NodeCounters());
    const alive = new Uint8Array(n);
    const msgCount: (number | undefined)[] = [];
    const msgTableCount = new Map<number, number>();
    const bytesPerSecond: number[] = [];
    let events = 0;
    let crossed = 0;
    for (const p of parts) {
      events += p.events;
      crossed += p.crossed;
      p.nodes.forEach((id, k) => {
        digests[id].h1 = p.lanes[2 * k];
        digests[id].h2 = p.lanes[2 * k + 1];
        const c = counters[id];
        COUNTER_FIELDS.forEach((f, j) => { c[f] = p.counters[k * COUNTER_FIELDS.length + j]; });
        alive[id] = p.alive[k];
      });
      for (const [k, v] of p.msgCount) msgCount[k] = (msgCount[k] ?? 0) + v;
      for (const [k, v] of p.msgTableCount) msgTableCount.set(k, (msgTableCount.get(k) ?? 0) + v);
      p.bytesPerSecond.forEach((v, s) => { bytesPerSecond[s] = (bytesPerSecond[s] ?? 0) + v; });
    }
    for (let s = 0; s < bytesPerSecond.length; s++) bytesPerSecond[s] ??= 0;
    const totals: RunTotals = {
      digest: runDigest(digests),
      events,
      msgCount,
      msgTableCount,
      bytesPerSecond,
      counters: (i) => counters[i],
      alive: (i) => alive[i] === 1,
      workers: W,
      crossed,
    };
    const wall_s = wall ? (wall.now_ms() - t0) / 1000 : 0;
    const summary = summarize(built, totals, wall_s, peak);
    const timeseries = built.metrics.timeseries(sc.duration_us, bytesPerSecond);
    let checkpoints: ParallelResult['checkpoints'] = null;
    if (opts.checkpoint_us !== undefined) {
      const first = parts[0].checkpoints!;
      const lanes = first.times.map((_, k) => {
        const merged = new Int32Array(n * 2);
        for (const p of parts) {
          const l = p.checkpoints!.lanes[k];
          for (let i = 0; i < merged.length; i++) merged[i] |= l[i];
        }
        return merged;
      });
      checkpoints = { every_us: first.every_us, times: first.times, lanes };
    }
    const trace = opts.trace ? mergeTraces(parts.map((p) => p.trace ?? [])) : null;
    const timeline = opts.timeline ? mergeTimeline(parts.map((p) => p.timeline!), opts.timeline) : null;
    return { summary, timeseries, built, owner, checkpoints, trace, timeline };
  } finally {
    await Promise.all(handles.map((h) => h.terminate().catch(() => undefined)));
  }
}

/**
 * Shared mode: starts the first window, lets the workers run every window among themselves, and
 * reports progress from the shared figures until they stop. A failed or dead worker stops the
 * others and its failure is thrown (the first worker that failed, if several did).
 */
export async function runShared(
  view: SharedView,
  handles: readonly WorkerHandle[],
  call: <T>(w: number, p: Promise<T>) => Promise<T>,
  report: (now_us: number, events: number) => void,
): Promise<void> {
  view.advance();
  const loops = handles.map((h, w) => {
    const p = call(w, h.api.runShared());
    p.catch(() => view.abort(-1));
    return p;
  });
  let finished = false;
  const settled = Promise.allSettled(loops).then((r) => {
    finished = true;
    return r;
  });
  const events = () => handles.reduce((n, _, w) => n + view.f64[view.slot(w, W_EVENTS)], 0);
  // Wake every 250 ms for progress while the workers run. Once STOP is set, only their replies
  // remain: wait for them (a resolved promise here would spin in microtasks and starve the very
  // messages that end the wait).
  while (!finished) {
    const wait = Atomics.waitAsync(view.i32, STOP, 0, 250);
    if (!wait.async) break;
    await Promise.race([settled, wait.value]);
    if (!finished) report(view.f64[START], events());
  }
  const results = await settled;
  const first = Atomics.load(view.i32, FAILED) - 1;
  const failedAt = first >= 0 && results[first].status === 'rejected' ? first : results.findIndex((r) => r.status === 'rejected');
  if (failedAt >= 0) throw (results[failedAt] as PromiseRejectedResult).reason;
}

/** Trace rows of all workers in event order (time, then node). */
function mergeTraces(traces: number[][]): number[] {
  const rows: number[][] = [];
  for (const t of traces) for (let i = 0; i < t.length; i += 7) rows.push(t.slice(i, i + 7));
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return rows.flat();
}
