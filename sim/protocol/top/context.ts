/**
 * Facts every node of a run shares read-only: the scenario, groups, stakes, keys, transactions.
 * Built once before the run (contract 5: immutable shared data). Mutable things reachable from
 * here: memos of pure verification outcomes; and the replicas' own flags stored per transaction (`pooled`,
 * `handledBatches`), each bit read and written by one replica only.
 */
import type { ByzantineBehavior, TopScenario } from './scenario.js';
import type { Signer } from '../../crypto/index.js';
import { ACCOUNT_KEY_BASE } from '../../crypto/index.js';
import type { TxStore } from './txstore.js';
import { LedgerVersions, LEG_RECV, LEG_CONFIRM, type LedgerRules, type AccountMap } from './ledger.js';
import type { Env } from '../../contract/env.js';
import { draw64, ftsPickOne } from './stake.js';
import { ReceiverSpace } from './workload.js';
import { SharedOutbox } from './sharedoutbox.js';
import { SharedReceiptQueue } from './sharedqueue.js';
import { ReplicaSlots, TxFlags } from './txflags.js';

/** A table's receipt state its in-sync replicas on one thread share: outboxes and queues, per leg. */
export interface SharedReceipts {
  readonly outRecv: SharedOutbox;
  readonly outConfirm: SharedOutbox;
  readonly recvQ: SharedReceiptQueue;
  readonly confirmQ: SharedReceiptQueue;
}

export interface TableGroups {
  readonly validators: Int32Array;
  readonly auditors: Int32Array;
  readonly members: Int32Array;
  readonly weightsV: readonly number[];
  readonly weightsA: readonly number[];
  readonly thresholdV: number;
  readonly thresholdA: number;
  /** Byzantine equivocation: per fork (0, 1), the colluding members plus half of the others. */
  readonly forkV: [Int32Array, Int32Array];
  readonly forkA: [Int32Array, Int32Array];
}

/** Seat of a node in an epoch: none, validator group, auditor group. */
export const SEAT_NONE = 0;
export const SEAT_V = 1;
export const SEAT_A = 2;

/**
 * One round of a validator group and its auditor group, as the tables of that validator group see
 * it (docs/PROTOCOL.md §7.4): active from `start_clock` until the next round's start.
 */
export interface Epoch extends TableGroups {
  readonly vgroup: number;
  readonly round: number;
  readonly elected_clock: number;
  readonly start_clock: number;
  /** Who may lead (§8.2): the high-priority pool, or the low one when it is empty; with weights. */
  readonly leadersV: Int32Array;
  readonly leaderWeightsV: readonly number[];
  readonly leadersA: Int32Array;
  readonly leaderWeightsA: readonly number[];
  /** Seat of each member (SEAT_V or SEAT_A). */
  readonly seat: ReadonlyMap<number, number>;
  /**
   * Who hears the tables' traffic once the next round is elected: this round's members plus the
   * incoming ones, so new members follow the chain while they sync. Null without a next round.
   */
  readonly hearV: Int32Array | null;
  readonly hearA: Int32Array | null;
  readonly next: Epoch | null;
  /** Leaders by view, memoized. */
  readonly leaderMemo: Map<number, number>;
}

/** A change of a node's duties at a beacon clock: start syncing a table, or leave it. */
export interface DutyChange {
  readonly clock: number;
  readonly table: number;
  readonly join: boolean;
}

/** A window in which the first copy of receipts from one table to another is lost. */
export interface ReceiptDrop {
  from_table: number;
  to_table: number;
  at_us: number;
  until_us: number;
}

/**
 * One node's byzantine behaviour over a window (scenario `byzantine`, sim/scenario/types.ts):
 * active while `at_us <= now < until_us`. grind_seed belongs to the beacon, never listed here.
 */
export interface Misbehavior {
  node: number;
  behavior: Exclude<ByzantineBehavior, 'grind_seed'>;
  at_us: number;
  until_us: number;
  /** delay_proposals: how long after the view starts the leader proposes. */
  delay_us: number;
}

/** Behaviours whose nodes get both proposals of an equivocating leader (they vote for anything). */
export const COLLUDING: readonly ByzantineBehavior[] = ['equivocate', 'double_vote'];

/**
 * An equivocating leader's two forks of a group: the colluding members in both, the others
 * alternating between them in member order.
 */
