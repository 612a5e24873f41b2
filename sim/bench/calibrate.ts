/**
 * `npm run calibrate`: measure crypto speeds on this machine, to check the CPU cost table
 * (sim/crypto/costs.ts, documented in sim/crypto/COSTS.md) against them.
 *
 * Wall-clock timing is allowed here (sim/bench/) and nowhere else: nothing measured here feeds
 * back into a simulation; the defaults in costs.ts are edited by hand after reading this table.
 *
 * Each operation runs for about 1 s of wall time (after a short warm-up so the JIT has settled),
 * in batches so that the clock is read rarely, split into 5 slices; the table shows the fastest
 * slice (other processes on a shared machine only ever slow a slice down) and the median. Flags: `--ms=<n>` time per operation (default 1000),
 * `--json` also prints the rows as one JSON line.
 */
import {
  ECDH,
  createECDH,
  createHash,
  createHmac,
  generateKeyPairSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { DEFAULT_COSTS, createSigner } from '../crypto/index.js';

interface Row {
  operation: string;
  /** From the fastest slice. */
  ops_per_s: number;
  /** From the fastest slice. */
  us_per_op: number;
  us_per_op_median: number;
  /** What the row is compared with in COSTS.md, if anything. */
  note: string;
}

const args = process.argv.slice(2);
const msArg = args.find((a) => a.startsWith('--ms='));
const RUN_MS = msArg ? Number(msArg.slice(5)) : 1000;
const WARM_MS = Math.max(50, Math.round(RUN_MS / 10));
const JSON_OUT = args.includes('--json');

/** Sink so that results are used and the JIT cannot drop the work. */
let sink = 0;

const SLICES = 5;

/**
 * Run `fn` (which performs `opsPerCall` operations) for about `RUN_MS`, split into SLICES equal
 * slices. Other processes on the machine can only slow a slice down, so the fastest slice is the
 * best estimate of the uncontended speed; the median is reported beside it to show the noise.
 */
function measure(
  fn: () => void,
  opsPerCall = 1,
): { ops_per_s: number; us_per_op: number; us_per_op_median: number } {
  const run = (budgetMs: number): number => {
    let batch = 1;
    let ops = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < budgetMs) {
      for (let i = 0; i < batch; i++) fn();
      ops += batch * opsPerCall;
      const now = performance.now();
      // Grow the batch until a batch takes >= ~5 ms, so clock reads are negligible.
      if (now - t < 5) batch *= 2;
      t = now;
    }
    return ((t - t0) * 1000) / ops;
  };
  run(WARM_MS);
  const slices: number[] = [];
  for (let i = 0; i < SLICES; i++) slices.push(run(RUN_MS / SLICES));
  slices.sort((a, b) => a - b);
  const best = slices[0]!;
  return { ops_per_s: 1e6 / best, us_per_op: best, us_per_op_median: slices[SLICES >> 1]! };
}

const rows: Row[] = [];
function bench(operation: string, note: string, fn: () => void, opsPerCall = 1): Row {
  const r = measure(fn, opsPerCall);
  const row = { operation, note, ...r };
  rows.push(row);
  process.stderr.write(`  ${operation}: ${fmtUs(row.us_per_op)} µs/op\n`);
  return row;
}

