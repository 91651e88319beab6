/**
 * Ingestion: the exposition formats (parser, writer, negotiation), remote-write 1.0 receiving,
 * and the scrape manager. Other folders import ingestion only from here.
 */

export * from "./backfill.js";
export * from "./exposition/index.js";
export * from "./remote_write/index.js";
export * from "./scrape/index.js";
