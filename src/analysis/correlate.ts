/**
 * Lagged correlation between two aligned series (same grid), with a confidence that accounts for
 * autocorrelation and for searching over lags.
 *
 * Method: by default both series are first-differenced, which removes shared trends (two growing
 * series are not "correlated" merely for growing) and most autocorrelation. For each lag in
 * [−maxLag, maxLag] the pairs (x[i], y[i + lag]) are correlated (Pearson and Spearman); the best lag
 * maximises |Pearson|. Its p-value uses the t distribution with an effective sample size
 * n·(1 − ρₓρᵧ)/(1 + ρₓρᵧ) (ρ the lag-1 autocorrelations of the compared series, Bartlett's
 * approximation), then a Bonferroni correction for the number of lags tried.
 */

import { lagPairs } from "./grid.js";
import {
  correlationInterval,
  correlationPValue,
  difference,
  lag1Autocorrelation,
  pearson,
  spearman,
} from "./stats.js";

/** Options of {@link lagCorrelation}. */
export interface LagCorrelationOptions {
  /** Largest lag in points, both directions (default 0). */
  maxLag?: number;
  /** Correlate first differences rather than levels (default true). */
  difference?: boolean;
  /** Fewest finite pairs a lag needs to be considered (default 10). */
  minPairs?: number;
}

/** The correlation at one lag. */
export interface LagPoint {
  /** In points; positive means y follows x. */
  readonly lag: number;
  readonly pearson: number;
  readonly spearman: number;
  readonly n: number;
}

/** The best lag's correlation and how much to trust it. */
export interface LagCorrelation {
  readonly lag: number;
  readonly pearson: number;
  readonly spearman: number;
  /** Finite pairs at the best lag. */
  readonly n: number;
  /** Sample size after the autocorrelation adjustment. */
  readonly effectiveN: number;
  /** Two-sided p-value, Bonferroni-corrected for the lags tried. */
  readonly pValue: number;
  /** 1 − pValue. */
  readonly confidence: number;
  /** 95 % confidence interval of the Pearson coefficient (Fisher z, effective n). */
  readonly interval: { readonly lower: number; readonly upper: number };
  /** Whether first differences were compared. */
  readonly differenced: boolean;
  /** Every lag tried. */
  readonly lags: readonly LagPoint[];
}

function finitePairs(a: Float64Array, b: Float64Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!) && Number.isFinite(b[i]!)) c++;
  return c;
}

/**
 * Correlates `y` against `x` at every lag in ±maxLag points and reports the strongest. Returns null
 * when no lag has `minPairs` finite pairs or either side is constant.
 * @example lagCorrelation(latency, engagement, { maxLag: 12 })?.lag // 3 → engagement follows latency by 3 steps
 */
export function lagCorrelation(
  x: Float64Array,
  y: Float64Array,
  opts: LagCorrelationOptions = {},
): LagCorrelation | null {
  const diff = opts.difference ?? true;
  const maxLag = Math.max(0, Math.floor(opts.maxLag ?? 0));
  const minPairs = Math.max(4, opts.minPairs ?? 10);
  const xs = diff ? difference(x) : x;
  const ys = diff ? difference(y) : y;
  const lags: LagPoint[] = [];
  let best: LagPoint | null = null;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const [a, b] = lagPairs(xs, ys, lag);
    const n = finitePairs(a, b);
    if (n < minPairs) continue;
    const p = pearson(a, b);
    if (!Number.isFinite(p)) continue;
    const point = { lag, pearson: p, spearman: spearman(a, b), n };
    lags.push(point);
    if (best === null || Math.abs(p) > Math.abs(best.pearson)) best = point;
  }
  if (best === null) return null;
  const [a, b] = lagPairs(xs, ys, best.lag);
  const rx = lag1Autocorrelation(a);
  const ry = lag1Autocorrelation(b);
  const rho = Number.isFinite(rx) && Number.isFinite(ry) ? Math.max(-0.99, Math.min(0.99, rx * ry)) : 0;
  const effectiveN = Math.max(3, Math.min(best.n, (best.n * (1 - rho)) / (1 + rho)));
  const p = correlationPValue(best.pearson, effectiveN);
  const pValue = Math.min(1, p * lags.length);
  return {
    lag: best.lag,
    pearson: best.pearson,
    spearman: best.spearman,
    n: best.n,
    effectiveN,
    pValue,
    confidence: 1 - pValue,
    interval: correlationInterval(best.pearson, effectiveN),
    differenced: diff,
    lags,
  };
}
