/**
 * The embedded time-series store: XOR-compressed chunks, the inverted index (postings) and the
 * in-memory head, which implements {@link Storage}. A write-ahead log plugs in through
 * {@link WriteAheadLog}; FORMAT.md describes the encodings.
 */
export { CorruptChunkError, MAX_CHUNK_SAMPLES, XORAppender, XORChunk, XORIterator } from "./chunk.js";
export {
  fnvLabels,
  Head,
  HeadAppender,
  type HeadOptions,
  HeadQuerier,
  type TSDBStatus,
  type WALSamples,
  type WALSeries,
  type WriteAheadLog,
} from "./head.js";
export { intersect, literalAlternatives, MemPostings, type Postings, subtract, union } from "./postings.js";
