import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Labels, Matcher, MetricMetadata } from "../model/index.js";
import type { Querier, Storage } from "../storage/index.js";
import { type BackfillOptions, BackfillWriter } from "./backfill.js";
import { BlockStore, type CompactionResult, MergeQuerier } from "./block/index.js";
import { Head, type HeadAppender, type HeadOptions, type TSDBStatus } from "./head.js";
import {
  type CheckpointStats,
  type FsyncPolicy,
  openWAL,
  type WAL,
  type WALLogger,
  type WALReplayStats,
} from "./wal/index.js";

/** Options of {@link openDB}; head options (chunk range, cardinality limits, ...) pass through to the {@link Head}. */
export interface DBOptions extends Omit<HeadOptions, "wal"> {
  /** The data directory; created when missing. The WAL lives in `<dir>/wal`. */
  dir: string;
  /** Receives warnings (repaired WAL tail, stale lock taken over) and replay/checkpoint figures. */
  logger?: WALLogger;
  /** When the WAL fsyncs (default `interval`, as Prometheus). */
  fsync?: FsyncPolicy;
  /** Period of the `interval` fsync (default 1000 ms). */
  fsyncIntervalMs?: number;
  /** WAL segment size in bytes (default 128 MiB). */
  walSegmentSize?: number;
  /** Checkpoint once this many closed WAL segments have piled up (default 3). */
  checkpointAfterSegments?: number;
  /** Width (ms) of the blocks cut from the head (default 2 h); the head is cut past 1.5 of it. */
  blockRange?: number;
  /** Block widths of the compaction levels, smallest first (default 2 h, 6 h, 24 h). */
  compactionRanges?: number[];
  /** Blocks entirely older than this (ms) before the newest sample are deleted (default 15 d; 0: keep). */
  retentionTime?: number;
  /** The oldest blocks are deleted while blocks take more than this many bytes (default 0: no limit). */
  retentionSize?: number;
  /** Period (ms) of the background {@link DB.compact} (default 60 s; 0: only when called). */
  compactionIntervalMs?: number;
}

const NO_SAMPLES = { refs: new Uint32Array(0), ts: new Float64Array(0), vs: new Float64Array(0) };

/** What opening the DB replayed, with the replay rate. */
export interface DBReplayStats extends WALReplayStats {
  /** Samples the head took (replayed samples minus duplicates and unknown series). */
  appliedSamples: number;
  /** Replayed samples per second of wall time. */
  samplesPerSecond: number;
}

/** The data directory is in use by a live process. */
export class DBLockedError extends Error {
  override name = "DBLockedError";
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes `<dir>/lock` (O_EXCL, holding our pid). A lock left by a dead process (or empty) is taken
 * over with a warning; one held by a live process fails with {@link DBLockedError}.
 */
async function acquireLock(dir: string, logger: WALLogger | undefined): Promise<string> {
  const path = join(dir, "lock");
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, "wx");
      try {
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 3) throw err;
    }
    let text = await readFile(path, "utf8").catch(() => "");
    if (text === "") {
      await new Promise((r) => setTimeout(r, 100));
      text = await readFile(path, "utf8").catch(() => "");
    }
    const pid = Number.parseInt(text, 10);
    if (pid > 0 && pidAlive(pid)) {
      throw new DBLockedError(
        `storage directory ${dir} is in use by process ${pid} (lock file ${path}); ` +
          "stop that process or choose another storage path (if no such process uses it, delete the lock file)",
      );
    }
    logger?.warn(
      `taking over the stale lock ${path} ${pid > 0 ? `of process ${pid}, which is not running` : "(empty)"}`,
    );
    await unlink(path).catch(() => undefined);
  }
}

/**
 * Opens the embedded TSDB in `opts.dir`: takes the directory's lock, replays the write-ahead log
 * into a new {@link Head} (a torn or corrupt WAL tail is cut back with a warning, never a failed
 * start), then serves it. Every committed batch is in the WAL before its commit resolves.
 * @example
 * const db = await openDB({ dir: "./data", logger });
 * const app = db.appender();
 * app.append(0, labelsFromRecord({ __name__: "up" }), Date.now(), 1);
 * await app.commit();
 * await db.close();
 */
