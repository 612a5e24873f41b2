/**
 * report.html: one self-contained file (inline CSS, charts as inline SVG, no scripts, no
 * network). Charts are computed in Node with d3-scale and d3-shape and written out as SVG
 * markup by hand: d3-selection needs a DOM, and `sim/` must not depend on one.
 *
 * The distribution charts (latency CDF, table heatmap, node bandwidth and CPU) are in ./charts.ts.
 *
 * Every string that comes from the run (scenario name, node ids, violation messages, message
 * kinds) goes through `escapeHtml`. The output is deterministic: no dates, no random ids.
 */
import { line, max as d3max, min as d3min, scaleLinear, type ScaleLinear } from 'd3';
import {
  compactCount,
  fixed,
  formatTimeUs,
  grouped,
  latencyClasses,
  latencyText,
  megabytes,
  NO_VALUE,
  messageKinds,
  percent,
  roleSummaries,
} from './table.js';
import { blockKindKeys, type Summary, type TableStats, type TimeseriesRow } from '../metrics/types.js';
import { bindingName } from '../metrics/limits.js';
import { CHARTS_CSS, latencyCdfSvg, mbps, nodeDistributionsSvg, rolesInOrder, tableHeatmapSvg } from './charts.js';
import { escapeHtml } from './escape.js';
import { csvText } from './csv.js';
import { familyOf } from './table.js';
import type { ReportSection } from '../contract/module.js';
import { faultsTableHtml, marksSvg, timeMarks, type TimeMarks } from './marks.js';

export { escapeHtml };

/** Node rows in the HTML table; the rest are in summary.json. */
export const HTML_NODES_MAX = 200;
/** Violation rows in the HTML table; the rest are in summary.json. */
export const HTML_VIOLATIONS_MAX = 1000;

const CHART_WIDTH = 760;
const CHART_HEIGHT = 240;
const MARGIN = { top: 28, right: 20, bottom: 40, left: 64 };

const esc = escapeHtml;

/** Under a latency table with an empty class. */
const NO_VALUE_NOTE = `${NO_VALUE}: no transaction of the class finalized in the measurement window, so it has no latency.`;

// ---------------------------------------------------------------------------------------------
// Charts

interface Series {
  label: string;
  color: string;
  value: (r: TimeseriesRow) => number | null;
  /** Rows where the series has no value (drawn as a gap). Null and non-finite values are always gaps. */
  missing?: (r: TimeseriesRow) => boolean;
  /** SVG stroke-dasharray, so a series that often equals another stays visible beside it. */
  dash?: string;
}

interface ChartSpec {
  title: string;
  y_label: string;
  series: Series[];
  /** Shade [first t, warmup_s] so readers do not read the warm-up ramp as a result. */
  warmup_s: number;
  /** Fault windows, the fault phase's end, the liveness bound and violations (./marks.ts). */
  marks?: TimeMarks;
}

function tickLabel(scale: ScaleLinear<number, number>, count: number): (v: number) => string {
  const f = scale.tickFormat(count);
  return (v) => f(v);
}

