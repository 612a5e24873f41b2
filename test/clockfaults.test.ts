/**
 * Clock faults: a node's local clock runs ahead, behind or at another rate over a window. The
 * engine moves the beacon clock ticks the node reads and its timers by that clock, exactly and
 * the same on any number of workers; nodes without clock faults keep their exact clock.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { scenarioFile } from './helpers.js';
import { LocalClock, type ClockWindow } from '../sim/engine/localclock.js';
import { Simulation, type NetParams } from '../sim/engine/sim.js';
import { NetTopology } from '../sim/net/topology.js';
import { runScenario } from '../sim/runner/run.js';
import { MSG, type ClockCertMsg } from '../sim/protocol/top/messages.js';
import type { Env, Msg, NodeLogic, Timer } from '../sim/contract/env.js';
import type { Scenario } from '../sim/scenario/types.js';

const ROOT = join(import.meta.dirname, '..');

const CI = 1000;
const params: NetParams = {
  jitter_percent: 0, loss_percent: 0, duplicate_percent: 0, relay_fanout: 4,
  failure_detect_us: 5_000, tick_us: CI, message_base_us: 0,
};

/** Records the ticks it sees and when its timers fire; sets the timers `arm` asks for at start. */
class Watch implements NodeLogic {
  readonly ticks: [number, number][] = [];
  readonly fired: [number, number][] = [];
  constructor(private readonly arm: [number, number][] = []) {}
  onStart(env: Env): void {
    for (const [after, dw] of this.arm) env.setTimer(after, { kind: 1, dw });
  }
  onMessage(_env: Env, _from: number, _msg: Msg): void {}
  onTimer(env: Env, t: Timer): void {
    this.fired.push([t.dw, env.now_us]);
  }
  onTick(env: Env, clock: number): void {
    this.ticks.push([clock, env.now_us]);
  }
  onRestart(): void {}
}

/** Two nodes; node 0 has the clock faults (unset fields 0, never corrected) and the timers. */
function watch(windows: (Partial<ClockWindow> & { at_us: number })[], until_us: number, arm: [number, number][] = [], crash?: [number, number]): Watch {
  const sim = new Simulation(1, new NetTopology(new Int32Array(2), [Int32Array.of(100)], []), params);
  const w = new Watch(arm);
  sim.addNode({ name: 'a', cores: 1, upload_bps: 1e9, download_bps: 1e9 }, w);
  sim.addNode({ name: 'b', cores: 1, upload_bps: 1e9, download_bps: 1e9 }, new Watch());
  for (const x of windows) sim.addClockFault(0, { skew_us: 0, drift_ppm: 0, until_us: null, ...x });
  if (crash) sim.scheduleCrash(0, crash[0], crash[1]);
  sim.start();
  sim.run(until_us);
  return w;
}

const times = (w: Watch) => w.ticks.map(([, t]) => t);

describe('the local clock', () => {
  it('reads real time plus skew and drift inside the windows, rounded down to whole µs', () => {
    const c = new LocalClock([{ at_us: 1000, until_us: 5000, skew_us: 1500, drift_ppm: 0 }]);
    expect([999, 1000, 4999, 5000].map((t) => c.read(t))).toEqual([999, 2500, 6499, 5000]);
    // +10%: L(t) = floor(1.1 t); L(15) = floor(16.5).
    const d = new LocalClock([{ at_us: 0, until_us: null, skew_us: 0, drift_ppm: 100_000 }]);
    expect([10, 15, 1_000_000].map((t) => d.read(t))).toEqual([11, 16, 1_100_000]);
    expect(d.firstAtLeast(0, 11)).toBe(10);
    expect(d.firstAtLeast(0, 12)).toBe(11); // floor(1.1 * 11) = 12, floor(1.1 * 10) = 11
    // Half speed, behind: reads floor(t / 2) - 7.
    const h = new LocalClock([{ at_us: 0, until_us: null, skew_us: -7, drift_ppm: -500_000 }]);
    expect(h.firstAtLeast(0, 5)).toBe(24);
    // Overlapping windows add up; stopped for good, a clock never reaches a later reading.
    const stop = new LocalClock([
      { at_us: 100, until_us: null, skew_us: 0, drift_ppm: -500_000 },
      { at_us: 100, until_us: null, skew_us: 0, drift_ppm: -500_000 },
    ]);
    expect(stop.read(5000)).toBe(100);
    expect(stop.firstAtLeast(0, 100)).toBe(100);
    expect(stop.firstAtLeast(0, 101)).toBe(Infinity);
  });

  it('stays exact where drift times run time passes 2^53', () => {
    // 400,000 ppm for 300 days: 1e13 µs * 4e5 = 4e18.
    const c = new LocalClock([{ at_us: 0, until_us: null, skew_us: 3, drift_ppm: 400_000 }]);
    const t = 25_920_000_000_000;
    expect(c.read(t)).toBe(t + (t / 10) * 4 + 3);
    expect(c.firstAtLeast(0, c.read(t))).toBe(t);
  });
});

