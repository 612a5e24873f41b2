import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The determinism contract (docs/DESIGN.md contract 2) as a test: no ambient time or randomness in
 * sim/, and nothing that makes order depend on interleaving. Wall-clock reads are allowed only
 * in the CLI and benchmarks, which never feed the simulation. Each rule names the replacement.
 */
const RULES: { re: RegExp; use: string }[] = [
  { re: /\bMath\.random\s*\(/, use: 'a seeded Stream from sim/lib/random.ts' },
  { re: /\bDate\.now\s*\(/, use: 'env.now_us (virtual time)' },
  { re: /\bnew Date\s*\(/, use: 'env.now_us (virtual time)' },
  { re: /\bperformance\.now\s*\(/, use: 'env.now_us, or a wall hook injected by the CLI' },
  { re: /\bsetTimeout\s*\(|\bsetInterval\s*\(|\bsetImmediate\s*\(/, use: 'env.setTimer' },
  { re: /\bcrypto\.getRandomValues\b|\brandomBytes\s*\(/, use: 'a seeded Stream' },
  { re: /\bfor\s*\(\s*(const|let|var)\s+\w+\s+in\b/, use: 'an explicit, sorted key list' },
  { re: /\bprocess\.hrtime\b/, use: 'a wall hook injected by the CLI' },
];
/** Node built-ins are banned from simulation code so it runs unchanged in a browser worker. */
const NODE_IMPORT = /from\s+['"](node:[\w/]+|fs|path|os|child_process|worker_threads)['"]/;
const WALL_ALLOWED = ['sim/cli/', 'sim/bench/'];
const NODE_ALLOWED = ['sim/cli/', 'sim/bench/', 'sim/runner/node-host.ts', 'sim/report/write.ts', 'sim/scenario/load.ts', 'sim/scenario/gen-schema.ts'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return /\.ts$/.test(f) && !/\.test\.ts$/.test(f) ? [p] : [];
  });
}

describe('tidy: sim/ obeys the determinism contract', () => {
  const root = join(import.meta.dirname, '..');
  const all = files(join(root, 'sim')).map((p) => relative(root, p).replace(/\\/g, '/'));

  it('finds the simulation sources', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('uses no ambient time, randomness or for...in outside the CLI and benchmarks', () => {
    const problems: string[] = [];
    for (const f of all) {
      if (WALL_ALLOWED.some((a) => f.startsWith(a))) continue;
      readFileSync(join(root, f), 'utf8').split('\n').forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (/^\s*(\*|\/\*)/.test(code)) return;
        for (const r of RULES) if (r.re.test(code)) problems.push(`${f}:${i + 1}: ${line.trim()}  (use ${r.use})`);
      });
    }
    expect(problems).toEqual([]);
  });

  it('imports no Node built-ins or web/ code from simulation modules', () => {
    const problems: string[] = [];
    for (const f of all) {
      const text = readFileSync(join(root, f), 'utf8');
      if (/from\s+['"][./]*\/?web\//.test(text)) problems.push(`${f}: imports web/`);
      if (NODE_ALLOWED.some((a) => f.startsWith(a))) continue;
      if (NODE_IMPORT.test(text)) problems.push(`${f}: imports a Node built-in (keep sim/ runnable in a browser worker)`);
    }
    expect(problems).toEqual([]);
  });

  it('the rules catch what they are meant to catch', () => {
    // Proves the test can fail: each banned construct is matched.
    const samples = ['Math.random()', 'Date.now()', 'performance.now()', 'setTimeout(f, 1)', 'for (const k in o) {}'];
    for (const s of samples) expect(RULES.some((r) => r.re.test(s))).toBe(true);
    expect(NODE_IMPORT.test("import { readFileSync } from 'node:fs';")).toBe(true);
  });
});
