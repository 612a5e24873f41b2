/**
 * TOP's swarm drawing (sim/contract/config.ts `SwarmDrawing`; `npm run sim -- swarm`, with the
 * envelope's part in sim/scenario/draw.ts): a small base topology drawn from the seed, and faults
 * and byzantine entries drawn against a base's shape.
 *
 * The swarm hunts safety bugs, so every drawn scenario is one the protocol must survive:
 *
 * - Byzantine nodes stay within what the quorum tolerates. A node that restarts with its state
 *   lost has forgotten its votes and locks and may vote twice in a view, so for safety it counts
 *   as byzantine too. Per group, byzantine and lost-state nodes together are at most
 *   ⌊(n−1)/3⌋, where n is the smallest the group can become (a `leave` may shrink it by one).
 *   When elections can move members between groups (any standby node exists), one group could
 *   end up with all of them, so the bound holds for the whole role instead of each group.
 *   Crashes with state kept, partitions, degraded links and clock faults are benign: they may
 *   stall the run while they last but never excuse a safety violation.
 * - Every fault and byzantine behaviour ends by the end of the fault phase (crashed nodes
 *   restart, partitions heal).
 *
 * Each concern draws from its own stream (topology, faults, byzantine), so a change to how one is
 * drawn leaves the others' draws alone.
 */
import type { Stream } from '../../lib/random.js';
import { SWARM_GRID_US, type SwarmDrawing } from '../../contract/config.js';
import type { Scenario } from '../../scenario/types.js';
import { formatDuration } from '../../scenario/units.js';
import { asTop, type TopScenario } from './scenario.js';

/** Fault times are drawn on this grid, so the files read "12.3s" rather than "12.345678s". */
const GRID_US = SWARM_GRID_US;
/** The liveness bound of the built-in base: two clock-driven view changes (3 ticks of 10 s each). */
const BASE_LIVENESS_BOUND = '60s';
const BASE_REGIONS = ['Frankfurt', 'Ireland', 'London', 'Virginia'];

type FileObject = Record<string, unknown>;

/**
 * The built-in base: one cluster of one or two validator groups of 7 and an auditor group of 7
 * over four regions, two tables per validator group at most (receipts cross tables), two edges;
 * half the seeds get a standby pool with elections every few clocks (so join, leave and rotate
 * have something to act on), half get four REC beacons that certify the clock.
 */
function drawBase(r: Stream): FileObject {
  const vpa = r.int(1, 2);
  const tables = vpa === 1 ? 2 : 2 * r.int(1, 2);
  const churn = r.chance(1, 2);
  const beacons = r.chance(1, 2) ? 4 : 0;
  const duration_s = 5 * r.int(20, 24);
  const rate = 10 * r.int(5, 15);
  return {
    name: 'swarm',
    description: 'Drawn by npm run sim -- swarm: random faults within the byzantine tolerance, healed before a liveness phase.',
    duration: `${duration_s}s`,
    warmup: '5s',
    network: { latency: { dataset: 'wittgenstein-aws-rtt-2019', regions: [...BASE_REGIONS] }, jitter_percent: 5 },
    topology: {
      tables, auditor_groups: 1, validator_groups_per_auditor: vpa, validators: 7, auditors: 7, edges: 2,
      standby_validators: churn ? r.int(2, 4) : 0, standby_auditors: churn ? r.int(1, 2) : 0, beacons,
    },
    ...(churn
      ? {
        elections: {
          cluster_interval: r.int(4, 8), trigger_interval: 2, rotation_percent: 30,
          max_validator_group_size: 7, max_auditor_group_size: 7,
        },
      }
      : {}),
    workload: { accounts: 2000, rate_tps: rate },
    checks: { liveness_bound: BASE_LIVENESS_BOUND },
  };
}

type Role = 'v' | 'a' | 'r';
/** A drawn selector and the role it stays within ('mixed': several roles, e.g. a region). */
type Chosen = { sel: string; role: Role | 'e' | 'mixed' };

const BEHAVIORS = [
  'equivocate', 'double_vote', 'silent', 'withhold_votes', 'delay_proposals', 'invalid_execution', 'withhold_receipts',
] as const;

