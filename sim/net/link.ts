/**
 * The link model: the network half of the node model of docs/DESIGN.md,
 *
 *   sender uplink FIFO (serialization at the upload rate) -> propagation (region latency + seeded
 *   jitter; loss, duplication, partitions, degradation windows) -> receiver downlink FIFO
 *   (serialization at the download rate) -> relay of group broadcasts down their trees.
 *
 * It owns each node's link state (a LinkPort: when its uplink and downlink are next free, its
 * broadcast count, its byte and drop counters) and the run's traffic totals, and it answers the
 * engine's two questions: "this copy is ready to leave node n at time t toward m: when, and
 * whether, does it reach m's downlink" (send, broadcast, relay) and "this copy reached the
 * downlink at t: when is it fully received" (download). It keeps no clock and no queue of its
 * own: each copy that survives the link is handed to LinkEvents.arrive, which the engine turns
 * into an event. Every random draw comes from the sender's `net` stream, in a fixed order per copy
 * (loss, jitter, then each degradation window's loss, jitter and reorder, then the duplicates).
 *
 * At flow fidelity (flow.ts) it also plans a flow's hops (flowBroadcast, flowHop: every child's
 * copy at once, handed back as a FlowHop) and a child's copy on its downlink before it arrives
 * (flowReceive), which is why a downlink is a LinkQueue.
 */
import type { Msg } from '../contract/env.js';
import type { Stream } from '../lib/random.js';
import { InvariantError } from '../lib/assert.js';
import { NetTopology, TIME_HORIZON_US, serializationUs, type DegradeWindow } from './topology.js';
import { NOT_RELAYED, childEnd, firstChild, relayOrder, type Relayed } from './relay.js';
import { DROP_LOSS, DROP_PARTITION, type FlowHop, type FlowTree } from './flow.js';

export interface LinkParams {
  /** Jitter: each copy arrives up to this percent of the link's base latency late (uniform). */
  jitter_percent: number;
  /** Every link loses this percent of copies. */
  loss_percent: number;
  /** Every link duplicates this percent of copies (the duplicate is delivered, never relayed). */
  duplicate_percent: number;
  /** Children per position of a broadcast's relay tree. */
  relay_fanout: number;
  /**
   * The end of the run: bytes count as sent once their last bit has left the uplink, and only up
   * to here (a backlog still queued at the end was not sent). Default: no end.
   */
  end_us?: number;
}

/** What the link model needs to know of a node. */
export interface LinkSpec {
  readonly name: string;
  readonly upload_bps: number;
  readonly download_bps: number;
}

/**
 * Per-node link counters. Bytes and messages out count a copy once it has left the uplink by the
 * end of the run; bytes and messages in once it is downloaded by a live node.
 */
export interface LinkCounters {
  bytes_in: number;
  bytes_out: number;
  msgs_in: number;
  msgs_out: number;
  dropped_loss: number;
  dropped_partition: number;
}

/** One node's link state. */
export class LinkPort {
  /** When the uplink has sent everything queued on it (free when <= now). */
  up_free_us = 0;
  /** Group broadcasts the node started with at least one receiver (rotates relay duty). */
  broadcasts = 0;
  /**
   * The downlink: a FIFO by arrival (`downQ.free`: when it has received everything queued on it).
   * Flow copies are planned on it before they arrive (flow.ts); with packets only, nothing is
   * planned and it is a plain FIFO.
   */
  readonly downQ = new LinkQueue();

  constructor(
    readonly node: number,
    readonly spec: LinkSpec,
    /** The node's `net` stream: every draw for the copies it sends. */
    readonly net: Stream,
    readonly counters: LinkCounters,
  ) {}
}

/** How the link model hands copies back to the engine. */
export interface LinkEvents {
  /**
   * A copy from node `from` reaches node `to`'s downlink at `at_us`. `pos` is the receiver's
   * position in the relay tree of `data` (a Relayed), or NOT_RELAYED and `data` is the Msg.
   */
  arrive(at_us: number, from: number, to: number, pos: number, data: Msg | Relayed): void;
}

