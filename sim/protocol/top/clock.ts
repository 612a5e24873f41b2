/**
 * The clock chain (docs/PROTOCOL.md §4.5): one clock block per 10 s slot, produced without a leader.
 * At each slot boundary every REC node signs the slot's clock block and sends its signature to the
 * other REC nodes; a REC node holding ⌊2n/3⌋+1 signatures has the clock certificate. Three REC
 * nodes, rotating with the slot, relay the certificate to every other node, so one crashed REC node
 * does not stop the clock. Consensus nodes move their clock (and with it their views) when a
 * certificate arrives, so clock skew between nodes is the certificate's network delay.
 */
import type { Env, Msg, NodeLogic } from '../../contract/env.js';
import { MSG, type ClockCertMsg, type ClockShareMsg } from './messages.js';
import { quorum, type ChainContext } from './context.js';

/** REC nodes that relay each slot's certificate, rotating with the slot. */
export const CLOCK_RELAYS = 3;

const CLOCK_TAG = 'topsim/clock/';

export function clockMessage(clock: number): Uint8Array {
  return new TextEncoder().encode(`${CLOCK_TAG}${clock}`);
}

export class BeaconNode implements NodeLogic {
  private readonly shares = new Map<number, Set<number>>();
  private certified = 0;
  private readonly index: number;
  private readonly need: number;

  constructor(
    private readonly ctx: ChainContext,
    readonly id: number,
    /** The REC group, ascending. */
    private readonly rec: Int32Array,
    /** Everyone the certificate goes to (all non-REC nodes). */
    private readonly audience: Int32Array,
  ) {
    this.index = rec.indexOf(id);
    this.need = quorum(rec.length);
  }

  onStart(): void {}

  /**
   * Shares in flight are gone either way; what the node certified is on the clock chain it
   * re-reads, so a restart with the state lost is the same as one with it kept.
   */
  onRestart(): void {
    this.shares.clear();
  }

  onTimer(): void {}

  /** The slot boundary by this node's own time: sign the clock block. */
  onTick(env: Env, clock: number): void {
    const ctx = this.ctx;
    env.charge(ctx.sc.costs.sign_us);
    const msg: ClockShareMsg = {
      kind: MSG.CLOCK_SHARE, bytes: ctx.sc.sizes.vote_bytes, dw: (clock * 65599 + this.id) >>> 0, clock,
      signer: this.id, sig: ctx.signer.sign(this.id, clockMessage(clock)),
    };
    env.broadcast(this.rec, msg);
    this.addShare(env, clock, this.id);
  }

  onMessage(env: Env, _from: number, msg: Msg): void {
    if (msg.kind !== MSG.CLOCK_SHARE) return;
    const m = msg as ClockShareMsg;
    if (m.clock <= this.certified) return;
    env.charge(this.ctx.sc.costs.verify_share_us);
    if (!this.ctx.signer.verify(m.signer, clockMessage(m.clock), m.sig)) return;
    this.addShare(env, m.clock, m.signer);
  }

  private addShare(env: Env, clock: number, signer: number): void {
    if (clock <= this.certified) return;
    let set = this.shares.get(clock);
    if (!set) {
      set = new Set();
      this.shares.set(clock, set);
    }
    set.add(signer);
    if (set.size < this.need) return;
    this.certified = clock;
    for (const c of [...this.shares.keys()]) if (c <= clock) this.shares.delete(c);
    const ctx = this.ctx;
    env.charge(ctx.sc.costs.verify_aggregate_us);
    const B = this.rec.length;
    if ((this.index - (clock % B) + B) % B >= Math.min(CLOCK_RELAYS, B)) return;
    const cert: ClockCertMsg = {
      kind: MSG.CLOCK_CERT, bytes: ctx.sc.sizes.qc_bytes, dw: (clock * 2654435761) >>> 0, clock,
      signers: Int32Array.from([...set].sort((a, b) => a - b)),
    };
    env.broadcast(this.audience, cert);
  }
}
