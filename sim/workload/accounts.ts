/**
 * Account popularity and pickers: which accounts a client draws, whatever the protocol family
 * (docs/PROTOCOL.md §14.1 account skew). Immutable tables built once; every draw comes from the `Stream`
 * the caller passes in and is decided by integer comparisons (docs/DESIGN.md contract 3). Zipf weights use
 * deterministic ln and exp (+ - * / only) and are rounded to integers before they decide anything.
 */
import { detLn, type Stream } from '../lib/random.js';

/**
 * How popular each account is. `uniform`: all equal. `zipf`: P(rank r) ∝ 1/r^s (s ≥ 0) over a given
 * order. `scope` matters only to spaces of accounts grouped by table (TOP's `ReceiverSpace`):
 * `global` (default) ranks all accounts by id, so account 0 is the hottest everywhere; `table` ranks
 * each table's accounts by their order in that table, so every table has its own hot accounts. An
 * `AccountPicker` ranks over its own list.
 */
export type Popularity = { kind: 'uniform' } | { kind: 'zipf'; s: number; scope?: 'global' | 'table' };

/** Checks a popularity spec; returns an error text naming the field, or null. */
export function checkPopularity(p: Popularity): string | null {
  if (p.kind === 'uniform') return null;
  if (p.kind === 'zipf') {
    if (typeof p.s !== 'number' || !Number.isFinite(p.s) || p.s < 0 || p.s > 100) return `s: expected a Zipf exponent in [0, 100], got ${p.s}`;
    if (p.scope !== undefined && p.scope !== 'global' && p.scope !== 'table') return `scope: expected "global" or "table", got ${JSON.stringify(p.scope)}`;
    return null;
  }
  return `kind: expected "uniform" or "zipf", got ${JSON.stringify((p as { kind: unknown }).kind)}`;
}

const LN2 = 0.6931471805599453;

/**
 * e^x from + - * / alone (range reduction by ln 2, Taylor series, exact scaling by powers of 2), so
 * every engine gives the same bits, unlike Math.exp / Math.pow, which the spec lets engines
 * approximate.
 */
function detExp(x: number): number {
  if (x === 0) return 1;
  if (x < -745) return 0;
  if (x > 709) return Infinity;
  const k = Math.round(x / LN2);
  const f = x - k * LN2; // |f| ≤ ~0.35
  let term = 1;
  let sum = 1;
  for (let i = 1; i < 40; i++) {
    term = (term * f) / i;
    sum += term;
    if (Math.abs(term) < 1e-18) break;
  }
  if (k > 0) for (let i = 0; i < k; i++) sum *= 2;
  else for (let i = 0; i < -k; i++) sum /= 2;
  return sum;
}

/**
 * The integer Zipf weight of rank r (1-based) with exponent s and the weight `scale` for rank 1:
 * max(1, floor(scale / r^s)), with r^s = e^(s·ln r) from deterministic ln and exp. Every account
 * keeps a weight of at least 1, so none is unreachable.
 */
export function zipfWeight(rank: number, s: number, scale: number): number {
  if (s === 0 || rank === 1) return scale;
  const w = Math.floor(scale * detExp(-s * detLn(rank)));
  return w < 1 ? 1 : w;
}

/** The rank-1 weight for n candidates, chosen so the n weights sum to at most 2^53 - 1 (exact integers). */
export function zipfScale(n: number): number {
  return Math.floor(Number.MAX_SAFE_INTEGER / n);
}

/**
 * Cumulative integer weights over indices 0..n-1 (all 1 when `cum` is null), with draws over a
 * weight interval minus an excluded sub-interval: one `stream.int` and one binary search, no
 * rejection loop, however much weight the excluded part holds.
 */
export class Cumulative {
  readonly total: number;

  constructor(readonly n: number, private readonly cum: Float64Array | null) {
    this.total = cum === null ? n : n === 0 ? 0 : cum[n - 1];
  }

  /** Sum of the weights of indices [0, i). */
  before(i: number): number {
    return this.cum === null ? i : i === 0 ? 0 : this.cum[i - 1];
  }

  /** The index whose weight interval contains x (0 ≤ x < total). */
  indexAt(x: number): number {
    const cum = this.cum;
    if (cum === null) return x;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** An index drawn by weight from the weight interval [lo, hi) minus [exLo, exHi) ⊆ [lo, hi); -1 if that is empty. */
  draw(stream: Stream, lo: number, hi: number, exLo: number, exHi: number): number {
    const span = hi - lo - (exHi - exLo);
    if (span <= 0) return -1;
    let x = lo + stream.int(0, span - 1);
    if (x >= exLo) x += exHi - exLo;
    return this.indexAt(x);
  }
}

export function buildCumulative(weights: ArrayLike<number> | null, n: number, what: string): Cumulative {
  if (weights === null) return new Cumulative(n, null);
  if (weights.length !== n) throw new RangeError(`${what}: ${n} accounts but ${weights.length} weights`);
  const cum = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (!Number.isSafeInteger(w) || w < 0) throw new RangeError(`${what}: weight ${i} must be an integer >= 0, got ${w}`);
    sum += w;
    if (sum > Number.MAX_SAFE_INTEGER) throw new RangeError(`${what}: weights sum beyond 2^53 - 1`);
    cum[i] = sum;
  }
  if (n > 0 && sum === 0) throw new RangeError(`${what}: all weights are 0`);
  return new Cumulative(n, cum);
}

