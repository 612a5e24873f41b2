/**
 * TOP Chain's workload: receivers over tables, the locality knob ρ and system-contract calls
 * (docs/PROTOCOL.md §14.1 locality ρ, system-contract share), and the bundle a client uses. The generic
 * parts (rate schedules, arrivals, account popularity) live in sim/workload/. Pure functions and
 * immutable tables; every random choice comes from the `Stream` the caller passes in, and every
 * decision is an integer comparison (docs/DESIGN.md contract 3).
 */
import type { Stream } from '../../lib/random.js';
import { buildCumulative, checkPopularity, zipfScale, zipfWeight, type Cumulative, type Popularity } from '../../workload/accounts.js';
import { percentToBasisPoints } from '../../workload/percent.js';
import { checkSchedule, describeSchedule, type ArrivalKind, type RateSchedule } from '../../workload/schedule.js';

// ---------------------------------------------------------------------------------------------
// Receivers and locality (ρ)
// ---------------------------------------------------------------------------------------------

/**
 * All accounts grouped by table, with popularity weights, built once per run and shared read-only by
 * every client. Accounts are 0..N-1 where N is the total listed; each must appear in exactly one
 * table (tables may be empty). The accounts are laid out table after table in one cumulative weight
 * table, so "the sender's table", "every other table" and "everyone but the sender" are each one
 * weight interval, and `pickReceiver` needs one draw (plus one for the intra/cross coin).
 */
export class ReceiverSpace {
  /** Number of tables. */
  readonly tables: number;
  /** Number of accounts (N). */
  readonly accounts: number;
  /** Accounts in table order (table 0's list, then table 1's, …). */
  private readonly flat: Int32Array;
  /** account → its position in `flat`. */
  private readonly pos: Int32Array;
  /** account → table. */
  private readonly table: Int32Array;
  /** Table t's accounts are flat[tableStart[t] .. tableStart[t+1]). */
  private readonly tableStart: Int32Array;
  private readonly cum: Cumulative;

  /** Builds the space; `popularity.scope` (Zipf) chooses global ranking by account id or per-table ranking by list order. */
  constructor(accountsByTable: readonly ArrayLike<number>[], popularity: Popularity) {
    const err = checkPopularity(popularity);
    if (err !== null) throw new RangeError(`ReceiverSpace: popularity.${err}`);
    const T = accountsByTable.length;
    if (T === 0) throw new RangeError('ReceiverSpace: no tables');
    let N = 0;
    for (const list of accountsByTable) N += list.length;
    this.tables = T;
    this.accounts = N;
    this.flat = new Int32Array(N);
    this.pos = new Int32Array(N).fill(-1);
    this.table = new Int32Array(N);
    this.tableStart = new Int32Array(T + 1);
    const zipf = popularity.kind === 'zipf' && popularity.s > 0;
    const weights = zipf ? new Float64Array(N) : null;
    const s = popularity.kind === 'zipf' ? popularity.s : 0;
    const perTable = popularity.kind === 'zipf' && popularity.scope === 'table';
    const scale = zipfScale(Math.max(1, N));
    let k = 0;
    for (let t = 0; t < T; t++) {
      this.tableStart[t] = k;
      const list = accountsByTable[t];
      for (let j = 0; j < list.length; j++) {
        const a = list[j];
        if (!Number.isInteger(a) || a < 0 || a >= N) throw new RangeError(`ReceiverSpace: table ${t} lists account ${a}, expected an integer in [0, ${N})`);
        if (this.pos[a] >= 0) throw new RangeError(`ReceiverSpace: account ${a} appears twice (table ${t} and table ${this.table[a]})`);
        this.flat[k] = a;
        this.pos[a] = k;
        this.table[a] = t;
        if (weights !== null) weights[k] = zipfWeight(perTable ? j + 1 : a + 1, s, scale);
        k++;
      }
    }
    this.tableStart[T] = k;
    this.cum = buildCumulative(weights, N, 'ReceiverSpace');
  }

  /** The table of `account` (RangeError if it is not an account). */
  tableOf(account: number): number {
    if (!Number.isInteger(account) || account < 0 || account >= this.accounts) throw new RangeError(`ReceiverSpace: no account ${account}`);
    return this.table[account];
  }

  /** The accounts of table t (a copy, in the given order). */
  accountsOf(t: number): Int32Array {
    return this.flat.slice(this.tableStart[t], this.tableStart[t + 1]);
  }

  /** One draw over the weight of flat positions [lo, hi) minus [exLo, exHi); an account or -1. */
  private draw(stream: Stream, lo: number, hi: number, exLo: number, exHi: number): number {
    const c = this.cum;
    const i = c.draw(stream, c.before(lo), c.before(hi), c.before(exLo), c.before(exHi));
    return i < 0 ? -1 : this.flat[i];
  }

