/**
 * CPU cost table: microseconds of one core's time per operation.
 *
 * Both crypto modes charge these same costs, so simulated time never depends on whether
 * signatures are real. The defaults follow PROTOCOL.md MC-8 and are checked against native
 * speeds measured on the reference machine by `npm run calibrate` (see sim/crypto/COSTS.md).
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

export const DEFAULT_COSTS: Readonly<CostTable> = Object.freeze({
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
