import { describe, it, expect } from 'vitest';
import assert from 'node:assert';
import { join } from 'node:path';
import { Reader, Writer, forEachTxRef, readMsg, readTxRows, writeMsg, writeTxRows } from './wire.js';
import { MSG, MSG_NAMES, type ReceiptMsg, type StateRespMsg } from './messages.js';
import type { Msg, NodeLogic } from '../../contract/env.js';
import { TX_EXISTS, TX_NEEDS_CONFIRM, TX_SYSTEM, TxStore } from './txstore.js';
import { TableLedger } from './ledger.js';
import { loadScenario, applyOverrides } from '../../scenario/index.js';
import { asTop, type TopScenario as Scenario } from './scenario.js';
import { runScenario, type RunResult } from '../../runner/run.js';
import { top } from '../../../test/helpers.js';

const SCENARIOS = join(import.meta.dirname, '..', '..', '..', 'scenarios');
const S = 1_000_000;

function scenarioFile(name: string, duration_us: number): Scenario {
  const sc = loadScenario(join(SCENARIOS, name));
  // A short run may end before the file's warm-up: shrink the warm-up to fit.
  return asTop(applyOverrides(sc.warmup_us >= duration_us ? { ...sc, warmup_us: Math.floor(duration_us / 2) } : sc, { duration_us }));
}

/** Runs `sc`, recording every distinct message object any node receives. */
function capture(sc: Scenario): { msgs: Msg[]; run: RunResult } {
  const seen = new Set<Msg>();
  const run = runScenario(sc, {
    attach(built) {
      for (let i = 0; i < built.nodes.length; i++) {
        const logic: NodeLogic = built.sim.logicOf(i);
        const orig = logic.onMessage;
        logic.onMessage = (env, from, msg) => {
          seen.add(msg);
          orig.call(logic, env, from, msg);
        };
      }
    },
  });
  return { msgs: [...seen], run };
}

function bytesOf(m: Msg): Uint8Array {
  const w = new Writer(64);
  writeMsg(w, m);
  return w.finish();
}

function refs(m: Msg): number[] {
  const out: number[] = [];
  forEachTxRef(m, (id) => out.push(id));
  return out;
}

/** Own keys in order, recursively (typed arrays as their type): what hidden classes depend on. */
function shape(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return typeof x;
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (Array.isArray(x)) return x.map(shape);
  return [Object.getPrototypeOf(x)?.constructor?.name, ...Object.entries(x).map(([k, v]) => [k, shape(v)])];
}

function kindsOf(msgs: readonly Msg[]): Map<number, number> {
  const n = new Map<number, number>();
  for (const m of msgs) n.set(m.kind, (n.get(m.kind) ?? 0) + 1);
  return n;
}

/**
 * Every message round-trips alone and inside one stream of back-to-back records; returns the kinds
 * seen. Each record decodes to a deep-equal object (prototypes, own keys, typed-array types) with
 * the same key order and the same tx references.
 */
function checkRoundTrip(msgs: readonly Msg[]): Set<number> {
  const stream = new Writer(256);
  for (const m of msgs) {
    const r = new Reader(bytesOf(m));
    const d = readMsg(r);
    expect(r.done).toBe(true);
    assert.deepStrictEqual(d, m);
    assert.deepStrictEqual(shape(d), shape(m));
    assert.deepStrictEqual(refs(d), refs(m));
    writeMsg(stream, m);
  }
  const r = new Reader(stream.finish());
  for (const m of msgs) assert.deepStrictEqual(readMsg(r), m);
  expect(r.done).toBe(true);
  return new Set(kindsOf(msgs).keys());
}

/** Row `id` of `dst` is row `id` of `src`, field by field. */
function expectSameRow(dst: TxStore, src: TxStore, id: number): void {
  expect(dst.sender[id]).toBe(src.sender[id]);
  expect(dst.receiver[id]).toBe(src.receiver[id]);
  expect(dst.amount[id]).toBe(src.amount[id]);
  expect(dst.nonce[id]).toBe(src.nonce[id]);
  expect(dst.submit_us[id]).toBe(src.submit_us[id]);
  expect(dst.flags[id]).toBe(src.flags[id]);
  expect(dst.hash(id)).toEqual(src.hash(id));
  expect(dst.sig(id)).toEqual(src.sig(id));
  expect(dst.hashWord(id)).toBe(src.hashWord(id));
}

