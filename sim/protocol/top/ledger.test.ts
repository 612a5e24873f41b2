// StateView answers as a plain overlay of Maps over the committed state would, including when its
// arrays are handed on from released views to the next ones.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StateView, TableLedger, LedgerVersions, LEDGER_ADOPTED, LEDGER_LEFT } from './ledger.js';
import { Stream } from '../../lib/random.js';

const ACCOUNTS = 12;
const TABLES = 4;

type Op =
  | { op: 'bal'; a: number; v: number }
  | { op: 'non'; a: number; v: number }
  | { op: 'send'; peer: number; v: number }
  | { op: 'recv'; peer: number; v: number }
  | { op: 'confirm'; peer: number; v: number }
  | { op: 'end'; flush: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('bal' as const), a: fc.nat(ACCOUNTS - 1), v: fc.nat(1000) }),
  fc.record({ op: fc.constant('non' as const), a: fc.nat(ACCOUNTS - 1), v: fc.nat(1000) }),
  ...(['send', 'recv', 'confirm'] as const).map((op) => fc.record({ op: fc.constant(op), peer: fc.nat(TABLES - 1), v: fc.nat(1000) })),
  fc.record({ op: fc.constant('end' as const), flush: fc.boolean() }),
);

/** The committed state and one open overlay, kept as plain maps. */
class Model {
  bal = new Array<number>(ACCOUNTS).fill(50);
  non = new Array<number>(ACCOUNTS).fill(0);
  cnt = { send: new Array<number>(TABLES).fill(0), recv: new Array<number>(TABLES).fill(0), confirm: new Array<number>(TABLES).fill(0) };
  over = new Map<string, number>();
  read(key: string, base: number): number {
    return this.over.get(key) ?? base;
  }
}

function expectSame(view: StateView, m: Model): void {
  for (let a = 0; a < ACCOUNTS; a++) {
    expect(view.balance(a)).toBe(m.read(`bal${a}`, m.bal[a]!));
    expect(view.nonce(a)).toBe(m.read(`non${a}`, m.non[a]!));
  }
  for (let p = 0; p < TABLES; p++) {
    expect(view.sendId(p)).toBe(m.read(`send${p}`, m.cnt.send[p]!));
    expect(view.recvId(p)).toBe(m.read(`recv${p}`, m.cnt.recv[p]!));
    expect(view.confirmId(p)).toBe(m.read(`confirm${p}`, m.cnt.confirm[p]!));
  }
}

