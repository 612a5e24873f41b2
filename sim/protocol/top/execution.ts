/**
 * Executing blocks at one replica (docs/PROTOCOL.md §8.3 step 3, §4): the state after an uncommitted
 * block, the CPU a member is charged to re-execute a proposal, the replay that decides whether a
 * proposal's results hold, and applying a committed block to the table's ledger, pool and
 * receipts. It decides nothing: the consensus core (xbft.ts) asks.
 */
import type { Env } from '../../contract/env.js';
import type { Block } from './messages.js';
import {
  StateView, checkLeg, applyLeg, TX_OK, LEG_INNER, LEG_SEND, LEG_RECV, LEDGER_ADOPTED, LEDGER_LEFT,
  type TableLedger, type LedgerVersions,
} from './ledger.js';
import type { TxPool } from './txpool.js';
import { TX_NEEDS_CONFIRM } from './txstore.js';
import type { ChainContext } from './context.js';
import type { ChainStore } from './chain.js';
import type { CommitReceipts, ReceiptFlow } from './receipts.js';
import { invariant } from '../../lib/assert.js';

/** What LedgerVersions.advance reports of the state before a commit (one per thread: commits never interleave). */
const before: { state: TableLedger | null } = { state: null };

export class Execution {
  /** The committed height the ledger holds while it is a shared version. */
  private versionHeight = 0;

  constructor(
    private readonly ctx: ChainContext,
    private readonly table: number,
    private readonly ledger: TableLedger,
    private readonly pool: TxPool,
    private readonly chain: ChainStore,
    private readonly receipts: ReceiptFlow,
    /** The table's shared ledger versions `ledger` points into, or null when it is its own. */
    private versions: LedgerVersions | null = null,
  ) {}

  /** The replica is dropped (or its state replaced by a snapshot): it lets go of its shared version. */
  leaveVersions(): void {
    if (this.versions !== null) this.versions.leave(this.versionHeight);
    this.versions = null;
  }

  /**
   * State after `parent`: committed state plus the uncommitted ancestors' effects; null when
   * `parent` is not on this replica's committed chain. The caller releases the view.
   */
  stateAt(parent: Block): StateView | null {
    const chain: Block[] = [];
    const cur = this.chain.collectUncommitted(parent, chain);
    if (!cur || cur.id !== this.chain.committedId) return null; // not on our committed chain
    const view = new StateView(this.ledger);
    const ctx = this.ctx;
    for (let i = chain.length - 1; i >= 0; i--) {
      const b = chain[i];
      for (let k = 0; k < b.txs.length; k++) applyLeg(view, ctx.txs, ctx.map, b.txs[k], b.legs[k], b.rids[k], ctx.rules);
    }
    return view;
  }

  /**
   * Re-execution's CPU charge for this replica, after the checks of the block's legs that need no
   * state: false when one fails (nothing is charged then). Transactions missing from the pool
   * cost a signature check; receipts not yet seen cost a Merkle path, plus the source
   * certificate once per peer table.
   */
  charge(env: Env, b: Block): boolean {
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
        const q = leg === LEG_RECV ? this.receipts.recvQ : this.receipts.confirmQ;
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
  replays(b: Block, parent: Block): boolean {
    const ctx = this.ctx;
    const state = this.stateAt(parent);
    invariant(state !== null, () => `table ${this.table}: replay of ${b.id} on ${parent.id}, off the committed chain`);
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

  /**
   * Applies committed block `b` at `now_us` to the ledger: its transactions leave the pool, its
   * receipts leave the queues, and the receipts it creates join the outboxes (one group per
   * commit, ReceiptFlow.beginCommit) and `recv` and `confirm`, by peer table. Then each account
   * of this table it touches gets one unit.
   */
  applyCommitted(b: Block, now_us: number, recv: CommitReceipts, confirm: CommitReceipts): void {
    const ctx = this.ctx;
    const txs = ctx.txs;
    const map = ctx.map;
    const receipts = this.receipts;
    // A shared ledger either takes the state another replica computed for this block, or gets
    // arrays to apply it to (sim/protocol/top/ledger.ts LedgerVersions).
    let adopted = false;
    if (this.versions !== null) {
      if (b.height !== this.versionHeight + 1) {
        // Not the next height (never for a replica that only commits): it keeps its own copy.
        this.ledger.assign(this.ledger);
        this.leaveVersions();
      } else {
        const r = this.versions.advance(this.ledger, this.versionHeight, b.id, before);
        if (r === LEDGER_LEFT) this.versions = null;
        else this.versionHeight = b.height;
        adopted = r === LEDGER_ADOPTED;
      }
    }
    // Confirm receipts are numbered from the ledger's counters as they were before the block (a
    // copy of them when the ledger already holds the state after it).
    const prior = before.state;
    before.state = null;
    let rspId: Uint32Array | null = adopted ? null : this.ledger.rspId;
    const view = adopted ? null : new StateView(this.ledger);
    receipts.beginCommit(now_us, b.height, b.id);
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      const leg = b.legs[i];
      const rid = b.rids[i];
      if (view !== null) applyLeg(view, txs, map, id, leg, rid, ctx.rules);
      if (leg === LEG_INNER) this.pool.remove(id);
      else if (leg === LEG_SEND) {
        this.pool.remove(id);
        receipts.sent(map.tableOf[txs.receiver[id]], rid, id, (txs.flags[id] & TX_NEEDS_CONFIRM) !== 0, recv);
      } else if (leg === LEG_RECV) {
        const needs = (txs.flags[id] & TX_NEEDS_CONFIRM) !== 0;
        if (needs && rspId === null) rspId = prior!.rspId.slice();
        receipts.received(map.tableOf[txs.sender[id]], rid, id, needs, confirm, rspId!);
      } else {
        receipts.confirmed(map.tableOf[txs.receiver[id]], rid);
      }
    }
    receipts.endCommit();
    if (view !== null) {
      view.flush();
      view.release();
      this.addUnits(b);
    }
    // The peer tables' receipt-id state it carries: the confirmed ids on chain rise (§9.4).
    receipts.applyProofs(b.proofs);
  }

  /** One unit per touched account of this table (the per-account unit chains). */
  private addUnits(b: Block): void {
    const txs = this.ctx.txs;
    const map = this.ctx.map;
    const touched = new Set<number>();
    for (let i = 0; i < b.txs.length; i++) {
      const id = b.txs[i];
      const leg = b.legs[i];
      if (leg !== LEG_RECV) touched.add(map.localIndex[txs.sender[id]]);
      if (leg === LEG_INNER || leg === LEG_RECV) touched.add(map.localIndex[txs.receiver[id]]);
    }
    for (const a of touched) this.ledger.unitHeight[a]++;
  }
}

/** Proposal size (MC-7): header + certificate + txs (a recv carries its receipt) + one unit per account. */
export function blockBytes(ctx: ChainContext, ids: Int32Array, legs: Uint8Array): number {
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
