import type { SampleIterator } from "../storage/index.js";

/**
 * XOR ("Gorilla") chunks, bit-compatible with Prometheus's chunkenc XOR encoding: a 2-byte
 * big-endian sample count, then a bit stream of timestamps (varint, uvarint delta, then
 * delta-of-delta buckets) and values (XOR against the previous value with a leading/trailing-zero
 * window). FORMAT.md describes the layout in prose.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The most samples one chunk can hold (the header is a 16-bit count). */
export const MAX_CHUNK_SAMPLES = 0xffff;

/** Thrown when chunk bytes do not decode (truncated or corrupt stream). */
export class CorruptChunkError extends Error {
  override name = "CorruptChunkError";
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * A finished (or snapshotted) chunk: its encoded bytes, how many samples of them to read, and the
 * first and last timestamps. Immutable; the bytes must not be modified while iterators read them.
 */
export class XORChunk {
  constructor(
    /** The encoded bytes, header included. */
    readonly bytes: Uint8Array,
    /** The number of samples to read (may be less than the header's count for a snapshot). */
    readonly numSamples: number,
    /** Timestamp of the first sample. */
    readonly minT: number,
    /** Timestamp of the last sample. */
    readonly maxT: number,
  ) {}

  /** Builds a chunk view from encoded bytes, reading the count and time range from the data. */
  static fromBytes(bytes: Uint8Array): XORChunk {
    if (bytes.length < 2) throw new CorruptChunkError("chunk shorter than its 2-byte header");
    const n = (bytes[0]! << 8) | bytes[1]!;
    if (n === 0) return new XORChunk(bytes, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY);
    const it = new XORIterator(bytes, n);
    it.next();
    const minT = it.t;
    while (it.next()) {}
    return new XORChunk(bytes, n, minT, it.t);
  }

  /** A new iterator over the chunk's samples. */
  iterator(): XORIterator {
    return new XORIterator(this.bytes, this.numSamples);
  }
}

/**
 * Appends samples to a chunk. Timestamps must strictly increase. The buffer grows geometrically;
 * {@link XORAppender.finish} returns a trimmed copy. Bytes handed out by {@link XORAppender.bytes}
 * stay valid for the samples they held: later appends only set bits beyond them or move to a new
 * buffer, so a snapshot (bytes + count) taken at any moment keeps decoding the same samples.
 * @example
 * const app = new XORAppender();
 * app.append(1000, 1.5);
 * const chunk = app.finish();
 */
export class XORAppender {
  private buf: Uint8Array;
  private pos = 16;
  private n = 0;
  private t = 0;
  private tDelta = 0;
  private vHi = 0;
  private vLo = 0;
  private leading = 0xff;
  private trailing = 0;
  private first = 0;
  private shared = false;

  constructor(initialBytes = 32) {
    this.buf = new Uint8Array(Math.max(initialBytes, 4));
  }

  /**
   * An appender that continues an existing chunk (a copy of its bytes); the decoder's end state
   * becomes the encoder's state, as in Prometheus.
   */
  static resume(bytes: Uint8Array): XORAppender {
    const app = new XORAppender(bytes.length + 16);
    app.buf.set(bytes);
    const n = bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : 0;
    if (n === 0) return app;
    const it = new XORIterator(bytes, n);
    it.next();
    app.first = it.t;
    while (it.next()) {}
    app.n = n;
    app.t = it.t;
    app.tDelta = it.tDeltaState;
    app.vHi = it.vHiState;
    app.vLo = it.vLoState;
    app.leading = it.leadingState;
    app.trailing = it.trailingState;
    app.pos = it.bitPosition + 16;
    return app;
  }

  /** Samples appended so far. */
  get numSamples(): number {
    return this.n;
  }

  /** Timestamp of the first sample (meaningless while empty). */
  get minT(): number {
    return this.first;
  }

  /** Timestamp of the last sample (meaningless while empty). */
  get maxT(): number {
    return this.t;
  }

  /** Bytes used so far (header included). */
  get byteLength(): number {
    return (this.pos + 7) >>> 3;
  }

