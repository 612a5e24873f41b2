import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ScenarioError } from './errors.js';
import { applyOverrides, loadScenario, parseScenario, parseScenarioText } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'topsim-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(f: () => unknown): ScenarioError {
  try {
    f();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

const YAML_OK = `# yaml-language-server: $schema=./scenario.schema.json
name: small
seed: 42
duration: 30s
network:
  latency:
    regions: [Frankfurt, Ireland, London]
faults:
  - { kind: crash, at: 10s, until: 20s, nodes: [v3] }
`;

describe('loadScenario', () => {
  // A YAML file loads into a normalized scenario.
  test('reads YAML', () => {
    const s = loadScenario(write('small.yaml', YAML_OK));
    expect(s.seed).toBe(42);
    expect(s.duration_us).toBe(30_000_000);
    expect(s.network.latency.regions).toEqual(['Frankfurt', 'Ireland', 'London']);
    expect(s.faults).toEqual([{ kind: 'crash', at_us: 10_000_000, until_us: 20_000_000, nodes: ['v3'], state: 'kept' }]);
  });

  // .yml and .json files give the same scenario as the YAML.
  test('reads .yml and .json', () => {
    const fromYaml = loadScenario(write('a.yaml', YAML_OK));
    expect(loadScenario(write('a.yml', YAML_OK))).toEqual(fromYaml);
    expect(loadScenario(write('a.json', JSON.stringify(smallScenarioObject())))).toEqual(fromYaml);
  });

  // A missing file is a ScenarioError naming the path, not an ENOENT stack trace.
  test('missing file', () => {
    const path = join(dir, 'nope.yaml');
    const e = errorOf(() => loadScenario(path));
    expect(e.message).toBe(`${path}: file not found`);
  });

  // A directory or a file with another extension is refused with a clear message.
  test('wrong kind of path', () => {
    const sub = join(dir, 'sub.yaml');
    mkdirSync(sub);
    expect(errorOf(() => loadScenario(sub)).message).toBe(`${sub}: is a directory, not a file`);
    expect(errorOf(() => loadScenario(join(dir, 'x.toml'))).message).toBe(`${join(dir, 'x.toml')}: expected a .yaml, .yml or .json file`);
  });

  // A YAML syntax error is reported with the file, line and column where it was found.
  test('YAML syntax error has a line number', () => {
    const path = write('broken.yaml', 'name: x\nnetwork:\n  latency: [a, b\ntopology:\n  validators: 3\n');
    const e = errorOf(() => loadScenario(path));
    expect(e.message).toMatch(new RegExp(`^${escape(path)}:\\d+:\\d+: invalid YAML: `));
    const line = Number(/:(\d+):\d+: /.exec(e.message)![1]);
    expect(line).toBeGreaterThanOrEqual(3);
    expect(line).toBeLessThanOrEqual(4);
  });

  // Bad indentation (a very common YAML mistake) also names its line.
  test('YAML indentation error has a line number', () => {
    const e = errorOf(() => parseScenarioText('name: x\ntopology:\n  validators: 3\n   auditors: 4\n', 'bad.yaml'));
    expect(e.message).toMatch(/^bad\.yaml:[34]:\d+: invalid YAML: /);
  });

  // A duplicated key is an error rather than a silent overwrite.
  test('duplicate YAML key', () => {
    const e = errorOf(() => parseScenarioText('name: x\nseed: 1\nseed: 2\n', 'dup.yaml'));
    expect(e.message).toMatch(/^dup\.yaml:3:\d+: invalid YAML: .*[Uu]nique/);
  });

  // A JSON syntax error is reported with the line where it was found.
  test('JSON syntax error has a line number', () => {
    const e = errorOf(() => parseScenarioText('{\n  "name": "x",\n  "seed": ,\n}\n', 'bad.json'));
    expect(e.message).toBe('bad.json:3:11: invalid JSON: unexpected ","');
    expect(errorOf(() => parseScenarioText('{"name": "x"', 'cut.json')).message).toBe('cut.json:1:13: invalid JSON: unexpected end of file');
    expect(errorOf(() => parseScenarioText('{"name": "x",}', 'trail.json')).message).toBe('trail.json:1:14: invalid JSON: unexpected "}"');
  });

  // A schema error inside a file keeps the path-naming message and remembers the file.
  test('schema errors from a file', () => {
    const path = write('bad-topology.yaml', 'name: x\ntopology:\n  validators: 0\n');
    const e = errorOf(() => loadScenario(path));
    expect(e.message).toBe('topology.validators: expected an integer from 1 to 512, got 0');
    expect(e.file).toBe(path);
    expect(e.lines()).toEqual(['topology.validators: expected an integer from 1 to 512, got 0']);
  });

  // An empty file is a document with no mapping, reported at the root.
  test('empty file', () => {
    expect(errorOf(() => parseScenarioText('', 'empty.yaml')).message).toBe('(root): expected a mapping, got null');
  });

  // YAML reads `start: 0` as a number; a zero duration needs no unit and is accepted.
  test('bare zero duration in YAML', () => {
    expect(parseScenarioText('name: x\nwarmup: 0\nworkload:\n  start: 0\n', 'z.yaml').warmup_us).toBe(0);
  });
});

describe('scenarios/README.md', () => {
  // The README's complete example is a valid scenario, so the documentation cannot drift from the schema.
  test('the example parses', () => {
    const readme = readFileSync(new URL('../../scenarios/README.md', import.meta.url), 'utf8');
    const example = readme.slice(readme.indexOf('## Example'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(example)![1]!;
    const s = parseScenarioText(yaml, 'README.md.yaml');
    expect(s.name).toBe('europe-crash');
    expect(s.faults).toHaveLength(1);
    // The faults snippet in the README parses too.
    const faults = /```yaml\n(faults:[\s\S]*?)```/.exec(readme)![1]!;
    expect(parseScenarioText(`name: x\ntopology: { tables: 8 }\n${faults}`, 'faults.yaml').faults.map((f) => f.kind))
      .toEqual(['crash', 'crash', 'crash_leader', 'partition', 'degrade', 'drop_receipts', 'clock']);
    // And the workload snippet.
    const workload = /```yaml\n(workload:[\s\S]*?)```/.exec(readme)![1]!;
    const w = parseScenarioText(`name: x\ntopology: { tables: 8 }\n${workload}`, 'workload.yaml').workload;
    expect(w.schedule.kind).toBe('ramp');
    expect(w.popularity).toEqual({ kind: 'zipf', s: 1.1, scope: 'global' });
    // And the elections snippet.
    const el = /```yaml\n(topology: \{ standby[\s\S]*?)```/.exec(readme)![1]!;
    const e = parseScenarioText(`name: x\n${el}`, 'elections.yaml');
    expect(e.topology.standby_validators).toBe(6);
    expect(e.elections.cluster_interval).toBe(6);
  });
});

function smallScenarioObject(): unknown {
  return {
    name: 'small',
    seed: 42,
    duration: '30s',
    network: { latency: { regions: ['Frankfurt', 'Ireland', 'London'] } },
    faults: [{ kind: 'crash', at: '10s', until: '20s', nodes: ['v3'] }],
  };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('applyOverrides', () => {
  const base = parseScenario({ name: 'x', duration: '60s', warmup: '5s' });

  // Overrides return a new scenario and leave the original untouched.
  test('seed override is a copy', () => {
    const s = applyOverrides(base, { seed: 7 });
    expect(s.seed).toBe(7);
    expect(base.seed).toBe(1);
    expect(s.network.latency.matrix_us).not.toBe(base.network.latency.matrix_us);
  });

  // A defaulted workload stop (equal to the old duration) follows the new duration, longer or shorter.
  test('defaulted stop follows the duration', () => {
    expect(applyOverrides(base, { duration_us: 120_000_000 }).workload.stop_us).toBe(120_000_000);
    expect(applyOverrides(base, { duration_us: 10_000_000 }).workload.stop_us).toBe(10_000_000);
  });

  // An explicit stop stays when it fits the new duration and is clamped when it does not.
  test('explicit stop is kept or clamped', () => {
    const s = parseScenario({ name: 'x', duration: '60s', workload: { stop: '40s' } });
    expect(applyOverrides(s, { duration_us: 120_000_000 }).workload.stop_us).toBe(40_000_000);
    expect(applyOverrides(s, { duration_us: 30_000_000 }).workload.stop_us).toBe(30_000_000);
  });

  // Overrides are checked like file values, and errors name the flag.
  test('invalid overrides', () => {
    expect(errorOf(() => applyOverrides(base, { duration_us: 5_000_000 })).message).toBe(
      `--duration: expected more than the scenario's warmup (5s), got "5s"`,
    );
    expect(errorOf(() => applyOverrides(base, { duration_us: 0 })).message).toBe('--duration: expected a duration greater than 0, got 0 µs');
    expect(errorOf(() => applyOverrides(base, { seed: -3 })).message).toBe('--seed: expected a non-negative integer, got -3');
    const late = parseScenario({ name: 'x', duration: '60s', workload: { start: '20s' } });
    expect(errorOf(() => applyOverrides(late, { duration_us: 10_000_000 })).message).toBe(
      `--duration: expected at least the workload's start (20s), got "10s"`,
    );
  });
});
