/**
 * Bystack's panel (SVG, D3), drawn from the family's story of the run (its ViewAdapter.story,
 * sim/protocol/bystack/story.ts). Top: the Bytom main chain's newest heights, each block with its
 * miner, how far it has spread and its confirmations toward finality, and under its height any
 * block that lost the race (stale). Middle: the federation, with each peg on its way as an arrow between the chains and the
 * blocks it still waits for. Bottom: Vapor's newest blocks, coloured by producer, each with a
 * meter of the signatures it gathered and the 2/3 mark that makes it irreversible; then the
 * producers in schedule order, the one whose 12 slots are running outlined.
 */
import * as d3 from 'd3';
import type { FamilyPanel } from './index.js';

/*
 * What the panel reads of the story, declared here: the page imports no family's code
 * (docs/DESIGN.md "Dependencies point one way"). The family's `PanelStory` must stay assignable
 * to `PanelStory`; test/bystack.test.ts checks it at compile time.
 */
export interface StoryMainBlock {
  h: number;
  id: string;
  miner: string;
  found_us: number;
  txs: number;
  best: boolean;
  final: boolean;
  reach: number;
}

export interface StorySideBlock {
  h: number;
  id: string;
  producer: number;
  time_us: number;
  txs: number;
  sigs: number;
  best: boolean;
  irreversible: boolean;
}

export interface StoryPeg {
  dir: 'in' | 'out';
  id: number;
  progress: number;
  needed: number;
  since_us: number;
}

export interface PanelStory {
  main: { confirmations: number; interval_s: number; tip: number; final: number; nodes: number; blocks: StoryMainBlock[] };
  vapor: null | {
    producers: string[];
    current: number;
    slotsLeft: number;
    needed: number;
    reference: string;
    height: number;
    irreversible: number;
    blocks: StorySideBlock[];
    doubleSigns: number;
  };
  pegs: null | { quorum: number; signers: number; open: { in: number; out: number }; released: { in: number; out: number }; list: StoryPeg[] };
}

const LEFT = 8;
const MAIN_Y = 40;
const BOX_H = 26;
const FED_Y = 150;
const SIDE_Y = 248;
const ROT_Y = 346;
const H = 372;
const MAIN_W = 64;
const MAIN_STEP = MAIN_W + 8;
const SIDE_W = 27;
const PEG_STEP = 96;
const CHIP_STEP = 66;
/** Narrowest layout (px): the panel scrolls below it. */
const W_MIN = 420;

const FINAL = '#2e7d32';
const BEST = '#a5d6a7';
const STALE = '#bdbdbd';

/** A producer's colour by its schedule index. */
function producerColour(k: number): string {
  return d3.schemeTableau10[k % 10];
}

export class BystackPanel implements FamilyPanel {
  readonly title = 'Chains: Bytom main chain, federation, Vapor side chain';
  private readonly svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  private story: PanelStory | null = null;
  /** The drawing's width: the host's, so the newest blocks that fit are shown. */
  private w = 760;

  constructor(private readonly host: HTMLElement) {
    this.svg = d3.select(host).append('svg').attr('class', 'family bystack').attr('role', 'img')
      .attr('aria-label', 'Bystack chains').attr('height', H);
    for (const k of ['main', 'fed', 'side', 'rot']) {
      this.svg.append('text').attr('class', `lane ${k}-title`).attr('x', LEFT);
      this.svg.append('text').attr('class', `detail ${k}-detail`).attr('x', LEFT);
      this.svg.append('g').attr('class', k);
    }
  }

  /** How many items of `step` px fit across. */
  private fit(step: number): number {
    return Math.max(1, Math.floor((this.w - 2 * LEFT) / step));
  }

  update(story: unknown): void {
    this.story = story as PanelStory;
  }

  draw(): void {
    const s = this.story;
    if (s === null) return;
    this.w = Math.max(W_MIN, this.host.clientWidth - 4);
    this.svg.attr('width', this.w);
    this.drawMain(s);
    this.drawPegs(s);
    this.drawSide(s);
  }