/** One line chart as an SVG string. Rows are in time order (one per simulated second). */
export function lineChartSvg(rows: readonly TimeseriesRow[], spec: ChartSpec): string {
  const w = CHART_WIDTH;
  const h = CHART_HEIGHT;
  const x0 = MARGIN.left;
  const x1 = w - MARGIN.right;
  const y0 = h - MARGIN.bottom;
  // Several series: their legend gets a line of its own under the title.
  const legendY = 30;
  const y1 = MARGIN.top + (spec.series.length > 1 ? 14 : 0);
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(spec.title)}">`,
  );
  parts.push(`<title>${esc(spec.title)}</title>`);
  parts.push(`<text class="ctitle" x="${x0}" y="16">${esc(spec.title)}</text>`);

  const isPresent = (s: Series, r: TimeseriesRow): boolean => {
    const v = s.value(r);
    return v !== null && Number.isFinite(v) && !(s.missing?.(r) ?? false);
  };
  /** The value of a row where isPresent holds. */
  const at = (s: Series, r: TimeseriesRow): number => s.value(r) as number;
  const values: number[] = [];
  for (const s of spec.series) for (const r of rows) if (isPresent(s, r)) values.push(at(s, r));

  if (rows.length === 0 || values.length === 0) {
    parts.push(`<text class="empty" x="${(x0 + x1) / 2}" y="${(y0 + y1) / 2}" text-anchor="middle">no data</text>`);
    parts.push('</svg>');
    return parts.join('');
  }

  const tMin = d3min(rows, (r) => r.t_s) ?? 0;
  let tMax = d3max(rows, (r) => r.t_s) ?? 1;
  if (tMax <= tMin) tMax = tMin + 1;
  const x = scaleLinear().domain([tMin, tMax]).range([x0, x1]);
  let vMax = d3max(values) ?? 1;
  const vMin = Math.min(0, d3min(values) ?? 0);
  if (vMax <= vMin) vMax = vMin + 1;
  const y = scaleLinear().domain([vMin, vMax]).nice(5).range([y0, y1]);
  const r1 = (v: number): string => fixed(v, 1);

  // Warm-up band.
  if (spec.warmup_s > tMin) {
    const wx = x(Math.min(spec.warmup_s, tMax));
    parts.push(
      `<rect class="warmup" x="${r1(x0)}" y="${r1(y1)}" width="${r1(wx - x0)}" height="${r1(y0 - y1)}"><title>warm-up (excluded from tps and latency)</title></rect>`,
    );
    parts.push(`<text class="wlabel" x="${r1(x0 + 4)}" y="${r1(y0 - 6)}">warm-up</text>`);
  }
  const marks = spec.marks === undefined ? { under: [], over: [] } : marksSvg(spec.marks, (t) => x(t), y0, y1, tMin, tMax);
  parts.push(...marks.under);

  // Axes: ticks from scale.ticks(), written as plain SVG.
  const yLabel = tickLabel(y, 5);
  for (const v of y.ticks(5)) {
    const py = r1(y(v));
    parts.push(`<line class="grid" x1="${x0}" x2="${x1}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick" x="${x0 - 6}" y="${py}" dy="0.32em" text-anchor="end">${esc(yLabel(v))}</text>`);
  }
  const xLabel = tickLabel(x, 8);
  for (const v of x.ticks(8)) {
    const px = r1(x(v));
    parts.push(`<line class="axis" x1="${px}" x2="${px}" y1="${y0}" y2="${y0 + 5}"/>`);
    parts.push(`<text class="tick" x="${px}" y="${y0 + 18}" text-anchor="middle">${esc(xLabel(v))}</text>`);
  }
  parts.push(`<line class="axis" x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}"/>`);
  parts.push(`<line class="axis" x1="${x0}" x2="${x0}" y1="${y1}" y2="${y0}"/>`);
  parts.push(`<text class="alabel" x="${(x0 + x1) / 2}" y="${h - 4}" text-anchor="middle">simulated time (s)</text>`);
  parts.push(
    `<text class="alabel" transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.y_label)}</text>`,
  );

  // Series.
  let legendX = x1;
  const legend: string[] = [];
  for (const s of [...spec.series].reverse()) {
    const width = 24 + s.label.length * 7;
    legendX -= width;
    legend.push(
      `<rect x="${r1(legendX)}" y="${legendY - 6}" width="12" height="3" fill="${esc(s.color)}"/>` +
        `<text class="legend" x="${r1(legendX + 16)}" y="${legendY}">${esc(s.label)}</text>`,
    );
  }
  for (const s of spec.series) {
    const path = line<TimeseriesRow>()
      .defined((r) => isPresent(s, r))
      .x((r) => x(r.t_s))
      .y((r) => y(at(s, r)))
      .digits(1)(rows as TimeseriesRow[]);
    if (path) {
      const dash = s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : '';
      parts.push(`<path class="series" d="${esc(path)}" stroke="${esc(s.color)}"${dash}><title>${esc(s.label)}</title></path>`);
    }
    // A lone point (no neighbour to draw a segment to) would be invisible as a path.
    rows.forEach((r, i) => {
      if (!isPresent(s, r)) return;
      const prev = rows[i - 1];
      const next = rows[i + 1];
      const alone = !(prev && isPresent(s, prev)) && !(next && isPresent(s, next));
      if (alone) {
        parts.push(`<circle cx="${r1(x(r.t_s))}" cy="${r1(y(at(s, r)))}" r="2.5" fill="${esc(s.color)}"/>`);
      }
    });
  }
  parts.push(...marks.over);
  if (spec.series.length > 1) parts.push(...legend);
  parts.push('</svg>');
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Tables

type Cell = { text: string; num?: boolean };

function num(text: string): Cell {
  return { text, num: true };
}

