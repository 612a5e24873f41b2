/**
 * One replica's record of its table's chain (docs/PROTOCOL.md §8.3 step 7): the blocks and
 * certificates it holds, its highest certificate, its lock and its committed block, and the
 * questions about ancestry that voting, packing and execution ask. It decides nothing and sends
 * nothing: the consensus core (xbft.ts) moves the marks, state sync (statesync.ts) replaces them.
 */
import { wordOfHex, BLOCK_FULL, type Block, type QC, type TableSnapshot } from './messages.js';
import { hex, sha256 } from '../../crypto/index.js';
import { invariant } from '../../lib/assert.js';

/** A block that carries no receipt-id state (shared: never written to). */
export const NO_PROOFS = new Int32Array(0);

/** Committed blocks kept for serving sync requests. */
const BLOCKS_KEPT = 512;

export function genesisBlock(table: number): Block {
  const id = hex(sha256(new TextEncoder().encode(`topsim/genesis/table/${table}`)));
  return {
    id, idWord: wordOfHex(id), table, height: 0, view: 0, clock: 0, parent: '', leader: -1,
    cls: BLOCK_FULL, salt: 0, txs: new Int32Array(0), legs: new Uint8Array(0), rids: new Int32Array(0), proofs: NO_PROOFS, bytes: 0,
  };
}

export function genesisQC(g: Block): QC {
  return {
    blockId: g.id, blockWord: g.idWord, table: g.table, height: 0, view: 0, clock: 0, leader: -1,
    signers: new Int32Array(0), sigs: [],
  };
}

export class ChainStore {
  readonly blocks = new Map<string, Block>();
  readonly qcs = new Map<string, QC>();
  /** Committed block ids, oldest first, at most BLOCKS_KEPT (older blocks are dropped). */
  private readonly committedIds: string[] = [];
  highQC: QC;
  lockedView = 0;
  lockedHeight = 0;
  lockedId: string;
  committedHeight = 0;
  committedId: string;

  constructor(table: number) {
    const g = genesisBlock(table);
    this.blocks.set(g.id, g);
    const gq = genesisQC(g);
    this.qcs.set(g.id, gq);
    this.committedIds.push(g.id);
    this.highQC = gq;
    this.committedId = g.id;
    this.lockedId = g.id;
  }

  /** The committed block at height `h`, if it is still held (the newest BLOCKS_KEPT are); read only. */
  committedAt(h: number): Block | undefined {
    const k = this.committedIds.length - 1 - (this.committedHeight - h);
    return k >= 0 && k < this.committedIds.length ? this.blocks.get(this.committedIds[k]) : undefined;
  }

  /** The committed block: always held (pruning drops only older committed blocks). */
  committedBlock(): Block {
    const b = this.blocks.get(this.committedId);
    invariant(b !== undefined, () => `committed block ${this.committedId} at height ${this.committedHeight} is not held`);
    return b;
  }

  /**
   * Walks from `top` down its parents while above the committed height, pushing each block onto
   * `out` (newest first). Returns the block reached at or below the committed height, or
   * undefined when a block on the way is not held.
   */
  collectUncommitted(top: Block, out: Block[]): Block | undefined {
    let cur: Block | undefined = top;
    while (cur && cur.height > this.committedHeight) {
      out.push(cur);
      cur = this.blocks.get(cur.parent);
    }
    return cur;
  }

  /** Whether `parent` descends from (or is) the committed block, by blocks held. */
  onCommittedChain(parent: Block): boolean {
    let cur: Block | undefined = parent;
    while (cur && cur.height > this.committedHeight) cur = this.blocks.get(cur.parent);
    return cur !== undefined && cur.id === this.committedId;
  }

  /** HotStuff's rule: the block extends the locked block, or its justification is newer. */
  safeToVote(b: Block, justify: QC): boolean {
    if (justify.view > this.lockedView) return true;
    let cur: Block | undefined = this.blocks.get(b.parent);
    while (cur && cur.height > this.lockedHeight) cur = this.blocks.get(cur.parent);
    return cur !== undefined && cur.id === this.lockedId;
  }

  /** A certificate newer than the highest one replaces it; returns whether it did. */
  raiseHighQC(qc: QC): boolean {
    if (qc.view <= this.highQC.view) return false;
    this.highQC = qc;
    return true;
  }

  /** Locks `b` (the parent of a newly certified block) if it is newer than the lock. */
  lock(b: Block): void {
    if (b.view > this.lockedView) {
      this.lockedView = b.view;
      this.lockedHeight = b.height;
      this.lockedId = b.id;
    }
  }

  /**
   * Marks `b` committed. Commits come one height at a time, oldest first (xbft.ts advanceChain
   * walks parent links, and every block's height is its parent's plus one), so the committed
   * height only grows; only `adopt` (a state snapshot) sets it otherwise.
   */
  markCommitted(b: Block): void {
    invariant(b.height === this.committedHeight + 1,
      () => `table ${b.table}: commit of block ${b.id} at height ${b.height} after height ${this.committedHeight}`);
    this.committedHeight = b.height;
    this.committedId = b.id;
    this.committedIds.push(b.id);
    if (this.committedIds.length > BLOCKS_KEPT) {
      const old = this.committedIds.shift()!;
      this.blocks.delete(old);
      this.qcs.delete(old);
    }
  }

  /**
   * Takes the chain of a state snapshot: its committed block, the certified blocks above with
   * their certificates, its highest certificate and lock. The committed height becomes the
   * snapshot's, whatever this replica had: a replica that syncs state starts its chain there.
   */
  adopt(s: TableSnapshot): void {
    this.blocks.set(s.committed.id, s.committed);
    for (const b of s.above) this.blocks.set(b.id, b);
    for (const q of s.qcs) this.qcs.set(q.blockId, q);
    this.committedHeight = s.committed.height;
    this.committedId = s.committed.id;
    this.committedIds.length = 0;
    this.committedIds.push(s.committed.id);
    this.highQC = s.highQC;
    this.lockedView = s.lockedView;
    this.lockedHeight = s.lockedHeight;
    this.lockedId = s.lockedId;
  }
}
