/**
 * Static network facts: region of each node, one-way latency between regions, partitions.
 * Everything here is fixed before the run (derived from the scenario and seed), so it is
 * immutable shared data, never mutable state between nodes.
 */
export interface PartitionWindow {
  at_us: number;
  until_us: number; // Infinity when it never heals
  inA: Uint8Array; // 1 when the node is on side a
  inB: Uint8Array;
  oneWay: boolean; // true: only a -> b is cut
}

/** Link degradation between two node sets for a time window (a `degrade` fault). */
export interface DegradeWindow extends PartitionWindow {
  /** Added one-way latency. */
  latency_us: number;
  /** Added jitter, percent of the degraded link's latency. */
  jitter_percent: number;
  /** Extra loss and duplication, in basis points (1/100 of a percent). */
  loss_bp: number;
  duplicate_bp: number;
  /** Each copy is held back a uniform time up to this, so copies sent close together reorder. */
  reorder_us: number;
  /** The sender's uplink runs at this percent of its rate for copies on these links. */
  bandwidth_percent: number;
}

export class NetTopology {
  constructor(
    readonly region: Int32Array,
    /** One-way base latency, µs, [from region][to region]. */
    readonly latency_us: Int32Array[],
    readonly partitions: PartitionWindow[],
    readonly degradations: DegradeWindow[] = [],
  ) {}

  /** Whether window `w` covers a copy from `from` to `to` sent at `t_us`. */
  covers(w: PartitionWindow, from: number, to: number, t_us: number): boolean {
    if (t_us < w.at_us || t_us >= w.until_us) return false;
    return (w.inA[from] === 1 && w.inB[to] === 1) || (!w.oneWay && w.inB[from] === 1 && w.inA[to] === 1);
  }

  baseLatency(from: number, to: number): number {
    return this.latency_us[this.region[from]][this.region[to]];
  }

  /** The smallest one-way latency between any two regions in use: the lookahead. */
  minLatency(): number {
    let m = Infinity;
    for (const row of this.latency_us) for (const v of row) if (v < m) m = v;
    return m;
  }

  blocked(from: number, to: number, t_us: number): boolean {
    for (const p of this.partitions) if (this.covers(p, from, to, t_us)) return true;
    return false;
  }
}

/** Serialization time of `bytes` on a link of `bps`, integer µs, rounded up. */
export function serializationUs(bytes: number, bps: number): number {
  const us = Math.ceil((bytes * 8_000_000) / bps);
  return us < TIME_HORIZON_US ? us : TIME_HORIZON_US;
}

/**
 * A time past every run (runs last at most a week, 2^39 µs): link queues stop here, so a huge
 * message on a slow link can never push a time past 2^53, where µs stop being exact integers.
 * Nothing at or past it happens within a run.
 */
export const TIME_HORIZON_US = 2 ** 52;

/**
 * A relay tree over an ordered member list: position 0 is the root, the children of position p
 * are p*fanout+1 .. p*fanout+fanout. Built once per broadcast and shared read-only by relays.
 */
export interface RelayTree {
  readonly order: Int32Array;
  readonly fanout: number;
}
