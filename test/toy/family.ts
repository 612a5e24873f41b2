/**
 * A toy protocol family, the proof that the seam of sim/contract/module.ts is enough: one leader
 * chain. Clients (role `edge`) send transfers to the leader (validator v0); at each slot tick the
 * leader packs what it holds into a block and broadcasts it to every validator; a validator
 * commits a block whose parent it committed (asking the leader for nothing: a block that arrives
 * out of order waits for its parent). A transfer is final when its block is first committed.
 *
 * It uses only the contract, the engine's Env and the generic bytes codec: if the runner, the
 * metrics, the checks, the report or the page needed anything of TOP, this family would not run.
 */
import type { Env, Msg, NodeLogic, Timer } from '../../sim/contract/env.js';
import type {
  BlockFacts, BuildInput, CheckHost, FamilyChecks, FamilyCodec, FamilyRun, ProtocolModule,
} from '../../sim/contract/module.js';
import type { CommitKey } from '../../sim/contract/observe.js';
import type { Scenario } from '../../sim/scenario/types.js';
import type { Reader, Writer } from '../../sim/lib/bytes.js';
import { sha256Hex } from './hash.js';
import { TOY_CONFIG, type StallLeader, type ToyScenario } from './config.js';

const MSG_TX = 1;
const MSG_BLOCK = 2;
const TIMER_SUBMIT = 1;
/** The toy's own record (Observe.note): the leader packed a block of `value` transfers. */
const NOTE_PACKED = 1;

interface TxMsg extends Msg { readonly tx: number; readonly at_us: number }
interface ToyBlock extends CommitKey { readonly txs: Int32Array }
interface BlockMsg extends Msg { readonly block: ToyBlock }

const GENESIS = sha256Hex('toy genesis');

/** The toy's knobs: its `chain` section (./config.ts), and the offered rate from the envelope's workload. */
function shape(sc: Scenario): { validators: number; clients: number; interval_us: number } {
  const rate = sc.workload.rate_tps;
  const { validators, clients } = (sc as ToyScenario).chain;
  return {
    validators,
    clients,
    // Each client offers rate / clients transfers per second.
    interval_us: Math.max(1000, Math.round((1e6 * clients) / Math.max(1, rate))),
  };
}

class Client implements NodeLogic {
  private k = 0;
  constructor(private readonly index: number, private readonly clients: number, private readonly interval_us: number) {}
  onStart(env: Env): void {
    env.setArrival(this.interval_us * (1 + this.index / this.clients), { kind: TIMER_SUBMIT, dw: 0 });
  }
  onMessage(): void {}
  onTimer(env: Env, _t: Timer): void {
    const tx = this.k++ * this.clients + this.index;
    env.observe.submit(tx, env.now_us, 0);
    env.charge(5);
    env.send(0, { kind: MSG_TX, bytes: 120, dw: tx, tx, at_us: env.now_us } as TxMsg);
    env.setArrival(env.now_us + this.interval_us, { kind: TIMER_SUBMIT, dw: this.k });
  }
  onTick(): void {}
  onRestart(env: Env): void {
    this.onStart(env);
  }
}

class Validator implements NodeLogic {
  private pending: number[] = [];
  private head: ToyBlock = { chain: 0, height: 0, id: GENESIS, parent: '', txs: new Int32Array(0) };
  private readonly waiting = new Map<string, ToyBlock>();
  /**
   * `fork`: this node commits a block of its own at height 2 (a safety violation, to prove the
   * checks). `stalls`: the leader packs nothing inside these windows (the toy's own fault kind).
   */
  constructor(
    private readonly self: number, private readonly members: Int32Array, private readonly fork = false,
    private readonly stalls: readonly StallLeader[] = [],
  ) {}
  onStart(): void {}
  onMessage(env: Env, _from: number, msg: Msg): void {
    if (msg.kind === MSG_TX) {
      this.pending.push((msg as TxMsg).tx);
      env.charge(10);
      return;
    }
    const b = (msg as BlockMsg).block;
    env.charge(50 + 2 * b.txs.length);
    this.waiting.set(b.parent, b);
    for (let next = this.waiting.get(this.head.id); next !== undefined; next = this.waiting.get(this.head.id)) {
      this.waiting.delete(this.head.id);
      this.commit(env, next);
    }
  }
  onTimer(): void {}
  onTick(env: Env, tick: number): void {
    if (this.self !== 0) return;
    if (this.stalls.some((s) => env.now_us >= s.at_us && env.now_us < (s.until_us ?? Infinity))) return;
    const txs = Int32Array.from(this.pending);
    this.pending = [];
    const height = this.head.height + 1;
    const id = sha256Hex(`${this.head.id}/${height}/${tick}/${txs.join(',')}`);
    const block: ToyBlock = { chain: 0, height, id, parent: this.head.id, txs };
    env.charge(100 + 3 * txs.length);
    env.broadcast(this.members, { kind: MSG_BLOCK, bytes: 200 + 8 * txs.length, dw: height, block } as BlockMsg);
    env.observe.note(NOTE_PACKED, 0, txs.length);
    this.commit(env, block);
  }
  onRestart(): void {}
  private commit(env: Env, b: ToyBlock): void {
    if (this.fork && b.height === 2) b = { ...b, id: sha256Hex(`fork/${b.id}`) };
    this.head = b;
    env.observe.commit(b, b, b.height);
  }
}

/**
 * The toy has no invariant of its own; it tells the generic liveness check when work arrives, and
 * counts the blocks its leader packed from the leader's own records (its summary section).
 */
