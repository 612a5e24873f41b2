/**
 * One replica's receipts (docs/PROTOCOL.md §9.4): the receipts queued for its table's blocks (recv legs
 * from sender tables, confirm legs back from receiver tables), the receipts its committed blocks
 * owe to peer tables until those are known applied, the flow-control and pull counters per peer,
 * and the traffic: first copies after a commit, resends, pulls, and the periodic receipt-id state.
 */
import type { Env } from '../../contract/env.js';
import {
  MSG, wordOfHex, type Block, type ReceiptMsg, type ReceiptStateMsg, type ReceiptPullMsg, type TableSnapshot,
} from './messages.js';
import { LEG_RECV, LEG_CONFIRM, type TableLedger } from './ledger.js';
import { ReceiptQueue, type ReceiptQueueLike } from './txpool.js';
import type { SharedReceiptQueueView } from './sharedqueue.js';
import { RecentStrings } from './recent.js';
import { ReceiptOutbox, type Outbox } from './outbox.js';
import type { SharedOutboxView } from './sharedoutbox.js';
import type { ChainContext, SharedReceipts } from './context.js';
import type { Byzantine } from './byzantine.js';
import { NOTE_WINDOW_SAMPLE, NOTE_WINDOW_USE, WINDOW_NOTE_FROM, windowUseValue } from './windowtally.js';

/** Verified receipt certificates remembered per node (the LRU of 2000 in §8.3 step 3). */
const CERT_CACHE_MAX = 2000;
/**
 * Receipt-id state in blocks (TOP's xproposal_maker.cpp select_peer_sids_for_confirm_id): a batch
 * of 4 peer tables every 3 heights.
 */
const PROOF_HEIGHTS = 3;
const PROOF_BATCH = 4;
/** Receipts re-sent per peer table per resend round, and ids asked per pull (§9.4: ≤ 5). */
const RESEND_MAX = 512;
const PULL_MAX = 5;

/** The receipts one commit creates, by peer table: [tx, rid, ...], for its leader to send. */
export type CommitReceipts = Map<number, number[]>;

/** How a replica reaches its node's other replicas (messages a node does not send to itself). */
export interface LocalDelivery {
  receipt(m: ReceiptMsg): void;
  state(m: ReceiptStateMsg): void;
  /** This node's replica of `table` committed: its ledger's receipt ids are known to the node's other replicas. */
  committed(table: number, ledger: TableLedger): void;
}

export class ReceiptFlow {
  /** Its own queues, or its parts of the ones its table's in-sync replicas share (sharedqueue.ts). */
  readonly recvQ: ReceiptQueueLike;
  readonly confirmQ: ReceiptQueueLike;
  private readonly queueViews: SharedReceiptQueueView[] | null = null;
  /**
   * Per peer table: the highest receipt id it is known to have applied from us, from its receipt-id
   * state broadcasts, its committed state where this node also runs it, and the proofs in this
   * table's proposals: TOP's receipt-id state cache (xreceiptid_state_cache.cpp).
   */
  readonly peerRecv: Uint32Array;
  /**
   * Per peer table, on chain (the committed blocks' state): the receipts toward it counted as
   * confirmed (TOP's confirmid_max = sendid_max - unconfirm_num), raised by a committed confirm
   * leg by one and by a committed proof of the peer's state to its recv id; and the sends toward
   * it that need a confirm (docs/PROTOCOL.md §9.4).
   */
  readonly confirmMax: Uint32Array;
  readonly needSent: Uint32Array;
  /** Per peer table: the highest receipt id it is known to have sent us (pulls). */
  private readonly peerSend: Uint32Array;
  /**
   * Receipts toward each peer not yet known applied: recv receipts and confirm receipts. Its own,
   * or its view of the outboxes its table's in-sync replicas share on this thread (sharedoutbox.ts).
   */
  private readonly outRecv: Outbox;
  private readonly outConfirm: Outbox;
  /** The same two as views of the shared outboxes, or null when they are its own. */
  private readonly views: SharedOutboxView[] | null = null;
  private readonly certs = new RecentStrings(CERT_CACHE_MAX);

