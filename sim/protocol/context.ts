/**
 * Facts every node of a run shares read-only: the scenario, groups, stakes, keys, transactions.
 * Built once before the run (contract 5: immutable shared data). The only mutable thing reachable
 * from here is the observer, which belongs to the metrics and checks layers, never to a node.
 */
import type { Scenario } from '../scenario/types.js';
import type { Signer } from '../crypto/index.js';
import { ACCOUNT_KEY_BASE } from '../crypto/index.js';
import type { TxStore } from './txstore.js';
import type { LedgerRules, TableLedger, AccountMap } from './ledger.js';
import type { Env } from './env.js';
import type { Block } from './messages.js';
import { draw64, ftsPickOne } from './stake.js';
import { ReceiverSpace } from './workload.js';

export interface Observer {
  onCommit(node: number, block: Block, now_us: number, ledger: TableLedger): void;
  onView(node: number, table: number, view: number, now_us: number): void;
  onPoolReject(node: number, tx: number, reason: number): void;
  onTxSubmit(tx: number, now_us: number): void;
}

export interface TableGroups {
  readonly validators: Int32Array;
  readonly auditors: Int32Array;
  readonly members: Int32Array;
  readonly weightsV: readonly number[];
  readonly weightsA: readonly number[];
  readonly thresholdV: number;
  readonly thresholdA: number;
  /** Byzantine equivocation: per fork (0, 1), the byzantine members plus half of the honest ones. */
  readonly forkV: [Int32Array, Int32Array];
  readonly forkA: [Int32Array, Int32Array];
}

/** A window in which the first copy of receipts from one table to another is lost. */
export interface ReceiptDrop {
  from_table: number;
  to_table: number;
  at_us: number;
  until_us: number;
}

export interface CrashAsLeader {
  table: number;
  view: number;
  until_us: number | null;
}

/** ⌊2n/3⌋+1 (PROTOCOL.md §8.3 step 5), less a sabotage shortfall, at least 1. */
export function quorum(n: number, shortfall = 0): number {
  return Math.max(1, Math.floor((2 * n) / 3) + 1 - shortfall);
}

export class ChainContext {
  readonly isValidator: Uint8Array;
  readonly isAuditor: Uint8Array;
  readonly byzantine: Uint8Array;
  readonly rules: LedgerRules;
  /** Every distinct group (validator and auditor groups), for broadcasts to all tables. */
  readonly allGroups: Int32Array[];
  /** Tables each node serves, ascending. */
  readonly tablesOf: number[][];
  private readonly serving: Set<number>[];
  /** Receivers by table with the workload's popularity, shared by all clients. */
  readonly receivers: ReceiverSpace;
  private readonly leaderMemo = new Map<number, number>();
  /**
   * Verification outcomes of immutable objects (a transaction's signature, a certificate's
   * shares, a proposal's signature), computed once per run. Verification is a pure function of
   * the object, so the memo changes no outcome; each node is still charged the CPU cost of every
   * verification it performs. Without it every member of two groups re-hashes the same bytes.
   */
  private txSig = new Uint8Array(1024);
  private readonly objectSig = new WeakMap<object, boolean>();

  constructor(
    readonly sc: Scenario,
    readonly names: readonly string[],
    readonly groups: readonly TableGroups[],
    readonly map: AccountMap,
    byzantineNodes: readonly number[],
    readonly crashLeaderFaults: readonly CrashAsLeader[],
    readonly receiptDrops: readonly ReceiptDrop[],
    readonly signer: Signer,
    readonly txs: TxStore,
    readonly observer: Observer,
  ) {
    const n = names.length;
    this.isValidator = new Uint8Array(n);
    this.isAuditor = new Uint8Array(n);
    for (const g of groups) {
      for (const v of g.validators) this.isValidator[v] = 1;
      for (const a of g.auditors) this.isAuditor[a] = 1;
    }
    const seen = new Set<Int32Array>();
    this.allGroups = [];
    this.tablesOf = Array.from({ length: n }, () => []);
    this.serving = Array.from({ length: n }, () => new Set<number>());
    groups.forEach((g, t) => {
      for (const grp of [g.validators, g.auditors]) {
        if (!seen.has(grp)) {
          seen.add(grp);
          this.allGroups.push(grp);
        }
      }
      for (const m of g.members) {
        this.tablesOf[m].push(t);
        this.serving[m].add(t);
      }
    });
    this.receivers = new ReceiverSpace(map.tableAccounts, sc.workload.popularity);
    this.byzantine = new Uint8Array(n);
    for (const b of byzantineNodes) this.byzantine[b] = 1;
    this.rules = { mint: sc.sabotage.ledger_mint, skipNonceCheck: sc.sabotage.skip_nonce_check };
  }

