/**
 * Forecasting: a least-squares linear trend and additive Holt–Winters with one or two seasonal
 * periods, with prediction intervals, and model choice by backtest on a held-out tail.
 *
 * Holt–Winters here is the error-correction form of additive triple exponential smoothing, with a
 * second seasonal component for two periods (Taylor's double-seasonal method, e.g. daily and weekly):
 *
 *   ŷ(t) = ℓ + b + s₁[t mod m₁] + s₂[t mod m₂],   e = y(t) − ŷ(t)
 *   ℓ ← ℓ + b + α·e,   b ← b + α·β·e,   s₁ ← s₁ + γ·(1 − α)·e,   s₂ ← s₂ + δ·(1 − α)·e
 *
 * Missing observations (NaN) count as e = 0: the state just advances. The smoothing parameters
 * minimise the one-step squared error after the first season: a grid search followed by
 * Nelder–Mead on logit-transformed parameters. The h-step prediction variance is
 * σ²·(1 + Σ_{j<h} c_j²) with c_j = α(1 + βj) + γ(1 − α)[m₁ | j] + δ(1 − α)[m₂ | j] (Hyndman et al.,
 * "Forecasting with Exponential Smoothing", class 1 models), σ² being the one-step residual variance.
 */

import { linearRegression, normalQuantile, predictLinear } from "./stats.js";

