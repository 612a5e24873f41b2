import { createHash, createHmac } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from './hash.js';
import { ACCOUNT_KEY_BASE, VERIFY_MEMO_MAX, bip340, createSigner, type CryptoMode } from './signer.js';

const enc = new TextEncoder();
const MODES: readonly CryptoMode[] = ['real', 'modeled'];

/** Rows of the published BIP-340 vectors (bitcoin/bips bip-0340/test-vectors.csv, final revision). */
const BIP340_VECTORS = [
  {
    index: 0,
    sk: '0000000000000000000000000000000000000000000000000000000000000003',
    pk: 'F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9',
    aux: '0000000000000000000000000000000000000000000000000000000000000000',
    msg: '0000000000000000000000000000000000000000000000000000000000000000',
    sig: 'E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0',
    ok: true,
  },
  {
    index: 1,
    sk: 'B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF',
    pk: 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659',
    aux: '0000000000000000000000000000000000000000000000000000000000000001',
    msg: '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89',
    sig: '6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A',
    ok: true,
  },
  {
    index: 2,
    sk: 'C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B14E5C9',
    pk: 'DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8',
    aux: 'C87AA53824B4D7AE2EB035A2B5BBBCCC080E76CDC6D1692C4B0B62D798E6D906',
    msg: '7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C',
    sig: '5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1BAB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7',
    ok: true,
  },
  {
    index: 3,
    sk: '0B432B2677937381AEF05BB02A66ECD012773062CF3FA2549E44F58ED2401710',
    pk: '25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517',
    aux: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF',
    msg: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF',
    sig: '7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3',
    ok: true,
  },
  {
    index: 4,
    sk: '',
    pk: 'D69C3509BB99E412E68B0FE8544E72837DFA30746D8BE2AA65975F29D22DC7B9',
    aux: '',
    msg: '4DF3C3F68FCC83B27E9D42C90431A72499F17875C81A599B566C9889B9696703',
    sig: '00000000000000000000003B78CE563F89A0ED9414F5AA28AD0D96D6795F9C6376AFB1548AF603B3EB45C9F8207DEE1060CB71C04E80F593060B07D28308D7F4',
    ok: true,
  },
  {
    index: 5, // public key not on the curve
    sk: '',
    pk: 'EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34',
    aux: '',
    msg: '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89',
    sig: '6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B',
    ok: false,
  },
  {
    index: 6, // has_even_y(R) is false
    sk: '',
    pk: 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659',
    aux: '',
    msg: '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89',
    sig: 'FFF97BD5755EEEA420453A14355235D382F6472F8568A18B2F057A14602975563CC27944640AC607CD107AE10923D9EF7A73C643E166BE5EBEAFA34B1AC553E2',
    ok: false,
  },
  {
    index: 7, // negated message
    sk: '',
    pk: 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659',
    aux: '',
    msg: '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89',
    sig: '1FA62E331EDBC21C394792D2AB1100A7B432B013DF3F6FF4F99FCB33E0E1515F28890B3EDB6E7189B630448B515CE4F8622A954CFE545735AAEA5134FCCDB2BD',
    ok: false,
  },
  {
    index: 8, // negated s value
    sk: '',
    pk: 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659',
    aux: '',
    msg: '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89',
    sig: '6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769961764B3AA9B2FFCB6EF947B6887A226E8D7C93E00C5ED0C1834FF0D0C2E6DA6',
    ok: false,
  },
  {
    index: 13, // sig[32:64] is equal to curve order
    sk: '',
    pk: 'DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659',
    aux: '',
    msg: '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89',
    sig: '6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141',
    ok: false,
  },
  {
    index: 14, // public key exceeds the field size
    sk: '',
    pk: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30',
    aux: '',
    msg: '243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89',
    sig: '6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B',
    ok: false,
  },
] as const;

function flipByte(b: Uint8Array, i: number, mask = 0x01): Uint8Array {
  const out = b.slice();
  out[i]! ^= mask;
  return out;
}

