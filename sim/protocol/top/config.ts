/**
 * TOP Chain's part of the scenario file (sim/contract/config.ts): its sections (variant, topology,
 * stake, protocol, elections, sizes, sabotage), its roles' hardware and CPU cost defaults, its node
 * names and selector words, its own fault kinds (crash_leader, join, leave, rotate, drop_receipts)
 * and byzantine behaviours, the checks across them, and the way back to the file form. The model
 * behind each default is docs/PROTOCOL.md.
 *
 * Schemas and pure functions only: the scenario layer reads this without loading TOP's protocol code.
 */
import { z } from 'zod';
import { DEFAULT_COSTS } from '../../crypto/costs.js';
import type {
  CheckTools, EnvelopeParts, FamilyConfig, ParsedFile, SelectorScope,
} from '../../contract/config.js';
import {
  COUNT_MAX, NODES_PER_ROLE_MAX, RATE_TPS_PER_EDGE_MAX, byteSize, duration, expecting, int, num, percent,
} from '../../scenario/fields.js';
import { expectedGot } from '../../scenario/errors.js';
import { parseSelector, type Selector, type Vocabulary } from '../../scenario/selectors.js';
import type { ByzantineSpec, FaultSpec, Scenario } from '../../scenario/types.js';
import {
  asTop, type ByzantineBehavior, type ProtocolConfig, type RoleName, type SizeTable, type StakeInput, type TopByzantineSpec,
  type TopOwnFaultSpec, type TopologyConfig, type TopScenario,
} from './scenario.js';
import { formatDuration } from '../../scenario/units.js';
import { TOP_SWARM } from './draw.js';

// ---------------------------------------------------------------------------------------------
// The sections' schemas.

const roleCount = (role: string, dflt: number) =>
  int(1, NODES_PER_ROLE_MAX).default(dflt).describe(`Number of ${role} (named ${role[0]}0, ${role[0]}1, ...).`);

const topologySchema = z
  .strictObject({
    tables: int(1, 1024)
      .default(1)
      .describe('Number of tables (shards): 64 as TOP runs; 256 and 1024 as earlier designs (docs/PROTOCOL.md §3.3, MC-1).'),
    auditor_groups: int(1, 64).default(1).describe('Auditor groups (clusters). Mainnet: 2.'),
    validator_groups_per_auditor: int(1, 16).default(1).describe('Validator groups under each auditor group. Mainnet: 2.'),
    validators: int(1, NODES_PER_ROLE_MAX).default(7).describe('Members per validator group (v0, v1, ... numbered across groups). Mainnet: up to 128.'),
    auditors: int(1, NODES_PER_ROLE_MAX).default(7).describe('Members per auditor group (a0, a1, ... numbered across groups). Mainnet: up to 64.'),
    edges: roleCount('edges', 1),
    standby_validators: int(0, NODES_PER_ROLE_MAX)
      .default(0)
      .describe('Registered validators without a seat at genesis, named after the seated ones; elections draw from them.'),
    beacons: int(0, 256)
      .default(0)
      .describe('REC beacon nodes (r0, r1, ...) that certify the 10 s clock (docs/PROTOCOL.md §4.5); 0: an ideal clock every node reads locally.'),
    archives: int(0, NODES_PER_ROLE_MAX)
      .default(0)
      .describe('Archive nodes (h0, h1, ...) that follow every table\'s blocks and hold all state without voting (MC-10).'),
    standby_auditors: int(0, NODES_PER_ROLE_MAX)
      .default(0)
      .describe('Registered auditors without a seat at genesis, named after the seated ones; elections draw from them.'),
    placement: z
      .enum(['round_robin', 'seeded'])
      .default('round_robin')
      .describe('How nodes are spread over regions: in turn, or drawn from the seed.'),
  })
  .superRefine(
    (t, ctx) => {
      const groups = t.auditor_groups * t.validator_groups_per_auditor;
      if (t.tables % groups !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['tables'],
          message: `expected a multiple of the ${groups} validator groups (each owns an equal range of tables), got ${t.tables}`,
        });
      }
    },
    { when: (p) => p.issues.length === 0 },
  );

// docs/PROTOCOL.md §5: validator 2 cores / 100 Mb/s, advance (auditor) 4 cores / 200 Mb/s.
const HARDWARE = {
  validator: { cores: 2, bandwidth: '100Mbps' },
  auditor: { cores: 4, bandwidth: '200Mbps' },
  edge: { cores: 2, bandwidth: '100Mbps' },
  beacon: { cores: 4, bandwidth: '200Mbps' },
  archive: { cores: 4, bandwidth: '200Mbps' },
} as const satisfies Record<RoleName, { cores: number; bandwidth: string }>;

