/**
 * What the report marks on its time charts, from the summary alone: each fault's and byzantine
 * entry's window (shaded, labelled), the end of the fault phase, the liveness bound after it, and
 * each violation; and the table of faults and byzantine entries at the top of the report.
 */
import type { Summary } from '../metrics/types.js';
import { parseDuration } from '../scenario/units.js';
import { escapeHtml as esc } from './escape.js';

export interface TimeWindow {
  /** What: `crash v3`, `partition region:London | rest`, `byzantine equivocate: 2 of validators`. */
  label: string;
  /** Null for a fault triggered by the protocol's state rather than a time (TOP's crash_leader): not drawn. */
  from_s: number | null;
  /** Equal to `from_s` for an instant (a join, a leave, a rotation). */
  to_s: number;
  /** When it starts, in words, for the table (`12 s`, `as table 0 enters view 12`). */
  when: string;
  /** A byzantine entry (drawn in another colour). */
  byzantine: boolean;
}

export interface TimeMarks {
  windows: TimeWindow[];
  /** The end of the fault phase (the last fault start or heal), when there were faults. */
  faultEnd_s: number | null;
  /** The fault phase's end plus the liveness bound, when liveness was judged. */
  liveness_s: number | null;
  violations: { t_s: number; label: string }[];
}

/** Fault kinds that act at one instant. */
const INSTANT = new Set(['join', 'leave', 'rotate', 'crash_leader']);

function seconds(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  try {
    return parseDuration(v) / 1e6;
  } catch {
    return null;
  }
}

function list(v: unknown): string {
  return Array.isArray(v) ? v.map(String).join(', ') : v === undefined ? '' : String(v);
}

/** Who a fault entry acts on, in a few words. */
function target(f: Record<string, unknown>): string {
  if (f['nodes'] !== undefined) return list(f['nodes']);
  if (f['a'] !== undefined) return `${list(f['a'])} | ${list(f['b']) === '' ? 'the rest' : list(f['b'])}`;
  if (f['clusters'] !== undefined) return `clusters ${list(f['clusters'])}`;
  if (f['from_table'] !== undefined) return `table ${String(f['from_table'])} to ${String(f['to_table'])}`;
  if (f['table'] !== undefined) return `table ${String(f['table'])}`;
  return '';
}

/** The windows of a summary's faults and byzantine entries (its scenario as run). */
export function faultWindows(s: Summary): TimeWindow[] {
  const file = s.scenario_file as Record<string, unknown>;
  const end = s.sim_s;
  const out: TimeWindow[] = [];
  for (const f of (Array.isArray(file['faults']) ? file['faults'] : []) as Record<string, unknown>[]) {
    const kind = String(f['kind']);
    const at = seconds(f['at']);
    const until = seconds(f['until']);
    const who = target(f);
    const label = `${kind}${who === '' ? '' : ` ${who}`}`;
    if (at === null && f['view'] !== undefined) {
      // Triggered when a table enters a view: the time is the run's, not the file's.
      out.push({ label, from_s: null, to_s: Math.min(end, until ?? end), when: `as table ${String(f['table'] ?? 0)} enters view ${String(f['view'])}`, byzantine: false });
      continue;
    }
    const from = at ?? 0;
    const to = INSTANT.has(kind) ? from : until ?? end;
    out.push({ label, from_s: from, to_s: Math.min(end, to), when: `${from} s`, byzantine: false });
  }
  for (const b of (Array.isArray(file['byzantine']) ? file['byzantine'] : []) as Record<string, unknown>[]) {
    const from = seconds(b['at']) ?? 0;
    const until = seconds(b['until']);
    out.push({ label: `byzantine ${String(b['behavior'])}: ${list(b['nodes'])}`, from_s: from, to_s: Math.min(end, until ?? end), when: `${from} s`, byzantine: true });
  }
  return out;
}

export function timeMarks(s: Summary): TimeMarks {
  const windows = faultWindows(s);
  const p = s.phases;
  const faulty = windows.length > 0 && p !== undefined && p.fault_end_s > 0;
  return {
    windows,
    faultEnd_s: faulty ? p.fault_end_s : null,
    liveness_s: p !== undefined && p.liveness_judged && faulty ? p.fault_end_s + p.liveness_bound_s : null,
    violations: s.violations.map((v) => ({ t_s: v.time_us / 1e6, label: `${v.check} at ${v.node}: ${v.message}` })),
  };
}

