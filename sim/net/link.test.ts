import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LinkModel, LinkPort, type LinkCounters, type LinkParams } from './link.js';
import { NOT_RELAYED, childEnd, firstChild, relayOrder, type Relayed } from './relay.js';
import { NetTopology, TIME_HORIZON_US, type DegradeWindow, type PartitionWindow } from './topology.js';
import { Stream } from '../lib/random.js';
import { InvariantError } from '../lib/assert.js';
import type { Msg } from '../contract/env.js';

/** The link model driven directly: every copy it hands back, in order. */
interface Arrival { at: number; from: number; to: number; pos: number; data: Msg | Relayed }

const params: LinkParams = { jitter_percent: 0, loss_percent: 0, duplicate_percent: 0, relay_fanout: 2 };

const counters = (): LinkCounters => ({ bytes_in: 0, bytes_out: 0, msgs_in: 0, msgs_out: 0, dropped_loss: 0, dropped_partition: 0 });

/** 100 Mb/s both ways: 12,500 bytes take 1,000 µs. */
const port = (node: number, seed = `link/${node}`) =>
  new LinkPort(node, { name: `n${node}`, upload_bps: 100_000_000, download_bps: 100_000_000 }, new Stream(seed), counters());

function model(over: Partial<LinkParams> = {}, partitions: PartitionWindow[] = [], degradations: DegradeWindow[] = [], nodes = 2, latency_us = 10_000) {
  const got: Arrival[] = [];
  const topo = new NetTopology(new Int32Array(nodes), [Int32Array.of(latency_us)], partitions, degradations);
  const links = new LinkModel(topo, { ...params, ...over }, { arrive: (at, from, to, pos, data) => got.push({ at, from, to, pos, data }) },
    (m) => (m as { table?: number }).table);
  return { links, got };
}

const msg = (bytes: number, dw = 0, table?: number): Msg => ({ kind: 3, bytes, dw, table } as Msg);

const side = (...flags: number[]) => Uint8Array.from(flags);

