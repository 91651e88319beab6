import {
  compareLabels,
  formatLabels,
  type Label,
  type Labels,
  labelsEqual,
  type Matcher,
  METRIC_NAME,
  type MetricMetadata,
} from "../model/index.js";
import {
  type Appender,
  DuplicateSampleError,
  InvalidLabelsError,
  LimitExceededError,
  OutOfBoundsError,
  OutOfOrderError,
  type Querier,
  type SampleIterator,
  type SelectHints,
  type Series,
  type SeriesRef,
  type Storage,
  StorageError,
} from "../storage/index.js";
import { MergeIterator } from "./block/merge.js";
import { decodeInto, XORAppender, type XORChunk, XORIterator } from "./chunk.js";
import { MemPostings, type Postings } from "./postings.js";

/** A series record as the head hands it to a write-ahead log (and takes it back on replay). */
export interface WALSeries {
  readonly ref: SeriesRef;
  readonly labels: Labels;
}

/**
 * Samples in columnar form: `refs[i]`, `ts[i]`, `vs[i]` make sample i. The arrays have exactly the
 * batch's length. Values are a Float64Array so NaN payloads (the stale marker) survive.
 */
export interface WALSamples {
  readonly refs: Uint32Array;
  readonly ts: Float64Array;
  readonly vs: Float64Array;
}

/**
 * What the head needs from a write-ahead log. `log` is called by `commit` before the batch becomes
 * visible, with the series first referenced by this batch, its samples and the metadata it
 * updates (null when none); `commit` resolves only once `log` has. Calls are made in commit order;
 * the arrays are only valid during the call (copy them if kept). If `log` rejects, the batch is
 * discarded and `commit` rejects.
 */
export interface WriteAheadLog {
  log(
    series: readonly WALSeries[],
    samples: WALSamples,
    metadata?: readonly (readonly [name: string, meta: MetricMetadata])[] | null,
  ): Promise<void>;
}

/** Options of {@link Head}. */
export interface HeadOptions {
  /** Durability hook; without it a commit applies at once. */
  wal?: WriteAheadLog;
  /** Width (ms) of the ranges chunks are aligned to, as Prometheus's block range (default 2h). */
  chunkRange?: number;
  /** Target samples per chunk (default 120, as Prometheus). */
  samplesPerChunk?: number;
  /** Samples older than this (ms) are out of bounds (default: none). */
  minValidTime?: number;
  /**
   * Out-of-order window (ms; default 0: off), as Prometheus's `out_of_order_time_window`: a
   * sample older than its series' newest is accepted when it is no older than the head's newest
   * sample minus this window. Such samples live in a small sorted buffer per series, are logged
   * in the WAL like others, merge into query results and are persisted with the head's blocks.
   */
  outOfOrderWindowMs?: number;
  /** The label-set hash series are keyed by (default 32-bit FNV-1a); tests pass a colliding one. */
  hashLabels?: (labels: Labels) => number;
  /**
   * Most series the head holds at once (`storage.limits.max_series`; 0 or absent: no limit).
   * See {@link SeriesLimits} for when it is checked and what a refusal does.
   */
  maxSeries?: number;
  /** Most series per metric name (`storage.limits.max_series_per_metric`; 0 or absent: no limit). */
  maxSeriesPerMetric?: number;
}

/**
 * The head's cardinality limits (0: no limit). They are checked only when a sample would create
 * a series: `append` then throws {@link LimitExceededError} naming the limit, its value and the
 * series, the sample is not staged, and the rest of the batch is unaffected (the caller decides,
 * as for any per-sample error). Series that exist keep taking samples, and series re-created by
 * WAL replay are never refused (accepted data is not lost). The counts are the head's series
 * (those created by unfinished batches included); they fall when series leave the head (a batch
 * rolled back, or truncation after blocks are cut).
 */
export interface SeriesLimits {
  maxSeries: number;
  maxSeriesPerMetric: number;
}

/** The limit that refused a series, as the `limit` label of `relay_tsdb_series_limit_rejections_total`. */
export type SeriesLimitName = "max_series" | "max_series_per_metric";

/** Head statistics in the shape of Prometheus's `/api/v1/status/tsdb` `data`. */
export interface TSDBStatus {
  headStats: {
    numSeries: number;
    numLabelPairs: number;
    chunkCount: number;
    minTime: number;
    maxTime: number;
  };
  seriesCountByMetricName: { name: string; value: number }[];
  labelValueCountByLabelName: { name: string; value: number }[];
  memoryInBytesByLabelName: { name: string; value: number }[];
  seriesCountByLabelValuePair: { name: string; value: number }[];
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const NO_META: readonly number[] = Object.freeze([]);
const NO_PAGES: readonly Uint8Array[] = Object.freeze([]);
/** Numbers per closed chunk in {@link MemSeries.cmeta}: minT, maxT, sample count, byte offset, byte length. */
const M = 5;
const EMPTY_REFS = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);

/**
 * Packs closed chunks into 1 MiB pages, so that thousands of chunks share a few ArrayBuffers
 * instead of each carrying its own (and no chunk needs a view object of its own: a series keeps
 * the page and the offset). A page is freed by the garbage collector once no series refers to it.
 */
class ChunkSlab {
  private page = new Uint8Array(0);
  private off = 0;
  /** Where the room {@link reserve} returned last starts in its page. */
  at = 0;

  /** A page with `size` free bytes at {@link at}, now taken. */
  reserve(size: number): Uint8Array {
    if (size > 65536) {
      this.at = 0;
      return new Uint8Array(size);
    }
    if (this.off + size > this.page.length) {
      this.page = new Uint8Array(1 << 20);
      this.off = 0;
    }
    this.at = this.off;
    this.off += size;
    return this.page;
  }
}

/** `meta` (null: empty) with one more closed chunk's numbers, as a new array of exactly that length. */
function withChunk(
  meta: number[] | null,
  minT: number,
  maxT: number,
  n: number,
  off: number,
  len: number,
): number[] {
  const k = meta === null ? 0 : meta.length;
  const out = new Array<number>(k + M);
  for (let i = 0; i < k; i++) out[i] = meta![i]!;
  out[k] = minT;
  out[k + 1] = maxT;
  out[k + 2] = n;
  out[k + 3] = off;
  out[k + 4] = len;
  return out;
}

