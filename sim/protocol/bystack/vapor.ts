/**
 * The Vapor side chain (docs/BYSTACK.md "Vapor"): a fixed set of producers, each owning 12
 * consecutive 0.5 s slots in a 60 s cycle, every producer signing every block it connects, and a
 * block irreversible once more than 2/3 of the producers signed it.
 *
 * - **Slots.** A producer reads the 0.5 s slot tick (the family's clock, so clock faults move it).
 *   At tick k it builds the block stamped (k+1)·0.5 s if the schedule gives it that slot on its
 *   best block (`proposal/blockproposer/blockproposer.go` `generateBlocks`: the next slot
 *   boundary after max(now, best)). The schedule re-anchors at the last block of each 1,200-block
 *   round (`consensus_node_manager.go` `GetBlocker`); a slot whose producer is down passes, and
 *   the next producer builds on the best block.
 * - **Packing.** `variant: impl`: pool transactions for 100 ms, validated in batches of 16, and
 *   no batch after 128 (`proposal/proposal.go`); `variant: design`: up to the gas ceiling.
 * - **Relay.** A block goes whole to every peer not known to have it, once validated (as the main
 *   chain's push). A node signs the blocks it connects to its best chain, one per height
 *   (`protocol/bbft.go` `signBlockHeader`, `checkDoubleSign`), and floods each signature it
 *   learns to every peer that has not sent it.
 * - **Best chain.** The longest (`protocol/block.go` `processBlock`), never reorganised below the
 *   last irreversible block (`reorganizeChain`). A node commits a block (Observe.commit) when it
 *   becomes irreversible at the node, with every block below it.
 * - **Double signing.** A node refuses a signature of a producer that signed another block it
 *   holds at the same height, and a block whose own producer did (`protocol/bbft.go`
 *   `checkDoubleSign`, `validateSign`); the refused block is never connected, so its descendants
 *   stay orphans at that node (the code's comment: the nodes "can't roll back").
 * - **Withheld signatures** (a byzantine producer): it signs nothing and relays no signature.
 * - **Double signing** (a byzantine producer): in each of its slots it makes two blocks on its best
 *   block, sends one to each half of its peers, and signs every block it connects.
 */
import type { Env, Msg, NodeLogic, Timer } from '../../contract/env.js';
import { sha256Hex } from '../../crypto/hash.js';
import type { Signer } from '../../crypto/index.js';
import { BlockIntake } from './intake.js';
import type { BystackScenario } from './scenario.js';
import {
  CHAIN_SIDE, MSG, NOTE, REJECT_POOL_FULL, TIMER,
  type GetDataMsg, type SideBlock, type SideBlockMsg, type SigMsg, type Tx, type TxBatchMsg,
} from './messages.js';

const utf8 = new TextEncoder();

/** Vapor's slot (consensus/general.go `BlockTimeInterval: 500` ms). */
export const SLOT_US = 500_000;
/** Blocks a producer makes in a row (`BlockNumEachNode: 12`). */
export const BLOCKS_EACH = 12;
/** Blocks per vote round (`RoundVoteBlockNums: 1200`). */
export const ROUND_BLOCKS = 1200;
/** A block may be stamped at most this far ahead of the receiver's clock (`MaxTimeOffsetMs: 2000`). */
export const TIME_OFFSET_MAX_US = 2_000_000;
/** An unanswered request for a missing parent is sent again after this (as on the main chain). */
const REQUEST_RETRY_US = 10_000_000;
/** Signatures for blocks not yet known are kept, up to this many (`maxSignatureCacheSize`). */
const SIG_CACHE_MAX = 10_000;
/** Pool transactions are validated in batches of this many (`batchApplyNum`). */
const BATCH = 16;
/** No batch starts after this many transactions (`softMaxTxNum`; the coinbase counts as one). */
const SOFT_MAX_TXS = 128;
/** The pool phase of packing stops at this (`warnDuration`: a fifth of the interval). */
const PACK_WINDOW_US = 100_000;

/** What every Vapor node of a run shares (read-only). */
export interface SideShared {
  readonly sc: BystackScenario;
  readonly genesis: SideBlock;
  /** The producers' node ids in schedule order (by votes, then by key: docs/BYSTACK.md). */
  readonly producers: Int32Array;
  /** Each Vapor node's peers (node ids), indexed by node id (empty for other nodes). */
  readonly peersOf: readonly Int32Array[];
  /** A producer's index in `producers`, by node id (-1 for others). */
  readonly orderOf: Int32Array;
  readonly signer: Signer;
  /** Transfers a block holds at most under `variant: design` (the gas ceiling). */
  readonly gasTxsMax: number;
  withholdsAt(node: number, t_us: number): boolean;
  doubleSignsAt(node: number, t_us: number): boolean;
}

