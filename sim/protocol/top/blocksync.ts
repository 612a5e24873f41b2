/**
 * Block sync at one replica: fetching a block it lacks (a parent a proposal names, a block a
 * certificate names) from a member, retrying another one each sync period, and serving the blocks
 * it holds. Proposals whose parent is being fetched wait here. What a fetched block then unblocks
 * is the consensus core's (xbft.ts onSyncResponse).
 */
import type { Env } from '../../contract/env.js';
import {
  MSG, TIMER, wordOfHex, type ProposalMsg, type SyncReqMsg, type SyncRespMsg, type SyncTimer,
} from './messages.js';
import type { ChainContext } from './context.js';
import type { ChainStore } from './chain.js';

export class BlockSync {
  /** Blocks being fetched, with the attempt under way. */
  private readonly syncing = new Map<string, number>();
  /** Proposals waiting for their parent's body, by the parent's id. */
  private readonly waiting = new Map<string, { from: number; msg: ProposalMsg }>();

  constructor(
    private readonly ctx: ChainContext,
    private readonly self: number,
    private readonly table: number,
    private readonly chain: ChainStore,
  ) {}

  /** A restart forgets the fetches under way. */
  onRestart(): void {
    this.syncing.clear();
  }

  /**
   * Asks for block `blockId`: attempt 0 from `hint` when it is another node, later attempts (and
   * attempt 0 without a hint) from the members in turn, skipping those believed down. A fetch
   * already at this attempt or later is left alone.
   */
  request(env: Env, blockId: string, hint: number, attempt: number, clock: number): void {
    const prev = this.syncing.get(blockId);
    if (prev !== undefined && prev >= attempt) return;
    this.syncing.set(blockId, attempt);
    const members = this.ctx.epoch(this.table, clock).members;
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

  /** The sync period of a fetch ran out: ask the next member, unless the block came. */
  onTimer(env: Env, t: SyncTimer, clock: number): void {
    if (this.syncing.get(t.blockId) === t.attempt && !this.chain.blocks.has(t.blockId)) {
      this.request(env, t.blockId, -1, t.attempt + 1, clock);
    }
  }

  /** Serves a block this replica holds, with its certificate if it has one. */
  onRequest(env: Env, from: number, m: SyncReqMsg): void {
    const b = this.chain.blocks.get(m.blockId);
    if (!b) return;
    const qc = this.chain.qcs.get(b.id) ?? null;
    const resp: SyncRespMsg = {
      kind: MSG.SYNC_RESP, bytes: b.bytes + this.ctx.sc.sizes.qc_bytes, dw: b.idWord, block: b, qc,
    };
    env.send(from, resp);
  }

  /**
   * Takes a fetched block into the chain if it is new and trusted: asked for, or named by a
   * certificate held or carried along. Returns whether it was taken.
   */
  accept(env: Env, m: SyncRespMsg): boolean {
    const b = m.block;
    const chain = this.chain;
    if (chain.blocks.has(b.id)) return false;
    env.charge((m.bytes / 1024) * this.ctx.sc.costs.hash_per_kib_us);
    // A block body is trusted only with a certificate naming it, or when a certificate we hold names it.
    if (!this.syncing.has(b.id) && !chain.qcs.has(b.id) && !(m.qc && m.qc.blockId === b.id)) return false;
    chain.blocks.set(b.id, b);
    this.syncing.delete(b.id);
    return true;
  }

  /** Parks proposal `msg` from `from` until its parent `parentId` arrives. */
  park(parentId: string, from: number, msg: ProposalMsg): void {
    this.waiting.set(parentId, { from, msg });
  }

  /** The proposal parked on `blockId`, if any, taken out. */
  unpark(blockId: string): { from: number; msg: ProposalMsg } | undefined {
    const w = this.waiting.get(blockId);
    if (w) this.waiting.delete(blockId);
    return w;
  }
}
