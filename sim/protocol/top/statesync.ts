/**
 * State sync for new members (docs/PROTOCOL.md §7.4, docs/PROTOCOL.md MC-19): a replica elected to a
 * table, or rebuilt after a restart that lost its state, fetches the table's state from the member
 * furthest ahead before it takes part; members answer with their chain's progress (a probe) or a
 * snapshot of their state. The consensus core (xbft.ts) decides when: it asks only while the
 * replica is not synced, and answers only once it is.
 */
import type { Env } from '../../contract/env.js';
import {
  MSG, TIMER, type Block, type QC, type StateReqMsg, type StateRespMsg, type StateTimer, type TableSnapshot,
} from './messages.js';
import type { TableLedger } from './ledger.js';
import type { TxPool } from './txpool.js';
import type { ChainContext } from './context.js';
import type { ChainStore } from './chain.js';
import type { ReceiptFlow } from './receipts.js';
import { invariant } from '../../lib/assert.js';

/** One probe answer: how far the answering member's chain is. */
interface ProbeAnswer {
  from: number;
  qcView: number;
  qcHeight: number;
  committed: number;
}

export class StateSync {
  private attempt = -1;
  /** The probe of the current attempt: whom it asked, and the answers so far. */
  private probe: { asked: number; answers: ProbeAnswer[] } | null = null;

  constructor(
    private readonly ctx: ChainContext,
    private readonly self: number,
    private readonly table: number,
    private readonly chain: ChainStore,
    private readonly ledger: TableLedger,
    private readonly pool: TxPool,
    private readonly receipts: ReceiptFlow,
  ) {}

  // ---- the syncing replica -------------------------------------------------------------------

