/**
 * The page's simulation worker (a module Web Worker, driven through comlink). It parses scenario
 * text (so a huge or hostile file never blocks the page), owns the run's Session, and answers one
 * frame request per animation frame with the frame's typed arrays transferred.
 */
import * as Comlink from 'comlink';
import { parseScenarioText, applyOverrides, ScenarioError, type Scenario } from '../sim/scenario/index.js';
import { Session, frameBuffers, type Frame, type Inspection, type SessionMeta } from './session.js';
import { exportedText, scenarioWith, WORKERS_MAX, type Action } from './actions.js';
import type { BlockDetail } from '../sim/contract/module.js';
import { wontFit } from '../sim/runner/memory.js';
import { PartitionedSession, spawnPageWorker, storyNeedsOneWorker } from './partitioned.js';

/** Scenario files larger than this are refused before parsing (scenarios are a few kB). */
export const SCENARIO_BYTES_MAX = 1 << 20;
/**
 * Memory a run in the page may need (sim/runner/memory.ts estimates it before anything is built):
 * a browser tab holds a few GB at most, and a run past this is refused, pointing to the command
 * line, rather than left to grow until the tab dies.
 */
export const PAGE_MEMORY_BYTES = 2e9;

export interface Problem {
  path: string;
  message: string;
}

/** A run's workers: how many run it, and why fewer than asked when they are. */
export interface Workers {
  workers: number;
  note: string | null;
}

export type Opened = ({ ok: true; meta: SessionMeta; seed: number } & Workers) | { ok: false; problems: Problem[] };



function problemsOf(e: unknown, filename: string): Problem[] {
  if (e instanceof ScenarioError) return e.issues.map((i) => ({ path: i.path || filename, message: i.message }));
  return [{ path: filename, message: e instanceof Error ? e.message : String(e) }];
}

let base: Scenario | null = null;
/** The text the scenario was loaded from (the export keeps it as written). */
let baseText = '';
let session: Session | PartitionedSession | null = null;

/**
 * Starts the run of `sc` with these actions on `asked` workers, or on one where several cannot
 * run it (a page that is not cross-origin isolated, a family whose panel reads every node).
 */
