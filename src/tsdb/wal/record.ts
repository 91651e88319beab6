import { open } from "node:fs/promises";
import { endianness } from "node:os";
import type { Label, MetricMetadata, MetricType } from "../../model/index.js";
import type { WALSamples, WALSeries } from "../head.js";
import { crc32 } from "./crc32.js";

if (endianness() !== "LE")
  throw new Error("tsdb/wal: the WAL format stores float64 values little-endian only");

/** Record types of the WAL (FORMAT.md, "Write-ahead log"). */
export const RecordType = {
  /** Series: refs and label sets of series first referenced by a batch. */
  Series: 1,
  /** Samples: one batch's samples (refs, timestamps, raw float64 values). */
  Samples: 2,
  /** Metadata: metric families' type, unit and help. */
  Metadata: 3,
} as const;

/** Bytes before each record's payload: type (1), payload length (4), CRC-32 (4). */
export const RECORD_HEADER_SIZE = 9;

/** Largest payload a record may carry (the length field is 32 bits; we stay far below). */
export const MAX_RECORD_PAYLOAD = 1 << 30;

/** A metadata entry as logged: the metric family name and its metadata. */
export type WALMetadata = readonly [name: string, meta: MetricMetadata];

/** A record payload could not be decoded although its checksum matched. */
export class CorruptRecordError extends Error {
  override name = "CorruptRecordError";
}

/**
 * A growable byte buffer that records are encoded into; one is reused for every batch, so encoding
 * allocates nothing once it has grown to the batch size.
 */
export class RecordBuffer {
  /** The bytes; valid in `[0, length)`. */
  buf: Buffer;
  /** Bytes written so far. */
  length = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Makes the buffer at least `size` bytes long, keeping its contents. */
  reserve(size: number): void {
    if (size <= this.buf.length) return;
    let next = this.buf.length * 2;
    while (next < size) next *= 2;
    const grown = Buffer.allocUnsafe(next);
    this.buf.copy(grown);
    this.buf = grown;
  }

  /** Forgets the contents; gives back memory after an unusually large batch. */
  reset(): void {
    this.length = 0;
    if (this.buf.length > 16 << 20) this.buf = Buffer.allocUnsafe(64 * 1024);
  }
}

