/**
 * The PromQL parser: query text to a typed syntax tree (ast.ts), the function table, duration
 * expressions, the `load` series notation of test scripts, and printing back to canonical text.
 * Import only from here.
 */
export * from "./ast.js";
export {
  type DurationContext,
  DurationExprError,
  durationExprIsDynamic,
  evalDurationMs,
  evalDurationSeconds,
  resolveDurationExprs,
} from "./durations.js";
export { ParseError } from "./errors.js";
export * from "./functions.js";
export { goQuote } from "./lexer.js";
export { type ParseOptions, parseExpr, parseMetricSelector, parseNumberLiteral } from "./parser.js";
export {
  formatDurationExpr,
  formatExpr,
  formatGoFloat,
  formatMatcher,
  formatNumber,
  formatPromDuration,
  prettyFormatExpr,
} from "./printer.js";
export {
  type CounterResetHint,
  type HistogramLiteral,
  type HistogramSpan,
  parseSeriesDesc,
  type SequenceValue,
  type SeriesDesc,
} from "./series.js";
