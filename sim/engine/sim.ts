/**
 * The simulation runtime: virtual time, the event loop, and the node model of docs/DESIGN.md:
 *
 *   sender CPU (handler work) -> sender uplink FIFO -> propagation (region latency + seeded
 *   jitter, loss, duplication, partitions) -> receiver downlink FIFO -> relay (network layer)
 *   -> receiver CPU queue (`cores` servers) -> protocol handler.
 *
 * This file holds the event loop, the CPU model (each node's work queue and cores), crashes and
 * restarts, the failure detector's notices and the nodes' clocks. The links between the CPUs,
 * from the uplink to the downlink and the relay trees, are the link model of sim/net/link.ts,
 * which hands each copy it delivers back here as an ARRIVE event.
 *
 * A handler runs when a core takes its work item; everything it sends leaves when its charged
 * work completes, and its timers count from then too. The uplink is FIFO in handler start order.
 */
import { EventQueue } from './queue.js';
import { Digest64, runDigest } from './digest.js';
import { Stream, streamSeed } from '../lib/random.js';
import { InvariantError } from '../lib/assert.js';
import type { Env, Msg, NodeLogic, Timer } from '../contract/env.js';
import { NO_RECORDS, type CommitKey, type Observe, type RecordSink } from '../contract/observe.js';
import type { NetTopology } from '../net/topology.js';
import { LinkModel, LinkPort, type ChainOf, type LinkCounters, type LinkParams } from '../net/link.js';
import { NOT_RELAYED, firstChild, type Relayed } from '../net/relay.js';
import { firstArrival, type FlowHop } from '../net/flow.js';
import { LocalClock, type ClockWindow } from './localclock.js';

/** Event kinds. Numbers are folded into digests, so they are part of the format. */
export const EV = {
  ARRIVE: 1, // a message reached the receiver's downlink
  DELIVERED: 2, // the downlink finished receiving it
  WAKE: 3, // a core frees up while work is queued
  TIMER: 4,
  TICK: 5, // a slot tick reached the node (the family's clock; TOP: the beacon clock)
  CRASH: 6,
  RESTART: 7,
  PEER_DOWN: 8, // the failure detector tells the node that a peer is down
  PEER_UP: 9,
  FLOW: 10, // members of a flow take their copies (sim/net/flow.ts)
} as const;

/*
 * Event arguments. The queue stores each event as (time, origin, seq, target, kind, a0, a1, data):
 * a0 and a1 are two generic integer columns whose meaning depends on the kind.
 *
 *   kind               a0                             a1                          data
 *   ARRIVE, DELIVERED  the sending node               the receiver's relay        the Relayed if a1 >= 0,
 *                                                     position, or NOT_RELAYED    else the Msg
 *   WAKE               the node's epoch               0                           null
 *   TIMER              the node's epoch               0                           the Timer
 *   TICK               the slot tick number           the node's epoch            null
 *   CRASH              NO_RESTART (-1), or 0 (data    1: restart without the      the restart time
 *                      holds the restart time)        state, 0: with it           or null
 *   RESTART            1: the state was lost, 0: kept 0                           null
 *   PEER_DOWN, PEER_UP the peer                       the peer's epoch            null
 *   FLOW               the child k of the hop, or     0                           the FlowHop
 *                      ALL_LOCAL: every local child
 *
 * The Simulation writes them only through its schedule* methods below, and everything that reads
 * them uses the accessors here (each takes both columns, so a reader never picks one itself).
 * NOT_RELAYED is -1 (sim/net/relay.ts). What is folded into the digest for each kind is part of
 * the digest format.
 */

/** ARRIVE, DELIVERED: the node that sent the copy. */
export function arriveFrom(a0: number, _a1: number): number {
  return a0;
}
/** ARRIVE, DELIVERED: the receiver's position in the relay tree, or NOT_RELAYED. */
export function arrivePos(_a0: number, a1: number): number {
  return a1;
}
/** ARRIVE, DELIVERED: whether the copy travels down a relay tree (its data is a Relayed, not the Msg). */
export function arriveRelayed(_a0: number, a1: number): boolean {
  return a1 >= 0;
}
/** WAKE, TIMER: the epoch of the node when it was scheduled (stale after a crash). */
export function ownEpoch(a0: number, _a1: number): number {
  return a0;
}
/** TICK: the slot tick number. */
export function tickNumber(a0: number, _a1: number): number {
  return a0;
}
/** TICK: the epoch of the node when it was scheduled. */
export function tickEpoch(_a0: number, a1: number): number {
  return a1;
}
/** CRASH: a0 when the node never restarts. */
const NO_RESTART = -1;
/** CRASH: whether the node restarts (at the time in the event's data). */
export function crashRestarts(a0: number, _a1: number): boolean {
  return a0 !== NO_RESTART;
}
/** CRASH: whether the node restarts without the state it held. */
export function crashLost(_a0: number, a1: number): boolean {
  return a1 === 1;
}
/** RESTART: 1 when the node restarts without its state, 0 with it (folded into the digest as is). */
export function restartLost(a0: number, _a1: number): number {
  return a0;
}
/** FLOW: a0 when the event stands for every child of the hop this instance runs. */
export const ALL_LOCAL = -1;
/** FLOW: which child of the hop (k: the k-th child of its parent position), or ALL_LOCAL. */
export function flowChild(a0: number, _a1: number): number {
  return a0;
}
/** PEER_DOWN, PEER_UP: the peer the notice is about. */
export function peerOf(a0: number, _a1: number): number {
  return a0;
}
/** PEER_DOWN, PEER_UP: the peer's epoch when the notice was sent (older notices are stale). */
export function peerEpoch(_a0: number, a1: number): number {
  return a1;
}

