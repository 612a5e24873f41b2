import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { withFifo } from '../../test/fifo.js';
import { ScenarioError } from './errors.js';
import { applyOverrides, loadScenario, parseScenario, parseScenarioText, SCENARIO_BYTES_MAX } from './load.js';

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
    const e = parseScenarioText(`name: x\n${el}`, 'elections.yaml') as ReturnType<typeof parseScenarioText> & {
      topology: { standby_validators: number };
      elections: { cluster_interval: number };
    };
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

describe('malformed files: one located line, never a stack trace', () => {
  // A YAML "billion laughs": each anchor repeats the previous ten times.
  test('a YAML alias bomb is refused', () => {
    let y = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 0; i < 8; i++) y += `b${i}: &b${i} [${Array(10).fill(i === 0 ? '*a' : `*b${i - 1}`).join(', ')}]\n`;
    const e = errorOf(() => parseScenarioText(`name: x\n${y}`, 'bomb.yaml'));
    expect(e.message).toBe('bomb.yaml: invalid YAML: its aliases expand too far (more than 100 nodes through aliases; an alias bomb?)');
  });

  // 200,000 open brackets: a syntax error at the end, found without recursion.
  test('deeply nested broken JSON is a located syntax error', () => {
    const e = errorOf(() => parseScenarioText('['.repeat(200_000), 'deep.json'));
    expect(e.message).toBe('deep.json:1:200001: invalid JSON: unexpected end of file');
  });

  // Valid but absurdly deep documents are refused at the level that passes the limit.
  test('deeply nested valid JSON and YAML are refused', () => {
    for (const d of [100, 200_000]) {
      const json = '['.repeat(d) + ']'.repeat(d);
      expect(errorOf(() => parseScenarioText(json, 'deep.json')).message).toBe(
        'deep.json:1:65: nested too deeply: more than 64 levels of lists and mappings',
      );
      // As YAML flow collections the parser's own recursion may give out first, somewhere past 64.
      expect(errorOf(() => parseScenarioText(json, 'deep.yaml')).message).toMatch(
        /^deep\.yaml:1:\d+: nested too deeply: more than 64 levels of lists and mappings$/,
      );
    }
    expect(errorOf(() => parseScenarioText('['.repeat(100) + ']'.repeat(100), 'deep.yaml')).message).toBe(
      'deep.yaml:1:65: nested too deeply: more than 64 levels of lists and mappings',
    );
    const block = Array.from({ length: 100 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
    expect(errorOf(() => parseScenarioText(block, 'block.yaml')).message).toBe(
      'block.yaml:65:65: nested too deeply: more than 64 levels of lists and mappings',
    );
    // Nesting within the limit is left to the schema.
    expect(errorOf(() => parseScenarioText(`{"name":"x","description":${'['.repeat(60)}${']'.repeat(60)}}`, 'ok.json')).message)
      .toBe('description: expected a string, got a list');
  });

  // Parsed text that YAML allows but a scenario cannot hold: typed values, NUL bytes.
  test('!!binary and friends are named as what they are', () => {
    expect(errorOf(() => parseScenarioText('name: x\nseed: !!binary aGVsbG8=\n', 'b.yaml')).message).toBe(
      'seed: expected a mapping, list, string, number, true/false or null, got binary data (!!binary)',
    );
    expect(errorOf(() => parseScenarioText('name: x\nnetwork: !!set { a, b }\n', 'b.yaml')).message).toBe(
      'network: expected a mapping, list, string, number, true/false or null, got a set (!!set)',
    );
    expect(errorOf(() => parseScenarioText('name: x\nduration: !!timestamp 2001-12-14\n', 'b.yaml')).message).toBe(
      'duration: expected a mapping, list, string, number, true/false or null, got a timestamp (!!timestamp)',
    );
    expect(errorOf(() => parseScenarioText('name: x\n\u0000\u0001\n', 'bin.yaml')).message).toBe(
      'bin.yaml:2:1: expected a text file, got binary data (a NUL byte)',
    );
  });

  // A byte-order mark is skipped in JSON as YAML always did.
  test('a leading byte-order mark is accepted in YAML and JSON alike', () => {
    const fromYaml = parseScenarioText('\uFEFF' + YAML_OK, 'bom.yaml');
    expect(parseScenarioText('\uFEFF' + JSON.stringify(smallScenarioObject()), 'bom.json')).toEqual(fromYaml);
    expect(loadScenario(write('bom.json', '\uFEFF' + JSON.stringify(smallScenarioObject())))).toEqual(fromYaml);
  });
});

describe('integers and units beyond the exact range', () => {
  // JavaScript would round these (1152921504606846976 → 1152921504606847000): refused with the path and the limit.
  test('integer literals beyond 2^53 - 1 are too large, in YAML and JSON', () => {
    const limit = 'the limit is 9007199254740991 (2^53 - 1)';
    expect(errorOf(() => parseScenarioText('name: x\nseed: 1152921504606846976\n', 'a.yaml')).message).toBe(
      `seed: integer 1152921504606846976 is too large: ${limit}`,
    );
    expect(errorOf(() => parseScenarioText('{"name": "x", "seed": 1152921504606846976}', 'a.json')).message).toBe(
      `seed: integer 1152921504606846976 is too large: ${limit}`,
    );
    expect(errorOf(() => parseScenarioText('name: x\ntopology: { tables: 0x1000000000000000 }\n', 'a.yaml')).message).toBe(
      `topology.tables: integer 0x1000000000000000 is too large: ${limit}`,
    );
    expect(errorOf(() => parseScenarioText('{"name": "x", "faults": [{"kind": "crash", "at": -9007199254740993}]}', 'a.json')).message)
      .toBe('faults[0].at: integer -9007199254740993 is too large in magnitude: the limit is -9007199254740991 (-(2^53 - 1))');
    expect(errorOf(() => parseScenarioText(`name: x\nseed: ${'9'.repeat(5000)}\n`, 'a.yaml')).message).toBe(
      `seed: integer ${'9'.repeat(60)}… is too large: ${limit}`,
    );
    // The largest exact integer is still a valid seed, read the same in both syntaxes; floats are left to the schema.
    expect(parseScenarioText('name: x\nseed: 9007199254740991\n', 'a.yaml').seed).toBe(9007199254740991);
    expect(parseScenarioText('{"name": "x", "seed": 9007199254740991}', 'a.json').seed).toBe(9007199254740991);
    expect(errorOf(() => parseScenarioText('name: x\nseed: 1.5e300\n', 'a.yaml')).message).toBe('seed: expected a non-negative integer, got 1.5e+300');
  });

  // A duration or bandwidth past 2^53 - 1 of its unit says so, with the limit, instead of "expected a duration".
  test('durations and bandwidths too large to hold exactly', () => {
    expect(errorOf(() => parseScenarioText('name: x\nduration: 2500000000h\n', 'a.yaml')).message).toBe(
      'duration: "2500000000h" is too large: a duration is at most 9007199254740991us (2^53 - 1 µs, about 285 years)',
    );
    expect(errorOf(() => parseScenarioText('name: x\nhardware: { validator: { upload: 10000Tbps } }\n', 'a.yaml')).message).toBe(
      'hardware.validator.upload: "10000Tbps" is too large: a bandwidth is at most 9007199254740991bps (2^53 - 1 bits/s, about 9007Tbps)',
    );
  });
});

describe('only regular files are read', () => {
  // A FIFO would block the read forever: it is refused from its type, before any read.
  test.skipIf(process.platform === 'win32')('a FIFO is refused', async () => {
    const fifo = join(dir, 'fifo.yaml');
    const e = await withFifo(fifo, 'name: fifo\n', () => errorOf(() => loadScenario(fifo)));
    expect(e.message).toBe(`${fifo}: is a FIFO (named pipe), not a regular file`);
  });

  // A socket, a device and a directory are named as what they are.
  test.skipIf(process.platform === 'win32')('sockets, devices and directories are refused', async () => {
    const sock = join(dir, 'sock.yaml');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      expect(errorOf(() => loadScenario(sock)).message).toBe(`${sock}: is a socket, not a regular file`);
    } finally {
      server.close();
    }
    const dev = join(dir, 'null.yaml');
    symlinkSync('/dev/null', dev);
    expect(errorOf(() => loadScenario(dev)).message).toBe(`${dev}: is a character device, not a regular file`);
    const sub = join(dir, 'adir.json');
    mkdirSync(sub);
    expect(errorOf(() => loadScenario(sub)).message).toBe(`${sub}: is a directory, not a file`);
  });

  // A file larger than any scenario is refused from its size, without reading it (this one is sparse).
  test('a file over the size limit is refused unread', () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, 'name: big\n');
    truncateSync(big, SCENARIO_BYTES_MAX + 1);
    expect(errorOf(() => loadScenario(big)).message).toBe(
      `${big}: is too large to be a scenario: ${SCENARIO_BYTES_MAX + 1} bytes (4.0 MiB); the limit is 4 MiB`,
    );
    // At the limit it is read (and here fails on its NUL padding, as binary).
    truncateSync(big, SCENARIO_BYTES_MAX);
    expect(errorOf(() => loadScenario(big)).message).toBe(`${big}:2:1: expected a text file, got binary data (a NUL byte)`);
  });

  // A missing file names a close existing one: in its own directory, else in scenarios/.
  test('a missing file suggests a close name', () => {
    const here = mkdtempSync(join(dir, 'near-'));
    writeFileSync(join(here, 'small.yaml'), YAML_OK);
    expect(errorOf(() => loadScenario(join(here, 'smal.yaml'))).message).toBe(
      `${join(here, 'smal.yaml')}: file not found (did you mean ${join(here, 'small.yaml')}?)`,
    );
    expect(errorOf(() => loadScenario(join(here, 'small.yml'))).message).toMatch(/\(did you mean .*small\.yaml\?\)$/);
    expect(errorOf(() => loadScenario(join(here, 'leader-crash.yaml'))).message).toMatch(
      /file not found \(did you mean (.*\/)?scenarios\/leader-crash\.yaml\?\)$/,
    );
    expect(errorOf(() => loadScenario(join(here, 'unrelated-name.yaml'))).message).toBe(`${join(here, 'unrelated-name.yaml')}: file not found`);
  });
});

