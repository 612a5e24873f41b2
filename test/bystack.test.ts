/**
 * The Bystack family (docs/BYSTACK.md): the Bytom main chain's mining, relay, heaviest chain and
 * finality at a confirmation depth; its checks shown to fire; its scenarios' expected outcomes;
 * the same digest over 1, 2 and 3 workers and in both crypto modes; its file format's errors.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { applyOverrides, loadScenario, parseScenario, scenarioToFile } from '../sim/scenario/index.js';
import { runScenario } from '../sim/runner/run.js';
import { runPartitioned } from '../sim/runner/parallel.js';
import { spawnNodeWorker } from '../sim/runner/node-host.js';
import type { Scenario } from '../sim/scenario/types.js';
import type { CheckHost, Violation } from '../sim/contract/module.js';
import { BystackChecks } from '../sim/protocol/bystack/checks.js';
import { peerGraph, type FederationSummary, type MainSummary, type VaporSummary } from '../sim/protocol/bystack/module.js';
import { asBystack } from '../sim/protocol/bystack/scenario.js';
import { CLASS_PEG_IN, LEG_LOCK, walletCoin, type MainBlock, type SideBlock, type Tx } from '../sim/protocol/bystack/messages.js';
import { releaseOf } from '../sim/protocol/bystack/federation.js';
import { firstError } from './helpers.js';
import { Session } from '../web/session.js';
import { reportHtml } from '../sim/report/html.js';
import type { BystackStory } from '../sim/protocol/bystack/story.js';
import type { PanelStory } from '../web/families/bystack.js';

/** Compile-time: the story the family sends is what its page panel reads (the panel declares its own shape). */
const storyFitsPanel = (s: BystackStory): PanelStory => s;
void storyFitsPanel;

const SCENARIOS = join(import.meta.dirname, '..', 'scenarios');
const load = (name: string): Scenario => loadScenario(join(SCENARIOS, `${name}.yaml`));
const main = (s: object) => (s as { mainchain: MainSummary }).mainchain;
const M = 60e6;

/** A small main chain: 4 miners, 8 full nodes, 30 s blocks (so a short run has many), 3 confirmations. */
const small = (extra: Record<string, unknown> = {}) => parseScenario({
  name: 'small-main', seed: 5, duration: '40m', warmup: '5m', protocol: { family: 'bystack' },
  network: { latency: { dataset: 'wittgenstein-aws-rtt-2019' } },
  mainchain: { miners: 4, nodes: 8, peers: 3, block_interval: '30s', confirmations: 3 }, vapor: { producers: 0 }, federation: { signers: 0 },
  checks: { liveness_bound: '10m' },
  workload: { accounts: 500, rate_tps: 10 }, ...extra,
});

