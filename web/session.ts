/**
 * A run as the page sees it: the scenario (with the viewer's actions applied), the simulation built
 * from it by the engine, and what the views draw, gathered while it runs.
 *
 * The session drives the same Simulation the command line drives, in the same way (start, run to
 * later and later times, finish at the scenario's duration), and only reads it: a node trace for
 * messages, and the run's own metrics for commits and finality (their first-commit listener), so
 * its digest and figures are the command line's. What only the family knows (groups, leaders,
 * replicas) comes from the family's page adapter (ProtocolModule.views).
 *
 * No DOM here: the worker owns a session, and tests run it in Node.
 */
import { regionLatLon } from '../sim/net/geo.js';
import type { Scenario } from '../sim/scenario/index.js';
import { buildRun, type BuiltRun } from '../sim/runner/build.js';
import type { ProtocolModule } from '../sim/contract/module.js';
import type { CommitKey } from '../sim/contract/observe.js';
import { Watcher, type RecentMessage, type Watched } from '../sim/runner/watch.js';
import { scenarioWith, type Action } from './actions.js';
import type { BlockDetail, NodeProtocolView, ViewAdapter, ViewRun } from '../sim/contract/module.js';

export { FRAME_LINKS_MAX, FRAME_MESSAGES_MAX } from '../sim/runner/watch.js';
/** Latency histogram buckets: edges in ms, log-spaced from 10 ms to 1,000 s, 32 to a decade. */
const BUCKETS_PER_DECADE = 32;
export const LATENCY_EDGES_MS: readonly number[] = Array.from({ length: 5 * BUCKETS_PER_DECADE + 1 }, (_, k) => 10 * 10 ** (k / BUCKETS_PER_DECADE));

export interface NodeMeta {
  name: string;
  role: string;
  region: string;
  /** Selector of the node's genesis group (`vgroup:0`, `agroup:1`, `standby`, `edges`, ...). */
  group: string;
  cores: number;
  upload_bps: number;
  download_bps: number;
}

export interface SessionMeta {
  name: string;
  /** The scenario's protocol family (the page picks the family's panel by it). */
  family: string;
  description: string;
  seed: number;
  duration_us: number;
  warmup_us: number;
  tables: number;
  nodes: NodeMeta[];
  /** Groups in drawing order (selectors). */
  groups: string[];
  regions: string[];
  /** Selectors the page offers for partitions. */
  partitionSides: string[];
  /** Message kind names by number. */
  messageKinds: Record<number, string>;
  /** Latency classes of `Frame.latency`, and block kind names of `Frame.blkCls`. */
  latencyClasses: string[];
  blockKinds: string[];
  latencyEdgesMs: readonly number[];
  /** Each chain's place in the family's structure, outermost first (ViewAdapter.chainPath), or null. */
  chainPaths: string[][] | null;
  /** Each region's place (latitude, longitude), in `regions` order; null for a region the dataset does not place. */
  regionPlaces: ([number, number] | null)[];
}

/** Flags per node in a frame. */
export const NODE_ALIVE = 1;
/** Misbehaving now (a byzantine entry's window holds the current time). */
export const NODE_BYZANTINE = 2;
export const NODE_LEADER = 4;