function htmlTable(head: Cell[], rows: Cell[][], caption?: string): string {
  const th = head.map((c) => `<th${c.num ? ' class="n"' : ''}>${esc(c.text)}</th>`).join('');
  const body = rows
    .map((r) => '<tr>' + r.map((c) => `<td${c.num ? ' class="n"' : ''}>${esc(c.text)}</td>`).join('') + '</tr>')
    .join('\n');
  return (
    '<table>' +
    (caption ? `<caption>${esc(caption)}</caption>` : '') +
    `<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`
  );
}

/** A horizontal bar chart of labelled values (a family's section). */
function barChartSvg(title: string, unit: string, bars: readonly [string, number][]): string {
  const rowH = 18;
  const left = 90;
  const width = 640;
  const top = 26;
  const h = top + bars.length * rowH + 24;
  const hi = Math.max(1e-9, ...bars.map(([, v]) => v));
  const x = scaleLinear().domain([0, hi]).range([left, width - 60]).nice();
  const ticks = bars.every(([, v]) => Number.isInteger(v)) ? x.ticks(Math.min(5, Math.ceil(hi))).filter(Number.isInteger) : x.ticks(5);
  const parts = [
    `<svg class="chart" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img" aria-label="${esc(title)}">`,
    `<text class="ctitle" x="${left}" y="16">${esc(title)}</text>`,
    ...ticks.map((t) => `<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${h - 20}"/><text class="tick" x="${x(t)}" y="${h - 6}" text-anchor="middle">${esc(tickText(t))}</text>`),
    ...bars.map(([label, v], i) => {
      const y = top + i * rowH;
      return `<text class="tick" x="${left - 6}" y="${y + 12}" text-anchor="end">${esc(label)}</text>` +
        `<rect x="${left}" y="${y + 2}" width="${Math.max(0, x(v) - left)}" height="${rowH - 5}" fill="#4c78a8"><title>${esc(`${label}: ${tickText(v)} ${unit}`)}</title></rect>` +
        `<text class="tick" x="${x(v) + 4}" y="${y + 12}">${esc(tickText(v))}</text>`;
    }),
    `<text class="alabel" x="${width - 4}" y="${h - 6}" text-anchor="end">${esc(unit)}</text>`,
    '</svg>',
  ];
  return parts.join('');
}

/** Marks of height `value` along positions 1..length (a family's section). */
function stripSvg(t: NonNullable<ReportSection['strips']>[number]): string {
  const width = 760;
  const left = 40;
  const right = 20;
  const top = 42;
  const plotH = 60;
  const h = top + plotH + 40;
  const x = scaleLinear().domain([1, Math.max(2, t.length)]).range([left, width - right]);
  const hi = Math.max(1, ...t.marks.map(([, v]) => v));
  const y = scaleLinear().domain([0, hi]).range([top + plotH, top]);
  const yTicks = y.ticks(Math.min(3, hi)).filter(Number.isInteger);
  const base = top + plotH;
  return [
    `<svg class="chart" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img" aria-label="${esc(t.title)}">`,
    `<text class="ctitle" x="${left}" y="16">${esc(t.title)}</text>`,
    ...yTicks.map((v) => `<line class="grid" x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}"/><text class="tick" x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`),
    `<line class="axis" x1="${left}" x2="${width - right}" y1="${base}" y2="${base}"/>`,
    ...x.ticks(8).filter(Number.isInteger).map((p) => `<text class="tick" x="${x(p)}" y="${base + 14}" text-anchor="middle">${grouped(p)}</text>`),
    ...t.marks.map(([p, v]) => `<rect x="${x(p) - 1.5}" y="${y(v)}" width="3" height="${base - y(v)}" fill="#cf222e"><title>${esc(`${t.axis} ${p}: ${v} ${t.unit}`)}</title></rect>`),
    `<text class="alabel" x="${width - right}" y="${h - 6}" text-anchor="end">${esc(t.axis)}</text>`,
    `<text class="alabel" x="4" y="${top - 10}">${esc(t.unit)}</text>`,
    '</svg>',
  ].join('');
}

function tickText(v: number): string {
  return Number.isInteger(v) ? grouped(v) : fixed(v, Math.abs(v) >= 10 ? 1 : 2);
}

// ---------------------------------------------------------------------------------------------
// Figures: each with its SVG and its data to download, as data URIs (no script, no files beside)

/** The CSS an SVG needs on its own (the page's `svg ...` rules). */
function svgCss(): string {
  return (CSS + CHARTS_CSS).split('\n').filter((l) => l.startsWith('svg')).join('');
}

