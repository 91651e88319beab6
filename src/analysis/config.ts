/**
 * The `analysis` section of the configuration: zod schemas with the seed's defaults. Durations are
 * Prometheus duration strings (`5m`, `28d`) parsed to milliseconds; every field has a default, so
 * `analysisConfigSchema.parse({})` is a complete configuration.
 */
import { z } from "zod";
import { isDuration, parseDuration } from "../model/index.js";
import { EXPRS } from "./names.js";

const durationMs = (def: string) =>
  z
    .unknown()
    .transform((v, ctx): number => {
      if (typeof v === "string" && isDuration(v)) return parseDuration(v);
      ctx.addIssue({ code: "custom", message: `expected a duration like 5m, got ${JSON.stringify(v)}` });
      return z.NEVER;
    })
    .default(parseDuration(def));

/** Severity levels of one check: a finding is raised at the highest level the value exceeds. */
export const levelsSchema = z.strictObject({
  info: z.number().optional(),
  warning: z.number().optional(),
  critical: z.number().optional(),
});
/** Levels of one performance check. */
export type Levels = z.output<typeof levelsSchema>;

const lv = (d: Levels) => levelsSchema.default(d);

/** Thresholds and schedule of the performance analyzer. */
export const performanceConfigSchema = z.strictObject({
  /** How often the periodic analysis runs and stores its score. */
  interval: durationMs("5m"),
  /** The range each periodic analysis covers, ending now. */
  window: durationMs("1h"),
  cpu_user_percent: lv({ warning: 80 }),
  /** load5 as a multiple of the number of cores. */
  load5_per_core: lv({ warning: 0.8 }),
  memory_percent: lv({ warning: 85, critical: 95 }),
  disk_percent: lv({ warning: 85, critical: 95 }),
  network_error_percent: lv({ warning: 0.1, critical: 1 }),
  network_drop_percent: lv({ warning: 1, critical: 5 }),
  network_utilisation_percent: lv({ warning: 75, critical: 90 }),
  http_error_percent: lv({ warning: 1, critical: 5 }),
  http_p95_seconds: lv({ info: 0.1, warning: 0.5, critical: 1 }),
  /** Longest running query (postgres_exporter's max transaction duration of active sessions). */
  db_slow_query_seconds: lv({ warning: 1, critical: 5 }),
  db_connection_percent: lv({ warning: 80, critical: 95 }),
  /** Peer disconnections per hour as a fraction of the average peer count. */
  p2p_churn_per_hour: lv({ warning: 0.2, critical: 0.5 }),
  p2p_propagation_p95_seconds: lv({ warning: 0.5, critical: 2 }),
  consensus_round_seconds: lv({ warning: 10 }),
  consensus_failure_percent: lv({ critical: 10 }),
  /** Drop of a channel's health score from its peak in the range, in percent of the peak. */
  community_health_drop_percent: lv({ warning: 20, critical: 40 }),
});
/** The performance analyzer's configuration, defaults filled in. */
export type PerformanceConfig = z.output<typeof performanceConfigSchema>;

/** Capacity planning: thresholds per resource (percent utilisation) and the forecast's shape. */
export const capacityConfigSchema = z.strictObject({
  interval: durationMs("1h"),
  /** History the forecasts are fitted on. */
  history: durationMs("28d"),
  /** How far ahead to forecast. */
  horizon: durationMs("14d"),
  /** Resolution of history and forecast. */
  step: durationMs("1h"),
  thresholds: z
    .strictObject({
      cpu: z.number().positive().default(70),
      memory: z.number().positive().default(80),
      storage: z.number().positive().default(85),
      network: z.number().positive().default(75),
    })
    .default({ cpu: 70, memory: 80, storage: 85, network: 75 }),
  /** Average forecast utilisation (percent) below which SCALE_DOWN is recommended. */
  scale_down_below: z.number().nonnegative().default(30),
  /** Prediction-interval level. */
  level: z.number().gt(0).lt(1).default(0.95),
});
/** The capacity planner's configuration, defaults filled in. */
export type CapacityConfig = z.output<typeof capacityConfigSchema>;

/** One series the anomaly detector watches. */
export const watchedSeriesSchema = z.strictObject({
  /** Becomes the `series` label of relay_anomaly_score. */
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "expected a name like request_rate"),
  expr: z.string().min(1),
  /** |score| at which a point is anomalous (default: the detector's). */
  threshold: z.number().positive().optional(),
  /** Smallest spread in the series' unit, so a flat series does not alarm on noise. */
  min_scale: z.number().nonnegative().default(0),
  /** Smallest spread as a fraction of the expected value, so small relative moves stay quiet. */
  min_relative: z.number().nonnegative().default(0.02),
  /**
   * Which departures count: `up` (latencies, error ratios: a drop is good news and scores 0),
   * `down` (participation, capacity), or `both`.
   */
  direction: z.enum(["both", "up", "down"]).default("both"),
});
/** One watched series. */
export type WatchedSeries = z.output<typeof watchedSeriesSchema>;