/** What the page draws, once per animation frame. Typed arrays are transferred to the page. */
export interface Frame {
  now_us: number;
  duration_us: number;
  events: number;
  done: boolean;
  /** The run's digest once it reached its duration, else null. */
  digest: string | null;
  flags: Uint8Array;
  /** Messages delivered since the last frame (a sample): sender, receiver, kind, delivery time. */
  msgFrom: Int32Array;
  msgTo: Int32Array;
  msgKind: Uint8Array;
  msgAt: Float64Array;
  /** All messages delivered since the last frame (the sample's population). */
  msgDelivered: number;
  /** Blocks first committed since the last frame. */
  blkTable: Int32Array;
  blkHeight: Int32Array;
  blkCls: Uint8Array;
  blkView: Int32Array;
  blkTxs: Int32Array;
  blkAt: Float64Array;
  /** Per table: committed height, highest view seen, time of the last first commit. */
  tableHeight: Int32Array;
  tableView: Int32Array;
  tableCommitAt: Float64Array;
  /** Per table: the node that proposed the latest block seen (-1: none yet). */
  tableLeader: Int32Array;
  blocksCommitted: number;
  txSubmitted: number;
  txFinal: number;
  /** Transfers final per simulated second, [0, now]. */
  finalPerSecond: Float64Array;
  /** The family's picture of the run now (ViewAdapter.story), or null for a family without one. */
  story: unknown;
  /** Chain-to-chain links delivered since the last frame (ViewAdapter.linkOf: TOP's receipts), as from, to pairs. */
  links: Int32Array;
  /** Latency histograms (counts per LATENCY_EDGES_MS bucket) of final transfers, per class of `latencyClasses`. */
  latency: Float64Array[];
  /** Per node: bytes in, bytes out, CPU busy µs (cumulative). */
  bytesIn: Float64Array;
  bytesOut: Float64Array;
  cpuBusy: Float64Array;
  cores: Uint8Array;
}

export interface Inspection {
  node: number;
  name: string;
  role: string;
  region: string;
  group: string;
  alive: boolean;
  byzantine: boolean;
  /** The family's rows about the node (TOP: stake, tables). */
  facts: [label: string, text: string][];
  cores: number;
  upload_bps: number;
  download_bps: number;
  /** The chains it leads, by their labels (TOP: T3). */
  leads: string[];
  workQueue: number;
  bytes_in: number;
  bytes_out: number;
  cpu_busy_fraction: number;
  /** The family's table of the node's state per chain: headings, then rows. */
  columns: string[];
  rows: (string | number)[][];
  /** What the family calls a chain (the recent messages' column). */
  chainWord: string;
  recent: RecentMessage[];
}

/**
 * What a run's frames gather over the run, from its first commits (the metrics' rule) and the
 * deliveries its watchers saw: shared by a run in one thread (Session) and a run over several
 * workers (web/partitioned.ts), which feed it the same way.
 */
export class FrameGatherer {
  readonly meta: SessionMeta;
  readonly views: ViewAdapter;
  /** The run as the family's page adapter reads it. */
  readonly run: ViewRun;
  private blocks: number[] = [];
  private readonly countedTo: Int32Array;
  readonly tableLeader: Int32Array;
  private readonly tableLeaderAt: Float64Array;
  private committed = 0;
  private finalTotal = 0;
  private readonly finalPerSecond: number[] = [];
  private readonly latency: Float64Array[];
  private readonly cores: Uint8Array;

  constructor(readonly sc: Scenario, readonly built: BuiltRun) {
    const module = built.module;
    this.views = module.views;
    this.run = { sc, nodes: built.nodes, family: built.family, logicOf: (i) => built.sim.logicOf(i) };
    built.metrics.onFirstCommit((key, block, now, finals) => this.onFirstCommit(key, block, now, finals));
    this.latency = module.latencyClasses.map(() => new Float64Array(LATENCY_EDGES_MS.length + 1));
    const T = built.family.genesis.length;
    this.countedTo = new Int32Array(T);
    this.tableLeader = new Int32Array(T).fill(-1);
    this.tableLeaderAt = new Float64Array(T).fill(-Infinity);
    this.cores = Uint8Array.from(built.nodes, (x) => hardwareOf(sc, x.role).cores);
    const groups = this.views.groups(this.run);
    const order = this.views.groupOrder;
    const groupList = [...new Set(groups)].sort((x, y) => {
      const kx = order.indexOf(x.split(':')[0]);
      const ky = order.indexOf(y.split(':')[0]);
      return kx - ky || Number(x.split(':')[1] ?? 0) - Number(y.split(':')[1] ?? 0);
    });
    const regions = [...new Set(built.nodes.map((x) => x.region))];
    this.meta = {
      name: sc.name,
      family: sc.protocol.family,
      description: sc.description,
      seed: sc.seed,
      duration_us: sc.duration_us,
      warmup_us: sc.warmup_us,
      tables: T,
      nodes: built.nodes.map((x, i) => {
        const hw = hardwareOf(sc, x.role);
        return { name: x.name, role: x.role, region: x.region, group: groups[i], cores: hw.cores, upload_bps: hw.upload_bps, download_bps: hw.download_bps };
      }),
      groups: groupList,
      regions,
      partitionSides: [...this.views.partitionSides(this.run, groupList), ...regions.map((r) => `region:${r}`)],
      messageKinds: { ...module.kinds },
      latencyClasses: [...module.latencyClasses],
      blockKinds: [...module.blockKinds],
      latencyEdgesMs: LATENCY_EDGES_MS,
      regionPlaces: regions.map((r) => regionLatLon(sc.network.latency.dataset, r)),
      chainPaths: this.views.chainPath ? Array.from({ length: T }, (_, t) => this.views.chainPath!(this.run, t)) : null,
    };
  }

