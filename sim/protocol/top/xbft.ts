/**
 * One table's consensus at one node: TOP's xBFT (PROTOCOL.md §8), a chained 3-chain BFT with
 * clock-driven views.
 *
 * - View v's leader: odd v from the auditor group, even v from the validator group, picked by
 *   stake-weighted FTS seeded with the view and the table (§8.2).
 * - The leader packs by the pacing rule (200/100/50/0 txs by time since view start, 50 ms
 *   retries, at most 288 txs; empty blocks only to push a light block to commit; every 128th
 *   height a full block), broadcasts the proposal over its group's relay tree and forwards it
 *   to the paired group (§8.3 steps 1-2).
 * - Every member re-executes (CPU cost) and votes to the leader (steps 3-4).
 * - The certificate needs ⌊2n/3⌋+1 votes of EACH group (step 5); the leader broadcasts it
 *   (step 6). On a certificate for block h, h-1 is locked and h-2 committed (step 7).
 * - Views: view = qc.view + 1 + ⌊(clock − qc.clock)/3⌋, so a failed leader costs 20–30 s.
 */
import type { Env } from '../../contract/env.js';
import {
  MSG, TIMER, commitKey, BLOCK_LIGHT, BLOCK_EMPTY, BLOCK_FULL, wordOfHex,
  type Block, type QC, type ProposalMsg, type VoteMsg, type CommitMsg, type SyncReqMsg,
  type SyncRespMsg, type TxBatchMsg, type PackTimer, type SyncTimer, type ReceiptMsg,
  type ReceiptStateMsg, type ReceiptPullMsg, type StateReqMsg, type StateRespMsg, type StateTimer,
  type TableSnapshot,
} from './messages.js';
import {
  TableLedger, StateView, checkLeg, applyLeg, TX_OK, LEG_INNER, LEG_SEND, LEG_RECV, LEG_CONFIRM,
} from './ledger.js';
import { TxPool, ReceiptQueue, POOL_OK, POOL_DUP, type Picks } from './txpool.js';
import { RecentStrings } from './recent.js';
import { ReceiptOutbox } from './outbox.js';
import { TX_NEEDS_CONFIRM } from './txstore.js';
import { SEAT_A, SEAT_V, type ChainContext } from './context.js';
import { Encoder, fromHex, hex, merkleRoot, sha256 } from '../../crypto/index.js';

/** Transactions expire from pools after 100 s (PROTOCOL.md §9.2, D TransactionProtocol.md). */
export const TX_EXPIRE_US = 100_000_000;
/** Committed blocks kept for serving sync requests. */
const BLOCKS_KEPT = 512;
/** Verified receipt certificates remembered per node (the LRU of 2000 in §8.3 step 3). */
const CERT_CACHE_MAX = 2000;
/** Receipts re-sent per peer table per resend round, and ids asked per pull (§9.4: ≤ 5). */
const RESEND_MAX = 512;
const PULL_MAX = 5;

/** How a replica reaches its node's other replicas (messages a node does not send to itself). */
export interface LocalDelivery {
  receipt(m: ReceiptMsg): void;
  state(m: ReceiptStateMsg): void;
}

const enc = new Encoder(512);

export function genesisBlock(table: number): Block {
  const id = hex(sha256(new TextEncoder().encode(`topsim/genesis/table/${table}`)));
  return {
    id, idWord: wordOfHex(id), table, height: 0, view: 0, clock: 0, parent: '', leader: -1,
    cls: BLOCK_FULL, salt: 0, txs: new Int32Array(0), legs: new Uint8Array(0), rids: new Int32Array(0), bytes: 0,
  };
}

export function genesisQC(g: Block): QC {
  return {
    blockId: g.id, blockWord: g.idWord, table: g.table, height: 0, view: 0, clock: 0, leader: -1,
    signers: new Int32Array(0), sigs: [],
  };
}

interface LeaderRound {
  readonly block: Block;
  readonly votedV: Set<number>;
  readonly votedA: Set<number>;
  readonly signers: number[];
  readonly sigs: Uint8Array[];
  done: boolean;
  /** Byzantine equivocation: which fork this proposal extends (0 or 1), -1 when honest. */
  readonly fork: number;
  /** When the leader proposed it; votes after `proposal_expiry` are ignored (§8.3 step 9). */
  readonly proposed_us: number;
}

export class TableReplica {
  readonly ledger: TableLedger;
  readonly pool: TxPool;
  /** This replica's slot among its table's replicas on this thread (ChainContext.replicaSlots). */
  private readonly slot: number;
  readonly recvQ: ReceiptQueue;
  readonly confirmQ: ReceiptQueue;
  /** Per peer table: the highest receipt id it is known to have applied from us (flow control). */
  readonly peerRecv: Uint32Array;
  /** Per peer table: the highest receipt id it is known to have sent us (pulls). */
  readonly peerSend: Uint32Array;
  /** Receipts toward each peer not yet known applied: recv receipts and confirm receipts. */
  private readonly outRecv: ReceiptOutbox;
  private readonly outConfirm: ReceiptOutbox;
  private readonly certs = new RecentStrings(CERT_CACHE_MAX);
  private readonly blocks = new Map<string, Block>();
  private readonly qcs = new Map<string, QC>();
  private readonly committedIds: string[] = [];
  private readonly syncing = new Map<string, number>();
  /** Proposals waiting for their parent's body. */
  private readonly waiting = new Map<string, { from: number; msg: ProposalMsg }>();
  highQC: QC;
  lockedView = 0;
  lockedHeight = 0;
  lockedId: string;
  committedHeight = 0;
  committedId: string;
  clock = 0;
  view = 0;
  viewStart_us = 0;
  lastVotedView = 0;
  private proposedView = -1;
  private rounds: LeaderRound[] = [];
  private readonly memberA: boolean;
  /** Equivocates or double-votes at some time (ChainContext.colluding): it tracks both forks. */
  private readonly colluding: boolean;
  /** Colluding: the tip certificate of each fork. */
  private forkTips: [QC, QC];
  /** delay_proposals: the view whose held proposal already has its timer armed. */
  private delayedView = -1;
  /**
   * False for a newly elected member until it has the table's state (PROTOCOL.md §7.4): it then
   * ignores the table's traffic except receipts, and neither leads nor votes.
   */
  synced: boolean;
  private stateAttempt = -1;
  /** The probe of the current state-sync attempt: whom it asked, and the answers so far. */
  private probe: { asked: number; answers: { from: number; qcView: number; qcHeight: number; committed: number }[] } | null = null;
  /**
   * Set on a replica rebuilt after a restart that lost the node's state: the node may have voted
   * (or, as leader, proposed) in any view up to the one current when the state arrives, and must
   * not do so again with a different block (the amnesia hazard), so it sits that view out.
   */
  lostVotes = false;

