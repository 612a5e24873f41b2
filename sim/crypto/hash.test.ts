import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Encoder,
  HashArena,
  fromHex,
  hex,
  merklePath,
  merkleRoot,
  merkleRootOfArena,
  sha256,
  sha256Hex,
  sha256Into,
  verifyMerklePath,
} from './hash.js';

const enc = new TextEncoder();
const nodeSha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('sha256', () => {
  it('matches the FIPS 180-2 vectors', () => {
    expect(sha256Hex(new Uint8Array(0))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(enc.encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('agrees with node:crypto on arbitrary input (differential)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(hex(sha256(b))).toBe(nodeSha256(b));
      }),
    );
  });

  it('sha256Into digests one or two parts at any offset, over its own inputs too (differential)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 150 }), fc.nat(40), (a, b, at) => {
        const out = new Uint8Array(at + 40).fill(7);
        sha256Into(out, at, a, b);
        expect(hex(out.subarray(at, at + 32))).toBe(nodeSha256(new Uint8Array([...a, ...b])));
        // Bytes outside the digest are left alone.
        expect(out.subarray(0, at).every((x) => x === 7)).toBe(true);
        expect(out.subarray(at + 32).every((x) => x === 7)).toBe(true);
        sha256Into(out, at, a);
        expect(hex(out.subarray(at, at + 32))).toBe(nodeSha256(a));
        // Output over an input (a Merkle level written in place): inputs are read first.
        const buf = new Uint8Array([...a, ...b]);
        sha256Into(buf, 0, buf.subarray(0, a.length), buf.subarray(a.length));
        if (buf.length >= 32) expect(hex(buf.subarray(0, 32))).toBe(nodeSha256(new Uint8Array([...a, ...b])));
      }),
    );
  });

  it('hex and fromHex round-trip, and fromHex rejects bad input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromHex(hex(b))).toEqual(b);
        expect(hex(b)).toBe(Buffer.from(b).toString('hex'));
      }),
    );
    expect(() => fromHex('abc')).toThrow();
    expect(() => fromHex('zz')).toThrow();
    expect(() => fromHex('0g')).toThrow();
    expect(() => fromHex('g0')).toThrow();
    expect(() => fromHex('0 ')).toThrow();
    expect(() => fromHex('@0')).toThrow();
    expect(fromHex('00FfaB90')).toEqual(new Uint8Array([0x00, 0xff, 0xab, 0x90]));
  });
});

describe('Encoder', () => {
  it('writes fixed-width big-endian integers and length-prefixed bytes and strings', () => {
    const e = new Encoder(16);
    e.u8(0xab).u32(0x01020304).u53(2 ** 53 - 1).bytes(new Uint8Array([9, 8])).str('é');
    expect(hex(e.finish())).toBe(
      'ab' + '01020304' + '001fffffffffffff' + '00000002' + '0908' + '00000002' + 'c3a9',
    );
    expect(e.length).toBe(0);
  });

  it('grows its buffer and the result equals a one-shot concatenation', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 20 }), (parts) => {
        const e = new Encoder(16);
        for (const p of parts) e.raw(p);
        const expected = Buffer.concat(parts.map((p) => Buffer.from(p)));
        expect(Buffer.from(e.peek()).equals(expected)).toBe(true);
        expect(hex(e.finishSha256())).toBe(nodeSha256(expected));
      }),
    );
  });

  it('u53 encodes like a big-endian uint64', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const b = Buffer.alloc(8);
        b.writeBigUInt64BE(BigInt(n));
        expect(hex(new Encoder().u53(n).finish())).toBe(b.toString('hex'));
      }),
    );
  });

  it('rejects floats, negatives and out-of-range integers instead of truncating', () => {
    const e = new Encoder();
    expect(() => e.u8(256)).toThrow(RangeError);
    expect(() => e.u32(1.5)).toThrow(RangeError);
    expect(() => e.u32(-1)).toThrow(RangeError);
    expect(() => e.u53(2 ** 53)).toThrow(RangeError);
    expect(() => e.u53(-1)).toThrow(RangeError);
    expect(e.length).toBe(0);
  });

  it('is unambiguous: different field splits encode differently', () => {
    const a = new Encoder().bytes(enc.encode('ab')).bytes(enc.encode('c')).finish();
    const b = new Encoder().bytes(enc.encode('a')).bytes(enc.encode('bc')).finish();
    expect(hex(a)).not.toBe(hex(b));
  });

  it('reuses its buffer: finish returns a copy that later writes do not change', () => {
    const e = new Encoder();
    const first = e.u32(7).finish();
    e.u32(8);
    expect(hex(first)).toBe('00000007');
  });
});

