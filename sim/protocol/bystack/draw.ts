/**
 * Bystack's swarm drawing (sim/contract/config.ts `SwarmDrawing`; `npm run sim -- swarm --family
 * bystack`, with the envelope's part in sim/scenario/draw.ts): a small base drawn from the seed,
 * and faults and byzantine entries drawn against a base's shape.
 *
 * The swarm hunts safety bugs, so every drawn scenario is one the protocol must survive. Proof of
 * work is final only with high probability, so some rules are bounds on chance: each way a drawn
 * scenario could break by bad luck alone (a fork deeper than the confirmations, a long gap between
 * blocks) has probability at most RISK (1e-7) per scenario, so a swarm of 10,000 seeds trips
 * over one about once in a thousand swarms. The bounds use λ^k / k! ≥ P(Poisson(λ) ≥ k) and sums
 * of products only, so a drawing is the same on every engine. With c = `mainchain.confirmations`
 * and I = `mainchain.block_interval`:
 *
 * - **Every fault and byzantine behaviour ends by the end of the fault phase** (crashed nodes
 *   restart with their state, partitions heal), so the liveness phase judges a whole system.
 *   No crash says `state: lost`: the family refuses it (every Bystack node restarts with its
 *   chain, signatures and keeper state; a restart from nothing is not modelled);
 *   and a producer that did forget its signatures could sign a second block at a height, which
 *   is `double_sign` (below).
 * - **Main-chain splits are short.** A partition, or a crash of main-chain full nodes (miners,
 *   full nodes, signers: a crash can cut the relay graph), may split the miners. A node's final
 *   block reverts only if its side finds c blocks while cut off and another side, finding at least
 *   c too, ends up ahead (or level, then extended): 2c blocks on diverging branches. The blocks
 *   found while any split lasts number Poisson(T/I) for a total split time T, so the windows of
 *   these faults add up to at most the T with (T/I)^(2c) / (2c)! ≤ RISK: 1.38 I at c = 6, a
 *   little over one block interval; 3.7 I at c = 10; nothing at c = 1. Partitions cut both ways:
 *   under a one-way cut a node may ask the far side for a block it lacks and wait for its answer
 *   (see the next rule).
 * - **No lost messages on degraded links.** Degraded links add latency, jitter, duplicates,
 *   reordering or bandwidth limits, never loss: a node asks again for a missing parent only when
 *   a newer block shows the gap and 10 s have passed (`BlockIntake.hold`), so a lost request or
 *   reply can hold a miner on its branch for a block interval or more, and a fork that long is
 *   outside the 1e-7 budget of the rule above. (A request in flight when a cut or a crash begins
 *   can still be lost: rare, and covered by the same retry.)
 * - **Selfish mining** by one miner with share α, a window of W: a fork it wins reverts d honest
 *   blocks only if it found d+1 blocks before the others found d from the fork, probability at
 *   most R(α) = Σ_{k<c} C(c+k, k) α^(c+1) (1−α)^k per episode, and an episode starts with one of
 *   its blocks: at most αW/I of them. So α·W/I·R(α) ≤ RISK: at c = 6, about 5% of the hash rate
 *   for a few block intervals (a 10% miner has R ≈ 5e-5, 20% R ≈ 4e-3). A miner whose bound
 *   allows less than a block interval is not drawn; the built-in base gives one miner 3–5%.
 * - **Vapor: absent producers.** A block is irreversible with more than 2/3 of the n producers'
 *   signatures (q = ⌊2n/3⌋+1, `irreversibleAt` in vapor.ts), so at any moment the producers that
 *   withhold their signatures (`withhold_signatures`), are crashed or are cut off by a partition
 *   number at most n − q together, counted per moment over their windows: the others still make
 *   blocks irreversible, and a cut-off minority, which cannot, makes a branch that must never
 *   override them. `double_sign` is not drawn: the code refuses the twin blocks and the producers
 *   split for good (scenarios/vapor-double-sign.yaml).
 * - **The federation.** A signer that withholds misses each peg it sees during its window for
 *   good, so at most signers − quorum signers withhold over the whole run. The first signer f0
 *   submits every release: the drawing keeps it up (a restarted signer now asks for the
 *   signatures it missed and the others submit what it left, docs/BYSTACK.md "Federation"; the
 *   drawing has not yet been widened to crash it), and, like every signer, on no cut or degraded
 *   link (each signature is sent once). Other signers may crash: after the restart their keeper
 *   signs what it missed.
 * - **Releases reach the chain.** A mint goes to the producers and a payout to the miners down a
 *   relay tree whose root sends to `network.relay_fanout` of them, and no full node relays a
 *   transaction on (Bytom's nodes flood them; the model leaves that out), so a release stays with
 *   the nodes the submitter reached. Producers each make blocks in turn, so one is enough: when
 *   peg-ins flow at most fanout − 1 producers are crashed or cut off at once. A miner makes
 *   blocks only at its share of the hash rate, and a payout that reached only a 4% miner waits
 *   about 250 s for a block: when peg-outs flow no miner is crashed or cut off from the signers
 *   (a partition may still part miners from other full nodes, edges or producers); otherwise at
 *   most all but one miner at once.
 * - Crashes and partitions of edges only lose clients' transfers, which no check counts.
 * - **A liveness bound for chance**: the built-in base's `checks.liveness_bound` is 40 intervals,
 *   so no gap between blocks (P = e^-40) nor a payout's c confirmations (P(Poisson(38) < c)) outlast it.
 *
 * Each concern draws from its own stream (topology, faults, byzantine), so a change to how one is
 * drawn leaves the others' draws alone.
 */
