import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  close as fsClose,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  writeSync,
} from "node:fs";
import { mkdir, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { WALSamples, WALSeries, WriteAheadLog } from "../head.js";
import {
  decodeMetadata,
  decodeSeries,
  encodeMetadata,
  encodeSamples,
  encodeSeries,
  RecordBuffer,
  RecordType,
  SamplesDecoder,
  scanFile,
  type WALMetadata,
} from "./record.js";

/**
 * When the WAL calls fsync: after every batch before it is acknowledged (`batch`), on a timer and
 * when a segment is closed (`interval`, the default, as Prometheus), or only at close (`never`).
 */
export type FsyncPolicy = "batch" | "interval" | "never";

/** The logging the WAL needs (a pino logger fits). */
export interface WALLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/** Options of {@link openWAL}. */
export interface WALOptions {
  /** Size (bytes) at which a segment is closed and the next one started (default 128 MiB). */
  segmentSize?: number;
  /** When to fsync (default `interval`). */
  fsync?: FsyncPolicy;
  /** Period of the `interval` policy's fsync (default 1000 ms). */
  fsyncIntervalMs?: number;
  /** Where warnings (a repaired tail) and information (replay and checkpoint figures) go. */
  logger?: WALLogger;
  /** Called after a segment has been closed and the next one opened (e.g. to start a checkpoint). */
  onSegmentCut?: (wal: WAL) => void;
}

/**
 * Receives the log's contents on open, in log order. Series and metadata of a batch come before
 * its samples. The arrays are only valid during the call.
 */
export interface WALReplayHandler {
  series?(records: readonly WALSeries[]): void;
  metadata?(entries: readonly WALMetadata[]): void;
  samples?(samples: WALSamples): void;
}

/** What opening the WAL read. */
export interface WALReplayStats {
  /** Index of the checkpoint replayed first, or null. */
  checkpoint: number | null;
  /** Segments replayed after the checkpoint. */
  segments: number;
  /** Series records' entries, samples and metadata entries replayed. */
  series: number;
  samples: number;
  metadata: number;
  /** Bytes read (checkpoint and segments). */
  bytes: number;
  /** Bytes cut off a torn or corrupt tail (0 when the log was intact). */
  repairedBytes: number;
  /** Wall time of the replay (ms). */
  durationMs: number;
}

/** What a checkpoint keeps. */
export interface CheckpointOptions {
  /** Samples older than this (ms) are dropped (default: none is). */
  mint?: number;
  /** Series (and their samples) for which this returns false are dropped (default: all kept). */
  keepSeries?: (ref: number) => boolean;
}

/** What a checkpoint did. */
export interface CheckpointStats {
  /** The checkpoint's index: the last segment it covers. */
  index: number;
  /** Segments (and the previous checkpoint) folded into it. */
  segmentsRemoved: number;
  series: number;
  samples: number;
  droppedSamples: number;
  /** Bytes of the checkpoint. */
  bytes: number;
  durationMs: number;
}

/** The WAL refused a batch or an operation: it is closed or a write to disk failed. */
export class WALError extends Error {
  override name = "WALError";
}

const RESOLVED = Promise.resolve();
const SEGMENT_RE = /^\d{8}$/;
const CHECKPOINT_RE = /^checkpoint\.(\d{8})$/;

/** The file name of segment `i` (8 digits, as Prometheus). */
export function segmentName(i: number): string {
  return String(i).padStart(8, "0");
}

/** The directory name of the checkpoint covering segments up to `i`. */
export function checkpointName(i: number): string {
  return `checkpoint.${segmentName(i)}`;
}

function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some filesystems cannot fsync a directory; nothing more can be done
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsClose(fd, (err) => (err ? reject(err) : resolve())));
}