const WORK_MSG = 0;
const WORK_TIMER = 1;
const WORK_TICK = 2;

/**
 * A node's queue of work waiting for a core: a FIFO ring over parallel columns (kind, sender,
 * message/timer/tick), so queueing a unit of work allocates nothing. Capacity is a power of two
 * and doubles when full.
 */
export class WorkQueue {
  kind = new Uint8Array(16);
  from = new Int32Array(16);
  data: unknown[] = new Array<unknown>(16).fill(undefined);
  head = 0;
  size = 0;

  push(kind: number, from: number, data: unknown): void {
    if (this.size === this.kind.length) this.grow();
    const i = (this.head + this.size) & (this.kind.length - 1);
    this.kind[i] = kind;
    this.from[i] = from;
    this.data[i] = data;
    this.size++;
  }

  /** Drops the oldest entry (read it at `head` first). */
  shift(): void {
    if (this.size <= 0) throw new InvariantError('a node\'s work queue was shifted while empty');
    this.data[this.head] = undefined;
    this.head = (this.head + 1) & (this.kind.length - 1);
    this.size--;
  }

  clear(): void {
    this.data.fill(undefined);
    this.head = 0;
    this.size = 0;
  }

  private grow(): void {
    const c = this.kind.length;
    const kind = new Uint8Array(2 * c);
    const from = new Int32Array(2 * c);
    const data = new Array<unknown>(2 * c).fill(undefined);
    for (let k = 0; k < c; k++) {
      const i = (this.head + k) & (c - 1);
      kind[k] = this.kind[i];
      from[k] = this.from[i];
      data[k] = this.data[i];
    }
    this.kind = kind;
    this.from = from;
    this.data = data;
    this.head = 0;
  }
}

export interface NodeSpec {
  name: string;
  cores: number;
  upload_bps: number;
  download_bps: number;
  /**
   * Whether the node reads the slot tick locally at each slot boundary (TOP: every node with an
   * ideal clock; only the REC nodes when REC nodes certify the clock). Default true.
   */
  ticks?: boolean;
}

/** The link model's parameters (sim/net/link.ts) and the engine's. */
export interface NetParams extends LinkParams {
  failure_detect_us: number;
  tick_us: number;
  message_base_us: number;
  /**
   * Message kinds whose group broadcasts travel as flows (sim/net/flow.ts): the family's bulk
   * kinds at `network.fidelity: flow`. Empty or absent: every message is packets.
   */
  flow_kinds?: readonly number[];
}

/**
 * Per-node counters the metrics layer reads after the run. Bytes and messages out count a copy
 * once it has left the uplink by the end of the run; bytes and messages in once it is downloaded.
 * The link model keeps the link counters (LinkCounters); the engine the CPU and crash ones.
 */
export class NodeCounters implements LinkCounters {
  bytes_in = 0;
  bytes_out = 0;
  msgs_in = 0;
  msgs_out = 0;
  cpu_busy_us = 0;
  dropped_loss = 0;
  dropped_partition = 0;
  crashed_us = 0;
}

class NodeRuntime implements Env {
  readonly self: number;
  now_us = 0;
  alive = true;
  epoch = 0;
  seq = 0;
  /** Per core: the time it finishes its current work (free when <= now). */
  readonly coreFree: Float64Array;
  /** Time of the pending WAKE event, -1 when none. */
  wakeAt = -1;
  crashed_at_us = 0;
  readonly work = new WorkQueue();
  readonly digest = new Digest64();
  readonly counters = new NodeCounters();
  /** The node's link state (sim/net/link.ts). */
  readonly port: LinkPort;
  known_down: Uint8Array | null = null;
  /** Per peer: the epoch of the latest failure-detector notice heard about it. */
  peer_epoch: Int32Array | null = null;
  /** The node's clock faults, and its local clock under them (null: an exact clock). */
  readonly clockWindows: ClockWindow[] = [];
  clock: LocalClock | null = null;
  /** The last slot tick the node saw by its own clock (ticks never repeat). */
  lastTick = 0;
  // Outputs of the running handler.
  cost_us = 0;
  readonly outSends: (number | Msg)[] = [];
  readonly outBroadcasts: (Int32Array | Msg)[] = [];
  readonly outTimers: (number | Timer)[] = [];
  readonly outArrivals: (number | Timer)[] = [];
  pendingCrash: number | null | undefined = undefined;
  readonly observe: Observe;

  constructor(
    readonly sim: Simulation,
    id: number,
    readonly spec: NodeSpec,
    net: Stream,
    public logic: NodeLogic,
  ) {
    this.self = id;
    this.coreFree = new Float64Array(spec.cores);
    this.observe = new NodeRecords(sim, id);
    this.port = new LinkPort(id, spec, net, this.counters);
  }

