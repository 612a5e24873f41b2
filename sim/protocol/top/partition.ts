/**
 * Which worker runs which node (docs/DESIGN.md "Parallel runner": a group's consensus traffic stays
 * inside one worker).
 *
 * A table's consensus runs among its validator group and the auditor group above it, so the unit
 * is the cluster (an auditor group with its validator groups). Each consensus node belongs to the
 * cluster of its first seat in the election schedule (standby nodes to the cluster that first
 * elects them). With at least as many clusters as workers, whole clusters go to the least loaded
 * worker, largest first. With fewer, each cluster gets a share of the workers and is cut into
 * contiguous pieces in the order validator group 0, its share of the auditors, validator group 1,
 * and so on, so each validator group stays whole where the share allows. Edges, REC nodes,
 * archives and never-elected standby nodes fill up the least loaded workers in node order.
 *
 * The result depends only on the scenario, never on timing, and any partition gives the same
 * digest: the partition decides speed, not outcome.
 */
import type { NodeInfo } from '../../contract/module.js';
import type { ClusterRound } from './beacon.js';

export function partitionNodes(nodes: readonly NodeInfo[], rounds: readonly ClusterRound[][], workers: number): Int32Array {
  if (!(Number.isInteger(workers) && workers >= 1)) throw new RangeError(`workers must be an integer >= 1, got ${workers}`);
  const n = nodes.length;
  const owner = new Int32Array(n).fill(-1);
  if (workers === 1) return owner.fill(0);
  const clusters = rounds.length;
  const vpa = clusters > 0 && rounds[0].length > 0 ? rounds[0][0].validators.length : 0;
  // First seat of each node: (elected clock, cluster, slot) with slot = validator group, or -1 for auditors.
  const seats: { clock: number; cluster: number; slot: number; node: number }[] = [];
  rounds.forEach((list, c) => list.forEach((r) => {
    r.validators.forEach((vs, k) => vs.forEach((v) => seats.push({ clock: r.elected_clock, cluster: c, slot: k, node: v })));
    r.auditors.forEach((a) => seats.push({ clock: r.elected_clock, cluster: c, slot: -1, node: a }));
  }));
  seats.sort((x, y) => x.clock - y.clock || x.cluster - y.cluster || x.slot - y.slot || x.node - y.node);
  const clusterOf = new Int32Array(n).fill(-1);
  const slotOf = new Int32Array(n).fill(-2);
  for (const s of seats) {
    if (clusterOf[s.node] >= 0) continue;
    clusterOf[s.node] = s.cluster;
    slotOf[s.node] = s.slot;
  }
  // Each cluster's nodes in cut order: validator group k, then the k-th share of its auditors.
  const ordered: number[][] = Array.from({ length: clusters }, (_, c) => {
    const groups: number[][] = Array.from({ length: vpa }, () => []);
    const auditors: number[] = [];
    for (let i = 0; i < n; i++) {
      if (clusterOf[i] !== c) continue;
      if (slotOf[i] >= 0) groups[slotOf[i]].push(i);
      else auditors.push(i);
    }
    const out: number[] = [];
    groups.forEach((g, k) => {
      out.push(...g);
      out.push(...auditors.slice(Math.floor((k * auditors.length) / vpa), Math.floor(((k + 1) * auditors.length) / vpa)));
    });
    return out;
  });
  const load = new Array<number>(workers).fill(0);
  const leastLoaded = () => {
    let best = 0;
    for (let w = 1; w < workers; w++) if (load[w] < load[best]) best = w;
    return best;
  };
  if (clusters >= workers) {
    const order = ordered.map((list, c) => c).sort((a, b) => ordered[b].length - ordered[a].length || a - b);
    for (const c of order) {
      const w = leastLoaded();
      for (const i of ordered[c]) owner[i] = w;
      load[w] += ordered[c].length;
    }
  } else {
    let next = 0;
    ordered.forEach((list, c) => {
      const share = Math.floor(workers / clusters) + (c < workers % clusters ? 1 : 0);
      for (let p = 0; p < share; p++) {
        const from = Math.floor((p * list.length) / share);
        const to = Math.floor(((p + 1) * list.length) / share);
        for (let k = from; k < to; k++) owner[list[k]] = next;
        load[next] += to - from;
        next++;
      }
    });
  }
  for (let i = 0; i < n; i++) {
    if (owner[i] >= 0) continue;
    const w = leastLoaded();
    owner[i] = w;
    load[w]++;
  }
  return owner;
}