/** `pages` (null: empty) with `page` appended, as a new array of exactly that length. */
function withPage(pages: Uint8Array[] | null, page: Uint8Array): Uint8Array[] {
  const k = pages === null ? 0 : pages.length;
  const out = new Array<Uint8Array>(k + 1);
  for (let i = 0; i < k; i++) out[i] = pages![i]!;
  out[k] = page;
  return out;
}

/** The bytes of closed chunk `i` (a view made on demand). */
function closedBytes(meta: readonly number[], pages: readonly Uint8Array[], i: number): Uint8Array {
  const off = meta[i * M + 3]!;
  return pages[i]!.subarray(off, off + meta[i * M + 4]!);
}

/** Typed arrays an appender stages samples in; recycled through the head's pool. */
interface Staging {
  refs: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
}

function newStaging(size: number): Staging {
  return { refs: new Uint32Array(size), ts: new Float64Array(size), vs: new Float64Array(size) };
}

/** A 32-bit FNV-1a hash of a label set, computed without building its key string. */
export function fnvLabels(ls: Labels): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    const n = l.name;
    for (let j = 0; j < n.length; j++) h = Math.imul(h ^ n.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
    const v = l.value;
    for (let j = 0; j < v.length; j++) h = Math.imul(h ^ v.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ 0xfe, 0x01000193);
  }
  return h;
}

/** @internal One series in memory: its labels, closed chunks and the open chunk being appended to. */
export class MemSeries {
  /**
   * Closed chunks, {@link M} numbers each (minT, maxT, sample count, byte offset and length in its
   * page), oldest first; replaced, never modified, when chunks are added or dropped, so snapshots
   * held by queries stay valid. Null when none.
   */
  cmeta: number[] | null = null;
  /** The slab page holding each closed chunk's bytes (parallel to `cmeta`, replaced with it). */
  cpages: Uint8Array[] | null = null;
  app: XORAppender | null = null;
  minT = Number.POSITIVE_INFINITY;
  maxT = Number.NEGATIVE_INFINITY;
  nextAt = Number.NEGATIVE_INFINITY;
  /** Size of the last closed chunk, to size the next chunk's buffer. */
  lastChunkBytes = 0;
  /** Samples staged for this series by appenders not yet finished. */
  pending = 0;
  /** Out-of-order samples, sorted by time, no duplicate timestamps; `oooN` of them are used. */
  oooT: Float64Array | null = null;
  oooV: Float64Array | null = null;
  oooN = 0;
  /** True once a WAL has been given this series' record. */
  logged = false;
  /** The appender that staged the latest sample, and that sample's time and value bits. */
  stageOwner = 0;
  stageT = 0;
  stageHi = 0;
  stageLo = 0;

  constructor(
    readonly id: number,
    readonly labels: Labels,
  ) {}

  get numChunks(): number {
    return (this.cmeta === null ? 0 : this.cmeta.length / M) + (this.app === null ? 0 : 1);
  }
}

/** The first index in `a[0, n)` (sorted) whose value is >= t. */
function lowerBound(a: Float64Array, n: number, t: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when two values have the same bits (NaN payloads compared too). */
function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  const hi = u32[1];
  const lo = u32[0];
  f64[0] = b;
  return u32[1] === hi && u32[0] === lo;
}

/** A series' labels for an error message, cut to 500 characters. */
function seriesText(labels: Labels): string {
  const s = formatLabels(labels);
  return s.length > 500 ? `${s.slice(0, 500)}...` : s;
}

function rangeEnd(t: number, width: number): number {
  return Math.floor(t / width) * width + width;
}

/** Prometheus's computeChunkEndTime: spread the remaining samples of a range over equal chunks. */
function computeChunkEndTime(start: number, cur: number, max: number, ratioToFull: number): number {
  const n = (max - start) / ((cur - start + 1) * ratioToFull);
  if (n <= 1) return max;
  return Math.floor(start + (max - start) / Math.floor(n));
}

/**
 * @internal Checks and normalises a label set for a new series: sorted, names unique and
 * non-empty, empty values dropped, a metric name present.
 */
export function validateLabels(labels: Labels): Labels {
  if (labels.length === 0) throw new InvalidLabelsError("empty label set");
  let ls = labels;
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (l.value === "" || (i > 0 && ls[i - 1]!.name >= l.name)) {
      ls = labels
        .filter((x) => x.value !== "")
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      break;
    }
  }
  let hasName = false;
  for (let i = 0; i < ls.length; i++) {
    const name = ls[i]!.name;
    if (name === "") throw new InvalidLabelsError("label with an empty name");
    if (i > 0 && ls[i - 1]!.name === name) {
      throw new InvalidLabelsError(`duplicate label name ${JSON.stringify(name)}`);
    }
    if (name === METRIC_NAME) hasName = true;
  }
  if (!hasName) throw new InvalidLabelsError("label set has no metric name (__name__)");
  return ls;
}

/**
 * The in-memory head of the TSDB: series keyed by their canonical label key, samples in XOR chunks
 * of about 120 samples cut at range boundaries like Prometheus's, and an inverted index. It is a
 * complete {@link Storage}; a write-ahead log can sit in front of it through `options.wal`.
 * Refs returned by appenders stay valid for the series' life in the head.
 * @example
 * const head = new Head();
 * const app = head.appender();
 * app.append(0, labelsFromRecord({ __name__: "up" }), 1000, 1);
 * await app.commit();
 */