/** TOP's whole supply is 2·10^11: no deposit or vote count goes past 10^12. */
const depositSchema = () => int(0, 1e12).describe('Deposit in TOP.');
const votesSchema = () => int(0, 1e12).describe('Votes received.');
const creditSchema = () => num(0.1, 1).describe('Credit score in [0.1, 1].');

function stakeSchema(deposit_top: number) {
  return z.strictObject({
    deposit_top: depositSchema().default(deposit_top),
    votes: votesSchema().default(0),
    credit: creditSchema().default(0.33),
  });
}

const stakeOverrideSchema = z.strictObject({
  deposit_top: depositSchema().optional(),
  votes: votesSchema().optional(),
  credit: creditSchema().optional(),
});

const stakeSectionSchema = z.strictObject({
  validator: stakeSchema(500_000).prefault({}),
  auditor: stakeSchema(1_000_000).prefault({}),
  overrides: z
    .record(
      z.string().regex(/^[va](?:0|[1-9][0-9]*)$/, expecting('a validator or auditor name like "v3" or "a0"')),
      stakeOverrideSchema,
      // Only the type error is worded here; a bad key falls through to the key's own message.
      { error: (iss) => (iss.code === 'invalid_type' ? expectedGot('a mapping from node names (v0, a3, ...) to stake fields', iss.input) : undefined) },
    )
    .default({})
    .describe('Per-node stake, keyed by node name (v<i> or a<i>).'),
});

const packThresholdSchema = z
  .strictObject({
    until: duration({ positive: true }).describe('Applies while the time since view start is below this.'),
    min_txs: int(0, COUNT_MAX).describe('Minimum pool size to pack.'),
  })
  .transform((t) => ({ until_us: t.until, min_txs: t.min_txs }));

const protocolSchema = (parts: EnvelopeParts) => z
  .strictObject({
    family: parts.familyKey(),
    block_txs_max: int(1, COUNT_MAX).default(288).describe('Transactions per table block at most.'),
    pack_immediate_txs: int(1, COUNT_MAX).default(200).describe('Pool size at which the leader packs at once.'),
    pack_retry: duration({ positive: true }).prefault('50ms').describe('Leader re-checks the pool at this period.'),
    pack_thresholds: z
      .array(packThresholdSchema, expecting('a list of {until, min_txs}'))
      .prefault([
        { until: '200ms', min_txs: 200 },
        { until: '500ms', min_txs: 100 },
        { until: '1000ms', min_txs: 50 },
      ])
      .describe('Minimum pool size to pack, by time since view start; after the last `until` it is 0.'),
    full_block_interval: int(1, COUNT_MAX).default(128).describe('Every this many blocks is a full block.'),
    clock_interval: duration({ positive: true }).prefault('10s').describe('Global clock tick period.'),
    view_clock_ticks: int(1, 1000).default(3).describe('Without progress, the view advances every this many clock ticks.'),
    proposal_expiry: duration({ positive: true }).prefault('15s').describe('A proposal not certified by then is dropped.'),
    pool_txs_max: int(1, COUNT_MAX).default(1024).describe('Transaction pool capacity per table.'),
    account_pending_max: int(1, COUNT_MAX).default(16).describe('Pending transactions per account at most.'),
    edge_flush: duration({ positive: true }).prefault('20ms').describe('Edges batch transactions per table and flush at this period.'),
    sync_retry: duration({ positive: true }).prefault('1s').describe('Retry period for fetching a missing block.'),
    recv_per_block_max: int(0, COUNT_MAX).default(220).describe('Receipt legs (recv + confirm) per block at most.'),
    confirm_per_block_max: int(0, COUNT_MAX).default(160).describe('Confirm legs per block at most.'),
    receipt_resend: duration({ positive: true }).prefault('64s').describe('A rotating node re-sends unconfirmed receipts at this period.'),
    receipt_pull: duration({ positive: true }).prefault('64s').describe('Receivers pull missing receipt ids at this period.'),
    receipt_state: duration({ positive: true }).prefault('64s').describe("Each table broadcasts its receipt-id state at this period."),
    receipt_min_age: duration({ positive: true }).prefault('60s').describe('Receipts younger than this are not re-sent.'),
    receipts_unconfirmed_max: int(1, COUNT_MAX).default(2048).describe('No new sends to a peer table with this many receipts unconfirmed.'),
    receipt_state_in_blocks: z.boolean().default(true).describe(
      "Leaders carry peer tables' committed receipt-id state in their blocks (4 peers every 3 heights), and the flow-control window reads the confirmed ids those blocks put on chain; false: the window reads the receipt-id state broadcasts directly.",
    ),
  })
  .superRefine(
    (p, ctx) => {
      for (let i = 1; i < p.pack_thresholds.length; i++) {
        const prev = p.pack_thresholds[i - 1]!.until_us;
        const cur = p.pack_thresholds[i]!.until_us;
        if (cur <= prev) {
          ctx.addIssue({
            code: 'custom',
            path: ['pack_thresholds', i, 'until'],
            message: `expected a duration greater than the previous entry's ${formatDuration(prev)}, got ${JSON.stringify(formatDuration(cur))}`,
          });
        }
      }
    },
    { when: (p) => p.issues.length === 0 },
  )
  .transform(
    (p): ProtocolConfig => ({
      family: p.family,
      block_txs_max: p.block_txs_max,
      pack_immediate_txs: p.pack_immediate_txs,
      pack_retry_us: p.pack_retry,
      pack_thresholds: p.pack_thresholds,
      full_block_interval: p.full_block_interval,
      clock_interval_us: p.clock_interval,
      view_clock_ticks: p.view_clock_ticks,
      proposal_expiry_us: p.proposal_expiry,
      pool_txs_max: p.pool_txs_max,
      account_pending_max: p.account_pending_max,
      edge_flush_us: p.edge_flush,
      sync_retry_us: p.sync_retry,
      recv_per_block_max: p.recv_per_block_max,
      confirm_per_block_max: p.confirm_per_block_max,
      receipt_resend_us: p.receipt_resend,
      receipt_pull_us: p.receipt_pull,
      receipt_state_us: p.receipt_state,
      receipt_min_age_us: p.receipt_min_age,
      receipts_unconfirmed_max: p.receipts_unconfirmed_max,
      receipt_state_in_blocks: p.receipt_state_in_blocks,
    }),
  );

