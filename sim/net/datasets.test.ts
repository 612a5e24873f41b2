import { describe, expect, test } from 'vitest';
import { parseScenario } from '../scenario/load.js';
import libp2pAws from './data/libp2p-aws-cloudping-rtt-2023.json' with { type: 'json' };
import simblock from './data/simblock-regions.json' with { type: 'json' };
import wittgensteinAws from './data/wittgenstein-aws-rtt-2019.json' with { type: 'json' };
import wonderNetwork from './data/wondernetwork-city-rtt-2018.json' with { type: 'json' };
import { DATASETS, DATASET_NAMES, buildLatencyMatrix, uniformDataset } from './datasets.js';

const rtt = (regions: readonly string[], m: readonly (readonly (number | null)[])[], from: string, to: string) =>
  m[regions.indexOf(from)]![regions.indexOf(to)]!;

describe('datasets', () => {
  // The four shipped datasets are offered, plus the synthetic "uniform".
  test('names', () => {
    expect(DATASET_NAMES).toEqual([
      'wittgenstein-aws-rtt-2019',
      'libp2p-aws-cloudping-rtt-2023',
      'simblock-2019',
      'wondernetwork-city-rtt-2018',
      'uniform',
    ]);
    expect(DATASETS['wondernetwork-city-rtt-2018']!.regions).toHaveLength(40);
    expect(DATASETS['libp2p-aws-cloudping-rtt-2023']!.regions).toContain('eu-central-1');
  });

  // An RTT dataset gives one-way latency = RTT / 2, in µs: Frankfurt→London from the file itself.
  test('wittgenstein: one-way is RTT/2', () => {
    const { regions, rtt_ms } = wittgensteinAws;
    const m = buildLatencyMatrix('wittgenstein-aws-rtt-2019', ['Frankfurt', 'London'], 1_000);
    expect(m[0]![1]).toBe(rtt(regions, rtt_ms, 'Frankfurt', 'London') * 500);
    expect(m[1]![0]).toBe(m[0]![1]);
  });

  // Where the dataset has no figure (diagonal 0 or null), intra_region is used.
  test('diagonal uses intra_region', () => {
    expect(buildLatencyMatrix('wittgenstein-aws-rtt-2019', ['Frankfurt', 'London'], 1_234)).toEqual([
      [1_234, 6_500],
      [6_500, 1_234],
    ]);
    const w = buildLatencyMatrix('wondernetwork-city-rtt-2018', ['Tokyo', 'Sydney'], 777);
    expect(w[0]![0]).toBe(777);
    expect(w[1]![1]).toBe(777);
  });

  // The libp2p table is directional and its measured diagonal is kept.
  test('libp2p: directional RTT/2 with measured diagonal', () => {
    const { aws_region_codes: codes, rtt_ms } = libp2pAws;
    const pair = codes.flatMap((a) => codes.map((b) => [a, b] as const)).find(([a, b]) => rtt(codes, rtt_ms, a, b) !== rtt(codes, rtt_ms, b, a))!;
    const m = buildLatencyMatrix('libp2p-aws-cloudping-rtt-2023', [pair[0], pair[1]], 1_000);
    expect(m[0]![1]).toBe(rtt(codes, rtt_ms, pair[0], pair[1]) * 500);
    expect(m[1]![0]).toBe(rtt(codes, rtt_ms, pair[1], pair[0]) * 500);
    expect(m[0]![1]).not.toBe(m[1]![0]);
    expect(m[0]![0]).toBe(rtt(codes, rtt_ms, pair[0], pair[0]) * 500);
  });

  // SimBlock's 2019 table is one-way already and is used as-is (×1000 to µs), diagonal included.
  test('simblock: one-way as-is', () => {
    const m = buildLatencyMatrix('simblock-2019', ['EUROPE', 'JAPAN'], 1_000);
    const { regions, latency_ms_2019 } = simblock;
    expect(m).toEqual([
      [rtt(regions, latency_ms_2019, 'EUROPE', 'EUROPE') * 1000, rtt(regions, latency_ms_2019, 'EUROPE', 'JAPAN') * 1000],
      [rtt(regions, latency_ms_2019, 'JAPAN', 'EUROPE') * 1000, rtt(regions, latency_ms_2019, 'JAPAN', 'JAPAN') * 1000],
    ]);
  });

  // WonderNetwork uses the symmetrised average RTT, halved and rounded to whole µs.
  test('wondernetwork: symmetrised RTT/2, rounded', () => {
    const names = wonderNetwork.cities.map((c) => c.name);
    const m = buildLatencyMatrix('wondernetwork-city-rtt-2018', ['New York', 'London'], 1_000);
    const expected = Math.round(rtt(names, wonderNetwork.rtt_avg_ms_symmetric, 'New York', 'London') * 500);
    expect(m[0]![1]).toBe(expected);
    expect(m[1]![0]).toBe(expected);
  });

  // Every link of every dataset is a positive integer of µs, as the engine's lookahead requires.
  test('all latencies are positive integers', () => {
    for (const [name, ds] of Object.entries(DATASETS)) {
      const m = buildLatencyMatrix(name, ds.regions, 1);
      expect(m).toHaveLength(ds.regions.length);
      for (const row of m) for (const us of row) expect(Number.isSafeInteger(us) && us > 0).toBe(true);
      expect(ds.source.startsWith(`${name}: `)).toBe(true);
      expect(ds.source).not.toContain('\n');
    }
  });

  // Unknown datasets and labels are refused with the valid choices.
  test('unknown names throw', () => {
    expect(() => buildLatencyMatrix('mars', ['x'], 1)).toThrow('unknown latency dataset "mars"');
    expect(() => buildLatencyMatrix('simblock-2019', ['EUROPA'], 1)).toThrow('unknown region "EUROPA" (expected one of NORTH_AMERICA,');
    expect(() => buildLatencyMatrix('simblock-2019', ['EUROPE'], 0)).toThrow('must be a positive integer');
    expect(() => uniformDataset(0)).toThrow('must be a positive integer');
  });

  // A scenario's matrix is the dataset's, for its regions in the order written.
  test('scenario matrix follows the regions order', () => {
    const s = parseScenario({ name: 'x', network: { latency: { regions: ['London', 'Frankfurt', 'Ireland'] }, intra_region: '2ms' } });
    expect(s.network.latency.matrix_us).toEqual(buildLatencyMatrix('wittgenstein-aws-rtt-2019', ['London', 'Frankfurt', 'Ireland'], 2_000));
    expect(s.network.latency.matrix_us[0]![0]).toBe(2_000);
  });
});