  constructor(
    private readonly ctx: ChainContext,
    readonly self: number,
    readonly table: number,
    /** Hands receipts and receipt-id state to this node's replicas of other tables. */
    private readonly local: LocalDelivery,
    /** Genesis members start with the genesis state; elected members sync it first. */
    synced = true,
  ) {
    this.synced = synced;
    const sc = ctx.sc;
    const T = ctx.map.tables;
    this.ledger = new TableLedger(ctx.map.tableAccounts[table].length, T, sc.workload.genesis_balance);
    this.slot = ctx.replicaSlots.take(table);
    this.pool = new TxPool(ctx.txs, ctx.map, table, sc.protocol.pool_txs_max, sc.protocol.account_pending_max,
      ctx.pooled, this.slot);
    const receiptsMax = Math.max(sc.protocol.pool_txs_max, sc.protocol.receipts_unconfirmed_max);
    this.recvQ = new ReceiptQueue(LEG_RECV, receiptsMax, T);
    this.confirmQ = new ReceiptQueue(LEG_CONFIRM, receiptsMax, T);
    this.peerRecv = new Uint32Array(T);
    this.peerSend = new Uint32Array(T);
    this.outRecv = new ReceiptOutbox(T);
    this.outConfirm = new ReceiptOutbox(T);
    const g = genesisBlock(table);
    this.blocks.set(g.id, g);
    const gq = genesisQC(g);
    this.qcs.set(g.id, gq);
    this.committedIds.push(g.id);
    this.highQC = gq;
    this.committedId = g.id;
    this.lockedId = g.id;
    this.memberA = ctx.isAuditor[self] === 1;
    this.colluding = ctx.colluding[self] === 1;
    this.forkTips = [gq, gq];
  }

  // ---- events --------------------------------------------------------------------------------

  start(env: Env): void {
    this.recomputeView(env);
  }

  onClock(env: Env, clock: number): void {
    // Verifying the clock block's certificate.
    env.charge(this.ctx.sc.costs.verify_aggregate_us);
    const before = this.ctx.epoch(this.table, this.clock);
    if (clock > this.clock) this.clock = clock;
    this.pool.expire(env.now_us - TX_EXPIRE_US);
    this.recomputeView(env);
    // A new round took over in the middle of a view: that view's leader is now from the new round.
    if (this.ctx.epoch(this.table, this.clock) !== before) this.tryPack(env);
  }

  onRestart(env: Env): void {
    this.proposedView = -1;
    this.delayedView = -1;
    this.rounds = [];
    this.syncing.clear();
    this.recomputeView(env);
    // If it leads the current view it packs; otherwise it catches up when the next certificate
    // arrives and names blocks it lacks (sync).
    this.tryPack(env);
  }

  onTxBatch(env: Env, m: TxBatchMsg): void {
    // Each batch once: a second copy (two auditors forward it) is dropped unread.
    if (!this.synced || !this.ctx.handledBatches.add(m.batch, this.table, this.slot)) return;
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    for (let i = 0; i < m.txs.length; i++) {
      const id = m.txs[i];
      if (this.pool.has(id)) continue;
      env.charge(costs.verify_tx_us);
      if (!ctx.txSignatureOk(id)) continue;
      const r = this.pool.add(id, this.ledger, ctx.rules);
      if (r !== POOL_OK && r !== POOL_DUP) env.observe.reject(id, r);
    }
    // Two auditors, chosen by the batch hash, forward it to the validator group (§9.1).
    if (m.hop === 0 && this.memberA) {
      const A = ctx.epoch(this.table, this.clock).auditors;
      const k = m.dw % A.length;
      if (A[k] === this.self || A[(k + 1) % A.length] === this.self) {
        // Built field by field in the edge's order (node.ts), so every batch shares one shape.
        const fwd: TxBatchMsg = { kind: m.kind, bytes: m.bytes, dw: m.dw, table: m.table, batch: m.batch, txs: m.txs, hop: 1 };
        env.broadcast(ctx.hearV(this.table, this.clock), fwd);
      }
    }
    // Below the immediate threshold the leader's 50 ms retry timer decides when to pack.
    if (this.pool.size >= ctx.sc.protocol.pack_immediate_txs && this.isLeader(this.view) &&
        this.proposedView !== this.view) this.tryPack(env);
  }

  onTimer(env: Env, t: PackTimer | SyncTimer | StateTimer): void {
    if (t.kind === TIMER.STATE) {
      const st = t as StateTimer;
      if (this.synced || st.attempt !== this.stateAttempt) return;
      if (st.probe) {
        if (this.probe !== null) this.endProbe(env);
      } else this.requestState(env, st.attempt + 1);
    } else if (t.kind === TIMER.PACK) {
      if ((t as PackTimer).view === this.view) this.tryPack(env);
    } else if (t.kind === TIMER.SYNC) {
      const st = t as SyncTimer;
      if (this.syncing.get(st.blockId) === st.attempt && !this.blocks.has(st.blockId)) {
        this.requestBlock(env, st.blockId, -1, st.attempt + 1);
      }
    }
  }

  // ---- state sync for new members (PROTOCOL.md §7.4) -----------------------------------------

  /**
   * Syncs the table's state from the member furthest ahead (docs/PROTOCOL.md MC-19). As TOP's block
   * sync learns its neighbours' heights and downloads from the highest, the replica first probes
   * ⌊√n⌋+1 live members of the active round (n members) for how far their chains are, then asks
   * the one with the highest certificate for its state. Asking one peer blindly could adopt a
   * peer's stale state (a member that was partitioned) and leave this replica behind its group
   * for as long as no certificate reaches it. Each attempt starts with a new probe, rotated on
   * by one member.
   */
  requestState(env: Env, attempt: number): void {
    this.stateAttempt = attempt;
    const members = this.ctx.epoch(this.table, this.clock).members;
    const want = Math.floor(Math.sqrt(members.length)) + 1;
    const peers: number[] = [];
    for (let k = 0; peers.length < want && k < members.length; k++) {
      const c = members[(this.self + attempt + k) % members.length];
      if (c !== this.self && !env.knownDown(c)) peers.push(c);
    }
    this.probe = { asked: peers.length, answers: [] };
    const sizes = this.ctx.sc.sizes;
    for (const peer of peers) {
      const req: StateReqMsg = {
        kind: MSG.STATE_REQ, bytes: sizes.sync_request_bytes, dw: (this.table * 131 + attempt) >>> 0, table: this.table, probe: true,
      };
      env.send(peer, req);
    }
    const t: StateTimer = { kind: TIMER.STATE, dw: attempt, table: this.table, attempt, probe: true };
    env.setTimer(this.ctx.sc.protocol.sync_retry_us, t);
  }

  /** The probe is over (every peer answered, or its time ran out): fetch from the best, or retry. */
  private endProbe(env: Env): void {
    const answers = this.probe!.answers;
    this.probe = null;
    const attempt = this.stateAttempt;
    if (answers.length === 0) {
      this.requestState(env, attempt + 1);
      return;
    }
    // Highest certificate, then highest committed height; ties to the lowest node id.
    let best = answers[0];
    for (const a of answers) {
      const d = a.qcView - best.qcView || a.qcHeight - best.qcHeight || a.committed - best.committed || best.from - a.from;
      if (d > 0) best = a;
    }
    const req: StateReqMsg = {
      kind: MSG.STATE_REQ, bytes: this.ctx.sc.sizes.sync_request_bytes, dw: (this.table * 137 + attempt) >>> 0, table: this.table, probe: false,
    };
    env.send(best.from, req);
    const t: StateTimer = { kind: TIMER.STATE, dw: attempt, table: this.table, attempt, probe: false };
    env.setTimer(2 * this.ctx.sc.protocol.sync_retry_us, t);
  }

