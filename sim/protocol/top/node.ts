/**
 * Node programs: a consensus member (validator or auditor) runs a TableReplica per table it
 * serves; an edge node runs the clients attached to it and forwards their transactions to the
 * auditor group of the sender's table (docs/PROTOCOL.md §9.1).
 */
import type { Env, Msg, NodeLogic, Timer } from '../../contract/env.js';
import {
  MSG, TIMER, CLASS_CROSS, CLASS_INTRA, type CommitMsg, type PackTimer, type ProposalMsg, type SyncReqMsg, type SyncRespMsg,
  type SyncTimer, type TxBatchMsg, type VoteMsg, type ReceiptMsg, type ReceiptStateMsg,
  type ReceiptPullMsg, type DutyTimer, type StateReqMsg, type StateRespMsg, type StateTimer, type ClockCertMsg,
} from './messages.js';
import { TableReplica, type LocalDelivery } from './xbft.js';
import { TX_NEEDS_CONFIRM, TX_SYSTEM } from './txstore.js';
import { AccountPicker } from '../../workload/accounts.js';
import { nextArrival } from '../../workload/schedule.js';
import { isSystemCall, pickReceiver } from './workload.js';
import type { ChainContext } from './context.js';
import { Stream } from '../../lib/random.js';

/**
 * What a silent byzantine node's replicas see of the world: time, timers and CPU as usual, but
 * nothing they send leaves the node. The engine still relays others' broadcasts through it (the
 * relay tree is the network layer's), so silence withholds only the node's own messages.
 */
class MutedEnv implements Env {
  constructor(readonly inner: Env) {}
  get self(): number {
    return this.inner.self;
  }
  get now_us(): number {
    return this.inner.now_us;
  }
  send(): void {}
  broadcast(): void {}
  setTimer(after_us: number, timer: Timer): void {
    this.inner.setTimer(after_us, timer);
  }
  setArrival(at_us: number, timer: Timer): void {
    this.inner.setArrival(at_us, timer);
  }
  charge(cost_us: number): void {
    this.inner.charge(cost_us);
  }
  crashSelf(until_us: number | null): void {
    this.inner.crashSelf(until_us);
  }
  knownDown(node: number): boolean {
    return this.inner.knownDown(node);
  }
  get observe(): Env['observe'] {
    return this.inner.observe;
  }
}

export class ConsensusNode implements NodeLogic {
  readonly replicas: (TableReplica | undefined)[] = [];
  private served: TableReplica[] = [];
  private env: Env | null = null;
  private readonly local: LocalDelivery;
  /** Next entry of this node's duty changes (elections) to apply. */
  private dutyNext = 0;
  /** The latest clock certificate received from the REC group. */
  private certClock = 0;
  private muted: MutedEnv | null = null;
  /** The last beacon clock tick this node saw (on a restart it reads the clock chain's head). */
  private clock = 0;

  constructor(readonly ctx: ChainContext, readonly id: number, tables: readonly number[]) {
    // Receipts and receipt-id state between this node's own tables are handed over directly.
    this.local = {
      receipt: (m) => { if (this.env && m.src !== m.dst) this.replicas[m.dst]?.onReceipt(this.env, m); },
      state: (m) => { for (const r of this.served) if (r.table !== m.table) r.onReceiptState(m); },
      committed: (table, ledger) => {
        for (const r of this.served) if (r.table !== table) r.learnCommitted(table, ledger.recvId[r.table], ledger.sendId[r.table]);
      },
    };
    for (const t of tables) {
      const r = new TableReplica(ctx, id, t, this.local);
      this.replicas[t] = r;
      this.served.push(r);
    }
  }