function metaKey([name, m]: WALMetadata): string {
  return `${name}\0${m.type}\0${m.unit}\0${m.help}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function listDir(dir: string): Promise<{ segments: number[]; checkpoints: number[]; tmp: string[] }> {
  const segments: number[] = [];
  const checkpoints: number[] = [];
  const tmp: string[] = [];
  for (const name of await readdir(dir)) {
    if (SEGMENT_RE.test(name)) segments.push(Number(name));
    else if (CHECKPOINT_RE.test(name)) checkpoints.push(Number(CHECKPOINT_RE.exec(name)![1]));
    else if (name.endsWith(".tmp")) tmp.push(name);
  }
  segments.sort((a, b) => a - b);
  checkpoints.sort((a, b) => a - b);
  return { segments, checkpoints, tmp };
}

/**
 * Opens (creating it if needed) the write-ahead log in `dir`, replays it into `handler`, repairs a
 * torn or corrupt tail, and returns the log ready for writing. Shorthand for {@link WAL.open}.
 */
export function openWAL(dir: string, options: WALOptions = {}, handler: WALReplayHandler = {}): Promise<WAL> {
  return WAL.open(dir, options, handler);
}

/**
 * A segmented, checksummed write-ahead log (FORMAT.md, "Write-ahead log"). Each `log` call encodes
 * one batch into a reused buffer and hands it to the OS with one write(2) before its promise
 * resolves; fsync follows the {@link FsyncPolicy}. A batch never spans segments. Checkpoints fold
 * closed segments into one directory, keeping only what is still needed, so replay stays bounded.
 */
export class WAL implements WriteAheadLog {
  /** What opening the log replayed. */
  replayStats!: WALReplayStats;
  private fd = -1;
  private seg = 0;
  private segBytes = 0;
  private first = 0;
  private cp: number | null = null;
  private dirty = false;
  private syncing: Promise<void> | null = null;
  private closed = false;
  private failed: Error | null = null;
  private timer: NodeJS.Timeout | undefined;
  private checkpointRun: Promise<CheckpointStats | null> | null = null;
  private readonly rb = new RecordBuffer();
  private readonly loggedMeta = new Set<string>();
  private readonly background = new Set<Promise<void>>();
  private readonly segmentSize: number;
  private readonly policy: FsyncPolicy;
  private readonly logger: WALLogger | undefined;

  private constructor(
    /** The directory holding segments and checkpoints. */
    readonly dir: string,
    private readonly options: WALOptions,
  ) {
    this.segmentSize = options.segmentSize ?? 128 << 20;
    this.policy = options.fsync ?? "interval";
    this.logger = options.logger;
    if (!(this.segmentSize > 0))
      throw new RangeError(`WAL segmentSize must be positive, got ${this.segmentSize}`);
    if (!["batch", "interval", "never"].includes(this.policy)) {
      throw new RangeError(
        `WAL fsync must be "batch", "interval" or "never", got ${JSON.stringify(this.policy)}`,
      );
    }
  }

  /** Opens the log in `dir`: replays it into `handler`, repairs its tail, opens a segment for writing. */
  static async open(dir: string, options: WALOptions = {}, handler: WALReplayHandler = {}): Promise<WAL> {
    const wal = new WAL(dir, options);
    await mkdir(dir, { recursive: true });
    await wal.replay(handler);
    wal.openSegment(wal.seg);
    if (wal.policy === "interval") {
      wal.timer = setInterval(() => wal.syncInBackground(), options.fsyncIntervalMs ?? 1000);
      wal.timer.unref();
    }
    return wal;
  }

  /** Index of the segment being written. */
  get segment(): number {
    return this.seg;
  }

  /** Index of the latest checkpoint, or null. */
  get checkpointIndex(): number | null {
    return this.cp;
  }

  /** Number of closed segments not yet folded into a checkpoint. */
  get closedSegments(): number {
    return this.seg - this.first;
  }

  /** True while a checkpoint is being written. */
  get checkpointing(): boolean {
    return this.checkpointRun !== null;
  }

  /**
   * Logs one batch: its new series, its metadata (entries already logged are skipped) and its
   * samples, as consecutive records in one write. Resolves once the OS has the bytes (and, with
   * `fsync: "batch"`, once they are on disk); rejects, leaving the log as it was, if the write fails.
   */
  log(
    series: readonly WALSeries[],
    samples: WALSamples,
    metadata?: readonly WALMetadata[] | null,
  ): Promise<void> {
    if (this.closed) return Promise.reject(new WALError("WAL is closed"));
    if (this.failed !== null) return Promise.reject(this.failed);
    let meta: WALMetadata[] | null = null;
    let metaKeys: string[] | null = null;
    if (metadata != null) {
      for (const m of metadata) {
        const key = metaKey(m);
        if (this.loggedMeta.has(key) || metaKeys?.includes(key)) continue;
        if (meta === null || metaKeys === null) {
          meta = [];
          metaKeys = [];
        }
        meta.push(m);
        metaKeys.push(key);
      }
    }
    if (samples.refs.length === 0 && series.length === 0 && meta === null) return RESOLVED;
    const rb = this.rb;
    rb.reset();
    try {
      if (series.length > 0) encodeSeries(rb, series);
      if (meta !== null) encodeMetadata(rb, meta);
      encodeSamples(rb, samples);
      if (this.segBytes > 0 && this.segBytes + rb.length > this.segmentSize) this.cut();
      this.write(rb.buf, rb.length);
    } catch (err) {
      rb.reset();
      return Promise.reject(err);
    }
    if (metaKeys !== null) for (const k of metaKeys) this.loggedMeta.add(k);
    return RESOLVED;
  }

  /** Flushes the current segment to disk now. */
  async sync(): Promise<void> {
    if (this.fd < 0) return;
    await this.syncing;
    this.dirty = false;
    await fdatasyncAsync(this.fd);
  }

  /**
   * Writes a checkpoint of all closed segments (and the previous checkpoint): the series records
   * of series `keepSeries` accepts, metadata, and the samples at or after `mint` of kept series.
   * Then removes the segments and the old checkpoint. Resolves to null when there is nothing to do.
   * Runs one at a time; the log stays writable meanwhile.
   */
  checkpoint(options: CheckpointOptions = {}): Promise<CheckpointStats | null> {
    if (this.closed) return Promise.reject(new WALError("WAL is closed"));
    const prev = this.checkpointRun ?? Promise.resolve(null);
    const run: Promise<CheckpointStats | null> = prev
      .catch(() => null)
      .then(() => this.writeCheckpoint(options))
      .finally(() => {
        if (this.checkpointRun === run) this.checkpointRun = null;
      });
    this.checkpointRun = run;
    return run;
  }

  /**
   * Drops what is older than `mint` (already persisted elsewhere, e.g. in blocks): closes the
   * current segment if it holds anything, then checkpoints every closed segment with `mint` and
   * `keepSeries`.
   */
  truncate(mint: number, keepSeries?: (ref: number) => boolean): Promise<CheckpointStats | null> {
    if (this.closed) return Promise.reject(new WALError("WAL is closed"));
    if (this.segBytes > 0) {
      try {
        this.cut();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.checkpoint(keepSeries === undefined ? { mint } : { mint, keepSeries });
  }

  /** Waits for a running checkpoint, fsyncs and closes the current segment. Later `log` calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.checkpointRun?.catch(() => undefined);
    await this.syncing;
    if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      let error: unknown = null;
      try {
        fdatasyncSync(fd);
      } catch (err) {
        error = err;
      }
      try {
        closeSync(fd);
      } catch (err) {
        error ??= err;
      }
      // after a failed write the segment was already given up on; its errors are old news
      if (error !== null && this.failed === null) throw error;
    }
    await Promise.all(this.background);
  }

  private track(p: Promise<void>): void {
    const q = p.catch((err: unknown) =>
      this.logger?.warn(`WAL: background fsync/close failed: ${message(err)}`),
    );
    this.background.add(q);
    void q.finally(() => this.background.delete(q));
  }

  private syncInBackground(): void {
    if (!this.dirty || this.syncing !== null || this.fd < 0) return;
    this.dirty = false;
    const s = fdatasyncAsync(this.fd)
      .catch((err: unknown) => this.logger?.warn(`WAL: fsync failed: ${message(err)}`))
      .finally(() => {
        if (this.syncing === s) this.syncing = null;
      });
    this.syncing = s;
  }

  private write(b: Buffer, len: number): void {
    const fd = this.fd;
    let off = 0;
    try {
      while (off < len) off += writeSync(fd, b, off, len - off);
      if (this.policy === "batch") fdatasyncSync(fd);
      else this.dirty = true;
    } catch (err) {
      const what = off < len ? "write" : "fsync";
      try {
        if (off > 0) ftruncateSync(fd, this.segBytes);
        if (what === "fsync")
          this.failed = new WALError(`WAL is unusable after an fsync failure: ${message(err)}`);
      } catch (e2) {
        this.failed = new WALError(`WAL segment ${segmentName(this.seg)} cannot be repaired: ${message(e2)}`);
      }
      throw new WALError(`WAL ${what} to segment ${segmentName(this.seg)} failed: ${message(err)}`, {
        cause: err,
      });
    }
    this.segBytes += len;
  }

  private openSegment(i: number): void {
    this.fd = openSync(join(this.dir, segmentName(i)), "a");
    this.seg = i;
    this.segBytes = fstatSync(this.fd).size;
    this.dirty = false;
    fsyncDir(this.dir);
  }

  private cut(): void {
    const fd = this.fd;
    const sync = this.policy !== "never";
    const pending = this.syncing ?? RESOLVED;
    this.syncing = null;
    this.track(pending.then(() => (sync ? fdatasyncAsync(fd) : undefined)).finally(() => closeAsync(fd)));
    this.fd = -1;
    this.openSegment(this.seg + 1);
    this.options.onSegmentCut?.(this);
  }

  private async replay(handler: WALReplayHandler): Promise<void> {
    const start = performance.now();
    const stats: WALReplayStats = {
      checkpoint: null,
      segments: 0,
      series: 0,
      samples: 0,
      metadata: 0,
      bytes: 0,
      repairedBytes: 0,
      durationMs: 0,
    };
    const { segments, checkpoints, tmp } = await listDir(this.dir);
    for (const name of tmp) await rm(join(this.dir, name), { recursive: true, force: true });
    const cp = checkpoints.at(-1) ?? null;
    for (const old of checkpoints.slice(0, -1))
      await rm(join(this.dir, checkpointName(old)), { recursive: true });
    while (cp !== null && segments.length > 0 && segments[0]! <= cp) {
      await unlink(join(this.dir, segmentName(segments.shift()!)));
    }
    const decoder = new SamplesDecoder();
    const addMeta = (entries: readonly WALMetadata[]) => {
      for (const e of entries) this.loggedMeta.add(metaKey(e));
      stats.metadata += entries.length;
      handler.metadata?.(entries);
    };

    if (cp !== null) {
      stats.checkpoint = cp;
      const cdir = join(this.dir, checkpointName(cp));
      const files = (await readdir(cdir)).filter((n) => SEGMENT_RE.test(n)).sort();
      for (const f of files) {
        const res = await scanFile(join(cdir, f), (buf, type, s, e) => {
          if (type === RecordType.Series) {
            const recs = decodeSeries(buf, s, e);
            stats.series += recs.length;
            handler.series?.(recs);
          } else if (type === RecordType.Metadata) {
            addMeta(decodeMetadata(buf, s, e));
          } else {
            const x = decoder.decode(buf, s, e);
            stats.samples += x.refs.length;
            handler.samples?.(x);
          }
        });
        stats.bytes += res.size;
        if (res.error !== undefined) {
          this.logger?.warn(
            `WAL: checkpoint ${checkpointName(cp)}/${f} is damaged (${res.error}); replayed the records before it`,
          );
          break;
        }
      }
    }

    // Series and metadata take effect with the samples record that ends their batch; left over at
    // the end, they belong to a batch whose write was torn, and are cut with it.
    let pendingSeries: WALSeries[] = [];
    let pendingMeta: WALMetadata[] = [];
    const pending: { at: { k: number; off: number } | null } = { at: null };
    let cutAt: { k: number; off: number; why: string } | null = null;
    for (let k = 0; k < segments.length && cutAt === null; k++) {
      stats.segments++;
      const res = await scanFile(join(this.dir, segmentName(segments[k]!)), (buf, type, s, e, rec) => {
        if (type === RecordType.Samples) {
          const x = decoder.decode(buf, s, e);
          if (pendingSeries.length > 0) {
            stats.series += pendingSeries.length;
            handler.series?.(pendingSeries);
            pendingSeries = [];
          }
          if (pendingMeta.length > 0) {
            addMeta(pendingMeta);
            pendingMeta = [];
          }
          pending.at = null;
          stats.samples += x.refs.length;
          handler.samples?.(x);
          return;
        }
        pending.at ??= { k, off: rec };
        if (type === RecordType.Series) for (const r of decodeSeries(buf, s, e)) pendingSeries.push(r);
        else for (const m of decodeMetadata(buf, s, e)) pendingMeta.push(m);
      });
      stats.bytes += res.size;
      if (res.error !== undefined) cutAt = { k, off: res.end, why: res.error };
    }
    if (pending.at !== null) {
      const at = pending.at;
      cutAt = {
        k: at.k,
        off: at.off,
        why: `${cutAt === null ? "" : `${cutAt.why}; `}batch without its samples record`,
      };
    }
    if (cutAt !== null) stats.repairedBytes = await this.repair(segments, cutAt.k, cutAt.off, cutAt.why);

    this.cp = cp;
    const last = segments.at(-1);
    if (last === undefined) this.seg = cp === null ? 0 : cp + 1;
    else this.seg = stats.repairedBytes === 0 && (await this.isEmpty(last)) ? last : last + 1;
    this.first = segments[0] ?? this.seg;
    stats.durationMs = performance.now() - start;
    this.replayStats = stats;
  }

  private async isEmpty(i: number): Promise<boolean> {
    return (await stat(join(this.dir, segmentName(i)))).size === 0;
  }

  /** Cuts segment `segments[k]` at `off`, removes the later ones; returns the bytes lost. */
  private async repair(segments: number[], k: number, off: number, why: string): Promise<number> {
    const name = segmentName(segments[k]!);
    const fd = openSync(join(this.dir, name), "r+");
    let lost = 0;
    try {
      lost = fstatSync(fd).size - off;
      ftruncateSync(fd, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const later = segments.splice(k + 1);
    for (const i of later) {
      const path = join(this.dir, segmentName(i));
      lost += (await stat(path)).size;
      await unlink(path);
    }
    fsyncDir(this.dir);
    this.logger?.warn(
      `WAL: ${why} in segment ${name}; cut the log back to the last good record at offset ${off}` +
        (later.length > 0 ? ` and removed ${later.length} later segment(s)` : "") +
        ` (${lost} bytes dropped)`,
    );
    return Math.max(lost, 1);
  }

  private async writeCheckpoint(options: CheckpointOptions): Promise<CheckpointStats | null> {
    const last = this.seg - 1;
    const first = this.first;
    if (this.closed || last < first) return null;
    const start = performance.now();
    const prev = this.cp;
    const name = checkpointName(last);
    const tmp = join(this.dir, `${name}.tmp`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    const out = new CheckpointWriter(tmp, this.segmentSize);
    const stats: CheckpointStats = {
      index: last,
      segmentsRemoved: last - first + 1 + (prev === null ? 0 : 1),
      series: 0,
      samples: 0,
      droppedSamples: 0,
      bytes: 0,
      durationMs: 0,
    };
    try {
      const inputs: string[] = [];
      if (prev !== null) {
        const cdir = join(this.dir, checkpointName(prev));
        for (const f of (await readdir(cdir)).filter((n) => SEGMENT_RE.test(n)).sort())
          inputs.push(join(cdir, f));
      }
      for (let i = first; i <= last; i++) inputs.push(join(this.dir, segmentName(i)));
      const keep = options.keepSeries ?? (() => true);
      const mint = options.mint ?? Number.NEGATIVE_INFINITY;
      const seenSeries = new Set<number>();
      const seenMeta = new Set<string>();
      const decoder = new SamplesDecoder();
      for (const path of inputs) {
        const res = await scanFile(path, (buf, type, s, e) => {
          if (type === RecordType.Series) {
            const kept = decodeSeries(buf, s, e).filter((r) => {
              if (seenSeries.has(r.ref) || !keep(r.ref)) return false;
              seenSeries.add(r.ref);
              return true;
            });
            stats.series += kept.length;
            if (kept.length > 0) out.series(kept);
          } else if (type === RecordType.Metadata) {
            const kept = decodeMetadata(buf, s, e).filter((entry) => {
              const key = metaKey(entry);
              if (seenMeta.has(key)) return false;
              seenMeta.add(key);
              return true;
            });
            if (kept.length > 0) out.metadata(kept);
          } else {
            const x = decoder.decode(buf, s, e);
            const before = stats.samples;
            const bits = new Uint32Array(x.vs.buffer, x.vs.byteOffset, x.vs.length * 2);
            for (let i = 0; i < x.refs.length; i++) {
              if (x.ts[i]! >= mint && keep(x.refs[i]!)) {
                out.sample(x, bits, i);
                stats.samples++;
              }
            }
            stats.droppedSamples += x.refs.length - (stats.samples - before);
          }
        });
        if (res.error !== undefined) throw new WALError(`checkpoint: ${path} is damaged: ${res.error}`);
      }
      stats.bytes = out.finish();
      fsyncDir(tmp);
      await rename(tmp, join(this.dir, name));
      fsyncDir(this.dir);
    } catch (err) {
      out.abort();
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    this.cp = last;
    this.first = last + 1;
    for (let i = first; i <= last; i++) await unlink(join(this.dir, segmentName(i)));
    if (prev !== null) await rm(join(this.dir, checkpointName(prev)), { recursive: true, force: true });
    stats.durationMs = performance.now() - start;
    this.logger?.info(
      `WAL: checkpoint ${name} written: ${stats.series} series, ${stats.samples} samples ` +
        `(${stats.droppedSamples} dropped), ${stats.bytes} bytes in ${stats.durationMs.toFixed(0)} ms`,
    );
    return stats;
  }
}

/** Writes a checkpoint's records into segments of its own, samples re-batched into large records. */
class CheckpointWriter {
  private readonly rb = new RecordBuffer(1 << 20);
  private fd = -1;
  private index = 0;
  private segBytes = 0;
  private total = 0;
  private readonly refs = new Uint32Array(8192);
  private readonly ts = new Float64Array(8192);
  private readonly vs = new Float64Array(8192);
  private readonly vw = new Uint32Array(this.vs.buffer);
  private n = 0;

  constructor(
    private readonly dir: string,
    private readonly segmentSize: number,
  ) {}

  series(records: readonly WALSeries[]): void {
    encodeSeries(this.rb, records);
    this.maybeFlush();
  }

  metadata(entries: readonly WALMetadata[]): void {
    encodeMetadata(this.rb, entries);
    this.maybeFlush();
  }

  /** Adds sample `i` of `x`, copying the value's bits word by word from `bits` (a view of `x.vs`). */
  sample(x: WALSamples, bits: Uint32Array, i: number): void {
    const n = this.n;
    this.refs[n] = x.refs[i]!;
    this.ts[n] = x.ts[i]!;
    this.vw[2 * n] = bits[2 * i]!;
    this.vw[2 * n + 1] = bits[2 * i + 1]!;
    this.n = n + 1;
    if (this.n === this.refs.length) this.flushSamples();
  }

  /** Writes everything, fsyncs and closes; returns the bytes written. */
  finish(): number {
    this.flushSamples();
    this.write();
    if (this.fd < 0) this.open();
    fdatasyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    return this.total;
  }

  abort(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private flushSamples(): void {
    if (this.n === 0) return;
    const n = this.n;
    encodeSamples(this.rb, {
      refs: this.refs.subarray(0, n),
      ts: this.ts.subarray(0, n),
      vs: this.vs.subarray(0, n),
    });
    this.n = 0;
    this.maybeFlush();
  }

  private maybeFlush(): void {
    if (this.rb.length >= 4 << 20) this.write();
  }

  private open(): void {
    this.fd = openSync(join(this.dir, segmentName(this.index++)), "w");
    this.segBytes = 0;
  }

  private write(): void {
    const len = this.rb.length;
    if (len === 0) return;
    if (this.fd < 0) this.open();
    else if (this.segBytes > 0 && this.segBytes + len > this.segmentSize) {
      fdatasyncSync(this.fd);
      closeSync(this.fd);
      this.open();
    }
    let off = 0;
    while (off < len) off += writeSync(this.fd, this.rb.buf, off, len - off);
    this.segBytes += len;
    this.total += len;
    this.rb.reset();
  }
}
