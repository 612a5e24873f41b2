/**
 * What protocol code sees of the world (sans-I/O, docs/DESIGN.md "Dependencies point one way").
 * Protocol code never imports the engine; the engine hands each node an Env and calls its
 * NodeLogic. The same protocol code can run in one process, a worker, a test harness or a page.
 */

/** Every message carries its size on the wire and a 32-bit digest word for the run digest. */
import type { Observe } from './observe.js';

export interface Msg {
  readonly kind: number;
  readonly bytes: number;
  readonly dw: number;
}

export interface Timer {
  readonly kind: number;
  readonly dw: number;
}

export interface Env {
  readonly self: number;
  /** Virtual time in integer microseconds at the start of the current handler. */
  readonly now_us: number;
  /** Unicast; leaves the uplink when the handler's CPU work completes. */
  send(to: number, msg: Msg): void;
  /**
   * Group broadcast over a relay tree (fan-out from the scenario) rooted at the sender, member or
   * not; every other live member gets one copy.
   */
  broadcast(members: Int32Array, msg: Msg): void;
  /** A timer that fires `after_us` after the handler's work completes. */
  setTimer(after_us: number, timer: Timer): void;
  /**
   * An event from outside the node, such as a client's request, at virtual time `at_us` (the
   * handler's start at the earliest). Unlike a timer it does not wait for this handler's work and
   * reads no local clock; when it fires it waits for a free core like a message.
   */
  setArrival(at_us: number, timer: Timer): void;
  /** Charge CPU time (µs of one core) to this node. */
  charge(cost_us: number): void;
  /** Crash this node now (a fault triggered by protocol state, e.g. "the leader of view N"). */
  crashSelf(until_us: number | null): void;
  /** Whether this node currently believes `node` is down (after the failure-detection delay). */
  knownDown(node: number): boolean;
  /** Where the node reports what happened (sim/contract/observe.ts): metrics and checks read it. */
  readonly observe: Observe;
}

export interface NodeLogic {
  onStart(env: Env): void;
  onMessage(env: Env, from: number, msg: Msg): void;
  onTimer(env: Env, timer: Timer): void;
  /**
   * The slot tick `tick` reached the node (one per tick interval, the family's clock: TOP's beacon
   * clock; only for nodes that read it, NodeSpec.ticks; under a clock fault, by the node's clock).
   */
  onTick(env: Env, tick: number): void;
  /**
   * Called when the node comes back after a crash. `lost`: it kept nothing but what it re-reads
   * from the chains (TOP: the beacon clock, elections); otherwise it resumes with the state it held.
   */
  onRestart(env: Env, lost: boolean): void;
}
