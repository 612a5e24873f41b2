/**
 * What the page's views gather from the deliveries of a run between two frames (web/session.ts):
 * a sample of the messages delivered, the leader each proposal names, chain-to-chain links (TOP's
 * receipts), and the inspected node's recent messages. It reads the engine's work trace and changes
 * nothing, so a watched run has the digest of an unwatched one.
 *
 * The same watcher serves a run in one thread and each worker of a partitioned run in the page
 * (web/partitioned.ts), where it sees the deliveries to that worker's nodes and the page merges the
 * workers' parts.
 */
import type { Simulation, WorkTrace } from '../engine/sim.js';
import type { Msg } from '../contract/env.js';
import type { ProtocolModule } from '../contract/module.js';
import type { NodeInfo } from '../contract/module.js';

/** Most chain-to-chain links a frame carries (the first ones delivered since the last frame). */
export const FRAME_LINKS_MAX = 400;
/** Most messages a frame carries; above that, deliveries are sampled evenly. */
export const FRAME_MESSAGES_MAX = 1500;
/** Recent messages kept for the inspected node. */
export const RECENT_MAX = 24;

export interface RecentMessage {
  at_us: number;
  from: string;
  kind: string;
  table: number | null;
  bytes: number;
}

/** What a watcher gathered since the previous `take`. */
export interface Watched {
  /** A sample of the messages delivered: sender, receiver, kind, delivery time. */
  msgFrom: Int32Array;
  msgTo: Int32Array;
  msgKind: Uint8Array;
  msgAt: Float64Array;
  /** All messages delivered (the sample's population). */
  delivered: number;
  /** Chains whose leader a delivery named: chain, leader, time of that delivery (triples). */
  leaders: Float64Array;
  /** Chain-to-chain links delivered, as from, to pairs. */
  links: Int32Array;
}

export class Watcher {
  private msgFrom: number[] = [];
  private msgTo: number[] = [];
  private msgKind: number[] = [];
  private msgAt: number[] = [];
  private delivered = 0;
  private stride = 1;
  private links: number[] = [];
  /** Per chain: the leader the latest delivery named (-1: none since the last take), and when. */
  private readonly leader: Int32Array;
  private readonly leaderAt: Float64Array;
  private inspected = -1;
  private recentList: RecentMessage[] = [];
  private readonly msgMax: number;

  /**
   * `share`: the part of FRAME_MESSAGES_MAX and FRAME_LINKS_MAX this watcher may fill (1 alone; 1/W
   * for each of W workers).
   */
  constructor(
    sim: Simulation,
    module: ProtocolModule,
    nodes: readonly NodeInfo[],
    chains: number,
    share = 1,
  ) {
    this.leader = new Int32Array(chains).fill(-1);
    this.leaderAt = new Float64Array(chains);
    const msgMax = Math.ceil(FRAME_MESSAGES_MAX * share);
    const linkMax = 2 * Math.ceil(FRAME_LINKS_MAX * share);
    const views = module.views;
    const linkOf = views.linkOf?.bind(views);
    const trace: WorkTrace = {
      work: (node, _core, what, from, data) => {
        if (what !== 0) return;
        const m = data as Msg;
        const now = sim.now_us;
        const led = views.leaderOf(m);
        if (led !== null) {
          this.leader[led[0]] = led[1];
          this.leaderAt[led[0]] = now;
        }
        if (linkOf !== undefined && this.links.length < linkMax) {
          const l = linkOf(m);
          if (l !== null) this.links.push(l[0], l[1]);
        }
        if (this.delivered++ % this.stride === 0 && this.msgFrom.length < msgMax) {
          this.msgFrom.push(from);
          this.msgTo.push(node);
          this.msgKind.push(m.kind);
          this.msgAt.push(now);
        }
        if (node === this.inspected) {
          this.recentList.push({
            at_us: now, from: nodes[from]?.name ?? `#${from}`,
            kind: module.kinds[m.kind] ?? `kind ${m.kind}`, table: module.chainOf(m) ?? null, bytes: m.bytes,
          });
          if (this.recentList.length > RECENT_MAX) this.recentList.shift();
        }
      },
      lifecycle: () => {},
    };
    sim.traceWork(trace);
    this.msgMax = msgMax;
  }

  /** Which node's deliveries to keep for the inspector (-1: none); a new node starts empty. */
  inspect(node: number): void {
    if (node !== this.inspected) this.recentList = [];
    this.inspected = node;
  }

  /** The inspected node's recent messages, newest first. */
  recent(node: number): RecentMessage[] {
    return node === this.inspected ? [...this.recentList].reverse() : [];
  }

  /** What was gathered since the last take (and starts gathering the next frame's). */
  take(): Watched {
    const leaders: number[] = [];
    this.leader.forEach((l, t) => {
      if (l >= 0) leaders.push(t, l, this.leaderAt[t]);
    });
    this.leader.fill(-1);
    const w: Watched = {
      msgFrom: Int32Array.from(this.msgFrom),
      msgTo: Int32Array.from(this.msgTo),
      msgKind: Uint8Array.from(this.msgKind),
      msgAt: Float64Array.from(this.msgAt),
      delivered: this.delivered,
      leaders: Float64Array.from(leaders),
      links: Int32Array.from(this.links),
    };
    // Sample the next frame's messages as evenly as this one's population allows.
    this.stride = Math.max(1, Math.ceil(this.delivered / this.msgMax));
    this.msgFrom = [];
    this.msgTo = [];
    this.msgKind = [];
    this.msgAt = [];
    this.delivered = 0;
    this.links = [];
    return w;
  }
}
