/**
 * A run's timeline as a Chrome trace (`trace.json`, the Trace Event Format that Perfetto and
 * chrome://tracing open). docs/DESIGN.md "Outputs": the optional trace for Perfetto.
 *
 * Recording: a TimelineRecorder is attached to a Simulation (Simulation.traceWork) and keeps one
 * numeric row per unit of work a node handled (a delivered message, a timer, a clock tick: start
 * time, core, charged cost, what it was) and per crash and restart. It only reads what the engine
 * hands it, so the digest is the same with and without it. In a run over several workers each
 * worker records its own nodes; mergeTimeline sorts the rows of all workers by (time, node, the
 * node's own order), which is the same for any worker count.
 *
 * Bounds: only work that starts in [from_us, to_us) is kept, and at most `cap` slices. A capped
 * trace is cut at a time T (everything starting before T, nothing from T on), chosen so that the
 * cut is the same for any worker count: T is the start time of the (cap + 1)-th slice in
 * (time, node, order) order, so a trace holds at most `cap` slices.
 *
 * Output choices (also written into the trace's `metadata`):
 * - Timestamps and durations are simulated microseconds (`ts`, `dur`); `displayTimeUnit` is ms.
 * - One process per node group (validator group g, auditor group g by their genesis seats,
 *   standby validators, standby auditors, edges, beacons, archives), one thread per node and core:
 *   tid = node * K + core, K the largest core count of the run (so tid = node index when every
 *   node has one core). Viewers need the slices of one thread to nest, and a node's cores run
 *   overlapping work, so each core gets its own track, named `<node>-<core>` (`v0-3`: node v0,
 *   core 3) and sorted by tid so a node's cores sit together.
 * - Work charged 0 µs is kept as a slice with dur 0.
 * - Start-up and restart handlers run outside the core model (docs/DESIGN.md "Node model") and are
 *   not slices; crashes and restarts are instant events on the node's core-0 track.
 *
 * No file system here (the CLI writes the string through sim/report/write.ts).
 */
import type { WorkTrace } from '../engine/sim.js';
import type { Scenario } from '../scenario/types.js';
import type { NodeInfo, ProtocolModule } from '../contract/module.js';

/** Most slices a trace holds unless told otherwise. */
export const TRACE_CAP = 1_000_000;

/** Row fields (one Float64 each). */
const TS = 0;
const NODE = 1;
const CORE = 2;
const DUR = 3;
const WHAT = 4;
/** Message or timer kind; clock tick; a crash's restart time (-1: none); a restart's lost flag. */
const KIND = 5;
const FROM = 6;
const TABLE = 7;
const VIEW = 8;
const HEIGHT = 9;
const BYTES = 10;
const F = 11;

/** Row kinds. */
const W_MSG = 0;
const W_TIMER = 1;
const W_CLOCK = 2;
const W_CRASH = 3;
const W_RESTART = 4;

/** Engine event numbers of crash and restart (sim/engine/sim.ts EV). */
const EV_CRASH = 6;

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


type Fields = { table?: unknown; view?: unknown; height?: unknown; block?: Fields; qc?: Fields; bytes?: unknown };

function num(v: unknown): number {
  return typeof v === 'number' ? v : -1;
}

export class TimelineRecorder implements WorkTrace {
  private rows = new Float64Array(F * 4096);
  private n = 0;
  private slices = 0;
  private lastTs = -Infinity;
  private stop_us = Infinity;

  constructor(readonly opts: TimelineOptions) {}

