import { describe, expect, it } from 'vitest';
import { NetTopology, serializationUs, type DegradeWindow } from '../net/topology.js';
import { Simulation, type NetParams } from './sim.js';
import type { Env, Msg, NodeLogic, Timer } from '../contract/env.js';

const params: NetParams = {
  jitter_percent: 0, loss_percent: 0, duplicate_percent: 0, relay_fanout: 4,
  failure_detect_us: 5_000_000, tick_us: 10_000_000_000, message_base_us: 0,
};

/** A scripted node: sends what `script` says at start, records what it receives and when. */
class Probe implements NodeLogic {
  readonly got: { from: number; t: number; dw: number }[] = [];
  constructor(private readonly script: (env: Env) => void = () => {}, private readonly cost_us = 0) {}
  onStart(env: Env): void { this.script(env); }
  onMessage(env: Env, from: number, msg: Msg): void {
    env.charge(this.cost_us);
    this.got.push({ from, t: env.now_us, dw: msg.dw });
  }
  onTimer(_env: Env, _t: Timer): void {}
  onTick(): void {}
  onRestart(): void {}
}

function twoRegions(latency_us: number, nodes: number): NetTopology {
  return new NetTopology(new Int32Array(nodes), [Int32Array.of(latency_us)], []);
}

const spec = (bps: number, cores = 1) => ({ name: 'n', cores, upload_bps: bps, download_bps: bps });

