/**
 * `npm run sim -- compare <comparison.yaml> [--set key=v1,v2 ...]`: runs several scenarios, of any
 * families, on what a comparison file makes them share (the seed, duration, network, hardware,
 * offered load and faults), and prints their figures side by side. It is a sweep whose last key
 * is the run (sim/cli/sweep.ts): each point's report goes to `<out>/<point-id>/`, with
 * `sweep.json`, `sweep.csv` and `sweep.html` beside them, `--shard` and `merge` work as for a
 * sweep, and `--set` sweeps a shared key (the offered rate, say) across every run.
 *
 * A comparison file:
 *
 *   compare: 1
 *   name: compare-top-bystack
 *   shared:                       # set in every run's scenario
 *     seed: 7
 *     duration: 120s
 *     network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [...] } }
 *     hardware: { cores: 4, bandwidth: 100Mbps }   # every role of every family
 *     workload: { accounts: 20000, rate_tps: 1000 }
 *   runs:
 *     - label: top
 *       scenario: { topology: { tables: 4 } }
 *     - label: bystack
 *       scenario: { protocol: { family: bystack }, workload: { side_percent: 100 } }
 *
 * A run may not set what `shared` sets (the comparison would not be fair); each run's scenario,
 * with the shared part in, is checked by its family's schema before anything runs, and a mistake
 * is one line naming the run and the field, exit 2.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { applyOverrides, parseScenario, scenarioToFile, ScenarioError, type ScenarioIssue } from '../scenario/index.js';
import { loadDataFile } from '../scenario/load.js';
import { familyConfigOf } from '../scenario/schema.js';
import { formatPath } from '../scenario/errors.js';
import { gridSize, gridValues, hashJson, pointId, shardPoints, type SweepKey } from '../report/sweep.js';
import { parseArgs, UsageError, type Parsed } from './args.js';
import type { Io } from './io.js';
import type { Env } from './shard.js';
import {
  gridFlags, runPlan, schemaError, segment, setError, setPath, SWEEP_FLAGS, SWEEP_POINTS_MAX, sweepKeys, takeSets,
  type FileObject, type GridPoint, type SweepPlan,
} from './sweep.js';

/** The version of the comparison format (`compare: 1`). */
export const COMPARE_VERSION = 1;
/** Most runs one comparison may have. */
export const COMPARE_RUNS_MAX = 16;

const LABEL = /^[a-z0-9][a-z0-9_-]{0,39}$/;

const compareSchema = z.strictObject({
  $schema: z.string().optional(),
  compare: z.literal(COMPARE_VERSION, { error: `expected ${COMPARE_VERSION} (the comparison format's version)` }),
  name: z.string({ error: 'expected a name' }).min(1, 'expected a non-empty name').max(100, 'expected at most 100 characters'),
  description: z.string({ error: 'expected text' }).max(1000, 'expected at most 1,000 characters').optional(),
  shared: z.record(z.string(), z.unknown(), { error: 'expected a section of scenario keys every run shares' }).prefault({}),
  runs: z
    .array(
      z.strictObject({
        label: z.string({ error: 'expected a label' }).regex(LABEL, 'expected a short label of lower-case letters, digits, "-" and "_", like top or bystack'),
        scenario: z.record(z.string(), z.unknown(), { error: 'expected the run\'s scenario keys (a section)' }),
      }),
      { error: 'expected a list of runs, each with a label and a scenario' },
    )
    .min(2, 'expected at least two runs to compare')
    .max(COMPARE_RUNS_MAX, `expected at most ${COMPARE_RUNS_MAX} runs`),
});

export type ComparisonFile = z.infer<typeof compareSchema>;

/** Keys of `shared` that are not a scenario's own: a comparison's or a family's naming. */
const SHARED_KEYS_NOT = new Set(['name', 'description', 'protocol', '$schema', 'schema_version']);

function fail(path: string, message: string, file?: string): never {
  throw new ScenarioError([{ path, message } satisfies ScenarioIssue], file);
}

/** The comparison file parsed, or a ScenarioError with one issue. */
export function parseComparison(data: unknown, file?: string): ComparisonFile {
  const r = compareSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = formatPath(issue.path);
    const message = issue.code === 'unrecognized_keys' ? `unknown key ${JSON.stringify(issue.keys[0])} (expected compare, name, description, shared, runs)` : issue.message;
    fail(path === '' ? '(root)' : path, message, file);
  }
  const c = r.data;
  for (const k of Object.keys(c.shared)) {
    if (SHARED_KEYS_NOT.has(k)) fail(`shared.${k}`, `not shared: each run names its own ${k === 'protocol' ? 'family (in its scenario)' : k}`, file);
  }
  const seen = new Map<string, number>();
  c.runs.forEach((r, i) => {
    const other = seen.get(r.label);
    if (other !== undefined) fail(`runs[${i}].label`, `${JSON.stringify(r.label)} is the label of runs[${other}] too`, file);
    seen.set(r.label, i);
  });
  return c;
}

const isSection = (v: unknown): v is FileObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether `path` reads as a comparison file (a section with a `compare` key); false on any error. */
export function isComparisonFile(path: string): boolean {
  try {
    const data = loadDataFile(path, 'a comparison');
    return isSection(data) && 'compare' in data;
  } catch {
    return false;
  }
}

/**
 * `shared` merged into a run's scenario: sections merge key by key; a value (or list) both set is
 * a conflict, named at the run's key. `hardware: {cores, bandwidth}` in `shared` gives every role
 * of the run's family those cores and that bandwidth up and down.
 */