export function sideGenesis(): SideBlock {
  return {
    chain: CHAIN_SIDE, height: 0, id: sha256Hex(utf8.encode('bystack/vapor/genesis')), parent: '',
    producer: -1, time_us: 0, txs: [], bytes: 0,
  };
}

/** Signatures needed for irreversibility: more than 2/3 of the producers (`isIrreversible`). */
export function irreversibleAt(n: number): number {
  return Math.floor((n * 2) / 3) + 1;
}

/**
 * The producer (index in schedule order) of the block stamped `t_us` on top of `parent`
 * (`GetBlocker`): the round's start is the stamp of the last block of the previous round plus one
 * slot; each producer owns BLOCKS_EACH slots in turn.
 */
export function blockerOf(anchor: SideBlock, t_us: number, n: number): number {
  const start = anchor.time_us + SLOT_US;
  if (t_us < start) return -1;
  const cycle = BLOCKS_EACH * n * SLOT_US;
  const roundStart = start + Math.floor((t_us - start) / cycle) * cycle;
  return Math.floor((t_us - roundStart) / (BLOCKS_EACH * SLOT_US));
}

/** The height whose block anchors the schedule of the block after a block at `height`. */
export function anchorHeight(height: number): number {
  return Math.floor(height / ROUND_BLOCKS) * ROUND_BLOCKS;
}

export class SideNode implements NodeLogic {
  private readonly known = new Map<string, SideBlock>();
  /** The connected blocks at each height (Vapor's `GetBlockHashesByHeight`): one, or a list of several. */
  private readonly atHeight = new Map<number, SideBlock | SideBlock[]>();
  /** Orphans, requests and validations in progress. */
  private readonly intake = new BlockIntake<SideBlock>(TIMER.VALIDATED_SIDE, (id) => this.known.has(id));
  private chain: SideBlock[];
  /** The last irreversible height at this node, and the height committed up to. */
  private irr = 0;
  private committed = 0;
  /** Signatures known per block (producer indices). */
  private readonly sigs = new Map<string, Set<number>>();
  /** Signatures for blocks not yet known: block id → signers, in arrival order. */
  private readonly sigCache = new Map<string, number[]>();
  /** The block this node signed at each height. */
  private readonly signedAt = new Map<number, string>();
  private readonly pool = new Map<number, Tx>();
  private readonly onChain = new Set<number>();

  constructor(private readonly sh: SideShared, readonly self: number) {
    this.known.set(sh.genesis.id, sh.genesis);
    this.chain = [sh.genesis];
  }

  get order(): number {
    return this.sh.orderOf[this.self];
  }

  get tip(): SideBlock {
    return this.chain[this.chain.length - 1];
  }

  get height(): number {
    return this.chain.length - 1;
  }

  /** The block at `h` on this node's best chain. */
  blockAt(h: number): SideBlock {
    return this.chain[h];
  }

  get irreversibleHeight(): number {
    return this.irr;
  }

  get poolSize(): number {
    return this.pool.size;
  }

  /** Whether transaction `id` is on this node's best chain. */
  hasTx(id: number): boolean {
    return this.onChain.has(id);
  }

  /** The page's view: the blocks this node connected at height `h`. */
  blocksAt(h: number): readonly SideBlock[] {
    const same = this.atHeight.get(h);
    return same === undefined ? [] : Array.isArray(same) ? same : [same];
  }

  /** The page's view: the producers (schedule indices) whose signature of block `id` this node holds. */
  signersOf(id: string): ReadonlySet<number> | undefined {
    return this.sigs.get(id);
  }

  /** The page's view: the block that anchors the schedule of the block after the tip. */
  get anchor(): SideBlock {
    return this.chain[anchorHeight(this.height)];
  }

  onStart(): void {}

  onRestart(): void {
    this.intake.reset();
  }

  onTimer(env: Env, t: Timer): void {
    if (t.kind === TIMER.VALIDATED_SIDE) this.validated(env, t.dw);
  }

  /** Slot tick `tick`: build the block stamped at the next slot if this node owns it. */
  onTick(env: Env, tick: number): void {
    const n = this.sh.producers.length;
    const t = (tick + 1) * SLOT_US;
    const parent = this.tip;
    if (t < parent.time_us + SLOT_US) return;
    const anchor = this.chain[anchorHeight(parent.height)];
    if (blockerOf(anchor, t, n) !== this.order) return;
    this.produce(env, parent, t);
  }

