/**
 * The scenario file format (YAML or JSON) as one zod schema, whose parsed output is the
 * normalized `Scenario` of ./types.ts.
 *
 * - Keys are snake_case; every object is strict (an unknown key is an error, with the list of
 *   keys that would have been accepted).
 * - Every section except `name` is optional and filled with defaults. Defaults are written in the
 *   file's own units (`prefault("60s")`), so the generated JSON Schema shows them as a user would
 *   write them.
 * - Durations are strings with units ("50ms") and become integer µs (`*_us`); bandwidths
 *   ("100Mbps") become integer bits/s (`*_bps`).
 * - Each section validates and normalizes itself; checks that span sections (warmup < duration,
 *   node names against the topology, ...) run once on the root, and only when every section parsed
 *   cleanly, so they never see half-valid values.
 *
 * Use `parseScenario` (./load.ts) rather than this schema directly: it supplies the error wording.
 */
import { z } from 'zod';
import { DEFAULT_COSTS, type CostTable } from '../crypto/costs.js';
import {
  DATASETS,
  DATASET_NAMES,
  UNIFORM_DATASET,
  buildLatencyMatrix,
  uniformDataset,
  type LatencyDataset,
} from '../net/datasets.js';
import { expectedGot } from './errors.js';
import { checkSchedule, scheduleMaxRate } from '../workload/schedule.js';
import { FAMILY_NAMES } from '../protocol/families.js';
import type {
  ByzantineBehavior,
  ByzantineSpec,
  FaultSpec,
  Hardware,
  LatencyConfig,
  NetworkConfig,
  Popularity,
  ProtocolConfig,
  RateSchedule,
  Scenario,
  SizeTable,
  StakeInput,
  WorkloadConfig,
} from './types.js';
import {
  BANDWIDTH_EXPECTED,
  BANDWIDTH_PATTERN,
  DURATION_EXPECTED,
  DURATION_PATTERN,
  formatBandwidth,
  formatDuration,
  parseBandwidth,
  parseDuration,
  TooLargeError,
} from './units.js';
import { parseSelector, ROLE_WORDS, SELECTOR_HELP, SELECTOR_PATTERN, type Selector } from './selectors.js';

export const SCHEMA_VERSION = 1;

/** Limits on topology sizes: beyond these a single-machine run is not meaningful yet. */
export const NODES_PER_ROLE_MAX = 512;

/*
 * Every number has a bound, so that a file that validates describes a run that can end on one
 * machine (see scenarios/README.md, "Limits"); what the bounds cannot catch alone (a topology or a
 * load too large for the memory) the command line estimates before it builds the run.
 */
/** Longest simulated time of a run, and of any duration in a scenario: one week. */
export const DURATION_MAX_US = 7 * 24 * 3_600_000_000;
/** Most user accounts. */
export const ACCOUNTS_MAX = 10_000_000;
/** Highest offered rate over all clients, and per edge (arrival times are whole µs). */
export const RATE_TPS_MAX = 10_000_000;
export const RATE_TPS_PER_EDGE_MAX = 1_000_000;
/** Largest message part (bytes), and the largest per-operation CPU cost (µs). */
export const BYTES_MAX = 100_000_000;
export const COST_US_MAX = 10_000_000;
/** Fastest link (bits per second). */
export const BANDWIDTH_MAX_BPS = 1e12;
/** Transaction counts in protocol settings (block sizes, pool capacities, caps). */
const COUNT_MAX = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Building blocks. Each carries its own "expected ..." wording, used for both a wrong type and a
// value out of range, so the message for `validators: 0` and `validators: "7"` reads the same.

const DEFAULT_DATASET = 'wittgenstein-aws-rtt-2019';

/** zod `error` option: "expected <what>, got <input>". */
function expecting(what: string): { error: (iss: { input?: unknown }) => string } {
  return { error: (iss) => expectedGot(what, iss.input) };
}

function intWords(min: number, max: number | undefined): string {
  if (max !== undefined) return `an integer from ${min} to ${max}`;
  if (min === 0) return 'a non-negative integer';
  if (min === 1) return 'a positive integer';
  return `an integer of at least ${min}`;
}

/** A safe integer in [min, max]. */
function int(min: number, max?: number) {
  const e = expecting(intWords(min, max));
  const base = z.number(e).int(e).min(min, e);
  return max === undefined ? base : base.max(max, e);
}

/** A finite number in [min, max]. */
function num(min: number, max?: number) {
  const e = expecting(max === undefined ? (min === 0 ? 'a non-negative number' : `a number of at least ${min}`) : `a number from ${min} to ${max}`);
  const base = z.number(e).min(min, e);
  return max === undefined ? base : base.max(max, e);
}

const percent = () => num(0, 100);

/**
 * A duration string ("30s") → integer µs. `positive` rejects zero. A bare `0` is accepted where
 * zero is allowed, since YAML reads it as a number and it needs no unit.
 */
function duration(opts: { positive: boolean }) {
  const what = opts.positive ? `${DURATION_EXPECTED} (greater than 0)` : DURATION_EXPECTED;
  const e = expecting(what);
  const str = z.string(e).regex(new RegExp(DURATION_PATTERN), e);
  const input = opts.positive ? str : z.union([str, z.literal(0)], e);
  return input.transform((s, ctx) => {
    const us = attempt(() => parseDuration(s));
    if (typeof us !== 'number' || (opts.positive && us <= 0)) {
      ctx.issues.push({ code: 'custom', input: s, message: us instanceof TooLargeError ? us.message : expectedGot(what, s) });
      return z.NEVER;
    }
    if (us > DURATION_MAX_US) {
      ctx.issues.push({ code: 'custom', input: s, message: expectedGot(`a duration of at most ${formatDuration(DURATION_MAX_US)}`, s) });
      return z.NEVER;
    }
    return us;
  });
}