describe('ticks and timers under clock faults', () => {
  it('a node without clock faults ticks every interval', () => {
    expect(times(watch([], 4500))).toEqual([1000, 2000, 3000, 4000]);
  });

  it('a clock ahead sees ticks early; the window end sets it back to real time', () => {
    // +300 µs over [2500, 5200): ticks 3..5 at 2700, 3700, 4700; tick 6 needs the real 6000.
    expect(times(watch([{ at_us: 2500, until_us: 5200, skew_us: 300 }], 6500))).toEqual([1000, 2000, 2700, 3700, 4700, 6000]);
  });

  it('a clock behind sees ticks late, and the correction delivers the due tick at once', () => {
    expect(times(watch([{ at_us: 2500, until_us: 5200, skew_us: -300 }], 6500))).toEqual([1000, 2000, 3300, 4300, 5200, 6000]);
  });

  it('a clock jumping back never repeats a tick; one jumping ahead sees each skipped tick in turn', () => {
    const back = watch([{ at_us: 2500, until_us: 2900, skew_us: 800 }], 5500);
    expect(back.ticks).toEqual([[1, 1000], [2, 2000], [3, 2500], [4, 4000], [5, 5000]]);
    const ahead = watch([{ at_us: 2500, until_us: null, skew_us: 2500 }], 4000);
    expect(ahead.ticks).toEqual([[1, 1000], [2, 2000], [3, 2500], [4, 2501], [5, 2502], [6, 3500]]);
  });

  it('drift changes the tick rate', () => {
    // 25% fast: L(t) = floor(1.25 t), tick k at 800 k. 20% slow from 1000: tick k at 1000 + (k - 1) * 1250.
    expect(times(watch([{ at_us: 0, drift_ppm: 250_000 }], 4000))).toEqual([800, 1600, 2400, 3200]);
    expect(times(watch([{ at_us: 1000, drift_ppm: -200_000 }], 5000))).toEqual([1000, 2250, 3500, 4750]);
  });

  it('timers run on the local clock', () => {
    // Each sets a 1000 µs timer at 0. Ahead by 300 from 500: fires at 700. Half speed: at 2000.
    // Ahead by 300 over [0, 500): the deadline reads 1300 and the corrected clock gets there at 1300.
    expect(watch([{ at_us: 500, skew_us: 300 }], 3000, [[1000, 1]]).fired).toEqual([[1, 700]]);
    expect(watch([{ at_us: 0, drift_ppm: -500_000 }], 3000, [[1000, 1]]).fired).toEqual([[1, 2000]]);
    expect(watch([{ at_us: 0, until_us: 500, skew_us: 300 }], 3000, [[1000, 1]]).fired).toEqual([[1, 1300]]);
    expect(watch([], 3000, [[1000, 1]]).fired).toEqual([[1, 1000]]);
  });

  it('after a restart ticks resume at the next tick of the local clock, never repeating one', () => {
    // Ahead by 800 from 2500 (tick 3 at 2500), down over [2600, 2700), set back to real time at
    // 2650: the local clock reads 2700 at the restart, yet tick 3 was seen, so tick 4 comes next.
    const w = watch([{ at_us: 2500, until_us: 2650, skew_us: 800 }], 4500, [], [2600, 2700]);
    expect(w.ticks).toEqual([[1, 1000], [2, 2000], [3, 2500], [4, 4000]]);
  });
});

function withFaults(sc: Scenario, faults: unknown[]): Scenario {
  return { ...sc, faults: faults as Scenario['faults'] };
}

const clock = (nodes: string[], at_us: number, skew_us: number, drift_ppm = 0, until_us: number | null = null) =>
  ({ kind: 'clock', at_us, until_us, nodes, skew_us, drift_ppm });