describe('bystack main chain', () => {
  it('mines at the target interval, relays every block to every node, makes blocks final at the depth', () => {
    const r = runScenario(small());
    const s = r.summary;
    expect(s.violations).toEqual([]);
    const m = main(s);
    // 40 minutes of 30 s blocks: about 80 found; the final height trails the tip by the depth.
    expect(m.blocks_mined).toBeGreaterThan(55);
    expect(m.blocks_mined).toBeLessThan(110);
    expect(m.block_interval_mean_s!).toBeGreaterThan(20);
    expect(m.block_interval_mean_s!).toBeLessThan(40);
    expect(m.final_height).toBeGreaterThan(m.blocks_mined - m.stale_blocks - 8);
    // Every miner finds blocks of the final chain; every node hears of each new block within seconds.
    expect(Object.keys(m.blocks_by_miner)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(m.propagation_ms.p50!).toBeGreaterThan(50);
    expect(m.propagation_ms.p90!).toBeLessThan(5000);
    // Light load: every transfer offered before the last few blocks is final.
    expect(s.tps_final).toBeGreaterThan(8.5);
    expect(s.tps_final).toBeLessThan(11.5);
    // A transfer waits for its block (half an interval on average), then 3 confirmations.
    expect(s.latency_final_ms.main.p50!).toBeGreaterThan(60_000);
    expect(s.latency_final_ms.main.p50!).toBeLessThan(180_000);
    // Bytom's push relay: whole blocks only, to every peer not known to have it.
    expect(Object.keys(s.messages).sort()).toEqual(['block', 'tx_batch']);
  });

  it('announce relay: each node downloads each block about once, where push sends copies over most links', () => {
    const mc = { miners: 4, nodes: 8, peers: 3, block_interval: '30s', confirmations: 3 };
    const push = runScenario(small()).summary;
    const ann = runScenario(small({ mainchain: { ...mc, relay: 'announce' } })).summary;
    expect(ann.violations).toEqual([]);
    expect(Object.keys(ann.messages).sort()).toEqual(['block', 'getdata', 'inv', 'tx_batch']);
    const mined = main(ann).blocks_mined;
    // 12 full nodes: 11 downloads of each block (orphan fetches add a few).
    expect(ann.messages.block).toBeGreaterThanOrEqual(11 * (mined - 2));
    expect(ann.messages.block).toBeLessThan(13 * mined);
    expect(ann.messages.getdata).toBe(ann.messages.block);
    expect(push.messages.block).toBeGreaterThan(1.5 * ann.messages.block);
  });

  it('the gas ceiling bounds a saturated chain: no block holds more than block_gas_max / tx_gas transfers', () => {
    const sc = small({ workload: { accounts: 500, rate_tps: 40 }, mainchain: { miners: 4, nodes: 8, peers: 3, block_interval: '30s', confirmations: 3, block_gas_max: 200 * 1835 } });
    const r = runScenario(sc);
    expect(r.summary.violations).toEqual([]);
    // 200 transfers per 30 s block: about 6.7 tx/s whatever is offered.
    expect(r.summary.tps_final).toBeGreaterThan(4.5);
    expect(r.summary.tps_final).toBeLessThan(8.5);
    expect(r.summary.tx_dropped).toBeGreaterThan(0);
  });

  it('the relay graph links every node to at least `peers` others, and is connected', () => {
    const sc = asBystack(small());
    const g = peerGraph(sc);
    expect(g).toHaveLength(12);
    for (const p of g) expect(p.length).toBeGreaterThanOrEqual(3);
    const seen = new Set([0]);
    const todo = [0];
    while (todo.length > 0) for (const q of g[todo.pop()!]) if (!seen.has(q)) { seen.add(q); todo.push(q); }
    expect(seen.size).toBe(12);
  });

  it('retargets the difficulty toward the target interval when hash rate leaves', () => {
    // Half the hash rate crashes at the start: blocks come every 120 s instead of 60 s until the
    // retarget after 10 blocks halves the difficulty (the clamp allows 4x either way).
    const sc = small({
      duration: '80m',
      mainchain: { miners: 4, nodes: 8, peers: 3, block_interval: '60s', confirmations: 3, retarget_blocks: 10 },
      faults: [{ kind: 'crash', at: '0s', nodes: ['m2', 'm3'] }],
      checks: { liveness_bound: '30m' },
    });
    const r = runScenario(sc);
    expect(r.summary.violations).toEqual([]);
    const m = main(r.summary);
    expect(Object.keys(m.blocks_by_miner)).toEqual(['m0', 'm1']);
    // 60 s of the whole hash rate, halved: 30 s (up to the noise of 10 intervals).
    expect(m.difficulty_final_s).toBeGreaterThan(15);
    expect(m.difficulty_final_s).toBeLessThan(45);
  });

  it('gives the same digest and summary on 1, 2 and 3 workers, and in both crypto modes', async () => {
    const sc = small({ duration: '20m', warmup: '2m' });
    const one = runScenario(sc).summary;
    const strip = (x: typeof one) => ({ ...x, wall: null, crypto: null });
    for (const workers of [2, 3]) {
      const par = await runPartitioned(sc, { workers, spawn: spawnNodeWorker });
      expect(par.summary.digest, `${workers} workers`).toBe(one.digest);
      expect(strip(par.summary)).toEqual(strip(one));
    }
    const real = runScenario(small({ duration: '20m', warmup: '2m', crypto: 'real' })).summary;
    expect(real.digest).toBe(one.digest);
  }, 120_000);
});

/** A Vapor run: 10 producers, a light main chain beside it, every transfer on the side chain. */
const vapor = (extra: Record<string, unknown> = {}) => parseScenario({
  name: 'small-vapor', seed: 3, duration: '60s', warmup: '10s', protocol: { family: 'bystack' },
  network: { latency: { dataset: 'wittgenstein-aws-rtt-2019' } },
  mainchain: { miners: 2, nodes: 0, peers: 1 }, vapor: { producers: 10 }, federation: { signers: 0 },
  checks: { liveness_bound: '30s' },
  workload: { accounts: 2000, rate_tps: 100, side_percent: 100 }, ...extra,
});
const side = (s: object) => (s as { vapor: VaporSummary }).vapor;

describe('bystack vapor', () => {
  it('each producer makes 12 blocks in turn, 2 a second; 7 of 10 signatures make them irreversible within a slot or so', () => {
    const r = runScenario(vapor());
    const s = r.summary;
    expect(s.violations).toEqual([]);
    const v = side(s);
    // 60 s of 0.5 s slots: about 120 blocks, all made by the schedule, nearly all irreversible.
    expect(v.blocks_produced).toBeGreaterThanOrEqual(115);
    expect(v.blocks_produced).toBeLessThanOrEqual(121);
    expect(v.final_height).toBeGreaterThan(v.blocks_produced - 3);
    expect(v.missed_slots).toBeLessThanOrEqual(2);
    // Every producer owns 12 slots a minute.
    expect(Object.keys(v.blocks_by_producer)).toHaveLength(10);
    for (const n of Object.values(v.blocks_by_producer)) expect(n).toBeGreaterThanOrEqual(11);
    // The round trip of a block and the signatures back, over AWS regions: under a second.
    expect(v.irreversible_ms.p50!).toBeGreaterThan(20);
    expect(v.irreversible_ms.p90!).toBeLessThan(1000);
    expect(s.tps_final).toBeGreaterThan(90);
    expect(s.latency_final_ms.side.p50!).toBeLessThan(2000);
    expect(s.latency_final_ms.main.count).toBe(0);
    // Every producer signs every block and floods each signature to its peers.
    expect(s.messages.signature).toBeGreaterThan(10 * 9 * v.final_height);
  });

  it("packs by the code's caps (impl: 128 a block) or the design's gas ceiling", () => {
    const impl = runScenario(vapor({ workload: { accounts: 2000, rate_tps: 1000, side_percent: 100 } })).summary;
    expect(side(impl).txs_per_block_mean).toBeGreaterThan(120);
    expect(side(impl).txs_per_block_mean).toBeLessThanOrEqual(128);
    expect(impl.tps_final).toBeLessThan(260);
    const design = runScenario(vapor({ variant: 'design', workload: { accounts: 2000, rate_tps: 1000, side_percent: 100 } })).summary;
    expect(design.violations).toEqual([]);
    expect(design.tps_final).toBeGreaterThan(900);
  });

  it('a crashed producer: its slots pass with no block, the others go on and irreversibility holds', () => {
    const r = runScenario(vapor({ duration: '120s', faults: [{ kind: 'crash', at: '10s', nodes: ['p3'] }] }));
    expect(r.summary.violations).toEqual([]);
    const v = side(r.summary);
    // 12 slots a minute are p3's: about 24 missed in the 110 s it is down.
    expect(v.missed_slots).toBeGreaterThanOrEqual(18);
    expect(v.missed_slots).toBeLessThanOrEqual(30);
    expect(v.final_height).toBeGreaterThan(200);
  });

  it('withheld signatures: three producers leave seven (irreversible), four leave six (liveness fires)', () => {
    const withhold = (nodes: string[]) => vapor({ byzantine: [{ nodes, behavior: 'withhold_signatures', at: '20s' }] });
    const three = runScenario(withhold(['p0', 'p1', 'p2'])).summary;
    expect(three.violations).toEqual([]);
    expect(side(three).final_height).toBeGreaterThan(110);
    const four = runScenario(withhold(['p0', 'p1', 'p2', 'p3'])).summary;
    expect(four.violations.map((v) => v.check)).toEqual(['liveness']);
    expect(four.violations[0].table).toBe(1);
    // Nothing is irreversible after the withholding starts (a block or two in flight at 20 s).
    expect(side(four).final_height).toBeLessThan(45);
  });

  it('gives the same digest on 1, 2 and 3 workers and in both crypto modes', async () => {
    const sc = vapor({ duration: '30s', faults: [{ kind: 'crash', at: '10s', until: '20s', nodes: ['p5'] }] });
    const one = runScenario(sc).summary;
    const strip = (x: typeof one) => ({ ...x, wall: null, crypto: null });
    for (const workers of [2, 3]) {
      const par = await runPartitioned(sc, { workers, spawn: spawnNodeWorker });
      expect(par.summary.digest, `${workers} workers`).toBe(one.digest);
      expect(strip(par.summary)).toEqual(strip(one));
    }
    const real = runScenario(vapor({ duration: '30s', crypto: 'real', faults: [{ kind: 'crash', at: '10s', until: '20s', nodes: ['p5'] }] })).summary;
    expect(real.digest).toBe(one.digest);
  }, 120_000);
});

const fedOf = (s: object) => (s as { federation: FederationSummary }).federation;

describe('bystack federation', () => {
  it('bystack: pegs flow both ways; a peg-in waits for 10 confirmations and a poll, a peg-out for 300 irreversible blocks, a poll and 6 confirmations', () => {
    const r = runScenario(load('bystack'));
    const s = r.summary;
    expect(s.violations).toEqual([]);
    const f = fedOf(s);
    expect(f.peg_in.released).toBeGreaterThan(1000);
    expect(f.peg_out.released).toBeGreaterThan(1000);
    // Every release is for what was locked (the peg_conservation check would fire otherwise).
    expect(f.peg_in.value_released).toBeLessThanOrEqual(f.peg_in.value_locked);
    const l = s.latency_final_ms;
    const MIN = 60_000;
    // Peg-in: 10 main-chain blocks of ~150 s after the deposit's block, then a 150 s poll.
    expect(l.peg_in.p50!).toBeGreaterThan(15 * MIN);
    expect(l.peg_in.p50!).toBeLessThan(45 * MIN);
    // Peg-out: 300 Vapor blocks (150 s), a poll, then the payout's 6 confirmations.
    expect(l.peg_out.p50!).toBeGreaterThan(10 * MIN);
    expect(l.peg_out.p50!).toBeLessThan(l.peg_in.p50!);
    // Plain transfers: Vapor's within seconds, the main chain's at 6 confirmations.
    expect(l.side.p50!).toBeLessThan(3000);
    expect(l.main.p50!).toBeGreaterThan(8 * MIN);
    // The report has a section per chain and the federation's table.
    const html = reportHtml(s, r.timeseries);
    for (const h of ['Main chain (Bytom, proof of work)', 'Vapor side chain (DPoS)', 'Federation (pegs between the chains)']) expect(html).toContain(`<h2>${h}</h2>`);
    expect(html).toContain('The rotation: irreversible blocks per producer');
    expect(html.match(/<title>p\d: [\d,]+ blocks<\/title>/g)).toHaveLength(10);
    expect(html).toContain(`<td>peg-in (main chain to Vapor)</td><td class="n">${f.peg_in.locked.toLocaleString('en-US')}</td>`);
  });

  it('a signer that crashes and restarts strands no peg: the others submit what it was to submit, and send it again the signatures it missed', async () => {
    const file = (faults: object[]) => parseScenario({
      name: 'signer-restart', seed: 15, duration: '795s', warmup: '45s', protocol: { family: 'bystack' },
      network: { latency: { dataset: 'wittgenstein-aws-rtt-2019', regions: ['Sydney', 'Singapore', 'Ireland', 'Oregon'] }, jitter_percent: 5 },
      mainchain: { miners: 4, nodes: 5, hash_shares: [32, 32, 4, 32], block_interval: '15s', confirmations: 6, peers: 2 },
      vapor: { producers: 8 },
      federation: { signers: 4, quorum: 3, pegin_confirmations: 6, pegout_blocks: 30, poll: '7s' },
      workload: { accounts: 2000, rate_tps: 40, side_percent: 40, peg_in_percent: 15, peg_out_percent: 15 },
      faults, checks: { liveness_bound: '600s' },
    });
    const calm = runScenario(file([])).summary;
    expect(calm.violations).toEqual([]);
    for (const at of ['100s', '140s']) {
      // f0 submits every release while it is up; down for 20 s, it misses the signatures sent meanwhile.
      const s = runScenario(file([{ kind: 'crash', at, until: `${Number(at.slice(0, -1)) + 20}s`, nodes: ['f0'] }])).summary;
      expect(s.violations, at).toEqual([]);
      expect(fedOf(s).peg_out.released, at).toBeGreaterThanOrEqual(fedOf(calm).peg_out.released - 10);
      expect(s.messages['peg_sync'], at).toBe(3);
    }
    // The request crosses workers (its wire form) to the same digest.
    const sc = file([{ kind: 'crash', at: '100s', until: '120s', nodes: ['f0'] }]);
    const par = await runPartitioned(sc, { workers: 2, spawn: spawnNodeWorker });
    expect(par.summary.digest).toBe(runScenario(sc).summary.digest);
  }, 180_000);

  it('federation-signer-down: two of four down, the quorum of two still pegs both ways', () => {
    const r = runScenario(load('federation-signer-down'));
    expect(r.summary.violations).toEqual([]);
    const f = fedOf(r.summary);
    expect(f.peg_in.released).toBeGreaterThan(1000);
    expect(f.peg_out.released).toBeGreaterThan(1000);
  });

  /** federation-signer-down for 80 min with other faults and byzantine entries, a 40 min liveness bound. */
  const variant = (patch: Record<string, unknown>) => parseScenario({
    ...scenarioToFile(applyOverrides(load('federation-signer-down'), { duration_us: 80 * M })), checks: { liveness_bound: '40m' }, ...patch,
  });

  it('past tolerance: three of four down, no peg completes after them, the peg liveness check fires both ways', () => {
    const s = runScenario(variant({ faults: [{ kind: 'crash', at: '20m', nodes: ['f1', 'f2', 'f3'] }] })).summary;
    expect(s.violations.map((v) => `${v.check} ${v.table}`).sort()).toEqual(['peg_liveness 0', 'peg_liveness 1']);
  });

  it('withholding signers: two of four leave the quorum, three stop every peg', () => {
    const withhold = (nodes: string[]) => variant({ faults: [], byzantine: [{ nodes, behavior: 'withhold_peg_signatures' }] });
    const two = runScenario(withhold(['f0', 'f1'])).summary;
    expect(two.violations).toEqual([]);
    expect(fedOf(two).peg_in.released).toBeGreaterThan(0);
    const three = runScenario(withhold(['f0', 'f1', 'f2'])).summary;
    expect(fedOf(three).peg_in.released + fedOf(three).peg_out.released).toBe(0);
    expect(new Set(three.violations.map((v) => v.check))).toEqual(new Set(['peg_liveness']));
  });
});

describe('bystack checks fire', () => {
  /** A host that keeps what the family's checks report. */
  function host(): CheckHost & { got: Violation[] } {
    const got: Violation[] = [];
    return { got, report: (v) => got.push(v), once: (_k, v) => got.push(v), canonicalAt: () => undefined, demand: () => {} };
  }
  const tx = (id: number, coin: number, amount = 5): Tx => ({ id, cls: 0, leg: 0, from: 1, to: 2, amount, coin, value: 100 });
  const block = (height: number, txs: Tx[]): MainBlock => ({
    chain: 0, height, id: `b${height}`, parent: `b${height - 1}`, miner: 0, found_us: height, difficulty: 1, work: height, txs, bytes: 1,
  });

  it('double_spend: an output spent in two final blocks', () => {
    const h = host();
    const c = new BystackChecks(h, false);
    c.canonical('n0', block(1, [tx(1, walletCoin(1, 0))]), block(1, [tx(1, walletCoin(1, 0))]), 10);
    expect(h.got).toEqual([]);
    c.canonical('n0', block(2, [tx(2, walletCoin(1, 0))]), block(2, [tx(2, walletCoin(1, 0))]), 20);
    expect(h.got.map((v) => v.check)).toEqual(['double_spend']);
    expect(h.got[0].message).toContain('already spent');
  });

  it('peg_once and peg_conservation: a release twice, a release before its lock, a release of another amount', () => {
    const h = host();
    const c = new BystackChecks(h, true);
    const lock: Tx = { id: 7, cls: CLASS_PEG_IN, leg: LEG_LOCK, from: 1, to: 1, amount: 40, coin: walletCoin(1, 3), value: 100 };
    const mint = releaseOf(lock);
    const side = (height: number, txs: Tx[]): SideBlock => ({ chain: 1, height, id: `s${height}`, parent: `s${height - 1}`, producer: 0, time_us: height, txs, bytes: 1 });
    // The mint before its deposit is final.
    c.canonical('p0', side(1, [mint]), side(1, [mint]), 5);
    expect(h.got.map((v) => v.check)).toEqual(['peg_conservation']);
    h.got.length = 0;
    const c2 = new BystackChecks(h, true);
    c2.canonical('n0', block(1, [lock]), block(1, [lock]), 5);
    c2.canonical('p0', side(1, [mint]), side(1, [mint]), 6);
    expect(h.got).toEqual([]);
    c2.canonical('p0', side(2, [mint]), side(2, [mint]), 7);
    expect(h.got.map((v) => v.check)).toEqual(['peg_once']);
    h.got.length = 0;
    const c3 = new BystackChecks(h, true);
    c3.canonical('n0', block(1, [lock]), block(1, [lock]), 5);
    c3.canonical('p0', side(1, [{ ...mint, value: 41 }]), side(1, [{ ...mint, value: 41 }]), 6);
    expect(h.got.map((v) => v.check)).toEqual(['peg_conservation']);
  });

  it('conservation: a transfer that pays more than the output it spends', () => {
    const h = host();
    const c = new BystackChecks(h, false);
    c.canonical('n0', block(1, [tx(1, walletCoin(1, 0), 101)]), block(1, [tx(1, walletCoin(1, 0), 101)]), 10);
    expect(h.got.map((v) => v.check)).toEqual(['conservation']);
  });
});

describe('bystack scenario library', () => {
  it('bytom-mainchain: the gas ceiling holds the chain near 36 tx/s with 50 offered; nothing unsafe', () => {
    const r = runScenario(load('bytom-mainchain'));
    const s = r.summary;
    expect(s.violations).toEqual([]);
    const m = main(s);
    // 10,000,000 gas / 1,835 per transfer = 5,449 per block; at 150 s, 36.3 tx/s.
    expect(s.tps_final).toBeGreaterThan(20);
    expect(s.tps_final).toBeLessThan(40);
    expect(s.tx_dropped).toBeGreaterThan(0);
    expect(m.stale_rate).toBeLessThan(0.1);
    expect(m.reorg_depth_max).toBeLessThan(6);
  });

  it('selfish-mining: a 30% withholding miner makes stale blocks and reorganisations, 10 confirmations hold', () => {
    const r = runScenario(load('selfish-mining'));
    const s = r.summary;
    expect(s.violations).toEqual([]);
    const m = main(s);
    expect(m.stale_rate).toBeGreaterThan(0.1);
    expect(m.reorgs).toBeGreaterThan(100);
    expect(m.reorg_depth_max).toBeLessThan(10);
    // Its share of the final chain holds up while the honest miners' blocks go stale.
    const share = m.blocks_by_miner.m0 / m.final_height;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.4);
    // The stale blocks by height are in the summary, and the report draws them as forks.
    const stale = Object.values(m.stale_by_height).reduce((a, b) => a + b, 0);
    expect(stale).toBe(m.stale_blocks);
    const html = reportHtml(s, r.timeseries);
    expect(html).toContain('<h2>Main chain (Bytom, proof of work)</h2>');
    expect(html).toContain(`Forks: the stale blocks at each height of the final chain (${m.stale_blocks} at ${Object.keys(m.stale_by_height).length} of ${m.final_height} heights)`);
    expect(html.match(/<rect [^>]*fill="#cf222e"><title>height \d+: \d+ stale blocks<\/title>/g)).toHaveLength(Object.keys(m.stale_by_height).length);
    expect(html).toContain('Final blocks per miner');
  });

  it('mainchain-partition: two halves mine apart for 90 minutes; on the heal one reorganises below its final blocks', () => {
    const r = runScenario(load('mainchain-partition'));
    const s = r.summary;
    const checks = new Set(s.violations.map((v) => v.check));
    expect(checks.has('safety')).toBe(true);
    expect(checks.has('agreement')).toBe(true);
    // The first violation comes while the halves are apart (both make blocks final), none before the cut.
    const first = Math.min(...s.violations.map((v) => v.time_us));
    expect(first).toBeGreaterThan(30 * M);
    expect(main(s).reorg_depth_max).toBeGreaterThan(6);
  });
});