/** A signed duration ("-2s", "+500ms", "1s", 0) → integer µs. */
function signedDuration() {
  const what = `${DURATION_EXPECTED}, optionally signed ("-2s", "+500ms")`;
  const e = expecting(what);
  const str = z.string(e).regex(new RegExp(`^[-+]?${DURATION_PATTERN.slice(1)}`), e);
  return z.union([str, z.literal(0)], e).transform((s, ctx) => {
    const text = typeof s === 'number' ? '0' : s;
    const sign = text.startsWith('-') ? -1 : 1;
    const us = attempt(() => parseDuration(text.replace(/^[-+]/, '')));
    if (typeof us !== 'number') {
      ctx.issues.push({ code: 'custom', input: s, message: us instanceof TooLargeError ? us.message : expectedGot(what, s) });
      return z.NEVER;
    }
    return sign * us;
  });
}

/** µs as a signed duration string ("-2s"). */
function formatSignedDuration(us: number): string {
  return us < 0 ? `-${formatDuration(-us)}` : formatDuration(us);
}

/** A bandwidth string ("100Mbps") → integer bits/s, at least 1. */
function bandwidth() {
  const what = `${BANDWIDTH_EXPECTED} (from 1bps to 1Tbps)`;
  const e = expecting(what);
  return z
    .string(e)
    .regex(new RegExp(BANDWIDTH_PATTERN), e)
    .transform((s, ctx) => {
      const bps = attempt(() => parseBandwidth(s));
      if (typeof bps !== 'number' || bps < 1 || bps > BANDWIDTH_MAX_BPS) {
        ctx.issues.push({ code: 'custom', input: s, message: bps instanceof TooLargeError ? bps.message : expectedGot(what, s) });
        return z.NEVER;
      }
      return bps;
    });
}

/**
 * The parser's result; or, if it throws, undefined (the caller words the error), or the
 * TooLargeError of a value beyond the exact range, whose message names the limit.
 */
function attempt(parse: () => number): number | TooLargeError | undefined {
  try {
    return parse();
  } catch (e) {
    return e instanceof TooLargeError ? e : undefined;
  }
}

const NODE_NAME_RE = /^([vaerh])(0|[1-9][0-9]*)$/;

const nodeSelector = () => {
  const e = expecting(SELECTOR_HELP);
  return z.string(e).regex(new RegExp(SELECTOR_PATTERN), e);
};

const nodeList = (what: string) =>
  z.array(nodeSelector(), expecting(`a list of ${what}`)).min(1, expecting(`a non-empty list of ${what}`));

// ---------------------------------------------------------------------------------------------
// Sections.

const latencySchema = z
  .strictObject({
    dataset: z
      .enum(DATASET_NAMES as [string, ...string[]])
      .default(DEFAULT_DATASET)
      .describe('Measured latency dataset (see sim/net/data/README.md), or "uniform" for one latency everywhere.'),
    regions: z
      .array(z.string(expecting('a region label')), expecting('a list of region labels'))
      .min(1, expecting('a non-empty list of region labels'))
      .optional()
      .describe("Region labels to place nodes in, a subset of the dataset's (default: all of them)."),
    one_way: duration({ positive: true })
      .optional()
      .describe('One-way latency between any two nodes; only (and required) with dataset "uniform".'),
  })
  .superRefine(
    (l, ctx) => {
      if (l.dataset === UNIFORM_DATASET) {
        if (l.one_way === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['one_way'],
            message: `required key is missing (expected ${DURATION_EXPECTED} when dataset is "uniform")`,
          });
        }
      } else if (l.one_way !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['one_way'],
          message: `only allowed with dataset "uniform" (dataset is "${l.dataset}", whose latencies come from measurements)`,
        });
      }
      const labels = datasetFor(l.dataset, l.one_way ?? 1).regions;
      const seen = new Set<string>();
      (l.regions ?? []).forEach((r, i) => {
        if (!labels.includes(r)) {
          ctx.addIssue({
            code: 'custom',
            path: ['regions', i],
            message: `unknown region ${JSON.stringify(r)} for dataset ${l.dataset} (expected one of ${labels.join(', ')})`,
          });
        } else if (seen.has(r)) {
          ctx.addIssue({ code: 'custom', path: ['regions', i], message: `region ${JSON.stringify(r)} is listed twice` });
        }
        seen.add(r);
      });
    },
    { when: (p) => p.issues.length === 0 },
  );

function datasetFor(name: string, one_way_us: number): LatencyDataset {
  if (name === UNIFORM_DATASET) return uniformDataset(one_way_us);
  const ds = DATASETS[name];
  if (ds === undefined) throw new Error(`unknown dataset ${name}`); // the enum above rules this out
  return ds;
}

const networkSchema = z
  .strictObject({
    latency: latencySchema.prefault({}),
    intra_region: duration({ positive: true })
      .prefault('1ms')
      .describe('One-way latency inside one region, where the dataset has no figure (its diagonal).'),
    jitter_percent: percent()
      .default(5)
      .describe('Each message gets a seeded uniform extra delay in [0, jitter_percent% of its one-way latency].'),
    loss_percent: percent().default(0).describe('Share of messages dropped per link.'),
    duplicate_percent: percent().default(0).describe('Share of messages delivered twice per link.'),
    relay_fanout: int(1, 64).default(4).describe('Children per hop in the group relay (broadcast) tree.'),
    failure_detect: duration({ positive: true })
      .prefault('5s')
      .describe('Time after a crash until peers route around the crashed node.'),
  })
  .transform((n): NetworkConfig => {
    const ds = datasetFor(n.latency.dataset, n.latency.one_way ?? 1);
    const regions = n.latency.regions ?? [...ds.regions];
    const latency: LatencyConfig = {
      dataset: n.latency.dataset,
      regions,
      matrix_us: buildLatencyMatrix(ds, regions, n.intra_region),
      source: ds.source,
    };
    return {
      latency,
      intra_region_us: n.intra_region,
      jitter_percent: n.jitter_percent,
      loss_percent: n.loss_percent,
      duplicate_percent: n.duplicate_percent,
      relay_fanout: n.relay_fanout,
      failure_detect_us: n.failure_detect,
    };
  });

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

