/**
 * The xBFT core of one table (xbft.ts), driven directly: the replicas of a table of 4 validators
 * and 4 auditors over a fake Env (replica.test-helper.ts), the test delivering every message and
 * firing every timer itself. No engine, no network: what is checked is the protocol's own steps.
 */
import { describe, expect, it } from 'vitest';
import { MSG, type Block, type CommitMsg, type ProposalMsg, type StateReqMsg, type SyncReqMsg, type VoteMsg } from './messages.js';
import { TableHarness, type Sent } from './replica.test-helper.js';
import { ChainStore } from './chain.js';
import { InvariantError } from '../../lib/assert.js';

const kind = (k: number) => (s: Sent) => s.msg.kind === k;
const GENESIS_BALANCE = 1_000_000_000;
const TICK_US = 10_000_000;

/** Moves time tick by tick (10 s each) up to `last`, the beacon clock reaching every replica at each. */
function ticks(h: TableHarness, first: number, last: number): void {
  for (let t = first; t <= last; t++) {
    h.advanceTo(t * TICK_US);
    h.clock(t);
  }
}

/** Every block id committed at each height, by any replica. */
function committedIds(h: TableHarness): Map<number, Set<string>> {
  const byHeight = new Map<number, Set<string>>();
  for (const c of h.commits) {
    const ids = byHeight.get(c.height) ?? new Set<string>();
    ids.add(c.id);
    byHeight.set(c.height, ids);
  }
  return byHeight;
}

/** Fires timers until some proposal waits in the inbox (the leader's pacing decides when). */
function untilProposal(h: TableHarness, max = 1_000): void {
  for (let k = 0; !h.inbox.some(kind(MSG.PROPOSAL)); k++) {
    if (k >= max || h.fireNext() === undefined) throw new Error('no proposal came');
  }
}

/** The distinct proposals waiting in the inbox (each broadcast is one copy per member). */
function proposalsWaiting(h: TableHarness): ProposalMsg[] {
  const out: ProposalMsg[] = [];
  for (const s of h.inbox) if (s.msg.kind === MSG.PROPOSAL && !out.includes(s.msg as ProposalMsg)) out.push(s.msg as ProposalMsg);
  return out;
}

/**
 * One view of the normal case, by hand: the leader proposes, every member gets the proposal and
 * votes, the leader forms the certificate and every member gets it. Returns the block.
 */
function runView(h: TableHarness): Block {
  untilProposal(h);
  const [p] = proposalsWaiting(h);
  h.deliverAll(kind(MSG.PROPOSAL));
  h.deliverAll(kind(MSG.VOTE));
  const certs = h.deliverAll(kind(MSG.COMMIT));
  expect(certs.length, `certificate of ${p.block.height}`).toBeGreaterThan(0);
  return p.block;
}