  onMessage(env: Env, from: number, msg: Msg): void {
    switch (msg.kind) {
      case MSG.TX_BATCH:
        this.onTxs(env, (msg as TxBatchMsg).txs);
        return;
      case MSG.SIDE_BLOCK:
        this.onBlock(env, from, (msg as SideBlockMsg).block);
        return;
      case MSG.SIDE_GETDATA: {
        const b = this.known.get((msg as GetDataMsg).id);
        if (b !== undefined) env.send(from, this.blockMsg(b));
        return;
      }
      case MSG.SIGNATURE:
        this.onSignature(env, from, msg as SigMsg);
        return;
    }
  }

  // ---- transfers and packing -------------------------------------------------------------------

  private onTxs(env: Env, txs: readonly Tx[]): void {
    const sc = this.sh.sc;
    env.charge(txs.length * sc.costs.verify_tx_us);
    const max = sc.vapor.pool_max;
    for (const tx of txs) {
      if (this.onChain.has(tx.id) || this.pool.has(tx.id)) continue;
      if (this.pool.size >= max) {
        env.observe.reject(tx.id, REJECT_POOL_FULL);
        continue;
      }
      this.pool.set(tx.id, tx);
    }
  }

  /** The transfers of the next block, and the CPU time the packing took. */
  private pack(): { txs: Tx[]; cost_us: number } {
    const sh = this.sh;
    const sc = sh.sc;
    const c = sc.costs;
    const txs: Tx[] = [];
    const it = this.pool.values();
    if (sc.variant === 'design') {
      // The design's ceiling: the gas of a block, nothing else.
      for (let r = it.next(); !r.done && txs.length < sh.gasTxsMax; r = it.next()) txs.push(r.value);
      return { txs, cost_us: txs.length * c.execute_tx_us };
    }
    // The code: batches of 16 validated in parallel over the cores; no batch once 128 are in (the
    // coinbase counts as one) or past the 100 ms window; within the gas ceiling.
    const cores = sc.hardware.producer.cores;
    const perTx = c.verify_tx_us + c.execute_tx_us;
    let spent = 0;
    while (spent < PACK_WINDOW_US && txs.length + 1 <= SOFT_MAX_TXS) {
      let k = 0;
      while (k < BATCH && txs.length < sh.gasTxsMax) {
        const r = it.next();
        if (r.done) break;
        txs.push(r.value);
        k++;
      }
      if (k === 0) break;
      spent += Math.ceil(k / cores) * perTx;
      if (k < BATCH) break;
    }
    return { txs, cost_us: spent };
  }

  private produce(env: Env, parent: SideBlock, t_us: number): void {
    const sc = this.sh.sc;
    const { txs, cost_us } = this.pack();
    const height = parent.height + 1;
    const id = sha256Hex(utf8.encode(`vapor/${parent.id}/${height}/${this.self}/${t_us}/${txs.map((x) => x.id).join(',')}`));
    const block: SideBlock = {
      chain: CHAIN_SIDE, height, id, parent: parent.id, producer: this.self, time_us: t_us, txs,
      bytes: sc.sizes.side_header_bytes + txs.length * sc.sizes.tx_bytes,
    };
    env.charge(cost_us);
    env.observe.note(NOTE.PRODUCED, CHAIN_SIDE, height);
    this.connect(env, block);
    if (!this.sh.doubleSignsAt(this.self, env.now_us)) {
      this.relay(env, block, -1, null);
      this.maybeSign(env, block);
      return;
    }
    // A twin on the same parent at the same stamp: one block to each half of the peers, both signed.
    const twin: SideBlock = { ...block, id: sha256Hex(utf8.encode(`${id}/twin`)) };
    env.observe.note(NOTE.PRODUCED, CHAIN_SIDE, height);
    this.connect(env, twin);
    const peers = this.sh.peersOf[this.self];
    const msgs = [this.blockMsg(block), this.blockMsg(twin)];
    peers.forEach((p, k) => env.send(p, msgs[k & 1]));
    this.maybeSign(env, block);
    this.maybeSign(env, twin);
  }

  // ---- blocks ----------------------------------------------------------------------------------

  private blockMsg(b: SideBlock): SideBlockMsg {
    return { kind: MSG.SIDE_BLOCK, bytes: b.bytes, dw: b.height >>> 0, block: b };
  }