  send(to: number, msg: Msg): void {
    this.outSends.push(to, msg);
  }
  broadcast(members: Int32Array, msg: Msg): void {
    this.outBroadcasts.push(members, msg);
  }
  setTimer(after_us: number, timer: Timer): void {
    this.outTimers.push(after_us, timer);
  }
  setArrival(at_us: number, timer: Timer): void {
    this.outArrivals.push(at_us, timer);
  }
  charge(cost_us: number): void {
    this.cost_us += cost_us;
  }
  crashSelf(until_us: number | null): void {
    this.pendingCrash = until_us;
  }
  knownDown(node: number): boolean {
    return this.known_down !== null && this.known_down[node] === 1;
  }
}

/** A node's observation records, stamped with the node and the simulated time of the handler. */
class NodeRecords implements Observe {
  constructor(private readonly sim: Simulation, private readonly node: number) {}
  submit(tx: number, at_us: number, cls: number): void {
    this.sim.records.submit(this.node, this.sim.now_us, tx, at_us, cls);
  }
  reject(tx: number, reason: number): void {
    this.sim.records.reject(this.node, this.sim.now_us, tx, reason);
  }
  view(chain: number, view: number): void {
    this.sim.records.view(this.node, this.sim.now_us, chain, view);
  }
  commit(key: CommitKey, block: object, state: number): void {
    this.sim.records.commit(this.node, this.sim.now_us, key, block, state);
  }
  sync(key: CommitKey, block: object, bytes: number): void {
    this.sim.records.sync(this.node, this.sim.now_us, key, block, bytes);
  }
  note(kind: number, chain: number, value: number): void {
    this.sim.records.note(this.node, this.sim.now_us, kind, chain, value);
  }
}

export type ProgressFn = (now_us: number, events: number) => void;

/** Where events for nodes that another worker runs go (a partitioned run, docs/DESIGN.md "Parallel runner"). */
export type RemoteFn = (time_us: number, origin: number, seq: number, target: number, kind: number, a0: number, a1: number, data: unknown) => void;

/** Per-node digests at fixed simulated times, for locating where two runs diverge. */
export class Checkpoints {
  readonly times: number[] = [];
  /** Per checkpoint: two 32-bit lanes per node (0 for nodes this instance does not run). */
  readonly lanes: Int32Array[] = [];
  constructor(readonly every_us: number) {}
}

/** Per-event digests of chosen nodes in a time range (the second, narrow pass of the divergence finder). */
export class EventTrace {
  /** Rows of [time, node, kind, origin, seq, h1, h2]. */
  readonly rows: number[] = [];
  constructor(readonly nodes: Uint8Array, readonly from_us: number, readonly to_us: number) {}
}

/**
 * Observes handled work for a timeline (sim/report/trace.ts). Called only when set, so a run
 * without it pays one null check per unit of work; it reads and never changes the simulation.
 */
export interface WorkTrace {
  /**
   * Node `node` started a unit of work (`what`: 0 a message from `from`, 1 a timer, 2 a clock
   * tick; `data` the message, timer or tick number) at `start_us` on core `core`, charged `cost_us`.
   */
  work(node: number, core: number, what: number, from: number, data: unknown, start_us: number, cost_us: number): void;
  /** `node` crashed (EV.CRASH; `arg` the restart time or -1) or restarted (EV.RESTART; `arg` 1 if its state was lost). */
  lifecycle(node: number, kind: number, at_us: number, arg: number): void;
  /**
   * The handler `node` is ending sent a copy whose arrival is event (`node`, `seq`) (before
   * `work` reports that handler): a trace's flow starts there.
   */
  sent?(node: number, seq: number): void;
  /** The copy of event (`origin`, `seq`) reached `node`'s downlink; `msg` is the message it will handle. */
  arrived?(node: number, msg: unknown, origin: number, seq: number, at_us: number): void;
  /**
   * `node`, a relay of a tree or flow, forwarded `msg` on at `at_us` (its forwarded copies were
   * reported through `sent` just before): a trace's flow starts there.
   */
  relayed?(node: number, msg: { kind: number }, at_us: number): void;
}

export class Simulation {
  readonly queue = new EventQueue(1 << 14);
  readonly nodes: NodeRuntime[] = [];
  now_us = 0;
  events = 0;
  /** The links between the nodes: uplinks, propagation, downlinks, relay trees. */
  readonly links: LinkModel;
  /** Messages sent per kind (every copy, relays included), indexed by kind (the link model's). */
  readonly msgCount: number[];
  /** Messages sent per (kind, chain) for messages of a chain: key kind * 65536 + chain. */
  readonly msgTableCount: Map<number, number>;
  /** Bytes sent per simulated second. */
  readonly bytesPerSecond: number[];
  readonly lookahead_us: number;
  /** In a partitioned run: 1 for the nodes this instance runs; null when it runs them all. */
  private local: Uint8Array | null = null;
  private remote: RemoteFn | null = null;
  /** True while nodes start (their handlers run before any event), and which node is starting. */
  starting = false;
  current = -1;
  private checkpoints: Checkpoints | null = null;
  private nextCheckpoint = Infinity;
  private trace: EventTrace | null = null;
  private workTrace: WorkTrace | null = null;
  /** The node whose ending handler is sending now (its sends are flushed), or -1. */
  private sending = -1;
  /** Where the nodes' observation records go (Env.observe); set by the runner before the run. */
  records: RecordSink = NO_RECORDS;
  /** Per message kind: 1 when its group broadcasts travel as flows (NetParams.flow_kinds). */
  private readonly flowKinds: Uint8Array | null;

