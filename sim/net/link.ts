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
 */
import type { Msg } from '../contract/env.js';
import type { Stream } from '../lib/random.js';
import { InvariantError } from '../lib/assert.js';
import { NetTopology, TIME_HORIZON_US, serializationUs, type DegradeWindow } from './topology.js';
import { NOT_RELAYED, childEnd, firstChild, relayOrder, type Relayed } from './relay.js';

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
  /** When the downlink has received everything queued on it. */
  down_free_us = 0;
  /** Group broadcasts the node started with at least one receiver (rotates relay duty). */
  broadcasts = 0;

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
   * A copy of `bytes` reached `port`'s downlink at `at_us`: the time its last bit is received,
   * after what the downlink already has queued (FIFO).
   */
  download(port: LinkPort, bytes: number, at_us: number): number {
    const start = port.down_free_us > at_us ? port.down_free_us : at_us;
    const done = Math.min(start + serializationUs(bytes, port.spec.download_bps), TIME_HORIZON_US);
    if (done < at_us) throw new InvariantError(`node ${port.node}: a copy that arrived at ${at_us} µs is received at ${done} µs`);
    port.down_free_us = done;
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
    port.down_free_us = at_us;
  }

  /** Sends one copy through `port`'s uplink and the link to `to`. */
  private transmit(port: LinkPort, to: number, msg: Msg, ready_us: number, pos: number, relayed: Relayed | null): void {
    const self = port.node;
    if (to === self) throw new Error(`node ${port.spec.name} sent a message to itself`);
    const p = this.params;
    const topo = this.topo;
    const counters = port.counters;
    const bytes = msg.bytes;
    const degs = topo.degradations;
    let deg: DegradeWindow[] | null = null;
    let ser = serializationUs(bytes, port.spec.upload_bps);
    if (degs.length > 0) {
      for (const d of degs) {
        if (!topo.covers(d, self, to, ready_us)) continue;
        (deg ??= []).push(d);
        if (d.bandwidth_percent < 100) ser = Math.ceil((ser * 100) / d.bandwidth_percent);
      }
    }
    const start = port.up_free_us > ready_us ? port.up_free_us : ready_us;
    const depart = Math.min(start + ser, TIME_HORIZON_US);
    port.up_free_us = depart;
    // Counted as sent when the last bit leaves, and only within the run: a copy still queued at
    // the end was not sent (and a huge copy never grows the per-second series past the end).
    if (depart <= this.end_us) {
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
    if (topo.blocked(self, to, ready_us)) {
      counters.dropped_partition++;
      return;
    }
    const net = port.net;
    if (p.loss_percent > 0 && net.chance(Math.round(p.loss_percent * 100), 10_000)) {
      counters.dropped_loss++;
      return;
    }
    const base = topo.baseLatency(self, to);
    const jmax = Math.floor((base * p.jitter_percent) / 100);
    let arrive = depart + base + (jmax > 0 ? net.int(0, jmax) : 0);
    let dupBp = 0;
    if (deg !== null) {
      // Degraded links: each window's effects in turn, drawn from the sender's stream after the
      // undegraded draws, so links outside any window draw exactly as before.
      for (const d of deg) {
        if (d.loss_bp > 0 && net.chance(d.loss_bp, 10_000)) {
          counters.dropped_loss++;
          return;
        }
        const djmax = Math.floor(((base + d.latency_us) * d.jitter_percent) / 100);
        arrive += d.latency_us + (djmax > 0 ? net.int(0, djmax) : 0) + (d.reorder_us > 0 ? net.int(0, d.reorder_us) : 0);
        dupBp += d.duplicate_bp;
      }
    }
    const ev = this.events;
    ev.arrive(arrive, self, to, pos, relayed ?? msg);
    if (p.duplicate_percent > 0 && net.chance(Math.round(p.duplicate_percent * 100), 10_000)) {
      const again = arrive + (jmax > 0 ? net.int(0, jmax) : 0) + 1;
      // A duplicate is delivered but not relayed again (the relay layer drops repeats).
      ev.arrive(again, self, to, NOT_RELAYED, msg);
    }
    if (dupBp > 0 && net.chance(Math.min(dupBp, 10_000), 10_000)) {
      ev.arrive(arrive + 1 + (jmax > 0 ? net.int(0, jmax) : 0), self, to, NOT_RELAYED, msg);
    }
  }
}
