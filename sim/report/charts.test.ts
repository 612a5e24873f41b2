import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scenarioFile } from '../../test/helpers.js';
import { runScenario, type RunResult } from '../runner/run.js';
import { STALL_THRESHOLD_US, TIMELINE_BUCKETS_MAX, timelineBucketS } from '../metrics/collector.js';
import { heatmapLayout, latencyCdfSvg, mbps, roleDistributionSvg, tableHeatmapSvg } from './charts.js';
import { summaryJson, TIMESERIES_COLUMNS, timeseriesCsv } from './csv.js';
import { reportHtml } from './html.js';
import { formatSummaryTable } from './table.js';
import type { NodeStats, Summary, TableTimeline } from '../metrics/types.js';

const ROOT = join(import.meta.dirname, '..', '..');

function load(file: string, seconds: number) {
  return scenarioFile(join(ROOT, 'scenarios', file), { duration_us: seconds * 1e6 });
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Attributes of every `<tag ...>` whose class list contains `cls`, as records. */
function elements(svg: string, tag: string, cls: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of svg.matchAll(new RegExp(`<${tag} class="${cls}"([^>]*)>`, 'g'))) {
    const attrs: Record<string, string> = {};
    for (const a of (m[1] ?? '').matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1] ?? ''] = a[2] ?? '';
    out.push(attrs);
  }
  return out;
}

/** Labelled x-axis ticks (text-anchor middle) with x inside [from, to], as [x, value]. */
function xTicks(svg: string, from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  for (const m of svg.matchAll(/<text class="tick" x="([\d.]+)" y="[\d.]+" text-anchor="middle">([^<]+)<\/text>/g)) {
    const x = Number(m[1]);
    const v = Number((m[2] ?? '').replace(/,/g, ''));
    if (x >= from && x <= to && Number.isFinite(v)) out.push([x, v]);
  }
  return out;
}

/** Where value v falls on an axis through two labelled ticks (log or linear), independent of d3. */
function axisX(ticks: [number, number][], v: number, log: boolean): number {
  const [xa, va] = ticks[0] ?? [0, 0];
  const [xb, vb] = ticks[ticks.length - 1] ?? [1, 1];
  const f = log ? (Math.log(v) - Math.log(va)) / (Math.log(vb) - Math.log(va)) : (v - va) / (vb - va);
  return xa + f * (xb - xa);
}

function balancedSvg(html: string): void {
  const opens = html.match(/<svg\b/g)?.length ?? 0;
  expect(opens).toBeGreaterThan(0);
  expect(html.match(/<\/svg>/g)?.length).toBe(opens);
  // No svg opens inside another.
  let depth = 0;
  for (const m of html.matchAll(/<svg\b|<\/svg>/g)) {
    depth += m[0] === '<svg' ? 1 : -1;
    expect(depth === 0 || depth === 1).toBe(true);
  }
  expect(depth).toBe(0);
}

// ---------------------------------------------------------------------------------------------
// Figures from real runs

