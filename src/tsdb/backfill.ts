import { compareLabels, type Labels, labelsEqual, type MetricMetadata } from "../model/index.js";
import {
  type Appendable,
  type Appender,
  type SampleIterator,
  type SeriesRef,
  StorageError,
} from "../storage/index.js";
import { type BlockMeta, MergeIterator, type SeriesSource } from "./block/index.js";
import { MAX_CHUNK_SAMPLES, XORAppender, type XORChunk, XORIterator } from "./chunk.js";
import { fnvLabels, validateLabels } from "./head.js";

/** Where a {@link BackfillWriter} puts its blocks (the DB's {@link BlockStore}). */
export interface BlockSink {
  /** Width (ms) of the smallest blocks; block bounds are multiples of it. */
  readonly blockRange: number;
  /** Block widths of the compaction levels, smallest first (the largest is the backfill's default range). */
  readonly ranges: readonly number[];
  /** Writes one block of the given series (in label order) over [mint, maxt) and serves it. */
  persist(
    series: Iterable<SeriesSource> | AsyncIterable<SeriesSource>,
    mint: number,
    maxt: number,
  ): Promise<BlockMeta | null>;
}

/** Options of {@link BackfillWriter}. */
export interface BackfillOptions {
  /**
   * True (default) when input comes in time order across batches, as the simulator's history
   * does: at each commit, the open ranges that end at or before the commit's oldest sample are
   * written as blocks, and the commit resolves once they are. False keeps every range open until
   * {@link BackfillWriter.flush} or the memory limit (for input grouped by series, such as an
   * OpenMetrics file). Either way, samples for a range already written open it again and end up
   * in another block over the same range, which the next compaction merges.
   */
  ordered?: boolean;
  /**
   * When the buffered chunks take more than this many bytes (estimated), every open range is
   * written at the end of the commit (default 256 MiB).
   */
  maxBufferedBytes?: number;
  /**
   * Width (ms) of the aligned ranges samples are collected in (default: the largest compaction
   * range, 24 h, so that history is written once, in blocks compaction leaves alone). A range's
   * block is trimmed to the block-range (2 h) multiples around its samples.
   */
  rangeMs?: number;
}

/** What a {@link BackfillWriter} has done so far. */
export interface BackfillStats {
  /** Samples committed. */
  samples: number;
  /** Distinct series seen. */
  series: number;
  /** Blocks written. */
  blocks: number;
  /** Oldest and newest committed timestamps (ms; +Infinity / -Infinity when none). */
  minTime: number;
  maxTime: number;
}

/** Hooks a {@link BackfillWriter} calls; the DB supplies them. */
export interface BackfillHooks {
  /** Receives the metadata of each commit (the DB records it in the head and its WAL). */
  onMetadata?(entries: readonly (readonly [name: string, meta: MetricMetadata])[]): Promise<void> | void;
  /** Called after {@link BackfillWriter.flush} wrote its blocks (the DB starts a compaction). */
  onFlushed?(): void;
}

const SERIES_OVERHEAD = 160;
const CHUNK_OVERHEAD = 96;

/** One series' samples in one open range: finished chunks (only when input broke time order) and the open one. */
class SeriesBuf {
  done: XORChunk[] | null = null;
  app: XORAppender;

  constructor(initialBytes: number) {
    this.app = new XORAppender(initialBytes);
  }

  chunks(): XORChunk[] {
    const open = this.app.snapshot();
    return this.done === null ? [open] : [...this.done, open];
  }
}

/** An aligned range [start, start + width) still collecting samples. */
class OpenRange {
  readonly bufs = new Map<number, SeriesBuf>();
  bytes = 0;
  closed = false;
  minT = Number.POSITIVE_INFINITY;
  maxT = Number.NEGATIVE_INFINITY;

  constructor(readonly start: number) {}
}

/** A series of a range being written: its samples merged across its chunks (a later chunk wins on equal timestamps). */
class RangeSeries implements SeriesSource {
  constructor(
    readonly labels: Labels,
    private readonly chunks: readonly XORChunk[],
  ) {}