const sizesSchema = z.strictObject({
  tx_bytes: byteSize(350, 'A plain transfer transaction'),
  vote_bytes: byteSize(250, 'A consensus vote'),
  qc_bytes: byteSize(400, 'A quorum certificate'),
  proposal_header_bytes: byteSize(600, 'A proposal header'),
  unit_per_account_bytes: byteSize(150, 'Unit bookkeeping per touched account'),
  receipt_bytes: byteSize(1200, 'A receive transaction with its receipt'),
  sync_request_bytes: byteSize(100, 'A block sync request'),
  state_per_account_bytes: byteSize(100, 'State sync to a new member, per account of the table'),
  receipt_state_proof_bytes: byteSize(1500, "A peer table's receipt-id state carried in a block: its block's certificate, a Merkle path, the state"),
}) satisfies z.ZodType<SizeTable>;

const workloadKeys = {
  intra_share_percent: percent().nullable().default(null)
    .describe("Share of transfers that stay in the sender's table; null: as accounts fall (about 1/tables)."),
  system_call_percent: percent().default(0).describe('Share of transfers that call a system contract (they get a confirm leg).'),
};

const joinSchema = (parts: EnvelopeParts) => z
  .strictObject({
    kind: z.literal('join'),
    at: duration({ positive: false }).describe('Registration time.'),
    nodes: parts.nodeList('standby validators or auditors (not seated at genesis)'),
  })
  .describe('Standby nodes register at `at`; no election before it can seat them.')
  .transform((f) => ({ kind: f.kind, at_us: f.at, nodes: f.nodes }));

const leaveSchema = (parts: EnvelopeParts) => z
  .strictObject({
    kind: z.literal('leave'),
    at: duration({ positive: false }).describe('Deregistration time.'),
    nodes: parts.nodeList('validators or auditors'),
  })
  .describe("Nodes deregister at `at`: their cluster's next election elects them out first, and they go offline when the first round without them starts.")
  .transform((f) => ({ kind: f.kind, at_us: f.at, nodes: f.nodes }));

