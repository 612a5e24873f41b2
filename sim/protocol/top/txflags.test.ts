// TxFlags answers exactly as one Set per replica slot, under random churn and slots taken late.
import { describe, expect, it } from 'vitest';
import { ReplicaSlots, TxFlags } from './txflags.js';
import { Stream } from '../../lib/random.js';

describe('TxFlags', () => {
  it('matches a Set per slot while slots are taken mid-run (entries widen) over three tables', () => {
    const r = new Stream('txflags-test');
    const tables = 3;
    const slots = new ReplicaSlots(tables);
    const flags = new TxFlags(slots);
    // Model: per (table, slot) the set of tx ids flagged. A tx belongs to table tx % 3.
    const model = new Map<string, Set<number>>();
    const live: number[][] = [[], [], []];
    const take = (t: number) => {
      const s = slots.take(t);
      live[t].push(s);
      model.set(`${t}/${s}`, new Set());
    };
    for (let t = 0; t < tables; t++) for (let k = 0; k < 5; k++) take(t);
    let maxTx = 0;
    for (let step = 0; step < 80_000; step++) {
      // Now and then a replica appears (up to 100 a table: four words an entry).
      if (r.int(0, 400) === 0) {
        const t = r.int(0, tables - 1);
        if (slots.count(t) < 100) take(t);
      }
      // Ids spread wide early (offset growth), then churn over a narrower range.
      const tx = r.int(0, step < 20_000 ? 200_000 : 5_000);
      maxTx = Math.max(maxTx, tx);
      const t = tx % tables;
      const s = live[t][r.int(0, live[t].length - 1)];
      const set = model.get(`${t}/${s}`)!;
      const op = r.int(0, 2);
      if (op === 0) {
        expect(flags.add(tx, t, s)).toBe(!set.has(tx));
        set.add(tx);
      } else if (op === 1) {
        expect(flags.delete(tx, s)).toBe(set.delete(tx));
      } else {
        expect(flags.has(tx, s)).toBe(set.has(tx));
      }
    }
    for (let t = 0; t < tables; t++) {
      for (const s of live[t]) {
        const set = model.get(`${t}/${s}`)!;
        for (let tx = t; tx <= maxTx + 3; tx += tables) if (flags.has(tx, s) !== set.has(tx)) expect([tx, s, flags.has(tx, s)]).toEqual([tx, s, set.has(tx)]);
      }
    }
  });

  it('never answers for ids beyond any entry, and a fresh slot starts with nothing set', () => {
    const slots = new ReplicaSlots(1);
    const flags = new TxFlags(slots);
    const a = slots.take(0);
    expect(flags.has(10_000_000, a)).toBe(false);
    expect(flags.delete(10_000_000, a)).toBe(false);
    expect(flags.add(7, 0, a)).toBe(true);
    expect(flags.add(7, 0, a)).toBe(false);
    // Taken after the entry exists: the entry has no word for it until it sets a bit.
    for (let k = 0; k < 40; k++) slots.take(0);
    const b = slots.count(0) - 1;
    expect(flags.has(7, b)).toBe(false);
    expect(flags.add(7, 0, b)).toBe(true);
    expect(flags.has(7, a)).toBe(true);
    expect(flags.has(7, b)).toBe(true);
    expect(flags.delete(7, a)).toBe(true);
    expect(flags.has(7, a)).toBe(false);
    expect(flags.has(7, b)).toBe(true);
  });
});
