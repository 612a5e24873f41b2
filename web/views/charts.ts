/**
 * Live charts (SVG, D3): transfers final per simulated second, the latency distribution per class,
 * and per-node bandwidth and CPU over the last simulated second or more, as distributions against
 * each node's hardware.
 */
import * as d3 from 'd3';
import type { Frame, SessionMeta } from '../session.js';
import { ROLE_COLOR } from './network.js';

const W = 340;
const H = 150;
const M = { top: 20, right: 10, bottom: 26, left: 46 };
/** Colours of latency classes, in the family's class order. */
const CLASS_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756'];

interface Chart {
  svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  plot: d3.Selection<SVGGElement, unknown, null, undefined>;
  xAxis: d3.Selection<SVGGElement, unknown, null, undefined>;
  yAxis: d3.Selection<SVGGElement, unknown, null, undefined>;
}

function chart(host: HTMLElement, id: string, title: string, xLabel: string, yLabel: string): Chart {
  const svg = d3.select(host).append('svg').attr('id', id).attr('viewBox', `0 0 ${W} ${H}`).attr('width', W).attr('height', H)
    .attr('role', 'img').attr('aria-label', title);
  svg.append('text').attr('x', M.left).attr('y', 13).attr('class', 'title').text(title);
  svg.append('text').attr('x', W - M.right).attr('y', H - 2).attr('text-anchor', 'end').attr('class', 'axis-label').text(xLabel);
  svg.append('text').attr('class', 'axis-label y-label').attr('text-anchor', 'middle')
    .attr('transform', `translate(9,${(M.top + H - M.bottom) / 2}) rotate(-90)`).text(yLabel);
  const plot = svg.append('g');
  const xAxis = svg.append('g').attr('transform', `translate(0,${H - M.bottom})`);
  const yAxis = svg.append('g').attr('transform', `translate(${M.left},0)`);
  return { svg, plot, xAxis, yAxis };
}

/** The throughput chart's moving mean (simulated seconds). */
const SMOOTH_S = 5;

/** Rates over at least this much simulated time. */
const RATE_WINDOW_US = 1_000_000;

export class ChartsView {
  private readonly tps: Chart;
  private readonly latency: Chart;
  private readonly bandwidth: Chart;
  private readonly cpu: Chart;
  private meta: SessionMeta | null = null;
  private frame: Frame | null = null;
  /** Counter snapshots for rates: the oldest one at least RATE_WINDOW_US old is used. */
  private snaps: { at: number; bytesIn: Float64Array; bytesOut: Float64Array; cpu: Float64Array }[] = [];

  constructor(host: HTMLElement) {
    this.tps = chart(host, 'chart-tps', `Transfers final per second (mean of ${SMOOTH_S} s)`, 'simulated time (s)', 'transfers/s');
    this.latency = chart(host, 'chart-latency', 'Latency to final, per class', 'latency (log scale)', 'share of class');
    this.bandwidth = chart(host, 'chart-bandwidth', 'Per-node upload, share of its link', '% of upload capacity', 'nodes');
    this.cpu = chart(host, 'chart-cpu', 'Per-node CPU busy', '% of cores', 'nodes');
  }

  setMeta(meta: SessionMeta): void {
    this.meta = meta;
    this.frame = null;
    this.snaps = [];
    for (const c of [this.tps, this.latency, this.bandwidth, this.cpu]) c.plot.selectAll('*').remove();
  }

  update(f: Frame): void {
    this.frame = f;
    const last = this.snaps[this.snaps.length - 1];
    if (!last || f.now_us - last.at >= RATE_WINDOW_US / 4 || f.now_us < last.at) {
      if (last && f.now_us < last.at) this.snaps = [];
      this.snaps.push({ at: f.now_us, bytesIn: f.bytesIn.slice(), bytesOut: f.bytesOut.slice(), cpu: f.cpuBusy.slice() });
      while (this.snaps.length > 2 && f.now_us - this.snaps[1].at >= RATE_WINDOW_US) this.snaps.shift();
    }
  }

