/**
 * Remote write 1.0 receiving: snappy + protobuf decoding into columnar arrays, validation, and
 * applying a request to a store all or nothing. The HTTP route lives in src/api.
 */
export { type ApplyOptions, applyWriteRequest, type WriteStats } from "./apply.js";
export {
  type DecodeOptions,
  decodeRemoteWrite,
  decodeWriteRequest,
  type SeriesRefSlot,
  type WriteMetadata,
  type WriteRequest,
} from "./decode.js";
export { encodeRemoteWrite, encodeWriteRequest, type WriteRequestInput } from "./encode.js";
export { RemoteWriteError } from "./errors.js";
export { DEFAULT_MAX_DECODED_BYTES, decompressSnappyBlock, snappyDecodedLength } from "./snappy.js";
