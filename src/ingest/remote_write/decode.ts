import {
  formatLabels,
  isValidLabelName,
  type Label,
  type Labels,
  METRIC_NAME,
  type MetricType,
} from "../../model/index.js";
import { RemoteWriteError } from "./errors.js";
import { DEFAULT_MAX_DECODED_BYTES, decompressSnappyBlock } from "./snappy.js";

/** Metadata a sender attached to a remote-write request (prometheus.MetricMetadata). */
export interface WriteMetadata {
  readonly metricFamilyName: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

/**
 * A decoded, validated remote-write 1.0 request in columnar form. Series `i` has labels
 * `series[i]` (sorted, names unique, empty values dropped) and its samples at indexes
 * `sampleOffsets[i]` to `sampleOffsets[i + 1] - 1` of `timestamps` (ms) and `values`.
 */
export interface WriteRequest {
  readonly series: readonly Labels[];
  readonly sampleOffsets: Uint32Array;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
  readonly metadata: readonly WriteMetadata[];
  /** Exemplars seen and skipped (not stored). */
  readonly exemplars: number;
  /** Native histogram samples seen and skipped (not supported). */
  readonly histograms: number;
  /**
   * Per series, the receiver's cache slot for its label bytes (null when not cached): a store's
   * ref for the series is remembered there across requests, so later requests with the same label
   * bytes skip label decoding and the store's label lookup. Absent on requests built by hand.
   */
  readonly refSlots?: readonly (SeriesRefSlot | null)[];
}

/** Where {@link applyWriteRequest} remembers the series ref a store returned for cached labels. */
export interface SeriesRefSlot {
  /** The store the ref belongs to (null: none yet). */
  owner: object | null;
  /** The ref `owner` returned for these labels. */
  ref: number;
}

/** Options for {@link decodeWriteRequest} and {@link decodeRemoteWrite}. */
export interface DecodeOptions {
  /** Cap on the decompressed body in bytes (default 64 MiB); over it the request fails with 413. */
  maxDecodedBytes?: number;
  /**
   * Accept any non-empty UTF-8 label name, as Prometheus 3 does. Default false: names must match
   * `[a-zA-Z_][a-zA-Z0-9_]*` and the metric name `[a-zA-Z_:][a-zA-Z0-9_:]*`.
   */
  utf8Names?: boolean;
}

const METRIC_TYPES: readonly MetricType[] = [
  "unknown",
  "counter",
  "gauge",
  "histogram",
  "gaugehistogram",
  "summary",
  "info",
  "stateset",
];

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

class ProtoError extends Error {}

/**
 * Label names and values repeat across series and requests; decoding each once and reusing the
 * string (verified byte by byte) keeps the decoder from allocating per label.
 */
const interned = new Map<number, string>();
const INTERN_MAX = 200_000;
const INTERN_MAX_LENGTH = 256;

function sameAscii(str: string, buf: Uint8Array, s: number, e: number): boolean {
  if (str.length !== e - s) return false;
  for (let i = 0; i < str.length; i++) if (str.charCodeAt(i) !== buf[s + i]) return false;
  return true;
}

/** A cursor over protobuf bytes; every read checks bounds and throws ProtoError on bad input. */
class Reader {
  pos = 0;
  readonly view: DataView;
  private readonly nodeBuf: Buffer;