  onStateRequest(env: Env, from: number, probe: boolean): void {
    if (!this.synced) return;
    const ctx = this.ctx;
    const sizes = ctx.sc.sizes;
    if (probe) {
      const resp: StateRespMsg = {
        kind: MSG.STATE_RESP, bytes: sizes.sync_request_bytes, dw: (this.highQC.blockWord ^ Math.imul(this.table + 1, 0x27d4eb2f)) >>> 0,
        table: this.table, qcView: this.highQC.view, qcHeight: this.highQC.height, committedHeight: this.committedHeight, snap: null,
      };
      env.send(from, resp);
      return;
    }
    const L = this.ledger;
    const committed = this.blocks.get(this.committedId)!;
    const above: Block[] = [];
    const qcs: QC[] = [];
    const cq = this.qcs.get(this.committedId);
    if (cq) qcs.push(cq);
    let cur = this.blocks.get(this.highQC.blockId);
    while (cur && cur.height > this.committedHeight) {
      above.push(cur);
      const q = this.qcs.get(cur.id);
      if (q) qcs.push(q);
      cur = this.blocks.get(cur.parent);
    }
    above.reverse();
    const snap: TableSnapshot = {
      table: this.table, ledger: L.clone(), committed, above, qcs, highQC: this.highQC, lockedView: this.lockedView, lockedHeight: this.lockedHeight,
      lockedId: this.lockedId, recvQ: this.recvQ.entries(), confirmQ: this.confirmQ.entries(),
      outRecv: this.outRecv.entries(), outConfirm: this.outConfirm.entries(),
      peerRecv: this.peerRecv.slice(), peerSend: this.peerSend.slice(), pool: this.pool.ids(),
    };
    const receipts = (snap.recvQ.length + snap.confirmQ.length) / 3 + snap.outRecv.length + snap.outConfirm.length;
    let bytes = L.balance.length * sizes.state_per_account_bytes + 24 * ctx.map.tables + committed.bytes +
      qcs.length * sizes.qc_bytes + receipts * sizes.receipt_bytes + snap.pool.length * sizes.tx_bytes;
    for (const b of above) bytes += b.bytes;
    env.charge((bytes / 1024) * ctx.sc.costs.hash_per_kib_us);
    const resp: StateRespMsg = {
      kind: MSG.STATE_RESP, bytes, dw: (committed.idWord ^ Math.imul(this.table + 1, 0x85ebca6b)) >>> 0, table: this.table,
      qcView: this.highQC.view, qcHeight: this.highQC.height, committedHeight: this.committedHeight, snap,
    };
    env.send(from, resp);
  }

  onStateResponse(env: Env, from: number, m: StateRespMsg): void {
    if (this.synced) return;
    if (m.snap === null) {
      // An answer to the current probe (late ones are dropped).
      const p = this.probe;
      if (p === null || p.answers.some((a) => a.from === from)) return;
      p.answers.push({ from, qcView: m.qcView, qcHeight: m.qcHeight, committed: m.committedHeight });
      if (p.answers.length === p.asked) this.endProbe(env);
      return;
    }
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    const s = m.snap;
    // Hash the state against the committed block and verify its certificate and the ones above.
    env.charge((m.bytes / 1024) * costs.hash_per_kib_us + s.qcs.length * 2 * costs.verify_aggregate_us +
      s.pool.length * costs.verify_tx_us);
    const L = this.ledger;
    L.assign(s.ledger);
    this.blocks.set(s.committed.id, s.committed);
    for (const b of s.above) this.blocks.set(b.id, b);
    for (const q of s.qcs) this.qcs.set(q.blockId, q);
    this.committedHeight = s.committed.height;
    this.committedId = s.committed.id;
    this.committedIds.length = 0;
    this.committedIds.push(s.committed.id);
    this.highQC = s.highQC;
    this.lockedView = s.lockedView;
    this.lockedHeight = s.lockedHeight;
    this.lockedId = s.lockedId;
    this.forkTips = [s.highQC, s.highQC];
    // Never vote again in a view this node may have voted in during an earlier term.
    this.lastVotedView = Math.max(this.lastVotedView, s.highQC.view);
    if (s.highQC.clock > this.clock) this.clock = s.highQC.clock;
    if (this.lostVotes) {
      const v = Math.max(this.view, this.viewFor(s.highQC, this.clock));
      this.lastVotedView = Math.max(this.lastVotedView, v);
      this.proposedView = v;
      this.lostVotes = false;
    }
    this.recvQ.pruneApplied((peer) => L.recvId[peer]);
    this.confirmQ.pruneApplied((peer) => L.confirmId[peer]);
    for (let i = 0; i < s.recvQ.length; i += 3) this.recvQ.add(s.recvQ[i], s.recvQ[i + 1], s.recvQ[i + 2], L.recvId[s.recvQ[i]]);
    for (let i = 0; i < s.confirmQ.length; i += 3) {
      this.confirmQ.add(s.confirmQ[i], s.confirmQ[i + 1], s.confirmQ[i + 2], L.confirmId[s.confirmQ[i]]);
    }
    for (const [peer, rid, tx, at, cert] of s.outRecv) this.outRecv.addWith(peer, rid, tx, at, cert);
    for (const [peer, rid, tx, at, cert] of s.outConfirm) this.outConfirm.addWith(peer, rid, tx, at, cert);
    for (let p = 0; p < s.peerRecv.length; p++) {
      if (s.peerRecv[p] > this.peerRecv[p]) this.peerRecv[p] = s.peerRecv[p];
      if (s.peerSend[p] > this.peerSend[p]) this.peerSend[p] = s.peerSend[p];
    }
    for (const id of s.pool) this.pool.add(id, L, ctx.rules);
    this.synced = true;
    env.observe.sync(commitKey(s.committed), s.committed, m.bytes);
    this.recomputeView(env);
    this.tryPack(env);
  }

  // ---- views and leaders ---------------------------------------------------------------------

  isLeader(view: number): boolean {
    return this.synced && this.ctx.leaderOf(this.table, view, this.clock) === this.self;
  }

  private viewFor(qc: QC, clock: number): number {
    const ticks = this.ctx.sc.protocol.view_clock_ticks;
    return qc.view + 1 + (clock >= qc.clock ? Math.floor((clock - qc.clock) / ticks) : 0);
  }

  private recomputeView(env: Env): void {
    const v = this.viewFor(this.highQC, this.clock);
    if (v > this.view) this.enterView(env, v);
  }

  private enterView(env: Env, v: number): void {
    this.view = v;
    this.viewStart_us = env.now_us;
    env.observe.view(this.table, v);
    if (!this.isLeader(v)) return;
    const until = this.ctx.crashAsLeader(this.table, v);
    if (until !== undefined) {
      env.crashSelf(until);
      return;
    }
    this.tryPack(env);
  }

