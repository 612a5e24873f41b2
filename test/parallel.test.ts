import { describe, expect, it } from 'vitest';
import { readdirSync, existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { anyScenarioFile, scenario } from './helpers.js';
import { runScenario, type RunResult } from '../sim/runner/run.js';
import { runPartitioned, runShared, WorkerFailure, type WorkerHandle } from '../sim/runner/parallel.js';
import { SharedView, createShared } from '../sim/runner/shared.js';
import { spawnNodeWorker } from '../sim/runner/node-host.js';
import { partitionNodes } from '../sim/protocol/top/partition.js';
import { buildRun } from '../sim/runner/build.js';
import { checkDeterminism, type Runner } from '../sim/runner/determinism.js';
import { PartitionWorker, FAILED_AT } from '../sim/runner/partition-worker.js';
import type { Env, Msg, NodeLogic, Timer } from '../sim/contract/env.js';
import type { Summary } from '../sim/metrics/types.js';
import type { Scenario } from '../sim/scenario/types.js';
import { main } from '../sim/cli/main.js';
import { top } from './helpers.js';

const ROOT = join(import.meta.dirname, '..');

/** Simulated seconds per shipped scenario: long enough for its behaviour (elections, crashes) to show. */
const SECONDS: Record<string, number> = {
  'default.yaml': 15,
  'leader-crash.yaml': 30,
  'top-small.yaml': 20,
  'churn-rotation.yaml': 75,
  'top-mainnet.yaml': 3,
  'viz-1k.yaml': 4,
  // The fault library: long enough for each fault to start, on one and two workers only.
  'group-third-crash.yaml': 18,
  'partition-heal.yaml': 22,
  'region-outage.yaml': 22,
  'lossy-wan.yaml': 10,
  'receipt-loss.yaml': 13,
  'churn-join-leave.yaml': 35,
  'byzantine-tolerated.yaml': 15,
  'byzantine-past-tolerance.yaml': 25,
  'seed-grinding.yaml': 25,
  // Bystack's proof-of-work chain: blocks every 150 s; the partition heals at 2 h.
  'bytom-mainchain.yaml': 900,
  'selfish-mining.yaml': 4 * 3600,
  'mainchain-partition.yaml': 2.5 * 3600,
  'vapor.yaml': 15,
  'bystack.yaml': 6 * 60,
  'federation-signer-down.yaml': 22 * 60,
  'vapor-producer-crash.yaml': 60,
  'vapor-withhold-signatures.yaml': 80,
  'vapor-double-sign.yaml': 80,
};

/** The scenarios that also run on three workers (a cut through a cluster); the rest on two. */
const THREE_WORKERS = new Set([
  'default.yaml', 'leader-crash.yaml', 'top-small.yaml', 'churn-rotation.yaml', 'top-mainnet.yaml', 'bytom-mainchain.yaml',
]);

/** A summary without its wall figures (the only part that may differ between worker counts). */
function simulated(s: Summary): Omit<Summary, 'wall'> {
  const { wall: _wall, ...rest } = s;
  return rest;
}

function load(file: string, seconds = SECONDS[file] ?? 15): Scenario {
  return anyScenarioFile(join(ROOT, 'scenarios', file), { duration_us: seconds * 1e6 });
}

describe('parallel runs: the same results for any number of workers', () => {
  const files = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).sort();

  it('covers every shipped scenario', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of files) {
    it(`${file}: 1, 2${THREE_WORKERS.has(file) ? ' and 3' : ''} workers give one summary and digest`, async () => {
      const sc = load(file);
      const one = runScenario(sc);
      expect(one.summary.events).toBeGreaterThan(1000);
      for (const workers of THREE_WORKERS.has(file) ? [2, 3] : [2]) {
        const r = await runPartitioned(sc, { workers, spawn: spawnNodeWorker, cores: 2 });
        expect(r.summary.digest, `${file}, ${workers} workers`).toBe(one.summary.digest);
        expect(simulated(r.summary), `${file}, ${workers} workers`).toEqual(simulated(one.summary));
        expect(r.timeseries).toEqual(one.timeseries);
        expect(r.summary.wall.workers).toBe(workers);
        expect(r.summary.wall.cross_worker_messages).toBeGreaterThan(0);
      }
    });
  }

  it('exchanging batches by messages instead of shared memory changes nothing', async () => {
    const sc = load('top-small.yaml', 12);
    const one = runScenario(sc);
    const r = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker, exchange: 'messages' });
    expect(simulated(r.summary)).toEqual(simulated(one.summary));
  });

  // Each member takes its copy of a flow in its own worker under the sender's key, so the cut
  // through the groups changes nothing; fault scenarios too (loss, partitions, crashes).
  const FLOW_CASES = [
    ['top-small.yaml', 12, [[2, 'shared'], [3, 'shared'], [2, 'messages']]],
    ['partition-heal.yaml', 22, [[2, 'shared']]],
    ['lossy-wan.yaml', 10, [[2, 'shared']]],
    ['group-third-crash.yaml', 18, [[2, 'shared']]],
  ] as const;
  for (const [file, seconds, runs] of FLOW_CASES) {
    it(`${file} with bulk data as flows: ${runs.map(([w, x]) => `${w} workers (${x})`).join(', ')} give the one-worker summary`, async () => {
      const base = load(file, seconds);
      const sc: Scenario = { ...base, network: { ...base.network, fidelity: 'flow' } };
      const one = runScenario(sc);
      expect(one.summary.fidelity).toBe('flow');
      for (const [workers, exchange] of runs) {
        const r = await runPartitioned(sc, { workers, spawn: spawnNodeWorker, cores: 2, exchange });
        expect(simulated(r.summary), `${file}, ${workers} workers, ${exchange}`).toEqual(simulated(one.summary));
        expect(r.summary.wall.cross_worker_messages).toBeGreaterThan(0);
      }
    });
  }

  it('latency_cdf_ms, table_timeline and the node hardware agree between 1 and 2 workers', async () => {
    // The report's distribution charts read these; a partitioned run rebuilds them from the
    // workers' observations and must give the in-process figures exactly.
    const sc = load('default.yaml', 20);
    const one = runScenario(sc);
    const two = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker, cores: 2 });
    expect(one.summary.latency_cdf_ms['all']).toHaveLength(101);
    expect(one.summary.table_timeline.blocks.flat().reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(two.summary.latency_cdf_ms).toEqual(one.summary.latency_cdf_ms);
    expect(two.summary.table_timeline).toEqual(one.summary.table_timeline);
    expect(two.summary.nodes.map((n) => [n.cores, n.upload_bps, n.download_bps]))
      .toEqual(one.summary.nodes.map((n) => [n.cores, n.upload_bps, n.download_bps]));
    expect(two.timeseries.map((r) => r.legs_committed)).toEqual(one.timeseries.map((r) => r.legs_committed));
  });

  it('a saturated run (every replica refusing excess transfers) gives the same summary on 2 workers', async () => {
    // Workers record only a transfer's first refusal; the count of dropped transfers must agree.
    const base = load('top-small.yaml', 8);
    const sc = { ...base, protocol: { ...base.protocol, pool_txs_max: 64 }, workload: { ...base.workload, rate_tps: 3000, schedule: { kind: 'constant' as const, rate_tps: 3000 } } };
    const one = runScenario(sc);
    expect(one.summary.tx_dropped).toBeGreaterThan(1000);
    const two = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker, cores: 2 });
    expect(simulated(two.summary)).toEqual(simulated(one.summary));
  });

  it('real signatures over workers give the modeled digest', async () => {
    // Contract 6: the digest is the same in both crypto modes, for any worker count.
    const sc = scenario({
      duration: '8s', warmup: '1s', crypto: 'real',
      network: { latency: { dataset: 'wittgenstein-aws-rtt-2019', regions: ['Frankfurt', 'London'] } },
      topology: { validators: 4, auditors: 4, edges: 2 },
      workload: { accounts: 50, rate_tps: 20 },
    });
    const modeled = runScenario({ ...sc, crypto: 'modeled' });
    const r = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker });
    expect(r.summary.crypto).toBe('real');
    expect(r.summary.digest).toBe(modeled.summary.digest);
  });

  it('the partitioner keeps each cluster in one worker when there are enough clusters', () => {
    const b = buildRun(load('top-small.yaml'), { local: 'none' });
    const owner = partitionNodes(b.nodes, top(b).rounds, 2);
    for (const r of top(b).rounds.map((list) => list[0])) {
      const members = [...r.auditors, ...r.validators.flatMap((v) => [...v])];
      expect(new Set(members.map((m) => owner[m])).size).toBe(1);
    }
    const counts = [0, 1].map((w) => owner.filter((o) => o === w).length);
    expect(Math.abs(counts[0] - counts[1])).toBeLessThanOrEqual(1);
    // With more workers than clusters, validator groups stay whole.
    const owner4 = partitionNodes(b.nodes, top(b).rounds, 4);
    for (const list of top(b).rounds) {
      for (const v of list[0].validators) expect(new Set([...v].map((m) => owner4[m])).size).toBe(1);
    }
    expect(new Set(owner4).size).toBe(4);
  });
});

