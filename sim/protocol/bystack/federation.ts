/**
 * The federation between the main chain and Vapor (docs/BYSTACK.md "Federation"): each signer is a
 * full node of both chains with a keeper that polls them every `federation.poll`.
 *
 * - **Peg-in.** A deposit to the federation on the main chain is processed once the signer's best
 *   main-chain height is `pegin_confirmations` above its block (`mainchain_keeper.go` `syncBlock`).
 * - **Peg-out.** A burn on Vapor is processed once the signer's last irreversible Vapor height is
 *   `pegout_blocks` above its block (`sidechain_keeper.go` `syncBlock`).
 * - **Signing.** The release (the mint on Vapor, the payout on the main chain) needs `quorum`
 *   signatures in one transaction. How signers gather them is not in the code (its documents say
 *   only that the signers communicate to sign): here each signer sends its signature to every
 *   other, and the first signer, by index, that it does not hold to be down and that has the
 *   quorum submits the release; a release submitted twice is one transaction (pools and blocks
 *   take an id once).
 * - **Withholding** (a byzantine signer): it signs no release.
 */
import type { Env, Msg, NodeLogic, Timer } from '../../contract/env.js';
import type { Stream } from '../../lib/random.js';
import { MainNode } from './mainchain.js';
import { SideNode } from './vapor.js';
import {
  CLASS_PEG_IN, CLASS_PEG_OUT, LEG_LOCK, LEG_RELEASE, MSG, TIMER, pegClaim,
  type PegSigMsg, type PegSyncMsg, type Tx, type TxBatchMsg,
} from './messages.js';
import type { BystackScenario } from './scenario.js';

/** What the signers of a run share (read-only). */
export interface FederationShared {
  readonly sc: BystackScenario;
  /** The signers' node ids, in index order. */
  readonly signers: Int32Array;
  readonly miners: Int32Array;
  readonly producers: Int32Array;
  withholdsAt(node: number, t_us: number): boolean;
}

/** The release of a peg whose lock is `lock`: a mint on Vapor, or a payout on the main chain. */
export function releaseOf(lock: Tx): Tx {
  return { ...lock, leg: LEG_RELEASE, coin: pegClaim(lock.id), value: lock.amount };
}

export class SignerNode implements NodeLogic {
  /** Main-chain heights processed (deposits seen final), and Vapor heights processed. */
  private mainDone = 0;
  private sideDone = 0;
  /** Signatures gathered per peg, and the pegs this signer submitted or saw submitted. */
  private readonly gathered = new Map<number, { lock: Tx; signers: Set<number> }>();
  private readonly submitted = new Set<number>();
  /** Pegs with the quorum here that another signer was to submit: peg id → that signer's index. */
  private readonly deferred = new Map<number, number>();

  constructor(
    private readonly fed: FederationShared,
    readonly self: number,
    /** This signer's index among the signers. */
    readonly index: number,
    readonly main: MainNode,
    readonly side: SideNode | null,
    private readonly stream: Stream,
  ) {}

  get pegsGathered(): number {
    return this.gathered.size;
  }

  onStart(env: Env): void {
    this.main.onStart(env);
    // Each keeper's poll runs on its own phase (they are separate processes).
    const poll = this.fed.sc.federation.poll_us;
    env.setTimer(1 + this.stream.int(0, poll - 1), { kind: TIMER.POLL, dw: 0 });
  }

  onRestart(env: Env, lost: boolean): void {
    this.main.onRestart(env);
    this.side?.onRestart();
    void lost;
    env.setTimer(this.fed.sc.federation.poll_us, { kind: TIMER.POLL, dw: 0 });
    // The signatures sent while it was down are lost: it asks the others for theirs again.
    const msg: PegSyncMsg = { kind: MSG.PEG_SYNC, bytes: this.fed.sc.sizes.inv_bytes, dw: this.index >>> 0, signer: this.index };
    for (const s of this.fed.signers) if (s !== this.self) env.send(s, msg);
  }

  onTick(): void {}

  onTimer(env: Env, t: Timer): void {
    if (t.kind === TIMER.POLL) {
      this.poll(env);
      env.setTimer(this.fed.sc.federation.poll_us, { kind: TIMER.POLL, dw: 0 });
    } else if (t.kind === TIMER.VALIDATED_SIDE) {
      this.side?.onTimer(env, t);
    } else {
      this.main.onTimer(env, t);
    }
  }