function fmtUs(us: number): string {
  return us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2);
}
function fmtOps(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

// ---- inputs ---------------------------------------------------------------------------------

// A transfer transaction is ~350 B (docs/PROTOCOL.md MC-7); sign/verify over a message of that size.
const txBytes = new Uint8Array(350).map((_, i) => (i * 131 + 7) & 0xff);
const kib = new Uint8Array(1024).map((_, i) => (i * 31 + 3) & 0xff);
const kib64 = new Uint8Array(64 * 1024).map((_, i) => (i * 17 + 1) & 0xff);
const pair64 = new Uint8Array(64).map((_, i) => i);
const digest32 = nobleSha256(txBytes);

function keyPair(type: 'ec' | 'ed25519'): { privateKey: KeyObject; publicKey: KeyObject } {
  return type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
    : generateKeyPairSync('ed25519');
}

// ---- native (OpenSSL through node:crypto): the reference for TOP's C++ node -----------------

process.stderr.write(`calibrate: ${RUN_MS} ms per operation\n`);

const ec = keyPair('ec');
const ecSig = nodeSign('sha256', txBytes, ec.privateKey);
const nEcdsaSign = bench('native ECDSA secp256k1 sign (350 B, sha256)', 'sign_us', () => {
  sink += nodeSign('sha256', txBytes, ec.privateKey).length;
});
const nEcdsaVerify = bench('native ECDSA secp256k1 verify (350 B, sha256)', 'verify_tx_us', () => {
  sink += nodeVerify('sha256', txBytes, ec.publicKey, ecSig) ? 1 : 0;
});

const ed = keyPair('ed25519');
const edSig = nodeSign(null, txBytes, ed.privateKey);
bench('native ed25519 sign (350 B)', '', () => {
  sink += nodeSign(null, txBytes, ed.privateKey).length;
});
bench('native ed25519 verify (350 B)', '', () => {
  sink += nodeVerify(null, txBytes, ed.publicKey, edSig) ? 1 : 0;
});

// Decompressing a 33-byte secp256k1 point (a modular square root) through OpenSSL: TOP's
// xmutisig decodes every signer's public key and every nonce point from this compressed form.
const ecdh = createECDH('secp256k1');
ecdh.setPrivateKey(Buffer.alloc(32, 5));
const compressedPub = ecdh.getPublicKey(null, 'compressed');
const nDecode = bench('native secp256k1 point decompress (33 B -> 65 B)', 'verify_aggregate_per_signer_us', () => {
  sink += (ECDH.convertKey(compressedPub, 'secp256k1', undefined, undefined, 'uncompressed') as Buffer)[1]!;
});

const nSha1k = bench('native sha256, 1 KiB message', 'hash_per_kib_us', () => {
  sink += createHash('sha256').update(kib).digest()[0]!;
});
const nSha64k = bench(
  'native sha256, per KiB of a 64 KiB message',
  'hash_per_kib_us',
  () => {
    sink += createHash('sha256').update(kib64).digest()[0]!;
  },
  64,
);
const nSha64 = bench('native sha256, 64 B (one Merkle node)', 'merkle_path_us', () => {
  sink += createHash('sha256').update(pair64).digest()[0]!;
});
bench('native HMAC-SHA256 tag (350 B)', '', () => {
  sink += createHmac('sha256', digest32).update(txBytes).digest()[0]!;
});

// ---- @noble (pure JS): what `crypto: real` and `crypto: modeled` cost the simulator --------

const sk = schnorr.utils.randomSecretKey(new Uint8Array(48).fill(9));
const pk = schnorr.getPublicKey(sk);
const zeroAux = new Uint8Array(32);
const schSig = schnorr.sign(txBytes, sk, zeroAux);
bench('noble schnorr secp256k1 sign (350 B)', 'sign_us', () => {
  sink += schnorr.sign(txBytes, sk, zeroAux).length;
});
const jSchVerify = bench('noble schnorr secp256k1 verify (350 B)', 'verify_share_us', () => {
  sink += schnorr.verify(schSig, txBytes, pk) ? 1 : 0;
});

// Aggregate verify = sum the signers' public keys (one point addition each), then one verify.
const P = schnorr.Point;
const points = Array.from({ length: 64 }, (_, i) => P.BASE.multiply(BigInt(i + 2)));
bench(
  'noble secp256k1 point addition (aggregate pubkey, per signer)',
  'verify_aggregate_per_signer_us',
  () => {
    let acc = P.ZERO;
    for (const q of points) acc = acc.add(q);
    sink += acc.is0() ? 0 : 1;
  },
  points.length,
);

bench('noble sha256, 1 KiB message', '', () => {
  sink += nobleSha256(kib)[0]!;
});
bench(
  'noble sha256, per KiB of a 64 KiB message',
  '',
  () => {
    sink += nobleSha256(kib64)[0]!;
  },
  64,
);
bench('noble sha256, 64 B (one Merkle node)', '', () => {
  sink += nobleSha256(pair64)[0]!;
});
bench('noble HMAC-SHA256 tag (350 B)', '', () => {
  sink += hmac(nobleSha256, digest32, txBytes)[0]!;
});

// Through the simulator's own signers (key lookup, length checks, memo key).
const modeled = createSigner('modeled', 'calibrate');
const modeledSig = modeled.sign(1, txBytes);
bench('sim modeled signer sign (350 B)', '', () => {
  sink += modeled.sign(1, txBytes)[0]!;
});
bench('sim modeled signer verify (350 B)', '', () => {
  sink += modeled.verify(1, txBytes, modeledSig) ? 1 : 0;
});
const modeledDigestSig = modeled.sign(1, digest32);
bench('sim modeled signer verify (32 B digest)', '', () => {
  sink += modeled.verify(1, digest32, modeledDigestSig) ? 1 : 0;
});
const real = createSigner('real', 'calibrate', { verify_memo_max: 0 });
const realSig = real.sign(1, txBytes);
bench('sim real signer verify, memo off (350 B)', '', () => {
  sink += real.verify(1, txBytes, realSig) ? 1 : 0;
});
const realMemo = createSigner('real', 'calibrate');
bench('sim real signer verify, memo hit (350 B)', '', () => {
  sink += realMemo.verify(1, txBytes, realSig) ? 1 : 0;
});

// ---- report ---------------------------------------------------------------------------------

const opWidth = Math.max(...rows.map((r) => r.operation.length), 'operation'.length);
const lines: string[] = [];
lines.push(
  `calibrate: node ${process.version} (OpenSSL ${process.versions.openssl}), ` +
    `${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ${os.platform()} ${os.arch()}, ` +
    `${RUN_MS} ms per operation in ${SLICES} slices`,
);
lines.push('');
lines.push(
  `| ${'operation'.padEnd(opWidth)} | ${'ops/s'.padStart(10)} | ${'µs/op'.padStart(8)} | ${'median µs'.padStart(9)} |`,
);
lines.push(`|${'-'.repeat(opWidth + 2)}|${'-'.repeat(11)}:|${'-'.repeat(9)}:|${'-'.repeat(10)}:|`);
for (const r of rows) {
  lines.push(
    `| ${r.operation.padEnd(opWidth)} | ${fmtOps(r.ops_per_s).padStart(10)} | ${fmtUs(r.us_per_op).padStart(8)} | ${fmtUs(r.us_per_op_median).padStart(9)} |`,
  );
}

// What each default models, and the closest native figure Node can measure (see COSTS.md for the
// reasoning and for the one-off C measurements of libsecp256k1 and raw OpenSSL EC calls).
// TOP's vote multisig (xmutisig) runs on OpenSSL's generic secp256k1 EC_POINT code, the same code
// node:crypto uses for secp256k1, so native ECDSA here is the right reference for it.
const verifyCore = nEcdsaVerify.us_per_op;
const cmp: [keyof typeof DEFAULT_COSTS, string, string][] = [
  ['verify_tx_us', 'n/a', 'libsecp256k1 ECDSA recover: not reachable from Node (COSTS.md)'],
  ['verify_share_us', fmtUs(verifyCore + 2 * nDecode.us_per_op), 'OpenSSL secp256k1 verify + 2 point decodes'],
  ['verify_aggregate_us', fmtUs(verifyCore + nDecode.us_per_op), 'OpenSSL secp256k1 verify + 1 point decode'],
  ['verify_aggregate_per_signer_us', fmtUs(nDecode.us_per_op + 1), 'point decode + ~1 µs EC_POINT_add'],
  ['sign_us', fmtUs(nEcdsaSign.us_per_op), 'OpenSSL secp256k1 sign (constant-time k·G)'],
  ['hash_per_kib_us', `${fmtUs(nSha64k.us_per_op)}..${fmtUs(nSha1k.us_per_op)}`, 'native sha256, streaming..one 1 KiB call'],
  ['merkle_path_us', fmtUs(nSha64.us_per_op * 12), 'native sha256 of 64 B x 12 levels (incl. Node call overhead)'],
];
lines.push('');
lines.push('Cost table (µs of one core): default vs the closest native figure measured here');
for (const [name, measured, how] of cmp) {
  lines.push(
    `  ${name.padEnd(31)} default ${String(DEFAULT_COSTS[name]).padStart(4)}   native ${measured.padStart(10)}   ${how}`,
  );
}
lines.push(`  (noble schnorr verify is ${(jSchVerify.us_per_op / verifyCore).toFixed(1)}x the native OpenSSL verify; sink ${sink & 1})`);
process.stdout.write(lines.join('\n') + '\n');
if (JSON_OUT) {
  process.stdout.write(
    JSON.stringify({
      node: process.version,
      openssl: process.versions.openssl,
      run_ms: RUN_MS,
      rows: rows.map(({ note: _n, ...r }) => r),
    }) + '\n',
  );
}
