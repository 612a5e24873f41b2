/**
 * A protocol family behind one interface (docs/DESIGN.md "Protocol families"). The scenario's
 * `protocol.family` chooses the module (sim/protocol/registry.ts, the one place that names the
 * families); the generic layers (engine, network, runner, metrics, checks, reports, the CLI and
 * the page) know a family only through this file.
 *
 * A module lays out the run's nodes, builds their programs and the facts they share, and gives
 * the generic layers what they cannot know: how its messages and blocks travel between workers,
 * which nodes must stay in one worker, what its blocks mean to the metrics, its own checks beside
 * the generic ones, and its section of the summary.
 */
import type { Scenario } from '../scenario/types.js';
import type { FamilyConfig } from './config.js';
import type { NodeLogic, Msg } from './env.js';
import type { CommitKey } from './observe.js';
import type { Reader, Writer } from '../lib/bytes.js';

/** A node of the run: its name, its role (a key of the scenario's `hardware`) and its region. */
export interface NodeInfo {
  name: string;
  role: string;
  region: string;
}

/** The generic facts of a run that a family builds on. */
export interface BuildInput {
  sc: Scenario;
  /** Every node, in id order, placed in its region. */
  nodes: readonly NodeInfo[];
  /** The node ids of a list of node selectors (`site`: where the list stands in the scenario). */
  select(selectors: readonly string[], site: string): number[];
  /** When each node is byzantine (scenario `byzantine` entries, resolved). */
  byzantine: ByzantineView;
  /** The end of the scenario's fault phase (its faults and byzantine entries); the family may extend it. */
  faultPhaseEnd_us: number;
}

export interface ByzantineView {
  honestAt(node: number, t_us: number): boolean;
  ever(node: number): boolean;
}

/** A crash the family schedules before the scenario's own faults (TOP: nodes that left). */
export interface FamilyCrash {
  node: number;
  at_us: number;
}

/** What the generic metrics need to know of a family's blocks. */
export interface BlockFacts {
  /** The view (round) the block was made in; 0 when the family has none. */
  view(block: object): number;
  /** Its kind, an index into `blockKinds`. */
  kind(block: object): number;
  /** How many transaction legs it holds (`tps_slots`). */
  items(block: object): number;
  /** Calls `f` for each transaction that is final once this block is (first honestly) committed. */
  finals(block: object, f: (tx: number) => void): void;
}

/** What the generic checks offer a family's own checks. */
export interface CheckHost {
  /** Records a violation (the first VIOLATIONS_MAX are kept). */
  report(v: Violation): void;
  /** Records a violation once per `key`. */
  once(key: string, v: Violation): void;
  /** The canonical block id at `height` of `chain` ('' for a gap, undefined past the end). */
  canonicalAt(chain: number, height: number): string | undefined;
  /** Work for `chain` arrived at `t_us` (liveness: a chain with work waiting must commit). */
  demand(chain: number, t_us: number): void;
}

export interface Violation {
  /** The check that fired: generic (safety, agreement, liveness) or the family's. */
  check: string;
  node: string;
  /** The chain (TOP: the table). */
  table: number;
  height: number;
  time_us: number;
  message: string;
}

/**
 * A family's own invariant checks. The generic checks call them in a fixed order for each
 * commit, so a run's violations come out in one order however many workers ran it.
 */
export interface FamilyChecks {
  /** A client offered `tx` at `at_us`, of latency class `cls` (which may say which chain it is for). */
  submit(tx: number, at_us: number, cls: number): void;
  /** A commit inside the node's byzantine window (not judged; may be proof for later judgement). */
  byzantineCommit(key: CommitKey, block: object, now_us: number): void;
  /**
   * The first honest commit of a height: the block joined the canonical chain. Called in height
   * order: when a height is first committed before the one below it, its call (with its own
   * `now_us`) waits until that one is; a height never honestly committed is skipped at the end.
   */
  canonical(node: string, key: CommitKey, block: object, now_us: number, state: number): void;
  /**
   * After the generic checks judged an honest commit, and after `canonical` of its height;
   * `canonical`: it is the canonical block of its height.
   */
  committed(node: number, name: string, key: CommitKey, block: object, now_us: number, state: number, canonical: boolean): void;
  /** The end of the run, after liveness and before the end-of-run agreement check. */
  finish(now_us: number): void;
  /** A node's own record of the family (Observe.note), in the run's order, byzantine windows included. */
  note?(node: number, now_us: number, kind: number, chain: number, value: number): void;
}

/** How a family's messages, blocks and shared rows travel between workers. */
export interface FamilyCodec {
  writeMsg(w: Writer, m: Msg): void;
  readMsg(r: Reader): Msg;
  writeBlock(w: Writer, block: object): void;
  readBlock(r: Reader): object;
  /**
   * Rows a message refers to that every worker must hold before it decodes the message (TOP: the
   * transactions a batch or block names); sent once per destination, before the events.
   */
  refs(m: Msg, f: (row: number) => void): void;
  writeRows(w: Writer, rows: ArrayLike<number>): void;
  readRows(r: Reader): void;
  /** The rows this instance created (a worker's clients' transactions), for the main thread. */
  ownRows(local: Uint8Array): number[];
}