describe('HashArena', () => {
  it('stores digests back to back, growing, and views stay correct after growth', () => {
    const arena = new HashArena(2);
    const views: Uint8Array[] = [];
    const digests: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const d = sha256(new Uint8Array([i]));
      digests.push(d);
      const idx = i % 2 === 0 ? arena.put(d) : arena.putSha256(new Uint8Array([i]));
      expect(idx).toBe(i);
      views.push(arena.view(idx));
    }
    expect(arena.size).toBe(100);
    for (let i = 0; i < 100; i++) {
      expect(hex(views[i]!)).toBe(hex(digests[i]!));
      expect(arena.hex(i)).toBe(hex(digests[i]!));
      expect(arena.equalsBytes(i, digests[i]!)).toBe(true);
    }
  });

  it('equals compares bytes, word reads big-endian 32-bit words', () => {
    const arena = new HashArena();
    const d = sha256(enc.encode('x'));
    const a = arena.put(d);
    const b = arena.putSha256(enc.encode('x'));
    const c = arena.putSha256(enc.encode('y'));
    expect(arena.equals(a, b)).toBe(true);
    expect(arena.equals(a, c)).toBe(false);
    const buf = Buffer.from(d);
    for (let k = 0; k < 8; k++) expect(arena.word(a, k)).toBe(buf.readUInt32BE(k * 4));
    expect(() => arena.word(a, 8)).toThrow(RangeError);
    expect(() => arena.view(3)).toThrow(RangeError);
    expect(() => arena.put(new Uint8Array(31))).toThrow(RangeError);
  });

  it('putSha256Pair is sha256 of the two digests concatenated', () => {
    const arena = new HashArena();
    const a = arena.putSha256(enc.encode('a'));
    const b = arena.putSha256(enc.encode('b'));
    const p = arena.putSha256Pair(a, b);
    expect(arena.hex(p)).toBe(nodeSha256(Buffer.concat([arena.view(a), arena.view(b)])));
  });
});

describe('Merkle', () => {
  const leaf = (i: number): Uint8Array => sha256(new Uint8Array([i & 0xff, i >> 8]));
  const H = (a: Uint8Array, b: Uint8Array): Uint8Array => sha256(new Uint8Array([...a, ...b]));

  it('empty is sha256(""), one leaf is the leaf, odd leaves are promoted', () => {
    expect(hex(merkleRoot([]))).toBe(sha256Hex(new Uint8Array(0)));
    expect(hex(merkleRoot([leaf(1)]))).toBe(hex(leaf(1)));
    const [a, b, c] = [leaf(1), leaf(2), leaf(3)];
    expect(hex(merkleRoot([a, b]))).toBe(hex(H(a, b)));
    expect(hex(merkleRoot([a, b, c]))).toBe(hex(H(H(a, b), c)));
    // Promotion, not duplication: [a,b,c] and [a,b,c,c] have different roots (no CVE-2012-2459).
    expect(hex(merkleRoot([a, b, c]))).not.toBe(hex(merkleRoot([a, b, c, c])));
  });

  it('merkleRootOfArena equals merkleRoot for any leaf count and index order', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 60 }), { maxLength: 70 }), (ids) => {
        const arena = new HashArena(4);
        for (let i = 0; i <= 60; i++) arena.put(leaf(i));
        expect(hex(merkleRootOfArena(arena, ids))).toBe(hex(merkleRoot(ids.map(leaf))));
        expect(hex(merkleRootOfArena(arena, Int32Array.from(ids)))).toBe(
          hex(merkleRoot(ids.map(leaf))),
        );
      }),
    );
  });

  it('every leaf has a path to the root, and a wrong leaf or root fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(), (n, pick) => {
        const leaves = Array.from({ length: n }, (_, i) => leaf(i));
        const root = merkleRoot(leaves);
        const i = pick % n;
        const path = merklePath(leaves, i);
        expect(path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
        expect(verifyMerklePath(leaves[i]!, path, root)).toBe(true);
        expect(verifyMerklePath(leaf(1000), path, root)).toBe(false);
        expect(verifyMerklePath(leaves[i]!, path, leaf(1000))).toBe(false);
      }),
    );
  });
});