describe('bystack vapor scenario library', () => {
  it('vapor: the code caps a block at 128 transfers, about 256 tx/s at two blocks a second, with 2,000 offered', () => {
    const s = runScenario(load('vapor')).summary;
    expect(s.violations).toEqual([]);
    expect(s.tps_final).toBeGreaterThan(240);
    expect(s.tps_final).toBeLessThanOrEqual(256);
    expect(side(s).irreversible_ms.p90!).toBeLessThan(1000);
  });

  it('vapor-producer-crash: p3 down for two minutes, its windows pass, irreversibility goes on', () => {
    const s = runScenario(load('vapor-producer-crash')).summary;
    expect(s.violations).toEqual([]);
    const v = side(s);
    expect(v.missed_slots).toBeGreaterThanOrEqual(24);
    expect(v.missed_slots).toBeLessThanOrEqual(40);
    expect(v.final_height).toBeGreaterThan(400);
  });

  it('vapor-withhold-signatures: four of ten withhold from 60 s, nothing is irreversible after, liveness fires', () => {
    const s = runScenario(load('vapor-withhold-signatures')).summary;
    expect(s.violations.map((v) => v.check)).toEqual(['liveness']);
    expect(side(s).final_height).toBeLessThan(125);
    expect(side(s).blocks_produced).toBeGreaterThan(350);
  });

  it('vapor-double-sign: p3 is caught signing two blocks at a height, the producers split and irreversibility stops', () => {
    const s = runScenario(load('vapor-double-sign')).summary;
    const v = side(s);
    expect(v.double_signs.producers).toEqual(['p3']);
    expect(v.double_signs.caught).toBeGreaterThanOrEqual(1);
    expect(v.double_signs.refusals).toBeGreaterThan(10);
    expect(s.violations.map((x) => x.check)).toEqual(['liveness']);
    // Irreversible until p3's first twin (its first slot after 60 s), nothing after.
    expect(v.final_height).toBeGreaterThan(110);
    expect(v.final_height).toBeLessThan(250);
    expect(v.blocks_produced).toBeGreaterThan(350);
  });

  it('an honest run catches no double sign', () => {
    const honest = runScenario(vapor({ duration: '40s' })).summary;
    expect(side(honest).double_signs).toEqual({ caught: 0, refusals: 0, producers: [] });
    expect(honest.violations).toEqual([]);
  });
});

