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
import { parseScenario, scenarioToFile } from '../sim/scenario/index.js';
import { firstError, SMALL_NET } from './helpers.js';
import { TOY, toyFamily } from './toy/family.js';
import { TOY_CONFIG } from './toy/config.js';

/** A toy scenario in the toy's own file format (test/toy/config.ts). */
const toy = (file: Record<string, unknown> = {}) => parseScenario({
  name: 'toy', duration: '10s', warmup: '1s', network: SMALL_NET, protocol: { family: 'toy' },
  chain: { validators: 5, clients: 2 }, workload: { accounts: 50, rate_tps: 40 }, ...file,
}, TOY_CONFIG);
const sc = () => toy();

/** The first error line of a toy file, or "no error". */
const toyError = (file: Record<string, unknown>) => firstError(() => toy(file));

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
    // The toy's one section, from its leader's own records (Observe.note): every packed block,
    // and every transfer packed in the window or before it.
    expect(Object.keys(s)).not.toContain('elections');
    const packed = (s as unknown as { packed: { blocks: number; transfers: number } }).packed;
    expect(packed.blocks).toBe(s.tables[0].height_committed);
    expect(packed.transfers).toBeGreaterThanOrEqual(s.tx_final);
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
    const r = runScenario(toy({
      duration: '20s', checks: { liveness_bound: '5s' }, faults: [{ kind: 'crash', nodes: ['v0'], at: '4s' }],
    }), { module: TOY });
    const v = r.summary.violations;
    expect(v.map((x) => x.check)).toEqual(['liveness']);
    expect(v[0].time_us).toBe(20e6);
    expect(r.summary.phases.liveness_judged).toBe(true);
    // Without the crash the same run lives.
    const ok = runScenario(toy({ duration: '20s', checks: { liveness_bound: '5s' } }), { module: TOY });
    expect(ok.summary.violations).toEqual([]);
  });

  it('has its own file format beside the envelope: sections, node names, fault kinds, behaviours, errors', () => {
    const s = toy({ faults: [{ kind: 'stall_leader', at: '3s', until: '4s' }], byzantine: [{ nodes: ['v1'], behavior: 'fork' }] });
    expect((s as unknown as { chain: unknown }).chain).toEqual({ validators: 5, clients: 2, slot_us: 500_000 });
    expect(Object.keys(s.hardware)).toEqual(['validator', 'edge']);
    expect(s.costs).toEqual({ message_base_us: 5, verify_block_us: 50, per_tx_us: 2 });
    expect(s.faults).toEqual([{ kind: 'stall_leader', at_us: 3e6, until_us: 4e6 }]);
    // Written back and read again: the same scenario, in the toy's key order.
    const file = scenarioToFile(s, TOY_CONFIG);
    expect(Object.keys(file)).toEqual([
      'schema_version', 'name', 'description', 'seed', 'duration', 'warmup', 'crypto', 'replica_state', 'network', 'protocol',
      'chain', 'hardware', 'costs', 'workload', 'faults', 'byzantine', 'checks',
    ]);
    expect(parseScenario(file, TOY_CONFIG)).toEqual(s);
    // TOP's sections, names and kinds are not the toy's.
    expect(toyError({ topology: { tables: 2 } })).toMatch(/^topology: unknown key \(expected one of \$schema, .*, chain, hardware, costs, workload, faults, byzantine, checks\)$/);
    expect(toyError({ chain: { validators: 1 } })).toBe('chain.validators: expected an integer from 2 to 64, got 1');
    expect(toyError({ faults: [{ kind: 'crash_leader', view: 3 }] })).toBe('faults[0].kind: expected one of crash, partition, stall_leader, got "crash_leader"');
    expect(toyError({ faults: [{ kind: 'crash', at: '2s', nodes: ['a0'] }] })).toMatch(/^faults\[0\]\.nodes\[0\]: expected a node name like "v1" or "e0"/);
    expect(toyError({ faults: [{ kind: 'crash', at: '2s', nodes: ['v7'] }] })).toBe('faults[0].nodes[0]: unknown node "v7" (the chain has v0..v4)');
    expect(toyError({ faults: [{ kind: 'crash', at: '2s', nodes: ['vgroup:0'] }] })).toMatch(/^faults\[0\]\.nodes\[0\]: expected a node name like "v1"/);
    expect(toyError({ faults: [{ kind: 'stall_leader', at: '1s', until: '90s' }], duration: '100s' })).toBe('faults[0].until: expected a stall of at most 60s');
    expect(toyError({ byzantine: [{ nodes: ['v1'], behavior: 'equivocate' }] })).toBe('byzantine[0].behavior: expected "fork", got "equivocate"');
    expect(toyError({ byzantine: [{ nodes: ['v2'], behavior: 'fork' }] })).toBe('byzantine[0].nodes: only v1 forks');
    expect(toyError({ protocol: { family: 'top' } })).toBe('protocol.family: expected one of toy, got "top"');
    expect(toyError({ hardware: { auditor: {} } })).toMatch(/^hardware\.auditor: unknown key \(expected one of validator, edge\)$/);
  });

  it('acts on its own fault kind and byzantine behaviour', () => {
    const heights = (r: ReturnType<typeof runScenario>) => r.built.metrics.chains[0].commitTimes;
    const plain = runScenario(toy({ duration: '8s' }), { module: TOY });
    const stalled = runScenario(toy({ duration: '8s', faults: [{ kind: 'stall_leader', at: '2s', until: '5s' }] }), { module: TOY });
    // No block is made inside the stall: about six fewer 0.5 s slots, and no commit time in [2.2 s, 5 s).
    expect(heights(stalled).length).toBeLessThanOrEqual(heights(plain).length - 5);
    expect(heights(stalled).filter((t) => t !== undefined && t >= 2.2e6 && t < 5e6)).toEqual([]);
    expect(stalled.summary.violations).toEqual([]);
    // A fork by a node the scenario declares byzantine is not judged (the same fork by an honest node is: above).
    const forked = (file: Record<string, unknown>) => {
      const ids = new Set<string>();
      const r = runScenario(toy(file), {
        module: TOY,
        attach: (b) => b.watch({ commit: (_node, _t, key) => { if (key.height === 2) ids.add(key.id); } }),
      });
      return { ids: ids.size, violations: r.summary.violations };
    };
    expect(forked({})).toEqual({ ids: 1, violations: [] });
    expect(forked({ byzantine: [{ nodes: ['v1'], behavior: 'fork' }] })).toEqual({ ids: 2, violations: [] });
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
