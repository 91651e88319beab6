import { XORAppender, XORChunk, XORIterator } from "../chunk.js";
import { type ByteWriter, CorruptBlockError } from "./encoding.js";

const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Encodes samples as a decimal chunk when every value is exactly an integer m / 10^k (k ≤ 9,
 * |m| ≤ 2^53, no -0): timestamps as an XOR chunk whose values are all 0 (so they cost the
 * delta-of-delta bits plus one bit each), then k and the values' integer deltas as zig-zag varints.
 * Returns null when the values are not such decimals.
 */
export function encodeDecimal(
  ts: Float64Array,
  vs: Float64Array,
  start: number,
  end: number,
  w: ByteWriter,
): boolean {
  let k = 0;
  for (let i = start; i < end; i++) {
    const v = vs[i]!;
    if (!Number.isFinite(v) || Object.is(v, -0)) return false;
    while (k < POW10.length) {
      const p = POW10[k]!;
      const m = Math.round(v * p);
      if (Number.isSafeInteger(m) && m / p === v) break;
      k++;
    }
    if (k === POW10.length) return false;
  }
  const p = POW10[k]!;
  const app = new XORAppender(16 + ((end - start) >> 2));
  for (let i = start; i < end; i++) app.append(ts[i]!, 0);
  const tsBytes = app.finish().bytes;
  w.clear();
  w.uvarint(tsBytes.length);
  w.raw(tsBytes);
  w.u8(k);
  let prev = 0;
  for (let i = start; i < end; i++) {
    const m = Math.round(vs[i]! * p);
    w.varint(m - prev);
    prev = m;
  }
  return true;
}

/** A decimal chunk held in memory (its `bytes` are the decimal encoding, not XOR). */
export class DecimalChunk extends XORChunk {}

/** Iterates a decimal chunk written by {@link encodeDecimal}. */
export class DecimalIterator {
  t = 0;
  v = 0;
  private readonly ts = new XORIterator();
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private p = 1;
  private m = 0;
  private started = false;

  /** Points the iterator at a decimal chunk's data holding `n` samples. */
  reset(data: Uint8Array, n: number): void {
    let len = 0;
    let mul = 1;
    let i = 0;
    for (;;) {
      const c = data[i++];
      if (c === undefined) throw new CorruptBlockError("decimal chunk: truncated header");
      len += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 0x80;
    }
    if (i + len + 1 > data.length) throw new CorruptBlockError("decimal chunk: timestamps run past the end");
    this.ts.reset(data.subarray(i, i + len), n);
    const k = data[i + len]!;
    if (k >= POW10.length) throw new CorruptBlockError(`decimal chunk: bad exponent ${k}`);
    this.p = POW10[k]!;
    this.buf = data;
    this.pos = i + len + 1;
    this.m = 0;
    this.started = false;
  }

  next(): boolean {
    if (!this.ts.next()) return false;
    const b = this.buf;
    let z = 0;
    let mul = 1;
    for (;;) {
      const c = b[this.pos++];
      if (c === undefined) throw new CorruptBlockError("decimal chunk: values end early");
      z += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 0x80;
    }
    this.m += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    this.t = this.ts.t;
    this.v = this.m / this.p;
    this.started = true;
    return true;
  }

  seek(t: number): boolean {
    while (!this.started || this.t < t) if (!this.next()) return false;
    return true;
  }
}