/** The chain a message belongs to, when it belongs to one (per-chain message counts). */
export type ChainOf = (msg: Msg) => number | undefined;

export class LinkModel {
  /** Messages sent per kind (every copy, relays included), indexed by kind. */
  readonly msgCount: number[] = [];
  /** Messages sent per (kind, chain) for messages of a chain (ChainOf): key kind * 65536 + chain. */
  readonly msgTableCount = new Map<number, number>();
  /** Bytes sent per simulated second. */
  readonly bytesPerSecond: number[] = [];
  /** Copies leaving the uplink after this are not counted as sent (LinkParams.end_us). */
  private readonly end_us: number;

  constructor(
    readonly topo: NetTopology,
    readonly params: LinkParams,
    private readonly events: LinkEvents,
    /** The chain a message belongs to, if any (the family's; TOP: its table). */
    private readonly chainOf: ChainOf = () => undefined,
  ) {
    this.end_us = params.end_us ?? Infinity;
  }

  /** A unicast from `port`'s node to `to`, ready to leave at `ready_us`. */
  send(port: LinkPort, to: number, msg: Msg, ready_us: number): void {
    this.transmit(port, to, msg, ready_us, NOT_RELAYED, null);
  }

  /**
   * A group broadcast from `port`'s node to `members`, ready to leave at `ready_us`: the sender
   * sends to its children in the relay tree (relay.ts); `knownDown` marks the members its failure
   * detector holds to be down (null: none), which get no copy.
   */
  broadcast(port: LinkPort, members: Int32Array, knownDown: Uint8Array | null, msg: Msg, ready_us: number): void {
    const order = relayOrder(port.node, members, knownDown, port.broadcasts);
    if (order === null) return;
    port.broadcasts++;
    const relayed: Relayed = { msg, tree: { order, fanout: this.params.relay_fanout } };
    this.relay(port, relayed, 0, ready_us);
  }

  /** Forwards a relayed copy from position `pos` of its tree to that position's children. */
  relay(port: LinkPort, relayed: Relayed, pos: number, ready_us: number): void {
    const tree = relayed.tree;
    const end = childEnd(tree, pos);
    for (let c = firstChild(tree, pos); c < end; c++) this.transmit(port, tree.order[c], relayed.msg, ready_us, c, relayed);
  }

  /**
   * A group broadcast of bulk data as a flow (flow.ts): the sender's hop is planned now (null when
   * nobody else is to receive it or every copy of the hop was dropped).
   */
  flowBroadcast(port: LinkPort, members: Int32Array, knownDown: Uint8Array | null, msg: Msg, ready_us: number): FlowHop | null {
    const order = relayOrder(port.node, members, knownDown, port.broadcasts);
    if (order === null) return null;
    port.broadcasts++;
    return this.flowHop(port, { msg, tree: { order, fanout: this.params.relay_fanout } }, 0, ready_us);
  }

  /**
   * Plans the hop of flow `flow` from `port`'s node at tree position `pos` to that position's
   * children, ready to leave at `ready_us`: each copy goes through the uplink FIFO, is counted as
   * sent, and is drawn for from the node's stream as a packet is (partition, loss, jitter,
   * degradation windows; never a duplicate). Null when the node has no child or every copy was
   * dropped.
   */
  flowHop(port: LinkPort, flow: FlowTree, pos: number, ready_us: number): FlowHop | null {
    const tree = flow.tree;
    const first = firstChild(tree, pos);
    const end = childEnd(tree, pos);
    if (first >= end) return null;
    const msg = flow.msg;
    const self = port.node;
    const counters = port.counters;
    const arrive = new Float64Array(end - first);
    let reached = false;
    for (let c = first; c < end; c++) {
      const to = tree.order[c];
      if (to === self) throw new Error(`node ${port.spec.name} sent a message to itself`);
      const deg = this.degradedAt(self, to, ready_us);
      const depart = this.uplink(port, ready_us, this.uplinkUs(msg.bytes, port.spec.upload_bps, deg));
      this.countSent(port, msg, depart);
      const a = this.propagate(port.net, self, to, ready_us, depart, deg);
      arrive[c - first] = a;
      if (a >= 0) reached = true;
      else if (a === DROP_PARTITION) counters.dropped_partition++;
      else counters.dropped_loss++;
    }
    return reached ? { flow, parent: pos, arrive } : null;
  }

