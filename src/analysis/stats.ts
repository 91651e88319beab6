/**
 * Numeric building blocks over Float64Arrays: order statistics, least-squares regression with
 * prediction intervals, Student's t and normal distributions, and rank correlation. NaN marks a
 * missing value everywhere; functions skip it unless they say otherwise.
 */

/** The arithmetic mean of the finite values of `x` (NaN when there is none). */
export function mean(x: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isFinite(v)) {
      s += v;
      n++;
    }
  }
  return n === 0 ? Number.NaN : s / n;
}

/** The finite values of `x`, sorted ascending, in a new array. */
export function sortedFinite(x: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) n++;
  const out = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) out[j++] = x[i]!;
  return out.sort();
}

/**
 * The `q`-quantile (0 ≤ q ≤ 1) of already sorted values, interpolating linearly between closest
 * ranks (Hyndman–Fan type 7, as numpy's default). NaN for an empty input.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The `q`-quantile of the finite values of `x` (see {@link quantileSorted}). */
export function quantile(x: ArrayLike<number>, q: number): number {
  return quantileSorted(sortedFinite(x), q);
}

/** The median of the finite values of `x`. */
export function median(x: ArrayLike<number>): number {
  return quantile(x, 0.5);
}

/**
 * The median absolute deviation from the median (unscaled; multiply by 1.4826 for a consistent
 * estimate of a normal standard deviation).
 */
export function mad(x: ArrayLike<number>, med = median(x)): number {
  const s = sortedFinite(x);
  for (let i = 0; i < s.length; i++) s[i] = Math.abs(s[i]! - med);
  return quantileSorted(s.sort(), 0.5);
}

/** A least-squares line `y = intercept + slope·x` and what prediction intervals need. */
export interface LinearFit {
  readonly slope: number;
  readonly intercept: number;
  /** Number of (x, y) pairs used. */
  readonly n: number;
  /** Mean of the x values used. */
  readonly meanX: number;
  /** Σ(x − meanX)². */
  readonly sxx: number;
  /** Residual standard error √(SSE / (n − 2)) (0 when n ≤ 2). */
  readonly sigma: number;
  /** Coefficient of determination. */
  readonly r2: number;
}

/**
 * Fits a least-squares line to the pairs where both `x` and `y` are finite. Throws a RangeError
 * for fewer than two usable pairs or when all x are equal.
 * @example linearRegression(Float64Array.of(0, 1, 2), Float64Array.of(1, 3, 5)) // slope 2, intercept 1
 */
export function linearRegression(x: ArrayLike<number>, y: ArrayLike<number>): LinearFit {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
      n++;
      sx += x[i]!;
      sy += y[i]!;
    }
  }
  if (n < 2) throw new RangeError(`linear regression needs at least 2 points, got ${n}`);
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
      const dx = x[i]! - mx;
      const dy = y[i]! - my;
      sxx += dx * dx;
      sxy += dx * dy;
      syy += dy * dy;
    }
  }
  if (sxx === 0) throw new RangeError("linear regression needs at least two distinct x values");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const sse = Math.max(0, syy - slope * sxy);
  const sigma = n > 2 ? Math.sqrt(sse / (n - 2)) : 0;
  const r2 = syy === 0 ? 1 : 1 - sse / syy;
  return { slope, intercept, n, meanX: mx, sxx, sigma, r2 };
}

/**
 * The line's prediction at `x` with a two-sided prediction interval for a new observation at
 * `level` (default 0.95): ŷ ± t(n−2) · σ · √(1 + 1/n + (x − x̄)² / Sxx).
 */
