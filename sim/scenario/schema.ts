/**
 * The scenario file format (YAML or JSON): the envelope every protocol family shares, composed
 * with the family's sections (sim/contract/config.ts) into one zod schema per family, whose
 * parsed output is the normalized `Scenario` of ./types.ts with the family's sections beside it.
 *
 * - Keys are snake_case; every object is strict (an unknown key is an error, with the list of
 *   keys that would have been accepted).
 * - Every section except `name` is optional and filled with defaults. Defaults are written in the
 *   file's own units (`prefault("60s")`), so the generated JSON Schema shows them as a user would
 *   write them.
 * - Durations are strings with units ("50ms") and become integer µs (`*_us`); bandwidths
 *   ("100Mbps") become integer bits/s (`*_bps`).
 * - `protocol.family` chooses the family (default `top`), and so the file's shape: it is read
 *   before anything else, and an unknown name is reported by the default family's `protocol`
 *   section like any other wrong value.
 * - Each section validates and normalizes itself; checks that span sections (warmup < duration,
 *   node names against the family's layout, ...) run once on the root, and only when every section
 *   parsed cleanly, so they never see half-valid values.
 *
 * Use `parseScenario` (./load.ts) rather than these schemas directly: it supplies the error wording.
 */
import { z } from 'zod';
import type {
  CheckTools, EnvelopeKey, EnvelopeParts, FamilyConfig, ParsedFile, SelectorScope,
} from '../contract/config.js';
import { ENVELOPE_KEYS } from '../contract/config.js';
import {
  DATASETS,
  DATASET_NAMES,
  UNIFORM_DATASET,
  buildLatencyMatrix,
  uniformDataset,
  type LatencyDataset,
} from '../net/datasets.js';
import { checkSchedule, scheduleMaxRate } from '../workload/schedule.js';
import { DEFAULT_FAMILY, FAMILY_NAMES } from '../protocol/families.js';
import { CONFIGS } from '../protocol/configs.js';
import {
  ACCOUNTS_MAX, COST_US_MAX, RATE_TPS_MAX, bandwidth, duration, expecting, formatSignedDuration, int, num,
  percent, selectorFields, signedDuration,
} from './fields.js';
import type {
  ByzantineSpec,
  FaultSpec,
  GenericFaultSpec,
  Hardware,
  LatencyConfig,
  NetworkConfig,
  Popularity,
  RateSchedule,
  Scenario,
  WorkloadConfig,
} from './types.js';
import { FIDELITIES, REPLICA_STATES, genericFault } from './types.js';
import { DURATION_EXPECTED, formatBandwidth, formatDuration } from './units.js';
import { parseSelector, type Selector } from './selectors.js';

export {
  ACCOUNTS_MAX, BANDWIDTH_MAX_BPS, BYTES_MAX, COST_US_MAX, DURATION_MAX_US, NODES_PER_ROLE_MAX, RATE_TPS_MAX,
  RATE_TPS_PER_EDGE_MAX,
} from './fields.js';

export const SCHEMA_VERSION = 1;

const DEFAULT_DATASET = 'wittgenstein-aws-rtt-2019';

type SelectorFields = ReturnType<typeof selectorFields>;
type NodeList = SelectorFields['nodeList'];

// ---------------------------------------------------------------------------------------------
// The envelope's sections.

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
    fidelity: z
      .enum(FIDELITIES)
      .default('packet')
      .describe("How bulk data (the family's transaction batches, receipts) travels: packet (every copy through every queue) or flow (each relay hop planned whole by its sender; docs/VALIDATION.md)."),
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
      fidelity: n.fidelity,
    };
  });

function hardwareSchema(d: { cores: number; bandwidth: string }) {
  return z
    .strictObject({
      cores: int(1, 256).default(d.cores).describe('CPU cores: parallel servers for message handling.'),
      upload: bandwidth().prefault(d.bandwidth).describe('Uplink bandwidth.'),
      download: bandwidth().prefault(d.bandwidth).describe('Downlink bandwidth.'),
    })
    .transform((h): Hardware => ({ cores: h.cores, upload_bps: h.upload, download_bps: h.download }));
}

