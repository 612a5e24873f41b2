import { limitStats } from '../metrics/limits.js';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TIMESERIES_COLUMNS, summaryJson, timeseriesCsv } from './csv.js';
import { HTML_NODES_MAX, reportHtml } from './html.js';
import { createProgress, progressLine } from './progress.js';
import { formatSummaryTable } from './table.js';
import { SUMMARY_SCHEMA_VERSION, type NodeStats, type Summary, type TimeseriesRow } from '../metrics/types.js';
import { reportDir, writeReport, writeRunOutputs } from './write.js';

// ---------------------------------------------------------------------------------------------
// Fixture: a 20-node run (2 tables, 12 validators, 6 auditors, 2 edges), 60 s with 10 s warm-up,
// one validator crashed, two violations.

const REGIONS = ['us-east', 'eu-west', 'ap-southeast'];

const HARDWARE: Record<string, { cores: number; upload_bps: number; download_bps: number }> = {
  validator: { cores: 8, upload_bps: 100e6, download_bps: 100e6 },
  auditor: { cores: 8, upload_bps: 100e6, download_bps: 100e6 },
  edge: { cores: 4, upload_bps: 50e6, download_bps: 200e6 },
};

/** 101 quantiles rising from `lo` to `hi`, with p50 and p99 as given. */
function cdf(lo: number, p50: number, p99: number, hi: number): number[] {
  return Array.from({ length: 101 }, (_, p) =>
    p <= 50 ? lo + ((p50 - lo) * p) / 50 : p <= 99 ? p50 + ((p99 - p50) * (p - 50)) / 49 : hi,
  );
}

function makeNodes(): NodeStats[] {
  const nodes: NodeStats[] = [];
  const add = (role: string, count: number, cpu: number, inMB: number, outMB: number): void => {
    for (let i = 0; i < count; i++) {
      const id = nodes.length;
      nodes.push({
        node: `n${String(id).padStart(3, '0')}`,
        role,
        region: REGIONS[id % REGIONS.length] ?? 'us-east',
        bytes_in: Math.round((inMB + i * 0.37) * 1_000_000),
        bytes_out: Math.round((outMB + i * 0.21) * 1_000_000),
        cpu_busy_fraction: cpu + i * 0.004,
        crashed: role === 'validator' && i === 5,
        ...HARDWARE[role],
      });
    }
  };
  add('validator', 12, 0.31, 182.4, 96.2);
  add('auditor', 6, 0.22, 141.0, 70.5);
  add('edge', 2, 0.05, 12.3, 48.9);
  return nodes;
}

