/**
 * The numeric kernels of PromQL's functions. Range functions work on one series' samples inside a
 * window `[lo, hi)` of typed arrays, so the engine can slide windows over data it loaded once.
 */
import { quantile, quantileOf } from "./quantile.js";

/** What a range function knows about its window besides the samples. */
export interface RangeWindow {
  /** Evaluation time of the step (ms). */
  ts: number;
  /** Window bounds (ms): samples are in (rangeStart, rangeEnd]. */
  rangeStart: number;
  rangeEnd: number;
  /** Scalar arguments given before/after the range argument (e.g. the φ of quantile_over_time). */
  args: readonly number[];
}

/**
 * A range function: samples `t`/`v` at indices `[lo, hi)` (at least one), returns the result or
 * undefined when the step has no output.
 */
export type RangeFunction = (
  t: Float64Array,
  v: Float64Array,
  lo: number,
  hi: number,
  w: RangeWindow,
) => number | undefined;

/** Neumaier-compensated addition: returns the new sum; the compensation goes to `c[0]`. */
function kahanInc(inc: number, sum: number, c: Float64Array): number {
  const t = sum + inc;
  if (!Number.isFinite(t)) {
    c[0] = 0;
    return t;
  }
  if (Math.abs(sum) >= Math.abs(inc)) c[0]! += sum - t + inc;
  else c[0]! += inc - t + sum;
  return t;
}

const comp = new Float64Array(1);
const comp2 = new Float64Array(1);
const comp3 = new Float64Array(1);
const comp4 = new Float64Array(1);

/**
 * rate/increase/delta with Prometheus's extrapolation (extrapolatedRate). `scanResets` false
 * skips looking for counter resets in the window (the caller knows there are none).
 */
