/**
 * Flow against packet (docs/VALIDATION.md): the same scenario run at both fidelities, its
 * simulated figures side by side with their differences.
 *
 *   npm run validate:fidelity [-- --workers N] [case ...]
 *
 * prints the tables of docs/VALIDATION.md (the cases named, or the small ones). The small cases
 * also run in the tests (test/fidelity.test.ts) with the bounds below.
 */
import { join } from 'node:path';
import { loadScenario, applyOverrides, parseDuration } from '../scenario/index.js';
import type { Scenario } from '../scenario/types.js';
import type { Summary } from '../metrics/types.js';

/** A validation case: a shipped scenario and how long it runs. */
export interface FidelityCase {
  scenario: string;
  duration: string;
  /** Seeds to average over. */
  seeds: readonly number[];
  /** Only in the benchmark script, not in the tests (too long for them). */
  long?: boolean;
}

export const CASES: readonly FidelityCase[] = [
  { scenario: 'scenarios/default.yaml', duration: '60s', seeds: [1, 2, 3, 4] },
  { scenario: 'scenarios/top-small.yaml', duration: '60s', seeds: [1, 2, 3] },
  { scenario: 'scenarios/lossy-wan.yaml', duration: '90s', seeds: [1, 2, 3, 4, 5, 6] },
  { scenario: 'scenarios/partition-heal.yaml', duration: '120s', seeds: [1] },
  { scenario: 'scenarios/receipt-loss.yaml', duration: '100s', seeds: [1, 2, 3] },
  { scenario: 'scenarios/bench/top-mainnet-impl.yaml', duration: '20s', seeds: [42], long: true },
];

/** The aims: relative differences of flow from packet. */
export const AIMS = { tps_final: 0.02, p50: 0.05, p99: 0.1 } as const;

/** One figure at both fidelities, over the seeds. */
export interface FigureRow {
  figure: string;
  /** Mean over the seeds that have the figure (null when none has). */
  packet: number | null;
  flow: number | null;
  /** (flow - packet) / packet of the means; null when either is missing or packet is 0. */
  diff: number | null;
  /**
   * The standard error of the difference of the means, relative to the packet mean: how far
   * the seeds alone move it (0 with one seed).
   */
  noise: number | null;
  /** The aim this figure is held to (a relative bound), if any. */
  aim: number | null;
}

export interface FidelityResult {
  scenario: string;
  duration: string;
  seeds: number[];
  rows: FigureRow[];
  /** Per seed, the digests at each fidelity. */
  digests: { packet: string; flow: string }[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) * (b - m), 0) / (xs.length - 1);
};

/**
 * Runs `sc` at both fidelities for each seed with `run` and compares the means of the figures.
 * A scenario whose outcome swings from seed to seed (a lossy network stalling consensus) is
 * compared over its seeds, not one run against one run.
 */
export async function compareFidelity(sc: Scenario, seeds: readonly number[], run: (sc: Scenario) => Promise<Summary> | Summary): Promise<FidelityResult> {
  const packets: Summary[] = [];
  const flows: Summary[] = [];
  for (const seed of seeds) {
    packets.push(await run({ ...sc, seed, network: { ...sc.network, fidelity: 'packet' } }));
    flows.push(await run({ ...sc, seed, network: { ...sc.network, fidelity: 'flow' } }));
  }
  const rows: FigureRow[] = [];
  // A figure a seed lacks (the latency of a class in which nothing finalized) is left out of that
  // fidelity's mean; a figure no seed has is missing.
  const add = (figure: string, get: (s: Summary) => number | null | undefined, aim: number | null = null) => {
    const have = (xs: Summary[]) => xs.map(get).filter((x): x is number => typeof x === 'number');
    const p = have(packets);
    const f = have(flows);
    if (p.length === 0 || f.length === 0) {
      rows.push({ figure, packet: p.length > 0 ? mean(p) : null, flow: f.length > 0 ? mean(f) : null, diff: null, noise: null, aim });
      return;
    }
    const pm = mean(p);
    const fm = mean(f);
    const se = Math.sqrt(variance(p) / p.length + variance(f) / f.length);
    rows.push({ figure, packet: pm, flow: fm, diff: pm !== 0 ? (fm - pm) / pm : null, noise: pm !== 0 ? se / Math.abs(pm) : null, aim });
  };
  add('tps_final', (s) => s.tps_final, AIMS.tps_final);
  for (const cls of Object.keys(packets[0]!.latency_final_ms)) {
    if (packets.every((s) => (s.latency_final_ms[cls]?.count ?? 0) === 0)) continue;
    add(`latency p50 ${cls} (ms)`, (s) => s.latency_final_ms[cls]?.p50, AIMS.p50);
    add(`latency p99 ${cls} (ms)`, (s) => s.latency_final_ms[cls]?.p99, AIMS.p99);
  }
  add('blocks per table per s', (s) => s.limits?.blocks_per_table_per_s);
  add('busiest link (share of capacity)', (s) => s.limits?.bandwidth_util_max);
  add('busiest CPU (share of capacity)', (s) => s.limits?.cpu_util_max);
  add('events', (s) => s.events);
  return {
    scenario: sc.name,
    duration: `${sc.duration_us / 1e6}s`,
    seeds: [...seeds],
    rows,
    digests: packets.map((p, i) => ({ packet: p.digest, flow: flows[i]!.digest })),
  };
}

/**
 * Whether a row meets its aim: the means differ by at most the aim, or by no more than twice the
 * seeds' own noise (rows without an aim always do).
 */
export function withinAim(r: FigureRow): boolean {
  if (r.aim === null) return true;
  if (r.packet === r.flow) return true;
  if (r.diff === null) return false;
  return Math.abs(r.diff) <= Math.max(r.aim, 2 * (r.noise ?? 0));
}

/** A case's scenario, loaded from the repository at `root`. */
export function caseScenario(root: string, c: FidelityCase): Scenario {
  const sc = loadScenario(join(root, c.scenario));
  return applyOverrides(sc, { duration_us: parseDuration(c.duration) });
}

const fmt = (v: number | null) => (v === null ? '–' : Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 1 : 3));
const pct = (d: number | null) => (d === null ? '–' : `${d >= 0 ? '+' : ''}${(100 * d).toFixed(1)}%`);

/** A result as a Markdown table. */
export function fidelityMarkdown(r: FidelityResult): string {
  const seeds = r.seeds.length === 1 ? `seed ${r.seeds[0]}` : `mean over seeds ${r.seeds.join(', ')}`;
  const out = [`### ${r.scenario} (${r.duration}, ${seeds})`, '', '| figure | packet | flow | difference | seed noise (2 s.e.) | aim |', '|---|---:|---:|---:|---:|---|'];
  for (const row of r.rows) {
    const aim = row.aim === null ? '' : `±${(100 * row.aim).toFixed(0)}%${withinAim(row) ? '' : ' **missed**'}`;
    const noise = row.noise === null || r.seeds.length < 2 ? '–' : `±${(200 * row.noise).toFixed(1)}%`;
    out.push(`| ${row.figure} | ${fmt(row.packet)} | ${fmt(row.flow)} | ${pct(row.diff)} | ${noise} | ${aim} |`);
  }
  out.push('', `Digests (first seed): packet \`${r.digests[0]!.packet.slice(0, 12)}\`, flow \`${r.digests[0]!.flow.slice(0, 12)}\`.`, '');
  return out.join('\n');
}