  // ---- leader: packing -----------------------------------------------------------------------

  private packThreshold(elapsed_us: number): number {
    const p = this.ctx.sc.protocol;
    for (const th of p.pack_thresholds) if (elapsed_us < th.until_us) return th.min_txs;
    return 0;
  }

  /** Whether an empty block is needed to push a light block to commit (§8.3 step 1). */
  private needEmpty(): boolean {
    const hq = this.blocks.get(this.highQC.blockId);
    if (!hq) return false;
    if (hq.height > this.committedHeight && hq.cls === BLOCK_LIGHT) return true;
    const parent = this.blocks.get(hq.parent);
    return parent !== undefined && parent.height > this.committedHeight && parent.cls === BLOCK_LIGHT;
  }

  private tryPack(env: Env): void {
    const v = this.view;
    if (!this.isLeader(v) || this.proposedView === v) return;
    const ctx = this.ctx;
    const p = ctx.sc.protocol;
    // delay_proposals: hold the proposal until `delay` after the view started, even if the view
    // ends first (then this leader's view fails like a crashed leader's).
    const delay = ctx.proposalDelay(this.self, env.now_us);
    if (delay > 0 && env.now_us < this.viewStart_us + delay) {
      if (this.delayedView !== v) {
        this.delayedView = v;
        const t: PackTimer = { kind: TIMER.PACK, dw: v, table: this.table, view: v };
        env.setTimer(this.viewStart_us + delay - env.now_us, t);
      }
      return;
    }
    if (ctx.misbehaves(this.self, 'equivocate', env.now_us)) {
      this.packEquivocating(env);
      return;
    }
    const parent = this.blocks.get(this.highQC.blockId);
    if (!parent) {
      this.requestBlock(env, this.highQC.blockId, this.highQC.leader, 0);
      this.retryPack(env);
      return;
    }
    const height = parent.height + 1;
    if (height % p.full_block_interval === 0) {
      this.propose(env, this.highQC, parent, BLOCK_FULL, emptyPicks(), -1);
      return;
    }
    const min = this.packThreshold(env.now_us - this.viewStart_us);
    const waiting = this.pool.size + this.recvQ.size + this.confirmQ.size;
    if (waiting > 0 && waiting >= Math.max(min, 1)) {
      const view = this.stateAt(parent);
      if (view) {
        const picked = this.select(view);
        view.release();
        if (picked.txs.length > 0 && picked.txs.length >= Math.min(min, p.block_txs_max)) {
          this.propose(env, this.highQC, parent, BLOCK_LIGHT, picked, -1);
          return;
        }
      }
    }
    if (min === 0 && this.needEmpty()) {
      this.propose(env, this.highQC, parent, BLOCK_EMPTY, emptyPicks(), -1);
      return;
    }
    this.retryPack(env);
  }

  /**
   * The block's legs (§4.3 caps): receipts first (confirm ≤ 160, recv + confirm ≤ 220), then
   * the pool's inner and send legs up to 288 in all; sends toward a peer stop at the flow-control
   * window of unconfirmed receipts.
   */
  private select(view: StateView): Picks {
    const ctx = this.ctx;
    const p = ctx.sc.protocol;
    const out = emptyPicks();
    const rotate = this.view;
    this.confirmQ.select(view, Math.min(p.confirm_per_block_max, p.recv_per_block_max, p.block_txs_max), out,
      ctx.txs, ctx.map, ctx.rules, rotate);
    this.recvQ.select(view, Math.min(p.recv_per_block_max, p.block_txs_max) - out.txs.length, out,
      ctx.txs, ctx.map, ctx.rules, rotate);
    const windowMax = p.receipts_unconfirmed_max;
    this.pool.select(view, p.block_txs_max - out.txs.length, ctx.rules, out,
      (peer) => view.sendId(peer) - this.peerRecv[peer] < windowMax);
    return out;
  }

  private retryPack(env: Env): void {
    const t: PackTimer = { kind: TIMER.PACK, dw: this.view, table: this.table, view: this.view };
    env.setTimer(this.ctx.sc.protocol.pack_retry_us, t);
  }

