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
import type { Env } from './env.js';
import {
  MSG, TIMER, BLOCK_LIGHT, BLOCK_EMPTY, BLOCK_FULL, wordOfHex,
  type Block, type QC, type ProposalMsg, type VoteMsg, type CommitMsg, type SyncReqMsg,
  type SyncRespMsg, type TxBatchMsg, type PackTimer, type SyncTimer,
} from './messages.js';
import { TableLedger, StateView, checkTx, applyTx, TX_OK } from './ledger.js';
import { TxPool, POOL_OK, POOL_DUP } from './txpool.js';
import type { ChainContext } from './context.js';
import { Encoder, fromHex, hex, merkleRoot, sha256 } from '../crypto/index.js';

/** Transactions expire from pools after 100 s (PROTOCOL.md §9.2, D TransactionProtocol.md). */
export const TX_EXPIRE_US = 100_000_000;
/** Committed blocks kept for serving sync requests. */
const BLOCKS_KEPT = 512;

const enc = new Encoder(512);

export function genesisBlock(table: number): Block {
  const id = hex(sha256(new TextEncoder().encode(`topsim/genesis/table/${table}`)));
  return {
    id, idWord: wordOfHex(id), table, height: 0, view: 0, clock: 0, parent: '', leader: -1,
    cls: BLOCK_FULL, salt: 0, txs: new Int32Array(0), bytes: 0,
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
}

export class TableReplica {
  readonly ledger: TableLedger;
  readonly pool: TxPool;
  private readonly blocks = new Map<string, Block>();
  private readonly qcs = new Map<string, QC>();
  private readonly committedIds: string[] = [];
  private readonly seenBatches = new Set<number>();
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
  private readonly byzantine: boolean;
  /** Byzantine: the tip certificate of each fork. */
  private forkTips: [QC, QC];

  constructor(
    private readonly ctx: ChainContext,
    readonly self: number,
    readonly table: number,
  ) {
    const sc = ctx.sc;
    this.ledger = new TableLedger(sc.workload.accounts, sc.workload.genesis_balance);
    this.pool = new TxPool(ctx.txs, sc.protocol.pool_txs_max, sc.protocol.account_pending_max);
    const g = genesisBlock(table);
    this.blocks.set(g.id, g);
    const gq = genesisQC(g);
    this.qcs.set(g.id, gq);
    this.committedIds.push(g.id);
    this.highQC = gq;
    this.committedId = g.id;
    this.lockedId = g.id;
    this.memberA = ctx.isAuditor[self] === 1;
    this.byzantine = ctx.byzantine[self] === 1;
    this.forkTips = [gq, gq];
  }

  // ---- events --------------------------------------------------------------------------------

  start(env: Env): void {
    this.recomputeView(env);
  }

  onClock(env: Env, clock: number): void {
    // Verifying the clock block's certificate.
    env.charge(this.ctx.sc.costs.verify_aggregate_us);
    if (clock > this.clock) this.clock = clock;
    this.pool.expire(env.now_us - TX_EXPIRE_US);
    this.recomputeView(env);
  }

  onRestart(env: Env): void {
    this.proposedView = -1;
    this.rounds = [];
    this.syncing.clear();
    this.recomputeView(env);
    // Catch up: ask a peer for the block after our highest certificate (sync resumes from there).
    this.tryPack(env);
  }

  onTxBatch(env: Env, m: TxBatchMsg): void {
    if (this.seenBatches.has(m.batch)) return;
    this.seenBatches.add(m.batch);
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    const signer = ctx.signer;
    const txs = ctx.txs;
    for (let i = 0; i < m.txs.length; i++) {
      const id = m.txs[i];
      if (this.pool.has(id)) continue;
      env.charge(costs.verify_tx_us);
      if (!signer.verify(ctx.accountKey(txs.sender[id]), txs.hash(id), txs.sig(id))) continue;
      const r = this.pool.add(id, this.ledger, ctx.rules);
      if (r !== POOL_OK && r !== POOL_DUP) ctx.observer.onPoolReject(this.self, id, r);
    }
    // Two auditors, chosen by the batch hash, forward it to the validator group (§9.1).
    if (m.hop === 0 && this.memberA) {
      const A = ctx.auditors(this.table);
      const k = m.dw % A.length;
      if (A[k] === this.self || A[(k + 1) % A.length] === this.self) {
        const fwd: TxBatchMsg = { ...m, hop: 1 };
        env.broadcast(ctx.validators(this.table), fwd);
      }
    }
    // Below the immediate threshold the leader's 50 ms retry timer decides when to pack.
    if (this.pool.size >= ctx.sc.protocol.pack_immediate_txs && this.isLeader(this.view) &&
        this.proposedView !== this.view) this.tryPack(env);
  }

  onTimer(env: Env, t: PackTimer | SyncTimer): void {
    if (t.kind === TIMER.PACK) {
      if ((t as PackTimer).view === this.view) this.tryPack(env);
    } else if (t.kind === TIMER.SYNC) {
      const st = t as SyncTimer;
      if (this.syncing.get(st.blockId) === st.attempt && !this.blocks.has(st.blockId)) {
        this.requestBlock(env, st.blockId, -1, st.attempt + 1);
      }
    }
  }

  // ---- views and leaders ---------------------------------------------------------------------

  isLeader(view: number): boolean {
    return this.ctx.leaderOf(this.table, view) === this.self;
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
    this.ctx.observer.onView(this.self, this.table, v, env.now_us);
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
    const p = this.ctx.sc.protocol;
    if (this.byzantine) {
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
      this.propose(env, this.highQC, parent, BLOCK_FULL, [], -1);
      return;
    }
    const min = this.packThreshold(env.now_us - this.viewStart_us);
    if (this.pool.size > 0 && this.pool.size >= Math.max(min, 1)) {
      const view = this.stateAt(parent);
      if (view) {
        const picked = this.pool.select(view, p.block_txs_max, this.ctx.rules);
        if (picked.length > 0 && picked.length >= Math.min(min, p.block_txs_max)) {
          this.propose(env, this.highQC, parent, BLOCK_LIGHT, picked, -1);
          return;
        }
      }
    }
    if (min === 0 && this.needEmpty()) {
      this.propose(env, this.highQC, parent, BLOCK_EMPTY, [], -1);
      return;
    }
    this.retryPack(env);
  }

  private retryPack(env: Env): void {
    const t: PackTimer = { kind: TIMER.PACK, dw: this.view, table: this.table, view: this.view };
    env.setTimer(this.ctx.sc.protocol.pack_retry_us, t);
  }

  private propose(env: Env, justify: QC, parent: Block, cls: number, txIds: number[], fork: number): Block {
    const ctx = this.ctx;
    const sc = ctx.sc;
    const txs = ctx.txs;
    const ids = Int32Array.from(txIds);
    const accounts = new Set<number>();
    for (const id of txIds) {
      accounts.add(txs.sender[id]);
      accounts.add(txs.receiver[id]);
    }
    const sizes = sc.sizes;
    const bytes = sizes.proposal_header_bytes + sizes.qc_bytes + ids.length * sizes.tx_bytes +
      accounts.size * sizes.unit_per_account_bytes;
    const leaves: Uint8Array[] = [];
    for (const id of txIds) leaves.push(txs.hash(id));
    const root = merkleRoot(leaves);
    const salt = fork < 0 ? 0 : fork + 1;
    enc.u32(this.table).u53(parent.height + 1).u53(this.view).u53(this.clock)
      .str(parent.id).u32(this.self).u8(cls).u32(salt).raw(root);
    const id = hex(enc.finishSha256());
    const block: Block = {
      id, idWord: wordOfHex(id), table: this.table, height: parent.height + 1, view: this.view,
      clock: this.clock, parent: parent.id, leader: this.self, cls, salt, txs: ids, bytes,
    };
    // Execution was done while selecting; hash the block and sign it.
    env.charge(ids.length * sc.costs.execute_tx_us + (bytes / 1024) * sc.costs.hash_per_kib_us + sc.costs.sign_us);
    const sig = ctx.signer.sign(this.self, fromHex(id));
    this.blocks.set(id, block);
    this.proposedView = this.view;
    const round: LeaderRound = {
      block, votedV: new Set(), votedA: new Set(), signers: [], sigs: [], done: false, fork,
    };
    this.rounds.push(round);
    if (this.rounds.length > 2) this.rounds.shift();
    const msg: ProposalMsg = { kind: MSG.PROPOSAL, bytes, dw: block.idWord, block, justify, sig };
    if (fork < 0) {
      env.broadcast(ctx.validators(this.table), msg);
      env.broadcast(ctx.auditors(this.table), msg);
    } else {
      env.broadcast(ctx.forkMembers(this.table, fork, 'V'), msg);
      env.broadcast(ctx.forkMembers(this.table, fork, 'A'), msg);
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
    const p = this.ctx.sc.protocol;
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
      let picked = view ? this.pool.select(view, p.block_txs_max, this.ctx.rules) : [];
      // Make the two proposals differ even on one parent: the second fork takes no txs.
      if (fork === 1 && made.length > 0 && this.forkTips[0].blockId === tip.blockId) picked = [];
      const cls = picked.length > 0 ? BLOCK_LIGHT : BLOCK_EMPTY;
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
    if (ctx.leaderOf(this.table, b.view) !== b.leader) return;
    env.charge(costs.verify_share_us);
    if (!ctx.signer.verify(b.leader, fromHex(b.id), m.sig)) return;
    if (!this.acceptQC(env, m.justify)) return;
    if (b.parent !== m.justify.blockId || b.height !== m.justify.height + 1) return;
    if (b.clock < m.justify.clock) return;
    if (b.view !== this.viewFor(m.justify, b.clock)) return;
    if (this.byzantine) {
      // An equivocating member votes for any well-formed proposal, stale or not.
      this.blocks.set(b.id, b);
      this.vote(env, b);
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
    {
      const state = this.stateAt(parent);
      if (!state) return;
      const txs = ctx.txs;
      let unseen = 0;
      for (let i = 0; i < b.txs.length; i++) {
        const id = b.txs[i];
        if (!this.pool.has(id)) {
          unseen++;
          if (!ctx.signer.verify(ctx.accountKey(txs.sender[id]), txs.hash(id), txs.sig(id))) return;
        }
      }
      env.charge(unseen * costs.verify_tx_us + b.txs.length * costs.execute_tx_us);
      for (let i = 0; i < b.txs.length; i++) {
        const id = b.txs[i];
        if (checkTx(state, txs, id, ctx.rules) !== TX_OK) return;
        applyTx(state, txs, id, ctx.rules);
      }
    }
    this.blocks.set(b.id, b);
    this.lastVotedView = b.view;
    this.vote(env, b);
  }

  private vote(env: Env, b: Block): void {
    const ctx = this.ctx;
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
    env.charge(this.ctx.sc.costs.verify_share_us);
    if (!this.ctx.signer.verify(m.voter, fromHex(m.blockId), m.sig)) return;
    this.countVote(env, round, m.voter, m.sig);
  }

  private countVote(env: Env, round: LeaderRound, voter: number, sig: Uint8Array): void {
    const ctx = this.ctx;
    if (ctx.isValidator[voter] === 1) {
      if (round.votedV.has(voter)) return;
      round.votedV.add(voter);
    } else if (ctx.isAuditor[voter] === 1) {
      if (round.votedA.has(voter)) return;
      round.votedA.add(voter);
    } else return;
    round.signers.push(voter);
    round.sigs.push(sig);
    if (round.votedV.size >= ctx.thresholdV(this.table) && round.votedA.size >= ctx.thresholdA(this.table)) {
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
      kind: MSG.COMMIT, bytes: ctx.sc.sizes.qc_bytes, dw: (b.idWord ^ qc.signers.length) >>> 0, qc, fork: round.fork,
    };
    if (round.fork < 0) {
      env.broadcast(ctx.validators(this.table), msg);
      env.broadcast(ctx.auditors(this.table), msg);
    } else {
      env.broadcast(ctx.forkMembers(this.table, round.fork, 'V'), msg);
      env.broadcast(ctx.forkMembers(this.table, round.fork, 'A'), msg);
      this.forkTips[round.fork] = qc;
    }
    this.qcs.set(qc.blockId, qc);
    this.onCertified(env, qc);
  }

  // ---- certificates, locks, commits ----------------------------------------------------------

  onCommitMsg(env: Env, m: CommitMsg): void {
    if (this.byzantine && m.fork >= 0 && m.qc.view > this.forkTips[m.fork].view) this.forkTips[m.fork] = m.qc;
    if (this.byzantine && m.fork < 0 && m.qc.view > this.forkTips[0].view) this.forkTips = [m.qc, m.qc];
    this.acceptQC(env, m.qc);
  }

  /** Verifies a certificate once and applies it. Returns false when it is invalid. */
  private acceptQC(env: Env, qc: QC): boolean {
    if (this.qcs.has(qc.blockId)) return true;
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    let nV = 0, nA = 0;
    for (let i = 0; i < qc.signers.length; i++) {
      const s = qc.signers[i];
      if (ctx.isValidator[s] === 1) nV++;
      else if (ctx.isAuditor[s] === 1) nA++;
      else return false;
    }
    env.charge(2 * costs.verify_aggregate_us + qc.signers.length * costs.verify_aggregate_per_signer_us);
    if (nV < ctx.thresholdV(this.table) || nA < ctx.thresholdA(this.table)) return false;
    const msg = fromHex(qc.blockId);
    for (let i = 0; i < qc.signers.length; i++) {
      if (!ctx.signer.verify(qc.signers[i], msg, qc.sigs[i])) return false;
    }
    this.qcs.set(qc.blockId, qc);
    this.onCertified(env, qc);
    return true;
  }

  private onCertified(env: Env, qc: QC): void {
    if (qc.view > this.highQC.view) {
      this.highQC = qc;
      if (qc.clock > this.clock) this.clock = qc.clock;
    }
    this.advanceChain(env, qc);
    this.recomputeView(env);
  }

  /** Applies the 3-chain rule for a newly certified block: lock its parent, commit its grandparent. */
  private advanceChain(env: Env, qc: QC): void {
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
    for (let i = chain.length - 1; i >= 0; i--) this.commit(env, chain[i]);
  }

  private commit(env: Env, b: Block): void {
    const ctx = this.ctx;
    const txs = ctx.txs;
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      applyTx(this.ledger, txs, id, ctx.rules);
      this.pool.remove(id);
    }
    this.committedHeight = b.height;
    this.committedId = b.id;
    this.committedIds.push(b.id);
    if (this.committedIds.length > BLOCKS_KEPT) {
      const old = this.committedIds.shift()!;
      this.blocks.delete(old);
      this.qcs.delete(old);
    }
    ctx.observer.onCommit(this.self, b, env.now_us, this.ledger);
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
    const txs = this.ctx.txs;
    for (let i = chain.length - 1; i >= 0; i--) {
      const ids = chain[i].txs;
      for (let k = 0; k < ids.length; k++) applyTx(view, txs, ids[k], this.ctx.rules);
    }
    return view;
  }

  // ---- sync: fetching missing blocks ---------------------------------------------------------

  private requestBlock(env: Env, blockId: string, hint: number, attempt: number): void {
    const prev = this.syncing.get(blockId);
    if (prev !== undefined && prev >= attempt) return;
    this.syncing.set(blockId, attempt);
    const members = this.ctx.members(this.table);
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
