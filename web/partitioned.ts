/**
 * A run in the page over several workers (web/README.md "Several workers"): the partitioned
 * runner of the command line (sim/runner/parallel.ts), paused at each frame.
 *
 * The partition workers run the windows among themselves through shared memory, as on the command
 * line; the shared block's PAUSE_AT stops them at the frame's target time, and YIELD, set once the
 * frame's wall-time budget is spent, after the window in progress (sim/runner/shared.ts). A pause only ends a window early, and
 * any window no longer than the lookahead is a valid one, so where the pauses fall changes nothing:
 * the digest is the one-worker digest. Between frames each worker hands over what its watcher saw
 * (sim/runner/watch.ts), its nodes' state and its observation records; this thread replays the
 * records of all workers in the one-worker order into the run's own metrics and checks, as the
 * command line does at the end, so blocks, finality and latency come out as in one thread.
 *
 * What only a node's program knows (the inspector's rows, a block's detail) is asked of the worker
 * that runs the node. A family's own panel (ViewAdapter.story) reads every node at once, so a family
 * with one runs on one worker in the page (`storyNeedsOneWorker`).
 */
import * as Comlink from 'comlink';
import type { Scenario } from '../sim/scenario/index.js';
import { buildRun, familyOf, type BuiltRun } from '../sim/runner/build.js';
import { Digest64, runDigest } from '../sim/engine/digest.js';
import { callWorker, workerHandle, type SpawnWorker, type WorkerHandle } from '../sim/runner/parallel.js';
import { FAILED, NOW, PAUSE_AT, START, STOP, SharedView, createShared, type SharedLayout } from '../sim/runner/shared.js';
import type { PartitionWorker, WatchedPart, WorkerTotals } from '../sim/runner/partition-worker.js';
import { LogJoiner, readLogBlocks, replayObservations } from '../sim/runner/record.js';
import { Reader } from '../sim/lib/bytes.js';
import type { BlockDetail } from '../sim/contract/module.js';
import { scenarioWith, type Action } from './actions.js';
import { FrameGatherer, type Frame, type Inspection, type SessionMeta } from './session.js';

/** Whether a scenario's family draws a panel that reads every node at once (it runs on one worker in the page). */
export function storyNeedsOneWorker(sc: Scenario): boolean {
  return familyOf(sc).views.story !== undefined;
}

export class PartitionedSession {
  readonly sc: Scenario;
  readonly built: BuiltRun;
  readonly meta: SessionMeta;
  private readonly gather: FrameGatherer;
  private readonly view: SharedView;
  private readonly ids: number[][];
  private readonly joiners: LogJoiner[];
  private readonly aliveNow: Uint8Array;
  private readonly bytesIn: Float64Array;
  private readonly bytesOut: Float64Array;
  private readonly cpuBusy: Float64Array;
  private parts: WatchedPart[] = [];
  private started = false;
  private finished = false;
  private closed = false;
  private digestHex: string | null = null;
  private nowUs = 0;
  private eventCount = 0;
  private inspected = -1;

  private constructor(
    readonly base: Scenario,
    readonly actions: readonly Action[],
    readonly workers: number,
    private readonly handles: WorkerHandle[],
    private readonly owner: Int32Array,
    built: BuiltRun,
    sc: Scenario,
    layout: SharedLayout,
  ) {
    this.sc = sc;
    this.built = built;
    this.gather = new FrameGatherer(sc, built);
    this.meta = this.gather.meta;
    const n = built.nodes.length;
    this.ids = Array.from({ length: workers }, () => []);
    owner.forEach((w, i) => this.ids[w].push(i));
    this.joiners = handles.map(() => new LogJoiner());
    this.aliveNow = new Uint8Array(n).fill(1);
    this.bytesIn = new Float64Array(n);
    this.bytesOut = new Float64Array(n);
    this.cpuBusy = new Float64Array(n);
    this.view = new SharedView(layout);
  }

  /** Builds the run, starts `workers` workers through `spawn` and starts their nodes (time 0). */
  static async open(base: Scenario, actions: readonly Action[], workers: number, spawn: SpawnWorker): Promise<PartitionedSession> {
    if (!(Number.isInteger(workers) && workers >= 2)) throw new RangeError(`workers: expected an integer of at least 2, got ${workers}`);
    if (typeof SharedArrayBuffer !== 'function') throw new Error('several workers need shared memory (a cross-origin isolated page)');
    const sc = scenarioWith(base, actions);
    const built = buildRun(sc, { local: 'none' });
    const owner = built.family.owners(workers);
    const layout = createShared(workers, sc.duration_us, built.sim.lookahead_us);
    const handles: WorkerHandle[] = [];
    try {
      for (let w = 0; w < workers; w++) handles.push(spawn(w));
      const call = (w: number) => handles[w].api.init(sc, w, owner, workers, { shared: layout, watch: true });
      await Promise.all(handles.map((h, w) => callWorker(h, w, call(w), 0)));
    } catch (e) {
      await Promise.all(handles.map((h) => h.terminate().catch(() => undefined)));
      throw e;
    }
    return new PartitionedSession(base, actions, workers, handles, owner, built, sc, layout);
  }

  get now_us(): number {
    return this.nowUs;
  }

  get done(): boolean {
    return this.finished;
  }

  get digest(): string | null {
    return this.digestHex;
  }

  inspect(node: number): void {
    this.inspected = node;
  }

