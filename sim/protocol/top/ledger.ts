/**
 * Table state (docs/PROTOCOL.md §4): balances and next nonces of the table's own accounts, by local
 * index, and the receipt-id counters toward every peer table (§4.6): the last receipt id this
 * table assigned to sends toward each peer, and the last one it applied from each peer (recv)
 * and for each peer (confirm).
 *
 * A transfer is one or more legs (§4.2, §9):
 * - INNER: sender and receiver share the table; both sides in one block, no receipt;
 * - SEND: in the sender's table: debit and nonce; assigns the next receipt id toward the receiver;
 * - RECV: in the receiver's table: credit; applies strictly in receipt-id order per source table;
 * - CONFIRM: back in the sender's table (all cross-table transfers with variant `design`, only
 *   system-contract calls with `impl`, MC-5): sender-side bookkeeping, in receipt-id order.
 *
 * A node keeps the committed state; a `StateView` layers the effects of certified but not yet
 * committed blocks (at most a few, by the 3-chain rule) over it without copying it.
 */
import type { TxStore } from './txstore.js';

export const LEG_INNER = 0;
export const LEG_SEND = 1;
export const LEG_RECV = 2;
export const LEG_CONFIRM = 3;

/** How accounts map to tables; shared read-only by every node. */
export interface AccountMap {
  readonly tables: number;
  /** Table of each account. */
  readonly tableOf: Uint16Array;
  /** Index of each account inside its table. */
  readonly localIndex: Int32Array;
  /** The accounts of each table, in local-index order. */
  readonly tableAccounts: readonly Int32Array[];
}

export class TableLedger {
  readonly balance: Float64Array;
  readonly nonce: Uint32Array;
  readonly sendId: Uint32Array;
  readonly recvId: Uint32Array;
  readonly confirmId: Uint32Array;
  /** Confirm receipts this table issued toward each peer (the confirm legs' own id sequence). */
  readonly rspId: Uint32Array;
  /**
   * The two-layer lattice's lower layer (§3.4, §4.4): each account's unit chain, as bookkeeping.
   * A committed table block adds one unit to every account it touches; every 21st unit is a full
   * unit (`fullunit_contain_of_unit_num`).
   */
  readonly unitHeight: Uint32Array;

  constructor(accounts: number, tables: number, genesis_balance: number) {
    this.balance = new Float64Array(accounts).fill(genesis_balance);
    this.nonce = new Uint32Array(accounts);
    this.sendId = new Uint32Array(tables);
    this.recvId = new Uint32Array(tables);
    this.confirmId = new Uint32Array(tables);
    this.rspId = new Uint32Array(tables);
    this.unitHeight = new Uint32Array(accounts);
  }

  /** A copy (a state snapshot for a new member). */
  clone(): TableLedger {
    const c = new TableLedger(0, 0, 0);
    c.assign(this);
    return c;
  }

  /**
   * A ledger over the given arrays, taken as they are (not copied): a decoded state snapshot.
   * Same prototype and fields, in the same order, as a constructed one.
   */
  static fromArrays(balance: Float64Array, nonce: Uint32Array, sendId: Uint32Array, recvId: Uint32Array,
    confirmId: Uint32Array, rspId: Uint32Array, unitHeight: Uint32Array): TableLedger {
    const c = new TableLedger(0, 0, 0);
    const self = c as { -readonly [K in keyof TableLedger]: TableLedger[K] };
    self.balance = balance;
    self.nonce = nonce;
    self.sendId = sendId;
    self.recvId = recvId;
    self.confirmId = confirmId;
    self.rspId = rspId;
    self.unitHeight = unitHeight;
    return c;
  }

  /** Reads and writes `o`'s arrays from now on (no copy: a shared version, LedgerVersions). */
  point(o: TableLedger): void {
    const self = this as { -readonly [K in keyof TableLedger]: TableLedger[K] };
    self.balance = o.balance;
    self.nonce = o.nonce;
    self.sendId = o.sendId;
    self.recvId = o.recvId;
    self.confirmId = o.confirmId;
    self.rspId = o.rspId;
    self.unitHeight = o.unitHeight;
  }

  /** Becomes a copy of `o` (same table, so the same sizes, or an empty ledger from `clone`). */
  assign(o: TableLedger): void {
    const self = this as { -readonly [K in keyof TableLedger]: TableLedger[K] };
    self.balance = o.balance.slice();
    self.nonce = o.nonce.slice();
    self.sendId = o.sendId.slice();
    self.recvId = o.recvId.slice();
    self.confirmId = o.confirmId.slice();
    self.rspId = o.rspId.slice();
    self.unitHeight = o.unitHeight.slice();
  }

