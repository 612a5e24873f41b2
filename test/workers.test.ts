import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { capture } from './helpers.js';

/**
 * The worker count a run picks when none is asked for: one thread for a run with little work
 * between barriers, one worker per free core for a busy one, and one thread when other work
 * holds the cores (two workers sharing a core were measured 2-2.5 times slower than one thread).
 */
const ROOT = join(import.meta.dirname, '..');

async function workersOf(file: string, busy: number): Promise<{ workers: number; err: string }> {
  const c = capture();
  const out = mkdtempSync(join(tmpdir(), 'topsim-workers-'));
  const code = await main(['run', join(ROOT, 'scenarios', file), '--duration', '1s', '--warmup', '0s', '--json', '--out', out],
    { ...c.io, busy_cores: busy });
  expect(code).toBe(0);
  return { workers: JSON.parse(c.out()).wall.workers, err: c.err() };
}

describe('default worker count', () => {
  it('picks one thread for little work, every free core for much, and one thread when the cores are busy', async () => {
    expect((await workersOf('default.yaml', 0)).workers).toBe(1);
    const cores = availableParallelism();
    if (cores >= 2) {
      expect((await workersOf('viz-1k.yaml', 0)).workers).toBe(cores);
      const loaded = await workersOf('viz-1k.yaml', cores - 1);
      expect(loaded.workers).toBe(1);
      expect(loaded.err).toContain(`workers: 1 instead of ${cores}: other work keeps ${(cores - 1).toFixed(1)} of ${cores} cores busy`);
    }
  });
});
