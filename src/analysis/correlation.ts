import { labelsToRecord, METRIC_NAME } from "../model/index.js";
import type { MatrixSeries } from "../promql/index.js";
import { type CorrelationConfig, correlationConfigSchema, type NamedExpr } from "./config.js";
import { lagCorrelation } from "./correlate.js";
import { toGrid } from "./grid.js";
import type { AnalysisSource } from "./source.js";

/** One side of a correlation: the expression and the labels of its result series. */
export interface CorrelatedSeries {
  expr: string;
  name?: string;
  labels: Record<string, string>;
}

/** The correlation of one technical series with one community series, as the API serves it. */
export interface CorrelationPair {
  technical: CorrelatedSeries;
  community: CorrelatedSeries;
  pearson: number;
  spearman: number;
  /** Lag with the strongest |Pearson|; positive means the community series follows the technical one. */
  bestLagMs: number;
  /** Two-sided p-value (autocorrelation-adjusted, Bonferroni over lags). */
  pValue: number;
  confidence: number;
  /** 95 % interval of Pearson at the best lag. */
  interval: { lower: number; upper: number };
  n: number;
  effectiveN: number;
  /** Whether changes (first differences) rather than levels were compared. */
  differenced: boolean;
  lags: { lagMs: number; pearson: number; spearman: number }[];
}

/** Answer of {@link CorrelationEngine.correlate}. */
export interface CorrelationReport {
  range: { from: number; to: number; step: number };
  maxLagMs: number;
  pairs: CorrelationPair[];
  /** Pairs without enough overlapping data, and failed queries. */
  skipped: { technical?: CorrelatedSeries; community?: CorrelatedSeries; reason: string }[];
}

/** One row of a ranking. */
export interface RankingEntry {
  name: string;
  technical: CorrelatedSeries;
  pearson: number;
  spearman: number;
  bestLagMs: number;
  pValue: number;
  confidence: number;
  n: number;
  /** |pearson| × confidence: the ranking key. */
  strength: number;
}

/** Answer of {@link CorrelationEngine.rank}. */
export interface RankingReport {
  community: CorrelatedSeries;
  range: { from: number; to: number; step: number };
  maxLagMs: number;
  ranking: RankingEntry[];
  skipped: { name: string; reason: string }[];
}

/** A correlation request. Times in ms; unset fields come from the configuration. */
export interface CorrelateQuery {
  technical: string;
  community: string;
  from?: number;
  to?: number;
  step?: number;
  maxLagMs?: number;
  difference?: boolean;
  /** Most pairs computed when the expressions return several series (default 100). */
  maxPairs?: number;
}

/** A ranking request: which technical series move with a community metric's changes. */
export interface RankQuery {
  /** Must return one series; when it returns several, the first is used and the rest reported. */
  community?: string;
  technical?: readonly NamedExpr[];
  from?: number;
  to?: number;
  step?: number;
  maxLagMs?: number;
}

/** Options of a {@link CorrelationEngine}. */
export interface CorrelationEngineOptions {
  source: AnalysisSource;
  config?: CorrelationConfig;
  now?: () => number;
}

function ref(expr: string, s: MatrixSeries, name?: string): CorrelatedSeries {
  const labels = labelsToRecord(s.labels);
  delete labels[METRIC_NAME];
  return name === undefined ? { expr, labels } : { expr, name, labels };
}

/**
 * The correlation engine: aligns a technical and a community series on one grid and reports their
 * lagged Pearson and Spearman correlation with a confidence (see {@link lagCorrelation}), and ranks
 * technical series by how strongly their changes go with a community metric's. It answers on demand;
 * `applyConfig` replaces defaults.
 * @example
 * const ce = new CorrelationEngine({ source });
 * const r = await ce.correlate({ technical: "max(relay:p95_latency)", community: 'relay_community_engagement_ratio{channel="coffee"}' });
 */
export class CorrelationEngine {
  private config: CorrelationConfig;

  constructor(private readonly opts: CorrelationEngineOptions) {
    this.config = opts.config ?? correlationConfigSchema.parse({});
  }

  /** Replaces the defaults (window, step, lag range, ranking candidates). */
  applyConfig(config: CorrelationConfig): void {
    this.config = config;
  }

  private range(q: { from?: number; to?: number; step?: number }): {
    from: number;
    to: number;
    step: number;
  } {
    const step = q.step ?? this.config.step;
    if (!(step > 0)) throw new RangeError(`correlation step must be positive, got ${step}`);
    const to = Math.floor((q.to ?? (this.opts.now ?? Date.now)()) / step) * step;
    const from = Math.ceil((q.from ?? to - this.config.window) / step) * step;
    if (!(to > from))
      throw new RangeError(`correlation range must have to > from, got from=${q.from} to=${q.to}`);
    return { from, to, step };
  }