  /**
   * `port`'s node takes its copy of hop `hop`, the hop's k-th child (its arrival is >= 0), now
   * (`now_us`, at or before the copy arrives): the copy is planned on the downlink. Returns when
   * it is fully received.
   */
  flowReceive(port: LinkPort, hop: FlowHop, k: number, now_us: number): number {
    const at = hop.arrive[k];
    const done = port.downQ.plan(now_us, at, serializationUs(hop.flow.msg.bytes, port.spec.download_bps));
    if (done < at) throw new InvariantError(`node ${port.node}: a flow copy that arrives at ${at} µs is received at ${done} µs`);
    return done;
  }

  /**
   * A copy of `bytes` reached `port`'s downlink at `at_us`: the time its last bit is received,
   * after what the downlink already has queued (FIFO).
   */
  download(port: LinkPort, bytes: number, at_us: number): number {
    const done = port.downQ.take(at_us, serializationUs(bytes, port.spec.download_bps));
    if (done < at_us) throw new InvariantError(`node ${port.node}: a copy that arrived at ${at_us} µs is received at ${done} µs`);
    return done;
  }

  /** A live node received `msg` in full (counted in). */
  received(port: LinkPort, msg: Msg): void {
    port.counters.bytes_in += msg.bytes;
    port.counters.msgs_in++;
  }

  /** The node restarts at `at_us`: its links start empty (what was queued on them was lost). */
  restart(port: LinkPort, at_us: number): void {
    port.up_free_us = at_us;
    port.downQ.reset(at_us);
  }

  /** Sends one copy through `port`'s uplink and the link to `to`. */
  private transmit(port: LinkPort, to: number, msg: Msg, ready_us: number, pos: number, relayed: Relayed | null): void {
    const self = port.node;
    if (to === self) throw new Error(`node ${port.spec.name} sent a message to itself`);
    const deg = this.degradedAt(self, to, ready_us);
    const depart = this.uplink(port, ready_us, this.uplinkUs(msg.bytes, port.spec.upload_bps, deg));
    this.countSent(port, msg, depart);
    const net = port.net;
    const arrive = this.propagate(net, self, to, ready_us, depart, deg);
    if (arrive < 0) {
      if (arrive === DROP_PARTITION) port.counters.dropped_partition++;
      else port.counters.dropped_loss++;
      return;
    }
    const ev = this.events;
    ev.arrive(arrive, self, to, pos, relayed ?? msg);
    const p = this.params;
    const jmax = Math.floor((this.topo.baseLatency(self, to) * p.jitter_percent) / 100);
    if (p.duplicate_percent > 0 && net.chance(Math.round(p.duplicate_percent * 100), 10_000)) {
      const again = arrive + (jmax > 0 ? net.int(0, jmax) : 0) + 1;
      // A duplicate is delivered but not relayed again (the relay layer drops repeats).
      ev.arrive(again, self, to, NOT_RELAYED, msg);
    }
    if (deg !== null) {
      let dupBp = 0;
      for (const d of deg) dupBp += d.duplicate_bp;
      if (dupBp > 0 && net.chance(Math.min(dupBp, 10_000), 10_000)) {
        ev.arrive(arrive + 1 + (jmax > 0 ? net.int(0, jmax) : 0), self, to, NOT_RELAYED, msg);
      }
    }
  }

