/**
 * Anomaly scoring: a seasonal baseline from the same time slot of previous cycles (median and
 * MAD, both robust to past anomalies), a robust z-score per point, and runs of high scores merged
 * into episodes.
 */

/** Options of {@link seasonalBaseline}. */
export interface BaselineOptions {
  /** Points per seasonal cycle (e.g. 288 for a day at 5-minute steps). */
  period: number;
  /** Previous cycles the baseline looks at (default 7). */
  cycles?: number;
  /** Neighbouring slots on each side pooled with the slot itself (default 2). */
  window?: number;
  /**
   * Fewest values a baseline needs; fewer leave the point without a baseline (default: three
   * cycles' worth, 3·(2·window + 1), so a spread is never estimated from one or two days).
   */
  minSamples?: number;
  /**
   * Points of recent residuals (value − seasonal median) whose median is added to the baseline, so
   * a trend or a level change since the previous cycles does not read as an anomaly (default: one
   * period; 0 turns it off). A short fault moves a median over many points very little.
   */
  levelWindow?: number;
}

/** The expected value (median) and robust spread (1.4826·MAD) at each point. NaN where unknown. */
export interface Baseline {
  readonly median: Float64Array;
  readonly scale: Float64Array;
}

/** Consistency constant: 1.4826·MAD estimates σ for normal data. */
export const MAD_TO_SIGMA = 1.4826;

function medianInPlace(buf: Float64Array): number {
  buf.sort();
  const n = buf.length;
  return n % 2 === 1 ? buf[(n - 1) / 2]! : (buf[n / 2 - 1]! + buf[n / 2]!) / 2;
}

/**
 * For each point i, pools the finite values at i − k·period + j for k = 1..cycles and
 * |j| ≤ window, and takes their median and scaled MAD. The baseline only looks back, so a point
 * never explains itself, and a past anomaly moves a median of many values very little.
 * @example seasonalBaseline(values, { period: 288, cycles: 7 })
 */
export function seasonalBaseline(y: ArrayLike<number>, opts: BaselineOptions): Baseline {
  const { period } = opts;
  if (!Number.isInteger(period) || period < 1)
    throw new RangeError(`seasonal period must be a positive integer, got ${period}`);
  const cycles = opts.cycles ?? 7;
  const w = opts.window ?? 2;
  const minSamples = opts.minSamples ?? Math.min(cycles, 3) * (2 * w + 1);
  const n = y.length;
  const med = new Float64Array(n).fill(Number.NaN);
  const scale = new Float64Array(n).fill(Number.NaN);
  const buf = new Float64Array(cycles * (2 * w + 1));
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let k = 1; k <= cycles; k++) {
      const base = i - k * period;
      if (base + w < 0) break;
      for (let j = -w; j <= w; j++) {
        const idx = base + j;
        if (idx < 0 || idx >= i) continue;
        const v = y[idx]!;
        if (Number.isFinite(v)) buf[c++] = v;
      }
    }
    if (c < minSamples) continue;
    const vals = buf.subarray(0, c);
    const m = medianInPlace(vals);
    for (let q = 0; q < c; q++) vals[q] = Math.abs(vals[q]! - m);
    med[i] = m;
    scale[i] = MAD_TO_SIGMA * medianInPlace(vals);
  }
  const lw = opts.levelWindow ?? period;
  if (lw > 0) levelAdjust(y, med, lw);
  return { median: med, scale };
}

/**
 * Adds to each baseline median the median of the residuals over the `window` points before it
 * (recomputed every window/48 points), when at least half of them are known.
 */
function levelAdjust(y: ArrayLike<number>, med: Float64Array, window: number): void {
  const n = y.length;
  const resid = new Float64Array(n);
  for (let i = 0; i < n; i++) resid[i] = y[i]! - med[i]!;
  const stride = Math.max(1, Math.floor(window / 48));
  const buf = new Float64Array(window);
  let shift = Number.NaN;
  for (let i = 0; i < n; i++) {
    if (i % stride === 0) {
      let c = 0;
      for (let j = Math.max(0, i - window); j < i; j++) if (Number.isFinite(resid[j]!)) buf[c++] = resid[j]!;
      shift = c >= window / 2 ? medianInPlace(buf.subarray(0, c)) : Number.NaN;
    }
    if (Number.isFinite(shift)) med[i] = med[i]! + shift;
  }
}

/** Options of {@link chooseBaseline}: the daily period and, when history allows, a weekly one. */
export interface AutoBaselineOptions {
  /** Points per day. */
  daily: number;
  /** Points per week (usually 7·daily); tried when `y` spans at least `minWeeks` of them. */
  weekly?: number;
  /** Weeks of history needed before the weekly baseline is considered (default 2). */
  minWeeks?: number;
  /** Previous days the daily baseline pools (default 7) and previous weeks the weekly one pools (default 3). */
  dailyCycles?: number;
  weeklyCycles?: number;
  /** Slot neighbours pooled on each side (default 2). */
  window?: number;
}

/**
 * Builds the daily baseline and, with enough history, the weekly one, and keeps the weekly one
 * when it explains the data clearly better: its mean absolute deviation from the observed values
 * over the last week is below 0.8 times the daily one's. Weekly patterns (quiet weekends) then
 * stop looking anomalous every week; without them the daily baseline, with more recent samples per
 * slot, is kept.
 */