  private drawMain(s: PanelStory): void {
    const m = s.main;
    this.svg.select('text.main-title').attr('y', 14).text(`Bytom main chain (proof of work): height ${m.tip}, final ${m.final}`);
    this.svg.select('text.main-detail').attr('y', 28).text(
      `a block each ~${m.interval_s} s; final at ${m.confirmations} confirmations; bar: nodes holding it`);
    const heights = [...new Set(m.blocks.map((b) => b.h))].sort((a, b) => a - b).slice(-this.fit(MAIN_STEP));
    const shown = new Set(heights);
    const blocks = m.blocks.filter((b) => shown.has(b.h));
    const col = new Map(heights.map((h, i) => [h, i]));
    // Stale blocks stack under their height.
    const row = new Map<string, number>();
    const below = new Map<number, number>();
    for (const b of blocks) {
      if (b.best) row.set(b.id, 0);
      else {
        const r = (below.get(b.h) ?? 0) + 1;
        below.set(b.h, r);
        row.set(b.id, r);
      }
    }
    const x = (b: StoryMainBlock) => LEFT + (col.get(b.h) ?? 0) * MAIN_STEP;
    const y = (b: StoryMainBlock) => MAIN_Y + Math.min(2, row.get(b.id) ?? 0) * (BOX_H + 12);
    const g = this.svg.select<SVGGElement>('g.main').selectAll<SVGGElement, StoryMainBlock>('g.block').data(blocks, (b) => b.id)
      .join((e) => {
        const a = e.append('g').attr('class', 'block');
        a.append('rect').attr('class', 'box').attr('width', MAIN_W).attr('height', BOX_H).attr('rx', 3);
        a.append('rect').attr('class', 'reach').attr('height', 3).attr('y', BOX_H + 2).attr('fill', '#1f77b4');
        a.append('text').attr('class', 'miner').attr('x', 4).attr('y', 11);
        a.append('text').attr('class', 'conf').attr('x', 4).attr('y', 22);
        a.append('title');
        return a;
      });
    g.attr('transform', (b) => `translate(${x(b)},${y(b)})`).attr('class', (b) => `block ${b.final ? 'final' : b.best ? 'best' : 'stale'}`);
    g.select('rect.box').attr('fill', (b) => (b.final ? FINAL : b.best ? BEST : STALE))
      .attr('stroke', (b) => (b.best ? '#1b5e20' : '#757575')).attr('stroke-dasharray', (b) => (b.best ? null : '3,2'));
    g.select('rect.reach').attr('width', (b) => MAIN_W * b.reach);
    g.select('text.miner').attr('fill', (b) => (b.final ? '#fff' : '#111')).text((b) => `#${b.h} ${b.miner}`);
    g.select('text.conf').attr('fill', (b) => (b.final ? '#fff' : '#111'))
      .text((b) => (b.final ? 'final' : b.best ? `${m.tip - b.h + 1}/${m.confirmations} conf` : 'stale'));
    g.select('title').text((b) => `height ${b.h}, block ${b.id} mined by ${b.miner} at ${(b.found_us / 1e6).toFixed(1)} s, ${b.txs} transfers; ` +
      `${b.final ? 'final' : b.best ? `${m.tip - b.h + 1} of ${m.confirmations} confirmations` : 'stale: another block won this height'}; ` +
      `on the best chain of ${Math.round(100 * b.reach)}% of the ${m.nodes} main-chain nodes`);
  }

