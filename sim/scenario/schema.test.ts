import { describe, expect, test } from 'vitest';
import { DEFAULT_COSTS } from '../crypto/costs.js';
import { ScenarioError } from './errors.js';
import { parseScenario } from './load.js';
import type { Scenario } from './types.js';

/** The ScenarioError a parse throws; fails the test if it does not throw one. */
function errorOf(data: unknown): ScenarioError {
  try {
    parseScenario(data);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error(`expected a ScenarioError for ${JSON.stringify(data)}`);
}

describe('defaults', () => {
  // A file with only a name becomes a complete normalized Scenario with every documented default.
  test('a minimal scenario is filled to a full Scenario', () => {
    const s = parseScenario({ name: 'x' });
    // The default family's full scenario (TOP's sections beside the envelope).
    const expected: Record<string, unknown> = {
      schema_version: 1,
      name: 'x',
      description: '',
      seed: 1,
      duration_us: 60_000_000,
      warmup_us: 5_000_000,
      crypto: 'modeled',
      replica_state: 'shared',
      variant: 'impl',
      network: {
        intra_region_us: 1_000,
        jitter_percent: 5,
        loss_percent: 0,
        duplicate_percent: 0,
        relay_fanout: 4,
        failure_detect_us: 5_000_000,
        fidelity: 'packet',
      },
      topology: {
        tables: 1, auditor_groups: 1, validator_groups_per_auditor: 1, validators: 7, auditors: 7, edges: 1,
        beacons: 0, archives: 0, standby_validators: 0, standby_auditors: 0, placement: 'round_robin',
      },
      hardware: {
        validator: { cores: 2, upload_bps: 100_000_000, download_bps: 100_000_000 },
        auditor: { cores: 4, upload_bps: 200_000_000, download_bps: 200_000_000 },
        beacon: { cores: 4, upload_bps: 200_000_000, download_bps: 200_000_000 },
        archive: { cores: 4, upload_bps: 200_000_000, download_bps: 200_000_000 },
        edge: { cores: 2, upload_bps: 100_000_000, download_bps: 100_000_000 },
      },
      stake: {
        validator: { deposit_top: 500_000, votes: 0, credit: 0.33 },
        auditor: { deposit_top: 1_000_000, votes: 0, credit: 0.33 },
        overrides: {},
      },
      protocol: {
        family: 'top',
        block_txs_max: 288,
        pack_immediate_txs: 200,
        pack_retry_us: 50_000,
        pack_thresholds: [
          { until_us: 200_000, min_txs: 200 },
          { until_us: 500_000, min_txs: 100 },
          { until_us: 1_000_000, min_txs: 50 },
        ],
        full_block_interval: 128,
        clock_interval_us: 10_000_000,
        view_clock_ticks: 3,
        proposal_expiry_us: 15_000_000,
        pool_txs_max: 1024,
        account_pending_max: 16,
        edge_flush_us: 20_000,
        sync_retry_us: 1_000_000,
        recv_per_block_max: 220,
        confirm_per_block_max: 160,
        receipt_resend_us: 64_000_000,
        receipt_pull_us: 64_000_000,
        receipt_state_us: 64_000_000,
        receipt_min_age_us: 60_000_000,
        receipts_unconfirmed_max: 2048,
        receipt_state_in_blocks: true,
      },
      elections: {
        cluster_interval: 1080, trigger_interval: 31, clusters_per_trigger: 2, rotation_percent: 8,
        min_rotation_ratio_percent: 66, max_auditor_group_size: 64, max_validator_group_size: 128,
        leader_election_rounds: 2, leader_min_credit: 0.1,
      },
      costs: { ...DEFAULT_COSTS },
      sizes: {
        tx_bytes: 350,
        vote_bytes: 250,
        qc_bytes: 400,
        proposal_header_bytes: 600,
        unit_per_account_bytes: 150,
        receipt_bytes: 1200,
        state_per_account_bytes: 100,
        sync_request_bytes: 100,
        receipt_state_proof_bytes: 1500,
      },
      workload: {
        accounts: 1000,
        rate_tps: 50,
        schedule: { kind: 'constant', rate_tps: 50 },
        arrival: 'poisson',
        start_us: 0,
        stop_us: 60_000_000,
        amount_max: 100,
        genesis_balance: 1_000_000_000,
        popularity: { kind: 'uniform' },
        intra_share_percent: null,
        system_call_percent: 0,
      },
      faults: [],
      byzantine: [],
      sabotage: { quorum_shortfall: 0, ledger_mint: false, skip_nonce_check: false, replay_nonce_percent: 0 },
      checks: { liveness_bound_us: 90_000_000 },
    };
    const { latency, ...network } = s.network;
    expect({ ...s, network }).toEqual(expected);
    expect(latency.dataset).toBe('wittgenstein-aws-rtt-2019');
    expect(latency.regions).toHaveLength(11);
    expect(latency.matrix_us).toHaveLength(11);
    expect(latency.source).toMatch(/^wittgenstein-aws-rtt-2019: .*Apache-2\.0/);
  });

  // Defaults inside a section still apply when the section is only partly written.
  test('a partly written section keeps the other defaults', () => {
    const s = parseScenario({ name: 'x', hardware: { auditor: { cores: 8 } }, stake: { overrides: { v3: { deposit_top: 9_000_000 } } } }) as Scenario & {
      stake: { overrides: unknown };
    };
    expect(s.hardware.auditor).toEqual({ cores: 8, upload_bps: 200_000_000, download_bps: 200_000_000 });
    expect(s.stake.overrides).toEqual({ v3: { deposit_top: 9_000_000 } });
  });

  // workload.stop follows the run's duration unless written.
  test('workload.stop defaults to the duration', () => {
    expect(parseScenario({ name: 'x', duration: '2m' }).workload.stop_us).toBe(120_000_000);
    expect(parseScenario({ name: 'x', duration: '2m', workload: { stop: '90s' } }).workload.stop_us).toBe(90_000_000);
  });

  // Faults normalize to µs fields, with null for a missing `until` and defaults for table, b, direction.
  test('faults are normalized', () => {
    const s = parseScenario({
      name: 'x',
      faults: [
        { kind: 'crash', at: '20s', until: '50s', nodes: ['v3'] },
        { kind: 'crash_leader', view: 12 },
        { kind: 'partition', at: '10s', a: ['v0', 'v1'] },
      ],
      byzantine: [{ nodes: ['v0', 'a0'], behavior: 'equivocate' }],
    });
    expect(s.faults).toEqual([
      { kind: 'crash', at_us: 20_000_000, until_us: 50_000_000, nodes: ['v3'], state: 'kept' },
      { kind: 'crash_leader', view: 12, table: 0, until_us: null },
      { kind: 'partition', at_us: 10_000_000, until_us: null, a: ['v0', 'v1'], b: [], direction: 'both' },
    ]);
    expect(s.byzantine).toEqual([{ nodes: ['v0', 'a0'], behavior: 'equivocate', at_us: 0, until_us: null, delay_us: 5_000_000, tries: 16, favor: [] }]);
  });

  // The uniform pseudo-dataset has one region whose only link carries one_way.
  test('uniform latency', () => {
    const s = parseScenario({ name: 'x', network: { latency: { dataset: 'uniform', one_way: '20ms' } } });
    expect(s.network.latency.regions).toEqual(['uniform']);
    expect(s.network.latency.matrix_us).toEqual([[20_000]]);
  });

  // An editor's `$schema` key is accepted and dropped.
  test('$schema is ignored', () => {
    expect(parseScenario({ $schema: './scenario.schema.json', name: 'x' })).toEqual(parseScenario({ name: 'x' }));
  });
});

describe('unknown keys', () => {
  // An unknown key is rejected at any depth, naming its full path and the keys that would be valid.
  test.each([
    [{ name: 'x', speed: 1 }, 'speed: unknown key (expected one of $schema, schema_version, name, description, seed,'],
    [{ name: 'x', network: { jitter: 3 } }, 'network.jitter: unknown key (expected one of latency, intra_region, jitter_percent, loss_percent,'],
    [{ name: 'x', network: { latency: { region: ['London'] } } }, 'network.latency.region: unknown key (expected one of dataset, regions, one_way)'],
    [{ name: 'x', hardware: { validator: { ram: '8GB' } } }, 'hardware.validator.ram: unknown key (expected one of cores, upload, download)'],
    [{ name: 'x', stake: { overrides: { v1: { stake: 3 } } } }, 'stake.overrides.v1.stake: unknown key (expected one of deposit_top, votes, credit)'],
    [{ name: 'x', protocol: { pack_thresholds: [{ until: '1s', min_txs: 1, max_txs: 2 }] } }, 'protocol.pack_thresholds[0].max_txs: unknown key (expected one of until, min_txs)'],
    [{ name: 'x', faults: [{ kind: 'crash', at: '1s', nodes: ['v0'], node: 'v1' }] }, 'faults[0].node: unknown key (expected one of kind, at, until, nodes, state)'],
    [{ name: 'x', costs: { verify_us: 3 } }, 'costs.verify_us: unknown key (expected one of verify_tx_us, verify_share_us,'],
  ])('%j', (data, message) => {
    expect(errorOf(data).message.startsWith(message)).toBe(true);
  });

  // Several unknown keys in one object give one issue each.
  test('each unknown key is its own issue', () => {
    expect(errorOf({ name: 'x', foo: 1, bar: 2 }).issues.map((i) => i.path)).toEqual(['foo', 'bar']);
  });
});

describe('malformed input', () => {
  // Each malformed file gives exactly this first line: the path, what was expected, what was found.
  test.each<[string, unknown, string]>([
    ['missing name', {}, 'name: required key is missing (expected a name like "default" (lowercase letters, digits, ".", "_", "-"))'],
    ['not a mapping', null, '(root): expected a mapping, got null'],
    ['bad name', { name: 'My Run' }, 'name: expected a name like "default" (lowercase letters, digits, ".", "_", "-"), got "My Run"'],
    ['schema version', { name: 'x', schema_version: 2 }, 'schema_version: expected 1, got 2'],
    ['validators 0', { name: 'x', topology: { validators: 0 } }, 'topology.validators: expected an integer from 1 to 512, got 0'],
    ['validators as string', { name: 'x', topology: { validators: '7' } }, 'topology.validators: expected an integer from 1 to 512, got "7"'],
    ['tables not a multiple of groups', { name: 'x', topology: { tables: 6, auditor_groups: 2, validator_groups_per_auditor: 2 } }, 'topology.tables: expected a multiple of the 4 validator groups (each owns an equal range of tables), got 6'],
    ['tables too many', { name: 'x', topology: { tables: 2048 } }, 'topology.tables: expected an integer from 1 to 1024, got 2048'],
    ['variant', { name: 'x', variant: 'paper' }, 'variant: expected one of impl, design, got "paper"'],
    ['family', { name: 'x', protocol: { family: 'bitcoin' } }, 'protocol.family: expected one of top, bystack, got "bitcoin"'],
    ['crypto', { name: 'x', crypto: 'fast' }, 'crypto: expected one of real, modeled, got "fast"'],
    ['fidelity', { name: 'x', network: { fidelity: 'fluid' } }, 'network.fidelity: expected one of packet, flow, got "fluid"'],
    ['replica_state', { name: 'x', replica_state: 'mine' }, 'replica_state: expected one of shared, own, got "mine"'],
    ['seed', { name: 'x', seed: -1 }, 'seed: expected a non-negative integer, got -1'],
    ['seed too big', { name: 'x', seed: 2 ** 60 }, `seed: expected a non-negative integer, got ${2 ** 60}`],
    ['duration word', { name: 'x', duration: 'long' }, 'duration: expected a duration like "30s" (greater than 0), got "long"'],
    ['duration zero', { name: 'x', duration: '0s' }, 'duration: expected a duration like "30s" (greater than 0), got "0s"'],
    ['bare number duration', { name: 'x', warmup: 5 }, 'warmup: expected a duration like "30s", got 5'],
    [
      'fault time',
      { name: 'x', faults: [{ kind: 'crash', at: '1s', nodes: ['v0'] }, { kind: 'crash', at: '2s', nodes: ['v1'] }, { kind: 'crash', at: 'soon', nodes: ['v2'] }] },
      'faults[2].at: expected a duration like "30s", got "soon"',
    ],
    ['fault kind', { name: 'x', faults: [{ kind: 'crush', at: '1s' }] }, 'faults[0].kind: expected one of crash, crash_leader, partition, degrade, clock, join, leave, rotate, drop_receipts, got "crush"'],
    ['fault without kind', { name: 'x', faults: [{ at: '1s' }] }, 'faults[0].kind: required key is missing (expected one of crash, crash_leader, partition, degrade, clock, join, leave, rotate, drop_receipts)'],
    ['fault not a mapping', { name: 'x', faults: ['crash'] }, 'faults[0]: expected a mapping, got "crash"'],
    ['faults not a list', { name: 'x', faults: { kind: 'crash' } }, 'faults: expected a list of faults, got a mapping'],
    ['empty node list', { name: 'x', faults: [{ kind: 'crash', at: '1s', nodes: [] }] }, 'faults[0].nodes: expected a non-empty list of node selectors, got an empty list'],
    [
      'bad selector',
      { name: 'x', byzantine: [{ nodes: ['v0', 'bob'], behavior: 'equivocate' }] },
      'byzantine[0].nodes[1]: expected a node name like "v3", a role (validators, auditors, edges, beacons, archives, all), ' +
        'standby, vgroup:N, agroup:N, cluster:N, table:N, region:NAME, or "K of S" / "P% of S" for a seeded choice from S, got "bob"',
    ],
    ['behavior', { name: 'x', byzantine: [{ nodes: ['v0'], behavior: 'lie' }] }, 'byzantine[0].behavior: expected one of equivocate, double_vote, silent, withhold_votes, delay_proposals, invalid_execution, withhold_receipts, grind_seed, got "lie"'],
    ['bandwidth', { name: 'x', hardware: { edge: { upload: '100MB' } } }, 'hardware.edge.upload: expected a bandwidth like "100Mbps" (from 1bps to 1Tbps), got "100MB"'],
    ['zero bandwidth', { name: 'x', hardware: { edge: { download: '0Mbps' } } }, 'hardware.edge.download: expected a bandwidth like "100Mbps" (from 1bps to 1Tbps), got "0Mbps"'],
    ['percent', { name: 'x', network: { loss_percent: 120 } }, 'network.loss_percent: expected a number from 0 to 100, got 120'],
    ['fanout', { name: 'x', network: { relay_fanout: 2.5 } }, 'network.relay_fanout: expected an integer from 1 to 64, got 2.5'],
    ['boolean', { name: 'x', sabotage: { ledger_mint: 'yes' } }, 'sabotage.ledger_mint: expected true or false, got "yes"'],
    ['credit', { name: 'x', stake: { validator: { credit: 0 } } }, 'stake.validator.credit: expected a number from 0.1 to 1, got 0'],
    ['cost', { name: 'x', costs: { verify_tx_us: -1 } }, 'costs.verify_tx_us: expected a number from 0 to 10000000, got -1'],
    ['size', { name: 'x', sizes: { tx_bytes: 0 } }, 'sizes.tx_bytes: expected an integer from 1 to 100000000, got 0'],
    ['accounts', { name: 'x', workload: { accounts: 1 } }, 'workload.accounts: expected an integer from 2 to 10000000, got 1'],
    ['arrival', { name: 'x', workload: { arrival: 'burst' } }, 'workload.arrival: expected one of constant, poisson, got "burst"'],
    ['dataset', { name: 'x', network: { latency: { dataset: 'mars' } } }, 'network.latency.dataset: expected one of wittgenstein-aws-rtt-2019, libp2p-aws-cloudping-rtt-2023, simblock-2019, wondernetwork-city-rtt-2018, uniform, got "mars"'],
    ['section as scalar', { name: 'x', network: 'fast' }, 'network: expected a mapping, got "fast"'],
  ])('%s', (_label, data, line) => {
    expect(errorOf(data).message).toBe(line);
  });
});

describe('cross-field rules', () => {
  // Rules that relate two fields are checked once the sections parse, with the path of the field to fix.
  test.each<[string, unknown, string]>([
    ['warmup >= duration', { name: 'x', duration: '10s', warmup: '10s' }, 'warmup: expected less than duration (10s), got "10s"'],
    ['stop > duration', { name: 'x', workload: { stop: '70s' } }, 'workload.stop: expected at most duration (60s), got "70s"'],
    ['start > stop', { name: 'x', workload: { start: '30s', stop: '20s' } }, 'workload.start: expected at most workload.stop (20s), got "30s"'],
    ['until <= at', { name: 'x', faults: [{ kind: 'crash', at: '30s', until: '10s', nodes: ['v1'] }] }, 'faults[0].until: expected a time after at (30s), got "10s"'],
    ['unknown node', { name: 'x', faults: [{ kind: 'crash', at: '1s', nodes: ['v0', 'v9'] }] }, 'faults[0].nodes[1]: unknown node "v9" (topology has v0..v6, a0..a6, e0)'],
    [
      'unknown node, other topology',
      { name: 'x', topology: { validators: 1, edges: 3 }, faults: [{ kind: 'partition', at: '1s', a: ['v0'], b: ['e3'] }] },
      'faults[0].b[0]: unknown node "e3" (topology has v0, a0..a6, e0..e2)',
    ],
    ['partition overlap', { name: 'x', faults: [{ kind: 'partition', at: '1s', a: ['v0'], b: ['validators'] }] }, 'faults[0].b[0]: node "v0" is on both sides of the partition (it is also in a)'],
    ['partition of everyone', { name: 'x', faults: [{ kind: 'partition', at: '1s', a: ['all'] }] }, 'faults[0].a: covers every node, and b is empty (everyone else), so the partition would cut nothing'],
    ['crash_leader table', { name: 'x', faults: [{ kind: 'crash_leader', view: 3, table: 1 }] }, 'faults[0].table: expected a table from 0 to 0, got 1'],
    ['byzantine node', { name: 'x', byzantine: [{ nodes: ['a7'], behavior: 'equivocate' }] }, 'byzantine[0].nodes[0]: unknown node "a7" (topology has v0..v6, a0..a6, e0)'],
    ['override unknown', { name: 'x', stake: { overrides: { v9: { votes: 1 } } } }, 'stake.overrides.v9: unknown node "v9" (topology has v0..v6, a0..a6)'],
    ['override edge', { name: 'x', stake: { overrides: { e0: { votes: 1 } } } }, 'stake.overrides.e0: expected a validator or auditor name like "v3" or "a0", got "e0"'],
    ['override role word', { name: 'x', stake: { overrides: { all: { votes: 1 } } } }, 'stake.overrides.all: expected a validator or auditor name like "v3" or "a0", got "all"'],
    [
      'thresholds not increasing',
      { name: 'x', protocol: { pack_thresholds: [{ until: '200ms', min_txs: 200 }, { until: '200ms', min_txs: 100 }] } },
      'protocol.pack_thresholds[1].until: expected a duration greater than the previous entry\'s 200ms, got "200ms"',
    ],
    ['unknown region', { name: 'x', network: { latency: { regions: ['Frankfurt', 'Paris'] } } }, 'network.latency.regions[1]: unknown region "Paris" for dataset wittgenstein-aws-rtt-2019 (expected one of Oregon, Virginia, Mumbai, Seoul, Singapore, Sydney, Tokyo, Canada central, Frankfurt, Ireland, London)'],
    ['duplicate region', { name: 'x', network: { latency: { regions: ['London', 'London'] } } }, 'network.latency.regions[1]: region "London" is listed twice'],
    ['uniform needs one_way', { name: 'x', network: { latency: { dataset: 'uniform' } } }, 'network.latency.one_way: required key is missing (expected a duration like "30s" when dataset is "uniform")'],
    ['one_way only for uniform', { name: 'x', network: { latency: { dataset: 'simblock-2019', one_way: '20ms' } } }, 'network.latency.one_way: only allowed with dataset "uniform" (dataset is "simblock-2019", whose latencies come from measurements)'],
  ])('%s', (_label, data, line) => {
    expect(errorOf(data).message).toBe(line);
  });

  // Role words select whole roles, so they are valid whatever the topology.
  test('role selectors are accepted', () => {
    const s = parseScenario({ name: 'x', faults: [{ kind: 'partition', at: '1s', a: ['validators'], b: ['auditors', 'edges'] }] });
    expect(s.faults[0]).toMatchObject({ a: ['validators'], b: ['auditors', 'edges'] });
  });
});

describe('protocol.family', () => {
  test('defaults to top, and a file written back leaves the default out', async () => {
    const { scenarioToFile } = await import('./schema.js');
    const sc = parseScenario({ name: 'x' });
    expect(sc.protocol.family).toBe('top');
    expect('family' in (scenarioToFile(sc).protocol as object)).toBe(false);
    expect(parseScenario({ name: 'x', protocol: { family: 'top' } })).toEqual(sc);
  });
});
