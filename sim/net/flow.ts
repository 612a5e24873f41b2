/**
 * Bulk data as flows (docs/DESIGN.md "Fidelity of bulk data: packet and flow"; docs/VALIDATION.md
 * measures it against packets).
 *
 * At `network.fidelity: flow` a group broadcast of a bulk kind (the family says which:
 * ProtocolModule.bulkKinds) travels down its relay tree (relay.ts) hop by hop, as packets do, but
 * each hop is planned whole by the node that sends it:
 *
 * - The sender (or a relay, once it has the whole copy) puts one copy per child into its uplink
 *   FIFO at once and draws each copy's fate from its own `net` stream as for a packet (partition,
 *   loss, jitter, degradation windows; a flow's copy is never duplicated). That is a FlowHop:
 *   when each child's copy arrives.
 * - The children take their copies together in one engine step at the hop's first arrival (FLOW
 *   events) instead of one arrival event each: each plans its copy on its downlink ahead of time
 *   and gets one DELIVERED event when the copy is fully received, as for a packet; there a relay
 *   plans its own hop.
 *
 * Because downlink copies are planned before they arrive, every downlink is a LinkQueue
 * (link.ts): a FIFO by arrival in which a packet never waits for a planned copy that has not
 * arrived yet, and every copy's serialization counts in order of arrival, so no link carries more
 * than its rate. Each step touches only the stepping node's links and stream, so the outcome is
 * the same whichever worker runs which member.
 *
 * What a flow does not model: a planned copy keeps the end it was planned with, though packets
 * that arrive between the plan and the copy would have gone before it (they still delay what
 * comes after), and a flow's copy is never duplicated. A run has 1 + 1/fanout events per member
 * and copy instead of 2.
 */
import type { Msg } from '../contract/env.js';
import type { RelayTree } from './topology.js';

/** A flow: the message and its relay tree, shared read-only by every hop. */
export interface FlowTree {
  readonly msg: Msg;
  readonly tree: RelayTree;
}

/** One hop of a flow: from tree position `parent` to its children. */
export interface FlowHop {
  readonly flow: FlowTree;
  readonly parent: number;
  /**
   * Per child of `parent` (the k-th at position firstChild(parent) + k): when its copy reaches
   * the child's downlink (µs), or a negative code (DROP_*) when it does not.
   */
  readonly arrive: Float64Array;
}

/** arrive[] codes: the copy was cut by a partition. */
export const DROP_PARTITION = -1;
/** arrive[] codes: the copy was lost on its link. */
export const DROP_LOSS = -2;

/** The first time a child of the hop receives its copy (Infinity when none does). */
export function firstArrival(h: FlowHop): number {
  const a = h.arrive;
  let t = Infinity;
  for (let k = 0; k < a.length; k++) if (a[k] >= 0 && a[k] < t) t = a[k];
  return t;
}
