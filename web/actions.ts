/**
 * What a viewer does to a run from the page, as entries of the scenario itself: a crash or a
 * partition becomes a fault, an equivocating member a byzantine entry, each at the simulated time
 * the viewer acted. The run with actions is the scenario with those entries, so exporting it and
 * running it from the command line gives the same digest.
 *
 * Restart and heal close the latest open crash of that node, or the latest open partition, that an
 * earlier action opened (they set its `until`).
 */
import { isMap, isNode, parseDocument } from 'yaml';
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
  return fileWith(base, actions).file;
}

/**
 * `scenarioFileWith`, and which action wrote each entry it added: `faults[3]` → the crash or
 * partition that opened it (`faults[3].until` → the restart or heal that closed it),
 * `byzantine[0]` → the equivocation.
 */
function fileWith(base: Scenario, actions: readonly Action[]): { file: ScenarioFile; origin: Map<string, number> } {
  const file = scenarioToFile(base);
  const origin = new Map<string, number>();
  const faults = file.faults as Record<string, unknown>[];
  const byzantine = file.byzantine as Record<string, unknown>[];
  const openCrash = new Map<string, { entry: Record<string, unknown>; at_us: number; index: number }>();
  let openPartition: { entry: Record<string, unknown>; at_us: number; index: number } | null = null;
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
        origin.set(`faults[${faults.length}]`, i);
        faults.push(entry);
        openCrash.set(a.node, { entry, at_us: a.at_us, index: faults.length - 1 });
        break;
      }
      case 'restart': {
        const open = openCrash.get(a.node);
        if (!open) fail(`no crash of ${a.node} from the page to end`);
        if (open!.at_us >= a.at_us) fail('a restart must come after the crash it ends');
        open!.entry.until = at;
        origin.set(`faults[${open!.index}].until`, i);
        openCrash.delete(a.node);
        break;
      }
      case 'equivocate':
        origin.set(`byzantine[${byzantine.length}]`, i);
        byzantine.push({ nodes: [a.node], behavior: 'equivocate', at });
        break;
      case 'partition': {
        if (openPartition) fail('a partition is already open; heal it first');
        const entry = { kind: 'partition', at, a: [a.a], b: [a.b] };
        origin.set(`faults[${faults.length}]`, i);
        faults.push(entry);
        openPartition = { entry, at_us: a.at_us, index: faults.length - 1 };
        break;
      }
      case 'heal': {
        if (!openPartition) fail('no open partition to heal');
        if (openPartition!.at_us >= a.at_us) fail('a heal must come after the partition it ends');
        openPartition!.entry.until = at;
        origin.set(`faults[${openPartition!.index}].until`, i);
        openPartition = null;
        break;
      }
      default:
        fail(`unknown action kind "${(a as { kind: string }).kind}"`);
    }
  });
  return { file, origin };
}

/**
 * The scenario with the actions applied, validated like a file (selectors, times). A problem in an
 * entry an action wrote is reported as that action's (`actions/0: unknown node "v99" ...`), not as
 * a `faults[...]` entry the viewer never saw.
 */
/**
 * The exported file: the text the scenario was loaded from, kept as written (its comments, its
 * schema line, only the keys it sets), with the seed if the page changed it, and the actions'
 * entries appended to `faults` and `byzantine`. It parses to the scenario the page ran, so the
 * command line gives the page's digest. `header` becomes the file's first comment line.
 */
export function exportedText(text: string, base: Scenario, actions: readonly Action[], header: string): string {
  const doc = parseDocument(text);
  const before = scenarioToFile(base);
  const after = fileWith(base, actions).file;
  if (doc.get('seed') !== base.seed) doc.set('seed', base.seed);
  for (const key of ['faults', 'byzantine'] as const) {
    const added = (after[key] as unknown[]).slice((before[key] as unknown[]).length);
    if (added.length === 0) continue;
    if (!doc.has(key)) doc.set(key, doc.createNode([]));
    for (const entry of added) doc.addIn([key], doc.createNode(entry));
  }
  // The header goes first, above the file's own leading comments (which the parser hangs on the
  // first key when no blank line separates them).
  const first = isMap(doc.contents) ? doc.contents.items[0]?.key : undefined;
  const holder = doc.commentBefore == null && isNode(first) ? first : doc;
  const lead = holder.commentBefore ?? '';
  holder.commentBefore = lead === '' ? ` ${header}` : ` ${header}\n${lead}`;
  return doc.toString({ lineWidth: 0 });
}

