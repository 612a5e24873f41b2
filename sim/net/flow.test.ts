import { describe, expect, it } from 'vitest';
import { LinkModel, LinkQueue, LinkPort, type LinkCounters, type LinkParams } from './link.js';
import { DROP_PARTITION, firstArrival, type FlowHop } from './flow.js';
import { NetTopology, type PartitionWindow } from './topology.js';
import { Stream } from '../lib/random.js';
import type { Msg } from '../contract/env.js';

const params: LinkParams = { jitter_percent: 0, loss_percent: 0, duplicate_percent: 0, relay_fanout: 2 };

const counters = (): LinkCounters => ({ bytes_in: 0, bytes_out: 0, msgs_in: 0, msgs_out: 0, dropped_loss: 0, dropped_partition: 0 });

/** 100 Mb/s both ways: 12,500 bytes take 1,000 µs. */
const SPEC = (node: number) => ({ name: `n${node}`, upload_bps: 100_000_000, download_bps: 100_000_000 });

/** `nodes` nodes in one region 10 ms apart, with their ports; packets handed back go to `packets`. */
function model(nodes: number, over: Partial<LinkParams> = {}, partitions: PartitionWindow[] = []) {
  const packets: number[] = [];
  const topo = new NetTopology(new Int32Array(nodes), [Int32Array.of(10_000)], partitions);
  const links = new LinkModel(topo, { ...params, ...over }, { arrive: (at) => packets.push(at) });
  const ports = Array.from({ length: nodes }, (_, i) => new LinkPort(i, SPEC(i), new Stream(`flow/${i}`), counters()));
  return { links, ports, packets };
}

const msg = (bytes: number): Msg => ({ kind: 3, bytes, dw: 7 } as Msg);
const members = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('flows: each hop of a bulk broadcast planned whole by its sender', () => {
  it('a hop puts one copy per child into the sender\'s uplink and draws their arrivals', () => {
    // Fanout 2: the sender (position 0) sends to positions 1 and 2 one copy after the other (1 ms
    // each at 100 Mb/s), after what its uplink already holds; each copy then takes 10 ms.
    const { links, ports } = model(7);
    links.send(ports[0]!, 3, msg(25_000), 3_000); // the uplink is busy 3..5 ms
    const h = links.flowBroadcast(ports[0]!, members(7), null, msg(12_500), 3_000)!;
    expect(h.parent).toBe(0);
    expect(Array.from(h.flow.tree.order)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(h.arrive)).toEqual([16_000, 17_000]);
    expect(firstArrival(h)).toBe(16_000);
    expect(ports[0]!.counters.msgs_out).toBe(3);
    expect(links.msgCount[3]).toBe(3);
    // Position 1 takes its copy: received 1 ms after it arrives; its own hop leaves from then.
    const done = links.flowReceive(ports[1]!, h, 0, 16_000);
    expect(done).toBe(17_000);
    const h1 = links.flowHop(ports[1]!, h.flow, 1, done)!;
    expect(h1.parent).toBe(1);
    expect(Array.from(h1.arrive)).toEqual([28_000, 29_000]);
    expect(ports[1]!.counters.msgs_out).toBe(2);
    // A leaf has no hop.
    expect(links.flowHop(ports[6]!, h.flow, 6, done)).toBeNull();
  });

  it('a packet never waits for a flow copy still to arrive, and queues behind one that has', () => {
    const { links, ports } = model(3);
    const h = links.flowBroadcast(ports[0]!, members(3), null, msg(12_500), 0)!;
    const p2 = ports[2]!;
    // Position 2's copy arrives at 12 ms and is planned now (11 ms): received at 13 ms.
    expect(h.arrive[1]).toBe(12_000);
    expect(links.flowReceive(p2, h, 1, 11_000)).toBe(13_000);
    // A packet of 1 ms arriving at 11.5 ms goes first: the flow copy has not arrived yet.
    expect(links.download(p2, 12_500, 11_500)).toBe(12_500);
    // One arriving at 12.5 ms queues behind both (the flow copy counts from 12.5 ms on the link).
    expect(links.download(p2, 12_500, 12_500)).toBe(14_500);
  });

  it('a partition or a loss cuts a copy; the sender counts its drops; a hop nobody receives is null', () => {
    const inA = Uint8Array.from([1, 0, 0]);
    const inB = Uint8Array.from([0, 1, 0]);
    const cut: PartitionWindow = { at_us: 0, until_us: Infinity, inA, inB, oneWay: true };
    const { links, ports } = model(3, {}, [cut]);
    const h = links.flowBroadcast(ports[0]!, members(3), null, msg(1_000), 0)!;
    expect(h.arrive[0]).toBe(DROP_PARTITION);
    expect(h.arrive[1]).toBeGreaterThan(0);
    expect(ports[0]!.counters.dropped_partition).toBe(1);
    expect(ports[0]!.counters.msgs_out).toBe(2);

    const lossy = model(3, { loss_percent: 100 });
    expect(lossy.links.flowBroadcast(lossy.ports[0]!, members(3), null, msg(1_000), 0)).toBeNull();
    expect(lossy.ports[0]!.counters.dropped_loss).toBe(2);
  });

  it('draws come from the sending node\'s own stream: the same plan from the same stream', () => {
    const plan = (jitter: number): number[] => {
      const { links, ports } = model(5, { relay_fanout: 4, jitter_percent: jitter, loss_percent: 10 });
      const h: FlowHop | null = links.flowBroadcast(ports[0]!, members(5), null, msg(5_000), 0);
      return h === null ? [] : Array.from(h.arrive);
    };
    expect(plan(20)).toEqual(plan(20));
    expect(plan(20)).not.toEqual(plan(0));
  });

  it('the sender\'s known-down members get no copy', () => {
    const { links, ports } = model(5, { relay_fanout: 4 });
    const h = links.flowBroadcast(ports[0]!, members(5), Uint8Array.from([0, 0, 1, 0, 0]), msg(1_000), 0)!;
    expect(Array.from(h.flow.tree.order).sort()).toEqual([0, 1, 3, 4]);
    expect(links.flowBroadcast(ports[0]!, Int32Array.of(0), null, msg(1_000), 0)).toBeNull();
  });
});

