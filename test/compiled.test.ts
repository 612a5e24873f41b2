/**
 * The compiled command line (bin/build.mjs → out/cli/main.js and worker.js, run by bin/topsim.mjs,
 * which `npm start`, `npm run sim` and `npx topsim` call): it builds, validates, refuses bad input
 * with exit code 2 and one line, finds the shipped scenarios beside it, and gives the digest of a
 * run from the sources, in one thread and over two compiled worker threads.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario, scenarioToFile } from '../sim/scenario/index.js';
import { runScenario } from '../sim/runner/run.js';
import { scenarioFile } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'topsim.mjs');

function topsim(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
}

describe('the compiled command line', () => {
  it('builds its bundles, after which they are current', async () => {
    const b = (await import(join(ROOT, 'bin', 'build.mjs'))) as { build(): Promise<void>; stale(): boolean; OUT: string };
    await b.build();
    expect(b.stale()).toBe(false);
    expect(b.OUT).toBe(join(ROOT, 'out', 'cli'));
  }, 120_000);

  it('validates a scenario, and refuses a bad one with exit code 2 and one line', () => {
    const ok = topsim(['validate', 'scenarios/default.yaml']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^ok: scenarios\/default\.yaml: scenario "default", 1 table, 16 nodes/);
    const bad = join(mkdtempSync(join(tmpdir(), 'topsim-compiled-')), 'bad.json');
    writeFileSync(bad, JSON.stringify({ name: 'x', network: { jitter_percent: 150 } }));
    const r = topsim(['validate', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: network\.jitter_percent: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // The bundle run directly does the same, once.
    const direct = spawnSync(process.execPath, [join(ROOT, 'out', 'cli', 'main.js'), 'validate', bad], { cwd: ROOT, encoding: 'utf8' });
    expect(direct.status).toBe(2);
    expect(direct.stderr.trim().split('\n')).toHaveLength(1);
    // The shipped scenarios are found from the bundle's place, as from the sources'.
    const near = topsim(['validate', 'scenarios/defualt.yaml']);
    expect(near.status).toBe(2);
    expect(near.stderr).toContain('default.yaml');
  });

  it('gives the digest of the sources, in one thread and over two compiled workers', () => {
    const sc = scenarioFile(join(ROOT, 'scenarios', 'leader-crash.yaml'), { duration_us: 14_000_000 });
    const want = runScenario(sc).summary.digest;
    const dir = mkdtempSync(join(tmpdir(), 'topsim-compiled-'));
    const file = join(dir, 'lc.json');
    writeFileSync(file, JSON.stringify(scenarioToFile(parseScenario(scenarioToFile(sc)))));
    for (const workers of ['1', '2']) {
      const r = topsim(['run', file, '--workers', workers, '--json', '--out', join(dir, `w${workers}`)]);
      expect(r.status, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as { digest: string; wall: { workers: number } };
      expect(s.digest).toBe(want);
      expect(s.wall.workers).toBe(Number(workers));
    }
  }, 240_000);
});