  private row(): number {
    if ((this.n + 1) * F > this.rows.length) {
      const grown = new Float64Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    return F * this.n++;
  }

  work(node: number, core: number, what: number, from: number, data: unknown, start_us: number, cost_us: number): void {
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
    if (what === 2) {
      a[r + WHAT] = W_CLOCK;
      a[r + KIND] = data as number;
      return;
    }
    const d = data as Fields & { kind: number };
    a[r + WHAT] = what === 0 ? W_MSG : W_TIMER;
    a[r + KIND] = d.kind;
    if (what === 0) {
      a[r + FROM] = from;
      a[r + BYTES] = num(d.bytes);
    }
    a[r + TABLE] = num(d.table);
    a[r + VIEW] = num(d.view ?? d.block?.view ?? d.qc?.view);
    a[r + HEIGHT] = num(d.height ?? d.block?.height ?? d.qc?.height);
  }

  lifecycle(node: number, kind: number, at_us: number, arg: number): void {
    if (this.stop_us !== Infinity || at_us < this.opts.from_us || at_us >= this.opts.to_us) return;
    const r = this.row();
    const a = this.rows;
    a.fill(-1, r, r + F);
    a[r + TS] = at_us;
    a[r + NODE] = node;
    a[r + CORE] = 0;
    a[r + DUR] = 0;
    a[r + WHAT] = kind === EV_CRASH ? W_CRASH : W_RESTART;
    a[r + KIND] = arg;
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
export interface TraceNode {
  name: string;
  /** Process (track group) name. */
  group: string;
  cores: number;
}

/** The trace's view of a run's nodes: groups by genesis seat, cores by role. */
export function traceNodes(sc: Scenario, nodes: readonly NodeInfo[], module: ProtocolModule): TraceNode[] {
  return nodes.map((x, i) => ({
    name: x.name,
    group: module.traceGroup(sc, nodes, i),
    cores: sc.hardware[x.role as keyof Scenario['hardware']].cores,
  }));
}

/**
 * The Chrome trace JSON of `tl`. `meta` goes into the top-level `metadata` object along with
 * the trace's own facts. Built as one array of lines joined once.
 */
export function chromeTraceJson(
  tl: Timeline, nodes: readonly TraceNode[], meta: Record<string, unknown>,
  names: Pick<ProtocolModule, 'kinds' | 'timerKinds'>,
): string {
  const K = Math.max(1, ...nodes.map((n) => n.cores));
  const groups: string[] = [];
  const pidOf = nodes.map((n) => {
    let g = groups.indexOf(n.group);
    if (g < 0) g = groups.push(n.group) - 1;
    return g + 1;
  });
  const nodeNames = nodes.map((n) => JSON.stringify(n.name));
  const lines: string[] = [];
  groups.forEach((g, k) => {
    lines.push(`{"ph":"M","name":"process_name","pid":${k + 1},"tid":0,"args":{"name":${JSON.stringify(g)}}}`);
    lines.push(`{"ph":"M","name":"process_sort_index","pid":${k + 1},"tid":0,"args":{"sort_index":${k + 1}}}`);
  });
  nodes.forEach((n, i) => {
    for (let c = 0; c < n.cores; c++) {
      const tid = i * K + c;
      lines.push(`{"ph":"M","name":"thread_name","pid":${pidOf[i]},"tid":${tid},"args":{"name":${JSON.stringify(`${n.name}-${c}`)}}}`);
      lines.push(`{"ph":"M","name":"thread_sort_index","pid":${pidOf[i]},"tid":${tid},"args":{"sort_index":${tid}}}`);
    }
  });
  const a = tl.rows;
  for (let r = 0; r < a.length; r += F) {
    const node = a[r + NODE];
    const head = `"pid":${pidOf[node]},"tid":${node * K + a[r + CORE]},"ts":${a[r + TS]}`;
    const what = a[r + WHAT];
    const kind = a[r + KIND];
    if (what === W_CRASH) {
      lines.push(`{"ph":"i","s":"t","name":"crash","cat":"fault",${head},"args":{"node":${nodeNames[node]},"until_us":${kind < 0 ? 'null' : kind}}}`);
      continue;
    }
    if (what === W_RESTART) {
      lines.push(`{"ph":"i","s":"t","name":"restart","cat":"fault",${head},"args":{"node":${nodeNames[node]},"state":"${kind === 1 ? 'lost' : 'kept'}"}}`);
      continue;
    }
    let name: string;
    let cat: string;
    let args = `"node":${nodeNames[node]},"core":${a[r + CORE]}`;
    if (what === W_CLOCK) {
      name = 'clock';
      cat = 'clock';
      args += `,"tick":${kind}`;
    } else if (what === W_TIMER) {
      name = names.timerKinds[kind] !== undefined ? `timer:${names.timerKinds[kind]}` : `timer:kind_${kind}`;
      cat = 'timer';
    } else {
      name = names.kinds[kind] ?? `kind_${kind}`;
      cat = 'message';
      args += `,"from":${nodeNames[a[r + FROM]]}`;
    }
    if (a[r + TABLE] >= 0) args += `,"table":${a[r + TABLE]}`;
    if (a[r + VIEW] >= 0) args += `,"view":${a[r + VIEW]}`;
    if (a[r + HEIGHT] >= 0) args += `,"height":${a[r + HEIGHT]}`;
    if (a[r + BYTES] >= 0) args += `,"bytes":${a[r + BYTES]}`;
    lines.push(`{"ph":"X","name":"${name}","cat":"${cat}",${head},"dur":${a[r + DUR]},"args":{${args}}}`);
  }
  const metadata = {
    ...meta,
    time_unit: 'ts and dur are simulated microseconds',
    window_us: [tl.from_us, tl.to_us],
    cap: tl.cap,
    slices: tl.slices,
    truncated: tl.truncated_at_us !== null,
    truncated_at_us: tl.truncated_at_us,
    tracks: `one process per node group, one thread per node and core: tid = node * ${K} + core, named <node>-<core>`,
    slices_are: 'handled work (message, timer, clock tick) from its start on a core for the CPU cost charged; 0-cost work has dur 0',
    instants_are: 'crash and restart of a node, on its core-0 track',
  };
  return `{"displayTimeUnit":"ms","metadata":${JSON.stringify(metadata)},"traceEvents":[\n${lines.join(',\n')}\n]}\n`;
}
