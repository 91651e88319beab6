/**
 * Turning query results into what the renderers draw: aligned columns for uPlot (one shared time
 * axis, one Float64Array per series with nulls as NaN gaps), and single values for stats.
 */
import { parseSampleValue } from "./format.js";
import { formatLegend } from "./legend.js";

/** A series of a range result (mirrors api/query.ts without importing it). */
export interface MatrixSeries {
  metric: Record<string, string>;
  values?: [number, string][];
}

/** Columns ready for uPlot: `times` in seconds and one value column per series. */
export interface AlignedSeries {
  times: Float64Array;
  columns: (number | null)[][];
  names: string[];
  metrics: Record<string, string>[];
}

/**
 * Aligns several results (one per query, each with its legend template) on the union of their
 * timestamps. Missing points are null, so uPlot draws gaps rather than lines across them.
 */
export function alignSeries(
  results: readonly { series: readonly MatrixSeries[]; legend?: string }[],
): AlignedSeries {
  const stamps = new Set<number>();
  for (const r of results) for (const s of r.series) for (const v of s.values ?? []) stamps.add(v[0]);
  const times = Float64Array.from(stamps).sort();
  const index = new Map<number, number>();
  for (let i = 0; i < times.length; i++) index.set(times[i]!, i);
  const columns: (number | null)[][] = [];
  const names: string[] = [];
  const metrics: Record<string, string>[] = [];
  for (const r of results) {
    for (const s of r.series) {
      const col: (number | null)[] = new Array(times.length).fill(null);
      for (const [t, v] of s.values ?? []) {
        const x = parseSampleValue(v);
        col[index.get(t)!] = Number.isFinite(x) ? x : null;
      }
      columns.push(col);
      names.push(formatLegend(r.legend, s.metric));
      metrics.push(s.metric);
    }
  }
  return { times, columns, names, metrics };
}

/** How a stat reduces a series to one number. */
export type Reducer = "last" | "mean" | "max" | "min";

/** Reduces a series' values, ignoring NaN; NaN when nothing remains. */
export function reduceValues(values: readonly (number | null)[], how: Reducer = "last"): number {
  const xs = values.filter((v): v is number => v !== null && !Number.isNaN(v));
  if (xs.length === 0) return Number.NaN;
  switch (how) {
    case "last":
      return xs[xs.length - 1]!;
    case "mean":
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    case "max":
      return Math.max(...xs);
    case "min":
      return Math.min(...xs);
  }
}
