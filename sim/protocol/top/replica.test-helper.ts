/**
 * A harness for driving the replicas of one table directly, without the engine (tests only):
 * each replica gets a fake Env that records what it sends, broadcasts, arms and is charged, and
 * the test delivers messages and fires timers by hand, in the order it chooses. Time moves only
 * when the test says so; CPU, bandwidth and latency are not modelled (a message sent is waiting
 * in `inbox` until delivered).
 *
 * The ChainContext is the smallest honest one: one table, one validator group and one auditor
 * group of equal stake (leaders drawn by the real FTS from the seed), no edges on the network (the
 * test submits transfers itself), and any byzantine behaviour the test names.
 */
import type { Env, Msg, Timer } from '../../contract/env.js';
import type { Observe } from '../../contract/observe.js';
import {
  MSG, type Block, type CommitMsg, type PackTimer, type ProposalMsg, type StateReqMsg, type StateRespMsg,
  type StateTimer, type SyncReqMsg, type SyncRespMsg, type SyncTimer, type TxBatchMsg, type VoteMsg,
} from './messages.js';
import { ChainContext, quorum, SEAT_A, SEAT_V, COLLUDING, forksOf, type Epoch, type Misbehavior } from './context.js';
import type { AccountMap } from './ledger.js';
import { TxStore } from './txstore.js';
import { TableReplica } from './xbft.js';
import { createSigner } from '../../crypto/index.js';
import { parseScenario } from '../../scenario/index.js';
import { asTop } from './scenario.js';

/** One copy of a message on its way: broadcasts are recorded as one copy per recipient. */
export interface Sent {
  readonly from: number;
  readonly to: number;
  readonly msg: Msg;
  /** Sent by a broadcast (else a unicast). */
  readonly broadcast: boolean;
}

export interface Armed {
  readonly node: number;
  readonly at_us: number;
  readonly timer: Timer;
}

export interface Commit {
  readonly node: number;
  readonly height: number;
  readonly id: string;
  readonly view: number;
  readonly txs: readonly number[];
  readonly at_us: number;
}

/** What a replica did through its Env, in order. */
export type Effect =
  | { kind: 'send'; node: number; to: number; msg: Msg }
  | { kind: 'broadcast'; node: number; members: readonly number[]; msg: Msg }
  | { kind: 'timer'; node: number; after_us: number; timer: Timer }
  | { kind: 'charge'; node: number; cost_us: number }
  | { kind: 'crash'; node: number; until_us: number | null };

export interface HarnessOptions {
  validators?: number;
  auditors?: number;
  accounts?: number;
  seed?: number;
  /** Scenario `protocol` overrides (file form, e.g. `{ full_block_interval: 4 }`). */
  protocol?: Record<string, unknown>;
  /** Byzantine behaviours, by node id, from `at_us` (0) until `until_us` (for ever). */
  byzantine?: { node: number; behavior: Misbehavior['behavior']; at_us?: number; until_us?: number; delay_us?: number }[];
}

const TABLE = 0;

