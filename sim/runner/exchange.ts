/**
 * The data plane of a partitioned run: events for nodes of another worker, packed into one byte
 * array per destination and window (docs/DESIGN.md "Parallel runner", "Messages that cross workers are
 * typed-array encodings").
 *
 * Only four kinds of event cross workers: a message arriving at a node (ARRIVE, alone or as a
 * copy in a relay tree), a member's copy of a flow (FLOW) and the failure detector's notices
 * (PEER_DOWN, PEER_UP). A message sent to
 * several nodes of one worker in a window (a group broadcast) is encoded once and decoded into one
 * shared object, as in a one-worker run, where every receiver shares the sender's object. The rows
 * a message refers to (the family's codec says which: TOP's transactions) travel with the first
 * message that names them toward that worker.
 *
 * Layout: u32 sizes of the three sections, then
 *   objects: per distinct object, a tag (1 message, 2 relay tree with a message reference, also
 *            a flow's tree, 3 a flow's hop: a reference to its tree, the hop's parent position
 *            and its children's arrival times) and body;
 *   rows: the family's rows new to the destination (FamilyCodec.writeRows);
 *   events: count, then per event time f64, origin i32, seq f64, target i32, kind u8, a0 i32,
 *           a1 i32, data ref i32 (-1 none).
 */
import { Reader, Writer } from '../lib/bytes.js';
import type { Msg } from '../contract/env.js';
import type { Relayed } from '../net/relay.js';
import type { FlowHop, FlowTree } from '../net/flow.js';
import type { FamilyCodec } from '../contract/module.js';
import { EV, arriveRelayed } from '../engine/sim.js';

const OBJ_MSG = 1;
const OBJ_RELAYED = 2;
const OBJ_HOP = 3;

/** Rows already shipped to one destination, as a growable bitmap by row id. */
class Shipped {
  bits = new Uint8Array(1024);
  has(id: number): boolean {
    const i = id >>> 3;
    return i < this.bits.length && (this.bits[i] & (1 << (id & 7))) !== 0;
  }
  add(id: number): void {
    const i = id >>> 3;
    if (i >= this.bits.length) {
      let c = this.bits.length;
      while (c <= i) c *= 2;
      const g = new Uint8Array(c);
      g.set(this.bits);
      this.bits = g;
    }
    this.bits[i] |= 1 << (id & 7);
  }
}

/** Events bound for one other worker during one window. */
export class OutBatch {
  private readonly objects = new Writer(1 << 16);
  private readonly events = new Writer(1 << 16);
  private readonly refs = new Map<object, number>();
  private objectCount = 0;
  private txIds: number[] = [];
  private readonly shipped = new Shipped();
  count = 0;
  /** Earliest event time in the batch (Infinity when empty). */
  minTime = Infinity;
  /** Message copies carried over the run. */
  messages = 0;

  constructor(private readonly codec: FamilyCodec) {}

  private msgRef(m: Msg): number {
    let r = this.refs.get(m);
    if (r !== undefined) return r;
    const w = this.objects;
    w.u8(OBJ_MSG);
    this.codec.writeMsg(w, m);
    this.codec.refs(m, (id) => {
      if (!this.shipped.has(id)) {
        this.shipped.add(id);
        this.txIds.push(id);
      }
    });
    r = this.objectCount++;
    this.refs.set(m, r);
    return r;
  }

  private relayedRef(x: Relayed | FlowTree): number {
    let r = this.refs.get(x);
    if (r !== undefined) return r;
    const m = this.msgRef(x.msg);
    const w = this.objects;
    w.u8(OBJ_RELAYED);
    w.i32(m);
    w.i32s(x.tree.order);
    w.u8(x.tree.fanout);
    r = this.objectCount++;
    this.refs.set(x, r);
    return r;
  }