function hardwareSchema(d: { cores: number; bandwidth: string }) {
  return z
    .strictObject({
      cores: int(1, 256).default(d.cores).describe('CPU cores: parallel servers for message handling.'),
      upload: bandwidth().prefault(d.bandwidth).describe('Uplink bandwidth.'),
      download: bandwidth().prefault(d.bandwidth).describe('Downlink bandwidth.'),
    })
    .transform((h): Hardware => ({ cores: h.cores, upload_bps: h.upload, download_bps: h.download }));
}

// docs/PROTOCOL.md §5: validator 2 cores / 100 Mb/s, advance (auditor) 4 cores / 200 Mb/s.
const hardwareSectionSchema = z.strictObject({
  validator: hardwareSchema({ cores: 2, bandwidth: '100Mbps' }).prefault({}),
  auditor: hardwareSchema({ cores: 4, bandwidth: '200Mbps' }).prefault({}),
  edge: hardwareSchema({ cores: 2, bandwidth: '100Mbps' }).prefault({}),
  beacon: hardwareSchema({ cores: 4, bandwidth: '200Mbps' }).prefault({}),
  archive: hardwareSchema({ cores: 4, bandwidth: '200Mbps' }).prefault({}),
});

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

const protocolSchema = z
  .strictObject({
    family: z
      .enum(FAMILY_NAMES as readonly string[] as [string, ...string[]], expecting(`one of ${FAMILY_NAMES.join(', ')}`))
      .default('top')
      .describe('The protocol family the nodes run (sim/protocol/registry.ts); `top` is TOP Chain.'),
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
    }),
  );

const COST_KEYS = Object.keys(DEFAULT_COSTS) as (keyof CostTable)[];
const costsSchema = z.strictObject(
  Object.fromEntries(COST_KEYS.map((k) => [k, num(0, COST_US_MAX).default(DEFAULT_COSTS[k])])) as Record<
    keyof CostTable,
    z.ZodDefault<z.ZodNumber>
  >,
);

const byteSize = (dflt: number, what: string) => int(1, BYTES_MAX).default(dflt).describe(`${what}, bytes.`);
const sizesSchema = z.strictObject({
  tx_bytes: byteSize(350, 'A plain transfer transaction'),
  vote_bytes: byteSize(250, 'A consensus vote'),
  qc_bytes: byteSize(400, 'A quorum certificate'),
  proposal_header_bytes: byteSize(600, 'A proposal header'),
  unit_per_account_bytes: byteSize(150, 'Unit bookkeeping per touched account'),
  receipt_bytes: byteSize(1200, 'A receive transaction with its receipt'),
  sync_request_bytes: byteSize(100, 'A block sync request'),
  state_per_account_bytes: byteSize(100, 'State sync to a new member, per account of the table'),
}) satisfies z.ZodType<SizeTable>;

const tps = () => num(0, RATE_TPS_MAX).describe('Transactions per simulated second, over all clients.');

const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), rate_tps: tps() })
    .transform((s): RateSchedule => ({ kind: 'constant', rate_tps: s.rate_tps })),
  z.strictObject({
    kind: z.literal('ramp'),
    from_tps: tps(),
    to_tps: tps(),
    start: duration({ positive: false }).describe('The ramp starts here (rate from_tps before).'),
    end: duration({ positive: true }).describe('The ramp ends here (rate to_tps after).'),
  }).transform((s): RateSchedule => ({ kind: 'ramp', from_tps: s.from_tps, to_tps: s.to_tps, start_us: s.start, end_us: s.end })),
  z.strictObject({
    kind: z.literal('steps'),
    steps: z
      .array(z.strictObject({ at: duration({ positive: false }), rate_tps: tps() }), expecting('a list of {at, rate_tps}'))
      .min(1, expecting('at least one step'))
      .describe('Rate 0 before the first step; each step holds until the next.'),
  }).transform((s): RateSchedule => ({ kind: 'steps', steps: s.steps.map((x) => ({ at_us: x.at, rate_tps: x.rate_tps })) })),
]);

const popularitySchema = z.union([
  z.literal('uniform').transform((): Popularity => ({ kind: 'uniform' })),
  z.strictObject({ kind: z.literal('uniform') }).transform((): Popularity => ({ kind: 'uniform' })),
  z.strictObject({
    kind: z.literal('zipf'),
    s: num(0, 10).describe('Zipf exponent: rank r is picked with weight 1/r^s.'),
    scope: z.enum(['global', 'table']).default('global').describe('Rank accounts over all tables, or within each table.'),
  }).transform((p): Popularity => ({ kind: 'zipf', s: p.s, scope: p.scope })),
], expecting('"uniform" or {kind: zipf, s, scope}'));

const workloadSchema = z.strictObject({
  accounts: int(2, ACCOUNTS_MAX).default(1000).describe('User accounts.'),
  rate_tps: tps().optional().describe('Constant rate (default 50); use `schedule` for ramps and steps.'),
  schedule: scheduleSchema.optional().describe('Rate over time: constant, ramp or steps (instead of rate_tps).'),
  arrival: z.enum(['constant', 'poisson']).default('poisson').describe('Spacing of submissions.'),
  start: duration({ positive: false }).prefault('0s').describe('Submissions start at this time.'),
  stop: duration({ positive: false }).optional().describe("Submissions stop at this time (default: the run's duration)."),
  amount_max: int(1, 1e12).default(100).describe('Transfer amounts are drawn from 1..amount_max.'),
  genesis_balance: int(1, 1e15).default(1_000_000_000).describe('Balance of every account at genesis.'),
  popularity: popularitySchema.prefault('uniform').describe('Which accounts send and receive.'),
  intra_share_percent: percent().nullable().default(null)
    .describe("Share of transfers that stay in the sender's table; null: as accounts fall (about 1/tables)."),
  system_call_percent: percent().default(0).describe('Share of transfers that call a system contract (they get a confirm leg).'),
});