export function chooseBaseline(
  y: ArrayLike<number>,
  opts: AutoBaselineOptions,
): Baseline & { period: number } {
  const window = opts.window ?? 2;
  const daily = seasonalBaseline(y, { period: opts.daily, cycles: opts.dailyCycles ?? 7, window });
  const weeklyPeriod = opts.weekly ?? 7 * opts.daily;
  if (y.length < (opts.minWeeks ?? 2) * weeklyPeriod) return { ...daily, period: opts.daily };
  const weekly = seasonalBaseline(y, {
    period: weeklyPeriod,
    cycles: opts.weeklyCycles ?? 3,
    window,
    minSamples: 2 * (2 * window + 1),
    levelWindow: opts.daily,
  });
  let dErr = 0;
  let wErr = 0;
  let c = 0;
  for (let i = Math.max(0, y.length - weeklyPeriod); i < y.length; i++) {
    const v = y[i]!;
    const dm = daily.median[i]!;
    const wm = weekly.median[i]!;
    if (!Number.isFinite(v) || !Number.isFinite(dm) || !Number.isFinite(wm)) continue;
    dErr += Math.abs(v - dm);
    wErr += Math.abs(v - wm);
    c++;
  }
  return c > 0 && wErr < 0.8 * dErr ? { ...weekly, period: weeklyPeriod } : { ...daily, period: opts.daily };
}

/** Floors for the spread, so a flat history does not turn every wiggle into an anomaly. */
export interface ScaleFloor {
  /** Smallest spread in the series' unit (default 0). */
  absolute?: number;
  /** Smallest spread as a fraction of |median| (default 0.02). */
  relative?: number;
}

/** The spread actually used at a point: the baseline's, raised to the floors (and never 0). */
export function effectiveScale(scale: number, median: number, floor: ScaleFloor = {}): number {
  return Math.max(scale, floor.absolute ?? 0, (floor.relative ?? 0.02) * Math.abs(median), 1e-12);
}

/** Robust z-scores (y − median) / scale per point; NaN where the value or baseline is missing. */
export function robustScores(y: ArrayLike<number>, b: Baseline, floor: ScaleFloor = {}): Float64Array {
  const out = new Float64Array(y.length).fill(Number.NaN);
  for (let i = 0; i < y.length; i++) {
    const m = b.median[i]!;
    const v = y[i]!;
    if (!Number.isFinite(m) || !Number.isFinite(v)) continue;
    out[i] = (v - m) / effectiveScale(b.scale[i]!, m, floor);
  }
  return out;
}

/** A run of anomalous points, by index. */
export interface Episode {
  readonly startIndex: number;
  /** Index of the last anomalous point (inclusive). */
  readonly endIndex: number;
  /** Index of the point with the largest |score|. */
  readonly peakIndex: number;
  /** The signed score at the peak. */
  readonly peakScore: number;
}

/** Options of {@link findEpisodes}. */
export interface EpisodeOptions {
  /** |score| at or above which a point is anomalous (default 4). */
  threshold?: number;
  /** Fewest anomalous points an episode needs (default 2). */
  minPoints?: number;
  /** Runs separated by at most this many normal points merge into one episode (default 2). */
  mergeGap?: number;
}

/**
 * Groups points with |score| ≥ threshold into episodes: runs closer than `mergeGap` points merge,
 * and episodes with fewer than `minPoints` anomalous points are dropped.
 */
export function findEpisodes(scores: ArrayLike<number>, opts: EpisodeOptions = {}): Episode[] {
  const thr = opts.threshold ?? 4;
  const minPoints = opts.minPoints ?? 2;
  const gap = opts.mergeGap ?? 2;
  const out: Episode[] = [];
  let start = -1;
  let end = -1;
  let peak = -1;
  let count = 0;
  const flush = () => {
    if (start >= 0 && count >= minPoints) {
      out.push({ startIndex: start, endIndex: end, peakIndex: peak, peakScore: scores[peak]! });
    }
    start = -1;
    count = 0;
  };
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!(Math.abs(s) >= thr)) continue;
    if (start >= 0 && i - end - 1 > gap) flush();
    if (start < 0) {
      start = i;
      peak = i;
    }
    end = i;
    count++;
    if (Math.abs(s) > Math.abs(scores[peak]!)) peak = i;
  }
  flush();
  return out;
}

/** Precision and recall of detected index ranges against true ones (overlap counts as a match). */
export function matchEpisodes(
  detected: readonly { startIndex: number; endIndex: number }[],
  truth: readonly { startIndex: number; endIndex: number }[],
): { precision: number; recall: number; truePositives: number; falsePositives: number; missed: number } {
  const overlaps = (
    a: { startIndex: number; endIndex: number },
    b: { startIndex: number; endIndex: number },
  ) => a.startIndex <= b.endIndex && b.startIndex <= a.endIndex;
  const tp = detected.filter((d) => truth.some((t) => overlaps(d, t))).length;
  const found = truth.filter((t) => detected.some((d) => overlaps(d, t))).length;
  return {
    precision: detected.length === 0 ? 1 : tp / detected.length,
    recall: truth.length === 0 ? 1 : found / truth.length,
    truePositives: tp,
    falsePositives: detected.length - tp,
    missed: truth.length - found,
  };
}
