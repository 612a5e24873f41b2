/**
 * The toy family's part of the scenario format (sim/contract/config.ts): the proof that a family
 * brings its own sections, node names, selector words, fault kinds and byzantine behaviours, and
 * that the envelope (seed, duration, network, hardware, costs, workload, the generic faults,
 * checks) needs nothing of TOP. A toy file:
 *
 *   name: toy
 *   protocol: { family: toy }
 *   chain: { validators: 5, clients: 2, slot: 500ms }
 *   hardware: { validator: { cores: 2 } }
 *   faults: [{ kind: stall_leader, at: 3s, until: 4s }, { kind: crash, at: 2s, nodes: [v2] }]
 *   byzantine: [{ nodes: [v1], behavior: fork }]
 */
import { z } from 'zod';
import type { FamilyConfig, SelectorScope } from '../../sim/contract/config.js';
import { duration, int } from '../../sim/scenario/fields.js';
import type { FaultSpec, Scenario } from '../../sim/scenario/types.js';
import { formatDuration } from '../../sim/scenario/units.js';

export interface ToyChain {
  validators: number;
  clients: number;
  slot_us: number;
}

/** The toy's own fault: the leader packs nothing from `at` until `until`. */
export interface StallLeader {
  kind: 'stall_leader';
  at_us: number;
  until_us: number | null;
}

export interface ToyScenario extends Scenario {
  chain: ToyChain;
}

const chainSchema = z
  .strictObject({
    validators: int(2, 64).default(4).describe('Validators (v0 leads).'),
    clients: int(1, 16).default(2).describe('Clients (e0, e1, ...) sending transfers to the leader.'),
    slot: duration({ positive: true }).prefault('500ms').describe('The leader packs a block at this period.'),
  })
  .transform((c): ToyChain => ({ validators: c.validators, clients: c.clients, slot_us: c.slot }));

const stallSchema = z
  .strictObject({
    kind: z.literal('stall_leader'),
    at: duration({ positive: false }),
    until: duration({ positive: true }).optional(),
  })
  .transform((f): StallLeader => ({ kind: f.kind, at_us: f.at, until_us: f.until ?? null }));

function scopeOf(c: ToyChain): SelectorScope {
  const names = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);
  return {
    total: c.validators + c.clients,
    expand: (sel) => {
      if (sel.kind === 'node') return [`${sel.prefix}${sel.index}`];
      if (sel.kind !== 'role') return null;
      if (sel.role === 'validators') return names('v', c.validators);
      if (sel.role === 'edges') return names('e', c.clients);
      return [...names('v', c.validators), ...names('e', c.clients)];
    },
    check: (sel, text) => {
      if (sel.kind !== 'node') return null;
      const n = sel.prefix === 'v' ? c.validators : c.clients;
      return sel.index < n ? null : `unknown node ${JSON.stringify(text)} (the chain has ${sel.prefix}0..${sel.prefix}${n - 1})`;
    },
  };
}

export const TOY_CONFIG: FamilyConfig = {
  family: 'toy',
  vocabulary: {
    prefixes: 've',
    words: ['validators', 'edges', 'all'],
    groups: [],
    help: 'a node name like "v1" or "e0", validators, edges, all, region:NAME, or "K of S" / "P% of S"',
  },
  hardware: { validator: { cores: 2, bandwidth: '100Mbps' }, edge: { cores: 1, bandwidth: '50Mbps' } },
  costs: { message_base_us: 5, verify_block_us: 50, per_tx_us: 2 },
  workload: {},
  root: (parts) => ({
    ...Object.fromEntries(['$schema', 'schema_version', 'name', 'description', 'seed', 'duration', 'warmup', 'crypto', 'replica_state', 'network']
      .map((k) => [k, parts.sections[k as keyof typeof parts.sections]])),
    protocol: z.strictObject({ family: parts.familyKey() }).prefault({}),
    chain: chainSchema.prefault({}),
    hardware: parts.sections.hardware,
    costs: parts.sections.costs,
    workload: parts.sections.workload,
    faults: parts.faultList([parts.faults.crash, parts.faults.partition, stallSchema], 'Faults: crash, partition, stall_leader.'),
    byzantine: parts.byzantineList(z.strictObject(parts.byzantineFields(['fork'], 'fork: v1 commits a block of its own at height 2.'))
      .transform((b) => ({ nodes: b.nodes, behavior: b.behavior, at_us: b.at, until_us: b.until ?? null }))),
    checks: parts.sections.checks,
  }),
  scope: (f) => scopeOf(f.chain as ToyChain),
  checkSections: () => {},
  checkFault: (f, fault, path, tools) => {
    const s = fault as StallLeader;
    if (s.until_us !== null && s.until_us - s.at_us > 60_000_000) tools.issue([...path, 'until'], 'expected a stall of at most 60s');
  },
  checkByzantine: (_f, b, path, tools) => {
    if (!b.nodes.every((n) => n === 'v1')) tools.issue([...path, 'nodes'], 'only v1 forks');
  },
  sectionToFile: (key, sc) => {
    const c = (sc as ToyScenario).chain;
    if (key === 'protocol') return { family: 'toy' };
    return { validators: c.validators, clients: c.clients, slot: formatDuration(c.slot_us) };
  },
  workloadToFile: () => ({}),
  faultToFile: (f: FaultSpec) => {
    const s = f as StallLeader;
    return { kind: s.kind, at: formatDuration(s.at_us), ...(s.until_us === null ? {} : { until: formatDuration(s.until_us) }) };
  },
  byzantineToFile: () => ({}),
};
