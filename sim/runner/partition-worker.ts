/**
 * One worker's share of a partitioned run (docs/DESIGN.md "Parallel runner"): it builds the scenario
 * with only its own nodes' programs, runs conservative windows, and hands events for other
 * workers' nodes back in packed batches. The class has no threads in it: the worker module
 * exposes it through comlink, and tests may drive it in-process.
 */
import type { Scenario } from '../scenario/types.js';
import type { ProtocolModule } from '../contract/module.js';
import { buildRun, type BuiltRun } from './build.js';
import { OutBatch, applyBatch } from './exchange.js';
import { ObservationRecorder, writeLogBlocks } from './record.js';
import type { Checkpoints, EventTrace } from '../engine/sim.js';
import { ARRIVED, GEN, STOP, SharedView, UNTIL, W_EVENTS, W_NEXT, W_OUTMIN, type SharedLayout } from './shared.js';
import { Writer } from '../lib/bytes.js';
import { TimelineRecorder, type TimelineOptions, type TimelinePart } from './timeline.js';
import { Watcher, type RecentMessage, type Watched } from './watch.js';
import type { BlockDetail, NodeProtocolView, ViewRun } from '../contract/module.js';

export interface WorkerOptions {
  /** Exchange batches through shared memory (see shared.ts) instead of the `window` calls. */
  shared?: SharedLayout;
  /**
   * Polls of the barrier before sleeping on it. Worth it only with no more workers than free
   * cores; with more, a spinning worker takes the core the last one needs.
   */
  spin?: number;
  /** Record node digests every so often (the divergence finder's first pass). */
  checkpoint_us?: number;
  /** Record each event of these nodes in [from_us, to_us) (its second pass). */
  trace?: { nodes: Uint8Array; from_us: number; to_us: number };
  /** Record the work this worker's nodes handle for a Chrome trace. */
  timeline?: TimelineOptions;
  /**
   * The family, when not the registry's for `protocol.family`: only for workers run in the same
   * thread (tests of the seam); a module does not cross to a worker thread.
   */
  module?: ProtocolModule;
  /** Gather what the page draws of this worker's nodes (sim/runner/watch.ts; `watched`). */
  watch?: boolean;
}

/** What the page reads of a worker between two frames (PartitionWorker.watched). */
export interface WatchedPart extends Watched {
  events: number;
  /** Per node of this worker (in id order): alive (1/0), bytes in, bytes out, CPU busy µs. */
  alive: Uint8Array;
  bytesIn: Float64Array;
  bytesOut: Float64Array;
  cpuBusy: Float64Array;
  /** The observation records since the last part, and the blocks they first refer to (record.ts). */
  observations: { rows: Float64Array; blocks: Uint8Array };
  /** The family's rows created since the last part (TOP: its clients' transactions). */
  rows: Uint8Array;
}

/** What the inspector shows of a node, from the worker that runs it. */
export interface NodeKnown {
  alive: boolean;
  proto: NodeProtocolView;
  workQueue: number;
  bytes_in: number;
  bytes_out: number;
  cpu_busy_us: number;
  recent: RecentMessage[];
}

/** A worker's error message starts with this and the simulated time it failed at. */
export const FAILED_AT = 'sim_us=';

export interface WindowResult {
  /** Packed events for each worker (null for itself or when there are none). */
  out: (Uint8Array | null)[];
  /** Earliest pending local event, and earliest event sent out (Infinity when none). */
  next_us: number;
  outMin_us: number;
  /** Events handled so far. */
  events: number;
}

/** Counters per node, in this order. */
export const COUNTER_FIELDS = [
  'bytes_in', 'bytes_out', 'msgs_in', 'msgs_out', 'cpu_busy_us', 'dropped_loss', 'dropped_partition', 'crashed_us',
] as const;

export interface WorkerTotals {
  events: number;
  /** The nodes this worker ran, their digest lanes (h1, h2 each), counters, and liveness. */
  nodes: Int32Array;
  lanes: Int32Array;
  counters: Float64Array;
  alive: Uint8Array;
  /** [kind, count] for each message kind sent. */
  msgCount: [number, number][];
  msgTableCount: [number, number][];
  bytesPerSecond: number[];
  /** Message copies this worker sent to nodes of other workers. */
  crossed: number;
  observations: { rows: Float64Array; blocks: Uint8Array };
  /** The family's rows this worker's nodes created (TOP: its clients' transactions). */
  rows: Uint8Array;
  checkpoints: { every_us: number; times: number[]; lanes: Int32Array[] } | null;
  trace: number[] | null;
  timeline: TimelinePart | null;
}

export class PartitionWorker {
  private built: BuiltRun | null = null;
  private batches: (OutBatch | null)[] = [];
  private recorder: ObservationRecorder | null = null;
  private checkpoints: Checkpoints | null = null;
  private trace: EventTrace | null = null;
  private timeline: TimelineRecorder | null = null;
  private local = new Uint8Array(0);
  private index = -1;
  private shared: SharedView | null = null;
  private spin = 0;
  private watcher: Watcher | null = null;
  /** The family's rows already sent with a watched part, by row number. */
  private rowsSent = new Uint8Array(0);

