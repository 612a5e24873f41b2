/**
 * Observation records of a partitioned run.
 *
 * Metrics and invariant checks judge the run as a whole (a height's first commit over all honest
 * nodes, the canonical chain of each chain), so a worker does not judge what it sees: it records
 * each record its nodes make (sim/contract/observe.ts), keyed by the event whose handler made it,
 * and the main thread replays the records of all workers in the order a one-worker run makes the
 * same calls: the total event order (time, origin, seq), then call order inside the handler.
 * Start-up handlers run before every event, in node order, so they take the key (-1, node, 0).
 */
import type { CommitKey, RecordSink } from '../contract/observe.js';
import type { FamilyCodec } from '../contract/module.js';
import type { Simulation } from '../engine/sim.js';
import { Reader, Writer } from '../lib/bytes.js';

const OP_SUBMIT = 1;
const OP_REJECT = 2;
const OP_VIEW = 3;
const OP_COMMIT = 4;
const OP_SYNC = 5;
const OP_NOTE = 6;

/** Numbers per record: key (time, origin, seq, sub), op, node, four arguments. */
export const RECORD_WIDTH = 10;
/** Numbers per chunk of records (a multiple of RECORD_WIDTH). */
const CHUNK = RECORD_WIDTH * 65_536;

/** What one worker observed, in its event order. */
export interface ObservationLog {
  rows: Float64Array;
  /** Blocks referenced by commit and sync records, by index, with their keys. */
  blocks: object[];
  keys: CommitKey[];
}

/**
 * A worker's logs taken piece by piece (the page takes one each frame): each piece's blocks follow
 * the blocks of the pieces before it, and its records refer to any of them by index.
 */
export class LogJoiner {
  private readonly blocks: object[] = [];
  private readonly keys: CommitKey[] = [];

  /** The next piece (as `readLogBlocks` reads it), as a log over every block so far. */
  add(piece: ObservationLog): ObservationLog {
    for (const b of piece.blocks) this.blocks.push(b);
    for (const k of piece.keys) this.keys.push(k);
    return { rows: piece.rows, blocks: this.blocks, keys: this.keys };
  }
}

export class ObservationRecorder implements RecordSink {
  /** Records in typed chunks (a plain array would hit V8's length limit in long saturated runs). */
  private chunks: Float64Array[] = [];
  private chunk = new Float64Array(CHUNK);
  private fill = 0;
  private readonly blockRef = new Map<string, number>();
  private readonly blocks: object[] = [];
  private readonly keys: CommitKey[] = [];
  /** Blocks a previous take returned. */
  private taken = 0;
  private lastTime = NaN;
  private lastOrigin = -1;
  private lastSeq = -1;
  private sub = 0;
  private rejected = new Uint8Array(1024);

  /** Every node's records are kept: the main thread judges which were made in byzantine windows. */
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

  private ref(key: CommitKey, block: object): number {
    // Ids are unique within a chain; two chains may share one (identical genesis or empty blocks).
    const k = `${key.chain}/${key.id}`;
    let r = this.blockRef.get(k);
    if (r === undefined) {
      r = this.blocks.length;
      this.blocks.push(block);
      this.keys.push(key);
      this.blockRef.set(k, r);
    }
    return r;
  }

  submit(node: number, _now_us: number, tx: number, at_us: number, cls: number): void {
    this.record(OP_SUBMIT, node, tx, at_us, cls, 0);
  }

  /**
   * Only a transaction's first refusal in this worker is recorded: the metrics count each refused
   * transaction once, and under saturation every replica refuses every excess transfer (hundreds
   * of records per transaction otherwise).
   */
  reject(node: number, _now_us: number, tx: number, reason: number): void {
    if (tx >= this.rejected.length) {
      const grown = new Uint8Array(Math.max(tx + 1, this.rejected.length * 2));
      grown.set(this.rejected);
      this.rejected = grown;
    }
    if (this.rejected[tx]) return;
    this.rejected[tx] = 1;
    this.record(OP_REJECT, node, tx, reason, 0, 0);
  }

