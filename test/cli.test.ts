import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, readdirSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../sim/cli/main.js';
import { planSweep } from '../sim/cli/sweep.js';
import { capture } from './helpers.js';
import { withFifo } from './fifo.js';

const ROOT = join(import.meta.dirname, '..');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'topsim-cli-'));
}

const SMALL = `name: cli-small
duration: 8s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 50, rate_tps: 20 }
`;

describe('CLI', () => {
  it('run --json prints only the summary JSON and writes the report atomically', async () => {
    // Proves the run command's contract: JSON on stdout, summary.json + timeseries.csv + report.html.
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    const code = await main(['run', file, '--json', '--out', join(dir, 'out'), '--seed', '5'], c.io);
    expect(code).toBe(0);
    const s = JSON.parse(c.out());
    for (const k of ['schema_version', 'scenario', 'seed', 'digest', 'events', 'sim_s', 'tps_final', 'tps_slots',
      'latency_final_ms', 'violations', 'wall']) expect(s).toHaveProperty(k);
    for (const k of ['p50', 'p90', 'p99', 'max']) expect(s.latency_final_ms.all).toHaveProperty(k);
    for (const k of ['wall_s', 'events_per_wall_s', 'sim_s_per_wall_s', 'peak_rss_bytes']) expect(s.wall).toHaveProperty(k);
    expect(s.seed).toBe(5);
    expect(s.digest).toMatch(/^[0-9a-f]{64}$/);
    const out = join(dir, 'out', 'cli-small', '5');
    expect(readdirSync(out).sort()).toEqual(['report.html', 'summary.json', 'timeseries.csv']);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).digest).toBe(s.digest);
    expect(readdirSync(join(dir, 'out', 'cli-small')).filter((f) => f.includes('tmp'))).toEqual([]);
    // --duration overrides the file.
    const c2 = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out'), '--duration', '4s'], c2.io)).toBe(0);
    expect(JSON.parse(c2.out()).sim_s).toBe(4);
  });

  it('replay re-runs the scenario a summary recorded and checks its digest', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out'), '--seed', '9', '--duration', '5s', '--workers', '1'], c.io)).toBe(0);
    const summaryFile = join(dir, 'out', 'cli-small', '9', 'summary.json');
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    // The overrides are part of the recorded scenario.
    expect(s.scenario_file.seed).toBe(9);
    expect(s.scenario_file.duration).toBe('5s');
    const ok = capture();
    expect(await main(['replay', summaryFile, '--workers', '2'], ok.io)).toBe(0);
    expect(ok.out()).toMatch(new RegExp(`^replay: same digest ${s.digest} .*recorded by topsim \\S+, replayed by topsim `));
    // A summary whose digest no longer matches: exit 1, both digests and versions named.
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...s, digest: 'f'.repeat(64), simulator_version: '0.0.9' }));
    const bad = capture();
    expect(await main(['replay', tampered, '--workers', '1'], bad.io)).toBe(1);
    expect(bad.out()).toContain(`recorded ${'f'.repeat(64)}, replayed ${s.digest}`);
    expect(bad.out()).toContain('recorded by topsim 0.0.9');
    // Bad input: exit 2, one line naming the problem.
    const cases: [unknown, RegExp][] = [
      [{ ...s, scenario_file: undefined }, /scenario_file: missing/],
      [{ ...s, scenario_file: { ...s.scenario_file, duration: 'soon' } }, /scenario_file\.duration: /],
      [[1, 2], /expected a summary object, got an array/],
    ];
    for (const [body, re] of cases) {
      const f = join(dir, 'case.json');
      writeFileSync(f, JSON.stringify(body));
      const e = capture();
      expect(await main(['replay', f], e.io)).toBe(2);
      expect(e.err().split('\n')[0]).toMatch(re);
    }
    writeFileSync(join(dir, 'junk.json'), 'not json');
    expect(await main(['replay', join(dir, 'junk.json')], capture().io)).toBe(2);
  });

  it('replay accepts a summary of an older schema: it reads only digest and scenario_file', async () => {
    // Version 3 wrote 0 for the latencies of an empty class; version 4 writes null. Both replay.
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out'), '--seed', '3', '--duration', '4s', '--workers', '1'], c.io)).toBe(0);
    const s = JSON.parse(c.out());
    expect(s.schema_version).toBe(4);
    expect(s.latency_final_ms.cross_table).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
    const v3 = {
      ...s,
      schema_version: 3,
      latency_final_ms: { ...s.latency_final_ms, cross_table: { count: 0, p50: 0, p90: 0, p99: 0, max: 0 } },
      latency_cdf_ms: { ...s.latency_cdf_ms, cross_table: [] },
    };
    const minimal = { digest: s.digest, scenario_file: s.scenario_file };
    for (const [name, body] of [['v3', v3], ['minimal', minimal]] as const) {
      const f = join(dir, `${name}.json`);
      writeFileSync(f, JSON.stringify(body));
      const r = capture();
      expect(await main(['replay', f, '--workers', '1'], r.io), name).toBe(0);
      expect(r.out()).toMatch(new RegExp(`^replay: same digest ${s.digest} `));
    }
  });

  it('run prints a summary table without --json', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL);
    const c = capture();
    expect(await main(['run', file, '--out', join(dir, 'out')], c.io)).toBe(0);
    expect(c.out()).toMatch(/digest\s+[0-9a-f]{64}/);
    expect(c.out()).toMatch(/report: /);
    expect(c.err()).toBe(''); // no progress bar when stderr is not a terminal
  });

  it('exits 1 when an invariant is violated', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, SMALL + 'sabotage: { ledger_mint: true }\n');
    const c = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out')], c.io)).toBe(1);
    expect(JSON.parse(c.out()).violations[0].check).toBe('conservation');
  });

  it('bad input and usage exit 2 with one line naming the problem, and write nothing', async () => {
    const dir = tmp();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\ntopology: { validators: 0 }\nfaults: [{ kind: crash, at: soon, nodes: [v1] }]\n');
    const cases: [string[], RegExp][] = [
      [['validate', bad], /^error: (topology\.validators|faults\[0\]\.at): expected/],
      [['run', bad, '--out', join(dir, 'out')], /^error: (topology\.validators|faults\[0\]\.at): expected/],
      [['validate', join(dir, 'missing.yaml')], /file not found/],
      [['run', bad, '--bogus'], /^error: unknown option --bogus/],
      [['run'], /^error: missing scenario file/],
      [['frobnicate'], /^error: unknown command "frobnicate"/],
      [['run', join(ROOT, 'scenarios', 'default.yaml'), '--seed', '-3'], /^error: --seed: expected an integer/],
      [['run', join(ROOT, 'scenarios', 'default.yaml'), '--duration', 'soon'], /^error: --duration: expected a duration like "30s", got "soon"/],
      [['run', join(ROOT, 'scenarios', 'default.yaml'), '--crypto', 'fast'], /^error: --crypto: expected real or modeled/],
      [['run', join(ROOT, 'scenarios', 'default.yaml'), '--fidelity', 'fluid'], /^error: --fidelity: expected packet, flow, got "fluid"/],
      [['run', join(ROOT, 'scenarios', 'default.yaml'), '--replica-state', 'mine'], /^error: --replica-state: expected shared, own, got "mine"/],
    ];
    for (const [argv, re] of cases) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(2);
      expect(c.err(), argv.join(' ')).toMatch(re);
      expect(c.err()).not.toMatch(/\n\s+at /); // no stack trace
      expect(c.out()).toBe('');
    }
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('malformed fault and byzantine entries exit 2 naming the entry, and write nothing', async () => {
    const dir = tmp();
    const cases: [string, string][] = [
      ['- { kind: crash, at: 5s, nodes: [v1], state: lost }', 'faults[0].state: expected `until` with state: lost'],
      ['- { kind: clock, at: 5s, nodes: [v1], skew: soon }', 'faults[0].skew: expected a duration like "30s", optionally signed'],
      ['- { kind: clock, at: 5s, nodes: [v1] }', 'faults[0]: expected a skew or a drift_ppm other than 0'],
      ['- { kind: join, at: 5s, nodes: [v0] }', 'faults[0].nodes[0]: node "v0" is not a standby validator or auditor'],
      ['- { kind: leave, at: 5s, nodes: [e0] }', 'faults[0].nodes[0]: node "e0" is not a validator or auditor'],
      ['- { kind: rotate, at: 5s, clusters: [3] }', 'faults[0].clusters[0]: expected a cluster from 0 to 0, got 3'],
      ['- { kind: partition, at: 7s, until: 5s, a: [v0] }', 'faults[0].until: expected a time after at (7s), got "5s"'],
      ['- { kind: degrade, at: 5s, a: [region:Mars], latency: 5ms }', 'faults[0].a[0]: unknown region "Mars"'],
    ];
    for (const [entry, line] of cases) {
      const f = join(dir, 'bad.yaml');
      writeFileSync(f, `${SMALL}faults:\n  ${entry}\n`);
      const c = capture();
      expect(await main(['run', f, '--out', join(dir, 'out')], c.io), entry).toBe(2);
      expect(c.err(), entry).toContain(`error: ${line}`);
      expect(c.err().trim().split('\n'), entry).toHaveLength(1);
    }
    const byz = join(dir, 'byz.yaml');
    writeFileSync(byz, `${SMALL}byzantine:\n  - { nodes: [v1], behavior: silent, tries: 4 }\n`);
    const c = capture();
    expect(await main(['run', byz, '--out', join(dir, 'out')], c.io)).toBe(2);
    expect(c.err()).toContain('error: byzantine[0].tries: applies only to behavior grind_seed, not silent');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('validate accepts every shipped scenario', async () => {
    for (const f of readdirSync(join(ROOT, 'scenarios')).filter((x) => x.endsWith('.yaml'))) {
      const c = capture();
      expect(await main(['validate', join(ROOT, 'scenarios', f)], c.io), f).toBe(0);
      expect(c.out()).toMatch(/^ok: /);
    }
    // Node counts are per group times groups, plus standby, REC and archive nodes.
    const c = capture();
    expect(await main(['validate', join(ROOT, 'scenarios', 'top-mainnet.yaml')], c.io)).toBe(0);
    expect(c.out()).toContain('64 tables, 680 nodes (512 validators, 128 auditors, 8 edges, 32 REC beacons)');
  });

  it('as a process: `npm run sim -- validate` on a malformed file exits 2 with a path-naming line', async () => {
    // Proves the real entry point (tsx + main) maps errors to exit codes, not stack traces.
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', network: { jitter_percent: 150 } }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'sim', 'cli', 'entry.ts'), 'validate', bad], {
      cwd: ROOT, encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: network\.jitter_percent: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

/** Characters that must not reach a terminal raw (a newline ends each line and is allowed). */
const RAW = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

/** Runs the CLI and checks the contract for bad input: exit 2, one short printable error line, nothing on stdout. */
async function refused(argv: string[]): Promise<string> {
  const c = capture();
  const code = await main(argv, c.io);
  const what = argv.join(' ').slice(0, 200);
  expect(code, what).toBe(2);
  expect(c.out(), what).toBe('');
  const lines = c.err().split('\n').filter((l) => l !== '');
  expect(lines[0], what).toMatch(/^error: /);
  // A usage error adds where to find the usage; nothing else is printed.
  expect(lines.slice(1).every((l) => /^run "npm run sim -- help" for usage$/.test(l)), what).toBe(true);
  for (const l of lines) {
    expect(l.length, what).toBeLessThanOrEqual(560);
    expect(RAW.test(l), `${what}: ${l.slice(0, 100)}`).toBe(false);
  }
  return lines[0]!;
}

describe('CLI: malformed input is exit 2 with one bounded line', () => {
  // Item: parse failures that used to end in a stack trace and exit 1.
  it('an alias bomb and deeply nested JSON or YAML exit 2 naming the file', async () => {
    const dir = tmp();
    let y = 'name: x\na: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 0; i < 8; i++) y += `b${i}: &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]\n`;
    writeFileSync(join(dir, 'bomb.yaml'), y);
    writeFileSync(join(dir, 'deep.json'), '['.repeat(200_000));
    writeFileSync(join(dir, 'deep-valid.json'), '['.repeat(200_000) + ']'.repeat(200_000));
    writeFileSync(join(dir, 'deep-valid.yaml'), '['.repeat(200_000) + ']'.repeat(200_000));
    expect(await refused(['validate', join(dir, 'bomb.yaml')])).toBe(
      `error: ${join(dir, 'bomb.yaml')}: invalid YAML: its aliases expand too far (more than 100 nodes through aliases; an alias bomb?)`,
    );
    expect(await refused(['run', join(dir, 'deep.json'), '--out', join(dir, 'out')])).toBe(
      `error: ${join(dir, 'deep.json')}:1:200001: invalid JSON: unexpected end of file`,
    );
    expect(await refused(['validate', join(dir, 'deep-valid.json')])).toBe(
      `error: ${join(dir, 'deep-valid.json')}:1:65: nested too deeply: more than 64 levels of lists and mappings`,
    );
    expect(await refused(['validate', join(dir, 'deep-valid.yaml')])).toMatch(/deep-valid\.yaml:1:\d+: nested too deeply: /);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  // Item: echoes of values, keys, flag values and file names are cut and escaped.
  it('echoed input is cut to a short prefix and escaped', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'huge.yaml'), `name: x\nseed: "${'x'.repeat(3_000_000)}"\n`);
    expect(await refused(['validate', join(dir, 'huge.yaml')])).toBe(
      `error: seed: expected a non-negative integer, got "${'x'.repeat(60)}…" (3000000 characters)`,
    );
    // Binary junk without a NUL byte parses as one YAML string: shown by its first characters.
    const junk = Buffer.from(Array.from({ length: 27_000 }, (_, i) => 0x80 + ((i * 7919) % 0x7f)));
    writeFileSync(join(dir, 'junk.yaml'), junk);
    expect(await refused(['validate', join(dir, 'junk.yaml')])).toMatch(/^error: \(root\): expected a mapping, got ".*…" \(\d+ characters\)$/);
    writeFileSync(join(dir, 'bidi.yaml'), 'name: x\nseed: "\u202e\u009b31m evil"\n"\u202ekey": 1\n');
    expect(await refused(['validate', join(dir, 'bidi.yaml')])).toBe('error: seed: expected a non-negative integer, got "\\u202e\\u009b31m evil"');
    writeFileSync(join(dir, 'bidi-key.yaml'), 'name: x\n"\u202ekey": 1\n');
    expect(await refused(['validate', join(dir, 'bidi-key.yaml')])).toMatch(/^error: \["\\u202ekey"\]: unknown key/);
    const def = join(ROOT, 'scenarios', 'default.yaml');
    expect(await refused(['run', def, '--crypto', `\u202e${'c'.repeat(100_000)}`])).toBe(
      `error: --crypto: expected real or modeled, got "\\u202e${'c'.repeat(59)}…" (100001 characters)`,
    );
    await refused(['run', def, `--\u009b${'f'.repeat(100_000)}`]);
    await refused(['run', def, '--duration', `\u001b[2J${'9'.repeat(100_000)}`]);
    await refused(['run', def, '--trace-window', `\u202e${'1'.repeat(100_000)}..2s`]);
    await refused([`\u202e${'r'.repeat(100_000)}`]);
    await refused(['validate', join(dir, `\u202e${'n'.repeat(200)}.yaml`)]);
    await refused(['sweep', def, '--set', `\u202e${'k'.repeat(100_000)}=1,2`]);
    await refused(['sweep', def, '--set', `tables=\u202e${'1'.repeat(100_000)}`]);
  });

  // Item: only regular files are read, by every command that reads a file the user names.
  it.skipIf(process.platform === 'win32')('a FIFO is refused by run, validate, sweep, replay, swarm --base and bench --suite', async () => {
    const dir = tmp();
    const yaml = join(dir, 'fifo.yaml');
    const json = join(dir, 'fifo.json');
    const fifo = (f: string) => `error: ${f}: is a FIFO (named pipe), not a regular file`;
    await withFifo(yaml, 'name: fifo\nduration: soon\n', async () => {
      expect(await refused(['validate', yaml])).toBe(fifo(yaml));
      expect(await refused(['run', yaml, '--out', join(dir, 'out')])).toBe(fifo(yaml));
      expect(await refused(['sweep', yaml, '--set', 'tables=1,2', '--out', join(dir, 'out')])).toBe(fifo(yaml));
      expect(await refused(['swarm', '--seeds', '1', '--base', yaml, '--out', join(dir, 'out')])).toBe(fifo(yaml));
    });
    await withFifo(json, 'not json', async () => {
      expect(await refused(['replay', json])).toBe(fifo(json));
      expect(await refused(['bench', '--suite', json, '--log', join(dir, 'bench.jsonl')])).toBe(`error: --suite ${json}: cannot read it (is a FIFO (named pipe), not a regular file)`);
      expect(await refused(['merge', json])).toBe(fifo(json));
    });
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, 'bench.jsonl'))).toBe(false);
  });

  // A file too large to be a scenario is refused from its size; a byte-order mark is skipped; !!binary is named.
  it('oversized files, byte-order marks and !!binary', async () => {
    const dir = tmp();
    const big = join(dir, 'big.yaml');
    writeFileSync(big, SMALL);
    truncateSync(big, 50 * 2 ** 20);
    expect(await refused(['run', big])).toBe(`error: ${big}: is too large to be a scenario: 52428800 bytes (50 MiB); the limit is 4 MiB`);
    writeFileSync(join(dir, 'bom.json'), '\uFEFF' + JSON.stringify({ name: 'bom' }));
    writeFileSync(join(dir, 'bom.yaml'), '\uFEFFname: bom\n');
    for (const f of ['bom.json', 'bom.yaml']) {
      const c = capture();
      expect(await main(['validate', join(dir, f)], c.io), f).toBe(0);
      expect(c.out()).toMatch(/^ok: .*scenario "bom"/);
    }
    writeFileSync(join(dir, 'bin.yaml'), 'name: x\nnetwork: !!binary aGVsbG8=\n');
    expect(await refused(['validate', join(dir, 'bin.yaml')])).toBe(
      'error: network: expected a mapping, list, string, number, true/false or null, got binary data (!!binary)',
    );
  });

  // Item: integers and durations past 2^53 are refused as too large, naming the limit.
  it('values past 2^53 are too large, in files and flags', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'big.yaml'), 'name: x\nseed: 1152921504606846976\n');
    writeFileSync(join(dir, 'big.json'), '{"name": "x", "seed": 1152921504606846976}');
    for (const f of ['big.yaml', 'big.json']) {
      expect(await refused(['validate', join(dir, f)])).toBe(
        'error: seed: integer 1152921504606846976 is too large: the limit is 9007199254740991 (2^53 - 1)',
      );
    }
    const def = join(ROOT, 'scenarios', 'default.yaml');
    const tooLong = '"2500000000h" is too large: a duration is at most 9007199254740991us (2^53 - 1 µs, about 285 years)';
    expect(await refused(['run', def, '--duration', '2500000000h'])).toBe(`error: --duration: ${tooLong}`);
    expect(await refused(['run', def, '--warmup', '2500000000h'])).toBe(`error: --warmup: ${tooLong}`);
    expect(await refused(['sweep', def, '--set', 'duration=20s,2500000000h'])).toBe(`error: --set duration=2500000000h: duration: ${tooLong}`);
    expect(await refused(['swarm', '--seeds', '1', '--duration', '2500000000h'])).toBe(`error: --duration: ${tooLong}`);
    writeFileSync(join(dir, 'long.yaml'), 'name: x\nduration: 2500000000h\n');
    expect(await refused(['validate', join(dir, 'long.yaml')])).toBe(`error: duration: ${tooLong}`);
    expect(await refused(['run', def, '--seed', '1152921504606846976'])).toBe(
      'error: --seed: expected an integer from 0 to 9007199254740991, got "1152921504606846976" (too large)',
    );
    expect(await refused(['sweep', def, '--set', 'seed=1,1152921504606846976'])).toBe(
      'error: --set seed=1,1152921504606846976: integer 1152921504606846976 is too large: the limit is 9007199254740991 (2^53 - 1)',
    );
  });

  // Item: --warmup shortens the warm-up with the duration, so a large scenario can be smoke-tested.
  it('--warmup overrides the warm-up for run and sweep, checked against the duration', async () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, SMALL.replace('warmup: 1s', 'warmup: 6s'));
    const c = capture();
    expect(await main(['run', file, '--json', '--out', join(dir, 'out'), '--duration', '4s', '--warmup', '1s'], c.io)).toBe(0);
    const s = JSON.parse(c.out());
    expect(s.sim_s).toBe(4);
    expect(s.scenario_file.warmup).toBe('1s');
    expect(s.tx_final).toBeGreaterThan(0);
    expect(await refused(['run', file, '--duration', '4s', '--warmup', '4s'])).toBe('error: --warmup: expected less than the duration (4s), got "4s"');
    expect(await refused(['run', file, '--duration', '4s'])).toBe(`error: --duration: expected more than the scenario's warmup (6s), got "4s"`);
    expect(await refused(['run', file, '--warmup', 'soon'])).toBe('error: --warmup: expected a duration like "30s", got "soon"');
    expect(await refused(['replay', join(dir, 'out', 'cli-small', '1', 'summary.json'), '--warmup', '1s'])).toMatch(/^error: unknown option --warmup/);
    const plan = planSweep([file, '--set', 'tables=1,2', '--duration', '4s', '--warmup', '1s'], 1);
    expect(plan.points.map((p) => [p.scenario.duration_us, p.scenario.warmup_us])).toEqual([[4_000_000, 1_000_000], [4_000_000, 1_000_000]]);
    expect(await refused(['sweep', file, '--set', 'tables=1,2', '--warmup', '9s'])).toBe(
      `error: --warmup: expected less than the scenario's duration (8s), got "9s"`,
    );
  });

  // Item: every command prints its usage on --help/-h; typos get "did you mean".
  it('--help for every command, and did-you-mean for commands, options and files', async () => {
    for (const cmd of ['run', 'replay', 'validate', 'swarm', 'sweep', 'merge', 'bench']) {
      // Help wins over anything else on the line, even arguments that would be errors.
      for (const argv of [[cmd, '--help'], [cmd, '-h'], ['help', cmd], [cmd, 'x.yaml', '--seed', '-3', '--bogus', '--help']]) {
        const c = capture();
        expect(await main(argv, c.io), argv.join(' ')).toBe(0);
        expect(c.err()).toBe('');
        expect(c.out(), argv.join(' ')).toMatch(new RegExp(`^usage: npm run sim -- ${cmd} \\[options\\]\\n\\n  ${cmd} `));
      }
    }
    for (const argv of [['help'], ['help', '--help'], ['--help'], ['-h']]) {
      const c = capture();
      expect(await main(argv, c.io), argv.join(' ')).toBe(0);
      expect(c.out()).toMatch(/^usage: npm run sim -- <command> \[options\]\n\ncommands:\n  run /);
    }
    const c = capture();
    expect(await main(['run', '--help'], c.io)).toBe(0);
    expect(c.out()).toContain('--warmup 5s');
    expect(c.out()).not.toContain('  sweep <scenario');
    const def = join(ROOT, 'scenarios', 'default.yaml');
    expect(await refused(['rnu', def])).toBe('error: unknown command "rnu" (did you mean run?)');
    expect(await refused(['vaildate', def])).toBe('error: unknown command "vaildate" (did you mean validate?)');
    expect(await refused(['frobnicate'])).toMatch(/^error: unknown command "frobnicate" \(expected run, replay, /);
    expect(await refused(['help', 'swram'])).toBe('error: unknown command "swram" (did you mean swarm?)');
    expect(await refused(['run', def, '--sed', '3'])).toBe('error: unknown option --sed (did you mean --seed?)');
    expect(await refused(['run', def, '--wramup=1s'])).toBe('error: unknown option --wramup (did you mean --warmup?)');
    expect(await refused(['run', def, '-seed', '3'])).toBe('error: unknown option -seed (did you mean --seed?)');
    expect(await refused(['sweep', def, '--sets', 'tables=1'])).toBe('error: unknown option --sets (did you mean --set?)');
    expect(await refused(['bench', '--suite', 'cii'])).toMatch(/^error: --suite: expected ci or full or propagation, .*\(did you mean ci\?\)$/);
    expect(await refused(['run', def, '--bogus'])).toMatch(/^error: unknown option --bogus \(options are --seed, --duration, --warmup, /);
    expect(await refused(['validate', join(ROOT, 'scenarios', 'defualt.yaml')])).toBe(
      `error: ${join(ROOT, 'scenarios', 'defualt.yaml')}: file not found (did you mean ${join(ROOT, 'scenarios', 'default.yaml')}?)`,
    );
    const dir = tmp();
    expect(await refused(['run', join(dir, 'leader-crash.yml')])).toMatch(/: file not found \(did you mean (.*\/)?scenarios\/leader-crash\.yaml\?\)$/);
    expect(await refused(['run', join(dir, 'nothing-like-it.yaml')])).toBe(`error: ${join(dir, 'nothing-like-it.yaml')}: file not found`);
  });
});