describe('LinkQueue: a FIFO whose flow copies are planned before they start', () => {
  it('copies taken in time order are a FIFO', () => {
    const q = new LinkQueue();
    expect(q.take(0, 1_000)).toBe(1_000);
    expect(q.take(500, 1_000)).toBe(2_000);
    expect(q.take(5_000, 1_000)).toBe(6_000);
  });

  it('a planned copy ends behind what starts before it; a packet never waits for one not started', () => {
    const q = new LinkQueue();
    expect(q.plan(0, 10_000, 1_000)).toBe(11_000);
    expect(q.plan(0, 10_500, 1_000)).toBe(12_000); // behind the copy of 10 ms
    expect(q.plan(0, 9_000, 500)).toBe(9_500); // starts first: waits for nothing
    expect(q.planned).toBe(3);
    // A packet at 9.2 ms goes before the copies of 10 and 10.5 ms, behind the one of 9 ms.
    expect(q.take(9_200, 1_000)).toBe(10_500);
    // Every copy counts in order of start: 9..9.5, 9.5..10.5 (the packet), 10.5..11.5, 11.5..12.5.
    expect(q.take(12_000, 1_000)).toBe(13_500);
    expect(q.planned).toBe(0);
  });

  it('forgets planned copies once started and restarts empty', () => {
    const q = new LinkQueue();
    for (let i = 0; i < 200; i++) q.plan(0, 1_000 * (200 - i), 10);
    expect(q.planned).toBe(200);
    q.plan(150_000, 300_000, 10); // planning at 150 ms folds the 150 copies that started by then
    expect(q.planned).toBe(51);
    q.reset(400_000);
    expect(q.planned).toBe(0);
    expect(q.take(0, 10)).toBe(400_010);
  });
});
