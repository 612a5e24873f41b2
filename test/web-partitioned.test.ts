// The page's run over several workers (web/partitioned.ts) in Node, with worker threads: frame by
// frame, paused at targets and at wall-time budgets, it gives the one-worker digest, the same
// blocks, finality and heights, and the inspector and block panel read the worker that runs a node.
import { describe, expect, it } from 'vitest';
import { applyOverrides, loadScenario } from '../sim/scenario/index.js';
import { spawnNodeWorker } from '../sim/runner/node-host.js';
import { Session, NODE_ALIVE, NODE_LEADER } from '../web/session.js';
import { PartitionedSession, storyNeedsOneWorker } from '../web/partitioned.js';
import type { Action } from '../web/actions.js';

const short = (path: string, duration_us: number) => ({ ...applyOverrides(loadScenario(path), { duration_us }), warmup_us: 2_000_000 });

describe('the page over several workers', () => {
  it('gives the one-worker digest and figures, paused at frame targets and budgets, and inspects nodes in their worker', async () => {
    const sc = short('scenarios/default.yaml', 20_000_000);
    const one = new Session(sc);
    one.runToEnd();
    const oneLast = one.frame();
    const s = await PartitionedSession.open(sc, [], 2, spawnNodeWorker);
    try {
      const v3 = s.meta.nodes.findIndex((x) => x.name === 'v3');
      s.inspect(v3);
      let frames = 0;
      let committed = 0;
      let sampled = 0;
      let links = 0;
      let budgetStops = 0;
      let inspected = false;
      let detail = false;
      while (!s.done) {
        // Alternate a far target with a tiny wall budget (a pause at the deadline) and a near one.
        const far = frames % 3 === 2;
        const target = s.now_us + (far ? 5_000_000 : 250_000);
        const reached = await s.advance(target, far ? 1 : 1000);
        if (far && !reached) budgetStops++;
        if (!far && !s.done) expect(s.now_us).toBe(Math.min(target, sc.duration_us));
        const f = s.frame();
        frames++;
        committed += f.blkTable.length;
        sampled += f.msgFrom.length;
        links += f.links.length;
        expect(f.blocksCommitted).toBe(committed);
        expect(f.msgFrom.length).toBeLessThanOrEqual(f.msgDelivered);
        if (!inspected && s.now_us > 8_000_000 && !s.done) {
          const ins = await s.inspection(v3);
          expect(ins.name).toBe('v3');
          expect(ins.rows.length).toBeGreaterThan(0);
          expect(ins.recent.length).toBeGreaterThan(0);
          expect(ins.bytes_in).toBeGreaterThan(0);
          inspected = true;
        }
        if (!detail && f.blkTable.length > 0 && !s.done) {
          const d = await s.blockDetail(f.blkTable[0], f.blkHeight[0]);
          expect(d?.title).toMatch(/^Table block T\d+ #\d+/);
          detail = true;
        }
      }
      expect(inspected && detail).toBe(true);
      expect(frames).toBeGreaterThan(40);
      expect(budgetStops).toBeGreaterThan(0);
      expect(sampled).toBeGreaterThan(100);
      expect(s.digest).toBe(one.digest);
      expect(await s.advance(sc.duration_us + 1, 10), 'a frame after the end answers with the end').toBe(true);
      const last = s.frame();
      expect(last.done).toBe(true);
      expect(last.digest).toBe(one.digest);
      expect(last.blocksCommitted).toBe(oneLast.blocksCommitted);
      expect(last.txFinal).toBe(oneLast.txFinal);
      expect(last.txSubmitted).toBe(oneLast.txSubmitted);
      expect(Array.from(last.tableHeight)).toEqual(Array.from(oneLast.tableHeight));
      expect(Array.from(last.finalPerSecond)).toEqual(Array.from(oneLast.finalPerSecond));
      expect(last.latency.map((h) => Array.from(h))).toEqual(oneLast.latency.map((h) => Array.from(h)));
      expect(Array.from(last.bytesIn)).toEqual(Array.from(oneLast.bytesIn));
      expect(last.events).toBe(oneLast.events);
      expect(Array.from(last.flags).filter((x) => x & NODE_LEADER).length).toBe(1);
      expect(Array.from(last.flags).every((x) => x & NODE_ALIVE)).toBe(true);
      void links;
    } finally {
      await s.close();
    }
  });

  it('applies the viewer\'s actions as one worker does', async () => {
    const sc = short('scenarios/default.yaml', 15_000_000);
    const actions: Action[] = [
      { kind: 'crash', node: 'v1', at_us: 4_000_000 },
      { kind: 'partition', a: 'region:Virginia', b: 'region:Frankfurt', at_us: 6_000_000 },
      { kind: 'heal', at_us: 10_000_000 },
    ];
    const one = new Session(sc, actions);
    one.runToEnd();
    const s = await PartitionedSession.open(sc, actions, 2, spawnNodeWorker);
    try {
      while (!s.done) {
        await s.advance(s.now_us + 1_000_000, 1000);
        const f = s.frame();
        const v1 = s.meta.nodes.findIndex((x) => x.name === 'v1');
        if (f.now_us > 4_000_000) expect(f.flags[v1] & NODE_ALIVE).toBe(0);
      }
      expect(s.digest).toBe(one.digest);
    } finally {
      await s.close();
    }
  });

  it('keeps a family with its own panel on one worker, and refuses one worker', async () => {
    expect(storyNeedsOneWorker(loadScenario('scenarios/vapor.yaml'))).toBe(true);
    expect(storyNeedsOneWorker(loadScenario('scenarios/viz-1k.yaml'))).toBe(false);
    await expect(PartitionedSession.open(loadScenario('scenarios/default.yaml'), [], 1, spawnNodeWorker)).rejects.toThrow(/workers: expected an integer of at least 2, got 1/);
  });
});