/** A forecast over `horizon` future points with a prediction interval. */
export interface Forecast {
  readonly points: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

/** Fitted Holt–Winters state and parameters. */
export interface HoltWintersFit {
  /** Seasonal periods in points (0, 1 or 2 of them). */
  readonly periods: readonly number[];
  readonly alpha: number;
  readonly beta: number;
  /** One smoothing parameter per seasonal period (γ, δ). */
  readonly gammas: readonly number[];
  /** Level and trend after the last observation. */
  readonly level: number;
  readonly trend: number;
  /** Seasonal components indexed by absolute point index mod period. */
  readonly seasonals: readonly Float64Array[];
  /** Number of observations fitted. */
  readonly n: number;
  /** One-step residual standard deviation. */
  readonly sigma: number;
}

interface HWState {
  level: number;
  trend: number;
  seasonals: Float64Array[];
}

function cycleMean(y: Float64Array, from: number, len: number): number {
  let s = 0;
  let c = 0;
  for (let i = from; i < from + len && i < y.length; i++) {
    if (Number.isFinite(y[i]!)) {
      s += y[i]!;
      c++;
    }
  }
  return c === 0 ? Number.NaN : s / c;
}

/** Initial level, trend and seasonal components from the first cycles of `y`. */
function initialState(y: Float64Array, periods: readonly number[]): HWState {
  const m1 = periods.length > 0 ? periods[0]! : Math.min(y.length, 12);
  const mLong = periods.length > 0 ? periods[periods.length - 1]! : m1;
  const cycles = Math.floor(y.length / mLong);
  let trend = 0;
  if (cycles >= 2) {
    const idx = new Float64Array(cycles);
    const means = new Float64Array(cycles);
    for (let c = 0; c < cycles; c++) {
      idx[c] = c * mLong;
      means[c] = cycleMean(y, c * mLong, mLong);
    }
    trend = linearRegression(idx, means).slope;
  }
  const level = cycleMean(y, 0, mLong) - trend * ((mLong - 1) / 2 + 1);
  const seasonals: Float64Array[] = [];
  if (periods.length > 0) {
    const cycles = Math.max(
      1,
      Math.min(Math.floor(y.length / m1), periods.length > 1 ? periods[1]! / m1 : 4),
    );
    const s1 = new Float64Array(m1);
    const cnt = new Float64Array(m1);
    for (let c = 0; c < cycles; c++) {
      const mu = cycleMean(y, c * m1, m1);
      for (let j = 0; j < m1; j++) {
        const v = y[c * m1 + j];
        if (v !== undefined && Number.isFinite(v) && Number.isFinite(mu)) {
          s1[j] = s1[j]! + (v - mu);
          cnt[j] = cnt[j]! + 1;
        }
      }
    }
    for (let j = 0; j < m1; j++) s1[j] = cnt[j]! > 0 ? s1[j]! / cnt[j]! : 0;
    seasonals.push(s1);
  }
  if (periods.length > 1) {
    const m2 = periods[1]!;
    const s2 = new Float64Array(m2);
    const cnt = new Float64Array(m2);
    const cycles = Math.max(1, Math.floor(y.length / m2));
    for (let c = 0; c < cycles; c++) {
      for (let j = 0; j < m2; j++) {
        const i = c * m2 + j;
        const mu = cycleMean(y, c * m2, m2);
        const v = y[i];
        if (v !== undefined && Number.isFinite(v) && Number.isFinite(mu)) {
          s2[j] = s2[j]! + (v - mu - seasonals[0]![j % m1]!);
          cnt[j] = cnt[j]! + 1;
        }
      }
    }
    for (let j = 0; j < m2; j++) s2[j] = cnt[j]! > 0 ? s2[j]! / cnt[j]! : 0;
    const slotMean = new Float64Array(m1);
    for (let j = 0; j < m2; j++) slotMean[j % m1] = slotMean[j % m1]! + (s2[j]! * m1) / m2;
    for (let j = 0; j < m2; j++) s2[j] = s2[j]! - slotMean[j % m1]!;
    seasonals.push(s2);
  }
  return { level, trend, seasonals };
}

/** Runs the recursion; returns the one-step SSE after the warm-up and its count. */
function run(
  y: Float64Array,
  periods: readonly number[],
  alpha: number,
  beta: number,
  gammas: readonly number[],
  state: HWState,
): { sse: number; count: number } {
  const warm = periods.length > 0 ? periods[0]! : 2;
  let { level, trend } = state;
  const s = state.seasonals;
  let sse = 0;
  let count = 0;
  const ab = alpha * beta;
  for (let t = 0; t < y.length; t++) {
    let seas = 0;
    for (let k = 0; k < s.length; k++) seas += s[k]![t % periods[k]!]!;
    const yhat = level + trend + seas;
    const obs = y[t]!;
    const e = Number.isFinite(obs) ? obs - yhat : 0;
    if (t >= warm && Number.isFinite(obs)) {
      sse += e * e;
      count++;
    }
    level = level + trend + alpha * e;
    trend = trend + ab * e;
    for (let k = 0; k < s.length; k++) {
      const arr = s[k]!;
      const j = t % periods[k]!;
      arr[j] = arr[j]! + gammas[k]! * (1 - alpha) * e;
    }
  }
  state.level = level;
  state.trend = trend;
  return { sse, count };
}

function cloneState(s: HWState): HWState {
  return { level: s.level, trend: s.trend, seasonals: s.seasonals.map((a) => a.slice()) };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(Math.max(1e-6, p) / Math.max(1e-6, 1 - p));

/** Minimises `f` from `x0` by Nelder–Mead (standard coefficients) for at most `maxIter` steps. */
export function nelderMead(
  f: (x: number[]) => number,
  x0: number[],
  maxIter = 200,
  scale = 0.5,
): { x: number[]; fx: number } {
  const d = x0.length;
  const simplex: { x: number[]; fx: number }[] = [{ x: x0.slice(), fx: f(x0) }];
  for (let i = 0; i < d; i++) {
    const x = x0.slice();
    x[i] = x[i]! + scale;
    simplex.push({ x, fx: f(x) });
  }
  const combine = (a: number[], b: number[], t: number) => a.map((v, i) => v + t * (b[i]! - v));
  for (let it = 0; it < maxIter; it++) {
    simplex.sort((a, b) => a.fx - b.fx);
    const best = simplex[0]!;
    const worst = simplex[d]!;
    if (Math.abs(worst.fx - best.fx) <= 1e-10 * (Math.abs(best.fx) + 1e-12)) break;
    const centroid = new Array<number>(d).fill(0);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) centroid[j] = centroid[j]! + simplex[i]!.x[j]! / d;
    const xr = combine(centroid, worst.x, -1);
    const fr = f(xr);
    if (fr < best.fx) {
      const xe = combine(centroid, worst.x, -2);
      const fe = f(xe);
      simplex[d] = fe < fr ? { x: xe, fx: fe } : { x: xr, fx: fr };
    } else if (fr < simplex[d - 1]!.fx) {
      simplex[d] = { x: xr, fx: fr };
    } else {
      const xc = combine(centroid, worst.x, 0.5);
      const fc = f(xc);
      if (fc < worst.fx) simplex[d] = { x: xc, fx: fc };
      else {
        for (let i = 1; i <= d; i++) {
          const x = combine(best.x, simplex[i]!.x, 0.5);
          simplex[i] = { x, fx: f(x) };
        }
      }
    }
  }
  simplex.sort((a, b) => a.fx - b.fx);
  return simplex[0]!;
}

const GRID_ALPHA = [0.02, 0.1, 0.25, 0.5, 0.8];
const GRID_BETA = [0, 0.02, 0.1];
const GRID_GAMMA = [0.02, 0.1, 0.3, 0.6];

/**
 * Fits additive Holt–Winters to `y` with the given seasonal periods (points; none, one, or two
 * with the longer a multiple of the shorter). Needs at least two cycles of the longest period
 * (or 4 points without seasonality); throws a RangeError otherwise.
 */
export function fitHoltWinters(y: Float64Array, periods: readonly number[]): HoltWintersFit {
  if (periods.length > 2) throw new RangeError("Holt-Winters takes at most two seasonal periods");
  if (periods.length === 2 && periods[1]! % periods[0]! !== 0) {
    throw new RangeError(`seasonal period ${periods[1]} is not a multiple of ${periods[0]}`);
  }
  const longest = periods.length > 0 ? periods[periods.length - 1]! : 2;
  if (y.length < 2 * longest) {
    throw new RangeError(`Holt-Winters with period ${longest} needs ${2 * longest} points, got ${y.length}`);
  }
  const init = initialState(y, periods);
  const k = periods.length;
  const cost = (a: number, b: number, g: readonly number[]) => {
    const r = run(y, periods, a, b, g, cloneState(init));
    return r.count > 0 ? r.sse / r.count : 0;
  };
  let best = { a: 0.1, b: 0, g: new Array<number>(k).fill(0.1), fx: Number.POSITIVE_INFINITY };
  const gammaGrid =
    k === 0
      ? [[]]
      : k === 1
        ? GRID_GAMMA.map((g) => [g])
        : GRID_GAMMA.flatMap((g) => GRID_GAMMA.map((h) => [g, h]));
  for (const a of GRID_ALPHA) {
    for (const b of GRID_BETA) {
      for (const g of gammaGrid) {
        const fx = cost(a, b, g);
        if (fx < best.fx) best = { a, b, g, fx };
      }
    }
  }
  const x0 = [logit(best.a), logit(Math.max(best.b, 1e-3)), ...best.g.map(logit)];
  const refined = nelderMead(
    (x) => cost(sigmoid(x[0]!), sigmoid(x[1]!), x.slice(2).map(sigmoid)),
    x0,
    40 * (2 + k),
    1,
  );
  let alpha = best.a;
  let beta = best.b;
  let gammas = best.g;
  if (refined.fx < best.fx) {
    alpha = sigmoid(refined.x[0]!);
    beta = sigmoid(refined.x[1]!);
    gammas = refined.x.slice(2).map(sigmoid);
  }
  const state = cloneState(init);
  const r = run(y, periods, alpha, beta, gammas, state);
  const sigma = r.count > 1 ? Math.sqrt(r.sse / (r.count - 1)) : 0;
  return {
    periods: periods.slice(),
    alpha,
    beta,
    gammas,
    level: state.level,
    trend: state.trend,
    seasonals: state.seasonals,
    n: y.length,
    sigma,
  };
}

/** Forecasts `horizon` points after a fitted Holt–Winters model, with a `level` prediction interval. */
export function holtWintersForecast(fit: HoltWintersFit, horizon: number, level = 0.95): Forecast {
  const points = new Float64Array(horizon);
  const lower = new Float64Array(horizon);
  const upper = new Float64Array(horizon);
  const z = normalQuantile(0.5 + level / 2);
  let cumC2 = 0;
  for (let h = 1; h <= horizon; h++) {
    const t = fit.n + h - 1;
    let seas = 0;
    for (let k = 0; k < fit.periods.length; k++) seas += fit.seasonals[k]![t % fit.periods[k]!]!;
    const p = fit.level + h * fit.trend + seas;
    if (h > 1) {
      const j = h - 1;
      let c = fit.alpha * (1 + fit.beta * j);
      for (let k = 0; k < fit.periods.length; k++)
        if (j % fit.periods[k]! === 0) c += fit.gammas[k]! * (1 - fit.alpha);
      cumC2 += c * c;
    }
    const half = z * fit.sigma * Math.sqrt(1 + cumC2);
    points[h - 1] = p;
    lower[h - 1] = p - half;
    upper[h - 1] = p + half;
  }
  return { points, lower, upper };
}

/** Fits a least-squares line over the point index and extrapolates `horizon` points with prediction intervals. */
export function linearForecast(y: Float64Array, horizon: number, level = 0.95): Forecast {
  const x = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) x[i] = i;
  const fit = linearRegression(x, y);
  const points = new Float64Array(horizon);
  const lower = new Float64Array(horizon);
  const upper = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    const p = predictLinear(fit, y.length + h, level);
    points[h] = p.value;
    lower[h] = p.lower;
    upper[h] = p.upper;
  }
  return { points, lower, upper };
}

