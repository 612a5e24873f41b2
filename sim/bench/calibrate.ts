/**
 * `npm run calibrate`: measure crypto speeds on this machine, to check the CPU cost table
 * (sim/crypto/costs.ts, documented in sim/crypto/COSTS.md) against them.
 *
 * Wall-clock timing is allowed here (sim/bench/) and nowhere else: nothing measured here feeds
 * back into a simulation; the defaults in costs.ts are edited by hand after reading this table.
 *
 * Each operation runs for about 1 s of wall time (after a short warm-up so the JIT has settled),
 * in batches so that the clock is read rarely. Flags: `--ms=<n>` time per operation (default 1000),
 * `--json` also prints the rows as one JSON line.
 */
import {
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
  ops_per_s: number;
  us_per_op: number;
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

/** Run `fn` (which performs `opsPerCall` operations) for about `RUN_MS`; returns µs per operation. */
function measure(fn: () => void, opsPerCall = 1): { ops_per_s: number; us_per_op: number } {
  const run = (budgetMs: number): { ops: number; ms: number } => {
    let batch = 1;
    let ops = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < budgetMs) {
      for (let i = 0; i < batch; i++) fn();
      ops += batch * opsPerCall;
      const now = performance.now();
      // Grow the batch until a batch takes >= ~10 ms, so clock reads are negligible.
      if (now - t < 10) batch *= 2;
      t = now;
    }
    return { ops, ms: t - t0 };
  };
  run(WARM_MS);
  const { ops, ms } = run(RUN_MS);
  const us = (ms * 1000) / ops;
  return { ops_per_s: ops / (ms / 1000), us_per_op: us };
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

// A transfer transaction is ~350 B (PROTOCOL.md MC-7); sign/verify over a message of that size.
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
const jSchSign = bench('noble schnorr secp256k1 sign (350 B)', 'sign_us', () => {
  sink += schnorr.sign(txBytes, sk, zeroAux).length;
});
const jSchVerify = bench('noble schnorr secp256k1 verify (350 B)', 'verify_share_us', () => {
  sink += schnorr.verify(schSig, txBytes, pk) ? 1 : 0;
});

// Aggregate verify = sum the signers' public keys (one point addition each), then one verify.
const P = schnorr.Point;
const points = Array.from({ length: 64 }, (_, i) => P.BASE.multiply(BigInt(i + 2)));
const jPointAdd = bench(
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
  `calibrate: node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.cpus().length}, ` +
    `${os.platform()} ${os.arch()}, ${RUN_MS} ms per operation`,
);
lines.push('');
lines.push(`| ${'operation'.padEnd(opWidth)} | ${'ops/s'.padStart(12)} | ${'µs/op'.padStart(9)} |`);
lines.push(`|${'-'.repeat(opWidth + 2)}|${'-'.repeat(14)}:|${'-'.repeat(11)}:|`.replace(/:\|/g, '|'));
for (const r of rows) {
  lines.push(
    `| ${r.operation.padEnd(opWidth)} | ${fmtOps(r.ops_per_s).padStart(12)} | ${fmtUs(r.us_per_op).padStart(9)} |`,
  );
}

// Native estimates of what has no node:crypto equivalent: scale the noble figure by the
// native/noble ratio of the closest operation that both have.
const verifyScale = nEcdsaVerify.us_per_op / jSchVerify.us_per_op;
const estShareVerify = nEcdsaVerify.us_per_op; // BIP-340 verify ≈ ECDSA verify: one double-scalar mult
const estPointAdd = jPointAdd.us_per_op * verifyScale;
lines.push('');
lines.push('Cost table (µs, one core) against native (OpenSSL-class) speed on this machine:');
const cmp: [keyof typeof DEFAULT_COSTS, number, string][] = [
  ['verify_tx_us', nEcdsaVerify.us_per_op, 'native ECDSA verify'],
  ['verify_share_us', estShareVerify, '≈ native ECDSA verify (no native schnorr in node)'],
  ['verify_aggregate_us', estShareVerify, '≈ one verify against the summed key'],
  ['verify_aggregate_per_signer_us', estPointAdd, `noble point add x native/noble verify ratio ${verifyScale.toFixed(3)}`],
  ['sign_us', nEcdsaSign.us_per_op, 'native ECDSA sign'],
  ['hash_per_kib_us', nSha1k.us_per_op, `native sha256 1 KiB (streaming: ${fmtUs(nSha64k.us_per_op)})`],
  ['merkle_path_us', nSha64.us_per_op * 12, 'native sha256 64 B x 12 levels (4096 leaves)'],
];
for (const [name, measured, how] of cmp) {
  lines.push(
    `  ${name.padEnd(31)} default ${String(DEFAULT_COSTS[name]).padStart(4)}   measured ${fmtUs(measured).padStart(7)}   (${how})`,
  );
}
lines.push(`  (sink ${sink & 1})`);
process.stdout.write(lines.join('\n') + '\n');
if (JSON_OUT) {
  process.stdout.write(
    JSON.stringify({ node: process.version, run_ms: RUN_MS, rows: rows.map(({ note: _n, ...r }) => r) }) + '\n',
  );
}
