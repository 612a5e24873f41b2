/**
 * Relay trees of group broadcasts (docs/DESIGN.md node model, "relay (network layer)").
 *
 * A group broadcast travels down a tree over an ordered member list (RelayTree in topology.ts):
 * position 0 is the sender, the children of position p are p*fanout+1 .. p*fanout+fanout, and
 * each receiver forwards its copy to its children as soon as it has downloaded it, without CPU.
 * The tree is built once per broadcast and shared read-only by every copy; a copy names the
 * receiver's position in it.
 */
import type { Msg } from '../contract/env.js';
import type { RelayTree } from './topology.js';

/** A copy of a group broadcast: the message and the tree it travels down. */
export interface Relayed {
  readonly msg: Msg;
  readonly tree: RelayTree;
}

/** The relay position of a copy that is not part of a tree (a unicast, or a duplicate copy). */
export const NOT_RELAYED = -1;

/**
 * The order of a broadcast tree from `self` to `members`: the sender roots the tree (position 0)
 * whether or not it is a member, so no single entry member can cut a whole group off; the other
 * members the sender does not hold to be down (`knownDown[m] === 1`) follow, rotated by
 * `rotation` (the sender's count of earlier broadcasts) so relay duty moves around the group.
 * Each member gets one copy. Null when nobody else is to receive it.
 */
export function relayOrder(self: number, members: Int32Array, knownDown: Uint8Array | null, rotation: number): Int32Array | null {
  const len = members.length;
  const others: number[] = [];
  for (let i = 0; i < len; i++) {
    const m = members[i];
    if (m !== self && !(knownDown !== null && knownDown[m] === 1)) others.push(m);
  }
  if (others.length === 0) return null;
  const rot = rotation % others.length;
  const order = new Int32Array(others.length + 1);
  order[0] = self;
  for (let i = 0; i < others.length; i++) order[i + 1] = others[(i + rot) % others.length];
  return order;
}

/** The first child position of position `pos` (there is none when it is >= childEnd). */
export function firstChild(tree: RelayTree, pos: number): number {
  return pos * tree.fanout + 1;
}

/** One past the last child position of position `pos`. */
export function childEnd(tree: RelayTree, pos: number): number {
  const end = pos * tree.fanout + 1 + tree.fanout;
  return end < tree.order.length ? end : tree.order.length;
}