  /** A block's first honest commit (the metrics' rule), with the transfers it made final. */
  private onFirstCommit(key: CommitKey, block: object, now: number, finals: readonly number[]): void {
    const b = this.built;
    const t = key.chain;
    if (key.height > this.countedTo[t]) this.countedTo[t] = key.height;
    this.committed++;
    const facts = b.family.blocks;
    this.blocks.push(t, key.height, facts.kind(block), facts.view(block), facts.items(block), now);
    const sec = Math.floor(now / 1e6);
    while (this.finalPerSecond.length <= sec) this.finalPerSecond.push(0);
    const m = b.metrics;
    for (const id of finals) {
      this.finalTotal++;
      this.finalPerSecond[sec]++;
      const hist = this.latency[m.classOf(id)];
      if (hist !== undefined) hist[bucketOf((now - m.submittedAt(id)) / 1000)]++;
    }
  }

  /** Takes in the leaders a watcher's deliveries named (the latest delivery wins). */
  leaders(w: Watched): void {
    const l = w.leaders;
    for (let k = 0; k < l.length; k += 3) {
      const t = l[k];
      if (l[k + 2] >= this.tableLeaderAt[t]) {
        this.tableLeader[t] = l[k + 1];
        this.tableLeaderAt[t] = l[k + 2];
      }
    }
  }

  /** The chains a node leads, by their labels. */
  leads(node: number): string[] {
    const leads: string[] = [];
    this.tableLeader.forEach((l, t) => { if (l === node) leads.push(this.views.chainLabel(t)); });
    return leads;
  }