  iterator(): SampleIterator {
    if (this.chunks.length === 1) return this.chunks[0]!.iterator();
    return new MergeIterator(this.chunks.map((c) => new XORIterator(c.bytes, c.numSamples)));
  }
}

/**
 * Writes samples of any age straight into blocks, bypassing the head and its WAL (Prometheus's
 * `promtool tsdb create-blocks-from`, as an {@link Appendable}). Samples are sorted into
 * `rangeMs`-aligned ranges, each holding one XOR chunk per series built as samples arrive; a
 * range is written as a level-1 block once the input has moved past it (see
 * {@link BackfillOptions.ordered}), when memory runs over the limit, or at {@link flush}. Any
 * order is accepted: a sample older than its series' last one in the range starts another chunk,
 * and the block writer merges them (equal timestamps: the later sample wins). Blocks may overlap
 * other blocks and the head; queries merge them and compaction merges overlapping blocks.
 * Durability is per block: a commit is not logged, so what a crash loses is the data of ranges
 * not yet written (never part of a block).
 * @example
 * const bf = db.backfillAppendable();
 * const app = bf.appender();
 * app.append(0, labelsFromRecord({ __name__: "old" }), Date.UTC(2024, 0, 1), 1);
 * await app.commit();
 * await bf.flush();
 */
export class BackfillWriter implements Appendable {
  private readonly width: number;
  private readonly ordered: boolean;
  private readonly maxBytes: number;
  private readonly byHash = new Map<number, number | number[]>();
  private readonly labels: Labels[] = [[]];
  private readonly lastRange: (OpenRange | undefined)[] = [undefined];
  private readonly lastBuf: (SeriesBuf | undefined)[] = [undefined];
  private readonly lastBytes: number[] = [0];
  private readonly ranges = new Map<number, OpenRange>();
  private buffered = 0;
  private spare: { refs: Uint32Array; ts: Float64Array; vs: Float64Array } | null = null;
  private writes: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private readonly st: BackfillStats = {
    samples: 0,
    series: 0,
    blocks: 0,
    minTime: Number.POSITIVE_INFINITY,
    maxTime: Number.NEGATIVE_INFINITY,
  };

  constructor(
    private readonly sink: BlockSink,
    options: BackfillOptions = {},
    private readonly hooks: BackfillHooks = {},
  ) {
    this.width = options.rangeMs ?? Math.max(sink.blockRange, ...sink.ranges);
    this.ordered = options.ordered ?? true;
    this.maxBytes = options.maxBufferedBytes ?? 256 * 2 ** 20;
  }

  /** A new batch. */
  appender(): BackfillAppender {
    return new BackfillAppender(this);
  }

  /** Figures so far (a copy). */
  get stats(): BackfillStats {
    return { ...this.st };
  }

  /** Estimated bytes of chunk data held in open ranges. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Number of ranges still collecting samples. */
  get openRanges(): number {
    return this.ranges.size;
  }

  /**
   * Writes every open range as a block and waits for all block writes; then the hooks' `onFlushed`
   * runs (the DB compacts in the background). The writer stays usable. Rejects with the first
   * block write that failed.
   */
  async flush(): Promise<BackfillStats> {
    this.closeWhere(() => true);
    await this.writes;
    if (this.failure !== null) throw this.failure;
    this.hooks.onFlushed?.();
    return this.stats;
  }

  /** @internal Staging arrays of at least `size` entries (reused across batches). */
  takeStaging(size: number): { refs: Uint32Array; ts: Float64Array; vs: Float64Array } {
    const st = this.spare;
    if (st !== null && st.refs.length >= size) {
      this.spare = null;
      return st;
    }
    return { refs: new Uint32Array(size), ts: new Float64Array(size), vs: new Float64Array(size) };
  }

  /** @internal Returns staging arrays for the next batch. */
  giveStaging(st: { refs: Uint32Array; ts: Float64Array; vs: Float64Array }): void {
    if (st.refs.length > 256 && (this.spare === null || this.spare.refs.length < st.refs.length))
      this.spare = st;
  }

