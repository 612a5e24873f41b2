/**
 * Text serialisations of a run: timeseries.csv and summary.json.
 *
 * Both are byte-for-byte deterministic for a given run: columns and keys come in a fixed order
 * (the order of the types in ./types.ts), never in whatever order a producer filled an object.
 */
import type {
  LatencyStats,
  NodeStats,
  Summary,
  TableStats,
  TableTimeline,
  TimeseriesRow,
  Violation,
  WallStats,
} from '../metrics/types.js';
import { blockKindKeys } from '../metrics/types.js';
import { compareStrings, latencyClasses } from './table.js';

/**
 * One CSV cell: empty for null, undefined and non-finite numbers (CSV has no null); text with a
 * quote, comma or line break quoted, its quotes doubled.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const t = String(v);
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/** CSV text: a header, then rows, one line each, trailing newline. */
export function csvText(head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [head, ...rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

/** timeseries.csv columns, exactly the TimeseriesRow field names, in the type's order. */
export const TIMESERIES_COLUMNS = [
  't_s',
  'tx_submitted',
  'tx_final',
  'blocks_committed',
  'height_max',
  'view_max',
  'latency_final_ms_p50',
  'bytes_total',
  'legs_committed',
] as const satisfies readonly (keyof TimeseriesRow)[];

/**
 * `true` only when `K` lists every field of `T`. Used below as a compile-time check: when a
 * field is added to a type in ./types.ts and not to its key list here, the build fails.
 */
/** A chain's keys other than its `blocks_<kind>` counts. */
type NamedTableKeys = { [K in keyof TableStats as K extends `blocks_${string}` ? never : K]: TableStats[K] };

type ListsAllKeys<T, K extends readonly (keyof T)[]> = [Exclude<keyof T, K[number]>] extends [never]
  ? true
  : never;

/**
 * A CSV cell for a number: shortest round-trip form. A missing figure (null: e.g. the latency of a
 * second in which no transaction finalized) and NaN/±Infinity are an empty cell, not 0 and not a
 * word: CSV has no null, every CSV reader takes an empty cell as a missing value (pandas NaN, R NA,
 * a spreadsheet's blank), and a 0 would read as a real 0 ms.
 */
function csvNumber(x: number | null): string {
  return typeof x === 'number' && Number.isFinite(x) ? String(x) : '';
}

/** timeseries.csv: a header line with the field names, one line per row, trailing newline. */
export function timeseriesCsv(rows: readonly TimeseriesRow[]): string {
  const lines: string[] = [TIMESERIES_COLUMNS.join(',')];
  for (const row of rows) {
    lines.push(TIMESERIES_COLUMNS.map((c) => csvNumber(row[c])).join(','));
  }
  return lines.join('\n') + '\n';
}

// Key orders of the nested records, as declared in ./types.ts.
const SUMMARY_KEYS = [
  'schema_version',
  'simulator_version',
  'scenario',
  'seed',
  'crypto',
  'fidelity',
  'digest',
  'events',
  'sim_s',
  'warmup_s',
  'tx_submitted',
  'tx_dropped',
  'tx_final',
  'tps_final',
  'tps_slots',
  'latency_final_ms',
  'latency_cdf_ms',
  'tables',
  'table_timeline',
  'nodes',
  'messages',
  'violations',
  'limits',
  'phases',
  'scenario_file',
  'wall',
] as const satisfies readonly (keyof Summary)[];
const LATENCY_KEYS = ['count', 'p50', 'p90', 'p99', 'max'] as const satisfies readonly (keyof LatencyStats)[];
/** A chain's keys in order; its `blocks_<kind>` keys go after `height_committed`, in the family's order. */
const TABLE_KEYS = [
  'table',
  'height_committed',
  'views',
  'stall_s_max',
  'stall_s_total',
  'messages_per_block',
] as const satisfies readonly (keyof TableStats)[];
const NODE_KEYS = [
  'node',
  'role',
  'region',
  'bytes_in',
  'bytes_out',
  'cpu_busy_fraction',
  'crashed',
  'cores',
  'upload_bps',
  'download_bps',
] as const satisfies readonly (keyof NodeStats)[];
const VIOLATION_KEYS = [
  'check',
  'node',
  'table',
  'height',
  'time_us',
  'message',
] as const satisfies readonly (keyof Violation)[];
const TIMELINE_KEYS = ['bucket_s', 'blocks', 'stalled'] as const satisfies readonly (keyof TableTimeline)[];
const WALL_KEYS = [
  'wall_s',
  'events_per_wall_s',
  'sim_s_per_wall_s',
  'peak_rss_bytes',
  'workers',
  'cross_worker_messages',
  'cross_worker_share',
] as const satisfies readonly (keyof WallStats)[];

const _keyListsComplete: [
  ListsAllKeys<TimeseriesRow, typeof TIMESERIES_COLUMNS>,
  ListsAllKeys<Summary, typeof SUMMARY_KEYS>,
  ListsAllKeys<LatencyStats, typeof LATENCY_KEYS>,
  ListsAllKeys<NamedTableKeys, typeof TABLE_KEYS>,
  ListsAllKeys<NodeStats, typeof NODE_KEYS>,
  ListsAllKeys<Violation, typeof VIOLATION_KEYS>,
  ListsAllKeys<WallStats, typeof WALL_KEYS>,
  ListsAllKeys<TableTimeline, typeof TIMELINE_KEYS>,
] = [true, true, true, true, true, true, true, true];
void _keyListsComplete;

/**
 * A copy of `obj` with `keys` first in the given order, then any other own keys (optional
 * fields added later) sorted by name, so nothing is dropped and the order is still fixed.
 */
function ordered<T extends object>(obj: T, keys: readonly (keyof T & string)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const src = obj as Record<string, unknown>;
  for (const k of keys) {
    if (Object.prototype.hasOwnProperty.call(src, k)) out[k] = src[k];
  }
  const known: readonly string[] = keys;
  const extra = Object.keys(src)
    .filter((k) => !known.includes(k))
    .sort(compareStrings);
  for (const k of extra) out[k] = src[k];
  return out;
}

function sortedRecord<V>(rec: Record<string, V>, order: string[], map: (v: V) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) out[k] = map(rec[k] as V);
  return out;
}

/**
 * Marks a list of numbers to be written on one line (a 1,024-table timeline would otherwise take
 * one line per number). The control character cannot come from the run: JSON.stringify escapes
 * it in every string it writes.
 */
const INLINE = '\u0001inline';

function inline(values: readonly number[] | null): string | null {
  if (values === null) return null;
  return INLINE + JSON.stringify(values.map((v) => (Number.isFinite(v) ? v : null)));
}

/**
 * summary.json: pretty JSON with keys in the type's order, records sorted, trailing newline. The
 * quantile lists and timeline rows are written one list per line.
 */
export function summaryJson(s: Summary): string {
  // The family's sections (TOP: elections) go after `phases`, by name.
  const at = SUMMARY_KEYS.indexOf('phases') + 1;
  const own = Object.keys(s).filter((k) => !(SUMMARY_KEYS as readonly string[]).includes(k)).sort(compareStrings);
  const top = ordered(s as Summary & Record<string, unknown>, [...SUMMARY_KEYS.slice(0, at), ...own, ...SUMMARY_KEYS.slice(at)]);
  top['latency_final_ms'] = sortedRecord(s.latency_final_ms, latencyClasses(s.latency_final_ms), (l) =>
    ordered(l, LATENCY_KEYS),
  );
  if (s.latency_cdf_ms) {
    top['latency_cdf_ms'] = sortedRecord(s.latency_cdf_ms, latencyClasses(s.latency_cdf_ms), inline);
  }
  if (s.table_timeline) {
    const tl = ordered(s.table_timeline, TIMELINE_KEYS);
    tl['blocks'] = s.table_timeline.blocks.map((row) => inline(row));
    tl['stalled'] = s.table_timeline.stalled.map((row) => inline(row));
    top['table_timeline'] = tl;
  }
  top['tables'] = s.tables.map((t) => {
    // table, height_committed, the block kinds in the family's order, then the other keys.
    const o = ordered(t, TABLE_KEYS);
    const out: Record<string, unknown> = { table: o.table, height_committed: o.height_committed };
    for (const k of blockKindKeys(t)) out[k] = o[k];
    for (const [k, v] of Object.entries(o)) if (!(k in out)) out[k] = v;
    return out;
  });
  top['nodes'] = s.nodes.map((n) => ordered(n, NODE_KEYS));
  top['messages'] = sortedRecord(s.messages, Object.keys(s.messages).sort(compareStrings), (n) => n);
  top['violations'] = s.violations.map((v) => ordered(v, VIOLATION_KEYS));
  top['wall'] = ordered(s.wall, WALL_KEYS);
  // JSON.stringify writes the marker as the six characters \u0001.
  return JSON.stringify(top, null, 2).replace(/"\\u0001inline([^"]*)"/g, '$1') + '\n';
}
