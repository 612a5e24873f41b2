import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The shape of sim/'s imports as a test: no import cycle among its modules (a cycle makes module
 * load order matter and keeps rooms from being read, tested or replaced one at a time), and no
 * simulation, CLI or benchmark module imports test code (tests depend on the product, never the
 * other way round). Every static, type-only, re-exporting and dynamic import counts, since a
 * type-only circle is still a circle for a reader. Test files are not modules of the graph (and may
 * share helpers from test/).
 */

const ROOT = join(import.meta.dirname, '..');

/** Import cycles known and accepted, each as its modules in cycle order starting at the smallest path. None today. */
const KNOWN_CYCLES: string[][] = [];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(f) && !/\.test\.ts$/.test(f) && !/\.d\.ts$/.test(f) ? [p] : [];
  });
}

/** Repository-relative path with forward slashes. */
function rel(p: string): string {
  return relative(ROOT, p).replace(/\\/g, '/');
}

/**
 * The source without its comments (so an import shown in a doc comment does not count). Quotes are
 * tracked to keep `//` inside a string; a quoted string ends at its line, so a quote inside a
 * regular expression can disturb at most that line.
 */
function stripComments(src: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quote !== '') {
      out += c;
      if (c === '\\') out += src[++i] ?? '';
      else if (c === quote || (c === '\n' && quote !== '`')) quote = '';
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const gone = src.slice(i, end < 0 ? src.length : end + 2);
      out += gone.replace(/[^\n]/g, ' ');
      i = end < 0 ? src.length : end + 1;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    out += c;
  }
  return out;
}

/** Static imports and re-exports (`import … from`, `import type … from`, `export … from`) at the start of a line. */
const STATIC = /^[ \t]*(?:import|export)\s[\w$*{},\s]*?\bfrom\s*(['"])([^'"\n]+)\1/gm;
/** Side-effect imports (`import './x.js'`). */
const BARE = /^[ \t]*import\s*(['"])([^'"\n]+)\1/gm;
/** Dynamic imports with a literal specifier (`import('./x.js')`). */
const DYNAMIC = /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;

/** The specifiers a source imports or re-exports (static, type-only, side-effect and dynamic), in order of appearance. */
function specifiersOf(src: string): string[] {
  const code = stripComments(src);
  const found: { at: number; spec: string }[] = [];
  for (const re of [STATIC, BARE, DYNAMIC]) for (const m of code.matchAll(re)) found.push({ at: m.index, spec: m[2] });
  return found.sort((a, b) => a.at - b.at).map((f) => f.spec);
}

/** The .ts file a relative specifier names (`./x.js` is `./x.ts`, as TypeScript resolves it), or null. */
function resolveRelative(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  const candidates = /\.js$/.test(base) ? [base.replace(/\.js$/, '.ts')] : /\.ts$/.test(base) ? [base] : [`${base}.ts`, join(base, 'index.ts')];
  for (const c of candidates) if (existsSync(c)) return c;
  return null;
}

/**
 * One cycle for each strongly connected component with more than one module (or a module importing
 * itself), found by Tarjan's algorithm: the shortest way from the component's smallest path back to
 * itself. Breaking it may leave another cycle in the same component, which the next run shows.
 */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      components.push(comp);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);

  const cycles: string[][] = [];
  for (const comp of components) {
    const members = new Set(comp);
    const start = [...comp].sort()[0];
    if (comp.length === 1 && !(graph.get(start) ?? []).includes(start)) continue;
    // Breadth-first from start's successors inside the component back to start: a shortest cycle through it.
    const prev = new Map<string, string>();
    const queue: string[] = [start];
    let found = false;
    for (let i = 0; i < queue.length && !found; i++) {
      const v = queue[i];
      for (const w of [...(graph.get(v) ?? [])].sort()) {
        if (!members.has(w)) continue;
        if (w === start) {
          prev.set(start, v);
          found = true;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const cycle: string[] = [];
    let v = prev.get(start)!;
    while (v !== start) {
      cycle.push(v);
      v = prev.get(v)!;
    }
    cycles.push([start, ...cycle.reverse()]);
  }
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const show = (cycle: readonly string[]) => [...cycle, cycle[0]].join(' -> ');

describe('imports: sim/ has no import cycle and imports no tests', () => {
  const files = sources(join(ROOT, 'sim'));
  const graph = new Map<string, string[]>();
  const testImports: string[] = [];
  for (const f of files) {
    const edges: string[] = [];
    for (const spec of specifiersOf(readFileSync(f, 'utf8'))) {
      const target = resolveRelative(f, spec);
      const path = target === null ? (spec.startsWith('.') ? rel(resolve(dirname(f), spec)) : null) : rel(target);
      if (path !== null && (path.startsWith('test/') || /\.test\.(ts|js)$/.test(path))) testImports.push(`${rel(f)}: imports ${spec}`);
      if (path !== null && target !== null && path.startsWith('sim/') && !/\.test\.ts$/.test(path)) edges.push(path);
    }
    graph.set(rel(f), edges);
  }

  it('reads the sources and their relative imports', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get('sim/cli/main.ts')).toContain('sim/cli/io.ts');
    expect(graph.get('sim/protocol/top/workload.ts')).toContain('sim/workload/schedule.ts');
  });

  it('has no import cycle among the modules under sim/', () => {
    expect(findCycles(graph).map(show)).toEqual(KNOWN_CYCLES.map(show));
  });

  it('imports nothing from test/ in the modules under sim/ (benchmarks included)', () => {
    expect(testImports).toEqual([]);
  });

  it('the cycle finder finds cycles, self-imports included, and passes a graph without one', () => {
    // Proves the test can fail: a circle through three modules, one beside it, and a self-import.
    const g = new Map<string, string[]>([
      ['a', ['b']],
      ['b', ['c', 'd']],
      ['c', ['a']],
      ['d', ['e']],
      ['e', ['d']],
      ['f', ['f']],
      ['g', ['a']],
    ]);
    expect(findCycles(g).map(show)).toEqual(['a -> b -> c -> a', 'd -> e -> d', 'f -> f']);
    expect(findCycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });

  it('reads static, type-only, re-exporting, side-effect and dynamic imports, and skips comments', () => {
    // Proves the parser sees every import form the sources use and none that only a comment shows.
    const src = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "export { c } from './c.js';",
      'export type {',
      '  D,',
      "} from './d.js';",
      "const e = await import('./e.js');",
      "import './f.js';",
      "import * as g from '../g/index.js';",
      "// import { x } from './x.js';",
      "/** e.g. `import { y } from './y.js'` */",
      "const url = 'http://host/'; const h = import('./h.js');",
      "export const text = 'see below';",
    ].join('\n');
    expect(specifiersOf(src)).toEqual(['./a.js', './b.js', './c.js', './d.js', './e.js', './f.js', '../g/index.js', './h.js']);
  });
});