function putUvarint(b: Uint8Array, off: number, x: number): number {
  while (x > 0x7fffffff) {
    b[off++] = (x & 0x7f) | 0x80;
    x = Math.floor(x / 128);
  }
  while (x >= 0x80) {
    b[off++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  b[off++] = x;
  return off;
}

function startRecord(rb: RecordBuffer, type: number, maxPayload: number): number {
  rb.reserve(rb.length + RECORD_HEADER_SIZE + maxPayload);
  const start = rb.length;
  rb.buf[start] = type;
  return start;
}

function finishRecord(rb: RecordBuffer, start: number, end: number): void {
  const b = rb.buf;
  const len = end - start - RECORD_HEADER_SIZE;
  if (len > MAX_RECORD_PAYLOAD) throw new RangeError(`WAL record of ${len} bytes is too large`);
  b.writeUInt32BE(len, start + 1);
  const crc = crc32(b.subarray(start + RECORD_HEADER_SIZE, end), crc32(b.subarray(start, start + 5)));
  b.writeUInt32BE(crc, start + 5);
  rb.length = end;
}

function putString(rb: RecordBuffer, off: number, s: string): number {
  const n = Buffer.byteLength(s);
  rb.reserve(off + 5 + n);
  off = putUvarint(rb.buf, off, n);
  return off + rb.buf.write(s, off, n, "utf8");
}

/**
 * Appends a series record (header and payload) to `rb`: for each series its ref and its labels.
 */
export function encodeSeries(rb: RecordBuffer, series: readonly WALSeries[]): void {
  const start = startRecord(rb, RecordType.Series, 16);
  let off = putUvarint(rb.buf, start + RECORD_HEADER_SIZE, series.length);
  for (const s of series) {
    rb.reserve(off + 20);
    off = putUvarint(rb.buf, off, s.ref);
    off = putUvarint(rb.buf, off, s.labels.length);
    for (const l of s.labels) {
      off = putString(rb, off, l.name);
      off = putString(rb, off, l.value);
    }
  }
  finishRecord(rb, start, off);
}

/**
 * Appends a samples record to `rb`: the count, the smallest ref and timestamp, the values as raw
 * float64 bits (little-endian, copied byte for byte so NaN payloads survive), then each ref and
 * timestamp as an unsigned varint delta from the smallest. Throws a RangeError for a timestamp that
 * is not a safe integer.
 */
export function encodeSamples(rb: RecordBuffer, samples: WALSamples): void {
  const { refs, ts, vs } = samples;
  const n = refs.length;
  const start = startRecord(rb, RecordType.Samples, 5 + 12 + n * 23);
  let minRef = 0xffffffff;
  let minT = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const r = refs[i]!;
    const t = ts[i]!;
    if (r < minRef) minRef = r;
    if (t < minT) minT = t;
    if (!Number.isSafeInteger(t)) throw new RangeError(`WAL: sample timestamp ${t} is not an integer`);
  }
  if (n === 0) {
    minRef = 0;
    minT = 0;
  }
  const b = rb.buf;
  let off = putUvarint(b, start + RECORD_HEADER_SIZE, n);
  b.writeUInt32LE(minRef, off);
  b.writeDoubleLE(minT, off + 4);
  off += 12;
  b.set(new Uint8Array(vs.buffer, vs.byteOffset, n * 8), off);
  off += n * 8;
  for (let i = 0; i < n; i++) off = putUvarint(b, off, refs[i]! - minRef);
  for (let i = 0; i < n; i++) {
    const d = ts[i]! - minT;
    if (d > Number.MAX_SAFE_INTEGER)
      throw new RangeError("WAL: sample timestamps of one batch too far apart");
    off = putUvarint(b, off, d);
  }
  finishRecord(rb, start, off);
}

/** Appends a metadata record to `rb`: per entry the metric name, type, unit and help. */
export function encodeMetadata(rb: RecordBuffer, entries: readonly WALMetadata[]): void {
  const start = startRecord(rb, RecordType.Metadata, 16);
  let off = putUvarint(rb.buf, start + RECORD_HEADER_SIZE, entries.length);
  for (const [name, m] of entries) {
    off = putString(rb, off, name);
    off = putString(rb, off, m.type);
    off = putString(rb, off, m.unit);
    off = putString(rb, off, m.help);
  }
  finishRecord(rb, start, off);
}

/** Reads varints and strings from a payload, failing with {@link CorruptRecordError} past its end. */
class PayloadReader {
  off: number;
  constructor(
    readonly b: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.off = start;
  }

  uvarint(): number {
    const b = this.b;
    let off = this.off;
    let x = 0;
    let mul = 1;
    for (;;) {
      if (off >= this.end) throw new CorruptRecordError("varint runs past the end of the record");
      const c = b[off++]!;
      x += (c & 0x7f) * mul;
      if (c < 0x80) break;
      mul *= 128;
      if (mul > 2 ** 56) throw new CorruptRecordError("varint too long");
    }
    this.off = off;
    return x;
  }

  string(): string {
    const n = this.uvarint();
    const off = this.off;
    if (off + n > this.end) throw new CorruptRecordError("string runs past the end of the record");
    this.off = off + n;
    return this.b.toString("utf8", off, off + n);
  }
}

/** Decodes a series record's payload `b[start, end)`. */
export function decodeSeries(b: Buffer, start: number, end: number): WALSeries[] {
  const r = new PayloadReader(b, start, end);
  const count = r.uvarint();
  if (count > end - start) throw new CorruptRecordError(`series count ${count} larger than the record`);
  const out: WALSeries[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const ref = r.uvarint();
    const nl = r.uvarint();
    if (nl > end - r.off) throw new CorruptRecordError(`label count ${nl} larger than the record`);
    const labels: Label[] = new Array(nl);
    for (let j = 0; j < nl; j++) labels[j] = { name: r.string(), value: r.string() };
    out[i] = { ref, labels };
  }
  if (r.off !== end) throw new CorruptRecordError("trailing bytes after the series");
  return out;
}

/**
 * Reusable typed arrays that samples records decode into, so replay allocates nothing per record.
 * `decode` returns views of exactly the record's length, valid until the next `decode`.
 */
export class SamplesDecoder {
  private refs = new Uint32Array(1024);
  private ts = new Float64Array(1024);
  private vs = new Float64Array(1024);
  private vbytes = new Uint8Array(this.vs.buffer);

  /** Decodes a samples record's payload `b[start, end)`. */
  decode(b: Buffer, start: number, end: number): WALSamples {
    const r = new PayloadReader(b, start, end);
    const n = r.uvarint();
    let off = r.off;
    if (off + 12 + n * 10 > end) throw new CorruptRecordError(`sample count ${n} larger than the record`);
    if (n > this.refs.length) {
      let size = this.refs.length;
      while (size < n) size *= 2;
      this.refs = new Uint32Array(size);
      this.ts = new Float64Array(size);
      this.vs = new Float64Array(size);
      this.vbytes = new Uint8Array(this.vs.buffer);
    }
    const minRef = b.readUInt32LE(off);
    const minT = b.readDoubleLE(off + 4);
    off += 12;
    this.vbytes.set(b.subarray(off, off + n * 8));
    r.off = off + n * 8;
    const refs = this.refs;
    const ts = this.ts;
    for (let i = 0; i < n; i++) refs[i] = minRef + r.uvarint();
    for (let i = 0; i < n; i++) ts[i] = minT + r.uvarint();
    if (r.off !== end) throw new CorruptRecordError("trailing bytes after the samples");
    return { refs: refs.subarray(0, n), ts: ts.subarray(0, n), vs: this.vs.subarray(0, n) };
  }
}

/** Decodes a metadata record's payload `b[start, end)`. */
export function decodeMetadata(b: Buffer, start: number, end: number): WALMetadata[] {
  const r = new PayloadReader(b, start, end);
  const count = r.uvarint();
  if (count > end - start) throw new CorruptRecordError(`metadata count ${count} larger than the record`);
  const out: WALMetadata[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const name = r.string();
    const type = r.string() as MetricType;
    const unit = r.string();
    const help = r.string();
    out[i] = [name, { type, unit, help }];
  }
  if (r.off !== end) throw new CorruptRecordError("trailing bytes after the metadata");
  return out;
}

/** Where a scan of records stopped: `end` is the offset after the last intact record. */
export interface ScanResult {
  end: number;
  /** Why the scan stopped before the end of the data (undefined when it read everything). */
  error?: string;
  /** True when the data ends inside the record at `end` (more of the file may complete it). */
  incomplete?: boolean;
}

/**
 * Walks the records in `b` from offset 0, calling `visit(type, payloadStart, payloadEnd, recordStart)`
 * for each intact one. Stops at the first torn or corrupt record (short header, length past the
 * end, unknown type, checksum mismatch) or when `visit` throws, reporting why. `base` is the file
 * offset of `b[0]`, for the messages.
 */
export function scanRecords(
  b: Buffer,
  visit: (type: number, start: number, end: number, recordStart: number) => void,
  base = 0,
): ScanResult {
  let off = 0;
  const size = b.length;
  while (off < size) {
    const at = base + off;
    if (off + RECORD_HEADER_SIZE > size) {
      return { end: off, error: `torn record header at offset ${at}`, incomplete: true };
    }
    const type = b[off]!;
    if (type !== RecordType.Series && type !== RecordType.Samples && type !== RecordType.Metadata) {
      return { end: off, error: `unknown record type ${type} at offset ${at}` };
    }
    const len = b.readUInt32BE(off + 1);
    const pstart = off + RECORD_HEADER_SIZE;
    if (len > MAX_RECORD_PAYLOAD) {
      return { end: off, error: `record at offset ${at} (${len} bytes) is longer than any record can be` };
    }
    if (pstart + len > size) {
      return {
        end: off,
        error: `record at offset ${at} (${len} bytes) runs past the end of the segment`,
        incomplete: true,
      };
    }
    const want = b.readUInt32BE(off + 5);
    const got = crc32(b.subarray(pstart, pstart + len), crc32(b.subarray(off, off + 5)));
    if (want !== got) return { end: off, error: `checksum mismatch in record at offset ${at}` };
    try {
      visit(type, pstart, pstart + len, off);
    } catch (err) {
      if (!(err instanceof CorruptRecordError)) throw err;
      return { end: off, error: `record at offset ${at}: ${err.message}` };
    }
    off = pstart + len;
  }
  return { end: off };
}

/** Called by {@link scanFile} for each intact record: its window, payload bounds in it, file offset. */
export type FileRecordVisitor = (
  buf: Buffer,
  type: number,
  start: number,
  end: number,
  fileOffset: number,
) => void;

/**
 * {@link scanRecords} over a file read through a window of `windowBytes` (grown only for a record
 * larger than that), so a 128 MiB segment costs a few MiB of memory, not its size. The window is
 * reused: `buf` is valid during the call only. Offsets in the result and messages are file offsets.
 */
export async function scanFile(
  path: string,
  visit: FileRecordVisitor,
  windowBytes = 4 << 20,
): Promise<ScanResult & { size: number }> {
  const fh = await open(path, "r");
  try {
    let size = (await fh.stat()).size;
    let buf = Buffer.allocUnsafe(Math.max(RECORD_HEADER_SIZE, Math.min(windowBytes, size)));
    let base = 0;
    let len = 0;
    for (;;) {
      while (len < buf.length && base + len < size) {
        const { bytesRead } = await fh.read(buf, len, buf.length - len, base + len);
        if (bytesRead === 0) {
          size = base + len; // shorter than it was when opened: its end is here
          break;
        }
        len += bytesRead;
      }
      const atEnd = base + len >= size;
      const view = buf.subarray(0, len);
      const res = scanRecords(view, (type, s, e, rec) => visit(view, type, s, e, base + rec), base);
      if (atEnd || (res.error !== undefined && !res.incomplete)) return { ...res, end: base + res.end, size };
      // a record said to run past the end of the file is torn: no window is grown for it
      const left = len - res.end;
      const need = left >= RECORD_HEADER_SIZE ? RECORD_HEADER_SIZE + buf.readUInt32BE(res.end + 1) : 0;
      if (base + res.end + need > size) return { ...res, end: base + res.end, size };
      if (res.end === 0 && len === buf.length) {
        // one record fills the window: grow it to hold that record
        const grown = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
        buf.copy(grown, 0, 0, len);
        buf = grown;
        continue;
      }
      buf.copy(buf, 0, res.end, len);
      base += res.end;
      len -= res.end;
    }
  } finally {
    await fh.close();
  }
}