/** Mean absolute percentage error (%) over the finite, non-zero actual values; NaN when none. */
export function mape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const p = predicted[i]!;
    if (Number.isFinite(a) && a !== 0 && Number.isFinite(p)) {
      s += Math.abs((a - p) / a);
      c++;
    }
  }
  return c === 0 ? Number.NaN : (100 * s) / c;
}

/** Symmetric MAPE (%, 0–200) over the finite pairs; a pair of zeros counts as 0. */
export function smape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const p = predicted[i]!;
    if (Number.isFinite(a) && Number.isFinite(p)) {
      const d = Math.abs(a) + Math.abs(p);
      s += d === 0 ? 0 : (2 * Math.abs(a - p)) / d;
      c++;
    }
  }
  return c === 0 ? Number.NaN : (100 * s) / c;
}

/** Which model a forecast used. */
export type ForecastModel = "holt-winters" | "linear";

/** One candidate's backtest score. */
export interface CandidateScore {
  readonly model: ForecastModel;
  /** Seasonal periods (points) of a Holt–Winters candidate; empty for linear. */
  readonly periods: readonly number[];
  readonly mape: number;
  readonly smape: number;
}

/** Backtest accuracy of the chosen model: errors on the `heldOut` last points, fitted without them. */
export interface ForecastAccuracy {
  readonly mape: number;
  readonly smape: number;
  readonly heldOut: number;
}