  /** Correlates every series of `technical` with every series of `community` (up to `maxPairs`). */
  async correlate(q: CorrelateQuery): Promise<CorrelationReport> {
    const { from, to, step } = this.range(q);
    const maxLagMs = q.maxLagMs ?? this.config.max_lag;
    const maxLag = Math.floor(maxLagMs / step);
    const difference = q.difference ?? this.config.difference;
    const [tech, comm] = await Promise.all([
      this.opts.source.range(q.technical, from, to, step),
      this.opts.source.range(q.community, from, to, step),
    ]);
    const grid = { start: from, end: to, step };
    const pairs: CorrelationPair[] = [];
    const skipped: CorrelationReport["skipped"] = [];
    const maxPairs = q.maxPairs ?? 100;
    const commGrids = comm.map((c) => toGrid(c.t, c.v, grid, 3));
    for (const t of tech) {
      const x = toGrid(t.t, t.v, grid, 3);
      for (const [j, c] of comm.entries()) {
        const technical = ref(q.technical, t);
        const community = ref(q.community, c);
        if (pairs.length >= maxPairs) {
          skipped.push({ technical, community, reason: `more than ${maxPairs} pairs` });
          continue;
        }
        const r = lagCorrelation(x, commGrids[j]!, { maxLag, difference });
        if (r === null) {
          skipped.push({ technical, community, reason: "not enough overlapping, varying data" });
          continue;
        }
        pairs.push({
          technical,
          community,
          pearson: r.pearson,
          spearman: r.spearman,
          bestLagMs: r.lag * step,
          pValue: r.pValue,
          confidence: r.confidence,
          interval: r.interval,
          n: r.n,
          effectiveN: r.effectiveN,
          differenced: r.differenced,
          lags: r.lags.map((l) => ({ lagMs: l.lag * step, pearson: l.pearson, spearman: l.spearman })),
        });
      }
    }
    if (tech.length === 0)
      skipped.push({ reason: `technical expression returned no series: ${q.technical}` });
    if (comm.length === 0)
      skipped.push({ reason: `community expression returned no series: ${q.community}` });
    pairs.sort((a, b) => Math.abs(b.pearson) * b.confidence - Math.abs(a.pearson) * a.confidence);
    return { range: { from, to, step }, maxLagMs: maxLag * step, pairs, skipped };
  }

  /**
   * Ranks technical series (the configured candidates by default; each expression's series are
   * ranked separately) by |Pearson| × confidence of their best lag against the community series.
   */
  async rank(q: RankQuery = {}): Promise<RankingReport> {
    const { from, to, step } = this.range(q);
    const communityExpr = q.community ?? this.config.community;
    const maxLag = Math.floor((q.maxLagMs ?? this.config.max_lag) / step);
    const grid = { start: from, end: to, step };
    const comm = await this.opts.source.range(communityExpr, from, to, step);
    const skipped: RankingReport["skipped"] = [];
    if (comm.length === 0) throw new RangeError(`community expression returned no series: ${communityExpr}`);
    if (comm.length > 1)
      skipped.push({
        name: communityExpr,
        reason: `returned ${comm.length} series; ranked against the first`,
      });
    const y = toGrid(comm[0]!.t, comm[0]!.v, grid, 3);
    const ranking: RankingEntry[] = [];
    const candidates = q.technical ?? this.config.technical;
    const results = await Promise.allSettled(
      candidates.map((c) => this.opts.source.range(c.expr, from, to, step)),
    );
    for (const [i, cand] of candidates.entries()) {
      const res = results[i]!;
      if (res.status === "rejected") {
        skipped.push({
          name: cand.name,
          reason: res.reason instanceof Error ? res.reason.message : String(res.reason),
        });
        continue;
      }
      if (res.value.length === 0) skipped.push({ name: cand.name, reason: "no data" });
      for (const s of res.value) {
        const r = lagCorrelation(toGrid(s.t, s.v, grid, 3), y, {
          maxLag,
          difference: this.config.difference,
        });
        if (r === null) {
          skipped.push({ name: cand.name, reason: "not enough overlapping, varying data" });
          continue;
        }
        ranking.push({
          name: cand.name,
          technical: ref(cand.expr, s, cand.name),
          pearson: r.pearson,
          spearman: r.spearman,
          bestLagMs: r.lag * step,
          pValue: r.pValue,
          confidence: r.confidence,
          n: r.n,
          strength: Math.abs(r.pearson) * r.confidence,
        });
      }
    }
    ranking.sort((a, b) => b.strength - a.strength);
    return {
      community: ref(communityExpr, comm[0]!),
      range: { from, to, step },
      maxLagMs: maxLag * step,
      ranking,
      skipped,
    };
  }
}
