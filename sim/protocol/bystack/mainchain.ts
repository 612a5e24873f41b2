/**
 * The Bytom main chain (docs/BYSTACK.md "Main chain"): full nodes that relay and validate blocks,
 * miners among them that find blocks as a seeded Poisson process, the heaviest chain, and finality
 * at a confirmation depth.
 *
 * - **Mining.** A miner with share s of the hash rate finds a block after an exponential time of
 *   mean D / s, where D is the difficulty the next block needs (µs of the whole hash rate). The
 *   process is memoryless, so a miner that moves to a new tip keeps its draw, and draws again only
 *   when the difficulty it mines at changes. A found block extends the miner's best chain and
 *   carries what its pool holds, up to the gas ceiling.
 * - **Relay** (`mainchain.relay`). `push`, Bytom's code: a node that has validated a new block
 *   sends the whole block to every peer not known to have it (a peer is known to have it once a
 *   copy came from it, also while the node validated its own copy). `announce`, Bitcoin's way (and
 *   SimBlock's model): it announces the block (INV) and a peer that lacks it asks (GETDATA) the
 *   first announcer. A block whose parent is unknown is held as an orphan and its parent asked for
 *   from the peer that sent it, down to a block the node knows (how a node catches up after a
 *   partition or a crash; Bytom's sync asks its best peer height by height).
 * - **Heaviest chain.** A node's best chain is the one with the most work; at equal work it keeps
 *   the one it saw first. Switching disconnects blocks down to the common ancestor (a
 *   reorganisation) and gives their transfers back to the pool.
 * - **Finality.** A block is final once `confirmations` blocks, itself included, are on the best
 *   chain: the node commits it then (Observe.commit). A reorganisation below a committed height
 *   makes the node commit a different block there, which the generic safety and agreement checks
 *   report: a finality violation.
 * - **Selfish mining** (a byzantine miner, Eyal and Sirer's strategy): it keeps the blocks it finds
 *   and publishes them to match or override what the honest miners publish.
 */
import type { Env, Msg, NodeLogic, Timer } from '../../contract/env.js';
import { sha256Hex } from '../../crypto/hash.js';
import type { Stream } from '../../lib/random.js';
import { BlockIntake } from './intake.js';
import type { BystackScenario } from './scenario.js';
import {
  MSG, NOTE, REJECT_POOL_FULL, TIMER, CHAIN_MAIN,
  type BlockMsg, type GetDataMsg, type InvMsg, type MainBlock, type Tx, type TxBatchMsg,
} from './messages.js';

const utf8 = new TextEncoder();

/** A request for a block is not repeated to another announcer before this. */
const REQUEST_TIMEOUT_US = 10_000_000;

/** The genesis block of the main chain (difficulty: the target interval at the whole hash rate). */
export function mainGenesis(sc: BystackScenario): MainBlock {
  return {
    chain: CHAIN_MAIN, height: 0, id: sha256Hex(utf8.encode('bystack/main/genesis')), parent: '',
    miner: -1, found_us: 0, difficulty: sc.mainchain.block_interval_us, work: 0, txs: [], bytes: sc.sizes.header_bytes,
  };
}

/** What every main-chain node of a run shares (read-only). */
export interface MainShared {
  readonly sc: BystackScenario;
  readonly genesis: MainBlock;
  /** Node ids of the miners, and each full node's peers. */
  readonly miners: Int32Array;
  readonly peersOf: readonly Int32Array[];
  /** Transfers a block holds at most (the gas ceiling over the gas of one transfer). */
  readonly blockTxsMax: number;
  /** When each node is byzantine (selfish mining applies inside the windows). */
  selfishAt(node: number, t_us: number): boolean;
  /**
   * This thread's index of the blocks that hold each transaction, kept by its miners: a miner
   * asks it whether a transaction is on its best chain, instead of keeping a set of its own.
   */
  readonly blocksOf: Map<number, MainBlock[]>;
  readonly indexed: WeakSet<MainBlock>;
}

