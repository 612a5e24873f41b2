/**
 * Bystack's own checks (docs/CHECKS.md), beside the generic safety, agreement and liveness, and
 * the figures of its summary section, both from the observation records only:
 *
 * - `double_spend`: no output is spent twice on a chain's final prefix (the canonical chain);
 * - `conservation`: every transfer's outputs add up to the output it spends.
 *
 * The figures: blocks mined per height (Observe.note MINED), so the blocks that never became
 * final (stale) are counted up to the final height; reorganisations and their depth; how long a
 * new block took to reach each node; blocks per miner on the final chain; block intervals.
 */
import type { CheckHost, FamilyChecks } from '../../contract/module.js';
import type { CommitKey } from '../../contract/observe.js';
import { CHAIN_MAIN, CHAIN_SIDE, CLASS_SIDE, NOTE, type MainBlock, type SideBlock, type Tx } from './messages.js';

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
}

export class BystackChecks implements FamilyChecks {
  /** Outputs spent on each chain's final prefix. */
  private readonly spent = [new Set<number>(), new Set<number>()];
  readonly main: MainStats = { mined: [], reorgs: 0, reorgDepths: [], arrivals: [], canonical: [] };
  readonly side: SideStats = { produced: [], reorgs: 0, reorgDepths: [], arrivals: [], canonical: [] };
  constructor(private readonly host: CheckHost, private readonly hasSide: boolean) {}

  /** A transfer of class `cls` was offered: work for its chain (liveness). */
  submit(_tx: number, at_us: number, cls: number): void {
    this.host.demand(cls === CLASS_SIDE && this.hasSide ? CHAIN_SIDE : CHAIN_MAIN, at_us);
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

  /** The UTXO checks of a final block's transfers on its chain. */
  private ledger(node: string, key: CommitKey, txs: readonly Tx[], now_us: number): void {
    const spent = this.spent[key.chain];
    for (const tx of txs) {
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

  committed(): void {}

  finish(): void {}
}
