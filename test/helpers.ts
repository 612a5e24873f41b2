/** Small builders for scenario tests: a scenario is data, composed from a base and overrides. */
import { parseScenario, loadScenario, applyOverrides, scenarioToFile, ScenarioError, type Scenario } from '../sim/scenario/index.js';
import { runScenario, type RunResult } from '../sim/runner/run.js';
import type { BuiltRun } from '../sim/runner/build.js';
import type { TopRun } from '../sim/protocol/top/module.js';
import { asTop, type TopScenario } from '../sim/protocol/top/scenario.js';

/** A TOP scenario from file-form sections (the tests of this folder run TOP Chain unless they say otherwise). */
export function scenario(file: Record<string, unknown>): TopScenario {
  return asTop(parseScenario({ name: 'test', ...file }));
}

export function scenarioFile(path: string, o: { seed?: number; duration_us?: number } = {}): TopScenario {
  return asTop(anyScenarioFile(path, o));
}

/** A scenario file of any family, with the same overrides as `scenarioFile`. */
export function anyScenarioFile(path: string, o: { seed?: number; duration_us?: number } = {}): Scenario {
  const sc = loadScenario(path);
  // Short test runs may end before the file's warm-up: shrink the warm-up to fit.
  if (o.duration_us !== undefined && sc.warmup_us >= o.duration_us) {
    return applyOverrides({ ...sc, warmup_us: Math.floor(o.duration_us / 2) }, o);
  }
  return applyOverrides(sc, o);
}

/** The protocol family a scenario runs. */
export function familyOf(sc: Scenario): string {
  return (sc as Scenario & { protocol: { family: string } }).protocol.family;
}

export function run(sc: Scenario): RunResult {
  return runScenario(sc);
}

/** First-commit times (µs) of table 0 by height, without the genesis. */
export function commitTimes(r: RunResult): number[] {
  return r.built.metrics.chains[0].commitTimes.slice(1).filter((t) => t !== undefined);
}

export function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]);
}

export const SMALL_NET = {
  latency: { dataset: 'wittgenstein-aws-rtt-2019', regions: ['Frankfurt', 'Ireland', 'London'] },
};

/** `sc` with some top-level sections of its file form replaced, parsed again (so it is checked). */
export function withFile(sc: Scenario, patch: Record<string, unknown>): TopScenario {
  return asTop(parseScenario({ ...scenarioToFile(sc), ...patch }));
}

/** The first error line that `parse()` throws as a ScenarioError, or "no error". */
export function firstError(parse: () => unknown): string {
  try {
    parse();
  } catch (e) {
    if (e instanceof ScenarioError) return e.lines()[0];
    throw e;
  }
  return 'no error';
}

/** The first error line that `withFile(sc, patch)` gives, or "no error". */
export function issueOf(sc: Scenario, patch: Record<string, unknown>): string {
  return firstError(() => withFile(sc, patch));
}

/** An injectable Io for the CLI that keeps what it writes. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s), isTTY: false } },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

/** The TOP part of a built run (sim/protocol/top/module.ts): its context, transactions, rounds. */
export function top(b: BuiltRun): TopRun {
  return b.family as TopRun;
}
