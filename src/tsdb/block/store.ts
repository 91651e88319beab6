import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Matcher } from "../../model/index.js";
import type { Querier, Series } from "../../storage/index.js";
import type { Head } from "../head.js";
import { Block, type BlockMeta, type SeriesSource, writeBlock } from "./block.js";
import { isUlid } from "./encoding.js";
import { mergeSeriesSets } from "./merge.js";

const HOUR = 3600_000;

/** Receives warnings about blocks that could not be loaded or removed. */
export interface BlockLogger {
  warn(msg: string): void;
}

/** Options of {@link BlockStore}. */
export interface BlockStoreOptions {
  /** Width (ms) of the blocks cut from the head and of the first compaction level (default 2 h). */
  blockRange?: number;
  /** Block widths of the compaction levels, smallest first (default 2 h, 6 h, 24 h). */
  compactionRanges?: number[];
  /** Blocks whose whole range is older than this (ms) before the newest data are deleted (default 15 d; 0: keep). */
  retentionTime?: number;
  /** Oldest blocks are deleted while all blocks together take more bytes than this (default 0: no limit). */
  retentionSize?: number;
  /** Largest number of samples per chunk in blocks (default 240). */
  samplesPerChunk?: number;
  /** Writers yield to the event loop after this many series (default 256). */
  yieldEvery?: number;
  /** Where warnings go (default: console.warn). */
  logger?: BlockLogger;
}

/** What one compaction did. */
export interface CompactionResult {
  /** The new block, or null when the sources held no samples any more. */
  created: BlockMeta | null;
  /** ULIDs of the blocks it replaced. */
  replaced: string[];
}

/**
 * The persistent blocks of a data directory: loading (leftover `*.tmp` directories and blocks
 * replaced by a finished compaction are removed, unreadable blocks skipped with a warning),
 * cutting the head into blocks, compaction, retention and tombstones. Changes to the set of blocks
 * run one at a time; queries take references, so a block replaced while a query reads it is
 * deleted only when that query closes.
 */
