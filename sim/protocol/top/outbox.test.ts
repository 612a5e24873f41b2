// ReceiptOutbox and ReceiptQueue answer exactly as the Map-per-peer structures they replace, under
// random adds, replacements, prunes and lookups (in order and out of order, across compactions).
import { describe, expect, it } from 'vitest';
import { ReceiptOutbox } from './outbox.js';
import { ReceiptQueue } from './txpool.js';
import { LEG_RECV } from './ledger.js';
import { RecentStrings } from './recent.js';
import { Stream } from '../../lib/random.js';

interface Entry { tx: number; at: number; cert: string }

/** The structure the outbox replaced: peer -> rid -> entry, read in sorted key order. */
class MapOutbox {
  readonly m = new Map<number, Map<number, Entry>>();
  set(peer: number, rid: number, e: Entry): void {
    let x = this.m.get(peer);
    if (!x) this.m.set(peer, (x = new Map()));
    x.set(rid, e);
  }
  prune(peer: number, upTo: number): void {
    const x = this.m.get(peer);
    if (x) for (const rid of [...x.keys()]) if (rid <= upTo) x.delete(rid);
  }
  entries(): [number, number, number, number, string][] {
    const out: [number, number, number, number, string][] = [];
    for (const peer of [...this.m.keys()].sort((a, b) => a - b)) {
      const x = this.m.get(peer)!;
      for (const rid of [...x.keys()].sort((a, b) => a - b)) {
        const e = x.get(rid)!;
        out.push([peer, rid, e.tx, e.at, e.cert]);
      }
    }
    return out;
  }
}

describe('ReceiptOutbox', () => {
  for (const mode of ['in order', 'out of order']) {
    it(`matches a Map per peer (${mode}: commits, certificates, snapshot entries, prunes)`, () => {
      const r = new Stream(`outbox-${mode}`);
      const T = 7;
      const a = new ReceiptOutbox(T);
      const b = new MapOutbox();
      const next = new Array<number>(T).fill(1);
      let now = 0;
      for (let step = 0; step < 6_000; step++) {
        const op = r.int(0, 9);
        if (op <= 4) {
          // A commit: a group of receipts toward a few peers, certified or not.
          now += r.int(0, 2);
          a.begin(now);
          const added: [number, number][] = [];
          for (let k = r.int(0, 6); k > 0; k--) {
            const peer = r.int(0, T - 1);
            const rid = mode === 'in order' || r.chance(3, 4) ? next[peer]++ : r.int(1, next[peer] + 3);
            const tx = r.int(0, 1_000_000);
            a.add(peer, rid, tx);
            b.set(peer, rid, { tx, at: now, cert: '' });
            added.push([peer, rid]);
          }
          if (r.chance(1, 3)) {
            const cert = `c${step}`;
            a.certify(cert);
            for (const [peer, rid] of added) b.m.get(peer)!.get(rid)!.cert = cert;
          }
        } else if (op === 5) {
          // Snapshot entries with their own times and certificates.
          for (let k = r.int(0, 4); k > 0; k--) {
            const peer = r.int(0, T - 1);
            const rid = r.int(1, next[peer] + 2);
            const e = { tx: r.int(0, 1000), at: r.int(0, 3), cert: r.chance(1, 2) ? '' : `s${r.int(0, 2)}` };
            a.addWith(peer, rid, e.tx, e.at, e.cert);
            b.set(peer, rid, e);
          }
        } else if (op <= 7) {
          const peer = r.int(0, T - 1);
          const upTo = r.int(0, next[peer]);
          a.pruneUpTo(peer, upTo);
          b.prune(peer, upTo);
        } else {
          const peer = r.int(0, T - 1);
          const rid = r.int(0, next[peer] + 1);
          const p = a.find(peer, rid);
          const e = b.m.get(peer)?.get(rid);
          expect(p >= 0).toBe(e !== undefined);
          if (e) expect([a.tx(p), a.committedAt(p), a.cert(p)]).toEqual([e.tx, e.at, e.cert]);
        }
        if (step % 97 === 0) expect(a.entries()).toEqual(b.entries());
        expect(a.size).toBe(b.entries().length);
      }
      expect(a.entries()).toEqual(b.entries());
    });
  }
});

describe('ReceiptQueue', () => {
  it('matches a Map per peer under adds, removes, prunes and lookups (capacity refusals included)', () => {
    const r = new Stream('receipt-queue');
    const T = 9;
    const cap = 300;
    const a = new ReceiptQueue(LEG_RECV, cap, T);
    const b = new Map<number, Map<number, number>>();
    let count = 0;
    const applied = new Array<number>(T).fill(0);
    for (let step = 0; step < 40_000; step++) {
      const op = r.int(0, 9);
      const peer = r.int(0, T - 1);
      const rid = r.int(0, 400);
      if (op <= 4) {
        const tx = r.int(0, 1 << 30);
        let m = b.get(peer);
        let ok = false;
        if (rid > applied[peer] && !(m?.has(rid)) && count < cap) {
          if (!m) b.set(peer, (m = new Map()));
          m.set(rid, tx);
          count++;
          ok = true;
        }
        expect(a.add(peer, rid, tx, applied[peer])).toBe(ok);
      } else if (op <= 7) {
        a.remove(peer, rid);
        if (b.get(peer)?.delete(rid)) count--;
      } else if (op === 8) {
        expect(a.has(peer, rid)).toBe(b.get(peer)?.has(rid) ?? false);
        expect(a.get(peer, rid)).toBe(b.get(peer)?.get(rid));
      } else {
        applied[peer] = r.int(0, 200);
        a.pruneApplied((p) => applied[p]);
        for (const [p, m] of b) for (const k of [...m.keys()]) if (k <= applied[p]) { m.delete(k); count--; }
      }
      expect(a.size).toBe(count);
      if (step % 101 === 0) {
        const want: number[] = [];
        for (const p of [...b.keys()].sort((x, y) => x - y)) {
          for (const k of [...b.get(p)!.keys()].sort((x, y) => x - y)) want.push(p, k, b.get(p)!.get(k)!);
        }
        expect(Array.from(a.entries())).toEqual(want);
        expect(a.peers()).toEqual([...b.keys()].filter((p) => b.get(p)!.size > 0).sort((x, y) => x - y));
      }
    }
  });
});

describe('RecentStrings', () => {
  it('matches a Set trimmed to its newest `max` entries', () => {
    for (const max of [1, 5, 64, 100, 2000]) {
      const r = new Stream(`recent-strings-${max}`);
      const a = new RecentStrings(max);
      const b = new Set<string>();
      for (let step = 0; step < 20_000; step++) {
        // Ids that share long prefixes, and the empty string, besides uniform ones.
        const k = r.int(0, 4 * max);
        const s = k === 0 ? '' : k % 3 === 0 ? `${'0'.repeat(20)}${k}` : (k * 2654435761 >>> 0).toString(16).padStart(64, '7');
        const fresh = !b.has(s);
        if (fresh) {
          b.add(s);
          if (b.size > max) b.delete(b.values().next().value!);
        }
        expect(a.add(s)).toBe(fresh);
        expect(a.size).toBe(b.size);
        const probe = String(r.int(0, 4 * max));
        expect(a.has(probe)).toBe(b.has(probe));
      }
      for (const s of b) expect(a.has(s)).toBe(true);
    }
  });
});