/** One run of a family, built: what the runner, metrics, checks and reports need of it. */
export interface FamilyRun {
  /** Node `i`'s program (asked only for the nodes this instance runs). */
  program(i: number): NodeLogic;
  /** Whether node `i` reads the slot tick itself (NodeSpec.ticks). */
  ticks(i: number): boolean;
  /** Crashes the family schedules, in order, before the scenario's crash and clock faults. */
  crashes: readonly FamilyCrash[];
  /** The end of the fault phase: liveness is judged from here on. */
  faultPhaseEnd_us: number;
  /** Which worker runs each node, for `workers` workers (consensus groups stay together). */
  owners(workers: number): Int32Array;
  /** The chains whose commits the generic checks and metrics follow, with their genesis ids. */
  genesis: readonly string[];
  blocks: BlockFacts;
  checks: FamilyChecks;
  codec: FamilyCodec;
}

/** A family: chosen by `protocol.family`. */
export interface ProtocolModule<R extends FamilyRun = FamilyRun> {
  readonly family: string;
  /** Its part of the scenario format (the same object as sim/protocol/configs.ts gives). */
  readonly config: FamilyConfig;
  /** Message kind names, indexed by kind (summary `messages`, traces, the page). */
  readonly kinds: Readonly<Record<number, string>>;
  /** Timer kind names, indexed by kind (traces). */
  readonly timerKinds: Readonly<Record<number, string>>;
  /** The chain a message belongs to, if any (per-chain message counts; TOP: its table). */
  chainOf(msg: Msg): number | undefined;
  /** Where a message or timer stands, for traces: its chain, view and height (-1 for none). */
  positionOf(item: { readonly kind: number }): { chain: number; view: number; height: number };
  /** Kinds whose copies count as consensus traffic per chain (`messages_per_block`). */
  readonly consensusKinds: readonly number[];
  /**
   * Bulk data: kinds whose group broadcasts travel as flows at `network.fidelity: flow`
   * (sim/net/flow.ts; TOP: transaction batches and receipts). Unicasts of them stay packets.
   */
  readonly bulkKinds: readonly number[];
  /** Latency classes besides `all`, indexed by the class a submit record carries. */
  readonly latencyClasses: readonly string[];
  /** Names of block kinds, indexed by BlockFacts.kind (TOP: light, empty, full). */
  readonly blockKinds: readonly string[];
  /** The kind of a chain's genesis block. */
  readonly genesisKind: number;
  /** The run's shape in a few words, for `validate` (TOP: "2 tables, 30 nodes (14 validators, ...)"). */
  describe(sc: Scenario): string;
  /** The roles in node-id order, with the name prefix and count of each. */
  layout(sc: Scenario): [role: string, prefix: string, count: number][];
  /** How nodes are spread over the regions: each role in turn, or drawn from the seed. */
  placement(sc: Scenario): 'round_robin' | 'seeded';
  /** The node ids of the family's named groups in selectors (e.g. `vgroup:2`, `standby`). */
  groups(sc: Scenario): (kind: string, index: number) => number[];
  /** The interval of the slot tick the engine delivers to nodes that read it (NodeLogic.onTick). */
  tick_us(sc: Scenario): number;
  /** Builds the family's part of a run. */
  build(input: BuildInput, checks: CheckHost): R;
  /** Work per lookahead window, in events (the choice of worker count). */
  eventsPerWindow(sc: Scenario): number;
  /**
   * The family's share of a run's peak memory, estimated from the scenario before anything is
   * built (sim/runner/memory.ts adds the process and the nodes), each part with what shrinks it.
   */
  memoryParts(sc: Scenario): { what: string; bytes: number; shrink: string }[];
  /** The family's sections of the summary. */
  summarize(run: R, input: SummaryInput): FamilySummary;
  /**
   * The terminal summary's lines for the family's sections of summary `s` (sim/metrics/types.ts
   * Summary; after `limits`), formatted with the
   * report's helpers so every section reads alike.
   */
  summaryLines(s: object, fmt: { fixed(x: number, decimals: number): string; megabytes(bytes: number): string }): string[];
  /**
   * The report's sections for the family's part of summary `s` (report.html draws them after the
   * chains): figures, tables and bar charts as data; the report renders them as it renders its
   * own. A family without it has its terminal lines only.
   */
  reportSections?(s: object): ReportSection[];
  /** The family on the page: node groups, leaders, the inspector's rows. */
  readonly views: ViewAdapter<R>;
  /** The group a node belongs to in traces (TOP: its genesis group, e.g. "validator group 2"). */
  traceGroup(sc: Scenario, nodes: readonly NodeInfo[], i: number): string;
}

