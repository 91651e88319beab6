/**
 * The scrape manager: Prometheus's scrape semantics (target labels and relabelling, per-job
 * interval, timeout, limits, honor_labels/honor_timestamps, staleness, synthetic series) over
 * HTTP, with bounded concurrency, and the `/api/v1/targets` rendering.
 */
export { InvalidScrapeConfigError, type ScrapeJob, type StaticConfig } from "./config.js";
export { SCRAPE_USER_AGENT, ScrapeError } from "./http.js";
export type { ScrapeLogger, ScrapeReport, TargetInfo } from "./loop.js";
export { renderTargets, ScrapeManager, type ScrapeManagerOptions, type TargetsData } from "./manager.js";
export { ScrapeMetrics } from "./metrics.js";
