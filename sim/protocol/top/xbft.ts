/**
 * One table's consensus at one node: TOP's xBFT (docs/PROTOCOL.md §8), a chained 3-chain BFT with
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
 *
 * TableReplica is the consensus core: views, leaders, packing and proposals, votes, certificates,
 * the 3-chain rule. It owns the rest of a replica and asks it at fixed points:
 * - chain.ts: the blocks and certificates held, the highest certificate, lock and committed block;
 * - execution.ts: state after a block, re-execution and its charge, applying committed blocks;
 * - receipts.ts: receipt queues, outboxes and traffic (§9.4);
 * - blocksync.ts: fetching missing blocks; statesync.ts: state sync for new members (§7.4);
 * - byzantine.ts: the scenario's misbehaviour, as hooks (honest replicas answer "behave").
 */
import type { Env } from '../../contract/env.js';
import {
  MSG, TIMER, commitKey, BLOCK_LIGHT, BLOCK_EMPTY, BLOCK_FULL, wordOfHex,
  type Block, type QC, type ProposalMsg, type VoteMsg, type CommitMsg, type SyncReqMsg,
  type SyncRespMsg, type TxBatchMsg, type PackTimer, type SyncTimer, type ReceiptMsg,
  type ReceiptStateMsg, type ReceiptPullMsg, type StateRespMsg, type StateTimer,
} from './messages.js';
import { LEG_CONFIRM, TableLedger, type StateView } from './ledger.js';
import { TxPool, POOL_OK, POOL_DUP, POOL_WINDOW, type Picks, type ReceiptQueueLike } from './txpool.js';
import { SEAT_A, SEAT_V, type ChainContext } from './context.js';
import { Encoder, fromHex, hex, merkleRoot } from '../../crypto/index.js';
import { invariant } from '../../lib/assert.js';
import { ChainStore } from './chain.js';
import { Execution, blockBytes } from './execution.js';
import { ReceiptFlow, type LocalDelivery } from './receipts.js';
import { NO_PROOFS } from './chain.js';
import { BlockSync } from './blocksync.js';
import { StateSync } from './statesync.js';
import { Byzantine, type ForkingLeader } from './byzantine.js';

export { genesisBlock, genesisQC } from './chain.js';
export type { LocalDelivery } from './receipts.js';

/** Transactions expire from pools after 100 s (docs/PROTOCOL.md §9.2, D TransactionProtocol.md). */
export const TX_EXPIRE_US = 100_000_000;

