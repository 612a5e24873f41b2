// A replica's view of the shared outbox answers exactly as an outbox of its own, for replicas that
// commit the same chain at their own pace, prune on their own receipt-id state (also ahead of what
// they have committed), certify their own commits, fork away from the others, take snapshot
// entries, and leave; across the log's trims.
import { describe, expect, it } from 'vitest';
import { ReceiptOutbox, type Outbox } from './outbox.js';
import { SharedOutbox, type SharedOutboxView } from './sharedoutbox.js';
import { Stream } from '../../lib/random.js';

const T = 6;

interface Block { id: string; entries: number[] }

/** A chain of commits: each block's entries [peer, rid, tx, ...], ids per peer increasing along it. */
function chain(r: Stream, name: string, length: number, next: number[]): Block[] {
  const out: Block[] = [];
  for (let h = 1; h <= length; h++) {
    const entries: number[] = [];
    for (let k = r.int(0, 7); k > 0; k--) {
      const peer = r.int(0, T - 1);
      entries.push(peer, ++next[peer], r.int(0, 1_000_000));
    }
    out.push({ id: `${name}${h}`, entries });
  }
  return out;
}

function answers(o: Outbox, probe: number[]): unknown {
  const per = o.peers().map((peer) => [peer, o.positions(peer).map((p) => [o.rid(p), o.tx(p), o.committedAt(p), o.cert(p)])]);
  const found = probe.map((rid, peer) => {
    const p = o.find(peer, rid);
    return p < 0 ? null : [o.tx(p), o.committedAt(p), o.cert(p)];
  });
  return { per, found, entries: o.entries() };
}

interface Replica {
  own: ReceiptOutbox;
  view: SharedOutboxView;
  blocks: Block[];
  height: number;
  /** Highest id committed toward each peer. */
  top: number[];
}

describe('SharedOutboxView', () => {
  for (const seed of [1, 2, 3]) {
    it(`answers as an outbox of its own (seed ${seed}: lag, prunes, certificates, a fork, snapshots, leaving)`, () => {
      const r = new Stream(`shared-outbox-${seed}`);
      const main = chain(r, 'm', 1_500, new Array<number>(T).fill(0));
      // A fork from height 600: the same first 599 blocks, then blocks of its own.
      const forkNext = new Array<number>(T).fill(0);
      for (const b of main.slice(0, 599)) for (let k = 0; k < b.entries.length; k += 3) forkNext[b.entries[k]] = b.entries[k + 1];
      const fork = [...main.slice(0, 599), ...chain(r, 'f', 900, forkNext).map((b, i) => ({ ...b, id: `f${600 + i}` }))];
      const log = new SharedOutbox(T);
      const replicas: Replica[] = Array.from({ length: 5 }, (_, i) => ({
        own: new ReceiptOutbox(T), view: log.attach(), blocks: i === 4 ? fork : main, height: 0, top: new Array<number>(T).fill(0),
      }));
      let now = 0;
      let left = 0;
      for (let step = 0; step < 12_000; step++) {
        const i = r.int(0, replicas.length - 1);
        const x = replicas[i];
        const op = r.int(0, 19);
        if (op <= 11) {
          // Replica 3 lags far behind the others; the others keep within a few blocks.
          if (x.height >= x.blocks.length || (i === 3 && r.chance(3, 4))) continue;
          // The forked replica never leads: the others' chain is the log's.
          if (i === 4 && x.height >= Math.min(replicas[0].height, replicas[1].height)) continue;
          const b = x.blocks[x.height];
          x.height++;
          now += r.int(0, 3);
          x.own.begin(now);
          x.view.begin(now, x.height, b.id);
          for (let k = 0; k < b.entries.length; k += 3) {
            x.own.add(b.entries[k], b.entries[k + 1], b.entries[k + 2]);
            x.view.add(b.entries[k], b.entries[k + 1], b.entries[k + 2]);
            x.top[b.entries[k]] = b.entries[k + 1];
          }
          x.own.end();
          x.view.end();
          if (r.chance(1, 5)) {
            const cert = `c${step}`;
            x.own.certify(cert);
            x.view.certify(cert);
          }
        } else if (op <= 16) {
          // Receipt-id state: the peer applied up to some id, possibly beyond what this replica committed.
          const peer = r.int(0, T - 1);
          const ahead = Math.max(...replicas.map((y) => y.top[peer]));
          const upTo = r.int(Math.max(0, x.top[peer] - 30), ahead + 2);
          x.own.pruneUpTo(peer, upTo);
          x.view.pruneUpTo(peer, upTo, x.top[peer]);
        } else if (op === 17 && step > 8_000 && left < 1 && i === 2) {
          // Snapshot entries: this replica goes on with an outbox of its own.
          const e: [number, number, number, number, string] = [r.int(0, T - 1), r.int(1, 50), r.int(0, 99), now, 's'];
          x.own.addWith(...e);
          x.view.addWith(...e);
          left++;
          expect(x.view.shared).toBe(false);
        } else {
          const probe = Array.from({ length: T }, (_, peer) => r.int(Math.max(1, x.top[peer] - 40), x.top[peer] + 1));
          expect(answers(x.view, probe), `replica ${i} at step ${step}`).toEqual(answers(x.own, probe));
        }
      }
      for (const [i, x] of replicas.entries()) {
        const probe = x.top.map((t) => t);
        expect(answers(x.view, probe), `replica ${i} at the end`).toEqual(answers(x.own, probe));
      }
      // The forked replica left at its first block of its own; the lagging one still reads the log.
      expect(replicas[4].view.shared).toBe(false);
      expect(replicas[3].view.shared).toBe(true);
      expect(replicas[0].view.shared).toBe(true);
      expect(log.fallbacks).toBe(2);
      // After a trim the log keeps exactly what some attached replica holds or has still to commit.
      log.trim();
      const held = new Set<string>();
      const sharing = replicas.filter((y) => y.view.shared);
      for (const y of sharing) for (const [peer, rid] of y.own.entries()) held.add(`${peer}/${rid}`);
      const lowest = Math.min(...sharing.map((y) => y.height));
      main.slice(lowest, log.top).forEach((b) => { for (let k = 0; k < b.entries.length; k += 3) held.add(`${b.entries[k]}/${b.entries[k + 1]}`); });
      expect(log.store.size).toBe(held.size);
      // Once every replica has left, the log holds nothing.
      for (const x of replicas) x.view.detach();
      expect(log.attached).toBe(0);
      expect(log.store.size).toBe(0);
    });
  }

  it('a replica whose commit holds other entries than the log\'s for the same block leaves with its own', () => {
    const log = new SharedOutbox(T);
    const a = log.attach();
    const b = log.attach();
    const own = new ReceiptOutbox(T);
    a.begin(10, 1, 'x');
    a.add(1, 1, 100);
    a.end();
    b.begin(12, 1, 'x');
    own.begin(12);
    b.add(1, 1, 999);
    own.add(1, 1, 999);
    b.end();
    expect(b.shared).toBe(false);
    expect(b.entries()).toEqual(own.entries());
    expect(a.entries()).toEqual([[1, 1, 100, 10, '']]);
  });
});