  /**
   * The frame for the page from the watchers' parts (already passed to `leaders`) and the nodes'
   * state; resets what is gathered between frames.
   */
  frame(
    now: { now_us: number; events: number; done: boolean; digest: string | null; alive: (i: number) => boolean },
    parts: readonly Watched[],
    counters: { bytesIn: Float64Array; bytesOut: Float64Array; cpuBusy: Float64Array },
    story: unknown,
  ): Frame {
    const b = this.built;
    const n = b.nodes.length;
    const flags = new Uint8Array(n);
    const t_us = now.now_us;
    for (let i = 0; i < n; i++) flags[i] = now.alive(i) ? NODE_ALIVE : 0;
    for (let i = 0; i < n; i++) if (!b.byzantine.honestAt(i, t_us)) flags[i] |= NODE_BYZANTINE;
    for (const l of this.tableLeader) if (l >= 0) flags[l] |= NODE_LEADER;
    const T = this.countedTo.length;
    const tableHeight = new Int32Array(T);
    const tableView = new Int32Array(T);
    const tableCommitAt = new Float64Array(T);
    b.metrics.chains.forEach((r, t) => {
      tableHeight[t] = this.countedTo[t];
      tableView[t] = r.viewMax;
      tableCommitAt[t] = r.commitTimes[this.countedTo[t]] ?? 0;
    });
    const blk = this.blocks;
    const nb = blk.length / 6;
    const col = (k: number) => Array.from({ length: nb }, (_, j) => blk[6 * j + k]);
    const one = parts.length === 1 ? parts[0] : null;
    const cat = <A extends Int32Array | Uint8Array | Float64Array>(get: (w: Watched) => A, make: (n: number) => A): A => {
      if (one !== null) return get(one);
      const out = make(parts.reduce((k, w) => k + get(w).length, 0));
      let at = 0;
      for (const w of parts) {
        out.set(get(w) as never, at);
        at += get(w).length;
      }
      return out;
    };
    const f: Frame = {
      now_us: t_us,
      duration_us: this.sc.duration_us,
      events: now.events,
      done: now.done,
      digest: now.digest,
      flags,
      msgFrom: cat((w) => w.msgFrom, (k) => new Int32Array(k)),
      msgTo: cat((w) => w.msgTo, (k) => new Int32Array(k)),
      msgKind: cat((w) => w.msgKind, (k) => new Uint8Array(k)),
      msgAt: cat((w) => w.msgAt, (k) => new Float64Array(k)),
      msgDelivered: parts.reduce((k, w) => k + w.delivered, 0),
      blkTable: Int32Array.from(col(0)),
      blkHeight: Int32Array.from(col(1)),
      blkCls: Uint8Array.from(col(2)),
      blkView: Int32Array.from(col(3)),
      blkTxs: Int32Array.from(col(4)),
      blkAt: Float64Array.from(col(5)),
      tableHeight,
      tableView,
      tableCommitAt,
      tableLeader: Int32Array.from(this.tableLeader),
      blocksCommitted: this.committed,
      txSubmitted: b.metrics.submitted,
      txFinal: this.finalTotal,
      finalPerSecond: Float64Array.from(this.finalPerSecond),
      story,
      links: cat((w) => w.links, (k) => new Int32Array(k)),
      latency: this.latency.map((l) => Float64Array.from(l)),
      bytesIn: counters.bytesIn,
      bytesOut: counters.bytesOut,
      cpuBusy: counters.cpuBusy,
      cores: Uint8Array.from(this.cores),
    };
    this.blocks = [];
    return f;
  }

  /** A node's inspection from what its owner knows of it (the family's rows, counters, queue, recent messages). */
  inspection(
    node: number,
    now_us: number,
    known: { alive: boolean; proto: NodeProtocolView; workQueue: number; bytes_in: number; bytes_out: number; cpu_busy_us: number; recent: RecentMessage[] },
  ): Inspection {
    const info = this.built.nodes[node];
    const hw = hardwareOf(this.sc, info.role);
    return {
      node,
      name: info.name,
      role: info.role,
      region: info.region,
      group: this.meta.nodes[node].group,
      alive: known.alive,
      byzantine: !this.built.byzantine.honestAt(node, now_us),
      facts: known.proto.facts,
      cores: hw.cores,
      upload_bps: hw.upload_bps,
      download_bps: hw.download_bps,
      leads: this.leads(node),
      workQueue: known.workQueue,
      bytes_in: known.bytes_in,
      bytes_out: known.bytes_out,
      cpu_busy_fraction: known.cpu_busy_us / (hw.cores * Math.max(1, now_us)),
      columns: known.proto.columns,
      rows: known.proto.rows,
      chainWord: this.views.chainWord,
      recent: known.recent,
    };
  }
}

/** A run in this thread: the one-worker page, and tests. */
export class Session {
  readonly sc: Scenario;
  readonly built: BuiltRun;
  readonly meta: SessionMeta;
  private readonly gather: FrameGatherer;
  private readonly watcher: Watcher;
  private finished = false;
  private digestHex: string | null = null;

  /** `module`: a family not in the registry (tests of the seam). */
  constructor(readonly base: Scenario, readonly actions: readonly Action[] = [], given?: ProtocolModule) {
    this.sc = scenarioWith(base, actions);
    const built = buildRun(this.sc, { module: given });
    this.built = built;
    this.gather = new FrameGatherer(this.sc, built);
    this.meta = this.gather.meta;
    this.watcher = new Watcher(built.sim, built.module, built.nodes, built.family.genesis.length);
    built.sim.start();
  }

  get now_us(): number {
    return this.built.sim.now_us;
  }

  get done(): boolean {
    return this.finished;
  }