  /** Bytes allocated, used or not. */
  get capacity(): number {
    return this.buf.length;
  }

  /** True when `v` has exactly the bit pattern of the last appended value. */
  lastValueIs(v: number): boolean {
    f64[0] = v;
    return u32[1] === this.vHi && u32[0] === this.vLo;
  }

  /** The current buffer (header included, possibly longer than used). Valid as a snapshot. */
  bytes(): Uint8Array {
    return this.buf;
  }

  /** A view of the samples appended so far that later appends do not disturb. */
  snapshot(): XORChunk {
    this.shared = true;
    return new XORChunk(this.buf, this.n, this.first, this.t);
  }

  /**
   * Copies the finished chunk into memory from `alloc` and, unless a snapshot still may read the
   * buffer, empties the appender so it can encode the next chunk in the same buffer. Returns the
   * chunk and whether the appender was reset (if not, it must not be used again).
   */
  finishAndReset(alloc: (size: number) => Uint8Array): { chunk: XORChunk; reused: boolean } {
    const size = this.byteLength;
    const bytes = alloc(size);
    bytes.set(this.buf.subarray(0, size));
    const chunk = new XORChunk(bytes, this.n, this.first, this.t);
    if (this.shared) return { chunk, reused: false };
    this.buf.fill(0, 0, size);
    this.pos = 16;
    this.n = 0;
    this.t = 0;
    this.tDelta = 0;
    this.vHi = 0;
    this.vLo = 0;
    this.leading = 0xff;
    this.trailing = 0;
    this.first = 0;
    return { chunk, reused: true };
  }

  /**
   * Finishes the chunk: returns its bytes, trimmed, as an immutable chunk. `alloc` supplies the
   * memory for the trimmed copy (default: a new Uint8Array); no copy is made when the buffer has
   * little slack. The appender must not be used afterwards.
   */
  finish(alloc?: (size: number) => Uint8Array): XORChunk {
    const size = this.byteLength;
    let bytes: Uint8Array;
    if (this.buf.length - size <= 16) {
      bytes = this.buf.subarray(0, size);
    } else {
      bytes = alloc === undefined ? new Uint8Array(size) : alloc(size);
      bytes.set(this.buf.subarray(0, size));
    }
    return new XORChunk(bytes, this.n, this.first, this.t);
  }

  /** Appends a sample; `t` must be greater than the previous timestamp (integer milliseconds). */
  append(t: number, v: number): void {
    const n = this.n;
    if (n >= MAX_CHUNK_SAMPLES) throw new RangeError("chunk is full");
    if (n > 0 && !(t > this.t)) {
      throw new RangeError(`chunk timestamps must increase: ${t} after ${this.t}`);
    }
    f64[0] = v;
    const hi = u32[1]!;
    const lo = u32[0]!;
    this.ensure(160);
    if (n === 0) {
      this.writeUvarint(t >= 0 ? t * 2 : -t * 2 - 1);
      this.writeBits(hi, 32);
      this.writeBits(lo, 32);
      this.first = t;
    } else if (n === 1) {
      const td = t - this.t;
      this.writeUvarint(td);
      this.writeValue(hi, lo);
      this.tDelta = td;
    } else {
      const td = t - this.t;
      const dod = td - this.tDelta;
      if (dod === 0) {
        this.writeBit0();
      } else if (dod >= -8191 && dod <= 8192) {
        this.writeBits(0b10, 2);
        this.writeBits(dod & 0x3fff, 14);
      } else if (dod >= -65535 && dod <= 65536) {
        this.writeBits(0b110, 3);
        this.writeBits(dod & 0x1ffff, 17);
      } else if (dod >= -524287 && dod <= 524288) {
        this.writeBits(0b1110, 4);
        this.writeBits(dod & 0xfffff, 20);
      } else {
        this.writeBits(0b1111, 4);
        this.writeBits(Math.floor(dod / 4294967296) >>> 0, 32);
        this.writeBits(dod >>> 0, 32);
      }
      this.writeValue(hi, lo);
      this.tDelta = td;
    }
    this.t = t;
    this.vHi = hi;
    this.vLo = lo;
    this.n = n + 1;
    this.buf[0] = (n + 1) >>> 8;
    this.buf[1] = (n + 1) & 0xff;
  }