const crashSchema = z
  .strictObject({
    kind: z.literal('crash'),
    at: duration({ positive: false }).describe('Crash time.'),
    until: duration({ positive: true }).optional().describe('Restart time (default: never).'),
    nodes: nodeList('node selectors'),
    state: z
      .enum(['kept', 'lost'])
      .default('kept')
      .describe('On restart: kept resumes from the state held at the crash; lost starts empty and syncs each table from a peer.'),
  })
  .describe('Crash nodes at `at`; they restart at `until` (or never).')
  .transform((f) => ({ kind: f.kind, at_us: f.at, until_us: f.until ?? null, nodes: f.nodes, state: f.state }));

const clockSchema = z
  .strictObject({
    kind: z.literal('clock'),
    at: duration({ positive: false }).describe('When the clocks go off.'),
    until: duration({ positive: true }).optional().describe('When they are corrected (default: never).'),
    nodes: nodeList('node selectors'),
    skew: signedDuration().prefault('0s').describe('Offset of the local clock at `at`: ahead, or behind when negative.'),
    drift_ppm: num(-500_000, 500_000).default(0).describe('The clock gains this many µs per second from `at` (negative: loses).'),
  })
  .describe("Skew and drift the nodes' local clocks: it moves when they see the beacon clock tick and when their timers fire.")
  .transform((f) => ({
    kind: f.kind, at_us: f.at, until_us: f.until ?? null, nodes: f.nodes, skew_us: f.skew, drift_ppm: f.drift_ppm,
  }));

const joinSchema = z
  .strictObject({
    kind: z.literal('join'),
    at: duration({ positive: false }).describe('Registration time.'),
    nodes: nodeList('standby validators or auditors (not seated at genesis)'),
  })
  .describe('Standby nodes register at `at`; no election before it can seat them.')
  .transform((f) => ({ kind: f.kind, at_us: f.at, nodes: f.nodes }));

const leaveSchema = z
  .strictObject({
    kind: z.literal('leave'),
    at: duration({ positive: false }).describe('Deregistration time.'),
    nodes: nodeList('validators or auditors'),
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

/** The two sides of a link fault (partition, degrade) and its window. */
const linkSides = (what: string) => ({
  at: duration({ positive: false }).describe(`${what} start.`),
  until: duration({ positive: true }).optional().describe(`${what} end (default: never).`),
  a: nodeList('node selectors'),
  b: z
    .array(nodeSelector(), expecting('a list of node selectors'))
    .default([])
    .describe('The other side (default: every node not in a).'),
  direction: z.enum(['both', 'a_to_b']).default('both').describe('Both directions, or only messages from a to b.'),
});

/** The normalized window and sides of a parsed link fault. */
const sidesOf = (f: { at: number; until?: number; a: string[]; b: string[]; direction: 'both' | 'a_to_b' }) => ({
  at_us: f.at,
  until_us: f.until ?? null,
  a: f.a,
  b: f.b,
  direction: f.direction,
});

const partitionSchema = z
  .strictObject({
    kind: z.literal('partition'),
    ...linkSides('Partition'),
  })
  .describe('Cut the links between node sets a and b from `at` until `until` (or forever).')
  .transform((f) => ({ kind: f.kind, ...sidesOf(f) }));

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

const degradeSchema = z
  .strictObject({
    kind: z.literal('degrade'),
    ...linkSides('Degradation'),
    latency: duration({ positive: false }).prefault('0s').describe('Added one-way latency.'),
    jitter_percent: num(0, 1000).default(0).describe("Added jitter, percent of the link's degraded latency."),
    loss_percent: percent().default(0).describe('Extra share of copies lost.'),
    duplicate_percent: percent().default(0).describe('Extra share of copies delivered twice.'),
    reorder: duration({ positive: false }).prefault('0s')
      .describe('Each copy is held back a uniform random time up to this, so copies sent close together arrive out of order.'),
    bandwidth_percent: num(0.01, 100).default(100)
      .describe("The sender's uplink runs at this percent of its rate for copies on these links (> 0)."),
  })
  .describe('Degrade the links between node sets a and b from `at` until `until` (or forever).')
  .transform((f) => ({
    kind: f.kind,
    ...sidesOf(f),
    latency_us: f.latency,
    jitter_percent: f.jitter_percent,
    loss_percent: f.loss_percent,
    duplicate_percent: f.duplicate_percent,
    reorder_us: f.reorder,
    bandwidth_percent: f.bandwidth_percent,
  }));

const faultSchema = z.discriminatedUnion('kind', [
  crashSchema, crashLeaderSchema, partitionSchema, degradeSchema, clockSchema, joinSchema, leaveSchema, rotateSchema,
  dropReceiptsSchema,
]);

export const BYZANTINE_BEHAVIORS = [
  'equivocate', 'double_vote', 'silent', 'withhold_votes', 'delay_proposals', 'invalid_execution', 'withhold_receipts',
  'grind_seed',
] as const satisfies readonly ByzantineBehavior[];

const byzantineSchema = z
  .strictObject({
    nodes: nodeList('node selectors'),
    behavior: z
      .enum(BYZANTINE_BEHAVIORS)
      .describe(
        'What the nodes do wrong: equivocate (two proposals per view as leader, votes for both), double_vote, silent, ' +
          'withhold_votes, delay_proposals, invalid_execution, withhold_receipts, grind_seed (a REC node biasing election seeds, MC-3).',
      ),
    at: duration({ positive: false }).prefault('0s').describe('From this time (default: the start).'),
    until: duration({ positive: true }).optional().describe('Until this time (default: the end).'),
    delay: duration({ positive: true }).optional().describe('delay_proposals only: how long after the view starts the leader proposes (default 5s).'),
    tries: int(2, 1024).optional().describe('grind_seed only: candidate seeds tried per ground election trigger (default 16).'),
    favor: z
      .array(nodeSelector(), expecting('a list of node selectors'))
      .optional()
      .describe('grind_seed only: the nodes it tries to seat (default: every other byzantine node).'),
  })
  .superRefine((b, ctx) => {
    const only = { delay: 'delay_proposals', tries: 'grind_seed', favor: 'grind_seed' } as const;
    for (const [key, behavior] of Object.entries(only)) {
      if (b[key as keyof typeof only] !== undefined && b.behavior !== behavior) {
        ctx.addIssue({ code: 'custom', path: [key], message: `applies only to behavior ${behavior}, not ${b.behavior}` });
      }
    }
  })
  .transform((b) => ({
    nodes: b.nodes, behavior: b.behavior, at_us: b.at, until_us: b.until ?? null,
    delay_us: b.delay ?? 5_000_000, tries: b.tries ?? 16, favor: b.favor ?? [],
  })) satisfies z.ZodType<ByzantineSpec>;

const sabotageSchema = z.strictObject({
  quorum_shortfall: int(0, NODES_PER_ROLE_MAX).default(0).describe('Certificates need this many fewer votes per group than floor(2n/3)+1.'),
  ledger_mint: z.boolean().default(false).describe('The ledger credits receivers without debiting senders.'),
  skip_nonce_check: z.boolean().default(false).describe('The ledger accepts any nonce.'),
  replay_nonce_percent: percent().default(0).describe('Share of nonces that clients replay.'),
});

const checksSchema = z
  .strictObject({
    liveness_bound: duration({ positive: true })
      .prefault('90s')
      .describe('After the last fault change, a table with work waiting must commit within this (default: 3 clock-driven view changes).'),
  })
  .transform((c) => ({ liveness_bound_us: c.liveness_bound }));

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
// The root.

const rootObject = z.strictObject({
  $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors. Ignored by the simulator.'),
  schema_version: z.literal(SCHEMA_VERSION).default(SCHEMA_VERSION).describe('Scenario format version.'),
  name: z
    .string(expecting('a name like "default" (lowercase letters, digits, ".", "_", "-")'))
    .regex(/^[a-z0-9][a-z0-9._-]*$/, expecting('a name like "default" (lowercase letters, digits, ".", "_", "-")'))
    .max(100, expecting('a name of at most 100 characters'))
    .describe('Scenario name; reports go to reports/<name>/<seed>/.'),
  description: z.string().default('').describe('Free text for humans.'),
  seed: int(0).default(1).describe('Seed of every random stream in the run.'),
  duration: duration({ positive: true }).prefault('60s').describe('Simulated time to run.'),
  warmup: duration({ positive: false }).prefault('5s').describe('Measurements start after this; must be < duration.'),
  crypto: z.enum(['real', 'modeled']).default('modeled').describe('Real signatures, or keyed-hash stand-ins (same CPU costs).'),
  variant: z
    .enum(['impl', 'design'])
    .default('impl')
    .describe("Where TOP's code and design disagree: impl follows the code; design adds the confirm leg to every cross-table transfer (MC-5)."),
  network: networkSchema.prefault({}),
  topology: topologySchema.prefault({}),
  hardware: hardwareSectionSchema.prefault({}),
  stake: stakeSectionSchema.prefault({}),
  protocol: protocolSchema.prefault({}),
  elections: electionsSchema.prefault({}),
  costs: costsSchema.prefault({}).describe("CPU cost per operation, µs of one core's time."),
  sizes: sizesSchema.prefault({}).describe('Message sizes in bytes.'),
  workload: workloadSchema.prefault({}),
  faults: z
    .array(faultSchema, expecting('a list of faults'))
    .default([])
    .describe('Fault schedule; `kind` is crash, crash_leader, partition, degrade or drop_receipts. Times are from the start of the run.'),
  byzantine: z
    .array(byzantineSchema, expecting('a list of {nodes, behavior}'))
    .default([])
    .describe('Nodes that misbehave for the whole run.'),
  sabotage: sabotageSchema.prefault({}).describe('Deliberately broken runs that prove the checkers can fire. Never for experiments.'),
  checks: checksSchema.prefault({}).describe('Invariant checker settings.'),
});

type Parsed = z.output<typeof rootObject>;

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
  if ((ROLE_WORDS as readonly string[]).includes(name)) return null;
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
  regions: readonly string[];
}

/**
 * The node names a selector stands for, or null when that depends on the run (a region's nodes
 * follow the seeded placement; a fraction is a seeded choice).
 */
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
    default:
      return null;
  }
}