  constructor(
    private readonly ctx: ChainContext,
    private readonly self: number,
    private readonly table: number,
    private readonly ledger: TableLedger,
    private readonly byzantine: Byzantine,
    /** Hands receipts and receipt-id state to this node's replicas of other tables. */
    private readonly local: LocalDelivery,
    /** The table's receipt state shared on this thread, or null to keep its own. */
    shared: SharedReceipts | null = null,
  ) {
    const sc = ctx.sc;
    const T = ctx.map.tables;
    const receiptsMax = Math.max(sc.protocol.pool_txs_max, sc.protocol.receipts_unconfirmed_max);
    if (shared !== null) {
      const qs = [shared.recvQ.attach(), shared.confirmQ.attach()];
      this.queueViews = qs;
      [this.recvQ, this.confirmQ] = qs;
    } else {
      this.recvQ = new ReceiptQueue(LEG_RECV, receiptsMax, T);
      this.confirmQ = new ReceiptQueue(LEG_CONFIRM, receiptsMax, T);
    }
    this.peerRecv = new Uint32Array(T);
    this.peerSend = new Uint32Array(T);
    this.confirmMax = new Uint32Array(T);
    this.needSent = new Uint32Array(T);
    if (shared !== null) {
      const views = [shared.outRecv.attach(), shared.outConfirm.attach()];
      this.views = views;
      [this.outRecv, this.outConfirm] = views;
    } else {
      this.outRecv = new ReceiptOutbox(T);
      this.outConfirm = new ReceiptOutbox(T);
    }
  }

  /** The replica is dropped: it stops holding the shared outboxes' entries and queued receipts. */
  detach(): void {
    if (this.views !== null) for (const v of this.views) v.detach();
    if (this.queueViews !== null) for (const q of this.queueViews) q.detach();
  }

  // ---- a commit's receipts -------------------------------------------------------------------

  /** Block `id` at `height` commits at `now_us`: the receipts it creates form one group in each outbox. */
  beginCommit(now_us: number, height: number, id: string): void {
    this.outRecv.begin(now_us, height, id);
    this.outConfirm.begin(now_us, height, id);
  }

  /** The commit's receipts are all in. */
  endCommit(): void {
    this.outRecv.end();
    this.outConfirm.end();
  }

  /** A committed send leg owes table `dst` the recv receipt `rid` (also noted in `out`). */
  sent(dst: number, rid: number, tx: number, needsConfirm: boolean, out: CommitReceipts): void {
    this.outRecv.add(dst, rid, tx);
    if (needsConfirm) this.needSent[dst]++;
    push(out, dst, tx, rid);
  }

  /**
   * A committed recv leg applied receipt `rid` from `src`; a transfer that needs it owes a
   * confirm receipt back (also noted in `out`), numbered by `rspId` (the ledger's, advanced here,
   * or a copy of what it held before the commit when the ledger already holds the commit's state).
   */
  received(src: number, rid: number, tx: number, needsConfirm: boolean, out: CommitReceipts, rspId: Uint32Array): void {
    this.recvQ.remove(src, rid);
    if (needsConfirm) {
      const cid = ++rspId[src];
      this.outConfirm.add(src, cid, tx);
      push(out, src, tx, cid);
    }
  }

  /** A committed confirm leg applied receipt `rid` from `peer`: one more send toward it confirmed. */
  confirmed(peer: number, rid: number): void {
    this.confirmQ.remove(peer, rid);
    if (this.confirmMax[peer] < this.ledger.sendId[peer]) this.confirmMax[peer]++;
  }

  // ---- the window and the receipt-id state in blocks (§9.4) --------------------------------------

  /**
   * Whether a block on state `sendId` may carry another send toward `peer`: fewer than
   * `receipts_unconfirmed_max` unconfirmed, counted from the confirmed ids on chain (TOP,
   * `is_unconfirmed_num_reach_limit`), or, without the state in blocks, from the broadcasts.
   */
  windowOpen(peer: number, sendId: number): boolean {
    return this.unconfirmed(peer, sendId) < this.ctx.sc.protocol.receipts_unconfirmed_max;
  }

  /** Sends toward `peer` up to `sendId` that the window counts as unconfirmed. */
  private unconfirmed(peer: number, sendId: number): number {
    return sendId - this.confirmedToward(peer);
  }

  /** After block `height`: notes it, then each peer table whose window the committed state leaves at least half full (windowtally.ts). */
  noteWindows(env: Env, height: number): void {
    const T = this.ctx.map.tables;
    const sendId = this.ledger.sendId;
    const max = this.ctx.sc.protocol.receipts_unconfirmed_max;
    env.observe.note(NOTE_WINDOW_SAMPLE, this.table, height);
    for (let peer = 0; peer < T; peer++) {
      if (peer === this.table) continue;
      const use = Math.min(1, this.unconfirmed(peer, sendId[peer]) / max);
      if (use >= WINDOW_NOTE_FROM) env.observe.note(NOTE_WINDOW_USE, this.table, windowUseValue(use, peer, T));
    }
  }

  /** Receipts toward `peer` the window counts as confirmed: on chain, or (without the state in blocks) as broadcast. */
  confirmedToward(peer: number): number {
    return this.ctx.sc.protocol.receipt_state_in_blocks ? this.confirmMax[peer] : this.peerRecv[peer];
  }

