/**
 * Parameter sweeps: the manifest (sweep.json), the merge of shard manifests, and the outputs
 * built from a manifest: sweep.csv, the terminal table and sweep.html (self-contained: inline
 * CSS and SVG, no scripts). Pure string builders like the rest of sim/report; the CLI
 * (sim/cli/sweep.ts) reads and writes the files.
 *
 * A sweep is a grid: the cartesian product of the values of each swept key, the first key varying
 * slowest. Point k (0-based) of the grid is the same point in every invocation, so shards
 * (`--shard i/n` runs the points with k % n == i − 1) can be merged by k.
 *
 * sweep.csv and the terminal table hold only simulated figures (exact for the scenario), so two
 * runs of the same sweep, sharded or not, give the same bytes; wall time is in sweep.json
 * (`wall.wall_s`) and in the HTML table, labelled as wall.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { line, max as d3max, scaleLinear, scaleLog, schemeTableau10 } from 'd3';
import { escapeHtml as esc } from './html.js';
import { csvText } from './csv.js';
import { fixed, latencyClasses, latencyText, NO_VALUE } from './table.js';
import type { Summary } from '../metrics/types.js';

/**
 * Version 2: a class with no finalized transaction at a point has `count: 0` and null p50 and p99;
 * version 1 wrote 0 for them. A merge reads both (see upgradeManifest).
 */
export const SWEEP_SCHEMA_VERSION = 2;
/** The sweep.json versions a merge reads. */
export const SWEEP_SCHEMA_VERSIONS_READ: readonly number[] = [1, 2];

export type SweepValue = number | string | boolean;

export interface SweepKey {
  /** The key as given to --set (`tables`, `workload.rate_tps`). */
  set: string;
  /** The dotted path into the scenario file form it resolves to (`topology.tables`). */
  path: string;
  /** The name in point ids, column heads and charts (`tables`, `rate_tps`). */
  label: string;
  values: SweepValue[];
}

/**
 * The headline latency of one class: count, p50 and p99 (ms, submit to final commit); p50 and
 * p99 are null when count is 0 (no transaction of the class finalized).
 */
export interface SweepLatency {
  count: number;
  p50: number | null;
  p99: number | null;
}

export interface SweepPoint {
  k: number;
  id: string;
  /** One value per swept key, in key order. */
  values: SweepValue[];
  digest: string;
  tps_final: number;
  tps_slots: number;
  latency_final_ms: Record<string, SweepLatency>;
  tx_final: number;
  violations: number;
  /** Wall-clock cost of the point (machine-dependent; never in sweep.csv). */
  wall: { wall_s: number };
}

export interface SweepManifest {
  sweep_schema_version: number;
  simulator_version: string;
  /** A readable name: the scenario and the swept keys. */
  name: string;
  /** The base scenario's name. */
  scenario: string;
  /** sha256 of the canonical JSON of the base scenario in file form (overrides applied). */
  base_hash: string;
  keys: SweepKey[];
  points_total: number;
  /** The shard this manifest covers (1-based i of n), or null for a merge. */
  shard: { i: number; n: number } | null;
  /** The directories a merge read (a merge only). */
  merged_from?: string[];
  /** Points of the grid (or of the shard) with no result: an interrupted or incomplete sweep. */
  missing: number[];
  points: SweepPoint[];
}

// ---------------------------------------------------------------------------------------------
// Grid

/** JSON with object keys sorted at every level: the same data always gives the same text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** sha256 (hex) of the canonical JSON of `v`. */
export function hashJson(v: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(v))));
}

/** Points in the grid of `keys`. */
export function gridSize(keys: readonly Pick<SweepKey, 'values'>[]): number {
  return keys.reduce((n, key) => n * key.values.length, 1);
}

/** The value index of each key at point k (the first key varies slowest). */
export function gridIndices(keys: readonly Pick<SweepKey, 'values'>[], k: number): number[] {
  const idx = new Array<number>(keys.length);
  let rest = k;
  for (let j = keys.length - 1; j >= 0; j--) {
    const n = keys[j].values.length;
    idx[j] = rest % n;
    rest = Math.floor(rest / n);
  }
  return idx;
}

/** The values of point k. */
export function gridValues(keys: readonly Pick<SweepKey, 'values'>[], k: number): SweepValue[] {
  return gridIndices(keys, k).map((i, j) => keys[j].values[i]);
}