/** An SVG of the report as a file of its own: with its namespace and its styles. */
export function standaloneSvg(svg: string): string {
  return svg.replace(/^<svg /, '<svg xmlns="http://www.w3.org/2000/svg" ').replace(/^(<svg[^>]*>)/, `$1<style>${svgCss()}</style>`);
}

function dataUri(mime: string, text: string): string {
  return `data:${mime};charset=utf-8,${encodeURIComponent(text)}`;
}

/** A figure and the links that download it as SVG and its data as CSV. */
function figure(name: string, svg: string, csv?: string): string {
  return svg + `<p class="dl">Download <a download="${esc(name)}.svg" href="${dataUri('image/svg+xml', standaloneSvg(svg))}">SVG</a>` +
    (csv === undefined ? '' : ` · <a download="${esc(name)}.csv" href="${dataUri('text/csv', csv)}">data (CSV)</a>`) + '</p>';
}

function rowsCsv(rows: readonly TimeseriesRow[], keys: readonly (keyof TimeseriesRow)[]): string {
  return csvText(['t_s', ...keys], rows.map((r) => [r.t_s, ...keys.map((k) => r[k])]));
}

/** Bucket widths the throughput chart may use (s). */
const BUCKETS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300];

/**
 * The throughput chart's bucket: the narrowest that holds about four block commits on average
 * after the warm-up, so a steady rate reads as steady instead of jumping between 0 and a block.
 */
export function throughputBucket(s: Summary, rows: readonly TimeseriesRow[]): number {
  const measured = rows.filter((r) => r.t_s > s.warmup_s);
  const blocks = measured.reduce((n, r) => n + r.blocks_committed, 0);
  if (blocks === 0 || measured.length === 0) return 1;
  const rate = blocks / measured.length;
  return BUCKETS_S.find((w) => rate * w >= 4) ?? BUCKETS_S[BUCKETS_S.length - 1];
}

/**
 * Rows of `w`-second buckets: rates as the bucket's mean per second, heights as its highest, at
 * the bucket's middle; a last bucket shorter than `w` is averaged over its own seconds.
 */
export function rebin(rows: readonly TimeseriesRow[], w: number): TimeseriesRow[] {
  const out: TimeseriesRow[] = [];
  let i = 0;
  while (i < rows.length) {
    const start = Math.floor(rows[i].t_s / w) * w;
    let j = i;
    while (j < rows.length && Math.floor(rows[j].t_s / w) * w === start) j++;
    const part = rows.slice(i, j);
    const mean = (f: (r: TimeseriesRow) => number) => part.reduce((n, r) => n + f(r), 0) / part.length;
    out.push({
      t_s: start + w / 2,
      tx_submitted: mean((r) => r.tx_submitted),
      tx_final: mean((r) => r.tx_final),
      blocks_committed: mean((r) => r.blocks_committed),
      height_max: Math.max(...part.map((r) => r.height_max)),
      view_max: Math.max(...part.map((r) => r.view_max)),
      latency_final_ms_p50: null,
      bytes_total: mean((r) => r.bytes_total),
      legs_committed: mean((r) => r.legs_committed),
    });
    i = j;
  }
  return out;
}

/** A family's section of the report (ProtocolModule.reportSections). */
function familySection(sec: ReportSection): string {
  const out = [`<h2>${esc(sec.title)}</h2>`];
  if (sec.note !== undefined) out.push(`<p class="note">${esc(sec.note)}</p>`);
  if (sec.figures !== undefined && sec.figures.length > 0) out.push(metricGrid(sec.figures));
  for (const t of sec.tables ?? []) {
    const isNum = t.head.map((_, j) => t.rows.length > 0 && t.rows.every((r) => typeof r[j] === 'number'));
    out.push(htmlTable(
      t.head.map((text, j) => (isNum[j] ? num(text) : { text })),
      t.rows.map((r) => r.map((c, j) => (isNum[j] ? num(tickText(c as number)) : { text: String(c) }))),
      t.caption,
    ));
  }
  const slug = (t: string) => t.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  for (const t of sec.strips ?? []) out.push(figure(slug(t.title), stripSvg(t), csvText([t.axis, t.unit], t.marks)));
  for (const b of sec.bars ?? []) out.push(figure(slug(b.title), barChartSvg(b.title, b.unit, b.bars), csvText(['label', b.unit], b.bars)));
  return out.join('\n');
}