  /**
   * The proofs a block at `height` carries (TOP's select_peer_sids_for_confirm_id and
   * get_pack_resource): at heights divisible by 3, or one or two above when the blocks since were
   * empty, the next batch of 4 tables in table order, each whose state this node holds with a recv
   * id above the confirmed id on chain and up to `sendId`, and with no send toward it waiting for a
   * confirm; not toward a table this block carries a confirm leg from. As [peer, recv id] pairs.
   */
  proofsFor(height: number, cert: Block | undefined, lock: Block | undefined, sendIdOf: (peer: number) => number, confirmFrom: ReadonlySet<number>): number[] {
    if (!this.ctx.sc.protocol.receipt_state_in_blocks) return [];
    const r = height % PROOF_HEIGHTS;
    const empty = (b: Block | undefined) => b === undefined || b.txs.length === 0;
    if ((r === 1 && !empty(cert)) || (r === 2 && (!empty(cert) || !empty(lock)))) return [];
    const T = this.ctx.map.tables;
    const parts = Math.ceil(T / PROOF_BATCH);
    const first = (Math.floor(height / PROOF_HEIGHTS) % parts) * PROOF_BATCH;
    const out: number[] = [];
    for (let peer = first; peer < Math.min(T, first + PROOF_BATCH); peer++) {
      if (peer === this.table || confirmFrom.has(peer)) continue;
      const sent = sendIdOf(peer);
      const confirmed = this.confirmMax[peer];
      const recv = this.peerRecv[peer];
      if (confirmed >= sent || recv <= confirmed || recv > sent) continue;
      if (this.needSent[peer] > this.ledger.confirmId[peer]) continue; // a send still waits for its confirm
      out.push(peer, recv);
    }
    return out;
  }

  /** A proposal of this table carried these proofs: this node's state cache learns them (TOP verifies and caches them). */
  learnProofs(proofs: Int32Array): void {
    for (let k = 0; k < proofs.length; k += 2) this.raisePeerRecv(proofs[k], proofs[k + 1]);
  }

  /** A committed block carried these proofs: the confirmed ids on chain rise to them (TOP's update_receiptid_state). */
  applyProofs(proofs: Int32Array): void {
    for (let k = 0; k < proofs.length; k += 2) {
      const peer = proofs[k];
      const recv = proofs[k + 1];
      if (recv > this.confirmMax[peer]) this.confirmMax[peer] = Math.min(recv, this.ledger.sendId[peer]);
      this.raisePeerRecv(peer, recv);
    }
  }

  /** Table `peer`'s committed state, known on this node (its replica there committed): what it applied from us, and sent us. */
  learnCommitted(peer: number, applied: number, sent: number): void {
    this.raisePeerRecv(peer, applied);
    if (sent > this.peerSend[peer]) this.peerSend[peer] = sent;
  }

  private raisePeerRecv(peer: number, applied: number): void {
    if (applied > this.peerRecv[peer]) {
      this.peerRecv[peer] = applied;
      this.outRecv.pruneUpTo(peer, applied, this.ledger.sendId[peer]);
    }
  }

  /**
   * The leader whose certificate `cert` committed the block sends its receipts (§9.4), `recv`
   * and `confirm` (those the commit noted): every receipt of this commit goes with the
   * certificate, except toward tables whose first copies are lost (a fault).
   */
  sendCommitted(env: Env, recv: CommitReceipts, confirm: CommitReceipts, cert: string, clock: number): void {
    const ctx = this.ctx;
    this.outRecv.certify(cert);
    this.outConfirm.certify(cert);
    for (const [dst, items] of recv) {
      if (ctx.receiptDropped(this.table, dst, env.now_us)) continue;
      this.send(env, dst, LEG_RECV, items, cert, false, clock);
    }
    for (const [dst, items] of confirm) {
      if (ctx.receiptDropped(this.table, dst, env.now_us)) continue;
      this.send(env, dst, LEG_CONFIRM, items, cert, false, clock);
    }
  }

  /**
   * Broadcasts receipts toward table `dst`'s auditor and validator groups: first copies, resends
   * and answers to pulls all pass here, so a node withholding receipts stops all three.
   */
  private send(env: Env, dst: number, leg: number, items: number[], cert: string, resend: boolean, clock: number): void {
    const ctx = this.ctx;
    if (this.byzantine.withholdsReceipts(env.now_us)) return;
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
    env.broadcast(ctx.hearA(dst, clock), msg);
    env.broadcast(ctx.hearV(dst, clock), msg);
    // This node's own replica of `dst`, if it has one (a broadcast skips the sender).
    this.local.receipt(msg);
  }