import type { Stream } from '../../lib/random.js';
import { SWARM_GRID_US, type SwarmDrawing } from '../../contract/config.js';
import type { Scenario } from '../../scenario/types.js';
import { formatDuration } from '../../scenario/units.js';
import { asBystack, type BystackScenario } from './scenario.js';

/** Fault times are drawn on this grid, so the files read "12.3s" rather than "12.345678s". */
const GRID_US = SWARM_GRID_US;
/** The probability each chance-bounded rule allows a drawn scenario (see the header). */
const RISK = 1e-7;
/** The built-in base's liveness bound, in block intervals. */
const BASE_BOUND_INTERVALS = 40;
const REGIONS = ['Oregon', 'Virginia', 'Canada central', 'Frankfurt', 'Ireland', 'London', 'Tokyo', 'Seoul', 'Singapore', 'Mumbai', 'Sydney'];

type FileObject = Record<string, unknown>;

/**
 * The built-in base: a main chain of 4–6 miners (one with 3–5% of the hash rate, a candidate for
 * selfish mining) and 2–6 full nodes with 10, 15 or 20 s blocks final at 6 confirmations; half
 * the seeds add Vapor (4–10 producers) and of those half a federation, with its waits cut to fit a
 * short run. The fault phase is 6–10 block intervals after a warm-up of 3, and the liveness
 * phase 40 intervals (a run of 8 to 18 simulated minutes; a few seconds of wall time).
 */
