/** TOP Chain on the page: groups by genesis seat, leaders from proposals, replicas per table. */
import type { ViewAdapter } from '../../contract/module.js';
import type { TopRun } from './run.js';
import { MSG, type ProposalMsg, type ReceiptMsg } from './messages.js';
import { LEG_INNER, LEG_RECV } from './ledger.js';
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

  blockDetail(b, t, h) {
    // A member that still holds the block on its committed chain.
    const run = b.family;
    for (let i = 0; i < b.nodes.length; i++) {
      const logic = b.logicOf(i);
      if (!(logic instanceof ConsensusNode)) continue;
      const r = logic.replicas[t];
      const blk = r !== undefined && r.committedHeight >= h ? r.committedAt(h) : undefined;
      if (blk === undefined || r === undefined) continue;
      const txs = run.ctx.txs;
      const map = run.ctx.map;
      const LEG_NAMES = ['inner', 'send', 'recv', 'confirm'];
      const touched = (blk2: { txs: Int32Array; legs: Uint8Array }): Set<number> => {
        // The accounts of this table a block adds a unit to (execution.ts addUnits).
        const out = new Set<number>();
        for (let k = 0; k < blk2.txs.length; k++) {
          const id = blk2.txs[k];
          const leg = blk2.legs[k];
          if (leg !== LEG_RECV) out.add(txs.sender[id]);
          if (leg === LEG_INNER || leg === LEG_RECV) out.add(txs.receiver[id]);
        }
        return out;
      };
      const accounts = [...touched(blk)].sort((x, y) => x - y);
      // Each account's unit chain, as far back as the member still holds committed blocks.
      const SHOWN = 12;
      const units = accounts.slice(0, SHOWN).map((acct) => {
        const heights: number[] = [];
        for (let k = r.committedHeight; k >= 1 && heights.length < 8; k--) {
          const x = r.committedAt(k);
          if (x === undefined) break;
          if (touched(x).has(acct)) heights.push(k);
        }
        return [`account ${acct}`, r.ledger.unitHeight[map.localIndex[acct]], heights.map((k) => `T${t}#${k}`).join(' ← ')];
      });
      return {
        title: `Table block T${t} #${h}`,
        facts: [
          ['view, leader', `${blk.view}, ${b.nodes[blk.leader]?.name ?? blk.leader}`],
          ['transaction legs', `${blk.txs.length}`],
          ['accounts touched', `${accounts.length} (each gets a unit: the lower layer of the lattice)`],
          ['as held by', `${b.nodes[i].name} (committed up to #${r.committedHeight})`],
        ],
        tables: [
          {
            caption: `Unit chains of the accounts it touched${accounts.length > SHOWN ? ` (the first ${SHOWN} of ${accounts.length})` : ''}: newest table blocks first`,
            columns: ['account', 'units now', 'table blocks with its units'],
            rows: units,
          },
          {
            caption: `Legs${blk.txs.length > 30 ? ' (the first 30)' : ''}`,
            columns: ['tx', 'leg', 'from account', 'to account'],
            rows: Array.from(blk.txs.slice(0, 30), (id, k) => [id, LEG_NAMES[blk.legs[k]] ?? String(blk.legs[k]), txs.sender[id], txs.receiver[id]]),
          },
        ],
      };
    }
    return null;
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
