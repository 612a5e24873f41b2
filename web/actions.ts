/**
 * What a viewer does to a run from the page, as entries of the scenario itself: a crash or a
 * partition becomes a fault, an equivocating member a byzantine entry, each at the simulated time
 * the viewer acted. The run with actions is the scenario with those entries, so exporting it and
 * running it from the command line gives the same digest.
 *
 * Restart and heal close the latest open crash of that node, or the latest open partition, that an
 * earlier action opened (they set its `until`).
 */
import { parseScenario, scenarioToFile, formatDuration, ScenarioError, type Scenario, type ScenarioFile } from '../sim/scenario/index.js';

export type Action =
  | { kind: 'crash'; node: string; at_us: number }
  | { kind: 'restart'; node: string; at_us: number }
  | { kind: 'equivocate'; node: string; at_us: number }
  | { kind: 'partition'; a: string; b: string; at_us: number }
  | { kind: 'heal'; at_us: number };

export const ACTION_KINDS = ['crash', 'restart', 'equivocate', 'partition', 'heal'] as const;

/** Actions take effect on a whole millisecond: the first one at or after `now_us`. */
export function actionTime(now_us: number): number {
  return Math.ceil(now_us / 1000) * 1000;
}

/** One line for the page's list of actions. */
export function describeAction(a: Action): string {
  const at = `${(a.at_us / 1e6).toFixed(3)} s`;
  switch (a.kind) {
    case 'crash': return `${at}: crash ${a.node}`;
    case 'restart': return `${at}: restart ${a.node}`;
    case 'equivocate': return `${at}: ${a.node} equivocates`;
    case 'partition': return `${at}: partition ${a.a} | ${a.b}`;
    case 'heal': return `${at}: heal the partition`;
  }
}

/**
 * The scenario file with the actions applied (in order). Throws ScenarioError naming the action
 * (`actions/2`) when one does not fit: a restart of a node no action crashed, a heal with no open
 * partition, a time beyond the run, a node or group the scenario does not have.
 */
export function scenarioFileWith(base: Scenario, actions: readonly Action[]): ScenarioFile {
  const file = scenarioToFile(base);
  const faults = file.faults as Record<string, unknown>[];
  const byzantine = file.byzantine as Record<string, unknown>[];
  const openCrash = new Map<string, { entry: Record<string, unknown>; at_us: number }>();
  let openPartition: { entry: Record<string, unknown>; at_us: number } | null = null;
  actions.forEach((a, i) => {
    const fail = (message: string): never => {
      throw new ScenarioError([{ path: `actions/${i}`, message }]);
    };
    if (!Number.isSafeInteger(a.at_us) || a.at_us < 0 || a.at_us >= base.duration_us) {
      fail(`expected a time in [0, ${formatDuration(base.duration_us)}), got ${a.at_us} µs`);
    }
    const at = formatDuration(a.at_us);
    switch (a.kind) {
      case 'crash': {
        if (openCrash.has(a.node)) fail(`${a.node} is already crashed`);
        const entry = { kind: 'crash', at, nodes: [a.node], state: 'kept' };
        faults.push(entry);
        openCrash.set(a.node, { entry, at_us: a.at_us });
        break;
      }
      case 'restart': {
        const open = openCrash.get(a.node);
        if (!open) fail(`no crash of ${a.node} from the page to end`);
        if (open!.at_us >= a.at_us) fail('a restart must come after the crash it ends');
        open!.entry.until = at;
        openCrash.delete(a.node);
        break;
      }
      case 'equivocate':
        byzantine.push({ nodes: [a.node], behavior: 'equivocate', at });
        break;
      case 'partition': {
        if (openPartition) fail('a partition is already open; heal it first');
        const entry = { kind: 'partition', at, a: [a.a], b: [a.b] };
        faults.push(entry);
        openPartition = { entry, at_us: a.at_us };
        break;
      }
      case 'heal': {
        if (!openPartition) fail('no open partition to heal');
        if (openPartition!.at_us >= a.at_us) fail('a heal must come after the partition it ends');
        openPartition!.entry.until = at;
        openPartition = null;
        break;
      }
      default:
        fail(`unknown action kind "${(a as { kind: string }).kind}"`);
    }
  });
  return file;
}

/** The scenario with the actions applied, validated like a file (selectors, times). */
export function scenarioWith(base: Scenario, actions: readonly Action[]): Scenario {
  if (actions.length === 0) return base;
  return parseScenario(scenarioFileWith(base, actions));
}

// Share URLs: `crash:v3@12000000,partition:vgroup:0|vgroup:1@15000000,heal@20000000`.

export function encodeActions(actions: readonly Action[]): string {
  return actions.map((a) => {
    switch (a.kind) {
      case 'crash':
      case 'restart':
      case 'equivocate':
        return `${a.kind}:${a.node}@${a.at_us}`;
      case 'partition':
        return `partition:${a.a}|${a.b}@${a.at_us}`;
      case 'heal':
        return `heal@${a.at_us}`;
    }
  }).join(',');
}

/** Reads `encodeActions` text back. Throws ScenarioError (path `actions/i`) on anything else. */
export function decodeActions(text: string): Action[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part, i): Action => {
    const fail = (message: string): never => {
      throw new ScenarioError([{ path: `actions/${i}`, message }]);
    };
    const m = /^([a-z]+)(?::(.+))?@(0|[1-9][0-9]*)$/.exec(part.trim());
    if (!m) return fail(`expected kind[:target]@µs like "crash:v3@12000000", got "${part}"`);
    const [, kind, target, time] = m;
    const at_us = Number(time);
    if (!Number.isSafeInteger(at_us)) fail(`time ${time} is too large`);
    switch (kind) {
      case 'crash':
      case 'restart':
      case 'equivocate':
        if (!target || !/^[vaerh](0|[1-9][0-9]*)$/.test(target)) fail(`${kind} needs a node name like v3, got "${target ?? ''}"`);
        return { kind, node: target!, at_us };
      case 'partition': {
        const sides = (target ?? '').split('|');
        if (sides.length !== 2 || sides.some((s) => s === '')) fail(`partition needs two groups "a|b", got "${target ?? ''}"`);
        return { kind, a: sides[0], b: sides[1], at_us };
      }
      case 'heal':
        if (target) fail('heal takes no target');
        return { kind, at_us };
      default:
        return fail(`unknown action "${kind}" (expected ${ACTION_KINDS.join(', ')})`);
    }
  });
}