/** The drawing of one scenario's faults against its shape, with the tolerance left per group. */
class Drawer {
  private readonly t: TopScenario['topology'];
  private readonly vGroups: number;
  private readonly standby: boolean;
  /** Byzantine or lost-state nodes still allowed, by budget key (see `key`). */
  private readonly left = new Map<string, number>();
  /** The latest end of any fault or behaviour drawn so far. */
  end_us = 0;

  constructor(private readonly sc: TopScenario, private readonly from_us: number, private readonly to_us: number) {
    this.t = sc.topology;
    this.vGroups = this.t.auditor_groups * this.t.validator_groups_per_auditor;
    this.standby = this.t.standby_validators + this.t.standby_auditors > 0;
  }

  /** Budget keys: per group, or per role when elections may move members between groups. */
  private key(role: Role, group: number): string {
    return role === 'r' || this.standby ? role : `${role}${group}`;
  }

  private groups(role: Role): number {
    return role === 'v' ? this.vGroups : role === 'a' ? this.t.auditor_groups : 1;
  }

  /** Sets the budgets, with `leaving` nodes of each role possibly shrinking one group. */
  private budgets(leaving: Record<Role, number>): void {
    const e = this.sc.elections;
    const size: Record<Role, number> = {
      v: Math.min(this.t.validators, e.max_validator_group_size),
      a: Math.min(this.t.auditors, e.max_auditor_group_size),
      r: this.t.beacons,
    };
    for (const role of ['v', 'a', 'r'] as const) {
      const f = Math.max(0, Math.floor((size[role] - leaving[role] - 1) / 3));
      for (let g = 0; g < this.groups(role); g++) this.left.set(this.key(role, g), f);
    }
  }

  /** A time on the grid in [lo, hi]. */
  private time(r: Stream, lo_us: number, hi_us: number): number {
    return r.int(Math.ceil(lo_us / GRID_US), Math.floor(hi_us / GRID_US)) * GRID_US;
  }

  /** A window [at, until] inside the fault phase, at least one grid step long. */
  private window(r: Stream): { at: string; until: string } {
    const at = this.time(r, this.from_us, this.to_us - GRID_US);
    const until = this.time(r, at + GRID_US, Math.min(this.to_us, at + Math.max(GRID_US, (this.to_us - this.from_us) / 2)));
    this.end_us = Math.max(this.end_us, until);
    return { at: formatDuration(at), until: formatDuration(until) };
  }

  private instant(r: Stream): string {
    const at = this.time(r, this.from_us, this.to_us);
    this.end_us = Math.max(this.end_us, at);
    return formatDuration(at);
  }

  private name(prefix: string, from: number, count: number, r: Stream): string {
    return `${prefix}${from + r.int(0, count - 1)}`;
  }

  /** Any set of nodes, for benign faults: a node, a group or part of one, a table, a region. */
  private any(r: Stream): Chosen {
    const t = this.t;
    const g = r.int(0, this.vGroups - 1);
    const c = r.int(0, t.auditor_groups - 1);
    const options: (() => Chosen)[] = [
      () => ({ sel: this.name('v', 0, this.vGroups * t.validators + t.standby_validators, r), role: 'v' }),
      () => ({ sel: this.name('a', 0, t.auditor_groups * t.auditors + t.standby_auditors, r), role: 'a' }),
      () => ({ sel: `${r.int(1, t.validators)} of vgroup:${g}`, role: 'v' }),
      () => ({ sel: `${r.int(1, t.auditors)} of agroup:${c}`, role: 'a' }),
      () => ({ sel: `vgroup:${g}`, role: 'v' }),
      () => ({ sel: `agroup:${c}`, role: 'a' }),
      () => ({ sel: `${r.int(1, Math.min(3, this.vGroups * t.validators))} of validators`, role: 'v' }),
      () => ({ sel: `table:${r.int(0, t.tables - 1)}`, role: 'mixed' }),
      () => ({ sel: `region:${this.sc.network.latency.regions[r.int(0, this.sc.network.latency.regions.length - 1)]}`, role: 'mixed' }),
      () => ({ sel: this.name('e', 0, t.edges, r), role: 'e' }),
    ];
    if (t.beacons > 0) options.push(() => ({ sel: r.chance(1, 2) ? 'beacons' : `${r.int(1, t.beacons)} of beacons`, role: 'r' }));
    return options[r.int(0, options.length - 1)]();
  }

