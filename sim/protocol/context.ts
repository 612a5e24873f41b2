/**
 * Facts every node of a run shares read-only: the scenario, groups, stakes, keys, transactions.
 * Built once before the run (contract 5: immutable shared data). The only mutable thing reachable
 * from here is the observer, which belongs to the metrics and checks layers, never to a node.
 */
import type { Scenario } from '../scenario/types.js';
import type { Signer } from '../crypto/index.js';
import { ACCOUNT_KEY_BASE } from '../crypto/index.js';
import type { TxStore } from './txstore.js';
import type { LedgerRules, TableLedger } from './ledger.js';
import type { Block } from './messages.js';
import { draw64, ftsPickOne } from './stake.js';

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
  private readonly leaderMemo = new Map<number, number>();

  constructor(
    readonly sc: Scenario,
    readonly names: readonly string[],
    readonly groups: readonly TableGroups[],
    byzantineNodes: readonly number[],
    readonly crashLeaderFaults: readonly CrashAsLeader[],
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