class FakeEnv implements Env {
  constructor(private readonly h: TableHarness, readonly self: number) {}
  get now_us(): number {
    return this.h.now_us;
  }
  send(to: number, msg: Msg): void {
    this.h.effects.push({ kind: 'send', node: this.self, to, msg });
    this.h.inbox.push({ from: this.self, to, msg, broadcast: false });
  }
  broadcast(members: Int32Array, msg: Msg): void {
    this.h.effects.push({ kind: 'broadcast', node: this.self, members: Array.from(members), msg });
    for (const to of members) if (to !== this.self) this.h.inbox.push({ from: this.self, to, msg, broadcast: true });
  }
  setTimer(after_us: number, timer: Timer): void {
    this.h.effects.push({ kind: 'timer', node: this.self, after_us, timer });
    this.h.timers.push({ node: this.self, at_us: this.h.now_us + after_us, timer });
  }
  setArrival(): void {
    throw new Error('a replica arms no arrivals');
  }
  charge(cost_us: number): void {
    this.h.effects.push({ kind: 'charge', node: this.self, cost_us });
    this.h.charged[this.self] += cost_us;
  }
  crashSelf(until_us: number | null): void {
    this.h.effects.push({ kind: 'crash', node: this.self, until_us });
    this.h.down.add(this.self);
  }
  knownDown(node: number): boolean {
    return this.h.down.has(node);
  }
  readonly observe: Observe = {
    submit: () => {},
    reject: () => {},
    note: () => {},
    view: (_table, view) => {
      this.h.views.push({ node: this.self, view, at_us: this.h.now_us });
    },
    commit: (_key, block) => {
      const b = block as Block;
      this.h.commits.push({ node: this.self, height: b.height, id: b.id, view: b.view, txs: Array.from(b.txs), at_us: this.h.now_us });
    },
    sync: (key) => {
      this.h.stateSyncs.push({ node: this.self, height: key.height, id: key.id, at_us: this.h.now_us });
    },
  };
}

export class TableHarness {
  readonly ctx: ChainContext;
  readonly txs: TxStore;
  readonly validators: number[];
  readonly auditors: number[];
  /** Replicas by node id (every node is a member of the one table). */
  readonly replicas: TableReplica[];
  readonly envs: FakeEnv[];
  now_us = 0;
  /** Messages sent and not yet delivered, oldest first. */
  readonly inbox: Sent[] = [];
  /** Timers armed and not yet fired. */
  readonly timers: Armed[] = [];
  readonly effects: Effect[] = [];
  readonly charged: number[];
  /** Nodes that are down: they get nothing, their timers never fire, and the others know it. */
  readonly down = new Set<number>();
  readonly commits: Commit[] = [];
  readonly views: { node: number; view: number; at_us: number }[] = [];
  readonly stateSyncs: { node: number; height: number; id: string; at_us: number }[] = [];
  private nextTx = 0;
  private readonly nonces: Uint32Array;

  constructor(o: HarnessOptions = {}) {
    const nV = o.validators ?? 4;
    const nA = o.auditors ?? 4;
    const accounts = o.accounts ?? 16;
    const sc = asTop(parseScenario({
      name: 'replica-harness', seed: o.seed ?? 1,
      topology: { validators: nV, auditors: nA, edges: 1 },
      workload: { accounts },
      protocol: o.protocol ?? {},
    }));
    const n = nV + nA;
    this.validators = Array.from({ length: nV }, (_, i) => i);
    this.auditors = Array.from({ length: nA }, (_, i) => nV + i);
    const names = [...this.validators.map((i) => `v${i}`), ...this.auditors.map((i) => `a${i - nV}`)];
    const misbehavior: Misbehavior[] = (o.byzantine ?? []).map((b) => ({
      node: b.node, behavior: b.behavior, at_us: b.at_us ?? 0, until_us: b.until_us ?? Infinity, delay_us: b.delay_us ?? 0,
    }));
    const colluding = new Set(misbehavior.filter((m) => COLLUDING.includes(m.behavior)).map((m) => m.node));
    // As the run builder splits them: colluders hear both forks, the others alternate.
    const forks = forksOf(colluding);
    const V = Int32Array.from(this.validators);
    const A = Int32Array.from(this.auditors);
    const seat = new Map<number, number>();
    for (const id of V) seat.set(id, SEAT_V);
    for (const id of A) seat.set(id, SEAT_A);
    const ones = (k: number) => Array.from({ length: k }, () => 1);
    const epoch: Epoch = {
      vgroup: 0, round: 0, elected_clock: 0, start_clock: 0,
      validators: V, auditors: A, members: Int32Array.from([...V, ...A]),
      weightsV: ones(nV), weightsA: ones(nA), thresholdV: quorum(nV), thresholdA: quorum(nA),
      forkV: forks(V), forkA: forks(A),
      leadersV: V, leaderWeightsV: ones(nV), leadersA: A, leaderWeightsA: ones(nA),
      seat, hearV: null, hearA: null, next: null, leaderMemo: new Map(),
    };
    const map: AccountMap = {
      tables: 1, tableOf: new Uint16Array(accounts), localIndex: Int32Array.from({ length: accounts }, (_, a) => a),
      tableAccounts: [Int32Array.from({ length: accounts }, (_, a) => a)],
    };
    this.txs = new TxStore(1);
    this.ctx = new ChainContext(sc, names, [[epoch]], new Int32Array(1), map, misbehavior, [], [],
      createSigner(sc.crypto, `${sc.seed}`), this.txs, this.validators, this.auditors);
    this.charged = Array.from({ length: n }, () => 0);
    this.nonces = new Uint32Array(accounts);
    this.envs = Array.from({ length: n }, (_, i) => new FakeEnv(this, i));
    this.replicas = Array.from({ length: n }, (_, i) => new TableReplica(this.ctx, i, TABLE, this.local));
  }

