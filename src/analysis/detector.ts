import { LabelsBuilder, labelsFromRecord, labelsToRecord, METRIC_NAME } from "../model/index.js";
import type { Appendable } from "../storage/index.js";
import { chooseBaseline, effectiveScale, findEpisodes, robustScores } from "./anomaly.js";
import { type AnomalyConfig, anomalyConfigSchema, type WatchedSeries } from "./config.js";
import { toGrid } from "./grid.js";
import { METRICS } from "./names.js";
import { PeriodicService } from "./periodic.js";
import type { AnalysisSource } from "./source.js";

/** The value a series was expected to take: the baseline median and the band |z| < threshold. */
export interface ExpectedBand {
  median: number;
  lower: number;
  upper: number;
}

/** One anomaly episode of one series, as the API serves it. */
export interface Anomaly {
  /** The watched series' configured name. */
  series: string;
  /** Labels of the PromQL result series (without the metric name). */
  labels: Record<string, string>;
  /** First and last anomalous grid times (ms). */
  start: number;
  end: number;
  /** The point with the largest |score|. */
  peak: { t: number; value: number; score: number };
  /** The expected band at the peak. */
  expected: ExpectedBand;
  /** The signed peak score (robust z). */
  score: number;
  /** Seasonal period of the baseline used (ms): a day, or a week when weekly patterns dominate. */
  baselinePeriodMs: number;
}

/** The latest score of one series. */
export interface CurrentScore {
  series: string;
  labels: Record<string, string>;
  t: number;
  value: number;
  score: number;
  expected: ExpectedBand;
}

/** The detector's answer for a range. */
export interface AnomalyReport {
  timestamp: number;
  range: { from: number; to: number; step: number };
  anomalies: Anomaly[];
  /** The latest finite score of each series. */
  current: CurrentScore[];
  /** Watched series whose query failed. */
  skipped: { series: string; reason: string }[];
}

/** Options of an {@link AnomalyDetector}. */
export interface AnomalyDetectorOptions {
  source: AnalysisSource;
  /** Where relay_anomaly_score is written by the periodic run. */
  appendable?: Appendable;
  config?: AnomalyConfig;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/**
 * The anomaly detector. For each watched series it builds a seasonal baseline (median and MAD of
 * the same slot over previous days, or weeks when weekly patterns explain the data better, see
 * {@link chooseBaseline}), scores each point by robust z, and merges high scores into episodes.
 * Life: construct, `applyConfig`, `start` (every `interval` appends the latest
 * `relay_anomaly_score{series="<name>", <labels>}` so alert rules can use it), `stop`.
 * @example
 * const d = new AnomalyDetector({ source, appendable: head });
 * const { anomalies } = await d.detect({ from: Date.now() - 86_400_000, to: Date.now() });
 */
export class AnomalyDetector extends PeriodicService<AnomalyConfig, AnomalyReport> {
  constructor(private readonly opts: AnomalyDetectorOptions) {
    super(opts.config ?? anomalyConfigSchema.parse({}), opts.onError);
  }

  protected async run(): Promise<AnomalyReport> {
    const now = (this.opts.now ?? Date.now)();
    const report = await this.detect({ from: now - this.config.interval, to: now });
    if (!this.opts.appendable || report.current.length === 0) return report;
    const app = this.opts.appendable.appender();
    for (const c of report.current) {
      const b = new LabelsBuilder(labelsFromRecord(c.labels));
      b.set(METRIC_NAME, METRICS.anomalyScore).set("series", c.series);
      app.append(0, b.labels(), now, c.score);
    }
    await app.commit();
    return report;
  }

  /**
   * Scores the watched series (all, or those named in `series`) over [from, to] and lists the
   * episodes that end inside it. The baseline reads `history` before `from`.
   */
  async detect(q: { from: number; to: number; series?: readonly string[] }): Promise<AnomalyReport> {
    const cfg = this.config;
    const step = cfg.step;
    const to = Math.floor(q.to / step) * step;
    const from = Math.floor(q.from / step) * step;
    if (to < from) throw new RangeError(`anomaly range must have to ≥ from, got from=${q.from} to=${q.to}`);
    const start = from - Math.ceil(cfg.history / step) * step;
    const watched = q.series ? cfg.series.filter((s) => q.series!.includes(s.name)) : cfg.series;
    const anomalies: Anomaly[] = [];
    const current: CurrentScore[] = [];
    const skipped: AnomalyReport["skipped"] = [];
    for (const w of watched) {
      try {
        const matrix = await this.opts.source.range(w.expr, start, to, step);
        for (const s of matrix)
          this.scoreSeries(w, labelsToRecord(s.labels), s.t, s.v, start, from, to, anomalies, current);
      } catch (err) {
        skipped.push({ series: w.name, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    anomalies.sort((a, b) => a.start - b.start || Math.abs(b.score) - Math.abs(a.score));
    return {
      timestamp: (this.opts.now ?? Date.now)(),
      range: { from, to, step },
      anomalies,
      current,
      skipped,
    };
  }

  private scoreSeries(
    w: WatchedSeries,
    labels: Record<string, string>,
    t: Float64Array,
    v: Float64Array,
    start: number,
    from: number,
    to: number,
    anomalies: Anomaly[],
    current: CurrentScore[],
  ): void {
    const cfg = this.config;
    const step = cfg.step;
    delete labels[METRIC_NAME];
    const y = toGrid(t, v, { start, end: to, step }, 2);
    const daily = Math.round(86_400_000 / step);
    const b = chooseBaseline(y, { daily, weekly: 7 * daily });
    const floor = { absolute: w.min_scale, relative: w.min_relative };
    const scores = robustScores(y, b, floor);
    if (w.direction !== "both") {
      const sign = w.direction === "up" ? 1 : -1;
      for (let i = 0; i < scores.length; i++) if (sign * scores[i]! < 0) scores[i] = 0;
    }
    const thr = w.threshold ?? cfg.threshold;
    const band = (i: number): ExpectedBand => {
      const m = b.median[i]!;
      const half = thr * effectiveScale(b.scale[i]!, m, floor);
      return { median: m, lower: m - half, upper: m + half };
    };
    const first = Math.round((from - start) / step);
    for (const e of findEpisodes(scores, {
      threshold: thr,
      minPoints: cfg.min_points,
      mergeGap: cfg.merge_gap,
    })) {
      if (e.endIndex < first) continue;
      anomalies.push({
        series: w.name,
        labels,
        start: start + e.startIndex * step,
        end: start + e.endIndex * step,
        peak: { t: start + e.peakIndex * step, value: y[e.peakIndex]!, score: e.peakScore },
        expected: band(e.peakIndex),
        score: e.peakScore,
        baselinePeriodMs: b.period * step,
      });
    }
    for (let i = scores.length - 1; i >= first; i--) {
      if (Number.isFinite(scores[i]!)) {
        current.push({
          series: w.name,
          labels,
          t: start + i * step,
          value: y[i]!,
          score: scores[i]!,
          expected: band(i),
        });
        break;
      }
    }
  }
}
