/**
 * The embedded time-series store: XOR-compressed chunks, the inverted index (postings), the
 * in-memory head, which implements {@link Storage}, the write-ahead log, and {@link openDB}, which
 * puts them together in a data directory. FORMAT.md describes the encodings.
 */

export {
  BackfillAppender,
  type BackfillHooks,
  type BackfillOptions,
  type BackfillStats,
  BackfillWriter,
  type BlockSink,
} from "./backfill.js";
export {
  Block,
  type BlockLogger,
  type BlockMeta,
  BlockQuerier,
  BlockStore,
  type BlockStoreOptions,
  type CompactionResult,
  CorruptBlockError,
  MergeIterator,
  MergeQuerier,
  mergeSeriesSets,
  type SeriesSource,
  type WriteBlockOptions,
  writeBlock,
} from "./block/index.js";
export { CorruptChunkError, MAX_CHUNK_SAMPLES, XORAppender, XORChunk, XORIterator } from "./chunk.js";
export { DB, DBLockedError, type DBOptions, type DBReplayStats, openDB } from "./db.js";
export {
  fnvLabels,
  Head,
  HeadAppender,
  type HeadOptions,
  HeadQuerier,
  type SeriesLimitName,
  type SeriesLimits,
  type TSDBStatus,
  type WALSamples,
  type WALSeries,
  type WriteAheadLog,
} from "./head.js";
export { intersect, literalAlternatives, MemPostings, type Postings, subtract, union } from "./postings.js";
export {
  type CheckpointOptions,
  type CheckpointStats,
  type FsyncPolicy,
  openWAL,
  WAL,
  WALError,
  type WALLogger,
  type WALMetadata,
  type WALOptions,
  type WALReplayHandler,
  type WALReplayStats,
} from "./wal/index.js";