/** Why `text` selects nothing valid in this topology, or null. */
function checkSelector(text: string, shape: Shape): string | null {
  const sel = parseSelector(text);
  if (sel === null) return `expected ${SELECTOR_HELP}, got ${JSON.stringify(text)}`;
  const check = (s: Selector): string | null => {
    const upTo = (what: string, n: number, i: number) =>
      i < n ? null : `unknown ${what} ${i} in ${JSON.stringify(text)} (expected ${what} 0 to ${n - 1})`;
    switch (s.kind) {
      case 'node':
        return unknownNode(`${s.prefix}${s.index}`, shape.counts, ['v', 'a', 'e', 'r', 'h']);
      case 'role':
        return s.role === 'standby' && shape.counts.v + shape.counts.a === shape.vGroups * shape.perV + shape.aGroups * shape.perA
          ? 'selects no node: the topology has no standby validators or auditors'
          : null;
      case 'vgroup':
        return upTo('validator group', shape.vGroups, s.index);
      case 'agroup':
      case 'cluster':
        return upTo('auditor group', shape.aGroups, s.index);
      case 'table':
        return upTo('table', shape.tables, s.index);
      case 'region':
        return shape.regions.includes(s.region)
          ? null
          : `unknown region ${JSON.stringify(s.region)} in ${JSON.stringify(text)} (network.latency.regions: ${shape.regions.join(', ')})`;
      case 'fraction': {
        const why = check(s.base);
        if (why !== null) return why;
        const base = expand(s.base, shape);
        if (s.count !== null && base !== null && s.count > base.length) {
          return `asks for ${s.count} nodes of a selection of ${base.length} in ${JSON.stringify(text)}`;
        }
        return base !== null && base.length === 0 ? `${JSON.stringify(text)} chooses from no nodes` : null;
      }
    }
  };
  return check(sel);
}

