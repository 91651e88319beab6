/**
 * The write-ahead log of the embedded TSDB: segmented files of checksummed series, metadata and
 * samples records, torn-tail repair on open, and checkpoints that keep replay bounded.
 * FORMAT.md ("Write-ahead log") describes the bytes.
 */
export { crc32 } from "./crc32.js";
export {
  CorruptRecordError,
  decodeMetadata,
  decodeSeries,
  encodeMetadata,
  encodeSamples,
  encodeSeries,
  RECORD_HEADER_SIZE,
  RecordBuffer,
  RecordType,
  SamplesDecoder,
  type ScanResult,
  scanFile,
  scanRecords,
  type WALMetadata,
} from "./record.js";
export {
  type CheckpointOptions,
  type CheckpointStats,
  checkpointName,
  type FsyncPolicy,
  openWAL,
  segmentName,
  WAL,
  WALError,
  type WALLogger,
  type WALOptions,
  type WALReplayHandler,
  type WALReplayStats,
} from "./wal.js";