  private ensure(bits: number): void {
    const need = (this.pos + bits + 7) >>> 3;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.byteLength));
    this.buf = next;
  }

  private writeValue(hi: number, lo: number): void {
    const xh = (hi ^ this.vHi) >>> 0;
    const xl = (lo ^ this.vLo) >>> 0;
    if (xh === 0 && xl === 0) {
      this.writeBit0();
      return;
    }
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    if (leading >= 32) leading = 31;
    const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      this.writeBits(0b10, 2);
      this.writeWindow(xh, xl, this.leading, this.trailing);
    } else {
      this.leading = leading;
      this.trailing = trailing;
      this.writeBits(0b11, 2);
      this.writeBits(leading, 5);
      this.writeBits((64 - leading - trailing) & 63, 6);
      this.writeWindow(xh, xl, leading, trailing);
    }
  }

  private writeWindow(xh: number, xl: number, leading: number, trailing: number): void {
    const sig = 64 - leading - trailing;
    let h: number;
    let l: number;
    if (trailing === 0) {
      h = xh;
      l = xl;
    } else if (trailing < 32) {
      l = ((xl >>> trailing) | (xh << (32 - trailing))) >>> 0;
      h = xh >>> trailing;
    } else {
      l = xh >>> (trailing - 32);
      h = 0;
    }
    if (sig > 32) {
      this.writeBits(h, sig - 32);
      this.writeBits(l, 32);
    } else {
      this.writeBits(l, sig);
    }
  }

  private writeUvarint(x: number): void {
    while (x >= 0x80) {
      this.writeBits((x % 0x80) | 0x80, 8);
      x = Math.floor(x / 0x80);
    }
    this.writeBits(x, 8);
  }

  private writeBit0(): void {
    this.pos++;
  }

  /** Writes the low `n` (1..32) bits of `value`, most significant first. */
  private writeBits(value: number, n: number): void {
    const buf = this.buf;
    let pos = this.pos;
    while (n > 0) {
      const free = 8 - (pos & 7);
      const take = Math.min(n, free);
      n -= take;
      buf[pos >>> 3]! |= ((value >>> n) & ((1 << take) - 1)) << (free - take);
      pos += take;
    }
    this.pos = pos;
  }
}

/**
 * Iterates an XOR chunk's samples without allocating. `reset` points it at other bytes so one
 * iterator can walk many chunks.
 */
export class XORIterator implements SampleIterator {
  /** Timestamp of the current sample. */
  t = 0;
  /** Value of the current sample (bit-exact, stale NaN included). */
  v = 0;
  private buf: Uint8Array;
  private pos = 16;
  private total: number;
  private read = 0;
  private done = false;
  private tDelta = 0;
  private vHi = 0;
  private vLo = 0;
  private leading = 0xff;
  private trailing = 0;

  constructor(bytes: Uint8Array = new Uint8Array(2), numSamples?: number) {
    this.buf = bytes;
    this.total = numSamples ?? (bytes.length >= 2 ? (bytes[0]! << 8) | bytes[1]! : 0);
  }

  /** Points the iterator at a chunk (or bytes + sample count) and rewinds it. */
  reset(bytes: Uint8Array, numSamples: number): void {
    this.buf = bytes;
    this.total = numSamples;
    this.pos = 16;
    this.read = 0;
    this.done = false;
    this.tDelta = 0;
    this.vHi = 0;
    this.vLo = 0;
    this.leading = 0xff;
    this.trailing = 0;
  }