export class Head implements Storage {
  readonly postings = new MemPostings();
  /** Series by label hash; a hash shared by several series maps to an array of them. */
  private readonly byHash = new Map<number, MemSeries | MemSeries[]>();
  private count = 0;
  private readonly hashLabels: (labels: Labels) => number;
  private readonly series: (MemSeries | undefined)[] = [undefined];
  private readonly meta = new Map<string, MetricMetadata[]>();
  private readonly wal: WriteAheadLog | undefined;
  private readonly chunkRange: number;
  private readonly samplesPerChunk: number;
  private nextRef = 1;
  private nextAppender = 1;
  private minValid: number;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private chunks = 0;
  private empties = 0;
  private readonly slab = new ChunkSlab();
  private readonly stagingPool: Staging[] = [];
  /** Samples dropped at commit because another batch had meanwhile committed newer ones. */
  outOfOrderDropped = 0;
  /** The out-of-order window (ms; 0: off). */
  readonly outOfOrderWindowMs: number;
  private readonly oooSeries = new Set<MemSeries>();
  private oooCount = 0;
  private limits: SeriesLimits;
  /** Series creations refused by each limit since the head was made. */
  readonly seriesLimitRejections: Record<SeriesLimitName, number> = {
    max_series: 0,
    max_series_per_metric: 0,
  };

  constructor(options: HeadOptions = {}) {
    this.wal = options.wal;
    this.outOfOrderWindowMs = Math.max(0, options.outOfOrderWindowMs ?? 0);
    this.chunkRange = options.chunkRange ?? 2 * 3600_000;
    this.samplesPerChunk = options.samplesPerChunk ?? 120;
    this.minValid = options.minValidTime ?? Number.NEGATIVE_INFINITY;
    this.hashLabels = options.hashLabels ?? fnvLabels;
    this.limits = { maxSeries: 0, maxSeriesPerMetric: 0 };
    this.setLimits({
      maxSeries: options.maxSeries ?? 0,
      maxSeriesPerMetric: options.maxSeriesPerMetric ?? 0,
    });
  }

  /** The cardinality limits in force. */
  get seriesLimits(): Readonly<SeriesLimits> {
    return this.limits;
  }

  /**
   * Replaces the cardinality limits (config reload). Lowering one below the current count refuses
   * new series only; nothing is evicted.
   */
  setLimits(limits: Partial<SeriesLimits>): void {
    const norm = (n: number | undefined, cur: number) =>
      n === undefined ? cur : Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
    this.limits = {
      maxSeries: norm(limits.maxSeries, this.limits.maxSeries),
      maxSeriesPerMetric: norm(limits.maxSeriesPerMetric, this.limits.maxSeriesPerMetric),
    };
  }

  /** Number of series that exist but hold no sample yet (created by unfinished batches). */
  get emptySeries(): number {
    return this.empties;
  }

  /** Number of series in the head. */
  get numSeries(): number {
    return this.count;
  }

  /** Timestamp of the oldest committed sample (+Infinity when empty). */
  get minTime(): number {
    return this.min;
  }

  /** Timestamp of the newest committed sample (-Infinity when empty). */
  get maxTime(): number {
    return this.max;
  }

  /** The oldest timestamp an appender accepts (Prometheus: max(minValidTime, maxTime - chunkRange/2)). */
  appendableMinValidTime(): number {
    return Math.max(this.minValid, this.max - this.chunkRange / 2);
  }

  /** Number of out-of-order samples held. */
  get outOfOrderSamples(): number {
    return this.oooCount;
  }