describe('StateView', () => {
  it('reads through to the committed state, flushes its writes, and leaves nothing behind when released', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const ledger = new TableLedger(ACCOUNTS, TABLES, 50);
        const m = new Model();
        let view = new StateView(ledger);
        for (const o of ops) {
          if (o.op === 'bal') view.setBalance(o.a, o.v), m.over.set(`bal${o.a}`, o.v);
          else if (o.op === 'non') view.setNonce(o.a, o.v), m.over.set(`non${o.a}`, o.v);
          else if (o.op === 'send') view.setSendId(o.peer, o.v), m.over.set(`send${o.peer}`, o.v);
          else if (o.op === 'recv') view.setRecvId(o.peer, o.v), m.over.set(`recv${o.peer}`, o.v);
          else if (o.op === 'confirm') view.setConfirmId(o.peer, o.v), m.over.set(`confirm${o.peer}`, o.v);
          else {
            if (o.flush) {
              view.flush();
              for (const [k, v] of m.over) {
                const kind = k.replace(/[0-9]+$/, '');
                const i = Number(k.slice(kind.length));
                if (kind === 'bal') m.bal[i] = v;
                else if (kind === 'non') m.non[i] = v;
                else m.cnt[kind as 'send' | 'recv' | 'confirm'][i] = v;
              }
            }
            m.over.clear();
            view.release();
            // A released view reads the committed state and refuses writes.
            expectSame(view, m);
            expect(() => view.setBalance(0, 1)).toThrow(/after release/);
            expect(() => view.setSendId(0, 1)).toThrow(/after release/);
            view = new StateView(ledger);
          }
          expectSame(view, m);
        }
        // The ledger holds exactly what was flushed.
        for (let a = 0; a < ACCOUNTS; a++) {
          expect(ledger.balance[a]).toBe(m.bal[a]);
          expect(ledger.nonce[a]).toBe(m.non[a]);
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('hands its cleared arrays on to the next view, of any table that fits in them', () => {
    const big = new TableLedger(ACCOUNTS * 2, TABLES * 2, 1);
    const small = new TableLedger(ACCOUNTS, TABLES, 50);
    const v1 = new StateView(big);
    v1.setBalance(ACCOUNTS * 2 - 1, 7);
    v1.setBalance(3, 8);
    v1.setRecvId(TABLES * 2 - 1, 9);
    v1.release();
    // A smaller table's view runs in the bigger arrays and sees none of the old changes.
    const v2 = new StateView(small);
    expect(v2.balance(3)).toBe(50);
    expect(v2.recvId(TABLES - 1)).toBe(0);
    v2.setBalance(ACCOUNTS - 1, 5);
    v2.setConfirmId(TABLES - 1, 4);
    // Two views at once: the second gets fresh arrays, not the ones in use.
    const v3 = new StateView(big);
    expect(v3.balance(ACCOUNTS * 2 - 1)).toBe(1);
    v3.setBalance(ACCOUNTS - 1, 6);
    expect(v2.balance(ACCOUNTS - 1)).toBe(5);
    expect(v3.balance(ACCOUNTS - 1)).toBe(6);
    v2.flush();
    v2.release();
    v3.release();
    expect(small.balance[ACCOUNTS - 1]).toBe(5);
    expect(small.confirmId[TABLES - 1]).toBe(4);
    const v4 = new StateView(big);
    expect(v4.balance(ACCOUNTS * 2 - 1)).toBe(1);
    expect(v4.balance(ACCOUNTS - 1)).toBe(1);
    expect(v4.recvId(TABLES * 2 - 1)).toBe(0);
    expect(v4.confirmId(TABLES - 1)).toBe(0);
    v4.release();
  });
});

describe('LedgerVersions', () => {
  /** Block `k` of chain `name`: a change of some balances, nonces and counters. */
  const change = (name: string, k: number) => (l: TableLedger) => {
    const r = new Stream(`${name}/${k}`);
    for (let i = r.int(0, 4); i > 0; i--) l.balance[r.int(0, 5)] += r.int(-5, 5);
    l.nonce[r.int(0, 5)]++;
    l.rspId[r.int(0, 2)] += r.int(0, 1);
    l.unitHeight[r.int(0, 5)]++;
  };
  const arrays = (l: TableLedger) => [l.balance, l.nonce, l.sendId, l.recvId, l.confirmId, l.rspId, l.unitHeight].map((a) => Array.from(a));

  it('gives every replica the ledger it would compute alone, holding a few heights instead of a copy each', () => {
    const r = new Stream('ledger-versions');
    const versions = new LedgerVersions(6, 3, 100);
    // Replica 3 forks away at height 40; replica 2 lags behind.
    const replicas = Array.from({ length: 5 }, (_, i) => ({
      shared: versions.attach(), own: new TableLedger(6, 3, 100), height: 0, left: false, chain: i === 3 ? 'fork' : 'main',
    }));
    let maxHeld = 0;
    for (let step = 0; step < 4_000; step++) {
      const i = r.int(0, replicas.length - 1);
      const x = replicas[i];
      if (x.height >= 300 || (i === 2 && r.chance(2, 3))) continue;
      // The forked replica never leads: the others' chain is the versions'.
      if (i === 3 && x.height >= Math.min(replicas[0].height, replicas[1].height)) continue;
      const h = x.height + 1;
      const chain = x.chain === 'fork' && h >= 40 ? 'fork' : 'main';
      const apply = change(chain, h);
      const prev = arrays(x.own);
      apply(x.own);
      if (x.left) apply(x.shared);
      else {
        const before = { state: null as TableLedger | null };
        const got = versions.advance(x.shared, x.height, `${chain}${h}`, before);
        expect(arrays(before.state!)).toEqual(prev);
        if (got === LEDGER_LEFT) x.left = true;
        if (got !== LEDGER_ADOPTED) apply(x.shared);
      }
      x.height = h;
      expect(arrays(x.shared), `replica ${i} at height ${h}`).toEqual(arrays(x.own));
      maxHeld = Math.max(maxHeld, versions.held);
      // At most one version per height some sharing replica is at.
      expect(versions.held).toBeLessThanOrEqual(new Set(replicas.filter((y) => !y.left).map((y) => y.height)).size);
    }
    // The forked replica left when it met the others' block at height 40; the lagging one still shares.
    expect(replicas.map((x) => x.left)).toEqual([false, false, false, true, false]);
    expect(versions.fallbacks).toBe(1);
    expect(maxHeld).toBeGreaterThan(1);
    for (const x of replicas) if (!x.left) versions.leave(x.height);
    expect(versions.held).toBe(0);
  });
});
