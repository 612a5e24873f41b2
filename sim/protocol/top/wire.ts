/**
 * Binary encoding of messages and transaction rows, for messages that cross Web Workers: they
 * travel as bytes (a transferable ArrayBuffer), never as structured-cloned object graphs.
 *
 * Format
 * - Scalars are little-endian: u8, u32, i32, f64. Values are not range-checked; each field has a
 *   fixed type chosen to hold every value the producers make (times and sizes are f64).
 * - `str` is a u32 length and one byte per char (latin1; block ids are 64-char hex).
 * - `bytes` and the typed arrays (`i32s`, `u32s`, `f64s`, `u8s`) are a u32 element count and the
 *   elements' bytes, copied in bulk, unpadded. Bulk copies use the platform's byte order, so this
 *   module refuses to load on a big-endian platform (none that runs this simulator is).
 * - A message is one record: u32 length of the rest, u8 kind, f64 `bytes`, u32 `dw`, then the
 *   kind's fields in the order its producer creates them. Nested values: a Block, a QC (a u8 flag
 *   first where it may be null), a TableSnapshot with its TableLedger, lists as a u32 count and
 *   the items. In outbox tuples a repeated certificate id is one flag byte instead of the string.
 * - Transaction rows: u32 count, u8 signature length, then per row i32 id, i32 sender,
 *   i32 receiver, f64 amount, u32 nonce, f64 submit_us, u8 flags, 32 hash bytes, signature bytes.
 *
 * Decoded objects have the producers' own keys in the producers' order (so they share hidden
 * classes with locally made messages), the same values and the same typed-array types. Their typed
 * arrays are fresh exact-size copies: a decoded message never keeps the received buffer alive.
 * Object sharing inside a message (e.g. `highQC` also listed in `qcs`) is not preserved: each
 * occurrence decodes to its own equal copy.
 */
import type { Msg } from '../../contract/env.js';
import {
  MSG, MSG_NAMES,
  type Block, type QC, type TxBatchMsg, type ProposalMsg, type VoteMsg, type CommitMsg, type SyncReqMsg,
  type SyncRespMsg, type ReceiptMsg, type ReceiptStateMsg, type ReceiptPullMsg, type StateReqMsg,
  type StateRespMsg, type TableSnapshot, type ClockShareMsg, type ClockCertMsg,
} from './messages.js';
import { TableLedger } from './ledger.js';
import { TX_EXISTS, type TxStore } from './txstore.js';

export { Reader, Writer } from '../../lib/bytes.js';
import { Reader, Writer } from '../../lib/bytes.js';

// ---- nested values -----------------------------------------------------------------------------

/** A Block, without a length (blocks also travel outside messages, e.g. in commit logs). */
export function writeBlock(w: Writer, b: Block): void {
  w.str(b.id);
  w.u32(b.idWord);
  w.i32(b.table);
  w.i32(b.height);
  w.i32(b.view);
  w.i32(b.clock);
  w.str(b.parent);
  w.i32(b.leader);
  w.u8(b.cls);
  w.i32(b.salt);
  w.i32s(b.txs);
  w.u8s(b.legs);
  w.i32s(b.rids);
  w.i32s(b.proofs);
  w.f64(b.bytes);
}

export function readBlock(r: Reader): Block {
  return {
    id: r.str(), idWord: r.u32(), table: r.i32(), height: r.i32(), view: r.i32(), clock: r.i32(), parent: r.str(),
    leader: r.i32(), cls: r.u8(), salt: r.i32(), txs: r.i32s(), legs: r.u8s(), rids: r.i32s(), proofs: r.i32s(), bytes: r.f64(),
  };
}

/** A certificate, without a length. */
export function writeQC(w: Writer, q: QC): void {
  w.str(q.blockId);
  w.u32(q.blockWord);
  w.i32(q.table);
  w.i32(q.height);
  w.i32(q.view);
  w.i32(q.clock);
  w.i32(q.leader);
  w.i32s(q.signers);
  const sigs = q.sigs;
  w.u32(sigs.length);
  for (let i = 0; i < sigs.length; i++) w.bytes(sigs[i]);
}

