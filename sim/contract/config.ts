/**
 * A family's part of the scenario file (docs/DESIGN.md "Protocol families", "Scenario files").
 *
 * The scenario format is an envelope that every family shares (name, seed, duration, network,
 * hardware and CPU costs per role, workload, faults, byzantine entries, checks; built in
 * sim/scenario/schema.ts) and sections that only the family knows (TOP: variant, topology, stake,
 * protocol, elections, sizes, sabotage). `protocol.family` chooses the family; the family's config
 * then gives the file its shape: where each section stands, its own sections with their defaults,
 * its node names and selector words, its own fault kinds and byzantine behaviours, the checks that
 * span sections, and the way back to the file form.
 *
 * A config is only schemas and pure functions: the scenario layer reads it without loading the
 * family's protocol code (sim/protocol/configs.ts maps family names to configs).
 */
import type { z } from 'zod';
import type { Stream } from '../lib/random.js';
import type { Selector, Vocabulary } from '../scenario/selectors.js';
import type { ByzantineSpec, FaultSpec, Scenario, WorkloadConfig } from '../scenario/types.js';

/** Keys of the envelope: every family's file has them, wherever its `root` puts them. */
export const ENVELOPE_KEYS = [
  '$schema', 'schema_version', 'name', 'description', 'seed', 'duration', 'warmup', 'crypto', 'replica_state', 'network',
  'hardware',
  'costs', 'workload', 'faults', 'byzantine', 'checks',
] as const;
export type EnvelopeKey = (typeof ENVELOPE_KEYS)[number];

/** The generic fault kinds; a family adds its own (FamilyConfig.root). */
export type GenericFaultKind = 'crash' | 'partition' | 'degrade' | 'clock';

/** What the envelope offers a family to compose its file format from. */
export interface EnvelopeParts {
  /** The envelope's sections, by key, built for the family's roles, costs and vocabulary. */
  readonly sections: Readonly<Record<Exclude<EnvelopeKey, 'faults' | 'byzantine'>, z.ZodType>>;
  /** The generic fault kinds. */
  readonly faults: Readonly<Record<GenericFaultKind, z.ZodType>>;
  /** `protocol.family`, for the family's `protocol` section. */
  familyKey(): z.ZodDefault<z.ZodType<string, string>>;
  /** A node selector in the family's vocabulary, and a non-empty list of them. */
  nodeSelector(): z.ZodType<string>;
  nodeList(what: string): z.ZodType<string[]>;
  /** The `faults` section: a list of these kinds (each a strict object with a `kind` literal). */
  faultList(kinds: readonly z.ZodType[], description: string): z.ZodType;
  /** The fields every byzantine entry has (nodes, behavior from `behaviors`, at, until). */
  byzantineFields<B extends string>(behaviors: readonly [B, ...B[]], description: string): {
    nodes: z.ZodType<string[]>;
    behavior: z.ZodType<B>;
    at: z.ZodType<number, unknown>;
    until: z.ZodOptional<z.ZodType<number, unknown>>;
  };
  /** The `byzantine` section: a list of the family's entries. */
  byzantineList(entry: z.ZodType): z.ZodType;
}

/** The fields of a parsed file that the envelope's checks read; the family's sections beside them. */
export interface ParsedFile {
  readonly duration: number;
  readonly warmup: number;
  readonly network: { readonly latency: { readonly regions: readonly string[] } };
  readonly workload: {
    readonly schedule?: WorkloadConfig['schedule'];
    readonly rate_tps?: number;
    readonly stop?: number;
    readonly start: number;
    readonly accounts: number;
    readonly genesis_balance: number;
    readonly amount_max: number;
  };
  readonly faults: readonly FaultSpec[];
  readonly byzantine: readonly ByzantineSpec[];
  readonly [section: string]: unknown;
}