  private hopRef(x: FlowHop): number {
    let r = this.refs.get(x);
    if (r !== undefined) return r;
    // A flow's tree has a relayed copy's shape: the message and its tree.
    const f = this.relayedRef(x.flow);
    const w = this.objects;
    w.u8(OBJ_HOP);
    w.i32(f);
    w.i32(x.parent);
    w.f64s(x.arrive);
    r = this.objectCount++;
    this.refs.set(x, r);
    return r;
  }

  push(time_us: number, origin: number, seq: number, target: number, kind: number, a0: number, a1: number, data: unknown): void {
    let ref = -1;
    if (kind === EV.ARRIVE) ref = arriveRelayed(a0, a1) ? this.relayedRef(data as Relayed) : this.msgRef(data as Msg);
    else if (kind === EV.FLOW) ref = this.hopRef(data as FlowHop);
    else if (kind !== EV.PEER_DOWN && kind !== EV.PEER_UP) throw new Error(`event kind ${kind} cannot cross workers`);
    const w = this.events;
    w.f64(time_us);
    w.i32(origin);
    w.f64(seq);
    w.i32(target);
    w.u8(kind);
    w.i32(a0);
    w.i32(a1);
    w.i32(ref);
    this.count++;
    if (kind === EV.ARRIVE || kind === EV.FLOW) this.messages++;
    if (time_us < this.minTime) this.minTime = time_us;
  }

  /** The batch as one transferable byte array (null when empty); the batch starts empty again. */
  take(): Uint8Array | null {
    if (this.count === 0) return null;
    const tx = new Writer(64 + this.txIds.length * 120);
    this.codec.writeRows(tx, this.txIds);
    const head = new Writer(16);
    head.u32(this.objects.length);
    head.u32(tx.length);
    head.u32(this.events.length);
    head.u32(this.count);
    const out = new Writer(16 + this.objects.length + tx.length + this.events.length);
    out.raw(head.finish());
    out.raw(this.objects.finish());
    out.raw(tx.finish());
    out.raw(this.events.finish());
    this.objects.reset();
    this.events.reset();
    this.refs.clear();
    this.objectCount = 0;
    this.txIds = [];
    this.count = 0;
    this.minTime = Infinity;
    return out.finish();
  }
}

export type InsertFn = (time_us: number, origin: number, seq: number, target: number, kind: number, a0: number, a1: number, data: unknown) => void;

/** Unpacks a batch: its rows through the codec, its events through `insert`. */
export function applyBatch(buf: Uint8Array, codec: FamilyCodec, insert: InsertFn): number {
  const r = new Reader(buf);
  const objBytes = r.u32();
  const txBytes = r.u32();
  r.u32();
  const count = r.u32();
  const objEnd = r.offset + objBytes;
  const objects: unknown[] = [];
  while (r.offset < objEnd) {
    const tag = r.u8();
    if (tag === OBJ_MSG) objects.push(codec.readMsg(r));
    else if (tag === OBJ_RELAYED) {
      const msg = objects[r.i32()] as Msg;
      const order = r.i32s();
      const fanout = r.u8();
      objects.push({ msg, tree: { order, fanout } });
    } else if (tag === OBJ_HOP) {
      const flow = objects[r.i32()] as FlowTree;
      const parent = r.i32();
      const arrive = r.f64s();
      const h: FlowHop = { flow, parent, arrive };
      objects.push(h);
    } else throw new Error(`batch: unknown object tag ${tag}`);
  }
  const txEnd = r.offset + txBytes;
  codec.readRows(r);
  if (r.offset !== txEnd) throw new Error(`batch: row section ends at ${r.offset}, expected ${txEnd}`);
  for (let i = 0; i < count; i++) {
    const time = r.f64();
    const origin = r.i32();
    const seq = r.f64();
    const target = r.i32();
    const kind = r.u8();
    const a0 = r.i32();
    const a1 = r.i32();
    const ref = r.i32();
    insert(time, origin, seq, target, kind, a0, a1, ref >= 0 ? objects[ref] : null);
  }
  return count;
}
