/**
 * A one-line progress bar for stderr:
 *
 *   [############------------------] 24.0/60.0 s sim  1.23M events
 *
 * Drawn with `\r` only when the stream is a terminal. On anything else (CI logs, pipes) a run
 * that lasts writes one plain line per `log_interval_ms` of wall time (default 30 s), so a long
 * benchmark in a log shows how far it is; a shorter run writes nothing, so logs stay clean. That
 * needs a wall clock: without `now_ms`, nothing is written off a terminal. Redraws are throttled
 * by a count of `update` calls, and skipped when the line would not change. `sim/` may not read
 * the wall clock, so a caller that also wants a wall-time throttle (the CLI) injects `now_ms`.
 */
import { compactCount, fixed } from './table.js';

/** The part of `NodeJS.WriteStream` this module uses (so it also takes a test double). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): unknown;
}

export interface ProgressOptions {
  /** Consider redrawing on every `every`-th call to `update` (default 16; the first call always draws). */
  every?: number;
  /** Characters inside the brackets (default 30). */
  width?: number;
  /** Wall clock in ms, injected by the CLI; with it, redraws are at least `min_interval_ms` apart. */
  now_ms?: () => number;
  /** Minimum wall time between redraws when `now_ms` is given (default 100). */
  min_interval_ms?: number;
  /** Off a terminal, with `now_ms`: wall time between plain progress lines (default 30,000). */
  log_interval_ms?: number;
}

export interface Progress {
  update(sim_s: number, events: number): void;
  /** Draws the final state and ends the line. Idempotent. */
  done(): void;
}

const NOOP: Progress = { update() {}, done() {} };

/** The bar text for a given state (no `\r`). Exported for tests. */
export function progressLine(sim_s: number, total_sim_s: number, events: number, width = 30): string {
  const frac = total_sim_s > 0 && Number.isFinite(sim_s) ? Math.min(1, Math.max(0, sim_s / total_sim_s)) : 0;
  const filled = Math.floor(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  return `[${bar}] ${fixed(sim_s, 1)}/${fixed(total_sim_s, 1)} s sim  ${compactCount(events)} events`;
}

export function createProgress(
  stream: ProgressStream,
  total_sim_s: number,
  options: ProgressOptions = {},
): Progress {
  if (!stream.isTTY) return options.now_ms ? logProgress(stream, total_sim_s, options.now_ms, options.log_interval_ms ?? 30_000) : NOOP;
  const every = Math.max(1, Math.floor(options.every ?? 16));
  const width = Math.max(1, Math.floor(options.width ?? 30));
  const now_ms = options.now_ms;
  const minInterval = options.min_interval_ms ?? 100;

  let calls = 0;
  let lastSim = 0;
  let lastEvents = 0;
  let drawn = '';
  let drawnAt = -Infinity;
  let finished = false;

  const draw = (force: boolean): void => {
    const text = progressLine(lastSim, total_sim_s, lastEvents, width);
    if (text === drawn) return;
    let t = 0;
    if (now_ms) {
      t = now_ms();
      if (!force && t - drawnAt < minInterval) return;
    }
    // Pad over the tail of a longer previous line instead of relying on terminal escapes.
    const pad = drawn.length > text.length ? ' '.repeat(drawn.length - text.length) : '';
    stream.write(`\r${text}${pad}`);
    drawn = text;
    drawnAt = t;
  };

  return {
    update(sim_s: number, events: number): void {
      if (finished) return;
      lastSim = sim_s;
      lastEvents = events;
      const first = calls === 0;
      calls += 1;
      if (first || calls % every === 0) draw(first);
    },
    done(): void {
      if (finished) return;
      finished = true;
      draw(true);
      stream.write('\n');
    },
  };
}

/** One plain line per `interval_ms` of wall time, the first after one interval; none at the end. */
function logProgress(stream: ProgressStream, total_sim_s: number, now_ms: () => number, interval_ms: number): Progress {
  let next = now_ms() + interval_ms;
  let finished = false;
  let calls = 0;
  return {
    update(sim_s: number, events: number): void {
      if (finished || ++calls % 16 !== 0) return;
      const t = now_ms();
      if (t < next) return;
      next = t + interval_ms;
      const pct = total_sim_s > 0 ? Math.min(100, Math.max(0, Math.floor((100 * sim_s) / total_sim_s))) : 0;
      stream.write(`progress ${fixed(sim_s, 1)}/${fixed(total_sim_s, 1)} s sim (${pct}%)  ${compactCount(events)} events\n`);
    },
    done(): void {
      finished = true;
    },
  };
}
