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
import { CLASS_MAIN, CLASS_SIDE, MSG, TIMER, walletCoin, type Tx, type TxBatchMsg } from './messages.js';

/** True with probability `percent`/100 (basis points); no draw at 0% or 100%. */
function choosePercent(stream: Stream, percent: number): boolean {
  return stream.chance(percentToBasisPoints(percent, 'side_percent'), 10_000);
}
import type { BystackScenario } from './scenario.js';

/** The transfers of one flush go in one batch up to this many (more go in further batches). */
const BATCH_MAX = 1024;

export class EdgeClient implements NodeLogic {
  private readonly senders: AccountPicker;
  private readonly receivers: AccountPicker;
  /** Outputs spent so far per own account (by its index among this edge's accounts). */
  private readonly spent: Uint32Array;
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
    // One draw decides the chain, and none when the mix is all one chain.
    const cls = choosePercent(stream, w.side_percent) ? CLASS_SIDE : CLASS_MAIN;
    const local = Math.floor(from / this.edges);
    // Each chain's wallet outputs are numbered apart (the j-th spend of the account on that chain).
    const coin = walletCoin(from, this.spent[2 * local + cls]++);
    const id = this.k++ * this.edges + this.edgeIndex;
    const tx: Tx = { id, cls, from, to, amount, coin, value: w.amount_max };
    // The edge checks the client's signature before sending the transfer on.
    env.charge(this.sc.costs.verify_tx_us);
    env.observe.submit(id, at_us, cls);
    this.pending[cls].push(tx);
    if (!this.flushArmed) {
      this.flushArmed = true;
      env.setTimer(this.sc.mainchain.edge_flush_us, { kind: TIMER.FLUSH, dw: 0 });
    }
  }

  private flush(env: Env): void {
    this.flushArmed = false;
    const bytes = this.sc.sizes.tx_bytes;
    for (const cls of [CLASS_MAIN, CLASS_SIDE]) {
      const txs = this.pending[cls];
      this.pending[cls] = [];
      // Main-chain transfers to every miner's pool, side-chain ones to every producer's.
      const to = cls === CLASS_MAIN ? this.miners : this.producers;
      for (let i = 0; i < txs.length; i += BATCH_MAX) {
        const part = txs.slice(i, i + BATCH_MAX);
        const msg: TxBatchMsg = { kind: MSG.TX_BATCH, bytes: 64 + part.length * bytes, dw: part[0].id >>> 0, txs: part };
        env.broadcast(to, msg);
      }
    }
  }
}