  /** The digest once the run reached its duration, else null. */
  get digest(): string | null {
    return this.digestHex;
  }

  /** Which node's deliveries to keep for the inspector (-1: none). */
  inspect(node: number): void {
    this.watcher.inspect(node);
  }

  /**
   * Runs on toward `target_us` (capped at the duration) until it is reached or `budget_ms` of
   * wall time (read through `clock`) is spent. Returns whether the target was reached.
   */
  advance(target_us: number, budget_ms: number, clock: () => number): boolean {
    const end = this.sc.duration_us;
    const target = Math.min(end, Math.max(target_us, this.now_us));
    const t0 = clock();
    let slice = 2_000; // µs of simulated time per step, adapted to take ~1/8 of the budget
    const sim = this.built.sim;
    while (sim.now_us < target) {
      const s0 = clock();
      const to = Math.min(target, sim.now_us + slice);
      sim.run(to);
      const took = clock() - s0;
      if (clock() - t0 >= budget_ms) break;
      slice = took < budget_ms / 16 ? slice * 2 : took > budget_ms / 4 ? Math.max(100, slice / 2) : slice;
    }
    if (sim.now_us >= end && !this.finished) {
      sim.finish();
      this.built.checks.finish(sim.now_us);
      this.finished = true;
      this.digestHex = sim.digest();
    }
    return sim.now_us >= target;
  }

  /** Runs straight to the end (tests; the command line's path). */
  runToEnd(): string {
    this.advance(this.sc.duration_us, Infinity, () => 0);
    return this.digestHex!;
  }

  /** What committed block `height` of `chain` holds (the family's ViewAdapter.blockDetail), or null. */
  blockDetail(chain: number, height: number): BlockDetail | null {
    return this.gather.views.blockDetail?.(this.gather.run, chain, height) ?? null;
  }

  /** The frame for the page; resets what is gathered between frames. */
  frame(): Frame {
    const sim = this.built.sim;
    const n = this.built.nodes.length;
    const w = this.watcher.take();
    this.gather.leaders(w);
    const bytesIn = new Float64Array(n);
    const bytesOut = new Float64Array(n);
    const cpuBusy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = sim.counters(i);
      bytesIn[i] = c.bytes_in;
      bytesOut[i] = c.bytes_out;
      cpuBusy[i] = c.cpu_busy_us;
    }
    const story = this.gather.views.story?.(this.gather.run, sim.now_us) ?? null;
    return this.gather.frame(
      { now_us: sim.now_us, events: sim.events, done: this.finished, digest: this.digestHex, alive: (i) => sim.isAlive(i) },
      [w],
      { bytesIn, bytesOut, cpuBusy },
      story,
    );
  }

  /** A node's roles, stake, groups, queues and recent messages. */
  inspection(node: number): Inspection {
    const sim = this.built.sim;
    const c = sim.counters(node);
    return this.gather.inspection(node, sim.now_us, {
      alive: sim.isAlive(node),
      proto: this.gather.views.inspect(this.gather.run, node),
      workQueue: sim.workQueued(node),
      bytes_in: c.bytes_in,
      bytes_out: c.bytes_out,
      cpu_busy_us: c.cpu_busy_us,
      recent: this.watcher.recent(node),
    });
  }
}

export function hardwareOf(sc: Scenario, role: string): Scenario['hardware'][keyof Scenario['hardware']] {
  return sc.hardware[role as keyof Scenario['hardware']];
}

export function bucketOf(ms: number): number {
  // Bucket k holds [edge[k-1], edge[k]); 0 is below the first edge, the last above the last.
  const e = LATENCY_EDGES_MS;
  if (ms < e[0]) return 0;
  const k = Math.floor(BUCKETS_PER_DECADE * Math.log10(ms / 10)) + 1;
  return Math.min(e.length, Math.max(1, k));
}

/** The typed arrays of a frame, for transfer. */
export function frameBuffers(f: Frame): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const v of Object.values(f)) if (ArrayBuffer.isView(v)) out.push(v.buffer as ArrayBuffer);
  return out;
}
