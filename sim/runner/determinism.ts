/**
 * The self-check of docs/DESIGN.md contract 7: run a scenario twice in one process and once over N
 * workers; all three digests must be equal. On a mismatch, find where the runs part.
 *
 * Finding the divergence takes two passes. The first runs record every node's digest at fixed
 * simulated times (checkpoints); the first checkpoint where some node's digest differs brackets
 * the divergence and names the nodes already affected. The second pass re-runs both sides up to
 * that checkpoint, recording each event of those nodes with the node's digest after it; the
 * earliest event that differs is where the runs part: its node and simulated time are the answer.
 */
import type { Scenario } from '../scenario/types.js';
import type { Recorded } from './run.js';
import { EV } from '../engine/sim.js';

/** What a run must record (one of the two passes). */
export interface Recording {
  checkpoint_us?: number;
  trace?: { nodes: Uint8Array; from_us: number; to_us: number };
  stop_us?: number;
}

export interface RunnerResult extends Recorded {
  digest: string;
}

/** Runs the scenario one way (in-process, over workers, ...) with a recording. */
export interface Runner {
  label: string;
  run(rec: Recording): Promise<RunnerResult>;
}

export interface Divergence {
  /** The node whose history differs first, and the simulated time of the first differing event. */
  node: string;
  time_us: number;
  /** The two runs' events there ("none" where one run has no event). */
  a: string;
  b: string;
  runs: [string, string];
}

export interface DeterminismReport {
  digests: { label: string; digest: string }[];
  same: boolean;
  divergence: Divergence | null;
}

const KIND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(EV).map(([k, v]) => [v, k.toLowerCase()]));

/** Checkpoint interval of the first pass. */
export const CHECKPOINT_US = 1_000_000;

function describe(row: number[] | null, names: readonly string[]): string {
  if (row === null) return 'none';
  const [t, , kind, origin, seq] = row;
  return `${KIND_NAMES[kind] ?? `kind ${kind}`} at ${(t / 1e6).toFixed(6)} s from ${names[origin] ?? origin} (seq ${seq})`;
}

/** Per node, its trace rows (each [time, node, kind, origin, seq, h1, h2]). */
function rowsByNode(trace: number[]): Map<number, number[][]> {
  const m = new Map<number, number[][]>();
  for (let i = 0; i < trace.length; i += 7) {
    const row = trace.slice(i, i + 7);
    let l = m.get(row[1]);
    if (!l) m.set(row[1], (l = []));
    l.push(row);
  }
  return m;
}

/**
 * Locates where two runs of one scenario diverge, given their first-pass recordings; null when
 * their checkpoints and digests agree.
 */
export async function findDivergence(
  a: Runner, b: Runner, ra: RunnerResult, rb: RunnerResult, names: readonly string[], end_us: number,
): Promise<Divergence | null> {
  const ca = ra.checkpoints!;
  const cb = rb.checkpoints!;
  // The first checkpoint with a difference; past the last one, the final digests decide.
  let k = 0;
  const count = Math.min(ca.times.length, cb.times.length);
  const differs = (la: Int32Array, lb: Int32Array) => {
    const nodes = new Uint8Array(names.length);
    let any = false;
    for (let i = 0; i < names.length; i++) {
      if (la[2 * i] !== lb[2 * i] || la[2 * i + 1] !== lb[2 * i + 1]) {
        nodes[i] = 1;
        any = true;
      }
    }
    return any ? nodes : null;
  };
  let nodes: Uint8Array | null = null;
  for (; k < count; k++) {
    nodes = differs(ca.lanes[k], cb.lanes[k]);
    if (nodes) break;
  }
  let from = 0;
  let to = end_us;
  if (nodes) {
    from = k > 0 ? ca.times[k - 1] : 0;
    to = ca.times[k];
  } else {
    if (ra.digest === rb.digest) return null;
    from = count > 0 ? ca.times[count - 1] : 0;
    nodes = new Uint8Array(names.length).fill(1);
  }
  const rec: Recording = { trace: { nodes, from_us: from, to_us: to }, stop_us: to };
  const [ta, tb] = await Promise.all([a.run(rec), b.run(rec)]);
  const na = rowsByNode(ta.trace!);
  const nb = rowsByNode(tb.trace!);
  let best: Divergence | null = null;
  for (let i = 0; i < names.length; i++) {
    if (!nodes[i]) continue;
    const xa = na.get(i) ?? [];
    const xb = nb.get(i) ?? [];
    const n = Math.max(xa.length, xb.length);
    for (let j = 0; j < n; j++) {
      const ea = xa[j] ?? null;
      const eb = xb[j] ?? null;
      if (ea && eb && ea.every((v, c) => v === eb[c])) continue;
      const t = Math.min(ea ? ea[0] : Infinity, eb ? eb[0] : Infinity);
      if (best === null || t < best.time_us) {
        best = { node: names[i], time_us: t, a: describe(ea, names), b: describe(eb, names), runs: [a.label, b.label] };
      }
      break;
    }
  }
  if (best === null) {
    // The histories match event for event but the digests differ at the checkpoint: the
    // difference lies in a digest fold itself; name the first differing node at that time.
    const i = nodes.indexOf(1);
    best = { node: names[i], time_us: to, a: 'same events', b: 'same events, different digest', runs: [a.label, b.label] };
  }
  return best;
}

/**
 * Runs each runner once with checkpoints, compares the digests with the first runner's, and for
 * the first mismatch locates the divergence.
 */
export async function checkDeterminism(sc: Scenario, runners: readonly Runner[], names: readonly string[]): Promise<DeterminismReport> {
  const first: RunnerResult[] = [];
  for (const r of runners) first.push(await r.run({ checkpoint_us: CHECKPOINT_US }));
  const digests = runners.map((r, i) => ({ label: r.label, digest: first[i].digest }));
  const bad = first.findIndex((r) => r.digest !== first[0].digest);
  if (bad < 0) return { digests, same: true, divergence: null };
  const divergence = await findDivergence(runners[0], runners[bad], first[0], first[bad], names, sc.duration_us);
  return { digests, same: false, divergence };
}

export function formatDivergence(d: Divergence): string {
  return `runs "${d.runs[0]}" and "${d.runs[1]}" diverge first at node ${d.node}, simulated time ` +
    `${(d.time_us / 1e6).toFixed(6)} s: ${d.a} vs ${d.b}`;
}