  constructor(
    readonly seed: number,
    readonly topo: NetTopology,
    readonly params: NetParams,
    /** The chain a message belongs to (the family's; per-chain message counts). */
    chainOf?: ChainOf,
  ) {
    this.lookahead_us = topo.minLatency();
    if (!(this.lookahead_us > 0)) {
      throw new Error(`network: the minimum link latency must be > 0 µs (lookahead), got ${this.lookahead_us}`);
    }
    this.links = new LinkModel(topo, params, {
      arrive: (at_us, from, to, pos, data) => this.scheduleArrive(at_us, from, to, pos, data),
    }, chainOf);
    const fk = params.flow_kinds ?? [];
    this.flowKinds = fk.length > 0 ? new Uint8Array(Math.max(...fk) + 1) : null;
    for (const k of fk) this.flowKinds![k] = 1;
    this.msgCount = this.links.msgCount;
    this.msgTableCount = this.links.msgTableCount;
    this.bytesPerSecond = this.links.bytesPerSecond;
  }

  addNode(spec: NodeSpec, logic: NodeLogic): number {
    const id = this.nodes.length;
    const net = new Stream(streamSeed(this.seed, 'node', id, 'net'));
    this.nodes.push(new NodeRuntime(this, id, spec, net, logic));
    return id;
  }

  /**
   * Runs only the nodes marked in `local`; events for the others go to `remote`. Every such event
   * is a message or a failure notice, at least one lookahead after the time it is scheduled.
   */
  partition(local: Uint8Array, remote: RemoteFn): void {
    if (local.length !== this.nodes.length) throw new Error(`partition: ${local.length} flags for ${this.nodes.length} nodes`);
    this.local = local;
    this.remote = remote;
  }

  /** Whether this instance runs node `i`. */
  runs(i: number): boolean {
    return this.local === null || this.local[i] === 1;
  }

  /** Records every local node's digest at each multiple of `every_us` (before events at that time). */
  recordCheckpoints(every_us: number): Checkpoints {
    if (!(every_us > 0)) throw new Error(`checkpoint interval must be > 0, got ${every_us}`);
    this.checkpoints = new Checkpoints(every_us);
    this.nextCheckpoint = every_us;
    return this.checkpoints;
  }

  /** Records each event of the marked nodes in [from_us, to_us) with the node's digest after it. */
  recordTrace(nodes: Uint8Array, from_us: number, to_us: number): EventTrace {
    this.trace = new EventTrace(nodes, from_us, to_us);
    return this.trace;
  }

  /** Reports each unit of work, crash and restart to `t` from now on (null: stop). */
  traceWork(t: WorkTrace | null): void {
    this.workTrace = t;
  }

  /**
   * Schedules an event whose origin is node `origin` (its own counter orders it). Callers are the
   * schedule* methods below, one per kind, which fill a0 and a1 as the table at EV says.
   */
  private schedule(time_us: number, origin: number, target: number, kind: number, a0: number, a1: number, data: unknown): void {
    const seq = this.nodes[origin].seq++;
    // A trace's flow: the copy a handler sends (its arrival event names the sender and this seq).
    if (kind === EV.ARRIVE && origin === this.sending && this.workTrace?.sent !== undefined) this.workTrace.sent(origin, seq);
    if (this.local !== null && this.local[target] === 0) {
      // Conservative synchronisation rests on this: another worker may already be a lookahead on.
      if (time_us < this.now_us + this.lookahead_us) {
        throw new InvariantError(`event kind ${kind} from node ${origin} at ${this.now_us} µs for node ${target} on another worker at ${time_us} µs, within the lookahead ${this.lookahead_us} µs`);
      }
      this.remote!(time_us, origin, seq, target, kind, a0, a1, data);
      return;
    }
    this.queue.push(time_us, origin, seq, target, kind, a0, a1, data);
  }

  /**
   * Node `n` sends hop `h` of a flow (planned by the link model): the hop's children take their
   * copies at its first arrival, all under one key (n, one seq), whichever worker runs them.
   * This instance's children share one event; each child another worker runs gets its own.
   */
  private scheduleFlowHop(n: NodeRuntime, h: FlowHop): void {
    const t = firstArrival(h);
    if (t === Infinity) return;
    // A hop counts as one event, where it is sent (however many workers its children span).
    this.events++;
    const seq = n.seq++;
    // A trace's flow: the hop's children each take a copy under this key.
    if (n.self === this.sending && this.workTrace?.sent !== undefined) this.workTrace.sent(n.self, seq);
    const order = h.flow.tree.order;
    const first = firstChild(h.flow.tree, h.parent);
    const arrive = h.arrive;
    let local = -1;
    for (let k = 0; k < arrive.length; k++) {
      if (arrive[k] < 0) continue;
      const m = order[first + k];
      if (this.local === null || this.local[m] === 1) {
        if (local < 0) local = m;
        continue;
      }
      if (t < this.now_us + this.lookahead_us) {
        throw new InvariantError(`flow from node ${n.self} at ${this.now_us} µs reaches node ${m} on another worker at ${t} µs, within the lookahead ${this.lookahead_us} µs`);
      }
      this.remote!(t, n.self, seq, m, EV.FLOW, k, 0, h);
    }
    if (local >= 0) this.queue.push(t, n.self, seq, local, EV.FLOW, ALL_LOCAL, 0, h);
  }