  /** Timestamp of the oldest out-of-order sample held (+Infinity when none): the WAL keeps samples from here on. */
  get outOfOrderMinTime(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const s of this.oooSeries) if (s.oooT![0]! < min) min = s.oooT![0]!;
    return min;
  }

  /** Raises the lower bound below which samples are out of bounds (after blocks are cut). */
  setMinValidTime(t: number): void {
    if (t > this.minValid) this.minValid = t;
  }

  /**
   * Drops the chunks that end before `mint` (once they are persisted in a block) and raises the
   * lower bound for new samples to `mint`. Chunk arrays are replaced, never spliced, so series
   * snapshots held by open queries stay valid. A series left without samples and without staged
   * samples is removed when `removeEmpty` (its ref becomes unknown: appenders fall back to labels).
   * Returns the number of chunks dropped.
   */
  truncateBefore(mint: number, removeEmpty = true): number {
    let dropped = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let id = 1; id < this.series.length; id++) {
      const s = this.series[id];
      if (s === undefined) continue;
      const meta = s.cmeta;
      if (meta !== null) {
        const nc = meta.length / M;
        let k = 0;
        while (k < nc && meta[k * M + 1]! < mint) k++;
        if (k > 0) {
          if (k === nc) {
            s.cmeta = null;
            s.cpages = null;
          } else {
            s.cmeta = meta.slice(k * M);
            s.cpages = s.cpages!.slice(k);
          }
          dropped += k;
        }
      }
      if (s.app !== null && s.cmeta === null && s.app.maxT < mint) {
        s.app = null;
        dropped++;
        this.empties++;
      }
      s.minT = s.cmeta !== null ? s.cmeta[0]! : s.app !== null ? s.app.minT : Number.POSITIVE_INFINITY;
      if (s.oooN > 0) {
        this.truncateOOO(s, mint);
        if (s.oooN > 0 && s.oooT![0]! < s.minT) s.minT = s.oooT![0]!;
      }
      if (s.minT < min) min = s.minT;
      if (s.app === null && removeEmpty) this.dropIfUnused(s);
    }
    this.chunks -= dropped;
    this.min = min;
    this.setMinValidTime(mint);
    return dropped;
  }

  private truncateOOO(s: MemSeries, mint: number): void {
    const T = s.oooT!;
    const n = s.oooN;
    let k = 0;
    while (k < n && T[k]! < mint) k++;
    if (k === 0) return;
    this.oooCount -= k;
    if (k === n) {
      s.oooT = null;
      s.oooV = null;
      s.oooN = 0;
      this.oooSeries.delete(s);
      return;
    }
    T.copyWithin(0, k, n);
    s.oooV!.copyWithin(0, k, n);
    s.oooN = n - k;
  }

  /**
   * @internal Looks for an out-of-order sample at `t`: 0 when there is none, 1 when there is one
   * with exactly `v`'s bits, 2 when its value differs.
   */
  findOOO(s: MemSeries, t: number, v: number): number {
    const T = s.oooT;
    if (T === null) return 0;
    const i = lowerBound(T, s.oooN, t);
    if (i === s.oooN || T[i] !== t) return 0;
    return sameBits(s.oooV![i]!, v) ? 1 : 2;
  }

  /**
   * @internal Inserts an out-of-order sample in time order. False (nothing changes) when one
   * with the same timestamp and another value is there; the same value is a no-op.
   */
  insertOOO(s: MemSeries, t: number, v: number): boolean {
    let T = s.oooT;
    let V = s.oooV;
    const n = s.oooN;
    if (T === null || V === null) {
      T = new Float64Array(8);
      V = new Float64Array(8);
      s.oooT = T;
      s.oooV = V;
      this.oooSeries.add(s);
    } else if (n === T.length) {
      const nt = new Float64Array(n * 2);
      nt.set(T);
      const nv = new Float64Array(n * 2);
      nv.set(V);
      T = nt;
      V = nv;
      s.oooT = T;
      s.oooV = V;
    }
    let i = n;
    if (n > 0 && !(t > T[n - 1]!)) {
      i = lowerBound(T, n, t);
      if (T[i] === t) return sameBits(V[i]!, v);
      T.copyWithin(i + 1, i, n);
      V.copyWithin(i + 1, i, n);
    }
    T[i] = t;
    V[i] = v;
    s.oooN = n + 1;
    this.oooCount++;
    if (t < s.minT) s.minT = t;
    if (t < this.min) this.min = t;
    return true;
  }

  /** A new batch. */
  appender(): HeadAppender {
    return new HeadAppender(this, this.nextAppender++);
  }

  /** A querier over [mint, maxt]. */
  querier(mint: number, maxt: number): HeadQuerier {
    return new HeadQuerier(this, mint, maxt);
  }

  /** Metadata per metric name; `limit` caps the number of metric names (0 or undefined: all). */
  metadata(metric?: string, limit?: number): Map<string, MetricMetadata[]> {
    const out = new Map<string, MetricMetadata[]>();
    if (metric !== undefined && metric !== "") {
      const m = this.meta.get(metric);
      if (m !== undefined) out.set(metric, m.slice());
      return out;
    }
    for (const [name, list] of this.meta) {
      if (limit !== undefined && limit > 0 && out.size >= limit) break;
      out.set(name, list.slice());
    }
    return out;
  }

  /** Nothing to release for a memory-only head. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The ref of the series with these labels, or 0. */
  ref(labels: Labels): SeriesRef {
    return this.lookup(this.hashLabels(labels), labels)?.id ?? 0;
  }

  /**
   * Re-creates series from replayed WAL records, keeping their refs. A record whose labels already
   * have a series makes its ref an alias of that series (returned map: alias → existing ref).
   */
  replaySeries(records: readonly WALSeries[], aliases: Map<number, number> = new Map()): Map<number, number> {
    for (const r of records) {
      const labels = validateLabels(r.labels);
      const hash = this.hashLabels(labels);
      const existing = this.lookup(hash, labels);
      if (existing !== undefined) {
        if (existing.id !== r.ref) aliases.set(r.ref, existing.id);
        continue;
      }
      const s = this.createSeries(r.ref, hash, labels);
      s.logged = true;
      if (r.ref >= this.nextRef) this.nextRef = r.ref + 1;
    }
    return aliases;
  }

  /**
   * Applies replayed WAL samples directly (no WAL call, no errors): samples for unknown refs or not
   * newer than their series' last sample are skipped. Returns how many were applied.
   */
  replaySamples(samples: WALSamples, aliases?: ReadonlyMap<number, number>): number {
    let applied = 0;
    const { refs, ts, vs } = samples;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const s = this.series[aliases?.get(ref) ?? ref];
      if (s === undefined) continue;
      const t = ts[i]!;
      const v = vs[i]!;
      if (this.appendCommitted(s, t, v)) applied++;
      else if (
        this.outOfOrderWindowMs > 0 &&
        t < s.maxT &&
        this.findOOO(s, t, v) === 0 &&
        this.insertOOO(s, t, v)
      )
        applied++;
    }
    return applied;
  }

  /** Head statistics in Prometheus's `/api/v1/status/tsdb` shape; lists keep the top `limit`. */
  stats(limit = 10): TSDBStatus {
    const byName: { name: string; value: number }[] = [];
    const valueCount: { name: string; value: number }[] = [];
    const memory: { name: string; value: number }[] = [];
    const pairs: { name: string; value: number }[] = [];
    let numLabelPairs = 0;
    for (const [name, values] of this.postings.entries()) {
      let bytes = 0;
      for (const [value, e] of values) {
        const n = e.ids.length;
        if (name === METRIC_NAME) byName.push({ name: value, value: n });
        pairs.push({ name: `${name}=${value}`, value: n });
        bytes += Buffer.byteLength(value) * n;
      }
      numLabelPairs += values.size;
      valueCount.push({ name, value: values.size });
      memory.push({ name, value: bytes });
    }
    const top = (a: { name: string; value: number }[]) =>
      a.sort((x, y) => y.value - x.value || (x.name < y.name ? -1 : 1)).slice(0, limit);
    const empty = this.min > this.max;
    return {
      headStats: {
        numSeries: this.count,
        numLabelPairs,
        chunkCount: this.chunks,
        minTime: empty ? 0 : this.min,
        maxTime: empty ? 0 : this.max,
      },
      seriesCountByMetricName: top(byName),
      labelValueCountByLabelName: top(valueCount),
      memoryInBytesByLabelName: top(memory),
      seriesCountByLabelValuePair: top(pairs),
    };
  }

  /** Approximate bytes held by chunk data (used, allocated). */
  chunkBytes(): { used: number; allocated: number } {
    let used = 0;
    let allocated = 0;
    for (const s of this.series) {
      if (s === undefined) continue;
      const meta = s.cmeta;
      if (meta !== null) {
        for (let i = 4; i < meta.length; i += M) {
          used += meta[i]!;
          allocated += meta[i]!;
        }
      }
      if (s.app !== null) {
        used += s.app.byteLength;
        allocated += s.app.capacity;
      }
      if (s.oooT !== null) {
        used += s.oooN * 16;
        allocated += s.oooT.length * 16;
      }
    }
    return { used, allocated };
  }

  /** @internal */
  getSeries(ref: number): MemSeries | undefined {
    return this.series[ref];
  }

  /** @internal Looks a series up by labels, creating it when new (and returning whether it is). */
  getOrCreate(labels: Labels): MemSeries {
    const hash = this.hashLabels(labels);
    const s = this.lookup(hash, labels);
    if (s !== undefined) return s;
    const valid = validateLabels(labels);
    if (valid === labels) {
      this.admit(valid);
      return this.createSeries(this.nextRef++, hash, valid);
    }
    const vhash = this.hashLabels(valid);
    const existing = this.lookup(vhash, valid);
    if (existing !== undefined) return existing;
    this.admit(valid);
    return this.createSeries(this.nextRef++, vhash, valid);
  }

  /** Throws {@link LimitExceededError} (and counts it) when a new series with `labels` would pass a limit. */
  private admit(labels: Labels): void {
    const { maxSeries, maxSeriesPerMetric } = this.limits;
    if (maxSeries > 0 && this.count >= maxSeries) {
      this.seriesLimitRejections.max_series++;
      throw new LimitExceededError(
        `limit of ${maxSeries} active series reached (storage.limits.max_series); series rejected: ${seriesText(labels)}`,
      );
    }
    if (maxSeriesPerMetric > 0) {
      let name = "";
      for (const l of labels) {
        if (l.name === METRIC_NAME) {
          name = l.value;
          break;
        }
      }
      if (this.postings.get(METRIC_NAME, name).length >= maxSeriesPerMetric) {
        this.seriesLimitRejections.max_series_per_metric++;
        throw new LimitExceededError(
          `limit of ${maxSeriesPerMetric} active series per metric name reached for ${JSON.stringify(name)} ` +
            `(storage.limits.max_series_per_metric); series rejected: ${seriesText(labels)}`,
        );
      }
    }
  }

  private lookup(hash: number, labels: Labels): MemSeries | undefined {
    const e = this.byHash.get(hash);
    if (e === undefined) return undefined;
    if (!Array.isArray(e)) return labelsEqual(e.labels, labels) ? e : undefined;
    for (const s of e) if (labelsEqual(s.labels, labels)) return s;
    return undefined;
  }

  private createSeries(id: number, hash: number, labels: Labels): MemSeries {
    const s = new MemSeries(id, this.postings.add(id, labels));
    const e = this.byHash.get(hash);
    if (e === undefined) this.byHash.set(hash, s);
    else if (Array.isArray(e)) e.push(s);
    else this.byHash.set(hash, [e, s]);
    this.series[id] = s;
    this.count++;
    this.empties++;
    return s;
  }

  /** @internal Removes a series that never received a sample and has none staged. */
  dropIfUnused(s: MemSeries): void {
    if (s.pending !== 0 || s.app !== null || s.oooN > 0 || this.series[s.id] !== s) return;
    const hash = this.hashLabels(s.labels);
    const e = this.byHash.get(hash);
    if (e === s) {
      this.byHash.delete(hash);
    } else if (Array.isArray(e)) {
      const rest = e.filter((x) => x !== s);
      this.byHash.set(hash, rest.length === 1 ? rest[0]! : rest);
    }
    this.series[s.id] = undefined;
    this.postings.delete(s.id, s.labels);
    this.count--;
    this.empties--;
  }

  /** @internal Appends a committed sample; false (and nothing changes) when it is not newer. */
  appendCommitted(s: MemSeries, t: number, v: number): boolean {
    let app = s.app;
    if (app !== null && t <= s.maxT) return false;
    if (app === null) {
      app = this.cut(s, t);
    } else {
      const n = app.numSamples;
      if (n === this.samplesPerChunk >> 2) s.nextAt = computeChunkEndTime(app.minT, app.maxT, s.nextAt, 4);
      if (t >= s.nextAt || n >= this.samplesPerChunk * 2) app = this.cut(s, t);
    }
    app.append(t, v);
    s.maxT = t;
    if (t < s.minT) s.minT = t;
    if (t < this.min) this.min = t;
    if (t > this.max) this.max = t;
    return true;
  }

  private cut(s: MemSeries, t: number): XORAppender {
    let app: XORAppender | null = null;
    const prev = s.app;
    if (prev !== null) {
      const size = prev.byteLength;
      const page = this.slab.reserve(size);
      const off = this.slab.at;
      s.cmeta = withChunk(s.cmeta, prev.minT, prev.maxT, prev.numSamples, off, size);
      s.cpages = withPage(s.cpages, page);
      s.lastChunkBytes = size;
      if (prev.finishInto(page, off)) app = prev;
    } else {
      this.empties--;
    }
    this.chunks++;
    if (app === null) {
      app = new XORAppender(s.lastChunkBytes === 0 ? 32 : s.lastChunkBytes + (s.lastChunkBytes >>> 3) + 8);
      s.app = app;
    }
    s.nextAt = rangeEnd(t, this.chunkRange);
    return app;
  }

  /** @internal Takes staging arrays of at least `size` entries from the pool. */
  takeStaging(size: number): Staging {
    const pool = this.stagingPool;
    for (let i = pool.length - 1; i >= 0; i--) {
      if (pool[i]!.refs.length >= size) {
        const st = pool[i]!;
        pool[i] = pool[pool.length - 1]!;
        pool.pop();
        return st;
      }
    }
    return newStaging(size);
  }

  /** @internal Returns staging arrays to the pool (a few are kept). */
  giveStaging(st: Staging): void {
    if (this.stagingPool.length < 16 && st.refs.length <= 1 << 16) this.stagingPool.push(st);
  }

  /** @internal */
  get walHook(): WriteAheadLog | undefined {
    return this.wal;
  }

  /** @internal */
  setMetadata(name: string, m: MetricMetadata): void {
    const list = this.meta.get(name);
    if (list === undefined) {
      this.meta.set(name, [{ type: m.type, help: m.help, unit: m.unit }]);
      return;
    }
    if (list.some((x) => x.type === m.type && x.help === m.help && x.unit === m.unit)) return;
    list.push({ type: m.type, help: m.help, unit: m.unit });
  }
}