/** The `hardware` section: each of the family's roles, with its defaults. */
function hardwareSection(config: FamilyConfig) {
  return z.strictObject(
    Object.fromEntries(Object.entries(config.hardware).map(([role, d]) => [role, hardwareSchema(d).prefault({})])),
  );
}

/** The `costs` section: the family's operations, with its defaults. */
function costsSection(config: FamilyConfig) {
  return z.strictObject(
    Object.fromEntries(Object.entries(config.costs).map(([k, v]) => [k, num(0, COST_US_MAX).default(v)])),
  );
}

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

const workloadShape = {
  accounts: int(2, ACCOUNTS_MAX).default(1000).describe('User accounts.'),
  rate_tps: tps().optional().describe('Constant rate (default 50); use `schedule` for ramps and steps.'),
  schedule: scheduleSchema.optional().describe('Rate over time: constant, ramp or steps (instead of rate_tps).'),
  arrival: z.enum(['constant', 'poisson']).default('poisson').describe('Spacing of submissions.'),
  start: duration({ positive: false }).prefault('0s').describe('Submissions start at this time.'),
  stop: duration({ positive: false }).optional().describe("Submissions stop at this time (default: the run's duration)."),
  amount_max: int(1, 1e12).default(100).describe('Transfer amounts are drawn from 1..amount_max.'),
  genesis_balance: int(1, 1e15).default(1_000_000_000).describe('Balance of every account at genesis.'),
  popularity: popularitySchema.prefault('uniform').describe('Which accounts send and receive.'),
};


const crashSchema = (nodeList: NodeList) => z
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

const clockSchema = (nodeList: NodeList) => z
  .strictObject({
    kind: z.literal('clock'),
    at: duration({ positive: false }).describe('When the clocks go off.'),
    until: duration({ positive: true }).optional().describe('When they are corrected (default: never).'),
    nodes: nodeList('node selectors'),
    skew: signedDuration().prefault('0s').describe('Offset of the local clock at `at`: ahead, or behind when negative.'),
    drift_ppm: num(-500_000, 500_000).default(0).describe('The clock gains this many µs per second from `at` (negative: loses).'),
  })
  .describe("Skew and drift the nodes' local clocks: it moves when they see the family's slot tick (TOP: the beacon clock) and when their timers fire.")
  .transform((f) => ({
    kind: f.kind, at_us: f.at, until_us: f.until ?? null, nodes: f.nodes, skew_us: f.skew, drift_ppm: f.drift_ppm,
  }));

