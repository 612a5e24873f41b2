// Public API of sim/crypto: hashing, signatures (real | modeled) and the CPU cost table.
export {
  DIGEST_BYTES,
  Encoder,
  HashArena,
  bytesEqual,
  fromHex,
  hex,
  merklePath,
  merkleRoot,
  merkleRootOfArena,
  sha256,
  sha256Hex,
  verifyMerklePath,
} from './hash.js';
export type { MerkleStep } from './hash.js';
export { ACCOUNT_KEY_BASE, VERIFY_MEMO_MAX, bip340, createSigner } from './signer.js';
export type { CryptoMode, Signer, SignerOptions, SignerStats } from './signer.js';
export { DEFAULT_COSTS, MC8_COSTS } from './costs.js';
export type { CostTable } from './costs.js';