function readSigs(r: Reader): Uint8Array[] {
  const n = r.u32();
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(r.bytes());
  return out;
}

export function readQC(r: Reader): QC {
  return {
    blockId: r.str(), blockWord: r.u32(), table: r.i32(), height: r.i32(), view: r.i32(), clock: r.i32(),
    leader: r.i32(), signers: r.i32s(), sigs: readSigs(r),
  };
}

function writeBlocks(w: Writer, l: readonly Block[]): void {
  w.u32(l.length);
  for (let i = 0; i < l.length; i++) writeBlock(w, l[i]);
}

function readBlocks(r: Reader): Block[] {
  const n = r.u32();
  const out: Block[] = [];
  for (let i = 0; i < n; i++) out.push(readBlock(r));
  return out;
}

function writeQCs(w: Writer, l: readonly QC[]): void {
  w.u32(l.length);
  for (let i = 0; i < l.length; i++) writeQC(w, l[i]);
}

function readQCs(r: Reader): QC[] {
  const n = r.u32();
  const out: QC[] = [];
  for (let i = 0; i < n; i++) out.push(readQC(r));
  return out;
}

type Outbox = TableSnapshot['outRecv'];
type OutboxEntry = [number, number, number, number, string];

/** [peer, rid, tx, committed_us, cert] tuples; a cert equal to the previous one is one flag byte. */
function writeOutbox(w: Writer, l: Outbox): void {
  w.u32(l.length);
  let prev: string | null = null;
  for (let i = 0; i < l.length; i++) {
    const e = l[i];
    w.i32(e[0]);
    w.i32(e[1]);
    w.i32(e[2]);
    w.f64(e[3]);
    if (e[4] === prev) w.u8(1);
    else {
      w.u8(0);
      w.str(e[4]);
      prev = e[4];
    }
  }
}

function readOutbox(r: Reader): OutboxEntry[] {
  const n = r.u32();
  const out: OutboxEntry[] = [];
  let prev = '';
  for (let i = 0; i < n; i++) out.push([r.i32(), r.i32(), r.i32(), r.f64(), r.u8() === 1 ? prev : (prev = r.str())]);
  return out;
}

function writeLedger(w: Writer, l: TableLedger): void {
  w.f64s(l.balance);
  w.u32s(l.nonce);
  w.u32s(l.sendId);
  w.u32s(l.recvId);
  w.u32s(l.confirmId);
  w.u32s(l.rspId);
  w.u32s(l.unitHeight);
}

function readLedger(r: Reader): TableLedger {
  const balance = r.f64s();
  const nonce = r.u32s();
  const sendId = r.u32s();
  const recvId = r.u32s();
  const confirmId = r.u32s();
  const rspId = r.u32s();
  const unitHeight = r.u32s();
  return TableLedger.fromArrays(balance, nonce, sendId, recvId, confirmId, rspId, unitHeight);
}

function writeSnapshot(w: Writer, s: TableSnapshot): void {
  w.i32(s.table);
  writeLedger(w, s.ledger);
  writeBlock(w, s.committed);
  writeBlocks(w, s.above);
  writeQCs(w, s.qcs);
  writeQC(w, s.highQC);
  w.i32(s.lockedView);
  w.i32(s.lockedHeight);
  w.str(s.lockedId);
  w.i32s(s.recvQ);
  w.i32s(s.confirmQ);
  writeOutbox(w, s.outRecv);
  writeOutbox(w, s.outConfirm);
  w.u32s(s.peerRecv);
  w.u32s(s.peerSend);
  w.u32s(s.confirmMax);
  w.u32s(s.needSent);
  w.i32s(s.pool);
}