  /**
   * Elections (docs/PROTOCOL.md §7.4): when elected to a cluster this node starts a replica of each of
   * its tables and syncs their state from a current member; one clock after the round that no
   * longer has it starts, it drops the replica.
   */
  private applyDuties(env: Env, clock: number): void {
    const list = this.ctx.duties[this.id];
    let changed = false;
    while (this.dutyNext < list.length && list[this.dutyNext].clock <= clock) {
      const d = list[this.dutyNext++];
      const have = this.replicas[d.table];
      if (d.join) {
        if (have) continue;
        const r = new TableReplica(this.ctx, this.id, d.table, this.local, false);
        r.clock = clock;
        this.replicas[d.table] = r;
        r.requestState(env, 0);
        changed = true;
      } else if (have && !this.ctx.involved(this.id, d.table, clock)) {
        have.retire();
        this.replicas[d.table] = undefined;
        changed = true;
      }
    }
    if (changed) this.served = this.replicas.filter((r): r is TableReplica => r !== undefined);
  }

  private armDuties(env: Env): void {
    const p = this.ctx.sc.protocol;
    const periods = [p.receipt_state_us, p.receipt_resend_us, p.receipt_pull_us];
    periods.forEach((period, duty) => {
      const next = (Math.floor(env.now_us / period) + 1) * period;
      const t: DutyTimer = { kind: TIMER.RECEIPT_DUTY, dw: duty, duty };
      env.setTimer(Math.max(1, next - env.now_us), t);
    });
  }

  /** The Env for this handler: muted while this node is silent (a byzantine behaviour). */
  private out(env: Env): Env {
    if (!this.ctx.misbehaves(this.id, 'silent', env.now_us)) return env;
    if (this.muted === null || this.muted.inner !== env) this.muted = new MutedEnv(env);
    return this.muted;
  }

  onStart(real: Env): void {
    const env = this.out(real);
    this.env = real;
    for (const r of this.served) r.start(env);
    if (this.ctx.map.tables > 1) this.armDuties(env);
  }

  onTick(real: Env, clock: number): void {
    const env = this.out(real);
    if (clock > this.clock) this.clock = clock;
    this.applyDuties(env, clock);
    for (const r of this.served) r.onClock(env, clock);
  }

  /**
   * With its state lost the node rebuilds every table it serves from a peer, like a newly elected
   * member (applyDuties); which tables those are and the clock come from the chains, which it
   * re-reads. It cannot know in which views it voted before the crash: the replica stays out of
   * the view current when its state arrives (TableReplica.lostVotes).
   */
  onRestart(real: Env, lost: boolean): void {
    const env = this.out(real);
    if (lost) {
      for (const old of this.served) {
        old.retire();
        const r = new TableReplica(this.ctx, this.id, old.table, this.local, false);
        r.clock = this.clock;
        r.lostVotes = true;
        this.replicas[old.table] = r;
        r.requestState(env, 0);
      }
      this.served = this.replicas.filter((r): r is TableReplica => r !== undefined);
    } else {
      for (const r of this.served) r.onRestart(env);
    }
    if (this.ctx.map.tables > 1) this.armDuties(env);
  }

  onTimer(real: Env, t: Timer): void {
    const env = this.out(real);
    if (t.kind === TIMER.RECEIPT_DUTY) {
      const d = t as DutyTimer;
      for (const r of this.served) r.receiptDuty(env, d.duty);
      const p = this.ctx.sc.protocol;
      const period = [p.receipt_state_us, p.receipt_resend_us, p.receipt_pull_us][d.duty];
      env.setTimer(period, d);
      return;
    }
    const tt = t as PackTimer | SyncTimer | StateTimer;
    this.replicas[tt.table]?.onTimer(env, tt);
  }