  /** Bits consumed after the header (used to resume appending). */
  get bitPosition(): number {
    return this.pos - 16;
  }
  /** Decoder state for {@link XORAppender.resume}. */
  get tDeltaState(): number {
    return this.tDelta;
  }
  /** Decoder state for {@link XORAppender.resume}. */
  get vHiState(): number {
    return this.vHi;
  }
  /** Decoder state for {@link XORAppender.resume}. */
  get vLoState(): number {
    return this.vLo;
  }
  /** Decoder state for {@link XORAppender.resume}. */
  get leadingState(): number {
    return this.leading;
  }
  /** Decoder state for {@link XORAppender.resume}. */
  get trailingState(): number {
    return this.trailing;
  }

  /** Advances to the next sample; false when the chunk is exhausted. */
  next(): boolean {
    if (this.done) return false;
    const read = this.read;
    if (read >= this.total) {
      this.done = true;
      return false;
    }
    if (read === 0) {
      const z = this.readUvarint();
      this.t = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      this.vHi = this.readBits(32);
      this.vLo = this.readBits(32);
    } else if (read === 1) {
      this.tDelta = this.readUvarint();
      this.t += this.tDelta;
      this.readValue();
    } else {
      let ones = 0;
      while (ones < 4 && this.readBit() === 1) ones++;
      let dod = 0;
      switch (ones) {
        case 0:
          break;
        case 1:
          dod = this.readBits(14);
          if (dod > 8192) dod -= 16384;
          break;
        case 2:
          dod = this.readBits(17);
          if (dod > 65536) dod -= 131072;
          break;
        case 3:
          dod = this.readBits(20);
          if (dod > 524288) dod -= 1048576;
          break;
        default:
          dod = (this.readBits(32) | 0) * 4294967296 + this.readBits(32);
      }
      this.tDelta += dod;
      this.t += this.tDelta;
      this.readValue();
    }
    if (this.pos > this.buf.length * 8) {
      this.done = true;
      throw new CorruptChunkError(`chunk data ends before sample ${read + 1} of ${this.total}`);
    }
    this.read = read + 1;
    u32[1] = this.vHi;
    u32[0] = this.vLo;
    this.v = f64[0]!;
    return true;
  }

  /** Advances to the first sample with timestamp >= t; never moves backwards. */
  seek(t: number): boolean {
    if (this.done) return false;
    while (this.read === 0 || this.t < t) {
      if (!this.next()) return false;
    }
    return true;
  }

  private readValue(): void {
    if (this.readBit() === 0) return;
    if (this.readBit() !== 0) {
      this.leading = this.readBits(5);
      let sig = this.readBits(6);
      if (sig === 0) sig = 64;
      this.trailing = 64 - this.leading - sig;
    }
    const trailing = this.trailing;
    const sig = 64 - this.leading - trailing;
    let h = 0;
    let l: number;
    if (sig > 32) {
      h = this.readBits(sig - 32);
      l = this.readBits(32);
    } else {
      l = this.readBits(sig);
    }
    if (trailing === 0) {
      this.vHi = (this.vHi ^ h) >>> 0;
      this.vLo = (this.vLo ^ l) >>> 0;
    } else if (trailing < 32) {
      this.vHi = (this.vHi ^ ((h << trailing) | (l >>> (32 - trailing)))) >>> 0;
      this.vLo = (this.vLo ^ (l << trailing)) >>> 0;
    } else {
      this.vHi = (this.vHi ^ (trailing === 32 ? l : l << (trailing - 32))) >>> 0;
    }
  }

  private readUvarint(): number {
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.readBits(8);
      x += (b & 0x7f) * mul;
      if (b < 0x80) return x;
      mul *= 0x80;
    }
    throw new CorruptChunkError("varint too long in chunk");
  }

  private readBit(): number {
    const pos = this.pos;
    this.pos = pos + 1;
    return (this.buf[pos >>> 3]! >>> (7 - (pos & 7))) & 1;
  }

  /** Reads `n` (1..32) bits as an unsigned integer. */
  private readBits(n: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let out = 0;
    while (n > 0) {
      const avail = 8 - (pos & 7);
      const take = Math.min(n, avail);
      n -= take;
      out = (out << take) | (((buf[pos >>> 3] ?? 0) >>> (avail - take)) & ((1 << take) - 1));
      pos += take;
    }
    this.pos = pos;
    return out >>> 0;
  }
}