describe('clock faults in runs', () => {
  const base = scenarioFile(join(ROOT, 'scenarios', 'default.yaml'), { duration_us: 40e6 });

  it('a validator 15 s ahead moves views out of step with the others, safely', () => {
    // First entry into each view, per node.
    const firstSeen = (sc: Scenario) => {
      const views: Map<number, number>[] = [];
      const r = runScenario(sc, {
        attach: (b) => {
          b.watch({
            view: (node, now, _table, view) => {
              const m = (views[node] ??= new Map());
              if (!m.has(view)) m.set(view, now);
            },
          });
        },
      });
      return { r, views };
    };
    const { r, views } = firstSeen(withFaults(base, [clock(['v0'], 5e6, 15e6)]));
    expect(r.summary.violations).toEqual([]);
    // v0's ticks fall at 5 s, 15 s, 25 s ... instead of 10 s, 20 s ...: it enters a view at one
    // of its own ticks before any other node does.
    const early = [...views[0]].filter(([v, t]) => t % 10e6 === 5e6 && views.every((m, i) => i === 0 || !m || (m.get(v) ?? Infinity) > t));
    expect(early.length).toBeGreaterThan(0);
    expect(r.summary.digest).not.toBe(runScenario(base).summary.digest);
  });

  it('a third of each group skewed ahead or behind breaks no safety property', () => {
    for (const skew of [15e6, -12e6]) {
      const sc = withFaults(base, [clock(['34% of vgroup:0', '34% of agroup:0'], 3e6, skew, 0, 30e6)]);
      const r = runScenario(sc);
      expect(r.summary.violations, `skew ${skew}`).toEqual([]);
      expect(r.summary.tables[0].height_committed).toBeGreaterThan(10);
    }
    // One and two workers agree under clock faults: test/restart.test.ts runs them with crashes.
  });

  it('drift on an edge\'s clock leaves its clients\' arrivals alone; its flush timers move', () => {
    const clean = runScenario(base).summary;
    const slow = runScenario(withFaults(base, [clock(['edges'], 0, 0, -500_000)])).summary;
    const fast = runScenario(withFaults(base, [clock(['edges'], 0, 0, 250_000)])).summary;
    // The clients are other machines: they send on real time, so the same transfers are submitted.
    expect(slow.tx_submitted).toBe(clean.tx_submitted);
    expect(fast.tx_submitted).toBe(clean.tx_submitted);
    // The edge's own timers (its flush of waiting transfers) run on its clock, so the runs differ.
    expect(slow.digest).not.toBe(clean.digest);
    expect(fast.digest).not.toBe(clean.digest);
    expect(slow.violations).toEqual([]);
    expect(fast.violations).toEqual([]);
    const drifting = runScenario(withFaults(base, [clock(['v1', 'a2'], 0, 0, 300_000)]));
    expect(drifting.summary.violations).toEqual([]);
  });

  it('with REC nodes, a skewed quorum of them shifts the clock certificates', () => {
    const rec = { ...base, topology: { ...base.topology, beacons: 4 } };
    // When v0 first hears each clock certificate.
    const certs = (sc: Scenario) => {
      const heard = new Map<number, number>();
      const r = runScenario(sc, {
        attach: (b) => {
          const v0 = b.sim.logicOf(0);
          const inner = v0.onMessage.bind(v0);
          v0.onMessage = (env, from, msg) => {
            if (msg.kind === MSG.CLOCK_CERT && !heard.has((msg as ClockCertMsg).clock)) heard.set((msg as ClockCertMsg).clock, env.now_us);
            inner(env, from, msg);
          };
        },
      });
      expect(r.summary.violations).toEqual([]);
      return heard;
    };
    const ideal = certs(rec);
    // Three of four REC nodes (the quorum) 2 s ahead from 1 s: each certificate about 2 s early.
    const early = certs(withFaults(rec, [clock(['r0', 'r1', 'r2'], 1e6, 2e6)]));
    expect([...ideal.keys()]).toEqual([1, 2, 3]);
    for (const [k, t] of ideal) {
      const shift = t - early.get(k)!;
      expect(shift).toBeGreaterThan(1.9e6);
      expect(shift).toBeLessThan(2.1e6);
    }
    // One REC node alone does not make a quorum: the certificates keep their time.
    const one = certs(withFaults(rec, [clock(['r0'], 1e6, 2e6)]));
    for (const [k, t] of ideal) expect(Math.abs(one.get(k)! - t)).toBeLessThan(0.1e6);
  });
});
