/**
 * Recording a run's timeline (the Chrome trace of sim/report/trace.ts renders it). A
 * TimelineRecorder is attached to a Simulation (Simulation.traceWork) and keeps one numeric row per
 * unit of work a node handled (a delivered message, a timer, a slot tick: start time, core, charged
 * cost, what it was) and per crash and restart. It only reads what the engine hands it, so the
 * digest is the same with and without it. In a run over several workers each worker records its
 * own nodes; mergeTimeline sorts the rows of all workers by (time, node, the node's own order),
 * which is the same for any worker count.
 *
 * Bounds: only work that starts in [from_us, to_us) is kept, and at most `cap` slices. A capped
 * trace is cut at a time T (everything starting before T, nothing from T on), chosen so that the
 * cut is the same for any worker count: T is the start time of the (cap + 1)-th slice in
 * (time, node, order) order, so a trace holds at most `cap` slices.
 */
import { EV, type WorkTrace } from '../engine/sim.js';

/** Most slices a trace holds unless told otherwise. */
export const TRACE_CAP = 1_000_000;

/** Row fields (one Float64 each). */
export const TS = 0;
export const NODE = 1;
export const CORE = 2;
export const DUR = 3;
export const WHAT = 4;
/** Message or timer kind; clock tick; a crash's restart time (-1: none); a restart's lost flag. */
export const KIND = 5;
export const FROM = 6;
export const TABLE = 7;
export const VIEW = 8;
export const HEIGHT = 9;
export const BYTES = 10;
/** A message's flow: the event (sending node, its seq) whose copy it is (-1: none known). */
export const FLOW_NODE = 11;
export const FLOW_SEQ = 12;
export const F = 13;

/** Row kinds (a clock row is a slot tick). */
export const W_MSG = 0;
export const W_TIMER = 1;
export const W_CLOCK = 2;
export const W_CRASH = 3;
export const W_RESTART = 4;
/** A copy sent by the slice just before it (same node, time and core): KIND holds the send's seq. */
export const W_SEND = 5;
/** A relay forwarded a message (KIND: its kind) at this time; its copies follow as W_SEND rows with CORE RELAY_CORE. */
export const W_RELAY = 6;
/** The CORE of a relay's rows: its forwarding is the network's, on no core. */
export const RELAY_CORE = -1;


export interface TimelineOptions {
  from_us: number;
  to_us: number;
  cap: number;
}

/** What one recorder kept: rows in handling order, and the time it stopped at (Infinity: never). */
export interface TimelinePart {
  rows: Float64Array;
  stop_us: number;
}

/** A finished timeline: rows in (time, node, order) order, cut as described above. */
export interface Timeline extends TimelineOptions {
  rows: Float64Array;
  slices: number;
  /** Start of the first slice left out for the cap; null when nothing was. */
  truncated_at_us: number | null;
}


/** Where a unit of work stands (the family's ProtocolModule.positionOf). */
export type PositionOf = (item: { readonly kind: number }) => { chain: number; view: number; height: number };

function num(v: unknown): number {
  return typeof v === 'number' ? v : -1;
}

export class TimelineRecorder implements WorkTrace {
  private rows = new Float64Array(F * 4096);
  private n = 0;
  private slices = 0;
  private lastTs = -Infinity;
  private stop_us = Infinity;
  /** The seqs of the copies the ending handler of `sendingNode` sent (its slice comes next). */
  private sends: number[] = [];
  private sendingNode = -1;
  /** Copies that reached a node and await its handling: message → node → [origin, seq, ...]. */
  private arrivals = new WeakMap<object, Map<number, number[]>>();

  constructor(readonly opts: TimelineOptions, private readonly positionOf: PositionOf) {}

  sent(node: number, seq: number): void {
    if (this.sendingNode !== node) {
      this.sends.length = 0;
      this.sendingNode = node;
    }
    this.sends.push(seq);
  }

  arrived(node: number, msg: unknown, origin: number, seq: number, at_us: number): void {
    if (this.stop_us !== Infinity || at_us >= this.opts.to_us || msg === null || typeof msg !== 'object') return;
    let byNode = this.arrivals.get(msg);
    if (byNode === undefined) this.arrivals.set(msg, (byNode = new Map()));
    const list = byNode.get(node);
    if (list === undefined) byNode.set(node, [origin, seq]);
    else list.push(origin, seq);
  }