/** A forecast with the model that made it and its measured accuracy. */
export interface ForecastResult extends Forecast {
  readonly model: ForecastModel;
  readonly periods: readonly number[];
  /** Index in the input of the point the forecast's first value stands for (after trailing gaps are dropped). */
  readonly startIndex: number;
  readonly accuracy: ForecastAccuracy;
  /** Every candidate tried, with its backtest error. */
  readonly candidates: readonly CandidateScore[];
}

/** Options of {@link forecastSeries}. */
export interface ForecastOptions {
  /** Points to forecast. */
  horizon: number;
  /**
   * Candidate seasonal periods in points, shortest first (e.g. [daily, weekly]). A Holt–Winters
   * candidate is tried with the first period when the training part holds two cycles of it, and
   * with both when it holds two cycles of the second.
   */
  periods?: readonly number[];
  /** Points held out for the backtest (default: the horizon, capped at a quarter of the data, and at least one short period when seasonal). */
  heldOut?: number;
  /** Prediction-interval level (default 0.95). */
  level?: number;
}

function candidatePeriods(trainLen: number, periods: readonly number[]): number[][] {
  const out: number[][] = [];
  const p = periods.filter((x) => Number.isInteger(x) && x >= 2);
  if (p.length > 0 && trainLen >= 2 * p[0]!) out.push([p[0]!]);
  if (p.length > 1 && p[1]! % p[0]! === 0 && trainLen >= 2 * p[1]!) out.push([p[0]!, p[1]!]);
  return out;
}