async function start(sc: Scenario, actions: Action[], asked: number): Promise<{ s: Session | PartitionedSession } & Workers> {
  let note: string | null = null;
  if (asked > 1 && !(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    note = 'one worker: several need a cross-origin isolated page (web/README.md "Several workers")';
  } else if (asked > 1 && storyNeedsOneWorker(sc)) {
    note = `one worker: ${sc.protocol.family}'s panel reads every node at once`;
  }
  const workers = note === null ? asked : 1;
  const s = workers > 1 ? await PartitionedSession.open(sc, actions, workers, spawnPageWorker) : new Session(sc, actions);
  return { s, workers, note };
}

/** Ends the run the worker holds (its partition workers, if any). */
async function drop(): Promise<void> {
  const old = session;
  session = null;
  if (old instanceof PartitionedSession) await old.close();
}

let workersAsked = 1;

/**
 * Calls run one after another: a run over several workers answers a frame asynchronously, and a
 * load or restart must not replace the run under a frame in progress.
 */
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(f: () => T | Promise<T>): Promise<T> {
  const p = queue.then(f);
  queue = p.catch(() => undefined);
  return p;
}

const api = {
  /** Parses a scenario (YAML or JSON by the file name) and builds its run at time 0 on `workers` workers. */
  async open(text: string, filename: string, seed: number | null, actions: Action[], workers = 1): Promise<Opened> {
    if (text.length > SCENARIO_BYTES_MAX) {
      return { ok: false, problems: [{ path: filename, message: `expected a scenario of at most ${SCENARIO_BYTES_MAX / (1 << 20)} MB, got ${(text.length / (1 << 20)).toFixed(1)} MB` }] };
    }
    try {
      let sc = parseScenarioText(text, filename);
      if (seed !== null) sc = applyOverrides(sc, { seed });
      if (!(Number.isInteger(workers) && workers >= 1 && workers <= WORKERS_MAX)) {
        return { ok: false, problems: [{ path: 'workers', message: `expected an integer from 1 to ${WORKERS_MAX}, got ${workers}` }] };
      }
      const why = wontFit(sc, workers, PAGE_MEMORY_BYTES);
      if (why !== null) {
        return { ok: false, problems: [{ path: filename, message: `${why}; or run it from the command line: npm run sim -- run <the file>` }] };
      }
      await drop();
      const r = await start(sc, actions, workers);
      base = sc;
      baseText = text;
      session = r.s;
      workersAsked = workers;
      return { ok: true, meta: r.s.meta, seed: sc.seed, workers: r.workers, note: r.note };
    } catch (e) {
      return { ok: false, problems: problemsOf(e, filename) };
    }
  },

  /**
   * Rebuilds the run with these actions, on `workers` workers if given (else as many as before);
   * the run restarts at time 0 and the page runs it on.
   */
  async restart(actions: Action[], workers = workersAsked): Promise<Opened> {
    if (!base) return { ok: false, problems: [{ path: 'scenario', message: 'no scenario loaded' }] };
    if (!(Number.isInteger(workers) && workers >= 1 && workers <= WORKERS_MAX)) {
      return { ok: false, problems: [{ path: 'workers', message: `expected an integer from 1 to ${WORKERS_MAX}, got ${workers}` }] };
    }
    const why = wontFit(base, workers, PAGE_MEMORY_BYTES);
    if (why !== null) return { ok: false, problems: [{ path: 'workers', message: why }] };
    try {
      scenarioWith(base, actions); // bad actions are refused before the run in hand is dropped
      await drop();
      const r = await start(base, actions, workers);
      session = r.s;
      workersAsked = workers;
      return { ok: true, meta: r.s.meta, seed: base.seed, workers: r.workers, note: r.note };
    } catch (e) {
      return { ok: false, problems: problemsOf(e, 'actions') };
    }
  },

  /** Runs toward `target_us` for at most `budget_ms`, and returns the frame. */
  async frame(target_us: number, budget_ms: number, inspected: number): Promise<Frame> {
    const s = session;
    if (!s) throw new Error('no scenario loaded');
    s.inspect(inspected);
    if (s instanceof PartitionedSession) await s.advance(target_us, budget_ms);
    else s.advance(target_us, budget_ms, () => performance.now());
    const f = s.frame();
    return Comlink.transfer(f, frameBuffers(f));
  },

  /** What a committed block holds (the page's block panel), or null when no node holds it any more. */
  async blockDetail(chain: number, height: number): Promise<BlockDetail | null> {
    return (await session?.blockDetail(chain, height)) ?? null;
  },

  async inspect(node: number): Promise<Inspection | null> {
    if (!session || node < 0 || node >= session.meta.nodes.length) return null;
    return session.inspection(node);
  },

  /** The scenario with the actions, as the YAML file the command line runs. */
  exportText(): string {
    if (!session) throw new Error('no scenario loaded');
    const header = `Exported from the topsim visualizer: ${session.sc.name}, seed ${session.sc.seed}, ${session.actions.length} action(s).`;
    return exportedText(baseText, session.base, session.actions, header);
  },
};

export type WorkerApi = typeof api;

Comlink.expose({
  open: (...a: Parameters<typeof api.open>) => serial(() => api.open(...a)),
  restart: (...a: Parameters<typeof api.restart>) => serial(() => api.restart(...a)),
  frame: (...a: Parameters<typeof api.frame>) => serial(() => api.frame(...a)),
  blockDetail: (...a: Parameters<typeof api.blockDetail>) => serial(() => api.blockDetail(...a)),
  inspect: (...a: Parameters<typeof api.inspect>) => serial(() => api.inspect(...a)),
  exportText: () => serial(() => api.exportText()),
} satisfies { [K in keyof WorkerApi]: (...a: Parameters<WorkerApi[K]>) => Promise<Awaited<ReturnType<WorkerApi[K]>>> });
