import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { DATASETS } from '../net/datasets.js';
import { jsonSyntaxError, parseScenario, parseScenarioText } from './load.js';
import { scenarioToFile } from './schema.js';
import { formatDuration } from './units.js';

const SECOND = 1_000_000;

/** A duration string in one of several spellings, for an integer number of milliseconds. */
const durationText = (ms: number) =>
  fc.constantFrom(`${ms}ms`, formatDuration(ms * 1000), ms % 1000 === 0 ? `${ms / 1000}s` : `${ms * 1000}us`);

const bandwidthText = fc.constantFrom('10bps', '800kbps', '100Mbps', '1.5Gbps', '1Gbps');

// Built once: constructing some arbitraries (stringMatching compiles its regex) is costly, and
// the ones inside `chain` below are rebuilt for every generated scenario.
const name = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/);
const stakeOverride = fc.record(
  { deposit_top: fc.integer({ min: 0, max: 10_000_000 }), votes: fc.nat(1000), credit: fc.double({ min: 0.1, max: 1, noNaN: true }) },
  { requiredKeys: [] },
);
const hw = fc.record({ cores: fc.integer({ min: 1, max: 16 }), upload: bandwidthText, download: bandwidthText }, { requiredKeys: [] });

/** Any valid scenario file, as the object a YAML or JSON parser would produce. */
const scenarioFile = fc
  .record({
    duration_s: fc.integer({ min: 2, max: 600 }),
    validators: fc.integer({ min: 1, max: 12 }),
    auditors: fc.integer({ min: 1, max: 12 }),
    edges: fc.integer({ min: 1, max: 4 }),
    dataset: fc.constantFrom(...Object.keys(DATASETS), 'uniform'),
  })
  .chain(({ duration_s, validators, auditors, edges, dataset }) => {
    const duration_ms = duration_s * 1000;
    const node = fc.oneof(
      fc.integer({ min: 0, max: validators - 1 }).map((i) => `v${i}`),
      fc.integer({ min: 0, max: auditors - 1 }).map((i) => `a${i}`),
      fc.integer({ min: 0, max: edges - 1 }).map((i) => `e${i}`),
      fc.constantFrom('validators', 'auditors', 'edges', 'all'),
    );
    const nodes = fc.array(node, { minLength: 1, maxLength: 3 });
    const at_ms = fc.integer({ min: 0, max: duration_ms - 1 });
    const atUntil = at_ms.chain((at) =>
      fc.record(
        { at: durationText(at), until: fc.integer({ min: at + 1, max: duration_ms * 2 }).chain(durationText) },
        { requiredKeys: ['at'] },
      ),
    );
    const fault = fc.oneof(
      fc.tuple(atUntil, nodes).map(([t, n]) => ({ kind: 'crash', ...t, nodes: n })),
      fc
        .record(
          { view: fc.integer({ min: 0, max: 100 }), table: fc.constant(0), until: fc.integer({ min: 1, max: duration_ms }).chain(durationText) },
          { requiredKeys: ['view'] },
        )
        .map((f) => ({ kind: 'crash_leader', ...f })),
      fc
        .record({ t: atUntil, a: fc.constantFrom(['v0'], ['validators']), direction: fc.constantFrom('both', 'a_to_b') })
        .map(({ t, a, direction }) => ({ kind: 'partition', ...t, a, b: a[0] === 'v0' ? ['a0'] : [], direction })),
    );
    const labels = dataset === 'uniform' ? ['uniform'] : [...DATASETS[dataset]!.regions];
    const latency =
      dataset === 'uniform'
        ? fc.record({ dataset: fc.constant(dataset), one_way: fc.integer({ min: 1, max: 300 }).chain(durationText) })
        : fc.record(
            { dataset: fc.constant(dataset), regions: fc.shuffledSubarray(labels, { minLength: 1 }) },
            { requiredKeys: ['dataset'] },
          );
    return fc.record(
      {
        name,
        description: fc.string({ maxLength: 20 }),
        seed: fc.nat(),
        duration: durationText(duration_ms),
        warmup: fc.integer({ min: 0, max: duration_ms - 1 }).chain(durationText),
        crypto: fc.constantFrom('real', 'modeled'),
        network: fc.record(
          {
            latency,
            intra_region: fc.integer({ min: 1, max: 50 }).chain(durationText),
            jitter_percent: fc.integer({ min: 0, max: 100 }),
            loss_percent: fc.double({ min: 0, max: 100, noNaN: true }),
            duplicate_percent: fc.integer({ min: 0, max: 100 }),
            relay_fanout: fc.integer({ min: 1, max: 64 }),
            failure_detect: fc.integer({ min: 1, max: 20_000 }).chain(durationText),
          },
          { requiredKeys: [] },
        ),
        topology: fc.record(
          {
            tables: fc.constant(1),
            validators: fc.constant(validators),
            auditors: fc.constant(auditors),
            edges: fc.constant(edges),
            placement: fc.constantFrom('round_robin', 'seeded'),
          },
          { requiredKeys: ['validators', 'auditors', 'edges'] },
        ),
        hardware: fc.record({ validator: hw, auditor: hw, edge: hw }, { requiredKeys: [] }),
        stake: fc.record(
          {
            validator: stakeOverride,
            overrides: fc.dictionary(fc.integer({ min: 0, max: validators - 1 }).map((i) => `v${i}`), stakeOverride, { maxKeys: 3 }),
          },
          { requiredKeys: [] },
        ),
        protocol: fc.record(
          {
            block_txs_max: fc.integer({ min: 1, max: 1000 }),
            pack_thresholds: fc
              .uniqueArray(fc.integer({ min: 1, max: 5000 }), { maxLength: 4 })
              .map((xs) => [...xs].sort((a, b) => a - b).map((ms, i) => ({ until: `${ms}ms`, min_txs: 200 - i * 50 }))),
            edge_flush: fc.integer({ min: 1, max: 1000 }).chain(durationText),
          },
          { requiredKeys: [] },
        ),
        costs: fc.record({ verify_tx_us: fc.double({ min: 0, max: 1000, noNaN: true }), sign_us: fc.nat(100) }, { requiredKeys: [] }),
        sizes: fc.record({ tx_bytes: fc.integer({ min: 1, max: 10_000 }) }, { requiredKeys: [] }),
        workload: fc.record(
          {
            accounts: fc.integer({ min: 2, max: 100_000 }),
            rate_tps: fc.double({ min: 0, max: 10_000, noNaN: true }),
            arrival: fc.constantFrom('constant', 'poisson'),
            start: fc.constant('0s'),
            stop: fc.integer({ min: 0, max: duration_ms }).chain(durationText),
          },
          { requiredKeys: [] },
        ),
        faults: fc.array(fault, { maxLength: 3 }),
        byzantine: fc.array(fc.record({ nodes, behavior: fc.constant('equivocate') }), { maxLength: 2 }),
        sabotage: fc.record(
          { quorum_shortfall: fc.nat(3), ledger_mint: fc.boolean(), skip_nonce_check: fc.boolean(), replay_nonce_percent: fc.integer({ min: 0, max: 100 }) },
          { requiredKeys: [] },
        ),
      },
      // Always written: node names above are drawn from the topology's counts, and times from
      // the duration (whose default, 60s, and warmup's, 5s, could contradict them).
      { requiredKeys: ['name', 'topology', 'duration', 'warmup'] },
    );
  });

