import { compareLabels, labelsKey } from "../model/index.js";
import type { Queryable } from "../storage/index.js";
import { Annotations } from "./annotations.js";
import { BadDataError, ExecutionError, PromQLError, QueryTimeoutError } from "./errors.js";
import { Evaluator, QueryState, type Value } from "./eval.js";
import { type Expr, parseExpr, resolveDurationExprs } from "./parser/index.js";
import { dropMetadata, type StepSeries } from "./series.js";
import type { MatrixSeries, QueryResult, VectorSample } from "./value.js";

/** Options of an {@link Engine}; every field has Prometheus 3's default. */
export interface EngineOptions {
  /** Query timeout in ms (default 2 minutes). */
  timeoutMs?: number;
  /** Most samples a query may load (default 50,000,000). */
  maxSamples?: number;
  /** Queries evaluated at once; further queries wait in line (default 20). */
  maxConcurrent?: number;
  /** How far back an instant selector looks for a sample (default 5 minutes). */
  lookbackDeltaMs?: number;
  /** Most points per series of a range query (default 11,000). */
  maxPointsPerSeries?: number;
  /** Resolution of subqueries without an explicit step (default 1 minute). */
  defaultEvalIntervalMs?: number;
  /**
   * Keep `__name__` until the end of evaluation (Prometheus's experimental
   * `promql-delayed-name-removal`); off by default as in Prometheus 3.
   */
  enableDelayedNameRemoval?: boolean;
}

/** Per-query options. */
export interface QueryOptions {
  /** Cancels the query; it then fails with a QueryCanceledError. */
  signal?: AbortSignal;
  /** Overrides the engine's lookback delta for this query. */
  lookbackDeltaMs?: number;
}

/** A FIFO semaphore bounding concurrently running queries. */
class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async acquire(deadline: number): Promise<void> {
    if (this.running < this.max) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const entry = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new QueryTimeoutError("query queue"));
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiting.push(entry);
    });
    this.running++;
  }

  release(): void {
    this.running--;
    const next = this.waiting.shift();
    if (next) next();
  }
}

/**
 * The PromQL engine: evaluates instant and range queries against any {@link Queryable}.
 * @example
 * const engine = new Engine();
 * const r = await engine.instantQuery(head, 'sum by (job) (rate(http_requests_total[5m]))', Date.now());
 */
export class Engine {
  private readonly opts: Required<EngineOptions>;
  private readonly gate: Gate;

  constructor(opts: EngineOptions = {}) {
    this.opts = {
      timeoutMs: opts.timeoutMs ?? 120_000,
      maxSamples: opts.maxSamples ?? 50_000_000,
      maxConcurrent: opts.maxConcurrent ?? 20,
      lookbackDeltaMs: opts.lookbackDeltaMs ?? 300_000,
      maxPointsPerSeries: opts.maxPointsPerSeries ?? 11_000,
      defaultEvalIntervalMs: opts.defaultEvalIntervalMs ?? 60_000,
      enableDelayedNameRemoval: opts.enableDelayedNameRemoval ?? false,
    };
    this.gate = new Gate(this.opts.maxConcurrent);
  }

  /** Evaluates `expr` at one instant (`timeMs`). */
  instantQuery(
    q: Queryable,
    expr: string | Expr,
    timeMs: number,
    qo: QueryOptions = {},
  ): Promise<QueryResult> {
    return this.run(q, expr, timeMs, timeMs, 0, qo);
  }