export async function openDB(opts: DBOptions): Promise<DB> {
  const dir = resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const lock = await acquireLock(dir, opts.logger);
  try {
    const {
      dir: _dir,
      logger,
      fsync,
      fsyncIntervalMs,
      walSegmentSize,
      checkpointAfterSegments,
      blockRange,
      compactionRanges,
      retentionTime,
      retentionSize,
      compactionIntervalMs,
      ...headOpts
    } = opts;
    const blocks = BlockStore.open(dir, {
      blockRange,
      compactionRanges,
      retentionTime,
      retentionSize,
      logger: logger ?? { warn: () => {} },
    });
    let db: DB | undefined;
    let wal: WAL | undefined;
    const head = new Head({
      ...headOpts,
      wal: { log: (...args: Parameters<WAL["log"]>) => wal!.log(...args) },
    });
    const aliases = new Map<number, number>();
    let applied = 0;
    wal = await openWAL(
      join(dir, "wal"),
      {
        segmentSize: walSegmentSize,
        fsync,
        fsyncIntervalMs,
        logger,
        onSegmentCut: () => db?.maybeCheckpoint(),
      },
      {
        series: (records) => head.replaySeries(records, aliases),
        metadata: (entries) => {
          for (const [name, m] of entries) head.setMetadata(name, m);
        },
        samples: (samples) => {
          applied += head.replaySamples(samples, aliases.size > 0 ? aliases : undefined);
        },
      },
    );
    const w = wal.replayStats;
    const replay: DBReplayStats = {
      ...w,
      appliedSamples: applied,
      samplesPerSecond: w.durationMs > 0 ? Math.round((w.samples * 1000) / w.durationMs) : 0,
    };
    logger?.info(
      `WAL replay: ${w.series} series, ${w.samples} samples (${applied} applied) from ` +
        `${w.checkpoint === null ? "no checkpoint" : `checkpoint ${w.checkpoint}`} and ${w.segments} segment(s), ` +
        `${w.bytes} bytes in ${w.durationMs.toFixed(0)} ms (${replay.samplesPerSecond} samples/s)`,
    );
    db = new DB(dir, head, wal, lock, aliases, replay, checkpointAfterSegments ?? 3, logger, blocks);
    db.startCompaction(compactionIntervalMs ?? 60_000);
    return db;
  } catch (err) {
    await unlink(lock).catch(() => undefined);
    throw err;
  }
}

/**
 * The embedded TSDB: a {@link Head} behind a write-ahead log, in a locked data directory. A thin
 * composition: appends and reads go to the head; `querier` is the one place that decides what a
 * read covers (persistent blocks join the head there).
 */
export class DB implements Storage {
  private closing: Promise<void> | null = null;
  private walMint = Number.NEGATIVE_INFINITY;

  /** @internal Use {@link openDB}. */
  constructor(
    /** The absolute data directory. */
    readonly dir: string,
    /** The in-memory head holding the WAL's data. */
    readonly head: Head,
    /** The write-ahead log. */
    readonly wal: WAL,
    private readonly lockPath: string,
    private readonly aliases: Map<number, number>,
    /** What opening replayed, and how fast. */
    readonly replay: DBReplayStats,
    private readonly checkpointAfterSegments: number,
    private readonly logger: WALLogger | undefined,
    /** The persistent blocks in the data directory. */
    readonly blocks: BlockStore,
  ) {}

  private timer: NodeJS.Timeout | null = null;
  private maintenance: Promise<unknown> = Promise.resolve();