  /** A copy of `ser_us` ready at `ready_us` goes through `port`'s uplink FIFO: when it has left. */
  private uplink(port: LinkPort, ready_us: number, ser_us: number): number {
    const start = port.up_free_us > ready_us ? port.up_free_us : ready_us;
    const depart = Math.min(start + ser_us, TIME_HORIZON_US);
    port.up_free_us = depart;
    return depart;
  }

  /** The degradation windows covering a copy from `from` to `to` ready at `t_us` (null: none). */
  private degradedAt(from: number, to: number, t_us: number): DegradeWindow[] | null {
    const degs = this.topo.degradations;
    if (degs.length === 0) return null;
    let deg: DegradeWindow[] | null = null;
    for (const d of degs) if (this.topo.covers(d, from, to, t_us)) (deg ??= []).push(d);
    return deg;
  }

  /** Time to put `bytes` on an uplink of `bps` under degradation windows `deg`. */
  private uplinkUs(bytes: number, bps: number, deg: DegradeWindow[] | null): number {
    let ser = serializationUs(bytes, bps);
    if (deg !== null) for (const d of deg) if (d.bandwidth_percent < 100) ser = Math.ceil((ser * 100) / d.bandwidth_percent);
    return ser;
  }

  /**
   * Counts a copy from `port`'s node as sent: bytes and messages once its last bit has left by the
   * end of the run (a copy still queued at the end was not sent, and a huge copy never grows the
   * per-second series past the end), per kind and per chain always.
   */
  private countSent(port: LinkPort, msg: Msg, depart: number): void {
    const bytes = msg.bytes;
    if (depart <= this.end_us) {
      const counters = port.counters;
      counters.bytes_out += bytes;
      counters.msgs_out++;
      const sec = Math.floor(depart / 1_000_000);
      while (this.bytesPerSecond.length <= sec) this.bytesPerSecond.push(0);
      this.bytesPerSecond[sec] += bytes;
    }
    this.msgCount[msg.kind] = (this.msgCount[msg.kind] ?? 0) + 1;
    const chain = this.chainOf(msg);
    if (chain !== undefined) {
      const key = msg.kind * 65536 + chain;
      this.msgTableCount.set(key, (this.msgTableCount.get(key) ?? 0) + 1);
    }
  }

  /**
   * A copy from `from` to `to`, ready at `ready_us`, leaves the uplink at `depart`: when it
   * reaches `to`'s downlink, or DROP_PARTITION / DROP_LOSS. Draws from `net` in a fixed order:
   * loss, jitter, then each degradation window's loss, jitter and reorder.
   */
  private propagate(net: Stream, from: number, to: number, ready_us: number, depart: number, deg: DegradeWindow[] | null): number {
    const p = this.params;
    const topo = this.topo;
    if (topo.blocked(from, to, ready_us)) return DROP_PARTITION;
    if (p.loss_percent > 0 && net.chance(Math.round(p.loss_percent * 100), 10_000)) return DROP_LOSS;
    const base = topo.baseLatency(from, to);
    const jmax = Math.floor((base * p.jitter_percent) / 100);
    let arrive = depart + base + (jmax > 0 ? net.int(0, jmax) : 0);
    if (deg !== null) {
      // Degraded links: each window's effects in turn, drawn after the undegraded draws, so links
      // outside any window draw exactly as before.
      for (const d of deg) {
        if (d.loss_bp > 0 && net.chance(d.loss_bp, 10_000)) return DROP_LOSS;
        const djmax = Math.floor(((base + d.latency_us) * d.jitter_percent) / 100);
        arrive += d.latency_us + (djmax > 0 ? net.int(0, djmax) : 0) + (d.reorder_us > 0 ? net.int(0, d.reorder_us) : 0);
      }
    }
    return arrive;
  }
}