/**
 * A batch of samples for the {@link Head}. Samples are checked as they are appended (a rejected one
 * is simply not part of the batch) and staged in typed arrays; `commit` logs them to the WAL, if
 * any, then applies them.
 */
export class HeadAppender implements Appender {
  private refs: Uint32Array;
  private ts: Float64Array;
  private vs: Float64Array;
  private n = 0;
  private readonly minValidTime: number;
  private readonly oooMin: number;
  private created: MemSeries[] | null = null;
  private metas: [string, MetricMetadata][] | null = null;
  private finished = false;

  constructor(
    private readonly head: Head,
    private readonly id: number,
  ) {
    this.minValidTime = head.appendableMinValidTime();
    this.oooMin =
      head.outOfOrderWindowMs > 0 ? head.maxTime - head.outOfOrderWindowMs : Number.POSITIVE_INFINITY;
    this.refs = EMPTY_REFS;
    this.ts = EMPTY_F64;
    this.vs = EMPTY_F64;
  }

  /** Number of samples staged. */
  get length(): number {
    return this.n;
  }

  /** Stages a sample; returns the series ref. Throws a StorageError for a sample the head refuses. */
  append(ref: SeriesRef, labels: Labels | null, t: number, v: number): SeriesRef {
    if (this.finished) throw new StorageError("appender already committed or rolled back");
    const head = this.head;
    let s = ref !== 0 ? head.getSeries(ref) : undefined;
    const inBounds = t >= this.minValidTime || t >= this.oooMin;
    if (s === undefined) {
      if (labels === null) throw new StorageError(`unknown series ref ${ref} and no labels given`);
      if (!inBounds) throw new OutOfBoundsError();
      const before = head.numSeries;
      s = head.getOrCreate(labels);
      if (head.numSeries !== before) {
        this.created ??= [];
        this.created.push(s);
      }
    } else if (!inBounds) {
      throw new OutOfBoundsError();
    }
    let lastT: number;
    let same: boolean;
    f64[0] = v;
    if (s.stageOwner === this.id) {
      lastT = s.stageT;
      same = u32[1] === s.stageHi && u32[0] === s.stageLo;
    } else {
      lastT = s.maxT;
      same = s.app?.lastValueIs(v) === true;
    }
    if (t <= lastT) {
      if (t === lastT) {
        if (same) return s.id;
        throw new DuplicateSampleError();
      }
      if (t < this.oooMin) throw new OutOfOrderError();
      const found = head.findOOO(s, t, v);
      if (found === 1) return s.id;
      if (found === 2) throw new DuplicateSampleError();
      this.stage(s, t, v);
      return s.id;
    }
    this.stage(s, t, v);
    f64[0] = v;
    s.stageOwner = this.id;
    s.stageT = t;
    s.stageHi = u32[1]!;
    s.stageLo = u32[0]!;
    return s.id;
  }

