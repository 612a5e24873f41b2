/**
 * How Bystack's messages and blocks travel between workers (FamilyCodec). Transfers travel whole
 * inside batches and blocks, so no worker needs rows from another. A block decoded twice in one
 * worker is one object (blocks are compared by id, and a node keeps the object it got).
 */
import type { FamilyCodec } from '../../contract/module.js';
import type { Msg } from '../../contract/env.js';
import type { Reader, Writer } from '../../lib/bytes.js';
import {
  CHAIN_SIDE, MSG, type BlockMsg, type GetDataMsg, type InvMsg, type MainBlock, type PegSigMsg, type PegSyncMsg, type SideBlock, type SideBlockMsg, type SigMsg, type Tx,
  type TxBatchMsg,
} from './messages.js';

function writeTx(w: Writer, t: Tx): void {
  w.f64(t.id);
  w.u8(t.cls);
  w.u8(t.leg);
  w.u32(t.from);
  w.u32(t.to);
  w.f64(t.amount);
  w.f64(t.coin);
  w.f64(t.value);
}

function readTx(r: Reader): Tx {
  return { id: r.f64(), cls: r.u8(), leg: r.u8(), from: r.u32(), to: r.u32(), amount: r.f64(), coin: r.f64(), value: r.f64() };
}

function writeTxs(w: Writer, txs: readonly Tx[]): void {
  w.u32(txs.length);
  for (const t of txs) writeTx(w, t);
}

function readTxs(r: Reader): Tx[] {
  const n = r.u32();
  const out: Tx[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readTx(r);
  return out;
}

export function writeBlock(w: Writer, block: object): void {
  if ((block as SideBlock).chain === CHAIN_SIDE) {
    const s = block as SideBlock;
    w.u8(CHAIN_SIDE);
    w.f64(s.height);
    w.str(s.id);
    w.str(s.parent);
    w.i32(s.producer);
    w.f64(s.time_us);
    w.f64(s.bytes);
    writeTxs(w, s.txs);
    return;
  }
  const b = block as MainBlock;
  w.u8(0);
  w.f64(b.height);
  w.str(b.id);
  w.str(b.parent);
  w.i32(b.miner);
  w.f64(b.found_us);
  w.f64(b.difficulty);
  w.f64(b.work);
  w.f64(b.bytes);
  writeTxs(w, b.txs);
}

/** Decodes blocks, keeping one object per id in this worker. */
export class BlockReader {
  private readonly seen = new Map<string, MainBlock>();
  private readonly seenSide = new Map<string, SideBlock>();
  read(r: Reader): MainBlock | SideBlock {
    if (r.u8() === CHAIN_SIDE) {
      const height = r.f64();
      const id = r.str();
      const parent = r.str();
      const producer = r.i32();
      const time_us = r.f64();
      const bytes = r.f64();
      const txs = readTxs(r);
      const known = this.seenSide.get(id);
      if (known !== undefined) return known;
      const s: SideBlock = { chain: CHAIN_SIDE, height, id, parent, producer, time_us, txs, bytes };
      this.seenSide.set(id, s);
      return s;
    }
    const height = r.f64();
    const id = r.str();
    const parent = r.str();
    const miner = r.i32();
    const found_us = r.f64();
    const difficulty = r.f64();
    const work = r.f64();
    const bytes = r.f64();
    const txs = readTxs(r);
    const known = this.seen.get(id);
    if (known !== undefined) return known;
    const b: MainBlock = { chain: 0, height, id, parent, miner, found_us, difficulty, work, txs, bytes };
    this.seen.set(id, b);
    return b;
  }
}

export function codecOf(): FamilyCodec {
  const blocks = new BlockReader();
  return {
    writeMsg(w: Writer, m: Msg): void {
      w.u8(m.kind);
      w.f64(m.bytes);
      w.u32(m.dw);
      switch (m.kind) {
        case MSG.TX_BATCH:
          writeTxs(w, (m as TxBatchMsg).txs);
          return;
        case MSG.INV:
          w.str((m as InvMsg).id);
          w.f64((m as InvMsg).height);
          return;
        case MSG.GETDATA:
          w.str((m as GetDataMsg).id);
          return;
        case MSG.BLOCK:
          writeBlock(w, (m as BlockMsg).block);
          return;
        case MSG.SIDE_BLOCK:
          writeBlock(w, (m as SideBlockMsg).block);
          return;
        case MSG.SIDE_GETDATA:
          w.str((m as GetDataMsg).id);
          return;
        case MSG.SIGNATURE:
          w.str((m as SigMsg).block);
          w.u32((m as SigMsg).signer);
          return;
        case MSG.PEG_SIG:
          writeTx(w, (m as PegSigMsg).lock);
          w.u32((m as PegSigMsg).signer);
          return;
        case MSG.PEG_SYNC:
          w.u32((m as PegSyncMsg).signer);
          return;
      }
      throw new Error(`bystack wire: unknown message kind ${m.kind}`);
    },
    readMsg(r: Reader): Msg {
      const kind = r.u8();
      const bytes = r.f64();
      const dw = r.u32();
      switch (kind) {
        case MSG.TX_BATCH:
          return { kind, bytes, dw, txs: readTxs(r) } as TxBatchMsg;
        case MSG.INV:
          return { kind, bytes, dw, id: r.str(), height: r.f64() } as InvMsg;
        case MSG.GETDATA:
          return { kind, bytes, dw, id: r.str() } as GetDataMsg;
        case MSG.BLOCK:
          return { kind, bytes, dw, block: blocks.read(r) } as BlockMsg;
        case MSG.SIDE_BLOCK:
          return { kind, bytes, dw, block: blocks.read(r) } as SideBlockMsg;
        case MSG.SIDE_GETDATA:
          return { kind, bytes, dw, id: r.str() } as GetDataMsg;
        case MSG.SIGNATURE:
          return { kind, bytes, dw, block: r.str(), signer: r.u32() } as SigMsg;
        case MSG.PEG_SIG:
          return { kind, bytes, dw, lock: readTx(r), signer: r.u32() } as PegSigMsg;
        case MSG.PEG_SYNC:
          return { kind, bytes, dw, signer: r.u32() } as PegSyncMsg;
      }
      throw new Error(`bystack wire: unknown message kind ${kind}`);
    },
    writeBlock,
    readBlock: (r) => blocks.read(r),
    refs: () => {},
    writeRows: (w) => w.u32(0),
    readRows: (r) => void r.u32(),
    ownRows: () => [],
  };
}