const rotateSchema = z
  .strictObject({
    kind: z.literal('rotate'),
    at: duration({ positive: false }).describe('Earliest time of the election.'),
    clusters: z
      .array(int(0, 63), expecting('a list of cluster (auditor group) indices'))
      .min(1, expecting('a non-empty list of cluster (auditor group) indices'))
      .describe('Clusters to rotate.'),
  })
  .describe('Forced early rotation: the clusters hold an election at the first clock at or after `at`, due or not.')
  .transform((f) => ({ kind: f.kind, at_us: f.at, clusters: f.clusters }));

const crashLeaderSchema = z
  .strictObject({
    kind: z.literal('crash_leader'),
    view: int(0, 1e9).describe('Crash the leader of this view as it enters the view.'),
    table: int(0, 1023).default(0).describe('Table whose view is meant.'),
    until: duration({ positive: true }).optional().describe('Restart time (default: never).'),
  })
  .describe('Crash whichever node leads `view` of `table`, as it enters that view; it restarts at `until` (or never).')
  .transform((f) => ({ kind: f.kind, view: f.view, table: f.table, until_us: f.until ?? null }));

const dropReceiptsSchema = z
  .strictObject({
    kind: z.literal('drop_receipts'),
    at: duration({ positive: false }).describe('Start of the loss.'),
    until: duration({ positive: true }).optional().describe('End of the loss (default: never).'),
    from_table: int(0, 1023).describe('Source table of the receipts.'),
    to_table: int(0, 1023).describe('Destination table of the receipts.'),
  })
  .describe("Lose the first copy of every receipt from one table to another (the resend and pull timers still deliver them).")
  .transform((f) => ({
    kind: f.kind, at_us: f.at, until_us: f.until ?? null, from_table: f.from_table, to_table: f.to_table,
  }));

export const BYZANTINE_BEHAVIORS = [
  'equivocate', 'double_vote', 'silent', 'withhold_votes', 'delay_proposals', 'invalid_execution', 'withhold_receipts',
  'grind_seed',
] as const satisfies readonly ByzantineBehavior[];

const byzantineSchema = (parts: EnvelopeParts) => z
  .strictObject({
    ...parts.byzantineFields(
      BYZANTINE_BEHAVIORS,
      'What the nodes do wrong: equivocate (two proposals per view as leader, votes for both), double_vote, silent, ' +
        'withhold_votes, delay_proposals, invalid_execution, withhold_receipts, grind_seed (a REC node biasing election seeds, MC-3).',
    ),
    delay: duration({ positive: true }).optional().describe('delay_proposals only: how long after the view starts the leader proposes (default 5s).'),
    tries: int(2, 1024).optional().describe('grind_seed only: candidate seeds tried per ground election trigger (default 16).'),
    favor: z
      .array(parts.nodeSelector(), expecting('a list of node selectors'))
      .optional()
      .describe('grind_seed only: the nodes it tries to seat (default: every other byzantine node).'),
  })
  .superRefine((b: { behavior: string; delay?: number; tries?: number; favor?: string[] }, ctx) => {
    const only = { delay: 'delay_proposals', tries: 'grind_seed', favor: 'grind_seed' } as const;
    for (const [key, behavior] of Object.entries(only)) {
      if (b[key as keyof typeof only] !== undefined && b.behavior !== behavior) {
        ctx.addIssue({ code: 'custom', path: [key], message: `applies only to behavior ${behavior}, not ${b.behavior}` });
      }
    }
  })
  .transform((b: { nodes: string[]; behavior: ByzantineBehavior; at: number; until?: number; delay?: number; tries?: number; favor?: string[] }) => ({
    nodes: b.nodes, behavior: b.behavior, at_us: b.at, until_us: b.until ?? null,
    delay_us: b.delay ?? 5_000_000, tries: b.tries ?? 16, favor: b.favor ?? [],
  })) satisfies z.ZodType<TopByzantineSpec>;

const sabotageSchema = z.strictObject({
  quorum_shortfall: int(0, NODES_PER_ROLE_MAX).default(0).describe('Certificates need this many fewer votes per group than floor(2n/3)+1.'),
  ledger_mint: z.boolean().default(false).describe('The ledger credits receivers without debiting senders.'),
  skip_nonce_check: z.boolean().default(false).describe('The ledger accepts any nonce.'),
  replay_nonce_percent: percent().default(0).describe('Share of nonces that clients replay.'),
});