function drawBase(r: Stream): FileObject {
  const miners = r.int(4, 6);
  const nodes = r.int(2, 6);
  const interval_s = 5 * r.int(2, 4);
  // One small miner; the others share the rest as evenly as whole percents allow.
  const small = r.int(0, miners - 1);
  const smallShare = r.int(3, 5);
  const each = Math.floor((100 - smallShare) / (miners - 1));
  let extra = 100 - smallShare - each * (miners - 1);
  const shares = Array.from({ length: miners }, (_, i) => (i === small ? smallShare : each + (extra-- > 0 ? 1 : 0)));
  const producers = r.chance(1, 2) ? r.int(4, 10) : 0;
  const signers = producers > 0 && r.chance(1, 2) ? r.int(2, 5) : 0;
  const quorum = signers > 0 ? r.int(1, signers) : 0;
  const regions: string[] = [];
  const pool = [...REGIONS];
  for (let k = r.int(3, 5); k > 0; k--) regions.push(pool.splice(r.int(0, pool.length - 1), 1)[0]);
  const confirmations = 6;
  const warmup_s = 3 * interval_s;
  const phase_s = r.int(6, 10) * interval_s;
  const bound_s = BASE_BOUND_INTERVALS * interval_s;
  const side = producers > 0 ? 10 * r.int(2, 6) : 0;
  const pegs = signers > 0 ? { peg_in_percent: 5 * r.int(1, 3), peg_out_percent: 5 * r.int(1, 3) } : {};
  return {
    name: 'swarm-bystack',
    description: 'Drawn by npm run sim -- swarm --family bystack: random faults within what Bystack tolerates, healed before a liveness phase.',
    // The liveness phase is the bound and the swarm's margin (sim/scenario/draw.ts LIVENESS_MARGIN_US).
    duration: `${warmup_s + phase_s + bound_s + 15}s`,
    warmup: `${warmup_s}s`,
    protocol: { family: 'bystack' },
    ...(producers > 0 && r.chance(1, 4) ? { variant: 'design' } : {}),
    network: { latency: { dataset: 'wittgenstein-aws-rtt-2019', regions }, jitter_percent: 5 },
    mainchain: {
      miners, nodes, hash_shares: shares, block_interval: `${interval_s}s`, confirmations, peers: r.int(2, 3),
      ...(r.chance(1, 4) ? { relay: 'announce' } : {}),
    },
    vapor: { producers },
    federation: signers > 0
      ? {
        signers, quorum,
        // The keepers' waits, cut to fit a short run: deposits at or past the finality depth (a
        // release before its lock is final would be the configuration's fault, not the model's).
        pegin_confirmations: confirmations + r.int(0, 2), pegout_blocks: 10 * r.int(1, 4), poll: `${r.int(5, interval_s)}s`,
      }
      : { signers: 0 },
    clients: { edges: r.int(1, 2) },
    workload: { accounts: 2000, rate_tps: 5 * r.int(2, 8), ...(side > 0 ? { side_percent: side } : {}), ...pegs },
    checks: { liveness_bound: `${bound_s}s` },
  };
}

/** λ^k / k!, an upper bound of P(Poisson(λ) ≥ k). */
function poissonTailBound(lambda: number, k: number): number {
  let p = 1;
  for (let i = 1; i <= k; i++) p = (p * lambda) / i;
  return p;
}

/**
 * Σ_{k<c} C(c+k, k) α^(c+1) (1−α)^k: the probability that a miner of share α finds c+1 blocks
 * before the others find c (an upper bound of its fork reverting c honest blocks).
 */
export function raceBound(alpha: number, c: number): number {
  let lead = 1;
  for (let i = 0; i <= c; i++) lead *= alpha;
  let sum = 0;
  let binom = 1;
  let rest = 1;
  for (let k = 0; k < c; k++) {
    sum += binom * rest;
    binom = (binom * (c + k + 1)) / (k + 1);
    rest *= 1 - alpha;
  }
  return lead * sum;
}

/** The most time main-chain splits may add up to (a multiple of the grid): see the header. */
export function splitBudget(interval_us: number, confirmations: number, cap_us: number): number {
  let t = 0;
  while (t + GRID_US <= cap_us && poissonTailBound((t + GRID_US) / interval_us, 2 * confirmations) <= RISK) t += GRID_US;
  return t;
}

/** The longest selfish-mining window for a miner of share α (0 when none is allowed). */
export function selfishWindow(alpha: number, interval_us: number, confirmations: number): number {
  if (alpha <= 0 || alpha >= 0.5) return 0;
  const w = (RISK * interval_us) / (alpha * raceBound(alpha, confirmations));
  return Number.isFinite(w) ? Math.floor(w / GRID_US) * GRID_US : 0;
}

/** Signatures that make a Vapor block irreversible (vapor.ts `irreversibleAt`). */
function quorumOf(n: number): number {
  return Math.floor((n * 2) / 3) + 1;
}

/** Counts over time windows: how many at once at most, over [at, until). */
class Load {
  private readonly spans: { at: number; until: number; k: number }[] = [];

  add(at: number, until: number, k: number): void {
    this.spans.push({ at, until, k });
  }

  peak(at: number, until: number): number {
    let most = 0;
    for (const t of [at, ...this.spans.map((s) => s.at).filter((x) => x > at && x < until)]) {
      let sum = 0;
      for (const s of this.spans) if (s.at <= t && t < s.until) sum += s.k;
      most = Math.max(most, sum);
    }
    return most;
  }
}

interface Window { at: number; until: number }