  sum(): number {
    let s = 0;
    const b = this.balance;
    for (let i = 0; i < b.length; i++) s += b[i];
    return s;
  }
}

/** A table's committed state at one height, held by the in-sync replicas at that height. */
interface LedgerVersion {
  readonly id: string;
  readonly state: TableLedger;
  users: number;
}

/** LedgerVersions.advance: the replica's ledger now holds the new height's state, computed by another. */
export const LEDGER_ADOPTED = 0;
/** LedgerVersions.advance: the replica's ledger holds arrays it must now apply the block to. */
export const LEDGER_WRITE = 1;
/** LedgerVersions.advance: the replica's chain differs from the others': its ledger is now its own copy. */
export const LEDGER_LEFT = 2;

/**
 * One table's committed ledgers on one thread for its in-sync replicas (docs/DESIGN.md "Shared state
 * of in-sync replicas"): a table's ledger after committed block h is a function of the chain up to
 * h (every change is a committed leg; block ids hash their parents), so replicas at the same height
 * of the same chain hold equal ledgers, and here they hold one. Each replica's TableLedger points at
 * the arrays of its height's version. The first replica to commit h+1 applies the block, in place
 * when no other replica is still at h, else on a copy; the others take its result instead of
 * applying the block again. A replica whose block at h+1 is not the version's leaves with a copy of
 * its own; replicas that start from a snapshot never join. Usually two or three heights are held
 * per table instead of a copy per replica.
 */
export class LedgerVersions {
  private readonly at = new Map<number, LedgerVersion>();
  /** Replicas that left with a copy of their own (a statistic). */
  fallbacks = 0;

  constructor(accounts: number, tables: number, genesis_balance: number) {
    this.at.set(0, { id: '', state: new TableLedger(accounts, tables, genesis_balance), users: 0 });
  }

  /** Versions held (a statistic). */
  get held(): number {
    return this.at.size;
  }

  /** A new replica's ledger, at genesis. */
  attach(): TableLedger {
    const v = this.at.get(0)!;
    v.users++;
    const l = new TableLedger(0, 0, 0);
    l.point(v.state);
    return l;
  }

  /** A replica at `height` lets go (it is dropped, or now keeps its own). */
  leave(height: number): void {
    const v = this.at.get(height)!;
    if (--v.users === 0) this.at.delete(height);
  }

  /**
   * Replica ledger `l`, at `height`, commits block `id` at `height + 1`. Returns LEDGER_ADOPTED
   * (`l` now reads the state after the block), LEDGER_WRITE (`l` holds arrays of its own for the
   * new height: apply the block to them) or LEDGER_LEFT (`l` is now a private copy of the state
   * at `height`: apply the block, and never call again). `before` receives the state at `height`.
   */
  advance(l: TableLedger, height: number, id: string, before: { state: TableLedger | null }): number {
    const cur = this.at.get(height)!;
    before.state = cur.state;
    const next = this.at.get(height + 1);
    if (next !== undefined) {
      if (next.id !== id) {
        l.assign(cur.state);
        this.leave(height);
        this.fallbacks++;
        return LEDGER_LEFT;
      }
      next.users++;
      this.leave(height);
      l.point(next.state);
      return LEDGER_ADOPTED;
    }
    if (cur.users === 1) {
      // No other replica at this height: the block applies in place.
      this.at.delete(height);
      this.at.set(height + 1, { id, state: cur.state, users: 1 });
      return LEDGER_WRITE;
    }
    const state = cur.state.clone();
    cur.users--;
    this.at.set(height + 1, { id, state, users: 1 });
    l.point(state);
    return LEDGER_WRITE;
  }
}

export interface LedgerRules {
  /** Sabotage: credit without debit. */
  mint: boolean;
  /** Sabotage: accept any nonce. */
  skipNonceCheck: boolean;
}

/** A view's dense overlay (see StateView); the counter arrays are made at the first counter write. */
interface Overlay {
  acct: Uint8Array;
  bal: Float64Array;
  non: Float64Array;
  cntSet: Uint8Array | null;
  cnt: Float64Array | null;
}