  private row(): number {
    if ((this.n + 1) * F > this.rows.length) {
      const grown = new Float64Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    return F * this.n++;
  }

  work(node: number, core: number, what: number, from: number, data: unknown, start_us: number, cost_us: number): void {
    // This handler's sends, and the flow of the message it handles (taken whether or not kept).
    const sends = this.sendingNode === node ? this.sends.splice(0) : [];
    this.sendingNode = -1;
    let flowNode = -1;
    let flowSeq = -1;
    if (what === 0 && data !== null && typeof data === 'object') {
      const byNode = this.arrivals.get(data);
      const list = byNode?.get(node);
      if (list !== undefined && list.length > 0) {
        flowNode = list.shift()!;
        flowSeq = list.shift()!;
        if (list.length === 0) byNode!.delete(node);
      }
    }
    if (this.stop_us !== Infinity || start_us < this.opts.from_us || start_us >= this.opts.to_us) return;
    // Past the cap, keep the slices that start at the same time as the last one kept, so that
    // everything before the stop time is here (mergeTimeline relies on it).
    if (this.slices >= this.opts.cap && start_us > this.lastTs) {
      this.stop_us = start_us;
      return;
    }
    this.slices++;
    this.lastTs = start_us;
    const r = this.row();
    const a = this.rows;
    a[r + TS] = start_us;
    a[r + NODE] = node;
    a[r + CORE] = core;
    a[r + DUR] = cost_us;
    a[r + FROM] = -1;
    a[r + TABLE] = -1;
    a[r + VIEW] = -1;
    a[r + HEIGHT] = -1;
    a[r + BYTES] = -1;
    a[r + FLOW_NODE] = flowNode;
    a[r + FLOW_SEQ] = flowSeq;
    if (what === 2) {
      a[r + WHAT] = W_CLOCK;
      a[r + KIND] = data as number;
      this.sendRows(sends, node, core, start_us);
      return;
    }
    const d = data as { kind: number; bytes?: unknown };
    a[r + WHAT] = what === 0 ? W_MSG : W_TIMER;
    a[r + KIND] = d.kind;
    if (what === 0) {
      a[r + FROM] = from;
      a[r + BYTES] = num(d.bytes);
    }
    const p = this.positionOf(d);
    a[r + TABLE] = p.chain;
    a[r + VIEW] = p.view;
    a[r + HEIGHT] = p.height;
    this.sendRows(sends, node, core, start_us);
  }

  /** A row of no duration with no message fields: a send, a relay, a crash or a restart. */
  private mark(ts: number, node: number, core: number, what: number, kind: number): void {
    const r = this.row();
    const a = this.rows;
    a.fill(-1, r, r + F);
    a[r + TS] = ts;
    a[r + NODE] = node;
    a[r + CORE] = core;
    a[r + DUR] = 0;
    a[r + WHAT] = what;
    a[r + KIND] = kind;
  }

  /** One W_SEND row per copy the slice just recorded sent (after it, so a merge keeps the order). */
  private sendRows(sends: readonly number[], node: number, core: number, start_us: number): void {
    for (const seq of sends) this.mark(start_us, node, core, W_SEND, seq);
  }

  relayed(node: number, msg: { kind: number }, at_us: number): void {
    const sends = this.sendingNode === node ? this.sends.splice(0) : [];
    this.sendingNode = -1;
    if (this.stop_us !== Infinity || at_us < this.opts.from_us || at_us >= this.opts.to_us || sends.length === 0) return;
    this.mark(at_us, node, RELAY_CORE, W_RELAY, msg.kind);
    this.sendRows(sends, node, RELAY_CORE, at_us);
  }

  lifecycle(node: number, kind: number, at_us: number, arg: number): void {
    if (this.stop_us !== Infinity || at_us < this.opts.from_us || at_us >= this.opts.to_us) return;
    this.mark(at_us, node, 0, kind === EV.CRASH ? W_CRASH : W_RESTART, arg);
  }

  take(): TimelinePart {
    return { rows: this.rows.slice(0, this.n * F), stop_us: this.stop_us };
  }
}

/**
 * Merges the parts of all workers (any order of parts gives the same result, as long as each
 * node's rows come from one part in their recorded order) and applies the cap.
 */
export function mergeTimeline(parts: readonly TimelinePart[], opts: TimelineOptions): Timeline {
  // Every part holds all its rows before its stop time, and a stopped part holds at least `cap`
  // slices before it, so the true cut time is at or before the earliest stop.
  let S = Infinity;
  let total = 0;
  for (const p of parts) {
    if (p.stop_us < S) S = p.stop_us;
    total += p.rows.length / F;
  }
  const all = new Float64Array(total * F);
  let off = 0;
  for (const p of parts) {
    all.set(p.rows, off);
    off += p.rows.length;
  }
  const idx: number[] = [];
  for (let i = 0; i < total; i++) if (all[i * F + TS] < S) idx.push(i);
  idx.sort((x, y) => all[x * F + TS] - all[y * F + TS] || all[x * F + NODE] - all[y * F + NODE] || x - y);
  let T = S;
  let slices = 0;
  for (const i of idx) {
    if (all[i * F + WHAT] > W_CLOCK) continue;
    if (slices === opts.cap) {
      T = all[i * F + TS];
      break;
    }
    slices++;
  }
  const kept: number[] = [];
  slices = 0;
  for (const i of idx) {
    if (all[i * F + TS] >= T) break;
    kept.push(i);
    if (all[i * F + WHAT] <= W_CLOCK) slices++;
  }
  const rows = new Float64Array(kept.length * F);
  kept.forEach((i, k) => rows.set(all.subarray(i * F, i * F + F), k * F));
  return { ...opts, rows, slices, truncated_at_us: T === Infinity ? null : T };
}

/** A node as the trace shows it. */
