/**
 * The seam between the generic layers and a protocol family (sim/contract/module.ts), proven with
 * a family that is not TOP: a toy one-leader chain (test/toy/family.ts) runs through the runner
 * (one thread and two workers), the generic metrics and checks, every report renderer and the
 * page's session, with nothing TOP-specific in the way.
 */
import { describe, expect, it } from 'vitest';
import * as Comlink from 'comlink';
import { runScenario } from '../sim/runner/run.js';
import { runPartitioned, type WorkerHandle } from '../sim/runner/parallel.js';
import { PartitionWorker } from '../sim/runner/partition-worker.js';
import { formatSummaryTable, reportHtml, summaryJson, timeseriesCsv } from '../sim/report/index.js';
import { chromeTraceJson, traceNodes } from '../sim/report/trace.js';
import { Session } from '../web/session.js';
import { scenario, SMALL_NET } from './helpers.js';
import { TOY, toyFamily } from './toy/family.js';

const sc = () => scenario({
  duration: '10s', warmup: '1s', network: SMALL_NET,
  topology: { validators: 5, auditors: 4, edges: 2 }, workload: { accounts: 50, rate_tps: 40 },
});

/** A worker run in this thread: the same class the worker threads run, without a thread. */
function inProcess(): WorkerHandle {
  const w = new PartitionWorker();
  const api = {
    init: async (...a: Parameters<PartitionWorker['init']>) => w.init(...a),
    window: async (...a: Parameters<PartitionWorker['window']>) => w.window(...a),
    finish: async (...a: Parameters<PartitionWorker['finish']>) => w.finish(...a),
    runShared: async () => w.runShared(),
  };
  return {
    api: api as unknown as Comlink.Remote<PartitionWorker>,
    failed: new Promise<never>(() => {}),
    terminate: async () => {},
    kill: () => {},
  };
}

describe('a toy family through the seam', () => {
  it('runs: blocks commit, transfers finalize at the offered rate, no violation', () => {
    const r = runScenario(sc(), { module: TOY });
    const s = r.summary;
    expect(s.violations).toEqual([]);
    expect(r.built.nodes.map((x) => x.name)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'e0', 'e1']);
    // 40 tx/s offered by two clients, blocks every 0.5 s: all but the last block's are final.
    expect(s.tx_submitted).toBeGreaterThan(380);
    expect(s.tx_final).toBeGreaterThan(s.tx_submitted - 40);
    expect(s.tps_final).toBeGreaterThan(36);
    expect(s.tps_final).toBeLessThan(44);
    expect(Object.keys(s.latency_final_ms)).toEqual(['all', 'transfer']);
    expect(s.latency_final_ms.transfer.count).toBe(s.latency_final_ms.all.count);
    // A transfer waits for the next 0.5 s tick, then one broadcast: p50 well under a second.
    expect(s.latency_final_ms.all.p50!).toBeGreaterThan(0);
    expect(s.latency_final_ms.all.p50!).toBeLessThan(1000);
    expect(s.tables).toHaveLength(1);
    expect(s.tables[0].height_committed).toBeGreaterThanOrEqual(19);
    expect((s.tables[0] as unknown as Record<string, number>).blocks_block).toBe(s.tables[0].height_committed);
    expect(Object.keys(s.messages).sort()).toEqual(['toy_block', 'toy_tx']);
    expect(s.limits).toBeNull();
    expect(s.elections).toBeNull();
  });

  it('gives the same digest and summary over two workers as in one thread', async () => {
    const one = runScenario(sc(), { module: TOY });
    const two = await runPartitioned(sc(), { workers: 2, spawn: inProcess, exchange: 'messages', module: TOY });
    expect(two.summary.digest).toBe(one.summary.digest);
    expect(two.summary.wall.cross_worker_messages).toBeGreaterThan(0);
    const strip = (x: typeof one.summary) => ({ ...x, wall: null });
    expect(strip(two.summary)).toEqual(strip(one.summary));
  });

  it('the generic checks judge it: a node that commits its own block at a height breaks safety', () => {
    const r = runScenario(sc(), { module: toyFamily({ fork: true }) });
    const checks = r.summary.violations.map((v) => `${v.check} ${v.node} ${v.height}`);
    expect(checks).toContain('safety v1 2');
    expect(checks.some((c) => c.startsWith('agreement v1'))).toBe(true);
  });

  it('the generic liveness check judges it: the leader crashes for good, transfers wait, the chain stalls', () => {
    const r = runScenario(scenario({
      duration: '20s', warmup: '1s', network: SMALL_NET, checks: { liveness_bound: '5s' },
      topology: { validators: 5, auditors: 4, edges: 2 }, workload: { accounts: 50, rate_tps: 40 },
      faults: [{ kind: 'crash', nodes: ['v0'], at: '4s' }],
    }), { module: TOY });
    const v = r.summary.violations;
    expect(v.map((x) => x.check)).toEqual(['liveness']);
    expect(v[0].time_us).toBe(20e6);
    expect(r.summary.phases.liveness_judged).toBe(true);
    // Without the crash the same run lives.
    const ok = runScenario(scenario({
      duration: '20s', warmup: '1s', network: SMALL_NET, checks: { liveness_bound: '5s' },
      topology: { validators: 5, auditors: 4, edges: 2 }, workload: { accounts: 50, rate_tps: 40 },
    }), { module: TOY });
    expect(ok.summary.violations).toEqual([]);
  });

  it('renders in every report format', () => {
    const r = runScenario(sc(), { module: TOY });
    const table = formatSummaryTable(r.summary);
    expect(table).toContain(r.summary.digest.slice(0, 16));
    expect(table).toContain('transfer');
    const html = reportHtml(r.summary, r.timeseries);
    expect(html).toContain('toy_block');
    expect(JSON.parse(summaryJson(r.summary)).digest).toBe(r.summary.digest);
    expect(timeseriesCsv(r.timeseries).split('\n').length).toBeGreaterThan(10);
    const trace = chromeTraceJson(
      { from_us: 0, to_us: 1e6, cap: 10, slices: 0, truncated_at_us: null, rows: new Float64Array(0) },
      traceNodes(r.built.sc, r.built.nodes, TOY), {}, TOY,
    );
    expect(JSON.parse(trace).metadata.cap).toBe(10);
  });

  it('runs in the page session with the command line digest, and its frames carry its blocks', () => {
    const want = runScenario(sc(), { module: TOY }).summary;
    const s = new Session(sc(), [], TOY);
    expect(s.meta.latencyClasses).toEqual(['transfer']);
    expect(s.meta.blockKinds).toEqual(['block']);
    s.advance(5e6, Infinity, () => 0);
    const f = s.frame();
    expect(f.blkHeight.length).toBeGreaterThan(5);
    expect(f.latency).toHaveLength(1);
    expect(s.runToEnd()).toBe(want.digest);
    // The page's counts are the summary's: every first commit and every final transfer.
    const last = s.frame();
    expect(last.txFinal).toBe(want.tx_final);
    expect(last.blocksCommitted).toBe(want.tables[0].height_committed);
    expect(f.latency[0].reduce((a, b) => a + b, 0) + last.latency[0].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(last.tableHeight[0]).toBe(want.tables[0].height_committed);
  });
});