  /**
   * Runs on toward `target_us` (capped at the duration) until it is reached or about `budget_ms`
   * of wall time is spent (the workers pause at the first window boundary after it). Returns
   * whether the target was reached.
   */
  async advance(target_us: number, budget_ms: number): Promise<boolean> {
    if (this.finished) return true; // its workers are gone; the frames go on showing the end
    if (this.closed) throw new Error('the run was closed');
    const end = this.sc.duration_us;
    const target = Math.min(end, Math.max(target_us, this.nowUs));
    if (!this.finished && (target > this.nowUs || !this.started)) {
      const v = this.view;
      v.f64[PAUSE_AT] = target;
      const first = !this.started;
      this.started = true;
      if (v.resume(first)) {
        const loops = this.handles.map((h, w) => {
          const p = callWorker(h, w, h.api.runShared(), () => v.f64[START]); // the window it failed in
          p.catch(() => v.abort(-1));
          return p;
        });
        // The budget spent, the workers pause after the window in progress.
        const timer = Number.isFinite(budget_ms) ? setTimeout(() => v.requestPause(), budget_ms) : null;
        const results = await Promise.allSettled(loops);
        if (timer !== null) clearTimeout(timer);
        const failed = Atomics.load(v.i32, FAILED) - 1;
        const at = failed >= 0 && results[failed].status === 'rejected' ? failed : results.findIndex((r) => r.status === 'rejected');
        if (at >= 0) throw (results[at] as PromiseRejectedResult).reason;
      }
      if (Atomics.load(v.i32, STOP) === 1) await this.finish();
      else this.nowUs = v.f64[NOW];
    }
    if (!this.finished) this.take(await Promise.all(this.handles.map((h, w) => callWorker(h, w, h.api.watched(this.inspected), this.nowUs))));
    return this.nowUs >= target;
  }

  /** Runs straight to the end (tests). */
  async runToEnd(): Promise<string> {
    while (!this.finished) await this.advance(this.sc.duration_us, Infinity);
    return this.digestHex!;
  }

  /** Takes in the workers' parts: rows, then observations in the one-worker order, then state. */
  private take(parts: readonly (WatchedPart | WorkerTotals)[]): void {
    const codec = this.built.family.codec;
    for (const p of parts) codec.readRows(new Reader(p.rows));
    const logs = parts.map((p, w) => this.joiners[w].add(readLogBlocks(p.observations.rows, p.observations.blocks, codec)));
    replayObservations(logs, this.built.judge);
    for (const p of parts) if ('delivered' in p) this.parts.push(p);
    parts.forEach((p, w) => {
      if (!('delivered' in p)) return;
      this.ids[w].forEach((id, k) => {
        this.aliveNow[id] = p.alive[k];
        this.bytesIn[id] = p.bytesIn[k];
        this.bytesOut[id] = p.bytesOut[k];
        this.cpuBusy[id] = p.cpuBusy[k];
      });
    });
    this.eventCount = parts.reduce((k, p) => k + p.events, 0);
  }

  /** The end: every worker's last records and digest lanes; the checks' end; the run's digest. */
  private async finish(): Promise<void> {
    const end = this.sc.duration_us;
    const totals = await Promise.all(this.handles.map((h, w) => callWorker(h, w, h.api.finish(end), end)));
    this.nowUs = end;
    this.take(totals);
    this.take(await Promise.all(this.handles.map((h, w) => callWorker(h, w, h.api.watched(this.inspected), end))));
    this.built.checks.finish(end);
    const digests = this.built.nodes.map(() => new Digest64());
    for (const p of totals) {
      p.nodes.forEach((id, k) => {
        digests[id].h1 = p.lanes[2 * k];
        digests[id].h2 = p.lanes[2 * k + 1];
      });
    }
    this.digestHex = runDigest(digests);
    this.finished = true;
    await this.close();
  }

  /** The frame for the page; resets what is gathered between frames. */
  frame(): Frame {
    const parts = this.parts;
    this.parts = [];
    for (const p of parts) this.gather.leaders(p);
    return this.gather.frame(
      { now_us: this.nowUs, events: this.eventCount, done: this.finished, digest: this.digestHex, alive: (i) => this.aliveNow[i] === 1 },
      parts,
      { bytesIn: Float64Array.from(this.bytesIn), bytesOut: Float64Array.from(this.bytesOut), cpuBusy: Float64Array.from(this.cpuBusy) },
      null,
    );
  }

  /** A node's inspection, its protocol rows from the worker that runs it (the last frame's, once the run ended). */
  async inspection(node: number): Promise<Inspection> {
    const w = this.owner[node];
    const known = this.finished || this.closed
      ? { alive: this.aliveNow[node] === 1, proto: { facts: [], columns: [], rows: [] }, workQueue: 0, bytes_in: this.bytesIn[node], bytes_out: this.bytesOut[node], cpu_busy_us: this.cpuBusy[node], recent: [] }
      : await callWorker(this.handles[w], w, this.handles[w].api.known(node), this.nowUs);
    return this.gather.inspection(node, this.nowUs, known);
  }

  /** What a committed block holds, from the first worker whose nodes hold it, or null. */
  async blockDetail(chain: number, height: number): Promise<BlockDetail | null> {
    if (this.finished || this.closed) return null;
    for (let w = 0; w < this.handles.length; w++) {
      const d = await callWorker(this.handles[w], w, this.handles[w].api.blockDetail(chain, height), this.nowUs);
      if (d !== null) return d;
    }
    return null;
  }

  /** Ends the workers (the run is over or replaced). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.handles.map((h) => h.terminate().catch(() => undefined)));
  }
}

/** Starts partition workers in the page: module Web Workers exposing the command line's partition worker. */
export function spawnPageWorker(): WorkerHandle {
  const worker = new Worker(new URL('./partition.worker.ts', import.meta.url), { type: 'module' });
  return workerHandle(
    Comlink.wrap<PartitionWorker>(worker),
    (fail) => worker.addEventListener('error', (e) => {
      e.preventDefault();
      fail(new Error(e.message || 'the partition worker did not load'));
    }),
    () => worker.terminate(),
  );
}