  validators(table: number): Int32Array {
    return this.groups[table].validators;
  }
  auditors(table: number): Int32Array {
    return this.groups[table].auditors;
  }
  members(table: number): Int32Array {
    return this.groups[table].members;
  }
  forkMembers(table: number, fork: number, group: 'V' | 'A'): Int32Array {
    const g = this.groups[table];
    return group === 'V' ? g.forkV[fork] : g.forkA[fork];
  }
  thresholdV(table: number): number {
    return this.groups[table].thresholdV;
  }
  thresholdA(table: number): number {
    return this.groups[table].thresholdA;
  }

  serves(node: number, table: number): boolean {
    return this.serving[node].has(table);
  }

  /**
   * The member of `table`'s groups on duty for `round` (receipt-id state, resends, pulls): a
   * rotation over the members, skipping those this node believes down. -1 when none is up.
   */
  designated(table: number, round: number, env: Env): number {
    const m = this.groups[table].members;
    const start = (round + table) % m.length;
    for (let k = 0; k < m.length; k++) {
      const c = m[(start + k) % m.length];
      if (c === env.self || !env.knownDown(c)) return c;
    }
    return -1;
  }

  /** Whether the first copy of receipts from `from` to `to` is lost at `now_us` (a fault). */
  receiptDropped(from: number, to: number, now_us: number): boolean {
    for (const d of this.receiptDrops) {
      if (d.from_table === from && d.to_table === to && now_us >= d.at_us && now_us < d.until_us) return true;
    }
    return false;
  }

  /** Whether transaction `id`'s signature verifies (memoized per transaction). */
  txSignatureOk(id: number): boolean {
    if (id >= this.txSig.length) {
      let c = this.txSig.length;
      while (c <= id) c *= 2;
      const g = new Uint8Array(c);
      g.set(this.txSig);
      this.txSig = g;
    }
    const v = this.txSig[id];
    if (v !== 0) return v === 1;
    const txs = this.txs;
    const ok = this.signer.verify(this.accountKey(txs.sender[id]), txs.hash(id), txs.sig(id));
    this.txSig[id] = ok ? 1 : 2;
    return ok;
  }

  /** Whether `check()` holds for the immutable object `o` (memoized per object). */
  verifiedOnce(o: object, check: () => boolean): boolean {
    const v = this.objectSig.get(o);
    if (v !== undefined) return v;
    const ok = check();
    this.objectSig.set(o, ok);
    return ok;
  }

  accountKey(account: number): number {
    return ACCOUNT_KEY_BASE + account;
  }

  /**
   * The leader of `view` (PROTOCOL.md §8.2): odd views from the auditor group, even views from
   * the validator group; FTS weighted by comprehensive stake + 1, seeded by view and table.
   * A pure function of its arguments; the memo only saves recomputing it at every node.
   */
  leaderOf(table: number, view: number): number {
    const key = view * 4096 + table;
    const hit = this.leaderMemo.get(key);
    if (hit !== undefined) return hit;
    const g = this.groups[table];
    const odd = view % 2 === 1;
    const cands = odd ? g.auditors : g.validators;
    const weights = odd ? g.weightsA : g.weightsV;
    const pick = cands[ftsPickOne(weights, draw64(`${this.sc.seed}/leader/${table}/${view}`))];
    if (this.leaderMemo.size > 100_000) this.leaderMemo.clear();
    this.leaderMemo.set(key, pick);
    return pick;
  }

  /** A crash fault that hits the leader of (table, view) as it enters the view, if any. */
  crashAsLeader(table: number, view: number): number | null | undefined {
    for (const f of this.crashLeaderFaults) if (f.table === table && f.view === view) return f.until_us;
    return undefined;
  }
}
