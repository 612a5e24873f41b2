/**
 * Shared-memory windows for a partitioned run: the barrier and the mailboxes live in
 * SharedArrayBuffers, so a window costs a few atomic operations instead of message round trips
 * through the main thread (docs/DESIGN.md "Parallel runner": a comlink call ~60 µs, a shared-memory
 * barrier ~23 µs).
 *
 * Window k: each worker reads the batches written to it in window k-1, handles its events before
 * UNTIL, writes its batches for window k into the mailboxes of parity k & 1, publishes its next
 * event time and arrives at the barrier. The last to arrive computes the next window (T = the
 * earliest pending event anywhere, UNTIL = min(T + L, end)) or the stop, and wakes the others.
 * Two mailboxes per ordered pair (by parity) keep window k's writes apart from window k-1's reads.
 * Waiting uses Atomics.wait (never a spin), so more workers than cores cost only wake-ups.
 */

/** Int32 slots of the control block. */
export const GEN = 0;
export const ARRIVED = 1;
/** 0 running, 1 finished (T reached the end), 2 aborted (a worker failed), 3 paused (see PAUSE_AT). */
export const STOP = 2;
export const STOP_PAUSED = 3;
/** 1 + the index of the first worker that failed (0: none). */
export const FAILED = 3;
/** Set by the page when a frame's wall-time budget is spent: pause after the window in progress. */
export const YIELD = 4;
const INT_SLOTS = 8;

/** Float64 slots: the window, then per worker its figures. */
export const UNTIL = 0;
export const START = 1;
export const END = 2;
export const LOOKAHEAD = 3;
/**
 * A pause (the page's frames): windows end at PAUSE_AT, and the workers leave their loop once no
 * event before it remains, or after the window in progress when YIELD is set. NOW is then the
 * time every event before which is handled. PAUSE_AT Infinity: no pause (the command line).
 */
export const PAUSE_AT = 4;
export const NOW = 5;
const HEAD_F64 = 6;
export const W_NEXT = 0;
export const W_OUTMIN = 1;
export const W_EVENTS = 2;
const PER_WORKER = 3;

/** Largest batch one worker may send another in one window. */
export const MAILBOX_MAX_BYTES = 1 << 28;

export interface SharedLayout {
  control: SharedArrayBuffer;
  /** [(src * W + dst) * 2 + parity]; null where src = dst. */
  mailboxes: (SharedArrayBuffer | null)[];
  workers: number;
}

export function createShared(workers: number, end_us: number, lookahead_us: number): SharedLayout {
  const control = new SharedArrayBuffer(INT_SLOTS * 4 + (HEAD_F64 + PER_WORKER * workers) * 8);
  const mailboxes: (SharedArrayBuffer | null)[] = [];
  for (let s = 0; s < workers; s++) {
    for (let d = 0; d < workers; d++) {
      for (let p = 0; p < 2; p++) {
        mailboxes.push(s === d ? null : new SharedArrayBuffer(1 << 16, { maxByteLength: MAILBOX_MAX_BYTES }));
      }
    }
  }
  const v = new SharedView({ control, mailboxes, workers });
  v.f64[END] = end_us;
  v.f64[LOOKAHEAD] = lookahead_us;
  v.f64[PAUSE_AT] = Infinity;
  return { control, mailboxes, workers };
}

export class SharedView {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly workers: number;

  constructor(readonly layout: SharedLayout) {
    this.workers = layout.workers;
    this.i32 = new Int32Array(layout.control, 0, INT_SLOTS);
    this.f64 = new Float64Array(layout.control, INT_SLOTS * 4);
  }

  slot(worker: number, field: number): number {
    return HEAD_F64 + worker * PER_WORKER + field;
  }

  mailbox(src: number, dst: number, parity: number): SharedArrayBuffer {
    return this.layout.mailboxes[(src * this.workers + dst) * 2 + parity]!;
  }

  /** Writes a batch (or nothing) into a mailbox: a u32 length, then the bytes. */
  put(src: number, dst: number, parity: number, bytes: Uint8Array | null): void {
    const mb = this.mailbox(src, dst, parity);
    const n = bytes === null ? 0 : bytes.length;
    if (n + 4 > mb.byteLength) {
      if (n + 4 > MAILBOX_MAX_BYTES) {
        throw new Error(`a batch of ${n} bytes from worker ${src} to worker ${dst} exceeds the mailbox limit of ${MAILBOX_MAX_BYTES} bytes`);
      }
      let c = mb.byteLength;
      while (c < n + 4) c *= 2;
      mb.grow(Math.min(c, MAILBOX_MAX_BYTES));
    }
    new DataView(mb).setUint32(0, n, true);
    if (n > 0) new Uint8Array(mb, 4, n).set(bytes!);
  }

  /** The batch in a mailbox (a view into shared memory), or null. */
  get(src: number, dst: number, parity: number): Uint8Array | null {
    const mb = this.mailbox(src, dst, parity);
    const n = new DataView(mb).getUint32(0, true);
    return n === 0 ? null : new Uint8Array(mb, 4, n);
  }

  /**
   * The last worker to arrive at a barrier: sets up the next window, the stop or a pause from
   * every worker's published next event time and earliest outgoing event, then wakes the others.
   */
  advance(): void {
    Atomics.store(this.i32, ARRIVED, 0);
    this.plan(true);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
  }

  /**
   * Starts the workers' loop again after a pause (or the first time, after `init`): sets up the
   * next window, or returns false when the run is at its end or already at PAUSE_AT (nothing to
   * run then). YIELD is cleared, so a resumed run makes progress.
   */
  resume(first: boolean): boolean {
    if (first) Atomics.store(this.i32, GEN, 1); // init published window 0
    Atomics.store(this.i32, STOP, 0);
    Atomics.store(this.i32, YIELD, 0);
    return this.plan(false) === 0;
  }

  /** Window, stop or pause: returns the STOP value it set (0: a window). */
  private plan(afterWindow: boolean): number {
    const f = this.f64;
    let T = Infinity;
    for (let w = 0; w < this.workers; w++) {
      const next = f[this.slot(w, W_NEXT)];
      const out = f[this.slot(w, W_OUTMIN)];
      if (next < T) T = next;
      if (out < T) T = out;
    }
    const end = f[END];
    const pause = f[PAUSE_AT];
    let stop = 0;
    if (T >= end) stop = 1;
    else if (T >= pause) {
      f[NOW] = pause;
      stop = STOP_PAUSED;
    } else if (afterWindow && Atomics.load(this.i32, YIELD) !== 0) {
      f[NOW] = f[UNTIL];
      stop = STOP_PAUSED;
    } else {
      f[START] = T;
      f[UNTIL] = Math.min(T + f[LOOKAHEAD], end, pause);
    }
    if (stop !== 0) {
      Atomics.store(this.i32, STOP, stop);
      Atomics.notify(this.i32, STOP);
    }
    return stop;
  }

  /** Asks the workers to pause after the window in progress (the page: a frame's budget is spent). */
  requestPause(): void {
    Atomics.store(this.i32, YIELD, 1);
  }

  /** Ends every worker's loop after a failure (`worker` failed, or -1 for the main thread). */
  abort(worker: number): void {
    Atomics.compareExchange(this.i32, FAILED, 0, worker + 1);
    Atomics.store(this.i32, STOP, 2);
    Atomics.notify(this.i32, STOP);
    Atomics.add(this.i32, GEN, 1);
    Atomics.notify(this.i32, GEN);
  }
}
