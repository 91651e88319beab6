/**
 * Persistent blocks of the embedded TSDB: the block writer and reader, the merging querier over
 * head and blocks, and the {@link BlockStore} that cuts the head into blocks, compacts them,
 * applies retention and tombstones. FORMAT.md (one folder up) describes the files.
 */
export {
  Block,
  type BlockMeta,
  BlockQuerier,
  BlockSeries,
  readMeta,
  type SeriesSource,
  type Tombstones,
  type WriteBlockOptions,
  writeBlock,
} from "./block.js";
export { CorruptBlockError, ulid } from "./encoding.js";
export { MergeIterator, MergeQuerier, mergeSeriesSets } from "./merge.js";
export { type BlockLogger, BlockStore, type BlockStoreOptions, type CompactionResult } from "./store.js";
