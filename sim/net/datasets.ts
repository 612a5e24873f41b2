/**
 * Measured inter-region latency datasets, shipped as network defaults.
 *
 * The JSON files in ./data are copies of measured tables (see ./data/README.md for source, license
 * and units). This module turns each into one-way latencies in integer microseconds, so the rest of
 * the simulator never sees milliseconds, round-trip times or floats:
 *
 * - RTT datasets are halved (one-way = RTT / 2), as the simulators they come from do.
 * - A dataset may have no figure for a pair (diagonal 0 = not measured, or null): `oneWayUs` then
 *   returns null and the scenario's `intra_region` fills the gap.
 *
 * The JSON is imported statically so the same code bundles for the browser (vite) and runs in Node.
 */
import libp2pAws from './data/libp2p-aws-cloudping-rtt-2023.json' with { type: 'json' };
import simblock from './data/simblock-regions.json' with { type: 'json' };
import wittgensteinAws from './data/wittgenstein-aws-rtt-2019.json' with { type: 'json' };
import wonderNetwork from './data/wondernetwork-city-rtt-2018.json' with { type: 'json' };

export interface LatencyDataset {
  /** Region labels, in the dataset's order; `oneWayUs(i, j)` indexes this list. */
  readonly regions: readonly string[];
  /** One-way latency in µs from regions[i] to regions[j]; null where the dataset has no figure. */
  oneWayUs(i: number, j: number): number | null;
  /** One line: dataset name, upstream, license. Goes into reports. */
  readonly source: string;
}

/** The dataset name that stands for "one latency between every pair of nodes". */
export const UNIFORM_DATASET = 'uniform';

/** Milliseconds (integer or fractional) to integer µs. `half` turns an RTT into one-way. */
function msToUs(ms: number, half: boolean): number {
  return Math.round(half ? ms * 500 : ms * 1000);
}

/** A dataset over a square matrix of ms values, where 0 and null mean "not measured". */
function fromMatrixMs(
  regions: readonly string[],
  matrix_ms: readonly (readonly (number | null)[])[],
  isRtt: boolean,
  source: string,
): LatencyDataset {
  const n = regions.length;
  if (matrix_ms.length !== n || matrix_ms.some((row) => row.length !== n)) {
    throw new Error(`latency dataset "${source}": matrix is not ${n}x${n}`);
  }
  // Converted once here, so a lookup is an index into precomputed integers.
  const us: (number | null)[][] = matrix_ms.map((row) =>
    row.map((v) => (v === null || v === 0 ? null : msToUs(v, isRtt))),
  );
  return {
    regions,
    oneWayUs(i: number, j: number): number | null {
      const row = us[i];
      if (row === undefined || j < 0 || j >= n) {
        throw new RangeError(`region index out of range: (${i}, ${j}) for ${n} regions`);
      }
      return row[j] ?? null;
    },
    source,
  };
}

export const DATASETS: Readonly<Record<string, LatencyDataset>> = Object.freeze({
  'wittgenstein-aws-rtt-2019': fromMatrixMs(
    wittgensteinAws.regions,
    wittgensteinAws.rtt_ms,
    true,
    'wittgenstein-aws-rtt-2019: AWS inter-region RTT/2 from cloudping.co (Jan 2019) via Consensys/wittgenstein@fe0414c; Apache-2.0',
  ),
  'libp2p-aws-cloudping-rtt-2023': fromMatrixMs(
    libp2pAws.aws_region_codes,
    libp2pAws.rtt_ms,
    true,
    'libp2p-aws-cloudping-rtt-2023: AWS inter-region RTT/2 (directional) from cloudping.co via libp2p/jvm-libp2p@267a4d4; MIT OR Apache-2.0',
  ),
  'simblock-2019': fromMatrixMs(
    simblock.regions,
    simblock.latency_ms_2019,
    false,
    'simblock-2019: one-way mean latency between 6 regions (2019 table) from dsg-titech/simblock@5fc7f9f; Apache-2.0',
  ),
  'wondernetwork-city-rtt-2018': fromMatrixMs(
    wonderNetwork.cities.map((c) => c.name),
    wonderNetwork.rtt_avg_ms_symmetric,
    true,
    'wondernetwork-city-rtt-2018: 40-city ping RTT/2, symmetrised, from WonderNetwork (Nov 2018) via Consensys/wittgenstein@fe0414c; Apache-2.0 (repository), credit WonderNetwork',
  ),
});

/** Names accepted by `network.latency.dataset`, in a stable order (the default first). */
export const DATASET_NAMES: readonly string[] = Object.freeze([...Object.keys(DATASETS), UNIFORM_DATASET]);

/** The `uniform` pseudo-dataset: one region, every link `one_way_us`. */
export function uniformDataset(one_way_us: number): LatencyDataset {
  if (!Number.isSafeInteger(one_way_us) || one_way_us <= 0) {
    throw new RangeError(`uniform latency must be a positive integer of µs, got ${one_way_us}`);
  }
  return {
    regions: [UNIFORM_DATASET],
    oneWayUs: () => one_way_us,
    source: `uniform: ${one_way_us} µs one-way between every pair of nodes (synthetic)`,
  };
}

/**
 * The one-way latency matrix (integer µs) over `regions`, a list of the dataset's labels:
 * `m[i][j]` is from regions[i] to regions[j]. Pairs without a figure (the diagonal of most
 * datasets) get `intraUs`. Throws on an unknown label or a non-positive result, because the
 * engine's lookahead needs every link latency > 0.
 */
export function buildLatencyMatrix(
  dataset: string | LatencyDataset,
  regions: readonly string[],
  intraUs: number,
): number[][] {
  const ds = typeof dataset === 'string' ? DATASETS[dataset] : dataset;
  if (ds === undefined) {
    throw new Error(`unknown latency dataset "${String(dataset)}" (expected one of ${Object.keys(DATASETS).join(', ')})`);
  }
  if (!Number.isSafeInteger(intraUs) || intraUs <= 0) {
    throw new RangeError(`intra-region latency must be a positive integer of µs, got ${intraUs}`);
  }
  const index = regions.map((label) => {
    const i = ds.regions.indexOf(label);
    if (i < 0) throw new Error(`unknown region "${label}" (expected one of ${ds.regions.join(', ')})`);
    return i;
  });
  return index.map((i) =>
    index.map((j) => {
      const us = ds.oneWayUs(i, j) ?? intraUs;
      if (!(us > 0)) throw new RangeError(`latency ${ds.regions[i]} -> ${ds.regions[j]} is ${us} µs, must be > 0`);
      return us;
    }),
  );
}