const electionsSchema = z
  .strictObject({
    cluster_interval: int(1, 1_000_000)
      .default(1080)
      .describe('Clocks between elections of one cluster: 1080 (3 h) as governance set it (MC-4); 60 in churn experiments.'),
    trigger_interval: int(1, 1_000_000).default(31).describe("Clocks between ZEC's election triggers (zone_election_trigger_interval)."),
    clusters_per_trigger: int(1, 64).default(2).describe('Clusters rotated per trigger at most (max_auditor_rotation_count).'),
    rotation_percent: int(0, 100).default(8).describe('Members swapped per election: max(1, floor(rotation_percent% × group size)).'),
    min_rotation_ratio_percent: int(0, 100)
      .default(66)
      .describe('A group below its maximum size also rotates members out when the standby pool is at most this share of its size.'),
    max_auditor_group_size: int(1, NODES_PER_ROLE_MAX).default(64).describe('Auditor group size at most; a smaller group grows from the standby pool.'),
    max_validator_group_size: int(1, NODES_PER_ROLE_MAX).default(128).describe('Validator group size at most; a smaller group grows from the standby pool.'),
    leader_election_rounds: int(0, 1_000_000)
      .default(2)
      .describe('Members who joined within this many rounds lead only when no other member can (docs/PROTOCOL.md §8.2).'),
    leader_min_credit: num(0, 1).default(0.1).describe('Non-genesis members with credit at or below this lead only when no other member can.'),
  })
  .describe('Cluster elections and rotation (docs/PROTOCOL.md §7); clocks are beacon ticks of protocol.clock_interval.');

// ---------------------------------------------------------------------------------------------
// Node names and selectors.

/** v3 validators, a0 auditors, e1 edges, r2 REC beacons, h0 archives (in node-id order). */
export const TOP_VOCABULARY: Vocabulary = {
  prefixes: 'vaerh',
  words: ['validators', 'auditors', 'edges', 'beacons', 'archives', 'standby', 'all'],
  groups: ['vgroup', 'agroup', 'cluster', 'table'],
  help:
    'a node name like "v3", a role (validators, auditors, edges, beacons, archives, all), standby, vgroup:N, agroup:N, ' +
    'cluster:N, table:N, region:NAME, or "K of S" / "P% of S" for a seeded choice from S',
};

const NODE_NAME_RE = /^([vaerh])(0|[1-9][0-9]*)$/;

/** Counts per role, to check node names against. */
interface Counts {
  v: number;
  a: number;
  e: number;
  r: number;
  h: number;
}

function nameRange(prefix: keyof Counts, counts: Counts): string {
  const n = counts[prefix];
  return n === 1 ? `${prefix}0` : `${prefix}0..${prefix}${n - 1}`;
}

/** Why `name` is not a node of this topology, or null if it is. Role words always exist. */
function unknownNode(name: string, counts: Counts, allowed: readonly (keyof Counts)[]): string | null {
  if (TOP_VOCABULARY.words.includes(name)) return null;
  const m = NODE_NAME_RE.exec(name);
  const prefix = m?.[1] as keyof Counts | undefined;
  const ranges = allowed.filter((p) => counts[p] > 0).map((p) => nameRange(p, counts)).join(', ');
  if (m === null || prefix === undefined || !allowed.includes(prefix)) {
    return `expected a node name (${ranges}), got ${JSON.stringify(name)}`;
  }
  if (Number(m[2]) >= counts[prefix]) return `unknown node ${JSON.stringify(name)} (topology has ${ranges})`;
  return null;
}

/** The shape of the topology that selectors are judged against. */
interface Shape {
  counts: Counts;
  vGroups: number;
  aGroups: number;
  tables: number;
  /** Genesis seats per validator group and per auditor group. */
  perV: number;
  perA: number;
}

function shapeOf(t: TopologyConfig): Shape {
  const vGroups = t.auditor_groups * t.validator_groups_per_auditor;
  return {
    counts: {
      v: t.validators * vGroups + t.standby_validators,
      a: t.auditors * t.auditor_groups + t.standby_auditors,
      e: t.edges,
      r: t.beacons,
      h: t.archives,
    },
    vGroups, aGroups: t.auditor_groups, tables: t.tables, perV: t.validators, perA: t.auditors,
  };
}

