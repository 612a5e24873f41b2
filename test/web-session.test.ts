// The visualizer's session (web/session.ts) and actions (web/actions.ts) in Node: the page's run is
// the command line's run, frame by frame or straight through, with and without the viewer's actions.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { applyOverrides, loadScenario, parseScenarioText, scenarioToFile, ScenarioError } from '../sim/scenario/index.js';
import { runScenario } from '../sim/runner/run.js';
import { Session, NODE_ALIVE, NODE_BYZANTINE, NODE_LEADER, bucketOf, LATENCY_EDGES_MS } from '../web/session.js';
import { scenarioFileWith, scenarioWith, encodeActions, decodeActions, actionTime, exportedText, type Action } from '../web/actions.js';
import { readFileSync } from 'node:fs';

const short = (path: string, duration_us: number) => ({ ...applyOverrides(loadScenario(path), { duration_us }), warmup_us: 2_000_000 });

describe('web session', () => {
  it('gives the command line digest, run in frames or straight through', () => {
    const sc = short('scenarios/default.yaml', 20_000_000);
    const cli = runScenario(sc).summary;
    const straight = new Session(sc).runToEnd();
    expect(straight).toBe(cli.digest);

    const s = new Session(sc);
    let clock = 0;
    let frames = 0;
    let committed = 0;
    let sampled = 0;
    while (!s.done) {
      // A fake clock that moves 1 ms per reading: small, uneven steps.
      s.advance(s.now_us + 333_333, 5, () => clock++);
      const f = s.frame();
      frames++;
      committed += f.blkTable.length;
      sampled += f.msgFrom.length;
      expect(f.blocksCommitted).toBe(committed);
      expect(f.msgFrom.length).toBeLessThanOrEqual(f.msgDelivered);
    }
    expect(frames).toBeGreaterThan(30);
    expect(s.digest).toBe(cli.digest);
    const last = s.frame();
    expect(last.done).toBe(true);
    expect(last.digest).toBe(cli.digest);
    expect(last.blocksCommitted).toBe(cli.tables.reduce((n, t) => n + t.blocks_light + t.blocks_empty + t.blocks_full, 0));
    expect(last.txFinal).toBe(cli.tx_final);
    expect(Array.from(last.finalPerSecond).reduce((a, b) => a + b, 0)).toBe(cli.tx_final);
    expect(Array.from(last.tableHeight)).toEqual(cli.tables.map((t) => t.height_committed));
    expect(sampled).toBeGreaterThan(100);
    // Every node alive, nobody byzantine, one leader marked.
    const leaders = Array.from(last.flags).filter((x) => x & NODE_LEADER).length;
    expect(leaders).toBe(1);
    expect(Array.from(last.flags).every((x) => x & NODE_ALIVE && !(x & NODE_BYZANTINE))).toBe(true);
  });

  it('applies actions as scenario entries the command line reproduces', () => {
    const sc = short('scenarios/default.yaml', 30_000_000);
    const actions: Action[] = [
      { kind: 'crash', node: 'v1', at_us: 5_000_000 },
      { kind: 'equivocate', node: 'a2', at_us: 6_000_000 },
      { kind: 'partition', a: 'region:Virginia', b: 'region:Frankfurt', at_us: 8_000_000 },
      { kind: 'restart', node: 'v1', at_us: 12_000_000 },
      { kind: 'heal', at_us: 15_000_000 },
    ];
    const s = new Session(sc, actions);
    const digest = s.runToEnd();
    // The exported file, read back as the command line reads it.
    const text = stringify(scenarioFileWith(sc, actions));
    const fromFile = parseScenarioText(text, 'exported.yaml');
    expect(runScenario(fromFile).summary.digest).toBe(digest);
    expect(digest).not.toBe(new Session(sc).runToEnd());
    expect(fromFile.faults.map((f) => f.kind)).toEqual(['crash', 'partition']);
    expect(fromFile.faults[0]).toMatchObject({ at_us: 5_000_000, until_us: 12_000_000, nodes: ['v1'] });
    expect(fromFile.byzantine[0]).toMatchObject({ behavior: 'equivocate', at_us: 6_000_000, nodes: ['a2'] });
    const f = s.frame();
    const a2 = s.meta.nodes.findIndex((x) => x.name === 'a2');
    expect(f.flags[a2] & NODE_BYZANTINE).toBeTruthy();
  });

  it('exports the file as written, with the actions appended: its comments and schema line kept, no default expanded', () => {
    const text = readFileSync('scenarios/leader-crash.yaml', 'utf8');
    const base = applyOverrides(parseScenarioText(text, 'leader-crash.yaml'), { seed: 99 });
    const actions: Action[] = [
      { kind: 'crash', node: 'v3', at_us: 20_000_000 },
      { kind: 'restart', node: 'v3', at_us: 30_000_000 },
      { kind: 'equivocate', node: 'a1', at_us: 25_000_000 },
    ];
    const out = exportedText(text, base, actions, 'Exported from the topsim visualizer: test.');
    expect(out.split('\n')[0]).toBe('# Exported from the topsim visualizer: test.');
    // The schema line and the file's own comments stay; defaults it did not write stay out.
    expect(out).toContain('# yaml-language-server: $schema=./scenario.schema.json');
    for (const line of text.split('\n').filter((l) => l.startsWith('#'))) expect(out).toContain(line);
    for (const key of ['costs:', 'sizes:', 'stake:', 'elections:', 'hardware:']) expect(out).not.toContain(key);
    expect(out).toMatch(/^seed: 99$/m);
    // It is the run the page made.
    const back = parseScenarioText(out, 'exported.yaml');
    expect(scenarioToFile(back)).toEqual(scenarioToFile(scenarioWith(base, actions)));
    // No actions and the same seed: the text as loaded, under the header (flow lists written "[ a, b ]").
    const same = exportedText(text, parseScenarioText(text, 'leader-crash.yaml'), [], 'h');
    expect(same.split('\n').slice(1).join('\n').replace(/\[ (.*) \]/g, '[$1]')).toBe(text);
  });

  it('marks a node crashed from the page at the time of the action', () => {
    const sc = short('scenarios/default.yaml', 12_000_000);
    const s = new Session(sc, [{ kind: 'crash', node: 'v3', at_us: 4_000_000 }]);
    const v3 = s.meta.nodes.findIndex((x) => x.name === 'v3');
    s.advance(3_999_000, Infinity, () => 0);
    expect(s.frame().flags[v3] & NODE_ALIVE).toBeTruthy();
    s.advance(4_001_000, Infinity, () => 0);
    expect(s.frame().flags[v3] & NODE_ALIVE).toBeFalsy();
    const ins = s.inspection(v3);
    expect(ins).toMatchObject({ name: 'v3', role: 'validator', alive: false, group: 'vgroup:0' });
    expect(ins.facts).toEqual([['stake', '500,000 TOP, 0 votes, credit 0.33'], ['tables', 'T0']]);
    expect(ins.columns).toEqual(['table', 'view', 'committed', 'locked', 'pool', 'receipts', 'confirms']);
    expect(ins.rows.map((r) => r[0])).toEqual(['T0']);
  });

  it('refuses actions that do not fit, naming the action', () => {
    const sc = short('scenarios/default.yaml', 12_000_000);
    const bad = (actions: Action[], re: RegExp) => {
      expect(() => scenarioWith(sc, actions)).toThrow(ScenarioError);
      expect(() => scenarioWith(sc, actions)).toThrow(re);
    };
    bad([{ kind: 'restart', node: 'v1', at_us: 1000 }], /actions\/0: no crash of v1/);
    bad([{ kind: 'heal', at_us: 1000 }], /actions\/0: no open partition/);
    bad([{ kind: 'crash', node: 'v1', at_us: 13_000_000 }], /actions\/0: expected a time in/);
    bad([{ kind: 'crash', node: 'v1', at_us: 1000 }, { kind: 'crash', node: 'v1', at_us: 2000 }], /actions\/1: v1 is already crashed/);
    expect(() => scenarioWith(sc, [{ kind: 'crash', node: 'v99', at_us: 1000 }])).toThrow(/v99/);
  });

  it('encodes actions for share URLs and reads them back', () => {
    const actions: Action[] = [
      { kind: 'crash', node: 'v3', at_us: 12_000_000 },
      { kind: 'partition', a: 'vgroup:0', b: 'region:Frankfurt', at_us: 13_000_000 },
      { kind: 'heal', at_us: 14_000_000 },
      { kind: 'restart', node: 'v3', at_us: 15_000_000 },
      { kind: 'equivocate', node: 'a0', at_us: 0 },
    ];
    const text = encodeActions(actions);
    expect(text).toBe('crash:v3@12000000,partition:vgroup:0|region:Frankfurt@13000000,heal@14000000,restart:v3@15000000,equivocate:a0@0');
    expect(decodeActions(text)).toEqual(actions);
    expect(decodeActions('')).toEqual([]);
    expect(() => decodeActions('crash:v3')).toThrow(/actions\/0: expected kind/);
    expect(() => decodeActions('explode:v3@1')).toThrow(/unknown action "explode"/);
    expect(() => decodeActions('crash:v1@1,partition:vgroup:0@2')).toThrow(/actions\/1: partition needs two groups/);
    expect(actionTime(12_345_001)).toBe(12_346_000);
    expect(actionTime(12_000_000)).toBe(12_000_000);
  });

  it('buckets latencies on log-spaced edges', () => {
    expect(bucketOf(5)).toBe(0);
    expect(bucketOf(10)).toBe(1);
    expect(bucketOf(LATENCY_EDGES_MS[8] * 1.01)).toBe(9);
    expect(bucketOf(1e9)).toBe(LATENCY_EDGES_MS.length);
    // Every value lands in the bucket whose edges hold it.
    for (const ms of [10.5, 33, 99.9, 100, 101, 2_500, 77_777, 999_999]) {
      const k = bucketOf(ms);
      expect(LATENCY_EDGES_MS[k - 1], `${ms}`).toBeLessThanOrEqual(ms * (1 + 1e-12));
      expect(ms, `${ms}`).toBeLessThan(LATENCY_EDGES_MS[k] * (1 + 1e-12));
    }
  });
});