/**
 * The arrays of the last released view, every flag clear, for the next view to take. A replica
 * makes a view for every proposal it checks and every block it commits, and fresh arrays cost an
 * allocation and a zero-fill of the whole table each time. Views live inside one handler, so one
 * spare per thread serves every replica; any table fits arrays at least its size (the flags are
 * read only below it), so the spare keeps the largest.
 */
let spare: Overlay | null = null;

/** Whether the released view's arrays should replace the spare. */
function betterSpare(o: Overlay): boolean {
  if (spare === null) return true;
  if (o.acct.length !== spare.acct.length) return o.acct.length > spare.acct.length;
  return (o.cntSet?.length ?? 0) > (spare.cntSet?.length ?? 0);
}

const C_SEND = 0;
const C_RECV = 1;
const C_CONFIRM = 2;

/**
 * Committed state plus overlaid changes; reads fall through to the committed state.
 *
 * The overlay is dense, by account and by peer table, allocated at the first write (a view is
 * made for every proposal a replica checks and every block it commits, and a block touches up to
 * a few hundred accounts: typed arrays beat a Map per field there). Overlay values are kept as
 * doubles, as the Maps this replaced kept them; a flag per entry says whether it is set.
 */
export class StateView {
  /** Per account: bit 1 balance set, bit 2 nonce set. */
  private acct: Uint8Array | null = null;
  private bal: Float64Array | null = null;
  private non: Float64Array | null = null;
  /** Accounts with a flag, in first-write order (what flush writes back). */
  private touched: number[] = [];
  /** Per counter (kind * tables + peer): 1 when set; and the values. */
  private cntSet: Uint8Array | null = null;
  private cnt: Float64Array | null = null;
  private cntTouched: number[] = [];
  private released = false;

  constructor(readonly base: TableLedger) {
    // Take the arrays a released view left clean, if they are big enough.
    const o = spare;
    if (o !== null && o.acct.length >= base.balance.length) {
      spare = null;
      this.acct = o.acct;
      this.bal = o.bal;
      this.non = o.non;
      if (o.cntSet !== null && o.cntSet.length >= 3 * base.sendId.length) {
        this.cntSet = o.cntSet;
        this.cnt = o.cnt;
      }
    }
  }

  balance(a: number): number {
    const f = this.acct;
    return f !== null && (f[a] & 1) !== 0 ? this.bal![a] : this.base.balance[a];
  }
  nonce(a: number): number {
    const f = this.acct;
    return f !== null && (f[a] & 2) !== 0 ? this.non![a] : this.base.nonce[a];
  }
  private flags(): Uint8Array {
    if (this.acct === null) {
      if (this.released) throw new Error('StateView: written after release');
      const n = this.base.balance.length;
      this.acct = new Uint8Array(n);
      this.bal = new Float64Array(n);
      this.non = new Float64Array(n);
    }
    return this.acct;
  }
  setBalance(a: number, v: number): void {
    const f = this.flags();
    if (f[a] === 0) this.touched.push(a);
    f[a] |= 1;
    this.bal![a] = v;
  }
  setNonce(a: number, v: number): void {
    const f = this.flags();
    if (f[a] === 0) this.touched.push(a);
    f[a] |= 2;
    this.non![a] = v;
  }
  private counter(kind: number, peer: number, base: Uint32Array): number {
    const k = kind * base.length + peer;
    return this.cntSet !== null && this.cntSet[k] === 1 ? this.cnt![k] : base[peer];
  }
  private setCounter(kind: number, peer: number, v: number): void {
    const T = this.base.sendId.length;
    if (this.cntSet === null) {
      if (this.released) throw new Error('StateView: written after release');
      this.cntSet = new Uint8Array(3 * T);
      this.cnt = new Float64Array(3 * T);
    }
    const k = kind * T + peer;
    if (this.cntSet[k] === 0) {
      this.cntSet[k] = 1;
      this.cntTouched.push(k);
    }
    this.cnt![k] = v;
  }
  sendId(peer: number): number {
    return this.counter(C_SEND, peer, this.base.sendId);
  }
  recvId(peer: number): number {
    return this.counter(C_RECV, peer, this.base.recvId);
  }
  confirmId(peer: number): number {
    return this.counter(C_CONFIRM, peer, this.base.confirmId);
  }
  setSendId(peer: number, v: number): void {
    this.setCounter(C_SEND, peer, v);
  }
  setRecvId(peer: number, v: number): void {
    this.setCounter(C_RECV, peer, v);
  }
  setConfirmId(peer: number, v: number): void {
    this.setCounter(C_CONFIRM, peer, v);
  }

