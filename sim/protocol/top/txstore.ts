/**
 * Transactions as columns (docs/DESIGN.md "Data layout for speed"): typed arrays indexed by tx id,
 * no object per transaction. Blocks carry Int32Arrays of tx ids.
 *
 * A transaction's fields are written once, when its client creates it, and never change after;
 * nodes only read them (immutable shared data, contract 5). The id is `k * clients + c` for
 * the k-th transaction of client c, so it does not depend on the order in which clients run.
 * Nothing else writes here: the metrics keep their own columns (sim/metrics/collector.ts).
 */
import { DIGEST_BYTES, sha256Into } from '../../crypto/hash.js';

/** Bit 1 is unused (it was the metrics' mark of a refused transaction, now kept by the metrics). */
export const TX_EXISTS = 2;
/** The transfer's final leg is a CONFIRM back in the sender's table (MC-5). */
export const TX_NEEDS_CONFIRM = 4;
/** A call into a system contract (its confirm leg exists in `impl` too). */
export const TX_SYSTEM = 8;

/** The encoded fields a tx hash covers, and the hash, reused by every `create` of this thread. */
const ENC = new DataView(new ArrayBuffer(28));
const ENC_BYTES = new Uint8Array(ENC.buffer);
const HASH = new Uint8Array(DIGEST_BYTES);

export class TxStore {
  capacity = 0;
  count = 0;
  sender = new Int32Array(0);
  receiver = new Int32Array(0);
  amount = new Float64Array(0);
  nonce = new Uint32Array(0);
  submit_us = new Float64Array(0);
  flags = new Uint8Array(0);
  /** 32-byte tx hashes, one arena. */
  hashes = new Uint8Array(0);
  /** Signature bytes (up to 64 each), one arena; `sigLen` says how many are used. */
  sigs = new Uint8Array(0);
  sigLen = 0;
  /** Highest id written + 1. */
  end = 0;

  constructor(readonly clients: number) {}

  private ensure(id: number): void {
    if (id < this.capacity) return;
    let c = Math.max(1024, this.capacity);
    while (c <= id) c *= 2;
    const grow = <T extends { length: number; set(a: ArrayLike<number>): void }>(a: T, make: (n: number) => T, per = 1) => {
      const b = make(c * per);
      b.set(a as unknown as ArrayLike<number>);
      return b;
    };
    this.sender = grow(this.sender, (n) => new Int32Array(n));
    this.receiver = grow(this.receiver, (n) => new Int32Array(n));
    this.amount = grow(this.amount, (n) => new Float64Array(n));
    this.nonce = grow(this.nonce, (n) => new Uint32Array(n));
    this.submit_us = grow(this.submit_us, (n) => new Float64Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
    this.hashes = grow(this.hashes, (n) => new Uint8Array(n), 32);
    this.sigs = grow(this.sigs, (n) => new Uint8Array(n), 64);
    this.capacity = c;
  }

  idFor(client: number, k: number): number {
    return k * this.clients + client;
  }

  create(id: number, sender: number, receiver: number, amount: number, nonce: number, submit_us: number, flags = 0): void {
    ENC.setUint32(0, id);
    ENC.setUint32(4, sender);
    ENC.setUint32(8, receiver);
    ENC.setFloat64(12, amount);
    ENC.setUint32(20, nonce);
    ENC.setUint32(24, Math.floor(submit_us / 1000));
    sha256Into(HASH, 0, ENC_BYTES);
    this.put(id, sender, receiver, amount, nonce, submit_us, flags, HASH, null);
  }

  /**
   * Writes a row with its hash given (`create` computes it; a row received from another worker's
   * store carries it): the same row `create` (plus `setSig`) writes. `hash` is 32 bytes; `sig`, when given, sets
   * `sigLen` as `setSig` does. Rows already present are overwritten without counting them twice.
   */
  put(id: number, sender: number, receiver: number, amount: number, nonce: number, submit_us: number, flags: number,
    hash: Uint8Array, sig: Uint8Array | null): void {
    this.ensure(id);
    const fresh = (this.flags[id] & TX_EXISTS) === 0;
    this.sender[id] = sender;
    this.receiver[id] = receiver;
    this.amount[id] = amount;
    this.nonce[id] = nonce;
    this.submit_us[id] = submit_us;
    this.flags[id] = TX_EXISTS | flags;
    this.hashes.set(hash, id * 32);
    if (sig) this.setSig(id, sig);
    if (id >= this.end) this.end = id + 1;
    if (fresh) this.count++;
  }

  hash(id: number): Uint8Array {
    return this.hashes.subarray(id * 32, id * 32 + 32);
  }

  /** First 32 bits of the tx hash, for digests. */
  hashWord(id: number): number {
    const o = id * 32;
    const h = this.hashes;
    return ((h[o] << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) >>> 0;
  }

  setSig(id: number, sig: Uint8Array): void {
    this.sigs.set(sig, id * 64);
    this.sigLen = sig.length;
  }

  sig(id: number): Uint8Array {
    return this.sigs.subarray(id * 64, id * 64 + this.sigLen);
  }
}