  view(node: number, now_us: number, chain: number, view: number): void {
    this.record(OP_VIEW, node, chain, view, now_us, 0);
  }

  commit(node: number, now_us: number, key: CommitKey, block: object, state: number): void {
    this.record(OP_COMMIT, node, this.ref(key, block), now_us, state, 0);
  }

  sync(node: number, now_us: number, key: CommitKey, block: object, bytes: number): void {
    this.record(OP_SYNC, node, this.ref(key, block), now_us, bytes, 0);
  }

  note(node: number, now_us: number, kind: number, chain: number, value: number): void {
    this.record(OP_NOTE, node, kind, chain, value, now_us);
  }

  /**
   * The records since the last take, with the blocks first referenced since then (the recorder
   * starts empty again; a LogJoiner puts the pieces back together).
   */
  take(): ObservationLog {
    const rows = new Float64Array(this.chunks.length * CHUNK + this.fill);
    this.chunks.forEach((c, k) => rows.set(c, k * CHUNK));
    rows.set(this.chunk.subarray(0, this.fill), this.chunks.length * CHUNK);
    const log = { rows, blocks: this.blocks.slice(this.taken), keys: this.keys.slice(this.taken) };
    this.taken = this.blocks.length;
    this.chunks = [];
    this.fill = 0;
    return log;
  }
}

/** A log's blocks as bytes for the main thread (the family's codec encodes each block). */
export function writeLogBlocks(log: ObservationLog, codec: FamilyCodec): Uint8Array {
  const w = new Writer();
  w.u32(log.blocks.length);
  log.blocks.forEach((b, k) => {
    const key = log.keys[k];
    w.i32(key.chain);
    w.f64(key.height);
    w.str(key.id);
    w.str(key.parent);
    codec.writeBlock(w, b);
  });
  return w.finish();
}

export function readLogBlocks(rows: Float64Array, bytes: Uint8Array, codec: FamilyCodec): ObservationLog {
  const r = new Reader(bytes);
  const blocks: object[] = [];
  const keys: CommitKey[] = [];
  for (let k = r.u32(); k > 0; k--) {
    const chain = r.i32();
    const height = r.f64();
    const id = r.str();
    const parent = r.str();
    keys.push({ chain, height, id, parent });
    blocks.push(codec.readBlock(r));
  }
  return { rows, blocks, keys };
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
 * Replays the workers' logs into one sink (the run's metrics, checks and watchers), merged in
 * the one-worker order. Each log is already in that order (a worker handles its events in key
 * order).
 */
export function replayObservations(logs: readonly ObservationLog[], sink: RecordSink): void {
  const pos = logs.map(() => 0);
  for (;;) {
    let best = -1;
    for (let w = 0; w < logs.length; w++) {
      if (pos[w] >= logs[w].rows.length) continue;
      if (best < 0 || before(logs[w].rows, pos[w], logs[best].rows, pos[best])) best = w;
    }
    if (best < 0) return;
    const log = logs[best];
    const r = log.rows;
    const i = pos[best];
    pos[best] = i + RECORD_WIDTH;
    const node = r[i + 5];
    const time = Math.max(0, r[i]);
    switch (r[i + 4]) {
      case OP_SUBMIT:
        sink.submit(node, time, r[i + 6], r[i + 7], r[i + 8]);
        break;
      case OP_REJECT:
        sink.reject(node, time, r[i + 6], r[i + 7]);
        break;
      case OP_VIEW:
        sink.view(node, r[i + 8], r[i + 6], r[i + 7]);
        break;
      case OP_COMMIT:
        sink.commit(node, r[i + 7], log.keys[r[i + 6]], log.blocks[r[i + 6]], r[i + 8]);
        break;
      case OP_SYNC:
        sink.sync(node, r[i + 7], log.keys[r[i + 6]], log.blocks[r[i + 6]], r[i + 8]);
        break;
      case OP_NOTE:
        sink.note(node, r[i + 9], r[i + 6], r[i + 7], r[i + 8]);
        break;
      default:
        throw new Error(`observation log: unknown record ${r[i + 4]}`);
    }
  }
}
