/** A FIFO for tests of input handling (POSIX only: it needs mkfifo). */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

/**
 * Runs `f` with a FIFO at `path` that a writer process keeps offering `content` to, so that code
 * which (wrongly) reads the FIFO gets the content and returns instead of blocking forever: such a
 * test fails on its assertions rather than hanging. The writer, and the process group it leads,
 * are killed afterwards.
 */
export async function withFifo<T>(path: string, content: string, f: () => T | Promise<T>): Promise<T> {
  const src = `${path}.src`;
  writeFileSync(src, content);
  execFileSync('mkfifo', [path]);
  const writer = spawn('sh', ['-c', 'while :; do cat "$0" > "$1"; done', src, path], { detached: true, stdio: 'ignore' });
  try {
    return await f();
  } finally {
    process.kill(-writer.pid!, 'SIGKILL');
  }
}