  private relay(env: Env, b: SideBlock, except: number, knownBy: Set<number> | null): void {
    const msg = this.blockMsg(b);
    for (const p of this.sh.peersOf[this.self]) if (p !== except && !(knownBy?.has(p) ?? false)) env.send(p, msg);
  }

  private onBlock(env: Env, from: number, b: SideBlock): void {
    if (this.intake.seen(b, from)) return;
    const sc = this.sh.sc;
    const c = sc.costs;
    // The producer's signature, then every transfer (signature and UTXO update), validated in
    // parallel over the node's cores as Vapor's `validation.ValidateTxs` does.
    const cores = sc.hardware.producer.cores;
    env.charge(c.verify_sig_us + Math.ceil(b.txs.length / cores) * (c.verify_tx_us + c.execute_tx_us));
    const { held, askParent } = this.intake.hold(b, env.now_us, REQUEST_RETRY_US);
    if (held) {
      if (askParent) {
        this.intake.asked(b.parent, env.now_us);
        env.send(from, { kind: MSG.SIDE_GETDATA, bytes: sc.sizes.inv_bytes, dw: 1, id: b.parent } as GetDataMsg);
      }
      return;
    }
    this.intake.defer(env, b, from);
  }

  private validated(env: Env, seq: number): void {
    const v = this.intake.take(seq);
    if (v === undefined) return;
    const from = v.from.values().next().value as number;
    this.intake.release(v.block, (b, first) => {
      if (this.known.has(b.id) || !this.valid(env, b)) return false;
      // `validateSign`: a block whose producer signed another block at its height is refused.
      if (this.doubleSigned(env, b, this.sh.orderOf[b.producer])) return false;
      this.connect(env, b);
      this.relay(env, b, from, first ? v.from : null);
      this.maybeSign(env, b);
      return true;
    });
  }

  /**
   * Vapor's header checks (`protocol/validation/block.go` `checkBlockTime`, and `validateSign`):
   * stamped at least a slot after its parent and at most 2 s ahead of this node's clock, by the
   * producer the schedule gives that stamp.
   */
  private valid(env: Env, b: SideBlock): boolean {
    const parent = this.known.get(b.parent)!;
    if (b.time_us < parent.time_us + SLOT_US || b.time_us > env.now_us + TIME_OFFSET_MAX_US) return false;
    const anchor = this.ancestor(parent, anchorHeight(parent.height));
    return this.sh.producers[blockerOf(anchor, b.time_us, this.sh.producers.length)] === b.producer;
  }

  /** The block at `height` on `b`'s branch. */
  private ancestor(b: SideBlock, height: number): SideBlock {
    if (this.onBest(b)) return this.chain[height];
    let x = b;
    while (x.height > height) x = this.known.get(x.parent)!;
    return x;
  }

  private onBest(b: SideBlock): boolean {
    return this.chain[b.height]?.id === b.id;
  }

  /** Connects a block whose parent is known; switches to its branch if it is longer. */
  private connect(env: Env, b: SideBlock): void {
    this.known.set(b.id, b);
    const same = this.atHeight.get(b.height);
    if (same === undefined) this.atHeight.set(b.height, b);
    else if (Array.isArray(same)) same.push(b);
    else this.atHeight.set(b.height, [same, b]);
    if (b.producer !== this.self) env.observe.note(NOTE.ARRIVED_SIDE, CHAIN_SIDE, env.now_us - b.time_us);
    if (b.height > this.height) this.switchTo(env, b);
    // Signatures that came before the block.
    const cached = this.sigCache.get(b.id);
    if (cached !== undefined) {
      this.sigCache.delete(b.id);
      for (const s of cached) if (!this.doubleSigned(env, b, s)) this.addSignature(env, b, s, -1);
    }
  }

  /**
   * Makes `b` the tip, unless that would roll back an irreversible block (`reorganizeChain`) and
   * not `force` (a branch with a new irreversible block of its own).
   */
  private switchTo(env: Env, b: SideBlock, force = false): boolean {
    const branch: SideBlock[] = [];
    let x: SideBlock = b;
    while (x.height >= this.chain.length || this.chain[x.height].id !== x.id) {
      branch.push(x);
      x = this.known.get(x.parent)!;
    }
    const fork = x.height;
    if (fork < this.irr && !force) return false;
    // Below what this node committed: it commits the new branch there (the checks judge that).
    if (fork < this.committed) this.committed = fork;
    const dropped = this.chain.length - 1 - fork;
    if (dropped > 0) {
      env.observe.note(NOTE.REORG_SIDE, CHAIN_SIDE, dropped);
      for (let h = this.chain.length - 1; h > fork; h--) {
        for (const tx of this.chain[h].txs) {
          this.onChain.delete(tx.id);
          this.pool.set(tx.id, tx);
        }
      }
      this.chain.length = fork + 1;
    }
    for (let k = branch.length - 1; k >= 0; k--) {
      this.chain.push(branch[k]);
      for (const tx of branch[k].txs) {
        this.onChain.add(tx.id);
        this.pool.delete(tx.id);
      }
    }
    return true;
  }

