/**
 * Node selectors: how a scenario names the targets of faults and byzantine behaviour.
 *
 *   v3, a0, e1, r2, h0           one node by name
 *   validators, auditors, edges, beacons, archives, all
 *   standby                      the registered validators and auditors not seated at genesis
 *   vgroup:N                     the genesis validators of validator group N
 *   agroup:N                     the genesis auditors of auditor group N
 *   cluster:N                    auditor group N with its validator groups (genesis seats)
 *   table:N                      the genesis validators and auditors that run table N
 *   region:NAME                  every node placed in region NAME
 *   K of S, P% of S              a seeded choice of K nodes (or P% of them, rounded, at least 1)
 *                                from selector S; the choice depends on the scenario seed and
 *                                where the selector stands in the file, nothing else
 *
 * Parsing is pure and shared by the schema (validation) and the run builder (resolution).
 */

export const ROLE_WORDS = ['validators', 'auditors', 'edges', 'beacons', 'archives', 'standby', 'all'] as const;
export type RoleWord = (typeof ROLE_WORDS)[number];
export type NodePrefix = 'v' | 'a' | 'e' | 'r' | 'h';
export type GroupKind = 'vgroup' | 'agroup' | 'cluster' | 'table';

export type Selector =
  | { kind: 'node'; prefix: NodePrefix; index: number }
  | { kind: 'role'; role: RoleWord }
  | { kind: GroupKind; index: number }
  | { kind: 'region'; region: string }
  | { kind: 'fraction'; count: number | null; percent: number | null; base: Selector };

const INDEX = '(?:0|[1-9][0-9]*)';
const BASE = `(?:[vaerh]${INDEX}|${ROLE_WORDS.join('|')}|(?:vgroup|agroup|cluster|table):${INDEX}|region:\\S(?:.*\\S)?)`;
/** The selector grammar as one regular expression (also the JSON Schema pattern). */
export const SELECTOR_PATTERN = `^(?:(?:[1-9][0-9]*|(?:[1-9][0-9]?|100)(?:\\.[0-9]+)?%) of )?${BASE}$`;

export const SELECTOR_HELP =
  'a node name like "v3", a role (validators, auditors, edges, beacons, archives, all), standby, vgroup:N, agroup:N, ' +
  'cluster:N, table:N, region:NAME, or "K of S" / "P% of S" for a seeded choice from S';

const BASE_RE = new RegExp(`^${BASE}$`);
const FRACTION_RE = /^(?:([1-9][0-9]*)|([0-9]+(?:\.[0-9]+)?)%) of (.+)$/;

function parseBase(s: string): Selector | null {
  if (!BASE_RE.test(s)) return null;
  if ((ROLE_WORDS as readonly string[]).includes(s)) return { kind: 'role', role: s as RoleWord };
  const colon = s.indexOf(':');
  if (colon < 0) return { kind: 'node', prefix: s[0] as NodePrefix, index: Number(s.slice(1)) };
  const head = s.slice(0, colon);
  const rest = s.slice(colon + 1);
  if (head === 'region') return { kind: 'region', region: rest };
  return { kind: head as GroupKind, index: Number(rest) };
}

/** The structure of a selector, or null when it is not one. */
export function parseSelector(s: string): Selector | null {
  if (!new RegExp(SELECTOR_PATTERN).test(s)) return null;
  const m = FRACTION_RE.exec(s);
  if (m === null) return parseBase(s);
  const base = parseBase(m[3]);
  if (base === null) return null;
  const percent = m[2] !== undefined ? Number(m[2]) : null;
  if (percent !== null && !(percent > 0 && percent <= 100)) return null;
  return { kind: 'fraction', count: m[1] !== undefined ? Number(m[1]) : null, percent, base };
}

/** How many of `size` nodes a fraction takes. */
export function fractionCount(sel: { count: number | null; percent: number | null }, size: number): number {
  if (sel.count !== null) return Math.min(sel.count, size);
  return Math.min(size, Math.max(1, Math.round(((sel.percent ?? 0) * size) / 100)));
}
