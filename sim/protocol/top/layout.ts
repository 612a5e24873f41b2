/**
 * TOP Chain's node ids, derived once from the scenario's topology (docs/PROTOCOL.md §3.3):
 * validators v0.. first (the genesis validator groups, contiguous, then the standby validators),
 * then auditors a0.. (the genesis auditor groups, contiguous, then the standby auditors), then
 * edges e0.., REC nodes r0.. and archives h0... Auditor group a has validator groups
 * a*VPA .. a*VPA+VPA-1; each validator group owns an equal contiguous range of tables.
 */
import type { TopScenario } from './scenario.js';

export class TopLayout {
  /** Auditor groups (clusters), validator groups, validators and auditors per group. */
  readonly AG: number;
  readonly VPA: number;
  readonly VG: number;
  readonly nV: number;
  readonly nA: number;
  /** All validators (seated and standby), and the first auditor's id. */
  readonly validatorCount: number;
  readonly auditorCount: number;
  readonly tables: number;

  constructor(readonly topo: TopScenario['topology']) {
    this.AG = topo.auditor_groups;
    this.VPA = topo.validator_groups_per_auditor;
    this.VG = this.AG * this.VPA;
    this.nV = topo.validators;
    this.nA = topo.auditors;
    this.validatorCount = this.VG * this.nV + topo.standby_validators;
    this.auditorCount = this.AG * this.nA + topo.standby_auditors;
    this.tables = topo.tables;
  }

  /** The roles in node-id order: role, name prefix, count. */
  roles(): [role: string, prefix: string, count: number][] {
    const t = this.topo;
    return [
      ['validator', 'v', this.validatorCount],
      ['auditor', 'a', this.auditorCount],
      ['edge', 'e', t.edges],
      ['beacon', 'r', t.beacons],
      ['archive', 'h', t.archives],
    ];
  }

  /** Genesis validators of validator group g. */
  vgroup(g: number): Int32Array {
    return range(g * this.nV, this.nV);
  }

  /** Genesis auditors of auditor group a. */
  agroup(a: number): Int32Array {
    return range(this.validatorCount + a * this.nA, this.nA);
  }

  /** The validator group owning table t. */
  vgroupOfTable(t: number): number {
    return Math.floor((t * this.VG) / this.tables);
  }

  /** Standby validators and auditors (registered, not seated at genesis). */
  standby(): number[] {
    return [
      ...range(this.VG * this.nV, this.topo.standby_validators),
      ...range(this.validatorCount + this.AG * this.nA, this.topo.standby_auditors),
    ];
  }

  /** The ids a selector group names: vgroup, agroup, cluster, table (genesis seats), standby. */
  group(kind: string, index: number): number[] {
    switch (kind) {
      case 'vgroup':
        return [...this.vgroup(index)];
      case 'agroup':
        return [...this.agroup(index)];
      case 'cluster': {
        const out: number[] = [];
        for (let g = index * this.VPA; g < (index + 1) * this.VPA; g++) out.push(...this.vgroup(g));
        return [...out, ...this.agroup(index)];
      }
      case 'table': {
        const g = this.vgroupOfTable(index);
        return [...this.vgroup(g), ...this.agroup(Math.floor(g / this.VPA))];
      }
      case 'standby':
        return this.standby();
      default:
        throw new Error(`TOP has no node group "${kind}"`);
    }
  }

  /** A node's group at genesis, as traces and the page name it. */
  genesisGroup(role: string, i: number): string {
    if (role === 'validator') {
      return i < this.VG * this.nV ? `validator group ${Math.floor(i / this.nV)}` : 'standby validators';
    }
    if (role === 'auditor') {
      const k = i - this.validatorCount;
      return k < this.AG * this.nA ? `auditor group ${Math.floor(k / this.nA)}` : 'standby auditors';
    }
    return ({ edge: 'edges', beacon: 'beacons', archive: 'archives' } as Record<string, string>)[role] ?? `${role}s`;
  }
}

function range(from: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, k) => from + k);
}
