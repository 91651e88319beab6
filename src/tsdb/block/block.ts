import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Labels, Matcher } from "../../model/index.js";
import type { Querier, SampleIterator, SelectHints, Series } from "../../storage/index.js";
import { decodeInto, XORAppender, XORChunk } from "../chunk.js";
import {
  ChunkFileReader,
  ChunkFileWriter,
  ChunkRangeReader,
  decodeChunkRecord,
  ENC_DECIMAL,
  ENC_XOR,
} from "./chunks.js";
import { DecimalChunk, DecimalIterator, encodeDecimal } from "./decimal.js";
import { ByteWriter, CorruptBlockError, readSection, ulid } from "./encoding.js";
import { type ChunkMeta, encodeChunkMetas, IndexReader, IndexWriter } from "./indexfile.js";
import { ChunksIterator } from "./iterator.js";

/** The contents of a block's meta.json. Times are ms; the block covers [minTime, maxTime). */
export interface BlockMeta {
  ulid: string;
  minTime: number;
  maxTime: number;
  stats: { numSamples: number; numSeries: number; numChunks: number };
  compaction: { level: number; sources: string[]; parents?: string[] };
  version: 1;
}

/** A series to write into a block: its labels and its samples (the writer keeps [mint, maxt)). */
export interface SeriesSource {
  readonly labels: Labels;
  iterator(): SampleIterator;
}

/** Options of {@link writeBlock}. */
export interface WriteBlockOptions {
  /** Start of the block's range (inclusive, ms). */
  minTime: number;
  /** End of the block's range (exclusive, ms). */
  maxTime: number;
  /** Compaction level (1 for a block cut from the head). */
  level?: number;
  /** Level-1 blocks this one holds the data of (default: itself). */
  sources?: string[];
  /** Blocks this one replaces (compaction). */
  parents?: string[];
  /** Largest number of samples per chunk (default 240). */
  samplesPerChunk?: number;
  /** Yield to the event loop after this many series (default 256; 0: never). */
  yieldEvery?: number;
  /** Chunk file size limit (default 512 MiB). */
  segmentSize?: number;
}

/** Names of the files in a block directory. */
export const META_FILE = "meta.json";
export const INDEX_FILE = "index";
export const TOMBSTONES_FILE = "tombstones";
const TOMBSTONES_MAGIC = 0x524d5453;