  /** @internal The series id for these labels, created when new. */
  seriesId(labels: Labels): number {
    let h = fnvLabels(labels);
    let id = this.lookup(h, labels);
    if (id !== 0) return id;
    const valid = validateLabels(labels);
    if (valid !== labels) {
      h = fnvLabels(valid);
      id = this.lookup(h, valid);
      if (id !== 0) return id;
    }
    id = this.labels.length;
    this.labels.push(valid);
    this.lastRange.push(undefined);
    this.lastBuf.push(undefined);
    this.lastBytes.push(0);
    const e = this.byHash.get(h);
    if (e === undefined) this.byHash.set(h, id);
    else if (typeof e === "number") this.byHash.set(h, [e, id]);
    else e.push(id);
    this.st.series++;
    return id;
  }

  /** @internal True when `ref` is a series id of this writer. */
  known(ref: number): boolean {
    return ref > 0 && ref < this.labels.length;
  }

  private lookup(h: number, labels: Labels): number {
    const e = this.byHash.get(h);
    if (e === undefined) return 0;
    if (typeof e === "number") return labelsEqual(this.labels[e]!, labels) ? e : 0;
    for (const id of e) if (labelsEqual(this.labels[id]!, labels)) return id;
    return 0;
  }

  /** @internal Applies a committed batch; resolves once the blocks it completed are written. */
  apply(
    refs: Uint32Array,
    ts: Float64Array,
    vs: Float64Array,
    n: number,
    metas: readonly (readonly [string, MetricMetadata])[] | null,
  ): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const width = this.width;
    let minT = Number.POSITIVE_INFINITY;
    let maxT = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const id = refs[i]!;
      const t = ts[i]!;
      const v = vs[i]!;
      if (t < minT) minT = t;
      if (t > maxT) maxT = t;
      const start = Math.floor(t / width) * width;
      let r = this.lastRange[id];
      let b: SeriesBuf | undefined;
      if (r !== undefined && r.start === start && !r.closed) {
        b = this.lastBuf[id]!;
      } else {
        r = this.ranges.get(start);
        if (r === undefined) {
          r = new OpenRange(start);
          this.ranges.set(start, r);
        }
        b = r.bufs.get(id);
        if (b === undefined) {
          const last = this.lastBytes[id]!;
          b = new SeriesBuf(last === 0 ? 64 : last + (last >>> 3) + 16);
          r.bufs.set(id, b);
          r.bytes += SERIES_OVERHEAD + b.app.capacity;
          this.buffered += SERIES_OVERHEAD + b.app.capacity;
        }
        this.lastRange[id] = r;
        this.lastBuf[id] = b;
      }
      if (t < r.minT) r.minT = t;
      if (t > r.maxT) r.maxT = t;
      let app = b.app;
      const k = app.numSamples;
      if (k > 0 && !(t > app.maxT)) {
        if (t === app.maxT && app.lastValueIs(v)) continue;
        app = this.cutChunk(r, b);
      } else if (k >= MAX_CHUNK_SAMPLES) {
        app = this.cutChunk(r, b);
      }
      const before = app.capacity;
      app.append(t, v);
      const grown = app.capacity - before;
      if (grown !== 0) {
        r.bytes += grown;
        this.buffered += grown;
      }
    }
    this.st.samples += n;
    if (minT < this.st.minTime) this.st.minTime = minT;
    if (maxT > this.st.maxTime) this.st.maxTime = maxT;
    const meta = metas !== null && metas.length > 0 ? this.hooks.onMetadata?.(metas) : undefined;
    let closed = false;
    if (this.buffered > this.maxBytes) closed = this.closeWhere(() => true);
    else if (this.ordered && n > 0) closed = this.closeWhere((r) => r.start + width <= minT);
    const written = closed ? this.writes.then(() => this.check()) : Promise.resolve();
    return meta === undefined ? written : Promise.all([meta, written]).then(() => undefined);
  }

  private check(): void {
    if (this.failure !== null) throw this.failure;
  }

  private cutChunk(r: OpenRange, b: SeriesBuf): XORAppender {
    const size = b.app.byteLength;
    const c = b.app.finish();
    b.done ??= [];
    b.done.push(c);
    const app = new XORAppender(Math.max(32, size >>> 2));
    b.app = app;
    const delta = CHUNK_OVERHEAD + app.capacity;
    r.bytes += delta;
    this.buffered += delta;
    return app;
  }

  /** Closes the open ranges `pick` selects (oldest first) and queues their block writes. */
  private closeWhere(pick: (r: OpenRange) => boolean): boolean {
    const chosen: OpenRange[] = [];
    for (const r of this.ranges.values()) if (pick(r)) chosen.push(r);
    if (chosen.length === 0) return false;
    chosen.sort((a, b) => a.start - b.start);
    for (const r of chosen) {
      r.closed = true;
      this.ranges.delete(r.start);
      this.buffered -= r.bytes;
      this.writes = this.writes.then(() => this.writeRange(r));
    }
    return true;
  }

  private async writeRange(r: OpenRange): Promise<void> {
    if (this.failure !== null) return;
    const labels = this.labels;
    const ids = [...r.bufs.keys()].sort((a, b) => compareLabels(labels[a]!, labels[b]!));
    const bufs = r.bufs;
    const { lastBytes, lastRange, lastBuf } = this;
    function* sources(): Generator<SeriesSource> {
      for (const id of ids) {
        const b = bufs.get(id)!;
        lastBytes[id] = b.app.byteLength;
        if (lastRange[id] === r) {
          lastRange[id] = undefined;
          lastBuf[id] = undefined;
        }
        yield new RangeSeries(labels[id]!, b.chunks());
      }
    }
    try {
      const unit = this.sink.blockRange;
      const mint = Math.max(r.start, Math.floor(r.minT / unit) * unit);
      const maxt = Math.min(r.start + this.width, Math.floor(r.maxT / unit) * unit + unit);
      const meta = await this.sink.persist(sources(), mint, maxt);
      if (meta !== null) this.st.blocks++;
    } catch (err) {
      this.failure = err;
    } finally {
      r.bufs.clear();
    }
  }
}