describe('link model: uplink, propagation, downlink', () => {
  it('a copy arrives at depart + base latency + a jitter drawn from the sender\'s net stream', () => {
    // Proves the arrival arithmetic and the uplink FIFO: 12,500 bytes at 100 Mb/s take 1 ms, so
    // copies ready at 5 ms depart at 6 and 7 ms; each then takes 10 ms plus a jitter up to 10% of
    // it, the sender's stream's next draws in send order.
    const { links, got } = model({ jitter_percent: 10 });
    const a = port(0, 'jitter');
    const draws = new Stream('jitter');
    const j1 = draws.int(0, 1000);
    const j2 = draws.int(0, 1000);
    links.send(a, 1, msg(12_500, 1), 5_000);
    links.send(a, 1, msg(12_500, 2), 5_000);
    expect(got.map((g) => g.at)).toEqual([6_000 + 10_000 + j1, 7_000 + 10_000 + j2]);
    expect(got.map((g) => [g.from, g.to, g.pos])).toEqual([[0, 1, NOT_RELAYED], [0, 1, NOT_RELAYED]]);
    expect(got[0]!.data).toEqual(msg(12_500, 1));
    expect(a.up_free_us).toBe(7_000);
    expect(a.counters.msgs_out).toBe(2);
    expect(a.counters.bytes_out).toBe(25_000);
    // An idle uplink starts a copy when it is ready.
    links.send(a, 1, msg(12_500, 3), 50_000);
    expect(got[2]!.at).toBe(51_000 + 10_000 + draws.int(0, 1000));
  });

  it('counts copies per kind, per table and per second of departure, only within the run', () => {
    const { links } = model({ end_us: 1_500_000 });
    const a = port(0);
    links.send(a, 1, msg(100, 0, 7), 0);
    links.send(a, 1, msg(200), 1_200_000);
    links.send(a, 1, msg(300), 1_600_000); // leaves after the end: not counted as sent
    expect(links.bytesPerSecond).toEqual([100, 200]);
    expect(a.counters.msgs_out).toBe(2);
    expect(links.msgCount[3]).toBe(3); // every copy, sent or not
    expect(links.msgTableCount.get(3 * 65536 + 7)).toBe(1);
  });

  it('the downlink receives copies FIFO; a restart empties both links', () => {
    // Proves download(): 1 ms per copy after whatever is queued, never before the arrival.
    const { links } = model();
    const b = port(1);
    expect(links.download(b, 12_500, 0)).toBe(1_000);
    expect(links.download(b, 12_500, 100)).toBe(2_000);
    expect(links.download(b, 12_500, 5_000)).toBe(6_000);
    links.received(b, msg(12_500));
    expect([b.counters.bytes_in, b.counters.msgs_in]).toEqual([12_500, 1]);
    b.up_free_us = 9_000;
    links.restart(b, 3_000);
    expect([b.up_free_us, b.downQ.free]).toEqual([3_000, 3_000]);
    expect(links.download(b, 12_500, 3_000)).toBe(4_000);
  });

  it('a partitioned link drops the copy (counted as sent, no draw) in its direction and window only', () => {
    // a -> b is cut during [0, 500 ms), b -> a is not (one way). A dropped copy still occupies the
    // uplink and draws nothing: the next copy gets the stream's first draw.
    const cut: PartitionWindow = { at_us: 0, until_us: 500_000, inA: side(1, 0), inB: side(0, 1), oneWay: true };
    const { links, got } = model({ jitter_percent: 10 }, [cut]);
    const a = port(0, 'cut');
    const b = port(1, 'back');
    links.send(a, 1, msg(12_500), 0);
    expect(got).toHaveLength(0);
    expect(a.counters.dropped_partition).toBe(1);
    expect(a.counters.msgs_out).toBe(1);
    expect(a.up_free_us).toBe(1_000);
    links.send(b, 0, msg(12_500), 0);
    expect(got.map((g) => [g.from, g.to])).toEqual([[1, 0]]);
    links.send(a, 1, msg(12_500), 500_000); // the window has ended
    expect(got[1]!.at).toBe(501_000 + 10_000 + new Stream('cut').int(0, 1000));
  });

  it('loss drops a copy and duplication adds an unrelayed copy, from the sender\'s stream', () => {
    const { links: lossy, got: none } = model({ loss_percent: 100 });
    const a = port(0);
    for (let i = 0; i < 5; i++) lossy.send(a, 1, msg(10), 0);
    expect(none).toHaveLength(0);
    expect(a.counters.dropped_loss).toBe(5);
    // 100% duplication: the copy, then its duplicate a jitter draw + 1 µs later. Draw order:
    // jitter, duplicate chance (certain: no draw), duplicate jitter.
    const { links, got } = model({ duplicate_percent: 100, jitter_percent: 10 });
    const b = port(0, 'dup');
    const d = new Stream('dup');
    const relayed: Relayed = { msg: msg(12_500), tree: { order: Int32Array.of(0, 1), fanout: 2 } };
    links.relay(b, relayed, 0, 0);
    const arrive = 1_000 + 10_000 + d.int(0, 1000);
    expect(got.map((g) => [g.at, g.pos])).toEqual([[arrive, 1], [arrive + d.int(0, 1000) + 1, NOT_RELAYED]]);
    expect(got[0]!.data).toBe(relayed);
    expect(got[1]!.data).toBe(relayed.msg);
  });

  it('degradation windows add latency, jitter and reorder, narrow the uplink, lose and duplicate', () => {
    // Inside the window: 12,500 bytes at 50% of 100 Mb/s take 2 ms; the copy arrives after the
    // base 10 ms, its jitter, +5 ms, the window's jitter (20% of 15 ms) and a reorder up to 1 ms,
    // drawn in that order; then the window's duplicate (100%: no draw) one jitter draw + 1 µs on.
    const w: DegradeWindow = {
      at_us: 0, until_us: 100_000, inA: side(1, 0), inB: side(0, 1), oneWay: true,
      latency_us: 5_000, jitter_percent: 20, loss_bp: 0, duplicate_bp: 10_000, reorder_us: 1_000, bandwidth_percent: 50,
    };
    const { links, got } = model({ jitter_percent: 10 }, [], [w]);
    const a = port(0, 'deg');
    const d = new Stream('deg');
    links.send(a, 1, msg(12_500), 0);
    const base = 2_000 + 10_000 + d.int(0, 1000);
    const arrive = base + 5_000 + d.int(0, 3_000) + d.int(0, 1_000);
    expect(got.map((g) => [g.at, g.pos])).toEqual([[arrive, NOT_RELAYED], [arrive + 1 + d.int(0, 1000), NOT_RELAYED]]);
    expect(a.up_free_us).toBe(2_000);
    // The other direction and times after the window are not degraded.
    const b = port(1, 'plain');
    links.send(b, 0, msg(12_500), 0);
    expect(got[2]!.at).toBe(1_000 + 10_000 + new Stream('plain').int(0, 1000));
    links.send(a, 1, msg(12_500), 200_000);
    expect(got).toHaveLength(4);
    expect(a.up_free_us).toBe(201_000);
    // A window's loss drops the copy after the undegraded draws.
    const lossy = model({}, [], [{ ...w, loss_bp: 10_000 }]);
    const c = port(0);
    lossy.links.send(c, 1, msg(10), 0);
    expect(lossy.got).toHaveLength(0);
    expect(c.counters.dropped_loss).toBe(1);
  });

  it('refuses a copy to the sender itself', () => {
    const { links } = model();
    expect(() => links.send(port(0), 0, msg(10), 0)).toThrow(/n0 sent a message to itself/);
  });

  it('a copy received past the time horizon breaks an invariant', () => {
    // The downlink stops at TIME_HORIZON_US; an arrival after it would be received before it arrived.
    const { links } = model();
    expect(() => links.download(port(1), 10, TIME_HORIZON_US + 2)).toThrow(InvariantError);
  });
});