  onMessage(real: Env, from: number, msg: Msg): void {
    const env = this.out(real);
    switch (msg.kind) {
      case MSG.TX_BATCH: {
        const m = msg as TxBatchMsg;
        this.replicas[m.table]?.onTxBatch(env, m);
        return;
      }
      case MSG.PROPOSAL: {
        const m = msg as ProposalMsg;
        this.replicas[m.block.table]?.onProposal(env, from, m);
        return;
      }
      case MSG.VOTE: {
        const m = msg as VoteMsg;
        this.replicas[m.table]?.onVote(env, m);
        return;
      }
      case MSG.COMMIT: {
        const m = msg as CommitMsg;
        this.replicas[m.qc.table]?.onCommitMsg(env, m);
        return;
      }
      case MSG.SYNC_REQ: {
        const m = msg as SyncReqMsg;
        this.replicas[m.table]?.onSyncRequest(env, from, m);
        return;
      }
      case MSG.SYNC_RESP: {
        const m = msg as SyncRespMsg;
        this.replicas[m.block.table]?.onSyncResponse(env, from, m);
        return;
      }
      case MSG.RECEIPT: {
        const m = msg as ReceiptMsg;
        this.replicas[m.dst]?.onReceipt(env, m);
        return;
      }
      case MSG.RECEIPT_STATE: {
        const m = msg as ReceiptStateMsg;
        for (const r of this.served) if (r.table !== m.table) r.onReceiptState(m);
        return;
      }
      case MSG.RECEIPT_PULL: {
        const m = msg as ReceiptPullMsg;
        this.replicas[m.src]?.onReceiptPull(env, m);
        return;
      }
      case MSG.CLOCK_CERT: {
        const m = msg as ClockCertMsg;
        if (m.clock <= this.certClock) return;
        this.certClock = m.clock;
        this.onTick(real, m.clock);
        return;
      }
      case MSG.STATE_REQ: {
        const m = msg as StateReqMsg;
        this.replicas[m.table]?.onStateRequest(env, from, m.probe);
        return;
      }
      case MSG.STATE_RESP: {
        const m = msg as StateRespMsg;
        this.replicas[m.table]?.onStateResponse(env, from, m);
        return;
      }
      default:
        return;
    }
  }
}

/**
 * An edge node with its clients. Accounts are owned by edges (account a by edge a mod E), so each
 * account's nonces are assigned in one place. Arrivals follow the workload's rate schedule (this
 * edge's share is 1/E), evenly spaced or Poisson; senders are drawn from the edge's accounts and
 * receivers from all accounts by the workload's popularity, with the intra-table share knob;
 * a share of transfers are system-contract calls. All draws come from the edge's own stream.
 */
export class EdgeNode implements NodeLogic {
  private readonly stream: Stream;
  private readonly nextNonce: Uint32Array;
  private readonly senders: AccountPicker;
  private k = 0;
  /** Transfers waiting for the next flush, per sender table. */
  private pending = new Map<number, number[]>();
  private flushArmed = false;
  /** The time of the armed client arrival. */
  private arrivalAt = 0;
  /** The beacon clock as this edge last heard it (it picks the auditor round to send to). */
  private clock = 0;

  constructor(
    readonly ctx: ChainContext,
    readonly id: number,
    /** Index of this edge among edges (= its client number). */
    readonly edgeIndex: number,
    readonly edges: number,
    stream: Stream,
  ) {
    this.stream = stream;
    const accounts = ctx.sc.workload.accounts;
    const own: number[] = [];
    for (let a = edgeIndex; a < accounts; a += edges) own.push(a);
    this.nextNonce = new Uint32Array(own.length);
    this.senders = new AccountPicker(own, ctx.sc.workload.popularity);
  }

  onStart(env: Env): void {
    this.scheduleNext(env, Math.max(0, this.ctx.sc.workload.start_us - 1));
  }

  /**
   * Arms the first arrival after `after_us`, if it falls before the stop time. Clients send on
   * their own schedule (an open-loop process): the time of an arrival depends on the previous
   * arrival only, not on when the edge got round to handling it, and an arrival that finds every
   * core busy waits for one.
   */
  private scheduleNext(env: Env, after_us: number): void {
    const w = this.ctx.sc.workload;
    const next = nextArrival(w.schedule, after_us, this.stream, w.arrival, 1 / this.edges);
    if (next === null || next >= w.stop_us) return;
    this.arrivalAt = next;
    env.setArrival(next, { kind: TIMER.ARRIVAL, dw: this.k });
  }