const enc = new Encoder(512);

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
  private readonly chain: ChainStore;
  private readonly receipts: ReceiptFlow;
  private readonly execution: Execution;
  private readonly blockSync: BlockSync;
  private readonly stateSync: StateSync;
  private readonly byzantine: Byzantine;
  /** The beacon clock as this replica knows it. */
  clock = 0;
  view = 0;
  private viewStart_us = 0;
  lastVotedView = 0;
  private proposedView = -1;
  private rounds: LeaderRound[] = [];
  private readonly memberA: boolean;
  /** What an equivocating leader uses of this one (made at its first equivocation). */
  private forking: ForkingLeader | null = null;
  /**
   * False for a newly elected member until it has the table's state (docs/PROTOCOL.md §7.4): it then
   * ignores the table's traffic except receipts, and neither leads nor votes.
   */
  synced: boolean;
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
    // Genesis members share their ledger with the table's other in-sync replicas on this thread;
    // a member that starts from a snapshot keeps its own (ledger.ts LedgerVersions).
    const versions = synced ? ctx.ledgerVersions(table) : null;
    this.ledger = versions !== null ? versions.attach() : new TableLedger(ctx.map.tableAccounts[table].length, T, sc.workload.genesis_balance);
    this.slot = ctx.replicaSlots.take(table);
    this.pool = new TxPool(ctx.txs, ctx.map, table, sc.protocol.pool_txs_max, sc.protocol.account_pending_max,
      ctx.pooled, this.slot);
    this.chain = new ChainStore(table);
    this.byzantine = new Byzantine(ctx, self, table, this.chain.highQC);
    // A member that starts from a snapshot keeps its own outboxes (sharedoutbox.ts).
    this.receipts = new ReceiptFlow(ctx, self, table, this.ledger, this.byzantine, local, synced ? ctx.sharedReceipts(table) : null);
    this.execution = new Execution(ctx, table, this.ledger, this.pool, this.chain, this.receipts, versions);
    this.blockSync = new BlockSync(ctx, self, table, this.chain);
    this.stateSync = new StateSync(ctx, self, table, this.chain, this.ledger, this.pool, this.receipts);
    this.memberA = ctx.isAuditor[self] === 1;
  }

  /** The node drops this replica (it left the table, or a restart rebuilt it): it lets go of shared state. */
  retire(): void {
    this.receipts.detach();
    this.execution.leaveVersions();
  }

  /** The committed height (it grows by commits; only a state snapshot sets it otherwise). */
  /** The page's view: the committed block at height `h`, if still held. */
  committedAt(h: number): Block | undefined {
    return this.chain.committedAt(h);
  }

  get committedHeight(): number {
    return this.chain.committedHeight;
  }

  get lockedHeight(): number {
    return this.chain.lockedHeight;
  }

  get highQC(): QC {
    return this.chain.highQC;
  }

  /** Receipts queued for this table's blocks: recv legs, confirm legs. */
  get recvQ(): ReceiptQueueLike {
    return this.receipts.recvQ;
  }

  get confirmQ(): ReceiptQueueLike {
    return this.receipts.confirmQ;
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
    this.byzantine.onRestart();
    this.rounds = [];
    this.blockSync.onRestart();
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
      const r = this.windowFullFor(id) ? POOL_WINDOW : this.pool.add(id, this.ledger, ctx.rules);
      if (r !== POOL_OK && r !== POOL_DUP) env.observe.reject(id, r);
    }
    if (m.hop === 0 && this.memberA) this.forwardBatch(env, m);
    // Below the immediate threshold the leader's 50 ms retry timer decides when to pack.
    if (this.pool.size >= ctx.sc.protocol.pack_immediate_txs && this.isLeader(this.view) &&
        this.proposedView !== this.view) this.tryPack(env);
  }

  /** Two auditors, chosen by the batch hash, forward an edge's batch to the validator group (§9.1). */
  private forwardBatch(env: Env, m: TxBatchMsg): void {
    const ctx = this.ctx;
    const A = ctx.epoch(this.table, this.clock).auditors;
    const k = m.dw % A.length;
    if (A[k] === this.self || A[(k + 1) % A.length] === this.self) {
      // Built field by field in the edge's order (node.ts), so every batch shares one shape.
      const fwd: TxBatchMsg = { kind: m.kind, bytes: m.bytes, dw: m.dw, table: m.table, batch: m.batch, txs: m.txs, hop: 1 };
      env.broadcast(ctx.hearV(this.table, this.clock), fwd);
    }
  }

  onTimer(env: Env, t: PackTimer | SyncTimer | StateTimer): void {
    if (t.kind === TIMER.STATE) {
      if (!this.synced) this.stateSync.onTimer(env, t as StateTimer, this.clock);
    } else if (t.kind === TIMER.PACK) {
      if ((t as PackTimer).view === this.view) this.tryPack(env);
    } else if (t.kind === TIMER.SYNC) {
      this.blockSync.onTimer(env, t as SyncTimer, this.clock);
    }
  }

  // ---- state sync for new members (docs/PROTOCOL.md §7.4, statesync.ts) ----------------------------

  /** Starts syncing the table's state (attempt `attempt`): probes members, then fetches from the best. */
  requestState(env: Env, attempt: number): void {
    this.stateSync.request(env, attempt, this.clock);
  }

  onStateRequest(env: Env, from: number, probe: boolean): void {
    if (this.synced) this.stateSync.answer(env, from, probe);
  }

  onStateResponse(env: Env, from: number, m: StateRespMsg): void {
    if (this.synced) return;
    if (m.snap === null) {
      this.stateSync.onProbeAnswer(env, from, m, this.clock);
      return;
    }
    this.execution.leaveVersions();
    const s = this.stateSync.adopt(env, m);
    this.byzantine.adopt(s.highQC);
    this.adoptVotes(s.highQC);
    this.synced = true;
    env.observe.sync(commitKey(s.committed), s.committed, m.bytes);
    this.recomputeView(env);
    this.tryPack(env);
  }

  /** After a state snapshot certified up to `highQC`: the views this node may have voted in. */
  private adoptVotes(highQC: QC): void {
    // Never vote again in a view this node may have voted in during an earlier term.
    this.lastVotedView = Math.max(this.lastVotedView, highQC.view);
    if (highQC.clock > this.clock) this.clock = highQC.clock;
    if (this.lostVotes) {
      const v = Math.max(this.view, this.viewFor(highQC, this.clock));
      this.lastVotedView = Math.max(this.lastVotedView, v);
      this.proposedView = v;
      this.lostVotes = false;
    }
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
    const v = this.viewFor(this.chain.highQC, this.clock);
    if (v > this.view) this.enterView(env, v);
  }

  private enterView(env: Env, v: number): void {
    invariant(v > this.view, () => `node ${this.self} table ${this.table}: view ${v} entered after view ${this.view}`);
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
    const chain = this.chain;
    const hq = chain.blocks.get(chain.highQC.blockId);
    if (!hq) return false;
    if (hq.height > chain.committedHeight && hq.cls === BLOCK_LIGHT) return true;
    const parent = chain.blocks.get(hq.parent);
    return parent !== undefined && parent.height > chain.committedHeight && parent.cls === BLOCK_LIGHT;
  }

  private tryPack(env: Env): void {
    const v = this.view;
    if (!this.isLeader(v) || this.proposedView === v) return;
    if (this.byzantine.holdsProposal(env, v, this.viewStart_us)) return;
    if (this.byzantine.equivocates(env.now_us)) {
      this.byzantine.packEquivocating(env, v, this.viewStart_us, this.forkingLeader());
      return;
    }
    const highQC = this.chain.highQC;
    const parent = this.chain.blocks.get(highQC.blockId);
    if (!parent) {
      this.requestBlock(env, highQC.blockId, highQC.leader, 0);
      this.retryPack(env);
      return;
    }
    if (!this.packOn(env, parent)) this.retryPack(env);
  }

  /** Proposes on `parent`, the highest certificate's block, as the pacing rule allows: whether it did. */
  private packOn(env: Env, parent: Block): boolean {
    const p = this.ctx.sc.protocol;
    if ((parent.height + 1) % p.full_block_interval === 0) {
      this.propose(env, this.chain.highQC, parent, BLOCK_FULL, emptyPicks(), -1);
      return true;
    }
    const min = this.packThreshold(env.now_us - this.viewStart_us);
    if (this.packLight(env, parent, min)) return true;
    if (min === 0 && this.needEmpty()) {
      this.propose(env, this.chain.highQC, parent, BLOCK_EMPTY, emptyPicks(), -1);
      return true;
    }
    return false;
  }

  /** Proposes a light block if at least `min` legs (and at least one) are ready on `parent`'s state. */
  private packLight(env: Env, parent: Block, min: number): boolean {
    const p = this.ctx.sc.protocol;
    const waiting = this.pool.size + this.receipts.recvQ.size + this.receipts.confirmQ.size;
    if (waiting === 0 || waiting < Math.max(min, 1)) return false;
    const view = this.execution.stateAt(parent);
    if (!view) return false;
    const picked = this.select(view, parent);
    view.release();
    if (picked.txs.length === 0 || picked.txs.length < Math.min(min, p.block_txs_max)) return false;
    this.propose(env, this.chain.highQC, parent, BLOCK_LIGHT, picked, -1);
    return true;
  }

  /**
   * The block's legs (§4.3 caps): receipts first (confirm ≤ 160, recv + confirm ≤ 220), then
   * the pool's inner and send legs up to 288 in all; sends toward a peer stop at the flow-control
   * window of unconfirmed receipts.
   */
  private select(view: StateView, parent: Block): Picks {
    const ctx = this.ctx;
    const p = ctx.sc.protocol;
    const out = emptyPicks();
    const rotate = this.view;
    const receipts = this.receipts;
    receipts.confirmQ.select(view, Math.min(p.confirm_per_block_max, p.recv_per_block_max, p.block_txs_max), out,
      ctx.txs, ctx.map, ctx.rules, rotate);
    receipts.recvQ.select(view, Math.min(p.recv_per_block_max, p.block_txs_max) - out.txs.length, out,
      ctx.txs, ctx.map, ctx.rules, rotate);
    this.pool.select(view, p.block_txs_max - out.txs.length, ctx.rules, out,
      (peer) => receipts.windowOpen(peer, view.sendId(peer)));
    // The peer tables' receipt-id state it carries (only a block with legs: TOP's get_pack_resource).
    if (out.txs.length > 0 && p.receipt_state_in_blocks) {
      const confirmFrom = new Set<number>();
      for (let i = 0; i < out.legs.length; i++) if (out.legs[i] === LEG_CONFIRM) confirmFrom.add(ctx.map.tableOf[ctx.txs.receiver[out.txs[i]]]);
      out.proofs = receipts.proofsFor(parent.height + 1, parent, this.chain.blocks.get(parent.parent), (peer) => view.sendId(peer), confirmFrom);
    }
    return out;
  }

  /** The legs a block after `parent` would carry: none when `parent` is off the committed chain. */
  private picksOn(parent: Block): Picks {
    const view = this.execution.stateAt(parent);
    const picked = view ? this.select(view, parent) : emptyPicks();
    view?.release();
    return picked;
  }

  private retryPack(env: Env): void {
    const t: PackTimer = { kind: TIMER.PACK, dw: this.view, table: this.table, view: this.view };
    env.setTimer(this.ctx.sc.protocol.pack_retry_us, t);
  }

  /** This replica's leader machinery, as an equivocating leader (byzantine.ts) drives it. */
  private forkingLeader(): ForkingLeader {
    return this.forking ??= {
      block: (id) => this.chain.blocks.get(id),
      picksOn: (parent) => this.picksOn(parent),
      propose: (env, justify, parent, cls, picks, fork) => this.propose(env, justify, parent, cls, picks, fork),
      fetch: (env, blockId, hint) => this.requestBlock(env, blockId, hint, 0),
      retryPack: (env) => this.retryPack(env),
    };
  }

  /**
   * Proposes a block of this view on `parent` justified by `justify`, to the table's groups (a
   * fork's proposal only to that fork's half), opens its round and counts the leader's own vote.
   */
  private propose(env: Env, justify: QC, parent: Block, cls: number, picks: Picks, fork: number): Block {
    const ctx = this.ctx;
    const block = this.makeBlock(env, parent, cls, picks, fork);
    const id = block.id;
    const sig = ctx.signer.sign(this.self, fromHex(id));
    this.chain.blocks.set(id, block);
    this.proposedView = this.view;
    const round = this.openRound(block, fork, env.now_us);
    const msg: ProposalMsg = { kind: MSG.PROPOSAL, bytes: block.bytes, dw: block.idWord, table: this.table, block, justify, sig };
    this.broadcastToTable(env, block.clock, fork, msg);
    // The leader's own vote.
    this.lastVotedView = Math.max(this.lastVotedView, this.view);
    this.countVote(env, round, this.self, ctx.signer.sign(this.self, fromHex(id)));
    return block;
  }

  /** Builds this view's block on `parent` and charges its execution, hashing and signing. */
  private makeBlock(env: Env, parent: Block, cls: number, picks: Picks, fork: number): Block {
    const ctx = this.ctx;
    const sc = ctx.sc;
    const txs = ctx.txs;
    const ids = Int32Array.from(picks.txs);
    const legs = Uint8Array.from(picks.legs);
    const rids = this.byzantine.claimedResults(env.now_us, Int32Array.from(picks.rids));
    const proofs = picks.proofs && picks.proofs.length > 0 ? Int32Array.from(picks.proofs) : NO_PROOFS;
    const bytes = blockBytes(ctx, ids, legs) + (proofs.length / 2) * sc.sizes.receipt_state_proof_bytes;
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < ids.length; i++) leaves.push(txs.hash(ids[i]));
    const root = merkleRoot(leaves);
    const salt = fork < 0 ? 0 : fork + 1;
    enc.u32(this.table).u53(parent.height + 1).u53(this.view).u53(this.clock)
      .str(parent.id).u32(this.self).u8(cls).u32(salt).raw(root).raw(legs).bytes(new Uint8Array(rids.buffer))
      .bytes(new Uint8Array(proofs.buffer, proofs.byteOffset, proofs.byteLength));
    const id = hex(enc.finishSha256());
    const block: Block = {
      id, idWord: wordOfHex(id), table: this.table, height: parent.height + 1, view: this.view,
      clock: this.clock, parent: parent.id, leader: this.self, cls, salt, txs: ids, legs, rids, proofs, bytes,
    };
    // Execution was done while selecting; hash the block and sign it.
    env.charge(ids.length * sc.costs.execute_tx_us + (bytes / 1024) * sc.costs.hash_per_kib_us + sc.costs.sign_us);
    return block;
  }

  private openRound(block: Block, fork: number, now_us: number): LeaderRound {
    const round: LeaderRound = {
      block, votedV: new Set(), votedA: new Set(), signers: [], sigs: [], done: false, fork,
      proposed_us: now_us,
    };
    this.rounds.push(round);
    if (this.rounds.length > 2) this.rounds.shift();
    return round;
  }

  /** A proposal or certificate to the table's groups and archives; a fork's only to its half. */
  private broadcastToTable(env: Env, clock: number, fork: number, msg: ProposalMsg | CommitMsg): void {
    if (fork >= 0) {
      this.byzantine.broadcastToFork(env, clock, fork, msg);
      return;
    }
    const ctx = this.ctx;
    env.broadcast(ctx.hearV(this.table, clock), msg);
    env.broadcast(ctx.hearA(this.table, clock), msg);
    if (ctx.archives.length > 0) env.broadcast(ctx.archives, msg);
  }

  // ---- replica: proposals and votes ----------------------------------------------------------

  onProposal(env: Env, from: number, m: ProposalMsg): void {
    const b = m.block;
    // Already have it (a duplicate copy, or it came by sync): nothing more unless we never voted.
    if (this.chain.blocks.has(b.id) && b.leader !== this.self && this.lastVotedView >= b.view) return;
    env.charge((m.bytes / 1024) * this.ctx.sc.costs.hash_per_kib_us);
    if (b.leader === this.self || !this.synced) return;
    if (!this.wellFormed(env, m)) return;
    // Only members of the round active at the block's clock vote; incoming members follow.
    const member = this.ctx.epoch(this.table, b.clock).seat.has(this.self);
    if (this.byzantine.votesForAnything(env.now_us)) {
      this.chain.blocks.set(b.id, b);
      if (member) this.vote(env, b);
      return;
    }
    if (!this.follow(env, b)) return;
    const parent = this.chain.blocks.get(b.parent);
    if (!parent) {
      this.blockSync.park(b.parent, from, m);
      this.requestBlock(env, b.parent, from, 0);
      return;
    }
    if (b.view <= this.lastVotedView) return;
    if (!this.chain.safeToVote(b, m.justify)) return;
    // Re-execute: every member builds the block's result from the same inputs (§8.3 step 3).
    if (!this.byzantine.skipsExecution(env.now_us) && !this.reexecutes(env, b, parent)) return;
    this.chain.blocks.set(b.id, b);
    // Its receipt-id state proofs: each a Merkle path to a certified block of the peer, kept in this node's state cache.
    if (b.proofs.length > 0) {
      env.charge((b.proofs.length / 2) * this.ctx.sc.costs.merkle_path_us);
      this.receipts.learnProofs(b.proofs);
    }
    if (!member) return;
    this.lastVotedView = b.view;
    this.vote(env, b);
  }

  /**
   * Whether a proposal is the view's leader's, signed by it, justified by a valid certificate of
   * its parent, and of the view that certificate and the block's clock give.
   */
  private wellFormed(env: Env, m: ProposalMsg): boolean {
    const ctx = this.ctx;
    const b = m.block;
    if (ctx.leaderOf(this.table, b.view, b.clock) !== b.leader) return false;
    env.charge(ctx.sc.costs.verify_share_us);
    if (!ctx.verifiedOnce(m, () => ctx.signer.verify(b.leader, fromHex(b.id), m.sig))) return false;
    if (!this.acceptQC(env, m.justify)) return false;
    if (b.parent !== m.justify.blockId || b.height !== m.justify.height + 1) return false;
    if (b.clock < m.justify.clock) return false;
    return b.view === this.viewFor(m.justify, b.clock);
  }

  /**
   * Follows a proposal's clock and view: the block binds a clock certificate, so a node whose
   * clock lags one tick learns the tick from it; a later view is entered. False when the proposal
   * is too far ahead of this node's clock, or stale.
   */
  private follow(env: Env, b: Block): boolean {
    if (b.clock > this.clock + 1) return false;
    if (b.clock > this.clock) {
      this.clock = b.clock;
      this.recomputeView(env);
    }
    if (b.view < this.view) return false; // stale: our view has moved on
    if (b.view > this.view) this.enterView(env, b.view);
    return true;
  }

  /** Re-executes `b` on `parent`'s state, charging it: whether its results hold. */
  private reexecutes(env: Env, b: Block, parent: Block): boolean {
    // One leg kind and one result (receipt id) per transaction, no more, no less.
    if (b.legs.length !== b.txs.length || b.rids.length !== b.txs.length) return false;
    if (!this.chain.onCommittedChain(parent)) return false;
    if (!this.execution.charge(env, b)) return false;
    return this.ctx.executionValid(b, this.chain.committedId, () => this.execution.replays(b, parent));
  }

  private vote(env: Env, b: Block): void {
    const ctx = this.ctx;
    if (this.byzantine.withholdsVotes(env.now_us)) return;
    env.charge(ctx.sc.costs.sign_us);
    const vote: VoteMsg = {
      kind: MSG.VOTE, bytes: ctx.sc.sizes.vote_bytes, dw: (b.idWord ^ Math.imul(this.self + 1, 0x9e3779b1)) >>> 0,
      table: this.table, blockId: b.id, view: b.view, voter: this.self,
      sig: ctx.signer.sign(this.self, fromHex(b.id)),
    };
    env.send(b.leader, vote);
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

  // ---- certificates, locks, commits ----------------------------------------------------------

  private formQC(env: Env, round: LeaderRound): void {
    const ctx = this.ctx;
    const b = round.block;
    const qc = certificateOf(ctx, round);
    // Merging each group's shares into one multisig.
    env.charge(2 * ctx.sc.costs.verify_aggregate_us);
    const msg: CommitMsg = {
      kind: MSG.COMMIT, bytes: ctx.sc.sizes.qc_bytes, dw: (b.idWord ^ qc.signers.length) >>> 0, table: this.table, qc,
      fork: round.fork,
    };
    this.broadcastToTable(env, b.clock, round.fork, msg);
    this.byzantine.onFormed(qc, round.fork);
    this.chain.qcs.set(qc.blockId, qc);
    this.onCertified(env, qc, true);
  }

  onCommitMsg(env: Env, m: CommitMsg): void {
    if (!this.synced) return;
    this.byzantine.onCommitMsg(m);
    this.acceptQC(env, m.qc);
  }

  /** Verifies a certificate once and applies it. Returns false when it is invalid. */
  private acceptQC(env: Env, qc: QC): boolean {
    if (this.chain.qcs.has(qc.blockId)) return true;
    if (!this.verifyQC(env, qc)) return false;
    this.chain.qcs.set(qc.blockId, qc);
    this.onCertified(env, qc);
    return true;
  }

  /** Whether a certificate's signers hold seats at its clock, reach both quorums, and signed (charged). */
  private verifyQC(env: Env, qc: QC): boolean {
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
    return ctx.verifiedOnce(qc, () => {
      const msg = fromHex(qc.blockId);
      for (let i = 0; i < qc.signers.length; i++) if (!ctx.signer.verify(qc.signers[i], msg, qc.sigs[i])) return false;
      return true;
    });
  }

  private onCertified(env: Env, qc: QC, formed = false): void {
    if (this.chain.raiseHighQC(qc) && qc.clock > this.clock) this.clock = qc.clock;
    this.advanceChain(env, qc, formed);
    this.recomputeView(env);
  }

  /** Applies the 3-chain rule for a newly certified block: lock its parent, commit its grandparent. */
  private advanceChain(env: Env, qc: QC, formed = false): void {
    const chain = this.chain;
    const b = chain.blocks.get(qc.blockId);
    if (!b) {
      this.requestBlock(env, qc.blockId, qc.leader, 0);
      return;
    }
    const parent = chain.blocks.get(b.parent);
    if (!parent) {
      if (b.height > 0) this.requestBlock(env, b.parent, qc.leader, 0);
      return;
    }
    chain.lock(parent);
    const grand = chain.blocks.get(parent.parent);
    if (!grand) {
      if (parent.height > 0) this.requestBlock(env, parent.parent, qc.leader, 0);
      return;
    }
    if (grand.height <= chain.committedHeight) return;
    this.commitThrough(env, grand, qc.leader, formed);
  }

  /**
   * Commits `top` and any uncommitted ancestors, oldest first (the receipts of `top` are sent when
   * this replica formed the certificate); fetches the first missing ancestor instead.
   */
  private commitThrough(env: Env, top: Block, hint: number, formed: boolean): void {
    const pending: Block[] = [];
    if (!this.chain.collectUncommitted(top, pending)) {
      const missing = pending[pending.length - 1].parent;
      this.requestBlock(env, missing, hint, 0);
      return;
    }
    for (let i = pending.length - 1; i >= 0; i--) this.commit(env, pending[i], formed && i === 0);
  }

  private commit(env: Env, b: Block, sendReceipts: boolean): void {
    const outR = new Map<number, number[]>(); // dst table -> [tx, rid, ...] recv receipts
    const outC = new Map<number, number[]>(); // dst table -> [tx, rid, ...] confirm receipts
    this.execution.applyCommitted(b, env.now_us, outR, outC);
    this.chain.markCommitted(b);
    // This node's replicas of other tables learn this table's committed receipt ids (TOP's node-wide cache).
    if (this.ctx.sc.protocol.receipt_state_in_blocks) this.local.committed(this.table, this.ledger);
    env.observe.commit(commitKey(b), b, this.ledger.sum());
    // Its leader says which peers' windows this block leaves full (the limits analysis samples them).
    if (b.leader === this.self) this.receipts.noteWindows(env, b.height);
    // The leader whose certificate committed this block sends its receipts (§9.4).
    if (sendReceipts && b.txs.length > 0) this.receipts.sendCommitted(env, outR, outC, this.chain.highQC.blockId, this.clock);
  }

  // ---- receipts (receipts.ts) ----------------------------------------------------------------

  /** Receipts arriving for this (receiver) table. */
  onReceipt(env: Env, m: ReceiptMsg): void {
    this.receipts.onReceipt(env, m);
  }

  /** A peer table's receipt-id counters. */
  onReceiptState(m: ReceiptStateMsg): void {
    this.receipts.onReceiptState(m);
  }

  /**
   * Whether transaction `id` is a send toward a peer table whose window is full in the committed
   * state: TOP refuses it when it enters the pool (`push_send_tx`, `is_unconfirmed_num_reach_limit`),
   * so the pool does not fill with sends that cannot be packed. Only with the state in blocks
   * (without it the window is applied when packing only, as before).
   */
  private windowFullFor(id: number): boolean {
    const ctx = this.ctx;
    if (!ctx.sc.protocol.receipt_state_in_blocks) return false;
    const peer = ctx.map.tableOf[ctx.txs.receiver[id]];
    if (peer === this.table) return false;
    return !this.receipts.windowOpen(peer, this.ledger.sendId[peer]);
  }

  /** Receipts toward `peer` the flow-control window counts as confirmed (receipts.ts windowOpen). */
  confirmedToward(peer: number): number {
    return this.receipts.confirmedToward(peer);
  }

  /** This node's replica of `table` committed: what it applied from this table, and sent it. */
  learnCommitted(table: number, applied: number, sent: number): void {
    this.receipts.learnCommitted(table, applied, sent);
  }

  /** Periodic receipt duties of the designated node of this table (§9.4). */
  receiptDuty(env: Env, duty: number): void {
    if (this.synced) this.receipts.duty(env, duty, this.clock, this.chain.committedHeight);
  }

  /** A receiver table asked for receipts. */
  onReceiptPull(env: Env, m: ReceiptPullMsg): void {
    this.receipts.onReceiptPull(env, m, this.clock);
  }

  // ---- sync: fetching missing blocks (blocksync.ts) ------------------------------------------

  private requestBlock(env: Env, blockId: string, hint: number, attempt: number): void {
    this.blockSync.request(env, blockId, hint, attempt, this.clock);
  }

  onSyncRequest(env: Env, from: number, m: SyncReqMsg): void {
    this.blockSync.onRequest(env, from, m);
  }

  onSyncResponse(env: Env, _from: number, m: SyncRespMsg): void {
    if (!this.blockSync.accept(env, m)) return;
    const b = m.block;
    if (m.qc && !this.chain.qcs.has(b.id)) this.acceptQC(env, m.qc);
    const w = this.blockSync.unpark(b.id);
    if (w) this.onProposal(env, w.from, w.msg);
    // Re-run the chain rule from the highest certificate; it fetches whatever is still missing.
    this.advanceChain(env, this.chain.highQC);
    if (this.isLeader(this.view)) this.tryPack(env);
  }
}

/** The certificate of a round's votes: signers validators first, then auditors, each by id (the bitmap order). */
function certificateOf(ctx: ChainContext, round: LeaderRound): QC {
  const b = round.block;
  const idx = round.signers.map((_, i) => i).sort((x, y) => {
    const a = round.signers[x], c = round.signers[y];
    const ga = ctx.isValidator[a] === 1 ? 0 : 1, gc = ctx.isValidator[c] === 1 ? 0 : 1;
    return ga - gc || a - c;
  });
  return {
    blockId: b.id, blockWord: b.idWord, table: b.table, height: b.height, view: b.view, clock: b.clock,
    leader: b.leader, signers: Int32Array.from(idx.map((i) => round.signers[i])), sigs: idx.map((i) => round.sigs[i]),
  };
}

function emptyPicks(): Picks {
  return { txs: [], legs: [], rids: [] };
}
