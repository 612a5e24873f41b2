/**
 * Bystack's messages, timers, transactions and blocks (docs/BYSTACK.md). Plain data: the node
 * programs (./mainchain.ts, ./client.ts) make and read them, ./wire.ts carries them between workers.
 */
import type { Msg } from '../../contract/env.js';
import type { CommitKey } from '../../contract/observe.js';

export const MSG = {
  /** An edge's transfers, to every miner. */
  TX_BATCH: 1,
  /** "I have block `id`": to each peer, once the block is validated. */
  INV: 2,
  /** "Send me block `id`": to the peer that announced it (or sent its child). */
  GETDATA: 3,
  /** A whole block, in answer to GETDATA. */
  BLOCK: 4,
  /** A whole Vapor block. */
  SIDE_BLOCK: 5,
  /** "Send me Vapor block `id`" (the parent of an orphan). */
  SIDE_GETDATA: 6,
  /** A producer's signature of a Vapor block (`BlockSignatureMsg`). */
  SIGNATURE: 7,
  /** A federation signer's signature of a peg's release (the mint or the payout), to every signer. */
  PEG_SIG: 8,
  /** A restarted federation signer asks the others for their signatures of releases still pending. */
  PEG_SYNC: 9,
} as const;

export const MSG_NAMES: Readonly<Record<number, string>> = {
  [MSG.TX_BATCH]: 'tx_batch',
  [MSG.INV]: 'inv',
  [MSG.GETDATA]: 'getdata',
  [MSG.BLOCK]: 'block',
  [MSG.SIDE_BLOCK]: 'side_block',
  [MSG.SIDE_GETDATA]: 'side_getdata',
  [MSG.SIGNATURE]: 'signature',
  [MSG.PEG_SIG]: 'peg_signature',
  [MSG.PEG_SYNC]: 'peg_sync',
};

export const TIMER = {
  /** A client submits its next transfer. */
  ARRIVAL: 1,
  /** An edge sends what its clients submitted. */
  FLUSH: 2,
  /** A miner finds a block (dw: the draw's generation; an older generation is void). */
  MINE: 3,
  /** A node has validated a pushed block (dw: its sequence number at the node). */
  VALIDATED: 4,
  /** The same for a Vapor block. */
  VALIDATED_SIDE: 5,
  /** A federation signer's keeper polls both chains. */
  POLL: 6,
} as const;

/** The chains the generic checks and metrics follow. */
export const CHAIN_MAIN = 0;
export const CHAIN_SIDE = 1;

/** Latency classes, indexed by a submit record's class. */
export const LATENCY_CLASSES = ['main', 'side', 'peg_in', 'peg_out'] as const;
export const CLASS_MAIN = 0;
export const CLASS_SIDE = 1;
/** A peg-in: locked on the main chain, minted on Vapor (final when the mint is irreversible). */
export const CLASS_PEG_IN = 2;
/** A peg-out: burned on Vapor, paid on the main chain (final at the payout's confirmation depth). */
export const CLASS_PEG_OUT = 3;

/** What a transaction does: a transfer, a peg's lock (deposit or burn), a peg's release (mint or payout). */
export const LEG_TRANSFER = 0;
export const LEG_LOCK = 1;
export const LEG_RELEASE = 2;

/** The chain a transaction of class `cls` and leg `leg` is made on. */
export function chainOfTx(cls: number, leg: number): number {
  if (cls === CLASS_PEG_IN) return leg === LEG_RELEASE ? CHAIN_SIDE : CHAIN_MAIN;
  if (cls === CLASS_PEG_OUT) return leg === LEG_RELEASE ? CHAIN_MAIN : CHAIN_SIDE;
  return cls === CLASS_SIDE ? CHAIN_SIDE : CHAIN_MAIN;
}

/** Whether a transaction's client sees it final when its block is: transfers and releases. */
export function finalLeg(tx: Tx): boolean {
  return tx.leg !== LEG_LOCK;
}

/** Why a node refused a transfer (Observe.reject). */
export const REJECT_POOL_FULL = 1;

/** The family's own records (Observe.note). */
export const NOTE = {
  /** A miner found a block; value: its height. */
  MINED: 1,
  /** A node's best chain was reorganized; value: the blocks it disconnected. */
  REORG: 2,
  /** A node connected a new block; value: µs since the block was found. */
  ARRIVED: 3,
  /** A Vapor producer made a block; value: its height. */
  PRODUCED: 4,
  /** A Vapor node connected a new block; value: µs since its stamp. */
  ARRIVED_SIDE: 5,
  /** A Vapor node's best chain was reorganized; value: the blocks it disconnected. */
  REORG_SIDE: 6,
  /**
   * A Vapor node caught a producer signing two blocks at one height, and refused the second block
   * or signature; value: height × 64 + the producer's schedule index.
   */
  DOUBLE_SIGN: 7,
} as const;

/**
 * A transfer on a UTXO ledger (docs/BYSTACK.md "Ledger"): it spends one output of the sender's
 * wallet (`coin`, worth `value`) and creates two, `amount` to the receiver and the change back.
 */
export interface Tx {
  /** The client's transaction id; a peg's release carries its lock's id. */
  readonly id: number;
  readonly cls: number;
  readonly leg: number;
  readonly from: number;
  readonly to: number;
  readonly amount: number;
  /** The output it spends: the sender's wallet output (walletCoin), or for a release its peg's claim (pegClaim). */
  readonly coin: number;
  readonly value: number;
}

/** The `j`-th output of account `a`'s genesis wallet. */
export function walletCoin(a: number, j: number): number {
  return a * 268_435_456 + j;
}

/** What a peg's release spends: the claim its lock made (so a second release is a double spend). */
export function pegClaim(id: number): number {
  return -(id + 1);
}

/** A main-chain block: its key for the generic checks, who found it when, its work and its transfers. */
export interface MainBlock extends CommitKey {
  readonly miner: number;
  /** When it was found (its timestamp). */
  readonly found_us: number;
  /** The work it proves, and the work of its chain from genesis (heaviest chain rule). */
  readonly difficulty: number;
  readonly work: number;
  readonly txs: readonly Tx[];
  readonly bytes: number;
}

/** A Vapor block: its producer and the slot it is stamped with. */
export interface SideBlock extends CommitKey {
  readonly producer: number;
  readonly time_us: number;
  readonly txs: readonly Tx[];
  readonly bytes: number;
}

export interface SideBlockMsg extends Msg {
  readonly block: SideBlock;
}

/** A signer's signature of the release of peg `tx.id` (the lock it saw final), sent to every signer. */
export interface PegSigMsg extends Msg {
  readonly lock: Tx;
  readonly signer: number;
}

export interface PegSyncMsg extends Msg {
  /** The restarted signer's index. */
  readonly signer: number;
}

export interface SigMsg extends Msg {
  /** The block signed, and the signer's index among the producers. */
  readonly block: string;
  readonly signer: number;
}

export interface TxBatchMsg extends Msg {
  readonly txs: readonly Tx[];
}

export interface InvMsg extends Msg {
  readonly id: string;
  readonly height: number;
}

export interface GetDataMsg extends Msg {
  readonly id: string;
}

export interface BlockMsg extends Msg {
  readonly block: MainBlock;
}