export function forksOf(colluding: ReadonlySet<number>): (members: Int32Array) => [Int32Array, Int32Array] {
  return (members) => {
    const f: [number[], number[]] = [[], []];
    let k = 0;
    for (const m of members) {
      if (colluding.has(m)) { f[0].push(m); f[1].push(m); } else f[k++ % 2].push(m);
    }
    return [Int32Array.from(f[0]), Int32Array.from(f[1])];
  };
}

export interface CrashAsLeader {
  table: number;
  view: number;
  until_us: number | null;
}

/** The round of a list (genesis first) active at `clock`. */
function activeAt(list: readonly Epoch[], clock: number): Epoch {
  let i = list.length - 1;
  while (i > 0 && list[i].start_clock > clock) i--;
  return list[i];
}

/** A round's validators (or auditors), with the next round's once that round is elected. */
function hearing(e: Epoch, clock: number, validators: boolean): Int32Array {
  const incoming = e.next !== null && e.next.elected_clock <= clock;
  if (validators) return incoming ? e.hearV! : e.validators;
  return incoming ? e.hearA! : e.auditors;
}

/** ⌊2n/3⌋+1 (docs/PROTOCOL.md §8.3 step 5), less a sabotage shortfall, at least 1. */
export function quorum(n: number, shortfall = 0): number {
  return Math.max(1, Math.floor((2 * n) / 3) + 1 - shortfall);
}

export class ChainContext {
  readonly isValidator: Uint8Array;
  readonly isAuditor: Uint8Array;
  /**
   * Nodes that equivocate or double-vote at some time: an equivocating leader sends them both of
   * its proposals and they track both forks' certificates (Byzantine.forkTips in byzantine.ts).
   */
  readonly colluding: Uint8Array;
  /** Per node, its byzantine behaviours with their windows (empty for an honest node). */
  private readonly misbehavior: Misbehavior[][];
  readonly rules: LedgerRules;
  /** Tables each node serves at genesis, ascending. */
  readonly tablesOf: number[][];
  /** Per node: when it starts syncing a table (elected) and when it leaves one, by clock. */
  readonly duties: DutyChange[][];
  /** Receivers by table with the workload's popularity, shared by all clients. */
  readonly receivers: ReceiverSpace;
  /**
   * Verification outcomes of immutable objects (a transaction's signature, a certificate's
   * shares, a proposal's signature), computed once per run. Verification is a pure function of
   * the object, so the memo changes no outcome; each node is still charged the CPU cost of every
   * verification it performs. Without it every member of two groups re-hashes the same bytes.
   */
  private txSig = new Uint8Array(1024);
  private readonly objectSig = new WeakMap<object, boolean>();
  /** Per proposed block: the committed blocks it was re-executed on, each followed by the outcome. */
  private readonly executions = new WeakMap<object, (string | boolean)[]>();
  /** Distinct auditor groups' epoch lists (by the first validator group under each). */
  private readonly auditorEpochs: Epoch[][];
  /**
   * Replicas' own flags, stored per transaction for speed (sim/protocol/top/txflags.ts): each replica
   * reads and writes only the bits of its slot, so no node sees another's state through them.
   * `pooled`: the transaction is in the replica's pool. `handledBatches`: the replica has handled
   * the batch that this transaction starts (a batch's id is its first transaction's).
   */
  readonly replicaSlots: ReplicaSlots;
  readonly pooled: TxFlags;
  readonly handledBatches: TxFlags;
  /**
   * Per table, the receipt outboxes (recv, confirm) its in-sync replicas on this thread share
   * (sharedoutbox.ts), made at the first replica; none when the scenario keeps state per replica.
   */
  private readonly receiptState: (SharedReceipts | undefined)[] = [];
  /** Per table, the committed ledgers its in-sync replicas on this thread share (ledger.ts). */
  private readonly ledgers: (LedgerVersions | undefined)[] = [];

