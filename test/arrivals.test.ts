/**
 * Client arrivals at an edge are an open-loop process: their times come from the workload's
 * schedule alone. The edge's CPU delays the handling of an arrival (it waits for a free core), not
 * the next arrival, so a busy edge uses all its cores and a slow one builds a queue.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { scenarioFile, withFile } from './helpers.js';
import { Simulation, type NetParams } from '../sim/engine/sim.js';
import { NetTopology } from '../sim/net/topology.js';
import { runScenario } from '../sim/runner/run.js';
import { scenarioToFile } from '../sim/scenario/index.js';
import type { Env, Msg, NodeLogic, Timer } from '../sim/contract/env.js';

const ROOT = join(import.meta.dirname, '..');

const params: NetParams = {
  jitter_percent: 0, loss_percent: 0, duplicate_percent: 0, relay_fanout: 4,
  failure_detect_us: 5_000, tick_us: 1_000_000, message_base_us: 0,
};

/** Arrivals every `gap` µs from `gap`, each costing `cost` µs; `timer` arms the next with setTimer instead. */
class Clients implements NodeLogic {
  /** [arrival time, handler start] per arrival. */
  readonly handled: [number, number][] = [];
  private at = 0;
  constructor(private readonly gap: number, private readonly cost: number, private readonly timer = false) {}
  private arm(env: Env): void {
    this.at += this.gap;
    if (this.timer) env.setTimer(this.gap, { kind: 1, dw: this.at });
    else env.setArrival(this.at, { kind: 1, dw: this.at });
  }
  onStart(env: Env): void {
    this.arm(env);
  }
  onMessage(_env: Env, _from: number, _msg: Msg): void {}
  onTimer(env: Env, t: Timer): void {
    this.handled.push([t.dw, env.now_us]);
    env.charge(this.cost);
    this.arm(env);
  }
  onTick(): void {}
  onRestart(): void {}
}

function serve(cores: number, gap: number, cost: number, opts: { timer?: boolean; drift_ppm?: number } = {}): [number, number][] {
  const sim = new Simulation(1, new NetTopology(new Int32Array(1), [Int32Array.of(100)], []), params);
  const c = new Clients(gap, cost, opts.timer);
  sim.addNode({ name: 'edge', cores, upload_bps: 1e9, download_bps: 1e9 }, c);
  if (opts.drift_ppm) sim.addClockFault(0, { at_us: 0, until_us: null, skew_us: 0, drift_ppm: opts.drift_ppm });
  sim.start();
  sim.run(1_001); // events before 1001 µs
  return c.handled;
}

describe('arrivals in the engine', () => {
  it('fire at their own times, not after the handler that armed them', () => {
    // Two cores, 150 µs a request, one every 100 µs: both cores take turns and no request waits.
    const h = serve(2, 100, 150);
    expect(h.map(([, start]) => start)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    // A timer counts from the end of the handler's work instead.
    expect(serve(2, 100, 150, { timer: true }).map(([, start]) => start)).toEqual([100, 350, 600, 850]);
  });

  it('wait for a free core when all are busy, without slowing the arrivals', () => {
    const h = serve(1, 100, 150);
    expect(h.map(([at]) => at)).toEqual([100, 200, 300, 400, 500, 600, 700]);
    expect(h.map(([, start]) => start)).toEqual([100, 250, 400, 550, 700, 850, 1000]);
  });

  it('do not read the node\'s local clock', () => {
    expect(serve(2, 100, 150, { drift_ppm: -500_000 })).toEqual(serve(2, 100, 150));
    expect(serve(2, 100, 150, { timer: true, drift_ppm: -500_000 })).not.toEqual(serve(2, 100, 150, { timer: true }));
  });
});

describe('edges under their clients\' load', () => {
  const base = scenarioFile(join(ROOT, 'scenarios', 'default.yaml'), { duration_us: 20e6 });
  const evenly = (verify_tx_us: number) => withFile(base, {
    workload: { ...(scenarioToFile(base).workload as object), arrival: 'constant' },
    costs: { verify_tx_us },
  });

  it('submit the offered rate when checking a transfer takes longer than the gap between two', () => {
    // 100 tx/s over 2 edges: 20 ms apart at each edge. Checking one takes 30 ms, so an edge needs
    // 1.5 of its cores; a serial edge would manage 1/(20 + 30 ms) = 20 tx/s instead of 50.
    const quick = runScenario(evenly(60)).summary;
    const slow = runScenario(evenly(30_000)).summary;
    expect(slow.tx_submitted).toBe(quick.tx_submitted);
    expect(quick.tx_submitted).toBeGreaterThanOrEqual(1990);
    expect(quick.tx_submitted).toBeLessThanOrEqual(2000);
    const edges = slow.nodes.filter((n) => n.role === 'edge');
    for (const e of edges) expect(e.cpu_busy_fraction).toBeGreaterThan(0.6);
  });
});