  /** Builds this worker's part of the run and starts its nodes. */
  init(sc: Scenario, index: number, owner: Int32Array, workers: number, opts: WorkerOptions = {}): WindowResult {
    this.index = index;
    this.local = Uint8Array.from(owner, (w) => (w === index ? 1 : 0));
    const built = buildRun(sc, {
      local: this.local,
      records: (sim) => (this.recorder = new ObservationRecorder(sim)),
      module: opts.module,
    });
    this.built = built;
    const sim = built.sim;
    this.batches = Array.from({ length: workers }, (_, w) => (w === index ? null : new OutBatch(built.family.codec)));
    const batches = this.batches;
    sim.partition(this.local, (time, origin, seq, target, kind, a0, a1, data) => {
      batches[owner[target]]!.push(time, origin, seq, target, kind, a0, a1, data);
    });
    if (opts.checkpoint_us !== undefined) this.checkpoints = sim.recordCheckpoints(opts.checkpoint_us);
    if (opts.trace) this.trace = sim.recordTrace(opts.trace.nodes, opts.trace.from_us, opts.trace.to_us);
    if (opts.timeline) sim.traceWork((this.timeline = new TimelineRecorder(opts.timeline, built.module.positionOf)));
    if (opts.watch) this.watcher = new Watcher(sim, built.module, built.nodes, built.family.genesis.length, 1 / workers);
    sim.start();
    if (opts.shared) {
      this.shared = new SharedView(opts.shared);
      this.spin = opts.spin ?? 0;
      this.publish(0);
    }
    return this.result();
  }

  /** Shared mode: writes window k's batches and this worker's next event time. */
  private publish(k: number): void {
    const v = this.shared!;
    const me = this.index;
    let outMin = Infinity;
    this.batches.forEach((b, d) => {
      if (b === null) return;
      if (b.minTime < outMin) outMin = b.minTime;
      v.put(me, d, k & 1, b.take());
    });
    const f = v.f64;
    const sim = this.built!.sim;
    f[v.slot(me, W_NEXT)] = sim.nextTime();
    f[v.slot(me, W_OUTMIN)] = outMin;
    f[v.slot(me, W_EVENTS)] = sim.events;
  }

