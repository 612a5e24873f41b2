// A replica's part of the shared receipt queue answers exactly as a queue of its own, for replicas
// that get different copies at different times, fill up, apply and prune, meet a receipt id that
// another replica holds for a different transaction (a forked source), and leave.
import { describe, expect, it } from 'vitest';
import { ReceiptQueue, type ReceiptQueueLike } from './txpool.js';
import { SharedReceiptQueue } from './sharedqueue.js';
import { LEG_RECV } from './ledger.js';
import { Stream } from '../../lib/random.js';

const T = 5;
const CAP = 120;

function answers(q: ReceiptQueueLike, probes: [number, number][]): unknown {
  return { size: q.size, peers: q.peers(), entries: Array.from(q.entries()), probes: probes.map(([p, r]) => [q.has(p, r), q.get(p, r)]) };
}

describe('SharedReceiptQueueView', () => {
  for (const seed of [1, 2]) {
    it(`answers as a queue of its own (seed ${seed}: losses, a full queue, applies, prunes, a forked source, leaving)`, () => {
      const r = new Stream(`shared-queue-${seed}`);
      const store = new SharedReceiptQueue(LEG_RECV, CAP, T);
      const replicas = Array.from({ length: 6 }, () => ({ view: store.attach(), own: new ReceiptQueue(LEG_RECV, CAP, T), applied: new Array<number>(T).fill(0), gone: false }));
      // Receipt (peer, rid) carries tx 1000 * peer + rid, except that replica 5 hears a forked
      // source table 4.
      const txOf = (i: number, peer: number, rid: number) => (i === 5 && peer === 4 ? 7 : 1000 * peer + rid);
      const sent = new Array<number>(T).fill(0);
      let full = 0;
      for (let step = 0; step < 20_000; step++) {
        const i = r.int(0, replicas.length - 1);
        const x = replicas[i];
        if (x.gone) continue;
        const op = r.int(0, 9);
        if (op <= 4) {
          // A receipt message: ids in order with some lost for this replica, or an old one again.
          const peer = r.int(0, T - 1);
          if (r.chance(1, 2)) sent[peer]++;
          const rid = r.chance(4, 5) ? sent[peer] : r.int(1, sent[peer] + 1);
          if (rid < 1 || r.chance(1, 10)) continue;
          const tx = txOf(i, peer, rid);
          if (x.own.size >= CAP) full++;
          expect(x.view.add(peer, rid, tx, x.applied[peer])).toBe(x.own.add(peer, rid, tx, x.applied[peer]));
        } else if (op <= 6) {
          // A commit applies the next receipts in order.
          // Peer 4's receipts stay queued for the first half, so the forked ids meet the others'.
          const peer = r.int(0, step < 10_000 ? T - 2 : T - 1);
          while (x.own.has(peer, x.applied[peer] + 1) && r.chance(3, 4)) {
            const rid = ++x.applied[peer];
            x.own.remove(peer, rid);
            x.view.remove(peer, rid);
          }
        } else if (op === 7 && r.chance(1, 20)) {
          const applied = x.applied.map((a) => a + r.int(0, 3));
          x.own.pruneApplied((p) => applied[p]);
          x.view.pruneApplied((p) => applied[p]);
          x.applied = applied;
        } else if (op === 8 && i === 0 && step > 15_000 && r.chance(1, 200)) {
          x.view.detach();
          x.gone = true;
        } else {
          const probes = Array.from({ length: 6 }, () => [r.int(0, T - 1), r.int(0, 60)] as [number, number]);
          expect(answers(x.view, probes), `replica ${i} at step ${step}`).toEqual(answers(x.own, probes));
        }
      }
      for (const [i, x] of replicas.entries()) if (!x.gone) expect(answers(x.view, []), `replica ${i}`).toEqual(answers(x.own, []));
      expect(full).toBeGreaterThan(0);
      // Whichever of replica 5 and the others came second to a forked id left with a queue of its own.
      expect(store.fallbacks).toBeGreaterThan(0);
      expect(replicas.filter((x) => !x.gone && !x.view.shared).length).toBe(store.fallbacks);
      // The table holds each receipt once: no more than the sharing replicas hold together, at least the most one holds.
      const sharing = replicas.filter((x) => !x.gone && x.view.shared);
      expect(store.size).toBeLessThanOrEqual(sharing.reduce((n, x) => n + x.own.size, 0));
      expect(store.size).toBeGreaterThanOrEqual(Math.max(...sharing.map((x) => x.own.size)));
      for (const x of replicas) x.view.detach();
      expect(store.size).toBe(0);
    });
  }
});