  /** The k-th child of hop `h` takes its copy (a FLOW event, now). */
  private takeFlow(h: FlowHop, k: number, origin: number, seq: number): void {
    const tree = h.flow.tree;
    const pos = firstChild(tree, h.parent) + k;
    const m = this.nodes[tree.order[pos]];
    const msg = h.flow.msg;
    m.digest.event(this.now_us, EV.FLOW, origin, seq, msg.dw);
    if (this.trace !== null) this.traceRow(this.trace, m.self, EV.FLOW, origin, seq);
    if (!m.alive) return;
    if (this.workTrace?.arrived !== undefined) this.workTrace.arrived(m.self, msg, origin, seq, this.now_us);
    const done = this.links.flowReceive(m.port, h, k, this.now_us);
    // A relay plans its own hop when it has the copy (DELIVERED), from its uplink as it is then.
    if (firstChild(tree, pos) < tree.order.length) this.scheduleDelivered(m, done, tree.order[h.parent], pos, h.flow);
    else this.scheduleDelivered(m, done, tree.order[h.parent], NOT_RELAYED, msg);
  }

  /** A copy from `from` reaches the downlink of `to` (the link model's LinkEvents.arrive). */
  private scheduleArrive(at_us: number, from: number, to: number, pos: number, data: Msg | Relayed): void {
    this.schedule(at_us, from, to, EV.ARRIVE, from, pos, data);
  }

  /** The copy of an ARRIVE event is fully received by `n` at `at_us` (its arguments carry over). */
  private scheduleDelivered(n: NodeRuntime, at_us: number, from: number, pos: number, data: unknown): void {
    this.schedule(at_us, n.self, n.self, EV.DELIVERED, from, pos, data);
  }

  /** A core of `n` frees up at `at_us` while work waits. */
  private scheduleWake(n: NodeRuntime, at_us: number): void {
    this.schedule(at_us, n.self, n.self, EV.WAKE, n.epoch, 0, null);
  }

  /** A timer (or an external arrival) of `n` fires at `at_us`. */
  private scheduleTimer(n: NodeRuntime, at_us: number, timer: Timer): void {
    this.schedule(at_us, n.self, n.self, EV.TIMER, n.epoch, 0, timer);
  }

  /** `n` sees slot tick `tick` at `at_us`. */
  private scheduleClock(n: NodeRuntime, at_us: number, tick: number): void {
    this.schedule(at_us, n.self, n.self, EV.TICK, tick, n.epoch, null);
  }

  /** `n` restarts at `at_us`, without the state it held when `lost`. */
  private scheduleRestart(n: NodeRuntime, at_us: number, lost: boolean): void {
    this.schedule(at_us, n.self, n.self, EV.RESTART, lost ? 1 : 0, 0, null);
  }

  /** The failure detector tells `to` at `at_us` that `n` (in its current epoch) is down or up. */
  private schedulePeerNotice(n: NodeRuntime, at_us: number, to: number, kind: typeof EV.PEER_DOWN | typeof EV.PEER_UP): void {
    this.schedule(at_us, n.self, to, kind, n.self, n.epoch, null);
  }

  /** Inserts an event another worker scheduled for one of this instance's nodes. */
  insert(time_us: number, origin: number, seq: number, target: number, kind: number, a0: number, a1: number, data: unknown): void {
    if (this.local !== null && this.local[target] !== 1) throw new Error(`event for node ${target}, which another worker runs`);
    if (time_us < this.now_us) {
      throw new InvariantError(`event kind ${kind} from node ${origin} for node ${target} at ${time_us} µs, before this worker's time ${this.now_us} µs`);
    }
    this.queue.push(time_us, origin, seq, target, kind, a0, a1, data);
  }

  /** Time of the earliest pending event (Infinity when none). */
  nextTime(): number {
    return this.queue.size > 0 ? this.queue.peekTime() : Infinity;
  }

  /**
   * Pre-run scheduling of a crash (and optional restart) for a node. With `lost` the node restarts
   * without the state it held (NodeLogic.onRestart is told so).
   */
  scheduleCrash(node: number, at_us: number, until_us: number | null, lost = false): void {
    this.schedule(at_us, node, node, EV.CRASH, until_us === null ? NO_RESTART : 0, lost ? 1 : 0, until_us);
  }

  /**
   * Pre-run: a clock fault of node `i` (sim/engine/localclock.ts). From then on the node sees each
   * slot tick k when its local clock first reads k tick intervals (if it reads the clock
   * itself: NodeSpec.ticks), and a timer set for `after_us` when its local clock has moved on by
   * that much. Everything else it does stays in real time: handlers see real `now_us`, and a
   * node that follows REC certificates moves its views when they arrive, so only its timers move.
   */
  addClockFault(i: number, w: ClockWindow): void {
    const n = this.nodes[i];
    n.clockWindows.push(w);
    n.clock = new LocalClock(n.clockWindows);
  }