/** One side of a link fault, and the miners and producers it holds. */
interface Side { sel: string; role: string; miners: number; producers: number }

/** The drawing of one scenario's faults against its shape, with what each rule has left. */
class Drawer {
  private readonly sc: BystackScenario;
  private readonly m: BystackScenario['mainchain'];
  private readonly P: number;
  private readonly S: number;
  /** Producers that may be absent at once, and crashed at once. */
  private readonly absentMax: number;
  private readonly downMax: number;
  /** Miners that may be crashed or cut off from the signers at once. */
  private readonly minersOutMax: number;
  private readonly half: number;
  private splitLeft: number;
  private pegLeft: number;
  private selfishDrawn = false;
  private readonly absent = new Load();
  private readonly down = new Load();
  private readonly minersOut = new Load();
  /** The latest end of any fault or behaviour drawn so far. */
  end_us = 0;

  constructor(shape: Scenario, private readonly from_us: number, private readonly to_us: number) {
    const sc = asBystack(shape);
    this.sc = sc;
    this.m = sc.mainchain;
    this.P = sc.vapor.producers;
    this.S = sc.federation.signers;
    const fanout = sc.network.relay_fanout;
    const pegs = this.S > 0;
    this.absentMax = this.P > 0 ? this.P - quorumOf(this.P) : 0;
    this.downMax = Math.min(this.absentMax, pegs && sc.workload.peg_in_percent > 0 ? fanout - 1 : this.P);
    this.minersOutMax = pegs && sc.workload.peg_out_percent > 0 ? 0 : this.m.miners - 1;
    this.half = Math.max(GRID_US, Math.floor((to_us - from_us) / 2 / GRID_US) * GRID_US);
    this.splitLeft = splitBudget(this.m.block_interval_us, this.m.confirmations, this.half);
    this.pegLeft = pegs ? this.S - sc.federation.quorum : 0;
  }

  /** A time on the grid in [lo, hi]. */
  private time(r: Stream, lo_us: number, hi_us: number): number {
    return r.int(Math.ceil(lo_us / GRID_US), Math.floor(hi_us / GRID_US)) * GRID_US;
  }

  /** A window inside the fault phase, one grid step to `longest` long (at most half the phase). */
  private window(r: Stream, longest = this.half): Window {
    const len = Math.min(longest, this.half, this.to_us - this.from_us);
    const at = this.time(r, this.from_us, this.to_us - GRID_US);
    const until = this.time(r, at + GRID_US, Math.min(this.to_us, at + Math.max(GRID_US, len)));
    return { at, until };
  }

  /** The file form of a window, which then counts toward the end of the fault phase. */
  private times(w: Window): { at: string; until: string } {
    this.end_us = Math.max(this.end_us, w.until);
    return { at: formatDuration(w.at), until: formatDuration(w.until) };
  }

  /** `k` nodes of a role: a name when k is 1 (half the time), else "k of role". */
  private some(r: Stream, prefix: string, word: string, count: number, k: number): string {
    if (k === 1 && r.chance(1, 2)) return `${prefix}${r.int(0, count - 1)}`;
    return k === count ? word : `${k} of ${word}`;
  }

  /** One to five faults. */
  faults(r: Stream): FileObject[] {
    const kinds = ['crash', 'crash', 'partition', 'partition', 'degrade', 'degrade'];
    const out: FileObject[] = [];
    for (let i = r.int(1, 5); i > 0; i--) {
      const kind = kinds[r.int(0, kinds.length - 1)];
      const f = kind === 'crash' ? this.crash(r) : kind === 'partition' ? this.partition(r) : null;
      out.push(f ?? this.degrade(r));
    }
    return out;
  }

