/**
 * The tables view (SVG, D3): one row per table with its chain's latest blocks. Committed blocks are
 * filled by class (light, empty, full); after the committed tip come the locked block (h+1) and the
 * certified block (h+2) of the 3-chain rule (a certificate for h+2 locks h+1 and commits h), drawn
 * as outlines. A view change (a block more than one view after its predecessor) is marked with a
 * red tick; a table with no commit for 5 s or more is stalled, and shows for how long.
 */
import * as d3 from 'd3';
import type { Frame, SessionMeta } from '../session.js';
import { STALL_THRESHOLD_US } from '../../sim/metrics/collector.js';

/** Blocks kept and drawn per table. */
const KEEP = 20;
/** Tables drawn at most (the first ones). */
export const TABLE_ROWS_MAX = 64;
const ROW = 18;
const LABEL = 132;
const BW = 12;
const GAP = 2;

interface BlockMark {
  height: number;
  cls: number;
  view: number;
  txs: number;
  at_us: number;
  viewJump: boolean;
}

export const CLASS_FILL: Record<string, string> = { light: '#4c78a8', empty: '#ffffff', full: '#2e7d32' };

/** A block kind's name (the family's `blockKinds`), e.g. light, empty, full. */
function kindName(meta: SessionMeta, c: number): string {
  return meta.blockKinds[c] ?? `kind ${c}`;
}

export class TablesView {
  private readonly svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly note: HTMLElement;
  private meta: SessionMeta | null = null;
  private chains: BlockMark[][] = [];
  private lastView: number[] = [];
  private frame: Frame | null = null;

  constructor(host: HTMLElement) {
    this.note = document.createElement('p');
    this.note.className = 'note';
    host.appendChild(this.note);
    this.svg = d3.select(host).append('svg').attr('class', 'tables').attr('role', 'img').attr('aria-label', 'table chains');
  }

  setMeta(meta: SessionMeta): void {
    this.meta = meta;
    const rows = Math.min(meta.tables, TABLE_ROWS_MAX);
    this.chains = Array.from({ length: rows }, () => []);
    this.lastView = new Array<number>(rows).fill(0);
    this.frame = null;
    this.note.textContent = meta.tables > rows ? `The first ${rows} of ${meta.tables} tables.` : '';
    this.svg.selectAll('*').remove();
    this.svg.attr('width', LABEL + (KEEP + 2) * (BW + GAP) + 120).attr('height', rows * ROW + 4);
  }

  update(f: Frame): void {
    const rows = this.chains.length;
    for (let k = 0; k < f.blkTable.length; k++) {
      const t = f.blkTable[k];
      if (t >= rows) continue;
      const view = f.blkView[k];
      const chain = this.chains[t];
      const b = { height: f.blkHeight[k], cls: f.blkCls[k], view, txs: f.blkTxs[k], at_us: f.blkAt[k], viewJump: false };
      // A height can be first committed after a higher one (a gap filled later): it goes in its
      // place in the row, and only a block at the row's tip can mark a jump of views.
      const tip = chain.length === 0 ? -1 : chain[chain.length - 1].height;
      if (b.height > tip) {
        b.viewJump = view > this.lastView[t] + 1 && this.lastView[t] > 0;
        this.lastView[t] = view;
        chain.push(b);
      } else {
        let i = chain.length;
        while (i > 0 && chain[i - 1].height > b.height) i--;
        chain.splice(i, 0, b);
      }
      if (chain.length > KEEP) chain.shift();
    }
    this.frame = f;
  }

  draw(): void {
    const meta = this.meta;
    const f = this.frame;
    if (!meta || !f) return;
    const names = meta.nodes;
    const rowsData = this.chains.map((chain, t) => ({ t, chain }));
    const row = this.svg.selectAll<SVGGElement, { t: number; chain: BlockMark[] }>('g.row')
      .data(rowsData, (d) => d.t)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'row').attr('transform', (d) => `translate(0,${d.t * ROW + 2})`);
        g.append('text').attr('class', 'label').attr('x', 2).attr('y', 12);
        g.append('g').attr('class', 'blocks');
        g.append('g').attr('class', 'pending');
        g.append('text').attr('class', 'stall').attr('y', 12);
        return g;
      });
    row.select<SVGTextElement>('text.label').text((d) => {
      const leader = f.tableLeader[d.t];
      return `T${d.t} h${f.tableHeight[d.t]} v${f.tableView[d.t]}${leader >= 0 ? ` ${names[leader].name}` : ''}`;
    });
    row.select<SVGGElement>('g.blocks').each(function (d) {
      const g = d3.select(this);
      const rect = g.selectAll<SVGRectElement, BlockMark>('rect').data(d.chain, (b) => b.height)
        .join((e) => e.append('rect').attr('height', ROW - 6).attr('width', BW).attr('y', 2).call((r) => r.append('title')));
      rect.attr('x', (_, i) => LABEL + i * (BW + GAP))
        .attr('class', (b) => `block committed ${kindName(meta, b.cls)}`)
        .attr('fill', (b) => CLASS_FILL[kindName(meta, b.cls)] ?? '#999')
        .attr('stroke', (b) => (kindName(meta, b.cls) === 'empty' ? '#777' : 'none'));
      rect.select('title').text((b) => `height ${b.height}, view ${b.view}, ${kindName(meta, b.cls)}, ${b.txs} txs, committed at ${(b.at_us / 1e6).toFixed(3)} s`);
      g.selectAll<SVGLineElement, { b: BlockMark; i: number }>('line.jump').data(d.chain.map((b, i) => ({ b, i })).filter((x) => x.b.viewJump), (x) => x.b.height)
        .join('line').attr('class', 'jump')
        .attr('x1', (x) => LABEL + x.i * (BW + GAP) - 2).attr('x2', (x) => LABEL + x.i * (BW + GAP) - 2)
        .attr('y1', 0).attr('y2', ROW - 2).attr('stroke', '#d62728').attr('stroke-width', 2);
    });
    // The locked and certified blocks after the committed tip (only while the table is live).
    row.select<SVGGElement>('g.pending').each(function (d) {
      const live = f.tableHeight[d.t] > 0 && f.now_us - f.tableCommitAt[d.t] < STALL_THRESHOLD_US;
      const x0 = LABEL + d.chain.length * (BW + GAP);
      const marks = live ? [{ k: 'locked', i: 0 }, { k: 'certified', i: 1 }] : [];
      d3.select(this).selectAll<SVGRectElement, { k: string; i: number }>('rect').data(marks, (m) => m.k)
        .join('rect').attr('class', (m) => `block ${m.k}`)
        .attr('x', (m) => x0 + m.i * (BW + GAP)).attr('y', 2).attr('width', BW).attr('height', ROW - 6)
        .attr('fill', 'none').attr('stroke', (m) => (m.k === 'locked' ? '#e6550d' : '#9e9ac8'))
        .attr('stroke-width', 2).attr('stroke-dasharray', (m) => (m.k === 'locked' ? null : '3,2'));
    });
    row.select<SVGTextElement>('text.stall')
      .attr('x', (d) => LABEL + (d.chain.length + 2) * (BW + GAP) + 4)
      .attr('fill', '#d62728')
      .text((d) => {
        const gap = f.now_us - f.tableCommitAt[d.t];
        return gap >= STALL_THRESHOLD_US ? `stalled ${(gap / 1e6).toFixed(0)} s` : '';
      });
  }
}