  /** One table: no receipts between a node's replicas. */
  private readonly local = { receipt: () => {}, state: () => {}, committed: () => {} };

  /**
   * Node `node` comes back with its state lost, as ConsensusNode.onRestart does: a new replica at
   * beacon clock `clock`, not synced, that sits out the view current when its state arrives, and
   * starts syncing the table's state. Its timers and the messages waiting for it are dropped.
   */
  restartLost(node: number, clock: number): TableReplica {
    this.down.delete(node);
    for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i].node === node) this.timers.splice(i, 1);
    this.take((s) => s.to === node);
    const r = new TableReplica(this.ctx, node, TABLE, this.local, false);
    r.clock = clock;
    r.lostVotes = true;
    this.replicas[node] = r;
    r.requestState(this.envs[node], 0);
    return r;
  }

  /** The leader of `view` (for blocks bound to clock `clock`). */
  leaderOf(view: number, clock = 0): number {
    return this.ctx.leaderOf(TABLE, view, clock);
  }

  /** Every replica starts (enters view 1; its leader starts packing). */
  start(): void {
    for (const r of this.replicas) if (!this.down.has(r.self)) r.start(this.envs[r.self]);
  }

  /** The beacon clock reaches `tick` at every live replica, in node order. */
  clock(tick: number): void {
    for (const r of this.replicas) if (!this.down.has(r.self)) r.onClock(this.envs[r.self], tick);
  }

  /**
   * A transfer from `sender` to `receiver` (next nonce), signed, handed to every live replica as
   * one batch (as the validators get it from the auditors). Returns its id.
   */
  submit(sender: number, receiver: number, amount = 1): number {
    const id = this.txs.idFor(0, this.nextTx++);
    this.txs.create(id, sender, receiver, amount, this.nonces[sender]++, this.now_us);
    this.txs.setSig(id, this.ctx.signer.sign(this.ctx.accountKey(sender), this.txs.hash(id)));
    const batch: TxBatchMsg = {
      kind: MSG.TX_BATCH, bytes: 64 + this.ctx.sc.sizes.tx_bytes, dw: this.txs.hashWord(id), table: TABLE,
      batch: id, txs: Int32Array.of(id), hop: 1,
    };
    for (const r of this.replicas) if (!this.down.has(r.self)) r.onTxBatch(this.envs[r.self], batch);
    return id;
  }

  /** Takes the waiting messages that `pick` selects out of the inbox (all by default), oldest first. */
  take(pick: (s: Sent) => boolean = () => true): Sent[] {
    const out: Sent[] = [];
    for (let i = 0; i < this.inbox.length;) {
      if (pick(this.inbox[i])) out.push(...this.inbox.splice(i, 1));
      else i++;
    }
    return out;
  }

  /** Hands one message to its recipient's replica (dropped if either end is down). */
  deliver(s: Sent): void {
    if (this.down.has(s.to) || this.down.has(s.from)) return;
    const r = this.replicas[s.to];
    const env = this.envs[s.to];
    const msg = s.msg;
    switch (msg.kind) {
      case MSG.PROPOSAL: r.onProposal(env, s.from, msg as ProposalMsg); return;
      case MSG.VOTE: r.onVote(env, msg as VoteMsg); return;
      case MSG.COMMIT: r.onCommitMsg(env, msg as CommitMsg); return;
      case MSG.SYNC_REQ: r.onSyncRequest(env, s.from, msg as SyncReqMsg); return;
      case MSG.SYNC_RESP: r.onSyncResponse(env, s.from, msg as SyncRespMsg); return;
      case MSG.STATE_REQ: r.onStateRequest(env, s.from, (msg as StateReqMsg).probe); return;
      case MSG.STATE_RESP: r.onStateResponse(env, s.from, msg as StateRespMsg); return;
      case MSG.TX_BATCH: r.onTxBatch(env, msg as TxBatchMsg); return;
      default: throw new Error(`the harness does not route message kind ${msg.kind}`);
    }
  }

  /** Delivers the waiting messages `pick` selects, oldest first (not those they cause). Returns them. */
  deliverAll(pick: (s: Sent) => boolean = () => true): Sent[] {
    const batch = this.take(pick);
    for (const s of batch) this.deliver(s);
    return batch;
  }

  /** Delivers messages, those they cause included, until none is waiting. */
  settle(limit = 100_000): void {
    for (let k = 0; this.inbox.length > 0; k++) {
      if (k >= limit) throw new Error('the harness did not settle');
      this.deliver(this.inbox.shift()!);
    }
  }

  /**
   * Fires the earliest armed timer due by `until_us` (the first armed among equals), moving time
   * to it. Returns it, or undefined when none is due.
   */
  fireNext(until_us = Infinity): Armed | undefined {
    let next = -1;
    for (let i = 0; i < this.timers.length; i++) {
      if (this.timers[i].at_us <= until_us && (next < 0 || this.timers[i].at_us < this.timers[next].at_us)) next = i;
    }
    if (next < 0) return undefined;
    const t = this.timers.splice(next, 1)[0];
    if (t.at_us > this.now_us) this.now_us = t.at_us;
    if (!this.down.has(t.node)) this.replicas[t.node].onTimer(this.envs[t.node], t.timer as PackTimer | SyncTimer | StateTimer);
    return t;
  }

  /** Moves time on to `until_us`, firing the timers due on the way and settling the messages after each. */
  advanceTo(until_us: number): void {
    this.settle();
    while (this.fireNext(until_us) !== undefined) this.settle();
    if (until_us > this.now_us) this.now_us = until_us;
  }

  /** The messages of kind `kind` that `effects` shows node `node` sending (unicast or broadcast). */
  sentBy(node: number, kind: number): Msg[] {
    const out: Msg[] = [];
    for (const e of this.effects) {
      if ((e.kind === 'send' || e.kind === 'broadcast') && e.node === node && e.msg.kind === kind && !out.includes(e.msg)) out.push(e.msg);
    }
    return out;
  }

  /** The unicasts of kind `kind` (by `node`, if given) recorded from effect `since` on, in order. */
  unicasts(kind: number, node?: number, since = 0): { from: number; to: number; msg: Msg }[] {
    const out: { from: number; to: number; msg: Msg }[] = [];
    for (let i = since; i < this.effects.length; i++) {
      const e = this.effects[i];
      if (e.kind === 'send' && e.msg.kind === kind && (node === undefined || e.node === node)) out.push({ from: e.node, to: e.to, msg: e.msg });
    }
    return out;
  }

  /** Commits by `node`, in order. */
  commitsOf(node: number): Commit[] {
    return this.commits.filter((c) => c.node === node);
  }
}