  /** A crash of main-chain full nodes, producers or edges, with its state kept; null if no rule allows one. */
  private crash(r: Stream): FileObject | null {
    const targets = ['main', 'edge', ...(this.absentMax > 0 && this.downMax > 0 ? ['producer'] : [])];
    const target = targets[r.int(0, targets.length - 1)];
    if (target === 'edge') {
      const e = this.sc.clients.edges;
      return { kind: 'crash', ...this.times(this.window(r)), nodes: [this.some(r, 'e', 'edges', e, r.int(1, e))], state: 'kept' };
    }
    if (target === 'producer') {
      const w = this.window(r);
      const room = Math.min(this.absentMax - this.absent.peak(w.at, w.until), this.downMax - this.down.peak(w.at, w.until));
      if (room <= 0) return null;
      const k = r.int(1, room);
      this.absent.add(w.at, w.until, k);
      this.down.add(w.at, w.until, k);
      return { kind: 'crash', ...this.times(w), nodes: [this.some(r, 'p', 'producers', this.P, k)], state: 'kept' };
    }
    if (this.splitLeft < GRID_US) return null;
    const w = this.window(r, this.splitLeft);
    const m = this.m;
    const minersRoom = this.minersOutMax - this.minersOut.peak(w.at, w.until);
    const options: (() => { sel: string; miners: number })[] = [];
    if (minersRoom > 0) {
      options.push(() => {
        const k = r.int(1, minersRoom);
        return { sel: this.some(r, 'm', 'miners', m.miners, k), miners: k };
      });
    }
    if (m.nodes > 0) options.push(() => ({ sel: this.some(r, 'n', 'nodes', m.nodes, r.int(1, m.nodes)), miners: 0 }));
    // Any signer but f0, the submitter of every release.
    if (this.S > 1) options.push(() => ({ sel: `f${r.int(1, this.S - 1)}`, miners: 0 }));
    if (options.length === 0) return null;
    const { sel, miners } = options[r.int(0, options.length - 1)]();
    this.splitLeft -= w.until - w.at;
    this.minersOut.add(w.at, w.until, miners);
    return { kind: 'crash', ...this.times(w), nodes: [sel], state: 'kept' };
  }

  /**
   * One side of a link fault: miners and producers (as many as `room` allows of each), full nodes
   * or edges, never signers; `not` is a role the other side holds.
   */
  private side(r: Stream, room: { miners: number; producers: number }, not: string | null): Side | null {
    const m = this.m;
    const e = this.sc.clients.edges;
    const options: (() => Side)[] = [];
    if (room.miners > 0 && not !== 'm') {
      options.push(() => {
        const k = r.int(1, room.miners);
        return { sel: this.some(r, 'm', 'miners', m.miners, k), role: 'm', miners: k, producers: 0 };
      });
    }
    if (m.nodes > 0 && not !== 'n') {
      options.push(() => ({ sel: this.some(r, 'n', 'nodes', m.nodes, r.int(1, m.nodes)), role: 'n', miners: 0, producers: 0 }));
    }
    if (room.producers > 0 && not !== 'p') {
      options.push(() => {
        const k = r.int(1, room.producers);
        return { sel: this.some(r, 'p', 'producers', this.P, k), role: 'p', miners: 0, producers: k };
      });
    }
    if (not !== 'e') options.push(() => ({ sel: this.some(r, 'e', 'edges', e, r.int(1, e)), role: 'e', miners: 0, producers: 0 }));
    return options.length === 0 ? null : options[r.int(0, options.length - 1)]();
  }

  /**
   * A two-way partition (its main-chain part within the split budget, its producers counted as
   * absent and unreachable, its miners as cut off from the signers when the other side is
   * everyone else); null if no split time is left.
   */
  private partition(r: Stream): FileObject | null {
    if (this.splitLeft < GRID_US) return null;
    const w = this.window(r, this.splitLeft);
    const toOthers = r.chance(1, 2);
    const room = {
      miners: toOthers ? this.minersOutMax - this.minersOut.peak(w.at, w.until) : this.m.miners,
      producers: Math.min(this.absentMax - this.absent.peak(w.at, w.until), this.downMax - this.down.peak(w.at, w.until)),
    };
    const a = this.side(r, room, null)!;
    // Another role than a's always remains (there are miners, and edges).
    const b = toOthers ? null : this.side(r, { miners: this.m.miners, producers: room.producers - a.producers }, a.role)!;
    // Only a cut between main-chain nodes splits the main chain; edges and producers relay no main-chain block.
    const main = (x: Side) => x.role === 'm' || x.role === 'n';
    if (main(a) && (b === null || main(b))) this.splitLeft -= w.until - w.at;
    if (b === null) this.minersOut.add(w.at, w.until, a.miners);
    const cut = a.producers + (b?.producers ?? 0);
    this.absent.add(w.at, w.until, cut);
    this.down.add(w.at, w.until, cut);
    return { kind: 'partition', ...this.times(w), a: [a.sel], b: b === null ? [] : [b.sel], direction: 'both' };
  }

