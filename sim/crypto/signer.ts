/**
 * Signatures for simulated nodes and accounts, in two modes with identical verification OUTCOMES:
 *
 * - `real`: BIP-340 Schnorr signatures over secp256k1 (@noble/curves). TOP Chain's consensus
 *   multisignature is Schnorr on secp256k1 (the same curve as its Ethereum-style account keys), so
 *   this is the closest faithful choice that a pure-JS library offers; it is slow in JS (~1.7 ms per
 *   verify), so it is meant for tests and small scenarios.
 * - `modeled`: a signature is HMAC-SHA256(secret_k, msg), a 32-byte tag that only the holder of key
 *   k can produce inside the simulation (nothing else in the simulator ever reads secret_k).
 *   Forging needs an HMAC forgery, so "valid iff made by k over exactly this message" holds just as
 *   it does for Schnorr, and the outcome of every verify call is the same in both modes.
 *
 * Simulated CPU time never comes from here: callers charge the cost table (costs.ts) in both modes.
 * Keys are derived lazily from the scenario seed and the key id; no ambient randomness is used.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { sha256Object, type Sha256Internals } from './hash.js';

export type CryptoMode = 'real' | 'modeled';

export interface SignerStats {
  /** Signatures produced. */
  signs: number;
  /** Verifications actually computed (memo hits are not counted here). */
  verifies: number;
  /** Verifications answered from the memo (real mode only). */
  memo_hits: number;
}

export interface Signer {
  readonly mode: CryptoMode;
  /** Length in bytes of the signatures this signer makes (64 real, 32 modeled). */
  readonly signatureBytes: number;
  /** 32-byte public key of key id k (x-only for schnorr in real mode; a sha256 commitment in modeled mode). */
  publicKey(k: number): Uint8Array;
  sign(k: number, msg: Uint8Array): Uint8Array;
  verify(k: number, msg: Uint8Array, sig: Uint8Array): boolean;
  /**
   * Counters for tests and reports: real signatures made/verified, memo hits. These are wall-side
   * figures (they depend on how nodes share a signer across workers) and never enter the digest.
   */
  readonly stats: SignerStats;
}

/** Key ids: node ids, and `ACCOUNT_KEY_BASE + account` for user accounts. */
export const ACCOUNT_KEY_BASE = 1_000_000;

/** Bound on the real-mode verification memo; at the bound the oldest entry is evicted (FIFO). */
export const VERIFY_MEMO_MAX = 65_536;

/** Bytes of secp256k1 keygen seed that @noble/curves 2.x requires (n + n/2, to avoid modulo bias). */
const SCHNORR_SEED_BYTES = 48;
/** Messages longer than this are keyed in the memo by their sha256 instead of their bytes. */
const MEMO_INLINE_MSG_MAX = 128;

const utf8 = new TextEncoder();
/**
 * BIP-340 auxiliary randomness. BIP-340 signing stays secure with a fixed aux value (the nonce is
 * still derived from the secret key and message); a constant makes signatures reproducible, which
 * the determinism contract requires. Fresh randomness would only harden against side channels,
 * which do not exist inside a simulation.
 */
const ZERO_AUX = new Uint8Array(32);

function checkKeyId(k: number): void {
  if (!Number.isSafeInteger(k) || k < 0) {
    throw new RangeError(`Signer: key id must be a non-negative safe integer, got ${k}`);
  }
}

/**
 * Low-level BIP-340 on explicit keys: the exact calls the real signer makes, exported so that the
 * published BIP-340 test vectors can be run through them.
 */
export const bip340 = {
  publicKey(secretKey: Uint8Array): Uint8Array {
    return schnorr.getPublicKey(secretKey);
  },
  sign(secretKey: Uint8Array, msg: Uint8Array, auxRand: Uint8Array = ZERO_AUX): Uint8Array {
    return schnorr.sign(msg, secretKey, auxRand);
  },
  /** False (never a throw) for malformed lengths, off-curve keys and out-of-range values. */
  verify(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
    if (sig.length !== 64 || publicKey.length !== 32) return false;
    return schnorr.verify(sig, msg, publicKey);
  },
};

/**
 * Per-key material stored in one growable byte array (`stride` bytes a key: secret, then public,
 * then whatever else the signer derives) with a Map from key id to slot, so that 10^5..10^6
 * account keys do not cost two objects each.
 */
class KeyStore {
  private slots = new Map<number, number>();
  private bytes: Uint8Array;
  /** The same memory as 32-bit words (material that is words: the modeled signer's pad states). */
  words: Int32Array;
  private used = 0;

