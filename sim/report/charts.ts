/**
 * The report's distribution charts: latency CDF per class, the per-table heatmap of blocks and
 * stalls, and per-role node bandwidth and CPU against the hardware. Like the line charts in
 * ./html.ts they are computed in Node with d3 scales and shapes and written as SVG strings: no
 * DOM, no scripts, no ids, the same bytes for the same summary.
 */
import {
  curveStepAfter,
  interpolateBlues,
  line,
  scaleLinear,
  scaleLog,
  scaleSequential,
  type ScaleLinear,
  type ScaleLogarithmic,
} from 'd3';
import { marksSvg, type TimeMarks } from './marks.js';
import { escapeHtml as esc } from './escape.js';
import { compareStrings, fixed, latencyClasses } from './table.js';
import type { NodeStats, TableTimeline } from '../metrics/types.js';

export const CHART_WIDTH = 760;
const MARGIN = { top: 28, right: 20, bottom: 40, left: 64 };

/** A value range spanning more than this many decades is drawn on a log scale. */
export const LOG_DECADES = 1.5;

/** Heatmap rows are at most this tall (a few tables), and all rows fit in about 360 px (many). */
const HEATMAP_ROW_MAX = 24;
const HEATMAP_ROWS_PX = 360;

export const CLASS_COLORS: Record<string, string> = {
  all: '#0969da',
  intra_table: '#1a7f37',
  cross_table: '#bf3989',
};
const STALL_COLOR = '#cf222e';
const IN_COLOR = '#0969da';
const OUT_COLOR = '#bc4c00';
const CPU_COLOR = '#8250df';

type Scale = ScaleLinear<number, number> | ScaleLogarithmic<number, number>;

const r1 = (v: number): string => fixed(v, 1);

function svgOpen(w: number, h: number, title: string, cls = 'chart'): string[] {
  return [
    `<svg class="${cls}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
  ];
}

function noData(parts: string[], x0: number, x1: number, y0: number, y1: number): string {
  parts.push(`<text class="empty" x="${(x0 + x1) / 2}" y="${(y0 + y1) / 2}" text-anchor="middle">no data</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A scale for positive-ish values over [x0, x1]: logarithmic from the smallest positive value when
 * the range spans more than LOG_DECADES decades, else linear from `linearFrom` (zero, or the
 * smallest value), niced. Values at or below a log scale's floor are clamped to it.
 */
export function valueScale(values: readonly number[], x0: number, x1: number, linearFrom: 'zero' | 'min' = 'zero'): Scale {
  let lo = Infinity;
  let loPos = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    if (v > 0) loPos = Math.min(loPos, v);
  }
  if (!Number.isFinite(hi)) return scaleLinear().domain([0, 1]).range([x0, x1]);
  if (Number.isFinite(loPos) && hi > 0 && Math.log10(hi / loPos) > LOG_DECADES) {
    return scaleLog().domain([loPos / 1.2, hi * 1.2]).range([x0, x1]).clamp(true);
  }
  const from = linearFrom === 'zero' ? Math.min(0, lo) : lo;
  const to = hi > from ? hi : from + 1;
  return scaleLinear().domain([from, to]).nice(6).range([x0, x1]);
}

export function isLog(s: Scale): boolean {
  return 'base' in s;
}

/**
 * Which ticks of a log axis get a label: the powers of ten first, then the 2s and 5s between them
 * where they leave room (about 6 px per character), so a narrow panel does not overlap labels.
 */
function logLabels(x: Scale, ticks: readonly number[], fmt: (v: number) => string): Map<number, string> {
  const lead = (v: number): number => Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
  const placed: { px: number; half: number }[] = [];
  const out = new Map<number, string>();
  const fits = (px: number, half: number): boolean => placed.every((p) => Math.abs(p.px - px) >= p.half + half + 6);
  for (const pass of [[1], [5], [2]]) {
    for (const v of ticks) {
      if (v <= 0 || !pass.includes(lead(v))) continue;
      const text = fmt(v);
      const px = x(v);
      const half = (text.length * 6.2) / 2;
      if (!fits(px, half)) continue;
      placed.push({ px, half });
      out.set(v, text);
    }
  }
  return out;
}

/** Tick marks and labels under a horizontal axis at y0 (a log axis labels the powers of ten and some between). */
function xAxis(parts: string[], x: Scale, y0: number, y1: number, count: number, label: string, grid = true): void {
  const [a, b] = x.range() as [number, number];
  const ticks = x.ticks(count);
  const labels = isLog(x)
    ? logLabels(x, ticks, (x as ScaleLogarithmic<number, number>).tickFormat(Infinity, '~g'))
    : new Map(ticks.map((v) => [v, x.tickFormat(count)(v)]));
  for (const v of ticks) {
    const px = r1(x(v));
    const text = labels.get(v) ?? '';
    if (grid) parts.push(`<line class="grid" x1="${px}" x2="${px}" y1="${y1}" y2="${y0}"/>`);
    if (text !== '') {
      parts.push(`<line class="axis" x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + 5}"/>`);
      parts.push(`<text class="tick" x="${px}" y="${y0 + 17}" text-anchor="middle">${esc(text)}</text>`);
    }
  }
  parts.push(`<line class="axis" x1="${r1(a)}" x2="${r1(b)}" y1="${y0}" y2="${y0}"/>`);
  parts.push(
    `<text class="alabel" x="${r1((a + b) / 2)}" y="${y0 + 34}" text-anchor="middle">${esc(label + (isLog(x) ? ' (log scale)' : ''))}</text>`,
  );
}

/** A 0..1 fraction axis on the left at x0. */
function fractionAxis(parts: string[], y: ScaleLinear<number, number>, x0: number, x1: number, label: string): void {
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    const py = r1(y(v));
    parts.push(`<line class="grid" x1="${r1(x0)}" x2="${r1(x1)}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick" x="${r1(x0 - 6)}" y="${py}" dy="0.32em" text-anchor="end">${v}</text>`);
  }
  const [y0, y1] = y.range() as [number, number];
  parts.push(`<line class="axis" x1="${r1(x0)}" x2="${r1(x0)}" y1="${r1(y1)}" y2="${r1(y0)}"/>`);
  parts.push(
    `<text class="alabel" transform="translate(${r1(x0 - 46)} ${r1((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`,
  );
}

