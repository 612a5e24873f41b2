/**
 * The terminal summary printed after a run: plain text, aligned columns, no colours.
 *
 * Also home of the small pure helpers the HTML report shares (class order, role roll-up,
 * exact time formatting), so the two outputs never disagree on how a figure is computed.
 */
import { limitsLines } from '../metrics/limits.js';
import type { ProtocolModule } from '../contract/module.js';
import { FAMILIES } from '../protocol/registry.js';
import { DEFAULT_FAMILY } from '../protocol/families.js';
import { blockKindKeys, type NodeStats, type Summary, type TableStats, type Violation } from '../metrics/types.js';

/** Latency classes named by docs/DESIGN.md "Metrics", in the order reports show them. */
const LATENCY_CLASS_ORDER = ['all', 'intra_table', 'cross_table'];

/** Table rows shown in the terminal before the rest are rolled into one line. */
const TERMINAL_TABLES_MAX = 8;
/** Violations listed in the terminal before the rest are counted. */
const TERMINAL_VIOLATIONS_MAX = 10;
/** Width at which the "messages" line wraps. */
const TERMINAL_WIDTH = 100;

const MB = 1_000_000;

/** The summary's latency classes: the known ones in fixed order, then any others sorted by name. */
export function latencyClasses(latency: Record<string, unknown>): string[] {
  const present = Object.keys(latency);
  const known = LATENCY_CLASS_ORDER.filter((c) => present.includes(c));
  const others = present.filter((c) => !LATENCY_CLASS_ORDER.includes(c)).sort(compareStrings);
  return [...known, ...others];
}

/** Code-unit string order, independent of locale (so every machine prints the same). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Message kinds by count descending, ties by name, so the heaviest traffic reads first. */
export function messageKinds(messages: Record<string, number>): [string, number][] {
  return Object.keys(messages)
    .map((k): [string, number] => [k, messages[k] ?? 0])
    .sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]));
}

export interface RoleSummary {
  role: string;
  count: number;
  cpu_busy_fraction_mean: number;
  cpu_busy_fraction_max: number;
  bytes_in_mean: number;
  bytes_out_mean: number;
  crashed: number;
}

/** Per-role roll-up of the node table, roles sorted by name. */
export function roleSummaries(nodes: readonly NodeStats[]): RoleSummary[] {
  const byRole = new Map<string, NodeStats[]>();
  for (const n of nodes) {
    const list = byRole.get(n.role);
    if (list) list.push(n);
    else byRole.set(n.role, [n]);
  }
  return [...byRole.keys()].sort(compareStrings).map((role) => {
    const list = byRole.get(role) ?? [];
    let cpuSum = 0;
    let cpuMax = 0;
    let inSum = 0;
    let outSum = 0;
    let crashed = 0;
    for (const n of list) {
      cpuSum += n.cpu_busy_fraction;
      cpuMax = Math.max(cpuMax, n.cpu_busy_fraction);
      inSum += n.bytes_in;
      outSum += n.bytes_out;
      if (n.crashed) crashed += 1;
    }
    const count = list.length;
    return {
      role,
      count,
      cpu_busy_fraction_mean: count > 0 ? cpuSum / count : 0,
      cpu_busy_fraction_max: cpuMax,
      bytes_in_mean: count > 0 ? inSum / count : 0,
      bytes_out_mean: count > 0 ? outSum / count : 0,
      crashed,
    };
  });
}

/**
 * Simulated time in µs as exact seconds ("12.000345"): integer arithmetic, no float rounding,
 * because a violation's time is what a researcher greps the trace for.
 */
export function formatTimeUs(time_us: number): string {
  if (!Number.isSafeInteger(time_us)) return String(time_us);
  const sign = time_us < 0 ? '-' : '';
  const abs = Math.abs(time_us);
  const whole = Math.floor(abs / 1_000_000);
  const frac = abs - whole * 1_000_000;
  return `${sign}${whole}.${String(frac).padStart(6, '0')}`;
}

/** Fixed decimals; non-finite values print as "-" rather than "NaN". */
export function fixed(x: number, decimals: number): string {
  return Number.isFinite(x) ? x.toFixed(decimals) : '-';
}

/**
 * What the reports (terminal, report.html, sweep.html) show for a figure that does not exist, such
 * as a latency of a class in which no transaction finalized: an en dash, never "0".
 */
export const NO_VALUE = '\u2013';

/** A latency figure in ms with `decimals`, or NO_VALUE when there is none (null). */
export function latencyText(x: number | null | undefined, decimals = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? NO_VALUE : x.toFixed(decimals);
}