  constructor(
    private readonly derive: (k: number, out: Uint8Array) => void,
    private readonly stride = 64,
  ) {
    this.bytes = new Uint8Array(stride * 256);
    this.words = new Int32Array(this.bytes.buffer);
  }

  /** Slot byte offset of key k, deriving it on first use. */
  offset(k: number): number {
    const slot = this.slots.get(k);
    if (slot !== undefined) return slot * this.stride;
    checkKeyId(k);
    if ((this.used + 1) * this.stride > this.bytes.length) {
      const next = new Uint8Array(this.bytes.length * 2);
      next.set(this.bytes);
      this.bytes = next;
      this.words = new Int32Array(next.buffer);
    }
    const at = this.used * this.stride;
    this.derive(k, this.bytes.subarray(at, at + this.stride));
    this.slots.set(k, this.used);
    this.used++;
    return at;
  }

  secret(k: number): Uint8Array {
    const at = this.offset(k);
    return this.bytes.subarray(at, at + 32);
  }

  publicKey(k: number): Uint8Array {
    const at = this.offset(k);
    return this.bytes.subarray(at + 32, at + 64);
  }
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

class RealSigner implements Signer {
  readonly mode = 'real' as const;
  readonly signatureBytes = 64;
  readonly stats: SignerStats = { signs: 0, verifies: 0, memo_hits: 0 };
  private readonly keys: KeyStore;
  /**
   * Verification outcomes keyed by (k, msg, sig). Verification is a pure function of those bytes,
   * so answering from the memo cannot change any outcome, only save wall time: the same
   * transaction signature is verified by every member of two groups (and the same vote by every
   * relay that checks it). Insertion order is the order of this signer's own calls, so eviction is
   * deterministic too.
   */
  private readonly memo = new Map<string, boolean>();

  constructor(
    seed: string,
    private readonly memoMax: number,
  ) {
    this.keys = new KeyStore((k, out) => {
      const ikm = utf8.encode(`${seed}/key/${k}`);
      const material = hkdf(sha256, ikm, undefined, utf8.encode('topsim/schnorr'), SCHNORR_SEED_BYTES);
      const sk = schnorr.utils.randomSecretKey(material); // maps 48 bytes into 1..n-1
      out.set(sk, 0);
      out.set(schnorr.getPublicKey(sk), 32);
    });
  }

  publicKey(k: number): Uint8Array {
    return this.keys.publicKey(k).slice();
  }

  sign(k: number, msg: Uint8Array): Uint8Array {
    this.stats.signs++;
    return bip340.sign(this.keys.secret(k), msg);
  }

