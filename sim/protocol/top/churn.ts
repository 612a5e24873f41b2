/**
 * Churn and seed grinding as election inputs (docs/PROTOCOL.md §7): registration and
 * deregistration clocks from `join` and `leave` faults, forced rotations, the grinding adversary,
 * and when leaving nodes go offline. Everything here is a function of the scenario and its seed.
 */
import type { TopScenario } from './scenario.js';
import type { NodeInfo } from '../../contract/module.js';
import type { ClusterRound, GrindInput } from './beacon.js';

export interface Departure {
  node: number;
  at_us: number;
}

/** The node ids of a selector list at a site of the scenario (BuildInput.select). */
type Select = (selectors: readonly string[], site: string) => number[];

/** The first clock at or after `at_us`. */
function clockAtOrAfter(at_us: number, ci: number): number {
  return Math.ceil(at_us / ci);
}

/**
 * Churn and grinding as election inputs: registration and deregistration clocks, forced
 * rotations, and the grinding adversary. Without REC nodes there is no drand aggregator, so no
 * grinding (the schema requires REC nodes for grind_seed).
 */
export function churnOf(sc: TopScenario, nodes: readonly NodeInfo[], select: Select) {
  const ci = sc.protocol.clock_interval_us;
  const joinClock = new Map<number, number>();
  const leaveClock = new Map<number, number>();
  const forced = new Map<number, number[]>();
  sc.faults.forEach((f, fi) => {
    if (f.kind === 'join' || f.kind === 'leave') {
      const at = clockAtOrAfter(f.at_us, ci);
      const into = f.kind === 'join' ? joinClock : leaveClock;
      for (const i of select(f.nodes, `faults/${fi}/nodes`)) {
        if (f.kind === 'leave' && nodes[i].role !== 'validator' && nodes[i].role !== 'auditor') continue;
        into.set(i, Math.min(into.get(i) ?? Infinity, at));
      }
    } else if (f.kind === 'rotate') {
      const at = Math.max(1, clockAtOrAfter(f.at_us, ci));
      forced.set(at, [...new Set([...(forced.get(at) ?? []), ...f.clusters])].sort((x, y) => x - y));
    }
  });
  const rec = nodes.map((x, i) => (x.role === 'beacon' ? i : -1)).filter((i) => i >= 0);
  const grinders = sc.byzantine.map((b, bi) => ({ b, ids: new Set(select(b.nodes, `byzantine/${bi}/nodes`)) }));
  const grinding = grinders.filter((g) => g.b.behavior === 'grind_seed');
  let grind: GrindInput | undefined;
  if (grinding.length > 0 && rec.length > 0) {
    const favor = new Set<number>();
    grinding.forEach(({ b }) => {
      const bi = sc.byzantine.indexOf(b);
      for (const i of select(b.favor, `byzantine/${bi}/favor`)) favor.add(i);
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

