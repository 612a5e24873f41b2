/**
 * Observations of a partitioned run.
 *
 * Metrics and invariant checks judge the run as a whole (a height's first commit over all honest
 * nodes, the canonical chain of each table), so a worker does not judge what it sees: it records
 * each observer call of its nodes, keyed by the event whose handler made it, and the main thread
 * replays the records of all workers in the order a one-worker run makes the same calls: the
 * total event order (time, origin, seq), then call order inside the handler. Start-up handlers
 * run before every event, in node order, so they take the key (-1, node, 0).
 */
import type { Block } from '../protocol/top/messages.js';
import type { Observer } from '../protocol/top/context.js';
import type { Simulation } from '../engine/sim.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { Checkers } from '../checks/checkers.js';

const OP_SUBMIT = 1;
const OP_REJECT = 2;
const OP_VIEW = 3;
const OP_COMMIT = 4;
const OP_SYNC = 5;

/** Numbers per record: key (time, origin, seq, sub), op, node, four arguments. */
export const RECORD_WIDTH = 10;
/** Numbers per chunk of records (a multiple of RECORD_WIDTH). */
const CHUNK = RECORD_WIDTH * 65_536;

/** What one worker observed, in its event order. */
export interface ObservationLog {
  rows: Float64Array;
  /** Blocks referenced by commit and sync records, by index. */
  blocks: Block[];
}

export class ObservationRecorder implements Observer {
  /** Records in typed chunks (a plain array would hit V8's length limit in long saturated runs). */
  private chunks: Float64Array[] = [];
  private chunk = new Float64Array(CHUNK);
  private fill = 0;
  private readonly blockRef = new Map<string, number>();
  private readonly blocks: Block[] = [];
  private lastTime = NaN;
  private lastOrigin = -1;
  private lastSeq = -1;
  private sub = 0;
  private rejected = new Uint8Array(1024);

  /** Every node's calls are recorded: the main thread judges which were made in byzantine windows. */
  constructor(private readonly sim: Simulation) {}

  private record(op: number, node: number, a: number, b: number, c: number, d: number): void {
    const sim = this.sim;
    let time: number, origin: number, seq: number;
    if (sim.starting) {
      time = -1;
      origin = sim.current;
      seq = 0;
    } else {
      const q = sim.queue;
      time = q.top_time;
      origin = q.top_origin;
      seq = q.top_seq;
    }
    if (time !== this.lastTime || origin !== this.lastOrigin || seq !== this.lastSeq) {
      this.lastTime = time;
      this.lastOrigin = origin;
      this.lastSeq = seq;
      this.sub = 0;
    }
    if (this.fill === CHUNK) {
      this.chunks.push(this.chunk);
      this.chunk = new Float64Array(CHUNK);
      this.fill = 0;
    }
    const r = this.chunk;
    const i = this.fill;
    r[i] = time; r[i + 1] = origin; r[i + 2] = seq; r[i + 3] = this.sub++; r[i + 4] = op;
    r[i + 5] = node; r[i + 6] = a; r[i + 7] = b; r[i + 8] = c; r[i + 9] = d;
    this.fill = i + RECORD_WIDTH;
  }

  private ref(b: Block): number {
    let r = this.blockRef.get(b.id);
    if (r === undefined) {
      r = this.blocks.length;
      this.blocks.push(b);
      this.blockRef.set(b.id, r);
    }
    return r;
  }

  onCommit(node: number, b: Block, now_us: number, ledger: { sum(): number }): void {
    this.record(OP_COMMIT, node, this.ref(b), now_us, ledger.sum(), 0);
  }

  onView(node: number, table: number, view: number, now_us: number): void {
    this.record(OP_VIEW, node, table, view, now_us, 0);
  }

  /**
   * Only a transaction's first refusal in this worker is recorded: the collector counts each
   * refused transaction once, and under saturation every replica refuses every excess transfer
   * (hundreds of records per transaction otherwise).
   */
  onPoolReject(node: number, tx: number): void {
    if (tx >= this.rejected.length) {
      const grown = new Uint8Array(Math.max(tx + 1, this.rejected.length * 2));
      grown.set(this.rejected);
      this.rejected = grown;
    }
    if (this.rejected[tx]) return;
    this.rejected[tx] = 1;
    this.record(OP_REJECT, node, tx, 0, 0, 0);
  }

  onTxSubmit(tx: number, now_us: number): void {
    this.record(OP_SUBMIT, -1, tx, now_us, 0, 0);
  }

  onStateSync(node: number, table: number, committed: Block, now_us: number, bytes: number): void {
    this.record(OP_SYNC, node, table, this.ref(committed), now_us, bytes);
  }

  /** The records so far (the recorder starts empty again). */
  take(): ObservationLog {
    const rows = new Float64Array(this.chunks.length * CHUNK + this.fill);
    this.chunks.forEach((c, k) => rows.set(c, k * CHUNK));
    rows.set(this.chunk.subarray(0, this.fill), this.chunks.length * CHUNK);
    const log = { rows, blocks: this.blocks.slice() };
    this.chunks = [];
    this.fill = 0;
    return log;
  }
}

function before(x: Float64Array, i: number, y: Float64Array, j: number): boolean {
  for (let k = 0; k < 4; k++) {
    const a = x[i + k];
    const b = y[j + k];
    if (a !== b) return a < b;
  }
  return false;
}

/**
 * Replays the workers' logs into one collector and one set of checkers, merged in the one-worker
 * order. Each log is already in that order (a worker handles its events in key order).
 */
export function replayObservations(logs: readonly ObservationLog[], metrics: MetricsCollector, checks: Checkers): void {
  const pos = logs.map(() => 0);
  for (;;) {
    let best = -1;
    for (let w = 0; w < logs.length; w++) {
      if (pos[w] >= logs[w].rows.length) continue;
      if (best < 0 || before(logs[w].rows, pos[w], logs[best].rows, pos[best])) best = w;
    }
    if (best < 0) return;
    const r = logs[best].rows;
    const i = pos[best];
    pos[best] = i + RECORD_WIDTH;
    const node = r[i + 5];
    switch (r[i + 4]) {
      case OP_SUBMIT:
        metrics.onTxSubmit();
        checks.onSubmit(r[i + 6], r[i + 7]);
        break;
      case OP_REJECT:
        metrics.onPoolReject(r[i + 6]);
        break;
      case OP_VIEW:
        metrics.onView(node, r[i + 6], r[i + 7], r[i + 8]);
        break;
      case OP_COMMIT: {
        const b = logs[best].blocks[r[i + 6]];
        metrics.onCommit(node, b, r[i + 7]);
        checks.onCommit(node, b, r[i + 7], r[i + 8]);
        break;
      }
      case OP_SYNC: {
        const b = logs[best].blocks[r[i + 7]];
        metrics.onStateSync(node, r[i + 6], r[i + 8], r[i + 9]);
        checks.onStateSync(node, r[i + 6], b, r[i + 8]);
        break;
      }
      default:
        throw new Error(`observation log: unknown record ${r[i + 4]}`);
    }
  }
}
