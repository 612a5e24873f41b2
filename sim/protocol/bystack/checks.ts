/**
 * Bystack's own checks (docs/CHECKS.md), beside the generic safety, agreement and liveness, and
 * the figures of its summary section, both from the observation records only:
 *
 * - `double_spend`: no output is spent twice on a chain's final prefix (the canonical chain);
 * - `conservation`: every transfer's outputs add up to the output it spends;
 * - `peg_once`: a peg's release (mint or payout) is final at most once;
 * - `peg_conservation`: a release is final only after its lock is (locked = minted, burned =
 *   paid, peg by peg), and for the amount locked;
 * - `peg_liveness`: a lock final for longer than the liveness bound, counted from the later of its
 *   finality and the end of the fault phase, has its release final by the end of the run.
 *
 * The figures: blocks mined per height (Observe.note MINED), so the blocks that never became
 * final (stale) are counted up to the final height; reorganisations and their depth; how long a
 * new block took to reach each node; blocks per miner on the final chain; block intervals; the
 * double signs Vapor nodes caught (Observe.note DOUBLE_SIGN).
 */
import type { CheckHost, FamilyChecks } from '../../contract/module.js';
import type { CommitKey } from '../../contract/observe.js';
import {
  CHAIN_MAIN, CHAIN_SIDE, CLASS_PEG_IN, CLASS_PEG_OUT, CLASS_SIDE, LEG_LOCK, LEG_RELEASE, NOTE, chainOfTx,
  type MainBlock, type SideBlock, type Tx,
} from './messages.js';

/** Pegs each way: how many locks and releases are final, and their value. */
export interface PegStats {
  locked: number;
  released: number;
  value_locked: number;
  value_released: number;
}

export interface MainStats {
  /** Blocks found, per height. */
  mined: number[];
  reorgs: number;
  /** Reorganisations by depth (blocks disconnected): index d holds those of depth d. */
  reorgDepths: number[];
  /** µs from a block's finding to its arrival at a node, every arrival. */
  arrivals: number[];
  /** Canonical (final) blocks: their miner, timestamp, difficulty and transfers. */
  canonical: { miner: number; found_us: number; difficulty: number; txs: number }[];
}

export interface SideStats {
  /** Blocks made, per height. */
  produced: number[];
  reorgs: number;
  reorgDepths: number[];
  arrivals: number[];
  /** Irreversible blocks: producer, stamp, transfers, and when the first node held it irreversible. */
  canonical: { producer: number; time_us: number; txs: number; irreversible_us: number }[];
  /** Double signs caught: (height × 64 + producer index) → how many times nodes refused one. */
  doubleSigns: Map<number, number>;
}

export class BystackChecks implements FamilyChecks {
  /** Outputs spent on each chain's final prefix. */
  private readonly spent = [new Set<number>(), new Set<number>()];
  readonly main: MainStats = { mined: [], reorgs: 0, reorgDepths: [], arrivals: [], canonical: [] };
  readonly side: SideStats = { produced: [], reorgs: 0, reorgDepths: [], arrivals: [], canonical: [], doubleSigns: new Map() };
  readonly pegIn: PegStats = { locked: 0, released: 0, value_locked: 0, value_released: 0 };
  readonly pegOut: PegStats = { locked: 0, released: 0, value_locked: 0, value_released: 0 };
  /** Final locks not yet released, by peg id, with their amount and when the lock became final. */
  private readonly openLocks = new Map<number, number>();
  private readonly lockedAt = new Map<number, { at_us: number; cls: number; node: string; chain: number; height: number }>();
  constructor(
    private readonly host: CheckHost,
    private readonly hasSide: boolean,
    /** Peg liveness: judged from the end of the fault phase, with the run's liveness bound. */
    private readonly liveFrom_us = 0,
    private readonly liveBound_us = Infinity,
  ) {}

  /** A transaction of class `cls` was offered: work for the chain it is final on (liveness). */
  submit(_tx: number, at_us: number, cls: number): void {
    const chain = cls === CLASS_SIDE || cls === CLASS_PEG_IN || cls === CLASS_PEG_OUT ? chainOfTx(cls, 2) : CHAIN_MAIN;
    this.host.demand(chain === CHAIN_SIDE && !this.hasSide ? CHAIN_MAIN : chain, at_us);
  }

  note(_node: number, _now_us: number, kind: number, _chain: number, value: number): void {
    const m = this.main;
    switch (kind) {
      case NOTE.MINED:
        m.mined[value] = (m.mined[value] ?? 0) + 1;
        return;
      case NOTE.REORG:
        m.reorgs++;
        m.reorgDepths[value] = (m.reorgDepths[value] ?? 0) + 1;
        return;
      case NOTE.ARRIVED:
        m.arrivals.push(value);
        return;
      case NOTE.PRODUCED:
        this.side.produced[value] = (this.side.produced[value] ?? 0) + 1;
        return;
      case NOTE.REORG_SIDE:
        this.side.reorgs++;
        this.side.reorgDepths[value] = (this.side.reorgDepths[value] ?? 0) + 1;
        return;
      case NOTE.ARRIVED_SIDE:
        this.side.arrivals.push(value);
        return;
      case NOTE.DOUBLE_SIGN:
        this.side.doubleSigns.set(value, (this.side.doubleSigns.get(value) ?? 0) + 1);
        return;
    }
  }