function makeSummary(overrides: Partial<Summary> = {}): Summary {
  // A family's own section (TOP's `elections`) rides beside the generic fields.
  const summary: Summary & Record<string, unknown> = {
    schema_version: SUMMARY_SCHEMA_VERSION,
    simulator_version: '0.1.0',
    scenario: 'default',
    seed: 42,
    crypto: 'modeled',
    fidelity: 'packet',
    digest: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    events: 1_234_567,
    sim_s: 60,
    warmup_s: 10,
    tx_submitted: 30_000,
    tx_dropped: 17,
    tx_final: 24_812,
    tps_final: 496.24,
    tps_slots: 731.9,
    phases: { fault_end_s: 0, liveness_bound_s: 90, liveness_judged: false, liveness_reason: 'the run (60 s) is not longer than the liveness bound (90 s)' },
    elections: { rounds: [], state_syncs: 0, state_sync_bytes: 0, state_sync_s_max: 0, departed: [], grinding: null },
    latency_final_ms: {
      cross_table: { count: 9_120, p50: 2_410.25, p90: 3_101.5, p99: 4_820.75, max: 7_002 },
      all: { count: 24_812, p50: 1_320.5, p90: 2_650.125, p99: 4_410.0, max: 7_002 },
      intra_table: { count: 15_692, p50: 1_050.0, p90: 1_610.4, p99: 2_220.9, max: 3_450.33 },
    },
    latency_cdf_ms: {
      all: cdf(400, 1_320.5, 4_410, 7_002),
      intra_table: cdf(400, 1_050, 2_220.9, 3_450.33),
      cross_table: cdf(900, 2_410.25, 4_820.75, 7_002),
    },
    table_timeline: {
      bucket_s: 1,
      blocks: [Array.from({ length: 60 }, () => 20), Array.from({ length: 60 }, (_, i) => (i >= 30 && i < 36 ? 0 : 20))],
      stalled: [Array.from({ length: 60 }, () => 0), Array.from({ length: 60 }, (_, i) => (i >= 30 && i < 36 ? 1 : 0))],
    },
    tables: [
      {
        table: 0,
        height_committed: 1_204,
        blocks_light: 1_180,
        blocks_empty: 20,
        blocks_full: 4,
        views: 1_211,
        stall_s_max: 2.6,
        stall_s_total: 0,
        messages_per_block: 57.3,
      },
      {
        table: 1,
        height_committed: 1_188,
        blocks_light: 1_160,
        blocks_empty: 24,
        blocks_full: 4,
        views: 1_209,
        stall_s_max: 6.1,
        stall_s_total: 1.1,
        messages_per_block: 58.0,
      },
    ],
    nodes: makeNodes(),
    limits: limitStats({
      nodes: makeNodes(), sim_s: 60, window_s: 50, tables: 2, block_txs_max: 288,
      blocks: 2_300, legs: 36_595, offered: 25_000, tps_final: 496.24,
    }),
    messages: {
      vote: 68_400,
      proposal: 2_392,
      commit: 2_392,
      tx: 30_000,
      receipt: 9_120,
      sync_request: 14,
      sync_response: 14,
    },
    violations: [
      {
        check: 'liveness',
        node: 'n005',
        table: 1,
        height: 733,
        time_us: 37_000_045,
        message: 'no commit on table 1 for 6.1 s',
      },
      {
        check: 'nonce_order',
        node: 'n012',
        table: 0,
        height: 901,
        time_us: 45_500_000,
        message: 'account T8000a nonce 7 committed before nonce 6',
      },
    ],
    scenario_file: { name: 'default', seed: 42, duration: '60s' },
    wall: {
      wall_s: 12.75, events_per_wall_s: 96_828.8, sim_s_per_wall_s: 4.71, peak_rss_bytes: 512_000_000,
      workers: 2, cross_worker_messages: 123_456, cross_worker_share: 0.25,
    },
    ...overrides,
  };
  return summary;
}