function readSnapshot(r: Reader): TableSnapshot {
  return {
    table: r.i32(), ledger: readLedger(r), committed: readBlock(r), above: readBlocks(r), qcs: readQCs(r),
    highQC: readQC(r), lockedView: r.i32(), lockedHeight: r.i32(), lockedId: r.str(), recvQ: r.i32s(),
    confirmQ: r.i32s(), outRecv: readOutbox(r), outConfirm: readOutbox(r), peerRecv: r.u32s(), peerSend: r.u32s(),
    confirmMax: r.u32s(), needSent: r.u32s(), pool: r.i32s(),
  };
}

// ---- messages ----------------------------------------------------------------------------------

function unknownKind(where: string, kind: number): Error {
  return new Error(`${where}: unknown message kind ${kind}`);
}

/** Appends one message record. An unknown kind throws and leaves the writer as it was. */
export function writeMsg(w: Writer, m: Msg): void {
  const start = w.length;
  w.u32(0);
  w.u8(m.kind);
  w.f64(m.bytes);
  w.u32(m.dw);
  switch (m.kind) {
    case MSG.TX_BATCH: {
      const x = m as TxBatchMsg;
      w.i32(x.table);
      w.i32(x.batch);
      w.i32s(x.txs);
      w.u8(x.hop);
      break;
    }
    case MSG.PROPOSAL: {
      const x = m as ProposalMsg;
      w.i32(x.table);
      writeBlock(w, x.block);
      writeQC(w, x.justify);
      w.bytes(x.sig);
      break;
    }
    case MSG.VOTE: {
      const x = m as VoteMsg;
      w.i32(x.table);
      w.str(x.blockId);
      w.i32(x.view);
      w.i32(x.voter);
      w.bytes(x.sig);
      break;
    }
    case MSG.COMMIT: {
      const x = m as CommitMsg;
      w.i32(x.table);
      writeQC(w, x.qc);
      w.i32(x.fork);
      break;
    }
    case MSG.SYNC_REQ: {
      const x = m as SyncReqMsg;
      w.i32(x.table);
      w.str(x.blockId);
      break;
    }
    case MSG.SYNC_RESP: {
      const x = m as SyncRespMsg;
      writeBlock(w, x.block);
      if (x.qc === null) w.u8(0);
      else {
        w.u8(1);
        writeQC(w, x.qc);
      }
      break;
    }
    case MSG.RECEIPT: {
      const x = m as ReceiptMsg;
      w.i32(x.src);
      w.i32(x.dst);
      w.u8(x.leg);
      w.i32s(x.txs);
      w.i32s(x.rids);
      w.str(x.cert);
      w.u8(x.resend ? 1 : 0);
      break;
    }
    case MSG.RECEIPT_STATE: {
      const x = m as ReceiptStateMsg;
      w.i32(x.table);
      w.u32s(x.sendId);
      w.u32s(x.recvId);
      break;
    }
    case MSG.RECEIPT_PULL: {
      const x = m as ReceiptPullMsg;
      w.i32(x.src);
      w.i32(x.dst);
      w.u8(x.leg);
      w.i32(x.from);
      w.i32(x.count);
      break;
    }
    case MSG.STATE_REQ: {
      w.i32((m as StateReqMsg).table);
      w.u8((m as StateReqMsg).probe ? 1 : 0);
      break;
    }
    case MSG.STATE_RESP: {
      const x = m as StateRespMsg;
      w.i32(x.table);
      w.i32(x.qcView);
      w.i32(x.qcHeight);
      w.i32(x.committedHeight);
      w.u8(x.snap === null ? 0 : 1);
      if (x.snap !== null) writeSnapshot(w, x.snap);
      break;
    }
    case MSG.CLOCK_SHARE: {
      const x = m as ClockShareMsg;
      w.i32(x.clock);
      w.i32(x.signer);
      w.bytes(x.sig);
      break;
    }
    case MSG.CLOCK_CERT: {
      const x = m as ClockCertMsg;
      w.i32(x.clock);
      w.i32s(x.signers);
      break;
    }
    default:
      w.truncate(start);
      throw unknownKind('writeMsg', m.kind);
  }
  w.patchU32(start, w.length - start - 4);
}