/** The node names a node, role or group selector stands for. */
function expand(sel: Selector, shape: Shape): string[] | null {
  const { counts } = shape;
  const names = (p: keyof Counts) => Array.from({ length: counts[p] }, (_, i) => `${p}${i}`);
  const range = (p: keyof Counts, from: number, n: number) => Array.from({ length: n }, (_, i) => `${p}${from + i}`);
  const vpa = shape.vGroups / shape.aGroups;
  switch (sel.kind) {
    case 'node':
      return [`${sel.prefix}${sel.index}`];
    case 'role':
      switch (sel.role) {
        case 'validators': return names('v');
        case 'auditors': return names('a');
        case 'edges': return names('e');
        case 'beacons': return names('r');
        case 'archives': return names('h');
        case 'standby':
          return [
            ...range('v', shape.vGroups * shape.perV, shape.counts.v - shape.vGroups * shape.perV),
            ...range('a', shape.aGroups * shape.perA, shape.counts.a - shape.aGroups * shape.perA),
          ];
        case 'all': return [...names('v'), ...names('a'), ...names('e'), ...names('r'), ...names('h')];
      }
      return null;
    case 'group':
      switch (sel.group) {
        case 'vgroup':
          return range('v', sel.index * shape.perV, shape.perV);
        case 'agroup':
          return range('a', sel.index * shape.perA, shape.perA);
        case 'cluster':
          return [...range('v', sel.index * vpa * shape.perV, vpa * shape.perV), ...range('a', sel.index * shape.perA, shape.perA)];
        case 'table': {
          const g = Math.floor((sel.index * shape.vGroups) / shape.tables);
          return [...range('v', g * shape.perV, shape.perV), ...range('a', Math.floor(g / vpa) * shape.perA, shape.perA)];
        }
      }
      return null;
    default:
      return null;
  }
}

