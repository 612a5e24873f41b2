/**
 * Message and timer shapes. Kind numbers are folded into digests, so they are part of the format.
 * Messages are immutable once sent: relays and receivers share them read-only.
 */
import type { CommitKey } from '../../contract/observe.js';
import type { Msg, Timer } from '../../contract/env.js';
import type { TableLedger } from './ledger.js';

export const MSG = {
  TX_BATCH: 1,
  PROPOSAL: 2,
  VOTE: 3,
  COMMIT: 4,
  SYNC_REQ: 5,
  SYNC_RESP: 6,
  RECEIPT: 7,
  RECEIPT_STATE: 8,
  RECEIPT_PULL: 9,
  STATE_REQ: 10,
  STATE_RESP: 11,
  CLOCK_SHARE: 12,
  CLOCK_CERT: 13,
} as const;

export const MSG_NAMES: Record<number, string> = {
  1: 'tx_batch',
  2: 'proposal',
  3: 'vote',
  4: 'commit',
  5: 'sync_request',
  6: 'sync_response',
  7: 'receipt',
  8: 'receipt_state',
  9: 'receipt_pull',
  10: 'state_request',
  11: 'state_response',
  12: 'clock_share',
  13: 'clock_cert',
};

export const TIMER = {
  PACK: 1,
  SYNC: 2,
  ARRIVAL: 3,
  FLUSH: 4,
  RECEIPT_DUTY: 5,
  STATE: 6,
} as const;

export const BLOCK_LIGHT = 0;
export const BLOCK_EMPTY = 1;
export const BLOCK_FULL = 2;

export interface Block {
  readonly id: string; // hex sha256 of the header
  readonly idWord: number; // first 32 bits of the id
  readonly table: number;
  readonly height: number;
  readonly view: number;
  readonly clock: number;
  readonly parent: string;
  readonly leader: number;
  readonly cls: number;
  /** Free header field hashed into the id; honest leaders leave 0 (an equivocator varies it). */
  readonly salt: number;
  /** The legs: tx ids, leg kinds (LEG_*), and receipt ids (-1 for INNER). */
  readonly txs: Int32Array;
  readonly legs: Uint8Array;
  readonly rids: Int32Array;
  /** Peer tables' committed receipt-id state it carries: [peer, recv id of this table, ...] (§9.4). */
  readonly proofs: Int32Array;
  readonly bytes: number;
}

/** A block as the generic checks see it (its table is its chain). */
export function commitKey(b: Block): CommitKey {
  return { chain: b.table, height: b.height, id: b.id, parent: b.parent };
}

/** Latency classes of submit records: a transfer inside one table, or across two. */
export const CLASS_INTRA = 0;
export const CLASS_CROSS = 1;
export const LATENCY_CLASSES = ['intra_table', 'cross_table'] as const;

/** A certificate: ⌊2n/3⌋+1 votes of each group (docs/PROTOCOL.md §8.3 step 5). */
export interface QC {
  readonly blockId: string;
  readonly blockWord: number;
  readonly table: number;
  readonly height: number;
  readonly view: number;
  readonly clock: number;
  readonly leader: number;
  /** Signers, validators then auditors; signatures aligned with them. */
  readonly signers: Int32Array;
  readonly sigs: readonly Uint8Array[];
}

export interface TxBatchMsg extends Msg {
  readonly table: number;
  readonly batch: number;
  readonly txs: Int32Array;
  /** 0: edge -> auditor group; 1: auditor -> validator group. */
  readonly hop: number;
}

export interface ProposalMsg extends Msg {
  readonly table: number;
  readonly block: Block;
  readonly justify: QC;
  /** The leader's signature over the block id. */
  readonly sig: Uint8Array;
}

export interface VoteMsg extends Msg {
  readonly table: number;
  readonly blockId: string;
  readonly view: number;
  readonly voter: number;
  readonly sig: Uint8Array;
}

export interface CommitMsg extends Msg {
  readonly table: number;
  readonly qc: QC;
  /** Set only between colluding byzantine nodes: which fork this certificate extends. */
  readonly fork: number;
}

export interface SyncReqMsg extends Msg {
  readonly table: number;
  readonly blockId: string;
}

export interface SyncRespMsg extends Msg {
  readonly block: Block;
  readonly qc: QC | null;
}