  private stage(s: MemSeries, t: number, v: number): void {
    const n = this.n;
    if (n === this.refs.length) this.grow();
    this.refs[n] = s.id;
    this.ts[n] = t;
    this.vs[n] = v;
    this.n = n + 1;
    s.pending++;
  }

  /** Records metadata for a metric family; applied at commit. */
  updateMetadata(metricName: string, meta: MetricMetadata): void {
    this.metas ??= [];
    this.metas.push([metricName, meta]);
  }

  /** Logs the batch to the WAL (if any), then makes it visible. */
  commit(): Promise<void> {
    if (this.finished) return Promise.reject(new StorageError("appender already committed or rolled back"));
    this.finished = true;
    const wal = this.head.walHook;
    if (wal === undefined) {
      this.apply();
      return Promise.resolve();
    }
    const newSeries: WALSeries[] = [];
    const marked: MemSeries[] = [];
    for (let i = 0; i < this.n; i++) {
      const s = this.head.getSeries(this.refs[i]!)!;
      if (!s.logged) {
        s.logged = true;
        marked.push(s);
        newSeries.push({ ref: s.id, labels: s.labels });
      }
    }
    const samples: WALSamples = {
      refs: this.refs.subarray(0, this.n),
      ts: this.ts.subarray(0, this.n),
      vs: this.vs.subarray(0, this.n),
    };
    return wal.log(newSeries, samples, this.metas).then(
      () => this.apply(),
      (err: unknown) => {
        for (const s of marked) s.logged = false;
        this.discard();
        throw err;
      },
    );
  }

  /** Discards the batch; series it created that hold no samples are removed again. */
  rollback(): void {
    if (this.finished) return;
    this.finished = true;
    this.discard();
  }

  private apply(): void {
    const head = this.head;
    const { refs, ts, vs } = this;
    for (let i = 0; i < this.n; i++) {
      const s = head.getSeries(refs[i]!)!;
      s.pending--;
      if (s.stageOwner === this.id) s.stageOwner = 0;
      const t = ts[i]!;
      const v = vs[i]!;
      if (!head.appendCommitted(s, t, v)) {
        if (t < s.maxT && head.outOfOrderWindowMs > 0) {
          if (!head.insertOOO(s, t, v)) head.outOfOrderDropped++;
        } else if (!(t === s.maxT && s.app!.lastValueIs(v))) head.outOfOrderDropped++;
      }
    }
    if (this.metas !== null) for (const [name, m] of this.metas) head.setMetadata(name, m);
    this.release();
  }

  private discard(): void {
    const head = this.head;
    for (let i = 0; i < this.n; i++) {
      const s = head.getSeries(this.refs[i]!)!;
      s.pending--;
      if (s.stageOwner === this.id) s.stageOwner = 0;
      head.dropIfUnused(s);
    }
    this.release();
  }

  private release(): void {
    if (this.refs.length > 0) {
      this.head.giveStaging({ refs: this.refs, ts: this.ts, vs: this.vs });
      this.refs = EMPTY_REFS;
      this.ts = EMPTY_F64;
      this.vs = EMPTY_F64;
    }
    if (this.created !== null) for (const s of this.created) this.head.dropIfUnused(s);
    this.created = null;
    this.metas = null;
    this.n = 0;
  }