describe('relay trees', () => {
  it('orders the sender first, then the live members rotated by its broadcast count', () => {
    const members = Int32Array.of(4, 0, 1, 2, 3);
    const down = side(0, 0, 0, 1, 0);
    expect([...relayOrder(0, members, null, 0)!]).toEqual([0, 4, 1, 2, 3]);
    expect([...relayOrder(0, members, down, 0)!]).toEqual([0, 4, 1, 2]);
    expect([...relayOrder(0, members, down, 1)!]).toEqual([0, 1, 2, 4]);
    expect([...relayOrder(0, members, down, 4)!]).toEqual([0, 1, 2, 4]); // 4 mod 3
    // A sender outside the group still roots its tree.
    expect([...relayOrder(9, Int32Array.of(1, 2), null, 0)!]).toEqual([9, 1, 2]);
    expect(relayOrder(0, Int32Array.of(0, 3), down, 0)).toBeNull();
  });

  it('positions p*fanout+1 .. p*fanout+fanout are the children of p', () => {
    const tree = { order: Int32Array.from({ length: 8 }, (_, i) => i), fanout: 3 };
    expect([firstChild(tree, 0), childEnd(tree, 0)]).toEqual([1, 4]);
    expect([firstChild(tree, 1), childEnd(tree, 1)]).toEqual([4, 7]);
    expect([firstChild(tree, 2), childEnd(tree, 2)]).toEqual([7, 8]);
    expect(firstChild(tree, 3)).toBeGreaterThanOrEqual(childEnd(tree, 3));
  });

  it('a broadcast sends to the root\'s children in tree order; each receiver relays to its own', () => {
    // Fan-out 2 over members 1..5 from node 0: order [0, 1, 2, 3, 4, 5]; the root sends to
    // positions 1 and 2, position 1 (node 1) to 3 and 4, position 2 (node 2) to 5.
    const { links, got } = model({ relay_fanout: 2 }, [], [], 6);
    const root = port(0);
    links.broadcast(root, Int32Array.of(1, 2, 3, 4, 5), null, msg(100, 5), 0);
    expect(root.broadcasts).toBe(1);
    expect(got.map((g) => [g.to, g.pos])).toEqual([[1, 1], [2, 2]]);
    const relayed = got[0]!.data as Relayed;
    expect(got[1]!.data).toBe(relayed); // one tree shared by every copy
    expect(relayed.tree.fanout).toBe(2);
    links.relay(port(1), relayed, 1, 50_000);
    links.relay(port(2), relayed, 2, 50_000);
    links.relay(port(3), relayed, 3, 50_000); // a leaf
    expect(got.slice(2).map((g) => [g.from, g.to, g.pos])).toEqual([[1, 3, 3], [1, 4, 4], [2, 5, 5]]);
    // The next broadcast rotates relay duty; one with no other live member sends nothing.
    links.broadcast(root, Int32Array.of(1, 2, 3, 4, 5), null, msg(100, 6), 100_000);
    expect(got.slice(5).map((g) => g.to)).toEqual([2, 3]);
    links.broadcast(root, Int32Array.of(0, 1), side(0, 1), msg(100, 7), 200_000);
    expect(root.broadcasts).toBe(2);
    expect(got).toHaveLength(7);
  });
});

describe('layering', () => {
  it('sim/net modules do not import the engine', () => {
    // The engine asks the link model; the link model reaches back only through LinkEvents.
    const dir = import.meta.dirname;
    const bad = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => /from\s+['"]\.\.\/engine\//.test(readFileSync(join(dir, f), 'utf8')));
    expect(bad).toEqual([]);
    expect(/from\s+['"]\.\.\/engine\//.test("import { EV } from '../engine/sim.js';")).toBe(true);
  });
});