/**
 * Receipts of one committed block toward one peer table (docs/PROTOCOL.md §9.4), proven by the
 * certificate of the block two heights above (`cert`). Receipts from one block to one table
 * travel as one message; its size is the sum of the receipts' sizes.
 */
export interface ReceiptMsg extends Msg {
  readonly src: number;
  readonly dst: number;
  /** LEG_RECV (a send's receipt) or LEG_CONFIRM (a recv's receipt back to the sender's table). */
  readonly leg: number;
  readonly txs: Int32Array;
  readonly rids: Int32Array;
  /** Id of the certified block whose certificate proves these receipts. */
  readonly cert: string;
  readonly resend: boolean;
}

/** A table's receipt-id counters toward every peer, broadcast periodically (§4.6, §9.4). */
export interface ReceiptStateMsg extends Msg {
  readonly table: number;
  readonly sendId: Uint32Array;
  readonly recvId: Uint32Array;
}

/** A receiver table asks the sender table for missing receipt ids (§9.4 pull). */
export interface ReceiptPullMsg extends Msg {
  readonly src: number;
  readonly dst: number;
  readonly leg: number;
  readonly from: number;
  readonly count: number;
}

/** A newly elected member asks a current one for a table's state (docs/PROTOCOL.md §7.4). */
/**
 * A syncing replica's request. A probe asks only how far the peer's chain is (its highest
 * certificate and committed height); the replica then fetches the state from the peer furthest
 * ahead, as TOP's block sync downloads from the highest of several neighbours.
 */
export interface StateReqMsg extends Msg {
  readonly table: number;
  readonly probe: boolean;
}

/**
 * A table's state as of a committed block, for a new member: the ledger, the committed block and
 * its certificate, the certified blocks above it, and the receipt and transaction queues. Copies,
 * immutable once sent.
 */
export interface TableSnapshot {
  readonly table: number;
  /** The committed state (a copy). */
  readonly ledger: TableLedger;
  readonly committed: Block;
  /** Blocks above the committed one up to the highest certified, oldest first, with their certificates. */
  readonly above: readonly Block[];
  readonly qcs: readonly QC[];
  readonly highQC: QC;
  readonly lockedView: number;
  readonly lockedHeight: number;
  readonly lockedId: string;
  /** Queued receipts: [peer, rid, tx] triples, for recv and confirm legs. */
  readonly recvQ: Int32Array;
  readonly confirmQ: Int32Array;
  /** Receipts not yet known applied by their peer: [peer, rid, tx, committed_us, cert]. */
  readonly outRecv: readonly (readonly [number, number, number, number, string])[];
  readonly outConfirm: readonly (readonly [number, number, number, number, string])[];
  readonly peerRecv: Uint32Array;
  readonly peerSend: Uint32Array;
  /** On chain: confirmed ids and sends needing a confirm, per peer table (receipts.ts). */
  readonly confirmMax: Uint32Array;
  readonly needSent: Uint32Array;
  readonly pool: Int32Array;
}

export interface StateRespMsg extends Msg {
  readonly table: number;
  /** The answerer's highest certificate (view, height) and committed height. */
  readonly qcView: number;
  readonly qcHeight: number;
  readonly committedHeight: number;
  /** The state; null in the answer to a probe. */
  readonly snap: TableSnapshot | null;
}

export interface StateTimer extends Timer {
  readonly table: number;
  readonly attempt: number;
  /** The end of the attempt's probe (else of its state request). */
  readonly probe: boolean;
}

/** A REC node's signature on the clock block of one 10 s slot (docs/PROTOCOL.md §4.5). */
export interface ClockShareMsg extends Msg {
  readonly clock: number;
  readonly signer: number;
  readonly sig: Uint8Array;
}

/** The clock certificate: ≥ 2/3 of the REC group's signatures on one slot's clock block. */
export interface ClockCertMsg extends Msg {
  readonly clock: number;
  readonly signers: Int32Array;
}

export interface DutyTimer extends Timer {
  readonly duty: number; // 0 state, 1 resend, 2 pull
}

export interface PackTimer extends Timer {
  readonly table: number;
  readonly view: number;
}

export interface SyncTimer extends Timer {
  readonly table: number;
  readonly blockId: string;
  readonly attempt: number;
}

export function wordOfHex(hex: string): number {
  return parseInt(hex.slice(0, 8), 16) >>> 0;
}