  byzantineCommit(): void {}

  canonical(node: string, key: CommitKey, block: object, now_us: number): void {
    if (key.chain === CHAIN_SIDE) {
      const b = block as SideBlock;
      this.side.canonical.push({ producer: b.producer, time_us: b.time_us, txs: b.txs.length, irreversible_us: now_us });
      this.ledger(node, key, b.txs, now_us);
      return;
    }
    const b = block as MainBlock;
    this.main.canonical.push({ miner: b.miner, found_us: b.found_us, difficulty: b.difficulty, txs: b.txs.length });
    this.ledger(node, key, b.txs, now_us);
  }

  /** The UTXO and peg checks of a final block's transactions on its chain. */
  private ledger(node: string, key: CommitKey, txs: readonly Tx[], now_us: number): void {
    const spent = this.spent[key.chain];
    const fire = (check: string, message: string) => this.host.report({ check, node, table: key.chain, height: key.height, time_us: now_us, message });
    for (const tx of txs) {
      if (tx.leg === LEG_LOCK) this.lockedAt.set(tx.id, { at_us: now_us, cls: tx.cls, node, chain: key.chain, height: key.height });
      if (tx.leg !== 0) this.peg(tx, fire);
      if (tx.leg === LEG_RELEASE) {
        if (spent.has(tx.coin)) fire('peg_once', `${tx.cls === CLASS_PEG_IN ? 'peg-in' : 'peg-out'} ${tx.id} released a second time`);
        spent.add(tx.coin);
        continue;
      }
      if (spent.has(tx.coin)) {
        this.host.report({
          check: 'double_spend', node, table: key.chain, height: key.height, time_us: now_us,
          message: `transfer ${tx.id} spends output ${tx.coin} of account ${tx.from}, already spent on the final chain`,
        });
      }
      spent.add(tx.coin);
      if (tx.amount < 1 || tx.amount > tx.value) {
        this.host.report({
          check: 'conservation', node, table: key.chain, height: key.height, time_us: now_us,
          message: `transfer ${tx.id} pays ${tx.amount} out of an output worth ${tx.value}`,
        });
      }
    }
  }

  /** A peg's lock or release became final: locked = released, peg by peg. */
  private peg(tx: Tx, fire: (check: string, message: string) => void): void {
    const st = tx.cls === CLASS_PEG_IN ? this.pegIn : this.pegOut;
    const what = tx.cls === CLASS_PEG_IN ? 'peg-in' : 'peg-out';
    if (tx.leg === LEG_LOCK) {
      st.locked++;
      st.value_locked += tx.amount;
      this.openLocks.set(tx.id, tx.amount);
      return;
    }
    const locked = this.openLocks.get(tx.id);
    if (locked === undefined) {
      // A second release is peg_once's; a release whose lock is not final is this check's.
      if (!this.spent[chainOfTx(tx.cls, LEG_RELEASE)].has(tx.coin)) fire('peg_conservation', `${what} ${tx.id} released ${tx.value} before its lock was final`);
      return;
    }
    if (tx.value !== locked) fire('peg_conservation', `${what} ${tx.id} released ${tx.value} for ${locked} locked`);
    this.openLocks.delete(tx.id);
    this.lockedAt.delete(tx.id);
    st.released++;
    st.value_released += tx.value;
  }

  committed(): void {}

  /** The page's view: the pegs whose lock is final and whose release is not, oldest first. */
  openPegs(): { id: number; cls: number; chain: number; height: number; at_us: number }[] {
    return [...this.lockedAt].map(([id, l]) => ({ id, cls: l.cls, chain: l.chain, height: l.height, at_us: l.at_us }));
  }

  /** Peg liveness at the end of the run: the oldest lock still open past the bound, each way. */
  finish(now_us: number): void {
    const seen = new Set<number>();
    for (const [id, l] of this.lockedAt) {
      if (seen.has(l.cls) || now_us - Math.max(l.at_us, this.liveFrom_us) <= this.liveBound_us) continue;
      seen.add(l.cls);
      const waiting = this.lockedAt.size;
      this.host.report({
        check: 'peg_liveness', node: l.node, table: l.chain, height: l.height, time_us: now_us,
        message: `${l.cls === CLASS_PEG_IN ? 'peg-in' : 'peg-out'} ${id} locked at ${(l.at_us / 1e6).toFixed(1)} s is not released ` +
          `(bound ${(this.liveBound_us / 1e6).toFixed(0)} s, judged from ${(this.liveFrom_us / 1e6).toFixed(1)} s; ${waiting} locks open)`,
      });
    }
  }
}
