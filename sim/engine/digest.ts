/**
 * Running digests (docs/DESIGN.md contract 6).
 *
 * Each node folds every event it handles (time, kind, origin, seq, a 32-bit digest word of the
 * payload) into a 64-bit running hash kept as two 32-bit lanes mixed with Math.imul, which is
 * exact integer arithmetic in every engine. It is not cryptographic: it only has to make two
 * different histories differ, and it costs a few nanoseconds per event where sha256 per event
 * would dominate the run. The run digest is sha256 over the node digests in node-id order.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const M1 = 0x85ebca6b;
const M2 = 0xc2b2ae35;
/** Scratch for Digest64.event's words. */
const EVENT_WORDS = new Int32Array(7);

/** Folds one 32-bit word into lanes (h1, h2); returns the new lanes through `out`. */
export class Digest64 {
  h1 = 0x6a09e667;
  h2 = 0xbb67ae85;
  count = 0;

  word(w: number): void {
    let k = Math.imul(w | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h1 = this.h1 ^ k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let h2 = (this.h2 + Math.imul(w | 0, M1)) | 0;
    h2 ^= h1 >>> 16;
    h2 = Math.imul(h2, M2);
    h2 ^= h2 >>> 13;
    this.h1 = h1;
    this.h2 = h2;
  }

  /** Folds a non-negative safe integer (e.g. a time in µs) as two words. */
  u53(x: number): void {
    this.word(x % 0x100000000);
    this.word(Math.floor(x / 0x100000000));
  }

  /**
   * Folds one event: the same seven words as u53(time_us), word(kind), word(origin), u53(seq),
   * word(payload), mixed on locals. The words pass through an Int32Array, whose store is the
   * same ToInt32 that `w | 0` applies; this runs once per event, so it is worth the repetition.
   */
  event(time_us: number, kind: number, origin: number, seq: number, payload: number): void {
    const w = EVENT_WORDS;
    w[0] = time_us % 0x100000000;
    w[1] = Math.floor(time_us / 0x100000000);
    w[2] = kind;
    w[3] = origin;
    w[4] = seq % 0x100000000;
    w[5] = Math.floor(seq / 0x100000000);
    w[6] = payload;
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < 7; i++) {
      const x = w[i];
      let k = Math.imul(x, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h1 ^= k;
      h1 = (h1 << 13) | (h1 >>> 19);
      h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
      h2 = (h2 + Math.imul(x, M1)) | 0;
      h2 ^= h1 >>> 16;
      h2 = Math.imul(h2, M2);
      h2 ^= h2 >>> 13;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.count++;
  }

  /** 16 hex characters. */
  hex(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  bytes(out: Uint8Array, offset: number): void {
    const v = new DataView(out.buffer, out.byteOffset);
    v.setUint32(offset, this.h1 >>> 0);
    v.setUint32(offset + 4, this.h2 >>> 0);
  }
}

/** The run digest: sha256 over node digests in node-id order, hex. */
export function runDigest(nodes: readonly Digest64[]): string {
  const buf = new Uint8Array(nodes.length * 8);
  nodes.forEach((d, i) => d.bytes(buf, i * 8));
  return bytesToHex(sha256(buf));
}

/** A 32-bit word from a string, for folding names or ids into digests (FNV-1a). */
export function wordOfString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