/** Reads one message record. An unknown kind or a record whose length does not match throws. */
export function readMsg(r: Reader): Msg {
  const len = r.u32();
  const start = r.offset;
  const kind = r.u8();
  const bytes = r.f64();
  const dw = r.u32();
  let m: Msg;
  switch (kind) {
    case MSG.TX_BATCH: {
      const x: TxBatchMsg = { kind, bytes, dw, table: r.i32(), batch: r.i32(), txs: r.i32s(), hop: r.u8() };
      m = x;
      break;
    }
    case MSG.PROPOSAL: {
      const x: ProposalMsg = { kind, bytes, dw, table: r.i32(), block: readBlock(r), justify: readQC(r), sig: r.bytes() };
      m = x;
      break;
    }
    case MSG.VOTE: {
      const x: VoteMsg = { kind, bytes, dw, table: r.i32(), blockId: r.str(), view: r.i32(), voter: r.i32(), sig: r.bytes() };
      m = x;
      break;
    }
    case MSG.COMMIT: {
      const x: CommitMsg = { kind, bytes, dw, table: r.i32(), qc: readQC(r), fork: r.i32() };
      m = x;
      break;
    }
    case MSG.SYNC_REQ: {
      const x: SyncReqMsg = { kind, bytes, dw, table: r.i32(), blockId: r.str() };
      m = x;
      break;
    }
    case MSG.SYNC_RESP: {
      const x: SyncRespMsg = { kind, bytes, dw, block: readBlock(r), qc: r.u8() === 1 ? readQC(r) : null };
      m = x;
      break;
    }
    case MSG.RECEIPT: {
      const x: ReceiptMsg = {
        kind, bytes, dw, src: r.i32(), dst: r.i32(), leg: r.u8(), txs: r.i32s(), rids: r.i32s(), cert: r.str(),
        resend: r.u8() === 1,
      };
      m = x;
      break;
    }
    case MSG.RECEIPT_STATE: {
      const x: ReceiptStateMsg = { kind, bytes, dw, table: r.i32(), sendId: r.u32s(), recvId: r.u32s() };
      m = x;
      break;
    }
    case MSG.RECEIPT_PULL: {
      const x: ReceiptPullMsg = { kind, bytes, dw, src: r.i32(), dst: r.i32(), leg: r.u8(), from: r.i32(), count: r.i32() };
      m = x;
      break;
    }
    case MSG.STATE_REQ: {
      const x: StateReqMsg = { kind, bytes, dw, table: r.i32(), probe: r.u8() === 1 };
      m = x;
      break;
    }
    case MSG.STATE_RESP: {
      const table = r.i32();
      const qcView = r.i32();
      const qcHeight = r.i32();
      const committedHeight = r.i32();
      const x: StateRespMsg = { kind, bytes, dw, table, qcView, qcHeight, committedHeight, snap: r.u8() === 1 ? readSnapshot(r) : null };
      m = x;
      break;
    }
    case MSG.CLOCK_SHARE: {
      const x: ClockShareMsg = { kind, bytes, dw, clock: r.i32(), signer: r.i32(), sig: r.bytes() };
      m = x;
      break;
    }
    case MSG.CLOCK_CERT: {
      const x: ClockCertMsg = { kind, bytes, dw, clock: r.i32(), signers: r.i32s() };
      m = x;
      break;
    }
    default:
      throw unknownKind('readMsg', kind);
  }
  if (r.offset - start !== len) {
    throw new Error(`readMsg: ${MSG_NAMES[kind]} record says ${len} bytes, decoded ${r.offset - start}`);
  }
  return m;
}