/**
 * The difficulty of the block after `parent` (Bytom's `CalcNextBits`): the parent's, except
 * after a parent whose height is a multiple of `retarget_blocks`, where it is scaled by the target
 * span over the time the last `retarget_blocks` blocks took (`CalcNextRequiredDifficulty`: no
 * clamp). `ancestor(h)` gives the block at height h of the parent's chain.
 */
export function nextDifficulty(sh: MainShared, parent: MainBlock, ancestor: (h: number) => MainBlock): number {
  const m = sh.sc.mainchain;
  const H = parent.height;
  if (H === 0 || H % m.retarget_blocks !== 0) return parent.difficulty;
  const first = ancestor(H - m.retarget_blocks);
  const span = Math.max(1, parent.found_us - first.found_us);
  const target = m.retarget_blocks * m.block_interval_us;
  return Math.max(1, Math.round((parent.difficulty * target) / span));
}

/**
 * Adds `b` to the thread's index of the blocks holding each transaction (once per block object:
 * a block decoded in a worker is one object there).
 */
function indexBlock(sh: MainShared, b: MainBlock): void {
  if (sh.indexed.has(b)) return;
  sh.indexed.add(b);
  for (const tx of b.txs) {
    const list = sh.blocksOf.get(tx.id);
    if (list === undefined) sh.blocksOf.set(tx.id, [b]);
    else list.push(b);
  }
}

export class MainNode implements NodeLogic {
  /** Blocks this node has connected (validated, parent known), by id. */
  private readonly known = new Map<string, MainBlock>();
  /** Orphans, requests and validations in progress. */
  private readonly intake = new BlockIntake<MainBlock>(TIMER.VALIDATED, (id) => this.known.has(id));
  /** The best chain, by height (0: genesis). */
  private chain: MainBlock[];
  /** Heights committed (final at the confirmation depth), and their ids as committed. */
  private committed = 0;
  private readonly committedIds: string[] = [];
  // Mining (miners only).
  private readonly pool = new Map<number, Tx>();
  private mineGen = 0;
  private mineDifficulty = 0;
  // Selfish mining: blocks found and not yet published, the height the honest miners have
  // published up to, and whether a published block of ours is racing one of theirs.
  private withheld: MainBlock[] = [];
  private publicHeight = 0;
  private racing = false;

  constructor(
    private readonly sh: MainShared,
    readonly self: number,
    /** This miner's share of the hash rate in basis points; 0 for a node that does not mine. */
    private readonly share_bp: number,
    private readonly stream: Stream | null,
  ) {
    this.known.set(sh.genesis.id, sh.genesis);
    this.chain = [sh.genesis];
  }

  get tip(): MainBlock {
    return this.chain[this.chain.length - 1];
  }

  get height(): number {
    return this.chain.length - 1;
  }

  /** The block at `h` on this node's best chain. */
  blockAt(h: number): MainBlock {
    return this.chain[h];
  }

  get committedHeight(): number {
    return this.committed;
  }

  /** The page's view: every block this node connected at `h0` or above, off its best chain or on it. */
  knownFrom(h0: number, f: (b: MainBlock) => void): void {
    for (const b of this.known.values()) if (b.height >= h0) f(b);
  }

  /** The page's view: whether `b` is on this node's best chain. */
  onBest(b: MainBlock): boolean {
    return this.chain[b.height]?.id === b.id;
  }

  get poolSize(): number {
    return this.pool.size;
  }

  get mines(): boolean {
    return this.share_bp > 0;
  }

  onStart(env: Env): void {
    if (this.mines) this.drawMining(env);
  }

  onRestart(env: Env): void {
    // Kept state: the node resumes its chain; it learns what it missed from its peers' next
    // announcements (orphans are fetched down to a block it knows).
    // Blocks it was validating are gone with the crash; they come back as parents of later blocks.
    this.intake.reset();
    if (this.mines) this.drawMining(env);
  }

