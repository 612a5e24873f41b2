import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * The architecture as a test (docs/DESIGN.md "Layout"): generic layers know no protocol family.
 * No file of a generic folder of sim/, nor of the page, imports anything under
 * sim/protocol/<family>/; the registry (sim/protocol/registry.ts, and sim/protocol/configs.ts for
 * the scenario format) is the one place that names the families, and each family brings its page
 * adapter in its module (ProtocolModule.views) and its part of the scenario file in its config.
 * A family's own panel on the page (`web/families/<family>.ts`) is page code like any other: it
 * declares the shape of the story it reads instead of importing the family's types.
 */
const ROOT = join(import.meta.dirname, '..');
const GENERIC = [
  'sim/lib', 'sim/contract', 'sim/engine', 'sim/net', 'sim/crypto', 'sim/workload', 'sim/scenario', 'sim/faults',
  'sim/runner', 'sim/metrics', 'sim/checks', 'sim/report', 'sim/cli', 'sim/bench', 'web',
];
const SPEC = /(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function files(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return /\.ts$/.test(f) ? [p] : [];
  });
}

/** Every relative import of a file, as a path from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(SPEC)].map((m) => relative(ROOT, normalize(join(dirname(join(ROOT, file)), m[1]))).replace(/\\/g, '/'));
}

describe('layering: generic layers import no protocol family', () => {
  const generic = GENERIC.flatMap((d) => files(join(ROOT, d)))
    .map((p) => relative(ROOT, p).replace(/\\/g, '/'));
  const panel = (f: string) => /^web\/families\/(?!index\.ts$)[^/]+\.ts$/.test(f);

  it('finds the generic sources', () => {
    expect(generic.length).toBeGreaterThan(40);
  });

  it('no generic file imports sim/protocol/<family>/', () => {
    const problems: string[] = [];
    for (const f of generic) {
      for (const target of importsOf(f)) {
        if (/^sim\/protocol\/[^/]+\//.test(target)) problems.push(`${f} imports ${target}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("a family's panel on the page imports nothing of any family, not even its types", () => {
    const panels = generic.filter(panel);
    expect(panels.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const f of panels) {
      for (const target of importsOf(f)) if (/^sim\/protocol\//.test(target)) problems.push(`${f} imports ${target}`);
    }
    expect(problems).toEqual([]);
  });

  it('a family imports no other family, and no runner, report, CLI or page code', () => {
    const problems: string[] = [];
    const families = readdirSync(join(ROOT, 'sim/protocol')).filter((d) => statSync(join(ROOT, 'sim/protocol', d)).isDirectory());
    for (const fam of families) {
      for (const f of files(join(ROOT, 'sim/protocol', fam)).map((p) => relative(ROOT, p).replace(/\\/g, '/'))) {
        for (const target of importsOf(f)) {
          const other = /^sim\/protocol\/([^/]+)\//.exec(target);
          if (other && other[1] !== fam) problems.push(`${f} imports ${target}`);
          if (/^(sim\/(runner|report|cli|bench)|web)\//.test(target) && !f.endsWith('.test.ts')) problems.push(`${f} imports ${target}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the registry', () => {
  it('has a module for every family name a scenario may give, under that name', async () => {
    const { FAMILIES } = await import('./protocol/registry.js');
    const { FAMILY_NAMES } = await import('./protocol/families.js');
    const { CONFIGS } = await import('./protocol/configs.js');
    expect(Object.keys(FAMILIES).sort()).toEqual([...FAMILY_NAMES].sort());
    expect(Object.keys(CONFIGS).sort()).toEqual([...FAMILY_NAMES].sort());
    for (const [name, m] of Object.entries(FAMILIES)) {
      expect(m.family).toBe(name);
      expect(m.config).toBe(CONFIGS[name as keyof typeof CONFIGS]);
      expect(m.config.family).toBe(name);
    }
  });
});
