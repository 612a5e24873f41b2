/**
 * CPU cost table: microseconds of one core's time per operation.
 *
 * Both crypto modes charge these same costs, so simulated time never depends on whether
 * signatures are real. The defaults model TOP's C++ node and are calibrated against native speeds
 * measured on the reference machine by `npm run calibrate` plus one-off C measurements of the
 * libraries TOP links; sim/crypto/COSTS.md has the table, the reasoning, and what changed from
 * docs/PROTOCOL.md MC-8 and why.
 */
export interface CostTable {
  /** Verify one user transaction signature (secp256k1). */
  verify_tx_us: number;
  /** Verify one consensus vote (a Schnorr signature share). */
  verify_share_us: number;
  /** Verify one group's aggregate signature: base part. */
  verify_aggregate_us: number;
  /** Verify one group's aggregate signature: extra per signer in the bitmap. */
  verify_aggregate_per_signer_us: number;
  /** Produce one signature (vote share, or a client's transaction). */
  sign_us: number;
  /** Hash one KiB (block ids, Merkle roots, message digests). */
  hash_per_kib_us: number;
  /** Execute one transaction leg against table state (leader or replica re-execution). */
  execute_tx_us: number;
  /** Check one Merkle path (receipts). */
  merkle_path_us: number;
  /** Fixed cost of handling one message: decode and dispatch. */
  message_base_us: number;
}

/**
 * Defaults (µs, one core of the 2.45 GHz reference machine). The vote multisignature costs follow
 * TOP's own code path: xmutisig does Schnorr on secp256k1 with OpenSSL's generic EC_POINT
 * arithmetic and compressed points, measured at ~345 µs per s·G + e·P and ~23 µs per point
 * decode; MC-8's 80/150/1 assumed libsecp256k1-class speed and are kept as `MC8_COSTS`.
 * Transaction signatures (libsecp256k1, ~49 µs per ECDSA recover) keep MC-8's 60 µs.
 */
export const DEFAULT_COSTS: Readonly<CostTable> = Object.freeze({
  verify_tx_us: 60,
  verify_share_us: 400,
  verify_aggregate_us: 375,
  verify_aggregate_per_signer_us: 25,
  sign_us: 420,
  hash_per_kib_us: 3,
  execute_tx_us: 30,
  merkle_path_us: 5,
  message_base_us: 5,
});

/**
 * The values of docs/PROTOCOL.md MC-8 as first written (all signature work at libsecp256k1-class
 * speed). Not the default; kept so that a scenario or a sensitivity sweep can select the
 * optimistic profile (`costs: { verify_share_us: 80, ... }`) and compare.
 */
export const MC8_COSTS: Readonly<CostTable> = Object.freeze({
  verify_tx_us: 60,
  verify_share_us: 80,
  verify_aggregate_us: 150,
  verify_aggregate_per_signer_us: 1,
  sign_us: 50,
  hash_per_kib_us: 3,
  execute_tx_us: 30,
  merkle_path_us: 5,
  message_base_us: 5,
});