  onTick(): void {}

  onTimer(env: Env, t: Timer): void {
    if (t.kind === TIMER.MINE && t.dw === (this.mineGen >>> 0)) this.found(env);
    else if (t.kind === TIMER.VALIDATED) this.validated(env, t.dw);
  }

  onMessage(env: Env, from: number, msg: Msg): void {
    switch (msg.kind) {
      case MSG.TX_BATCH:
        this.onTxs(env, (msg as TxBatchMsg).txs);
        return;
      case MSG.INV:
        this.onInv(env, from, msg as InvMsg);
        return;
      case MSG.GETDATA: {
        const b = this.known.get((msg as GetDataMsg).id);
        if (b !== undefined && this.shows(b, env.now_us)) {
          env.send(from, { kind: MSG.BLOCK, bytes: b.bytes, dw: b.height >>> 0, block: b } as BlockMsg);
        }
        return;
      }
      case MSG.BLOCK:
        this.onBlock(env, from, (msg as BlockMsg).block);
        return;
    }
  }

  // ---- transfers -------------------------------------------------------------------------------

  private onTxs(env: Env, txs: readonly Tx[]): void {
    if (!this.mines) return;
    const sc = this.sh.sc;
    env.charge(txs.length * sc.costs.verify_tx_us);
    const max = sc.mainchain.pool_max;
    for (const tx of txs) {
      if (this.pool.has(tx.id) || this.hasTx(tx.id)) continue;
      if (this.pool.size >= max) {
        env.observe.reject(tx.id, REJECT_POOL_FULL);
        continue;
      }
      this.pool.set(tx.id, tx);
    }
  }

  // ---- mining ----------------------------------------------------------------------------------

  /** Draws the time to the next block at the difficulty of the block after the current tip. */
  private drawMining(env: Env): void {
    const d = nextDifficulty(this.sh, this.tip, (h) => this.chain[h]);
    this.mineDifficulty = d;
    this.mineGen++;
    const wait = this.stream!.expInt((d * 10_000) / this.share_bp);
    env.setArrival(env.now_us + Math.max(1, wait), { kind: TIMER.MINE, dw: this.mineGen >>> 0 });
  }

  /** The tip changed: a new draw only if the difficulty to mine at did (the process is memoryless). */
  private tipChanged(env: Env): void {
    if (!this.mines) return;
    const d = nextDifficulty(this.sh, this.tip, (h) => this.chain[h]);
    if (d !== this.mineDifficulty) this.drawMining(env);
  }

  private found(env: Env): void {
    const sh = this.sh;
    const sc = sh.sc;
    const parent = this.tip;
    const difficulty = this.mineDifficulty;
    const txs: Tx[] = [];
    for (const tx of this.pool.values()) {
      if (txs.length >= sh.blockTxsMax) break;
      txs.push(tx);
    }
    const height = parent.height + 1;
    const found_us = env.now_us;
    const id = sha256Hex(utf8.encode(`${parent.id}/${height}/${this.self}/${found_us}/${txs.map((t) => t.id).join(',')}`));
    const block: MainBlock = {
      chain: CHAIN_MAIN, height, id, parent: parent.id, miner: this.self, found_us, difficulty,
      work: parent.work + difficulty, txs, bytes: sc.sizes.header_bytes + txs.length * sc.sizes.tx_bytes,
    };
    // Packing: the transfers are applied once more to build the block.
    env.charge(txs.length * sc.costs.execute_tx_us);
    env.observe.note(NOTE.MINED, CHAIN_MAIN, height);
    const selfish = sh.selfishAt(this.self, env.now_us);
    this.connect(env, block, -1);
    if (selfish) {
      this.withheld.push(block);
      // A race between our published block and theirs: the next block we find settles it.
      if (this.racing) {
        this.publish(env, Infinity);
        this.racing = false;
      }
    } else {
      this.announce(env, block, -1);
    }
    this.drawMining(env);
  }