  /**
   * The real time a node sees slot tick `k`, not before `from_us`: the first time its
   * local clock reads k intervals (Infinity: its clock never gets there). Only for nodes with
   * clock faults; the others tick at k * interval exactly.
   */
  private tickAt(clock: LocalClock, k: number, from_us: number): number {
    return clock.firstAtLeast(from_us, k * this.params.tick_us);
  }

  start(): void {
    this.starting = true;
    for (const n of this.nodes) {
      if (!this.runs(n.self)) continue;
      if (n.spec.ticks !== false) {
        const at = n.clock === null ? this.params.tick_us : this.tickAt(n.clock, 1, 0);
        if (at !== Infinity) this.scheduleClock(n, at, 1);
      }
      this.current = n.self;
      this.beginHandler(n);
      n.logic.onStart(n);
      this.endHandler(n, -1);
    }
    this.starting = false;
  }

  /** Runs until the queue is empty or the next event is at or after `until_us`. */
  run(until_us: number, progress?: ProgressFn, progressEvery = 16_384): void {
    for (;;) {
      const cp = this.nextCheckpoint;
      if (cp > until_us) break;
      this.loop(cp, progress, progressEvery);
      this.checkpoint(cp);
      this.nextCheckpoint = cp + this.checkpoints!.every_us;
    }
    this.loop(until_us, progress, progressEvery);
    if (this.now_us < until_us) this.now_us = until_us;
  }

  private loop(until_us: number, progress: ProgressFn | undefined, progressEvery: number): void {
    const q = this.queue;
    let nextProgress = this.events + progressEvery;
    const trace = this.trace;
    while (q.size > 0 && q.peekTime() < until_us) {
      q.pop();
      if (q.top_time < this.now_us) {
        throw new InvariantError(`event kind ${q.top_kind} for node ${q.top_target} at ${q.top_time} µs, after ${this.now_us} µs`);
      }
      this.now_us = q.top_time;
      this.events++;
      this.handle(q.top_kind, q.top_target, q.top_origin, q.top_seq, q.top_a0, q.top_a1, q.top_data);
      // A FLOW event's children each leave their own row (takeFlow).
      if (trace !== null && q.top_kind !== EV.FLOW) this.traceRow(trace, q.top_target, q.top_kind, q.top_origin, q.top_seq);
      if (progress && this.events >= nextProgress) {
        nextProgress += progressEvery;
        progress(this.now_us, this.events);
      }
    }
  }

  private checkpoint(at_us: number): void {
    const c = this.checkpoints!;
    const lanes = new Int32Array(this.nodes.length * 2);
    for (const n of this.nodes) {
      if (!this.runs(n.self)) continue;
      lanes[2 * n.self] = n.digest.h1;
      lanes[2 * n.self + 1] = n.digest.h2;
    }
    c.times.push(at_us);
    c.lanes.push(lanes);
  }

  private traceRow(tr: EventTrace, node: number, kind: number, origin: number, seq: number): void {
    const t = this.now_us;
    if (t < tr.from_us || t >= tr.to_us || tr.nodes[node] !== 1) return;
    const d = this.nodes[node].digest;
    tr.rows.push(t, node, kind, origin, seq, d.h1, d.h2);
  }

  digest(): string {
    if (this.local !== null) throw new Error('a partitioned run\'s digest is combined from all workers');
    return runDigest(this.nodes.map((n) => n.digest));
  }

  /** Node `i`'s running digest (its two 32-bit lanes). */
  /** Whether `node`'s failure detector currently holds `peer` to be down. */
  believesDown(node: number, peer: number): boolean {
    return this.nodes[node].knownDown(peer);
  }

  nodeDigest(i: number): Digest64 {
    return this.nodes[i].digest;
  }

  nodeDigests(): string[] {
    return this.nodes.map((n) => n.digest.hex());
  }

  counters(i: number): NodeCounters {
    return this.nodes[i].counters;
  }

  /** Node `i`'s program (read-only inspection: tests, the visualizer's node inspector). */
  logicOf(i: number): NodeLogic {
    return this.nodes[i].logic;
  }

  /** Units of work waiting for a core at node `i` (the page's inspector). */
  workQueued(i: number): number {
    return this.nodes[i].work.size;
  }

  isAlive(i: number): boolean {
    return this.nodes[i].alive;
  }

  /** Finalizes per-node figures at the end of the run (downtime of nodes still crashed). */
  finish(): void {
    for (const n of this.nodes) if (this.runs(n.self) && !n.alive) n.counters.crashed_us += this.now_us - n.crashed_at_us;
  }