  private propose(env: Env, justify: QC, parent: Block, cls: number, picks: Picks, fork: number): Block {
    const ctx = this.ctx;
    const sc = ctx.sc;
    const txs = ctx.txs;
    const ids = Int32Array.from(picks.txs);
    const legs = Uint8Array.from(picks.legs);
    let rids = Int32Array.from(picks.rids);
    if (ctx.misbehaves(this.self, 'invalid_execution', env.now_us)) rids = wrongResult(rids);
    const bytes = blockBytes(ctx, ids, legs);
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) leaves.push(txs.hash(ids[i]));
    const root = merkleRoot(leaves);
    const salt = fork < 0 ? 0 : fork + 1;
    enc.u32(this.table).u53(parent.height + 1).u53(this.view).u53(this.clock)
      .str(parent.id).u32(this.self).u8(cls).u32(salt).raw(root).raw(legs).bytes(new Uint8Array(rids.buffer));
    const id = hex(enc.finishSha256());
    const block: Block = {
      id, idWord: wordOfHex(id), table: this.table, height: parent.height + 1, view: this.view,
      clock: this.clock, parent: parent.id, leader: this.self, cls, salt, txs: ids, legs, rids, bytes,
    };
    // Execution was done while selecting; hash the block and sign it.
    env.charge(ids.length * sc.costs.execute_tx_us + (bytes / 1024) * sc.costs.hash_per_kib_us + sc.costs.sign_us);
    const sig = ctx.signer.sign(this.self, fromHex(id));
    this.blocks.set(id, block);
    this.proposedView = this.view;
    const round: LeaderRound = {
      block, votedV: new Set(), votedA: new Set(), signers: [], sigs: [], done: false, fork,
      proposed_us: env.now_us,
    };
    this.rounds.push(round);
    if (this.rounds.length > 2) this.rounds.shift();
    const msg: ProposalMsg = { kind: MSG.PROPOSAL, bytes, dw: block.idWord, table: this.table, block, justify, sig };
    if (fork < 0) {
      env.broadcast(ctx.hearV(this.table, block.clock), msg);
      env.broadcast(ctx.hearA(this.table, block.clock), msg);
      if (ctx.archives.length > 0) env.broadcast(ctx.archives, msg);
    } else {
      const e = ctx.epoch(this.table, block.clock);
      env.broadcast(e.forkV[fork], msg);
      env.broadcast(e.forkA[fork], msg);
    }
    // The leader's own vote.
    this.lastVotedView = Math.max(this.lastVotedView, this.view);
    this.countVote(env, round, this.self, ctx.signer.sign(this.self, fromHex(id)));
    return block;
  }

  /**
   * A byzantine leader equivocates: one proposal per fork, each sent only to that fork's half of
   * the honest members (and to every byzantine member), each collecting its own votes.
   */
  private packEquivocating(env: Env): void {
    // Wait (up to the pacing second) until both forks' certificates of the previous view are in.
    const behind = this.forkTips[0].view !== this.view - 1 || this.forkTips[1].view !== this.view - 1;
    if (behind && env.now_us - this.viewStart_us < 1_000_000) {
      this.retryPack(env);
      return;
    }
    const made: string[] = [];
    for (const fork of [0, 1]) {
      const tip = this.forkTips[fork];
      const parent = this.blocks.get(tip.blockId);
      if (!parent) {
        this.requestBlock(env, tip.blockId, tip.leader, 0);
        this.retryPack(env);
        return;
      }
      const view = this.stateAt(parent);
      let picked = view ? this.select(view) : emptyPicks();
      view?.release();
      // Make the two proposals differ even on one parent: the second fork takes no txs.
      if (fork === 1 && made.length > 0 && this.forkTips[0].blockId === tip.blockId) picked = emptyPicks();
      const cls = picked.txs.length > 0 ? BLOCK_LIGHT : BLOCK_EMPTY;
      const b = this.propose(env, tip, parent, cls, picked, fork);
      made.push(b.id);
    }
  }

  // ---- replica: proposals and votes ----------------------------------------------------------

  onProposal(env: Env, from: number, m: ProposalMsg): void {
    const b = m.block;
    if (this.blocks.has(b.id) && b.leader !== this.self) {
      // Already have it (a duplicate copy, or it came by sync): nothing more unless we never voted.
      if (this.lastVotedView >= b.view) return;
    }
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    env.charge((m.bytes / 1024) * costs.hash_per_kib_us);
    if (b.leader === this.self) return;
    // The leader must be the one of that view, and must have signed the block.
    if (!this.synced) return;
    if (ctx.leaderOf(this.table, b.view, b.clock) !== b.leader) return;
    env.charge(costs.verify_share_us);
    if (!ctx.verifiedOnce(m, () => ctx.signer.verify(b.leader, fromHex(b.id), m.sig))) return;
    if (!this.acceptQC(env, m.justify)) return;
    if (b.parent !== m.justify.blockId || b.height !== m.justify.height + 1) return;
    if (b.clock < m.justify.clock) return;
    if (b.view !== this.viewFor(m.justify, b.clock)) return;
    // Only members of the round active at the block's clock vote; incoming members follow.
    const member = ctx.epoch(this.table, b.clock).seat.has(this.self);
    if (ctx.misbehaves(this.self, 'equivocate', env.now_us) || ctx.misbehaves(this.self, 'double_vote', env.now_us)) {
      // An equivocating or double-voting member votes for any well-formed proposal, stale or
      // not, whatever it voted before and whatever it locked, without re-executing.
      this.blocks.set(b.id, b);
      if (member) this.vote(env, b);
      return;
    }
    // The block binds a clock certificate; a node whose clock lags learns the tick from it.
    if (b.clock > this.clock + 1) return;
    if (b.clock > this.clock) {
      this.clock = b.clock;
      this.recomputeView(env);
    }
    if (b.view < this.view) return; // stale: our view has moved on
    if (b.view > this.view) this.enterView(env, b.view);
    const parent = this.blocks.get(b.parent);
    if (!parent) {
      this.waiting.set(b.parent, { from, msg: m });
      this.requestBlock(env, b.parent, from, 0);
      return;
    }
    if (b.view <= this.lastVotedView) return;
    if (!this.safeToVote(b, m.justify)) return;
    // Re-execute: every member builds the block's result from the same inputs (§8.3 step 3).
    // A member with invalid_execution votes on the header alone.
    if (!ctx.misbehaves(this.self, 'invalid_execution', env.now_us)) {
      // One leg kind and one result (receipt id) per transaction, no more, no less.
      if (b.legs.length !== b.txs.length || b.rids.length !== b.txs.length) return;
      if (!this.onCommittedChain(parent)) return;
      if (!this.chargeExecution(env, b)) return;
      if (!ctx.executionValid(b, this.committedId, () => this.replays(b, parent))) return;
    }
    this.blocks.set(b.id, b);
    if (!member) return;
    this.lastVotedView = b.view;
    this.vote(env, b);
  }

  /**
   * Re-execution's CPU charge for this replica, after the checks of the block's legs that need no
   * state: false when one fails (nothing is charged then). Transactions missing from the pool
   * cost a signature check; receipts not yet seen cost a Merkle path, plus the source
   * certificate once per peer table.
   */
  private chargeExecution(env: Env, b: Block): boolean {
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    const txs = ctx.txs;
    const map = ctx.map;
    let unseen = 0;
    let proofs = 0;
    let proofCerts = 0;
    const peersSeen = new Set<number>();
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      const leg = b.legs[i];
      if (leg === LEG_INNER || leg === LEG_SEND) {
        if (map.tableOf[txs.sender[id]] !== this.table) return false;
        if ((leg === LEG_INNER) !== (map.tableOf[txs.receiver[id]] === this.table)) return false;
        if (!this.pool.has(id)) {
          unseen++;
          if (!ctx.txSignatureOk(id)) return false;
        }
      } else {
        // The proposal carries each receipt with its proof (§4.3).
        const q = leg === LEG_RECV ? this.recvQ : this.confirmQ;
        const peer = leg === LEG_RECV ? map.tableOf[txs.sender[id]] : map.tableOf[txs.receiver[id]];
        if (!q.has(peer, b.rids[i])) {
          proofs++;
          if (!peersSeen.has(peer)) {
            peersSeen.add(peer);
            proofCerts++;
          }
        }
      }
    }
    env.charge(unseen * costs.verify_tx_us + b.txs.length * costs.execute_tx_us +
      proofs * costs.merkle_path_us + proofCerts * 2 * costs.verify_aggregate_us);
    return true;
  }

  /**
   * Whether the block's legs, applied in order on the state after `parent` (which must lie on
   * this replica's committed chain), give the block's results. A function of the chain alone
   * (ChainContext.executionValid).
   */
  private replays(b: Block, parent: Block): boolean {
    const ctx = this.ctx;
    const state = this.stateAt(parent)!;
    let ok = true;
    for (let i = 0; i < b.txs.length && ok; i++) {
      const id = b.txs[i];
      const leg = b.legs[i];
      ok = checkLeg(state, ctx.txs, ctx.map, id, leg, b.rids[i], ctx.rules) === TX_OK &&
        applyLeg(state, ctx.txs, ctx.map, id, leg, b.rids[i], ctx.rules) === b.rids[i];
    }
    state.release();
    return ok;
  }

  private vote(env: Env, b: Block): void {
    const ctx = this.ctx;
    if (ctx.misbehaves(this.self, 'withhold_votes', env.now_us)) return;
    env.charge(ctx.sc.costs.sign_us);
    const vote: VoteMsg = {
      kind: MSG.VOTE, bytes: ctx.sc.sizes.vote_bytes, dw: (b.idWord ^ Math.imul(this.self + 1, 0x9e3779b1)) >>> 0,
      table: this.table, blockId: b.id, view: b.view, voter: this.self,
      sig: ctx.signer.sign(this.self, fromHex(b.id)),
    };
    env.send(b.leader, vote);
  }

  /** HotStuff's rule: the block extends the locked block, or its justification is newer. */
  private safeToVote(b: Block, justify: QC): boolean {
    if (justify.view > this.lockedView) return true;
    let cur: Block | undefined = this.blocks.get(b.parent);
    while (cur && cur.height > this.lockedHeight) cur = this.blocks.get(cur.parent);
    return cur !== undefined && cur.id === this.lockedId;
  }

  onVote(env: Env, m: VoteMsg): void {
    const round = this.rounds.find((r) => r.block.id === m.blockId);
    if (!round || round.done) return;
    // The leader's proposal expires: a late quorum no longer forms a certificate.
    if (env.now_us - round.proposed_us > this.ctx.sc.protocol.proposal_expiry_us) return;
    env.charge(this.ctx.sc.costs.verify_share_us);
    if (!this.ctx.signer.verify(m.voter, fromHex(m.blockId), m.sig)) return;
    this.countVote(env, round, m.voter, m.sig);
  }

  private countVote(env: Env, round: LeaderRound, voter: number, sig: Uint8Array): void {
    const e = this.ctx.epoch(this.table, round.block.clock);
    const seat = e.seat.get(voter);
    if (seat === SEAT_V) {
      if (round.votedV.has(voter)) return;
      round.votedV.add(voter);
    } else if (seat === SEAT_A) {
      if (round.votedA.has(voter)) return;
      round.votedA.add(voter);
    } else return;
    round.signers.push(voter);
    round.sigs.push(sig);
    if (round.votedV.size >= e.thresholdV && round.votedA.size >= e.thresholdA) {
      round.done = true;
      this.formQC(env, round);
    }
  }

  private formQC(env: Env, round: LeaderRound): void {
    const ctx = this.ctx;
    const b = round.block;
    // Signers sorted validators first, then auditors, each by id (the bitmap order).
    const idx = round.signers.map((_, i) => i).sort((x, y) => {
      const a = round.signers[x], c = round.signers[y];
      const ga = ctx.isValidator[a] === 1 ? 0 : 1, gc = ctx.isValidator[c] === 1 ? 0 : 1;
      return ga - gc || a - c;
    });
    const qc: QC = {
      blockId: b.id, blockWord: b.idWord, table: b.table, height: b.height, view: b.view, clock: b.clock,
      leader: b.leader, signers: Int32Array.from(idx.map((i) => round.signers[i])), sigs: idx.map((i) => round.sigs[i]),
    };
    // Merging each group's shares into one multisig.
    env.charge(2 * ctx.sc.costs.verify_aggregate_us);
    const msg: CommitMsg = {
      kind: MSG.COMMIT, bytes: ctx.sc.sizes.qc_bytes, dw: (b.idWord ^ qc.signers.length) >>> 0, table: this.table, qc,
      fork: round.fork,
    };
    if (round.fork < 0) {
      env.broadcast(ctx.hearV(this.table, b.clock), msg);
      env.broadcast(ctx.hearA(this.table, b.clock), msg);
      if (ctx.archives.length > 0) env.broadcast(ctx.archives, msg);
    } else {
      const e = ctx.epoch(this.table, b.clock);
      env.broadcast(e.forkV[round.fork], msg);
      env.broadcast(e.forkA[round.fork], msg);
      this.forkTips[round.fork] = qc;
    }
    // A colluder leading honestly (outside its window) starts the next equivocation from here.
    if (round.fork < 0 && this.colluding && qc.view > this.forkTips[0].view) this.forkTips = [qc, qc];
    this.qcs.set(qc.blockId, qc);
    this.onCertified(env, qc, true);
  }

  // ---- certificates, locks, commits ----------------------------------------------------------

  onCommitMsg(env: Env, m: CommitMsg): void {
    if (!this.synced) return;
    if (this.colluding && m.fork >= 0 && m.qc.view > this.forkTips[m.fork].view) this.forkTips[m.fork] = m.qc;
    if (this.colluding && m.fork < 0 && m.qc.view > this.forkTips[0].view) this.forkTips = [m.qc, m.qc];
    this.acceptQC(env, m.qc);
  }

  /** Verifies a certificate once and applies it. Returns false when it is invalid. */
  private acceptQC(env: Env, qc: QC): boolean {
    if (this.qcs.has(qc.blockId)) return true;
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    // Signers must hold seats in the round active at the certified block's clock.
    const e = ctx.epoch(this.table, qc.clock);
    let nV = 0, nA = 0;
    for (let i = 0; i < qc.signers.length; i++) {
      const seat = e.seat.get(qc.signers[i]);
      if (seat === SEAT_V) nV++;
      else if (seat === SEAT_A) nA++;
      else return false;
    }
    env.charge(2 * costs.verify_aggregate_us + qc.signers.length * costs.verify_aggregate_per_signer_us);
    if (nV < e.thresholdV || nA < e.thresholdA) return false;
    const sharesOk = ctx.verifiedOnce(qc, () => {
      const msg = fromHex(qc.blockId);
      for (let i = 0; i < qc.signers.length; i++) if (!ctx.signer.verify(qc.signers[i], msg, qc.sigs[i])) return false;
      return true;
    });
    if (!sharesOk) return false;
    this.qcs.set(qc.blockId, qc);
    this.onCertified(env, qc);
    return true;
  }

  private onCertified(env: Env, qc: QC, formed = false): void {
    if (qc.view > this.highQC.view) {
      this.highQC = qc;
      if (qc.clock > this.clock) this.clock = qc.clock;
    }
    this.advanceChain(env, qc, formed);
    this.recomputeView(env);
  }

  /** Applies the 3-chain rule for a newly certified block: lock its parent, commit its grandparent. */
  private advanceChain(env: Env, qc: QC, formed = false): void {
    const b = this.blocks.get(qc.blockId);
    if (!b) {
      this.requestBlock(env, qc.blockId, qc.leader, 0);
      return;
    }
    const parent = this.blocks.get(b.parent);
    if (!parent) {
      if (b.height > 0) this.requestBlock(env, b.parent, qc.leader, 0);
      return;
    }
    if (parent.view > this.lockedView) {
      this.lockedView = parent.view;
      this.lockedHeight = parent.height;
      this.lockedId = parent.id;
    }
    const grand = this.blocks.get(parent.parent);
    if (!grand) {
      if (parent.height > 0) this.requestBlock(env, parent.parent, qc.leader, 0);
      return;
    }
    if (grand.height <= this.committedHeight) return;
    // Commit grand and any uncommitted ancestors, oldest first.
    const chain: Block[] = [];
    let cur: Block | undefined = grand;
    while (cur && cur.height > this.committedHeight) {
      chain.push(cur);
      cur = this.blocks.get(cur.parent);
    }
    if (!cur) {
      const missing = chain[chain.length - 1].parent;
      this.requestBlock(env, missing, qc.leader, 0);
      return;
    }
    for (let i = chain.length - 1; i >= 0; i--) this.commit(env, chain[i], formed && i === 0);
  }

  private commit(env: Env, b: Block, sendReceipts: boolean): void {
    const ctx = this.ctx;
    const txs = ctx.txs;
    const map = ctx.map;
    const view = new StateView(this.ledger);
    const outR = new Map<number, number[]>(); // dst table -> [tx, rid, ...] recv receipts
    const outC = new Map<number, number[]>(); // dst table -> [tx, rid, ...] confirm receipts
    this.outRecv.begin(env.now_us);
    this.outConfirm.begin(env.now_us);
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      const leg = b.legs[i];
      const rid = b.rids[i];
      applyLeg(view, txs, map, id, leg, rid, ctx.rules);
      if (leg === LEG_INNER) this.pool.remove(id);
      else if (leg === LEG_SEND) {
        this.pool.remove(id);
        const dst = map.tableOf[txs.receiver[id]];
        this.outRecv.add(dst, rid, id);
        push(outR, dst, id, rid);
      } else if (leg === LEG_RECV) {
        const src = map.tableOf[txs.sender[id]];
        this.recvQ.remove(src, rid);
        if (txs.flags[id] & TX_NEEDS_CONFIRM) {
          const cid = ++this.ledger.rspId[src];
          this.outConfirm.add(src, cid, id);
          push(outC, src, id, cid);
        }
      } else {
        this.confirmQ.remove(map.tableOf[txs.receiver[id]], rid);
      }
    }
    view.flush();
    view.release();
    // One unit per touched account of this table (the per-account unit chains).
    const touched = new Set<number>();
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      const leg = b.legs[i];
      if (leg !== LEG_RECV) touched.add(map.localIndex[txs.sender[id]]);
      if (leg === LEG_INNER || leg === LEG_RECV) touched.add(map.localIndex[txs.receiver[id]]);
    }
    for (const a of touched) this.ledger.unitHeight[a]++;
    this.committedHeight = b.height;
    this.committedId = b.id;
    this.committedIds.push(b.id);
    if (this.committedIds.length > BLOCKS_KEPT) {
      const old = this.committedIds.shift()!;
      this.blocks.delete(old);
      this.qcs.delete(old);
    }
    env.observe.commit(commitKey(b), b, this.ledger.sum());
    // The leader whose certificate committed this block sends its receipts (§9.4).
    if (sendReceipts && b.txs.length > 0) {
      const cert = this.highQC.blockId;
      // Every receipt of this commit is sent with the certificate (the commit's group in the outbox).
      this.outRecv.certify(cert);
      this.outConfirm.certify(cert);
      for (const [dst, items] of outR) {
        if (ctx.receiptDropped(this.table, dst, env.now_us)) continue;
        this.sendReceipts(env, dst, LEG_RECV, items, cert, false);
      }
      for (const [dst, items] of outC) {
        if (ctx.receiptDropped(this.table, dst, env.now_us)) continue;
        this.sendReceipts(env, dst, LEG_CONFIRM, items, cert, false);
      }
    }
  }

  /**
   * Broadcasts receipts toward table `dst`'s auditor and validator groups: first copies, resends
   * and answers to pulls all pass here, so a node withholding receipts stops all three.
   */
  private sendReceipts(env: Env, dst: number, leg: number, items: number[], cert: string, resend: boolean): void {
    const ctx = this.ctx;
    if (ctx.misbehaves(this.self, 'withhold_receipts', env.now_us)) return;
    const n = items.length / 2;
    const ids = new Int32Array(n);
    const rids = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      ids[k] = items[2 * k];
      rids[k] = items[2 * k + 1];
    }
    const msg: ReceiptMsg = {
      kind: MSG.RECEIPT, bytes: 64 + n * ctx.sc.sizes.receipt_bytes,
      dw: (wordOfHex(cert || '0') ^ Math.imul(dst + 1, 0x9e3779b1) ^ rids[0]) >>> 0,
      src: this.table, dst, leg, txs: ids, rids, cert, resend,
    };
    env.broadcast(ctx.hearA(dst, this.clock), msg);
    env.broadcast(ctx.hearV(dst, this.clock), msg);
    // This node's own replica of `dst`, if it has one (a broadcast skips the sender).
    this.local.receipt(msg);
  }

  /** Receipts arriving for this (receiver) table: verify the proof once, queue by receipt id. */
  onReceipt(env: Env, m: ReceiptMsg): void {
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    // The certificate of the source block h+2: one aggregate verification per group.
    if (this.certs.add(m.cert)) env.charge(2 * costs.verify_aggregate_us);
    env.charge(m.txs.length * costs.merkle_path_us);
    const q = m.leg === LEG_RECV ? this.recvQ : this.confirmQ;
    const applied = m.leg === LEG_RECV ? this.ledger.recvId[m.src] : this.ledger.confirmId[m.src];
    for (let k = 0; k < m.txs.length; k++) q.add(m.src, m.rids[k], m.txs[k], applied);
    if (m.rids.length > 0) {
      const top = m.rids[m.rids.length - 1];
      if (m.leg === LEG_RECV && top > this.peerSend[m.src]) this.peerSend[m.src] = top;
    }
  }

  /** A peer table's receipt-id counters: prune what it applied, learn what it sent. */
  onReceiptState(m: ReceiptStateMsg): void {
    const peer = m.table;
    const applied = m.recvId[this.table];
    if (applied > this.peerRecv[peer]) {
      this.peerRecv[peer] = applied;
      this.outRecv.pruneUpTo(peer, applied);
    }
    const sent = m.sendId[this.table];
    if (sent > this.peerSend[peer]) this.peerSend[peer] = sent;
  }

  /** Periodic receipt duties of the designated node of this table (§9.4). */
  receiptDuty(env: Env, duty: number): void {
    const ctx = this.ctx;
    const p = ctx.sc.protocol;
    const period = duty === 0 ? p.receipt_state_us : duty === 1 ? p.receipt_resend_us : p.receipt_pull_us;
    if (!this.synced) return;
    if (ctx.designated(this.table, Math.floor(env.now_us / period) + duty, this.clock, env) !== this.self) return;
    if (duty === 0) {
      const T = ctx.map.tables;
      const msg: ReceiptStateMsg = {
        kind: MSG.RECEIPT_STATE, bytes: 64 + 8 * T, dw: (this.table * 7919 + this.committedHeight) >>> 0,
        table: this.table, sendId: this.ledger.sendId.slice(), recvId: this.ledger.recvId.slice(),
      };
      for (const g of ctx.allGroups(this.clock)) env.broadcast(g, msg);
      this.local.state(msg);
    } else if (duty === 1) {
      this.resend(env, this.outRecv, LEG_RECV);
      this.resend(env, this.outConfirm, LEG_CONFIRM);
    } else {
      this.pull(env);
    }
  }

  private resend(env: Env, out: ReceiptOutbox, leg: number): void {
    const minAge = this.ctx.sc.protocol.receipt_min_age_us;
    for (const dst of out.peers()) {
      const items: number[] = [];
      let cert = '';
      for (const p of out.positions(dst)) {
        const rid = out.rid(p);
        if (leg === LEG_RECV && rid <= this.peerRecv[dst]) continue;
        if (env.now_us - out.committedAt(p) < minAge) continue;
        items.push(out.tx(p), rid);
        cert = out.cert(p) || cert;
        if (items.length >= 2 * RESEND_MAX) break;
      }
      if (items.length > 0) this.sendReceipts(env, dst, leg, items, cert, true);
    }
  }

  /** Asks each sender table for the first receipt id missing here (≤ 5 ids per pull). */
  private pull(env: Env): void {
    const ctx = this.ctx;
    for (let src = 0; src < ctx.map.tables; src++) {
      const applied = this.ledger.recvId[src];
      if (this.peerSend[src] <= applied || src === this.table) continue;
      if (this.recvQ.has(src, applied + 1)) continue;
      const target = ctx.designated(src, Math.floor(env.now_us / ctx.sc.protocol.receipt_pull_us), this.clock, env);
      if (target < 0 || target === this.self) continue;
      const msg: ReceiptPullMsg = {
        kind: MSG.RECEIPT_PULL, bytes: ctx.sc.sizes.sync_request_bytes, dw: (src * 65536 + applied) >>> 0,
        src, dst: this.table, leg: LEG_RECV, from: applied + 1, count: PULL_MAX,
      };
      env.send(target, msg);
    }
  }

  /** A receiver table asked for receipts: send those still held (to its groups). */
  onReceiptPull(env: Env, m: ReceiptPullMsg): void {
    const out = m.leg === LEG_RECV ? this.outRecv : this.outConfirm;
    const items: number[] = [];
    let cert = '';
    for (let rid = m.from; rid < m.from + m.count; rid++) {
      const p = out.find(m.dst, rid);
      if (p < 0) continue;
      items.push(out.tx(p), rid);
      cert = out.cert(p) || cert;
    }
    if (items.length > 0) this.sendReceipts(env, m.dst, m.leg, items, cert, true);
  }

  /** Whether `parent` descends from (or is) this replica's committed block, by blocks it holds. */
  private onCommittedChain(parent: Block): boolean {
    let cur: Block | undefined = parent;
    while (cur && cur.height > this.committedHeight) cur = this.blocks.get(cur.parent);
    return cur !== undefined && cur.id === this.committedId;
  }

  /** State after `parent`: committed state plus the uncommitted ancestors' effects. */
  private stateAt(parent: Block): StateView | null {
    const chain: Block[] = [];
    let cur: Block | undefined = parent;
    while (cur && cur.height > this.committedHeight) {
      chain.push(cur);
      cur = this.blocks.get(cur.parent);
    }
    if (!cur || cur.id !== this.committedId) return null; // not on our committed chain
    const view = new StateView(this.ledger);
    const ctx = this.ctx;
    for (let i = chain.length - 1; i >= 0; i--) {
      const b = chain[i];
      for (let k = 0; k < b.txs.length; k++) applyLeg(view, ctx.txs, ctx.map, b.txs[k], b.legs[k], b.rids[k], ctx.rules);
    }
    return view;
  }

  // ---- sync: fetching missing blocks ---------------------------------------------------------

  private requestBlock(env: Env, blockId: string, hint: number, attempt: number): void {
    const prev = this.syncing.get(blockId);
    if (prev !== undefined && prev >= attempt) return;
    this.syncing.set(blockId, attempt);
    const members = this.ctx.epoch(this.table, this.clock).members;
    let peer = hint >= 0 && hint !== this.self && attempt === 0 ? hint : -1;
    for (let k = 0; peer < 0 && k < members.length; k++) {
      const c = members[(this.self + attempt + k) % members.length];
      if (c !== this.self && !env.knownDown(c)) peer = c;
    }
    if (peer < 0) return;
    const sizes = this.ctx.sc.sizes;
    const req: SyncReqMsg = { kind: MSG.SYNC_REQ, bytes: sizes.sync_request_bytes, dw: wordOfHex(blockId), table: this.table, blockId };
    env.send(peer, req);
    const t: SyncTimer = { kind: TIMER.SYNC, dw: wordOfHex(blockId), table: this.table, blockId, attempt };
    env.setTimer(this.ctx.sc.protocol.sync_retry_us, t);
  }

  onSyncRequest(env: Env, from: number, m: SyncReqMsg): void {
    const b = this.blocks.get(m.blockId);
    if (!b) return;
    const qc = this.qcs.get(b.id) ?? null;
    const resp: SyncRespMsg = {
      kind: MSG.SYNC_RESP, bytes: b.bytes + this.ctx.sc.sizes.qc_bytes, dw: b.idWord, block: b, qc,
    };
    env.send(from, resp);
  }

  onSyncResponse(env: Env, from: number, m: SyncRespMsg): void {
    const b = m.block;
    if (this.blocks.has(b.id)) return;
    env.charge((m.bytes / 1024) * this.ctx.sc.costs.hash_per_kib_us);
    // A block body is trusted only with a certificate naming it, or when a certificate we hold names it.
    if (!this.syncing.has(b.id) && !this.qcs.has(b.id) && !(m.qc && m.qc.blockId === b.id)) return;
    this.blocks.set(b.id, b);
    this.syncing.delete(b.id);
    if (m.qc && !this.qcs.has(b.id)) this.acceptQC(env, m.qc);
    const w = this.waiting.get(b.id);
    if (w) {
      this.waiting.delete(b.id);
      this.onProposal(env, w.from, w.msg);
    }
    // Re-run the chain rule from the highest certificate; it fetches whatever is still missing.
    this.advanceChain(env, this.highQC);
    if (this.isLeader(this.view)) this.tryPack(env);
  }
}

