import type { MetricType } from "./sample.js";

/** One sample of a metric family as a collector reports it: the series' own labels and a value. */
export interface FamilySample {
  /** Full series name, e.g. `node_cpu_seconds_total` or `http_duration_seconds_bucket`. */
  readonly name: string;
  /** Labels other than the metric name, e.g. `{ cpu: "0", mode: "idle" }`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Optional explicit timestamp in ms; absent means "now" (the scrape time). */
  readonly timestamp?: number;
}

/**
 * A metric family: what built-in collectors produce and what the exposition writer prints.
 * `name` is the family name (for counters in OpenMetrics without `_total`; in text format, the
 * name as exposed).
 */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly unit?: string;
  readonly samples: readonly FamilySample[];
}