/** Legend entries right-aligned at the top, from right to left. */
function legend(parts: string[], right: number, items: { label: string; color: string }[]): void {
  let lx = right;
  for (const it of [...items].reverse()) {
    lx -= 24 + it.label.length * 7;
    parts.push(
      `<rect x="${r1(lx)}" y="8" width="12" height="3" fill="${esc(it.color)}"/>` +
        `<text class="legend" x="${r1(lx + 16)}" y="14">${esc(it.label)}</text>`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Latency CDF

/**
 * Finality latency CDF, one curve per class with data: x = latency (ms), y = fraction of
 * transactions finalized within it, from the 101 quantiles of `latency_cdf_ms`. A class with no
 * transaction (null, or an empty list in summaries before schema 4) has no curve and no legend
 * entry: it is skipped, never drawn as a line at 0 ms.
 */
export function latencyCdfSvg(cdf: Record<string, readonly number[] | null>): string {
  const w = CHART_WIDTH;
  const h = 280;
  const x0 = MARGIN.left;
  const x1 = w - MARGIN.right;
  const y0 = h - 48;
  const y1 = MARGIN.top;
  const title = 'Finality latency CDF per class';
  const parts = svgOpen(w, h, title);
  parts.push(`<text class="ctitle" x="${x0}" y="16">${esc(title)}</text>`);
  const classes = latencyClasses(cdf).filter((c) => (cdf[c]?.length ?? 0) > 0);
  const quantiles = (c: string): readonly number[] => cdf[c] ?? [];
  if (classes.length === 0) return noData(parts, x0, x1, y0, y1);

  const x = valueScale(classes.flatMap(quantiles), x0, x1, 'min');
  const y = scaleLinear().domain([0, 1]).range([y0, y1]);
  fractionAxis(parts, y, x0, x1, 'fraction finalized');
  xAxis(parts, x, y0, y1, 8, 'finality latency (ms)');
  for (const [p, label] of [[0.5, 'p50'], [0.99, 'p99']] as const) {
    const py = r1(y(p));
    parts.push(`<line class="guide" x1="${x0}" x2="${x1}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick" x="${x1 - 2}" y="${py}" dy="-0.3em" text-anchor="end">${label}</text>`);
  }
  // "all" is drawn first, wide and pale, so a class curve on top of it stays visible.
  for (const c of classes) {
    const q = quantiles(c);
    const n = q.length - 1;
    const path = line<number>()
      .x((v) => x(v))
      .y((_, i) => y(n > 0 ? i / n : 1))
      .digits(1)(q as number[]);
    const color = CLASS_COLORS[c] ?? '#57606a';
    const under = c === 'all' && classes.length > 1 ? ' style="stroke-width:4;stroke-opacity:0.35"' : '';
    parts.push(
      `<path class="series" data-class="${esc(c)}"${under} d="${esc(path ?? '')}" stroke="${esc(color)}"><title>${esc(c)}: p50 ${esc(fixed(q[Math.round(n / 2)] ?? 0, 1))} ms, p99 ${esc(fixed(q[Math.round((n * 99) / 100)] ?? 0, 1))} ms</title></path>`,
    );
  }
  legend(parts, x1, classes.map((c) => ({ label: c, color: CLASS_COLORS[c] ?? '#57606a' })));
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Per-table heatmap

export interface HeatmapLayout {
  width: number;
  height: number;
  x0: number;
  y0: number;
  cellW: number;
  rowH: number;
}

/** Where the heatmap puts bucket b of table t: x = x0 + b * cellW, y = y0 + t * rowH. */
export function heatmapLayout(tables: number, buckets: number): HeatmapLayout {
  const rowH = Math.min(HEATMAP_ROW_MAX, Math.max(1, HEATMAP_ROWS_PX / Math.max(1, tables)));
  const x0 = MARGIN.left;
  const x1 = CHART_WIDTH - MARGIN.right;
  const y0 = 48;
  return { width: CHART_WIDTH, height: y0 + tables * rowH + 44, x0, y0, cellW: (x1 - x0) / Math.max(1, buckets), rowH };
}

/**
 * Rows = tables, columns = time buckets; a cell's blue is the blocks first committed in it, and a
 * cell (partly) inside a stall is red, the deeper the larger the stalled share. Runs of equal
 * cells in a row are drawn as one rectangle, so 1,024 tables stay a reasonable file.
 */
export function tableHeatmapSvg(tl: TableTimeline | undefined, warmup_s: number, marks?: TimeMarks): string {
  const tables = tl?.blocks.length ?? 0;
  const buckets = tl?.blocks[0]?.length ?? 0;
  const L = heatmapLayout(tables, buckets);
  const title = `Blocks per table and ${tl ? tl.bucket_s : 1} s bucket, stalls in red`;
  const parts = svgOpen(L.width, tables > 0 && buckets > 0 ? L.height : 240, title, 'chart heatmap');
  parts.push(`<text class="ctitle" x="${L.x0}" y="16">${esc(title)}</text>`);
  if (!tl || tables === 0 || buckets === 0) return noData(parts, L.x0, L.width - MARGIN.right, 200, 28);

  let most = 0;
  for (const row of tl.blocks) for (const v of row) most = Math.max(most, v);
  const color = scaleSequential(interpolateBlues).domain([0, Math.max(1, most)]);
  const yEnd = L.y0 + tables * L.rowH;
  const xEnd = L.x0 + buckets * L.cellW;

  // Legend: a stepped blue ramp and the stall swatch.
  const steps = 8;
  const lx = L.width - MARGIN.right - 8 * 14 - 150;
  parts.push(`<text class="legend" x="${r1(lx - 6)}" y="34" text-anchor="end">0</text>`);
  for (let i = 0; i < steps; i++) {
    parts.push(`<rect x="${r1(lx + i * 14)}" y="24" width="14" height="12" fill="${esc(color((most * i) / (steps - 1)))}"/>`);
  }
  parts.push(`<text class="legend" x="${r1(lx + steps * 14 + 4)}" y="34">${esc(String(most))} block${most === 1 ? '' : 's'}</text>`);
  parts.push(`<rect x="${r1(L.width - MARGIN.right - 78)}" y="24" width="12" height="12" fill="${STALL_COLOR}"/>`);
  parts.push(`<text class="legend" x="${r1(L.width - MARGIN.right - 62)}" y="34">stall</text>`);

  parts.push(`<g shape-rendering="crispEdges">`);
  parts.push(`<rect x="${r1(L.x0)}" y="${r1(L.y0)}" width="${r1(xEnd - L.x0)}" height="${r1(yEnd - L.y0)}" fill="${esc(color(0))}"/>`);
  const rh = fixed(L.rowH, 2);
  for (let t = 0; t < tables; t++) {
    const blocks = tl.blocks[t] ?? [];
    const stalled = tl.stalled[t] ?? [];
    const y = fixed(L.y0 + t * L.rowH, 2);
    const cells: string[] = [];
    const key = (b: number): string => {
      const s = stalled[b] ?? 0;
      return s > 0 ? `s${fixed(0.35 + 0.65 * s, 2)}` : `b${blocks[b] ?? 0}`;
    };
    for (let b = 0; b < buckets; ) {
      const k = key(b);
      let e = b + 1;
      while (e < buckets && key(e) === k) e++;
      const x = fixed(L.x0 + b * L.cellW, 2);
      const cw = fixed((e - b) * L.cellW, 2);
      if (k.startsWith('s')) {
        cells.push(
          `<rect class="stall" data-table="${t}" data-bucket="${b}" data-buckets="${e - b}" x="${x}" y="${y}" width="${cw}" height="${rh}" fill="${STALL_COLOR}" fill-opacity="${k.slice(1)}"/>`,
        );
      } else if (k !== 'b0') {
        cells.push(`<rect x="${x}" y="${y}" width="${cw}" height="${rh}" fill="${esc(color(blocks[b] ?? 0))}"/>`);
      }
      b = e;
    }
    if (cells.length > 0) parts.push(`<g><title>table ${t}</title>${cells.join('')}</g>`);
  }
  parts.push('</g>');

  // Axes: time below, table numbers on the left (every table when few, else a few ticks).
  const x = scaleLinear().domain([0, buckets * tl.bucket_s]).range([L.x0, xEnd]);
  xAxis(parts, x, yEnd, L.y0, 8, 'simulated time (s)', false);
  if (marks !== undefined) {
    // Only the outlines of the fault windows, so the cells stay readable, and the rules on top.
    const m = marksSvg({ ...marks }, (t) => x(t), yEnd, L.y0, 0, buckets * tl.bucket_s);
    parts.push(...m.under.map((r) => r.replace(/ fill="[^"]*"/, ' fill="none"')), ...m.over);
  }
  if (warmup_s > 0 && warmup_s < buckets * tl.bucket_s) {
    const wx = r1(x(warmup_s));
    parts.push(`<line class="wline" x1="${wx}" x2="${wx}" y1="${L.y0 - 4}" y2="${r1(yEnd)}"><title>end of warm-up</title></line>`);
  }
  const rows = tables <= 24 ? Array.from({ length: tables }, (_, t) => t) : scaleLinear().domain([0, tables - 1]).ticks(8);
  for (const t of rows) {
    parts.push(`<text class="tick" x="${L.x0 - 6}" y="${r1(L.y0 + (t + 0.5) * L.rowH)}" dy="0.32em" text-anchor="end">${t}</text>`);
  }
  parts.push(
    `<text class="alabel" transform="translate(14 ${r1((L.y0 + yEnd) / 2)}) rotate(-90)" text-anchor="middle">table</text>`,
  );
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Node distributions

/** Roles in the order the report shows them; others follow by name. */
const ROLE_ORDER = ['validator', 'auditor', 'edge', 'beacon', 'archive'];

export function rolesInOrder(nodes: readonly NodeStats[]): string[] {
  const present = [...new Set(nodes.map((n) => n.role))];
  return [
    ...ROLE_ORDER.filter((r) => present.includes(r)),
    ...present.filter((r) => !ROLE_ORDER.includes(r)).sort(compareStrings),
  ];
}

/** Mean megabits per second over the run. */
export function mbps(bytes: number, sim_s: number): number {
  return sim_s > 0 ? (bytes * 8) / sim_s / 1e6 : 0;
}

interface Curve {
  label: string;
  color: string;
  values: number[];
}

interface Rule {
  at: number;
  label: string;
  color: string;
}

/** Sorted values as an empirical CDF: a step up by 1/n at each value. */
function ecdfPath(values: readonly number[], x: Scale, y: ScaleLinear<number, number>): string {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return '';
  const pts: [number, number][] = [[s[0] ?? 0, 0], ...s.map((v, i): [number, number] => [v, (i + 1) / n])];
  return (
    line<[number, number]>()
      .curve(curveStepAfter)
      .x((p) => x(p[0]))
      .y((p) => y(p[1]))
      .digits(1)(pts) ?? ''
  );
}

/** One panel: the curves' empirical CDFs over a shared value axis, with vertical rules. */
function ecdfPanel(
  parts: string[],
  box: { x0: number; x1: number; y0: number; y1: number },
  heading: string,
  unit: string,
  curves: Curve[],
  rules: Rule[],
): void {
  const { x0, x1, y0, y1 } = box;
  parts.push(`<text class="ptitle" x="${x0}" y="${y1 - 8}">${esc(heading)}</text>`);
  const x = valueScale([...curves.flatMap((c) => c.values), ...rules.map((r) => r.at)], x0, x1);
  const y = scaleLinear().domain([0, 1]).range([y0, y1]);
  fractionAxis(parts, y, x0, x1, 'fraction of nodes');
  xAxis(parts, x, y0, y1, 5, unit);
  rules.forEach((r, i) => {
    const px = r1(x(r.at));
    parts.push(
      `<line class="cap" data-cap="${esc(String(r.at))}" x1="${px}" x2="${px}" y1="${y1}" y2="${y0}" stroke="${esc(r.color)}"><title>${esc(r.label)}</title></line>`,
    );
    parts.push(
      `<text class="caplabel" x="${px}" y="${y1 + 12 + 12 * i}" dx="-4" text-anchor="end" fill="${esc(r.color)}">${esc(r.label)}</text>`,
    );
  });
  for (const c of curves) {
    parts.push(
      `<path class="series" data-curve="${esc(c.label)}" d="${esc(ecdfPath(c.values, x, y))}" stroke="${esc(c.color)}"><title>${esc(c.label)}</title></path>`,
    );
  }
}

/** Rules for the distinct capacities among the nodes (normally one per role). */
function capacityRules(values: readonly number[], name: string, color: string): Rule[] {
  return [...new Set(values)].sort((a, b) => a - b).map((v) => ({ at: v, label: `${name} ${fixed(v, v < 10 ? 2 : 0)}`, color }));
}

/**
 * For one role: per node mean inbound and outbound Mb/s as CDFs with rules at the nodes'
 * download and upload capacity, and CPU busy fraction as a CDF with a rule at 1.0 (all cores busy).
 */
export function roleDistributionSvg(role: string, nodes: readonly NodeStats[], sim_s: number): string {
  const w = CHART_WIDTH;
  const h = 250;
  const title = `${role} (${nodes.length} node${nodes.length === 1 ? '' : 's'}) against its hardware`;
  const parts = svgOpen(w, h, title);
  parts.push(`<text class="ctitle" x="${MARGIN.left}" y="16">${esc(title)}</text>`);
  const top = 48;
  const bottom = h - 48;
  const inMb = nodes.map((n) => mbps(n.bytes_in, sim_s));
  const outMb = nodes.map((n) => mbps(n.bytes_out, sim_s));
  const down = nodes.map((n) => n.download_bps / 1e6).filter((v) => Number.isFinite(v) && v > 0);
  const up = nodes.map((n) => n.upload_bps / 1e6).filter((v) => Number.isFinite(v) && v > 0);
  const same = down.length === up.length && down.every((v, i) => v === up[i]);
  const netRules = same
    ? capacityRules(down, 'up/down Mb/s', '#57606a')
    : [...capacityRules(down, 'down Mb/s', IN_COLOR), ...capacityRules(up, 'up Mb/s', OUT_COLOR)];
  ecdfPanel(
    parts,
    { x0: MARGIN.left, x1: 440, y0: bottom, y1: top },
    'network, mean over the run',
    'Mb/s',
    [
      { label: 'inbound', color: IN_COLOR, values: inMb },
      { label: 'outbound', color: OUT_COLOR, values: outMb },
    ],
    netRules,
  );
  ecdfPanel(
    parts,
    { x0: 530, x1: w - MARGIN.right, y0: bottom, y1: top },
    'CPU busy (all cores)',
    'busy fraction',
    [{ label: 'cpu busy', color: CPU_COLOR, values: nodes.map((n) => n.cpu_busy_fraction) }],
    [{ at: 1, label: 'all cores', color: '#57606a' }],
  );
  legend(parts, w - MARGIN.right, [
    { label: 'inbound', color: IN_COLOR },
    { label: 'outbound', color: OUT_COLOR },
    { label: 'cpu busy', color: CPU_COLOR },
  ]);
  parts.push('</svg>');
  return parts.join('');
}

/** One distribution chart per role, in ROLE_ORDER. */
export function nodeDistributionsSvg(nodes: readonly NodeStats[], sim_s: number): string[] {
  return rolesInOrder(nodes).map((role) => roleDistributionSvg(role, nodes.filter((n) => n.role === role), sim_s));
}

/** Chart CSS the report page adds to its own. */
export const CHARTS_CSS = `
svg .guide{stroke:#8c959f;stroke-dasharray:3 3}
svg .cap{stroke-width:1.5;stroke-dasharray:5 3}
svg .caplabel{font-size:10px}
svg .ptitle{font-size:12px;font-weight:600;fill:#1b1f24}
svg .wline{stroke:#1b1f24;stroke-dasharray:4 3}
`;
