/**
 * The exposition formats: a pull parser for Prometheus text 0.0.4 and OpenMetrics 1.0, the
 * content negotiation a scraper and a `/metrics` endpoint need, and a writer for both formats.
 */
export { ExpositionParseError } from "./errors.js";
export {
  contentTypeFor,
  formatFromContentType,
  negotiateResponseFormat,
  OPENMETRICS_CONTENT_TYPE,
  SCRAPE_ACCEPT_HEADER,
  TEXT_CONTENT_TYPE,
} from "./negotiate.js";
export {
  EntryType,
  type ExpositionFormat,
  ExpositionParser,
  OpenMetricsParser,
  type ParsedSample,
  parseExposition,
  TextParser,
} from "./parser.js";
export { formatValue, writeExposition } from "./writer.js";