  private handle(kind: number, target: number, origin: number, seq: number, a0: number, a1: number, data: unknown): void {
    const n = this.nodes[target];
    const now = this.now_us;
    switch (kind) {
      case EV.ARRIVE: {
        const msg = (arriveRelayed(a0, a1) ? (data as Relayed).msg : data) as Msg;
        n.digest.event(now, kind, origin, seq, msg.dw);
        if (!n.alive) return;
        if (this.workTrace?.arrived !== undefined) this.workTrace.arrived(n.self, msg, origin, seq, now);
        const done = this.links.download(n.port, msg.bytes, now);
        this.scheduleDelivered(n, done, arriveFrom(a0, a1), arrivePos(a0, a1), data);
        return;
      }
      case EV.DELIVERED: {
        const relayed = arriveRelayed(a0, a1) ? (data as Relayed) : null;
        const msg = (relayed ? relayed.msg : data) as Msg;
        n.digest.event(now, kind, origin, seq, msg.dw);
        if (!n.alive) return;
        this.links.received(n.port, msg);
        if (relayed) {
          // A trace sees the copies a relay forwards as its sends (only the trace reads `sending`).
          const wt = this.workTrace;
          if (wt?.relayed !== undefined) this.sending = n.self;
          const fk = this.flowKinds;
          if (fk !== null && fk[msg.kind] === 1) {
            // A flow's relay: its hop to its children (sim/net/flow.ts).
            const h = this.links.flowHop(n.port, relayed, arrivePos(a0, a1), now);
            if (h !== null) this.scheduleFlowHop(n, h);
          } else this.links.relay(n.port, relayed, arrivePos(a0, a1), now);
          if (wt?.relayed !== undefined) {
            this.sending = -1;
            wt.relayed(n.self, msg, now);
          }
        }
        this.enqueueWork(n, WORK_MSG, arriveFrom(a0, a1), msg);
        return;
      }
      case EV.WAKE: {
        n.digest.event(now, kind, origin, seq, 0);
        if (ownEpoch(a0, a1) !== n.epoch) return; // queued work was lost in a crash
        if (n.wakeAt === now) n.wakeAt = -1;
        this.startWork(n);
        return;
      }
      case EV.TIMER: {
        const t = data as Timer;
        n.digest.event(now, kind, origin, seq, t.dw);
        if (!n.alive || ownEpoch(a0, a1) !== n.epoch) return;
        this.enqueueWork(n, WORK_TIMER, target, t);
        return;
      }
      case EV.TICK: {
        const tick = tickNumber(a0, a1);
        n.digest.event(now, kind, origin, seq, tick);
        if (!n.alive || tickEpoch(a0, a1) !== n.epoch) return;
        n.lastTick = tick;
        // A skewed clock sees the next tick strictly later, so a clock set back never repeats one.
        const at = n.clock === null ? now + this.params.tick_us : this.tickAt(n.clock, tick + 1, now + 1);
        if (at !== Infinity) this.scheduleClock(n, at, tick + 1);
        this.enqueueWork(n, WORK_TICK, target, tick);
        return;
      }
      case EV.CRASH: {
        n.digest.event(now, kind, origin, seq, 0);
        this.crash(n, crashRestarts(a0, a1) ? (data as number) : null, crashLost(a0, a1));
        return;
      }
      case EV.RESTART: {
        // Folds 1 when the node lost its state (0 keeps the digest of crashes with state kept).
        const lost = restartLost(a0, a1);
        n.digest.event(now, kind, origin, seq, lost);
        if (n.alive) return;
        n.alive = true;
        if (this.workTrace !== null) this.workTrace.lifecycle(target, EV.RESTART, now, lost);
        n.counters.crashed_us += now - n.crashed_at_us;
        n.epoch++;
        this.links.restart(n.port, now);
        // Clock ticks resume at the next tick boundary (by the node's own clock, after its last tick).
        const ci = this.params.tick_us;
        if (n.spec.ticks !== false) {
          if (n.clock === null) {
            const next = Math.floor(now / ci) + 1;
            this.scheduleClock(n, next * ci, next);
          } else {
            const next = Math.max(n.lastTick, Math.floor(n.clock.read(now) / ci)) + 1;
            const at = this.tickAt(n.clock, next, now + 1);
            if (at !== Infinity) this.scheduleClock(n, at, next);
          }
        }
        this.notifyPeers(n, EV.PEER_UP, this.lookahead_us);
        this.beginHandler(n);
        n.logic.onRestart(n, lost === 1);
        this.endHandler(n, -1);
        return;
      }
      case EV.FLOW: {
        // Counted where the hop was sent (scheduleFlowHop).
        this.events--;
        const h = data as FlowHop;
        const k = flowChild(a0, a1);
        if (k !== ALL_LOCAL) {
          this.takeFlow(h, k, origin, seq);
          return;
        }
        const order = h.flow.tree.order;
        const first = firstChild(h.flow.tree, h.parent);
        for (let c = 0; c < h.arrive.length; c++) if (h.arrive[c] >= 0 && this.runs(order[first + c])) this.takeFlow(h, c, origin, seq);
        return;
      }
      case EV.PEER_DOWN:
      case EV.PEER_UP: {
        const peer = peerOf(a0, a1);
        n.digest.event(now, kind, origin, seq, peer);
        if (n.known_down === null) {
          n.known_down = new Uint8Array(this.nodes.length);
          n.peer_epoch = new Int32Array(this.nodes.length);
        }
        // A crash shorter than the detection delay: its "down" notice comes after the "up" one,
        // and must not leave the peer believed down for good. Each notice carries the peer's
        // epoch; an older one than already heard is stale.
        const epoch = peerEpoch(a0, a1);
        if (epoch < n.peer_epoch![peer]) return;
        n.peer_epoch![peer] = epoch;
        n.known_down[peer] = kind === EV.PEER_DOWN ? 1 : 0;
        return;
      }
      default:
        throw new Error(`unknown event kind ${kind}`);
    }
  }