/**
 * invalid_execution: a block result that re-execution refutes. With legs, the last leg's receipt
 * id is off by one (a send's next id, a receipt applied out of order, or an id on an inner
 * transfer); an empty block claims a receipt id that no leg assigns, as if a counter had moved
 * without a transaction.
 */
function wrongResult(rids: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  if (rids.length === 0) return Int32Array.of(1);
  const r = rids.slice();
  r[r.length - 1]++;
  return r;
}

function emptyPicks(): Picks {
  return { txs: [], legs: [], rids: [] };
}

function push(m: Map<number, number[]>, key: number, a: number, b: number): void {
  let l = m.get(key);
  if (!l) {
    l = [];
    m.set(key, l);
  }
  l.push(a, b);
}

/** Proposal size (MC-7): header + certificate + txs (a recv carries its receipt) + one unit per account. */
function blockBytes(ctx: ChainContext, ids: Int32Array, legs: Uint8Array): number {
  const sizes = ctx.sc.sizes;
  const txs = ctx.txs;
  const accounts = new Set<number>();
  let body = 0;
  for (let i = 0; i < ids.length; i++) {
    const leg = legs[i];
    body += leg === LEG_INNER || leg === LEG_SEND ? sizes.tx_bytes : sizes.receipt_bytes;
    if (leg !== LEG_RECV) accounts.add(txs.sender[ids[i]]);
    if (leg === LEG_INNER || leg === LEG_RECV) accounts.add(txs.receiver[ids[i]]);
  }
  return sizes.proposal_header_bytes + sizes.qc_bytes + body + accounts.size * sizes.unit_per_account_bytes;
}
