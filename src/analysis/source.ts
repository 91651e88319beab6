import { type Labels, labelsKey } from "../model/index.js";
import type { Engine, MatrixSeries, VectorSample } from "../promql/index.js";
import type { Queryable } from "../storage/index.js";

/**
 * Where the analyses read data: PromQL range and instant queries. Built on the Engine with
 * {@link engineSource}; tests and remote setups may supply their own.
 */
export interface AnalysisSource {
  /** Evaluates `expr` at start, start + step, … ≤ end (ms) and returns the matrix. */
  range(expr: string, startMs: number, endMs: number, stepMs: number): Promise<MatrixSeries[]>;
  /** Evaluates `expr` at `timeMs` and returns the vector (a scalar becomes one unlabelled sample). */
  instant(expr: string, timeMs: number): Promise<VectorSample[]>;
}

/** Options of {@link engineSource}. */
export interface EngineSourceOptions {
  /**
   * Most points one range query asks for (default 10 000, under the engine's 11 000 per series):
   * longer ranges are queried in consecutive pieces and joined, so a month at 5-minute steps works.
   */
  maxPoints?: number;
}

/**
 * An {@link AnalysisSource} over the PromQL engine and a Queryable (the embedded TSDB or a remote
 * engine). A query of the wrong result type is a TypeError naming the expression.
 * @example const source = engineSource(new Engine(), head);
 */
export function engineSource(
  engine: Engine,
  queryable: Queryable,
  opts: EngineSourceOptions = {},
): AnalysisSource {
  const maxPoints = opts.maxPoints ?? 10_000;
  const one = async (expr: string, startMs: number, endMs: number, stepMs: number) => {
    const r = await engine.rangeQuery(queryable, expr, startMs, endMs, stepMs);
    if (r.resultType !== "matrix")
      throw new TypeError(`range query ${expr} returned a ${r.resultType}, not a matrix`);
    return r.result;
  };
  return {
    async range(expr, startMs, endMs, stepMs) {
      if (!(stepMs > 0) || (endMs - startMs) / stepMs < maxPoints) return one(expr, startMs, endMs, stepMs);
      const joined = new Map<string, { labels: Labels; t: Float64Array[]; v: Float64Array[] }>();
      for (let s = startMs; s <= endMs; s += maxPoints * stepMs) {
        for (const m of await one(expr, s, Math.min(endMs, s + (maxPoints - 1) * stepMs), stepMs)) {
          const key = labelsKey(m.labels);
          let j = joined.get(key);
          if (!j) {
            j = { labels: m.labels, t: [], v: [] };
            joined.set(key, j);
          }
          j.t.push(m.t);
          j.v.push(m.v);
        }
      }
      const concat = (parts: Float64Array[]) => {
        const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
        let o = 0;
        for (const p of parts) {
          out.set(p, o);
          o += p.length;
        }
        return out;
      };
      return [...joined.values()].map((j) => ({ labels: j.labels, t: concat(j.t), v: concat(j.v) }));
    },
    async instant(expr, timeMs) {
      const r = await engine.instantQuery(queryable, expr, timeMs);
      if (r.resultType === "vector") return r.result;
      if (r.resultType === "scalar") return [{ labels: [], t: r.result.t, v: r.result.v }];
      throw new TypeError(`instant query ${expr} returned a ${r.resultType}, not a vector`);
    },
  };
}
