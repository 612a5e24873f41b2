/** TOP Chain on the page: groups by genesis seat, leaders from proposals, replicas per table. */
import type { ViewAdapter } from '../../contract/module.js';
import type { TopRun } from './run.js';
import { MSG, type ProposalMsg } from './messages.js';
import { ConsensusNode } from './node.js';

export const TOP_VIEWS: ViewAdapter<TopRun> = {
  groupOrder: ['vgroup', 'agroup', 'standby', 'edges', 'beacons', 'archives'],

  groups(b) {
    const run = b.family;
    const out = b.nodes.map((x) => `${x.role}s`);
    const vpa = b.family.sc.topology.validator_groups_per_auditor;
    run.ctx.epochs.forEach((rounds, vg) => {
      const e = rounds[0];
      for (const v of e.validators) out[v] = `vgroup:${vg}`;
      for (const a of e.auditors) out[a] = `agroup:${Math.floor(vg / vpa)}`;
    });
    b.nodes.forEach((x, i) => {
      if ((x.role === 'validator' || x.role === 'auditor') && out[i] === `${x.role}s`) out[i] = 'standby';
    });
    return out;
  },

  partitionSides(b, groups) {
    const clusters = b.family.sc.topology.auditor_groups;
    return [
      ...groups.filter((g) => g.startsWith('vgroup:') || g.startsWith('agroup:')),
      ...(clusters > 1 ? Array.from({ length: clusters }, (_, c) => `cluster:${c}`) : []),
    ];
  },

  leaderOf(msg) {
    if (msg.kind !== MSG.PROPOSAL) return null;
    const p = msg as ProposalMsg;
    return [p.table, p.block.leader];
  },

  inspect(b, node) {
    const run = b.family;
    const info = b.nodes[node];
    const logic = b.logicOf(node);
    const replicas: ReturnType<ViewAdapter['inspect']>['replicas'] = [];
    if (logic instanceof ConsensusNode) {
      logic.replicas.forEach((r, t) => {
        if (!r) return;
        replicas.push({
          table: t, view: r.view, committed: r.committedHeight, locked: r.lockedHeight,
          pool: r.pool.size, receipts: r.recvQ.size, confirms: r.confirmQ.size,
        });
      });
    }
    const sc = b.family.sc;
    const staked = info.role === 'validator' || info.role === 'auditor';
    const stake = staked ? { ...sc.stake[info.role as 'validator' | 'auditor'], ...(sc.stake.overrides[info.name] ?? {}) } : null;
    return { stake, tables: [...(run.ctx.tablesOf[node] ?? [])], replicas };
  },
};