  constructor(
    readonly sc: TopScenario,
    readonly names: readonly string[],
    /** Each validator group's rounds, genesis first. */
    readonly epochs: readonly Epoch[][],
    /** The validator group owning each table. */
    readonly vgroupOf: Int32Array,
    readonly map: AccountMap,
    misbehavior: readonly Misbehavior[],
    readonly crashLeaderFaults: readonly CrashAsLeader[],
    readonly receiptDrops: readonly ReceiptDrop[],
    readonly signer: Signer,
    readonly txs: TxStore,
    /** Registered validators and auditors (seated or standby). */
    validatorPool: readonly number[],
    auditorPool: readonly number[],
    /** Archive nodes: they hear every table's proposals and certificates and never vote (MC-10). */
    readonly archives: Int32Array = new Int32Array(0),
  ) {
    const n = names.length;
    this.isValidator = new Uint8Array(n);
    this.isAuditor = new Uint8Array(n);
    for (const v of validatorPool) this.isValidator[v] = 1;
    for (const a of auditorPool) this.isAuditor[a] = 1;
    this.tablesOf = Array.from({ length: n }, () => []);
    this.duties = Array.from({ length: n }, () => []);
    const T = map.tables;
    for (let t = 0; t < T; t++) {
      const list = epochs[vgroupOf[t]];
      for (const m of list[0].members) this.tablesOf[m].push(t);
      for (let r = 1; r < list.length; r++) {
        const prev = list[r - 1];
        const cur = list[r];
        // Incoming members start syncing when elected; outgoing ones leave one clock after the
        // new round starts (the faded round finishes what it had in flight).
        for (const m of cur.members) if (!prev.seat.has(m)) this.duties[m].push({ clock: cur.elected_clock, table: t, join: true });
        for (const m of prev.members) if (!cur.seat.has(m)) this.duties[m].push({ clock: cur.start_clock + 1, table: t, join: false });
      }
    }
    for (const d of this.duties) d.sort((x, y) => x.clock - y.clock || x.table - y.table || Number(x.join) - Number(y.join));
    const VPA = sc.topology.validator_groups_per_auditor;
    this.auditorEpochs = [];
    for (let g = 0; g < epochs.length; g += VPA) this.auditorEpochs.push(epochs[g]);
    this.receivers = new ReceiverSpace(map.tableAccounts, sc.workload.popularity);
    this.colluding = new Uint8Array(n);
    this.misbehavior = Array.from({ length: n }, () => []);
    for (const m of misbehavior) {
      this.misbehavior[m.node].push(m);
      if (COLLUDING.includes(m.behavior)) this.colluding[m.node] = 1;
    }
    this.rules = { mint: sc.sabotage.ledger_mint, skipNonceCheck: sc.sabotage.skip_nonce_check };
    this.replicaSlots = new ReplicaSlots(T);
    this.pooled = new TxFlags(this.replicaSlots);
    this.handledBatches = new TxFlags(this.replicaSlots);
  }

  /** The receipt outboxes and queues `table`'s in-sync replicas on this thread share, or null when each keeps its own. */
  sharedReceipts(table: number): SharedReceipts | null {
    if (this.sc.replica_state !== 'shared') return null;
    const T = this.map.tables;
    const p = this.sc.protocol;
    const queued = Math.max(p.pool_txs_max, p.receipts_unconfirmed_max);
    return (this.receiptState[table] ??= {
      outRecv: new SharedOutbox(T), outConfirm: new SharedOutbox(T),
      recvQ: new SharedReceiptQueue(LEG_RECV, queued, T), confirmQ: new SharedReceiptQueue(LEG_CONFIRM, queued, T),
    });
  }

  /** The ledger versions `table`'s in-sync replicas on this thread share, or null when each keeps its own. */
  ledgerVersions(table: number): LedgerVersions | null {
    if (this.sc.replica_state !== 'shared') return null;
    return (this.ledgers[table] ??= new LedgerVersions(this.map.tableAccounts[table].length, this.map.tables,
      this.sc.workload.genesis_balance));
  }

  /**
   * How much the replicas on this thread share: replicas reading a shared outbox, replicas that left
   * one for their own, receipts held in the shared outboxes; ledger versions held, and replicas
   * that left them for a ledger of their own; receipts held in the shared queues, and replicas that
   * left them.
   */
  sharing(): {
    attached: number; fallbacks: number; entries: number; ledgers: number; ledgerFallbacks: number; queued: number;
    queueFallbacks: number;
  } {
    const s = { attached: 0, fallbacks: 0, entries: 0, ledgers: 0, ledgerFallbacks: 0, queued: 0, queueFallbacks: 0 };
    for (const v of this.ledgers) {
      if (v === undefined) continue;
      s.ledgers += v.held;
      s.ledgerFallbacks += v.fallbacks;
    }
    for (const r of this.receiptState) {
      if (r === undefined) continue;
      for (const o of [r.outRecv, r.outConfirm]) {
        s.attached += o.attached;
        s.fallbacks += o.fallbacks;
        s.entries += o.store.size;
      }
      for (const q of [r.recvQ, r.confirmQ]) {
        s.queued += q.size;
        s.queueFallbacks += q.fallbacks;
      }
    }
    return s;
  }