export function predictLinear(
  fit: LinearFit,
  x: number,
  level = 0.95,
): { value: number; lower: number; upper: number } {
  const value = fit.intercept + fit.slope * x;
  if (fit.n <= 2 || fit.sigma === 0) return { value, lower: value, upper: value };
  const dx = x - fit.meanX;
  const se = fit.sigma * Math.sqrt(1 + 1 / fit.n + (dx * dx) / fit.sxx);
  const half = tQuantile(0.5 + level / 2, fit.n - 2) * se;
  return { value, lower: value - half, upper: value + half };
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos approximation, g = 7; about 15 significant digits). */
export function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
  const x = z - 1;
  let a = LANCZOS[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of the incomplete beta function, evaluated by the modified Lentz method. */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b) for 0 ≤ x ≤ 1. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** The cumulative distribution function of Student's t with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  if (Number.isNaN(t)) return Number.NaN;
  if (!Number.isFinite(df)) return normalCdf(t);
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The `p`-quantile of Student's t with `df` degrees of freedom (by bisection on {@link tCdf}). */
export function tQuantile(p: number, df: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  if (p === 0.5) return 0;
  let lo = -1;
  let hi = 1;
  while (tCdf(lo, df) > p) lo *= 2;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The standard normal cumulative distribution function, Φ(z) = ½·erfc(−z/√2). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The complementary error function (Chebyshev fit with relative error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The `p`-quantile of the standard normal distribution (by bisection on {@link normalCdf}). */
export function normalQuantile(p: number): number {
  return tQuantile(p, Number.POSITIVE_INFINITY);
}

/**
 * Pearson's correlation of the pairs where both values are finite. NaN when fewer than three
 * pairs remain or either side is constant.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(x.length, y.length);
  let c = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
      c++;
      sx += x[i]!;
      sy += y[i]!;
    }
  }
  if (c < 3) return Number.NaN;
  const mx = sx / c;
  const my = sy / c;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) {
      const dx = x[i]! - mx;
      const dy = y[i]! - my;
      sxx += dx * dx;
      syy += dy * dy;
      sxy += dx * dy;
    }
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Ranks (1-based, ties get the average rank) of the finite values; NaN stays NaN.
 * @example ranks(Float64Array.of(10, 30, 20, 20)) // [1, 4, 2.5, 2.5]
 */
export function ranks(x: ArrayLike<number>): Float64Array {
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) idx.push(i);
  idx.sort((a, b) => x[a]! - x[b]!);
  const out = new Float64Array(x.length).fill(Number.NaN);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]!]! === x[idx[i]!]!) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k]!] = r;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation of the pairs where both values are finite. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(x.length, y.length);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ok = Number.isFinite(x[i]!) && Number.isFinite(y[i]!);
    xs[i] = ok ? x[i]! : Number.NaN;
    ys[i] = ok ? y[i]! : Number.NaN;
  }
  return pearson(ranks(xs), ranks(ys));
}

/**
 * The two-sided p-value of a correlation `r` over `n` pairs under the null hypothesis of no
 * correlation: t = r·√((n − 2)/(1 − r²)) with n − 2 degrees of freedom. `n` may be fractional
 * (an effective sample size).
 */
export function correlationPValue(r: number, n: number): number {
  if (!Number.isFinite(r) || n <= 2) return Number.NaN;
  if (Math.abs(r) >= 1) return 0;
  const t = r * Math.sqrt((n - 2) / (1 - r * r));
  return Math.min(1, 2 * (1 - tCdf(Math.abs(t), n - 2)));
}

/** A `level` confidence interval for a correlation by Fisher's z transform (n > 3). */
export function correlationInterval(r: number, n: number, level = 0.95): { lower: number; upper: number } {
  if (!Number.isFinite(r) || n <= 3) return { lower: -1, upper: 1 };
  const z = Math.atanh(Math.max(-0.999999999, Math.min(0.999999999, r)));
  const half = normalQuantile(0.5 + level / 2) / Math.sqrt(n - 3);
  return { lower: Math.tanh(z - half), upper: Math.tanh(z + half) };
}

/** The lag-1 autocorrelation of the finite consecutive pairs of `x`. */
export function lag1Autocorrelation(x: ArrayLike<number>): number {
  if (x.length < 3) return Number.NaN;
  const a = new Float64Array(x.length - 1);
  const b = new Float64Array(x.length - 1);
  for (let i = 0; i + 1 < x.length; i++) {
    a[i] = x[i]!;
    b[i] = x[i + 1]!;
  }
  return pearson(a, b);
}

/** First differences x[i] − x[i−1] (NaN where either is missing), one shorter than `x`. */
export function difference(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.max(0, x.length - 1));
  for (let i = 1; i < x.length; i++) out[i - 1] = x[i]! - x[i - 1]!;
  return out;
}