/**
 * A link at flow fidelity: a FIFO by start time (a copy starts when it arrives at a downlink, or
 * is ready to leave an uplink) whose flow copies are planned before they start.
 *
 * A copy handled when it starts (a packet) queues behind every copy that started before it,
 * planned ones included, exactly as at packet fidelity, and never behind a planned copy that has
 * not started yet. A copy planned ahead (a flow's) is given the end it would have behind what the
 * link holds by its start, as known when it is planned; packets that start between the plan and
 * its start are not waited for (so its end may be early by their length), but they do delay what
 * comes after on the link: every copy's serialization is counted in order of start, so the link
 * never carries more than its rate over time.
 */
export class LinkQueue {
  /** When the link has sent everything that started so far. */
  free = 0;
  /** Planned copies not started yet, [head, tail), sorted by start (equal starts in plan order). */
  private start = new Float64Array(16);
  private ser = new Float64Array(16);
  private head = 0;
  private tail = 0;

  /** Planned copies not started yet. */
  get planned(): number {
    return this.tail - this.head;
  }

  /** A copy of `ser_us` that starts at `at_us` and is handled now: when it ends. */
  take(at_us: number, ser_us: number): number {
    if (this.head < this.tail) this.fold(at_us);
    const s = this.free > at_us ? this.free : at_us;
    this.free = Math.min(s + ser_us, TIME_HORIZON_US);
    return this.free;
  }

  /**
   * A copy of `ser_us` planned now (`now_us`) to start at `at_us`: when it ends behind what the
   * link holds by then. It is kept until it starts.
   */
  plan(now_us: number, at_us: number, ser_us: number): number {
    if (this.head < this.tail) this.fold(now_us);
    const st = this.start;
    const sr = this.ser;
    let f = this.free;
    let i = this.head;
    const t = this.tail;
    for (; i < t && st[i] <= at_us; i++) f = (f > st[i] ? f : st[i]) + sr[i];
    const end = Math.min((f > at_us ? f : at_us) + ser_us, TIME_HORIZON_US);
    this.insert(i, at_us, ser_us);
    return end;
  }

  /** Folds every planned copy that started by `at_us` into the FIFO, in order of start. */
  private fold(at_us: number): void {
    const st = this.start;
    const sr = this.ser;
    let h = this.head;
    let f = this.free;
    while (h < this.tail && st[h] <= at_us) {
      f = Math.min((f > st[h] ? f : st[h]) + sr[h], TIME_HORIZON_US);
      h++;
    }
    this.free = f;
    if (h === this.tail) this.head = this.tail = 0;
    else this.head = h;
  }

  /** Inserts a planned copy at index `at` (head <= at <= tail), making room as needed. */
  private insert(at: number, start: number, ser: number): void {
    if (this.tail === this.start.length) {
      const live = this.tail - this.head;
      if (2 * live >= this.start.length) {
        // Mostly full: twice the room.
        const ns = new Float64Array(2 * this.start.length);
        const nr = new Float64Array(2 * this.start.length);
        ns.set(this.start.subarray(this.head, this.tail));
        nr.set(this.ser.subarray(this.head, this.tail));
        this.start = ns;
        this.ser = nr;
      } else {
        // Mostly started: move what is left to the front.
        this.start.copyWithin(0, this.head, this.tail);
        this.ser.copyWithin(0, this.head, this.tail);
      }
      at -= this.head;
      this.head = 0;
      this.tail = live;
    }
    if (at < this.tail) {
      this.start.copyWithin(at + 1, at, this.tail);
      this.ser.copyWithin(at + 1, at, this.tail);
    }
    this.start[at] = start;
    this.ser[at] = ser;
    this.tail++;
  }

  /** The link restarts empty at `at_us`. */
  reset(at_us: number): void {
    this.free = at_us;
    this.head = this.tail = 0;
  }
}
