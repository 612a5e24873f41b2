/**
 * Stake formulas (docs/PROTOCOL.md §6) and stake-weighted Follow-The-Satoshi selection (§7.3).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { StakeInput } from './scenario.js';

/** Validator stake = min(floor(sqrt((deposit + votes/2) * credit)), 5000); comprehensive = max(stake, 1). */
export function validatorComprehensiveStake(s: StakeInput): number {
  const stake = Math.min(Math.floor(Math.sqrt((s.deposit_top + s.votes / 2) * s.credit)), 5000);
  return Math.max(stake, 1);
}

/** Auditor stake = (deposit + votes/2) * credit (floored to an integer, as the code's uint64). */
export function auditorStake(s: StakeInput): number {
  return Math.floor((s.deposit_top + s.votes / 2) * s.credit);
}

/**
 * Comprehensive stake of `advance` roles: rank by stake (ties by position), cut the ranking into
 * segments of 27, segment k gets floor(1e8 * 0.9^k), minimum 1; stake 0 gets 1.
 */
export function auditorComprehensiveStakes(stakes: readonly number[]): number[] {
  const order = stakes.map((s, i) => i).sort((a, b) => stakes[b] - stakes[a] || a - b);
  const out = new Array<number>(stakes.length).fill(1);
  order.forEach((idx, rank) => {
    if (stakes[idx] === 0) return;
    let v = 1e8;
    for (let k = 0; k < Math.floor(rank / 27); k++) v *= 0.9;
    out[idx] = Math.max(1, Math.floor(v));
  });
  return out;
}

/** A 64-bit draw from a label, as a BigInt (sha256, first 8 bytes). */
export function draw64(label: string): bigint {
  const h = sha256(new TextEncoder().encode(label));
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(h[i]);
  return x;
}

/** Picks one index with probability proportional to its (integer) weight. */
export function ftsPickOne(weights: readonly number[], r64: bigint): number {
  let total = 0n;
  for (const w of weights) total += BigInt(w);
  if (total === 0n) throw new Error('ftsPickOne: total weight is 0');
  let target = (r64 * total) >> 64n;
  for (let i = 0; i < weights.length; i++) {
    const w = BigInt(weights[i]);
    if (target < w) return i;
    target -= w;
  }
  return weights.length - 1;
}
