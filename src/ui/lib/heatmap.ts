/**
 * Heatmaps from classic histogram buckets: a range query such as
 * `sum by (le) (rate(x_bucket[5m]))` returns one cumulative series per `le`; the heatmap shows,
 * per time step, the count that fell in each bucket (the differences between neighbouring `le`).
 */
import { parseSampleValue } from "./format.js";
import type { MatrixSeries } from "./seriesData.js";

/** A heatmap grid: `counts[bucket][time]`, buckets ordered by upper bound. */
export interface HeatmapGrid {
  times: number[];
  /** Upper bounds of the buckets (`+Inf` last when present). */
  bounds: number[];
  counts: number[][];
  max: number;
}

/**
 * Builds the grid from bucket series (labels must carry `le`; series without it are ignored).
 * Series with the same `le` (e.g. different instances) are summed. Negative differences from
 * counter resets are clamped to zero.
 */
export function bucketsToHeatmap(series: readonly MatrixSeries[]): HeatmapGrid {
  const byLe = new Map<number, Map<number, number>>();
  const stamps = new Set<number>();
  for (const s of series) {
    const le = s.metric.le;
    if (le === undefined) continue;
    const bound = parseSampleValue(le);
    if (Number.isNaN(bound)) continue;
    let m = byLe.get(bound);
    if (!m) {
      m = new Map();
      byLe.set(bound, m);
    }
    for (const [t, v] of s.values ?? []) {
      const x = parseSampleValue(v);
      if (!Number.isFinite(x)) continue;
      stamps.add(t);
      m.set(t, (m.get(t) ?? 0) + x);
    }
  }
  const bounds = [...byLe.keys()].sort((a, b) => a - b);
  const times = [...stamps].sort((a, b) => a - b);
  let max = 0;
  const counts = bounds.map((b, i) => {
    const cur = byLe.get(b)!;
    const prev = i > 0 ? byLe.get(bounds[i - 1]!)! : undefined;
    return times.map((t) => {
      const c = Math.max(0, (cur.get(t) ?? 0) - (prev?.get(t) ?? 0));
      if (c > max) max = c;
      return c;
    });
  });
  return { times, bounds, counts, max };
}