describe('distribution figures of a run (default.yaml, 20 s; leader-crash.yaml, 45 s)', () => {
  let run: RunResult;
  let crash: RunResult;
  beforeAll(() => {
    run = runScenario(load('default.yaml', 20));
    crash = runScenario(load('leader-crash.yaml', 45));
  });

  it('latency_cdf_ms holds 101 non-decreasing quantiles per class that match latency_final_ms', () => {
    // Proves the CDF and the latency table describe one population with one percentile rule.
    const s = run.summary;
    expect(Object.keys(s.latency_cdf_ms).sort()).toEqual(['all', 'cross_table', 'intra_table']);
    expect(s.latency_final_ms['all']?.count).toBeGreaterThan(100);
    for (const [c, q] of Object.entries(s.latency_cdf_ms)) {
      const l = s.latency_final_ms[c];
      if (!l || l.count === 0) {
        expect(q, c).toBeNull();
        continue;
      }
      if (q === null) throw new Error(`${c}: no quantiles for ${l.count} latencies`);
      expect(q, c).toHaveLength(101);
      for (let p = 1; p <= 100; p++) expect(q[p], `${c} p${p}`).toBeGreaterThanOrEqual(q[p - 1] ?? Infinity);
      expect(q[50], c).toBe(l.p50);
      expect(q[90], c).toBe(l.p90);
      expect(q[99], c).toBe(l.p99);
      expect(q[100], c).toBe(l.max);
      expect(q[0], c).toBeGreaterThan(0);
      for (const v of q) expect(Math.round(v * 1000) / 1000).toBe(v);
    }
  });

  it('a one-table run has no cross-table latency: null in summary.json, an en dash in the table and report, no CDF curve', () => {
    // Proves an empty class is never written as 0 ms, which a pipeline would read as instant finality.
    const s = run.summary;
    expect(s.tables).toHaveLength(1);
    expect(s.latency_final_ms['cross_table']).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
    expect(s.latency_cdf_ms['cross_table']).toBeNull();
    const json = JSON.parse(summaryJson(s)) as Summary;
    expect(json.schema_version).toBe(4);
    expect(json.latency_final_ms['cross_table']).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
    expect(json.latency_cdf_ms['cross_table']).toBeNull();
    expect(json.latency_final_ms['all']?.p50).toBe(s.latency_final_ms['all']?.p50);
    expect(formatSummaryTable(s)).toMatch(/^ +cross_table +0 +– +– +– +–$/m);
    const html = reportHtml(s, run.timeseries);
    expect(html).toMatch(/<td>cross_table<\/td><td class="n">0<\/td>(<td class="n">–<\/td>){4}/);
    expect(html).not.toContain('data-class="cross_table"');
    // A second in which nothing finalized has an empty p50 cell in timeseries.csv, not 0.
    const col = TIMESERIES_COLUMNS.indexOf('latency_final_ms_p50');
    const lines = timeseriesCsv(run.timeseries).trimEnd().split('\n').slice(1).map((l) => l.split(','));
    const idle = run.timeseries.flatMap((r, i) => (r.tx_final === 0 ? [i] : []));
    expect(idle.length).toBeGreaterThan(0);
    for (const i of idle) expect(lines[i]?.[col], `t=${i}`).toBe('');
    for (const [i, r] of run.timeseries.entries()) if (r.tx_final > 0) expect(Number(lines[i]?.[col])).toBeGreaterThan(0);
  });

  it('table_timeline: blocks per table sum to its committed blocks; stalled shares add up to stall_s_total', () => {
    // Proves the heatmap counts each first commit once, in some bucket, and stalls like TableStats.
    for (const r of [run, crash]) {
      const s = r.summary;
      const tl = s.table_timeline;
      expect(tl.bucket_s).toBe(1);
      expect(tl.blocks).toHaveLength(s.tables.length);
      for (const t of s.tables) {
        const row = tl.blocks[t.table] ?? [];
        expect(row).toHaveLength(Math.ceil(s.sim_s / tl.bucket_s));
        expect(sum(row)).toBe(t.blocks_light + t.blocks_empty + t.blocks_full);
        expect(sum(tl.stalled[t.table] ?? []) * tl.bucket_s).toBeCloseTo(t.stall_s_total, 1);
      }
    }
  });

  it('the table whose leader crashed shows stalled cells over its stall, and only there', () => {
    // Proves the stall lands in the right buckets: none before the last commit ahead of it, part
    // of the buckets at either end, all of those between, none after the recovery; and the
    // heatmap draws exactly those cells red.
    const s = crash.summary;
    const commits = (crash.built.metrics.chains[0]?.commitTimes ?? []).filter((t) => t !== undefined);
    let from = 0;
    let to = 0;
    for (let i = 1; i < commits.length; i++) {
      const a = commits[i - 1] ?? 0;
      const b = commits[i] ?? 0;
      if (b - a > to - from) [from, to] = [a, b];
    }
    // A stall mid-run, with commits again well before the end.
    expect(to - from).toBeGreaterThan(STALL_THRESHOLD_US);
    expect(s.sim_s * 1e6 - to).toBeGreaterThan(2e6);
    const first = Math.floor(from / 1e6);
    const last = Math.floor(to / 1e6);
    const stalled = s.table_timeline.stalled[0] ?? [];
    stalled.forEach((v, b) => {
      if (b < first || b > last) expect(v, `bucket ${b}`).toBe(0);
      else if (b === first) expect(v).toBeCloseTo((1e6 * (b + 1) - from) / 1e6, 3);
      else if (b === last) expect(v).toBeCloseTo((to - 1e6 * b) / 1e6, 3);
      else expect(v, `bucket ${b}`).toBe(1);
    });
    const blocks = s.table_timeline.blocks[0] ?? [];
    expect(sum(blocks.slice(first + 1, last))).toBe(0);
    expect(sum(blocks.slice(last))).toBeGreaterThan(0);

    const svg = tableHeatmapSvg(s.table_timeline, s.warmup_s);
    const cells = elements(svg, 'rect', 'stall');
    // The partial bucket at the start, one run of full buckets, the partial bucket at the end.
    const L = heatmapLayout(1, stalled.length);
    expect(cells.map((c) => [c['data-bucket'], c['data-buckets']])).toEqual([
      [String(first), '1'],
      [String(first + 1), String(last - first - 1)],
      [String(last), '1'],
    ]);
    expect(Number(cells[0]?.['x'])).toBeCloseTo(L.x0 + first * L.cellW, 1);
    expect(Number(cells[2]?.['x'])).toBeCloseTo(L.x0 + last * L.cellW, 1);
    expect(Number(cells[1]?.['fill-opacity'])).toBe(1);
  });

  it('NodeStats carry the hardware each node was built with', () => {
    // Proves the capacity rules read the scenario's hardware for the node's role.
    const sc = run.built.sc;
    for (const n of run.summary.nodes) {
      const hw = sc.hardware[n.role as keyof typeof sc.hardware];
      expect([n.cores, n.upload_bps, n.download_bps], n.node).toEqual([hw.cores, hw.upload_bps, hw.download_bps]);
    }
  });

  it('the report from a run has balanced svg, no script, a capacity rule per role, and the same bytes twice', () => {
    // Proves the charts render from real data, offline, deterministically.
    const html = reportHtml(run.summary, run.timeseries);
    balancedSvg(html);
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
    expect(html).toContain('Finality latency CDF per class');
    expect(html).toContain('data-class="all"');
    const again = runScenario(load('default.yaml', 20));
    expect(reportHtml(again.summary, again.timeseries)).toBe(html);
    // Validators: one rule at the symmetric link capacity, where the axis puts that many Mb/s.
    const v = run.summary.nodes.filter((n) => n.role === 'validator');
    const svg = roleDistributionSvg('validator', v, run.summary.sim_s);
    const caps = elements(svg, 'line', 'cap');
    const cap = (v[0]?.download_bps ?? 0) / 1e6;
    const net = caps.filter((c) => Number(c['x1']) < 450);
    expect(net.map((c) => Number(c['data-cap']))).toEqual([cap]);
    const log = svg.includes('Mb/s (log scale)');
    expect(Number(net[0]?.['x1'])).toBeCloseTo(axisX(xTicks(svg, 0, 450), cap, log), 0);
    expect(svg).toContain('data-cap="1"');
  });
});

