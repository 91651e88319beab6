import { Counter, Gauge, type Registry } from "prom-client";

/**
 * The scrape manager's own metrics. Where Prometheus has an equivalent, the name is Prometheus's
 * (so its self-monitoring dashboards work); the rest start with `relay_`.
 */
export class ScrapeMetrics {
  readonly scrapes: Counter<"job" | "result">;
  readonly samplesAppended: Counter<"job">;
  readonly exceededSampleLimit: Counter;
  readonly exceededSeriesLimit: Counter;
  readonly seriesRefused: Counter<"job">;
  readonly exceededBodySizeLimit: Counter;
  readonly exceededLabelLimits: Counter;
  readonly duplicateTimestamp: Counter;
  readonly outOfOrder: Counter;
  readonly outOfBounds: Counter;
  readonly targets: Gauge<"job" | "state">;

  /** Registers the metrics in `registry`, or keeps them unregistered when none is given. */
  constructor(registry?: Registry) {
    const registers = registry ? [registry] : [];
    this.scrapes = new Counter({
      name: "relay_scrapes_total",
      help: "Scrapes performed, by job and result (success or failure).",
      labelNames: ["job", "result"],
      registers,
    });
    this.samplesAppended = new Counter({
      name: "relay_scrape_samples_appended_total",
      help: "Samples appended to storage by scrapes, by job.",
      labelNames: ["job"],
      registers,
    });
    this.exceededSampleLimit = new Counter({
      name: "prometheus_target_scrapes_exceeded_sample_limit_total",
      help: "Total number of scrapes that hit the sample limit and were rejected.",
      registers,
    });
    this.exceededSeriesLimit = new Counter({
      name: "relay_target_scrapes_exceeded_series_limit_total",
      help: "Scrapes that had more distinct series than storage.limits.max_series_per_target and were rejected.",
      registers,
    });
    this.seriesRefused = new Counter({
      name: "relay_scrape_samples_refused_by_series_limit_total",
      help: "Scraped samples whose new series the storage refused for a cardinality limit (max_series, max_series_per_metric), by job.",
      labelNames: ["job"],
      registers,
    });
    this.exceededBodySizeLimit = new Counter({
      name: "prometheus_target_scrapes_exceeded_body_size_limit_total",
      help: "Total number of scrapes that hit the body size limit.",
      registers,
    });
    this.exceededLabelLimits = new Counter({
      name: "prometheus_target_scrape_pool_exceeded_label_limits_total",
      help: "Total number of times scrape pools hit the label limits.",
      registers,
    });
    this.duplicateTimestamp = new Counter({
      name: "prometheus_target_scrapes_sample_duplicate_timestamp_total",
      help: "Total number of samples rejected due to duplicate timestamps but different values.",
      registers,
    });
    this.outOfOrder = new Counter({
      name: "prometheus_target_scrapes_sample_out_of_order_total",
      help: "Total number of samples rejected due to not being out of the expected order.",
      registers,
    });
    this.outOfBounds = new Counter({
      name: "prometheus_target_scrapes_sample_out_of_bounds_total",
      help: "Total number of samples rejected due to timestamp falling outside of the time bounds.",
      registers,
    });
    this.targets = new Gauge({
      name: "relay_scrape_targets",
      help: "Scrape targets by job and state (active or dropped).",
      labelNames: ["job", "state"],
      registers,
    });
  }
}