describe('bystack in the page', () => {
  it('runs in the page session frame by frame with the command line digest; its nodes group by role', () => {
    const sc = applyOverrides(load('bystack'), { duration_us: 10 * M, warmup_us: 2 * M });
    const cli = runScenario(sc).summary;
    const s = new Session(sc);
    let clock = 0;
    let blocks = 0;
    while (!s.done) {
      s.advance(s.now_us + 30_000_000, 5, () => clock++);
      blocks += s.frame().blkTable.length;
    }
    expect(s.digest).toBe(cli.digest);
    const kinds = cli.tables as unknown as { blocks_block: number; blocks_empty: number }[];
    expect(blocks).toBe(kinds.reduce((n, t) => n + t.blocks_block + t.blocks_empty, 0));
    const groups = new Set(s.meta.nodes.map((n) => n.group));
    expect([...groups].sort()).toEqual(['edges', 'miners', 'nodes', 'producers', 'signers']);
    expect(s.meta.tables).toBe(2);
  });
});

describe('bystack file format', () => {
  const err = (file: Record<string, unknown>) => firstError(() => parseScenario({ name: 'x', protocol: { family: 'bystack' }, ...file }));
  it('names the field and what was expected', () => {
    expect(err({ mainchain: { miners: 3, hash_shares: [50, 50] } })).toBe('mainchain.hash_shares: expected 3 shares (one per miner), got 2');
    expect(err({ mainchain: { miners: 2, hash_shares: [50, 40] } })).toBe('mainchain.hash_shares: expected shares summing to 100, got 90');
    expect(err({ mainchain: { miners: 2, nodes: 2, peers: 4 } })).toBe('mainchain.peers: expected fewer peers than the 4 full nodes, got 4');
    expect(err({ mainchain: { confirmations: 30 } })).toMatch(/^checks\.liveness_bound: expected at least 4800s/);
    expect(err({ byzantine: [{ nodes: ['n1'], behavior: 'selfish_mining' }] })).toBe('byzantine[0].nodes: expected miners (selfish mining needs hash rate)');
    expect(err({ topology: { tables: 2 } })).toMatch(/^topology: unknown key/);
    expect(err({ vapor: { producers: 0 }, workload: { side_percent: 10 } })).toBe('workload.side_percent: expected 0 when vapor.producers is 0 (there is no side chain), got 10');
    expect(err({ byzantine: [{ nodes: ['m0'], behavior: 'withhold_signatures' }] })).toBe('byzantine[0].nodes: expected producers (only producers sign Vapor blocks)');
    expect(err({ byzantine: [{ nodes: ['n0'], behavior: 'double_sign' }] })).toBe('byzantine[0].nodes: expected producers (only producers sign Vapor blocks)');
    expect(err({ faults: [{ kind: 'crash', at: '10s', until: '20s', nodes: ['p1'], state: 'lost' }] }))
      .toBe('faults[0].state: expected kept: a Bystack node restarts with the chains it stored (a restart from nothing is not modelled)');
    expect(err({ variant: 'fast' })).toMatch(/^variant: expected one of impl, design/);
    expect(err({})).toBe('no error');
  });
});