function makeRows(n = 60): TimeseriesRow[] {
  const rows: TimeseriesRow[] = [];
  for (let t = 1; t <= n; t++) {
    const final = t < 3 ? 0 : 480 + ((t * 37) % 40);
    rows.push({
      t_s: t,
      tx_submitted: 500,
      tx_final: final,
      blocks_committed: 40,
      height_max: t * 20,
      view_max: t * 20 + 1,
      latency_final_ms_p50: final === 0 ? null : 1_200 + ((t * 53) % 200),
      bytes_total: 8_000_000 * t,
      legs_committed: final * 1.5,
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

describe('formatSummaryTable', () => {
  it('shows the full digest, every latency class, each violation and the labelled wall figures', () => {
    // Proves the terminal summary carries what a researcher needs to compare and debug runs.
    const s = makeSummary();
    const text = formatSummaryTable(s);
    expect(text).toContain(s.digest);
    for (const c of Object.keys(s.latency_final_ms)) expect(text).toMatch(new RegExp(`^\\s+${c}\\s+[0-9,]+\\s`, 'm'));
    expect(text).toContain('1320.5'); // p50 of "all", 1 decimal
    for (const v of s.violations) {
      expect(text).toContain(v.check);
      expect(text).toContain(v.node);
      expect(text).toContain(v.message);
    }
    expect(text).toContain('37.000045s'); // violation time, exact
    expect(text).toContain('(wall)');
    expect(text).toContain('scenario default');
    expect(text).toContain('seed 42');
  });

  it('stays compact for a 20-node run: one line per role, not per node, under 40 lines', () => {
    // Proves the node section is a roll-up and the whole summary fits a terminal screen.
    const text = formatSummaryTable(makeSummary());
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(text).not.toContain('n019');
    const validatorLine = lines.find((l) => /^\s+validator\s/.test(l));
    expect(validatorLine).toBeDefined();
    // count 12, crashed 1
    expect(validatorLine).toMatch(/validator\s+12\s/);
    expect(validatorLine).toMatch(/\s1$/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(110);
  });

  it('prints "none" when there are no violations and rolls up tables beyond the first few', () => {
    // Proves the empty case is explicit and many tables do not flood the terminal.
    const tables = Array.from({ length: 64 }, (_, i) => ({
      table: i,
      height_committed: 100 + i,
      blocks_light: 90,
      blocks_empty: 10,
      blocks_full: i,
      views: 101 + i,
      stall_s_max: i === 40 ? 9.5 : 1.5,
      stall_s_total: 0,
      messages_per_block: 50,
    }));
    const text = formatSummaryTable(makeSummary({ violations: [], tables }));
    expect(text).toMatch(/^violations\s+none$/m);
    expect(text).toContain('56 more tables: height 108..163, max stall 9.5 s');
    expect(text.trimEnd().split('\n').length).toBeLessThanOrEqual(40);
  });
});

/** The fixture with no cross-table transaction: a one-table run. */
function oneTableSummary(): Summary {
  const s = makeSummary();
  return {
    ...s,
    latency_final_ms: {
      ...s.latency_final_ms,
      cross_table: { count: 0, p50: null, p90: null, p99: null, max: null },
    },
    latency_cdf_ms: { ...s.latency_cdf_ms, cross_table: null },
  };
}

describe('an empty latency class', () => {
  it('the terminal table shows an en dash for each figure, and the count 0', () => {
    const text = formatSummaryTable(oneTableSummary());
    expect(text).toMatch(/^ +cross_table +0 +– +– +– +–$/m);
    expect(text).toMatch(/^ +all +24,812 +1320\.5 +2650\.1 +4410\.0 +7002\.0$/m);
    expect(formatSummaryTable(makeSummary())).not.toContain('–');
  });

  it('summary.json writes null for each figure and for the quantiles, and keeps count 0', () => {
    const json = summaryJson(oneTableSummary());
    expect(json).toContain('"cross_table": {\n      "count": 0,\n      "p50": null,\n      "p90": null,\n      "p99": null,\n      "max": null\n    }');
    const back = JSON.parse(json) as Summary;
    expect(back.latency_cdf_ms['cross_table']).toBeNull();
    expect(back).toEqual(oneTableSummary());
  });

  it('report.html shows an en dash in the latency table and key metrics, with a note, and no CDF curve', () => {
    const html = reportHtml(oneTableSummary(), makeRows());
    expect(html).toContain('<tr><td>cross_table</td><td class="n">0</td><td class="n">–</td><td class="n">–</td><td class="n">–</td><td class="n">–</td></tr>');
    expect(html).toContain('<p class="note">–: no transaction of the class finalized');
    expect(html).not.toContain('data-class="cross_table"');
    expect(html).toContain('data-class="intra_table"');
    expect(reportHtml(makeSummary(), makeRows())).not.toContain('–');
    const none = makeSummary({ latency_final_ms: { all: { count: 0, p50: null, p90: null, p99: null, max: null } } });
    expect(reportHtml(none, makeRows())).toMatch(/finality latency p50 \(ms\)<\/[a-z]+><[^>]*>–</);
  });

  it('the per-second latency chart leaves a gap at a second with no latency instead of a drop to 0', () => {
    const rows = makeRows(10);
    const html = reportHtml(makeSummary(), rows);
    const chart = html.match(/<svg [^>]*aria-label="Finality latency: median of the transactions final in each second"[\s\S]*?<\/svg>/)?.[0] ?? '';
    const d = /<path class="series" d="([^"]+)"/.exec(chart)?.[1] ?? '';
    // Seconds 1 and 2 have no latency: the line starts at second 3 and has one segment run.
    expect(d.match(/M/g)).toHaveLength(1);
    expect(d.split('L')).toHaveLength(rows.length - 2);
  });
});

describe('timeseriesCsv', () => {
  it('writes a header with the exact field names and one line per row', () => {
    // Proves the CSV contract: column names equal TimeseriesRow's fields, row count preserved.
    const rows = makeRows(60);
    const csv = timeseriesCsv(rows);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(
      't_s,tx_submitted,tx_final,blocks_committed,height_max,view_max,latency_final_ms_p50,bytes_total,legs_committed',
    );
    expect([...TIMESERIES_COLUMNS].sort()).toEqual(Object.keys(rows[0] as TimeseriesRow).sort());
    expect(lines.length).toBe(rows.length + 1);
    expect(lines[3]).toBe(
      ['3', '500', String(rows[2]?.tx_final), '40', '60', '61', String(rows[2]?.latency_final_ms_p50), '24000000',
        String(rows[2]?.legs_committed)].join(','),
    );
    expect(csv.endsWith('\n')).toBe(true);
  });

  it('writes a missing latency (null: nothing finalized that second) as an empty cell, not 0', () => {
    // Proves a CSV reader sees no value (NaN, NA, blank) where a second has no latency.
    const rows = makeRows(3);
    expect(rows[0]?.tx_final).toBe(0);
    const lines = timeseriesCsv(rows).trimEnd().split('\n');
    expect(lines[1]).toBe('1,500,0,40,20,21,,8000000,0');
    expect(lines[3]?.split(',')[6]).toBe(String(rows[2]?.latency_final_ms_p50));
  });

  it('writes a non-finite value as an empty cell and an empty series as the header alone', () => {
    // Proves NaN never leaks into the CSV as the text "NaN".
    const row = { ...(makeRows(1)[0] as TimeseriesRow), latency_final_ms_p50: Number.NaN };
    expect(timeseriesCsv([row]).split('\n')[1]).toBe('1,500,0,40,20,21,,8000000,0');
    expect(timeseriesCsv([])).toBe(TIMESERIES_COLUMNS.join(',') + '\n');
  });
});

describe('summaryJson', () => {
  it('keeps the type order of keys whatever order the producer filled them in, and round-trips', () => {
    // Proves summary.json is byte-stable: key order comes from the type, records are sorted.
    const s = makeSummary();
    const shuffled = Object.fromEntries(Object.entries(s).reverse()) as unknown as Summary;
    const a = summaryJson(s);
    expect(summaryJson(shuffled)).toBe(a);
    const parsed = JSON.parse(a) as Summary;
    expect(parsed).toEqual(s);
    expect(Object.keys(parsed)[0]).toBe('schema_version');
    expect(Object.keys(parsed).at(-1)).toBe('wall');
    expect(Object.keys(parsed.latency_final_ms)).toEqual(['all', 'intra_table', 'cross_table']);
    expect(Object.keys(parsed.messages)).toEqual([...Object.keys(s.messages)].sort());
    expect(a.endsWith('}\n')).toBe(true);
  });
});

describe('reportHtml', () => {
  it('is one self-contained page: doctype, inline SVG charts, no scripts, no URLs', () => {
    // Proves the report opens offline and loads nothing from the network.
    const html = reportHtml(makeSummary(), makeRows());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    // 3 over time, the latency CDF, the table heatmap, one per role (validator, auditor, edge).
    expect(html.match(/<svg /g)?.length).toBe(8);
    expect(html.match(/<\/svg>/g)?.length).toBe(8);
    expect(html).toMatch(/<path class="series" d="M[0-9.,LM]+"/);
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toContain(makeSummary().digest);
    expect(html).toContain('0.1.0');
    for (const c of ['all', 'intra_table', 'cross_table']) expect(html).toContain(`<td>${c}</td>`);
    expect(html).toContain('(wall)');
  });

  it('escapes every run-supplied string, such as a scenario named <x>&', () => {
    // Proves text from scenario files and checkers cannot inject markup into the report.
    const s = makeSummary({
      scenario: '<x>&',
      violations: [
        { check: 'safety', node: 'n"1\'', table: 0, height: 1, time_us: 5, message: '<script src="http://evil">' },
      ],
      messages: { '<b>': 3 },
    });
    const html = reportHtml(s, makeRows(5));
    expect(html).toContain('&lt;x&gt;&amp;');
    expect(html).not.toContain('<x>&');
    expect(html).not.toContain('<b>');
    expect(html).toContain('n&quot;1&#39;');
    expect(html.toLowerCase()).not.toContain('<script');
    // The only "http" left is inside escaped text.
    expect(html).toContain('&lt;script src=&quot;http://evil&quot;&gt;');
    expect(html.replaceAll('&lt;script src=&quot;http://evil&quot;&gt;', '')).not.toMatch(/https?:/i);
  });

  it('caps the node table at 200 rows with a note, and is deterministic', () => {
    // Proves a large run keeps the page small, says so, and renders identically twice.
    const nodes: NodeStats[] = Array.from({ length: 450 }, (_, i) => ({
      node: `v${i}`,
      role: 'validator',
      region: 'eu-west',
      bytes_in: 1_000_000,
      bytes_out: 2_000_000,
      cpu_busy_fraction: 0.5,
      crashed: false,
      cores: 8,
      upload_bps: 100e6,
      download_bps: 100e6,
    }));
    const s = makeSummary({ nodes });
    const html = reportHtml(s, makeRows());
    expect(html).toContain(`<td>v${HTML_NODES_MAX - 1}</td>`);
    expect(html).not.toContain(`<td>v${HTML_NODES_MAX}</td>`);
    expect(html).toContain('Showing the first 200 of 450 nodes');
    expect(reportHtml(s, makeRows())).toBe(html);
  });

  it('renders charts with "no data" for an empty time series instead of failing', () => {
    // Proves a run that ends before the first second still gets a valid report.
    const html = reportHtml(makeSummary({ latency_final_ms: {} }), []);
    expect(html.match(/no data/g)?.length).toBe(3);
    expect(html).toContain('No transaction finalized');
  });
});

describe('writeReport', () => {
  let root = '';
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'topsim-report-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const listing = (d: string): string[] => readdirSync(d).sort();

  it('writes every file, leaves no temporary directory and replaces an older report', () => {
    // Proves the rename-over: the new report fully replaces the old one, nothing stray is left.
    const dir = reportDir(join(root, 'reports'), 'default', 42);
    expect(dir).toBe(join(root, 'reports', 'default', '42'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'stale.txt'), 'from an older run');
    writeFileSync(join(dir, 'summary.json'), '{"old":true}');

    writeReport(dir, { 'summary.json': '{"new":true}\n', 'timeseries.csv': 't_s\n' });
    expect(listing(dir)).toEqual(['summary.json', 'timeseries.csv']);
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe('{"new":true}\n');
    expect(listing(join(root, 'reports', 'default'))).toEqual(['42']);
  });

  it('keeps the previous report intact and leaves no temporary directory when writing fails midway', () => {
    // Proves atomicity: a failure while producing a file (a throwing getter) changes nothing on disk.
    const dir = reportDir(root, 'default', 7);
    writeReport(dir, { 'summary.json': 'v1\n', 'report.html': '<!doctype html>v1' });
    const files: Record<string, string> = { 'a.txt': 'written before the failure' };
    Object.defineProperty(files, 'b.txt', {
      enumerable: true,
      get(): string {
        throw new Error('simulated crash while rendering');
      },
    });
    expect(() => writeReport(dir, files)).toThrow('simulated crash while rendering');
    expect(listing(dir)).toEqual(['report.html', 'summary.json']);
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe('v1\n');
    expect(listing(join(root, 'default'))).toEqual(['7']);
  });

  it('rejects file names that would escape the report directory, leaving nothing behind', () => {
    // Proves a report can only ever write inside its own directory.
    const dir = reportDir(root, 'default', 1);
    expect(() => writeReport(dir, { '../evil.txt': 'x' })).toThrow(/single plain path segment/);
    expect(existsSync(join(root, 'default'))).toBe(false); // checked before anything is created
  });

  it('maps the scenario name to one safe path segment and rejects bad seeds', () => {
    // Proves reportDir cannot be steered outside root/<scenario>/<seed>.
    expect(reportDir('r', 'a/../b', 3)).toBe(join('r', 'a_.._b', '3'));
    expect(() => reportDir('r', '..', 3)).toThrow();
    expect(() => reportDir('r', 'x', -1)).toThrow();
    expect(() => reportDir('r', 'x', 1.5)).toThrow();
  });

  it('writeRunOutputs writes summary.json, timeseries.csv and report.html', () => {
    // Proves the standard run outputs land together and match the pure builders.
    const dir = reportDir(root, 'default', 42);
    const s = makeSummary();
    const rows = makeRows();
    writeRunOutputs(dir, s, rows);
    expect(listing(dir)).toEqual(['report.html', 'summary.json', 'timeseries.csv']);
    expect(readFileSync(join(dir, 'summary.json'), 'utf8')).toBe(summaryJson(s));
    expect(readFileSync(join(dir, 'timeseries.csv'), 'utf8')).toBe(timeseriesCsv(rows));
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(reportHtml(s, rows));
  });
});

describe('createProgress', () => {
  const fakeStream = (isTTY: boolean): { isTTY: boolean; chunks: string[]; write(c: string): boolean } => {
    const chunks: string[] = [];
    return { isTTY, chunks, write: (c: string) => (chunks.push(c), true) };
  };

  it('prints nothing at all when the stream is not a terminal and no wall clock is given', () => {
    // Proves CI logs stay quiet.
    const stream = fakeStream(false);
    const p = createProgress(stream, 60);
    for (let i = 0; i < 100; i++) p.update(i * 0.5, i * 1000);
    p.done();
    expect(stream.chunks).toEqual([]);
  });

  it('off a terminal, writes a plain line per interval of wall time, and none for a short run', () => {
    let now = 0;
    const short = fakeStream(false);
    const s = createProgress(short, 60, { now_ms: () => now });
    for (let i = 0; i < 1000; i++) { now = i * 25; s.update(i * 0.06, i * 1000); } // 25 s of wall time
    s.done();
    expect(short.chunks).toEqual([]);
    now = 0;
    const long = fakeStream(false);
    const p = createProgress(long, 60, { now_ms: () => now, log_interval_ms: 30_000 });
    for (let i = 1; i <= 1000; i++) { now = i * 100; p.update(i * 0.06, i * 1000); } // 100 s
    p.done();
    p.update(60, 1);
    expect(long.chunks).toEqual([
      // The clock is read on every 16th update: at 30.4 s, then 30 s after each line.
      'progress 18.2/60.0 s sim (30%)  304.0k events\n',
      'progress 36.5/60.0 s sim (60%)  608.0k events\n',
      'progress 54.7/60.0 s sim (91%)  912.0k events\n',
    ]);
  });

  it('draws the bar with \\r on a terminal, throttled by call count, and ends the line on done', () => {
    // Proves the format and that redraws happen on the first call and every `every`-th call only.
    expect(progressLine(42, 60, 1_230_000, 10)).toBe('[#######---] 42.0/60.0 s sim  1.23M events');
    const stream = fakeStream(true);
    const p = createProgress(stream, 60, { every: 10, width: 10 });
    for (let i = 1; i <= 35; i++) p.update(i, i * 1000);
    // Draws at calls 1, 10, 20, 30.
    expect(stream.chunks.length).toBe(4);
    for (const c of stream.chunks) expect(c.startsWith('\r[')).toBe(true);
    expect(stream.chunks[1]).toBe('\r[#---------] 10.0/60.0 s sim  10.0k events');
    p.done();
    p.done();
    expect(stream.chunks.at(-2)).toBe('\r[#####-----] 35.0/60.0 s sim  35.0k events');
    expect(stream.chunks.at(-1)).toBe('\n');
    p.update(60, 1);
    expect(stream.chunks.at(-1)).toBe('\n');
  });

  it('honours an injected wall clock as an extra throttle', () => {
    // Proves wall-time throttling works without sim/ reading the clock itself.
    let now = 0;
    const stream = fakeStream(true);
    const p = createProgress(stream, 10, { every: 1, now_ms: () => now, min_interval_ms: 100 });
    p.update(1, 1); // first: drawn
    now = 50;
    p.update(2, 2); // too soon
    now = 150;
    p.update(3, 3); // drawn
    expect(stream.chunks.length).toBe(2);
    expect(stream.chunks[1]).toContain(' 3.0/10.0 s sim');
  });
});
