/**
 * Bystack's picture of a run for its panel on the page (ViewAdapter.story; drawn by
 * web/families/bystack.ts): the main chain's newest heights with the blocks that lost the race
 * (stale), how far each block has spread and how many confirmations it has; Vapor's newest blocks
 * with their producers, the signatures each gathered toward the 2/3 that makes it irreversible, and
 * the producer whose 12 slots are running; the pegs on their way between the chains. It reads the
 * nodes and the checks' records, and changes nothing.
 */
import type { FamilyRun, ViewRun } from '../../contract/module.js';
import { MainNode } from './mainchain.js';
import { SideNode, blockerOf, irreversibleAt, BLOCKS_EACH, SLOT_US, type SideShared } from './vapor.js';
import { SignerNode } from './federation.js';
import { CHAIN_MAIN, CLASS_PEG_IN, type MainBlock } from './messages.js';
import type { BystackScenario } from './scenario.js';
import type { BystackChecks } from './checks.js';

/** What the story reads of a run (module.ts BystackRun has it). */
interface StoryRun {
  readonly sc: BystackScenario;
  readonly side: SideShared;
  readonly checks: BystackChecks;
}

/** Main-chain heights shown, and Vapor heights. */
export const STORY_MAIN_HEIGHTS = 10;
export const STORY_SIDE_HEIGHTS = 24;
/** Pegs listed at most each way (the newest open ones). */
export const STORY_PEGS_MAX = 8;
/** Above this many main-chain nodes, a block's reach is counted on a sample of them. */
const REACH_SAMPLE = 400;

export interface StoryMainBlock {
  h: number;
  id: string;
  miner: string;
  found_us: number;
  txs: number;
  /** On the best chain of the most advanced node; else stale (lost the race, or not yet decided). */
  best: boolean;
  final: boolean;
  /** Of the main-chain nodes, the share holding it on their best chain (0 to 1). */
  reach: number;
}

export interface StorySideBlock {
  h: number;
  id: string;
  /** Its producer's index in the schedule (`producers`). */
  producer: number;
  time_us: number;
  txs: number;
  /** Signatures the reference producer holds for it. */
  sigs: number;
  best: boolean;
  irreversible: boolean;
}

export interface StoryPeg {
  dir: 'in' | 'out';
  id: number;
  /** Blocks above the lock on its chain (main-chain confirmations, or irreversible Vapor blocks), and how many the federation waits for. */
  progress: number;
  needed: number;
  /** When the lock became final. */
  since_us: number;
}

export interface BystackStory {
  family: 'bystack';
  now_us: number;
  main: {
    confirmations: number;
    interval_s: number;
    tip: number;
    final: number;
    nodes: number;
    blocks: StoryMainBlock[];
  };
  vapor: null | {
    producers: string[];
    /** The schedule index whose slot comes next, and how many of its 12 slots are left. */
    current: number;
    slotsLeft: number;
    needed: number;
    reference: string;
    height: number;
    irreversible: number;
    blocks: StorySideBlock[];
    doubleSigns: number;
  };
  pegs: null | {
    quorum: number;
    signers: number;
    open: { in: number; out: number };
    released: { in: number; out: number };
    /** The newest open pegs, up to STORY_PEGS_MAX each way: peg-ins first. */
    list: StoryPeg[];
  };
}

function mainNodeOf(b: ViewRun<StoryRun & FamilyRun>, i: number): MainNode | null {
  const l = b.logicOf(i);
  return l instanceof MainNode ? l : l instanceof SignerNode ? l.main : null;
}

function sideNodeOf(b: ViewRun<StoryRun & FamilyRun>, i: number): SideNode | null {
  const l = b.logicOf(i);
  return l instanceof SideNode ? l : l instanceof SignerNode ? l.side : null;
}

