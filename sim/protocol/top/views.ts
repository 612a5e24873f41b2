/** TOP Chain on the page: groups by genesis seat, leaders from proposals, replicas per table. */
import type { ViewAdapter } from '../../contract/module.js';
import type { TopRun } from './run.js';
import { MSG, type ProposalMsg, type ReceiptMsg } from './messages.js';
import { LEG_RECV } from './ledger.js';
import { ConsensusNode } from './node.js';

export const TOP_VIEWS: ViewAdapter<TopRun> = {
  chainWord: 'table',
  chainLabel: (t) => `T${t}`,
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

  chainPath(b, t) {
    const vg = b.family.ctx.vgroupOf[t];
    return [`agroup:${Math.floor(vg / b.family.sc.topology.validator_groups_per_auditor)}`, `vgroup:${vg}`];
  },

  linkOf(msg) {
    if (msg.kind !== MSG.RECEIPT) return null;
    const r = msg as ReceiptMsg;
    // A send's receipt goes from the sending table to the receiving one; its confirmation back.
    return r.leg === LEG_RECV ? [r.src, r.dst] : null;
  },

  inspect(b, node) {
    const run = b.family;
    const info = b.nodes[node];
    const logic = b.logicOf(node);
    const rows: (string | number)[][] = [];
    if (logic instanceof ConsensusNode) {
      logic.replicas.forEach((r, t) => {
        if (!r) return;
        rows.push([`T${t}`, r.view, r.committedHeight, r.lockedHeight, r.pool.size, r.recvQ.size, r.confirmQ.size]);
      });
    }
    const sc = b.family.sc;
    const staked = info.role === 'validator' || info.role === 'auditor';
    const stake = staked ? { ...sc.stake[info.role as 'validator' | 'auditor'], ...(sc.stake.overrides[info.name] ?? {}) } : null;
    const tables = [...(run.ctx.tablesOf[node] ?? [])];
    const tableList = tables.length > 12
      ? `${tables.slice(0, 12).map((t) => `T${t}`).join(' ')} … (${tables.length})`
      : tables.map((t) => `T${t}`).join(' ') || '—';
    return {
      facts: [
        ['stake', stake ? `${stake.deposit_top.toLocaleString('en-US')} TOP, ${stake.votes.toLocaleString('en-US')} votes, credit ${stake.credit}` : '—'],
        ['tables', tableList],
      ],
      columns: ['table', 'view', 'committed', 'locked', 'pool', 'receipts', 'confirms'],
      rows: rows.slice(0, 16),
    };
  },
};
