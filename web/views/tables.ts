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
/** The structure's gutter: one column per level of the chains' paths (TOP: auditor group, validator group). */
const LEVEL_W = 44;
/** The gutter where links between chains (TOP: receipts) are drawn as arcs. */
const LINK_W = 46;
const LABEL_W = 132;
const BW = 12;
const GAP = 2;
/** A link stays drawn this long (wall ms), fading. */
const LINK_SHOW_MS = 1500;

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
  /** Each chain's row (chains past the rows drawn: -1), and the left edge of the row labels. */
  private rowOf: Int32Array = new Int32Array(0);
  private LABEL = LABEL_W;
  private x0 = 0;
  /** Links seen lately: from row, to row, when (wall ms). */
  private links: { a: number; b: number; at: number }[] = [];

  constructor(host: HTMLElement, private readonly onPickBlock: (chain: number, height: number) => void = () => {}) {
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
    this.links = [];
    // Rows in the order of the structure (auditor group, validator group, table), when there is one.
    const paths = meta.chainPaths;
    const levels = paths === null ? 0 : Math.max(0, ...paths.map((p) => p.length));
    const order = Array.from({ length: meta.tables }, (_, t) => t);
    if (paths !== null) {
      const num = (x: string) => Number(x.split(':')[1] ?? 0);
      order.sort((a, b) => {
        for (let k = 0; k < levels; k++) {
          const d = num(paths[a][k] ?? '') - num(paths[b][k] ?? '');
          if (d !== 0) return d;
        }
        return a - b;
      });
    }
    this.rowOf = new Int32Array(meta.tables).fill(-1);
    order.slice(0, rows).forEach((t, r) => { this.rowOf[t] = r; });
    const links = paths !== null;
    this.x0 = levels * LEVEL_W + (links ? LINK_W : 0);
    this.LABEL = this.x0 + LABEL_W;
    this.svg.attr('width', this.LABEL + (KEEP + 2) * (BW + GAP) + 120).attr('height', rows * ROW + 4);
    // The structure: a bracket per group at each level, labelled (ag0, vg1).
    if (paths !== null) {
      const g = this.svg.append('g').attr('class', 'structure');
      for (let k = 0; k < levels; k++) {
        let start = 0;
        for (let r = 1; r <= rows; r++) {
          const key = (row: number) => paths[order[row]].slice(0, k + 1).join('/');
          if (r < rows && key(r) === key(start)) continue;
          const name = paths[order[start]][k] ?? '';
          const [kind, n] = name.split(':');
          const short = `${kind === 'agroup' ? 'ag' : kind === 'vgroup' ? 'vg' : kind}${n ?? ''}`;
          const x = k * LEVEL_W + 4;
          const y0 = start * ROW + 4;
          const y1 = r * ROW - 2;
          const what = kind === 'agroup' ? `auditor group ${n}: audits the validator groups beside it` : kind === 'vgroup' ? `validator group ${n}: proposes and votes the blocks of these tables` : name;
          const grp = g.append('g').attr('class', 'group');
          grp.append('title').text(what);
          grp.append('path').attr('class', 'bracket').attr('d', `M${x + 8},${y0} H${x} V${y1} H${x + 8}`).attr('fill', 'none').attr('stroke', '#999');
          grp.append('text').attr('class', 'group').attr('x', x + 3).attr('y', y0 + 10).text(short);
          start = r;
        }
      }
      this.svg.append('g').attr('class', 'links');
    }
  }

  update(f: Frame): void {
    const rows = this.chains.length;
    const now = performance.now();
    for (let k = 0; k + 1 < f.links.length; k += 2) {
      const a = this.rowOf[f.links[k]] ?? -1;
      const b = this.rowOf[f.links[k + 1]] ?? -1;
      if (a >= 0 && b >= 0 && a !== b && !this.links.some((l) => l.a === a && l.b === b && now - l.at < 200)) this.links.push({ a, b, at: now });
    }
    this.links = this.links.filter((l) => now - l.at < LINK_SHOW_MS).slice(-200);
    for (let k = 0; k < f.blkTable.length; k++) {
      const t = this.rowOf[f.blkTable[k]] ?? -1;
      if (t < 0 || t >= rows) continue;
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
    const LABEL = this.LABEL;
    const rowOf = this.rowOf;
    const pick = this.onPickBlock;
    const meta = this.meta;
    const f = this.frame;
    if (!meta || !f) return;
    const names = meta.nodes;
    const rowsData = [...this.rowOf].map((r, t) => ({ t, r })).filter((x) => x.r >= 0).map(({ t, r }) => ({ t, chain: this.chains[r] }));
    const row = this.svg.selectAll<SVGGElement, { t: number; chain: BlockMark[] }>('g.row')
      .data(rowsData, (d) => d.t)
      .join((enter) => {
        const g = enter.append('g').attr('class', 'row').attr('transform', (d) => `translate(0,${rowOf[d.t] * ROW + 2})`);
        g.append('text').attr('class', 'label').attr('x', this.x0 + 2).attr('y', 12);
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
        .join((e) => e.append('rect').attr('height', ROW - 6).attr('width', BW).attr('y', 2).style('cursor', 'pointer')
          .on('click', (_, b) => pick(d.t, b.height)).call((r) => r.append('title')));
      rect.attr('x', (_, i) => LABEL + i * (BW + GAP))
        .attr('class', (b) => `block committed ${kindName(meta, b.cls)}`)
        .attr('fill', (b) => CLASS_FILL[kindName(meta, b.cls)] ?? '#999')
        .attr('stroke', (b) => (kindName(meta, b.cls) === 'empty' ? '#777' : 'none'));
      rect.select('title').text((b) => `height ${b.height}, view ${b.view}, ${kindName(meta, b.cls)}, ${b.txs} txs, committed at ${(b.at_us / 1e6).toFixed(3)} s (click: what it holds)`);
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
    // Links between chains (TOP: a receipt from its sending table's row to its receiving table's),
    // as arcs in the gutter left of the labels, fading as they age.
    const now = performance.now();
    const gx = this.x0 - 2;
    const y = (r: number) => r * ROW + 2 + ROW / 2 - 2;
    this.svg.select<SVGGElement>('g.links').selectAll<SVGPathElement, { a: number; b: number; at: number }>('path')
      .data(this.links, (l) => `${l.a}/${l.b}/${l.at}`)
      .join((e) => e.append('path').attr('fill', 'none').attr('stroke', '#8250df').attr('stroke-width', 1.2).call((p) => p.append('title')))
      .attr('d', (l) => {
        const bulge = Math.min(LINK_W - 8, 6 + Math.abs(l.b - l.a) * 3);
        const ya = y(l.a);
        const yb = y(l.b);
        const dir = yb > ya ? -1 : 1;
        return `M${gx},${ya} C${gx - bulge},${ya} ${gx - bulge},${yb} ${gx},${yb} M${gx - 4},${yb + dir * 3} L${gx},${yb} L${gx - 4},${yb - dir * 0.5}`;
      })
      .attr('opacity', (l) => Math.max(0.1, 1 - (now - l.at) / LINK_SHOW_MS))
      .select('title').text(() => 'a receipt: a transfer from one table to another, sent in a block of the first and consumed in a block of the second');
    row.select<SVGTextElement>('text.stall')
      .attr('x', (d) => LABEL + (d.chain.length + 2) * (BW + GAP) + 4)
      .attr('fill', '#d62728')
      .text((d) => {
        const gap = f.now_us - f.tableCommitAt[d.t];
        return gap >= STALL_THRESHOLD_US ? `stalled ${(gap / 1e6).toFixed(0)} s` : '';
      });
  }
}