  /** Degraded links of main-chain nodes, producers or edges: one to three knobs, none of them loss. */
  private degrade(r: Stream): FileObject {
    const w = this.window(r);
    const all = { miners: this.m.miners, producers: this.P };
    const a = this.side(r, all, null)!;
    const b = r.chance(1, 2) ? this.side(r, all, a.role) : null;
    const knobs: (() => FileObject)[] = [
      () => ({ latency: formatDuration(r.int(1, 60) * 5_000) }),
      () => ({ jitter_percent: r.int(10, 200) }),
      () => ({ duplicate_percent: r.int(1, 20) }),
      () => ({ reorder: formatDuration(r.int(1, 50) * 1_000) }),
      () => ({ bandwidth_percent: r.int(5, 90) }),
    ];
    const knob: FileObject = {};
    for (let n = r.int(1, 3); n > 0; n--) Object.assign(knob, knobs[r.int(0, knobs.length - 1)]());
    return { kind: 'degrade', ...this.times(w), a: [a.sel], b: b === null ? [] : [b.sel], direction: 'both', ...knob };
  }

  /** Up to three byzantine entries, each within what its rule has left, each with an end. */
  byzantine(r: Stream): FileObject[] {
    const out: FileObject[] = [];
    for (let i = r.int(0, 3); i > 0; i--) {
      const open: (() => FileObject | null)[] = [];
      if (!this.selfishDrawn) open.push(() => this.selfish(r));
      if (this.absentMax > 0) open.push(() => this.withhold(r));
      if (this.pegLeft > 0) open.push(() => this.withholdPeg(r));
      if (open.length === 0) break;
      const b = open[r.int(0, open.length - 1)]();
      if (b !== null) out.push(b);
    }
    return out;
  }

  /** Selfish mining by one miner whose share the race bound allows, in a window it allows. */
  private selfish(r: Stream): FileObject | null {
    this.selfishDrawn = true;
    const m = this.m;
    const candidates: { miner: number; longest: number }[] = [];
    for (let i = 0; i < m.miners; i++) {
      // A window shorter than a block interval would rarely see a block of its own.
      const longest = selfishWindow(m.hash_share_bp[i] / 10_000, m.block_interval_us, m.confirmations);
      if (longest >= m.block_interval_us) candidates.push({ miner: i, longest });
    }
    if (candidates.length === 0) return null;
    const { miner, longest } = candidates[r.int(0, candidates.length - 1)];
    return { nodes: [`m${miner}`], behavior: 'selfish_mining', ...this.times(this.window(r, longest)) };
  }

  /** Producers withholding their signatures, within the absent producers' budget over the window. */
  private withhold(r: Stream): FileObject | null {
    const w = this.window(r);
    const room = this.absentMax - this.absent.peak(w.at, w.until);
    if (room <= 0) return null;
    const k = r.int(1, room);
    this.absent.add(w.at, w.until, k);
    return { nodes: [this.some(r, 'p', 'producers', this.P, k)], behavior: 'withhold_signatures', ...this.times(w) };
  }

  /** Signers withholding peg signatures, within signers − quorum over the whole run. */
  private withholdPeg(r: Stream): FileObject {
    const k = r.int(1, this.pegLeft);
    this.pegLeft -= k;
    const nodes = this.some(r, 'f', 'signers', this.S, k);
    return { nodes: [nodes], behavior: 'withhold_peg_signatures', ...this.times(this.window(r)) };
  }
}

export const BYSTACK_SWARM: SwarmDrawing = {
  base: drawBase,
  draw(shape: Scenario, from_us: number, to_us: number, stream: (purpose: string) => Stream) {
    const d = new Drawer(shape, from_us, to_us);
    const faults = d.faults(stream('faults'));
    // Byzantine entries after the faults: withholding producers share the crashed producers' budget.
    const byzantine = d.byzantine(stream('byzantine'));
    return { faults, byzantine, end_us: d.end_us };
  },
  after: [],
};