  /**
   * Evaluates `expr` at `startMs, startMs + stepMs, ... ≤ endMs`. Throws BadDataError for more than
   * `maxPointsPerSeries` steps or a non-positive step.
   */
  rangeQuery(
    q: Queryable,
    expr: string | Expr,
    startMs: number,
    endMs: number,
    stepMs: number,
    qo: QueryOptions = {},
  ): Promise<QueryResult> {
    if (endMs < startMs)
      return Promise.reject(new BadDataError("end timestamp must not be before start time"));
    if (!(stepMs > 0)) {
      return Promise.reject(
        new BadDataError(
          "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ),
      );
    }
    if ((endMs - startMs) / stepMs > this.opts.maxPointsPerSeries) {
      return Promise.reject(
        new BadDataError(
          `exceeded maximum resolution of ${this.opts.maxPointsPerSeries.toLocaleString("en-US")} points per timeseries. Try decreasing the query resolution (?step=XX)`,
        ),
      );
    }
    return this.run(q, expr, startMs, endMs, stepMs, qo);
  }

  private async run(
    q: Queryable,
    input: string | Expr,
    start: number,
    end: number,
    step: number,
    qo: QueryOptions,
  ): Promise<QueryResult> {
    const text = typeof input === "string" ? input : "";
    let expr: Expr;
    try {
      expr = typeof input === "string" ? parseExpr(input) : input;
    } catch (err) {
      if (err instanceof PromQLError) throw err;
      throw new BadDataError((err as Error).message);
    }
    const deadline = Date.now() + this.opts.timeoutMs;
    await this.gate.acquire(deadline);
    const ann = new Annotations(text);
    const st = new QueryState(q, ann, {
      lookbackDelta: qo.lookbackDeltaMs ?? this.opts.lookbackDeltaMs,
      maxSamples: this.opts.maxSamples,
      deadline,
      ...(qo.signal ? { signal: qo.signal } : {}),
      delayedNameRemoval: this.opts.enableDelayedNameRemoval,
      defaultEvalInterval: this.opts.defaultEvalIntervalMs,
      isRange: step !== 0 && end > start,
      queryStart: start,
      queryEnd: end,
      queryStep: step,
    });
    try {
      prepare(expr, start, end, step);
      const ev = new Evaluator(st, start, end, step || 1);
      const val = await ev.eval(expr);
      return toResult(ev, val, step === 0, ann, this.opts.enableDelayedNameRemoval);
    } catch (err) {
      if (err instanceof PromQLError) throw err;
      if (err instanceof RangeError || err instanceof TypeError) throw err;
      throw new ExecutionError((err as Error).message);
    } finally {
      st.close();
      this.gate.release();
    }
  }
}

/** Resolves `@ start()`/`@ end()` and duration expressions before evaluation (Prometheus's PreprocessExpr). */
function prepare(expr: Expr, start: number, end: number, step: number): void {
  resolveDurationExprs(expr, { stepMs: step, rangeMs: end - start });
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case "VectorSelector":
        if (e.startOrEnd) e.timestamp = e.startOrEnd === "start" ? start : end;
        return;
      case "MatrixSelector":
        visit(e.vectorSelector);
        return;
      case "SubqueryExpr":
        if (e.startOrEnd) e.timestamp = e.startOrEnd === "start" ? start : end;
        visit(e.expr);
        return;
      case "Call":
        for (const a of e.args) visit(a);
        return;
      case "AggregateExpr":
        visit(e.expr);
        if (e.param) visit(e.param);
        return;
      case "BinaryExpr":
        visit(e.lhs);
        visit(e.rhs);
        return;
      case "UnaryExpr":
      case "ParenExpr":
      case "StepInvariantExpr":
        visit(e.expr);
        return;
      default:
        return;
    }
  };
  visit(expr);
}

function finalLabels(s: StepSeries, delayed: boolean) {
  return delayed && s.dropName ? dropMetadata(s.labels) : s.labels;
}

function toResult(
  ev: Evaluator,
  val: Value,
  instant: boolean,
  ann: Annotations,
  delayed: boolean,
): QueryResult {
  const warnings = ann.warnings;
  const infos = ann.infos;
  switch (val.type) {
    case "scalar":
      if (instant) return { resultType: "scalar", result: { t: ev.start, v: val.v[0]! }, warnings, infos };
      return {
        resultType: "matrix",
        result: [
          {
            labels: [],
            t: Float64Array.from({ length: ev.n }, (_, i) => ev.ts(i)),
            v: Float64Array.from(val.v),
          },
        ],
        warnings,
        infos,
      };
    case "string":
      if (!instant)
        throw new BadDataError(
          'invalid expression type "string" for range query, must be Scalar or instant Vector',
        );
      return { resultType: "string", result: { t: ev.start, value: val.s }, warnings, infos };
    case "matrix":
      return {
        resultType: "matrix",
        result: val.series.map((s) => ({ labels: s.labels, t: s.t, v: s.v })),
        warnings,
        infos,
      };
    case "vector": {
      let series = val.series;
      if (delayed) series = mergeDropped(series);
      if (instant) {
        const result: VectorSample[] = [];
        for (const s of series) {
          if (s.steps.length) result.push({ labels: finalLabels(s, delayed), t: ev.start, v: s.vals[0]! });
        }
        return { resultType: "vector", result, warnings, infos };
      }
      const result: MatrixSeries[] = [];
      for (const s of series) {
        if (!s.steps.length) continue;
        const t = new Float64Array(s.steps.length);
        for (let i = 0; i < t.length; i++) t[i] = ev.ts(s.steps[i]!);
        result.push({ labels: finalLabels(s, delayed), t, v: Float64Array.from(s.vals) });
      }
      result.sort((a, b) => compareLabels(a.labels, b.labels));
      return { resultType: "matrix", result, warnings, infos };
    }
  }
}

/** Drops pending names and merges series that collide afterwards (Prometheus's cleanupMetricLabels). */
function mergeDropped(series: StepSeries[]): StepSeries[] {
  const map = new Map<string, StepSeries>();
  const out: StepSeries[] = [];
  for (const s of series) {
    const labels = s.dropName ? dropMetadata(s.labels) : s.labels;
    const key = labelsKey(labels);
    const prev = map.get(key);
    if (!prev) {
      const n = { ...s, labels, dropName: false };
      map.set(key, n);
      out.push(n);
      continue;
    }
    const pts = new Map<number, number>();
    for (let j = 0; j < prev.steps.length; j++) pts.set(prev.steps[j]!, prev.vals[j]!);
    for (let j = 0; j < s.steps.length; j++) {
      if (pts.has(s.steps[j]!))
        throw new ExecutionError("vector cannot contain metrics with the same labelset");
      pts.set(s.steps[j]!, s.vals[j]!);
    }
    const steps = [...pts.keys()].sort((a, b) => a - b);
    prev.steps = steps;
    prev.vals = steps.map((st) => pts.get(st)!);
  }
  return out;
}