  /** Writes the overlay into the committed state (when the block it describes commits). */
  flush(): void {
    const b = this.base;
    const f = this.acct;
    if (f !== null) {
      for (const a of this.touched) {
        if (f[a] & 1) b.balance[a] = this.bal![a];
        if (f[a] & 2) b.nonce[a] = this.non![a];
        f[a] = 0;
      }
    }
    const T = b.sendId.length;
    for (const k of this.cntTouched) {
      const kind = Math.floor(k / T);
      const peer = k - kind * T;
      (kind === C_SEND ? b.sendId : kind === C_RECV ? b.recvId : b.confirmId)[peer] = this.cnt![k];
      this.cntSet![k] = 0;
    }
    if (this.touched.length !== 0) this.touched.length = 0;
    if (this.cntTouched.length !== 0) this.cntTouched.length = 0;
  }

  /**
   * Ends the view: its changes are dropped (after `flush`, they are already committed) and its
   * arrays, cleared, become the thread's spare for the next view. The view reads the committed
   * state afterwards and must not be written.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    const f = this.acct;
    const c = this.cntSet;
    for (const a of this.touched) f![a] = 0;
    for (const k of this.cntTouched) c![k] = 0;
    if (this.touched.length !== 0) this.touched.length = 0;
    if (this.cntTouched.length !== 0) this.cntTouched.length = 0;
    if (f !== null) {
      const o: Overlay = { acct: f, bal: this.bal!, non: this.non!, cntSet: c, cnt: this.cnt };
      if (betterSpare(o)) spare = o;
    }
    this.acct = this.bal = this.non = null;
    this.cntSet = this.cnt = null;
  }
}

/** Outcome of checking a leg against a state. */
export const TX_OK = 0;
export const TX_NONCE_AHEAD = 1; // a nonce gap: wait for earlier ones
export const TX_STALE = 2; // nonce already used / receipt already applied
export const TX_FUNDS = 3; // insufficient balance
export const TX_ORDER = 4; // a receipt whose predecessors have not been applied

/**
 * Checks one leg on `view`. `rid` is the leg's receipt id for RECV and CONFIRM (ignored otherwise).
 */
export function checkLeg(view: StateView, txs: TxStore, map: AccountMap, id: number, leg: number, rid: number,
  rules: LedgerRules): number {
  if (leg === LEG_INNER || leg === LEG_SEND) {
    const s = map.localIndex[txs.sender[id]];
    const expected = view.nonce(s);
    const n = txs.nonce[id];
    if (!rules.skipNonceCheck) {
      if (n > expected) return TX_NONCE_AHEAD;
      if (n < expected) return TX_STALE;
    }
    if (view.balance(s) < txs.amount[id]) return TX_FUNDS;
    return TX_OK;
  }
  const peer = leg === LEG_RECV ? map.tableOf[txs.sender[id]] : map.tableOf[txs.receiver[id]];
  const last = leg === LEG_RECV ? view.recvId(peer) : view.confirmId(peer);
  if (rid <= last) return TX_STALE;
  if (rid !== last + 1) return TX_ORDER;
  return TX_OK;
}

/**
 * Applies a checked leg; returns the receipt id it carries: for SEND the newly assigned one,
 * for RECV/CONFIRM the one applied, for INNER -1.
 */
export function applyLeg(view: StateView, txs: TxStore, map: AccountMap, id: number, leg: number, rid: number,
  rules: LedgerRules): number {
  const a = txs.amount[id];
  if (leg === LEG_INNER || leg === LEG_SEND) {
    const s = map.localIndex[txs.sender[id]];
    if (!rules.mint) view.setBalance(s, view.balance(s) - a);
    view.setNonce(s, Math.max(view.nonce(s), txs.nonce[id] + 1));
    if (leg === LEG_INNER) {
      const r = map.localIndex[txs.receiver[id]];
      view.setBalance(r, view.balance(r) + a);
      return -1;
    }
    const peer = map.tableOf[txs.receiver[id]];
    const next = view.sendId(peer) + 1;
    view.setSendId(peer, next);
    return next;
  }
  if (leg === LEG_RECV) {
    const r = map.localIndex[txs.receiver[id]];
    view.setBalance(r, view.balance(r) + a);
    view.setRecvId(map.tableOf[txs.sender[id]], rid);
    return rid;
  }
  view.setConfirmId(map.tableOf[txs.receiver[id]], rid);
  return rid;
}