  constructor(readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.nodeBuf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  uint32(end: number): number {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= end) throw new ProtoError("unexpected end of data in varint");
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (n > 0xffffffff) throw new ProtoError("varint overflows 32 bits");
        return n;
      }
    }
    throw new ProtoError("varint overflows 32 bits");
  }

  /** An int64 varint as a number (exact up to 2^53, two's complement for negatives). */
  int64(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (pos >= end) throw new ProtoError("unexpected end of data in varint");
      const b = buf[pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = pos;
        return n;
      }
      mul *= 128;
    }
    return this.int64Long(end);
  }

  /** The general case of {@link int64}: varints of 8 to 10 bytes, including all negatives. */
  private int64Long(end: number): number {
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let i = 0; i < 4; i++) {
      b = this.buf[this.pos++]!;
      lo |= (b & 0x7f) << (7 * i);
    }
    b = this.buf[this.pos++]!;
    lo |= (b & 0x7f) << 28;
    hi = (b & 0x7f) >> 4;
    for (let i = 0; ; i++) {
      if (i === 5) throw new ProtoError("varint longer than 10 bytes");
      if (this.pos >= end) throw new ProtoError("unexpected end of data in varint");
      b = this.buf[this.pos++]!;
      hi |= (b & 0x7f) << (7 * i + 3);
      if (b < 0x80) break;
    }
    return (hi | 0) * 4294967296 + (lo >>> 0);
  }

  double(end: number): number {
    if (this.pos + 8 > end) throw new ProtoError("unexpected end of data in double");
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a length prefix and returns the end offset of the delimited field. */
  delimited(end: number): number {
    const len = this.uint32(end);
    const e = this.pos + len;
    if (e > end) throw new ProtoError(`length ${len} runs past the end of its message`);
    return e;
  }

  string(end: number): string {
    const e = this.delimited(end);
    const s = this.pos;
    this.pos = e;
    const buf = this.buf;
    let h = 0x811c9dc5 ^ (e - s);
    let high = 0;
    for (let i = s; i < e; i++) {
      const b = buf[i]!;
      high |= b;
      h = Math.imul(h ^ b, 0x01000193);
    }
    if (high < 0x80) {
      if (e - s > INTERN_MAX_LENGTH) return this.nodeBuf.toString("latin1", s, e);
      const cached = interned.get(h);
      if (cached !== undefined && sameAscii(cached, buf, s, e)) return cached;
      const str = this.nodeBuf.toString("latin1", s, e);
      if (interned.size >= INTERN_MAX) interned.clear();
      interned.set(h, str);
      return str;
    }
    try {
      return utf8.decode(buf.subarray(s, e));
    } catch {
      throw new ProtoError("string is not valid UTF-8");
    }
  }

  skip(wireType: number, end: number): void {
    switch (wireType) {
      case 0:
        this.int64(end);
        return;
      case 1:
        if (this.pos + 8 > end) throw new ProtoError("unexpected end of data in fixed64");
        this.pos += 8;
        return;
      case 2:
        this.pos = this.delimited(end);
        return;
      case 5:
        if (this.pos + 4 > end) throw new ProtoError("unexpected end of data in fixed32");
        this.pos += 4;
        return;
      default:
        throw new ProtoError(`unsupported wire type ${wireType}`);
    }
  }
}

function expectWire(field: string, got: number, want: number): void {
  if (got !== want) throw new ProtoError(`field ${field} has wire type ${got}, expected ${want}`);
}

/** Growable columnar sample storage. */
class Columns {
  ts: Float64Array;
  vs: Float64Array;
  n = 0;

  constructor(capacity: number) {
    this.ts = new Float64Array(capacity);
    this.vs = new Float64Array(capacity);
  }

  push(t: number, v: number): void {
    if (this.n === this.ts.length) {
      const ts = new Float64Array(this.n * 2);
      ts.set(this.ts);
      this.ts = ts;
      const vs = new Float64Array(this.n * 2);
      vs.set(this.vs);
      this.vs = vs;
    }
    this.ts[this.n] = t;
    this.vs[this.n] = v;
    this.n++;
  }
}

interface Counts {
  exemplars: number;
  histograms: number;
}

function readLabel(r: Reader, end: number): Label {
  let name = "";
  let value = "";
  while (r.pos < end) {
    const tag = r.uint32(end);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      expectWire("Label.name", wt, 2);
      name = r.string(end);
    } else if (field === 2) {
      expectWire("Label.value", wt, 2);
      value = r.string(end);
    } else r.skip(wt, end);
  }
  return { name, value };
}

function readSample(r: Reader, end: number, cols: Columns): void {
  let value = 0;
  let ts = 0;
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag === 0x09) value = r.double(end);
    else if (tag === 0x10) ts = r.int64(end);
    else {
      const field = tag >>> 3;
      if (field === 1) expectWire("Sample.value", tag & 7, 1);
      if (field === 2) expectWire("Sample.timestamp", tag & 7, 0);
      r.skip(tag & 7, end);
    }
  }
  cols.push(ts, value);
}

/** The label fields of the last scanned TimeSeries: [start, end) when contiguous, start -1 otherwise. */
const labelRange = { start: -1, end: -1 };

