/**
 * The fault schedule as the run builder needs it (docs/DESIGN.md: sim/faults/): node selectors
 * resolved to ids (the family resolves its own group names), link-fault windows for the network,
 * and the end of the fault phase. Everything here is a function of the scenario and its seed,
 * computed before the run, so every worker derives the same schedule. The faults themselves act
 * where they belong: crashes and clocks in the engine (sim/engine/sim.ts), link faults in the
 * link model (sim/net/link.ts), byzantine behaviour in the family (TOP: sim/protocol/top/byzantine.ts).
 */
import { genericFault, type NodeSelector, type Scenario } from '../scenario/types.js';
import { fractionCount, parseSelector, type Selector, type Vocabulary } from '../scenario/selectors.js';
import { Stream, streamSeed } from '../lib/random.js';
import type { DegradeWindow, PartitionWindow } from '../net/topology.js';
import type { NodeInfo } from '../contract/module.js';

export type { NodeInfo };

/**
 * The family's named groups of nodes in selectors (TOP: vgroup:N, agroup:N, cluster:N, table:N,
 * and the word `standby` as index 0): the ids of one, by kind and index.
 */
export type GroupResolver = (kind: string, index: number) => number[];

/** How a family's selectors read and what its groups hold. */
export interface SelectorWords {
  vocabulary: Vocabulary;
  /** The family's roles: the word `<role>s` selects each role's nodes. */
  roles: readonly string[];
  groups: GroupResolver;
}

/**
 * The node ids a list of selectors stands for (sim/scenario/selectors.ts), ascending. `site` names
 * where the list stands in the scenario ("faults/2/nodes"): a fraction's seeded choice depends on
 * the seed, the site and the selector's place in the list, so two faults draw independently.
 */
export function resolveSelectors(
  sel: readonly NodeSelector[], sc: Scenario, nodes: readonly NodeInfo[], site: string, words: SelectorWords,
): number[] {
  const { groups } = words;
  const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);
  const resolve = (s: Selector, k: number): number[] => {
    switch (s.kind) {
      case 'node': {
        const i = nodes.findIndex((x) => x.name === `${s.prefix}${s.index}`);
        if (i < 0) throw new Error(`${site}: unknown node "${s.prefix}${s.index}"`);
        return [i];
      }
      case 'role': {
        if (s.role === 'all') return range(0, nodes.length);
        // A role's name with an "s" selects its nodes; any other word is the family's own group.
        if (!words.roles.some((r) => `${r}s` === s.role)) return groups(s.role, 0);
        return range(0, nodes.length).filter((i) => `${nodes[i].role}s` === s.role);
      }
      case 'group':
        return groups(s.group, s.index);
      case 'region':
        return range(0, nodes.length).filter((i) => nodes[i].region === s.region);
      case 'fraction': {
        const base = [...new Set(resolve(s.base, k))].sort((x, y) => x - y);
        const n = fractionCount(s, base.length);
        const pick = new Stream(streamSeed(sc.seed, 'select', k, site));
        for (let i = 0; i < n; i++) {
          const j = pick.int(i, base.length - 1);
          [base[i], base[j]] = [base[j], base[i]];
        }
        return base.slice(0, n);
      }
    }
  };
  const out = new Set<number>();
  sel.forEach((s, k) => {
    const parsed = parseSelector(s, words.vocabulary);
    if (parsed === null) throw new Error(`${site}: not a node selector: "${s}"`);
    for (const i of resolve(parsed, k)) out.add(i);
  });
  return [...out].sort((a, b) => a - b);
}

/**
 * The end of the fault phase (docs/PROTOCOL.md's two-phase judging): the last time a fault or a
 * byzantine behaviour starts or heals. Before it the run is checked for safety only; from it on,
 * every table with work waiting must also commit within `checks.liveness_bound`. A fault that
 * never heals counts from its start: the system must live with it. A fault with no time of its own (TOP's
 * leader crash by view) does not move the phase.
 */
export function faultPhaseEnd(sc: Scenario): number {
  let end = 0;
  for (const f of sc.faults) {
    if (f.at_us === undefined) continue;
    end = Math.max(end, f.at_us, f.until_us ?? 0);
  }
  for (const b of sc.byzantine) end = Math.max(end, b.at_us, b.until_us ?? 0);
  return end;
}

/** The partition and degradation windows of the scenario's link faults (b empty: everyone not in a). */
export function linkWindows(
  sc: Scenario, nodes: readonly NodeInfo[], words: SelectorWords,
): { partitions: PartitionWindow[]; degradations: DegradeWindow[] } {
  const n = nodes.length;
  const sides = (f: { at_us: number; until_us: number | null; a: NodeSelector[]; b: NodeSelector[]; direction: string }, fi: number): PartitionWindow => {
    const inA = new Uint8Array(n);
    const inB = new Uint8Array(n);
    for (const i of resolveSelectors(f.a, sc, nodes, `faults/${fi}/a`, words)) inA[i] = 1;
    if (f.b.length === 0) for (let i = 0; i < n; i++) inB[i] = inA[i] ? 0 : 1;
    else for (const i of resolveSelectors(f.b, sc, nodes, `faults/${fi}/b`, words)) inB[i] = 1;
    return { at_us: f.at_us, until_us: f.until_us ?? Infinity, inA, inB, oneWay: f.direction === 'a_to_b' };
  };
  const partitions: PartitionWindow[] = [];
  const degradations: DegradeWindow[] = [];
  sc.faults.forEach((raw, fi) => {
    const f = genericFault(raw);
    if (f?.kind === 'partition') partitions.push(sides(f, fi));
    if (f?.kind !== 'degrade') return;
    degradations.push({
      ...sides(f, fi),
      latency_us: f.latency_us, jitter_percent: f.jitter_percent,
      loss_bp: Math.round(f.loss_percent * 100), duplicate_bp: Math.round(f.duplicate_percent * 100),
      reorder_us: f.reorder_us, bandwidth_percent: f.bandwidth_percent,
    });
  });
  return { partitions, degradations };
}