  draw(): void {
    const f = this.frame;
    const meta = this.meta;
    if (!f || !meta) return;
    this.drawTps(f);
    this.drawLatency(f, meta);
    const old = this.snaps[0];
    const dt = f.now_us - (old?.at ?? 0);
    if (!old || dt <= 0) return;
    const n = meta.nodes.length;
    const up: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < n; i++) {
      const bps = meta.nodes[i].upload_bps;
      up.push(bps > 0 ? (100 * ((f.bytesOut[i] - old.bytesOut[i]) * 8)) / (bps * (dt / 1e6)) : 0);
      cpu.push((100 * (f.cpuBusy[i] - old.cpu[i])) / (f.cores[i] * dt));
    }
    this.drawDistribution(this.bandwidth, up, meta);
    this.drawDistribution(this.cpu, cpu, meta);
  }

  private drawTps(f: Frame): void {
    const c = this.tps;
    const data = Array.from(f.finalPerSecond);
    const secs = Math.max(10, Math.ceil(f.duration_us / 1e6));
    const x = d3.scaleLinear().domain([0, secs]).range([M.left, W - M.right]);
    const y = d3.scaleLinear().domain([0, Math.max(1, d3.max(data) ?? 1)]).nice().range([H - M.bottom, M.top]);
    c.xAxis.call(d3.axisBottom(x).ticks(5));
    c.yAxis.call(d3.axisLeft(y).ticks(4, '~s'));
    // The current second is still filling: draw complete seconds only, each as the mean of the
    // last SMOOTH_S seconds (blocks every ~0.6 s make single seconds jump between 50 and 150).
    const whole = data.slice(0, Math.floor(f.now_us / 1e6));
    const complete = whole.map((_, i) => {
      const from = Math.max(0, i - SMOOTH_S + 1);
      return whole.slice(from, i + 1).reduce((a, b) => a + b, 0) / (i + 1 - from);
    });
    const line = d3.line<number>().x((_, i) => x(i + 0.5)).y((v) => y(v));
    c.plot.selectAll('path.tps').data([complete]).join('path').attr('class', 'tps')
      .attr('fill', 'none').attr('stroke', '#4c78a8').attr('stroke-width', 1.5).attr('d', line);
  }

  private drawLatency(f: Frame, meta: SessionMeta): void {
    const c = this.latency;
    const edges = meta.latencyEdgesMs;
    const series = meta.latencyClasses.map((cls, k) => ({
      cls, color: CLASS_COLORS[k % CLASS_COLORS.length], counts: Array.from(f.latency[k]),
    })).map((s) => {
      const total = s.counts.reduce((a, b) => a + b, 0);
      return { ...s, total, share: s.counts.map((v) => (total > 0 ? v / total : 0)) };
    });
    // The axis spans the buckets that hold data (two buckets of margin, a decade at least), so a
    // run whose latencies sit within a few buckets is not drawn as a spike on five decades.
    let lo = edges.length;
    let hi = 0;
    for (const s of series) {
      s.counts.forEach((v, b) => {
        if (v > 0) {
          lo = Math.min(lo, b);
          hi = Math.max(hi, b);
        }
      });
    }
    const PER_DECADE = Math.round(1 / Math.log10(edges[1] / edges[0]));
    let e0 = lo > hi ? 0 : Math.max(0, lo - 3);
    let e1 = lo > hi ? edges.length - 1 : Math.min(edges.length - 1, hi + 2);
    while (e1 - e0 < PER_DECADE && (e0 > 0 || e1 < edges.length - 1)) {
      if (e0 > 0) e0--;
      if (e1 < edges.length - 1) e1++;
    }
    const x = d3.scaleLog().domain([edges[e0], edges[e1]]).range([M.left, W - M.right]).clamp(true);
    const y = d3.scaleLinear().domain([0, Math.max(0.05, d3.max(series.flatMap((s) => s.share)) ?? 0.05)]).nice().range([H - M.bottom, M.top]);
    const g = d3.format('~g');
    c.xAxis.call(d3.axisBottom(x).ticks(4).tickFormat((v) => {
      const ms = Number(v);
      // Only the decades are labelled, in ms below a second and in s above.
      if (Math.abs(Math.log10(ms) - Math.round(Math.log10(ms))) > 1e-9) return '';
      return ms >= 1000 ? `${g(ms / 1000)} s` : `${g(ms)} ms`;
    }));
    c.yAxis.call(d3.axisLeft(y).ticks(4, '.0%'));
    // Bucket k (1..edges.length-1) spans [edges[k-1], edges[k]); underflow and overflow are not drawn.
    const pts = (share: number[]) => share.slice(1, edges.length).map((v, k) => [edges[k], edges[k + 1], v] as const)
      .filter((d) => d[1] >= edges[e0] && d[0] <= edges[e1]);
    const area = d3.line<readonly [number, number, number]>().curve(d3.curveStepAfter).x((d) => x(d[0])).y((d) => y(d[2]));
    c.plot.selectAll<SVGPathElement, (typeof series)[number]>('path.lat').data(series.filter((s) => s.total > 0), (s) => s.cls)
      .join('path').attr('class', 'lat').attr('fill', 'none').attr('stroke', (s) => s.color).attr('stroke-width', 1.5)
      .attr('d', (s) => area(pts(s.share)));
    c.plot.selectAll<SVGTextElement, (typeof series)[number]>('text.legend').data(series, (s) => s.cls)
      .join('text').attr('class', 'legend').attr('x', W - M.right).attr('text-anchor', 'end')
      .attr('y', (_, i) => M.top + 10 + i * 12).attr('fill', (s) => s.color)
      .text((s) => `${s.cls.replace('_', '-')} (${d3.format(',')(s.total)})`);
  }

  /** A histogram of per-node figures in 20 bins from 0 to a round figure above the largest, stacked by role. */
  private drawDistribution(c: Chart, values: number[], meta: SessionMeta): void {
    const top = d3.scaleLinear().domain([0, Math.max(1, (d3.max(values) ?? 1) * 1.05)]).nice(4).domain()[1];
    const bins = 20;
    const roles = [...new Set(meta.nodes.map((n) => n.role))];
    const counts = roles.map(() => new Array<number>(bins).fill(0));
    values.forEach((v, i) => {
      const b = Math.min(bins - 1, Math.max(0, Math.floor((v / top) * bins)));
      counts[roles.indexOf(meta.nodes[i].role)][b]++;
    });
    const stacked = counts.map((row, r) => row.map((v, b) => {
      let below = 0;
      for (let k = 0; k < r; k++) below += counts[k][b];
      return { role: roles[r], b, y0: below, y1: below + v };
    })).flat().filter((d) => d.y1 > d.y0);
    const x = d3.scaleLinear().domain([0, top]).range([M.left, W - M.right]);
    const most = Math.max(1, d3.max(stacked, (d) => d.y1) ?? 1);
    const y = d3.scaleLinear().domain([0, most]).nice().range([H - M.bottom, M.top]);
    c.xAxis.call(d3.axisBottom(x).ticks(5));
    // Node counts are whole: integer ticks only (no "0k", no 0.5 of a node).
    c.yAxis.call(d3.axisLeft(y).ticks(Math.min(4, most)).tickFormat(d3.format(',d')));
    const bw = (W - M.left - M.right) / bins;
    c.plot.selectAll<SVGRectElement, (typeof stacked)[number]>('rect').data(stacked, (d) => `${d.role}/${d.b}`)
      .join('rect').attr('x', (d) => x((d.b * top) / bins) + 0.5).attr('width', Math.max(1, bw - 1))
      .attr('y', (d) => y(d.y1)).attr('height', (d) => y(d.y0) - y(d.y1)).attr('fill', (d) => ROLE_COLOR[d.role] ?? '#999');
  }
}