describe('applyOverrides: --warmup', () => {
  const base = parseScenario({ name: 'x', duration: '60s', warmup: '5s' });

  // The warm-up can be shortened with the duration, for a quick smoke test of a large scenario.
  test('warmup and duration together', () => {
    const s = applyOverrides(base, { duration_us: 4_000_000, warmup_us: 1_000_000 });
    expect([s.duration_us, s.warmup_us, s.workload.stop_us]).toEqual([4_000_000, 1_000_000, 4_000_000]);
    expect(applyOverrides(base, { warmup_us: 0 }).warmup_us).toBe(0);
    expect(base.warmup_us).toBe(5_000_000);
  });

  // The warm-up must stay below the duration, whichever of them the flags set.
  test('invalid warmups', () => {
    expect(errorOf(() => applyOverrides(base, { duration_us: 4_000_000, warmup_us: 4_000_000 })).message).toBe(
      '--warmup: expected less than the duration (4s), got "4s"',
    );
    expect(errorOf(() => applyOverrides(base, { warmup_us: 60_000_000 })).message).toBe(
      `--warmup: expected less than the scenario's duration (60s), got "60s"`,
    );
    expect(errorOf(() => applyOverrides(base, { warmup_us: -1 })).message).toBe('--warmup: expected a duration of at least 0, got -1 µs');
    expect(errorOf(() => applyOverrides(base, { duration_us: 4_000_000 })).message).toBe(
      `--duration: expected more than the scenario's warmup (5s), got "4s"`,
    );
  });
});