/**
 * Reads one TimeSeries' samples into `cols` and counts its exemplars and histograms. Label fields
 * are only skipped here; their byte range goes to {@link labelRange} for {@link labelsAt}.
 */
function scanSeries(r: Reader, end: number, cols: Columns, counts: Counts): void {
  const seriesStart = r.pos;
  let ls = -1;
  let le = -1;
  let contiguous = true;
  while (r.pos < end) {
    const fieldStart = r.pos;
    const tag = r.uint32(end);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      expectWire("TimeSeries.labels", wt, 2);
      const e = r.delimited(end);
      if (ls < 0) ls = fieldStart;
      else if (le !== fieldStart) contiguous = false;
      le = e;
      r.pos = e;
    } else if (field === 2) {
      expectWire("TimeSeries.samples", wt, 2);
      const e = r.delimited(end);
      readSample(r, e, cols);
    } else if (field === 3) {
      expectWire("TimeSeries.exemplars", wt, 2);
      r.skip(wt, end);
      counts.exemplars++;
    } else if (field === 4) {
      expectWire("TimeSeries.histograms", wt, 2);
      r.skip(wt, end);
      counts.histograms++;
    } else r.skip(wt, end);
  }
  if (ls < 0) {
    labelRange.start = seriesStart;
    labelRange.end = seriesStart;
  } else if (contiguous) {
    labelRange.start = ls;
    labelRange.end = le;
  } else {
    labelRange.start = -1;
    labelRange.end = seriesStart;
  }
}

/** Decodes the Label messages of the TimeSeries fields in [from, end) (other fields skipped). */
function labelsAt(r: Reader, from: number, end: number): Label[] {
  const labels: Label[] = [];
  r.pos = from;
  while (r.pos < end) {
    const tag = r.uint32(end);
    if (tag >>> 3 === 1) {
      const e = r.delimited(end);
      labels.push(readLabel(r, e));
    } else r.skip(tag & 7, end);
  }
  return labels;
}

/**
 * A cached label set: where its exact protobuf bytes are kept, the validated labels and the ref
 * slot. The bytes of all entries share a few pages, so an entry holds no buffer of its own.
 */
interface CacheEntry extends SeriesRefSlot {
  /** The page holding the bytes, and their offset and length in it. */
  readonly page: DataView;
  readonly off: number;
  readonly len: number;
  readonly labels: Labels;
  readonly utf8Names: boolean;
}

/**
 * Label sets by the hash of their TimeSeries label bytes. Senders repeat the same series in every
 * request, byte for byte; a hit (verified by comparing the bytes) yields the validated labels and
 * the store's ref without decoding, sorting or validating anything.
 */
const seriesCache = new Map<number, CacheEntry | CacheEntry[]>();
const SERIES_CACHE_MAX_BYTES = 64 << 20;
const CACHE_PAGE_BYTES = 256 << 10;
let seriesCacheBytes = 0;
let cachePage = new Uint8Array(0);
let cachePageView = new DataView(cachePage.buffer);
let cachePageUsed = 0;

/**
 * The Label objects of cached label sets, one per distinct name and value, so that 20,000 series
 * repeating a few hundred pairs do not each hold copies.
 */
const cachedLabels = new Map<string, Map<string, Label>>();
let cachedLabelCount = 0;

function internLabel(l: Label): Label {
  let values = cachedLabels.get(l.name);
  if (values === undefined) {
    values = new Map();
    cachedLabels.set(l.name, values);
  }
  const x = values.get(l.value);
  if (x !== undefined) return x;
  if (cachedLabelCount >= INTERN_MAX) {
    cachedLabels.clear();
    cachedLabelCount = 0;
  }
  cachedLabelCount++;
  values.set(l.value, l);
  return l;
}

/** A hash of the bytes in [s, e) of `dv`, four at a time. */
function hashBytes(dv: DataView, s: number, e: number): number {
  let h = 0x811c9dc5 ^ (e - s);
  let i = s;
  for (; i + 4 <= e; i += 4) {
    h = Math.imul(h ^ dv.getInt32(i, true), 0x01000193);
    h ^= h >>> 15;
  }
  for (; i < e; i++) h = Math.imul(h ^ dv.getUint8(i), 0x01000193);
  return h;
}