  private grow(): void {
    const next = this.head.takeStaging(Math.max(256, this.refs.length * 2));
    if (this.refs.length > 0) {
      next.refs.set(this.refs);
      next.ts.set(this.ts);
      next.vs.set(this.vs);
      this.head.giveStaging({ refs: this.refs, ts: this.ts, vs: this.vs });
    }
    this.refs = next.refs;
    this.ts = next.ts;
    this.vs = next.vs;
  }
}

/** Iterates a series snapshot (closed chunks + a view of the open one) within [mint, maxt]. */
class HeadSeriesIterator implements SampleIterator {
  t = 0;
  v = 0;
  private ci = -1;
  private started = false;
  private done = false;
  private readonly it = new XORIterator();

  constructor(
    private readonly meta: readonly number[],
    private readonly pages: readonly Uint8Array[],
    private readonly nClosed: number,
    private readonly open: XORChunk | null,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  private chunkMaxT(i: number): number {
    return i < this.nClosed ? this.meta[i * M + 1]! : this.open!.maxT;
  }

  /** Moves to the next chunk that may hold a sample >= from; false when none. */
  private nextChunk(from: number): boolean {
    const count = this.nClosed + (this.open === null ? 0 : 1);
    for (;;) {
      this.ci++;
      const i = this.ci;
      if (i >= count) return false;
      const closed = i < this.nClosed;
      if ((closed ? this.meta[i * M]! : this.open!.minT) > this.maxt) return false;
      if (this.chunkMaxT(i) >= from) {
        if (closed) this.it.reset(closedBytes(this.meta, this.pages, i), this.meta[i * M + 2]!);
        else this.it.reset(this.open!.bytes, this.open!.numSamples);
        return true;
      }
    }
  }

  next(): boolean {
    if (this.done) return false;
    for (;;) {
      if (this.ci >= 0 && (this.started ? this.it.next() : this.it.seek(this.mint))) {
        this.started = true;
        if (this.it.t > this.maxt) break;
        this.t = this.it.t;
        this.v = this.it.v;
        return true;
      }
      if (!this.nextChunk(this.mint)) break;
      this.started = false;
    }
    this.done = true;
    return false;
  }

  seek(t: number): boolean {
    if (this.done) return false;
    if (this.ci >= 0 && this.started && this.t >= t) return true;
    const target = Math.max(t, this.mint);
    if (this.ci < 0 || this.chunkMaxT(this.ci) < target) {
      if (!this.nextChunk(target)) {
        this.done = true;
        return false;
      }
    }
    for (;;) {
      if (this.it.seek(target)) {
        this.started = true;
        if (this.it.t > this.maxt) break;
        this.t = this.it.t;
        this.v = this.it.v;
        return true;
      }
      if (!this.nextChunk(target)) break;
    }
    this.done = true;
    return false;
  }
}

/** Iterates sorted samples held in two typed arrays. */
class ArrayIterator implements SampleIterator {
  t = 0;
  v = 0;
  private i = -1;

  constructor(
    private readonly ts: Float64Array,
    private readonly vs: Float64Array,
  ) {}

  next(): boolean {
    const i = ++this.i;
    if (i >= this.ts.length) {
      this.i = this.ts.length;
      return false;
    }
    this.t = this.ts[i]!;
    this.v = this.vs[i]!;
    return true;
  }

  seek(t: number): boolean {
    if (this.i >= 0 && this.i < this.ts.length && this.t >= t) return true;
    let i = lowerBound(this.ts, this.ts.length, t);
    if (i <= this.i) i = Math.max(this.i, 0);
    this.i = i;
    if (i >= this.ts.length) return false;
    this.t = this.ts[i]!;
    this.v = this.vs[i]!;
    return true;
  }
}

/**
 * A selected series: labels plus a snapshot of its chunks taken at select time, and a copy of its
 * out-of-order samples in range (merged in; on equal timestamps the in-order sample wins).
 */
class HeadSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly meta: readonly number[],
    private readonly pages: readonly Uint8Array[],
    private readonly nClosed: number,
    private readonly open: XORChunk | null,
    private readonly mint: number,
    private readonly maxt: number,
    private readonly oooT: Float64Array | null = null,
    private readonly oooV: Float64Array | null = null,
  ) {}

  iterator(): SampleIterator {
    const it = new HeadSeriesIterator(this.meta, this.pages, this.nClosed, this.open, this.mint, this.maxt);
    if (this.oooT === null) return it;
    return new MergeIterator([new ArrayIterator(this.oooT, this.oooV!), it]);
  }

  /** An upper bound of the samples {@link readInto} writes: the sample counts of the chunks in range. */
  maxSamples(): number {
    let n = 0;
    const meta = this.meta;
    for (let i = 0; i < this.nClosed; i++) {
      if (meta[i * M + 1]! >= this.mint && meta[i * M]! <= this.maxt) n += meta[i * M + 2]!;
    }
    if (this.open !== null && this.open.maxT >= this.mint && this.open.minT <= this.maxt)
      n += this.open.numSamples;
    return n + (this.oooT?.length ?? 0);
  }

  /**
   * Decodes the samples in range into `ts`/`vs` from `offset` on (room for {@link maxSamples}
   * needed) and returns how many it wrote; values keep their exact bits (stale markers included).
   */
  readInto(ts: Float64Array, vs: Float64Array, offset: number): number {
    const { mint, maxt, meta } = this;
    let k = offset;
    for (let i = 0; i < this.nClosed; i++) {
      if (meta[i * M + 1]! < mint) continue;
      if (meta[i * M]! > maxt) break;
      scratch.bytes = closedBytes(meta, this.pages, i);
      scratch.numSamples = meta[i * M + 2]!;
      k += decodeInto(scratch, ts, vs, k, mint, maxt);
    }
    const c = this.open;
    if (c !== null && c.maxT >= mint && c.minT <= maxt) {
      k += decodeInto(c, ts, vs, k, mint, maxt);
    }
    scratch.bytes = EMPTY_BYTES;
    if (this.oooT === null) return k - offset;
    return mergeInto(ts, vs, offset, k - offset, this.oooT, this.oooV!);
  }
}

