/**
 * Drawing fault scenarios for `npm run sim -- swarm`: one seed gives one scenario, in file form,
 * with its faults and byzantine nodes drawn from seeded streams on top of a small base topology
 * (drawn from the same seed, of the default family or the one `--family` names) or on top of a
 * scenario the user supplies (of its family).
 *
 * The swarm hunts safety bugs, so every drawn scenario is one the protocol must survive: the
 * family draws faults and byzantine entries within what its protocol tolerates (TOP's rules:
 * sim/protocol/top/draw.ts; Bystack's: sim/protocol/bystack/draw.ts), each ending by `faultEnd`
 * (crashed nodes restart, partitions heal), and after it comes a liveness phase of
 * `checks.liveness_bound` plus a margin, so the liveness checker judges a system that has had
 * every chance to recover. Durations too short for that squeeze the faults into the first part of
 * the run and judge safety only.
 *
 * The result is checked with `parseScenario`: a drawn scenario that does not validate is a bug
 * here or in the family's drawing, never the user's problem.
 */
import { Stream, streamSeed } from '../lib/random.js';
import { parseScenario } from './load.js';
import { genericFault, type Scenario } from './types.js';
import { SWARM_GRID_US } from '../contract/config.js';
import { configOf } from './schema.js';
import { DEFAULT_FAMILY, FAMILY_NAMES } from '../protocol/families.js';
import { formatDuration } from './units.js';

/** Extra time after the liveness bound, so a commit just inside the bound is still seen. */
export const LIVENESS_MARGIN_US = 15_000_000;
/** The shortest duration a swarm run may have: room for a warm-up, faults and some recovery. */
export const SWARM_DURATION_MIN_US = 5_000_000;
const GRID_US = SWARM_GRID_US;

type FileObject = Record<string, unknown>;

export interface DrawBase {
  /** The base in file form: what the drawn file starts from (its faults and byzantine lists are replaced). */
  file: FileObject;
  /** The same base parsed, for its shape (group sizes, tables, regions, standby). */
  scenario: Scenario;
}

/** The families whose scenarios `swarm` can draw (FamilyConfig.swarm), in the registry's order. */
export const SWARM_FAMILIES: readonly string[] = FAMILY_NAMES.filter((f) => configOf(f).swarm !== undefined);

export interface DrawOptions {
  /** Default: a small base of `family` drawn from the seed (TOP's: one cluster of one or two validator groups). */
  base?: DrawBase;
  /** The family whose small base is drawn when there is no `base` (default: the default family). */
  family?: string;
  /** Overrides the simulated duration (of the drawn base, or of the supplied one). */
  duration_us?: number;
}

export interface Drawn {
  /** The scenario in file form, ready to write as YAML; it validates. */
  file: FileObject;
  scenario: Scenario;
  /** What was drawn, for a summary line: `crash(lost)`, `partition`, ..., `byz:equivocate`. */
  kinds: string[];
  /** Every fault and byzantine behaviour has ended by this time. */
  faultEnd_us: number;
}

/** The fault phase [from, to] of a run: after the warm-up, and before the liveness phase. */
export function faultWindow(sc: Pick<Scenario, 'duration_us' | 'warmup_us' | 'checks'>): { from_us: number; to_us: number } {
  const from = sc.warmup_us;
  const live = sc.checks.liveness_bound_us + LIVENESS_MARGIN_US;
  const room = sc.duration_us - live;
  // Too short for a full liveness phase: faults take the first 60% after the warm-up.
  const to = room >= from + 20_000_000 ? room : from + Math.floor(((sc.duration_us - from) * 3) / 5);
  return { from_us: from, to_us: Math.floor(to / GRID_US) * GRID_US };
}

/**
 * Draws the scenario of `seed`: the family's base (the supplied one, or a small one of
 * `opts.family`, by default the default family, drawn from the seed), then its faults and
 * byzantine entries in the fault phase. Throws Error (a bug) if the drawn file does not validate,
 * or if `opts.family` names another family than the base's.
 */
export function drawScenario(seed: number, opts: DrawOptions = {}): Drawn {
  const stream = (purpose: string) => new Stream(streamSeed(seed, 'swarm', 0, purpose));
  const family = opts.base ? opts.base.scenario.protocol.family : (opts.family ?? DEFAULT_FAMILY);
  if (opts.family !== undefined && opts.family !== family) throw new Error(`swarm: family ${opts.family} asked for a base of family ${family}`);
  const config = configOf(family);
  const swarm = config.swarm;
  if (swarm === undefined) throw new Error(`family ${config.family} draws no swarm scenarios`);
  const { $schema: _, name, description, seed: _seed, ...rest } = opts.base ? structuredClone(opts.base.file) : swarm.base(stream('topology'));
  const file: FileObject = { name, ...(description === undefined ? {} : { description }), seed, ...rest };
  const baseScenario = opts.base?.scenario ?? checked(seed, file);
  const duration_us = opts.duration_us ?? baseScenario.duration_us;
  fitDuration(file, baseScenario, duration_us);
  const shape = checked(seed, { ...file, faults: [], byzantine: [] });
  const { from_us, to_us } = faultWindow(shape);

  const { faults, byzantine, end_us } = swarm.draw(shape, from_us, to_us, stream);
  // Faults and byzantine nodes go where a reader expects them: before the family's sections that
  // follow them in its files (TOP: sabotage) and the checks.
  const keys = Object.keys(file);
  const tail = new Set(['checks', ...swarm.after]);
  const out: FileObject = {};
  for (const k of keys) if (!tail.has(k)) out[k] = file[k];
  out.faults = faults;
  out.byzantine = byzantine;
  for (const k of keys) if (tail.has(k)) out[k] = file[k];
  const scenario = checked(seed, out);
  const kinds = [
    ...scenario.faults.map((f) => { const g = genericFault(f); return g?.kind === 'crash' && g.state === 'lost' ? 'crash(lost)' : f.kind; }),
    ...scenario.byzantine.map((b) => `byz:${b.behavior}`),
  ];
  return { file: out, scenario, kinds, faultEnd_us: end_us };
}

function checked(seed: number, file: FileObject): Scenario {
  try {
    return parseScenario(file);
  } catch (e) {
    throw new Error(`swarm drew a scenario that does not validate (seed ${seed}): ${(e as Error).message}`);
  }
}

/** Sets the duration, keeping the warm-up and the workload's stop inside it. */
function fitDuration(file: FileObject, base: Scenario, duration_us: number): void {
  if (duration_us === base.duration_us) return;
  file.duration = formatDuration(duration_us);
  if (base.warmup_us * 5 > duration_us) file.warmup = formatDuration(Math.floor(duration_us / 5 / 1000) * 1000);
  const w = file.workload as FileObject | undefined;
  if (w?.stop !== undefined && base.workload.stop_us > duration_us) file.workload = { ...w, stop: formatDuration(duration_us) };
}