function metricGrid(items: [string, string][]): string {
  return (
    '<dl class="metrics">' +
    items.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('') +
    '</dl>'
  );
}

const CSS = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#fff}
body{max-width:1100px;margin:24px auto;padding:0 16px;line-height:1.4}
h1{font-size:1.4rem;margin:0 0 4px}
h2{font-size:1.1rem;margin:28px 0 8px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.sub{color:#57606a;margin:0}
.digest{word-break:break-all}
dl.metrics{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px;margin:0}
dl.metrics div{border:1px solid #d8dee4;border-radius:6px;padding:6px 10px}
dt{color:#57606a;font-size:.8rem}
dd{margin:0;font-size:1.1rem;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;font-size:.9rem;margin:4px 0}
caption{text-align:left;color:#57606a;font-size:.85rem;padding-bottom:4px}
th,td{padding:3px 10px;border-bottom:1px solid #eaeef2;text-align:left}
th{background:#f6f8fa}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37}
.bad{color:#cf222e;font-weight:600}
.note{color:#57606a;font-size:.85rem}
.dl{font-size:.8rem;color:#57606a;margin:-10px 0 16px}
svg .flabel{font-size:10px}
svg.chart{display:block;max-width:100%;height:auto;margin:8px 0 16px}
svg .grid{stroke:#eaeef2}
svg .axis{stroke:#57606a}
svg .tick,svg .legend,svg .wlabel{font-size:11px;fill:#57606a}
svg .alabel{font-size:12px;fill:#1b1f24}
svg .ctitle{font-size:13px;font-weight:600;fill:#1b1f24}
svg .empty{font-size:13px;fill:#57606a}
svg .series{fill:none;stroke-width:1.6}
svg .warmup{fill:#f6f8fa}
`;

/** The whole report page. */
export function reportHtml(s: Summary, rows: readonly TimeseriesRow[]): string {
  const sortedRows = [...rows].sort((a, b) => a.t_s - b.t_s);
  const out: string[] = [];
  out.push('<!doctype html>');
  out.push('<html lang="en"><head><meta charset="utf-8">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>topsim: ${esc(s.scenario)} seed ${esc(String(s.seed))}</title>`);
  out.push(`<style>${CSS}${CHARTS_CSS}</style></head><body>`);

  // Header.
  out.push(`<h1>${esc(s.scenario)} <span class="sub">seed ${esc(String(s.seed))}</span></h1>`);
  out.push(
    `<p class="sub">topsim ${esc(s.simulator_version)} · summary schema ${esc(String(s.schema_version))} · crypto ${esc(s.crypto)} · bulk data as ${esc(s.fidelity)}s</p>`,
  );
  out.push(`<p class="sub">digest <code class="digest">${esc(s.digest)}</code></p>`);

  // The scenario: what it is, and what happens to it.
  out.push('<h2>Scenario</h2>');
  const description = (s.scenario_file as { description?: unknown }).description;
  if (typeof description === 'string' && description !== '') out.push(`<p>${esc(description)}</p>`);
  out.push(faultsTableHtml(s));

  // Key metrics (simulated, exact).
  out.push('<h2>Key metrics (simulated, exact)</h2>');
  const all = s.latency_final_ms['all'];
  out.push(
    metricGrid([
      ['throughput, final (tx/s)', fixed(s.tps_final, 1)],
      ['throughput, block slots (tx/s)', fixed(s.tps_slots, 1)],
      ['finality latency p50 (ms)', latencyText(all?.p50)],
      ['finality latency p99 (ms)', latencyText(all?.p99)],
      ['transactions submitted', grouped(s.tx_submitted)],
      ['transactions final', grouped(s.tx_final)],
      ['transactions dropped', grouped(s.tx_dropped)],
      ['events simulated', grouped(s.events)],
      ['simulated time (s)', fixed(s.sim_s, 1)],
      ['warm-up, not measured (s)', fixed(s.warmup_s, 1)],
      ['nodes', grouped(s.nodes.length)],
      ['invariant violations', grouped(s.violations.length)],
    ]),
  );
  out.push('<p class="note">Throughput, final: transactions made final per second after the warm-up. Block slots: transaction legs in committed blocks per second. ' +
    'Finality latency: from a transaction\'s submission to the first honest commit that makes it final. Transactions dropped: refused by full pools.</p>');

  // Charts.
  out.push('<h2>Over time</h2>');
  const marks = timeMarks(s);
  if (marks.windows.length > 0 || marks.violations.length > 0) {
    out.push('<p class="note">Shaded: each fault (orange) and byzantine entry (purple), labelled. Dashed: the end of the fault phase; dotted: the liveness bound after it; red triangles: invariant violations.' +
      `${s.phases !== undefined && !s.phases.liveness_judged && s.phases.liveness_reason ? ` Liveness was not judged: ${esc(s.phases.liveness_reason)}.` : ''}</p>`);
  }
  const bucket = throughputBucket(s, sortedRows);
  const binned = bucket === 1 ? sortedRows : rebin(sortedRows, bucket);
  const tputTitle = `Throughput (transactions per second${bucket === 1 ? ', per simulated second' : `, mean over ${bucket} s buckets`})`;
  out.push(figure('throughput', lineChartSvg(binned, {
    title: tputTitle,
    y_label: 'transactions per second',
    warmup_s: s.warmup_s,
    marks,
    series: [
      { label: 'submitted', color: '#8c959f', value: (r) => r.tx_submitted },
      { label: 'final', color: '#0969da', value: (r) => r.tx_final },
      { label: 'legs in committed blocks', color: '#bc4c00', value: (r) => r.legs_committed, dash: '4 3' },
    ],
  }), rowsCsv(binned, ['tx_submitted', 'tx_final', 'legs_committed'])));
  if (bucket > 1) {
    out.push(`<p class="note">Buckets of ${bucket} s: blocks come every ${fixed(sortedRows.length / Math.max(1, sortedRows.reduce((n, r) => n + r.blocks_committed, 0)), 1)} s on average, so per-second figures would jump between 0 and a block's worth. timeseries.csv keeps every second.</p>`);
  }
  out.push(figure('height', lineChartSvg(sortedRows, {
    title: 'Committed height of the highest chain',
    y_label: 'block height',
    warmup_s: s.warmup_s,
    marks,
    series: [{ label: 'height', color: '#1a7f37', value: (r) => r.height_max }],
  }), rowsCsv(sortedRows, ['height_max'])));
  out.push(figure('latency-over-time', lineChartSvg(sortedRows, {
    title: 'Finality latency: median of the transactions final in each second',
    y_label: 'latency (ms)',
    warmup_s: s.warmup_s,
    marks,
    series: [
      {
        label: 'median latency',
        color: '#bf3989',
        // Null in a second in which nothing finalized: a gap, not a 0.
        value: (r) => r.latency_final_ms_p50,
      },
    ],
  }), rowsCsv(sortedRows, ['latency_final_ms_p50'])));

  // Latency.
  out.push('<h2>Finality latency (ms, submit to final commit)</h2>');
  const classes = latencyClasses(s.latency_final_ms);
  if (classes.length === 0) {
    out.push('<p class="note">No transaction finalized in the measurement window.</p>');
  } else {
    out.push(
      htmlTable(
        [{ text: 'class' }, num('count'), num('p50'), num('p90'), num('p99'), num('max')],
        classes.map((c) => {
          const l = s.latency_final_ms[c];
          return l
            ? [{ text: c }, num(grouped(l.count)), num(latencyText(l.p50)), num(latencyText(l.p90)), num(latencyText(l.p99)), num(latencyText(l.max))]
            : [{ text: c }];
        }),
      ),
    );
    if (classes.some((c) => s.latency_final_ms[c]?.count === 0)) {
      out.push(`<p class="note">${NO_VALUE_NOTE}</p>`);
    }
  }
  const cdf = s.latency_cdf_ms ?? {};
  out.push(figure('latency-cdf', latencyCdfSvg(cdf), csvText(['class', 'percentile', 'latency_ms'],
    Object.entries(cdf).flatMap(([c, q]) => (q ?? []).map((v, i) => [c, q!.length === 101 ? i : +(100 * i / Math.max(1, q!.length - 1)).toFixed(3), v])))));

  // Tables.
  out.push('<h2>Tables</h2>');
  if (s.tables.length === 0) {
    out.push('<p class="note">No tables.</p>');
  } else {
    const tl = s.table_timeline;
    out.push(figure('chains-over-time', tableHeatmapSvg(tl, s.warmup_s, marks), csvText(['chain', 'bucket_start_s', 'blocks', 'stalled_fraction'],
      (tl?.blocks ?? []).flatMap((row, t) => row.map((b, k) => [t, k * tl.bucket_s, b, tl.stalled[t]?.[k] ?? 0])))));
    out.push(
      '<p class="note">Blue: blocks first committed in the bucket. Red: the bucket lies (partly, paler) inside a stall, more than 5 s without a commit. Dashed line: end of warm-up.</p>',
    );
    const kinds = blockKindKeys(s.tables[0]);
    const cell = (t: TableStats, k: string) => (t as unknown as Record<string, number>)[k] ?? 0;
    out.push(
      htmlTable(
        [
          num('table'),
          num('height_committed'),
          ...kinds.map((k) => num(k)),
          num('views'),
          num('stall_s_max'),
          num('stall_s_total'),
          num('messages_per_block'),
        ],
        [...s.tables]
          .sort((a, b) => a.table - b.table)
          .map((t) => [
            num(String(t.table)),
            num(grouped(t.height_committed)),
            ...kinds.map((k) => num(grouped(cell(t, k)))),
            num(grouped(t.views)),
            num(fixed(t.stall_s_max, 1)),
            num(fixed(t.stall_s_total, 1)),
            num(fixed(t.messages_per_block, 1)),
          ]),
      ),
    );
  }

  // Limits (docs/PROTOCOL.md §14): slots, bandwidth, CPU, the receipt window, and which binds.
  if (s.limits) {
    const l = s.limits;
    out.push('<h2>Limits (sim)</h2>');
    out.push(
      metricGrid([
        ['binding limit', l.binding === 'none' ? `none reached (< ${fixed(100 * l.binding_at, 0)}%)` : bindingName(l.binding)],
        ['offered tx/s', `${fixed(l.offered_tps, 1)}${l.saturated ? ' (saturated)' : ''}`],
        ['blocks full', `${percent(l.block_fill)}%`],
        ['busiest link', `${percent(l.bandwidth_util_max)}%`],
        ['busiest CPU', `${percent(l.cpu_util_max)}%`],
        ['fullest receipt window', `${percent(l.receipt_window_fill_max)}%${l.receipt_window_pair ? ` (table ${l.receipt_window_pair[0]} → ${l.receipt_window_pair[1]}, full ${percent(l.receipt_window_full_share)}% of the time)` : ''}`],
        ['blocks/s per table', fixed(l.blocks_per_table_per_s, 3)],
        ['slot limit (legs/s)', grouped(Math.round(l.slot_capacity_legs_per_s))],
      ]),
    );
    out.push(
      htmlTable(
        [
          { text: 'role' }, num('nodes'), num('in Mb/s mean'), num('in Mb/s max'), num('downlink Mb/s'),
          num('out Mb/s mean'), num('out Mb/s max'), num('uplink Mb/s'), num('cpu % mean'), num('cpu % max'), num('cores'),
        ],
        l.roles.map((r) => [
          { text: r.role }, num(String(r.nodes)), num(fixed(r.in_mbps_mean, 2)), num(fixed(r.in_mbps_max, 2)),
          num(fixed(r.download_mbps_capacity, 0)), num(fixed(r.out_mbps_mean, 2)), num(fixed(r.out_mbps_max, 2)),
          num(fixed(r.upload_mbps_capacity, 0)), num(percent(r.cpu_busy_mean)), num(percent(r.cpu_busy_max)), num(String(r.cores)),
        ]),
        'Per role against the documented hardware (whole run)',
      ),
    );
    out.push(
      `<p class="note">Throughput is the least of four limits: slots (tables × block size ÷ round time), per-node bandwidth, per-node CPU, and the window of unconfirmed receipts between two tables. A limit binds when the busiest validator or auditor (or the blocks) reach ${fixed(100 * l.binding_at, 0)}% of it, or when a pair's window is that full on average; below that the round time or the offered load sets the pace.</p>`,
    );
  }

  // The family's own sections.
  for (const sec of familyOf(s)?.reportSections?.(s) ?? []) out.push(familySection(sec));

  // Nodes: per role, then per node (capped).
  out.push('<h2>Nodes</h2>');
  const roles = roleSummaries(s.nodes);
  if (roles.length > 0) {
    out.push(
      htmlTable(
        [
          { text: 'role' },
          num('count'),
          num('cpu busy % mean'),
          num('cpu busy % max'),
          num('MB in mean'),
          num('MB out mean'),
          num('crashed'),
        ],
        roles.map((r) => [
          { text: r.role },
          num(String(r.count)),
          num(percent(r.cpu_busy_fraction_mean)),
          num(percent(r.cpu_busy_fraction_max)),
          num(megabytes(r.bytes_in_mean)),
          num(megabytes(r.bytes_out_mean)),
          num(String(r.crashed)),
        ]),
        'By role',
      ),
    );
    const perRole = nodeDistributionsSvg(s.nodes, s.sim_s);
    const roleNames = rolesInOrder(s.nodes);
    perRole.forEach((svg, k) => out.push(figure(`nodes-${roleNames[k]}`, svg, csvText(
      ['node', 'role', 'region', 'mbps_in', 'mbps_out', 'cpu_busy_fraction', 'cores', 'upload_mbps', 'download_mbps'],
      s.nodes.filter((x) => x.role === roleNames[k]).map((x) => [x.node, x.role, x.region, +mbps(x.bytes_in, s.sim_s).toFixed(4), +mbps(x.bytes_out, s.sim_s).toFixed(4),
        x.cpu_busy_fraction, x.cores, x.upload_bps / 1e6, x.download_bps / 1e6])))));
    out.push(
      '<p class="note">Each curve is the share of the role&#39;s nodes at or below a value: mean Mb/s over the whole run (bytes × 8 / sim_s), and CPU busy fraction over all cores. Dashed rules: the hardware the nodes were built with.</p>',
    );
    const shown = s.nodes.slice(0, HTML_NODES_MAX);
    out.push(
      htmlTable(
        [{ text: 'node' }, { text: 'role' }, { text: 'region' }, num('MB in'), num('MB out'), num('cpu busy %'), { text: 'crashed' }],
        shown.map((n) => [
          { text: n.node },
          { text: n.role },
          { text: n.region },
          num(megabytes(n.bytes_in)),
          num(megabytes(n.bytes_out)),
          num(percent(n.cpu_busy_fraction)),
          { text: n.crashed ? 'yes' : '' },
        ]),
        'By node',
      ),
    );
    if (s.nodes.length > shown.length) {
      out.push(
        `<p class="note">Showing the first ${shown.length} of ${s.nodes.length} nodes; every node is in summary.json.</p>`,
      );
    }
  } else {
    out.push('<p class="note">No nodes.</p>');
  }

  // Messages.
  out.push('<h2>Messages by kind</h2>');
  const kinds = messageKinds(s.messages);
  if (kinds.length === 0) {
    out.push('<p class="note">No messages.</p>');
  } else {
    out.push(htmlTable([{ text: 'kind' }, num('count')], kinds.map(([k, n]) => [{ text: k }, num(grouped(n))])));
  }

  // Violations.
  out.push('<h2>Invariant violations</h2>');
  if (s.violations.length === 0) {
    out.push('<p class="ok">None.</p>');
  } else {
    const shown = s.violations.slice(0, HTML_VIOLATIONS_MAX);
    out.push(`<p class="bad">${esc(String(s.violations.length))} violation(s).</p>`);
    out.push(
      htmlTable(
        [{ text: 'check' }, { text: 'node' }, num('table'), num('height'), num('time (s)'), { text: 'message' }],
        shown.map((v) => [
          { text: v.check },
          { text: v.node },
          num(String(v.table)),
          num(String(v.height)),
          num(formatTimeUs(v.time_us)),
          { text: v.message },
        ]),
      ),
    );
    if (s.violations.length > shown.length) {
      out.push(
        `<p class="note">Showing the first ${shown.length} of ${s.violations.length}; all are in summary.json.</p>`,
      );
    }
  }

  // Wall-clock figures: noisy, machine-dependent, never part of the digest.
  out.push('<h2>Run cost (wall)</h2>');
  out.push(
    metricGrid([
      ['wall_s (wall)', fixed(s.wall.wall_s, 2)],
      ['events_per_wall_s (wall)', compactCount(s.wall.events_per_wall_s)],
      ['sim_s_per_wall_s (wall)', fixed(s.wall.sim_s_per_wall_s, 2)],
      ['peak RSS MB (wall)', megabytes(s.wall.peak_rss_bytes)],
      ['workers (wall)', String(s.wall.workers)],
      ['messages crossing workers (wall)', `${compactCount(s.wall.cross_worker_messages)} (${fixed(100 * s.wall.cross_worker_share, 1)}%)`],
    ]),
  );
  out.push('<p class="note">Wall-clock figures vary between machines and runs; every other figure is exact for the scenario and seed.</p>');
  out.push('</body></html>');
  return out.join('\n') + '\n';
}