  // ---- relay -----------------------------------------------------------------------------------

  /** Whether this node shows block `b` to its peers (a selfish miner hides what it withholds). */
  private shows(b: MainBlock, now_us: number): boolean {
    if (this.withheld.length === 0 || b.miner !== this.self) return true;
    return !this.withheld.includes(b) || !this.sh.selfishAt(this.self, now_us);
  }

  /** Relays a new block to the peers: whole (push), or announced (announce). */
  private announce(env: Env, b: MainBlock, except: number, knownBy: Set<number> | null = null): void {
    const sc = this.sh.sc;
    const msg: Msg = sc.mainchain.relay === 'push'
      ? { kind: MSG.BLOCK, bytes: b.bytes, dw: b.height >>> 0, block: b } as BlockMsg
      : { kind: MSG.INV, bytes: sc.sizes.inv_bytes, dw: b.height >>> 0, id: b.id, height: b.height } as InvMsg;
    for (const p of this.sh.peersOf[this.self]) if (p !== except && !(knownBy?.has(p) ?? false)) env.send(p, msg);
  }

  private onInv(env: Env, from: number, m: InvMsg): void {
    if (this.intake.has(m.id)) return;
    const asked = this.intake.askedAt(m.id);
    if (asked !== undefined && env.now_us - asked < REQUEST_TIMEOUT_US) return;
    this.request(env, from, m.id);
  }

  private request(env: Env, peer: number, id: string): void {
    this.intake.asked(id, env.now_us);
    env.send(peer, { kind: MSG.GETDATA, bytes: this.sh.sc.sizes.inv_bytes, dw: 0, id } as GetDataMsg);
  }

  private onBlock(env: Env, from: number, b: MainBlock): void {
    if (this.intake.seen(b, from)) return;
    const sc = this.sh.sc;
    const c = sc.costs;
    // The proof of work, then every transfer: signatures (a node without a pool has not seen
    // them) and the UTXO updates.
    env.charge(c.verify_pow_us + b.txs.length * (c.execute_tx_us + (this.mines ? 0 : c.verify_tx_us)));
    const { held, askParent } = this.intake.hold(b, env.now_us, REQUEST_TIMEOUT_US);
    if (held) {
      if (askParent) this.request(env, from, b.parent);
      return;
    }
    // Push: connected and relayed once the validation's work is done (a timer after it).
    if (sc.mainchain.relay === 'push') this.intake.defer(env, b, from);
    else this.connectFrom(env, b, from, null);
  }

  /** The validation of a pushed block is done: connect it and relay it to the peers that lack it. */
  private validated(env: Env, seq: number): void {
    const v = this.intake.take(seq);
    if (v === undefined || this.known.has(v.block.id)) return;
    this.connectFrom(env, v.block, v.from.values().next().value as number, v.from);
  }

  /** Connects `b`, and every orphan waiting on it in turn, relaying each. */
  private connectFrom(env: Env, b: MainBlock, from: number, knownBy: Set<number> | null): void {
    this.intake.release(b, (x, first) => {
      this.connect(env, x, from);
      this.announce(env, x, from, first ? knownBy : null);
      return true;
    });
  }

  // ---- the best chain --------------------------------------------------------------------------

  /** Connects a block whose parent is known; switches to its chain if that has more work. */
  private connect(env: Env, b: MainBlock, from: number): void {
    this.known.set(b.id, b);
    // Indexed once per thread whoever connects it first, so any node can ask (miners for their
    // pools, signers for the releases they wait on).
    indexBlock(this.sh, b);
    if (b.miner !== this.self) env.observe.note(NOTE.ARRIVED, CHAIN_MAIN, env.now_us - b.found_us);
    const tip = this.tip;
    const selfishNow = this.mines && this.sh.selfishAt(this.self, env.now_us);
    // Bytom's rule (protocol/block.go processBlock): a branch must be higher and have at least the
    // work of the best chain; at equal height the block seen first stays.
    if (b.height > tip.height && b.work >= tip.work) this.switchTo(env, b);
    if (selfishNow && from >= 0) this.onPublicBlock(env, b);
    this.commitFinal(env);
  }