describe('serialization and queueing arithmetic', () => {
  it('serialization delay is bytes * 8 / bps, rounded up to whole µs', () => {
    // Proves the link arithmetic: 1,250 bytes at 100 Mb/s is exactly 100 µs; partial µs round up.
    expect(serializationUs(1250, 100_000_000)).toBe(100);
    expect(serializationUs(1, 100_000_000)).toBe(1); // 0.08 µs
    expect(serializationUs(125_000, 1_000_000_000)).toBe(1000);
    expect(serializationUs(350, 100_000_000)).toBe(28);
  });

  it('back-to-back sends queue FIFO on the uplink, then on the downlink', () => {
    // Proves the FIFO queues: three 12,500-byte messages at 100 Mb/s (1 ms each) leave at 1, 2 and
    // 3 ms, cross a 10 ms link, and the receiver's equally fast downlink finishes each 1 ms later.
    const recv = new Probe();
    const sim = new Simulation(1, twoRegions(10_000, 2), params);
    sim.addNode(spec(100_000_000), new Probe((env) => {
      for (let i = 0; i < 3; i++) env.send(1, { kind: 1, bytes: 12_500, dw: i });
    }));
    sim.addNode(spec(100_000_000), recv);
    sim.start();
    sim.run(1_000_000);
    // depart = 1000·(i+1); arrive = depart + 10,000; downlink: start max(arrive, free) + 1000.
    expect(recv.got.map((g) => g.t)).toEqual([12_000, 13_000, 14_000]);
  });

  it('counts bytes as sent when they leave the uplink, and received when downloaded, within the run', () => {
    // Proves the per-node byte counters count what was sent, not what was queued: ten 125,000-byte
    // copies at 100 Mb/s take 10 ms each, so by the end at 35 ms three have left (at 10, 20 and
    // 30 ms) and, over a 1 ms link with an equal downlink, two are downloaded (at 21 and 31 ms).
    // A copy of 2^50 bytes queued after them never leaves and must not grow the per-second series.
    const sim = new Simulation(1, twoRegions(1_000, 2), { ...params, end_us: 35_000 });
    sim.addNode(spec(100_000_000), new Probe((env) => {
      for (let i = 0; i < 10; i++) env.send(1, { kind: 1, bytes: 125_000, dw: i });
      env.send(1, { kind: 1, bytes: 2 ** 50, dw: 99 });
    }));
    sim.addNode(spec(100_000_000), new Probe());
    sim.start();
    sim.run(35_000);
    expect(sim.counters(0).bytes_out).toBe(3 * 125_000);
    expect(sim.counters(0).msgs_out).toBe(3);
    expect(sim.counters(1).bytes_in).toBe(2 * 125_000);
    expect(sim.counters(1).msgs_in).toBe(2);
    expect(sim.bytesPerSecond).toEqual([3 * 125_000]);
  });

  it('a slow downlink delays delivery and its queue builds up', () => {
    // Proves the receiver side: 10 Mb/s downlink, 12,500 bytes take 10 ms each.
    const recv = new Probe();
    const sim = new Simulation(1, twoRegions(10_000, 2), params);
    sim.addNode(spec(100_000_000), new Probe((env) => {
      for (let i = 0; i < 2; i++) env.send(1, { kind: 1, bytes: 12_500, dw: i });
    }));
    sim.addNode({ name: 'r', cores: 1, upload_bps: 10_000_000, download_bps: 10_000_000 }, recv);
    sim.start();
    sim.run(1_000_000);
    // arrivals 11,000 and 12,000; downlink done 21,000 and 31,000.
    expect(recv.got.map((g) => g.t)).toEqual([21_000, 31_000]);
  });

  it('work waits when all cores are busy', () => {
    // Proves the CPU model: 5 ms per message; three messages delivered 1 µs apart (a 1-byte message
    // takes 1 µs per link after rounding up). One core runs them 5 ms apart; with two cores the
    // second starts as soon as it is delivered.
    const burst = (cores: number) => {
      const recv = new Probe(() => {}, 5_000);
      const sim = new Simulation(1, twoRegions(10_000, 2), params);
      sim.addNode(spec(1e12), new Probe((env) => {
        for (let i = 0; i < 3; i++) env.send(1, { kind: 1, bytes: 1, dw: i });
      }));
      sim.addNode(spec(1e12, cores), recv);
      sim.start();
      sim.run(1_000_000);
      return recv.got.map((g) => g.t - recv.got[0].t);
    };
    expect(burst(1)).toEqual([0, 5_000, 10_000]);
    expect(burst(2)).toEqual([0, 1, 5_000]);
  });

  it('partitions drop messages in their direction and window only', () => {
    // Proves symmetric and asymmetric partitions: a->b is cut, b->a still flows.
    const inA = Uint8Array.of(1, 0), inB = Uint8Array.of(0, 1);
    const topo = new NetTopology(new Int32Array(2), [Int32Array.of(1000)],
      [{ at_us: 0, until_us: 500_000, inA, inB, oneWay: true }]);
    const a = new Probe((env) => env.send(1, { kind: 1, bytes: 10, dw: 1 }));
    const b = new Probe((env) => env.send(0, { kind: 1, bytes: 10, dw: 2 }));
    const sim = new Simulation(1, topo, params);
    sim.addNode(spec(1e9), a);
    sim.addNode(spec(1e9), b);
    sim.start();
    sim.run(1_000_000);
    expect(b.got).toHaveLength(0);
    expect(a.got).toHaveLength(1);
    expect(sim.counters(0).dropped_partition).toBe(1);
  });

  it('loss and duplication follow their rates, from the sender\'s seeded stream', () => {
    // Proves per-link loss and duplication: 20% loss drops about 200 of 1000; 10% duplication adds ~80.
    const recv = new Probe();
    const sim = new Simulation(9, twoRegions(1000, 2), { ...params, loss_percent: 20, duplicate_percent: 10 });
    sim.addNode(spec(1e12), new Probe((env) => {
      for (let i = 0; i < 1000; i++) env.send(1, { kind: 1, bytes: 1, dw: i });
    }));
    sim.addNode(spec(1e12, 8), recv);
    sim.start();
    sim.run(10_000_000);
    const lost = sim.counters(0).dropped_loss;
    expect(lost).toBeGreaterThan(150);
    expect(lost).toBeLessThan(250);
    const dups = recv.got.length - (1000 - lost);
    expect(dups).toBeGreaterThan(50);
    expect(dups).toBeLessThan(115);
  });

  it('a group broadcast reaches every member once over a fan-out-4 relay tree', () => {
    // Proves the relay tree: 20 members, the root sends 4 copies, every other member gets one.
    const n = 20;
    const probes = Array.from({ length: n }, () => new Probe());
    const members = Int32Array.from({ length: n }, (_, i) => i);
    probes[0] = new Probe((env) => env.broadcast(members, { kind: 1, bytes: 100, dw: 7 }));
    const sim = new Simulation(1, twoRegions(1000, n), params);
    for (const p of probes) sim.addNode(spec(1e9), p);
    sim.start();
    sim.run(1_000_000);
    for (let i = 1; i < n; i++) expect(probes[i].got).toHaveLength(1);
    expect(sim.counters(0).msgs_out).toBe(4);
    let total = 0;
    for (let i = 0; i < n; i++) total += sim.counters(i).msgs_out;
    expect(total).toBe(n - 1);
  });

  it('rejects a network whose minimum latency is not positive (no lookahead)', () => {
    expect(() => new Simulation(1, twoRegions(0, 2), params)).toThrow(/lookahead/);
  });
});

