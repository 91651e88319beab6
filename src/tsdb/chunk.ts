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
    return { chunk, reused: this.resetUnlessShared() };
  }

  /**
   * Copies the finished chunk's {@link byteLength} bytes into `dst` at `offset` and, unless a
   * snapshot still may read the buffer, empties the appender for the next chunk. Returns whether
   * it was reset (if not, it must not be used again). Read the chunk's time range and sample count
   * before calling.
   */
  finishInto(dst: Uint8Array, offset: number): boolean {
    dst.set(this.buf.subarray(0, this.byteLength), offset);
    return this.resetUnlessShared();
  }

  /**
   * Empties the appender so it encodes the next chunk in the same buffer, for a writer that has
   * copied {@link bytes} away and took no {@link snapshot}.
   */
  reset(): void {
    this.shared = false;
    this.resetUnlessShared();
  }

  private resetUnlessShared(): boolean {
    if (this.shared) return false;
    const size = this.byteLength;
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
    return true;
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
    if (this.pos + 160 > this.buf.length << 3) this.grow(160);
    if (n >= 2) {
      const td = t - this.t;
      const dod = td - this.tDelta;
      if (dod === 0) {
        if (hi === this.vHi && lo === this.vLo) {
          this.pos += 2;
        } else {
          this.pos++;
          this.writeValue(hi, lo);
        }
      } else {
        if (dod >= -8191 && dod <= 8192) {
          this.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
        } else if (dod >= -65535 && dod <= 65536) {
          this.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
        } else if (dod >= -524287 && dod <= 524288) {
          this.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
        } else {
          this.writeBits(0b1111, 4);
          this.writeBits(Math.floor(dod / 4294967296) >>> 0, 32);
          this.writeBits(dod >>> 0, 32);
        }
        this.writeValue(hi, lo);
      }
      this.tDelta = td;
    } else if (n === 0) {
      this.writeUvarint(t >= 0 ? t * 2 : -t * 2 - 1);
      this.writeBits(hi, 32);
      this.writeBits(lo, 32);
      this.first = t;
    } else {
      const td = t - this.t;
      this.writeUvarint(td);
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

  private grow(bits: number): void {
    const need = (this.pos + bits + 7) >>> 3;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.byteLength));
    this.buf = next;
  }

  private writeValue(hi: number, lo: number): void {
    const xh = (hi ^ this.vHi) >>> 0;
    const xl = (lo ^ this.vLo) >>> 0;
    if (xh === 0 && xl === 0) {
      this.pos++;
      return;
    }
    let leading = xh !== 0 ? Math.clz32(xh) : 32 + Math.clz32(xl);
    if (leading >= 32) leading = 31;
    const trailing = xl !== 0 ? ctz32(xl) : 32 + ctz32(xh);
    let lead = this.leading;
    let trail = this.trailing;
    let sig: number;
    if (lead !== 0xff && leading >= lead && trailing >= trail) {
      sig = 64 - lead - trail;
      if (sig <= 30) {
        this.writeBits(((0b10 << sig) | low(xh, xl, trail)) >>> 0, sig + 2);
        return;
      }
      this.writeBits(0b10, 2);
    } else {
      lead = leading;
      trail = trailing;
      this.leading = lead;
      this.trailing = trail;
      sig = 64 - lead - trail;
      this.writeBits((0b11 << 11) | (lead << 6) | (sig & 63), 13);
    }
    if (sig > 32) {
      this.writeBits(trail === 0 ? xh : xh >>> trail, sig - 32);
      this.writeBits(low(xh, xl, trail), 32);
    } else {
      this.writeBits(low(xh, xl, trail), sig);
    }
  }

  private writeUvarint(x: number): void {
    while (x >= 0x80) {
      this.writeBits((x % 0x80) | 0x80, 8);
      x = Math.floor(x / 0x80);
    }
    this.writeBits(x, 8);
  }

  /**
   * Writes the low `n` (1..32) bits of `value`, most significant first. Bits of `value` above
   * `n` must be zero. Bytes past the write position are still zero, so whole bytes are stored.
   */
  private writeBits(value: number, n: number): void {
    const buf = this.buf;
    const pos = this.pos;
    this.pos = pos + n;
    let i = pos >>> 3;
    const free = 8 - (pos & 7);
    if (n <= free) {
      buf[i]! |= value << (free - n);
      return;
    }
    n -= free;
    buf[i++]! |= value >>> n;
    while (n >= 8) {
      n -= 8;
      buf[i++] = value >>> n;
    }
    if (n > 0) buf[i] = value << (8 - n);
  }
}

/** The low 32 bits of the 64-bit XOR `xh:xl` shifted right by `trailing`. */
function low(xh: number, xl: number, trailing: number): number {
  if (trailing === 0) return xl;
  if (trailing < 32) return ((xl >>> trailing) | (xh << (32 - trailing))) >>> 0;
  return xh >>> (trailing - 32);
}