  // ---- receiving -----------------------------------------------------------------------------

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
    this.raisePeerRecv(peer, m.recvId[this.table]);
    const sent = m.sendId[this.table];
    if (sent > this.peerSend[peer]) this.peerSend[peer] = sent;
  }

  // ---- duties of the designated node (§9.4) --------------------------------------------------

  /** Periodic receipt duty `duty` (0 state, 1 resend, 2 pull), if this node is on duty now. */
  duty(env: Env, duty: number, clock: number, committedHeight: number): void {
    const ctx = this.ctx;
    const p = ctx.sc.protocol;
    const period = duty === 0 ? p.receipt_state_us : duty === 1 ? p.receipt_resend_us : p.receipt_pull_us;
    if (ctx.designated(this.table, Math.floor(env.now_us / period) + duty, clock, env) !== this.self) return;
    if (duty === 0) {
      const T = ctx.map.tables;
      const msg: ReceiptStateMsg = {
        kind: MSG.RECEIPT_STATE, bytes: 64 + 8 * T, dw: (this.table * 7919 + committedHeight) >>> 0,
        table: this.table, sendId: this.ledger.sendId.slice(), recvId: this.ledger.recvId.slice(),
      };
      for (const g of ctx.allGroups(clock)) env.broadcast(g, msg);
      this.local.state(msg);
    } else if (duty === 1) {
      this.resend(env, this.outRecv, LEG_RECV, clock);
      this.resend(env, this.outConfirm, LEG_CONFIRM, clock);
    } else {
      this.pull(env, clock);
    }
  }

  private resend(env: Env, out: Outbox, leg: number, clock: number): void {
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
      if (items.length > 0) this.send(env, dst, leg, items, cert, true, clock);
    }
  }

  /** Asks each sender table for the first receipt id missing here (≤ 5 ids per pull). */
  private pull(env: Env, clock: number): void {
    const ctx = this.ctx;
    for (let src = 0; src < ctx.map.tables; src++) {
      const applied = this.ledger.recvId[src];
      if (this.peerSend[src] <= applied || src === this.table) continue;
      if (this.recvQ.has(src, applied + 1)) continue;
      const target = ctx.designated(src, Math.floor(env.now_us / ctx.sc.protocol.receipt_pull_us), clock, env);
      if (target < 0 || target === this.self) continue;
      const msg: ReceiptPullMsg = {
        kind: MSG.RECEIPT_PULL, bytes: ctx.sc.sizes.sync_request_bytes, dw: (src * 65536 + applied) >>> 0,
        src, dst: this.table, leg: LEG_RECV, from: applied + 1, count: PULL_MAX,
      };
      env.send(target, msg);
    }
  }

  /** A receiver table asked for receipts: send those still held (to its groups). */
  onReceiptPull(env: Env, m: ReceiptPullMsg, clock: number): void {
    const out = m.leg === LEG_RECV ? this.outRecv : this.outConfirm;
    const items: number[] = [];
    let cert = '';
    for (let rid = m.from; rid < m.from + m.count; rid++) {
      const p = out.find(m.dst, rid);
      if (p < 0) continue;
      items.push(out.tx(p), rid);
      cert = out.cert(p) || cert;
    }
    if (items.length > 0) this.send(env, m.dst, m.leg, items, cert, true, clock);
  }

  // ---- state snapshots (statesync.ts) --------------------------------------------------------

  /** This replica's receipt state, copied into a snapshot. */
  snapshot(): Pick<TableSnapshot, 'recvQ' | 'confirmQ' | 'outRecv' | 'outConfirm' | 'peerRecv' | 'peerSend' | 'confirmMax' | 'needSent'> {
    return {
      recvQ: this.recvQ.entries(), confirmQ: this.confirmQ.entries(),
      outRecv: this.outRecv.entries(), outConfirm: this.outConfirm.entries(),
      peerRecv: this.peerRecv.slice(), peerSend: this.peerSend.slice(),
      confirmMax: this.confirmMax.slice(), needSent: this.needSent.slice(),
    };
  }

  /** Takes a snapshot's receipts, once its ledger is this replica's (receipts applied there are dropped). */
  adopt(s: TableSnapshot): void {
    const L = this.ledger;
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
    // On chain: the snapshot's committed state, as its ledger is.
    this.confirmMax.set(s.confirmMax);
    this.needSent.set(s.needSent);
  }
}

function push(m: CommitReceipts, key: number, a: number, b: number): void {
  let l = m.get(key);
  if (!l) {
    l = [];
    m.set(key, l);
  }
  l.push(a, b);
}