  /** The two sides of a link fault: b is everyone else, or a set of another role (so never overlapping a). */
  private sides(r: Stream): { a: string[]; b: string[]; direction: 'both' | 'a_to_b' } {
    const a = this.any(r);
    let b: Chosen | null = null;
    if (a.role !== 'mixed' && r.chance(1, 2)) {
      for (let tries = 0; tries < 4 && b === null; tries++) {
        const x = this.any(r);
        if (x.role !== 'mixed' && x.role !== a.role) b = x;
      }
    }
    return { a: [a.sel], b: b === null ? [] : [b.sel], direction: r.chance(1, 3) ? 'a_to_b' : 'both' };
  }

  /** Nodes counted against the tolerance: k of one group (or of the role), taken from its budget. */
  private counted(r: Stream, roles: readonly Role[]): string | null {
    const open: { role: Role; group: number }[] = [];
    for (const role of roles) {
      if (role === 'r' && this.t.beacons === 0) continue;
      for (let g = 0; g < this.groups(role); g++) if ((this.left.get(this.key(role, g)) ?? 0) > 0) open.push({ role, group: g });
    }
    if (open.length === 0) return null;
    const { role, group } = open[r.int(0, open.length - 1)];
    const key = this.key(role, group);
    const k = r.int(1, this.left.get(key)!);
    this.left.set(key, this.left.get(key)! - k);
    const t = this.t;
    if (role === 'r') return k === 1 && r.chance(1, 2) ? this.name('r', 0, t.beacons, r) : `${k} of beacons`;
    const word = role === 'v' ? 'validators' : 'auditors';
    if (key === role) {
      // Role-wide budget: any node of the role, standby ones included.
      const all = role === 'v' ? this.vGroups * t.validators + t.standby_validators : t.auditor_groups * t.auditors + t.standby_auditors;
      return k === 1 && r.chance(1, 2) ? this.name(role, 0, all, r) : `${k} of ${word}`;
    }
    const per = role === 'v' ? t.validators : t.auditors;
    return k === 1 && r.chance(1, 2) ? this.name(role, group * per, per, r) : `${k} of ${role === 'v' ? 'vgroup' : 'agroup'}:${group}`;
  }

  /** One to five faults; crashes are drawn with state kept here (see lostCrashes). */
  faults(r: Stream): FileObject[] {
    const t = this.t;
    const kinds = ['crash', 'crash', 'crash_leader', 'partition', 'partition', 'degrade', 'degrade', 'clock'];
    if (t.tables >= 2) kinds.push('drop_receipts');
    if (this.standby) kinds.push('join', 'leave', 'rotate');
    const drawn = Array.from({ length: r.int(1, 5) }, () => kinds[r.int(0, kinds.length - 1)]);
    const leaving: Record<Role, number> = { v: 0, a: 0, r: 0 };
    const out = drawn.map((kind): FileObject => {
      switch (kind) {
        case 'crash':
          return { kind, ...this.window(r), nodes: [this.any(r).sel], state: 'kept' };
        case 'crash_leader': {
          const { until } = this.window(r);
          return { kind, view: r.int(3, 15), table: r.int(0, t.tables - 1), until };
        }
        case 'partition':
          return { kind, ...this.window(r), ...this.sides(r) };
        case 'degrade':
          return { kind, ...this.window(r), ...this.sides(r), ...this.degradation(r) };
        case 'clock': {
          const skew = r.chance(2, 3) ? r.int(1, 200) * GRID_US : 0;
          const drift = skew === 0 || r.chance(1, 3) ? r.int(1, 50) * 1000 * (r.chance(1, 2) ? 1 : -1) : 0;
          return {
            kind, ...this.window(r), nodes: [this.any(r).sel],
            skew: skew === 0 ? '0s' : `${r.chance(1, 2) ? '' : '-'}${formatDuration(skew)}`, drift_ppm: drift,
          };
        }
        case 'drop_receipts': {
          const from = r.int(0, t.tables - 1);
          const to = (from + r.int(1, t.tables - 1)) % t.tables;
          return { kind, ...this.window(r), from_table: from, to_table: to };
        }
        case 'join': {
          const standby = t.standby_validators + t.standby_auditors;
          const k = r.int(1, standby);
          return { kind, at: this.instant(r), nodes: [k === standby ? 'standby' : `${k} of standby`] };
        }
        case 'leave': {
          const role: Role = r.chance(1, 2) ? 'v' : 'a';
          leaving[role]++;
          const all = role === 'v' ? this.vGroups * t.validators + t.standby_validators : t.auditor_groups * t.auditors + t.standby_auditors;
          return { kind, at: this.instant(r), nodes: [this.name(role, 0, all, r)] };
        }
        default:
          return { kind: 'rotate', at: this.instant(r), clusters: [r.int(0, t.auditor_groups - 1)] };
      }
    });
    this.budgets(leaving);
    return out;
  }