  onMessage(env: Env, from: number, msg: Msg): void {
    switch (msg.kind) {
      case MSG.PEG_SIG:
        this.onPegSig(env, msg as PegSigMsg);
        return;
      case MSG.PEG_SYNC:
        this.onPegSync(env, from);
        return;
      case MSG.SIDE_BLOCK:
      case MSG.SIDE_GETDATA:
      case MSG.SIGNATURE:
        this.side?.onMessage(env, from, msg);
        return;
      default:
        this.main.onMessage(env, from, msg);
    }
  }

  /** The keeper's poll: every block now deep enough on each chain, in height order. */
  private poll(env: Env): void {
    // Releases left to a signer that went down before it submitted them (it never had the quorum
    // while down): the first live signer now submits them.
    for (const [id, first] of this.deferred) {
      const g = this.gathered.get(id)!;
      // Released already (its release is on this signer's chain): nothing left to do.
      if (this.released(g.lock)) {
        this.deferred.delete(id);
        continue;
      }
      if (!env.knownDown(this.fed.signers[first])) continue;
      this.deferred.delete(id);
      this.submitIfFirst(env, g.lock);
    }
    const f = this.fed.sc.federation;
    const main = this.main;
    while (main.height >= this.mainDone + 1 + f.pegin_confirmations) {
      const b = main.blockAt(++this.mainDone);
      for (const tx of b.txs) if (tx.cls === CLASS_PEG_IN && tx.leg === LEG_LOCK) this.sign(env, tx);
    }
    const side = this.side;
    if (side === null) return;
    while (side.irreversibleHeight >= this.sideDone + 1 + f.pegout_blocks) {
      const b = side.blockAt(++this.sideDone);
      for (const tx of b.txs) if (tx.cls === CLASS_PEG_OUT && tx.leg === LEG_LOCK) this.sign(env, tx);
    }
  }

  /** Signs the release of `lock` and sends the signature to every other signer. */
  private sign(env: Env, lock: Tx): void {
    if (this.fed.withholdsAt(this.self, env.now_us)) return;
    env.charge(this.fed.sc.costs.sign_us);
    const msg: PegSigMsg = { kind: MSG.PEG_SIG, bytes: this.fed.sc.sizes.signature_bytes, dw: lock.id >>> 0, lock, signer: this.index };
    for (const s of this.fed.signers) if (s !== this.self) env.send(s, msg);
    this.add(env, lock, this.index);
  }

  /**
   * A restarted signer asks again: this signer sends it its own signature of every release it
   * signed that is not on its chain yet (those it sent while the other was down were lost).
   */
  private onPegSync(env: Env, from: number): void {
    if (this.fed.withholdsAt(this.self, env.now_us)) return;
    for (const [id, g] of this.gathered) {
      if (!g.signers.has(this.index) || this.released(g.lock)) continue;
      env.charge(this.fed.sc.costs.sign_us);
      env.send(from, { kind: MSG.PEG_SIG, bytes: this.fed.sc.sizes.signature_bytes, dw: id >>> 0, lock: g.lock, signer: this.index } as PegSigMsg);
    }
  }

  /** Whether the release of `lock` is on this signer's chain (the mint on Vapor, the payout on the main chain). */
  private released(lock: Tx): boolean {
    return lock.cls === CLASS_PEG_IN ? this.side?.hasTx(lock.id) ?? false : this.main.hasTx(lock.id);
  }

  private onPegSig(env: Env, m: PegSigMsg): void {
    env.charge(this.fed.sc.costs.verify_sig_us);
    this.add(env, m.lock, m.signer);
  }

  /** Adds a signature; with the quorum, the first live signer submits the release. */
  private add(env: Env, lock: Tx, signer: number): void {
    let g = this.gathered.get(lock.id);
    if (g === undefined) this.gathered.set(lock.id, (g = { lock, signers: new Set() }));
    g.signers.add(signer);
    if (g.signers.size < this.fed.sc.federation.quorum || this.submitted.has(lock.id)) return;
    this.submitIfFirst(env, lock);
  }

  /** Submits the release of `lock` if this is the first signer not known down; else notes whose it is. */
  private submitIfFirst(env: Env, lock: Tx): void {
    const first = this.fed.signers.findIndex((s) => s === this.self || !env.knownDown(s));
    if (first !== this.index) {
      this.deferred.set(lock.id, first);
      return;
    }
    this.deferred.delete(lock.id);
    this.submitted.add(lock.id);
    const release = releaseOf(lock);
    const msg: TxBatchMsg = { kind: MSG.TX_BATCH, bytes: 64 + this.fed.sc.sizes.tx_bytes, dw: lock.id >>> 0, txs: [release] };
    env.broadcast(lock.cls === CLASS_PEG_IN ? this.fed.producers : this.fed.miners, msg);
  }
}