  /**
   * Whether `node` shows `behavior` at `now_us`. Protocol code asks with its own id and its
   * handler's time only, so a behaviour is a function of the scenario and virtual time.
   */
  misbehaves(node: number, behavior: Misbehavior['behavior'], now_us: number): boolean {
    const list = this.misbehavior[node];
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (m.behavior === behavior && now_us >= m.at_us && now_us < m.until_us) return true;
    }
    return false;
  }

  /** delay_proposals: how long after a view starts `node` holds its proposal at `now_us` (0: not at all). */
  proposalDelay(node: number, now_us: number): number {
    let d = 0;
    for (const m of this.misbehavior[node]) {
      if (m.behavior === 'delay_proposals' && now_us >= m.at_us && now_us < m.until_us) d = Math.max(d, m.delay_us);
    }
    return d;
  }

  /** Whether `node` holds a seat for `table` at `clock`, or is elected to one in the next round. */
  involved(node: number, table: number, clock: number): boolean {
    const e = this.epoch(table, clock);
    return e.seat.has(node) || (e.next !== null && e.next.elected_clock <= clock && e.next.seat.has(node));
  }

  /** The round of `table`'s groups active at beacon clock `clock`. */
  epoch(table: number, clock: number): Epoch {
    return activeAt(this.epochs[this.vgroupOf[table]], clock);
  }

  /** Who hears `table`'s proposals, certificates and receipts at `clock`: validators. */
  hearV(table: number, clock: number): Int32Array {
    return hearing(this.epoch(table, clock), clock, true);
  }

  /** Who hears `table`'s proposals, certificates and receipts at `clock`: auditors. */
  hearA(table: number, clock: number): Int32Array {
    return hearing(this.epoch(table, clock), clock, false);
  }

  /** Every group that hears anything at `clock` (each validator group and each auditor group once). */
  allGroups(clock: number): Int32Array[] {
    return [
      ...this.epochs.map((list) => hearing(activeAt(list, clock), clock, true)),
      ...this.auditorEpochs.map((list) => hearing(activeAt(list, clock), clock, false)),
    ];
  }

  /**
   * The member of `table`'s groups on duty for `round` (receipt-id state, resends, pulls): a
   * rotation over the members, skipping those this node believes down. -1 when none is up.
   */
  designated(table: number, round: number, clock: number, env: Env): number {
    const m = this.epoch(table, clock).members;
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

  /**
   * Whether block `b` re-executes to its own results on the state after committed block
   * `committedId` and then `b`'s uncommitted ancestors (memoized per block object and committed
   * block). That state is a function of the chain alone: a table's ledger after a committed block
   * is the same at every replica that committed it (every ledger change is a committed leg or a
   * copy of such a ledger), block ids hash their contents and parents, and the ledger rules are
   * the scenario's. So the outcome is too; each replica is still charged its execution.
   */
  executionValid(b: object, committedId: string, execute: () => boolean): boolean {
    let seen = this.executions.get(b);
    if (seen === undefined) {
      seen = [];
      this.executions.set(b, seen);
    }
    for (let i = 0; i < seen.length; i += 2) if (seen[i] === committedId) return seen[i + 1] as boolean;
    const ok = execute();
    seen.push(committedId, ok);
    return ok;
  }

  accountKey(account: number): number {
    return ACCOUNT_KEY_BASE + account;
  }

  /**
   * The leader of `view` for a block bound to beacon clock `clock` (docs/PROTOCOL.md §8.2): odd views
   * from the auditor group, even views from the validator group, of the round active at `clock`;
   * FTS weighted by comprehensive stake + 1 over the high-priority pool, seeded by view and table.
   * A pure function of its arguments; the memo only saves recomputing it at every node.
   */
  leaderOf(table: number, view: number, clock: number): number {
    const e = this.epoch(table, clock);
    const key = view * 4096 + table;
    const hit = e.leaderMemo.get(key);
    if (hit !== undefined) return hit;
    const odd = view % 2 === 1;
    const cands = odd ? e.leadersA : e.leadersV;
    const weights = odd ? e.leaderWeightsA : e.leaderWeightsV;
    const pick = cands[ftsPickOne(weights, draw64(`${this.sc.seed}/leader/${table}/${view}`))];
    if (e.leaderMemo.size > 100_000) e.leaderMemo.clear();
    e.leaderMemo.set(key, pick);
    return pick;
  }

  /** A crash fault that hits the leader of (table, view) as it enters the view, if any. */
  crashAsLeader(table: number, view: number): number | null | undefined {
    for (const f of this.crashLeaderFaults) if (f.table === table && f.view === view) return f.until_us;
    return undefined;
  }
}