  /** See `pickReceiver`. */
  pickReceiver(stream: Stream, sender: number, intraSharePercent: number | null): number {
    const st = this.tableOf(sender);
    const p = this.pos[sender];
    if (intraSharePercent !== null) {
      const bp = percentToBasisPoints(intraSharePercent, 'intra_share_percent');
      const lo = this.tableStart[st];
      const hi = this.tableStart[st + 1];
      const r = stream.chance(bp, 10_000) ? this.draw(stream, lo, hi, p, p + 1) : this.draw(stream, 0, this.accounts, lo, hi);
      if (r >= 0) return r;
    }
    const r = this.draw(stream, 0, this.accounts, p, p + 1);
    if (r < 0) throw new RangeError(`pickReceiver: account ${sender} is the only account, no receiver possible`);
    return r;
  }
}

/**
 * The receiver of a transfer from `sender`, never the sender itself, drawn by popularity.
 * - `intraSharePercent = null` (natural locality): any account but the sender; with uniform
 *   popularity and T equal tables the cross-table share is ρ ≈ 1 − 1/T (§14.1).
 * - otherwise, with probability intraSharePercent/100 (basis points, `stream.chance`) an account of
 *   the sender's own table other than the sender, else an account of another table (weighted by
 *   popularity across all other tables). When the chosen side is empty (the sender is alone in its
 *   table, or every account is in one table) it falls back to the natural choice.
 * Draws: one `stream.chance` (none at 0% or 100%) and one `stream.int`. RangeError if the sender is
 * not an account or is the only one.
 */
export function pickReceiver(stream: Stream, space: ReceiverSpace, sender: number, intraSharePercent: number | null): number {
  return space.pickReceiver(stream, sender, intraSharePercent);
}

/**
 * Whether this transaction calls a system contract (which triggers the confirm leg, §9.4), with
 * probability sharePercent/100 in basis points. Draws nothing at 0% or 100%, so a workload without
 * system calls keeps the same stream as before the knob existed.
 */
export function isSystemCall(stream: Stream, sharePercent: number): boolean {
  return stream.chance(percentToBasisPoints(sharePercent, 'system_call_percent'), 10_000);
}

// ---------------------------------------------------------------------------------------------
// The bundle
// ---------------------------------------------------------------------------------------------

/** Everything a client needs to generate its transactions (the workload side of a scenario). */
export interface WorkloadSpec {
  /** Total rate over time, shared by all clients. */
  schedule: RateSchedule;
  arrival: ArrivalKind;
  /** Popularity of senders (within a client's accounts) and receivers. */
  popularity: Popularity;
  /** Percent of transfers whose receiver is in the sender's table; null = natural (ρ ≈ 1 − 1/T). */
  intra_share_percent: number | null;
  /** Percent of transactions that call a system contract. */
  system_call_percent: number;
  /** Amounts are uniform in [1, amount_max]. */
  amount_max: number;
}

/** Checks a workload spec; returns an error text naming the field (e.g. `schedule.end_us: …`), or null. */
export function checkWorkload(spec: WorkloadSpec): string | null {
  const se = checkSchedule(spec.schedule);
  if (se !== null) return `schedule.${se}`;
  if (spec.arrival !== 'constant' && spec.arrival !== 'poisson') return `arrival: expected "constant" or "poisson", got ${JSON.stringify(spec.arrival)}`;
  const pe = checkPopularity(spec.popularity);
  if (pe !== null) return `popularity.${pe}`;
  const pct = (v: unknown) => typeof v === 'number' && v >= 0 && v <= 100;
  if (spec.intra_share_percent !== null && !pct(spec.intra_share_percent)) {
    return `intra_share_percent: expected a percentage in [0, 100] or null, got ${spec.intra_share_percent}`;
  }
  if (!pct(spec.system_call_percent)) return `system_call_percent: expected a percentage in [0, 100], got ${spec.system_call_percent}`;
  if (!Number.isSafeInteger(spec.amount_max) || spec.amount_max < 1) return `amount_max: expected an integer >= 1, got ${spec.amount_max}`;
  return null;
}


/** A one-line summary for logs, e.g. `poisson ramp 0->200 tps over 10s..70s; zipf s=1 (global); intra natural; system 0%; amount 1..1000`. */
export function describeWorkload(spec: WorkloadSpec): string {
  const p = spec.popularity;
  const pop = p.kind === 'uniform' ? 'uniform' : `zipf s=${p.s} (${p.scope ?? 'global'})`;
  const intra = spec.intra_share_percent === null ? 'intra natural' : `intra ${spec.intra_share_percent}%`;
  return `${spec.arrival} ${describeSchedule(spec.schedule)}; ${pop}; ${intra}; system ${spec.system_call_percent}%; amount 1..${spec.amount_max}`;
}
