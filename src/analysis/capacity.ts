import { labelsToRecord } from "../model/index.js";
import { type CapacityConfig, capacityConfigSchema } from "./config.js";
import { type ForecastAccuracy, type ForecastModel, forecastSeries } from "./forecast.js";
import { gridTimes, toGrid } from "./grid.js";
import { EXPRS } from "./names.js";
import { PeriodicService } from "./periodic.js";
import type { AnalysisSource } from "./source.js";

/** The resources capacity planning covers. */
export type Resource = "cpu" | "memory" | "storage" | "network";

/** The utilisation (percent) query of each resource, one series per instance. */
export const RESOURCE_EXPRS: Record<Resource, string> = {
  cpu: EXPRS.cpuUtilisation(),
  memory: `max by (instance) (${EXPRS.memoryUtilisation()})`,
  storage: EXPRS.storageUtilisation(),
  network: EXPRS.networkUtilisation(),
};

/** A run of forecast points above the threshold. */
export interface Breach {
  start: number;
  end: number;
  /** Highest forecast value in the run. */
  peak: number;
}

/** A capacity recommendation (the seed's SCALE_UP / SCALE_DOWN). */
export interface CapacityRecommendation {
  type: "SCALE_UP" | "SCALE_DOWN";
  priority: "HIGH" | "MEDIUM";
  /** For SCALE_UP: the capacity increase (percent) that keeps the forecast peak at the threshold. */
  increasePercent?: number;
  description: string;
  timeline: string;
}

/** Capacity of one resource on one instance, as the API serves it. */
export interface CapacityForecast {
  resource: Resource;
  labels: Record<string, string>;
  /** Last observed utilisation (percent). */
  current: number;
  /** Highest and mean forecast utilisation (percent). */
  peak: number;
  average: number;
  forecast: {
    model: ForecastModel;
    /** Seasonal periods in points (Holt–Winters only). */
    periods: readonly number[];
    /** Timestamps (ms) of the forecast points. */
    timestamps: number[];
    points: number[];
    lower: number[];
    upper: number[];
  };
  accuracy: ForecastAccuracy;
  threshold: number;
  breaches: Breach[];
  /** Time from the last observation to the first forecast breach (0 when already above; null when none). */
  timeToFirstBreachMs: number | null;
  /** True when the upper prediction bound crosses the threshold even if the forecast does not. */
  breachPossible: boolean;
  /** (peak − threshold) / threshold when the peak exceeds the threshold, else 0 (the seed's). */
  shortfall: number;
  recommendations: CapacityRecommendation[];
}

/** The planner's answer for every resource and instance. */
export interface CapacityReport {
  timestamp: number;
  history: { from: number; to: number; step: number };
  horizonMs: number;
  resources: CapacityForecast[];
  /** Series skipped (too little history) or queries that failed. */
  skipped: { resource: Resource; labels?: Record<string, string>; reason: string }[];
}