function expectKinds(msgs: readonly Msg[], kinds: readonly number[]): void {
  const have = kindsOf(msgs);
  for (const k of kinds) expect(have.get(k) ?? 0, `${MSG_NAMES[k]} captured`).toBeGreaterThan(0);
}

describe('Writer and Reader', () => {
  it('round-trip every primitive, empty arrays included, growing past the initial capacity', () => {
    const w = new Writer(16);
    const big = Int32Array.from({ length: 5000 }, (_, i) => (i * 2654435761) | 0);
    const at = new Float64Array([0, -0, 1.5, -1e300, Number.MAX_SAFE_INTEGER, Infinity, NaN]);
    const id = 'ab'.repeat(32);
    const latin = 'Zoë ÿ\u0000';
    const long = 'x'.repeat(20_000);
    w.u8(0); w.u8(255); w.u32(0); w.u32(0xffffffff); w.i32(-1); w.i32(-0x80000000); w.i32(0x7fffffff);
    for (const x of at) w.f64(x);
    w.str(''); w.str(id); w.str(latin); w.str(long);
    w.bytes(new Uint8Array(0)); w.bytes(Uint8Array.of(1, 2, 3));
    w.i32s(new Int32Array(0)); w.i32s(big); w.i32s(big.subarray(3, 10));
    w.u32s(new Uint32Array(0)); w.u32s(Uint32Array.of(0, 1, 0xffffffff));
    w.f64s(new Float64Array(0)); w.f64s(at);
    w.u8s(new Uint8Array(0)); w.u8s(Uint8Array.of(9, 8, 7));
    w.u8(42);
    expect(w.length).toBeGreaterThan(20_000 + 5000 * 4);
    const out = w.finish();
    expect(out.byteLength).toBe(w.length);
    expect(out.buffer.byteLength).toBe(w.length);
    // Read from an unaligned offset inside a larger buffer.
    const host = new Uint8Array(out.length + 3);
    host.set(out, 3);
    for (const src of [out, host.subarray(3)]) {
      const r = new Reader(src);
      expect([r.u8(), r.u8(), r.u32(), r.u32(), r.i32(), r.i32(), r.i32()]).toEqual([0, 255, 0, 0xffffffff, -1, -0x80000000, 0x7fffffff]);
      for (const x of at) expect(Object.is(r.f64(), x)).toBe(true);
      expect([r.str(), r.str(), r.str(), r.str()]).toEqual(['', id, latin, long]);
      expect(r.bytes()).toEqual(new Uint8Array(0));
      expect(r.bytes()).toEqual(Uint8Array.of(1, 2, 3));
      expect(r.i32s()).toEqual(new Int32Array(0));
      const b = r.i32s();
      expect(b).toEqual(big);
      // Fresh arrays: exact-size own buffers.
      expect(b.buffer.byteLength).toBe(b.byteLength);
      expect(r.i32s()).toEqual(big.slice(3, 10));
      expect(r.u32s()).toEqual(new Uint32Array(0));
      expect(r.u32s()).toEqual(Uint32Array.of(0, 1, 0xffffffff));
      expect(r.f64s()).toEqual(new Float64Array(0));
      const f = r.f64s();
      expect(f).toBeInstanceOf(Float64Array);
      assert.deepStrictEqual(f, at);
      expect(r.u8s()).toEqual(new Uint8Array(0));
      const u = r.u8s();
      expect(u).toEqual(Uint8Array.of(9, 8, 7));
      expect(u.buffer.byteLength).toBe(3);
      expect(r.done).toBe(false);
      expect(r.u8()).toBe(42);
      expect(r.done).toBe(true);
      expect(() => r.u8()).toThrow(RangeError);
    }
    // reset keeps the capacity and starts over; finish copies, so earlier output is unaffected.
    w.reset();
    expect(w.length).toBe(0);
    w.u32(7);
    expect(w.finish()).toEqual(Uint8Array.of(7, 0, 0, 0));
    expect(out[1]).toBe(255);
    expect(() => w.str('€')).toThrow(RangeError);
  });

  it('a truncated array length throws instead of reading past the end', () => {
    const w = new Writer();
    w.u32(1000);
    w.i32(1);
    expect(() => new Reader(w.finish()).i32s()).toThrow(RangeError);
  });
});

