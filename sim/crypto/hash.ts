/**
 * Hashing: sha256 (always real, @noble/hashes), a deterministic encoder for hashing structured
 * data, a byte arena for 32-byte digests, and Merkle roots and paths.
 *
 * Everything here is a pure function of its inputs: no clock, no randomness, no platform
 * dependence (noble is pure JS, so Node and browsers produce the same bytes).
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** Length of a sha256 digest in bytes. */
export const DIGEST_BYTES = 32;

/**
 * The parts of @noble/hashes' SHA-256 object (2.x, `_md.js` and `sha2.js`) that `sha256Into` and
 * the modeled signer drive directly: the chaining words (`get`/`set`), the bytes absorbed so far
 * and the block buffer. Loading saved words is what `_cloneInto` does, without a source object.
 */
export interface Sha256Internals {
  buffer: Uint8Array;
  length: number;
  pos: number;
  finished: boolean;
  destroyed: boolean;
  get(): number[];
  set(a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number): void;
  update(data: Uint8Array): unknown;
  digestInto(out: Uint8Array): void;
  _cloneInto(to: Sha256Internals): Sha256Internals;
}

/** A new SHA-256 object, typed for the parts used directly. */
export function sha256Object(): Sha256Internals {
  return nobleSha256.create() as unknown as Sha256Internals;
}

/**
 * One hash object reused for every digest of this thread: each digest copies the initial state
 * into it (`_cloneInto`) instead of building a hash object with its buffer and views, and digests
 * into the object's own buffer, whose view is kept. Digests are the same bytes.
 */
const FRESH = sha256Object();
const SCRATCH = sha256Object();

/** sha256(a || b) written at out[at, at + 32); `b` may be omitted. */
export function sha256Into(out: Uint8Array, at: number, a: Uint8Array, b?: Uint8Array): void {
  const h = FRESH._cloneInto(SCRATCH);
  h.update(a);
  if (b !== undefined) h.update(b);
  h.digestInto(h.buffer);
  const buf = h.buffer;
  for (let i = 0; i < DIGEST_BYTES; i++) out[at + i] = buf[i]!;
}

/** sha256 of `bytes` (a fresh 32-byte array). */
export function sha256(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(DIGEST_BYTES);
  sha256Into(out, 0, bytes);
  return out;
}

const HEX_DIGITS = '0123456789abcdef';
// One table lookup per byte instead of toString(16) + padStart: hex is used for digests in logs,
// reports and memo keys.
const HEX_TABLE: readonly string[] = Array.from(
  { length: 256 },
  (_, i) => HEX_DIGITS[i >>> 4]! + HEX_DIGITS[i & 15]!,
);

/** Lower-case hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_TABLE[bytes[i]!]!;
  return out;
}

/** Lower-case hex of sha256(bytes). */
export function sha256Hex(bytes: Uint8Array): string {
  return hex(sha256(bytes));
}

