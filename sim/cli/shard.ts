/**
 * `--shard i/n` and `--shard auto` for the commands that split their work (sweep, compare, swarm,
 * bench): shard i of n runs the items k with k % n == i − 1, so the shards of a batch job need no
 * coordination, and `merge` puts their outputs back together (docs/scaling.md).
 *
 * `auto` reads the index and the count from the batch engine running the process:
 * - a Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (0-based, set by Kubernetes) and
 *   `JOB_COMPLETIONS` (the count; Kubernetes does not set it, the manifest in docs/scaling.md does);
 * - a Slurm job array: `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT` and `SLURM_ARRAY_TASK_MIN`
 *   (an array `--array=0-3` or `--array=1-4`: the shard is the id less the minimum, plus one);
 * - a GitLab parallel job: `CI_NODE_INDEX` (1-based) and `CI_NODE_TOTAL`.
 * None set, or a value that is not a count, is a usage error naming the variable (exit 2).
 */
import { quoteText } from '../scenario/units.js';
import { UsageError } from './args.js';

export interface Shard {
  /** 1-based. */
  i: number;
  n: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** The engines `--shard auto` reads, in the order it tries them. */
export const SHARD_ENGINES = [
  { name: 'a Kubernetes Indexed Job', index: 'JOB_COMPLETION_INDEX', count: 'JOB_COMPLETIONS' },
  { name: 'a Slurm job array', index: 'SLURM_ARRAY_TASK_ID', count: 'SLURM_ARRAY_TASK_COUNT' },
  { name: 'a GitLab parallel job', index: 'CI_NODE_INDEX', count: 'CI_NODE_TOTAL' },
] as const;

/** Most shards one job may have. */
export const SHARDS_MAX = 100_000;

function whole(env: Env, key: string, min: number): number {
  const v = env[key];
  const x = v !== undefined && /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!(x >= min)) throw new UsageError(`--shard auto: ${key} is ${v === undefined ? 'not set' : quoteText(v)}; expected a whole number of at least ${min}`);
  return x;
}

/** The shard of `--shard VALUE` (`i/n` or `auto`, the latter read from `env`). */
export function parseShard(value: string, env: Env = {}): Shard {
  if (value === 'auto') return shardFromEnv(env);
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(i) || !Number.isSafeInteger(n) || n < 1 || i < 1 || i > n || n > SHARDS_MAX) {
    throw new UsageError(`--shard: expected i/n with 1 <= i <= n (up to ${SHARDS_MAX}), like 2/4, or auto, got ${quoteText(value)}`);
  }
  return { i, n };
}

function shardFromEnv(env: Env): Shard {
  const engine = SHARD_ENGINES.find((e) => env[e.index] !== undefined);
  if (engine === undefined) {
    throw new UsageError(`--shard auto: no batch engine's shard index in the environment (expected ${SHARD_ENGINES.map((e) => `${e.index} and ${e.count} (${e.name})`).join(', or ')})`);
  }
  const n = whole(env, engine.count, 1);
  if (n > SHARDS_MAX) throw new UsageError(`--shard auto: ${engine.count} is ${n}; expected at most ${SHARDS_MAX}`);
  let i: number;
  if (engine.index === 'JOB_COMPLETION_INDEX') i = whole(env, engine.index, 0) + 1;
  else if (engine.index === 'SLURM_ARRAY_TASK_ID') {
    const min = env['SLURM_ARRAY_TASK_MIN'] === undefined ? 0 : whole(env, 'SLURM_ARRAY_TASK_MIN', 0);
    i = whole(env, engine.index, min) - min + 1;
  } else i = whole(env, engine.index, 1);
  if (i > n) throw new UsageError(`--shard auto: ${engine.index} gives shard ${i} of ${n} (${engine.count}); expected at most ${n}`);
  return { i, n };
}

/** The items (0-based) shard `s` of `total` runs. */
export function shardItems(total: number, s: Shard): number[] {
  const out: number[] = [];
  for (let k = s.i - 1; k < total; k += s.n) out.push(k);
  return out;
}