  verify(k: number, msg: Uint8Array, sig: Uint8Array): boolean {
    checkKeyId(k);
    if (sig.length !== 64) return false;
    // The memo key is unambiguous: the message length is spelled out before the message, and the
    // signature (fixed 64 bytes) takes the rest. Long messages are keyed by their sha256 (marked
    // with '#' instead of ':'); a collision there would need a sha256 collision.
    const msgKey =
      msg.length <= MEMO_INLINE_MSG_MAX ? `:${msg.length}:${latin1(msg)}` : `#${latin1(sha256(msg))}`;
    const key = `${k}${msgKey}${latin1(sig)}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) {
      this.stats.memo_hits++;
      return hit;
    }
    this.stats.verifies++;
    const ok = bip340.verify(this.keys.publicKey(k), msg, sig);
    if (this.memo.size >= this.memoMax) {
      const oldest = this.memo.keys().next();
      if (!oldest.done) this.memo.delete(oldest.value);
    }
    if (this.memoMax > 0) this.memo.set(key, ok);
    return ok;
  }
}

const HMAC_BLOCK = 64;

/** Bytes a modeled key takes: secret, public key, then the inner and outer pad states (8 words each). */
const MODELED_KEY_BYTES = 128;

class ModeledSigner implements Signer {
  readonly mode = 'modeled' as const;
  readonly signatureBytes = 32;
  readonly stats: SignerStats = { signs: 0, verifies: 0, memo_hits: 0 };
  /**
   * Per key, beside its secret and public key: the SHA-256 chaining words after HMAC's inner pad
   * block, then after its outer pad block, derived with the key. A tag starts from them and
   * compresses only the message and the outer block: half the work of keying an HMAC, for every
   * key, with no object per key or per tag. (A bounded cache of keyed HMAC objects did this for hot
   * keys only; account keys, 10^5..10^6 of them and each used a few times, missed it and built an
   * HMAC per tag.) Saved words of a pure function of the key cannot change a tag.
   */
  private readonly keys: KeyStore;
  /** The one hash object every tag runs in (each use loads saved words into it first). */
  private readonly s = sha256Object();
  private readonly fresh = sha256Object();
  private readonly pad = new Uint8Array(HMAC_BLOCK);
  private readonly inner = new Uint8Array(32);
  private readonly out = new Uint8Array(32);

  constructor(seed: string) {
    this.keys = new KeyStore((k, out) => {
      const secret = sha256(utf8.encode(`${seed}/key/${k}`));
      out.set(secret, 0);
      out.set(sha256(secret), 32);
      const words = new Int32Array(out.buffer, out.byteOffset + 64, 16);
      this.absorbPad(secret, 0x36, words, 0);
      this.absorbPad(secret, 0x5c, words, 8);
    }, MODELED_KEY_BYTES);
  }

  publicKey(k: number): Uint8Array {
    return this.keys.publicKey(k).slice();
  }

  /** The scratch object in the state after one 64-byte block whose chaining words are keys.words[at, at + 8). */
  private load(at: number): Sha256Internals {
    const m = this.keys.words;
    const s = this.s;
    s.set(m[at]!, m[at + 1]!, m[at + 2]!, m[at + 3]!, m[at + 4]!, m[at + 5]!, m[at + 6]!, m[at + 7]!);
    s.length = HMAC_BLOCK;
    s.pos = 0;
    s.finished = false;
    s.destroyed = false;
    return s;
  }

  /** Writes at words[at, at + 8) the chaining words after one pad block: the key XOR `byte`, then `byte`. */
  private absorbPad(key: Uint8Array, byte: number, words: Int32Array, at: number): void {
    const pad = this.pad;
    pad.fill(byte);
    for (let i = 0; i < key.length; i++) pad[i] = key[i]! ^ byte;
    const s = this.fresh._cloneInto(this.s);
    // Two halves: an update by a whole block would allocate a view of it.
    s.update(pad.subarray(0, 32));
    s.update(pad.subarray(32));
    const w = s.get();
    for (let i = 0; i < 8; i++) words[at + i] = w[i]!;
  }

  /**
   * HMAC-SHA256 of `msg` under key k's secret (RFC 2104: the bytes `hmac(sha256, secret, msg)`
   * gives), written into `this.out` (valid until the next call).
   */
  private tagInto(k: number, msg: Uint8Array): Uint8Array {
    // The key's inner pad words (its record's word 16 on; offset() derives the key first).
    const at = (this.keys.offset(k) + 64) >> 2;
    let s = this.load(at);
    s.update(msg);
    // Digested into the object's own buffer, whose view is kept (another array gets a new view).
    s.digestInto(s.buffer);
    this.inner.set(s.buffer.subarray(0, 32));
    s = this.load(at + 8);
    s.update(this.inner);
    s.digestInto(s.buffer);
    this.out.set(s.buffer.subarray(0, 32));
    return this.out;
  }

  sign(k: number, msg: Uint8Array): Uint8Array {
    this.stats.signs++;
    return this.tagInto(k, msg).slice();
  }

  verify(k: number, msg: Uint8Array, sig: Uint8Array): boolean {
    checkKeyId(k);
    this.stats.verifies++;
    if (sig.length !== 32) return false;
    const expected = this.tagInto(k, msg);
    // Compare every byte regardless of where the first difference is (the same work for any
    // forgery), as a real tag check would.
    let diff = 0;
    for (let i = 0; i < 32; i++) diff |= expected[i]! ^ sig[i]!;
    return diff === 0;
  }
}

export interface SignerOptions {
  /** Real mode: bound on memoized verification outcomes (default VERIFY_MEMO_MAX; 0 disables). */
  verify_memo_max?: number;
}

/**
 * A signer for all keys of one run. `seed` is the scenario seed (or a string derived from it);
 * key k's material depends only on `${seed}/key/${k}`, so keys do not depend on the order in
 * which they are first used.
 */
export function createSigner(
  mode: CryptoMode,
  seed: string,
  options: SignerOptions = {},
): Signer {
  const memoMax = options.verify_memo_max ?? VERIFY_MEMO_MAX;
  if (!Number.isSafeInteger(memoMax) || memoMax < 0) {
    throw new RangeError(`createSigner: verify_memo_max must be a non-negative integer, got ${memoMax}`);
  }
  switch (mode) {
    case 'real':
      return new RealSigner(seed, memoMax);
    case 'modeled':
      return new ModeledSigner(seed);
    default: {
      const never: never = mode;
      throw new Error(`createSigner: unknown crypto mode ${String(never)}`);
    }
  }
}