class ToyChecks implements FamilyChecks {
  packed = { blocks: 0, transfers: 0, last_s: 0 };
  constructor(private readonly host: CheckHost) {}
  note(_node: number, now_us: number, kind: number, _chain: number, value: number): void {
    if (kind !== NOTE_PACKED) return;
    this.packed.blocks++;
    this.packed.transfers += value;
    this.packed.last_s = now_us / 1e6;
  }
  submit(_tx: number, at_us: number): void {
    this.host.demand(0, at_us);
  }
  byzantineCommit(): void {}
  canonical(): void {}
  committed(): void {}
  finish(): void {}
}

const facts: BlockFacts = {
  view: () => 0,
  kind: () => 0,
  items: (b) => (b as ToyBlock).txs.length,
  finals: (b, f) => (b as ToyBlock).txs.forEach((tx) => f(tx)),
};

function writeBlock(w: Writer, b: object): void {
  const x = b as ToyBlock;
  w.f64(x.height);
  w.str(x.id);
  w.str(x.parent);
  w.i32s(x.txs);
}

function readBlock(r: Reader): ToyBlock {
  const height = r.f64();
  const id = r.str();
  const parent = r.str();
  return { chain: 0, height, id, parent, txs: r.i32s() };
}

const codec: FamilyCodec = {
  writeMsg: (w, m) => {
    w.u8(m.kind);
    w.f64(m.bytes);
    w.u32(m.dw);
    if (m.kind === MSG_TX) {
      w.i32((m as TxMsg).tx);
      w.f64((m as TxMsg).at_us);
    } else writeBlock(w, (m as BlockMsg).block);
  },
  readMsg: (r) => {
    const kind = r.u8();
    const bytes = r.f64();
    const dw = r.u32();
    if (kind === MSG_TX) return { kind, bytes, dw, tx: r.i32(), at_us: r.f64() } as TxMsg;
    return { kind, bytes, dw, block: readBlock(r) } as BlockMsg;
  },
  writeBlock,
  readBlock,
  refs: () => {},
  writeRows: (w) => w.u32(0),
  readRows: (r) => void r.u32(),
  ownRows: () => [],
};

export interface ToyRun extends FamilyRun {
  validators: number;
  /** What the leader's records say it packed. */
  packed(): { blocks: number; transfers: number; last_s: number };
}

/** The toy family; with `fork`, validator v1 commits a block of its own at height 2. */
export function toyFamily(opts: { fork?: boolean } = {}): ProtocolModule<ToyRun> {
  return {
  family: 'toy',
  config: TOY_CONFIG,
  kinds: { [MSG_TX]: 'toy_tx', [MSG_BLOCK]: 'toy_block' },
  timerKinds: { [TIMER_SUBMIT]: 'submit' },
  chainOf: (m) => (m.kind === MSG_BLOCK ? 0 : undefined),
  positionOf: (m) => (m.kind === MSG_BLOCK
    ? { chain: 0, view: -1, height: (m as BlockMsg).block.height }
    : { chain: -1, view: -1, height: -1 }),
  consensusKinds: [MSG_BLOCK],
  bulkKinds: [],
  latencyClasses: ['transfer'],
  blockKinds: ['block'],
  genesisKind: 0,
  describe: (sc) => `one chain, ${shape(sc).validators} validators, ${shape(sc).clients} clients`,
  layout: (sc) => {
    const s = shape(sc);
    return [['validator', 'v', s.validators], ['edge', 'e', s.clients]];
  },
  placement: () => 'round_robin',
  groups: (sc) => (kind) => {
    throw new Error(`the toy family has no node group "${kind}" (${sc.name})`);
  },
  tick_us: (sc) => (sc as ToyScenario).chain.slot_us,
  eventsPerWindow: () => 1,
  memoryParts: () => [],
  build(input: BuildInput, host: CheckHost): ToyRun {
    const s = shape(input.sc);
    const members = Int32Array.from({ length: s.validators }, (_, i) => i);
    // The scenario's byzantine entries (behaviour `fork`), and the toy's stall faults.
    const forking = new Set<number>();
    input.sc.byzantine.forEach((b, bi) => input.select(b.nodes, `byzantine/${bi}/nodes`).forEach((i) => forking.add(i)));
    const stalls = input.sc.faults.filter((f): f is StallLeader => f.kind === 'stall_leader');
    const checks = new ToyChecks(host);
    return {
      validators: s.validators,
      program: (i) => (i < s.validators
        ? new Validator(i, members, (opts.fork === true && i === 1) || forking.has(i), stalls)
        : new Client(i - s.validators, s.clients, s.interval_us)),
      ticks: (i) => i === 0,
      crashes: [],
      faultPhaseEnd_us: input.faultPhaseEnd_us,
      owners: (workers) => Int32Array.from(input.nodes, (_, i) => i % workers),
      genesis: [GENESIS],
      blocks: facts,
      checks,
      packed: () => checks.packed,
      codec,
    };
  },
  summarize: (run) => ({ limits: null, packed: { ...run.packed() } }),
  summaryLines: () => [],
  traceGroup: (_sc, nodes, i) => `${nodes[i].role}s`,
  // On the page: nodes grouped by role, no leaders named, no protocol rows.
  views: {
    groupOrder: ['validators', 'edges'],
    groups: (b) => b.nodes.map((x) => `${x.role}s`),
    partitionSides: () => [],
    leaderOf: () => null,
    chainWord: 'chain',
    chainLabel: () => 'chain',
    inspect: () => ({ facts: [['chain', 'the one chain']], columns: [], rows: [] }),
  },
  };
}

export const TOY = toyFamily();