describe('BIP-340 vectors through the real path (bip340 helpers the real signer uses)', () => {
  for (const v of BIP340_VECTORS) {
    it(`vector ${v.index}: verify is ${v.ok}${v.sk ? ', and sign reproduces the signature' : ''}`, () => {
      const pk = fromHex(v.pk);
      const msg = fromHex(v.msg);
      const sig = fromHex(v.sig);
      expect(bip340.verify(pk, msg, sig)).toBe(v.ok);
      if (v.sk !== '') {
        const sk = fromHex(v.sk);
        expect(hex(bip340.publicKey(sk))).toBe(v.pk.toLowerCase());
        expect(hex(bip340.sign(sk, msg, fromHex(v.aux)))).toBe(v.sig.toLowerCase());
      }
    });
  }
});

describe('real signer', () => {
  it('signs and verifies round trip; publicKey is the x-only key of the signing secret', () => {
    const s = createSigner('real', 'seed-1');
    const msg = enc.encode('transfer 5 from a to b');
    const sig = s.sign(7, msg);
    expect(sig.length).toBe(64);
    expect(s.signatureBytes).toBe(64);
    expect(s.verify(7, msg, sig)).toBe(true);
    // The signature is a plain BIP-340 signature under the published key.
    expect(schnorr.verify(sig, msg, s.publicKey(7))).toBe(true);
    expect(s.stats.signs).toBe(1);
  });

  it('property: any single flipped byte of sig, msg or key fails verification', () => {
    const s = createSigner('real', 'prop');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (msg, pos, mask) => {
          const sig = s.sign(3, msg);
          const pk = s.publicKey(3);
          expect(schnorr.verify(sig, msg, pk)).toBe(true);
          expect(s.verify(3, flipByte(msg, pos % msg.length, mask), sig)).toBe(false);
          expect(s.verify(3, msg, flipByte(sig, pos % 64, mask))).toBe(false);
          expect(bip340.verify(flipByte(pk, pos % 32, mask), msg, sig)).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('memo: a repeated verify is answered from the memo with the same outcome', () => {
    const s = createSigner('real', 'memo');
    const msg = enc.encode('vote');
    const sig = s.sign(1, msg);
    const bad = flipByte(sig, 40);
    expect(s.verify(1, msg, sig)).toBe(true);
    expect(s.verify(1, msg, bad)).toBe(false);
    expect(s.stats.verifies).toBe(2);
    for (let i = 0; i < 5; i++) {
      expect(s.verify(1, msg, sig)).toBe(true);
      expect(s.verify(1, msg, bad)).toBe(false);
      expect(s.verify(2, msg, sig)).toBe(false); // a different key id is a different memo entry
    }
    expect(s.stats.verifies).toBe(3);
    expect(s.stats.memo_hits).toBe(14);
    // Long messages are keyed by digest and still distinguished.
    const long = new Uint8Array(1000).fill(7);
    const longSig = s.sign(1, long);
    expect(s.verify(1, long, longSig)).toBe(true);
    expect(s.verify(1, flipByte(long, 999), longSig)).toBe(false);
    expect(s.verify(1, long, longSig)).toBe(true);
    expect(VERIFY_MEMO_MAX).toBe(65_536);
  });

  it('memo: at its bound the oldest entry is evicted first (FIFO), outcomes unchanged', () => {
    const s = createSigner('real', 'fifo', { verify_memo_max: 2 });
    const m = [enc.encode('a'), enc.encode('b'), enc.encode('c')];
    const sigs = m.map((x) => s.sign(1, x));
    for (let i = 0; i < 3; i++) expect(s.verify(1, m[i]!, sigs[i]!)).toBe(true); // a evicted
    expect(s.stats.verifies).toBe(3);
    expect(s.verify(1, m[2]!, sigs[2]!)).toBe(true); // c: hit
    expect(s.verify(1, m[1]!, sigs[1]!)).toBe(true); // b: hit
    expect(s.stats.memo_hits).toBe(2);
    expect(s.verify(1, m[0]!, sigs[0]!)).toBe(true); // a: recomputed, evicts b
    expect(s.stats.verifies).toBe(4);
    expect(s.verify(1, m[1]!, sigs[1]!)).toBe(true); // b: recomputed
    expect(s.stats.verifies).toBe(5);
    const off = createSigner('real', 'fifo', { verify_memo_max: 0 });
    expect(off.verify(1, m[0]!, sigs[0]!)).toBe(true);
    expect(off.verify(1, m[0]!, sigs[0]!)).toBe(true);
    expect(off.stats.memo_hits).toBe(0);
  });
});

describe('both modes', () => {
  for (const mode of MODES) {
    it(`${mode}: tampered msg, tampered sig, wrong key and wrong length all fail`, () => {
      const s = createSigner(mode, 'tamper');
      const msg = enc.encode('block header 42');
      const sig = s.sign(ACCOUNT_KEY_BASE + 5, msg);
      expect(sig.length).toBe(s.signatureBytes);
      expect(s.verify(ACCOUNT_KEY_BASE + 5, msg, sig)).toBe(true);
      expect(s.verify(ACCOUNT_KEY_BASE + 5, flipByte(msg, 3), sig)).toBe(false);
      expect(s.verify(ACCOUNT_KEY_BASE + 5, msg, flipByte(sig, 0))).toBe(false);
      expect(s.verify(ACCOUNT_KEY_BASE + 5, msg, flipByte(sig, sig.length - 1))).toBe(false);
      expect(s.verify(ACCOUNT_KEY_BASE + 6, msg, sig)).toBe(false);
      expect(s.verify(ACCOUNT_KEY_BASE + 5, msg, sig.subarray(0, sig.length - 1))).toBe(false);
      expect(s.verify(ACCOUNT_KEY_BASE + 5, msg, new Uint8Array(0))).toBe(false);
      expect(s.publicKey(1).length).toBe(32);
      expect(() => s.sign(-1, msg)).toThrow(RangeError);
      expect(() => s.verify(1.5, msg, sig)).toThrow(RangeError);
    });

    it(`${mode}: same seed gives the same keys and signatures, another seed different ones`, () => {
      const a = createSigner(mode, 'run-42');
      const b = createSigner(mode, 'run-42');
      const c = createSigner(mode, 'run-43');
      const msg = enc.encode('m');
      // Keys do not depend on the order of first use.
      const kb = [9, 1, 5].map((k) => hex(b.publicKey(k)));
      const ka = [1, 5, 9].map((k) => hex(a.publicKey(k)));
      expect([ka[0], ka[1], ka[2]]).toEqual([kb[1], kb[2], kb[0]]);
      expect(hex(a.sign(5, msg))).toBe(hex(b.sign(5, msg)));
      expect(hex(a.publicKey(5))).not.toBe(hex(c.publicKey(5)));
      expect(hex(a.sign(5, msg))).not.toBe(hex(c.sign(5, msg)));
      expect(hex(a.publicKey(5))).not.toBe(hex(a.publicKey(6)));
      expect(c.verify(5, msg, a.sign(5, msg))).toBe(false);
    });

    it(`${mode}: publicKey returns a copy (mutating it does not affect the signer)`, () => {
      const s = createSigner(mode, 'copy');
      const pk = s.publicKey(2);
      const before = hex(pk);
      pk.fill(0);
      expect(hex(s.publicKey(2))).toBe(before);
      const msg = enc.encode('x');
      expect(s.verify(2, msg, s.sign(2, msg))).toBe(true);
    });
  }

  it('modeled and real agree on every verify outcome for the same operation sequence', () => {
    // An operation: sign (key, msg) then verify with a possibly different key, possibly tampered
    // message, possibly tampered signature, possibly a signature from a different signing.
    const op = fc.record({
      signKey: fc.nat({ max: 4 }),
      verifyKey: fc.nat({ max: 4 }),
      msg: fc.uint8Array({ minLength: 1, maxLength: 48 }),
      tamper: fc.constantFrom('none', 'msg', 'sig', 'truncate', 'other-sig', 'empty'),
      pos: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => {
        const outcomes: Record<CryptoMode, boolean[]> = { real: [], modeled: [] };
        for (const mode of MODES) {
          const s = createSigner(mode, 'agree');
          let previous: Uint8Array | undefined;
          for (const o of ops) {
            let sig: Uint8Array = s.sign(o.signKey, o.msg);
            let msg: Uint8Array = o.msg;
            if (o.tamper === 'msg') msg = flipByte(msg, o.pos % msg.length);
            if (o.tamper === 'sig') sig = flipByte(sig, o.pos % sig.length);
            if (o.tamper === 'truncate') sig = sig.subarray(1);
            if (o.tamper === 'empty') sig = new Uint8Array(0);
            const current = sig;
            if (o.tamper === 'other-sig' && previous !== undefined) sig = previous;
            previous = current;
            outcomes[mode].push(s.verify(o.verifyKey, msg, sig));
            // Verify twice: the real-mode memo must not change the answer.
            outcomes[mode].push(s.verify(o.verifyKey, msg, sig));
          }
        }
        expect(outcomes.modeled).toEqual(outcomes.real);
      }),
      { numRuns: 30 },
    );
  });
});

describe('modeled signer', () => {
  it('tags are 32 bytes and the public key is sha256 of the secret (never the secret)', () => {
    const s = createSigner('modeled', 'tags');
    const msg = enc.encode('hello');
    const sig = s.sign(0, msg);
    expect(sig.length).toBe(32);
    expect(s.signatureBytes).toBe(32);
    expect(hex(sig)).not.toBe(hex(s.publicKey(0)));
    expect(s.stats.signs).toBe(1);
    s.verify(0, msg, sig);
    expect(s.stats.verifies).toBe(1);
    expect(s.stats.memo_hits).toBe(0);
  });

  it('matches node:crypto (differential): secret = sha256(seed/key/k), pk = sha256(secret), tag = HMAC', () => {
    const s = createSigner('modeled', 'golden');
    const secret = createHash('sha256').update('golden/key/1').digest();
    expect(hex(s.publicKey(1))).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(hex(s.sign(1, enc.encode('abc')))).toBe(
      createHmac('sha256', secret).update('abc').digest('hex'),
    );
  });

  it('matches node:crypto for interleaved keys and every message length across block boundaries', () => {
    const s = createSigner('modeled', 'lengths');
    const secrets = [3, 9, ACCOUNT_KEY_BASE + 5].map((k) => createHash('sha256').update(`lengths/key/${k}`).digest());
    const kept: Array<[Uint8Array, string]> = [];
    for (let len = 0; len <= 200; len++) {
      const msg = new Uint8Array(len).map((_, i) => (i * 31 + len) & 255);
      const j = len % 3;
      const sig = s.sign([3, 9, ACCOUNT_KEY_BASE + 5][j]!, msg);
      const want = createHmac('sha256', secrets[j]!).update(msg).digest('hex');
      expect(hex(sig)).toBe(want);
      kept.push([sig, want]);
      expect(s.verify([3, 9, ACCOUNT_KEY_BASE + 5][j]!, msg, sig)).toBe(true);
      expect(s.verify([3, 9, ACCOUNT_KEY_BASE + 5][(j + 1) % 3]!, msg, sig)).toBe(false);
    }
    // A returned tag is the caller's own: later tags do not overwrite it.
    for (const [sig, want] of kept) expect(hex(sig)).toBe(want);
  });

  it('tags stay correct across thousands of keys (the saved pad words grow and move)', () => {
    const s = createSigner('modeled', 'many');
    const msg = enc.encode('digest');
    const first = s.sign(0, msg);
    for (let k = 1; k <= 5000; k++) s.sign(ACCOUNT_KEY_BASE + k, msg);
    expect(hex(s.sign(0, msg))).toBe(hex(first));
    expect(s.verify(0, msg, first)).toBe(true);
    const secret = createHash('sha256').update(`many/key/${ACCOUNT_KEY_BASE + 77}`).digest();
    expect(hex(s.sign(ACCOUNT_KEY_BASE + 77, msg))).toBe(
      createHmac('sha256', secret).update(msg).digest('hex'),
    );
  });
});
