/**
 * A run's timeline as a Chrome trace (`trace.json`, the Trace Event Format that Perfetto and
 * chrome://tracing open). docs/DESIGN.md "Outputs": the optional trace for Perfetto.
 *
 * The runner records the timeline (sim/runner/timeline.ts: what is kept, its bounds, and how the
 * parts of several workers merge); this module only renders it.
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
 * - A relay's forwarding of a message down a relay tree or flow is the network's, on no core: a
 *   slice of dur 0 (`relay:<kind>`) on the node's relay track, tid = nodes * K + node, named
 *   `<node>-relay`, which only nodes that relayed in the window have.
 * - Flow events: an arrow from the slice that sent each copy (a handler, or a relay) to the slice
 *   that handles it, id `<sender>:<seq>><receiver>`.
 *
 * No file system here (the CLI writes the string through sim/report/write.ts).
 */
import type { Scenario } from '../scenario/types.js';
import type { NodeInfo, ProtocolModule } from '../contract/module.js';
import {
  BYTES, CORE, DUR, F, FLOW_NODE, FLOW_SEQ, FROM, HEIGHT, KIND, NODE, RELAY_CORE, TABLE, TS, VIEW, WHAT, W_CLOCK, W_CRASH, W_MSG, W_RELAY, W_RESTART, W_SEND, W_TIMER,
  type Timeline,
} from '../runner/timeline.js';

export { TRACE_CAP, type Timeline, type TimelineOptions } from '../runner/timeline.js';

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
  const a = tl.rows;
  // A node's core tracks, then its relay track when it relayed in the window.
  const tidOf = (node: number, core: number) => (core === RELAY_CORE ? nodes.length * K + node : node * K + core);
  const relays = new Set<number>();
  for (let r = 0; r < a.length; r += F) if (a[r + WHAT] === W_RELAY) relays.add(a[r + NODE]);
  nodes.forEach((n, i) => {
    const tracks = [...Array.from({ length: n.cores }, (_, c) => c), ...(relays.has(i) ? [RELAY_CORE] : [])];
    tracks.forEach((c, k) => {
      const tid = tidOf(i, c);
      const name = c === RELAY_CORE ? `${n.name}-relay` : `${n.name}-${c}`;
      lines.push(`{"ph":"M","name":"thread_name","pid":${pidOf[i]},"tid":${tid},"args":{"name":${JSON.stringify(name)}}}`);
      lines.push(`{"ph":"M","name":"thread_sort_index","pid":${pidOf[i]},"tid":${tid},"args":{"sort_index":${i * (K + 1) + k}}}`);
    });
  });
  // Where each copy was sent from (the sending slice's track and start), for the flow arrows.
  const sentFrom = new Map<string, string>();
  for (let r = 0; r < a.length; r += F) {
    if (a[r + WHAT] === W_SEND) sentFrom.set(`${a[r + NODE]}:${a[r + KIND]}`, `"pid":${pidOf[a[r + NODE]]},"tid":${tidOf(a[r + NODE], a[r + CORE])},"ts":${a[r + TS]}`);
  }
  let flows = 0;
  for (let r = 0; r < a.length; r += F) {
    const node = a[r + NODE];
    const head = `"pid":${pidOf[node]},"tid":${tidOf(node, a[r + CORE])},"ts":${a[r + TS]}`;
    const what = a[r + WHAT];
    const kind = a[r + KIND];
    if (what === W_SEND) continue;
    if (what === W_RELAY) {
      lines.push(`{"ph":"X","name":"relay:${names.kinds[kind] ?? `kind_${kind}`}","cat":"relay",${head},"dur":0,"args":{"node":${nodeNames[node]}}}`);
      continue;
    }
    if (what === W_MSG && a[r + FLOW_NODE] >= 0) {
      // An arrow from the slice that sent the copy to the slice that handles it, both in the window.
      const key = `${a[r + FLOW_NODE]}:${a[r + FLOW_SEQ]}`;
      const id = `${key}>${node}`;
      const from = sentFrom.get(key);
      if (from !== undefined) {
        const name = names.kinds[kind] ?? `kind_${kind}`;
        lines.push(`{"ph":"s","name":"${name}","cat":"flow","id":"${id}",${from}}`);
        lines.push(`{"ph":"f","bp":"e","name":"${name}","cat":"flow","id":"${id}",${head}}`);
        flows++;
      }
    }
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
    flows: flows,
    flows_are: 'an arrow from the slice that sent a message (a handler, or a relay forwarding it down a relay tree) to the slice that handles it, where both are in the window',
    relays_are: 'a node forwarding a message down a relay tree or flow: a slice of dur 0 on its <node>-relay track (tid = nodes * K + node)',
  };
  return `{"displayTimeUnit":"ms","metadata":${JSON.stringify(metadata)},"traceEvents":[\n${lines.join(',\n')}\n]}\n`;
}