  /**
   * Shared mode: runs windows until the last one (or an abort). Window k reads the batches of
   * window k - 1, runs to UNTIL, publishes, and meets the others at the barrier.
   */
  runShared(): void {
    const v = this.shared!;
    const { sim, family } = this.built!;
    const codec = family.codec;
    const insert = sim.insert.bind(sim);
    const me = this.index;
    const W = v.workers;
    const i32 = v.i32;
    const spin = this.spin;
    try {
      for (let k = Atomics.load(i32, GEN); Atomics.load(i32, STOP) === 0; k++) {
        for (let s = 0; s < W; s++) {
          if (s === me) continue;
          const b = v.get(s, me, (k - 1) & 1);
          if (b !== null) applyBatch(b, codec, insert);
        }
        sim.run(v.f64[UNTIL]);
        this.publish(k);
        if (Atomics.add(i32, ARRIVED, 1) === W - 1) v.advance();
        else {
          for (let i = spin; i > 0 && Atomics.load(i32, GEN) === k; i--);
          while (Atomics.load(i32, GEN) === k) Atomics.wait(i32, GEN, k, 1000);
        }
      }
    } catch (e) {
      v.abort(me);
      throw new Error(`${FAILED_AT}${sim.now_us}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  private result(): WindowResult {
    let outMin = Infinity;
    const out = this.batches.map((b) => {
      if (b === null) return null;
      if (b.minTime < outMin) outMin = b.minTime;
      return b.take();
    });
    const sim = this.built!.sim;
    return { out, next_us: sim.nextTime(), outMin_us: outMin, events: sim.events };
  }

  /** Takes in the events other workers sent, then handles every local event before `until_us`. */
  window(inbox: readonly (Uint8Array | null)[], until_us: number): WindowResult {
    const { sim, family } = this.built!;
    try {
      const insert = sim.insert.bind(sim);
      for (const b of inbox) if (b !== null) applyBatch(b, family.codec, insert);
      sim.run(until_us);
      return this.result();
    } catch (e) {
      throw new Error(`${FAILED_AT}${sim.now_us}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  private localIds(): number[] {
    const ids: number[] = [];
    for (let i = 0; i < this.local.length; i++) if (this.local[i]) ids.push(i);
    return ids;
  }

  /** The family's rows this worker's nodes created and no earlier part sent, encoded. */
  private newRows(): Uint8Array {
    const codec = this.built!.family.codec;
    const rows = codec.ownRows(this.local).filter((r) => {
      if (r >= this.rowsSent.length) {
        const grown = new Uint8Array(Math.max(r + 1, 2 * this.rowsSent.length));
        grown.set(this.rowsSent);
        this.rowsSent = grown;
      }
      if (this.rowsSent[r]) return false;
      this.rowsSent[r] = 1;
      return true;
    });
    const w = new Writer();
    codec.writeRows(w, rows);
    return w.finish();
  }

  /**
   * The page's part of this worker since the last call (needs `watch`): the deliveries its
   * watcher saw (keeping `inspected`'s recent messages from now on), its nodes' state, and the
   * observation records and rows for the page's metrics.
   */
  watched(inspected: number): WatchedPart {
    const b = this.built!;
    const sim = b.sim;
    const watcher = this.watcher;
    if (watcher === null) throw new Error('watched: the worker was started without watch');
    watcher.inspect(inspected);
    const ids = this.localIds();
    const alive = new Uint8Array(ids.length);
    const bytesIn = new Float64Array(ids.length);
    const bytesOut = new Float64Array(ids.length);
    const cpuBusy = new Float64Array(ids.length);
    ids.forEach((id, k) => {
      const c = sim.counters(id);
      alive[k] = sim.isAlive(id) ? 1 : 0;
      bytesIn[k] = c.bytes_in;
      bytesOut[k] = c.bytes_out;
      cpuBusy[k] = c.cpu_busy_us;
    });
    const log = this.recorder!.take();
    return {
      ...watcher.take(),
      events: sim.events,
      alive,
      bytesIn,
      bytesOut,
      cpuBusy,
      observations: { rows: log.rows, blocks: writeLogBlocks(log, b.family.codec) },
      rows: this.newRows(),
    };
  }

  /** The run as the family's page adapter reads it: only this worker's nodes have programs here. */
  private viewRun(): ViewRun {
    const b = this.built!;
    return { sc: b.sc, nodes: b.nodes, family: b.family, logicOf: (i) => b.sim.logicOf(i) };
  }

  /** What the inspector shows of node `node`, which this worker runs. */
  known(node: number): NodeKnown {
    const b = this.built!;
    const sim = b.sim;
    if (!this.local[node]) throw new Error(`known: node ${node} runs in another worker`);
    const c = sim.counters(node);
    return {
      alive: sim.isAlive(node),
      proto: b.module.views.inspect(this.viewRun(), node),
      workQueue: sim.workQueued(node),
      bytes_in: c.bytes_in,
      bytes_out: c.bytes_out,
      cpu_busy_us: c.cpu_busy_us,
      recent: this.watcher?.recent(node) ?? [],
    };
  }

  /** A committed block as one of this worker's nodes holds it (ViewAdapter.blockDetail), or null. */
  blockDetail(chain: number, height: number): BlockDetail | null {
    return this.built!.module.views.blockDetail?.(this.viewRun(), chain, height) ?? null;
  }

  /** Ends the run at `end_us` (no events before it remain anywhere) and returns this worker's figures. */
  finish(end_us: number): WorkerTotals {
    const b = this.built!;
    const sim = b.sim;
    sim.run(end_us);
    sim.finish();
    const ids = this.localIds();
    const lanes = new Int32Array(ids.length * 2);
    const counters = new Float64Array(ids.length * COUNTER_FIELDS.length);
    const alive = new Uint8Array(ids.length);
    ids.forEach((id, k) => {
      const d = sim.nodeDigest(id);
      lanes[2 * k] = d.h1;
      lanes[2 * k + 1] = d.h2;
      const c = sim.counters(id);
      COUNTER_FIELDS.forEach((f, j) => { counters[k * COUNTER_FIELDS.length + j] = c[f]; });
      alive[k] = sim.isAlive(id) ? 1 : 0;
    });
    const log = this.recorder!.take();
    const codec = b.family.codec;
    // The rows this worker's nodes created (TOP: its clients' transactions).
    // (Watched by the page: the rest of them, the page has the others.)
    let rows: Uint8Array;
    if (this.watcher === null) {
      const tw = new Writer();
      codec.writeRows(tw, codec.ownRows(this.local));
      rows = tw.finish();
    } else rows = this.newRows();
    const cp = this.checkpoints;
    return {
      events: sim.events,
      nodes: Int32Array.from(ids),
      lanes,
      counters,
      alive,
      msgCount: [...sim.msgCount.entries()].filter(([, v]) => v !== undefined),
      msgTableCount: [...sim.msgTableCount.entries()],
      bytesPerSecond: sim.bytesPerSecond.slice(),
      crossed: this.batches.reduce((n, x) => n + (x ? x.messages : 0), 0),
      observations: { rows: log.rows, blocks: writeLogBlocks(log, codec) },
      rows,
      checkpoints: cp ? { every_us: cp.every_us, times: cp.times, lanes: cp.lanes } : null,
      trace: this.trace ? this.trace.rows : null,
      timeline: this.timeline ? this.timeline.take() : null,
    };
  }
}