  // ---- signatures ------------------------------------------------------------------------------

  /** Signs `b` if it is on this producer's best chain and it signed no other block at its height. */
  private maybeSign(env: Env, b: SideBlock): void {
    const me = this.order;
    if (me < 0) return;
    if (this.sh.doubleSignsAt(this.self, env.now_us)) {
      if (this.sigs.get(b.id)?.has(me)) return;
    } else if (!this.onBest(b) || this.signedAt.has(b.height)) return;
    if (this.sh.withholdsAt(this.self, env.now_us)) return;
    this.signedAt.set(b.height, b.id);
    // The signature itself is made by the signer (real or modeled): its bytes stay out of the run.
    this.sh.signer.sign(this.self, utf8.encode(b.id));
    env.charge(this.sh.sc.costs.sign_us);
    this.addSignature(env, b, me, -1);
  }

  private onSignature(env: Env, from: number, m: SigMsg): void {
    if (this.sh.withholdsAt(this.self, env.now_us)) return;
    const b = this.known.get(m.block);
    if (b === undefined) {
      let list = this.sigCache.get(m.block);
      if (list === undefined) {
        if (this.sigCache.size >= SIG_CACHE_MAX) this.sigCache.delete(this.sigCache.keys().next().value as string);
        this.sigCache.set(m.block, (list = []));
      }
      if (!list.includes(m.signer)) list.push(m.signer);
      return;
    }
    if (this.sigs.get(b.id)?.has(m.signer)) return;
    env.charge(this.sh.sc.costs.verify_sig_us);
    if (this.doubleSigned(env, b, m.signer)) return;
    this.addSignature(env, b, m.signer, from);
  }

  /**
   * Whether producer `order` signed (or made) another block this node holds at `b`'s height
   * (`checkDoubleSign`); if so the node notes it caught, unless it double-signs itself.
   */
  private doubleSigned(env: Env, b: SideBlock, order: number): boolean {
    const same = this.atHeight.get(b.height);
    if (same === undefined || !Array.isArray(same) && same.id === b.id) return false;
    if (this.sh.doubleSignsAt(this.self, env.now_us)) return false;
    const node = this.sh.producers[order];
    for (const x of Array.isArray(same) ? same : [same]) {
      if (x.id !== b.id && (x.producer === node || (this.sigs.get(x.id)?.has(order) ?? false))) {
        env.observe.note(NOTE.DOUBLE_SIGN, CHAIN_SIDE, b.height * 64 + order);
        return true;
      }
    }
    return false;
  }

  /** Records `signer`'s signature of `b`, floods it on, and moves irreversibility. */
  private addSignature(env: Env, b: SideBlock, signer: number, from: number): void {
    let set = this.sigs.get(b.id);
    if (set === undefined) this.sigs.set(b.id, (set = new Set()));
    if (set.has(signer)) return;
    set.add(signer);
    if (!this.sh.withholdsAt(this.self, env.now_us)) {
      const msg: SigMsg = { kind: MSG.SIGNATURE, bytes: this.sh.sc.sizes.signature_bytes, dw: (b.height * 16 + signer) >>> 0, block: b.id, signer };
      for (const p of this.sh.peersOf[this.self]) if (p !== from) env.send(p, msg);
    }
    if (set.size >= irreversibleAt(this.sh.producers.length) && b.height > this.irr) this.irreversible(env, b);
  }

  /** `b` gathered enough signatures: it and its ancestors are irreversible here. */
  private irreversible(env: Env, b: SideBlock): void {
    // A fork block that became irreversible takes the node onto its branch (`updateBlockSignature`).
    if (!this.onBest(b)) this.switchTo(env, b, true);
    this.irr = b.height;
    while (this.committed < this.irr) {
      const x = this.chain[++this.committed];
      env.observe.commit(x, x, x.txs.length);
    }
  }
}