const FAULT_FILL = '#fff1e5';
const BYZ_FILL = '#fbefff';

/**
 * The marks as SVG under a chart's series: `x` maps simulated seconds to pixels, the plot spans
 * [y1, y0] vertically and [t0, t1] in time. Window labels stack in rows so they do not overlap.
 */
export function marksSvg(m: TimeMarks, x: (t: number) => number, y0: number, y1: number, t0: number, t1: number): { under: string[]; over: string[] } {
  const r1 = (v: number) => (Math.round(v * 10) / 10).toString();
  const under: string[] = [];
  const over: string[] = [];
  const inside = (t: number) => t >= t0 && t <= t1;
  let row = 0;
  for (const w of m.windows) {
    if (w.from_s === null) continue;
    const a = Math.max(t0, w.from_s);
    const b = Math.min(t1, w.to_s);
    if (b < a) continue;
    const xa = x(a);
    const wpx = Math.max(2, x(b) - xa);
    under.push(`<rect class="fault" x="${r1(xa)}" y="${r1(y1)}" width="${r1(wpx)}" height="${r1(y0 - y1)}" fill="${w.byzantine ? BYZ_FILL : FAULT_FILL}" ` +
      `stroke="${w.byzantine ? '#8250df' : '#bc4c00'}" stroke-opacity="0.35"><title>${esc(`${w.label}: ${w.from_s} s to ${w.to_s} s`)}</title></rect>`);
    over.push(`<text class="flabel" x="${r1(xa + 3)}" y="${r1(y1 + 11 + 11 * (row % 3))}" fill="${w.byzantine ? '#8250df' : '#bc4c00'}">${esc(w.label.length > 60 ? `${w.label.slice(0, 59)}…` : w.label)}</text>`);
    row++;
  }
  const rule = (t: number, cls: string, label: string, dash: string, color: string) => {
    if (!inside(t)) return;
    const px = r1(x(t));
    over.push(`<line class="${cls}" x1="${px}" x2="${px}" y1="${r1(y1)}" y2="${r1(y0)}" stroke="${color}" stroke-dasharray="${dash}"><title>${esc(label)}</title></line>`);
    over.push(`<text class="flabel" x="${px}" y="${r1(y0 - 4)}" text-anchor="end" fill="${color}" dx="-3">${esc(label)}</text>`);
  };
  if (m.faultEnd_s !== null) rule(m.faultEnd_s, 'faultend', `faults end ${m.faultEnd_s} s`, '5 3', '#57606a');
  if (m.liveness_s !== null) rule(m.liveness_s, 'liveness', 'liveness bound', '2 3', '#1a7f37');
  for (const v of m.violations) {
    if (!inside(v.t_s)) continue;
    const px = x(v.t_s);
    over.push(`<path class="violation" d="M${r1(px - 5)},${r1(y1 - 1)} L${r1(px + 5)},${r1(y1 - 1)} L${r1(px)},${r1(y1 + 8)} Z" fill="#cf222e"><title>${esc(`violation: ${v.label} (${v.t_s} s)`)}</title></path>`);
  }
  return { under, over };
}

/** The scenario's faults and byzantine entries as an HTML table, or a line saying there are none. */
export function faultsTableHtml(s: Summary): string {
  const w = faultWindows(s);
  if (w.length === 0) return '<p class="note">No faults and no byzantine nodes: every node is honest and up, and the network is as configured.</p>';
  const rows = w.map((x) => `<tr><td>${esc(x.byzantine ? 'byzantine' : 'fault')}</td><td>${esc(x.label)}</td>` +
    `<td>${esc(x.when)}</td><td class="n">${x.to_s === x.from_s ? 'instant' : esc(String(x.to_s))}</td></tr>`);
  return `<table><caption>Faults and byzantine entries (shaded on the time charts)</caption><thead><tr><th>type</th><th>what</th><th>from</th><th class="n">to (s)</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table>`;
}
