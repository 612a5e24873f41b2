/**
 * What a command gets from its caller: output streams and the knobs tests inject. Its own module so
 * the command modules (bench, sweep, swarm) and main.ts, which dispatches to them, share it without
 * importing each other in a circle.
 */
import type { SpawnWorker } from '../runner/parallel.js';

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Starts a partition worker (default: a worker thread); tests inject failures here. */
  spawnWorker?: SpawnWorker;
  /** Bytes a run may use (default: 90% of this machine's memory); tests shrink it. */
  memory_bytes?: number;
  /** Cores other work keeps busy now (default: measured); tests set it. */
  busy_cores?: number;
  /** The environment `--shard auto` reads (default: process.env); tests set it. */
  env?: Readonly<Record<string, string | undefined>>;
}
