import { describe, expect, test } from 'vitest';
import { ScenarioError, closest, formatPath } from './errors.js';
import { parseScenario } from './load.js';

function errorOf(data: unknown): ScenarioError {
  try {
    parseScenario(data);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

/** Characters that must not reach a terminal raw. */
const RAW = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;

describe('bounded error lines', () => {
  // Keys are echoed cut and escaped, and a deep path keeps its ends.
  test('formatPath bounds keys and depth', () => {
    expect(formatPath(['faults', 2, 'at'])).toBe('faults[2].at');
    expect(formatPath(['stake', 'overrides', 'x y'])).toBe('stake.overrides["x y"]');
    expect(formatPath(['network', 'k'.repeat(5000)])).toBe(`network["${'k'.repeat(60)}…"]`);
    expect(formatPath(['a', '\u202eevil'])).toBe('a["\\u202eevil"]');
    const deep = formatPath(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `key${i}` : i)));
    expect(deep.length).toBeLessThanOrEqual(160);
    expect(deep.startsWith('key0…')).toBe(true);
    expect(deep.endsWith('.key198[199]')).toBe(true);
  });

  // Whatever a file holds, the error line is short and printable.
  test('schema errors on huge or hostile values stay short and escaped', () => {
    const cases: unknown[] = [
      { name: 'x', seed: 'x'.repeat(3_000_000) },
      { name: 'x', seed: '\u202e\u009b31m evil' },
      { name: 'x', ['\u202e'.repeat(10_000)]: 1 },
      { name: 'x', network: { latency: { regions: ['r'.repeat(100_000)] } } },
      { name: 'x', description: 7, faults: [{ kind: 'crash', at: '\u001b[2J'.repeat(1000), nodes: ['v1'] }] },
      { name: 'x', faults: [{ kind: 'partition', at: '1s', a: [`region:${'\u202e'.repeat(100_000)}`] }] },
    ];
    for (const c of cases) {
      for (const line of errorOf(c).lines()) {
        expect(line.length, line.slice(0, 80)).toBeLessThanOrEqual(530);
        expect(RAW.test(line), line.slice(0, 80)).toBe(false);
      }
    }
    expect(errorOf(cases[1]).message).toBe('seed: expected a non-negative integer, got "\\u202e\\u009b31m evil"');
  });

  // The ScenarioError itself bounds what a message builder did not.
  test('ScenarioError bounds every issue', () => {
    const e = new ScenarioError([{ path: 'p'.repeat(10_000), message: `m\u202e${'m'.repeat(10_000)}` }]);
    expect(e.message.length).toBeLessThanOrEqual(530);
    expect(e.message).toContain('m\\u202e');
    expect(e.message.endsWith('…')).toBe(true);
  });
});

describe('closest', () => {
  // Typos of a few letters find the intended word; unrelated words find nothing.
  test('suggests near candidates only', () => {
    const flags = ['seed', 'duration', 'warmup', 'crypto', 'workers', 'out', 'json', 'trace'];
    expect(closest('sed', flags)).toBe('seed');
    expect(closest('sede', flags)).toBe('seed');
    expect(closest('duraton', flags)).toBe('duration');
    expect(closest('wramup', flags)).toBe('warmup');
    expect(closest('Workers', flags)).toBe('workers');
    expect(closest('frobnicate', flags)).toBeUndefined();
    expect(closest('', flags)).toBeUndefined();
    expect(closest('x'.repeat(10_000), flags)).toBeUndefined();
    expect(closest('rn', ['run', 'replay', 'validate'])).toBe('run');
  });
});
