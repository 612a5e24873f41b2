/**
 * `npm run bench:engine`: wall-clock speed of the engine (not a test; figures are noisy on a shared
 * machine, so compare variants as ratios measured in one invocation).
 *
 * 1. The bare event queue: push+pop pairs per second with 1e6 events pending ("hold" model).
 * 2. The consensus scenario (scenarios/default.yaml): events per wall second, simulated seconds
 *    per wall second, peak RSS; in modeled and in real crypto, with the ratio between them.
 * 3. Parallel runs: scenarios/top-mainnet.yaml on 1 and then 2 workers, the speedup ratio, the
 *    share of message copies that crossed workers, and whether the digests agree.
 *
 * Options: --mainnet-duration 20s (simulated time of step 3), --skip-mainnet.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { EventQueue } from '../engine/queue.js';
import { Stream } from '../lib/random.js';
import { loadScenario, applyOverrides } from '../scenario/index.js';
import { runScenario } from '../runner/run.js';
import { runPartitioned } from '../runner/parallel.js';
import { spawnNodeWorker } from '../runner/node-host.js';
import { availableParallelism } from 'node:os';
import { parseDuration } from '../scenario/index.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
for (const a of argv) {
  if (a.startsWith('--') && !['--mainnet-duration', '--skip-mainnet'].includes(a)) {
    process.stderr.write(`error: unknown option ${a} (expected --mainnet-duration 20s or --skip-mainnet)\n`);
    process.exit(2);
  }
}
let mainnetUs = 20_000_000;
try {
  if (flag('mainnet-duration') !== undefined) mainnetUs = parseDuration(flag('mainnet-duration')!);
} catch {
  process.stderr.write(`error: --mainnet-duration: expected a duration like "20s", got "${flag('mainnet-duration')}"\n`);
  process.exit(2);
}

function benchQueue(pending: number, ops: number): number {
  const q = new EventQueue(pending * 2);
  const s = new Stream('bench/queue');
  for (let i = 0; i < pending; i++) q.push(s.int(0, 1_000_000), s.int(0, 999), i, 0, 1, 0, 0, null);
  let seq = pending;
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    q.pop();
    q.push(q.top_time + 1 + (i % 1000), q.top_origin, seq++, 0, 1, 0, 0, null);
  }
  const dt = (performance.now() - t0) / 1000;
  return ops / dt;
}

function fmt(x: number, d = 0): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

const rows: [string, string, string][] = [];
const qrate = Math.max(benchQueue(1_000_000, 3_000_000), benchQueue(1_000_000, 3_000_000));
rows.push(['queue push+pop pairs, 1e6 pending', `${fmt(qrate / 1e6, 2)} M pairs/s`, 'wall']);

const file = join(import.meta.dirname, '..', '..', 'scenarios', 'default.yaml');
const wall = { now_ms: () => performance.now(), rss_bytes: () => process.memoryUsage().rss };
const results: Record<string, { events: number; wall_s: number }> = {};
for (const crypto of ['modeled', 'real'] as const) {
  const sc = { ...applyOverrides(loadScenario(file), crypto === 'real' ? { duration_us: 20_000_000 } : {}), crypto };
  const r = runScenario(sc, { wall });
  const w = r.summary.wall;
  results[crypto] = { events: r.summary.events, wall_s: w.wall_s };
  rows.push([`default.yaml, ${crypto} crypto, ${r.summary.sim_s} s sim`, `${fmt(w.events_per_wall_s)} events/s`, 'wall']);
  rows.push([`  simulated seconds per wall second`, `${fmt(w.sim_s_per_wall_s, 2)}`, 'wall']);
  rows.push([`  peak RSS`, `${fmt(w.peak_rss_bytes / 2 ** 20, 1)} MiB`, 'wall']);
  rows.push([`  digest`, r.summary.digest.slice(0, 16), 'sim']);
  rows.push([`  tps_final`, `${r.summary.tps_final}`, 'sim']);
}
const perEvent = (k: string) => results[k].wall_s / results[k].events;
rows.push(['real / modeled wall time per event', `${fmt(perEvent('real') / perEvent('modeled'), 2)}x`, 'wall']);

if (!argv.includes('--skip-mainnet')) {
  const mfile = join(import.meta.dirname, '..', '..', 'scenarios', 'top-mainnet.yaml');
  const sc = applyOverrides(loadScenario(mfile), { duration_us: mainnetUs });
  const walls: number[] = [];
  const digests: string[] = [];
  for (const workers of [1, 2]) {
    process.stderr.write(`top-mainnet.yaml, ${sc.duration_us / 1e6} s simulated, ${workers} worker${workers > 1 ? 's' : ''}...\n`);
    const r = workers === 1
      ? runScenario(sc, { wall })
      : await runPartitioned(sc, { workers, spawn: spawnNodeWorker, cores: availableParallelism(), wall });
    const w = r.summary.wall;
    walls.push(w.wall_s);
    digests.push(r.summary.digest);
    rows.push([`top-mainnet.yaml, ${r.summary.sim_s} s sim, ${workers} worker${workers > 1 ? 's' : ''}`, `${fmt(w.wall_s, 1)} s`, 'wall']);
    rows.push([`  events per wall second`, `${fmt(w.events_per_wall_s)}`, 'wall']);
    rows.push([`  simulated seconds per wall second`, `${fmt(w.sim_s_per_wall_s, 3)}`, 'wall']);
    rows.push([`  peak RSS (whole process)`, `${fmt(w.peak_rss_bytes / 2 ** 20, 1)} MiB`, 'wall']);
    if (workers > 1) rows.push([`  message copies crossing workers`, `${fmt(100 * w.cross_worker_share, 1)} % (${fmt(w.cross_worker_messages)})`, 'sim']);
  }
  rows.push(['top-mainnet speedup, 2 workers over 1', `${fmt(walls[0] / walls[1], 2)}x`, 'wall']);
  rows.push(['top-mainnet digests, 1 and 2 workers', digests[0] === digests[1] ? `equal ${digests[0].slice(0, 16)}` : 'DIFFERENT', 'sim']);
}

const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length));
process.stdout.write(`topsim bench (node ${process.version})\n`);
for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w0)}  ${b.padStart(w1)}  (${c})\n`);
