/**
 * The fault schedule as the run builder needs it (DESIGN.md: sim/faults/): node selectors
 * resolved to ids, link-fault windows for the network, churn and seed grinding as election
 * inputs, departures, and the end of the fault phase. Everything here is a function of the
 * scenario and its seed, computed before the run, so every worker derives the same schedule.
 * The faults themselves act where they belong: crashes and clocks in the engine (sim.ts), link
 * faults in the network (net/topology.ts), byzantine behaviour in the protocol (xbft.ts).
 */
import type { NodeSelector, Scenario } from '../scenario/types.js';
import { fractionCount, parseSelector, type Selector } from '../scenario/selectors.js';
import { Stream, streamSeed } from '../lib/random.js';
import type { DegradeWindow, PartitionWindow } from '../net/topology.js';
import type { ClusterRound, GrindInput } from '../protocol/top/beacon.js';

/** A node of the run as the schedule sees it (the builder's node list). */
export interface NodeInfo {
  name: string;
  role: 'validator' | 'auditor' | 'edge' | 'beacon' | 'archive';
  region: string;
}

export interface Departure {
  node: number;
  at_us: number;
}

/** The first clock at or after `at_us`. */
function clockAtOrAfter(at_us: number, ci: number): number {
  return Math.ceil(at_us / ci);
}

/**
 * Churn and grinding as election inputs: registration and deregistration clocks, forced
 * rotations, and the grinding adversary. Without REC nodes there is no drand aggregator, so no
 * grinding (the schema requires REC nodes for grind_seed).
 */
export function churnOf(sc: Scenario, nodes: readonly NodeInfo[]) {
  const ci = sc.protocol.clock_interval_us;
  const joinClock = new Map<number, number>();
  const leaveClock = new Map<number, number>();
  const forced = new Map<number, number[]>();
  sc.faults.forEach((f, fi) => {
    if (f.kind === 'join' || f.kind === 'leave') {
      const at = clockAtOrAfter(f.at_us, ci);
      const into = f.kind === 'join' ? joinClock : leaveClock;
      for (const i of resolveSelectors(f.nodes, sc, nodes, `faults/${fi}/nodes`)) {
        if (f.kind === 'leave' && nodes[i].role !== 'validator' && nodes[i].role !== 'auditor') continue;
        into.set(i, Math.min(into.get(i) ?? Infinity, at));
      }
    } else if (f.kind === 'rotate') {
      const at = Math.max(1, clockAtOrAfter(f.at_us, ci));
      forced.set(at, [...new Set([...(forced.get(at) ?? []), ...f.clusters])].sort((x, y) => x - y));
    }
  });
  const rec = nodes.map((x, i) => (x.role === 'beacon' ? i : -1)).filter((i) => i >= 0);
  const grinders = sc.byzantine.map((b, bi) => ({ b, ids: new Set(resolveSelectors(b.nodes, sc, nodes, `byzantine/${bi}/nodes`)) }));
  const grinding = grinders.filter((g) => g.b.behavior === 'grind_seed');
  let grind: GrindInput | undefined;
  if (grinding.length > 0 && rec.length > 0) {
    const favor = new Set<number>();
    grinding.forEach(({ b }) => {
      const bi = sc.byzantine.indexOf(b);
      for (const i of resolveSelectors(b.favor, sc, nodes, `byzantine/${bi}/favor`)) favor.add(i);
    });
    if (favor.size === 0) {
      for (const g of grinders) if (g.b.behavior !== 'grind_seed') for (const i of g.ids) favor.add(i);
    }
    grind = {
      tries: Math.max(...grinding.map((g) => g.b.tries)),
      favor,
      // The drand round of a trigger is aggregated by REC node (clock mod R), rotating like the
      // clock certificate's relays.
      leads: (clock) => {
        const agg = rec[clock % rec.length];
        const t = clock * ci;
        return grinding.some((g) => g.ids.has(agg) && g.b.at_us <= t && t < (g.b.until_us ?? Infinity));
      },
    };
  }
  return { joinClock, leaveClock, forced, grind };
}

/**
 * When each leaving node goes offline: at the first clock from its leave clock on at which no
 * cluster's active or elected round seats it (at once when it holds no seat). A node still
 * seated at the end of the run stays.
 */
export function departuresOf(rounds: readonly ClusterRound[][], leaveClock: ReadonlyMap<number, number>, ci: number, end_us: number): Departure[] {
  const out: Departure[] = [];
  const seats = (r: ClusterRound, id: number) => r.auditors.includes(id) || r.validators.some((v) => v.includes(id));
  for (const [id, from] of [...leaveClock].sort((x, y) => x[0] - y[0])) {
    const starts = [from, ...rounds.flat().map((r) => r.start_clock).filter((k) => k > from)].sort((x, y) => x - y);
    const seatedAt = (k: number) => rounds.some((list) => {
      let active = list[0];
      for (const r of list) if (r.start_clock <= k) active = r;
      return seats(active, id) || list.some((r) => r.elected_clock <= k && r.start_clock > k && seats(r, id));
    });
    const k = starts.find((x) => !seatedAt(x));
    if (k !== undefined && k * ci < end_us) out.push({ node: id, at_us: k * ci });
  }
  return out;
}

