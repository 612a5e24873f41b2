/**
 * Bystack's clients (docs/BYSTACK.md "Ledger" and "Workload"): each edge holds the wallets of the
 * accounts dealt to it (account a to edge a mod edges). A client's transfer spends the next output
 * of the sender's genesis wallet, pays `amount` to the receiver and the rest back as change; the
 * edge sends what its clients submitted to every miner each `edge_flush`.
 *
 * Every account's genesis wallet holds as many outputs as it needs, each worth `amount_max`, so
 * transfers of one account never wait for each other's change (a wallet with many outputs); what
 * the ledger checks is that no output is spent twice and that every transfer conserves value.
 */
import type { Env, NodeLogic, Timer } from '../../contract/env.js';
import type { Stream } from '../../lib/random.js';
import { AccountPicker } from '../../workload/accounts.js';
import { nextArrival } from '../../workload/schedule.js';
import { percentToBasisPoints } from '../../workload/percent.js';
import {
  CHAIN_MAIN, CLASS_MAIN, CLASS_PEG_IN, CLASS_PEG_OUT, LEG_LOCK, LEG_TRANSFER, MSG, TIMER, chainOfTx, walletCoin,
  type Tx, type TxBatchMsg,
} from './messages.js';

/**
 * The class of the next transfer, by the workload's mix in basis points: one draw, and none when
 * the mix is all one class.
 */
function chooseClass(stream: Stream, mix: readonly number[]): number {
  const whole = mix.findIndex((bp) => bp === 10_000);
  if (whole >= 0) return whole + 1;
  if (mix.every((bp) => bp === 0)) return CLASS_MAIN;
  let x = stream.int(0, 9_999);
  for (let k = 0; k < mix.length; k++) {
    if (x < mix[k]) return k + 1;
    x -= mix[k];
  }
  return CLASS_MAIN;
}
import type { BystackScenario } from './scenario.js';

/** The transfers of one flush go in one batch up to this many (more go in further batches). */
const BATCH_MAX = 1024;

export class EdgeClient implements NodeLogic {
  private readonly senders: AccountPicker;
  private readonly receivers: AccountPicker;
  /** Outputs spent so far per own account (by its index among this edge's accounts). */
  private readonly spent: Uint32Array;
  /** The mix of side-chain transfers, peg-ins and peg-outs, in basis points (the rest: main chain). */
  private readonly mix: number[];
  private k = 0;
  /** Transfers waiting for the next flush, per chain (main, side). */
  private pending: [Tx[], Tx[]] = [[], []];
  private flushArmed = false;
  private arrivalAt = 0;

  constructor(
    private readonly sc: BystackScenario,
    readonly self: number,
    /** This edge's index among edges (its client number). */
    private readonly edgeIndex: number,
    private readonly edges: number,
    private readonly miners: Int32Array,
    private readonly producers: Int32Array,
    private readonly stream: Stream,
  ) {
    const accounts = sc.workload.accounts;
    const own: number[] = [];
    for (let a = edgeIndex; a < accounts; a += edges) own.push(a);
    this.spent = new Uint32Array(2 * own.length);
    const w = sc.workload;
    this.mix = [percentToBasisPoints(w.side_percent, 'side_percent'), percentToBasisPoints(w.peg_in_percent, 'peg_in_percent'),
      percentToBasisPoints(w.peg_out_percent, 'peg_out_percent')];
    this.senders = new AccountPicker(own, sc.workload.popularity);
    this.receivers = new AccountPicker(Array.from({ length: accounts }, (_, a) => a), sc.workload.popularity);
  }

  onStart(env: Env): void {
    this.scheduleNext(env, Math.max(0, this.sc.workload.start_us - 1));
  }

  onRestart(env: Env): void {
    // Clients send on their own schedule; a restarted edge picks up from now.
    this.pending = [[], []];
    this.flushArmed = false;
    this.scheduleNext(env, env.now_us);
  }

  onTick(): void {}

  onMessage(): void {}

  onTimer(env: Env, t: Timer): void {
    if (t.kind === TIMER.ARRIVAL) {
      const at = this.arrivalAt;
      this.submit(env, at);
      this.scheduleNext(env, at);
    } else if (t.kind === TIMER.FLUSH) {
      this.flush(env);
    }
  }

  /** Arms the client arrival after `after_us`, if it falls before the stop time (an open loop). */
  private scheduleNext(env: Env, after_us: number): void {
    const w = this.sc.workload;
    const next = nextArrival(w.schedule, after_us, this.stream, w.arrival, 1 / this.edges);
    if (next === null || next >= w.stop_us) return;
    this.arrivalAt = next;
    env.setArrival(next, { kind: TIMER.ARRIVAL, dw: this.k >>> 0 });
  }

  private submit(env: Env, at_us: number): void {
    const w = this.sc.workload;
    const stream = this.stream;
    const from = this.senders.pick(stream);
    let to = this.receivers.pick(stream);
    if (to === from) to = (from + 1) % w.accounts;
    const amount = stream.int(1, w.amount_max);
    const cls = chooseClass(stream, this.mix);
    // A peg starts with its lock: a deposit to the federation on the main chain, a burn on Vapor.
    const leg = cls === CLASS_PEG_IN || cls === CLASS_PEG_OUT ? LEG_LOCK : LEG_TRANSFER;
    const chain = chainOfTx(cls, leg);
    const local = Math.floor(from / this.edges);
    // Each chain's wallet outputs are numbered apart (the j-th spend of the account on that chain).
    const coin = walletCoin(from, this.spent[2 * local + chain]++);
    const id = this.k++ * this.edges + this.edgeIndex;
    const tx: Tx = { id, cls, leg, from, to: leg === LEG_LOCK ? from : to, amount, coin, value: w.amount_max };
    // The edge checks the client's signature before sending the transfer on.
    env.charge(this.sc.costs.verify_tx_us);
    env.observe.submit(id, at_us, cls);
    this.pending[chain === CHAIN_MAIN ? 0 : 1].push(tx);
    if (!this.flushArmed) {
      this.flushArmed = true;
      env.setTimer(this.sc.mainchain.edge_flush_us, { kind: TIMER.FLUSH, dw: 0 });
    }
  }

  private flush(env: Env): void {
    this.flushArmed = false;
    const bytes = this.sc.sizes.tx_bytes;
    for (const chain of [0, 1]) {
      const txs = this.pending[chain];
      this.pending[chain] = [];
      // Main-chain transactions to every miner's pool, side-chain ones to every producer's.
      const to = chain === 0 ? this.miners : this.producers;
      for (let i = 0; i < txs.length; i += BATCH_MAX) {
        const part = txs.slice(i, i + BATCH_MAX);
        const msg: TxBatchMsg = { kind: MSG.TX_BATCH, bytes: 64 + part.length * bytes, dw: part[0].id >>> 0, txs: part };
        env.broadcast(to, msg);
      }
    }
  }
}
