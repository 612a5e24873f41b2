import { describe, expect, it } from 'vitest';
import {
  EV, Simulation, WorkQueue, arriveFrom, arrivePos, arriveRelayed, tickEpoch, tickNumber, peerEpoch, peerOf,
  type NetParams,
} from './sim.js';
import { NetTopology } from '../net/topology.js';
import { NOT_RELAYED, type Relayed } from '../net/relay.js';
import { InvariantError } from '../lib/assert.js';
import type { Env, Msg, NodeLogic, Timer } from '../contract/env.js';

const params: NetParams = {
  jitter_percent: 0, loss_percent: 0, duplicate_percent: 0, relay_fanout: 4,
  failure_detect_us: 5_000, tick_us: 1_000_000, message_base_us: 0,
};

class Probe implements NodeLogic {
  readonly got: number[] = [];
  constructor(private readonly script: (env: Env) => void = () => {}) {}
  onStart(env: Env): void { this.script(env); }
  onMessage(env: Env): void { this.got.push(env.now_us); }
  onTimer(): void {}
  onTick(): void {}
  onRestart(): void {}
}

function sim(nodes: NodeLogic[]): Simulation {
  const s = new Simulation(1, new NetTopology(new Int32Array(nodes.length), [Int32Array.of(1_000)], []), params);
  for (const n of nodes) s.addNode({ name: 'n', cores: 1, upload_bps: 1e9, download_bps: 1e9 }, n);
  return s;
}

const timer: Timer = { kind: 1, dw: 1 };

describe('engine invariants', () => {
  it('an event earlier than the last popped time stops the loop', () => {
    const s = sim([new Probe(), new Probe()]);
    s.start();
    s.run(1_500_000);
    expect(s.now_us).toBe(1_500_000);
    // Past the insert check, straight into the queue: the loop must refuse to go back in time.
    s.queue.push(500, 0, 1_000_000, 1, EV.TIMER, 0, 0, timer);
    expect(() => s.run(3_000_000)).toThrow(InvariantError);
    expect(() => s.insert(600, 0, 1_000_001, 1, EV.TIMER, 0, 0, timer)).toThrow(/before this worker's time/);
  });

  it('a work queue is never shifted when empty', () => {
    const q = new WorkQueue();
    q.push(0, 3, 'x');
    q.shift();
    expect(q.size).toBe(0);
    expect(() => q.shift()).toThrow(InvariantError);
  });

  it('an event for another worker must be at least a lookahead ahead', () => {
    const s = sim([new Probe(), new Probe()]);
    s.partition(Uint8Array.of(1, 0), () => {});
    expect(() => s.scheduleCrash(1, 500, null)).toThrow(/within the lookahead 1000/);
  });
});

describe('event arguments', () => {
  it('are written as the table beside EV says and read back by the accessors', () => {
    // Node 0 runs here, node 1 elsewhere: every event for node 1 passes through the remote hook
    // with its columns. Node 0 sends a unicast and a broadcast, then crashes (its peers are told).
    const seen: { kind: number; a0: number; a1: number; data: unknown }[] = [];
    const m: Msg = { kind: 1, bytes: 10, dw: 4 };
    const s = sim([new Probe((env) => { env.send(1, m); env.broadcast(Int32Array.of(1), m); }), new Probe()]);
    s.partition(Uint8Array.of(1, 0), (_t, _o, _s, _target, kind, a0, a1, data) => seen.push({ kind, a0, a1, data }));
    s.scheduleCrash(0, 2_500_000, null);
    s.start();
    s.run(3_000_000);
    const [uni, bc, down] = seen;
    expect(seen).toHaveLength(3);
    expect([uni!.kind, arriveFrom(uni!.a0, uni!.a1), arrivePos(uni!.a0, uni!.a1), arriveRelayed(uni!.a0, uni!.a1)]).toEqual([EV.ARRIVE, 0, NOT_RELAYED, false]);
    expect(uni!.data).toBe(m);
    expect([bc!.kind, arriveFrom(bc!.a0, bc!.a1), arrivePos(bc!.a0, bc!.a1), arriveRelayed(bc!.a0, bc!.a1)]).toEqual([EV.ARRIVE, 0, 1, true]);
    expect((bc!.data as Relayed).msg).toBe(m);
    expect([down!.kind, peerOf(down!.a0, down!.a1), peerEpoch(down!.a0, down!.a1)]).toEqual([EV.PEER_DOWN, 0, 1]);
    // Clock ticks stay local: the next one pending for node 0 names tick 3 in epoch 0 (it crashed at 2.5 s).
    expect(s.queue.pop()).toBe(true);
    expect([s.queue.top_kind, tickNumber(s.queue.top_a0, s.queue.top_a1), tickEpoch(s.queue.top_a0, s.queue.top_a1)]).toEqual([EV.TICK, 3, 0]);
  });
});