/** Checks that span sections. Runs only when every section parsed cleanly. */
function crossCheck(f: Parsed, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (f.warmup >= f.duration) {
    issue(['warmup'], `expected less than duration (${formatDuration(f.duration)}), got ${JSON.stringify(formatDuration(f.warmup))}`);
  }
  const w = f.workload;
  if (w.schedule !== undefined && w.rate_tps !== undefined) {
    issue(['workload', 'schedule'], 'expected either rate_tps or schedule, not both');
  }
  if (w.schedule !== undefined) {
    const why = checkSchedule(w.schedule);
    if (why !== null) issue(['workload', 'schedule'], why.replace(/_us\b/g, '').replace(/^steps\[/, 'steps['));
  }
  if (w.stop !== undefined && w.stop > f.duration) {
    issue(['workload', 'stop'], `expected at most duration (${formatDuration(f.duration)}), got ${JSON.stringify(formatDuration(w.stop))}`);
  }
  const stop = w.stop ?? f.duration;
  if (w.start > stop) {
    issue(['workload', 'start'], `expected at most workload.stop (${formatDuration(stop)}), got ${JSON.stringify(formatDuration(w.start))}`);
  }
  // Each edge's clients submit at whole µs: past one transfer per µs per edge the arrivals would
  // bunch up at the start and the offered rate would be a fiction.
  const peak = w.schedule !== undefined ? scheduleMaxRate(w.schedule) : (w.rate_tps ?? 0);
  if (peak > RATE_TPS_PER_EDGE_MAX * f.topology.edges) {
    issue(['workload', w.schedule !== undefined ? 'schedule' : 'rate_tps'],
      `expected at most ${RATE_TPS_PER_EDGE_MAX.toLocaleString('en-US')} tx/s per edge (${f.topology.edges} edge${f.topology.edges === 1 ? '' : 's'}: ` +
      `${(RATE_TPS_PER_EDGE_MAX * f.topology.edges).toLocaleString('en-US')}), got ${peak}; add topology.edges or lower the rate`);
  }
  // Balances are summed exactly (conservation), so the money supply must stay below 2^53.
  if (w.accounts * w.genesis_balance > Number.MAX_SAFE_INTEGER) {
    issue(['workload', 'genesis_balance'],
      `expected accounts × genesis_balance at most 2^53 - 1 (balances are summed exactly), got ${w.accounts} × ${w.genesis_balance}`);
  }
  if (w.amount_max > w.genesis_balance) {
    issue(['workload', 'amount_max'], `expected at most genesis_balance (${w.genesis_balance}), got ${w.amount_max}`);
  }

  const vGroups = f.topology.auditor_groups * f.topology.validator_groups_per_auditor;
  const counts: Counts = {
    v: f.topology.validators * vGroups + f.topology.standby_validators,
    a: f.topology.auditors * f.topology.auditor_groups + f.topology.standby_auditors,
    e: f.topology.edges,
    r: f.topology.beacons,
    h: f.topology.archives,
  };
  const shape: Shape = {
    counts, vGroups, aGroups: f.topology.auditor_groups, tables: f.topology.tables,
    perV: f.topology.validators, perA: f.topology.auditors, regions: f.network.latency.regions,
  };
  const checkNodes = (path: PropertyKey[], nodes: readonly string[]) => {
    nodes.forEach((n, i) => {
      const why = checkSelector(n, shape);
      if (why !== null) issue([...path, i], why);
    });
  };
  const names = (list: readonly string[]): Set<string> | null => {
    const out = new Set<string>();
    for (const s of list) {
      const sel = parseSelector(s);
      const e = sel === null ? null : expand(sel, shape);
      if (e === null) return null;
      e.forEach((x) => out.add(x));
    }
    return out;
  };

  for (const name of Object.keys(f.stake.overrides)) {
    const why = unknownNode(name, counts, ['v', 'a']);
    if (why !== null) issue(['stake', 'overrides', name], why);
  }

  // The names a list stands for when the topology decides them; a fraction or region stands for
  // a subset of its base (checked against the base).
  const candidates = (list: readonly string[]): string[] => {
    const out: string[] = [];
    for (const s of list) {
      let sel = parseSelector(s);
      if (sel?.kind === 'fraction') sel = sel.base;
      const e = sel === null ? null : expand(sel, shape);
      if (e !== null) out.push(...e);
    }
    return out;
  };
  const seatedV = shape.vGroups * shape.perV;
  const seatedA = shape.aGroups * shape.perA;
  const isStandby = (name: string) =>
    (name[0] === 'v' && Number(name.slice(1)) >= seatedV) || (name[0] === 'a' && Number(name.slice(1)) >= seatedA);
  const clusters = f.topology.auditor_groups;

  // A fault or behaviour that starts at or after the end never happens: a mistake, and one that
  // would silently move the liveness phase past the end.
  const starts = (path: PropertyKey[], at_us: number) => {
    if (at_us >= f.duration) {
      issue([...path, 'at'], `expected a time before duration (${formatDuration(f.duration)}), got ${JSON.stringify(formatDuration(at_us))}`);
    }
  };
  f.faults.forEach((fault, i) => {
    const path = ['faults', i];
    if ('at_us' in fault) starts(path, fault.at_us);
    if ('until_us' in fault && fault.kind !== 'crash_leader' && fault.until_us !== null && fault.until_us <= fault.at_us) {
      issue([...path, 'until'], `expected a time after at (${formatDuration(fault.at_us)}), got ${JSON.stringify(formatDuration(fault.until_us))}`);
    }
    switch (fault.kind) {
      case 'crash':
        checkNodes([...path, 'nodes'], fault.nodes);
        if (fault.state === 'lost' && fault.until_us === null) {
          issue([...path, 'state'], 'expected `until` with state: lost (a node that never restarts has no state to rebuild)');
        }
        break;
      case 'clock':
        checkNodes([...path, 'nodes'], fault.nodes);
        if (fault.skew_us === 0 && fault.drift_ppm === 0) issue(path, 'expected a skew or a drift_ppm other than 0: this moves no clock');
        break;
      case 'join': {
        checkNodes([...path, 'nodes'], fault.nodes);
        fault.nodes.forEach((s, j) => {
          const sel = parseSelector(s);
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
      }
      case 'leave':
        checkNodes([...path, 'nodes'], fault.nodes);
        fault.nodes.forEach((s, j) => {
          const other = candidates([s]).find((n) => n[0] !== 'v' && n[0] !== 'a');
          if (other !== undefined) issue([...path, 'nodes', j], `node "${other}" is not a validator or auditor (only they register and leave)`);
        });
        break;
      case 'rotate':
        fault.clusters.forEach((c, j) => {
          if (c >= clusters) issue([...path, 'clusters', j], `expected a cluster from 0 to ${clusters - 1}, got ${c}`);
        });
        if (f.topology.standby_validators + f.topology.standby_auditors === 0) {
          issue([...path, 'clusters'], 'a rotation needs standby nodes (topology.standby_validators or standby_auditors)');
        }
        break;
      case 'crash_leader':
        if (fault.table >= f.topology.tables) {
          issue([...path, 'table'], `expected a table from 0 to ${f.topology.tables - 1}, got ${fault.table}`);
        }
        break;
      case 'drop_receipts':
        for (const key of ['from_table', 'to_table'] as const) {
          if (fault[key] >= f.topology.tables) {
            issue([...path, key], `expected a table from 0 to ${f.topology.tables - 1}, got ${fault[key]}`);
          }
        }
        if (fault.from_table === fault.to_table) {
          issue([...path, 'to_table'], `expected a table other than from_table (${fault.from_table}): a table sends itself no receipts`);
        }
        break;
      case 'degrade':
        checkNodes([...path, 'a'], fault.a);
        checkNodes([...path, 'b'], fault.b);
        if (fault.latency_us === 0 && fault.jitter_percent === 0 && fault.loss_percent === 0 && fault.duplicate_percent === 0 &&
          fault.reorder_us === 0 && fault.bandwidth_percent === 100) {
          issue(path, 'expected at least one of latency, jitter_percent, loss_percent, duplicate_percent, reorder, bandwidth_percent: this degrades nothing');
        }
        break;
      case 'partition': {
        checkNodes([...path, 'a'], fault.a);
        checkNodes([...path, 'b'], fault.b);
        const inA = names(fault.a);
        if (inA === null) break; // decided by the run's placement or seed
        if (fault.b.length === 0 && inA.size >= counts.v + counts.a + counts.e + counts.r + counts.h) {
          issue([...path, 'a'], 'covers every node, and b is empty (everyone else), so the partition would cut nothing');
        }
        fault.b.forEach((s, j) => {
          const sel = parseSelector(s);
          const e = sel === null || checkSelector(s, shape) !== null ? null : expand(sel, shape);
          const both = e?.find((n) => inA.has(n));
          if (both !== undefined) issue([...path, 'b', j], `node "${both}" is on both sides of the partition (it is also in a)`);
        });
        break;
      }
    }
  });
  f.byzantine.forEach((b, i) => {
    const path = ['byzantine', i];
    starts(path, b.at_us);
    checkNodes([...path, 'nodes'], b.nodes);
    checkNodes([...path, 'favor'], b.favor);
    if (b.until_us !== null && b.until_us <= b.at_us) {
      issue([...path, 'until'], `expected a time after at (${formatDuration(b.at_us)}), got ${JSON.stringify(formatDuration(b.until_us))}`);
    }
    if (b.behavior === 'grind_seed') {
      if (f.topology.beacons === 0) issue([...path, 'behavior'], 'grind_seed needs REC nodes (topology.beacons): they lead the drand rounds');
      const other = candidates(b.nodes).find((n) => n[0] !== 'r');
      if (other !== undefined) issue([...path, 'nodes'], `node "${other}" is not a REC node (grind_seed is done by a drand leader, r0..)`);
    }
  });
}

function sidesToFile(f: { at_us: number; until_us: number | null; a: string[]; b: string[]; direction: 'both' | 'a_to_b' }) {
  const until = f.until_us === null ? {} : { until: formatDuration(f.until_us) };
  return { at: formatDuration(f.at_us), ...until, a: [...f.a], b: [...f.b], direction: f.direction };
}

function scheduleStartRate(s: RateSchedule): number {
  return s.kind === 'constant' ? s.rate_tps : s.kind === 'ramp' ? s.from_tps : s.steps[0]!.rate_tps;
}

function scheduleToFile(s: RateSchedule) {
  switch (s.kind) {
    case 'constant':
      return { kind: s.kind, rate_tps: s.rate_tps };
    case 'ramp':
      return { kind: s.kind, from_tps: s.from_tps, to_tps: s.to_tps, start: formatDuration(s.start_us), end: formatDuration(s.end_us) };
    case 'steps':
      return { kind: s.kind, steps: s.steps.map((x) => ({ at: formatDuration(x.at_us), rate_tps: x.rate_tps })) };
  }
}

function toScenario(f: Parsed): Scenario {
  const w = f.workload;
  const schedule: RateSchedule = w.schedule ?? { kind: 'constant', rate_tps: w.rate_tps ?? 50 };
  const workload: WorkloadConfig = {
    accounts: w.accounts,
    rate_tps: scheduleStartRate(schedule),
    schedule,
    arrival: w.arrival,
    start_us: w.start,
    stop_us: w.stop ?? f.duration,
    amount_max: w.amount_max,
    genesis_balance: w.genesis_balance,
    popularity: w.popularity,
    intra_share_percent: w.intra_share_percent,
    system_call_percent: w.system_call_percent,
  };
  const faults: FaultSpec[] = f.faults;
  return {
    schema_version: f.schema_version,
    name: f.name,
    description: f.description,
    seed: f.seed,
    duration_us: f.duration,
    warmup_us: f.warmup,
    crypto: f.crypto,
    variant: f.variant,
    network: f.network,
    topology: f.topology,
    hardware: f.hardware,
    stake: f.stake,
    protocol: f.protocol,
    elections: f.elections,
    costs: f.costs,
    sizes: f.sizes,
    workload,
    faults,
    byzantine: f.byzantine,
    sabotage: f.sabotage,
    checks: f.checks,
  };
}

/**
 * The scenario file schema: input is the file format, output the normalized `Scenario`.
 * Parse it through `parseScenario` (./load.ts) for the error wording and `ScenarioError`.
 */
export const scenarioFileSchema = rootObject
  .superRefine(crossCheck, { when: (p) => p.issues.length === 0 })
  .transform(toScenario);

/** What a scenario file may contain (before defaults), as a TypeScript type. */
export type ScenarioFile = z.input<typeof scenarioFileSchema>;

// Compile-time checks: the schema's output is exactly the contract, and vice versa.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const SCHEMA_OUTPUT_IS_SCENARIO: Exact<z.output<typeof scenarioFileSchema>, Scenario> = true;

// ---------------------------------------------------------------------------------------------
// The way back: a normalized scenario as a file object that parses to the same scenario.

function stakeToFile(s: Partial<StakeInput>): Partial<StakeInput> {
  const out: Partial<StakeInput> = {};
  if (s.deposit_top !== undefined) out.deposit_top = s.deposit_top;
  if (s.votes !== undefined) out.votes = s.votes;
  if (s.credit !== undefined) out.credit = s.credit;
  return out;
}

function hardwareToFile(h: Hardware) {
  return { cores: h.cores, upload: formatBandwidth(h.upload_bps), download: formatBandwidth(h.download_bps) };
}

/**
 * A normalized scenario written back in the file format, every field explicit. Parsing the result
 * gives the same scenario (the latency matrix is rebuilt from the dataset, not stored). Used to
 * record the effective scenario beside a report.
 */
export function scenarioToFile(s: Scenario): ScenarioFile {
  const lat = s.network.latency;
  const p = s.protocol;
  const w = s.workload;
  return {
    schema_version: s.schema_version,
    name: s.name,
    description: s.description,
    seed: s.seed,
    duration: formatDuration(s.duration_us),
    warmup: formatDuration(s.warmup_us),
    crypto: s.crypto,
    variant: s.variant,
    network: {
      latency:
        lat.dataset === UNIFORM_DATASET
          ? { dataset: lat.dataset, regions: [...lat.regions], one_way: formatDuration(lat.matrix_us[0]?.[0] ?? 0) }
          : { dataset: lat.dataset, regions: [...lat.regions] },
      intra_region: formatDuration(s.network.intra_region_us),
      jitter_percent: s.network.jitter_percent,
      loss_percent: s.network.loss_percent,
      duplicate_percent: s.network.duplicate_percent,
      relay_fanout: s.network.relay_fanout,
      failure_detect: formatDuration(s.network.failure_detect_us),
    },
    topology: { ...s.topology },
    hardware: {
      validator: hardwareToFile(s.hardware.validator),
      auditor: hardwareToFile(s.hardware.auditor),
      edge: hardwareToFile(s.hardware.edge),
      beacon: hardwareToFile(s.hardware.beacon),
      archive: hardwareToFile(s.hardware.archive),
    },
    stake: {
      validator: { ...s.stake.validator },
      auditor: { ...s.stake.auditor },
      overrides: Object.fromEntries(Object.entries(s.stake.overrides).map(([k, v]) => [k, stakeToFile(v)])),
    },
    protocol: {
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
    },
    elections: { ...s.elections },
    costs: { ...s.costs },
    sizes: { ...s.sizes },
    workload: {
      accounts: w.accounts,
      schedule: scheduleToFile(w.schedule),
      arrival: w.arrival,
      start: formatDuration(w.start_us),
      stop: formatDuration(w.stop_us),
      amount_max: w.amount_max,
      genesis_balance: w.genesis_balance,
      popularity: w.popularity.kind === 'uniform' ? 'uniform' : { ...w.popularity },
      intra_share_percent: w.intra_share_percent,
      system_call_percent: w.system_call_percent,
    },
    faults: s.faults.map((f) => {
      const until = !('until_us' in f) || f.until_us === null ? {} : { until: formatDuration(f.until_us) };
      switch (f.kind) {
        case 'crash':
          return { kind: f.kind, at: formatDuration(f.at_us), ...until, nodes: [...f.nodes], state: f.state };
        case 'clock':
          return {
            kind: f.kind, at: formatDuration(f.at_us), ...until, nodes: [...f.nodes],
            skew: formatSignedDuration(f.skew_us), drift_ppm: f.drift_ppm,
          };
        case 'join':
        case 'leave':
          return { kind: f.kind, at: formatDuration(f.at_us), nodes: [...f.nodes] };
        case 'rotate':
          return { kind: f.kind, at: formatDuration(f.at_us), clusters: [...f.clusters] };
        case 'crash_leader':
          return { kind: f.kind, view: f.view, table: f.table, ...until };
        case 'partition':
          return { kind: f.kind, ...sidesToFile(f) };
        case 'degrade':
          return {
            kind: f.kind, ...sidesToFile(f),
            latency: formatDuration(f.latency_us), jitter_percent: f.jitter_percent, loss_percent: f.loss_percent,
            duplicate_percent: f.duplicate_percent, reorder: formatDuration(f.reorder_us), bandwidth_percent: f.bandwidth_percent,
          };
        case 'drop_receipts':
          return { kind: f.kind, at: formatDuration(f.at_us), ...until, from_table: f.from_table, to_table: f.to_table };
      }
    }),
    byzantine: s.byzantine.map((b) => ({
      nodes: [...b.nodes],
      behavior: b.behavior,
      at: formatDuration(b.at_us),
      ...(b.until_us === null ? {} : { until: formatDuration(b.until_us) }),
      ...(b.behavior === 'delay_proposals' ? { delay: formatDuration(b.delay_us) } : {}),
      ...(b.behavior === 'grind_seed' ? { tries: b.tries, favor: [...b.favor] } : {}),
    })),
    sabotage: { ...s.sabotage },
    checks: { liveness_bound: formatDuration(s.checks.liveness_bound_us) },
  };
}
