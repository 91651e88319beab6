/**
 * PromQL: the parser (re-exported from ./parser) and the evaluation engine. Other folders import
 * only from here.
 */

export { Engine, type EngineOptions, type QueryOptions } from "./engine.js";
export {
  BadDataError,
  checkRangeResolution,
  ExecutionError,
  PromQLError,
  QueryCanceledError,
  QueryTimeoutError,
  TooManySamplesError,
} from "./errors.js";
export * from "./parser/index.js";
export {
  formatFloat,
  formatTimestamp,
  type JsonPoint,
  type MatrixSeries,
  type QueryResult,
  type QueryResultJSON,
  queryResultToJSON,
  queryResultToJSONString,
  type ScalarValue,
  type StringValue,
  type VectorSample,
} from "./value.js";
