/**
 * How a Bystack node takes in whole blocks, the same on both chains (docs/BYSTACK.md "Relay"):
 * copies of a block it already has or is validating are dropped (their senders marked as having
 * it, Bytom's and Vapor's `markBlock`); a block whose parent is unknown is held as an orphan until
 * the parent connects; a block being validated waits for a timer after the validation's CPU work,
 * so that the copies arriving meanwhile mark their senders before the node relays it.
 */
import type { Env } from '../../contract/env.js';

export class BlockIntake<B extends { readonly id: string; readonly parent: string }> {
  /** Orphans by their parent's id, and the ids held. */
  private readonly orphans = new Map<string, B[]>();
  private readonly orphanIds = new Set<string>();
  /** Blocks asked for, and when. */
  private readonly requested = new Map<string, number>();
  private readonly validating = new Map<number, { block: B; from: Set<number> }>();
  private readonly validatingIds = new Map<string, number>();
  private seq = 0;

  constructor(
    /** The timer kind that ends a validation (its `dw`: the validation's number). */
    private readonly timerKind: number,
    /** Whether the node has connected block `id`. */
    private readonly known: (id: string) => boolean,
  ) {}

  /** A crash loses the requests and the validations in progress (not the orphans held). */
  reset(): void {
    this.requested.clear();
    this.validating.clear();
    this.validatingIds.clear();
  }

  /** When block `id` was asked for, if it was and has not come. */
  askedAt(id: string): number | undefined {
    return this.requested.get(id);
  }

  asked(id: string, now_us: number): void {
    this.requested.set(id, now_us);
  }

  /** Whether the node has, holds, validates or awaits `id` (nothing to ask for). */
  has(id: string): boolean {
    return this.known(id) || this.orphanIds.has(id) || this.validatingIds.has(id);
  }

  /**
   * A whole block arrived from `from`: true if it is nothing new (known, held as an orphan, or a
   * copy of one being validated, whose sender is then marked).
   */
  seen(b: B, from: number): boolean {
    this.requested.delete(b.id);
    const v = this.validatingIds.get(b.id);
    if (v !== undefined) {
      this.validating.get(v)!.from.add(from);
      return true;
    }
    return this.known(b.id) || this.orphanIds.has(b.id);
  }

  /**
   * Holds `b` as an orphan if its parent is unknown; returns whether it did, and then whether the
   * parent is to be asked for: never asked, or asked at least `retry_us` before `now_us` with no
   * answer (the request or its reply was lost: Bytom's block keeper asks again on its next sync).
   */
  hold(b: B, now_us: number, retry_us: number): { held: boolean; askParent: boolean } {
    if (this.known(b.parent)) return { held: false, askParent: false };
    let list = this.orphans.get(b.parent);
    if (list === undefined) this.orphans.set(b.parent, (list = []));
    list.push(b);
    this.orphanIds.add(b.id);
    const asked = this.requested.get(b.parent);
    return { held: true, askParent: !this.orphanIds.has(b.parent) && (asked === undefined || now_us - asked >= retry_us) };
  }

  /** Validates `b` (its work already charged): it is handed back by `take` when the timer fires. */
  defer(env: Env, b: B, from: number): void {
    const seq = ++this.seq;
    this.validating.set(seq, { block: b, from: new Set([from]) });
    this.validatingIds.set(b.id, seq);
    env.setTimer(0, { kind: this.timerKind, dw: seq >>> 0 });
  }

  /** The block validation `seq` was for, and the peers that sent it (the first one first). */
  take(seq: number): { block: B; from: Set<number> } | undefined {
    const v = this.validating.get(seq);
    if (v === undefined) return undefined;
    this.validating.delete(seq);
    this.validatingIds.delete(v.block.id);
    return v;
  }

  /**
   * Connects `b` and, in turn, every orphan waiting on a block that `accept` took: `accept` is
   * called in connection order and says whether it connected the block (`first`: `b` itself).
   */
  release(b: B, accept: (x: B, first: boolean) => boolean): void {
    const ready: B[] = [b];
    for (let first = true; ready.length > 0; first = false) {
      const x = ready.shift()!;
      if (!accept(x, first)) continue;
      const waiting = this.orphans.get(x.id);
      if (waiting === undefined) continue;
      this.orphans.delete(x.id);
      for (const o of waiting) {
        this.orphanIds.delete(o.id);
        ready.push(o);
      }
    }
  }
}