function zipfWeights(n: number, s: number): Float64Array {
  const scale = zipfScale(n);
  const w = new Float64Array(n);
  for (let r = 1; r <= n; r++) w[r - 1] = zipfWeight(r, s, scale);
  return w;
}

/** Explicit integer popularity weights for an `AccountPicker`, one per candidate. */
export type ExplicitWeights = { kind: 'weights'; weights: ArrayLike<number> };

/**
 * Picks accounts from a fixed candidate list by popularity. The integer cumulative table is built
 * once at construction (uniform needs none); a pick is one `stream.int` plus, for Zipf, a binary
 * search. Account ids must be distinct integers ≥ 0. Immutable after construction, so many
 * clients may share one picker (each with its own stream).
 */
export class AccountPicker {
  /** The candidates, in rank order. */
  readonly accounts: Int32Array;
  private readonly cum: Cumulative;
  private readonly lookup: 'identity' | 'sorted' | Map<number, number>;

  /**
   * A picker over `accounts` (rank order = the given order) with the given popularity, or with
   * explicit integer weights (≥ 0, not all 0, sum ≤ 2^53 - 1), one per account.
   */
  constructor(accounts: ArrayLike<number>, popularity: Popularity | ExplicitWeights) {
    let weights: ArrayLike<number> | null;
    if (popularity.kind === 'weights') {
      weights = popularity.weights;
    } else {
      const err = checkPopularity(popularity);
      if (err !== null) throw new RangeError(`AccountPicker: popularity.${err}`);
      weights = popularity.kind === 'zipf' && popularity.s > 0 ? zipfWeights(accounts.length, popularity.s) : null;
    }
    this.accounts = Int32Array.from(accounts);
    if (this.accounts.length === 0) throw new RangeError('AccountPicker: no accounts');
    this.cum = buildCumulative(weights, this.accounts.length, 'AccountPicker');
    this.lookup = AccountPicker.buildLookup(this.accounts, accounts);
  }

  private static buildLookup(a: Int32Array, given: ArrayLike<number>): 'identity' | 'sorted' | Map<number, number> {
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== given[i] || a[i] < 0) throw new RangeError(`AccountPicker: account ${i} must be an integer in [0, 2^31), got ${given[i]}`);
    }
    let identity = true;
    let sorted = true;
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== i) identity = false;
      if (i > 0 && a[i] <= a[i - 1]) sorted = false;
    }
    if (identity) return 'identity';
    if (sorted) return 'sorted';
    const m = new Map<number, number>();
    for (let i = 0; i < a.length; i++) {
      if (m.has(a[i])) throw new RangeError(`AccountPicker: account ${a[i]} appears twice`);
      m.set(a[i], i);
    }
    return m;
  }

  /** Number of candidates. */
  get size(): number {
    return this.accounts.length;
  }

  /** Sum of all weights (= size for uniform). */
  get totalWeight(): number {
    return this.cum.total;
  }

  /** The integer weight of the candidate at `index` (rank index + 1). */
  weightAt(index: number): number {
    return this.cum.before(index + 1) - this.cum.before(index);
  }

  /** The position of `account` in the list, or -1 (O(1), O(log n) or a map lookup, by list shape). */
  indexOf(account: number): number {
    const a = this.accounts;
    const l = this.lookup;
    if (l === 'identity') return Number.isInteger(account) && account >= 0 && account < a.length ? account : -1;
    if (l === 'sorted') {
      let lo = 0;
      let hi = a.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (a[mid] === account) return mid;
        if (a[mid] < account) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    }
    return l.get(account) ?? -1;
  }

  /** An account drawn by popularity. */
  pick(stream: Stream): number {
    return this.accounts[this.cum.draw(stream, 0, this.cum.total, 0, 0)];
  }

  /**
   * An account drawn by popularity among all candidates except `exclude` (exactly: the excluded
   * account's weight is cut out of the draw, no retry), or -1 if `exclude` is the only candidate.
   * If `exclude` is not a candidate this is `pick`.
   */
  pickExcept(stream: Stream, exclude: number): number {
    const i = this.indexOf(exclude);
    const c = this.cum;
    const r = i < 0 ? c.draw(stream, 0, c.total, 0, 0) : c.draw(stream, 0, c.total, c.before(i), c.before(i + 1));
    return r < 0 ? -1 : this.accounts[r];
  }
}