/** The points of the grid shard i of n runs (1-based i): k % n == i − 1, in order. */
export function shardPoints(total: number, shard: { i: number; n: number }): number[] {
  const out: number[] = [];
  for (let k = shard.i - 1; k < total; k += shard.n) out.push(k);
  return out;
}

/** A value as one directory-name-safe token: `100Mbps`, `0.5`, `30s`. */
export function valueSlug(v: SweepValue): string {
  return String(v).replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The point id, a directory name: `tables=256,rate_tps=5000`. */
export function pointId(keys: readonly Pick<SweepKey, 'label'>[], values: readonly SweepValue[]): string {
  return keys.map((key, j) => `${key.label}=${valueSlug(values[j])}`).join(',');
}

/** The headline figures of a finished run at point k. */
export function sweepPoint(k: number, id: string, values: SweepValue[], s: Summary): SweepPoint {
  const latency: Record<string, SweepLatency> = {};
  for (const c of latencyClasses(s.latency_final_ms)) {
    const l = s.latency_final_ms[c];
    latency[c] = { count: l.count, p50: l.p50, p99: l.p99 };
  }
  return {
    k, id, values, digest: s.digest, tps_final: s.tps_final, tps_slots: s.tps_slots, latency_final_ms: latency,
    tx_final: s.tx_final, violations: s.violations.length, wall: { wall_s: s.wall.wall_s },
  };
}

/**
 * A manifest read from sweep.json as the current version: a version 1 manifest's latencies of
 * classes with no finalized transaction (0 there) become null. Other fields are as they were.
 */
export function upgradeManifest(m: SweepManifest): SweepManifest {
  if (m.sweep_schema_version === SWEEP_SCHEMA_VERSION) return m;
  const points = m.points.map((p) => {
    const latency: Record<string, SweepLatency> = {};
    for (const [c, l] of Object.entries(p.latency_final_ms ?? {})) {
      latency[c] = l.count === 0 ? { ...l, p50: null, p99: null } : l;
    }
    return { ...p, latency_final_ms: latency };
  });
  return { ...m, sweep_schema_version: SWEEP_SCHEMA_VERSION, points };
}

/** sweep.json text: pretty JSON, trailing newline. */
export function sweepJson(m: SweepManifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Merge

/** Why manifests cannot be merged: exit 2 for a different sweep, 1 for disagreeing results. */
export class SweepMergeError extends Error {
  constructor(readonly exitCode: 1 | 2, message: string) {
    super(message);
  }
}

/** What must agree for manifests to be shards of one sweep, and the first difference. */
function sweepDifference(a: SweepManifest, b: SweepManifest): string | null {
  if (a.base_hash !== b.base_hash) return `base scenario hash ${b.base_hash.slice(0, 12)}, not ${a.base_hash.slice(0, 12)}`;
  const keys = (m: SweepManifest) => canonicalJson(m.keys.map((k) => ({ path: k.path, values: k.values })));
  if (keys(a) !== keys(b)) {
    const list = (m: SweepManifest) => m.keys.map((k) => `${k.path}=${k.values.join(',')}`).join(' ');
    return `swept keys ${list(b)}, not ${list(a)}`;
  }
  if (a.points_total !== b.points_total) return `${b.points_total} points, not ${a.points_total}`;
  if (a.simulator_version !== b.simulator_version) return `simulator ${b.simulator_version}, not ${a.simulator_version}`;
  return null;
}

/**
 * Combines manifests of one sweep (shards, or repeated runs of some points). Throws
 * SweepMergeError naming the directory of a different sweep (2) or a point whose digest differs
 * between two of them (1). The result lists the points no manifest has in `missing`.
 */
export function mergeManifests(parts: readonly { dir: string; manifest: SweepManifest }[]): SweepManifest {
  if (parts.length === 0) throw new SweepMergeError(2, 'nothing to merge');
  const first = parts[0];
  const byK = new Map<number, { dir: string; point: SweepPoint }>();
  for (const part of parts) {
    const diff = sweepDifference(first.manifest, part.manifest);
    if (diff !== null) throw new SweepMergeError(2, `${part.dir}: not the sweep of ${first.dir}: ${diff}`);
    for (const p of part.manifest.points) {
      if (!Number.isSafeInteger(p.k) || p.k < 0 || p.k >= first.manifest.points_total) {
        throw new SweepMergeError(2, `${part.dir}: point k=${p.k} is outside the grid of ${first.manifest.points_total} points`);
      }
      const seen = byK.get(p.k);
      if (seen === undefined) byK.set(p.k, { dir: part.dir, point: p });
      else if (seen.point.digest !== p.digest) {
        throw new SweepMergeError(1, `point k=${p.k} (${p.id}): digest ${seen.point.digest.slice(0, 12)} in ${seen.dir} ` +
          `but ${p.digest.slice(0, 12)} in ${part.dir}`);
      }
    }
  }
  const m = first.manifest;
  const missing: number[] = [];
  for (let k = 0; k < m.points_total; k++) if (!byK.has(k)) missing.push(k);
  return {
    sweep_schema_version: SWEEP_SCHEMA_VERSION,
    simulator_version: m.simulator_version,
    name: m.name,
    scenario: m.scenario,
    base_hash: m.base_hash,
    keys: m.keys,
    points_total: m.points_total,
    shard: null,
    merged_from: parts.map((p) => p.dir),
    missing,
    points: [...byK.values()].map((x) => x.point).sort((a, b) => a.k - b.k),
  };
}

/** `k=1 (tables=2,rate=20), k=3 (…)`: the missing points of a manifest, named. */
export function missingText(m: SweepManifest): string {
  return m.missing.map((k) => `k=${k} (${pointId(m.keys, gridValues(m.keys, k))})`).join(', ');
}

// ---------------------------------------------------------------------------------------------
// Tables: csv and terminal

/** The latency classes any point has, in report order. */
function classesOf(m: SweepManifest): string[] {
  const all: Record<string, true> = {};
  for (const p of m.points) for (const c of Object.keys(p.latency_final_ms)) all[c] = true;
  return latencyClasses(all);
}

/** A class's latency at a point, or null when none finalized in it. */
function latencyOf(p: SweepPoint, c: string, q: 'p50' | 'p99'): number | null {
  const l = p.latency_final_ms[c];
  if (l === undefined || l.count === 0) return null;
  const v = l[q];
  return v === null || !Number.isFinite(v) ? null : v;
}

/** The simulated figures of each point, the columns after the keys. */
function figureColumns(m: SweepManifest): { head: string; value: (p: SweepPoint) => number | null; text: (p: SweepPoint) => string }[] {
  const cols: { head: string; value: (p: SweepPoint) => number | null; text: (p: SweepPoint) => string }[] = [
    { head: 'tps_final', value: (p) => p.tps_final, text: (p) => fixed(p.tps_final, 1) },
    { head: 'tps_slots', value: (p) => p.tps_slots, text: (p) => fixed(p.tps_slots, 1) },
  ];
  for (const c of classesOf(m)) {
    for (const q of ['p50', 'p99'] as const) {
      cols.push({
        head: `latency_final_ms_${c}_${q}`,
        value: (p) => latencyOf(p, c, q),
        text: (p) => latencyText(latencyOf(p, c, q)),
      });
    }
  }
  cols.push({ head: 'tx_final', value: (p) => p.tx_final, text: (p) => String(p.tx_final) });
  cols.push({ head: 'violations', value: (p) => p.violations, text: (p) => String(p.violations) });
  return cols;
}

/**
 * sweep.csv: a header, then one row per point with a result, in k order: k, the swept values, the
 * headline figures and the digest. No wall figures: the bytes depend only on the sweep.
 */
export function sweepCsv(m: SweepManifest): string {
  const cols = figureColumns(m);
  return csvText(['k', ...m.keys.map((k) => k.label), ...cols.map((c) => c.head), 'digest'],
    m.points.map((p) => [p.k, ...p.values, ...cols.map((c) => c.value(p)), p.digest]));
}

function align(rows: string[][], left: number): string[] {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((cell, j) => (j < left ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  ').trimEnd());
}

/** The terminal table: one row per point; the latency heads shortened (`all p50`). */
export function sweepTable(m: SweepManifest, o: { word?: string; dropEmptyClasses?: boolean } = {}): string {
  const word = o.word ?? 'sweep';
  // A comparison of families leaves out the latency classes no run finalized anything in (each
  // family has its own classes); the csv keeps every column.
  const empty = (c: string) => o.dropEmptyClasses === true && m.points.every((p) => (p.latency_final_ms[c]?.count ?? 0) === 0);
  const cols = figureColumns(m).filter((c) => {
    const x = /^latency_final_ms_(.*)_p\d+$/.exec(c.head);
    return x === null || !empty(x[1]);
  });
  const head = ['k', ...m.keys.map((k) => k.label), ...cols.map((c) => c.head.replace(/^latency_final_ms_(.*)_(p\d+)$/, '$1 $2')), 'digest'];
  const rows = [head];
  for (const p of m.points) rows.push([String(p.k), ...p.values.map(String), ...cols.map((c) => c.text(p)), p.digest.slice(0, 12)]);
  const out = [`${word} ${m.name}: ${m.points.length} of ${m.points_total} points` +
    `${m.shard !== null && m.shard.n > 1 ? ` (shard ${m.shard.i}/${m.shard.n})` : ''}; latency_final_ms in ms`];
  out.push(...align(rows, 1 + m.keys.length));
  if (m.missing.length > 0) out.push(`incomplete: missing ${missingText(m)}`);
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// sweep.html

const W = 760;
const H = 280;
const MARGIN = { top: 28, right: 20, bottom: 44, left: 64 };

interface CurveSeries {
  label: string;
  color: string;
  dashed: boolean;
  /** One y per value of the first key (null: no point there). */
  ys: (number | null)[];
}

/** How the first key's values sit on the x axis: log when numeric, positive and over a decade. */
function xPositions(values: readonly SweepValue[]): { xs: number[]; log: boolean; numeric: boolean } {
  const x0 = MARGIN.left;
  const x1 = W - MARGIN.right;
  const numeric = values.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!numeric) {
    const step = values.length > 1 ? (x1 - x0 - 40) / (values.length - 1) : 0;
    return { xs: values.map((_, i) => (values.length > 1 ? x0 + 20 + i * step : (x0 + x1) / 2)), log: false, numeric };
  }
  const nums = values as number[];
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  const log = lo > 0 && hi / lo > 10;
  if (lo === hi) return { xs: nums.map(() => (x0 + x1) / 2), log, numeric };
  const pad = 20;
  const scale = log ? scaleLog().domain([lo, hi]).range([x0 + pad, x1 - pad]) : scaleLinear().domain([lo, hi]).range([x0 + pad, x1 - pad]);
  return { xs: nums.map((v) => scale(v)), log, numeric };
}

/** One sweep-curve chart: x the first key's values, one path per series. */
export function sweepChartSvg(title: string, yLabel: string, xKey: SweepKey, series: readonly CurveSeries[]): string {
  const x0 = MARGIN.left;
  const x1 = W - MARGIN.right;
  const y0 = H - MARGIN.bottom;
  const y1 = MARGIN.top;
  const r1 = (v: number) => fixed(v, 1);
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<title>${esc(title)}</title>`);
  parts.push(`<text class="ctitle" x="${x0}" y="16">${esc(title)}</text>`);
  const ys = series.flatMap((s) => s.ys.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (ys.length === 0) {
    parts.push(`<text class="empty" x="${(x0 + x1) / 2}" y="${(y0 + y1) / 2}" text-anchor="middle">no data</text></svg>`);
    return parts.join('');
  }
  const { xs, log, numeric } = xPositions(xKey.values);
  let vMax = d3max(ys) ?? 1;
  if (vMax <= 0) vMax = 1;
  const y = scaleLinear().domain([0, vMax]).nice(5).range([y0, y1]);
  const yFmt = y.tickFormat(5);
  for (const v of y.ticks(5)) {
    const py = r1(y(v));
    parts.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick" x="${x0 - 6}" y="${py}" dy="0.32em" text-anchor="end">${esc(yFmt(v))}</text>`);
  }
  // x ticks at the swept values themselves.
  xKey.values.forEach((v, i) => {
    const px = r1(xs[i]);
    parts.push(`<line class="axis" x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + 5}"/>`);
    parts.push(`<text class="tick" x="${px}" y="${y0 + 18}" text-anchor="middle">${esc(String(v))}</text>`);
  });
  parts.push(`<line class="axis" x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}"/>`);
  parts.push(`<line class="axis" x1="${x0}" x2="${x0}" y1="${y1}" y2="${y0}"/>`);
  parts.push(`<text class="alabel" x="${(x0 + x1) / 2}" y="${H - 6}" text-anchor="middle">${esc(xKey.label)}${log ? ' (log scale)' : ''}</text>`);
  parts.push(`<text class="alabel" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  for (const s of series) {
    const pts = s.ys.map((v, i) => ({ i, v }));
    const path = line<{ i: number; v: number | null }>()
      .defined((p) => p.v !== null && Number.isFinite(p.v))
      .x((p) => xs[p.i])
      .y((p) => y(p.v as number))
      .digits(1)(pts);
    // Values that are names (a run, a variant) have no order between them: points, no line.
    if (numeric) parts.push(`<path class="series${s.dashed ? ' dashed' : ''}" d="${esc(path ?? '')}" stroke="${esc(s.color)}"><title>${esc(s.label)}</title></path>`);
    for (const p of pts) {
      if (p.v === null || !Number.isFinite(p.v)) continue;
      const mark = numeric ? `r="2.5" fill="${esc(s.color)}"` : `r="4" fill="${s.dashed ? '#fff' : esc(s.color)}" stroke="${esc(s.color)}" stroke-width="1.5"`;
      parts.push(`<circle cx="${r1(xs[p.i])}" cy="${r1(y(p.v))}" ${mark}><title>${esc(`${s.label}: ${xKey.label}=${xKey.values[p.i]}: ${fixed(p.v, 1)}`)}</title></circle>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The combinations of the keys after the first, in grid order, each with its points along the first key. */
function curves(m: SweepManifest): { label: string; color: string; points: (SweepPoint | null)[] }[] {
  const rest = m.keys.slice(1);
  const combos = gridSize(rest);
  const byK = new Map(m.points.map((p) => [p.k, p]));
  const out: { label: string; color: string; points: (SweepPoint | null)[] }[] = [];
  for (let c = 0; c < combos; c++) {
    const values = gridValues(rest, c);
    const label = rest.length === 0 ? m.scenario : rest.map((key, j) => `${key.label}=${values[j]}`).join(', ');
    // Point k of (first value i, combination c) is i * combos + c.
    const points = m.keys[0].values.map((_, i) => byK.get(i * combos + c) ?? null);
    out.push({ label, color: schemeTableau10[c % schemeTableau10.length], points });
  }
  return out;
}

const CSS = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#fff}
body{max-width:1100px;margin:24px auto;padding:0 16px;line-height:1.4}
h1{font-size:1.4rem;margin:0 0 4px}
h2{font-size:1.1rem;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.sub{color:#57606a;margin:0}
.bad{color:#cf222e;font-weight:600}
.note{color:#57606a;font-size:.85rem}
table{border-collapse:collapse;font-size:.9rem;margin:4px 0}
th,td{padding:3px 10px;border-bottom:1px solid #eaeef2;text-align:left}
th{background:#f6f8fa}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.wide{overflow-x:auto;max-width:100%}
ul.legend{list-style:none;padding:0;margin:0 0 8px;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.85rem}
ul.legend span{display:inline-block;width:14px;height:4px;margin-right:6px;vertical-align:middle}
svg.chart{display:block;max-width:100%;height:auto;margin:8px 0 16px}
svg .grid{stroke:#eaeef2}
svg .axis{stroke:#57606a}
svg .tick{font-size:11px;fill:#57606a}
svg .alabel{font-size:12px;fill:#1b1f24}
svg .ctitle{font-size:13px;font-weight:600;fill:#1b1f24}
svg .empty{font-size:13px;fill:#57606a}
svg .series{fill:none;stroke-width:1.8}
svg .dashed{stroke-dasharray:5 4}
`;

/**
 * sweep.html: the results table, then the sweep curves against the first key: tps_final (solid)
 * and tps_slots (dashed), and per latency class p50 (solid) and p99 (dashed); one colour per
 * combination of the other keys.
 */
/**
 * sweep.html. `reportOf(p)` is where a point's report is, relative to the page (default: its own
 * directory beside the page, as a sweep writes it; a merge points into the shard that ran it).
 */
export function sweepHtml(m: SweepManifest, reportOf: (p: SweepPoint) => string = (p) => `${p.id}/report.html`): string {
  const out: string[] = [];
  out.push('<!doctype html>');
  out.push('<html lang="en"><head><meta charset="utf-8">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>topsim sweep: ${esc(m.name)}</title>`);
  out.push(`<style>${CSS}</style></head><body>`);
  out.push(`<h1>${esc(m.name)}</h1>`);
  out.push(`<p class="sub">topsim ${esc(m.simulator_version)} · scenario ${esc(m.scenario)} · ${m.points.length} of ${m.points_total} points` +
    `${m.shard !== null && m.shard.n > 1 ? ` (shard ${m.shard.i}/${m.shard.n})` : ''}</p>`);
  out.push(`<p class="sub">base scenario sha256 <code>${esc(m.base_hash)}</code></p>`);
  out.push(`<p class="sub">swept: ${m.keys.map((k) => `<code>${esc(k.path)}</code> = ${esc(k.values.join(', '))}`).join('; ')}</p>`);
  if (m.missing.length > 0) out.push(`<p class="bad">incomplete: missing ${esc(missingText(m))}</p>`);

  const cs = curves(m);
  const xKey = m.keys[0];
  const legend = '<ul class="legend">' +
    cs.map((c) => `<li><span style="background:${esc(c.color)}"></span>${esc(c.label)}</li>`).join('') + '</ul>';
  out.push('<h2>Throughput</h2>');
  out.push(legend);
  const named = !xPositions(xKey.values).numeric;
  const [solid, dashed] = named ? ['filled', 'hollow'] : ['solid', 'dashed'];
  out.push(sweepChartSvg(`tps_final (${solid}) and tps_slots (${dashed}) against ${xKey.label}`, 'tx/s', xKey, cs.flatMap((c) => [
    { label: `tps_final, ${c.label}`, color: c.color, dashed: false, ys: c.points.map((p) => (p === null ? null : p.tps_final)) },
    { label: `tps_slots, ${c.label}`, color: c.color, dashed: true, ys: c.points.map((p) => (p === null ? null : p.tps_slots)) },
  ])));
  out.push('<h2>Finality latency</h2>');
  out.push(legend);
  // Classes no point finalized anything in (another family's, in a comparison) get no chart.
  for (const cls of classesOf(m).filter((c) => m.points.some((p) => (p.latency_final_ms[c]?.count ?? 0) > 0))) {
    out.push(sweepChartSvg(`latency_final_ms ${cls}: p50 (${solid}) and p99 (${dashed}) against ${xKey.label}`, 'ms', xKey, cs.flatMap((c) => [
      { label: `p50 ${cls}, ${c.label}`, color: c.color, dashed: false, ys: c.points.map((p) => (p === null ? null : latencyOf(p, cls, 'p50'))) },
      { label: `p99 ${cls}, ${c.label}`, color: c.color, dashed: true, ys: c.points.map((p) => (p === null ? null : latencyOf(p, cls, 'p99'))) },
    ])));
  }

  out.push('<h2>Results</h2>');
  const cols = figureColumns(m);
  // Short heads: "all p50" for latency_final_ms_all_p50 (the csv keeps the full names).
  const head = (h: string) => h.replace(/^latency_final_ms_(.*)_(p\d+)$/, '$1 $2');
  const th = ['k', ...m.keys.map((k) => k.label)].map((h) => `<th>${esc(h)}</th>`).join('') +
    [...cols.map((c) => head(c.head)), 'wall s'].map((h) => `<th class="n">${esc(h)}</th>`).join('') + '<th>report</th><th>digest</th>';
  const rows = m.points.map((p) => '<tr>' +
    [String(p.k), ...p.values.map(String)].map((v) => `<td>${esc(v)}</td>`).join('') +
    [...cols.map((c) => c.text(p)), fixed(p.wall.wall_s, 2)].map((v) => `<td class="n">${esc(v)}</td>`).join('') +
    `<td><a href="${esc(encodeURI(reportOf(p)))}">report</a></td><td><code>${esc(p.digest.slice(0, 12))}</code></td></tr>`);
  out.push(`<div class="wide"><table><thead><tr>${th}</tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`);
  out.push(`<p class="note">Latency in ms from submit to final commit; ${NO_VALUE} where no transaction of the class finalized. ` +
    'Wall figures (wall s) vary between machines and runs; every other figure is exact for the scenario and point. ' +
    'Each point\'s full report is linked from its row.</p>');
  out.push('</body></html>');
  return out.join('\n') + '\n';
}