describe('messages', () => {
  it('an unknown kind throws, naming it', () => {
    const w = new Writer();
    w.u32(13); w.u8(99); w.f64(10); w.u32(0);
    expect(() => readMsg(new Reader(w.finish()))).toThrow(/unknown message kind 99/);
    const bad: Msg = { kind: 77, bytes: 1, dw: 0 };
    const w2 = new Writer();
    expect(() => writeMsg(w2, bad)).toThrow(/unknown message kind 77/);
    expect(w2.length).toBe(0);
    expect(() => forEachTxRef(bad, () => {})).toThrow(/unknown message kind 77/);
  });

  it('a record whose length disagrees with its contents throws', () => {
    const w = new Writer();
    writeMsg(w, { kind: MSG.STATE_REQ, bytes: 100, dw: 5, table: 3 } as Msg);
    const b = w.finish();
    b[0] += 1;
    expect(() => readMsg(new Reader(b))).toThrow(/record/);
  });

  it('real messages of the default, top-small and churn-rotation runs round-trip; all 13 kinds are seen', { timeout: 120_000 }, () => {
    const all = new Set<number>();

    // default.yaml, 10 s: transactions and consensus traffic of one table.
    const def = capture(scenarioFile('default.yaml', 10 * S));
    expectKinds(def.msgs, [MSG.TX_BATCH, MSG.PROPOSAL, MSG.VOTE, MSG.COMMIT]);
    for (const k of checkRoundTrip(def.msgs)) all.add(k);

    // The default run's transaction rows, shipped into an empty store, arrive identical.
    {
      const src = top(def.run.built).txs;
      const ids: number[] = [];
      for (const m of def.msgs) forEachTxRef(m, (id) => ids.push(id));
      expect(ids.length).toBeGreaterThan(1000);
      const w = new Writer();
      writeTxRows(w, src, ids);
      const dst = new TxStore(src.clients);
      const r = new Reader(w.finish());
      readTxRows(r, dst);
      expect(r.done).toBe(true);
      for (const id of ids) expectSameRow(dst, src, id);
      expect(dst.count).toBe(new Set(ids).size);
      expect(dst.sigLen).toBe(src.sigLen);
    }

    // top-small.yaml, 20 s: eight tables, cross-table receipts.
    const small = capture(scenarioFile('top-small.yaml', 20 * S));
    expectKinds(small.msgs, [MSG.TX_BATCH, MSG.PROPOSAL, MSG.VOTE, MSG.COMMIT, MSG.RECEIPT]);
    for (const k of checkRoundTrip(small.msgs)) all.add(k);

    // top-small with a REC clock group, short receipt periods and a lost receipt window: receipt
    // state, resends, pulls and the clock chain.
    {
      const sc = scenarioFile('top-small.yaml', 20 * S);
      const c = capture({
        ...sc,
        topology: { ...sc.topology, beacons: 4 },
        protocol: { ...sc.protocol, receipt_state_us: 4 * S, receipt_pull_us: 3 * S, receipt_resend_us: 5 * S, receipt_min_age_us: 3 * S },
        faults: [{ kind: 'drop_receipts', at_us: 5 * S, until_us: 8 * S, from_table: 2, to_table: 5 }],
      });
      expectKinds(c.msgs, [MSG.RECEIPT, MSG.RECEIPT_STATE, MSG.RECEIPT_PULL, MSG.CLOCK_SHARE, MSG.CLOCK_CERT]);
      expect(c.msgs.some((m) => m.kind === MSG.RECEIPT && (m as ReceiptMsg).resend)).toBe(true);
      for (const k of checkRoundTrip(c.msgs)) all.add(k);
    }

    // churn-rotation.yaml: the first election's incoming members sync the tables' state
    // (state_request / state_response) and fetch blocks (sync_request / sync_response).
    const churn = capture(scenarioFile('churn-rotation.yaml', 75 * S));
    expectKinds(churn.msgs, [MSG.STATE_REQ, MSG.STATE_RESP, MSG.SYNC_REQ, MSG.SYNC_RESP]);
    // A sync probes several members for their heights (answers without a state), then fetches the
    // state from the one furthest ahead: both kinds of answer cross the wire.
    const resp = churn.msgs.filter((m): m is StateRespMsg => m.kind === MSG.STATE_RESP);
    const full = resp.filter((m) => m.snap !== null).map((m) => m.snap!);
    expect(full.length).toBeGreaterThan(0);
    expect(resp.some((m) => m.snap === null && m.qcHeight > 0)).toBe(true);
    for (const snap of full) expect(snap.ledger).toBeInstanceOf(TableLedger);
    expect(full.some((snap) => snap.pool.length + snap.outRecv.length + snap.above.length > 0)).toBe(true);
    for (const k of checkRoundTrip(churn.msgs)) all.add(k);

    expect([...all].sort((a, b) => a - b)).toEqual(Object.values(MSG).sort((a, b) => a - b));
  });

  it('real-crypto messages (64-byte signatures) round-trip, with a restarted node syncing blocks', { timeout: 60_000 }, () => {
    const sc = scenarioFile('default.yaml', 12 * S);
    const c = capture({
      ...sc,
      crypto: 'real',
      topology: { ...sc.topology, validators: 4, auditors: 4, beacons: 4 },
      workload: { ...sc.workload, rate_tps: 20, schedule: { kind: 'constant', rate_tps: 20 } },
      faults: [{ kind: 'crash', at_us: 3 * S, until_us: 7 * S, nodes: ['v1'], state: 'kept' }],
    });
    expect(top(c.run.built).ctx.signer.mode).toBe('real');
    expectKinds(c.msgs, [MSG.TX_BATCH, MSG.PROPOSAL, MSG.VOTE, MSG.COMMIT, MSG.SYNC_REQ, MSG.SYNC_RESP, MSG.CLOCK_SHARE, MSG.CLOCK_CERT]);
    const vote = c.msgs.find((m) => m.kind === MSG.VOTE) as Msg & { sig: Uint8Array };
    expect(vote.sig.length).toBe(64);
    checkRoundTrip(c.msgs);
  });
});

