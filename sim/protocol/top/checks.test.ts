import { describe, expect, it } from 'vitest';
import { Checkers } from '../../checks/checkers.js';
import { ByzantineWindows } from '../../faults/byzantine.js';
import { TopChecks } from './checks.js';
import { TxStore } from './txstore.js';
import { LEG_INNER, LEG_RECV, LEG_SEND, type AccountMap } from './ledger.js';
import { commitKey, type Block } from './messages.js';

/**
 * The exactly-once rule for receipt legs, on hand-made commits: two tables, account 0 in table 0
 * sends 5 to account 1 in table 1 (tx 0). Nodes: 0 and 1 serve table 0, 2 serves table 1; node 1
 * is byzantine from 10 s to 20 s.
 */
const GENESIS = 100;
const map: AccountMap = {
  tables: 2,
  tableOf: Uint16Array.from([0, 1]),
  localIndex: Int32Array.from([0, 0]),
  tableAccounts: [Int32Array.from([0]), Int32Array.from([1])],
};

function setup(windows = [{ node: 1, at_us: 10e6, until_us: 20e6 }]) {
  const txs = new TxStore(1);
  txs.create(0, 0, 1, 5, 0, 0);
  // Transfers inside table 0 for the chain tests: tx k has nonce k.
  for (let k = 1; k <= 3; k++) txs.create(k, 0, 0, 1, k, 0);
  const checks = new Checkers(['x0', 'x1', 'x2'], new ByzantineWindows(3, windows), ['g0', 'g1'], 0, 1e12);
  checks.family = new TopChecks(checks, map, GENESIS, txs);
  return checks;
}

/** A block with one leg: of tx 0 (send, recv), or the inner transfer `tx`. */
function block(table: number, height: number, parent: string, id: string, leg: number, tx = 0): Block {
  return {
    id, idWord: 0, table, height, view: height, clock: 0, parent, leader: 0, cls: 2, salt: 0, proofs: new Int32Array(0),
    txs: Int32Array.from([tx]), legs: Uint8Array.from([leg]), rids: Int32Array.from([leg === LEG_INNER ? -1 : 1]), bytes: 0,
  };
}

/** A commit record of `b` by `node` at `t` with state sum `sum`. */
function commitOf(c: Checkers, node: number, b: Block, t: number, sum: number): void {
  c.commit(node, t, commitKey(b), b, sum);
}

const send = block(0, 1, 'g0', 'send-block', LEG_SEND);
const recv = block(1, 1, 'g1', 'recv-block', LEG_RECV);

describe('exactly_once: a receipt leg follows a committed leg', () => {
  it('passes a recv whose send only a byzantine leader had committed before it', () => {
    // The byzantine node 1 holds the certificate at 12 s (inside its window) and its receipt is
    // applied at 13 s; the honest replica of table 0 hears of the commit only at 30 s.
    const c = setup();
    c.commit(1, 12e6, commitKey(send), send, GENESIS - 5);
    c.commit(2, 13e6, commitKey(recv), recv, GENESIS + 5);
    c.commit(0, 30e6, commitKey(send), send, GENESIS - 5);
    c.finish(40e6);
    expect(c.violations).toEqual([]);
  });

  it('fires on a recv committed before any node committed its send', () => {
    const c = setup();
    c.commit(2, 13e6, commitKey(recv), recv, GENESIS + 5);
    c.commit(1, 14e6, commitKey(send), send, GENESIS - 5);
    c.commit(0, 30e6, commitKey(send), send, GENESIS - 5);
    c.finish(40e6);
    expect(c.violations.map((v) => [v.check, v.node, v.table, v.time_us])).toEqual([['exactly_once', 'x2', 1, 13e6]]);
    expect(c.violations[0].message).toBe('tx 0: recv leg committed before its send leg (send leg first committed at 14.000000s)');
  });

  it('fires at the end on a recv whose send never committed', () => {
    const c = setup();
    c.commit(2, 13e6, commitKey(recv), recv, GENESIS + 5);
    c.finish(40e6);
    expect(c.violations.map((v) => v.message)).toEqual(['tx 0: recv leg committed before its send leg (send leg never committed)']);
  });

  it('judges at the end a send that only a byzantine node committed, by when it did', () => {
    const early = setup();
    early.commit(1, 12e6, commitKey(send), send, GENESIS - 5);
    early.commit(2, 13e6, commitKey(recv), recv, GENESIS + 5);
    early.finish(15e6);
    expect(early.violations).toEqual([]);
    const late = setup();
    late.commit(2, 13e6, commitKey(recv), recv, GENESIS + 5);
    late.commit(1, 14e6, commitKey(send), send, GENESIS - 5);
    late.finish(15e6);
    expect(late.violations.map((v) => v.message))
      .toEqual(['tx 0: recv leg committed before its send leg (send leg committed only by byzantine nodes, at 14.000000s)']);
  });

  it('fires on a recv applied twice', () => {
    const c = setup();
    c.commit(0, 1e6, commitKey(send), send, GENESIS - 5);
    c.commit(2, 2e6, commitKey(recv), recv, GENESIS + 5);
    commitOf(c, 2, block(1, 2, 'recv-block', 'recv-again', LEG_RECV), 3e6, GENESIS + 10);
    expect(c.violations.map((v) => v.message)).toEqual(['tx 0: recv leg committed twice (receipt id 1)']);
  });
});