/** A section of report.html that a family fills (ProtocolModule.reportSections). */
export interface ReportSection {
  title: string;
  /** One sentence or two on what the section shows. */
  note?: string;
  /** Figures as tiles: a label with its unit, and the value as text. */
  figures?: [label: string, text: string][];
  /** Tables: column heads, then rows of cells (numbers right-aligned). */
  tables?: { caption: string; head: string[]; rows: (string | number)[][] }[];
  /** Bar charts: one bar per label, with the value's unit. */
  bars?: { title: string; unit: string; bars: [label: string, value: number][] }[];
  /**
   * Strips: positions 1 to `length` along an axis (a chain's heights), with a mark of height
   * `value` at each position listed (Bystack: the stale blocks at each height).
   */
  strips?: { title: string; axis: string; unit: string; length: number; marks: [position: number, value: number][] }[];
}

/** A node's figures of a run (summary `nodes`). */
export interface NodeStats {
  node: string;
  role: string;
  region: string;
  bytes_in: number;
  bytes_out: number;
  cpu_busy_fraction: number;
  crashed: boolean;
  /** The node's hardware as built (the scenario's `hardware` for its role). */
  cores: number;
  upload_bps: number;
  download_bps: number;
}

/** What a family's summary section may read. */
export interface SummaryInput {
  sc: Scenario;
  nodes: readonly NodeInfo[];
  /** First-commit count of blocks in the window, and legs committed (items). */
  blocks: number;
  items: number;
  offered: number;
  tps_final: number;
  window_s: number;
  nodeStats: readonly NodeStats[];
  /** State syncs recorded: node, chain, when, bytes. */
  syncs: readonly { node: number; table: number; at_us: number; bytes: number }[];
}

/**
 * The family's fields of the summary: `limits` (sim/metrics/types.ts LimitStats, or null) and its
 * own sections, written after `phases` as they are (TOP: `elections`).
 */
export type FamilySummary = { limits?: unknown } & Record<string, unknown>;

/*
 * The page's view of a family: how its nodes group on screen, which message names a chain's
 * leader, and what the node inspector shows of a node's protocol state (ProtocolModule.views).
 */

/** A built run as the page's adapter reads it. */
export interface ViewRun<R extends FamilyRun = FamilyRun> {
  readonly sc: Scenario;
  readonly nodes: readonly NodeInfo[];
  readonly family: R;
  /** Node `i`'s program (read only). */
  logicOf(i: number): NodeLogic;
}

/** A committed block as the page's block panel shows it: a title, lines of facts, and tables. */
export interface BlockDetail {
  title: string;
  facts: [label: string, text: string][];
  tables: { caption: string; columns: string[]; rows: (string | number)[][] }[];
}

/** What the node inspector shows of a node's protocol state. */
export interface NodeProtocolView {
  /** Label and text of each row about the node (TOP: its stake and its tables). */
  facts: [label: string, text: string][];
  /** A table of its state per chain it follows (TOP: per table replica): headings, then rows of cells. */
  columns: string[];
  rows: (string | number)[][];
}

export interface ViewAdapter<R extends FamilyRun = FamilyRun> {
  /** What the family calls a chain, and a chain's short label (TOP: "table", "T3"). */
  readonly chainWord: string;
  chainLabel(chain: number): string;
  /** Each node's group as a selector (TOP: `vgroup:0`, `agroup:1`, `standby`, `edges`, ...). */
  groups(b: ViewRun<R>): string[];
  /** Order of group kinds on screen (the part of a selector before ':'). */
  readonly groupOrder: readonly string[];
  /** Selectors the page offers as partition sides, besides regions. */
  partitionSides(b: ViewRun<R>, groups: readonly string[]): string[];
  /** If a delivered message names the leader of a chain, [chain, leader]; else null. */
  leaderOf(msg: { kind: number }): [number, number] | null;
  /** The inspector's protocol rows of a node. */
  inspect(b: ViewRun<R>, node: number): NodeProtocolView;
  /**
   * Where a chain sits in the family's structure, outermost first (TOP: `['agroup:0', 'vgroup:1']`,
   * the auditor group over the validator group that owns the table); the chains view groups its
   * rows by it.
   */
  chainPath?(b: ViewRun<R>, chain: number): string[];
  /** If a delivered message carries work from one chain to another, [from, to] (TOP: a receipt); else null. */
  linkOf?(msg: { kind: number }): [number, number] | null;
  /**
   * What a committed block holds, for the page's block panel (TOP: its legs and the unit chains of
   * the accounts it touched); null when no node still holds it.
   */
  blockDetail?(b: ViewRun<R>, chain: number, height: number): BlockDetail | null;
  /**
   * The family's own picture of the run now, for its panel on the page (web/families/): plain
   * data (it is copied to the page each frame), small, read from the nodes without changing them.
   * A family without it has the generic chains view only.
   */
  story?(b: ViewRun<R>, now_us: number): unknown;
}