  private crash(n: NodeRuntime, until_us: number | null, lost: boolean): void {
    if (!n.alive) return;
    if (this.workTrace !== null) this.workTrace.lifecycle(n.self, EV.CRASH, this.now_us, until_us === null ? -1 : until_us);
    n.alive = false;
    n.crashed_at_us = this.now_us;
    n.epoch++;
    n.coreFree.fill(this.now_us);
    n.wakeAt = -1;
    n.work.clear();
    this.notifyPeers(n, EV.PEER_DOWN, this.params.failure_detect_us);
    if (until_us !== null) this.scheduleRestart(n, Math.max(until_us, this.now_us + 1), lost);
  }

  private notifyPeers(n: NodeRuntime, kind: typeof EV.PEER_DOWN | typeof EV.PEER_UP, delay_us: number): void {
    const t = this.now_us + Math.max(delay_us, this.lookahead_us);
    for (const p of this.nodes) if (p !== n) this.schedulePeerNotice(n, t, p.self, kind);
  }

  private enqueueWork(n: NodeRuntime, kind: number, from: number, data: unknown): void {
    n.work.push(kind, from, data);
    this.startWork(n);
  }

  /**
   * Starts queued work, in order, on cores that are free now; when work must wait, schedules one
   * WAKE at the time the earliest core frees up. An idle node handles a message with no extra event.
   */
  private startWork(n: NodeRuntime): void {
    const now = this.now_us;
    const cf = n.coreFree;
    const q = n.work;
    while (q.size > 0 && n.alive) {
      let c = 0;
      for (let k = 1; k < cf.length; k++) if (cf[k] < cf[c]) c = k;
      if (cf[c] > now) {
        if (n.wakeAt !== cf[c]) {
          n.wakeAt = cf[c];
          this.scheduleWake(n, cf[c]);
        }
        return;
      }
      const kind = q.kind[q.head];
      const from = q.from[q.head];
      const data = q.data[q.head];
      q.shift();
      this.beginHandler(n);
      if (kind === WORK_MSG) {
        n.charge(this.params.message_base_us);
        n.logic.onMessage(n, from, data as Msg);
      } else if (kind === WORK_TIMER) {
        n.logic.onTimer(n, data as Timer);
      } else {
        n.logic.onTick(n, data as number);
      }
      this.sending = n.self;
      const cost = this.endHandler(n, c);
      this.sending = -1;
      if (this.workTrace !== null) this.workTrace.work(n.self, c, kind, from, data, now, cost);
    }
  }

  /** Starts a handler of node `n` (run it with `n` as its Env, then call endHandler). */
  private beginHandler(n: NodeRuntime): void {
    n.now_us = this.now_us;
    n.cost_us = 0;
    n.pendingCrash = undefined;
  }

  /**
   * Ends the handler begun by beginHandler, run on core `core` (-1: outside the CPU model, e.g.
   * start-up): charges its work and releases its outputs at completion. Returns the charged cost (µs).
   */
  private endHandler(n: NodeRuntime, core: number): number {
    const now = this.now_us;
    const cost = Math.max(0, Math.round(n.cost_us));
    const done = now + cost;
    n.counters.cpu_busy_us += cost;
    // Each list is emptied only when it has entries: setting an array's length is a runtime call,
    // and most handlers leave most lists empty.
    const sends = n.outSends;
    if (sends.length !== 0) {
      for (let i = 0; i < sends.length; i += 2) this.links.send(n.port, sends[i] as number, sends[i + 1] as Msg, done);
      sends.length = 0;
    }
    const bcs = n.outBroadcasts;
    if (bcs.length !== 0) {
      const fk = this.flowKinds;
      for (let i = 0; i < bcs.length; i += 2) {
        const msg = bcs[i + 1] as Msg;
        if (fk !== null && fk[msg.kind] === 1) {
          const h = this.links.flowBroadcast(n.port, bcs[i] as Int32Array, n.known_down, msg, done);
          if (h !== null) this.scheduleFlowHop(n, h);
        } else this.links.broadcast(n.port, bcs[i] as Int32Array, n.known_down, msg, done);
      }
      bcs.length = 0;
    }
    const timers = n.outTimers;
    if (timers.length !== 0) {
      const clock = n.clock;
      for (let i = 0; i < timers.length; i += 2) {
        const after = timers[i] as number;
        // Under a clock fault the timer runs on the local clock: it fires once that has moved on by `after`.
        const at = clock === null ? done + after : clock.firstAtLeast(done, clock.read(done) + after);
        if (at !== Infinity) this.scheduleTimer(n, at, timers[i + 1] as Timer);
      }
      timers.length = 0;
    }
    const arrivals = n.outArrivals;
    if (arrivals.length !== 0) {
      // Arrivals come from outside the node: real time, not after this handler's work.
      for (let i = 0; i < arrivals.length; i += 2) {
        const at = arrivals[i] as number;
        this.scheduleTimer(n, at > now ? at : now, arrivals[i + 1] as Timer);
      }
      arrivals.length = 0;
    }
    if (n.pendingCrash !== undefined) {
      this.crash(n, n.pendingCrash, false);
      return cost;
    }
    if (core >= 0) n.coreFree[core] = done;
    return cost;
  }
}