describe('TableReplica, driven by hand (xBFT, docs/PROTOCOL.md §8.3)', () => {
  it('a leader proposes, members vote, a certificate forms, and the block two below it commits', () => {
    const h = new TableHarness();
    const all = [...h.validators, ...h.auditors];
    const L1 = h.leaderOf(1);
    expect(h.auditors).toContain(L1); // odd views are the auditor group's
    h.start();
    expect(h.replicas.map((r) => r.view)).toEqual(all.map(() => 1));
    const tx = h.submit(0, 1, 5);

    // A lone transfer waits for the pacing rule: the leader packs once the threshold falls to 0
    // (1 s into the view), retrying every 50 ms until then.
    untilProposal(h);
    expect(h.now_us).toBe(1_000_000);
    const proposals = h.take(kind(MSG.PROPOSAL));
    expect(proposals.map((s) => s.to).sort((a, b) => a - b)).toEqual(all.filter((n) => n !== L1));
    const b1 = (proposals[0].msg as ProposalMsg).block;
    expect(proposals.every((s) => s.from === L1 && (s.msg as ProposalMsg).block === b1)).toBe(true);
    expect({ height: b1.height, view: b1.view, leader: b1.leader, txs: Array.from(b1.txs) })
      .toEqual({ height: 1, view: 1, leader: L1, txs: [tx] });
    expect((proposals[0].msg as ProposalMsg).justify.height).toBe(0);

    // Every other member re-executes and votes to the leader, once.
    for (const s of proposals) h.deliver(s);
    const votes = h.take(kind(MSG.VOTE));
    expect(votes.map((s) => s.from).sort((a, b) => a - b)).toEqual(all.filter((n) => n !== L1));
    expect(votes.every((s) => s.to === L1 && (s.msg as VoteMsg).blockId === b1.id)).toBe(true);

    // The certificate forms with the vote that completes both quorums (3 of 4 validators and 3
    // of 4 auditors, the leader's own vote included), and not before; later votes are ignored.
    let formedAfter = -1;
    votes.forEach((s, k) => {
      h.deliver(s);
      if (formedAfter < 0 && h.inbox.some(kind(MSG.COMMIT))) formedAfter = k;
    });
    let nV = 0, nA = 1, quorumAt = -1;
    votes.forEach((s, k) => {
      if (h.validators.includes(s.from)) nV++;
      else nA++;
      if (quorumAt < 0 && nV >= 3 && nA >= 3) quorumAt = k;
    });
    expect(formedAfter).toBe(quorumAt);
    const voters = votes.slice(0, quorumAt + 1).map((s) => s.from);
    const qc1 = (h.inbox.find(kind(MSG.COMMIT))!.msg as CommitMsg).qc;
    expect({ blockId: qc1.blockId, height: qc1.height, view: qc1.view }).toEqual({ blockId: b1.id, height: 1, view: 1 });
    // Signers in bitmap order: validators, then auditors, each by id.
    const signedV = voters.filter((n) => h.validators.includes(n)).sort((a, b) => a - b);
    const signedA = [L1, ...voters.filter((n) => h.auditors.includes(n))].sort((a, b) => a - b);
    expect(Array.from(qc1.signers)).toEqual([...signedV, ...signedA]);
    h.deliverAll(kind(MSG.COMMIT));
    // Certified, not locked (its parent is genesis), nothing committed; everyone is in view 2.
    for (const r of h.replicas) expect([r.highQC.blockId, r.lockedHeight, r.committedHeight, r.view]).toEqual([b1.id, 0, 0, 2]);
    expect(h.commits).toEqual([]);

    // View 2: the transfer is in the block above already, so the leader sends an empty block
    // to push it to commit (at 1 s into the view again). Its certificate locks block 1.
    const b2 = runView(h);
    expect({ height: b2.height, view: b2.view, parent: b2.parent, txs: b2.txs.length }).toEqual({ height: 2, view: 2, parent: b1.id, txs: 0 });
    expect(h.validators).toContain(b2.leader);
    for (const r of h.replicas) expect([r.lockedHeight, r.committedHeight]).toEqual([1, 0]);
    expect(h.commits).toEqual([]);

    // View 3: one more empty block; its certificate commits block 1 (h - 2) everywhere.
    const b3 = runView(h);
    expect({ height: b3.height, view: b3.view, parent: b3.parent }).toEqual({ height: 3, view: 3, parent: b2.id });
    for (const n of all) {
      expect(h.commitsOf(n).map((c) => [c.height, c.id])).toEqual([[1, b1.id]]);
      const r = h.replicas[n];
      expect([r.highQC.blockId, r.lockedHeight, r.committedHeight]).toEqual([b3.id, 2, 1]);
      expect([r.ledger.balance[0], r.ledger.balance[1], r.ledger.nonce[0]]).toEqual([GENESIS_BALANCE - 5, GENESIS_BALANCE + 5, 1]);
      expect(r.pool.size).toBe(0);
    }

    // Nothing left to push: the next leader has no reason to propose.
    h.advanceTo(h.now_us + 5_000_000);
    expect(h.inbox).toEqual([]);
    expect(h.commits).toHaveLength(all.length);
  });

  it('a silent leader: three clock ticks on, the next view\'s leader proposes on the same certificate', () => {
    const h = new TableHarness();
    const L1 = h.leaderOf(1);
    const L2 = h.leaderOf(2);
    expect(L2).not.toBe(L1);
    h.down.add(L1); // crashed from the start: it never proposes
    const live = h.replicas.filter((r) => r.self !== L1);
    h.start();
    const tx = h.submit(2, 3, 7);
    h.advanceTo(9_000_000);
    expect(h.effects.some((e) => (e.kind === 'send' || e.kind === 'broadcast') && e.msg.kind === MSG.PROPOSAL)).toBe(false);

    // Views follow the clock: view = qc.view + 1 + ⌊(clock − qc.clock) / 3⌋ (MC-6).
    for (const tick of [1, 2]) {
      h.now_us = tick * TICK_US;
      h.clock(tick);
      expect(live.map((r) => r.view)).toEqual(live.map(() => 1));
    }
    h.now_us = 3 * TICK_US;
    h.clock(3);
    expect(live.map((r) => r.view)).toEqual(live.map(() => 2));
    expect(h.views.filter((v) => v.view === 2).map((v) => [v.node, v.at_us])).toEqual(live.map((r) => [r.self, 3 * TICK_US]));

    const b1 = runView(h);
    expect({ height: b1.height, view: b1.view, leader: b1.leader, clock: b1.clock, txs: Array.from(b1.txs) })
      .toEqual({ height: 1, view: 2, leader: L2, clock: 3, txs: [tx] });
    // No member voted in the silent view.
    expect(h.unicasts(MSG.VOTE).filter((s) => (s.msg as VoteMsg).view === 1)).toEqual([]);
    runView(h);
    runView(h);
    for (const r of live) {
      expect(h.commitsOf(r.self).map((c) => [c.height, c.id, c.view])).toEqual([[1, b1.id, 2]]);
      expect(r.ledger.balance[2]).toBe(GENESIS_BALANCE - 7);
    }
    expect(h.commitsOf(L1)).toEqual([]);
  });

  it('an equivocating leader: two proposals at one height, neither certified; honest replicas vote once and commit one block per height', () => {
    // The leader of view 1 equivocates during its first second only, then behaves.
    const probe = new TableHarness();
    const L1 = probe.leaderOf(1);
    const h = new TableHarness({ byzantine: [{ node: L1, behavior: 'equivocate', until_us: 1_000_000 }] });
    const honest = h.replicas.filter((r) => r.self !== L1).map((r) => r.self);
    const tx = h.submit(4, 5, 3);
    h.start();

    // One proposal per fork, both at height 1 of view 1 on genesis, each to its fork's half.
    const [a, b] = proposalsWaiting(h);
    expect(a.block.id).not.toBe(b.block.id);
    expect([a.block.height, a.block.view, a.block.leader, a.block.parent]).toEqual([1, 1, L1, b.block.parent]);
    expect([b.block.height, b.block.view, b.block.leader]).toEqual([1, 1, L1]);
    expect([Array.from(a.block.txs), Array.from(b.block.txs)]).toEqual([[tx], []]);
    const to = (p: ProposalMsg) => h.inbox.filter((s) => s.msg === p).map((s) => s.to).sort((x, y) => x - y);
    const e = h.ctx.epoch(0, 0);
    expect(to(a)).toEqual([...e.forkV[0], ...e.forkA[0]].filter((n) => n !== L1).sort((x, y) => x - y));
    expect(to(b)).toEqual([...e.forkV[1], ...e.forkA[1]].filter((n) => n !== L1).sort((x, y) => x - y));

    // The network crosses them: every honest member gets both, in both orders.
    h.take(kind(MSG.PROPOSAL));
    for (const n of honest) {
      const [first, second] = n % 2 === 0 ? [a, b] : [b, a];
      h.deliver({ from: L1, to: n, msg: first, broadcast: true });
      h.deliver({ from: L1, to: n, msg: second, broadcast: true });
    }
    // An honest member votes once in a view: for the first proposal it saw.
    const votes = h.take(kind(MSG.VOTE));
    expect(votes.map((s) => s.from).sort((x, y) => x - y)).toEqual(honest);
    for (const s of votes) expect((s.msg as VoteMsg).blockId).toBe(s.from % 2 === 0 ? a.block.id : b.block.id);
    // Split that way neither block reaches both quorums: no certificate.
    for (const s of votes) h.deliver(s);
    expect(h.inbox.filter(kind(MSG.COMMIT))).toEqual([]);
    for (const r of h.replicas) expect(r.highQC.height).toBe(0);

    // The view changes with the clock; the next leaders build on genesis, and what commits
    // agrees everywhere: one block per height, neither of the equivocated ones.
    h.advanceTo(3 * TICK_US);
    h.clock(3);
    const c1 = runView(h);
    expect([c1.height, c1.view, c1.parent]).toEqual([1, 2, a.block.parent]);
    runView(h);
    runView(h);
    for (const n of honest) expect(h.commitsOf(n).map((c) => [c.height, c.id])).toEqual([[1, c1.id]]);
    for (const ids of committedIds(h).values()) expect(ids.size).toBe(1);
    expect([a.block.id, b.block.id]).not.toContain(c1.id);
  });
  it('an equivocating leader with a colluding voter (one byzantine per group): one fork certifies, the other half fetches it, one commit per height', () => {
    const probe = new TableHarness();
    const L1 = probe.leaderOf(1);
    const voter = probe.validators[0];
    const h = new TableHarness({ byzantine: [{ node: L1, behavior: 'equivocate' }, { node: voter, behavior: 'double_vote' }] });
    const honest = h.replicas.map((r) => r.self).filter((n) => n !== L1 && n !== voter);
    for (let i = 0; i < 6; i++) h.submit(i, (i + 3) % 16, 1 + i);
    h.start();
    ticks(h, 1, 12);

    const e = h.ctx.epoch(0, 0);
    // With one colluder per group of 4, exactly one fork's half holds both quorums.
    const quorate = [0, 1].filter((f) => e.forkV[f].length >= e.thresholdV && e.forkA[f].length >= e.thresholdA);
    expect(quorate).toHaveLength(1);
    const f = quorate[0];
    const sent = h.sentBy(L1, MSG.PROPOSAL).map((m) => (m as ProposalMsg).block).filter((b) => b.view === 1);
    expect(sent.map((b) => [b.height, b.salt])).toEqual([[1, 1], [1, 2]]);
    const [certified, orphan] = [sent[f], sent[1 - f]];
    const certs = h.sentBy(L1, MSG.COMMIT).map((m) => (m as CommitMsg).qc).filter((q) => q.view === 1);
    expect(certs.map((q) => q.blockId)).toEqual([certified.id]);

    // The honest members of the other half never got the certified block: they fetch it by
    // block sync from its leader when the next proposal names it, then follow the chain.
    const outside = honest.filter((n) => !e.forkV[f].includes(n) && !e.forkA[f].includes(n));
    expect(outside.length).toBeGreaterThan(0);
    for (const n of outside) {
      const asked = h.unicasts(MSG.SYNC_REQ, n).map((s) => [s.to, (s.msg as SyncReqMsg).blockId]);
      expect(asked).toContainEqual([L1, certified.id]);
    }
    for (const n of honest) expect(h.commitsOf(n)[0]).toMatchObject({ height: 1, id: certified.id });
    // Safety: one block per height among all commits (the byzantine nodes' included), never the orphan.
    const byHeight = committedIds(h);
    expect(byHeight.size).toBeGreaterThanOrEqual(2);
    for (const ids of byHeight.values()) expect(ids.size).toBe(1);
    expect(h.commits.some((c) => c.id === orphan.id)).toBe(false);
  });

  it('a replica that lost its state probes members, adopts the best snapshot, sits out that view and commits on', () => {
    const h = new TableHarness();
    h.start();
    h.submit(0, 1, 5);
    ticks(h, 1, 2);
    const X = h.validators[3];
    expect(h.replicas[X].committedHeight).toBe(1);
    // X crashes; the others commit on without it.
    h.down.add(X);
    h.submit(2, 3, 4);
    h.advanceTo(25_000_000);
    const others = h.replicas.filter((r) => r.self !== X);
    const height = others[0].committedHeight;
    expect(height).toBeGreaterThan(1);
    expect(others.map((r) => r.committedHeight)).toEqual(others.map(() => height));

    // Back with nothing: it probes ⌊√8⌋ + 1 live members for how far their chains are.
    const mark = h.effects.length;
    const r = h.restartLost(X, 2);
    expect(r.synced).toBe(false);
    const probes = h.take((s) => s.from === X);
    expect(probes.map((s) => (s.msg as StateReqMsg).probe)).toEqual([true, true, true]);
    expect(new Set(probes.map((s) => s.to)).size).toBe(3);
    for (const s of probes) h.deliver(s);
    h.deliverAll((s) => s.to === X); // the answers: then it asks the best for its state
    const ask = h.take((s) => s.from === X);
    expect(ask.map((s) => (s.msg as StateReqMsg).probe)).toEqual([false]);
    for (const s of ask) h.deliver(s);
    h.settle();
    const best = h.replicas[ask[0].to];
    expect(r.synced).toBe(true);
    expect([r.committedHeight, r.highQC.blockId, r.lockedHeight]).toEqual([height, best.highQC.blockId, best.lockedHeight]);
    expect(h.stateSyncs).toEqual([{ node: X, height, id: h.commitsOf(best.self).at(-1)!.id, at_us: 25_000_000 }]);
    // It may have voted in the current view before the crash: it votes in none up to it.
    const satOut = r.view;
    expect(r.lastVotedView).toBeGreaterThanOrEqual(satOut);

    h.submit(4, 5, 9);
    ticks(h, 3, 6);
    h.advanceTo(65_000_000);
    const mine = h.commitsOf(X).filter((c) => c.at_us > 25_000_000);
    const theirs = h.commitsOf(best.self).filter((c) => c.height > height);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.map((c) => [c.height, c.id])).toEqual(theirs.map((c) => [c.height, c.id]));
    expect(mine[0].height).toBe(height + 1);
    const votes = h.unicasts(MSG.VOTE, X, mark);
    expect(votes.length).toBeGreaterThan(0);
    expect(votes.every((s) => (s.msg as VoteMsg).view > satOut)).toBe(true);
    for (const ids of committedIds(h).values()) expect(ids.size).toBe(1);
  });
});

describe('ChainStore', () => {
  it('commits one height at a time: a gap or a repeat is an internal error', () => {
    const c = new ChainStore(0);
    const g = c.committedBlock();
    const hold = (id: string, height: number, parent: string): Block => {
      const b: Block = { ...g, id, height, parent };
      c.blocks.set(id, b);
      return b;
    };
    const b1 = hold('b1', 1, g.id);
    expect(() => c.markCommitted(hold('b2', 2, 'b1'))).toThrow(InvariantError);
    c.markCommitted(b1);
    expect([c.committedHeight, c.committedId, c.committedBlock()]).toEqual([1, 'b1', b1]);
    expect(() => c.markCommitted(hold('c1', 1, g.id))).toThrow('invariant: table 0: commit of block c1 at height 1 after height 1');
    expect(c.committedHeight).toBe(1);
  });
});
