/**
 * The network view, on a canvas (SVG cannot redraw a thousand nodes and their messages at 60 fps):
 * nodes in cells by genesis group (or by region), leaders ringed, crashed nodes grey and crossed,
 * byzantine nodes outlined red; messages as dots that travel from sender to receiver.
 */
import { fitLabel } from './labels.js';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import landAtlas from 'world-atlas/land-110m.json' with { type: 'json' };
import * as d3 from 'd3';
import type { Frame, SessionMeta } from '../session.js';
import { NODE_ALIVE, NODE_BYZANTINE, NODE_LEADER } from '../session.js';

/** How long a message dot travels on screen (ms of wall time). */
const DOT_MS = 450;
const DOTS_MAX = 4000;

export const ROLE_COLOR: Record<string, string> = {
  validator: '#4c78a8',
  auditor: '#f58518',
  edge: '#54a24b',
  beacon: '#b279a2',
  archive: '#9d755d',
};

export const KIND_COLOR = d3.scaleOrdinal<number, string>()
  .domain([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
  .range(['#c7c7c7', '#e15759', '#17becf', '#2ca02c', '#76b7b2', '#76b7b2', '#9467bd', '#b07aa1', '#b07aa1', '#9c755f', '#9c755f', '#8c8c8c', '#8c8c8c']);

/** Message filters of the network view: which kinds travel as dots. */
export const MESSAGE_FILTERS: Record<string, readonly number[] | null> = {
  all: null,
  consensus: [2, 3, 4],
  receipts: [7, 8, 9],
  transactions: [1],
  none: [],
};

export type GroupBy = 'group' | 'region';

interface Dot {
  from: number;
  to: number;
  kind: number;
  born: number;
}

export class NetworkView {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private meta: SessionMeta | null = null;
  private groupBy: GroupBy = 'group';
  private x = new Float32Array(0);
  private y = new Float32Array(0);
  private r = 3;
  private cells: { key: string; count: number; label: string | null; x: number; y: number; w: number; h: number }[] = [];
  /** Grouped by region with every region placed: the land of the world map, and each region's label. */
  private land: Path2D | null = null;
  private places: { label: string; x: number; y: number }[] = [];
  /** From a region's place to its cluster, where the cluster had to move aside. */
  private leads: [number, number, number, number][] = [];
  private flags: Uint8Array = new Uint8Array(0);
  private dots: Dot[] = [];
  private width = 0;
  private height = 0;
  selected = -1;
  /** Kinds of messages drawn (null: all). */
  shownKinds: ReadonlySet<number> | null = null;

  constructor(private readonly host: HTMLElement, private readonly onPick: (node: number) => void) {
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('aria-label', 'network: nodes by group, messages as moving dots');
    host.appendChild(this.canvas);
    this.ctx = this.canvas.getContext('2d')!;
    this.canvas.addEventListener('click', (e) => {
      const rect = this.canvas.getBoundingClientRect();
      const node = this.nodeAt(e.clientX - rect.left, e.clientY - rect.top);
      if (node >= 0) this.onPick(node);
    });
    new ResizeObserver(() => this.resize()).observe(host);
  }

  setMeta(meta: SessionMeta, groupBy: GroupBy): void {
    this.meta = meta;
    this.groupBy = groupBy;
    this.flags = new Uint8Array(meta.nodes.length).fill(NODE_ALIVE);
    this.dots = [];
    this.layout();
  }

  /** Whether the view shows the world map (grouped by region, every region placed). */
  get showsMap(): boolean {
    return this.land !== null;
  }

  setGroupBy(groupBy: GroupBy): void {
    this.groupBy = groupBy;
    this.layout();
  }

  private resize(): void {
    const w = this.host.clientWidth;
    const h = Math.max(200, this.host.clientHeight - 4);
    if (w === this.width && h === this.height) return;
    this.width = w;
    this.height = h;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.layout();
  }

  /**
   * Grouped by region, when the dataset places every region: a world map, each region's nodes on a
   * sunflower spiral around its place. Returns false (nothing laid out) otherwise.
   */
  private layoutMap(): boolean {
    const meta = this.meta!;
    this.land = null;
    this.places = [];
    this.leads = [];
    if (this.groupBy !== 'region' || meta.regionPlaces.length === 0 || meta.regionPlaces.some((p) => p === null)) return false;
    const land = feature(landAtlas as unknown as Topology, (landAtlas as unknown as Topology).objects.land as GeometryCollection);
    const projection = d3.geoNaturalEarth1().fitExtent([[6, 16], [this.width - 6, this.height - 6]], land);
    this.land = new Path2D(d3.geoPath(projection)(land) ?? '');
    const n = meta.nodes.length;
    this.x = new Float32Array(n);
    this.y = new Float32Array(n);
    this.cells = [];
    const members = meta.regions.map(() => [] as number[]);
    meta.nodes.forEach((x, i) => members[meta.regions.indexOf(x.region)]?.push(i));
    const most = Math.max(1, ...members.map((m) => m.length));
    // Dots 2 px apart at least, the largest region within 60 px of its place.
    // ...and all clusters together within about a third of the map.
    const step = Math.max(2.2, Math.min(9, 60 / Math.sqrt(most), Math.sqrt((0.3 * this.width * this.height) / (Math.PI * Math.max(1, n)))));
    // Each region's cluster starts at its place; clusters that overlap (Frankfurt, London and
    // Ireland are close) are pushed apart, and a line leads back to the place.
    const at = meta.regions.map((_, k) => {
      const [lat, lon] = meta.regionPlaces[k]!;
      return projection([lon, lat]) ?? [0, 0];
    });
    const c = at.map(([x, y]) => [x, y]);
    const R = members.map((m) => (m.length === 0 ? 0 : step * Math.sqrt(m.length + 0.5) + 4));
    for (let it = 0; it < 200; it++) {
      let moved = false;
      for (let a = 0; a < c.length; a++) {
        for (let b = a + 1; b < c.length; b++) {
          if (R[a] === 0 || R[b] === 0) continue;
          const dx = c[b][0] - c[a][0];
          const dy = c[b][1] - c[a][1];
          const d = Math.hypot(dx, dy) || 0.01;
          const over = R[a] + R[b] - d;
          if (over <= 0) continue;
          moved = true;
          const ux = dx / d;
          const uy = dy / d;
          c[a][0] -= (ux * over) / 2;
          c[a][1] -= (uy * over) / 2;
          c[b][0] += (ux * over) / 2;
          c[b][1] += (uy * over) / 2;
        }
      }
      // Keep every cluster inside the view.
      for (let a = 0; a < c.length; a++) {
        c[a][0] = Math.min(this.width - R[a] - 2, Math.max(R[a] + 2, c[a][0]));
        c[a][1] = Math.min(this.height - R[a] - 2, Math.max(R[a] + 16, c[a][1]));
      }
      if (!moved) break;
    }
    this.leads = [];
    meta.regions.forEach((region, k) => {
      if (members[k].length === 0) return;
      const [px, py] = c[k];
      members[k].forEach((node, j) => {
        const rr = step * Math.sqrt(j + 0.5);
        const a = j * 2.399963229728653;
        this.x[node] = px + rr * Math.cos(a);
        this.y[node] = py + rr * Math.sin(a);
      });
      this.places.push({ label: `${region} (${members[k].length})`, x: px, y: py - R[k] - 10 });
      if (Math.hypot(px - at[k][0], py - at[k][1]) > R[k] * 0.5) this.leads.push([at[k][0], at[k][1], px, py]);
    });
    this.r = Math.max(1.2, Math.min(6, step * 0.42));
    return true;
  }

  /** Cells on a grid, one per group (or region); nodes on a sunflower spiral inside each cell. */
  private layout(): void {
    const meta = this.meta;
    if (!meta || this.width === 0) return;
    if (this.layoutMap()) return;
    const keyOf = (i: number) => (this.groupBy === 'region' ? meta.nodes[i].region : meta.nodes[i].group);
    const keys = this.groupBy === 'region' ? meta.regions : meta.groups;
    const members = new Map<string, number[]>(keys.map((k) => [k, []]));
    meta.nodes.forEach((_, i) => members.get(keyOf(i))?.push(i));
    const used = keys.filter((k) => members.get(k)!.length > 0);
    const aspect = this.width / this.height;
    const cols = Math.max(1, Math.round(Math.sqrt(used.length * aspect)));
    const rows = Math.ceil(used.length / cols);
    const w = this.width / cols;
    const h = this.height / rows;
    const n = meta.nodes.length;
    this.x = new Float32Array(n);
    this.y = new Float32Array(n);
    this.cells = [];
    let rMin = Infinity;
    used.forEach((k, c) => {
      const list = members.get(k)!;
      const cx = (c % cols) * w;
      const cy = Math.floor(c / cols) * h;
      this.cells.push({ key: k, count: list.length, label: null, x: cx, y: cy, w, h });
      const radius = Math.min(w, h - 14) / 2 - 6;
      const step = radius / Math.sqrt(list.length + 0.5);
      rMin = Math.min(rMin, step * 0.42);
      list.forEach((node, j) => {
        const rr = step * Math.sqrt(j + 0.5);
        const a = j * 2.399963229728653; // the golden angle
        this.x[node] = cx + w / 2 + rr * Math.cos(a);
        this.y[node] = cy + 14 + (h - 14) / 2 + rr * Math.sin(a);
      });
    });
    this.r = Math.max(1.2, Math.min(7, rMin));
  }

  private nodeAt(px: number, py: number): number {
    let best = -1;
    let bestD = (this.r + 4) ** 2;
    for (let i = 0; i < this.x.length; i++) {
      const d = (this.x[i] - px) ** 2 + (this.y[i] - py) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  /** Takes a frame's node states and message sample. */
  update(f: Frame, wallNow: number): void {
    this.flags = f.flags;
    const add = Math.min(f.msgFrom.length, DOTS_MAX);
    if (this.dots.length + add > DOTS_MAX) this.dots.splice(0, this.dots.length + add - DOTS_MAX);
    for (let k = 0; k < add; k++) {
      if (this.shownKinds !== null && !this.shownKinds.has(f.msgKind[k])) continue;
      // Spread a frame's dots over the frame so they do not start in lockstep.
      this.dots.push({ from: f.msgFrom[k], to: f.msgTo[k], kind: f.msgKind[k], born: wallNow - (k / add) * 16 });
    }
  }

  draw(wallNow: number): void {
    const meta = this.meta;
    const g = this.ctx;
    g.clearRect(0, 0, this.width, this.height);
    if (!meta) return;
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'top';
    if (this.land !== null) {
      g.fillStyle = '#eef1f4';
      g.fill(this.land);
      g.strokeStyle = '#d0d7de';
      g.lineWidth = 0.6;
      g.stroke(this.land);
      g.strokeStyle = '#8c959f';
      g.lineWidth = 1;
      for (const [ax, ay, bx, by] of this.leads) {
        g.beginPath();
        g.moveTo(ax, ay);
        g.lineTo(bx, by);
        g.stroke();
        g.fillStyle = '#57606a';
        g.fillRect(ax - 2, ay - 2, 4, 4);
      }
      g.fillStyle = '#444';
      g.textAlign = 'center';
      for (const p of this.places) g.fillText(p.label, p.x, p.y);
      g.textAlign = 'start';
    }
    for (const c of this.cells) {
      g.strokeStyle = '#e3e3e3';
      g.strokeRect(c.x + 2, c.y + 2, c.w - 4, c.h - 4);
      g.fillStyle = '#555';
      // The longest form of the label that fits its cell (measured once per layout).
      c.label ??= fitLabel(c.key, c.count, c.w - 10, (t) => g.measureText(t).width);
      if (c.label !== '') g.fillText(c.label, c.x + 6, c.y + 4);
    }
    // Messages.
    const live: Dot[] = [];
    for (const d of this.dots) {
      const p = (wallNow - d.born) / DOT_MS;
      if (p >= 1) continue;
      live.push(d);
      if (p < 0) continue;
      const x = this.x[d.from] + (this.x[d.to] - this.x[d.from]) * p;
      const y = this.y[d.from] + (this.y[d.to] - this.y[d.from]) * p;
      g.fillStyle = KIND_COLOR(d.kind);
      g.fillRect(x - 1.5, y - 1.5, 3, 3);
    }
    this.dots = live;
    // Nodes, by role colour; crashed grey; byzantine outlined red; leaders ringed.
    const r = this.r;
    const flags = this.flags;
    for (let i = 0; i < meta.nodes.length; i++) {
      const f = flags[i] ?? NODE_ALIVE;
      const alive = (f & NODE_ALIVE) !== 0;
      g.beginPath();
      g.arc(this.x[i], this.y[i], r, 0, 2 * Math.PI);
      g.fillStyle = alive ? ROLE_COLOR[meta.nodes[i].role] : '#bbb';
      g.fill();
      if (f & NODE_BYZANTINE) {
        g.lineWidth = Math.max(1.5, r / 2.5);
        g.strokeStyle = '#d62728';
        g.stroke();
      }
      if (!alive) {
        g.lineWidth = 1.5;
        g.strokeStyle = '#333';
        const k = r * 0.8;
        g.beginPath();
        g.moveTo(this.x[i] - k, this.y[i] - k);
        g.lineTo(this.x[i] + k, this.y[i] + k);
        g.moveTo(this.x[i] + k, this.y[i] - k);
        g.lineTo(this.x[i] - k, this.y[i] + k);
        g.stroke();
      }
      if (f & NODE_LEADER) {
        g.beginPath();
        g.arc(this.x[i], this.y[i], r + 2.5, 0, 2 * Math.PI);
        g.lineWidth = 2;
        g.strokeStyle = '#e6b800';
        g.stroke();
      }
    }
    if (this.selected >= 0 && this.selected < meta.nodes.length) {
      g.beginPath();
      g.arc(this.x[this.selected], this.y[this.selected], r + 5, 0, 2 * Math.PI);
      g.lineWidth = 2;
      g.strokeStyle = '#000';
      g.stroke();
    }
  }
}
