/**
 * The page's simulation worker (a module Web Worker, driven through comlink). It parses scenario
 * text (so a huge or hostile file never blocks the page), owns the run's Session, and answers one
 * frame request per animation frame with the frame's typed arrays transferred.
 */
import * as Comlink from 'comlink';
import { parseScenarioText, applyOverrides, ScenarioError, type Scenario } from '../sim/scenario/index.js';
import { Session, frameBuffers, type Frame, type Inspection, type SessionMeta } from './session.js';
import { exportedText, type Action } from './actions.js';
import type { BlockDetail } from '../sim/contract/module.js';
import { wontFit } from '../sim/runner/memory.js';

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

export type Opened = { ok: true; meta: SessionMeta; seed: number } | { ok: false; problems: Problem[] };

function problemsOf(e: unknown, filename: string): Problem[] {
  if (e instanceof ScenarioError) return e.issues.map((i) => ({ path: i.path || filename, message: i.message }));
  return [{ path: filename, message: e instanceof Error ? e.message : String(e) }];
}

let base: Scenario | null = null;
/** The text the scenario was loaded from (the export keeps it as written). */
let baseText = '';
let session: Session | null = null;

const api = {
  /** Parses a scenario (YAML or JSON by the file name) and builds its run at time 0. */
  open(text: string, filename: string, seed: number | null, actions: Action[]): Opened {
    if (text.length > SCENARIO_BYTES_MAX) {
      return { ok: false, problems: [{ path: filename, message: `expected a scenario of at most ${SCENARIO_BYTES_MAX / (1 << 20)} MB, got ${(text.length / (1 << 20)).toFixed(1)} MB` }] };
    }
    try {
      let sc = parseScenarioText(text, filename);
      if (seed !== null) sc = applyOverrides(sc, { seed });
      const why = wontFit(sc, 1, PAGE_MEMORY_BYTES);
      if (why !== null) {
        return { ok: false, problems: [{ path: filename, message: `${why}; or run it from the command line: npm run sim -- run <the file>` }] };
      }
      const s = new Session(sc, actions);
      base = sc;
      baseText = text;
      session = s;
      return { ok: true, meta: s.meta, seed: sc.seed };
    } catch (e) {
      return { ok: false, problems: problemsOf(e, filename) };
    }
  },

  /** Rebuilds the run with these actions (the run restarts at time 0; the page runs it on). */
  restart(actions: Action[]): Opened {
    if (!base) return { ok: false, problems: [{ path: 'scenario', message: 'no scenario loaded' }] };
    try {
      session = new Session(base, actions);
      return { ok: true, meta: session.meta, seed: base.seed };
    } catch (e) {
      return { ok: false, problems: problemsOf(e, 'actions') };
    }
  },

  /** Runs toward `target_us` for at most `budget_ms`, and returns the frame. */
  frame(target_us: number, budget_ms: number, inspected: number): Frame {
    if (!session) throw new Error('no scenario loaded');
    session.inspect(inspected);
    session.advance(target_us, budget_ms, () => performance.now());
    const f = session.frame();
    return Comlink.transfer(f, frameBuffers(f));
  },

  /** What a committed block holds (the page's block panel), or null when no node holds it any more. */
  blockDetail(chain: number, height: number): BlockDetail | null {
    return session?.blockDetail(chain, height) ?? null;
  },

  inspect(node: number): Inspection | null {
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

Comlink.expose(api);
