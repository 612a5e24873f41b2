/**
 * Little-endian byte records: a growable Writer and a Reader over u8, u32, i32, f64, latin1
 * strings, byte strings and bulk typed arrays (a u32 element count, then the elements' bytes in
 * platform order, unpadded). Families build their wire codecs on these (sim/protocol/top/wire.ts);
 * the runner packs its batches and records with them.
 */
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('wire: typed arrays are copied in platform byte order, which must be little-endian');
}

/** A growable byte buffer (doubling growth). */
export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  private pos = 0;

  constructor(initialCapacity = 4096) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.dv = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Advances by `n` bytes, growing as needed; returns where they start. */
  private take(n: number): number {
    const at = this.pos;
    const end = at + n;
    if (end > this.buf.length) this.grow(end);
    this.pos = end;
    return at;
  }

  private grow(min: number): void {
    let c = this.buf.length * 2;
    while (c < min) c *= 2;
    const b = new Uint8Array(c);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }

  u8(x: number): void {
    const at = this.take(1);
    this.buf[at] = x;
  }
  u32(x: number): void {
    const at = this.take(4);
    this.dv.setUint32(at, x, true);
  }
  i32(x: number): void {
    const at = this.take(4);
    this.dv.setInt32(at, x, true);
  }
  f64(x: number): void {
    const at = this.take(8);
    this.dv.setFloat64(at, x, true);
  }

  /** A latin1 string (throws on a char above U+00FF). */
  str(s: string): void {
    const n = s.length;
    this.u32(n);
    const at = this.take(n);
    const b = this.buf;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) throw new RangeError(`Writer.str: char ${c} at ${i} is not latin1`);
      b[at + i] = c;
    }
  }

  /** Length-prefixed bytes. */
  bytes(u: Uint8Array): void {
    this.u32(u.length);
    const at = this.take(u.length);
    this.buf.set(u, at);
  }

  /** `n` bytes of `src` from `from`, without a length (the reader must know it). */
  raw(src: Uint8Array, from = 0, n = src.length - from): void {
    const at = this.take(n);
    const b = this.buf;
    if (n <= 64) for (let i = 0; i < n; i++) b[at + i] = src[from + i];
    else b.set(src.subarray(from, from + n), at);
  }

  private array(a: Int32Array | Uint32Array | Float64Array | Uint8Array): void {
    this.u32(a.length);
    const n = a.byteLength;
    const at = this.take(n);
    if (n > 0) this.buf.set(a instanceof Uint8Array ? a : new Uint8Array(a.buffer, a.byteOffset, n), at);
  }

  i32s(a: Int32Array): void {
    this.array(a);
  }
  u32s(a: Uint32Array): void {
    this.array(a);
  }
  f64s(a: Float64Array): void {
    this.array(a);
  }
  u8s(a: Uint8Array): void {
    this.array(a);
  }

  /** Overwrites the u32 at byte `at` (a length written after its record). */
  patchU32(at: number, x: number): void {
    this.dv.setUint32(at, x, true);
  }

  /** Drops everything after the first `length` bytes. */
  truncate(length: number): void {
    if (length < this.pos) this.pos = Math.max(0, length);
  }

  /** A compact copy of the bytes written: its `.buffer` is exactly that size (transferable). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** Empties the buffer, keeping its capacity. */
  reset(): void {
    this.pos = 0;
  }
}

const STR_CHUNK = 8192;

/** Reads what a Writer wrote, from the start of `u`. Out-of-range reads throw a RangeError. */
export class Reader {
  private readonly buf: Uint8Array;
  private readonly dv: DataView;
  /** The underlying buffer when it can be sliced into plain ArrayBuffers (not shared). */
  private readonly ab: ArrayBuffer | null;
  private pos = 0;

  constructor(u: Uint8Array) {
    this.buf = u;
    this.dv = new DataView(u.buffer, u.byteOffset, u.byteLength);
    this.ab = u.buffer instanceof ArrayBuffer ? u.buffer : null;
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.pos;
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private take(n: number): number {
    const at = this.pos;
    if (!(n >= 0 && at + n <= this.buf.length)) {
      throw new RangeError(`Reader: ${n} bytes wanted at ${at}, ${this.buf.length - at} left`);
    }
    this.pos = at + n;
    return at;
  }

  u8(): number {
    return this.buf[this.take(1)];
  }
  u32(): number {
    return this.dv.getUint32(this.take(4), true);
  }
  i32(): number {
    return this.dv.getInt32(this.take(4), true);
  }
  f64(): number {
    return this.dv.getFloat64(this.take(8), true);
  }

  str(): string {
    const n = this.u32();
    const at = this.take(n);
    if (n === 0) return '';
    const b = this.buf;
    if (n <= STR_CHUNK) return String.fromCharCode.apply(null, b.subarray(at, at + n) as unknown as number[]);
    let s = '';
    for (let i = 0; i < n; i += STR_CHUNK) {
      s += String.fromCharCode.apply(null, b.subarray(at + i, at + Math.min(n, i + STR_CHUNK)) as unknown as number[]);
    }
    return s;
  }

  /** Length-prefixed bytes, as a fresh array. */
  bytes(): Uint8Array {
    const n = this.u32();
    const at = this.take(n);
    return this.buf.slice(at, at + n);
  }

  /** A view (no copy) of the next `n` bytes; valid while the underlying buffer is unchanged. */
  view(n: number): Uint8Array {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  skip(n: number): void {
    this.take(n);
  }

  /** The next `n` bytes as a fresh ArrayBuffer of exactly that size. */
  private copy(n: number): ArrayBuffer {
    const at = this.take(n);
    if (this.ab) {
      const o = this.buf.byteOffset + at;
      return this.ab.slice(o, o + n);
    }
    return this.buf.slice(at, at + n).buffer;
  }

  i32s(): Int32Array {
    return new Int32Array(this.copy(this.u32() * 4));
  }
  u32s(): Uint32Array {
    return new Uint32Array(this.copy(this.u32() * 4));
  }
  f64s(): Float64Array {
    return new Float64Array(this.copy(this.u32() * 8));
  }
  u8s(): Uint8Array {
    return this.bytes();
  }
}
