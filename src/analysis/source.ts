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

/**
 * An {@link AnalysisSource} over the PromQL engine and a Queryable (the embedded TSDB or a remote
 * engine). A query of the wrong result type is a TypeError naming the expression.
 * @example const source = engineSource(new Engine(), head);
 */
export function engineSource(engine: Engine, queryable: Queryable): AnalysisSource {
  return {
    async range(expr, startMs, endMs, stepMs) {
      const r = await engine.rangeQuery(queryable, expr, startMs, endMs, stepMs);
      if (r.resultType !== "matrix")
        throw new TypeError(`range query ${expr} returned a ${r.resultType}, not a matrix`);
      return r.result;
    },
    async instant(expr, timeMs) {
      const r = await engine.instantQuery(queryable, expr, timeMs);
      if (r.resultType === "vector") return r.result;
      if (r.resultType === "scalar") return [{ labels: [], t: r.result.t, v: r.result.v }];
      throw new TypeError(`instant query ${expr} returned a ${r.resultType}, not a vector`);
    },
  };
}