/**
 * Wraps node `target`'s program so that, on the runs where `active()` holds, its first handler at
 * or after `at_us` sets one extra timer: a hidden difference between runs, as a stray Math.random
 * or an iteration over an unordered map would make.
 */
function perturb(r: RunResult['built'], target: number, at_us: number, active: () => boolean): void {
  const logic = r.sim.logicOf(target) as NodeLogic;
  const inner = logic.onMessage.bind(logic);
  const innerTimer = logic.onTimer.bind(logic);
  let done = false;
  logic.onMessage = (env: Env, from: number, msg: Msg) => {
    if (!done && env.now_us >= at_us && active()) {
      done = true;
      env.setTimer(1, { kind: 99, dw: 7 });
    }
    inner(env, from, msg);
  };
  logic.onTimer = (env: Env, t: Timer) => {
    if (t.kind !== 99) innerTimer(env, t);
  };
}

describe('--check-determinism', () => {
  it('finds the same digest in two in-process runs and a run over workers', async () => {
    const sc = load('default.yaml', 12);
    const mk = (label: string): Runner => ({
      label,
      run: async (rec) => {
        const r = runScenario(sc, rec);
        return { digest: r.summary.digest, checkpoints: r.checkpoints, trace: r.trace };
      },
    });
    const par: Runner = {
      label: '2 workers',
      run: async (rec) => {
        const r = await runPartitioned(sc, { ...rec, workers: 2, spawn: spawnNodeWorker });
        return { digest: r.summary.digest, checkpoints: r.checkpoints, trace: r.trace };
      },
    };
    const names = buildRun(sc, { local: 'none' }).nodes.map((x) => x.name);
    const report = await checkDeterminism(sc, [mk('a'), mk('b'), par], names);
    expect(report.same).toBe(true);
    expect(new Set(report.digests.map((d) => d.digest)).size).toBe(1);
  });

  it('names the node and time where an injected nondeterminism makes two runs part', async () => {
    const sc = load('top-small.yaml', 12);
    const names = buildRun(sc, { local: 'none' }).nodes.map((x) => x.name);
    const target = names.indexOf('a3');
    const at_us = 7_345_678;
    let runs = 0;
    // Every second run of the "flaky" runner carries the perturbation: state hidden across runs.
    const flaky: Runner = {
      label: 'flaky',
      run: async (rec) => {
        const mine = ++runs;
        const r = runScenario(sc, { ...rec, attach: (b) => perturb(b, target, at_us, () => mine % 2 === 0) });
        return { digest: r.summary.digest, checkpoints: r.checkpoints, trace: r.trace };
      },
    };
    const report = await checkDeterminism(sc, [flaky, flaky], names);
    expect(report.same).toBe(false);
    const d = report.divergence!;
    expect(d.node).toBe('a3');
    // The extra timer fires 1 µs after the perturbed handler's work, within a few ms of at_us.
    expect(d.time_us).toBeGreaterThanOrEqual(at_us);
    expect(d.time_us).toBeLessThan(at_us + 50_000);
    expect(d.a === 'none' || d.b === 'none' || d.a !== d.b).toBe(true);
  });
});