// ---- transaction references and rows ------------------------------------------------------------

function each(a: Int32Array, f: (id: number) => void): void {
  for (let i = 0; i < a.length; i++) f(a[i]);
}

/** The tx id of every [peer, rid, tx] triple. */
function eachThird(a: Int32Array, f: (id: number) => void): void {
  for (let i = 2; i < a.length; i += 3) f(a[i]);
}

/**
 * Calls `f` for every transaction id `m` refers to (a receiver needs those rows), duplicates
 * included. Throws on an unknown kind.
 */
export function forEachTxRef(m: Msg, f: (id: number) => void): void {
  switch (m.kind) {
    case MSG.TX_BATCH:
      each((m as TxBatchMsg).txs, f);
      return;
    case MSG.PROPOSAL:
      each((m as ProposalMsg).block.txs, f);
      return;
    case MSG.SYNC_RESP:
      each((m as SyncRespMsg).block.txs, f);
      return;
    case MSG.RECEIPT:
      each((m as ReceiptMsg).txs, f);
      return;
    case MSG.STATE_RESP: {
      const s = (m as StateRespMsg).snap;
      if (s === null) return;
      each(s.committed.txs, f);
      for (const b of s.above) each(b.txs, f);
      eachThird(s.recvQ, f);
      eachThird(s.confirmQ, f);
      for (const e of s.outRecv) f(e[2]);
      for (const e of s.outConfirm) f(e[2]);
      each(s.pool, f);
      return;
    }
    case MSG.VOTE:
    case MSG.COMMIT:
    case MSG.SYNC_REQ:
    case MSG.RECEIPT_STATE:
    case MSG.RECEIPT_PULL:
    case MSG.STATE_REQ:
    case MSG.CLOCK_SHARE:
    case MSG.CLOCK_CERT:
      return;
    default:
      throw unknownKind('forEachTxRef', m.kind);
  }
}

const ROW_BYTES = 4 + 4 + 4 + 8 + 4 + 8 + 1 + 32;

/**
 * Appends the rows of `ids` (which must exist in `txs`): the columns a receiving store needs, the
 * hash and the signature.
 */
export function writeTxRows(w: Writer, txs: TxStore, ids: ArrayLike<number>): void {
  const n = ids.length;
  const sl = txs.sigLen;
  w.u32(n);
  w.u8(sl);
  const hashes = txs.hashes;
  const sigs = txs.sigs;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < txs.end && (txs.flags[id] & TX_EXISTS) !== 0)) {
      throw new RangeError(`writeTxRows: transaction ${id} does not exist`);
    }
    w.i32(id);
    w.i32(txs.sender[id]);
    w.i32(txs.receiver[id]);
    w.f64(txs.amount[id]);
    w.u32(txs.nonce[id]);
    w.f64(txs.submit_us[id]);
    w.u8(txs.flags[id]);
    w.raw(hashes, id * 32, 32);
    if (sl > 0) w.raw(sigs, id * 64, sl);
  }
}

/** Reads rows written by `writeTxRows` into `txs`; rows it already has are skipped. */
export function readTxRows(r: Reader, txs: TxStore): void {
  const n = r.u32();
  const sl = r.u8();
  for (let i = 0; i < n; i++) {
    const id = r.i32();
    if (id < 0) throw new RangeError(`readTxRows: negative transaction id ${id}`);
    if (id < txs.capacity && (txs.flags[id] & TX_EXISTS) !== 0) {
      r.skip(ROW_BYTES - 4 + sl);
      continue;
    }
    const sender = r.i32();
    const receiver = r.i32();
    const amount = r.f64();
    const nonce = r.u32();
    const submit_us = r.f64();
    const flags = r.u8();
    const hash = r.view(32);
    txs.put(id, sender, receiver, amount, nonce, submit_us, flags, hash, sl > 0 ? r.view(sl) : null);
  }
}