/**
 * A batch for a {@link BackfillWriter}: samples are staged in typed arrays and sorted into ranges
 * at commit. Refs are the writer's own (valid for its life). Any timestamp is accepted.
 */
export class BackfillAppender implements Appender {
  private refs: Uint32Array = new Uint32Array(256);
  private ts: Float64Array = new Float64Array(256);
  private vs: Float64Array = new Float64Array(256);
  private n = 0;
  private metas: [string, MetricMetadata][] | null = null;
  private finished = false;

  constructor(private readonly writer: BackfillWriter) {}

  /** Stages a sample; returns the series ref. Throws a StorageError for bad labels or a non-integer time. */
  append(ref: SeriesRef, labels: Labels | null, t: number, v: number): SeriesRef {
    if (this.finished) throw new StorageError("appender already committed or rolled back");
    let id = ref;
    if (!this.writer.known(id)) {
      if (labels === null) throw new StorageError(`unknown series ref ${ref} and no labels given`);
      id = this.writer.seriesId(labels);
    }
    if (!Number.isSafeInteger(t)) throw new StorageError(`timestamp ${t} is not an integer number of ms`);
    const n = this.n;
    if (n === this.refs.length) this.grow();
    this.refs[n] = id;
    this.ts[n] = t;
    this.vs[n] = v;
    this.n = n + 1;
    return id;
  }

  /** Records metadata for a metric family; passed on at commit. */
  updateMetadata(metricName: string, meta: MetricMetadata): void {
    this.metas ??= [];
    this.metas.push([metricName, meta]);
  }

  /** Sorts the batch into its ranges; resolves once the blocks it completed are written. */
  commit(): Promise<void> {
    if (this.finished) return Promise.reject(new StorageError("appender already committed or rolled back"));
    this.finished = true;
    const done = this.writer.apply(this.refs, this.ts, this.vs, this.n, this.metas);
    this.release();
    return done;
  }

  /** Discards the batch. */
  rollback(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
  }

  private release(): void {
    this.writer.giveStaging({ refs: this.refs, ts: this.ts, vs: this.vs });
    this.n = 0;
  }

  private grow(): void {
    const next = this.writer.takeStaging(this.refs.length * 2);
    next.refs.set(this.refs);
    next.ts.set(this.ts);
    next.vs.set(this.vs);
    this.refs = next.refs;
    this.ts = next.ts;
    this.vs = next.vs;
  }
}