/** Runs of `points` above `threshold`, with their timestamps. */
export function findBreaches(
  times: ArrayLike<number>,
  points: ArrayLike<number>,
  threshold: number,
): Breach[] {
  const out: Breach[] = [];
  let cur: Breach | null = null;
  for (let i = 0; i < points.length; i++) {
    const v = points[i]!;
    if (v > threshold) {
      if (cur === null) cur = { start: times[i]!, end: times[i]!, peak: v };
      else {
        cur.end = times[i]!;
        cur.peak = Math.max(cur.peak, v);
      }
    } else if (cur !== null) {
      out.push(cur);
      cur = null;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

/** The seed's capacity recommendations for a forecast's shortfall and average. */
export function capacityRecommendations(
  shortfall: number,
  average: number,
  firstBreach: number | null,
  scaleDownBelow: number,
): CapacityRecommendation[] {
  const out: CapacityRecommendation[] = [];
  if (shortfall > 0) {
    const pct = Math.ceil(shortfall * 100);
    out.push({
      type: "SCALE_UP",
      priority: "HIGH",
      increasePercent: pct,
      description: `Increase capacity by ${pct}% to handle projected load`,
      timeline:
        firstBreach === null
          ? "Before next peak period"
          : `Before next peak period (${new Date(firstBreach).toISOString()})`,
    });
  }
  if (average < scaleDownBelow) {
    out.push({
      type: "SCALE_DOWN",
      priority: "MEDIUM",
      description: "Consider reducing capacity due to low average utilization",
      timeline: "After validating minimum requirements",
    });
  }
  return out;
}

/** Options of a {@link CapacityPlanner}. */
export interface CapacityPlannerOptions {
  source: AnalysisSource;
  config?: CapacityConfig;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/**
 * The capacity planner: for each resource and instance, fits linear and Holt–Winters (daily, and
 * weekly once two weeks of history exist) forecasts on the history, keeps the better in backtest,
 * and reports utilisation, breaches and recommendations. Life: construct, `applyConfig`, `start`
 * (recomputes the plan every `interval`), `stop`; `plan()` computes on demand.
 * @example const plan = await new CapacityPlanner({ source }).plan();
 */
export class CapacityPlanner extends PeriodicService<CapacityConfig, CapacityReport> {
  constructor(private readonly opts: CapacityPlannerOptions) {
    super(opts.config ?? capacityConfigSchema.parse({}), opts.onError);
  }

  protected run(): Promise<CapacityReport> {
    return this.plan();
  }

  /**
   * Plans capacity at `now` (default: the clock) for the given resources (default: all). History is
   * [now − history, now] at `step`; gaps up to three steps are interpolated.
   */
  async plan(opts: { now?: number; resources?: readonly Resource[] } = {}): Promise<CapacityReport> {
    const cfg = this.config;
    const to = Math.floor((opts.now ?? (this.opts.now ?? Date.now)()) / cfg.step) * cfg.step;
    const from = to - cfg.history;
    const grid = { start: from, end: to, step: cfg.step };
    const times = gridTimes(grid);
    const horizon = Math.max(1, Math.round(cfg.horizon / cfg.step));
    const day = 86_400_000 / cfg.step;
    const periods = Number.isInteger(day) && day >= 2 ? [day, 7 * day] : [];
    const out: CapacityForecast[] = [];
    const skipped: CapacityReport["skipped"] = [];
    for (const resource of opts.resources ?? (Object.keys(RESOURCE_EXPRS) as Resource[])) {
      let matrix: Awaited<ReturnType<AnalysisSource["range"]>>;
      try {
        matrix = await this.opts.source.range(RESOURCE_EXPRS[resource], from, to, cfg.step);
      } catch (err) {
        skipped.push({ resource, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      for (const s of matrix) {
        const labels = labelsToRecord(s.labels);
        const y = toGrid(s.t, s.v, grid, 3);
        let fc: ReturnType<typeof forecastSeries>;
        try {
          fc = forecastSeries(y, { horizon, periods, level: cfg.level });
        } catch (err) {
          skipped.push({ resource, labels, reason: err instanceof Error ? err.message : String(err) });
          continue;
        }
        const lastIdx = fc.startIndex - 1;
        const lastT = times[lastIdx]!;
        const fTimes = Array.from({ length: horizon }, (_, h) => lastT + (h + 1) * cfg.step);
        const current = y[lastIdx]!;
        const threshold = cfg.thresholds[resource];
        let peak = Number.NEGATIVE_INFINITY;
        let sum = 0;
        let upperMax = Number.NEGATIVE_INFINITY;
        for (let h = 0; h < horizon; h++) {
          peak = Math.max(peak, fc.points[h]!);
          sum += fc.points[h]!;
          upperMax = Math.max(upperMax, fc.upper[h]!);
        }
        const average = sum / horizon;
        const breaches = findBreaches(fTimes, fc.points, threshold);
        const timeToFirstBreachMs =
          current > threshold ? 0 : breaches.length > 0 ? breaches[0]!.start - lastT : null;
        const shortfall = peak > threshold ? (peak - threshold) / threshold : 0;
        out.push({
          resource,
          labels,
          current,
          peak,
          average,
          forecast: {
            model: fc.model,
            periods: fc.periods,
            timestamps: fTimes,
            points: Array.from(fc.points),
            lower: Array.from(fc.lower),
            upper: Array.from(fc.upper),
          },
          accuracy: fc.accuracy,
          threshold,
          breaches,
          timeToFirstBreachMs,
          breachPossible: upperMax > threshold,
          shortfall,
          recommendations: capacityRecommendations(
            shortfall,
            average,
            breaches.length > 0 ? breaches[0]!.start : null,
            cfg.scale_down_below,
          ),
        });
      }
    }
    return {
      timestamp: (this.opts.now ?? Date.now)(),
      history: { from, to, step: cfg.step },
      horizonMs: horizon * cfg.step,
      resources: out,
      skipped,
    };
  }
}
