/**
 * A replica's byzantine behaviour (scenario `byzantine`, ChainContext.misbehaves): the hooks the
 * consensus core (xbft.ts) and the receipt flow (receipts.ts) ask at their decision points, and
 * what a misbehaving replica keeps for it. An honest replica answers every hook with "behave":
 * each is one scan of the node's (empty) list of behaviours, and nothing is allocated.
 *
 * - delay_proposals: the leader holds its proposal until a delay after the view started;
 * - equivocate: the leader sends one proposal per fork, each to that fork's half of the members
 *   (`packEquivocating`); as a member it votes for anything well formed;
 * - double_vote: as a member it votes for anything well formed, whatever it voted before;
 * - withhold_votes, withhold_receipts: it sends no votes, no receipts;
 * - invalid_execution: as leader it claims wrong results; as a member it votes without
 *   re-executing.
 * Equivocators and double voters collude: they hear both forks and track each fork's tip.
 * (`silent` mutes the whole node, node.ts; `grind_seed` belongs to the beacon.)
 */
import type { Env, Msg } from '../../contract/env.js';
import {
  TIMER, BLOCK_LIGHT, BLOCK_EMPTY, type Block, type QC, type CommitMsg, type PackTimer,
} from './messages.js';
import type { Picks } from './txpool.js';
import type { ChainContext } from './context.js';

/** What an equivocating leader uses of its replica's leader machinery (xbft.ts). */
export interface ForkingLeader {
  /** The block with this id, if the replica holds it. */
  block(id: string): Block | undefined;
  /** The legs a block after `parent` would carry (none when `parent` is off the committed chain). */
  picksOn(parent: Block): Picks;
  propose(env: Env, justify: QC, parent: Block, cls: number, picks: Picks, fork: number): Block;
  /** Fetches a missing block from `hint` (the leader of its certificate) or another member. */
  fetch(env: Env, blockId: string, hint: number): void;
  retryPack(env: Env): void;
}

export class Byzantine {
  /** Equivocates or double-votes at some time (ChainContext.colluding): it tracks both forks. */
  private readonly colluding: boolean;
  /** Colluding: the tip certificate of each fork. */
  private forkTips: [QC, QC];
  /** delay_proposals: the view whose held proposal already has its timer armed. */
  private delayedView = -1;

  constructor(
    private readonly ctx: ChainContext,
    private readonly self: number,
    private readonly table: number,
    genesis: QC,
  ) {
    this.colluding = ctx.colluding[self] === 1;
    this.forkTips = [genesis, genesis];
  }

  /** A restart forgets the held proposal's timer. */
  onRestart(): void {
    this.delayedView = -1;
  }

  /**
   * delay_proposals: whether the leader of view `v` (started at `viewStart_us`) holds its proposal
   * now, until `delay` after the view started even if the view ends first (then this leader's view
   * fails like a crashed leader's). The first hold in a view arms the pack timer for its end.
   */
  holdsProposal(env: Env, v: number, viewStart_us: number): boolean {
    const delay = this.ctx.proposalDelay(this.self, env.now_us);
    if (delay > 0 && env.now_us < viewStart_us + delay) {
      if (this.delayedView !== v) {
        this.delayedView = v;
        const t: PackTimer = { kind: TIMER.PACK, dw: v, table: this.table, view: v };
        env.setTimer(viewStart_us + delay - env.now_us, t);
      }
      return true;
    }
    return false;
  }

  /** equivocate: as leader it proposes one block per fork. */
  equivocates(now_us: number): boolean {
    return this.ctx.misbehaves(this.self, 'equivocate', now_us);
  }

  /**
   * equivocate or double_vote: as a member it votes for any well-formed proposal, stale or not,
   * whatever it voted before and whatever it locked, without re-executing.
   */
  votesForAnything(now_us: number): boolean {
    return this.ctx.misbehaves(this.self, 'equivocate', now_us) || this.ctx.misbehaves(this.self, 'double_vote', now_us);
  }

  /** invalid_execution: as a member it votes on the header alone. */
  skipsExecution(now_us: number): boolean {
    return this.ctx.misbehaves(this.self, 'invalid_execution', now_us);
  }

  /** invalid_execution: as leader, the results it claims (`rids` when honest). */
  claimedResults(now_us: number, rids: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
    return this.ctx.misbehaves(this.self, 'invalid_execution', now_us) ? wrongResult(rids) : rids;
  }

  withholdsVotes(now_us: number): boolean {
    return this.ctx.misbehaves(this.self, 'withhold_votes', now_us);
  }

  /** withhold_receipts: first copies, resends and answers to pulls all stop. */
  withholdsReceipts(now_us: number): boolean {
    return this.ctx.misbehaves(this.self, 'withhold_receipts', now_us);
  }

  /** Sends a fork's proposal or certificate to that fork's half of each group. */
  broadcastToFork(env: Env, clock: number, fork: number, msg: Msg): void {
    const e = this.ctx.epoch(this.table, clock);
    env.broadcast(e.forkV[fork], msg);
    env.broadcast(e.forkA[fork], msg);
  }

  /** This replica, as leader, formed `qc` for a proposal of `fork` (-1: an honest proposal). */
  onFormed(qc: QC, fork: number): void {
    if (fork >= 0) this.forkTips[fork] = qc;
    // A colluder leading honestly (outside its window) starts the next equivocation from here.
    if (fork < 0 && this.colluding && qc.view > this.forkTips[0].view) this.forkTips = [qc, qc];
  }

  /** A certificate arrived (before it is verified and applied). */
  onCommitMsg(m: CommitMsg): void {
    if (this.colluding && m.fork >= 0 && m.qc.view > this.forkTips[m.fork].view) this.forkTips[m.fork] = m.qc;
    if (this.colluding && m.fork < 0 && m.qc.view > this.forkTips[0].view) this.forkTips = [m.qc, m.qc];
  }

  /** State sync installed `highQC`: both forks start from it. */
  adopt(highQC: QC): void {
    this.forkTips = [highQC, highQC];
  }

  /**
   * An equivocating leader of view `view`: one proposal per fork, each sent only to that fork's
   * half of the honest members (and to every colluding member), each collecting its own votes.
   */
  packEquivocating(env: Env, view: number, viewStart_us: number, leader: ForkingLeader): void {
    // Wait (up to the pacing second) until both forks' certificates of the previous view are in.
    const behind = this.forkTips[0].view !== view - 1 || this.forkTips[1].view !== view - 1;
    if (behind && env.now_us - viewStart_us < 1_000_000) {
      leader.retryPack(env);
      return;
    }
    let made = 0;
    for (const fork of [0, 1]) {
      const tip = this.forkTips[fork];
      const parent = leader.block(tip.blockId);
      if (!parent) {
        leader.fetch(env, tip.blockId, tip.leader);
        leader.retryPack(env);
        return;
      }
      let picked = leader.picksOn(parent);
      // Make the two proposals differ even on one parent: the second fork takes no txs.
      if (fork === 1 && made > 0 && this.forkTips[0].blockId === tip.blockId) picked = { txs: [], legs: [], rids: [] };
      const cls = picked.txs.length > 0 ? BLOCK_LIGHT : BLOCK_EMPTY;
      leader.propose(env, tip, parent, cls, picked, fork);
      made++;
    }
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