function scopeOf(t: TopologyConfig): SelectorScope {
  const shape = shapeOf(t);
  const { counts } = shape;
  return {
    total: counts.v + counts.a + counts.e + counts.r + counts.h,
    expand: (sel) => expand(sel, shape),
    check(s, text) {
      const upTo = (what: string, n: number, i: number) =>
        i < n ? null : `unknown ${what} ${i} in ${JSON.stringify(text)} (expected ${what} 0 to ${n - 1})`;
      switch (s.kind) {
        case 'node':
          return unknownNode(`${s.prefix}${s.index}`, counts, ['v', 'a', 'e', 'r', 'h']);
        case 'role':
          return s.role === 'standby' && counts.v + counts.a === shape.vGroups * shape.perV + shape.aGroups * shape.perA
            ? 'selects no node: the topology has no standby validators or auditors'
            : null;
        case 'group':
          switch (s.group) {
            case 'vgroup':
              return upTo('validator group', shape.vGroups, s.index);
            case 'agroup':
            case 'cluster':
              return upTo('auditor group', shape.aGroups, s.index);
            case 'table':
              return upTo('table', shape.tables, s.index);
          }
          return null;
        default:
          return null;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Checks across sections.

/** What the checks read of a parsed file beyond the envelope. */
type TopParsed = ParsedFile & { topology: TopologyConfig; stake: TopScenario['stake'] };

function checkSections(file: ParsedFile, tools: CheckTools): void {
  const f = file as TopParsed;
  const { issue } = tools;
  // Each edge's clients submit at whole µs: past one transfer per µs per edge the arrivals would
  // bunch up at the start and the offered rate would be a fiction.
  const edges = f.topology.edges;
  if (tools.peakRate > RATE_TPS_PER_EDGE_MAX * edges) {
    issue(['workload', f.workload.schedule !== undefined ? 'schedule' : 'rate_tps'],
      `expected at most ${RATE_TPS_PER_EDGE_MAX.toLocaleString('en-US')} tx/s per edge (${edges} edge${edges === 1 ? '' : 's'}: ` +
      `${(RATE_TPS_PER_EDGE_MAX * edges).toLocaleString('en-US')}), got ${tools.peakRate}; add topology.edges or lower the rate`);
  }
  const { counts } = shapeOf(f.topology);
  for (const name of Object.keys(f.stake.overrides)) {
    const why = unknownNode(name, counts, ['v', 'a']);
    if (why !== null) issue(['stake', 'overrides', name], why);
  }
}

function checkFault(file: ParsedFile, raw: FaultSpec, path: readonly PropertyKey[], tools: CheckTools): void {
  const f = file as TopParsed;
  const fault = raw as TopOwnFaultSpec;
  const { issue, checkNodes, candidates } = tools;
  const shape = shapeOf(f.topology);
  const seatedV = shape.vGroups * shape.perV;
  const seatedA = shape.aGroups * shape.perA;
  const isStandby = (name: string) =>
    (name[0] === 'v' && Number(name.slice(1)) >= seatedV) || (name[0] === 'a' && Number(name.slice(1)) >= seatedA);
  const tables = f.topology.tables;
  switch (fault.kind) {
    case 'join':
      checkNodes([...path, 'nodes'], fault.nodes);
      fault.nodes.forEach((s, j) => {
        const sel = parseSelector(s, TOP_VOCABULARY);
        if (sel?.kind === 'region' || (sel?.kind === 'fraction' && sel.base.kind === 'region')) {
          issue([...path, 'nodes', j], `expected standby nodes by name, "standby" or "K of standby", got ${JSON.stringify(s)}`);
          return;
        }
        const seated = candidates([s]).find((n) => !isStandby(n));
        if (seated !== undefined) {
          issue([...path, 'nodes', j], `node "${seated}" is not a standby validator or auditor (joining takes nodes not seated at genesis)`);
        }
      });
      break;
    case 'leave':
      checkNodes([...path, 'nodes'], fault.nodes);
      fault.nodes.forEach((s, j) => {
        const other = candidates([s]).find((n) => n[0] !== 'v' && n[0] !== 'a');
        if (other !== undefined) issue([...path, 'nodes', j], `node "${other}" is not a validator or auditor (only they register and leave)`);
      });
      break;
    case 'rotate':
      fault.clusters.forEach((c, j) => {
        if (c >= shape.aGroups) issue([...path, 'clusters', j], `expected a cluster from 0 to ${shape.aGroups - 1}, got ${c}`);
      });
      if (f.topology.standby_validators + f.topology.standby_auditors === 0) {
        issue([...path, 'clusters'], 'a rotation needs standby nodes (topology.standby_validators or standby_auditors)');
      }
      break;
    case 'crash_leader':
      if (fault.table >= tables) issue([...path, 'table'], `expected a table from 0 to ${tables - 1}, got ${fault.table}`);
      break;
    case 'drop_receipts':
      for (const key of ['from_table', 'to_table'] as const) {
        if (fault[key] >= tables) issue([...path, key], `expected a table from 0 to ${tables - 1}, got ${fault[key]}`);
      }
      if (fault.from_table === fault.to_table) {
        issue([...path, 'to_table'], `expected a table other than from_table (${fault.from_table}): a table sends itself no receipts`);
      }
      break;
  }
}

function checkByzantine(file: ParsedFile, raw: ByzantineSpec, path: readonly PropertyKey[], tools: CheckTools): void {
  const f = file as TopParsed;
  const b = raw as TopByzantineSpec;
  tools.checkNodes([...path, 'favor'], b.favor);
  if (b.behavior === 'grind_seed') {
    if (f.topology.beacons === 0) tools.issue([...path, 'behavior'], 'grind_seed needs REC nodes (topology.beacons): they lead the drand rounds');
    const other = tools.candidates(b.nodes).find((n) => n[0] !== 'r');
    if (other !== undefined) tools.issue([...path, 'nodes'], `node "${other}" is not a REC node (grind_seed is done by a drand leader, r0..)`);
  }
}

// ---------------------------------------------------------------------------------------------
// The way back to the file form.

function stakeToFile(s: Partial<StakeInput>): Partial<StakeInput> {
  const out: Partial<StakeInput> = {};
  if (s.deposit_top !== undefined) out.deposit_top = s.deposit_top;
  if (s.votes !== undefined) out.votes = s.votes;
  if (s.credit !== undefined) out.credit = s.credit;
  return out;
}

function protocolToFile(p: ProtocolConfig): Record<string, unknown> {
  return {
    // The default family is left out, so files written before families existed read the same.
    ...(p.family !== 'top' ? { family: p.family } : {}),
    block_txs_max: p.block_txs_max,
    pack_immediate_txs: p.pack_immediate_txs,
    pack_retry: formatDuration(p.pack_retry_us),
    pack_thresholds: p.pack_thresholds.map((t) => ({ until: formatDuration(t.until_us), min_txs: t.min_txs })),
    full_block_interval: p.full_block_interval,
    clock_interval: formatDuration(p.clock_interval_us),
    view_clock_ticks: p.view_clock_ticks,
    proposal_expiry: formatDuration(p.proposal_expiry_us),
    pool_txs_max: p.pool_txs_max,
    account_pending_max: p.account_pending_max,
    edge_flush: formatDuration(p.edge_flush_us),
    sync_retry: formatDuration(p.sync_retry_us),
    recv_per_block_max: p.recv_per_block_max,
    confirm_per_block_max: p.confirm_per_block_max,
    receipt_resend: formatDuration(p.receipt_resend_us),
    receipt_pull: formatDuration(p.receipt_pull_us),
    receipt_state: formatDuration(p.receipt_state_us),
    receipt_min_age: formatDuration(p.receipt_min_age_us),
    receipts_unconfirmed_max: p.receipts_unconfirmed_max,
    receipt_state_in_blocks: p.receipt_state_in_blocks,
  };
}

function sectionToFile(key: string, scenario: Scenario): unknown {
  const s = asTop(scenario);
  switch (key) {
    case 'variant': return s.variant;
    case 'topology': return { ...s.topology };
    case 'stake':
      return {
        validator: { ...s.stake.validator },
        auditor: { ...s.stake.auditor },
        overrides: Object.fromEntries(Object.entries(s.stake.overrides).map(([k, v]) => [k, stakeToFile(v)])),
      };
    case 'protocol': return protocolToFile(s.protocol);
    case 'elections': return { ...s.elections };
    case 'sizes': return { ...s.sizes };
    case 'sabotage': return { ...s.sabotage };
  }
  throw new Error(`TOP has no section ${key}`);
}

function faultToFile(raw: FaultSpec): Record<string, unknown> {
  const f = raw as TopOwnFaultSpec;
  const until = !('until_us' in f) || f.until_us === null ? {} : { until: formatDuration(f.until_us) };
  switch (f.kind) {
    case 'join':
    case 'leave':
      return { kind: f.kind, at: formatDuration(f.at_us), nodes: [...f.nodes] };
    case 'rotate':
      return { kind: f.kind, at: formatDuration(f.at_us), clusters: [...f.clusters] };
    case 'crash_leader':
      return { kind: f.kind, view: f.view, table: f.table, ...until };
    case 'drop_receipts':
      return { kind: f.kind, at: formatDuration(f.at_us), ...until, from_table: f.from_table, to_table: f.to_table };
  }
}

function byzantineToFile(raw: ByzantineSpec): Record<string, unknown> {
  const b = raw as TopByzantineSpec;
  return {
    ...(b.behavior === 'delay_proposals' ? { delay: formatDuration(b.delay_us) } : {}),
    ...(b.behavior === 'grind_seed' ? { tries: b.tries, favor: [...b.favor] } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// The family's config.

export const TOP_CONFIG: FamilyConfig = {
  family: 'top',
  vocabulary: TOP_VOCABULARY,
  hardware: HARDWARE,
  costs: DEFAULT_COSTS,
  workload: workloadKeys,
  root: (parts) => ({
    $schema: parts.sections.$schema,
    schema_version: parts.sections.schema_version,
    name: parts.sections.name,
    description: parts.sections.description,
    seed: parts.sections.seed,
    duration: parts.sections.duration,
    warmup: parts.sections.warmup,
    crypto: parts.sections.crypto,
    replica_state: parts.sections.replica_state,
    variant: z
      .enum(['impl', 'design'])
      .default('impl')
      .describe("Where TOP's code and design disagree: impl follows the code; design adds the confirm leg to every cross-table transfer (MC-5)."),
    network: parts.sections.network,
    topology: topologySchema.prefault({}),
    hardware: parts.sections.hardware,
    stake: stakeSectionSchema.prefault({}),
    protocol: protocolSchema(parts).prefault({}),
    elections: electionsSchema.prefault({}),
    costs: parts.sections.costs,
    sizes: sizesSchema.prefault({}).describe('Message sizes in bytes.'),
    workload: parts.sections.workload,
    faults: parts.faultList(
      [
        parts.faults.crash, crashLeaderSchema, parts.faults.partition, parts.faults.degrade, parts.faults.clock,
        joinSchema(parts), leaveSchema(parts), rotateSchema, dropReceiptsSchema,
      ],
      'Fault schedule; `kind` is crash, crash_leader, partition, degrade or drop_receipts. Times are from the start of the run.',
    ),
    byzantine: parts.byzantineList(byzantineSchema(parts)),
    sabotage: sabotageSchema.prefault({}).describe('Deliberately broken runs that prove the checkers can fire. Never for experiments.'),
    checks: parts.sections.checks,
  }),
  scope: (f) => scopeOf((f as TopParsed).topology),
  checkSections,
  checkFault,
  checkByzantine,
  sectionToFile,
  workloadToFile: (sc) => {
    const w = asTop(sc).workload;
    return { intra_share_percent: w.intra_share_percent, system_call_percent: w.system_call_percent };
  },
  faultToFile,
  byzantineToFile,
  swarm: TOP_SWARM,
};