/** Value of one hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Parse lower- or upper-case hex (even length) into bytes. Throws on anything else. */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw new Error(`fromHex: odd length ${text.length}`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(text.charCodeAt(2 * i));
    const lo = hexDigit(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new Error(`fromHex: not hex at ${2 * i}: "${text.slice(2 * i, 2 * i + 2)}"`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Byte-wise equality (not constant-time; nothing here is secret outside the simulation). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const TWO_POW_32 = 0x1_0000_0000;
const utf8 = new TextEncoder();

/**
 * Deterministic, unambiguous byte encoding of structured data, for hashing and signing.
 *
 * Integers are big-endian and fixed-width; variable-length fields (`bytes`, `str`) carry a u32
 * length prefix so that two different field sequences never encode to the same bytes. `raw`
 * writes bytes verbatim, for fields whose length is fixed by the format (digests, keys).
 *
 * The encoder reuses one internal buffer that grows by doubling (limit: 2^31 bytes), so encoding a
 * message allocates nothing once the buffer is warm. Integer arguments are checked: a float or an
 * out-of-range value is a bug in the caller (e.g. a non-integer time), and silently truncating it
 * would hide a determinism problem.
 */
export class Encoder {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** Number of bytes written since the last reset. */
  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    if (need > 0x8000_0000) throw new Error(`Encoder: message larger than 2 GiB (${need} bytes)`);
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** One byte, 0..255. */
  u8(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new RangeError(`Encoder.u8: ${n}`);
    this.ensure(1);
    this.buf[this.len++] = n;
    return this;
  }

  /** Four bytes big-endian, 0..2^32-1. */
  u32(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`Encoder.u32: ${n}`);
    this.ensure(4);
    this.view.setUint32(this.len, n, false);
    this.len += 4;
    return this;
  }

  /** A non-negative safe integer (0..2^53-1, e.g. a time in µs) as eight bytes big-endian. */
  u53(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Encoder.u53: ${n}`);
    this.ensure(8);
    const hi = Math.floor(n / TWO_POW_32);
    this.view.setUint32(this.len, hi, false);
    this.view.setUint32(this.len + 4, n - hi * TWO_POW_32, false);
    this.len += 8;
    return this;
  }

  /** A u32 length prefix, then the bytes. */
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    return this.raw(b);
  }

  /** The bytes verbatim, no length prefix (for fixed-size fields such as digests). */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** UTF-8 of `s` with a u32 byte-length prefix. */
  str(s: string): this {
    // Worst case 3 bytes per UTF-16 code unit; write in place, then patch the prefix.
    this.ensure(4 + s.length * 3);
    const at = this.len;
    const { written } = utf8.encodeInto(s, this.buf.subarray(at + 4));
    this.view.setUint32(at, written, false);
    this.len = at + 4 + written;
    return this;
  }

  /** A copy of the encoded bytes; the encoder is reset for reuse. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.len = 0;
    return out;
  }

  /** sha256 of the encoded bytes (no intermediate copy); the encoder is reset for reuse. */
  finishSha256(): Uint8Array {
    const out = sha256(this.buf.subarray(0, this.len));
    this.len = 0;
    return out;
  }

  /** A view of the encoded bytes without copying; valid only until the next write or reset. */
  peek(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** Drop everything written, keep the buffer. */
  reset(): this {
    this.len = 0;
    return this;
  }
}

/**
 * 32-byte digests stored back to back in one growable byte array (docs/DESIGN.md "Data layout for
 * speed": one arena instead of a ~260-byte Uint8Array object per digest).
 *
 * Digests are immutable once put. Growth doubles the capacity (limit: 2^26 digests = 2 GiB) and
 * copies into a new buffer; views handed out earlier keep pointing at the old buffer, which still
 * holds the same (never mutated) bytes, so they stay correct.
 */
export class HashArena {
  private bytes: Uint8Array;
  private dv: DataView;
  private count = 0;

  constructor(initialDigests = 1024) {
    this.bytes = new Uint8Array(Math.max(1, initialDigests) * DIGEST_BYTES);
    this.dv = new DataView(this.bytes.buffer);
  }

  /** Number of digests stored. */
  get size(): number {
    return this.count;
  }

  private reserve(): number {
    const at = this.count * DIGEST_BYTES;
    if (at + DIGEST_BYTES > this.bytes.length) {
      if (this.count >= 1 << 26) throw new Error('HashArena: more than 2^26 digests');
      const next = new Uint8Array(this.bytes.length * 2);
      next.set(this.bytes);
      this.bytes = next;
      this.dv = new DataView(next.buffer);
    }
    return at;
  }

  /** Store a copy of a 32-byte digest; returns its index. */
  put(digest: Uint8Array): number {
    if (digest.length !== DIGEST_BYTES) {
      throw new RangeError(`HashArena.put: expected ${DIGEST_BYTES} bytes, got ${digest.length}`);
    }
    const at = this.reserve();
    this.bytes.set(digest, at);
    return this.count++;
  }

  /** Store sha256(data); returns its index. */
  putSha256(data: Uint8Array): number {
    const at = this.reserve();
    sha256Into(this.bytes, at, data);
    return this.count++;
  }

  /** Store sha256(view(a) || view(b)) (a Merkle interior node); returns its index. */
  putSha256Pair(a: number, b: number): number {
    this.check(a);
    this.check(b);
    const at = this.reserve();
    sha256Into(this.bytes, at, this.bytes.subarray(a * DIGEST_BYTES, (a + 1) * DIGEST_BYTES),
      this.bytes.subarray(b * DIGEST_BYTES, (b + 1) * DIGEST_BYTES));
    return this.count++;
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw new RangeError(`HashArena: index ${i} out of range 0..${this.count - 1}`);
    }
  }

  /** The digest at `i` as a subarray of the arena (no copy). Do not mutate it. */
  view(i: number): Uint8Array {
    this.check(i);
    return this.bytes.subarray(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES);
  }

  /** Whether digests `i` and `j` are byte-equal. */
  equals(i: number, j: number): boolean {
    this.check(i);
    this.check(j);
    if (i === j) return true;
    const a = i * (DIGEST_BYTES / 4);
    const b = j * (DIGEST_BYTES / 4);
    for (let k = 0; k < DIGEST_BYTES / 4; k++) {
      if (this.dv.getUint32((a + k) * 4) !== this.dv.getUint32((b + k) * 4)) return false;
    }
    return true;
  }

  /** Whether digest `i` equals `digest`. */
  equalsBytes(i: number, digest: Uint8Array): boolean {
    return bytesEqual(this.view(i), digest);
  }

  /** Lower-case hex of digest `i`. */
  hex(i: number): string {
    return hex(this.view(i));
  }

  /** The k-th (0..7) 32-bit big-endian word of digest `i`, as an unsigned integer. */
  word(i: number, k: number): number {
    this.check(i);
    if (!Number.isInteger(k) || k < 0 || k > 7) throw new RangeError(`HashArena.word: k=${k}`);
    return this.dv.getUint32(i * DIGEST_BYTES + k * 4, false);
  }
}

/**
 * Merkle root over `leaves` (taken as the tree's bottom level as given; callers pass digests).
 *
 * Interior node = sha256(left || right). An odd node at the end of a level is PROMOTED unchanged to
 * the next level rather than paired with a copy of itself: Bitcoin's duplication makes the lists
 * [a, b, c] and [a, b, c, c] share a root (CVE-2012-2459); promotion does not have that ambiguity.
 * One leaf: the root is (a copy of) that leaf. No leaves: sha256 of the empty string.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  let level: Uint8Array[] = leaves.slice();
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!.slice();
}

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(DIGEST_BYTES);
  sha256Into(out, 0, a, b);
  return out;
}

/**
 * Merkle root of the arena digests at `indices` (same tree as `merkleRoot`). Interior nodes are
 * computed in a small scratch buffer; nothing is added to the arena.
 */
export function merkleRootOfArena(arena: HashArena, indices: ArrayLike<number>): Uint8Array {
  const n = indices.length;
  if (n === 0) return sha256(new Uint8Array(0));
  if (n === 1) return arena.view(indices[0]!).slice();
  // Level 1 is built from arena views; later levels reuse the scratch buffer in place (node j of
  // the next level is written at slot j, which is never still needed: it was read from slots 2j
  // and 2j+1 >= j).
  let width = Math.ceil(n / 2);
  const scratch = new Uint8Array(width * DIGEST_BYTES);
  for (let j = 0; j < width; j++) {
    const left = arena.view(indices[2 * j]!);
    if (2 * j + 1 < n) sha256Into(scratch, j * DIGEST_BYTES, left, arena.view(indices[2 * j + 1]!));
    else scratch.set(left, j * DIGEST_BYTES);
  }
  while (width > 1) {
    const nextWidth = Math.ceil(width / 2);
    for (let j = 0; j < nextWidth; j++) {
      const left = scratch.subarray(2 * j * DIGEST_BYTES, (2 * j + 1) * DIGEST_BYTES);
      if (2 * j + 1 < width) {
        const right = scratch.subarray((2 * j + 1) * DIGEST_BYTES, (2 * j + 2) * DIGEST_BYTES);
        // Both inputs are read before the digest is written (over `left` when j is 0).
        sha256Into(scratch, j * DIGEST_BYTES, left, right);
      } else {
        scratch.copyWithin(j * DIGEST_BYTES, 2 * j * DIGEST_BYTES, (2 * j + 1) * DIGEST_BYTES);
      }
    }
    width = nextWidth;
  }
  return scratch.slice(0, DIGEST_BYTES);
}

/** One step of a Merkle path: the sibling digest and which side it sits on. */
export interface MerkleStep {
  readonly sibling: Uint8Array;
  /** True if the sibling is the LEFT input of the parent hash. */
  readonly siblingOnLeft: boolean;
}

/**
 * The Merkle path (inclusion proof) of leaf `index` in the tree of `merkleRoot(leaves)`. Levels
 * where the node is promoted (no sibling) contribute no step.
 */
export function merklePath(leaves: readonly Uint8Array[], index: number): MerkleStep[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`merklePath: index ${index} out of range for ${leaves.length} leaves`);
  }
  const path: MerkleStep[] = [];
  let level: Uint8Array[] = leaves.slice();
  let i = index;
  while (level.length > 1) {
    const sib = i ^ 1;
    if (sib < level.length) path.push({ sibling: level[sib]!, siblingOnLeft: sib < i });
    const next: Uint8Array[] = [];
    for (let j = 0; j + 1 < level.length; j += 2) next.push(hashPair(level[j]!, level[j + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
    i >>>= 1;
  }
  return path;
}

/** Whether `leaf` with `path` hashes up to `root`. */
export function verifyMerklePath(
  leaf: Uint8Array,
  path: readonly MerkleStep[],
  root: Uint8Array,
): boolean {
  let h = leaf;
  for (const step of path) {
    h = step.siblingOnLeft ? hashPair(step.sibling, h) : hashPair(h, step.sibling);
  }
  return bytesEqual(h, root);
}