/** How the family's node names and selector words map onto a parsed file's nodes. */
export interface SelectorScope {
  /**
   * Why a node, role-word or group selector names nothing in this file's shape, or null. Regions
   * and fractions are the envelope's.
   */
  check(sel: Selector, text: string): string | null;
  /** The node names such a selector stands for, or null when the run decides (never for these kinds in TOP). */
  expand(sel: Selector): string[] | null;
  /** How many nodes the file describes. */
  readonly total: number;
}

/** What the envelope's checks offer the family's. */
export interface CheckTools {
  /** Records a problem at a path of the file. */
  issue(path: readonly PropertyKey[], message: string): void;
  /** Checks each selector of a list against the shape (problems at `path`[i]). */
  checkNodes(path: readonly PropertyKey[], nodes: readonly string[]): void;
  /** The node names a list stands for when the file decides them (fractions and regions: their base). */
  candidates(list: readonly string[]): string[];
  /** The offered rate at its peak (tx/s). */
  readonly peakRate: number;
  readonly scope: SelectorScope;
}

/** Swarm fault times are drawn on this grid, so the files read "12.3s" rather than "12.345678s". */
export const SWARM_GRID_US = 100_000;

/** How `swarm` draws a family's scenarios (sim/scenario/draw.ts runs it). */
export interface SwarmDrawing {
  /** A small base file of the family, drawn from `r` (when the user gives none). */
  base(r: Stream): Record<string, unknown>;
  /**
   * Faults and byzantine entries (file form) on a base's shape, inside [from, to], within what
   * the protocol tolerates; `end_us`: when the last of them ends. `stream(purpose)` gives a
   * seeded stream per concern.
   */
  draw(shape: Scenario, from_us: number, to_us: number, stream: (purpose: string) => Stream): {
    faults: Record<string, unknown>[];
    byzantine: Record<string, unknown>[];
    end_us: number;
  };
  /** The family's root keys that follow `faults` and `byzantine` in its files, before `checks`. */
  readonly after: readonly string[];
}

/** A family's part of the scenario format. */
export interface FamilyConfig {
  readonly family: string;
  readonly vocabulary: Vocabulary;
  /** Each role's hardware defaults (the `hardware` section), in the file's order. */
  readonly hardware: Readonly<Record<string, { readonly cores: number; readonly bandwidth: string }>>;
  /** CPU cost per operation in µs, the defaults of the `costs` section; `message_base_us` is the engine's. */
  readonly costs: Readonly<{ message_base_us: number } & Record<string, number>>;
  /** Workload keys of the family's own, after the envelope's. */
  readonly workload: z.ZodRawShape;
  /**
   * The file's root in the order a reader meets it (the "unknown key" message lists it so): every
   * envelope section from `parts`, the family's own sections, `faults` (the envelope's kinds and
   * the family's) and `byzantine` (the family's behaviours).
   */
  root(parts: EnvelopeParts): z.ZodRawShape;
  /** The selector shape of a parsed file (one whose sections all parsed). */
  scope(f: ParsedFile): SelectorScope;
  /** Checks across the family's sections, and of its workload keys, after the envelope's workload checks. */
  checkSections(f: ParsedFile, tools: CheckTools): void;
  /** Checks of one of the family's fault kinds (the envelope checked its window). */
  checkFault(f: ParsedFile, fault: FaultSpec, path: readonly PropertyKey[], tools: CheckTools): void;
  /** Checks of a byzantine entry beyond its window and nodes. */
  checkByzantine(f: ParsedFile, b: ByzantineSpec, path: readonly PropertyKey[], tools: CheckTools): void;
  /** One of the family's sections of a normalized scenario, back in the file form. */
  sectionToFile(key: string, sc: Scenario): unknown;
  /** The family's workload keys, back in the file form. */
  workloadToFile(sc: Scenario): Record<string, unknown>;
  /** One of the family's fault kinds, back in the file form. */
  faultToFile(fault: FaultSpec): Record<string, unknown>;
  /** A byzantine entry's own fields (after nodes, behavior, at and until), back in the file form. */
  byzantineToFile(b: ByzantineSpec): Record<string, unknown>;
  /** How `swarm` draws its scenarios; a family without it has no swarm. */
  readonly swarm?: SwarmDrawing;
}