/**
 * The node ids a list of selectors stands for (sim/scenario/selectors.ts), ascending. `site` names
 * where the list stands in the scenario ("faults/2/nodes"): a fraction's seeded choice depends on
 * the seed, the site and the selector's place in the list, so two faults draw independently.
 */
export function resolveSelectors(sel: readonly NodeSelector[], sc: Scenario, nodes: readonly NodeInfo[], site: string): number[] {
  const t = sc.topology;
  const VPA = t.validator_groups_per_auditor;
  const VG = t.auditor_groups * VPA;
  const nVAll = VG * t.validators + t.standby_validators;
  const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);
  const vgroup = (g: number) => range(g * t.validators, t.validators);
  const agroup = (a: number) => range(nVAll + a * t.auditors, t.auditors);
  const resolve = (s: Selector, k: number): number[] => {
    switch (s.kind) {
      case 'node': {
        const i = nodes.findIndex((x) => x.name === `${s.prefix}${s.index}`);
        if (i < 0) throw new Error(`${site}: unknown node "${s.prefix}${s.index}"`);
        return [i];
      }
      case 'role':
        if (s.role === 'standby') {
          const nA = t.auditor_groups * t.auditors;
          return [...range(VG * t.validators, t.standby_validators), ...range(nVAll + nA, t.standby_auditors)];
        }
        return s.role === 'all' ? range(0, nodes.length) : range(0, nodes.length).filter((i) => `${nodes[i].role}s` === s.role);
      case 'vgroup':
        return vgroup(s.index);
      case 'agroup':
        return agroup(s.index);
      case 'cluster':
        return [...range(s.index * VPA, VPA).flatMap(vgroup), ...agroup(s.index)];
      case 'table': {
        const g = Math.floor((s.index * VG) / t.tables);
        return [...vgroup(g), ...agroup(Math.floor(g / VPA))];
      }
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
    const parsed = parseSelector(s);
    if (parsed === null) throw new Error(`${site}: not a node selector: "${s}"`);
    for (const i of resolve(parsed, k)) out.add(i);
  });
  return [...out].sort((a, b) => a - b);
}

/**
 * The end of the fault phase (PROTOCOL.md's two-phase judging): the last time a fault or a
 * byzantine behaviour starts or heals. Before it the run is checked for safety only; from it on,
 * every table with work waiting must also commit within `checks.liveness_bound`. A fault that
 * never heals counts from its start: the system must live with it. A leader crash by view has no
 * time of its own and does not move the phase.
 */
export function faultPhaseEnd(sc: Scenario): number {
  let end = 0;
  for (const f of sc.faults) {
    if (f.kind === 'crash_leader') continue;
    end = Math.max(end, f.at_us, 'until_us' in f ? (f.until_us ?? 0) : 0);
  }
  for (const b of sc.byzantine) end = Math.max(end, b.at_us, b.until_us ?? 0);
  return end;
}

/** The partition and degradation windows of the scenario's link faults (b empty: everyone not in a). */
export function linkWindows(sc: Scenario, nodes: readonly NodeInfo[]): { partitions: PartitionWindow[]; degradations: DegradeWindow[] } {
  const n = nodes.length;
  const sides = (f: { at_us: number; until_us: number | null; a: NodeSelector[]; b: NodeSelector[]; direction: string }, fi: number): PartitionWindow => {
    const inA = new Uint8Array(n);
    const inB = new Uint8Array(n);
    for (const i of resolveSelectors(f.a, sc, nodes, `faults/${fi}/a`)) inA[i] = 1;
    if (f.b.length === 0) for (let i = 0; i < n; i++) inB[i] = inA[i] ? 0 : 1;
    else for (const i of resolveSelectors(f.b, sc, nodes, `faults/${fi}/b`)) inB[i] = 1;
    return { at_us: f.at_us, until_us: f.until_us ?? Infinity, inA, inB, oneWay: f.direction === 'a_to_b' };
  };
  const partitions: PartitionWindow[] = [];
  const degradations: DegradeWindow[] = [];
  sc.faults.forEach((f, fi) => {
    if (f.kind === 'partition') partitions.push(sides(f, fi));
    if (f.kind !== 'degrade') return;
    degradations.push({
      ...sides(f, fi),
      latency_us: f.latency_us, jitter_percent: f.jitter_percent,
      loss_bp: Math.round(f.loss_percent * 100), duplicate_bp: Math.round(f.duplicate_percent * 100),
      reorder_us: f.reorder_us, bandwidth_percent: f.bandwidth_percent,
    });
  });
  return { partitions, degradations };
}