/** True when the entry's bytes equal the bytes in [s, e) of `dv`. */
function sameBytes(c: CacheEntry, dv: DataView, s: number, e: number): boolean {
  const n = c.len;
  if (n !== e - s) return false;
  const a = c.page;
  const o = c.off;
  let i = 0;
  for (; i + 4 <= n; i += 4) if (a.getInt32(o + i, true) !== dv.getInt32(s + i, true)) return false;
  for (; i < n; i++) if (a.getUint8(o + i) !== dv.getUint8(s + i)) return false;
  return true;
}

function cacheGet(h: number, dv: DataView, s: number, e: number, utf8Names: boolean): CacheEntry | undefined {
  const x = seriesCache.get(h);
  if (x === undefined) return undefined;
  if (!Array.isArray(x)) return x.utf8Names === utf8Names && sameBytes(x, dv, s, e) ? x : undefined;
  for (const c of x) if (c.utf8Names === utf8Names && sameBytes(c, dv, s, e)) return c;
  return undefined;
}

/** Caches the label bytes `buf[s, e)` with their validated labels; returns the entry (the request's ref slot). */
function cachePut(
  h: number,
  buf: Uint8Array,
  s: number,
  e: number,
  labels: Labels,
  utf8Names: boolean,
): CacheEntry {
  const len = e - s;
  if (seriesCacheBytes + len > SERIES_CACHE_MAX_BYTES) {
    seriesCache.clear();
    seriesCacheBytes = 0;
    cachePage = new Uint8Array(0);
    cachePageUsed = 0;
  }
  if (cachePageUsed + len > cachePage.length) {
    cachePage = new Uint8Array(Math.max(CACHE_PAGE_BYTES, len));
    cachePageView = new DataView(cachePage.buffer);
    cachePageUsed = 0;
  }
  cachePage.set(buf.subarray(s, e), cachePageUsed);
  const entry: CacheEntry = {
    page: cachePageView,
    off: cachePageUsed,
    len,
    labels: labels.map(internLabel),
    utf8Names,
    owner: null,
    ref: 0,
  };
  cachePageUsed += len;
  seriesCacheBytes += len + 64;
  const x = seriesCache.get(h);
  if (x === undefined) seriesCache.set(h, entry);
  else if (Array.isArray(x)) x.push(entry);
  else seriesCache.set(h, [x, entry]);
  return entry;
}

function readMetadata(r: Reader, end: number): WriteMetadata {
  let type: MetricType = "unknown";
  let metricFamilyName = "";
  let help = "";
  let unit = "";
  while (r.pos < end) {
    const tag = r.uint32(end);
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 1) {
      expectWire("MetricMetadata.type", wt, 0);
      type = METRIC_TYPES[r.uint32(end)] ?? "unknown";
    } else if (field === 2) {
      expectWire("MetricMetadata.metric_family_name", wt, 2);
      metricFamilyName = r.string(end);
    } else if (field === 4) {
      expectWire("MetricMetadata.help", wt, 2);
      help = r.string(end);
    } else if (field === 5) {
      expectWire("MetricMetadata.unit", wt, 2);
      unit = r.string(end);
    } else r.skip(wt, end);
  }
  return { metricFamilyName, type, help, unit };
}

function trim(a: Float64Array, n: number): Float64Array {
  return n < a.length / 2 ? a.slice(0, n) : a.subarray(0, n);
}

function byName(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Sorts and validates one series' labels in place; returns an error message or null. */
function checkLabels(labels: Label[], utf8Names: boolean): string | null {
  for (let i = 1; i < labels.length; i++) {
    if (byName(labels[i - 1]!, labels[i]!) > 0) {
      labels.sort(byName);
      break;
    }
  }
  let hasName = false;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (i > 0 && labels[i - 1]!.name === l.name) return `duplicate label name ${JSON.stringify(l.name)}`;
    if (l.name === METRIC_NAME) {
      if (l.value === "") return "empty metric name";
      if (!utf8Names && !METRIC_NAME_RE.test(l.value))
        return `invalid metric name ${JSON.stringify(l.value)}`;
      hasName = true;
    } else if (l.name === "" || (!utf8Names && !isValidLabelName(l.name))) {
      return `invalid label name ${JSON.stringify(l.name)}`;
    }
  }
  if (!hasName) return "missing metric name (__name__ label)";
  return null;
}