describe('transaction rows', () => {
  it('rows read into an empty store equal the written ones; present rows are skipped', () => {
    const src = new TxStore(3);
    const ids: number[] = [];
    for (let id = 0; id < 3000; id += 7) {
      const flags = (id % 3 === 0 ? TX_NEEDS_CONFIRM : 0) | (id % 5 === 0 ? TX_SYSTEM : 0);
      src.create(id, id % 101, (id * 13) % 97, 1 + (id % 17) / 4, id % 11, id * 1234.5, flags);
      src.setSig(id, Uint8Array.from({ length: 64 }, (_, k) => (id * 31 + k) & 255));
      ids.push(id);
    }
    const w = new Writer(8);
    // Duplicates are allowed.
    writeTxRows(w, src, [...ids, ids[5], ids[0]]);
    const dst = new TxStore(3);
    const r = new Reader(w.finish());
    readTxRows(r, dst);
    expect(r.done).toBe(true);
    expect(dst.end).toBe(src.end);
    expect(dst.count).toBe(ids.length);
    expect(dst.sigLen).toBe(64);
    for (const id of ids) {
      expectSameRow(dst, src, id);
      expect(dst.flags[id] & TX_EXISTS).toBe(TX_EXISTS);
    }
    // A row the receiver has already is left as it is.
    const again = new TxStore(3);
    again.create(7, 1, 2, 3, 4, 5);
    readTxRows(new Reader(w.finish()), again);
    expect(again.sender[7]).toBe(1);
    expect(again.count).toBe(ids.length);
    // put writes what create would (hash aside, which create computes from the same fields).
    const made = new TxStore(1);
    made.create(42, 1, 2, 3.5, 4, 5_000_000, TX_SYSTEM);
    const put = new TxStore(1);
    put.put(42, 1, 2, 3.5, 4, 5_000_000, TX_SYSTEM, made.hash(42), null);
    for (const col of ['sender', 'receiver', 'amount', 'nonce', 'submit_us', 'flags', 'hashes'] as const) {
      expect(put[col]).toEqual(made[col]);
    }
    expect([put.end, put.count, put.sigLen, put.capacity]).toEqual([made.end, made.count, made.sigLen, made.capacity]);
  });

  it('writing a row that does not exist throws', () => {
    const src = new TxStore(1);
    src.create(0, 1, 2, 3, 0, 0);
    expect(() => writeTxRows(new Writer(), src, [0, 5])).toThrow(/transaction 5 does not exist/);
  });
});