/**
 * Merges the sorted samples `a` (in `ts`/`vs` at [offset, offset + na)) with `bT`/`bV` in place,
 * keeping `a`'s sample on equal timestamps; returns the merged count (room must be there).
 */
function mergeInto(
  ts: Float64Array,
  vs: Float64Array,
  offset: number,
  na: number,
  bT: Float64Array,
  bV: Float64Array,
): number {
  const aT = ts.slice(offset, offset + na);
  const aV = vs.slice(offset, offset + na);
  const nb = bT.length;
  let i = 0;
  let j = 0;
  let w = offset;
  while (i < na || j < nb) {
    if (j >= nb || (i < na && aT[i]! <= bT[j]!)) {
      if (j < nb && aT[i] === bT[j]) j++;
      ts[w] = aT[i]!;
      vs[w] = aV[i]!;
      i++;
    } else {
      ts[w] = bT[j]!;
      vs[w] = bV[j]!;
      j++;
    }
    w++;
  }
  return w - offset;
}

const probe = new XORIterator();
const EMPTY_BYTES = new Uint8Array(0);
/** A closed chunk's bytes and count, as {@link decodeInto} takes them (reused). */
const scratch: { bytes: Uint8Array; numSamples: number } = { bytes: EMPTY_BYTES, numSamples: 0 };

/** True when closed chunk `i` has a sample in [mint, maxt] (decodes only when it spans the range). */
function closedHasSampleIn(
  meta: readonly number[],
  pages: readonly Uint8Array[],
  i: number,
  mint: number,
  maxt: number,
): boolean {
  const cMin = meta[i * M]!;
  const cMax = meta[i * M + 1]!;
  if (cMax < mint || cMin > maxt) return false;
  if (cMin >= mint || cMax <= maxt) return true;
  probe.reset(closedBytes(meta, pages, i), meta[i * M + 2]!);
  return probe.seek(mint) && probe.t <= maxt;
}

/** True when the chunk has a sample in [mint, maxt] (decodes only when the chunk spans the range). */
function chunkHasSampleIn(c: XORChunk, mint: number, maxt: number): boolean {
  if (c.maxT < mint || c.minT > maxt) return false;
  if (c.minT >= mint || c.maxT <= maxt) return true;
  probe.reset(c.bytes, c.numSamples);
  return probe.seek(mint) && probe.t <= maxt;
}

/**
 * Reads the head in [mint, maxt]. Each selected series is a snapshot: appends committed after
 * `select` are not seen by its iterators.
 */
export class HeadQuerier implements Querier {
  constructor(
    private readonly head: Head,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** Series matching all matchers that have at least one sample in range, sorted by labels. */
  select(matchers: readonly Matcher[], hints?: SelectHints): Promise<Series[]> {
    const { head, mint, maxt } = this;
    const ids = head.postings.forMatchers(matchers);
    const out: HeadSeries[] = [];
    for (let i = 0; i < ids.length; i++) {
      const s = head.getSeries(ids[i]!);
      if (s === undefined || (s.app === null && s.oooN === 0) || s.maxT < mint || s.minT > maxt) continue;
      const meta = s.cmeta ?? NO_META;
      const pages = s.cpages ?? NO_PAGES;
      const nClosed = meta.length / M;
      const open = s.app?.snapshot() ?? null;
      let found = open !== null && chunkHasSampleIn(open, mint, maxt);
      for (let j = nClosed - 1; j >= 0 && !found; j--) {
        if (meta[j * M + 1]! < mint) break;
        found = closedHasSampleIn(meta, pages, j, mint, maxt);
      }
      let oooT: Float64Array | null = null;
      let oooV: Float64Array | null = null;
      if (s.oooN > 0) {
        const lo = lowerBound(s.oooT!, s.oooN, mint);
        let hi = lowerBound(s.oooT!, s.oooN, maxt);
        if (hi < s.oooN && s.oooT![hi] === maxt) hi++;
        if (hi > lo) {
          oooT = s.oooT!.slice(lo, hi);
          oooV = s.oooV!.slice(lo, hi);
          found = true;
        }
      }
      if (found) out.push(new HeadSeries(s.labels, meta, pages, nClosed, open, mint, maxt, oooT, oooV));
    }
    out.sort((a, b) => compareLabels(a.labels, b.labels));
    const limit = hints?.limit ?? 0;
    if (limit > 0 && out.length > limit) out.length = limit;
    return Promise.resolve(out);
  }

  /** Sorted label names of matching series with data overlapping the range. */
  labelNames(matchers: readonly Matcher[] = []): Promise<string[]> {
    const head = this.head;
    if (matchers.length === 0 && this.coversHead()) return Promise.resolve(head.postings.labelNames());
    const names = new Set<string>();
    this.forEachSeries(matchers, (ls) => {
      for (const l of ls) names.add(l.name);
    });
    return Promise.resolve([...names].sort());
  }

  /** Sorted values of label `name` among matching series with data overlapping the range. */
  labelValues(name: string, matchers: readonly Matcher[] = []): Promise<string[]> {
    const head = this.head;
    if (matchers.length === 0 && this.coversHead()) return Promise.resolve(head.postings.labelValues(name));
    const values = new Set<string>();
    this.forEachSeries(matchers, (ls) => {
      for (const l of ls) if (l.name === name) values.add(l.value);
    });
    return Promise.resolve([...values].sort());
  }

  /** Nothing to release. */
  close(): void {}

  private coversHead(): boolean {
    const head = this.head;
    return head.emptySeries === 0 && this.mint <= head.minTime && this.maxt >= head.maxTime;
  }

  private forEachSeries(matchers: readonly Matcher[], fn: (ls: readonly Label[]) => void): void {
    const ids: Postings =
      matchers.length === 0 ? this.head.postings.allPostings() : this.head.postings.forMatchers(matchers);
    for (let i = 0; i < ids.length; i++) {
      const s = this.head.getSeries(ids[i]!);
      if (s === undefined || (s.app === null && s.oooN === 0) || s.maxT < this.mint || s.minT > this.maxt)
        continue;
      fn(s.labels);
    }
  }
}