function dropEmptyValues(labels: Label[]): Label[] {
  for (const l of labels) if (l.value === "") return labels.filter((x) => x.value !== "");
  return labels;
}

/**
 * Decodes the protobuf bytes of a prometheus.WriteRequest (remote write 1.0) into columnar form
 * and validates every series: a metric name, valid and unique label names. Exemplars and native
 * histograms are counted and skipped. Throws {@link RemoteWriteError} (400) naming the series
 * index and what is wrong; nothing is returned for a request with any bad part.
 */
export function decodeWriteRequest(buf: Uint8Array, opts: DecodeOptions = {}): WriteRequest {
  const r = new Reader(buf);
  const end = buf.length;
  const cols = new Columns(Math.min(Math.max(256, Math.ceil(buf.length / 16)), 1 << 20));
  const counts: Counts = { exemplars: 0, histograms: 0 };
  const series: Labels[] = [];
  const offsets: number[] = [0];
  const metadata: WriteMetadata[] = [];
  const refSlots: (SeriesRefSlot | null)[] = [];
  const utf8Names = opts.utf8Names ?? false;
  try {
    while (r.pos < end) {
      const tag = r.uint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        expectWire("WriteRequest.timeseries", wt, 2);
        const e = r.delimited(end);
        const idx = series.length;
        let entry: CacheEntry | undefined;
        let h = 0;
        let labels: Label[];
        try {
          scanSeries(r, e, cols, counts);
          const ls = labelRange.start;
          const le = labelRange.end;
          if (ls >= 0) {
            h = hashBytes(r.view, ls, le);
            entry = cacheGet(h, r.view, ls, le, utf8Names);
          }
          if (entry !== undefined) {
            series.push(entry.labels);
            refSlots.push(entry);
            offsets.push(cols.n);
            continue;
          }
          labels = labelsAt(r, ls >= 0 ? ls : le, ls >= 0 ? le : e);
          r.pos = e;
        } catch (err) {
          if (err instanceof ProtoError) throw new ProtoError(`timeseries ${idx}: ${err.message}`);
          throw err;
        }
        const problem = checkLabels(labels, utf8Names);
        if (problem !== null) {
          throw new RemoteWriteError(
            400,
            `invalid labels for series ${idx} ${formatLabels(labels)}: ${problem}`,
          );
        }
        const valid = dropEmptyValues(labels);
        offsets.push(cols.n);
        if (labelRange.start >= 0) {
          entry = cachePut(h, buf, labelRange.start, labelRange.end, valid, utf8Names);
          series.push(entry.labels);
          refSlots.push(entry);
        } else {
          series.push(valid);
          refSlots.push(null);
        }
      } else if (field === 3) {
        expectWire("WriteRequest.metadata", wt, 2);
        const e = r.delimited(end);
        metadata.push(readMetadata(r, e));
      } else if (field === 0) {
        throw new ProtoError("illegal field number 0");
      } else r.skip(wt, end);
    }
  } catch (err) {
    if (err instanceof ProtoError) {
      throw new RemoteWriteError(400, `invalid WriteRequest protobuf at byte ${r.pos}: ${err.message}`);
    }
    throw err;
  }
  return {
    series,
    sampleOffsets: Uint32Array.from(offsets),
    timestamps: trim(cols.ts, cols.n),
    values: trim(cols.vs, cols.n),
    metadata,
    exemplars: counts.exemplars,
    histograms: counts.histograms,
    refSlots,
  };
}

/**
 * Decodes a remote-write 1.0 HTTP body: a snappy block holding a prometheus.WriteRequest.
 * Throws {@link RemoteWriteError}: 413 when the declared decoded size is over the limit, 400 for
 * anything malformed.
 * @example const req = decodeRemoteWrite(body); req.series.length
 */
export function decodeRemoteWrite(body: Uint8Array, opts: DecodeOptions = {}): WriteRequest {
  return decodeWriteRequest(
    decompressSnappyBlock(body, opts.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES),
    opts,
  );
}
