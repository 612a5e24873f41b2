/**
 * What the page needs of a protocol family that the generic session cannot know: how its nodes
 * group on screen, which message names a chain's leader, and what the node inspector shows of a
 * node's protocol state. One adapter per family (web/families/index.ts names them).
 */
import type { BuiltRun } from '../../sim/runner/build.js';

export interface ReplicaRow {
  table: number;
  view: number;
  committed: number;
  locked: number;
  pool: number;
  receipts: number;
  confirms: number;
}

export interface NodeProtocolView {
  stake: { deposit_top: number; votes: number; credit: number } | null;
  /** The chains the node follows. */
  tables: number[];
  replicas: ReplicaRow[];
}

export interface ViewAdapter {
  /** Each node's group as a selector (TOP: `vgroup:0`, `agroup:1`, `standby`, `edges`, ...). */
  groups(b: BuiltRun): string[];
  /** Order of group kinds on screen (the part of a selector before ':'). */
  readonly groupOrder: readonly string[];
  /** Selectors the page offers as partition sides, besides regions. */
  partitionSides(b: BuiltRun, groups: readonly string[]): string[];
  /** If a delivered message names the leader of a chain, [chain, leader]; else null. */
  leaderOf(msg: { kind: number }): [number, number] | null;
  /** The inspector's protocol rows of a node. */
  inspect(b: BuiltRun, node: number): NodeProtocolView;
}