describe('shared-memory windows', () => {
  it('the main thread waits for the workers\' replies after the stop without starving them', async () => {
    // The stop is set before the replies arrive (they come as messages, i.e. macrotasks): the
    // watcher must yield to the event loop rather than spin on resolved promises.
    const view = new SharedView(createShared(2, 0, 1000));
    const replies: number[] = [];
    const handle = (w: number) => ({
      api: { runShared: () => new Promise<void>((r) => setTimeout(() => { replies.push(w); r(); }, 30)) },
      failed: new Promise<never>(() => undefined),
    }) as unknown as WorkerHandle;
    await runShared(view, [handle(0), handle(1)], (_w, p) => p, () => undefined);
    expect(Atomics.load(view.i32, 2)).toBe(1);
    expect(replies.sort()).toEqual([0, 1]);
  });
});

describe('worker failures', () => {
  it('a killed worker ends the run with an error naming the worker and the simulated time', async () => {
    const sc = load('top-small.yaml', 20);
    const handles: WorkerHandle[] = [];
    let killed = false;
    const run = runPartitioned(sc, {
      workers: 2,
      spawn: () => {
        const h = spawnNodeWorker();
        handles.push(h);
        return h;
      },
      progress: (now_us) => {
        if (!killed && now_us >= 4e6) {
          killed = true;
          handles[1].kill();
        }
      },
    });
    const err = await run.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerFailure);
    const f = err as WorkerFailure;
    expect(f.worker).toBe(1);
    expect(f.at_us).toBeGreaterThanOrEqual(4e6);
    expect(f.message).toMatch(/^worker 1 failed at simulated time \d+\.\d{6} s: the worker thread stopped/);
  });

  it('a worker that throws ends the run with its error and the time it failed at', async () => {
    const sc = load('top-small.yaml', 12);
    let calls = 0;
    const spawn = (index: number): WorkerHandle => {
      const h = spawnNodeWorker();
      if (index !== 1) return h;
      // Worker 1 receives a corrupt batch in its 200th window: it fails inside its thread.
      const api = new Proxy(h.api, {
        get(t, k) {
          if (k !== 'window') return Reflect.get(t, k);
          return (inbox: (Uint8Array | null)[], until: number) =>
            t.window(++calls === 200 ? [new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]), null] : inbox, until);
        },
      });
      return { ...h, api };
    };
    const err = await runPartitioned(sc, { workers: 2, spawn, exchange: 'messages' }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerFailure);
    const f = err as WorkerFailure;
    expect(f.worker).toBe(1);
    expect(f.at_us).toBeGreaterThan(0);
    expect(f.reason).toMatch(/RangeError|batch/);
  });

  it('the CLI prints one error line, exits 3 and writes no report when a worker dies', async () => {
    const out = mkdtempSync(join(tmpdir(), 'topsim-par-'));
    const err: string[] = [];
    const io = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
      spawnWorker: (index: number) => {
        const h = spawnNodeWorker();
        if (index === 1) h.kill();
        return h;
      },
    };
    const code = await main(['run', join(ROOT, 'scenarios', 'default.yaml'), '--duration', '12s', '--workers', '2', '--out', out], io);
    expect(code).toBe(3);
    const lines = err.join('').split('\n').filter((l) => l.startsWith('error:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: worker 1 failed at simulated time 0\.000000 s: /);
    expect(existsSync(join(out, 'default'))).toBe(false);
  });

  it('a worker reports errors with the simulated time it failed at', () => {
    const sc = load('default.yaml', 12);
    const w = new PartitionWorker();
    const owner = new Int32Array(buildRun(sc, { local: 'none' }).nodes.length).map((_, i) => i % 2);
    w.init(sc, 0, owner, 2);
    w.window([null, null], 3e6);
    expect(() => w.window([null, new Uint8Array([1, 2, 3])], 4e6)).toThrow(new RegExp(`^${FAILED_AT}3000000: `));
  });
});