  private drawPegs(s: PanelStory): void {
    const p = s.pegs;
    const t = this.svg.select('text.fed-title').attr('y', FED_Y - 22);
    const d = this.svg.select('text.fed-detail').attr('y', FED_Y - 8);
    const host = this.svg.select<SVGGElement>('g.fed');
    if (p === null) {
      t.text('Federation: none in this scenario (no pegs)');
      d.text('');
      host.selectAll('*').remove();
      return;
    }
    t.text(`Federation: ${p.quorum} of ${p.signers} signers. Pegs on their way: ${p.open.in} in, ${p.open.out} out`);
    d.text(`done: ${p.released.in} in (lock, then mint), ${p.released.out} out (burn, then pay)`);
    // The newest of each way, as many as fit.
    const k = this.fit(PEG_STEP);
    const ins = p.list.filter((x) => x.dir === 'in');
    const outs = p.list.filter((x) => x.dir === 'out');
    const nIn = Math.min(ins.length, Math.max(k - outs.length, Math.ceil(k / 2)));
    const list = [...ins.slice(-nIn), ...outs.slice(-(k - nIn))];
    const g = host.selectAll<SVGGElement, StoryPeg>('g.peg').data(list, (x) => x.id)
      .join((e) => {
        const a = e.append('g').attr('class', 'peg');
        a.append('line').attr('stroke-width', 2);
        a.append('path');
        a.append('text').attr('y', 24).attr('x', 8);
        a.append('title');
        return a;
      });
    g.attr('transform', (_, i) => `translate(${LEFT + i * PEG_STEP},${FED_Y})`).attr('class', (x) => `peg ${x.dir}`);
    const colour = (x: StoryPeg) => (x.dir === 'in' ? '#6a3d9a' : '#e6550d');
    g.select('line').attr('x1', 4).attr('x2', 4).attr('y1', (x) => (x.dir === 'in' ? 40 : 4)).attr('y2', (x) => (x.dir === 'in' ? 6 : 38)).attr('stroke', colour);
    // The arrow head points to the chain the peg goes to: up to Vapor for a peg-in.
    g.select('path').attr('d', (x) => (x.dir === 'in' ? 'M0,8 L4,0 L8,8 Z' : 'M0,34 L4,42 L8,34 Z')).attr('fill', colour);
    g.select('text').attr('fill', colour)
      .text((x) => (x.progress < x.needed ? `${x.dir === 'in' ? 'peg-in' : 'peg-out'} ${x.progress}/${x.needed}`
        : x.dir === 'in' ? 'peg-in: minting' : 'peg-out: paying'));
    g.select('title').text((x) => (x.dir === 'in'
      ? `peg-in ${x.id}: deposit final on the main chain at ${(x.since_us / 1e6).toFixed(1)} s; ${Math.min(x.progress, x.needed)} of the ${x.needed} confirmations the signers wait for, then a poll, their signatures and the mint on Vapor`
      : `peg-out ${x.id}: burn final on Vapor at ${(x.since_us / 1e6).toFixed(1)} s; ${Math.min(x.progress, x.needed)} of the ${x.needed} irreversible blocks the signers wait for, then a poll, their signatures and the payout, final at the main chain's confirmations`));
  }