export function bystackStory(b: ViewRun<StoryRun & FamilyRun>, now_us: number): BystackStory {
  const run = b.family;
  const sc = run.sc;
  const m = sc.mainchain;
  const fullNodes = m.miners + m.nodes + sc.federation.signers;
  // The main chain, as the most advanced node sees it.
  const mains: MainNode[] = [];
  for (let i = 0; i < fullNodes; i++) {
    const x = mainNodeOf(b, i);
    if (x !== null) mains.push(x);
  }
  let ref = mains[0];
  for (const x of mains) if (x.height > ref.height) ref = x;
  const h0 = Math.max(1, ref.height - STORY_MAIN_HEIGHTS + 1);
  const seen = new Map<string, MainBlock>();
  for (let h = h0; h <= ref.height; h++) seen.set(ref.blockAt(h).id, ref.blockAt(h));
  // Blocks off the best chain are known at least to their miner.
  for (let i = 0; i < m.miners; i++) mainNodeOf(b, i)?.knownFrom(h0, (x) => { if (!seen.has(x.id)) seen.set(x.id, x); });
  const stride = Math.max(1, Math.ceil(mains.length / REACH_SAMPLE));
  const sample = mains.filter((_, k) => k % stride === 0);
  const blocks: StoryMainBlock[] = [...seen.values()]
    .sort((x, y) => x.height - y.height || x.found_us - y.found_us)
    .map((x) => ({
      h: x.height, id: x.id.slice(0, 8), miner: b.nodes[x.miner].name, found_us: x.found_us, txs: x.txs.length,
      best: ref.onBest(x), final: ref.onBest(x) && x.height <= ref.committedHeight,
      reach: sample.reduce((n, y) => n + (y.onBest(x) ? 1 : 0), 0) / sample.length,
    }));
  const story: BystackStory = {
    family: 'bystack',
    now_us,
    main: { confirmations: m.confirmations, interval_s: m.block_interval_us / 1e6, tip: ref.height, final: ref.committedHeight, nodes: mains.length, blocks },
    vapor: null,
    pegs: null,
  };
  const side = run.side;
  const n = side.producers.length;
  if (n > 0) {
    // The producer with the highest irreversible block (the first of them) is the reference.
    let sref: SideNode | null = null;
    let srefNode = -1;
    for (const node of side.producers) {
      const x = sideNodeOf(b, node);
      if (x !== null && (sref === null || x.irreversibleHeight > sref.irreversibleHeight)) {
        sref = x;
        srefNode = node;
      }
    }
    const s = sref!;
    const sblocks: StorySideBlock[] = [];
    for (let h = Math.max(1, s.height - STORY_SIDE_HEIGHTS + 1); h <= s.height; h++) {
      for (const x of s.blocksAt(h)) {
        const best = s.blockAt(h)?.id === x.id;
        sblocks.push({
          h, id: x.id.slice(0, 8), producer: side.orderOf[x.producer], time_us: x.time_us, txs: x.txs.length,
          sigs: s.signersOf(x.id)?.size ?? 0, best, irreversible: best && h <= s.irreversibleHeight,
        });
      }
    }
    // The next slot's producer on the reference's tip, and what is left of its 12 slots.
    const t = (Math.floor(now_us / SLOT_US) + 1) * SLOT_US;
    const anchor = s.anchor;
    const current = blockerOf(anchor, t, n);
    const slotInCycle = current < 0 ? 0 : Math.floor((t - anchor.time_us - SLOT_US) / SLOT_US) % (BLOCKS_EACH * n);
    story.vapor = {
      producers: Array.from(side.producers, (node) => b.nodes[node].name),
      current,
      slotsLeft: current < 0 ? 0 : BLOCKS_EACH - (slotInCycle % BLOCKS_EACH),
      needed: irreversibleAt(n),
      reference: b.nodes[srefNode].name,
      height: s.height,
      irreversible: s.irreversibleHeight,
      blocks: sblocks,
      doubleSigns: run.checks.side.doubleSigns.size,
    };
  }
  const f = sc.federation;
  if (f.signers > 0 && n > 0) {
    const open = run.checks.openPegs();
    const sideIrr = story.vapor?.irreversible ?? 0;
    const newest = [...open.filter((p) => p.cls === CLASS_PEG_IN).slice(-STORY_PEGS_MAX), ...open.filter((p) => p.cls !== CLASS_PEG_IN).slice(-STORY_PEGS_MAX)];
    const list: StoryPeg[] = newest.map((p) => (p.cls === CLASS_PEG_IN
      ? { dir: 'in', id: p.id, progress: Math.max(0, ref.height - p.height), needed: f.pegin_confirmations, since_us: p.at_us }
      : { dir: 'out', id: p.id, progress: Math.max(0, sideIrr - p.height), needed: f.pegout_blocks, since_us: p.at_us }));
    const ins = open.filter((p) => p.chain === CHAIN_MAIN).length;
    story.pegs = {
      quorum: f.quorum,
      signers: f.signers,
      open: { in: ins, out: open.length - ins },
      released: { in: run.checks.pegIn.released, out: run.checks.pegOut.released },
      list,
    };
  }
  return story;
}