// ---------------------------------------------------------------------------------------------
// Chart builders on crafted data

function node(role: string, inMbps: number, outMbps: number, cpu: number, hw: Partial<NodeStats> = {}): NodeStats {
  const sim_s = 100;
  return {
    node: `${role}-${inMbps}`,
    role,
    region: 'eu',
    bytes_in: (inMbps * 1e6 * sim_s) / 8,
    bytes_out: (outMbps * 1e6 * sim_s) / 8,
    cpu_busy_fraction: cpu,
    crashed: false,
    cores: 4,
    upload_bps: 100e6,
    download_bps: 100e6,
    ...hw,
  };
}

describe('chart builders', () => {
  it('timeline buckets are 1, 2, 5, 10, ... s wide with at most 120 of them', () => {
    expect(timelineBucketS(30)).toBe(1);
    expect(timelineBucketS(120)).toBe(1);
    expect(timelineBucketS(121)).toBe(2);
    expect(timelineBucketS(600)).toBe(5);
    expect(timelineBucketS(601)).toBe(10);
    expect(timelineBucketS(86_400)).toBe(1000);
    for (const s of [1, 59, 241, 1_000, 12_345, 1e6]) expect(Math.ceil(s / timelineBucketS(s))).toBeLessThanOrEqual(TIMELINE_BUCKETS_MAX);
  });

  it('the latency CDF goes logarithmic only past 1.5 decades and skips empty classes', () => {
    const q = (lo: number, hi: number) => Array.from({ length: 101 }, (_, p) => lo + ((hi - lo) * p) / 100);
    const narrow = latencyCdfSvg({ all: q(1000, 2000), intra_table: q(1000, 1500), cross_table: null });
    expect(narrow).not.toContain('log scale');
    expect(narrow).toContain('data-class="all"');
    expect(narrow).toContain('data-class="intra_table"');
    // A null class has no curve and no legend entry (no line at 0 ms), as an empty list had.
    expect(narrow).not.toContain('cross_table');
    expect(latencyCdfSvg({ all: q(1000, 2000), intra_table: q(1000, 1500), cross_table: [] })).toBe(narrow);
    expect(elements(narrow, 'path', 'series')).toHaveLength(2);
    const wide = latencyCdfSvg({ all: q(50, 5000) });
    expect(wide).toContain('finality latency (ms) (log scale)');
    // The curve climbs from y(0) at the left to y(1) at the right.
    const d = /data-class="all" d="M([\d.]+),([\d.]+).*L([\d.]+),([\d.]+)"/.exec(wide);
    expect(Number(d?.[1])).toBeLessThan(Number(d?.[3]));
    expect(Number(d?.[2])).toBeGreaterThan(Number(d?.[4]));
    expect(latencyCdfSvg({ all: [] })).toContain('no data');
    expect(latencyCdfSvg({ all: null, intra_table: null, cross_table: null })).toContain('no data');
  });

  it('capacity rules sit at the capacity on the panel axis, linear and log', () => {
    // Linear: 40..90 Mb/s against 100. Log: edges far below asymmetric 50 up / 200 down.
    const lin = roleDistributionSvg('validator', [node('validator', 40, 60, 0.3), node('validator', 90, 70, 0.5)], 100);
    expect(lin).not.toContain('Mb/s (log scale)');
    const linCaps = elements(lin, 'line', 'cap');
    expect(linCaps.map((c) => c['data-cap'])).toEqual(['100', '1']);
    expect(Number(linCaps[0]?.['x1'])).toBeCloseTo(axisX(xTicks(lin, 0, 450), 100, false), 0);
    expect(Number(linCaps[1]?.['x1'])).toBeCloseTo(axisX(xTicks(lin, 500, 760), 1, false), 0);

    const hw = { upload_bps: 50e6, download_bps: 200e6 };
    const log = roleDistributionSvg('edge', [node('edge', 0.5, 2, 0.01, hw), node('edge', 0.8, 3, 0.02, hw)], 100);
    expect(log).toContain('Mb/s (log scale)');
    const logCaps = elements(log, 'line', 'cap').filter((c) => Number(c['x1']) < 450);
    expect(logCaps.map((c) => c['data-cap'])).toEqual(['200', '50']);
    for (const c of logCaps) {
      expect(Number(c['x1'])).toBeCloseTo(axisX(xTicks(log, 0, 450), Number(c['data-cap']), true), 0);
    }
    expect(mbps(125_000_000, 10)).toBe(100);
  });

  it('the heatmap marks stalls at their buckets, merges equal cells, and gives 1,024 tables 1 px rows', () => {
    const n = 60;
    const tl: TableTimeline = {
      bucket_s: 1,
      blocks: [Array(n).fill(2), Array.from({ length: n }, (_, b) => (b >= 30 && b < 36 ? 0 : 2))],
      stalled: [Array(n).fill(0), Array.from({ length: n }, (_, b) => (b === 30 ? 0.5 : b > 30 && b < 36 ? 1 : 0))],
    };
    const svg = tableHeatmapSvg(tl, 10);
    const L = heatmapLayout(2, n);
    const stalls = elements(svg, 'rect', 'stall');
    expect(stalls.map((c) => [c['data-table'], c['data-bucket'], c['data-buckets']])).toEqual([
      ['1', '30', '1'],
      ['1', '31', '5'],
    ]);
    expect(Number(stalls[1]?.['x'])).toBeCloseTo(L.x0 + 31 * L.cellW, 1);
    expect(Number(stalls[1]?.['y'])).toBeCloseTo(L.y0 + L.rowH, 1);
    expect(Number(stalls[1]?.['width'])).toBeCloseTo(5 * L.cellW, 1);
    expect(Number(stalls[0]?.['fill-opacity'])).toBeLessThan(Number(stalls[1]?.['fill-opacity']));
    // Table 0 is one run of equal cells: one rectangle.
    expect(/<g><title>table 0<\/title>(<rect [^>]*>)<\/g>/.test(svg)).toBe(true);

    const many: TableTimeline = { bucket_s: 1, blocks: Array.from({ length: 1024 }, () => Array(30).fill(1)), stalled: Array.from({ length: 1024 }, () => Array(30).fill(0)) };
    const big = heatmapLayout(1024, 30);
    expect(big.rowH).toBe(1);
    const bigSvg = tableHeatmapSvg(many, 0);
    expect(bigSvg).toContain(`height="${big.height}"`);
    expect(big.height).toBeLessThan(1200);
    expect(bigSvg.length).toBeLessThan(200_000);
    expect(tableHeatmapSvg(undefined, 0)).toContain('no data');
  });

  it('summary.json writes each quantile list and timeline row on one line, and parses back', () => {
    const s = {
      latency_final_ms: {}, tables: [], nodes: [], messages: {}, violations: [], wall: {},
      latency_cdf_ms: { all: [1, 2.5, 3], intra_table: null, cross_table: [1, 2, 3] },
      table_timeline: { bucket_s: 5, blocks: [[1, 2], [3, 4]], stalled: [[0, 0.5], [1, 0]] },
    } as unknown as Summary;
    const json = summaryJson(s);
    expect(json).toContain('"all": [1,2.5,3],\n');
    expect(json).toContain('"intra_table": null,\n');
    expect(json).toContain('      [0,0.5],\n      [1,0]\n');
    expect(json).not.toContain('\\u0001');
    const back = JSON.parse(json) as Summary;
    expect(back.latency_cdf_ms).toEqual(s.latency_cdf_ms);
    expect(back.table_timeline).toEqual(s.table_timeline);
    expect(Object.keys(back.latency_cdf_ms)).toEqual(['all', 'intra_table', 'cross_table']);
  });
});