function fitAndForecast(
  y: Float64Array,
  model: ForecastModel,
  periods: readonly number[],
  horizon: number,
  level: number,
): Forecast {
  return model === "linear"
    ? linearForecast(y, horizon, level)
    : holtWintersForecast(fitHoltWinters(y, periods), horizon, level);
}

/**
 * Chooses between a linear trend and Holt–Winters (with the seasonal periods the history allows)
 * by backtest — each candidate is fitted without the last `heldOut` points and scored by MAPE on
 * them (sMAPE when MAPE is undefined) — then refits the winner on all of `y` and forecasts
 * `horizon` points. Leading and trailing missing values are ignored. Throws a RangeError for
 * fewer than 4 finite values.
 * @example forecastSeries(history, { horizon: 24, periods: [24, 168] }).model // "holt-winters"
 */
export function forecastSeries(y: Float64Array, opts: ForecastOptions): ForecastResult {
  let a = 0;
  let b = y.length;
  while (a < b && !Number.isFinite(y[a]!)) a++;
  while (b > a && !Number.isFinite(y[b - 1]!)) b--;
  const ys = y.subarray(a, b);
  if (ys.length < 4) throw new RangeError(`forecasting needs at least 4 points, got ${ys.length}`);
  const level = opts.level ?? 0.95;
  const periods = opts.periods ?? [];
  const minSeason = periods.length > 0 ? periods[0]! : 1;
  let held = opts.heldOut ?? Math.min(Math.max(opts.horizon, minSeason), Math.floor(ys.length / 4));
  held = Math.max(1, Math.min(held, ys.length - 3));
  const train = ys.subarray(0, ys.length - held);
  const actual = ys.subarray(ys.length - held);
  const cands: { model: ForecastModel; periods: number[] }[] = [{ model: "linear", periods: [] }];
  for (const p of candidatePeriods(train.length, periods)) cands.push({ model: "holt-winters", periods: p });
  const scores: CandidateScore[] = cands.map((c) => {
    const f = fitAndForecast(train, c.model, c.periods, held, level);
    return {
      model: c.model,
      periods: c.periods,
      mape: mape(actual, f.points),
      smape: smape(actual, f.points),
    };
  });
  const useMape = scores.every((s) => Number.isFinite(s.mape));
  const err = (s: CandidateScore) => {
    const e = useMape ? s.mape : s.smape;
    return Number.isFinite(e) ? e : Number.POSITIVE_INFINITY;
  };
  let best = scores[0]!;
  for (const s of scores) if (err(s) < err(best)) best = s;
  const f = fitAndForecast(ys, best.model, best.periods, opts.horizon, level);
  return {
    ...f,
    model: best.model,
    periods: best.periods,
    startIndex: b,
    accuracy: { mape: best.mape, smape: best.smape, heldOut: held },
    candidates: scores,
  };
}