function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` and fsyncs it. */
function writeFileDurable(path: string, data: Uint8Array | string): void {
  const fd = openSync(path, "w");
  try {
    const b = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a block from series given in label order into `<parent>/<ULID>.tmp/`, then fsyncs and
 * renames it to `<parent>/<ULID>/`. Series without samples in the range are left out; if none
 * remain, nothing is written and null is returned.
 */
export async function writeBlock(
  parent: string,
  series: Iterable<SeriesSource> | AsyncIterable<SeriesSource>,
  options: WriteBlockOptions,
): Promise<BlockMeta | null> {
  const id = ulid();
  const tmp = join(parent, `${id}.tmp`);
  mkdirSync(tmp, { recursive: true });
  const cw = new ChunkFileWriter(tmp, options.segmentSize);
  const iw = new IndexWriter();
  const spc = options.samplesPerChunk ?? 240;
  const yieldEvery = options.yieldEvery ?? 256;
  const { minTime, maxTime } = options;
  let ts = new Float64Array(1024);
  let vs = new Float64Array(1024);
  const metaW = new ByteWriter(256);
  const decW = new ByteWriter(1024);
  // one chunk encoder for the whole block: a chunk's bytes are copied into the chunk file's
  // buffer at once, so no chunk allocates memory of its own
  const app = new XORAppender(1024);
  const metas: ChunkMeta[] = [];
  let numSamples = 0;
  let numChunks = 0;
  let count = 0;
  let prev: Labels | null = null;
  try {
    for await (const s of series) {
      if (yieldEvery > 0 && ++count % yieldEvery === 0) await yieldToLoop();
      const it = s.iterator();
      let n = 0;
      if (it.seek(minTime)) {
        do {
          const t = it.t;
          if (t >= maxTime) break;
          if (n === ts.length) {
            const nt = new Float64Array(n * 2);
            nt.set(ts);
            ts = nt;
            const nv = new Float64Array(n * 2);
            nv.set(vs);
            vs = nv;
          }
          ts[n] = t;
          vs[n] = it.v;
          n++;
        } while (it.next());
      }
      if (n === 0) continue;
      if (prev !== null && !labelsAfter(s.labels, prev)) {
        throw new Error("writeBlock: series must be given in strictly increasing label order");
      }
      prev = s.labels;
      const nChunks = Math.ceil(n / spc);
      const per = Math.ceil(n / nChunks);
      metas.length = 0;
      for (let start = 0; start < n; start += per) {
        const end = Math.min(n, start + per);
        for (let i = start; i < end; i++) app.append(ts[i]!, vs[i]!);
        const xorLen = app.byteLength;
        const dec = encodeDecimal(ts, vs, start, end, decW) && decW.len < xorLen;
        const loc = dec
          ? cw.write(ENC_DECIMAL, decW.bytes())
          : cw.write(ENC_XOR, app.bytes().subarray(0, xorLen));
        app.reset();
        metas.push({ minT: ts[start]!, maxT: ts[end - 1]!, numSamples: end - start, ...loc });
      }
      metaW.clear();
      encodeChunkMetas(metaW, metas);
      iw.add(s.labels, metaW.bytes().slice());
      numSamples += n;
      numChunks += metas.length;
    }
    if (iw.length === 0) {
      cw.abort();
      rmSync(tmp, { recursive: true, force: true });
      return null;
    }
    cw.close();
    writeFileDurable(join(tmp, INDEX_FILE), iw.finish());
    const meta: BlockMeta = {
      ulid: id,
      minTime,
      maxTime,
      stats: { numSamples, numSeries: iw.length, numChunks },
      compaction: { level: options.level ?? 1, sources: options.sources ?? [id], parents: options.parents },
      version: 1,
    };
    if (meta.compaction.parents === undefined) delete meta.compaction.parents;
    writeFileDurable(join(tmp, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    fsyncPath(join(tmp, "chunks"));
    fsyncPath(tmp);
    renameSync(tmp, join(parent, id));
    fsyncPath(parent);
    return meta;
  } catch (err) {
    cw.abort();
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function labelsAfter(a: Labels, b: Labels): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name) return x.name > y.name;
    if (x.value !== y.value) return x.value > y.value;
  }
  return a.length > b.length;
}

/** Deleted intervals per series ref: sorted, disjoint, inclusive [min, max] pairs. */
export type Tombstones = Map<number, Float64Array>;

/** Adds [mint, maxt] to a sorted list of intervals, merging overlaps. */
export function addInterval(list: Float64Array | undefined, mint: number, maxt: number): Float64Array {
  const pairs: [number, number][] = [];
  if (list !== undefined) for (let i = 0; i < list.length; i += 2) pairs.push([list[i]!, list[i + 1]!]);
  pairs.push([mint, maxt]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [a, b] of pairs) {
    const last = out.length - 1;
    if (last > 0 && a <= out[last]! + 1) out[last] = Math.max(out[last]!, b);
    else out.push(a, b);
  }
  return Float64Array.from(out);
}

function encodeTombstones(t: Tombstones): Uint8Array {
  const w = new ByteWriter(64 + t.size * 16);
  w.u32(TOMBSTONES_MAGIC);
  w.u8(1);
  const lenAt = w.len;
  w.u32(0);
  const start = w.len;
  const refs = [...t.keys()].sort((a, b) => a - b);
  w.uvarint(refs.length);
  for (const ref of refs) {
    const iv = t.get(ref)!;
    w.uvarint(ref);
    w.uvarint(iv.length / 2);
    for (let i = 0; i < iv.length; i++) w.varint(iv[i]!);
  }
  w.u32At(lenAt, w.len - start);
  w.crc(start);
  return w.bytes();
}

function decodeTombstones(buf: Uint8Array, what: string): Tombstones {
  const out: Tombstones = new Map();
  if (buf.length < 5) throw new CorruptBlockError(`${what}: too short`);
  if (((buf[0]! << 24) | (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!) >>> 0 !== TOMBSTONES_MAGIC) {
    throw new CorruptBlockError(`${what}: not a tombstones file (bad magic)`);
  }
  const r = readSection(buf, 5, what);
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    const ref = r.uvarint();
    const k = r.uvarint();
    const iv = new Float64Array(k * 2);
    for (let j = 0; j < k * 2; j++) iv[j] = r.varint();
    out.set(ref, iv);
  }
  return out;
}

/** Reads and checks a block's meta.json. */
export function readMeta(dir: string): BlockMeta {
  const path = join(dir, META_FILE);
  const m = JSON.parse(readFileSync(path, "utf8")) as BlockMeta;
  if (
    typeof m.ulid !== "string" ||
    !Number.isFinite(m.minTime) ||
    !Number.isFinite(m.maxTime) ||
    m.maxTime < m.minTime ||
    typeof m.compaction?.level !== "number" ||
    !Array.isArray(m.compaction.sources)
  ) {
    throw new CorruptBlockError(`${path}: missing or invalid fields`);
  }
  return m;
}

/**
 * A persistent block opened for reading: meta, the whole index in memory (it is small), chunk
 * files read lazily, and the block's tombstones. Reference counted: queriers `acquire` it, and
 * `close` releases the files once the last reader is done.
 */
export class Block {
  readonly meta: BlockMeta;
  readonly index: IndexReader;
  private readonly chunkReader: ChunkFileReader;
  private tomb: Tombstones;
  private refs = 0;
  private closing = false;
  private deleteOnClose = false;
  /** Bytes the block takes on disk. */
  readonly sizeBytes: number;

  private constructor(
    readonly dir: string,
    meta: BlockMeta,
    index: IndexReader,
    tomb: Tombstones,
    size: number,
  ) {
    this.meta = meta;
    this.index = index;
    this.tomb = tomb;
    this.sizeBytes = size;
    this.chunkReader = new ChunkFileReader(dir);
  }

  /** Opens the block in `dir`; throws when meta.json, the index or the tombstones do not read. */
  static open(dir: string): Block {
    const meta = readMeta(dir);
    const indexBuf = readFileSync(join(dir, INDEX_FILE));
    const index = new IndexReader(indexBuf, join(dir, INDEX_FILE));
    let tomb: Tombstones = new Map();
    let size = indexBuf.length + statSync(join(dir, META_FILE)).size;
    try {
      const tb = readFileSync(join(dir, TOMBSTONES_FILE));
      tomb = decodeTombstones(tb, join(dir, TOMBSTONES_FILE));
      size += tb.length;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    for (const f of readdirSync(join(dir, "chunks"))) size += statSync(join(dir, "chunks", f)).size;
    return new Block(dir, meta, index, tomb, size);
  }

  /** The block's ULID. */
  get ulid(): string {
    return this.meta.ulid;
  }

  /** First timestamp covered (inclusive). */
  get minTime(): number {
    return this.meta.minTime;
  }

  /** End of the covered range (exclusive). */
  get maxTime(): number {
    return this.meta.maxTime;
  }

  /** The block's tombstones (read only). */
  get tombstones(): ReadonlyMap<number, Float64Array> {
    return this.tomb;
  }

  /** Records deleted intervals for the matching series and persists the tombstones file. Returns how many series got one. */
  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): number {
    const lo = Math.max(mint, this.minTime);
    const hi = Math.min(maxt, this.maxTime - 1);
    if (lo > hi) return 0;
    const refs = this.index.forMatchers(matchers);
    if (refs.length === 0) return 0;
    const next: Tombstones = new Map(this.tomb);
    for (let i = 0; i < refs.length; i++) next.set(refs[i]!, addInterval(next.get(refs[i]!), lo, hi));
    const tmp = join(this.dir, `${TOMBSTONES_FILE}.tmp`);
    writeFileDurable(tmp, encodeTombstones(next));
    renameSync(tmp, join(this.dir, TOMBSTONES_FILE));
    this.tomb = next;
    return refs.length;
  }

  /** Takes a reference; the files stay open until it is released. */
  acquire(): void {
    this.refs++;
  }

  /** Releases a reference taken with {@link acquire}. */
  release(): void {
    this.refs--;
    if (this.refs === 0 && this.closing) this.finishClose();
  }

  /** Closes the block once no reader holds it; `remove` also deletes its directory then. */
  close(remove = false): void {
    this.closing = true;
    if (remove) this.deleteOnClose = true;
    if (this.refs === 0) this.finishClose();
  }

  private finishClose(): void {
    this.chunkReader.close();
    if (this.deleteOnClose) rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Reads and decodes the given chunks of one series through `ranges`, where they are records
   * `first`, `first + 1`, ... (a series selected with others shares its selection's reader); by
   * default a reader of its own, which reads neighbouring records at once.
   */
  loadChunks(
    metas: readonly ChunkMeta[],
    ranges: ChunkRangeReader = new ChunkRangeReader(this.chunkReader, metas),
    first = 0,
  ): XORChunk[] {
    const out: XORChunk[] = new Array(metas.length);
    for (let k = 0; k < metas.length; k++) {
      const m = metas[k]!;
      out[k] = this.chunkAt(ranges.bytes(first + k), m.offset - ranges.base(first + k), m);
    }
    return out;
  }

  private chunkAt(buf: Uint8Array, off: number, m: ChunkMeta): XORChunk {
    const { encoding, data } = decodeChunkRecord(buf, off, this.dir);
    if (encoding === ENC_XOR) return new XORChunk(data, m.numSamples, m.minT, m.maxT);
    if (encoding === ENC_DECIMAL) return new DecimalChunk(data, m.numSamples, m.minT, m.maxT);
    throw new CorruptBlockError(`${this.dir}: unknown chunk encoding ${encoding}`);
  }

  /** A reader of the chunk records of `series` (selected together, in order) in coalesced ranges. */
  rangeReader(series: readonly { readonly metas: readonly ChunkMeta[] }[]): ChunkRangeReader {
    const locations: ChunkMeta[] = [];
    for (const s of series) for (const m of s.metas) locations.push(m);
    return new ChunkRangeReader(this.chunkReader, locations);
  }

  /** Every series of the block in label order, with tombstones applied (for compaction). */
  *allSeries(): Generator<BlockSeries> {
    const refs = this.index.allPostings();
    for (let i = 0; i < refs.length; i++) {
      const e = this.index.series(refs[i]!);
      yield new BlockSeries(
        this,
        e.labels,
        e.chunks,
        this.minTime,
        this.maxTime - 1,
        this.tomb.get(refs[i]!) ?? null,
      );
    }
  }

  /** A querier over [mint, maxt] (inclusive); it holds a reference until closed. */
  querier(mint: number, maxt: number): BlockQuerier {
    this.acquire();
    return new BlockQuerier(this, mint, maxt);
  }
}

/** A series read from a block; its chunks are loaded from disk on first iteration. */
export class BlockSeries implements Series {
  private loaded: XORChunk[] | null = null;
  private ranges: ChunkRangeReader | undefined;
  private first = 0;

  constructor(
    private readonly block: Block,
    readonly labels: Labels,
    readonly metas: readonly ChunkMeta[],
    private readonly mint: number,
    private readonly maxt: number,
    private readonly deleted: Float64Array | null,
  ) {}

  /** Reads this series' chunks through `ranges`, where they are records `first`, `first + 1`, ... */
  readThrough(ranges: ChunkRangeReader, first: number): void {
    this.ranges = ranges;
    this.first = first;
  }

  private chunks(): XORChunk[] {
    this.loaded ??= this.block.loadChunks(this.metas, this.ranges, this.first);
    return this.loaded;
  }

  iterator(): SampleIterator {
    return new ChunksIterator(this.chunks(), this.mint, this.maxt, this.deleted);
  }

  /** An upper bound of the samples {@link readInto} writes: the sample counts of its chunks. */
  maxSamples(): number {
    let n = 0;
    for (const m of this.metas) n += m.numSamples;
    return n;
  }

  /**
   * Decodes the samples in range that are not deleted into `ts`/`vs` from `offset` on (room for
   * {@link maxSamples} needed) and returns how many it wrote; values keep their exact bits.
   */
  readInto(ts: Float64Array, vs: Float64Array, offset: number): number {
    const { mint, maxt } = this;
    let k = offset;
    // decoded without being kept: a query reads each series once, and keeping every chunk of a
    // selection alive until the query ends costs memory for nothing
    const chunks = this.loaded ?? this.block.loadChunks(this.metas, this.ranges, this.first);
    for (const c of chunks) {
      if (c.minT > maxt) break;
      if (c.maxT < mint) continue;
      if (c instanceof DecimalChunk) {
        decIt.reset(c.bytes, c.numSamples);
        while (decIt.next()) {
          const t = decIt.t;
          if (t > maxt) break;
          if (t < mint) continue;
          ts[k] = t;
          vs[k] = decIt.v;
          k++;
        }
      } else {
        k += decodeInto(c, ts, vs, k, mint, maxt);
      }
    }
    return this.deleted === null ? k - offset : dropDeleted(ts, vs, offset, k, this.deleted);
  }

  /** True when at least one sample lies in range and is not deleted. */
  hasSamples(): boolean {
    if (this.deleted === null) {
      for (const m of this.metas) if (m.minT >= this.mint && m.maxT <= this.maxt) return true;
    }
    return this.iterator().next();
  }
}

const decIt = new DecimalIterator();

/**
 * Removes the samples of `ts`/`vs`[from, to) inside the sorted inclusive intervals `deleted`,
 * moving runs with copyWithin (bits kept); returns the count left.
 */
function dropDeleted(
  ts: Float64Array,
  vs: Float64Array,
  from: number,
  to: number,
  deleted: Float64Array,
): number {
  let w = from;
  let i = from;
  let d = 0;
  while (i < to) {
    while (d < deleted.length && deleted[d + 1]! < ts[i]!) d += 2;
    let j = i;
    if (d < deleted.length) {
      const lo = deleted[d]!;
      while (j < to && ts[j]! < lo) j++;
    } else j = to;
    if (j > i) {
      if (w !== i) {
        ts.copyWithin(w, i, j);
        vs.copyWithin(w, i, j);
      }
      w += j - i;
    }
    i = j;
    if (d < deleted.length) {
      const hi = deleted[d + 1]!;
      while (i < to && ts[i]! <= hi) i++;
    }
  }
  return w - from;
}

/** Reads one block over [mint, maxt] (inclusive), implementing the Querier contract. */
export class BlockQuerier implements Querier {
  private closed = false;

  constructor(
    private readonly block: Block,
    private readonly mint: number,
    private readonly maxt: number,
  ) {}

  /** The matching series with samples in range, in label order, as lazily loaded series. */
  selectSync(matchers: readonly Matcher[], hints?: SelectHints): BlockSeries[] {
    const { block, mint, maxt } = this;
    const out: BlockSeries[] = [];
    if (mint >= block.maxTime || maxt < block.minTime) return out;
    const refs = block.index.forMatchers(matchers);
    const limit = hints?.limit ?? 0;
    for (let i = 0; i < refs.length; i++) {
      const e = block.index.series(refs[i]!);
      let lo = 0;
      while (lo < e.chunks.length && e.chunks[lo]!.maxT < mint) lo++;
      let hi = lo;
      while (hi < e.chunks.length && e.chunks[hi]!.minT <= maxt) hi++;
      if (lo === hi) continue;
      const s = new BlockSeries(
        block,
        e.labels,
        e.chunks.slice(lo, hi),
        mint,
        maxt,
        block.tombstones.get(refs[i]!) ?? null,
      );
      if (!s.hasSamples()) continue;
      out.push(s);
      if (limit > 0 && out.length >= limit) break;
    }
    const ranges = block.rangeReader(out);
    let first = 0;
    for (const s of out) {
      s.readThrough(ranges, first);
      first += s.metas.length;
    }
    return out;
  }

  select(matchers: readonly Matcher[], hints?: SelectHints): Promise<Series[]> {
    return Promise.resolve(this.selectSync(matchers, hints));
  }

  labelNames(matchers: readonly Matcher[] = []): Promise<string[]> {
    if (matchers.length === 0 && this.covers()) return Promise.resolve(this.block.index.labelNames());
    const names = new Set<string>();
    for (const s of this.selectSync(matchers)) for (const l of s.labels) names.add(l.name);
    return Promise.resolve([...names].sort());
  }

  labelValues(name: string, matchers: readonly Matcher[] = []): Promise<string[]> {
    if (matchers.length === 0 && this.covers()) return Promise.resolve(this.block.index.labelValues(name));
    const values = new Set<string>();
    for (const s of this.selectSync(matchers))
      for (const l of s.labels) if (l.name === name) values.add(l.value);
    return Promise.resolve([...values].sort());
  }

  private covers(): boolean {
    const b = this.block;
    return b.tombstones.size === 0 && this.mint <= b.minTime && this.maxt >= b.maxTime - 1;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.block.release();
  }
}