  /**
   * Syncs the table's state from the member furthest ahead (docs/PROTOCOL.md MC-19). As TOP's block
   * sync learns its neighbours' heights and downloads from the highest, the replica first probes
   * ⌊√n⌋+1 live members of the active round (n members) for how far their chains are, then asks
   * the one with the highest certificate for its state. Asking one peer blindly could adopt a
   * peer's stale state (a member that was partitioned) and leave this replica behind its group
   * for as long as no certificate reaches it. Each attempt starts with a new probe, rotated on
   * by one member.
   */
  request(env: Env, attempt: number, clock: number): void {
    this.attempt = attempt;
    const members = this.ctx.epoch(this.table, clock).members;
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

  /** A state timer of a replica still syncing: the probe's time ran out, or the request's. */
  onTimer(env: Env, t: StateTimer, clock: number): void {
    if (t.attempt !== this.attempt) return;
    if (t.probe) {
      if (this.probe !== null) this.endProbe(env, clock);
    } else this.request(env, t.attempt + 1, clock);
  }

  /** An answer to the current probe (late ones are dropped). */
  onProbeAnswer(env: Env, from: number, m: StateRespMsg, clock: number): void {
    const p = this.probe;
    if (p === null || p.answers.some((a) => a.from === from)) return;
    p.answers.push({ from, qcView: m.qcView, qcHeight: m.qcHeight, committed: m.committedHeight });
    if (p.answers.length === p.asked) this.endProbe(env, clock);
  }

  /** The probe is over (every peer answered, or its time ran out): fetch from the best, or retry. */
  private endProbe(env: Env, clock: number): void {
    const probe = this.probe;
    invariant(probe !== null, () => `table ${this.table}: a probe ends at node ${this.self} with none under way`);
    const answers = probe.answers;
    this.probe = null;
    const attempt = this.attempt;
    if (answers.length === 0) {
      this.request(env, attempt + 1, clock);
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

  /**
   * Installs a snapshot's data (after charging its verification): ledger, chain, receipts and
   * pool. What the replica's consensus keeps besides (views, votes) is the core's to set.
   */
  adopt(env: Env, m: StateRespMsg): TableSnapshot {
    const ctx = this.ctx;
    const costs = ctx.sc.costs;
    const s = m.snap;
    invariant(s !== null && s.table === this.table, () => `table ${this.table}: state response without this table's snapshot`);
    // Hash the state against the committed block and verify its certificate and the ones above.
    env.charge((m.bytes / 1024) * costs.hash_per_kib_us + s.qcs.length * 2 * costs.verify_aggregate_us +
      s.pool.length * costs.verify_tx_us);
    const L = this.ledger;
    L.assign(s.ledger);
    this.chain.adopt(s);
    this.receipts.adopt(s);
    for (const id of s.pool) this.pool.add(id, L, ctx.rules);
    return s;
  }

  // ---- a member answering ----------------------------------------------------------------------

  /** A syncing replica asks how far this replica's chain is (a probe), or for its state. */
  answer(env: Env, from: number, probe: boolean): void {
    if (probe) this.answerProbe(env, from);
    else this.sendSnapshot(env, from);
  }

  private answerProbe(env: Env, from: number): void {
    const chain = this.chain;
    const highQC = chain.highQC;
    const resp: StateRespMsg = {
      kind: MSG.STATE_RESP, bytes: this.ctx.sc.sizes.sync_request_bytes, dw: (highQC.blockWord ^ Math.imul(this.table + 1, 0x27d4eb2f)) >>> 0,
      table: this.table, qcView: highQC.view, qcHeight: highQC.height, committedHeight: chain.committedHeight, snap: null,
    };
    env.send(from, resp);
  }

  /** Sends this replica's state, charging the hashing of it. */
  private sendSnapshot(env: Env, from: number): void {
    const chain = this.chain;
    const snap = this.snapshot();
    const bytes = this.snapshotBytes(snap);
    env.charge((bytes / 1024) * this.ctx.sc.costs.hash_per_kib_us);
    const resp: StateRespMsg = {
      kind: MSG.STATE_RESP, bytes, dw: (snap.committed.idWord ^ Math.imul(this.table + 1, 0x85ebca6b)) >>> 0, table: this.table,
      qcView: snap.highQC.view, qcHeight: snap.highQC.height, committedHeight: chain.committedHeight, snap,
    };
    env.send(from, resp);
  }

  /**
   * A copy of this replica's state: the ledger, the committed block and its certificate, the
   * blocks above it up to the highest certificate with theirs, the lock, receipts and pool.
   */
  private snapshot(): TableSnapshot {
    const chain = this.chain;
    const committed = chain.committedBlock();
    const above: Block[] = [];
    const qcs: QC[] = [];
    const cq = chain.qcs.get(chain.committedId);
    if (cq) qcs.push(cq);
    let cur = chain.blocks.get(chain.highQC.blockId);
    while (cur && cur.height > chain.committedHeight) {
      above.push(cur);
      const q = chain.qcs.get(cur.id);
      if (q) qcs.push(q);
      cur = chain.blocks.get(cur.parent);
    }
    above.reverse();
    return {
      table: this.table, ledger: this.ledger.clone(), committed, above, qcs, highQC: chain.highQC,
      lockedView: chain.lockedView, lockedHeight: chain.lockedHeight, lockedId: chain.lockedId,
      ...this.receipts.snapshot(), pool: this.pool.ids(),
    };
  }

  /** A snapshot's size on the wire. */
  private snapshotBytes(snap: TableSnapshot): number {
    const ctx = this.ctx;
    const sizes = ctx.sc.sizes;
    const receipts = (snap.recvQ.length + snap.confirmQ.length) / 3 + snap.outRecv.length + snap.outConfirm.length;
    let bytes = snap.ledger.balance.length * sizes.state_per_account_bytes + 24 * ctx.map.tables + snap.committed.bytes +
      snap.qcs.length * sizes.qc_bytes + receipts * sizes.receipt_bytes + snap.pool.length * sizes.tx_bytes;
    for (const b of snap.above) bytes += b.bytes;
    return bytes;
  }
}