  /** One to three of the degrade knobs, each away from its neutral value. */
  private degradation(r: Stream): FileObject {
    const knobs: (() => FileObject)[] = [
      () => ({ latency: formatDuration(r.int(1, 60) * 5_000) }),
      () => ({ jitter_percent: r.int(10, 200) }),
      () => ({ loss_percent: r.int(1, 30) }),
      () => ({ duplicate_percent: r.int(1, 20) }),
      () => ({ reorder: formatDuration(r.int(1, 50) * 1_000) }),
      () => ({ bandwidth_percent: r.int(5, 90) }),
    ];
    const out: FileObject = {};
    const n = r.int(1, 3);
    for (let i = 0; i < n; i++) Object.assign(out, knobs[r.int(0, knobs.length - 1)]());
    return out;
  }

  /** Up to three byzantine entries, each within what the tolerance has left, each with an end. */
  byzantine(r: Stream): FileObject[] {
    const out: FileObject[] = [];
    const n = r.int(0, 3);
    for (let i = 0; i < n; i++) {
      const grind = this.t.beacons > 0 && this.standby && r.chance(1, 6);
      const nodes = this.counted(r, grind ? ['r'] : ['v', 'a']);
      if (nodes === null) break;
      const behavior = grind ? 'grind_seed' : BEHAVIORS[r.int(0, BEHAVIORS.length - 1)];
      out.push({
        nodes: [nodes], behavior, ...this.window(r),
        ...(behavior === 'delay_proposals' ? { delay: formatDuration(r.int(1, 20) * 1_000_000) } : {}),
        ...(behavior === 'grind_seed' ? { tries: 2 ** r.int(2, 5) } : {}),
      });
    }
    return out;
  }

  /**
   * Turns some crashes into crashes with state lost, on nodes counted against the tolerance
   * (their selectors are redrawn within a group's budget); the rest keep their state.
   */
  lostCrashes(r: Stream, faults: FileObject[]): void {
    for (const f of faults) {
      if (f.kind !== 'crash' || !r.chance(1, 3)) continue;
      const nodes = this.counted(r, ['v', 'a', 'r']);
      if (nodes === null) return;
      f.nodes = [nodes];
      f.state = 'lost';
    }
  }
}

export const TOP_SWARM: SwarmDrawing = {
  base: drawBase,
  draw(shape: Scenario, from_us: number, to_us: number, stream: (purpose: string) => Stream) {
    const d = new Drawer(asTop(shape), from_us, to_us);
    const faults = d.faults(stream('faults'));
    const byzantine = d.byzantine(stream('byzantine'));
    // Lost-state crashes are drawn after the byzantine nodes, from what tolerance is left.
    d.lostCrashes(stream('crash-state'), faults);
    return { faults, byzantine, end_us: d.end_us };
  },
  after: ['sabotage'],
};