/** The two sides of a link fault (partition, degrade) and its window. */
const linkSides = (what: string, f: SelectorFields) => ({
  at: duration({ positive: false }).describe(`${what} start.`),
  until: duration({ positive: true }).optional().describe(`${what} end (default: never).`),
  a: f.nodeList('node selectors'),
  b: z
    .array(f.nodeSelector(), expecting('a list of node selectors'))
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

const partitionSchema = (f: SelectorFields) => z
  .strictObject({
    kind: z.literal('partition'),
    ...linkSides('Partition', f),
  })
  .describe('Cut the links between node sets a and b from `at` until `until` (or forever).')
  .transform((x) => ({ kind: x.kind, ...sidesOf(x) }));

const degradeSchema = (f: SelectorFields) => z
  .strictObject({
    kind: z.literal('degrade'),
    ...linkSides('Degradation', f),
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
  .transform((x) => ({
    kind: x.kind,
    ...sidesOf(x),
    latency_us: x.latency,
    jitter_percent: x.jitter_percent,
    loss_percent: x.loss_percent,
    duplicate_percent: x.duplicate_percent,
    reorder_us: x.reorder,
    bandwidth_percent: x.bandwidth_percent,
  }));

const checksSchema = z
  .strictObject({
    liveness_bound: duration({ positive: true })
      .prefault('90s')
      .describe('After the last fault change, a table with work waiting must commit within this (default: 3 clock-driven view changes).'),
  })
  .transform((c) => ({ liveness_bound_us: c.liveness_bound }));

// ---------------------------------------------------------------------------------------------
// The root, per family.

/** The envelope's parts for a family: its sections built for the family's roles, costs and words. */
function partsFor(config: FamilyConfig): EnvelopeParts {
  const f = selectorFields(config.vocabulary);
  const nodeList: NodeList = f.nodeList;
  return {
    sections: {
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
      replica_state: z
        .enum(REPLICA_STATES)
        .default('shared')
        .describe("One copy per table of what in-sync replicas hold alike (shared), or a copy per replica (own); the results are the same."),
      network: networkSchema.prefault({}),
      hardware: hardwareSection(config).prefault({}),
      costs: costsSection(config).prefault({}).describe("CPU cost per operation, µs of one core's time."),
      workload: z.strictObject({ ...workloadShape, ...config.workload }).prefault({}),
      checks: checksSchema.prefault({}).describe('Invariant checker settings.'),
    },
    faults: {
      crash: crashSchema(nodeList),
      partition: partitionSchema(f),
      degrade: degradeSchema(f),
      clock: clockSchema(nodeList),
    },
    familyKey: () => {
      // Any registered name (the file's own was read first, so another one is a mistake worded
      // here); a family that is not registered (in tests) accepts only its own.
      const names: readonly string[] = (FAMILY_NAMES as readonly string[]).includes(config.family) ? FAMILY_NAMES : [config.family];
      return z
        .enum(names as [string, ...string[]], expecting(`one of ${names.join(', ')}`))
        .default(config.family)
        .describe('The protocol family the nodes run (sim/protocol/registry.ts); `top` is TOP Chain.');
    },
    nodeSelector: f.nodeSelector,
    nodeList,
    faultList: (kinds, description) =>
      z
        .array(z.discriminatedUnion('kind', kinds as unknown as Parameters<typeof z.discriminatedUnion>[1]), expecting('a list of faults'))
        .default([])
        .describe(description),
    byzantineFields: (behaviors, description) => ({
      nodes: nodeList('node selectors'),
      behavior: z.enum(behaviors).describe(description),
      at: duration({ positive: false }).prefault('0s').describe('From this time (default: the start).'),
      until: duration({ positive: true }).optional().describe('Until this time (default: the end).'),
    }),
    byzantineList: (entry) =>
      z.array(entry, expecting('a list of {nodes, behavior}')).default([]).describe('Nodes that misbehave for the whole run.'),
  };
}

/** A parsed file: the envelope's fields as the checks read them, and the family's sections. */
type Parsed = ParsedFile & {
  schema_version: 1;
  name: string;
  description: string;
  seed: number;
  crypto: Scenario['crypto'];
  replica_state: Scenario['replica_state'];
  network: NetworkConfig;
  hardware: Record<string, Hardware>;
  costs: Scenario['costs'];
  workload: ParsedFile['workload'] & { arrival: WorkloadConfig['arrival']; popularity: Popularity };
  checks: Scenario['checks'];
  protocol: Scenario['protocol'];
};

/** The node names a selector stands for when the file decides them (a region's and a fraction's: the run). */
function fixedNames(sel: Selector, scope: SelectorScope): string[] | null {
  return sel.kind === 'region' || sel.kind === 'fraction' ? null : scope.expand(sel);
}

/**
 * Why `text` selects nothing valid in this file's shape, or null. Regions and fractions are
 * judged here; names, role words and groups by the family's scope.
 */
function checkSelector(text: string, config: FamilyConfig, scope: SelectorScope, regions: readonly string[]): string | null {
  const sel = parseSelector(text, config.vocabulary);
  if (sel === null) return `expected ${config.vocabulary.help}, got ${JSON.stringify(text)}`;
  const check = (s: Selector): string | null => {
    switch (s.kind) {
      case 'region':
        return regions.includes(s.region)
          ? null
          : `unknown region ${JSON.stringify(s.region)} in ${JSON.stringify(text)} (network.latency.regions: ${regions.join(', ')})`;
      case 'fraction': {
        const why = check(s.base);
        if (why !== null) return why;
        const base = fixedNames(s.base, scope);
        if (s.count !== null && base !== null && s.count > base.length) {
          return `asks for ${s.count} nodes of a selection of ${base.length} in ${JSON.stringify(text)}`;
        }
        return base !== null && base.length === 0 ? `${JSON.stringify(text)} chooses from no nodes` : null;
      }
      default:
        return scope.check(s, text);
    }
  };
  return check(sel);
}

/** Checks that span sections. Runs only when every section parsed cleanly. */
function crossCheck(config: FamilyConfig, f: Parsed, ctx: z.RefinementCtx): void {
  const issue = (path: readonly PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path: [...path], message });
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
  const scope = config.scope(f);
  const regions = f.network.latency.regions;
  // The names a selector stands for when the file decides them; with `bases`, a fraction stands
  // for its base (a subset of it is checked against the base).
  const namesOf = (text: string, bases: boolean): string[] | null => {
    let sel = parseSelector(text, config.vocabulary);
    if (bases && sel?.kind === 'fraction') sel = sel.base;
    return sel === null ? null : fixedNames(sel, scope);
  };
  /** Every name of a list, or null when the run decides any of them. */
  const namesOfList = (list: readonly string[]): string[] | null => {
    const out: string[] = [];
    for (const text of list) {
      const e = namesOf(text, false);
      if (e === null) return null;
      out.push(...e);
    }
    return out;
  };
  const tools: CheckTools = {
    issue,
    checkNodes: (path, nodes) => {
      nodes.forEach((n, i) => {
        const why = checkSelector(n, config, scope, regions);
        if (why !== null) issue([...path, i], why);
      });
    },
    // A region's nodes follow the run's placement: they are left out.
    candidates: (list) => list.flatMap((text) => namesOf(text, true) ?? []),
    peakRate: w.schedule !== undefined ? scheduleMaxRate(w.schedule) : (w.rate_tps ?? 0),
    scope,
  };
  config.checkSections(f, tools);
  // Balances are summed exactly (conservation), so the money supply must stay below 2^53.
  if (w.accounts * w.genesis_balance > Number.MAX_SAFE_INTEGER) {
    issue(['workload', 'genesis_balance'],
      `expected accounts × genesis_balance at most 2^53 - 1 (balances are summed exactly), got ${w.accounts} × ${w.genesis_balance}`);
  }
  if (w.amount_max > w.genesis_balance) {
    issue(['workload', 'amount_max'], `expected at most genesis_balance (${w.genesis_balance}), got ${w.amount_max}`);
  }

  // A fault or behaviour that starts at or after the end never happens: a mistake, and one that
  // would silently move the liveness phase past the end.
  const starts = (path: PropertyKey[], at_us: number) => {
    if (at_us >= f.duration) {
      issue([...path, 'at'], `expected a time before duration (${formatDuration(f.duration)}), got ${JSON.stringify(formatDuration(at_us))}`);
    }
  };
  f.faults.forEach((raw, i) => {
    const path = ['faults', i];
    if (raw.at_us !== undefined) {
      starts(path, raw.at_us);
      if (raw.until_us !== undefined && raw.until_us !== null && raw.until_us <= raw.at_us) {
        issue([...path, 'until'], `expected a time after at (${formatDuration(raw.at_us)}), got ${JSON.stringify(formatDuration(raw.until_us))}`);
      }
    }
    const fault = genericFault(raw);
    if (fault === null) {
      config.checkFault(f, raw, path, tools);
      return;
    }
    switch (fault.kind) {
      case 'crash':
        tools.checkNodes([...path, 'nodes'], fault.nodes);
        if (fault.state === 'lost' && fault.until_us === null) {
          issue([...path, 'state'], 'expected `until` with state: lost (a node that never restarts has no state to rebuild)');
        }
        break;
      case 'clock':
        tools.checkNodes([...path, 'nodes'], fault.nodes);
        if (fault.skew_us === 0 && fault.drift_ppm === 0) issue(path, 'expected a skew or a drift_ppm other than 0: this moves no clock');
        break;
      case 'degrade':
        tools.checkNodes([...path, 'a'], fault.a);
        tools.checkNodes([...path, 'b'], fault.b);
        if (fault.latency_us === 0 && fault.jitter_percent === 0 && fault.loss_percent === 0 && fault.duplicate_percent === 0 &&
          fault.reorder_us === 0 && fault.bandwidth_percent === 100) {
          issue(path, 'expected at least one of latency, jitter_percent, loss_percent, duplicate_percent, reorder, bandwidth_percent: this degrades nothing');
        }
        break;
      case 'partition': {
        tools.checkNodes([...path, 'a'], fault.a);
        tools.checkNodes([...path, 'b'], fault.b);
        const listed = namesOfList(fault.a);
        if (listed === null) break; // decided by the run's placement or seed
        const inA = new Set(listed);
        if (fault.b.length === 0 && inA.size >= scope.total) {
          issue([...path, 'a'], 'covers every node, and b is empty (everyone else), so the partition would cut nothing');
        }
        fault.b.forEach((s, j) => {
          const e = checkSelector(s, config, scope, regions) !== null ? null : namesOf(s, false);
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
    tools.checkNodes([...path, 'nodes'], b.nodes);
    if (b.until_us !== null && b.until_us <= b.at_us) {
      issue([...path, 'until'], `expected a time after at (${formatDuration(b.at_us)}), got ${JSON.stringify(formatDuration(b.until_us))}`);
    }
    config.checkByzantine(f, b, path, tools);
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

/** The envelope's own keys, renamed where the normalized scenario gives the unit. */
const NORMALIZED_KEY: Partial<Record<EnvelopeKey, string>> = { duration: 'duration_us', warmup: 'warmup_us' };

/** The normalized scenario of a parsed file, in the file's key order. */
function toScenario(f: Parsed, keys: readonly string[]): Scenario {
  const w = f.workload;
  const schedule: RateSchedule = w.schedule ?? { kind: 'constant', rate_tps: w.rate_tps ?? 50 };
  const { accounts, rate_tps: _rate, schedule: _schedule, arrival, start, stop, amount_max, genesis_balance, popularity, ...own } =
    w as Parsed['workload'] & Record<string, unknown>;
  const workload: WorkloadConfig = {
    accounts,
    rate_tps: scheduleStartRate(schedule),
    schedule,
    arrival,
    start_us: start,
    stop_us: stop ?? f.duration,
    amount_max,
    genesis_balance,
    popularity,
    ...own,
  };
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (k === '$schema') continue;
    out[NORMALIZED_KEY[k as EnvelopeKey] ?? k] = k === 'workload' ? workload : f[k];
  }
  return out as unknown as Scenario;
}

/** The schema of a family's files (input: the file format; output: the normalized scenario), and its root keys in order. */
function buildSchema(config: FamilyConfig) {
  const shape = config.root(partsFor(config));
  const keys = Object.keys(shape);
  const missing = [...ENVELOPE_KEYS, 'protocol'].filter((k) => !keys.includes(k));
  if (missing.length > 0) throw new Error(`family ${config.family}: its file has no ${missing.join(', ')}`);
  const schema = z
    .strictObject(shape)
    .superRefine((f, ctx) => crossCheck(config, f as unknown as Parsed, ctx), { when: (p) => p.issues.length === 0 })
    .transform((f) => toScenario(f as unknown as Parsed, keys));
  return { schema, keys };
}

const built = new WeakMap<FamilyConfig, ReturnType<typeof buildSchema>>();

function builtFor(config: FamilyConfig): ReturnType<typeof buildSchema> {
  let b = built.get(config);
  if (b === undefined) {
    b = buildSchema(config);
    built.set(config, b);
  }
  return b;
}

/**
 * The scenario file schema of a family (built once). Parse through `parseScenario` (./load.ts)
 * for the error wording and `ScenarioError`.
 */
export function scenarioSchema(config: FamilyConfig): ReturnType<typeof buildSchema>['schema'] {
  return builtFor(config).schema;
}

/** The family config of a family name (sim/protocol/configs.ts). */
export function configOf(family: string): FamilyConfig {
  const c = (CONFIGS as Readonly<Record<string, FamilyConfig>>)[family];
  if (c === undefined) throw new Error(`protocol.family: expected one of ${FAMILY_NAMES.join(', ')}, got "${family}"`);
  return c;
}

/**
 * The family a file's data asks for (`protocol.family`); the default family when it names none or
 * one that does not exist (whose `protocol` section then reports the wrong name).
 */
export function familyConfigOf(data: unknown): FamilyConfig {
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const name = isMap(data) && isMap(data.protocol) ? data.protocol.family : undefined;
  return configOf(typeof name === 'string' && Object.hasOwn(CONFIGS, name) ? name : DEFAULT_FAMILY);
}

/** The default family's schema: what `scenarios/scenario.schema.json` describes. */
export const scenarioFileSchema = scenarioSchema(configOf(DEFAULT_FAMILY));

/** What a scenario file may contain, as a TypeScript type: the envelope's keys and the family's. */
export type ScenarioFile = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// The way back: a normalized scenario as a file object that parses to the same scenario.

function hardwareToFile(h: Hardware) {
  return { cores: h.cores, upload: formatBandwidth(h.upload_bps), download: formatBandwidth(h.download_bps) };
}

function genericFaultToFile(f: GenericFaultSpec): Record<string, unknown> {
  const until = f.until_us === null ? {} : { until: formatDuration(f.until_us) };
  switch (f.kind) {
    case 'crash':
      return { kind: f.kind, at: formatDuration(f.at_us), ...until, nodes: [...f.nodes], state: f.state };
    case 'clock':
      return {
        kind: f.kind, at: formatDuration(f.at_us), ...until, nodes: [...f.nodes],
        skew: formatSignedDuration(f.skew_us), drift_ppm: f.drift_ppm,
      };
    case 'partition':
      return { kind: f.kind, ...sidesToFile(f) };
    case 'degrade':
      return {
        kind: f.kind, ...sidesToFile(f),
        latency: formatDuration(f.latency_us), jitter_percent: f.jitter_percent, loss_percent: f.loss_percent,
        duplicate_percent: f.duplicate_percent, reorder: formatDuration(f.reorder_us), bandwidth_percent: f.bandwidth_percent,
      };
  }
}

/**
 * A normalized scenario written back in the file format, every field explicit, in the family's
 * key order. Parsing the result gives the same scenario (the latency matrix is rebuilt from the
 * dataset, not stored). Used to record the effective scenario beside a report.
 */
export function scenarioToFile(s: Scenario, config: FamilyConfig = configOf(s.protocol.family)): ScenarioFile {
  const lat = s.network.latency;
  const w = s.workload;
  const envelope: Partial<Record<EnvelopeKey, () => unknown>> = {
    schema_version: () => s.schema_version,
    name: () => s.name,
    description: () => s.description,
    seed: () => s.seed,
    duration: () => formatDuration(s.duration_us),
    warmup: () => formatDuration(s.warmup_us),
    crypto: () => s.crypto,
    replica_state: () => s.replica_state,
    network: () => ({
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
      fidelity: s.network.fidelity,
    }),
    hardware: () => Object.fromEntries(Object.keys(config.hardware).map((role) => [role, hardwareToFile(s.hardware[role])])),
    costs: () => ({ ...s.costs }),
    workload: () => ({
      accounts: w.accounts,
      schedule: scheduleToFile(w.schedule),
      arrival: w.arrival,
      start: formatDuration(w.start_us),
      stop: formatDuration(w.stop_us),
      amount_max: w.amount_max,
      genesis_balance: w.genesis_balance,
      popularity: w.popularity.kind === 'uniform' ? 'uniform' : { ...w.popularity },
      ...config.workloadToFile(s),
    }),
    faults: () => s.faults.map((f: FaultSpec) => {
      const g = genericFault(f);
      return g !== null ? genericFaultToFile(g) : config.faultToFile(f);
    }),
    byzantine: () => s.byzantine.map((b: ByzantineSpec) => ({
      nodes: [...b.nodes],
      behavior: b.behavior,
      at: formatDuration(b.at_us),
      ...(b.until_us === null ? {} : { until: formatDuration(b.until_us) }),
      ...config.byzantineToFile(b),
    })),
    checks: () => ({ liveness_bound: formatDuration(s.checks.liveness_bound_us) }),
  };
  const out: Record<string, unknown> = {};
  for (const k of builtFor(config).keys) {
    if (k === '$schema') continue;
    const own = envelope[k as EnvelopeKey];
    out[k] = own !== undefined ? own() : config.sectionToFile(k, s);
  }
  return out;
}