/**
 * The default watched series: the brief's six (request rate, error ratio, p95 latency, consensus
 * duration, message volume, health score) and the signals of the faults a Relay network shows
 * (P2P propagation latency, consensus participation, moderation bursts, long database
 * transactions), all over SDK catalogue, node_exporter and postgres_exporter names.
 */
export const DEFAULT_WATCHED: z.input<typeof watchedSeriesSchema>[] = [
  { name: "request_rate", expr: EXPRS.requestRate(), min_scale: 0.15, min_relative: 0.15 },
  { name: "error_ratio", expr: EXPRS.errorRatio(), min_scale: 0.01, direction: "up" },
  { name: "p95_latency", expr: EXPRS.p95Latency(), min_scale: 0.02, direction: "up" },
  { name: "consensus_duration", expr: EXPRS.consensusMedian(), min_scale: 0.2, direction: "up" },
  { name: "message_volume", expr: EXPRS.messageVolume(), min_scale: 0.02, min_relative: 0.1 },
  { name: "health_score", expr: EXPRS.healthScore(), min_scale: 1 },
  { name: "propagation_p95", expr: EXPRS.propagationP95(), min_scale: 0.02, direction: "up" },
  {
    name: "consensus_participants",
    expr: EXPRS.consensusParticipants(),
    min_scale: 0.2,
    direction: "down",
  },
  { name: "moderation_rate", expr: EXPRS.moderationRate(), min_scale: 0.003, direction: "up" },
  { name: "db_max_tx_duration", expr: EXPRS.dbMaxTxDuration(), min_scale: 0.5, direction: "up" },
];

/** The anomaly detector's configuration. */
export const anomalyConfigSchema = z.strictObject({
  interval: durationMs("5m"),
  /** Resolution of the scored series. */
  step: durationMs("5m"),
  /** History the seasonal baseline looks back over (three weeks allows a weekly baseline). */
  history: durationMs("21d"),
  /** |robust z| at which a point is anomalous. */
  threshold: z.number().positive().default(4),
  /** Fewest anomalous points an episode needs. */
  min_points: z.number().int().positive().default(2),
  /** Normal points allowed inside one episode. */
  merge_gap: z.number().int().nonnegative().default(2),
  series: z
    .array(watchedSeriesSchema)
    .default(() => DEFAULT_WATCHED.map((s) => watchedSeriesSchema.parse(s))),
});
/** The anomaly detector's configuration, defaults filled in. */
export type AnomalyConfig = z.output<typeof anomalyConfigSchema>;

/** A named PromQL expression a ranking considers. */
export const namedExprSchema = z.strictObject({ name: z.string().min(1), expr: z.string().min(1) });
/** A named expression. */
export type NamedExpr = z.output<typeof namedExprSchema>;

/** The technical series ranked against a community metric by default. */
export const DEFAULT_TECHNICAL: NamedExpr[] = [
  { name: "p95_latency", expr: `max(${EXPRS.p95Latency()})` },
  {
    name: "error_ratio",
    expr: `sum(rate(relay_http_requests_total{status=~"5.."}[5m])) / sum(rate(relay_http_requests_total[5m]))`,
  },
  { name: "request_rate", expr: "sum(rate(relay_http_requests_total[5m]))" },
  { name: "consensus_duration", expr: `max(${EXPRS.consensusDuration()})` },
  { name: "propagation_p95", expr: `max(${EXPRS.propagationP95()})` },
  { name: "cpu_utilisation", expr: `max(${EXPRS.cpuUtilisation()})` },
  { name: "memory_utilisation", expr: `max(${EXPRS.memoryUtilisation()})` },
];

/** The correlation engine's configuration. */
export const correlationConfigSchema = z.strictObject({
  /** Resolution both series are aligned to. */
  step: durationMs("15m"),
  /** Default range of a correlation, ending now. */
  window: durationMs("7d"),
  /** Largest lag searched, both directions. */
  max_lag: durationMs("6h"),
  /** Correlate first differences (changes) rather than levels. */
  difference: z.boolean().default(true),
  /** The community metric rankings use by default. */
  community: z.string().min(1).default(EXPRS.engagement()),
  technical: z.array(namedExprSchema).default(() => DEFAULT_TECHNICAL.map((e) => ({ ...e }))),
});
/** The correlation engine's configuration, defaults filled in. */
export type CorrelationConfig = z.output<typeof correlationConfigSchema>;

/** The whole `analysis` section. */
export const analysisConfigSchema = z.strictObject({
  performance: performanceConfigSchema.default(() => performanceConfigSchema.parse({})),
  capacity: capacityConfigSchema.default(() => capacityConfigSchema.parse({})),
  anomaly: anomalyConfigSchema.default(() => anomalyConfigSchema.parse({})),
  correlation: correlationConfigSchema.default(() => correlationConfigSchema.parse({})),
});
/** The `analysis` section, defaults filled in. */
export type AnalysisConfig = z.output<typeof analysisConfigSchema>;