describe('round trip', () => {
  // Any valid file parses; written out as YAML or JSON and read back, it gives the same scenario;
  // and the scenario written back in the file format (scenarioToFile) parses to itself.
  test('valid scenarios parse and survive re-serialisation', () => {
    fc.assert(
      fc.property(scenarioFile, (file) => {
        const s = parseScenario(file);
        expect(parseScenarioText(stringify(file), 'x.yaml')).toEqual(s);
        expect(parseScenarioText(JSON.stringify(file), 'x.json')).toEqual(s);
        expect(parseScenario(scenarioToFile(s))).toEqual(s);
        expect(parseScenarioText(stringify(scenarioToFile(s)), 'x.yaml')).toEqual(s);
      }),
      { numRuns: 200, seed: 20240601 },
    );
  });

  // Every duration in a normalized scenario is an integer number of µs and every latency > 0.
  test('normalized values are integers', () => {
    fc.assert(
      fc.property(scenarioFile, (file) => {
        const s = parseScenario(file);
        for (const row of s.network.latency.matrix_us) {
          for (const us of row) {
            expect(Number.isSafeInteger(us) && us > 0).toBe(true);
          }
        }
        expect(Number.isSafeInteger(s.duration_us) && s.duration_us >= 2 * SECOND).toBe(true);
        expect(s.workload.stop_us).toBeLessThanOrEqual(s.duration_us);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe('JSON error locator', () => {
  // The scanner that locates JSON syntax errors accepts everything JSON.stringify writes.
  test('accepts valid JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2), (v, indent) => jsonSyntaxError(JSON.stringify(v, null, indent)) === null),
      { numRuns: 500 },
    );
  });

  // Wherever JSON.parse fails, the scanner finds an error too (so a syntax error always gets a line).
  test('finds an error wherever JSON.parse fails', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom('', ',', '}', ']', ':', '"', 'x'), (v, at, junk) => {
        const good = JSON.stringify(v, null, 1);
        const cut = at % (good.length + 1);
        const text = good.slice(0, cut) + junk + good.slice(cut + (junk === '' ? 1 : 0));
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        return parses === (jsonSyntaxError(text) === null);
      }),
      { numRuns: 1000 },
    );
  });
});