  /** @internal Starts the periodic {@link compact} (0: never). */
  startCompaction(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.compact().catch((err: unknown) =>
        this.logger?.warn(`compaction failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    }, intervalMs);
    this.timer.unref();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.maintenance.then(fn, fn);
    this.maintenance = p.catch(() => undefined);
    return p;
  }

  /**
   * One round of background maintenance, as Prometheus's: cuts the head into blocks while it spans
   * more than 1.5 block ranges (then truncates the WAL), compacts blocks level by level, and deletes
   * blocks past retention. Ingestion continues meanwhile (block writing yields to the event loop).
   */
  compact(): Promise<{ cutBefore: number | null; compactions: CompactionResult[]; deleted: string[] }> {
    return this.serial(async () => {
      const cutBefore = await this.blocks.cutHead(this.head);
      if (cutBefore !== null) await this.truncateWAL(cutBefore);
      const compactions = await this.blocks.compact();
      const deleted = await this.blocks.applyRetention(this.head.maxTime);
      return { cutBefore, compactions, deleted };
    });
  }

  /**
   * Persists the whole head into blocks now (POST /api/v1/admin/tsdb/flush) and truncates the WAL
   * accordingly. Returns the time before which all data is in blocks, or null when the head was empty.
   */
  flush(): Promise<number | null> {
    return this.serial(async () => {
      const end = await this.blocks.flushHead(this.head);
      if (end !== null) await this.truncateWAL(end);
      return end;
    });
  }

  /**
   * Deletes the samples in [mint, maxt] of the series matching `matchers`
   * (POST /api/v1/admin/tsdb/delete_series): the head is flushed into blocks first, then the
   * blocks record tombstones, applied at query time. Returns the number of series marked.
   */
  deleteSeries(
    matchers: readonly Matcher[],
    mint = Number.NEGATIVE_INFINITY,
    maxt = Number.POSITIVE_INFINITY,
  ): Promise<number> {
    return this.serial(async () => {
      const end = await this.blocks.flushHead(this.head);
      if (end !== null) await this.truncateWAL(end);
      return this.blocks.deleteSeries(matchers, mint, maxt);
    });
  }

  /** Rewrites the blocks that have tombstones without the deleted data (POST .../clean_tombstones). */
  cleanTombstones(): Promise<number> {
    return this.serial(() => this.blocks.cleanTombstones());
  }

  /** A new batch; its commit resolves once the batch is in the WAL. */
  appender(): HeadAppender {
    return this.head.appender();
  }

  /**
   * A writer that puts samples of any age straight into blocks, bypassing the head and the WAL
   * (history, `relay-monitor tsdb backfill`): see {@link BackfillWriter}. Its blocks are served as
   * soon as they are written and may overlap the head and other blocks (queries merge them, the
   * next compaction merges overlapping blocks). Metadata goes to the head and its WAL. After
   * `flush()` a compaction runs in the background, as the periodic one would. Blocks older than
   * the retention time (counted from the newest data) are deleted by that compaction.
   */
  backfillAppendable(options: BackfillOptions & { compact?: boolean } = {}): BackfillWriter {
    const { compact = true, ...opts } = options;
    return new BackfillWriter(this.blocks, opts, {
      onMetadata: (entries) => {
        for (const [name, m] of entries) this.head.setMetadata(name, m);
        return this.wal.log([], NO_SAMPLES, entries);
      },
      onFlushed: () => {
        if (!compact || this.closing !== null) return;
        this.compact().catch((err: unknown) =>
          this.logger?.warn(`compaction failed: ${err instanceof Error ? err.message : String(err)}`),
        );
      },
    });
  }

  /** A querier over [mint, maxt] (ms, inclusive). */
  querier(mint: number, maxt: number): Querier {
    const blocks = this.blocks.queriers(mint, maxt);
    if (blocks.length === 0) return this.head.querier(mint, maxt);
    return new MergeQuerier([...blocks, this.head.querier(mint, maxt)]);
  }

  /** Metadata per metric name; `limit` caps the number of names. */
  metadata(metric?: string, limit?: number): Map<string, MetricMetadata[]> {
    return this.head.metadata(metric, limit);
  }

  /** Statistics in the shape of Prometheus's `/api/v1/status/tsdb`; lists keep the top `limit`. */
  stats(limit?: number): TSDBStatus {
    return this.head.stats(limit);
  }

  /** The ref of the series with these labels, or 0. */
  ref(labels: Labels): number {
    return this.head.ref(labels);
  }

  /**
   * Drops WAL data older than `mint` once it is persisted elsewhere (blocks): closes the current
   * segment and checkpoints all closed ones, keeping the series still in the head and their samples
   * at or after `mint`. Later automatic checkpoints keep that bound.
   */
  truncateWAL(mint: number): Promise<CheckpointStats | null> {
    if (mint > this.walMint) this.walMint = mint;
    return this.wal.truncate(this.keepFrom(), this.keepSeries);
  }

  /** Checkpoints the closed WAL segments now (what an automatic checkpoint does). */
  checkpoint(): Promise<CheckpointStats | null> {
    return this.wal.checkpoint({ mint: this.keepFrom(), keepSeries: this.keepSeries });
  }

  /** The WAL keeps samples from here on: what is not in blocks, out-of-order samples of the head included. */
  private keepFrom(): number {
    return Math.min(this.walMint, this.head.outOfOrderMinTime);
  }

  /** @internal Called when the WAL closes a segment: checkpoints past the threshold. */
  maybeCheckpoint(): void {
    if (this.closing !== null || this.wal.checkpointing) return;
    if (this.wal.closedSegments < this.checkpointAfterSegments) return;
    this.checkpoint().catch((err: unknown) =>
      this.logger?.warn(`WAL checkpoint failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  /** Flushes, fsyncs and closes the WAL, then releases the directory's lock. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (this.timer !== null) clearInterval(this.timer);
        await this.maintenance;
        await this.blocks.close();
        await this.wal.close();
      } finally {
        const text = await readFile(this.lockPath, "utf8").catch(() => "");
        if (Number.parseInt(text, 10) === process.pid) await unlink(this.lockPath).catch(() => undefined);
      }
    })();
    return this.closing;
  }

  private readonly keepSeries = (ref: number): boolean =>
    this.head.getSeries(this.aliases.get(ref) ?? ref) !== undefined;
}