export function scenarioWith(base: Scenario, actions: readonly Action[]): Scenario {
  if (actions.length === 0) return base;
  const { file, origin } = fileWith(base, actions);
  try {
    return parseScenario(file);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    throw new ScenarioError(e.issues.map((issue) => {
      const m = /^((?:faults|byzantine)\[\d+\])(\.until\b)?/.exec(issue.path);
      const k = m ? origin.get(m[1] + (m[2] ?? '')) ?? origin.get(m[1]) : undefined;
      return k === undefined ? issue : { path: `actions/${k}`, message: issue.message };
    }), e.file);
  }
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

// Reading a share URL. Every problem is one line naming the URL parameter and what was expected,
// as the command line words a bad flag; what the URL gets right is still returned, so the page can
// offer it (the scenario in the picker, the seed in its field).

/** One problem with what the page was given: where (`URL parameter seed`, `actions/1`), and what was expected. */
export interface Issue {
  path: string;
  message: string;
}

/** What a share URL asks for. `scenario` and `seed` are null when it does not say or says something unusable. */
export interface SharedRun {
  scenario: string | null;
  seed: number | null;
  actions: Action[];
  /** Workers to run it on (not part of the run: any count gives the same digest); null: the page's choice. */
  workers: number | null;
}

/** Most workers the page runs a simulation on (each is a thread with its own copy of the run's shared data). */
export const WORKERS_MAX = 8;

const urlPath = (param: string) => `URL parameter ${param}`;

/** A seed as the command line reads `--seed`: decimal digits, at most 2^53 - 1; else null. */
export function parseSeed(text: string): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** What a seed must be, for the error line. */
export const SEED_EXPECTED = `expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`;

/** `message` as the share URL's problem with action `text` (named unless the message quotes it). */
function actionIssue(message: string, text: string): Issue {
  return { path: urlPath('actions'), message: message.includes(JSON.stringify(text)) ? message : `${message} (in "${text}")` };
}

/**
 * A problem the worker found loading a share URL's run, worded for the URL: `actions/2` becomes the
 * `actions` parameter, naming that action as the URL spells it. Other problems are returned as they are.
 */
export function shareIssue(issue: Issue, actions: readonly Action[]): Issue {
  const m = /^actions\/(\d+)$/.exec(issue.path);
  const a = m ? actions[Number(m[1])] : undefined;
  return a ? actionIssue(issue.message, encodeActions([a])) : issue;
}

/**
 * Reads a share URL's query (`?scenario=default.yaml&seed=42&actions=crash:v3@12000000`):
 * `scenario` must be one of `scenarios` (default: `fallback`), `seed` an integer as `--seed` takes
 * it, `actions` what `encodeActions` writes. Each parameter given more than once, or not as
 * expected, is one problem; other query parameters are ignored.
 */
export function readShareUrl(search: string, scenarios: readonly string[], fallback: string): { run: SharedRun; problems: Issue[] } {
  const q = new URLSearchParams(search);
  const problems: Issue[] = [];
  const one = (param: string): string | null => {
    const all = q.getAll(param);
    if (all.length > 1) {
      problems.push({ path: urlPath(param), message: `expected one value, got ${all.length}: ${all.map((v) => JSON.stringify(v)).join(', ')}` });
      return null;
    }
    return all.length === 1 ? all[0] : null;
  };
  const run: SharedRun = { scenario: null, seed: null, actions: [], workers: null };

  const name = one('scenario');
  if (name === null) {
    if (!q.has('scenario')) run.scenario = fallback;
  } else if (scenarios.includes(name)) run.scenario = name;
  else problems.push({ path: urlPath('scenario'), message: `expected a bundled scenario (${scenarios.join(', ')}), got ${JSON.stringify(name)}` });

  const seedText = one('seed');
  if (seedText !== null) {
    run.seed = parseSeed(seedText);
    if (run.seed === null) problems.push({ path: urlPath('seed'), message: `${SEED_EXPECTED}, got ${JSON.stringify(seedText)}` });
  }

  const workersText = one('workers');
  if (workersText !== null) {
    const w = /^\d{1,2}$/.test(workersText) ? Number(workersText) : NaN;
    if (w >= 1 && w <= WORKERS_MAX) run.workers = w;
    else problems.push({ path: urlPath('workers'), message: `expected an integer from 1 to ${WORKERS_MAX}, got ${JSON.stringify(workersText)}` });
  }

  const actionsText = one('actions');
  if (actionsText !== null) {
    try {
      run.actions = decodeActions(actionsText);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      const parts = actionsText.split(',');
      for (const issue of e.issues) {
        const m = /^actions\/(\d+)$/.exec(issue.path);
        problems.push(m ? actionIssue(issue.message, parts[Number(m[1])].trim()) : { path: urlPath('actions'), message: issue.message });
      }
    }
  }
  return { run, problems };
}