function mergeShared(shared: FileObject, run: FileObject, roles: readonly string[], at: string): FileObject {
  const sharedHw = shared['hardware'];
  const expanded: FileObject = { ...shared };
  if (sharedHw !== undefined) {
    if (!isSection(sharedHw)) fail('shared.hardware', 'expected a section like {cores: 4, bandwidth: 100Mbps}');
    for (const k of Object.keys(sharedHw)) {
      if (!['cores', 'bandwidth', 'upload', 'download'].includes(k)) fail(`shared.hardware.${k}`, 'unknown key (expected cores, bandwidth, upload or download: every role of every run gets them)');
    }
    const { bandwidth, ...rest } = sharedHw;
    const one: FileObject = { ...rest, ...(bandwidth === undefined ? {} : { upload: bandwidth, download: bandwidth }) };
    if (bandwidth !== undefined && (rest['upload'] !== undefined || rest['download'] !== undefined)) {
      fail('shared.hardware.bandwidth', 'expected either bandwidth or upload and download, not both');
    }
    expanded['hardware'] = Object.fromEntries(roles.map((r) => [r, { ...one }]));
  }
  const merge = (a: FileObject, b: FileObject, path: string): FileObject => {
    const out: FileObject = structuredClone(b);
    for (const [k, v] of Object.entries(a)) {
      const here = path === '' ? k : `${path}.${k}`;
      if (!(k in out)) out[k] = structuredClone(v);
      else if (isSection(v) && isSection(out[k])) out[k] = merge(v, out[k] as FileObject, here);
      else fail(`${at}.scenario.${here}`, `set in shared too (a comparison gives every run the shared value; remove one)`);
    }
    return out;
  };
  return merge(expanded, run, '');
}

export interface ComparePlan extends SweepPlan {
  labels: string[];
}

/** Everything a comparison will do, checked: throws UsageError or ScenarioError before anything runs. */
export function planCompare(argv: readonly string[], workersMax: number, env: Env = {}): ComparePlan {
  const { sets, rest } = takeSets(argv);
  const p: Parsed = parseArgs(rest, { ...SWEEP_FLAGS, set: { value: true } });
  const { file: path, seed, duration_us, warmup_us, workers, shard } = gridFlags(p, 'comparison file', workersMax, env);
  const data = loadDataFile(path, 'a comparison');
  if (isSection(data) && !('compare' in data) && ('duration' in data || 'topology' in data || 'protocol' in data)) {
    fail('compare', 'missing: this looks like a scenario; a comparison file starts with "compare: 1" and lists its runs (npm run sim -- help compare)', path);
  }
  const cmp = parseComparison(data, path);
  // Each run's scenario in file form, every default written out (as a sweep's base).
  const bases = cmp.runs.map((r, i) => {
    const at = `runs[${i}]`;
    let merged: FileObject;
    try {
      const config = familyConfigOf(r.scenario);
      merged = mergeShared(cmp.shared, r.scenario, Object.keys(config.hardware), at);
    } catch (e) {
      if (e instanceof ScenarioError) throw new ScenarioError(e.issues.map((x) => ({ ...x, path: x.path.startsWith('runs[') || x.path.startsWith('shared') ? x.path : `${at}.scenario.${x.path}` })), path);
      throw e;
    }
    const named = { ...merged, name: `${cmp.name}-${r.label}`, description: `${cmp.description ?? cmp.name} (run ${r.label})` };
    try {
      return scenarioToFile(applyOverrides(parseScenario(named), { seed, duration_us, warmup_us })) as FileObject;
    } catch (e) {
      if (e instanceof ScenarioError) throw new ScenarioError(e.issues.map((x) => ({ ...x, path: x.path.startsWith('--') ? x.path : `${at} (${r.label}): ${x.path}` })), path);
      throw e;
    }
  });
  const labels = cmp.runs.map((r) => r.label);
  const userKeys = sets.length > 0 ? sweepKeys(sets, bases[0]) : [];
  for (const k of userKeys) {
    if (k.path === 'run' || k.path.startsWith('protocol')) throw setError(k.set, 'not sweepable in a comparison: each run is its own');
  }
  const keys: SweepKey[] = [...userKeys, { set: 'run', path: 'run', label: 'run', values: labels }];
  const total = gridSize(keys);
  if (total > SWEEP_POINTS_MAX) throw new UsageError(`--set: ${total} points; a comparison may have at most ${SWEEP_POINTS_MAX}`);
  const points: GridPoint[] = [];
  for (let k = 0; k < total; k++) {
    const values = gridValues(keys, k);
    const run = labels.indexOf(values[values.length - 1] as string);
    let file = bases[run];
    userKeys.forEach((key, j) => {
      file = setPath(file, key.path, values[j], `${key.set}=${String(values[j])}`);
    });
    const err = schemaError(file);
    if (err !== null) throw setError(userKeys.map((key, j) => `${key.set}=${String(values[j])}`).join(' '), `run ${labels[run]}: ${err}`);
    points.push({ k, id: pointId(keys, values), values, scenario: parseScenario(file) });
  }
  const outFlag = p.flags.get('out');
  const out = typeof outFlag === 'string'
    ? outFlag
    : join('reports', 'compare', segment(cmp.name), ...(shard.n > 1 ? [`shard-${shard.i}-of-${shard.n}`] : []));
  return {
    name: `${cmp.name}: ${labels.join(' vs ')}${userKeys.length > 0 ? ` over ${userKeys.map((k) => k.label).join(' x ')}` : ''}`,
    scenarioName: cmp.name,
    baseHash: hashJson({ bases, keys: userKeys.map((k) => k.path) }),
    labels, keys, points, shard, run: shardPoints(total, shard), out, workers, json: p.flags.get('json') === true,
  };
}

export async function cmdCompare(argv: readonly string[], io: Io, workersMax: number): Promise<number> {
  return runPlan(planCompare(argv, workersMax, io.env ?? process.env), io, 'compare');
}

