/**
 * Resampling series onto a regular time grid, the common ground every analysis works on.
 */

/** A regular time grid: `start`, `start + step`, …, up to `end` inclusive (ms). */
export interface Grid {
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/** The number of points of a grid. */
export function gridLength(g: Grid): number {
  return g.end < g.start ? 0 : Math.floor((g.end - g.start) / g.step) + 1;
}

/** The timestamps of a grid. */
export function gridTimes(g: Grid): Float64Array {
  const n = gridLength(g);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = g.start + i * g.step;
  return out;
}

/**
 * Places samples `(t[i], v[i])` (times ascending) on `grid`: each grid point takes the value of the
 * last sample at or before it within half a step, or else the nearest sample after it within half a
 * step. Points still empty are filled by linear interpolation when the gap spans at most `maxGap`
 * points and has samples on both sides; longer gaps stay NaN. Non-finite sample values count as
 * missing.
 * @example toGrid(Float64Array.of(0, 20), Float64Array.of(1, 3), { start: 0, end: 20, step: 10 }) // [1, 2, 3]
 */
export function toGrid(t: ArrayLike<number>, v: ArrayLike<number>, grid: Grid, maxGap = 3): Float64Array {
  const n = gridLength(grid);
  const out = new Float64Array(n).fill(Number.NaN);
  const half = grid.step / 2;
  for (let i = 0; i < t.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) continue;
    const pos = (t[i]! - grid.start) / grid.step;
    const k = Math.round(pos);
    if (k < 0 || k >= n) continue;
    if (Math.abs(t[i]! - (grid.start + k * grid.step)) > half) continue;
    out[k] = x;
  }
  fillGaps(out, maxGap);
  return out;
}

/** Fills NaN runs of at most `maxGap` points that have finite neighbours on both sides, in place. */
export function fillGaps(x: Float64Array, maxGap: number): Float64Array {
  let last = -1;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) continue;
    const gap = i - last - 1;
    if (last >= 0 && gap > 0 && gap <= maxGap) {
      const a = x[last]!;
      const b = x[i]!;
      for (let k = 1; k <= gap; k++) x[last + k] = a + ((b - a) * k) / (gap + 1);
    }
    last = i;
  }
  return x;
}

/**
 * Shifts `y` by `lag` points against `x` and returns the overlapping parts: pairs (x[i], y[i + lag]).
 * A positive lag pairs x with later values of y (y follows x).
 */
export function lagPairs(x: Float64Array, y: Float64Array, lag: number): [Float64Array, Float64Array] {
  const n = Math.min(x.length, y.length);
  if (lag >= 0) return [x.subarray(0, Math.max(0, n - lag)), y.subarray(Math.min(n, lag), n)];
  return [x.subarray(Math.min(n, -lag), n), y.subarray(0, Math.max(0, n + lag))];
}

/** The number of finite values of `x`. */
export function countFinite(x: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) c++;
  return c;
}