  onTimer(env: Env, t: Timer): void {
    if (t.kind === TIMER.ARRIVAL) {
      const at = this.arrivalAt;
      this.submit(env, at);
      this.scheduleNext(env, at);
    } else if (t.kind === TIMER.FLUSH) {
      this.flush(env);
    }
  }

  /** Handles the client transfer sent at `at_us` (the handler may start later, behind busy cores). */
  private submit(env: Env, at_us: number): void {
    const ctx = this.ctx;
    const sc = ctx.sc;
    const w = sc.workload;
    const stream = this.stream;
    const sender = this.senders.pick(stream);
    const receiver = pickReceiver(stream, ctx.receivers, sender, w.intra_share_percent);
    const system = isSystemCall(stream, w.system_call_percent);
    const amount = stream.int(1, w.amount_max);
    const local = Math.floor(sender / this.edges);
    let nonce = this.nextNonce[local];
    const replay = sc.sabotage.replay_nonce_percent;
    if (replay > 0 && nonce > 0 && stream.chance(Math.round(replay * 100), 10_000)) nonce = nonce - 1;
    else this.nextNonce[local] = nonce + 1;
    const id = ctx.txs.idFor(this.edgeIndex, this.k++);
    const map = ctx.map;
    const table = map.tableOf[sender];
    const cross = map.tableOf[receiver] !== table;
    // MC-5: a confirm leg for every cross-table transfer with `design`, for system calls always.
    const confirm = cross && (sc.variant === 'design' || system);
    const flags = (confirm ? TX_NEEDS_CONFIRM : 0) | (system ? TX_SYSTEM : 0);
    ctx.txs.create(id, sender, receiver, amount, nonce, at_us, flags);
    // The client signs; the edge checks the signature before forwarding.
    ctx.txs.setSig(id, ctx.signer.sign(ctx.accountKey(sender), ctx.txs.hash(id)));
    env.charge(sc.costs.verify_tx_us);
    env.observe.submit(id, at_us, cross ? CLASS_CROSS : CLASS_INTRA);
    let list = this.pending.get(table);
    if (!list) {
      list = [];
      this.pending.set(table, list);
    }
    list.push(id);
    if (list.length >= 256) this.flushTable(env, table);
    else if (!this.flushArmed) {
      this.flushArmed = true;
      env.setTimer(sc.protocol.edge_flush_us, { kind: TIMER.FLUSH, dw: this.k });
    }
  }

  private flush(env: Env): void {
    this.flushArmed = false;
    for (const table of [...this.pending.keys()].sort((a, b) => a - b)) this.flushTable(env, table);
  }

  /** Sends one table's waiting transfers to that table's auditor group (§9.1). */
  private flushTable(env: Env, table: number): void {
    const list = this.pending.get(table);
    if (!list || list.length === 0) return;
    this.pending.delete(table);
    const ctx = this.ctx;
    const txs = Int32Array.from(list);
    const batch: TxBatchMsg = {
      kind: MSG.TX_BATCH, bytes: 64 + txs.length * ctx.sc.sizes.tx_bytes, dw: ctx.txs.hashWord(txs[0]),
      table, batch: txs[0], txs, hop: 0,
    };
    env.broadcast(ctx.epoch(table, this.clock).auditors, batch);
  }

  onMessage(env: Env, _from: number, msg: Msg): void {
    if (msg.kind !== MSG.CLOCK_CERT) return;
    const m = msg as ClockCertMsg;
    if (m.clock <= this.clock) return;
    env.charge(this.ctx.sc.costs.verify_aggregate_us);
    this.clock = m.clock;
  }

  onTick(_env: Env, clock: number): void {
    this.clock = clock;
  }
  /**
   * Arrivals resume after the downtime. With its state lost the edge drops the transfers it had
   * not forwarded yet; the clients' nonces live on the clients, which did not crash.
   */
  onRestart(env: Env, lost: boolean): void {
    if (lost) this.pending.clear();
    this.flushArmed = false;
    this.scheduleNext(env, env.now_us);
  }
}