describe('link degradation (degrade faults)', () => {
  const window = (over: Partial<DegradeWindow>, n = 2): DegradeWindow => ({
    at_us: 0, until_us: 1_000_000, inA: Uint8Array.of(1, 0, 0).subarray(0, n), inB: Uint8Array.of(0, 1, 1).subarray(0, n),
    oneWay: true, latency_us: 0, jitter_percent: 0, loss_bp: 0, duplicate_bp: 0, reorder_us: 0, bandwidth_percent: 100, ...over,
  });
  const pair = (w: DegradeWindow, sends: (env: Env) => void) => {
    const recv = new Probe();
    const sim = new Simulation(3, new NetTopology(new Int32Array(2), [Int32Array.of(10_000)], [], [w]), params);
    sim.addNode(spec(100_000_000), new Probe(sends));
    sim.addNode(spec(100_000_000), recv);
    return { sim, recv };
  };

  it('adds latency and narrows the sender uplink inside the window, one way only', () => {
    // 12,500 bytes at 100 Mb/s take 1 ms; at 50% bandwidth 2 ms. +5 ms latency on a 10 ms link.
    const got: number[] = [];
    const echo: NodeLogic = {
      onStart: () => {}, onTimer: () => {}, onTick: () => {}, onRestart: () => {},
      onMessage: (env, from, msg) => {
        got.push(env.now_us);
        if (msg.dw === 0) env.send(from, { kind: 1, bytes: 12_500, dw: 9 });
      },
    };
    const sender = new Probe((env) => env.send(1, { kind: 1, bytes: 12_500, dw: 0 }));
    const sim = new Simulation(3, new NetTopology(new Int32Array(2), [Int32Array.of(10_000)], [],
      [window({ latency_us: 5_000, bandwidth_percent: 50 })]), params);
    sim.addNode(spec(100_000_000), sender);
    sim.addNode(spec(100_000_000), echo);
    sim.start();
    sim.run(1_000_000);
    // a -> b: depart 2,000, arrive 17,000, downlink 1 ms: 18,000. b -> a is not degraded (one way):
    // depart 19,000, arrive 29,000, delivered 30,000.
    expect(got).toEqual([18_000]);
    expect(sender.got.map((g) => g.t)).toEqual([30_000]);
  });

  it('loses, duplicates and reorders copies as configured, and stops at the window end', () => {
    const burst = (env: Env) => { for (let i = 0; i < 20; i++) env.send(1, { kind: 1, bytes: 100, dw: i }); };
    const lossy = pair(window({ loss_bp: 10_000, until_us: 1 }), burst);
    lossy.sim.start();
    lossy.sim.run(1_000_000);
    expect(lossy.recv.got).toHaveLength(0);
    expect(lossy.sim.counters(0).dropped_loss).toBe(20);
    const dup = pair(window({ duplicate_bp: 10_000 }), burst);
    dup.sim.start();
    dup.sim.run(1_000_000);
    expect(dup.recv.got).toHaveLength(40);
    const order = (seedless: ReturnType<typeof pair>) => {
      seedless.sim.start();
      seedless.sim.run(1_000_000);
      return seedless.recv.got.map((g) => g.dw);
    };
    const a = order(pair(window({ reorder_us: 50_000 }), burst));
    expect(a).toHaveLength(20);
    expect(a).not.toEqual([...a].sort((x, y) => x - y));
    expect(order(pair(window({ reorder_us: 50_000 }), burst))).toEqual(a);
    // A window that ended before the sends changes nothing.
    const after = order(pair(window({ reorder_us: 50_000, loss_bp: 10_000, at_us: 0, until_us: 0 }), burst));
    expect(after).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