describe('byzantine windows: a node is judged outside them', () => {
  it('a commit inside the window is not judged, the first one after it is', () => {
    // Node 1 commits a conflicting block at height 1 inside its window: no safety violation.
    const c = setup();
    c.commit(0, 1e6, commitKey(send), send, GENESIS - 5);
    commitOf(c, 1, block(0, 1, 'g0', 'fork', LEG_SEND), 11e6, GENESIS - 5);
    expect(c.violations).toEqual([]);
    // After the window it extends its fork: the parent is not the canonical height 1.
    commitOf(c, 1, block(0, 2, 'fork', 'fork-2', LEG_INNER, 1), 21e6, GENESIS - 5);
    expect(c.violations.map((v) => [v.check, v.node, v.height, v.time_us])).toEqual([['agreement', 'x1', 2, 21e6]]);
  });

  it('a node honest again continues from the canonical chain without a link to its last commit', () => {
    const c = setup();
    c.commit(0, 1e6, commitKey(send), send, GENESIS - 5);
    commitOf(c, 0, block(0, 2, 'send-block', 'b2', LEG_INNER, 1), 2e6, GENESIS - 5);
    c.commit(1, 11e6, commitKey(send), send, GENESIS - 5); // inside the window
    commitOf(c, 1, block(0, 2, 'send-block', 'b2', LEG_INNER, 1), 21e6, GENESIS - 5);
    commitOf(c, 1, block(0, 3, 'b2', 'b3', LEG_INNER, 2), 22e6, GENESIS - 5);
    c.finish(30e6);
    expect(c.violations).toEqual([]);
  });

  it('a commit after the window that conflicts with the canonical chain is a safety violation', () => {
    const c = setup();
    c.commit(0, 1e6, commitKey(send), send, GENESIS - 5);
    commitOf(c, 0, block(0, 2, 'send-block', 'b2', LEG_INNER, 1), 2e6, GENESIS - 5);
    commitOf(c, 1, block(0, 2, 'send-block', 'c2', LEG_INNER, 2), 21e6, GENESIS - 5);
    expect(c.violations.map((v) => [v.check, v.node])).toEqual([['safety', 'x1'], ['agreement', 'x1']]);
  });
});

describe('a height first committed after the one above it', () => {
  it('is judged in height order once filled, with a byzantine commit in the gap as proof', () => {
    // Nodes 0, 1 and 3 serve table 0 (node 1 byzantine from 10 s to 20 s), node 2 table 1.
    // Node 0 synced to the send's height and commits height 2 before any honest commit of
    // height 1; node 1, inside its window, commits the send, and its receipt is applied at 13 s;
    // node 3 commits the send honestly only at 30 s.
    const txs = new TxStore(1);
    txs.create(0, 0, 1, 5, 0, 0);
    txs.create(1, 0, 0, 1, 1, 0);
    const c = new Checkers(['x0', 'x1', 'x2', 'x3'], new ByzantineWindows(4, [{ node: 1, at_us: 10e6, until_us: 20e6 }]), ['g0', 'g1'], 0, 1e12);
    c.family = new TopChecks(c, map, GENESIS, txs);
    const b2 = block(0, 2, 'send-block', 'b2', LEG_INNER, 1);
    c.sync(0, 11e6, commitKey(send));
    commitOf(c, 0, b2, 11.5e6, GENESIS - 5);
    c.commit(1, 12e6, commitKey(send), send, GENESIS - 5);
    c.commit(2, 13e6, commitKey(recv), recv, GENESIS + 5);
    c.commit(3, 30e6, commitKey(send), send, GENESIS - 5);
    commitOf(c, 3, b2, 31e6, GENESIS - 5);
    c.finish(40e6);
    expect(c.violations).toEqual([]);
  });

  it('still finds a state that differs from the canonical one at a height held back', () => {
    const txs = new TxStore(1);
    txs.create(0, 0, 1, 5, 0, 0);
    txs.create(1, 0, 0, 1, 1, 0);
    const c = new Checkers(['x0', 'x1', 'x2', 'x3'], new ByzantineWindows(4, []), ['g0', 'g1'], 0, 1e12);
    c.family = new TopChecks(c, map, GENESIS, txs);
    const b2 = block(0, 2, 'send-block', 'b2', LEG_INNER, 1);
    c.sync(0, 1e6, commitKey(send));
    commitOf(c, 0, b2, 2e6, GENESIS - 5);
    c.sync(1, 2.5e6, commitKey(send));
    commitOf(c, 1, b2, 3e6, GENESIS - 4); // differs from node 0's state at height 2
    c.commit(3, 4e6, commitKey(send), send, GENESIS - 5);
    expect(c.violations.map((v) => [v.check, v.node, v.height, v.time_us])).toEqual([['conservation', 'x1', 2, 3e6]]);
  });
});
