/**
 * Node selectors: how a scenario names the targets of faults and byzantine behaviour. The grammar
 * is generic; its words come from the family's vocabulary (FamilyConfig.vocabulary). TOP's:
 *
 *   v3, a0, e1, r2, h0           one node by name (a one-letter role prefix and an index)
 *   validators, auditors, edges, beacons, archives, all
 *                                every node of a role (the role's name and an "s"), or all nodes
 *   standby                      a word of the family's own (TOP: the registered validators and
 *                                auditors not seated at genesis)
 *   vgroup:N, agroup:N, cluster:N, table:N
 *                                group N of a kind the family names
 *   region:NAME                  every node placed in region NAME
 *   K of S, P% of S              a seeded choice of K nodes (or P% of them, rounded, at least 1)
 *                                from selector S; the choice depends on the scenario seed and
 *                                where the selector stands in the file, nothing else
 *
 * Parsing is pure and shared by the schema (validation) and the run builder (resolution).
 */

/** The words of a family's selectors. */
export interface Vocabulary {
  /** The one-letter name prefixes of its roles, in node-id order ("vaerh"). */
  readonly prefixes: string;
  /** Words that select a set: each role's name with an "s", the family's own words, and `all`. */
  readonly words: readonly string[];
  /** Kinds of numbered groups (`vgroup` in `vgroup:2`). */
  readonly groups: readonly string[];
  /** How the selectors read, for "expected ..." messages. */
  readonly help: string;
}

export type Selector =
  | { kind: 'node'; prefix: string; index: number }
  | { kind: 'role'; role: string }
  | { kind: 'group'; group: string; index: number }
  | { kind: 'region'; region: string }
  | { kind: 'fraction'; count: number | null; percent: number | null; base: Selector };

const INDEX = '(?:0|[1-9][0-9]*)';
const FRACTION_RE = /^(?:([1-9][0-9]*)|([0-9]+(?:\.[0-9]+)?)%) of (.+)$/;

function baseSource(v: Vocabulary): string {
  const groups = v.groups.length > 0 ? `|(?:${v.groups.join('|')}):${INDEX}` : '';
  return `(?:[${v.prefixes}]${INDEX}|${v.words.join('|')}${groups}|region:\\S(?:.*\\S)?)`;
}

/** The selector grammar of a vocabulary as one regular expression (also the JSON Schema pattern). */
export function selectorPattern(v: Vocabulary): string {
  return `^(?:(?:[1-9][0-9]*|(?:[1-9][0-9]?|100)(?:\\.[0-9]+)?%) of )?${baseSource(v)}$`;
}

const compiled = new WeakMap<Vocabulary, { all: RegExp; base: RegExp }>();

function patterns(v: Vocabulary): { all: RegExp; base: RegExp } {
  let p = compiled.get(v);
  if (p === undefined) {
    p = { all: new RegExp(selectorPattern(v)), base: new RegExp(`^${baseSource(v)}$`) };
    compiled.set(v, p);
  }
  return p;
}

function parseBase(s: string, v: Vocabulary): Selector | null {
  if (!patterns(v).base.test(s)) return null;
  if (v.words.includes(s)) return { kind: 'role', role: s };
  const colon = s.indexOf(':');
  if (colon < 0) return { kind: 'node', prefix: s[0], index: Number(s.slice(1)) };
  const head = s.slice(0, colon);
  const rest = s.slice(colon + 1);
  if (head === 'region') return { kind: 'region', region: rest };
  return { kind: 'group', group: head, index: Number(rest) };
}

/** The structure of a selector, or null when it is not one in this vocabulary. */
export function parseSelector(s: string, v: Vocabulary): Selector | null {
  if (!patterns(v).all.test(s)) return null;
  const m = FRACTION_RE.exec(s);
  if (m === null) return parseBase(s, v);
  const base = parseBase(m[3], v);
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