export class BlockStore {
  private list: Block[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  readonly blockRange: number;
  readonly ranges: number[];
  readonly retentionTime: number;
  readonly retentionSize: number;
  private readonly samplesPerChunk: number;
  private readonly yieldEvery: number | undefined;
  private readonly logger: BlockLogger;
  private closed = false;

  private constructor(
    readonly dir: string,
    options: BlockStoreOptions,
  ) {
    this.blockRange = options.blockRange ?? 2 * HOUR;
    this.ranges = options.compactionRanges ?? [this.blockRange, 3 * this.blockRange, 12 * this.blockRange];
    this.retentionTime = options.retentionTime ?? 15 * 24 * HOUR;
    this.retentionSize = options.retentionSize ?? 0;
    this.samplesPerChunk = options.samplesPerChunk ?? 240;
    this.yieldEvery = options.yieldEvery;
    this.logger = options.logger ?? { warn: (m) => console.warn(m) };
  }

  /** Opens (creating if needed) the blocks in `dir`. Never fails because of one bad block. */
  static open(dir: string, options: BlockStoreOptions = {}): BlockStore {
    mkdirSync(dir, { recursive: true });
    const store = new BlockStore(dir, options);
    const loaded: Block[] = [];
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name.endsWith(".tmp") && isUlid(name.slice(0, -4))) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      if (!isUlid(name)) continue;
      try {
        loaded.push(Block.open(path));
      } catch (err) {
        store.logger.warn(`tsdb: skipping block ${path}: ${(err as Error).message}`);
      }
    }
    const replaced = new Set<string>();
    for (const b of loaded) for (const p of b.meta.compaction.parents ?? []) replaced.add(p);
    for (const b of loaded) {
      if (replaced.has(b.ulid)) b.close(true);
      else store.list.push(b);
    }
    store.sort();
    return store;
  }

  private sort(): void {
    this.list.sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime || (a.ulid < b.ulid ? -1 : 1));
  }

  /** Runs `fn` after every change queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** The loaded blocks, oldest first. */
  blocks(): readonly Block[] {
    return this.list;
  }

  /** Start of the oldest block (+Infinity when none). */
  get minTime(): number {
    return this.list.length === 0 ? Number.POSITIVE_INFINITY : this.list[0]!.minTime;
  }

  /** End (exclusive) of the newest data in blocks (-Infinity when none). */
  get maxTime(): number {
    let m = Number.NEGATIVE_INFINITY;
    for (const b of this.list) if (b.maxTime > m) m = b.maxTime;
    return m;
  }

  /** Bytes all blocks take on disk. */
  get sizeBytes(): number {
    let n = 0;
    for (const b of this.list) n += b.sizeBytes;
    return n;
  }

  /** Queriers of the blocks overlapping [mint, maxt], oldest first; each holds its block until closed. */
  queriers(mint: number, maxt: number): Querier[] {
    const out: Querier[] = [];
    for (const b of this.list) if (b.minTime <= maxt && b.maxTime > mint) out.push(b.querier(mint, maxt));
    return out;
  }

  /**
   * Persists the head's samples in [mint, maxt) as a level-1 block. The head is not changed.
   * Returns the new block's meta, or null when the range held no samples.
   */
  persistHead(head: Head, mint: number, maxt: number): Promise<BlockMeta | null> {
    return this.serial(async () => {
      const q = head.querier(mint, maxt - 1);
      const series = await q.select([]);
      q.close();
      return this.writeAndAdd(series, mint, maxt);
    });
  }

  /**
   * Writes the given series (in label order; samples outside [mint, maxt) are left out) as a new
   * level-1 block and serves it at once, without a restart. The block may overlap others: queries
   * merge them and the next compaction merges them into one. Atomic: a crash leaves either the
   * whole block or none. Returns the block's meta, or null when no series had samples in range.
   */
  persist(
    series: Iterable<SeriesSource> | AsyncIterable<SeriesSource>,
    mint: number,
    maxt: number,
  ): Promise<BlockMeta | null> {
    return this.serial(() => {
      if (this.closed) throw new Error("block store is closed");
      return this.writeAndAdd(series, mint, maxt);
    });
  }

  private async writeAndAdd(
    series: Iterable<SeriesSource> | AsyncIterable<SeriesSource>,
    mint: number,
    maxt: number,
  ): Promise<BlockMeta | null> {
    const meta = await writeBlock(this.dir, series, {
      minTime: mint,
      maxTime: maxt,
      samplesPerChunk: this.samplesPerChunk,
      yieldEvery: this.yieldEvery,
    });
    if (meta !== null) this.add(meta.ulid);
    return meta;
  }

  private add(id: string): void {
    this.list.push(Block.open(join(this.dir, id)));
    this.sort();
  }

  /**
   * Cuts the head while it spans more than 1.5 block ranges: each time the oldest aligned range
   * becomes a block and its chunks leave the head. Returns the time before which the head holds
   * no more data (for truncating the WAL), or null when nothing was cut.
   */
  async cutHead(head: Head): Promise<number | null> {
    let cut: number | null = null;
    while (head.minTime <= head.maxTime && head.maxTime - head.minTime > this.blockRange * 1.5) {
      const start = Math.floor(head.minTime / this.blockRange) * this.blockRange;
      const end = start + this.blockRange;
      await this.persistHead(head, start, end);
      head.truncateBefore(end);
      cut = end;
    }
    return cut;
  }

  /**
   * Persists the head's samples before `before` (default: all of them) now, one block per aligned
   * block range touched, and drops the persisted chunks from the head; series stay known to the
   * head. Returns the time before which data is persisted, or null when there was nothing to do.
   */
  async flushHead(head: Head, before = head.maxTime + 1): Promise<number | null> {
    if (head.minTime > head.maxTime || before <= head.minTime) return null;
    const end = Math.min(before, head.maxTime + 1);
    let start = Math.floor(head.minTime / this.blockRange) * this.blockRange;
    while (start < end) {
      const stop = Math.min(start + this.blockRange, end);
      await this.persistHead(head, start, stop);
      // each range leaves the head as soon as its block is on disk, so its chunks can be freed
      // while the next block is written
      head.truncateBefore(stop, false);
      start = stop;
    }
    return end;
  }

  /** Which blocks the next compaction merges, or null when there is nothing to do. */
  plan(): Block[] | null {
    const bs = this.list;
    let start = 0;
    let end = bs.length > 0 ? bs[0]!.maxTime : 0;
    for (let j = 1; j < bs.length; j++) {
      if (bs[j]!.minTime < end) {
        let k = j + 1;
        end = Math.max(end, bs[j]!.maxTime);
        while (k < bs.length && bs[k]!.minTime < end) end = Math.max(end, bs[k++]!.maxTime);
        return bs.slice(start, k);
      }
      start = j;
      end = bs[j]!.maxTime;
    }
    const newest = this.maxTime;
    for (const r of this.ranges.slice(1)) {
      const groups = new Map<number, Block[]>();
      for (const b of bs) {
        const w = Math.floor(b.minTime / r) * r;
        if (b.maxTime > w + r) continue;
        let g = groups.get(w);
        if (g === undefined) {
          g = [];
          groups.set(w, g);
        }
        g.push(b);
      }
      for (const [w, g] of [...groups].sort((a, b) => a[0] - b[0])) {
        if (g.length >= 2 && w + r <= newest) return g;
      }
    }
    return null;
  }

  /**
   * Runs one compaction step if one is planned: the sources' series merged into one new block
   * (tombstones applied), renamed into place, then the sources removed (their directories once no
   * query reads them). A crash in between leaves both; the next open deletes the sources.
   */
  compactOnce(): Promise<CompactionResult | null> {
    return this.serial(async () => {
      if (this.closed) return null;
      const group = this.plan();
      if (group === null) return null;
      return this.merge(group);
    });
  }

  /** Merges the given blocks into one now, whatever the plan says (tools and benchmarks). */
  compactBlocks(ulids: readonly string[]): Promise<CompactionResult> {
    return this.serial(async () => {
      const group = this.list.filter((b) => ulids.includes(b.ulid));
      if (group.length !== ulids.length)
        throw new Error(`compactBlocks: unknown block among ${ulids.join(", ")}`);
      return this.merge(group);
    });
  }

  /** Compacts until nothing is planned; returns the steps done. */
  async compact(): Promise<CompactionResult[]> {
    const out: CompactionResult[] = [];
    for (;;) {
      const r = await this.compactOnce();
      if (r === null) return out;
      out.push(r);
    }
  }

  private async merge(group: Block[]): Promise<CompactionResult> {
    for (const b of group) b.acquire();
    try {
      const minTime = Math.min(...group.map((b) => b.minTime));
      const maxTime = Math.max(...group.map((b) => b.maxTime));
      const sources = [...new Set(group.flatMap((b) => b.meta.compaction.sources))].sort();
      const level = Math.max(...group.map((b) => b.meta.compaction.level)) + 1;
      const meta = await writeBlock(this.dir, mergedSeries(group), {
        minTime,
        maxTime,
        level,
        sources,
        parents: group.map((b) => b.ulid),
        samplesPerChunk: this.samplesPerChunk,
        yieldEvery: this.yieldEvery,
      });
      if (meta !== null) this.list.push(Block.open(join(this.dir, meta.ulid)));
      this.remove(group);
      return { created: meta, replaced: group.map((b) => b.ulid) };
    } finally {
      for (const b of group) b.release();
    }
  }

  private remove(blocks: readonly Block[]): void {
    const gone = new Set(blocks);
    this.list = this.list.filter((b) => !gone.has(b));
    this.sort();
    for (const b of blocks) b.close(true);
  }

  /**
   * Deletes whole blocks past retention: by time, those whose range ends at or before
   * `newest - retentionTime` (`newest`: the newest sample time given, else the newest block's end);
   * by size, the oldest while the blocks take more than `retentionSize` bytes. Returns the ULIDs
   * deleted.
   */
  applyRetention(newest?: number): Promise<string[]> {
    return this.serial(async () => {
      const doomed = new Set<Block>();
      if (this.retentionTime > 0 && this.list.length > 0) {
        const ref = Math.max(newest ?? Number.NEGATIVE_INFINITY, this.maxTime);
        const cutoff = ref - this.retentionTime;
        for (const b of this.list) if (b.maxTime <= cutoff) doomed.add(b);
      }
      if (this.retentionSize > 0) {
        let size = 0;
        for (const b of this.list) if (!doomed.has(b)) size += b.sizeBytes;
        const byAge = [...this.list].sort((a, b) => a.maxTime - b.maxTime);
        for (const b of byAge) {
          if (size <= this.retentionSize) break;
          if (doomed.has(b)) continue;
          doomed.add(b);
          size -= b.sizeBytes;
        }
      }
      const ids = [...doomed].map((b) => b.ulid);
      this.remove([...doomed]);
      return ids;
    });
  }

  /** Records tombstones for the matching series' samples in [mint, maxt] in every block; returns the number of series marked. */
  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<number> {
    return this.serial(async () => {
      let n = 0;
      for (const b of this.list) n += b.deleteSeries(matchers, mint, maxt);
      return n;
    });
  }

  /** Rewrites every block that has tombstones without the deleted samples; returns the number rewritten. */
  cleanTombstones(): Promise<number> {
    return this.serial(async () => {
      let n = 0;
      for (const b of [...this.list]) {
        if (b.tombstones.size === 0) continue;
        b.acquire();
        try {
          const meta = await writeBlock(this.dir, b.allSeries(), {
            minTime: b.minTime,
            maxTime: b.maxTime,
            level: b.meta.compaction.level,
            sources: b.meta.compaction.sources,
            parents: [b.ulid],
            samplesPerChunk: this.samplesPerChunk,
            yieldEvery: this.yieldEvery,
          });
          if (meta !== null) this.list.push(Block.open(join(this.dir, meta.ulid)));
          this.remove([b]);
          n++;
        } finally {
          b.release();
        }
      }
      return n;
    });
  }

  /** Waits for running changes, then closes every block (files close when their last reader does). */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    for (const b of this.list) b.close();
    this.list = [];
  }

  /** True when `dir` holds a block with this ULID. */
  has(id: string): boolean {
    return existsSync(join(this.dir, id)) && this.list.some((b) => b.ulid === id);
  }
}

/** The series of several blocks merged by labels (and samples by time), in label order. */
function* mergedSeries(blocks: readonly Block[]): Generator<SeriesSource> {
  const its = blocks.map((b) => b.allSeries());
  const cur: (Series | undefined)[] = its.map((it) => it.next().value ?? undefined);
  for (;;) {
    const sets: Series[][] = [];
    for (const s of cur) sets.push(s === undefined ? [] : [s]);
    const merged = mergeSeriesSets(sets);
    if (merged.length === 0) return;
    const first = merged[0]!;
    yield first;
    for (let i = 0; i < cur.length; i++) {
      const s = cur[i];
      if (s !== undefined && (s === first || s.labels === first.labels || sameLabels(s, first))) {
        cur[i] = its[i]!.next().value ?? undefined;
      }
    }
  }
}

function sameLabels(a: Series, b: Series): boolean {
  const x = a.labels;
  const y = b.labels;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++)
    if (x[i]!.name !== y[i]!.name || x[i]!.value !== y[i]!.value) return false;
  return true;
}