  /** Makes `b` the tip: disconnects down to the common ancestor, then connects `b`'s branch. */
  private switchTo(env: Env, b: MainBlock): void {
    const branch: MainBlock[] = [];
    let x: MainBlock = b;
    while (x.height >= this.chain.length || this.chain[x.height].id !== x.id) {
      branch.push(x);
      x = this.known.get(x.parent)!;
    }
    const fork = x.height;
    const dropped = this.chain.length - 1 - fork;
    if (dropped > 0) {
      env.observe.note(NOTE.REORG, CHAIN_MAIN, dropped);
      for (let h = this.chain.length - 1; h > fork; h--) this.unapply(this.chain[h]);
      this.chain.length = fork + 1;
      // A reorganisation below what this node committed: it commits the new branch from there.
      if (fork < this.committed) this.committed = fork;
    }
    for (let k = branch.length - 1; k >= 0; k--) {
      this.chain.push(branch[k]);
      this.apply(branch[k]);
    }
    this.tipChanged(env);
  }

  /**
   * Whether transaction `id` is on this node's best chain (a miner packs it no more): one of the
   * blocks holding it (the thread's index, MainShared.blocksOf) is on the chain at its height.
   */
  hasTx(id: number): boolean {
    const list = this.sh.blocksOf.get(id);
    if (list === undefined) return false;
    for (const b of list) if (this.chain[b.height]?.id === b.id) return true;
    return false;
  }

  private apply(b: MainBlock): void {
    if (!this.mines) return;
    for (const tx of b.txs) this.pool.delete(tx.id);
  }

  private unapply(b: MainBlock): void {
    if (!this.mines) return;
    // Its transfers go back to the pool, to be packed again on the new branch if it lacks them.
    for (const tx of b.txs) this.pool.set(tx.id, tx);
  }

  /** Commits every block that has reached the confirmation depth. */
  private commitFinal(env: Env): void {
    const k = this.sh.sc.mainchain.confirmations;
    const to = this.height - k + 1;
    while (this.committed < to) {
      const b = this.chain[++this.committed];
      this.committedIds[this.committed] = b.id;
      env.observe.commit(b, b, b.txs.length);
    }
  }

  // ---- selfish mining --------------------------------------------------------------------------

  /**
   * A block published by others reached this selfish miner (Eyal and Sirer's rules, on heights):
   * behind, it gives up its private branch; level, it publishes all and races; one ahead, it
   * publishes all and wins; further ahead, it publishes up to their height and stays ahead.
   */
  private onPublicBlock(env: Env, b: MainBlock): void {
    if (b.height <= this.publicHeight) return;
    this.publicHeight = b.height;
    // Our withheld blocks that are no longer on our best chain are lost.
    this.withheld = this.withheld.filter((x) => this.chain[x.height]?.id === x.id);
    const lead = this.height - this.publicHeight;
    if (this.withheld.length === 0 || lead < 0) {
      this.withheld = [];
      this.racing = false;
      return;
    }
    if (lead === 0) {
      this.publish(env, Infinity);
      this.racing = true;
    } else if (lead === 1) {
      this.publish(env, Infinity);
      this.racing = false;
    } else {
      this.publish(env, this.publicHeight);
    }
  }

  /** Publishes the withheld blocks up to `height`. */
  private publish(env: Env, height: number): void {
    while (this.withheld.length > 0 && this.withheld[0].height <= height) {
      const b = this.withheld.shift()!;
      this.announce(env, b, -1);
    }
  }
}