export function extrapolatedRate(
  t: Float64Array,
  v: Float64Array,
  lo: number,
  hi: number,
  w: RangeWindow,
  isCounter: boolean,
  isRate: boolean,
  scanResets = isCounter,
): number | undefined {
  const n = hi - lo;
  if (n < 2) return undefined;
  const firstT = t[lo]!;
  const lastT = t[hi - 1]!;
  let result = v[hi - 1]! - v[lo]!;
  if (scanResets) {
    let prev = v[lo]!;
    for (let i = lo + 1; i < hi; i++) {
      const cur = v[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (firstT - w.rangeStart) / 1000;
  let durationToEnd = (w.rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const avg = sampledInterval / (n - 1);
  const threshold = avg * 1.1;
  if (durationToStart >= threshold) durationToStart = avg / 2;
  if (isCounter) {
    let durationToZero = durationToStart;
    if (result > 0 && v[lo]! >= 0) durationToZero = sampledInterval * (v[lo]! / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = avg / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= (w.rangeEnd - w.rangeStart) / 1000;
  return result * factor;
}

function instantValue(t: Float64Array, v: Float64Array, lo: number, hi: number, isRate: boolean) {
  if (hi - lo < 2) return undefined;
  const t0 = t[hi - 2]!;
  const t1 = t[hi - 1]!;
  const v0 = v[hi - 2]!;
  const v1 = v[hi - 1]!;
  const interval = t1 - t0;
  if (interval === 0) return undefined;
  let r = v1;
  if (!isRate || !(v1 < v0)) r = v1 - v0;
  if (isRate) r /= interval / 1000;
  return r;
}

/** Least-squares regression of the window against time (seconds relative to `interceptTime`). */
export function linearRegression(
  t: Float64Array,
  v: Float64Array,
  lo: number,
  hi: number,
  interceptTime: number,
): [slope: number, intercept: number] {
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  let sumXY = 0;
  let sumX2 = 0;
  comp[0] = 0;
  comp2[0] = 0;
  comp3[0] = 0;
  comp4[0] = 0;
  const initY = v[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = v[i]!;
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (t[i]! - interceptTime) / 1e3;
    sumX = kahanInc(x, sumX, comp);
    sumY = kahanInc(y, sumY, comp2);
    sumXY = kahanInc(x * y, sumXY, comp3);
    sumX2 = kahanInc(x * x, sumX2, comp4);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [Number.NaN, Number.NaN];
    return [0, initY];
  }
  sumX += comp[0]!;
  sumY += comp2[0]!;
  sumXY += comp3[0]!;
  sumX2 += comp4[0]!;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return [slope, sumY / n - (slope * sumX) / n];
}

function avgOverTime(v: Float64Array, lo: number, hi: number): number {
  let sum = v[lo]!;
  let count = 1;
  let mean = 0;
  let incremental = false;
  comp[0] = 0;
  for (let i = lo + 1; i < hi; i++) {
    count = i - lo + 1;
    const f = v[i]!;
    if (!incremental) {
      const saved = comp[0]!;
      const newSum = kahanInc(f, sum, comp);
      if (Number.isFinite(newSum) || Number.isNaN(newSum)) {
        sum = newSum;
        continue;
      }
      comp[0] = saved;
      incremental = true;
      mean = sum / (count - 1);
      comp[0] = comp[0]! / (count - 1);
    }
    const q = (count - 1) / count;
    comp[0] = q * comp[0]!;
    mean = kahanInc(f / count, q * mean, comp);
  }
  if (incremental) return mean + comp[0]!;
  return sum / count + comp[0]! / count;
}

function varianceOverTime(v: Float64Array, lo: number, hi: number): number {
  let count = 0;
  let mean = 0;
  let aux = 0;
  const cMean = comp;
  const cAux = comp2;
  cMean[0] = 0;
  cAux[0] = 0;
  for (let i = lo; i < hi; i++) {
    const f = v[i]!;
    count++;
    const delta = f - (mean + cMean[0]!);
    mean = kahanInc(delta / count, mean, cMean);
    aux = kahanInc(delta * (f - (mean + cMean[0]!)), aux, cAux);
  }
  return (aux + cAux[0]!) / count;
}

function compareOverTime(v: Float64Array, lo: number, hi: number, greater: boolean): number {
  let best = v[lo]!;
  for (let i = lo; i < hi; i++) {
    const f = v[i]!;
    if ((greater ? f > best : f < best) || Number.isNaN(best)) best = f;
  }
  return best;
}

function tsOfCompare(t: Float64Array, v: Float64Array, lo: number, hi: number, greater: boolean): number {
  let best = v[lo]!;
  let ts = t[lo]!;
  for (let i = lo; i < hi; i++) {
    const f = v[i]!;
    if ((greater ? f >= best : f <= best) || Number.isNaN(best)) {
      best = f;
      ts = t[i]!;
    }
  }
  return ts / 1000;
}

/** Reused window copy for quantile_over_time. */
let scratch = new Float64Array(64);

function sliceValues(v: Float64Array, lo: number, hi: number): Float64Array {
  return v.slice(lo, hi);
}

/** Double exponential smoothing (formerly holt_winters) with smoothing `sf` and trend `tf`. */
function doubleExponentialSmoothing(v: Float64Array, lo: number, hi: number, sf: number, tf: number) {
  const l = hi - lo;
  if (l < 2) return undefined;
  let s0 = 0;
  let s1 = v[lo]!;
  let b = v[lo + 1]! - v[lo]!;
  for (let i = 1; i < l; i++) {
    const x = sf * v[lo + i]!;
    if (i - 1 !== 0) b = tf * (s1 - s0) + (1 - tf) * b;
    const y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

/** True when some sample of `v` is below its predecessor (a counter reset, as rate sees it). */
export function hasCounterReset(v: Float64Array): boolean {
  for (let i = 1; i < v.length; i++) if (v[i]! < v[i - 1]!) return true;
  return false;
}

/** rate and increase for a series known to have no counter reset: no per-window reset scan. */
export const RESET_FREE_RANGE_FUNCTIONS: Readonly<Record<string, RangeFunction>> = {
  rate: (t, v, lo, hi, w) => extrapolatedRate(t, v, lo, hi, w, true, true, false),
  increase: (t, v, lo, hi, w) => extrapolatedRate(t, v, lo, hi, w, true, false, false),
};

/**
 * max_over_time (`greater`) or min_over_time of one series for all `n` steps at once, with a
 * monotonic deque instead of a scan per window: step i's window is (ref - range, ref] with
 * ref = (at ?? start + i * interval) - offset. Same results as the per-window kernels: NaNs count
 * only when the window has nothing else, and among equal values the earliest wins (-0 vs +0).
 * Appends steps with samples to `steps`/`vals`; returns the deque buffer for reuse.
 */
export function slidingExtremum(
  t: Float64Array,
  v: Float64Array,
  n: number,
  start: number,
  interval: number,
  at: number | null,
  offset: number,
  range: number,
  greater: boolean,
  steps: number[],
  vals: number[],
  deque: Int32Array,
): Int32Array {
  const m = t.length;
  const dq = deque.length >= m ? deque : new Int32Array(Math.max(m, deque.length * 2));
  let head = 0;
  let tail = 0;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const ref = (at ?? start + i * interval) - offset;
    while (hi < m && t[hi]! <= ref) {
      const x = v[hi]!;
      if (!Number.isNaN(x)) {
        if (greater) while (tail > head && v[dq[tail - 1]!]! < x) tail--;
        else while (tail > head && v[dq[tail - 1]!]! > x) tail--;
        dq[tail++] = hi;
      }
      hi++;
    }
    const rs = ref - range;
    while (lo < hi && t[lo]! <= rs) lo++;
    while (head < tail && dq[head]! < lo) head++;
    if (hi === lo) continue;
    steps.push(i);
    vals.push(head < tail ? v[dq[head]!]! : v[hi - 1]!);
  }
  return dq;
}

/** Functions taking a range vector, by name. Scalar parameters arrive in `w.args`. */
export const RANGE_FUNCTIONS: Readonly<Record<string, RangeFunction>> = {
  rate: (t, v, lo, hi, w) => extrapolatedRate(t, v, lo, hi, w, true, true),
  increase: (t, v, lo, hi, w) => extrapolatedRate(t, v, lo, hi, w, true, false),
  delta: (t, v, lo, hi, w) => extrapolatedRate(t, v, lo, hi, w, false, false),
  irate: (t, v, lo, hi) => instantValue(t, v, lo, hi, true),
  idelta: (t, v, lo, hi) => instantValue(t, v, lo, hi, false),
  deriv: (t, v, lo, hi) => (hi - lo < 2 ? undefined : linearRegression(t, v, lo, hi, t[lo]!)[0]),
  predict_linear: (t, v, lo, hi, w) => {
    if (hi - lo < 2) return undefined;
    const [slope, intercept] = linearRegression(t, v, lo, hi, w.ts);
    return slope * w.args[0]! + intercept;
  },
  resets: (_t, v, lo, hi) => {
    let n = 0;
    for (let i = lo + 1; i < hi; i++) if (v[i]! < v[i - 1]!) n++;
    return n;
  },
  changes: (_t, v, lo, hi) => {
    let n = 0;
    for (let i = lo + 1; i < hi; i++) {
      const a = v[i - 1]!;
      const b = v[i]!;
      if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) n++;
    }
    return n;
  },
  avg_over_time: (_t, v, lo, hi) => avgOverTime(v, lo, hi),
  sum_over_time: (_t, v, lo, hi) => {
    let sum = 0;
    comp[0] = 0;
    for (let i = lo; i < hi; i++) sum = kahanInc(v[i]!, sum, comp);
    return Number.isFinite(sum) ? sum + comp[0]! : sum;
  },
  count_over_time: (_t, _v, lo, hi) => hi - lo,
  min_over_time: (_t, v, lo, hi) => compareOverTime(v, lo, hi, false),
  max_over_time: (_t, v, lo, hi) => compareOverTime(v, lo, hi, true),
  last_over_time: (_t, v, _lo, hi) => v[hi - 1]!,
  first_over_time: (_t, v, lo) => v[lo]!,
  ts_of_first_over_time: (t, _v, lo) => t[lo]! / 1000,
  ts_of_last_over_time: (t, _v, _lo, hi) => t[hi - 1]! / 1000,
  ts_of_max_over_time: (t, v, lo, hi) => tsOfCompare(t, v, lo, hi, true),
  ts_of_min_over_time: (t, v, lo, hi) => tsOfCompare(t, v, lo, hi, false),
  present_over_time: () => 1,
  absent_over_time: () => 1,
  stddev_over_time: (_t, v, lo, hi) => Math.sqrt(varianceOverTime(v, lo, hi)),
  stdvar_over_time: (_t, v, lo, hi) => varianceOverTime(v, lo, hi),
  quantile_over_time: (_t, v, lo, hi, w) => {
    const n = hi - lo;
    if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
    for (let i = 0; i < n; i++) scratch[i] = v[lo + i]!;
    return quantileOf(w.args[0]!, scratch, n);
  },
  mad_over_time: (_t, v, lo, hi) => {
    const vals = sliceValues(v, lo, hi);
    if (vals.some(Number.isNaN)) return Number.NaN;
    const median = quantile(0.5, vals);
    for (let i = 0; i < vals.length; i++) vals[i] = Math.abs(vals[i]! - median);
    return quantile(0.5, vals);
  },
  double_exponential_smoothing: (_t, v, lo, hi, w) =>
    doubleExponentialSmoothing(v, lo, hi, w.args[0]!, w.args[1]!),
  holt_winters: (_t, v, lo, hi, w) => doubleExponentialSmoothing(v, lo, hi, w.args[0]!, w.args[1]!),
};

/** Element-wise math functions on instant vectors, by name. */
export const MATH_FUNCTIONS: Readonly<Record<string, (x: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  rad: (x) => (x * Math.PI) / 180,
  deg: (x) => (x * 180) / Math.PI,
  sgn: (x) => (x < 0 ? -1 : x > 0 ? 1 : x),
};

function utc(seconds: number): Date {
  return new Date(Math.trunc(seconds) * 1000);
}

/** Date functions (`hour(v)`, `day_of_week()`, ...) applied to Unix seconds, in UTC. */
export const DATE_FUNCTIONS: Readonly<Record<string, (unixSeconds: number) => number>> = {
  days_in_month: (s) => {
    const d = utc(s);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  },
  day_of_month: (s) => utc(s).getUTCDate(),
  day_of_week: (s) => utc(s).getUTCDay(),
  day_of_year: (s) => {
    const d = utc(s);
    return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000) + 1;
  },
  hour: (s) => utc(s).getUTCHours(),
  minute: (s) => utc(s).getUTCMinutes(),
  month: (s) => utc(s).getUTCMonth() + 1,
  year: (s) => utc(s).getUTCFullYear(),
};

/** round(x, toNearest) as Prometheus computes it (ties round up). */
export function roundTo(x: number, toNearest: number): number {
  const inv = 1 / toNearest;
  return Math.floor(x * inv + 0.5) / inv;
}