/** 32 bits of `buf` starting at bit `pos` as an int32 (bits past the end read as zero). */
function peek32(buf: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const s = pos & 7;
  if (i + 4 < buf.length) {
    const w = (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
    return s === 0 ? w : (w << s) | (buf[i + 4]! >>> (8 - s));
  }
  return peek32Tail(buf, i, s);
}

function peek32Tail(buf: Uint8Array, i: number, s: number): number {
  const len = buf.length;
  const b = (k: number) => (k < len ? buf[k]! : 0);
  const w = (b(i) << 24) | (b(i + 1) << 16) | (b(i + 2) << 8) | b(i + 3);
  return s === 0 ? w : (w << s) | (b(i + 4) >>> (8 - s));
}

/** The result of {@link readUvarintAt}: the value and the bit position after it. */
const vr = { x: 0, pos: 0 };

/** Reads an unsigned varint at the byte-aligned bit position `pos` into {@link vr}. */
function readUvarintAt(buf: Uint8Array, pos: number): void {
  const len = buf.length;
  let i = pos >>> 3;
  let x = 0;
  for (let shift = 0; shift < 28; shift += 7) {
    const b = i < len ? buf[i]! : 0;
    i++;
    x |= (b & 0x7f) << shift;
    if (b < 0x80) {
      vr.x = x;
      vr.pos = i << 3;
      return;
    }
  }
  let mul = 0x10000000;
  for (let k = 4; k < 10; k++) {
    const b = i < len ? buf[i]! : 0;
    i++;
    x += (b & 0x7f) * mul;
    if (b < 0x80) {
      vr.x = x;
      vr.pos = i << 3;
      return;
    }
    mul *= 0x80;
  }
  throw new CorruptChunkError("varint too long in chunk");
}

let out32Buffer: ArrayBufferLike | null = null;
let out32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

/**
 * Decodes a chunk's samples with timestamps in [mint, maxt] into `ts` and `vs` from index
 * `offset` on, and returns how many it wrote. Values are written as raw bits, so NaN payloads
 * (the stale marker) survive. The arrays must have room for `chunk.numSamples` samples from
 * `offset`. One call decodes a whole chunk without allocating; decoding stops at the first sample
 * after `maxt`. Throws {@link CorruptChunkError} when the data ends early.
 * @example
 * const n = decodeInto(chunk, ts, vs, 0);
 */
export function decodeInto(
  chunk: { readonly bytes: Uint8Array; readonly numSamples: number },
  ts: Float64Array,
  vs: Float64Array,
  offset = 0,
  mint = Number.NEGATIVE_INFINITY,
  maxt = Number.POSITIVE_INFINITY,
): number {
  const total = chunk.numSamples;
  if (total === 0) return 0;
  if (offset < 0 || offset + total > ts.length || offset + total > vs.length) {
    throw new RangeError(`decodeInto: no room for ${total} samples at offset ${offset}`);
  }
  const buf = chunk.bytes;
  const bitLen = buf.length << 3;
  if (vs.buffer !== out32Buffer) {
    out32Buffer = vs.buffer;
    out32 = new Uint32Array(vs.buffer, 0, vs.buffer.byteLength >>> 2);
  }
  const o32 = out32;
  const vBase = vs.byteOffset >>> 2;
  readUvarintAt(buf, 16);
  const z = vr.x;
  let t = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  let pos = vr.pos;
  let vHi = peek32(buf, pos);
  let vLo = peek32(buf, pos + 32);
  pos += 64;
  if (pos > bitLen) throw new CorruptChunkError(`chunk data ends before sample 1 of ${total}`);
  let k = offset;
  if (t > maxt) return 0;
  if (t >= mint) {
    ts[k] = t;
    o32[vBase + 2 * k] = vLo;
    o32[vBase + 2 * k + 1] = vHi;
    k++;
  }
  let tDelta = 0;
  let leading = 0;
  let trailing = 0;
  for (let read = 1; read < total; read++) {
    let w: number;
    let avail = 32;
    if (read === 1) {
      readUvarintAt(buf, pos);
      tDelta = vr.x;
      pos = vr.pos;
      w = peek32(buf, pos);
    } else {
      w = peek32(buf, pos);
      if (w >>> 30 === 0) {
        // dod 0 and the value unchanged: the common case of a regular scrape of a constant.
        pos += 2;
        t += tDelta;
        if (pos > bitLen)
          throw new CorruptChunkError(`chunk data ends before sample ${read + 1} of ${total}`);
        if (t > maxt) return k - offset;
        if (t >= mint) {
          ts[k] = t;
          o32[vBase + 2 * k] = vLo;
          o32[vBase + 2 * k + 1] = vHi;
          k++;
        }
        continue;
      }
      if (w >>> 31 === 0) {
        pos += 1;
        w <<= 1;
        avail = 31;
      } else {
        let dod: number;
        if (w >>> 30 === 2) {
          dod = (w >>> 16) & 0x3fff;
          if (dod > 8192) dod -= 16384;
          pos += 16;
        } else if (w >>> 29 === 6) {
          dod = (w >>> 12) & 0x1ffff;
          if (dod > 65536) dod -= 131072;
          pos += 20;
        } else if (w >>> 28 === 14) {
          dod = (w >>> 8) & 0xfffff;
          if (dod > 524288) dod -= 1048576;
          pos += 24;
        } else {
          dod = peek32(buf, pos + 4) * 4294967296 + (peek32(buf, pos + 36) >>> 0);
          pos += 68;
        }
        tDelta += dod;
        w = peek32(buf, pos);
      }
    }
    t += tDelta;
    if (w >>> 31 === 0) {
      pos += 1;
    } else {
      let sig: number;
      let h = 0;
      let l = 0;
      if (w >>> 30 === 2) {
        sig = 64 - leading - trailing;
        pos += 2;
        if (sig + 2 <= avail) {
          l = (w << 2) >>> (32 - sig);
          pos += sig;
          sig = 0;
        }
      } else {
        leading = (w >>> 25) & 31;
        sig = (w >>> 19) & 63;
        if (sig === 0) sig = 64;
        trailing = 64 - leading - sig;
        pos += 13;
      }
      if (sig > 32) {
        h = peek32(buf, pos) >>> (64 - sig);
        pos += sig - 32;
        l = peek32(buf, pos);
        pos += 32;
      } else if (sig > 0) {
        l = peek32(buf, pos) >>> (32 - sig);
        pos += sig;
      }
      if (trailing === 0) {
        vHi ^= h;
        vLo ^= l;
      } else if (trailing < 32) {
        vHi ^= (h << trailing) | (l >>> (32 - trailing));
        vLo ^= l << trailing;
      } else {
        vHi ^= trailing === 32 ? l : l << (trailing - 32);
      }
    }
    if (pos > bitLen) throw new CorruptChunkError(`chunk data ends before sample ${read + 1} of ${total}`);
    if (t > maxt) return k - offset;
    if (t >= mint) {
      ts[k] = t;
      o32[vBase + 2 * k] = vLo;
      o32[vBase + 2 * k + 1] = vHi;
      k++;
    }
  }
  return k - offset;
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
    const buf = this.buf;
    let pos = this.pos;
    let w: number;
    if (read === 0) {
      readUvarintAt(buf, pos);
      const z = vr.x;
      this.t = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      pos = vr.pos;
      this.vHi = peek32(buf, pos) >>> 0;
      this.vLo = peek32(buf, pos + 32) >>> 0;
      this.pos = pos + 64;
      return this.finishSample(read);
    }
    if (read === 1) {
      readUvarintAt(buf, pos);
      this.tDelta = vr.x;
      pos = vr.pos;
    } else {
      w = peek32(buf, pos);
      if (w >>> 30 === 0) {
        this.pos = pos + 2;
        this.t += this.tDelta;
        return this.finishSample(read);
      }
      if (w >>> 31 === 0) {
        pos += 1;
      } else {
        let dod: number;
        if (w >>> 30 === 2) {
          dod = (w >>> 16) & 0x3fff;
          if (dod > 8192) dod -= 16384;
          pos += 16;
        } else if (w >>> 29 === 6) {
          dod = (w >>> 12) & 0x1ffff;
          if (dod > 65536) dod -= 131072;
          pos += 20;
        } else if (w >>> 28 === 14) {
          dod = (w >>> 8) & 0xfffff;
          if (dod > 524288) dod -= 1048576;
          pos += 24;
        } else {
          dod = peek32(buf, pos + 4) * 4294967296 + (peek32(buf, pos + 36) >>> 0);
          pos += 68;
        }
        this.tDelta += dod;
      }
    }
    this.t += this.tDelta;
    w = peek32(buf, pos);
    if (w >>> 31 === 0) {
      this.pos = pos + 1;
      return this.finishSample(read);
    }
    let sig: number;
    let h = 0;
    let l: number;
    if (w >>> 30 === 2) {
      sig = 64 - this.leading - this.trailing;
      pos += 2;
    } else {
      const leading = (w >>> 25) & 31;
      sig = (w >>> 19) & 63;
      if (sig === 0) sig = 64;
      this.leading = leading;
      this.trailing = 64 - leading - sig;
      pos += 13;
    }
    if (sig > 32) {
      h = peek32(buf, pos) >>> (64 - sig);
      pos += sig - 32;
      l = peek32(buf, pos) >>> 0;
      pos += 32;
    } else {
      l = peek32(buf, pos) >>> (32 - sig);
      pos += sig;
    }
    const trailing = this.trailing;
    if (trailing === 0) {
      this.vHi = (this.vHi ^ h) >>> 0;
      this.vLo = (this.vLo ^ l) >>> 0;
    } else if (trailing < 32) {
      this.vHi = (this.vHi ^ ((h << trailing) | (l >>> (32 - trailing)))) >>> 0;
      this.vLo = (this.vLo ^ (l << trailing)) >>> 0;
    } else {
      this.vHi = (this.vHi ^ (trailing === 32 ? l : l << (trailing - 32))) >>> 0;
    }
    this.pos = pos;
    return this.finishSample(read);
  }

  private finishSample(read: number): boolean {
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
}