  private drawSide(s: PanelStory): void {
    const v = s.vapor;
    const host = this.svg.select<SVGGElement>('g.side');
    const rot = this.svg.select<SVGGElement>('g.rot');
    if (v === null) {
      this.svg.select('text.side-title').attr('y', SIDE_Y - 22).text('Vapor side chain: none in this scenario');
      for (const k of ['side-detail', 'rot-title', 'rot-detail']) this.svg.select(`text.${k}`).text('');
      host.selectAll('*').remove();
      rot.selectAll('*').remove();
      return;
    }
    const n = v.producers.length;
    this.svg.select('text.side-title').attr('y', SIDE_Y - 22).text(
      `Vapor side chain (DPoS): height ${v.height}, irreversible ${v.irreversible} at ${v.reference}` + (v.doubleSigns > 0 ? `; double signs caught: ${v.doubleSigns}` : ''));
    this.svg.select('text.side-detail').attr('y', SIDE_Y - 8).text(
      `12 blocks per producer in 0.5 s slots; bar: signatures, ✓ past the mark (${v.needed} of ${n})`);
    const heights = [...new Set(v.blocks.map((b) => b.h))].sort((a, b) => a - b).slice(-this.fit(SIDE_W));
    const shownH = new Set(heights);
    const blocks = v.blocks.filter((b) => shownH.has(b.h));
    const col = new Map(heights.map((h, i) => [h, i]));
    const forkRow = new Map<string, number>();
    const below = new Map<number, number>();
    for (const b of blocks) {
      if (b.best) continue;
      const r = (below.get(b.h) ?? 0) + 1;
      below.set(b.h, r);
      forkRow.set(b.id, r);
    }
    const METER = 30;
    const g = host.selectAll<SVGGElement, StorySideBlock>('g.block').data(blocks, (b) => b.id)
      .join((e) => {
        const a = e.append('g').attr('class', 'block');
        a.append('rect').attr('class', 'box').attr('width', SIDE_W - 3).attr('height', 16).attr('rx', 2);
        a.append('rect').attr('class', 'meter-bg').attr('y', 18).attr('width', SIDE_W - 3).attr('height', METER).attr('fill', '#eee');
        a.append('rect').attr('class', 'meter').attr('width', SIDE_W - 3).attr('fill', '#1f77b4');
        a.append('line').attr('class', 'mark').attr('x1', -1).attr('x2', SIDE_W - 2).attr('stroke', '#d62728').attr('stroke-width', 1.5);
        a.append('text').attr('class', 'sigs').attr('x', 2).attr('y', 12).attr('font-size', 9);
        a.append('title');
        return a;
      });
    g.attr('transform', (b) => `translate(${LEFT + (col.get(b.h) ?? 0) * SIDE_W},${SIDE_Y + Math.min(1, forkRow.get(b.id) ?? 0) * 52})`)
      .attr('class', (b) => `block ${b.irreversible ? 'irreversible' : b.best ? 'best' : 'fork'}`);
    g.select('rect.box').attr('fill', (b) => (b.best ? producerColour(b.producer) : STALE))
      .attr('stroke', (b) => (b.irreversible ? '#111' : '#999')).attr('stroke-width', (b) => (b.irreversible ? 1.5 : 1))
      .attr('stroke-dasharray', (b) => (b.best ? null : '3,2'));
    g.select('rect.meter').attr('y', (b) => 18 + METER * (1 - b.sigs / n)).attr('height', (b) => (METER * b.sigs) / n);
    g.select('line.mark').attr('y1', 18 + METER * (1 - v.needed / n)).attr('y2', 18 + METER * (1 - v.needed / n));
    g.select('text.sigs').attr('fill', '#fff').text((b) => (b.irreversible ? '✓' : String(b.sigs)));
    g.select('title').text((b) => `height ${b.h}, block ${b.id} by ${v.producers[b.producer]} for the slot at ${(b.time_us / 1e6).toFixed(1)} s, ${b.txs} transfers; ` +
      `${b.sigs} of ${n} signatures (${v.needed} make it irreversible)${b.irreversible ? ': irreversible' : b.best ? '' : '; off the best chain'}`);
    // The rotation.
    this.svg.select('text.rot-title').attr('y', ROT_Y - 8).text(v.current >= 0
      ? `Producers in schedule order: ${v.producers[v.current]} makes the next block, ${v.slotsLeft} of its 12 slots left`
      : 'Producers in schedule order');
    this.svg.select('text.rot-detail').text('');
    const perRow = this.fit(CHIP_STEP);
    this.svg.attr('height', H + (Math.ceil(n / perRow) - 1) * 26);
    const chips = rot.selectAll<SVGGElement, string>('g.chip').data(v.producers, (p) => p)
      .join((e) => {
        const a = e.append('g').attr('class', 'chip');
        a.append('rect').attr('width', 60).attr('height', 20).attr('rx', 10);
        a.append('text').attr('x', 30).attr('y', 14).attr('text-anchor', 'middle');
        return a;
      });
    chips.attr('transform', (_, k) => `translate(${LEFT + (k % perRow) * CHIP_STEP},${ROT_Y + Math.floor(k / perRow) * 26})`).attr('class', (_, k) => `chip${k === v.current ? ' current' : ''}`);
    chips.select('rect').attr('fill', (_, k) => producerColour(k)).attr('opacity', (_, k) => (k === v.current ? 1 : 0.45))
      .attr('stroke', (_, k) => (k === v.current ? '#111' : 'none')).attr('stroke-width', 2);
    chips.select('text').attr('fill', '#111').text((p, k) => (k === v.current ? `${p} ▸ ${v.slotsLeft}` : p));
  }
}
