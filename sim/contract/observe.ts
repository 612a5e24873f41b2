/**
 * Observation records: how protocol code says what happened, through its Env (`env.observe`).
 * Metrics and checks are built from these records only, so two families are measured and judged
 * by the same code; nothing reads a record back into the simulation, and recording changes no
 * event and no digest.
 *
 * The engine stamps each record with the node and the time of the handler that made it; in a run
 * over several workers each worker keeps its records keyed by the event being handled, and the
 * main thread replays them in the order one worker would have made them (sim/runner/record.ts).
 */

/** A block as the generic checks see it: its chain, height, hash and parent's hash. */
export interface CommitKey {
  readonly chain: number;
  readonly height: number;
  readonly id: string;
  readonly parent: string;
}

/** What a node reports; the Env stamps node and time. */
export interface Observe {
  /**
   * A client created transaction `tx` (ids dense from 0), offered at `at_us`; `cls` is its latency
   * class, an index into the family's `latencyClasses`.
   */
  submit(tx: number, at_us: number, cls: number): void;
  /** The node refused transaction `tx` (`reason` the family's code); a transaction refused anywhere counts as dropped once. */
  reject(tx: number, reason: number): void;
  /** The node moved to `view` on `chain`. */
  view(chain: number, view: number): void;
  /**
   * The node committed `block` (the family's block object, carried to the family's metrics and
   * checks as it is, and across workers by the family's codec). `state` is a number the family's
   * checks compare across nodes (TOP: the table's balance sum right after the commit).
   */
  commit(key: CommitKey, block: object, state: number): void;
  /** The node installed `key.chain`'s state as of `block` (a state sync), `bytes` transferred. */
  sync(key: CommitKey, block: object, bytes: number): void;
  /**
   * Something of the family's own happened that its summary counts (Bystack: a block mined, a
   * reorganisation and its depth): `kind` is the family's code, `value` its figure. The generic
   * layers only carry these to the family's checks (FamilyChecks.note), in the run's order.
   */
  note(kind: number, chain: number, value: number): void;
}

/** Where a run's records go: the same calls with the node and simulated time made explicit. */
export interface RecordSink {
  submit(node: number, now_us: number, tx: number, at_us: number, cls: number): void;
  reject(node: number, now_us: number, tx: number, reason: number): void;
  view(node: number, now_us: number, chain: number, view: number): void;
  commit(node: number, now_us: number, key: CommitKey, block: object, state: number): void;
  sync(node: number, now_us: number, key: CommitKey, block: object, bytes: number): void;
  note(node: number, now_us: number, kind: number, chain: number, value: number): void;
}

/** A sink that keeps nothing (nodes that run no program, tests of protocol code alone). */
export const NO_RECORDS: RecordSink = {
  submit() {}, reject() {}, view() {}, commit() {}, sync() {}, note() {},
};