/** Integer with thin grouping ("1,234,567"), locale-independent. */
export function grouped(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const sign = x < 0 ? '-' : '';
  const digits = String(Math.round(Math.abs(x)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Compact count with SI suffix: 999, 12.3k, 1.23M, 4.56G. */
export function compactCount(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const abs = Math.abs(x);
  if (abs < 1_000) return String(Math.round(x));
  if (abs < 1_000_000) return `${(x / 1_000).toFixed(abs < 10_000 ? 2 : 1)}k`;
  if (abs < 1_000_000_000) return `${(x / 1_000_000).toFixed(abs < 10_000_000 ? 2 : 1)}M`;
  return `${(x / 1_000_000_000).toFixed(2)}G`;
}

export function megabytes(bytes: number): string {
  return fixed(bytes / MB, 1);
}

export function percent(fraction: number): string {
  return fixed(fraction * 100, 1);
}

type Align = 'l' | 'r';

/** Pads cells so columns line up; each row is joined with two spaces. */
function alignRows(rows: string[][], align: Align[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) => {
          const w = widths[i] ?? 0;
          return (align[i] ?? 'l') === 'r' ? cell.padStart(w) : cell.padEnd(w);
        })
        .join('  ')
        .trimEnd(),
  );
}

/** Words joined by two spaces, wrapped at `width`, continuation lines indented. */
function wrapWords(head: string, words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = head;
  let lineHasWord = false;
  const indent = ' '.repeat(head.length);
  for (const w of words) {
    if (lineHasWord && line.length + 2 + w.length > width) {
      lines.push(line);
      line = indent + w;
    } else {
      line += (lineHasWord ? '  ' : '') + w;
    }
    lineHasWord = true;
  }
  lines.push(line);
  return lines;
}

function tableRow(t: TableStats, kinds: readonly string[]): string[] {
  return [
    String(t.table),
    String(t.height_committed),
    ...kinds.map((k) => String((t as unknown as Record<string, number>)[k] ?? 0)),
    String(t.views),
    fixed(t.stall_s_max, 1),
    fixed(t.messages_per_block, 1),
  ];
}

function tableLines(tables: readonly TableStats[]): string[] {
  if (tables.length === 0) return ['tables    none'];
  const sorted = [...tables].sort((a, b) => a.table - b.table);
  const kinds = blockKindKeys(sorted[0]);
  const head = ['table', 'height', ...kinds.map((k) => k.slice('blocks_'.length)), 'views', 'stall_max_s', 'msgs/block'];
  const shown = sorted.slice(0, TERMINAL_TABLES_MAX);
  const rows = [head, ...shown.map((t) => tableRow(t, kinds))];
  const lines = ['tables', ...alignRows(rows, head.map(() => 'r'))];
  const rest = sorted.slice(TERMINAL_TABLES_MAX);
  if (rest.length > 0) {
    let hMin = Infinity;
    let hMax = -Infinity;
    let stallMax = 0;
    for (const t of rest) {
      hMin = Math.min(hMin, t.height_committed);
      hMax = Math.max(hMax, t.height_committed);
      stallMax = Math.max(stallMax, t.stall_s_max);
    }
    lines.push(
      `  ... ${rest.length} more tables: height ${hMin}..${hMax}, max stall ${fixed(stallMax, 1)} s`,
    );
  }
  return lines;
}

/** Free text on one terminal line: control characters (newlines, escapes) become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

function violationRow(v: Violation): string[] {
  return [
    v.check,
    oneLine(v.node),
    String(v.table),
    String(v.height),
    `${formatTimeUs(v.time_us)}s`,
    oneLine(v.message),
  ];
}

function violationLines(violations: readonly Violation[]): string[] {
  if (violations.length === 0) return ['violations  none'];
  const shown = violations.slice(0, TERMINAL_VIOLATIONS_MAX);
  const rows = [['check', 'node', 'table', 'height', 'time', 'message'], ...shown.map(violationRow)];
  const lines = [
    `violations  ${violations.length}`,
    ...alignRows(rows, ['l', 'l', 'r', 'r', 'r', 'l']),
  ];
  if (violations.length > shown.length) {
    lines.push(`  ... and ${violations.length - shown.length} more (see summary.json)`);
  }
  return lines;
}

/** Human summary of a finished run, for the terminal. Ends with a newline. */
/** The family that ran a summary's scenario (from its scenario file), if it is registered. */
export function familyOf(s: Summary): ProtocolModule | undefined {
  const family = (s.scenario_file.protocol as { family?: string } | undefined)?.family ?? DEFAULT_FAMILY;
  return (FAMILIES as Readonly<Record<string, ProtocolModule>>)[family];
}

export function formatSummaryTable(s: Summary): string {
  const out: string[] = [];
  out.push(
    `topsim ${oneLine(s.simulator_version)}  scenario ${oneLine(s.scenario)}  seed ${s.seed}  crypto ${oneLine(s.crypto)}  bulk data as ${oneLine(s.fidelity)}s`,
  );
  out.push(`digest    ${oneLine(s.digest)}`);
  out.push(
    `events    ${grouped(s.events)}  sim ${fixed(s.sim_s, 1)} s (warmup ${fixed(s.warmup_s, 1)} s)`,
  );
  out.push(
    `tx        submitted ${grouped(s.tx_submitted)}  final ${grouped(s.tx_final)}  dropped ${grouped(s.tx_dropped)}`,
  );
  out.push(`tps       final ${fixed(s.tps_final, 1)}  slots ${fixed(s.tps_slots, 1)}`);

  const classes = latencyClasses(s.latency_final_ms);
  if (classes.length === 0) {
    out.push('latency   none');
  } else {
    const rows = [['class', 'count', 'p50', 'p90', 'p99', 'max']];
    for (const c of classes) {
      const l = s.latency_final_ms[c];
      if (!l) continue;
      rows.push([oneLine(c), grouped(l.count), latencyText(l.p50), latencyText(l.p90), latencyText(l.p99), latencyText(l.max)]);
    }
    out.push('latency_final_ms');
    out.push(...alignRows(rows, ['l', 'r', 'r', 'r', 'r', 'r']));
  }

  out.push(...tableLines(s.tables));

  const roles = roleSummaries(s.nodes);
  if (roles.length === 0) {
    out.push('nodes     none');
  } else {
    const rows = [['role', 'count', 'cpu_mean%', 'cpu_max%', 'MB_in_mean', 'MB_out_mean', 'crashed']];
    for (const r of roles) {
      rows.push([
        oneLine(r.role),
        String(r.count),
        percent(r.cpu_busy_fraction_mean),
        percent(r.cpu_busy_fraction_max),
        megabytes(r.bytes_in_mean),
        megabytes(r.bytes_out_mean),
        String(r.crashed),
      ]);
    }
    out.push(`nodes     ${s.nodes.length}`);
    out.push(...alignRows(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r']));
  }

  const kinds = messageKinds(s.messages);
  let total = 0;
  for (const [, n] of kinds) total += n;
  out.push(
    ...wrapWords(
      `messages  ${compactCount(total)}: `,
      kinds.map(([k, n]) => `${oneLine(k)}=${compactCount(n)}`),
      TERMINAL_WIDTH,
    ),
  );

  if (s.limits) {
    const [a, b] = limitsLines(s.limits);
    out.push(`limits    ${a}`, `          ${b}`);
    for (const r of s.limits.roles) {
      if (r.role !== 'validator' && r.role !== 'auditor') continue;
      out.push(
        `  ${r.role.padEnd(9)} Mb/s in ${fixed(r.in_mbps_mean, 1)} (max ${fixed(r.in_mbps_max, 1)}) of ` +
          `${fixed(r.download_mbps_capacity, 0)}, out ${fixed(r.out_mbps_mean, 1)} (max ${fixed(r.out_mbps_max, 1)}) of ` +
          `${fixed(r.upload_mbps_capacity, 0)}; cpu ${percent(r.cpu_busy_mean)}% (max ${percent(r.cpu_busy_max)}%) of ${r.cores}`,
      );
    }
  }

  out.push(...familyOf(s)?.summaryLines(s, { fixed, megabytes }) ?? []);
  if (s.phases && s.phases.fault_end_s > 0) {
    out.push(s.phases.liveness_judged === false
      ? `phases    faults until ${fixed(s.phases.fault_end_s, 1)} s (safety only); LIVENESS NOT JUDGED: ${s.phases.liveness_reason}`
      : `phases    faults until ${fixed(s.phases.fault_end_s, 1)} s (safety only), then liveness within ${fixed(s.phases.liveness_bound_s, 0)} s`);
  }
  out.push(...violationLines(s.violations));

  const w = s.wall;
  out.push(
    `(wall)    ${fixed(w.wall_s, 2)} s  ${compactCount(w.events_per_wall_s)} events/s  ` +
      `${fixed(w.sim_s_per_wall_s, 2)} sim_s/s  peak RSS ${megabytes(w.peak_rss_bytes)} MB` +
      (w.workers > 1
        ? `  ${w.workers} workers, ${compactCount(w.cross_worker_messages)} messages crossed (${fixed(100 * w.cross_worker_share, 1)}%)`
        : ''),
  );
  return out.join('\n') + '\n';
}
