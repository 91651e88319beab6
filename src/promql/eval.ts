import {
  compileAnchoredRE2,
  EMPTY_LABELS,
  expandTemplate,
  isStaleNaN,
  type Label,
  type Labels,
  LabelsBuilder,
  labelsGet,
  labelsKey,
  type Matcher,
  METRIC_NAME,
} from "../model/index.js";
import type { Querier, Queryable, Series } from "../storage/index.js";
import type { Annotations } from "./annotations.js";
import {
  BadDataError,
  ExecutionError,
  QueryCanceledError,
  QueryTimeoutError,
  TooManySamplesError,
} from "./errors.js";
import {
  DATE_FUNCTIONS,
  hasCounterReset,
  MATH_FUNCTIONS,
  RANGE_FUNCTIONS,
  type RangeWindow,
  RESET_FREE_RANGE_FUNCTIONS,
  roundTo,
  slidingExtremum,
} from "./functions.js";
import type {
  AggregateExpr,
  BinaryExpr,
  Call,
  Expr,
  MatrixSelector,
  PositionRange,
  SubqueryExpr,
  VectorSelector,
} from "./parser/index.js";
import { type Bucket, bucketFraction, bucketQuantile } from "./quantile.js";
import { byStep, dropMetadata, SeriesBuilder, type StepSeries } from "./series.js";

/** A range-vector series: its samples in time order. */
export interface RangeSeries {
  labels: Labels;
  t: Float64Array;
  v: Float64Array;
}

/** The value of an expression over all steps of an evaluator. */
export type Value =
  | { type: "scalar"; v: Float64Array }
  | { type: "string"; s: string }
  | { type: "vector"; series: StepSeries[] }
  | { type: "matrix"; series: RangeSeries[] };

/** A range argument (matrix selector or subquery) with its windowing parameters. */
interface RangeArg {
  /** Walked once; a matrix selector's series are decoded one at a time (see `Evaluator.stream`). */
  series: Iterable<RangeSeries>;
  range: number;
  offset: number;
  at: number | null;
  /** The selector when the argument is a matrix selector (absent labels, anchored). */
  vs: VectorSelector | null;
}

/** Per-query state shared by all evaluators of one query (limits, annotations, queriers). */
export class QueryState {
  samples = 0;
  private readonly queriers: Querier[] = [];
  private checks = 0;

  constructor(
    readonly queryable: Queryable,
    readonly annotations: Annotations,
    readonly opts: {
      lookbackDelta: number;
      maxSamples: number;
      deadline: number;
      signal?: AbortSignal;
      delayedNameRemoval: boolean;
      defaultEvalInterval: number;
      /** True for range queries (start < end); used for the `sort` warning. */
      isRange: boolean;
      /** The query's own start, end and step (ms) for `start()`, `end()`, `step()`, `range()`. */
      queryStart: number;
      queryEnd: number;
      queryStep: number;
    },
  ) {}

  /** Throws when the query timed out or was cancelled. Cheap enough to call in loops. */
  check(): void {
    if ((++this.checks & 63) !== 0) return;
    this.checkNow();
  }

  checkNow(): void {
    if (this.opts.signal?.aborted) throw new QueryCanceledError();
    if (Date.now() > this.opts.deadline) throw new QueryTimeoutError();
  }

  addSamples(n: number): void {
    this.samples += n;
    if (this.samples > this.opts.maxSamples) throw new TooManySamplesError();
  }

  querier(mint: number, maxt: number): Querier {
    const q = this.queryable.querier(mint, maxt);
    this.queriers.push(q);
    return q;
  }

  close(): void {
    for (const q of this.queriers) q.close();
    this.queriers.length = 0;
  }
}

const EMPTY_F64 = new Float64Array(0);

/**
 * A selected series that decodes its samples in range straight into typed arrays (the embedded
 * TSDB's head series): `maxSamples()` bounds how many `readInto` writes from `offset`.
 */
interface BulkSeries {
  readonly labels: Labels;
  maxSamples(): number;
  readInto(ts: Float64Array, vs: Float64Array, offset: number): number;
}

function isBulkSeries(s: object): s is BulkSeries {
  return (
    typeof (s as Partial<BulkSeries>).readInto === "function" &&
    typeof (s as Partial<BulkSeries>).maxSamples === "function"
  );
}

/** Removes stale markers from `t`/`v`[off, off+n) in place; returns the new count. */
function dropStaleInPlace(t: Float64Array, v: Float64Array, off: number, n: number): number {
  const end = off + n;
  let k = off;
  for (let i = off; i < end; i++) {
    const x = v[i]!;
    if (Number.isNaN(x) && isStaleNaN(x)) continue;
    if (k !== i) {
      t[k] = t[i]!;
      v[k] = x;
    }
    k++;
  }
  return k - off;
}

/**
 * Receives one output series of a streamed evaluation: `steps`/`vals` hold `len` entries and may
 * be reused for the next series, so they are to be consumed, not kept.
 */
export type SeriesSink = (
  labels: Labels,
  dropName: boolean,
  steps: readonly number[],
  vals: readonly number[],
  len: number,
) => void;

function unwrap(e: Expr): Expr {
  while (e.kind === "ParenExpr" || e.kind === "StepInvariantExpr") e = e.expr;
  return e;
}

/** Functions whose result keeps the metric name. */
const KEEP_NAME_RANGE = new Set(["last_over_time", "first_over_time"]);

function fmtG(f: number): string {
  return Number.isInteger(f) ? f.toFixed(6) : f.toFixed(6);
}

/** Label sets built from the equality matchers of a selector, for `absent` and `absent_over_time`. */
function absentLabels(e: Expr): Labels {
  e = unwrap(e);
  let ms: Matcher[] | null = null;
  if (e.kind === "VectorSelector") ms = e.matchers;
  else if (e.kind === "MatrixSelector") ms = e.vectorSelector.matchers;
  if (!ms) return EMPTY_LABELS;
  const b = new LabelsBuilder();
  const has = new Set<string>();
  for (const m of ms) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === "=" && !has.has(m.name)) {
      b.set(m.name, m.value);
      has.add(m.name);
    } else b.del(m.name);
  }
  return b.labels();
}

/** Go's natural sort order (github.com/facette/natsort): digit runs compare numerically. */
function natLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const ca = a.match(re) ?? [];
  const cb = b.match(re) ?? [];
  for (let i = 0; i < ca.length && i < cb.length; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny;
      return x < y;
    }
    return x < y;
  }
  return ca.length < cb.length;
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function isValidUTF8LabelName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(i + 1);
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return false;
    }
    if (c === 0xfffd) return false;
  }
  return true;
}

function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (c === 0xfffd) out += "\\xc5";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Evaluates expressions over a grid of steps `start, start+interval, ..., ≤ end`. Every node is
 * evaluated for all steps at once; selectors load each series once.
 */
export class Evaluator {
  readonly n: number;

  constructor(
    readonly st: QueryState,
    readonly start: number,
    readonly end: number,
    readonly interval: number,
  ) {
    this.n = end < start ? 0 : Math.floor((end - start) / interval) + 1;
  }

  ts(i: number): number {
    return this.start + i * this.interval;
  }

  private dropName(ls: Labels): Labels {
    return this.st.opts.delayedNameRemoval ? ls : dropMetadata(ls);
  }

  async eval(e: Expr): Promise<Value> {
    this.st.checkNow();
    switch (e.kind) {
      case "NumberLiteral":
        return { type: "scalar", v: new Float64Array(this.n).fill(e.value) };
      case "StringLiteral":
        return { type: "string", s: e.value };
      case "ParenExpr":
      case "StepInvariantExpr":
        return this.eval(e.expr);
      case "UnaryExpr": {
        const v = await this.eval(e.expr);
        if (e.op === "+") return v;
        if (v.type === "scalar") return { type: "scalar", v: v.v.map((x) => -x) };
        if (v.type === "vector") {
          const b = new SeriesBuilder();
          for (const s of v.series) {
            const labels = this.dropName(s.labels);
            b.addSeries({ labels, dropName: true, steps: s.steps, vals: s.vals.map((x) => -x) }, labels);
          }
          return { type: "vector", series: b.list };
        }
        throw new ExecutionError(
          "unary expression only allowed on expressions of type scalar or instant vector",
        );
      }
      case "VectorSelector":
        return { type: "vector", series: await this.evalVectorSelector(e) };
      case "MatrixSelector":
      case "SubqueryExpr":
        return this.evalMatrixValue(e);
      case "Call":
        return this.evalCall(e);
      case "AggregateExpr":
        return (await import("./aggregate.js")).evalAggregate(this, e as AggregateExpr);
      case "BinaryExpr":
        return (await import("./binary.js")).evalBinary(this, e as BinaryExpr);
      case "DurationExpr":
        throw new ExecutionError("unexpected duration expression");
    }
  }

  /** Evaluates `e` expecting a scalar; returns its value per step. */
  async evalScalar(e: Expr): Promise<Float64Array> {
    const v = await this.eval(e);
    if (v.type !== "scalar") throw new ExecutionError(`expected scalar, got ${v.type}`);
    return v.v;
  }

  /** Evaluates `e` expecting an instant vector. */
  async evalVector(e: Expr): Promise<StepSeries[]> {
    const v = await this.eval(e);
    if (v.type !== "vector") throw new ExecutionError(`expected instant vector, got ${v.type}`);
    return v.series;
  }

  // ---- selectors --------------------------------------------------------------------------

  private refRange(at: number | null, offset: number): [number, number] {
    if (at !== null) return [at - offset, at - offset];
    return [this.start - offset, this.end - offset];
  }

  /**
   * Loads the series of a selector with samples in [mint, maxt], optionally without stale markers,
   * each into arrays of its own (see {@link stream} for the one-at-a-time form).
   */
  async load(vs: VectorSelector, mint: number, maxt: number, dropStale: boolean, func?: string) {
    const out: RangeSeries[] = [];
    for (const s of await this.stream(vs, mint, maxt, dropStale, func)) {
      out.push({ labels: s.labels, t: s.t.slice(), v: s.v.slice() });
    }
    return out;
  }

  /**
   * Selects the series of a selector with samples in [mint, maxt] and decodes them one at a time,
   * optionally without stale markers, into two buffers reused from series to series: a yielded
   * series' `t`/`v` are valid only until the next one is taken (copy what must be kept). Only one
   * series' samples are in memory at once, however many the selector matches. Series that can
   * bulk-decode (the embedded TSDB's) are read straight from their chunks; others through their
   * iterators. The iterable can be walked once.
   */
  async stream(
    vs: VectorSelector,
    mint: number,
    maxt: number,
    dropStale: boolean,
    func?: string,
  ): Promise<Iterable<RangeSeries>> {
    const q = this.st.querier(mint, maxt);
    const series = await q.select(vs.matchers, {
      start: mint,
      end: maxt,
      step: this.interval,
      ...(func ? { func } : {}),
    });
    this.st.checkNow();
    return this.decodeEach(series, mint, maxt, dropStale);
  }

  private *decodeEach(
    series: readonly Series[],
    mint: number,
    maxt: number,
    dropStale: boolean,
  ): Generator<RangeSeries> {
    let bufT = EMPTY_F64;
    let bufV = EMPTY_F64;
    for (const s of series) {
      this.st.check();
      let n = 0;
      if (isBulkSeries(s)) {
        const need = s.maxSamples();
        if (need > bufT.length) {
          const size = Math.max(need, bufT.length * 2);
          bufT = new Float64Array(size);
          bufV = new Float64Array(size);
        }
        n = s.readInto(bufT, bufV, 0);
      } else {
        const it = s.iterator();
        if (it.seek(mint)) {
          do {
            const t = it.t;
            if (t > maxt) break;
            if (n === bufT.length) {
              const size = Math.max(256, n * 2);
              const nt = new Float64Array(size);
              nt.set(bufT);
              bufT = nt;
              const nv = new Float64Array(size);
              nv.set(bufV);
              bufV = nv;
            }
            bufT[n] = t;
            bufV[n] = it.v;
            n++;
          } while (it.next());
        }
      }
      if (dropStale) {
        n = dropStaleInPlace(bufT, bufV, 0, n);
        if (n === 0) continue;
      }
      this.st.addSamples(n);
      yield {
        labels: s.labels,
        t: n ? bufT.subarray(0, n) : EMPTY_F64,
        v: n ? bufV.subarray(0, n) : EMPTY_F64,
      };
    }
  }

  async evalVectorSelector(vs: VectorSelector): Promise<StepSeries[]> {
    const lookback = this.st.opts.lookbackDelta;
    const [minRef, maxRef] = this.refRange(vs.timestamp, vs.offset);
    const smoothed = vs.smoothed;
    const data = await this.stream(vs, minRef - lookback + 1, maxRef + (smoothed ? lookback : 0), false);
    const out: StepSeries[] = [];
    const n = this.n;
    const at = vs.timestamp;
    const offset = vs.offset;
    const steps: number[] = [];
    const vals: number[] = [];
    const times: number[] = [];
    for (const s of data) {
      const { t, v } = s;
      const m = t.length;
      if (m === 0) continue;
      let k = 0;
      let j = -1;
      for (let i = 0; i < n; i++) {
        const ref = (at ?? this.start + i * this.interval) - offset;
        while (j + 1 < m && t[j + 1]! <= ref) j++;
        if (j < 0) continue;
        const tj = t[j]!;
        if (tj <= ref - lookback) continue;
        let vj = v[j]!;
        if (Number.isNaN(vj) && isStaleNaN(vj)) continue;
        if (smoothed && tj < ref && j + 1 < m) {
          const tn = t[j + 1]!;
          const vn = v[j + 1]!;
          if (tn < ref + lookback && !(Number.isNaN(vn) && isStaleNaN(vn))) {
            vj = vj + ((vn - vj) * (ref - tj)) / (tn - tj);
          }
        }
        steps[k] = i;
        vals[k] = vj;
        times[k] = tj;
        k++;
      }
      if (k > 0) {
        out.push({
          labels: s.labels,
          dropName: false,
          steps: steps.slice(0, k),
          vals: vals.slice(0, k),
          times: times.slice(0, k),
        });
      }
    }
    return out;
  }

  /** Loads or computes a range argument (matrix selector or subquery) for all steps. */
  async evalRangeArg(e: Expr, func?: string): Promise<RangeArg> {
    e = unwrap(e);
    if (e.kind === "MatrixSelector") {
      const ms = e as MatrixSelector;
      const vs = ms.vectorSelector;
      const [minRef, maxRef] = this.refRange(vs.timestamp, vs.offset);
      const lookback = vs.anchored || vs.smoothed ? this.st.opts.lookbackDelta : 0;
      const after = vs.smoothed ? lookback : 0;
      const series = await this.stream(vs, minRef - ms.range - lookback + 1, maxRef + after, true, func);
      return { series, range: ms.range, offset: vs.offset, at: vs.timestamp, vs };
    }
    if (e.kind === "SubqueryExpr") {
      const sq = e as SubqueryExpr;
      const [minRef, maxRef] = this.refRange(sq.timestamp, sq.offset);
      const interval = sq.step || this.st.opts.defaultEvalInterval;
      const from = minRef - sq.range;
      let innerStart = Math.floor(from / interval) * interval;
      if (innerStart <= from) innerStart += interval;
      const inner = new Evaluator(this.st, innerStart, maxRef, interval);
      const series: RangeSeries[] = [];
      if (inner.n > 0) {
        const v = await inner.eval(sq.expr);
        if (v.type === "scalar") {
          const t = new Float64Array(inner.n);
          for (let i = 0; i < inner.n; i++) t[i] = inner.ts(i);
          series.push({ labels: EMPTY_LABELS, t, v: v.v });
        } else if (v.type === "vector") {
          for (const s of v.series) {
            const t = new Float64Array(s.steps.length);
            for (let i = 0; i < t.length; i++) t[i] = inner.ts(s.steps[i]!);
            const labels = s.dropName && this.st.opts.delayedNameRemoval ? dropMetadata(s.labels) : s.labels;
            series.push({ labels, t, v: Float64Array.from(s.vals) });
          }
          this.st.addSamples(v.series.reduce((a, s) => a + s.steps.length, 0));
        } else
          throw new ExecutionError(`subquery expression must be scalar or instant vector, got ${v.type}`);
      }
      return { series, range: sq.range, offset: sq.offset, at: sq.timestamp, vs: null };
    }
    throw new ExecutionError(`expected range vector, got ${e.kind}`);
  }

  /** A range vector as a value (an instant query of `x[5m]` or a subquery): the window at the single step. */
  private async evalMatrixValue(e: MatrixSelector | SubqueryExpr): Promise<Value> {
    if (this.n !== 1) {
      throw new BadDataError(
        `invalid expression type "range vector" for range query, must be Scalar or instant Vector`,
      );
    }
    const arg = await this.evalRangeArg(e);
    const ref = (arg.at ?? this.start) - arg.offset;
    const lo = ref - arg.range;
    const out: RangeSeries[] = [];
    if (arg.vs && (arg.vs.anchored || arg.vs.smoothed)) {
      const ext = new Extender(this.st.opts.lookbackDelta, arg.vs.smoothed);
      for (const s of arg.series) {
        const m = ext.window(s.t, s.v, lo, ref, false);
        if (m > 0) out.push({ labels: s.labels, t: ext.t.slice(0, m), v: ext.v.slice(0, m) });
      }
      return { type: "matrix", series: out };
    }
    for (const s of arg.series) {
      let a = 0;
      while (a < s.t.length && s.t[a]! <= lo) a++;
      let b = a;
      while (b < s.t.length && s.t[b]! <= ref) b++;
      if (b > a) out.push({ labels: s.labels, t: s.t.slice(a, b), v: s.v.slice(a, b) });
    }
    return { type: "matrix", series: out };
  }

  // ---- functions ---------------------------------------------------------------------------

  private async evalCall(e: Call): Promise<Value> {
    const name = e.func.name;
    const args = e.args;
    const n = this.n;
    const ann = this.st.annotations;
    const rangeFn = RANGE_FUNCTIONS[name];
    if (rangeFn) return this.evalRangeFunction(e, rangeFn);

    const math = MATH_FUNCTIONS[name];
    if (math) return this.mapVector(await this.evalVector(args[0]!), math);

    const date = DATE_FUNCTIONS[name];
    if (date) {
      if (args.length === 0) {
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) v[i] = date(this.ts(i) / 1000);
        return {
          type: "vector",
          series: [{ labels: EMPTY_LABELS, dropName: false, steps: range(n), vals: [...v] }],
        };
      }
      return this.mapVector(await this.evalVector(args[0]!), date);
    }

    switch (name) {
      case "time": {
        const v = new Float64Array(n);
        for (let i = 0; i < n; i++) v[i] = this.ts(i) / 1000;
        return { type: "scalar", v };
      }
      case "step":
      case "range":
      case "start":
      case "end": {
        const o = this.st.opts;
        const x =
          name === "step"
            ? o.queryStep
            : name === "range"
              ? o.queryEnd - o.queryStart
              : name === "start"
                ? o.queryStart
                : o.queryEnd;
        return { type: "scalar", v: new Float64Array(n).fill(x / 1000) };
      }
      case "min_of":
      case "max_of": {
        const a = await this.evalScalar(args[0]!);
        const b = await this.evalScalar(args[1]!);
        const f = name === "min_of" ? Math.min : Math.max;
        return { type: "scalar", v: a.map((x, i) => f(x, b[i]!)) };
      }
      case "pi":
        return { type: "scalar", v: new Float64Array(n).fill(Math.PI) };
      case "vector": {
        const v = await this.evalScalar(args[0]!);
        return {
          type: "vector",
          series: [{ labels: EMPTY_LABELS, dropName: false, steps: range(n), vals: [...v] }],
        };
      }
      case "scalar": {
        const series = await this.evalVector(args[0]!);
        const out = new Float64Array(n).fill(Number.NaN);
        const cnt = new Uint32Array(n);
        for (const s of series) {
          for (let j = 0; j < s.steps.length; j++) {
            const i = s.steps[j]!;
            cnt[i]!++;
            out[i] = cnt[i] === 1 ? s.vals[j]! : Number.NaN;
          }
        }
        return { type: "scalar", v: out };
      }
      case "timestamp": {
        const arg = unwrap(args[0]!);
        const series = await this.evalVector(arg);
        const useSampleTime = arg.kind === "VectorSelector";
        const b = new SeriesBuilder();
        for (const s of series) {
          const labels = this.dropName(s.labels);
          const vals = s.steps.map((st, j) => (useSampleTime && s.times ? s.times[j]! : this.ts(st)) / 1000);
          b.addSeries({ labels, dropName: true, steps: s.steps, vals }, labels);
        }
        return { type: "vector", series: b.list };
      }
      case "clamp":
      case "clamp_min":
      case "clamp_max": {
        const series = await this.evalVector(args[0]!);
        const lo =
          name === "clamp_max"
            ? new Float64Array(n).fill(Number.NEGATIVE_INFINITY)
            : await this.evalScalar(args[1]!);
        const hi =
          name === "clamp"
            ? await this.evalScalar(args[2]!)
            : name === "clamp_max"
              ? await this.evalScalar(args[1]!)
              : new Float64Array(n).fill(Number.POSITIVE_INFINITY);
        return this.mapVectorStep(series, (x, i) =>
          hi[i]! < lo[i]! ? undefined : Math.max(lo[i]!, Math.min(hi[i]!, x)),
        );
      }
      case "round": {
        const series = await this.evalVector(args[0]!);
        const to = args.length > 1 ? await this.evalScalar(args[1]!) : new Float64Array(n).fill(1);
        return this.mapVectorStep(series, (x, i) => roundTo(x, to[i]!));
      }
      case "sort":
      case "sort_desc":
      case "sort_by_label":
      case "sort_by_label_desc":
        return this.evalSort(e);
      case "absent": {
        const series = await this.evalVector(args[0]!);
        const present = new Uint8Array(n);
        for (const s of series) for (const st of s.steps) present[st] = 1;
        const steps: number[] = [];
        for (let i = 0; i < n; i++) if (!present[i]) steps.push(i);
        if (!steps.length) return { type: "vector", series: [] };
        return {
          type: "vector",
          series: [{ labels: absentLabels(args[0]!), dropName: false, steps, vals: steps.map(() => 1) }],
        };
      }
      case "label_replace":
        return this.evalLabelReplace(e);
      case "label_join":
        return this.evalLabelJoin(e);
      case "histogram_quantile":
        return this.evalHistogramQuantile(e);
      case "histogram_fraction":
        return this.evalHistogramFraction(e);
      case "info":
        return (await import("./info.js")).evalInfo(this, e);
      case "histogram_count":
      case "histogram_sum":
      case "histogram_avg":
      case "histogram_stddev":
      case "histogram_stdvar":
        await this.evalVector(args[0]!);
        return { type: "vector", series: [] };
      default:
        void ann;
        throw new ExecutionError(`function ${JSON.stringify(name)} is not supported by this engine`);
    }
  }

  private mapVector(series: StepSeries[], f: (x: number) => number): Value {
    const b = new SeriesBuilder();
    for (const s of series) {
      const labels = this.dropName(s.labels);
      b.addSeries({ labels, dropName: true, steps: s.steps, vals: s.vals.map(f) }, labels);
    }
    return { type: "vector", series: b.list };
  }

  private mapVectorStep(series: StepSeries[], f: (x: number, step: number) => number | undefined): Value {
    const b = new SeriesBuilder();
    for (const s of series) {
      const labels = this.dropName(s.labels);
      const steps: number[] = [];
      const vals: number[] = [];
      for (let j = 0; j < s.steps.length; j++) {
        const r = f(s.vals[j]!, s.steps[j]!);
        if (r === undefined) continue;
        steps.push(s.steps[j]!);
        vals.push(r);
      }
      if (steps.length) b.addSeries({ labels, dropName: true, steps, vals }, labels);
    }
    return { type: "vector", series: b.list };
  }

  /**
   * Evaluates `e` when it is a call of a range function (rate, *_over_time, ...; not
   * absent_over_time), handing each output series to `sink` as soon as it is computed instead of
   * collecting them all: an aggregation over it then never holds more than one series' output.
   * Returns false, having evaluated nothing, for any other expression.
   */
  async streamRangeCall(e: Expr, sink: SeriesSink): Promise<boolean> {
    const u = unwrap(e);
    if (u.kind !== "Call" || u.func.name === "absent_over_time") return false;
    const fn = RANGE_FUNCTIONS[u.func.name];
    if (fn === undefined) return false;
    this.st.checkNow();
    await this.evalRangeFunction(u, fn, sink);
    return true;
  }

  /**
   * Evaluates a range-function call. Every output series goes to `sink`; without one, they are
   * copied into the returned vector.
   */
  private async evalRangeFunction(
    e: Call,
    fn: (typeof RANGE_FUNCTIONS)[string],
    sink?: SeriesSink,
  ): Promise<Value> {
    const out: StepSeries[] = [];
    const emit: SeriesSink =
      sink ??
      ((labels, dropName, steps, vals, len) =>
        out.push({ labels, dropName, steps: steps.slice(0, len), vals: vals.slice(0, len) }));
    const name = e.func.name;
    const args = e.args;
    let mi = args.findIndex((a) => {
      const u = unwrap(a);
      return u.kind === "MatrixSelector" || u.kind === "SubqueryExpr";
    });
    if (mi < 0) mi = 0;
    const scalarArgs: Float64Array[] = [];
    for (let k = 0; k < args.length; k++) if (k !== mi) scalarArgs.push(await this.evalScalar(args[k]!));
    const n = this.n;
    const ann = this.st.annotations;
    if (name === "quantile_over_time") {
      for (const q of scalarArgs[0]!) {
        if (Number.isNaN(q) || q < 0 || q > 1) {
          ann.warning(
            `quantile value should be between 0 and 1, got ${formatAnnFloat(q)}`,
            args[0]!.posRange,
          );
          break;
        }
      }
    }
    if (name === "double_exponential_smoothing" || name === "holt_winters") {
      for (let i = 0; i < n; i++) {
        const sf = scalarArgs[0]![i]!;
        const tf = scalarArgs[1]![i]!;
        if (!(sf > 0 && sf < 1))
          throw new ExecutionError(`invalid smoothing factor. Expected: 0 < sf < 1, got: ${fmtG(sf)}`);
        if (!(tf > 0 && tf < 1))
          throw new ExecutionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${fmtG(tf)}`);
      }
    }
    const mvs = unwrap(args[mi]!);
    if (mvs.kind === "MatrixSelector") {
      const vs = mvs.vectorSelector;
      if (vs.anchored && !["changes", "delta", "increase", "rate", "resets"].includes(name)) {
        throw new ExecutionError(
          `anchored modifier can only be used with: changes, delta, increase, rate, resets - not with ${name}`,
        );
      }
      if (vs.smoothed && !["delta", "increase", "rate"].includes(name)) {
        throw new ExecutionError(
          `smoothed modifier can only be used with: delta, increase, rate - not with ${name}`,
        );
      }
    }
    const arg = await this.evalRangeArg(args[mi]!, name);
    const w: RangeWindow & { args: number[] } = { ts: 0, rangeStart: 0, rangeEnd: 0, args: [] };
    const keepName = KEEP_NAME_RANGE.has(name);
    const delayed = this.st.opts.delayedNameRemoval;
    const at = arg.at;
    const offset = arg.offset;
    const rng = arg.range;

    if (name === "absent_over_time") {
      const present = new Uint8Array(n);
      for (const s of arg.series) {
        const { t } = s;
        let lo = 0;
        let hi = 0;
        for (let i = 0; i < n; i++) {
          const ref = (at ?? this.ts(i)) - offset;
          while (hi < t.length && t[hi]! <= ref) hi++;
          while (lo < hi && t[lo]! <= ref - rng) lo++;
          if (hi > lo) present[i] = 1;
        }
      }
      const steps: number[] = [];
      for (let i = 0; i < n; i++) if (!present[i]) steps.push(i);
      if (!steps.length) return { type: "vector", series: [] };
      return {
        type: "vector",
        series: [{ labels: absentLabels(args[mi]!), dropName: false, steps, vals: steps.map(() => 1) }],
      };
    }

    const extended = arg.vs && (arg.vs.anchored || arg.vs.smoothed);
    const ext = extended ? new Extender(this.st.opts.lookbackDelta, arg.vs!.smoothed) : null;
    const isCounter = name === "rate" || name === "increase";
    const resetFree = RESET_FREE_RANGE_FUNCTIONS[name];
    const extremum = name === "max_over_time" ? 1 : name === "min_over_time" ? -1 : 0;
    let dq: Int32Array = new Int32Array(0);
    const extFn =
      name === "rate" || name === "increase" || name === "delta"
        ? (et: Float64Array, evs: Float64Array, m: number) => {
            let r = evs[m - 1]! - evs[0]!;
            if (isCounter) {
              let prev = evs[0]!;
              for (let k = 1; k < m; k++) {
                if (evs[k]! < prev) r += prev;
                prev = evs[k]!;
              }
            }
            void et;
            return name === "rate" ? r / (rng / 1000) : r;
          }
        : null;
    const stepsBuf: number[] = [];
    const valsBuf: number[] = [];
    const seen = delayed ? null : new Set<string>();
    for (const s of arg.series) {
      this.st.check();
      const { t, v } = s;
      const m = t.length;
      let steps: number[] = stepsBuf;
      let vals: number[] = valsBuf;
      let k = 0;
      let lo = 0;
      let hi = 0;
      for (let i = 0; ext && i < n; i++) {
        const ts = this.start + i * this.interval;
        const ref = (at ?? ts) - offset;
        const nw = ext.window(t, v, ref - rng, ref, isCounter);
        if (nw === 0) continue;
        w.ts = ts;
        w.rangeStart = ref - rng;
        w.rangeEnd = ref;
        for (let q = 0; q < scalarArgs.length; q++) w.args[q] = scalarArgs[q]![i]!;
        const r = extFn ? extFn(ext.t, ext.v, nw) : fn(ext.t, ext.v, 0, nw, w);
        if (r === undefined) continue;
        stepsBuf[k] = i;
        valsBuf[k] = r;
        k++;
      }
      if (!ext && extremum !== 0) {
        steps = [];
        vals = [];
        dq = slidingExtremum(
          t,
          v,
          n,
          this.start,
          this.interval,
          at,
          offset,
          rng,
          extremum > 0,
          steps,
          vals,
          dq,
        );
      }
      const kernel = resetFree !== undefined && !hasCounterReset(v) ? resetFree : fn;
      for (let i = 0; !ext && extremum === 0 && i < n; i++) {
        const ts = this.start + i * this.interval;
        const ref = (at ?? ts) - offset;
        const rs = ref - rng;
        while (hi < m && t[hi]! <= ref) hi++;
        while (lo < hi && t[lo]! <= rs) lo++;
        if (hi === lo) continue;
        w.ts = ts;
        w.rangeStart = rs;
        w.rangeEnd = ref;
        for (let q = 0; q < scalarArgs.length; q++) w.args[q] = scalarArgs[q]![i]!;
        const r = kernel(t, v, lo, hi, w);
        if (r === undefined) continue;
        stepsBuf[k] = i;
        valsBuf[k] = r;
        k++;
      }
      if (steps !== stepsBuf) k = steps.length;
      if (k === 0) continue;
      const labels = keepName || delayed ? s.labels : dropMetadata(s.labels);
      if (seen !== null) {
        const key = labelsKey(labels);
        if (seen.has(key)) throw new ExecutionError("vector cannot contain metrics with the same labelset");
        seen.add(key);
      }
      emit(labels, !keepName, steps, vals, k);
    }
    return { type: "vector", series: out };
  }

  private async evalSort(e: Call): Promise<Value> {
    const name = e.func.name;
    const series = await this.evalVector(e.args[0]!);
    if (this.st.opts.isRange) {
      this.st.annotations.warning(
        "sort is ineffective for range queries since results are always ordered by labels",
        e.posRange,
      );
    }
    if (this.n !== 1) return { type: "vector", series };
    const arr = series.filter((s) => s.steps.length > 0);
    if (name === "sort" || name === "sort_desc") {
      // Prometheus sorts with NaN at the bottom: a reversed sort where NaN counts as smallest
      // (sort) or as largest-first reversed (sort_desc).
      const less =
        name === "sort"
          ? (a: number, b: number) => Number.isNaN(a) || a > b
          : (a: number, b: number) => Number.isNaN(a) || a < b;
      goSortReverse(arr, (x, y) => less(x.vals[0]!, y.vals[0]!));
      return { type: "vector", series: arr };
    }
    const lbls: string[] = [];
    for (let k = 1; k < e.args.length; k++) {
      const a = unwrap(e.args[k]!);
      if (a.kind === "StringLiteral") lbls.push(a.value);
    }
    const desc = name === "sort_by_label_desc";
    const { compareLabels } = await import("../model/index.js");
    arr.sort((a, b) => {
      for (const l of lbls) {
        const x = labelsGet(a.labels, l);
        const y = labelsGet(b.labels, l);
        if (x === y) continue;
        const r = natLess(x, y) ? -1 : 1;
        return desc ? -r : r;
      }
      const c = compareLabels(a.labels, b.labels);
      return desc ? -c : c;
    });
    return { type: "vector", series: arr };
  }

  private stringArg(e: Expr): string {
    const u = unwrap(e);
    if (u.kind !== "StringLiteral") throw new ExecutionError("expected string literal argument");
    return u.value;
  }

  private finishRelabel(series: StepSeries[], relabeled: Labels[]): Value {
    const b = new SeriesBuilder();
    for (let k = 0; k < series.length; k++) {
      const s = series[k]!;
      const labels = relabeled[k]!;
      b.addSeries({ ...s, labels }, labels);
    }
    return { type: "vector", series: b.list };
  }

  private async evalLabelReplace(e: Call): Promise<Value> {
    const dst = this.stringArg(e.args[1]!);
    const repl = this.stringArg(e.args[2]!);
    const src = this.stringArg(e.args[3]!);
    const reStr = this.stringArg(e.args[4]!);
    let re: RegExp;
    try {
      re = compileAnchoredRE2(reStr);
    } catch {
      throw new ExecutionError(`invalid regular expression in label_replace(): ${reStr}`);
    }
    if (!isValidUTF8LabelName(dst))
      throw new ExecutionError(`invalid destination label name in label_replace(): ${dst}`);
    const series = await this.evalVector(e.args[0]!);
    const relabeled = series.map((s) => {
      const m = re.exec(labelsGet(s.labels, src));
      if (!m) return s.labels;
      const b = new LabelsBuilder(s.labels);
      b.set(dst, expandTemplate(repl, m));
      if (dst === METRIC_NAME) s.dropName = false;
      return b.labels();
    });
    return this.finishRelabel(series, relabeled);
  }

  private async evalLabelJoin(e: Call): Promise<Value> {
    const dst = this.stringArg(e.args[1]!);
    const sep = this.stringArg(e.args[2]!);
    const srcs: string[] = [];
    for (let k = 3; k < e.args.length; k++) {
      const src = this.stringArg(e.args[k]!);
      if (!isValidUTF8LabelName(src))
        throw new ExecutionError(`invalid source label name in label_join(): ${src}`);
      srcs.push(src);
    }
    if (!isValidUTF8LabelName(dst))
      throw new ExecutionError(`invalid destination label name in label_join(): ${dst}`);
    const series = await this.evalVector(e.args[0]!);
    const relabeled = series.map((s) => {
      const b = new LabelsBuilder(s.labels);
      b.set(dst, srcs.map((l) => labelsGet(s.labels, l)).join(sep));
      if (dst === METRIC_NAME) s.dropName = false;
      return b.labels();
    });
    return this.finishRelabel(series, relabeled);
  }

  /** Groups classic-histogram bucket series by their labels without `le` (and `__name__`). */
  private groupBuckets(series: StepSeries[], pos: PositionRange) {
    const groups = new Map<string, { labels: Labels; members: { s: StepSeries; le: number }[] }>();
    for (const s of series) {
      const leStr = labelsGet(s.labels, "le");
      const le = parseGoFloat(leStr);
      if (Number.isNaN(le) && leStr !== "NaN") {
        this.st.annotations.warning(
          `bucket label "le" is missing or has a malformed value of ${goQuote(leStr)} for metric name ${goQuote(labelsGet(s.labels, METRIC_NAME))}`,
          pos,
        );
        continue;
      }
      let labels: Labels = s.labels.filter((l) => l.name !== "le");
      labels = this.st.opts.delayedNameRemoval ? labels : dropMetadata(labels);
      const key = labelsKey(labels.filter((l) => l.name !== METRIC_NAME));
      let g = groups.get(key);
      if (!g) {
        g = { labels, members: [] };
        groups.set(key, g);
      }
      g.members.push({ s, le });
    }
    return groups;
  }

  private async evalHistogramQuantile(e: Call): Promise<Value> {
    const q = await this.evalScalar(e.args[0]!);
    const series = await this.evalVector(e.args[1]!);
    const ann = this.st.annotations;
    for (const x of q) {
      if (Number.isNaN(x) || x < 0 || x > 1) {
        ann.warning(
          `quantile value should be between 0 and 1, got ${formatAnnFloat(x)}`,
          e.args[0]!.posRange,
        );
        break;
      }
    }
    return this.perGroupBuckets(series, e.args[1]!.posRange, (i, buckets, labels) => {
      const r = bucketQuantile(q[i]!, buckets);
      if (r.forcedMonotonicity) {
        const metric = this.st.opts.delayedNameRemoval ? labelsGet(labels, METRIC_NAME) : "";
        ann.infoAt(
          `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${goQuote(metric)}`,
          e.args[1]!.posRange,
        );
      }
      return r.value;
    });
  }

  private async evalHistogramFraction(e: Call): Promise<Value> {
    const lower = await this.evalScalar(e.args[0]!);
    const upper = await this.evalScalar(e.args[1]!);
    const series = await this.evalVector(e.args[2]!);
    return this.perGroupBuckets(series, e.args[2]!.posRange, (i, buckets) =>
      bucketFraction(lower[i]!, upper[i]!, buckets),
    );
  }

  private perGroupBuckets(
    series: StepSeries[],
    pos: PositionRange,
    f: (step: number, buckets: Bucket[], labels: Labels) => number,
  ): Value {
    const groups = this.groupBuckets(series, pos);
    const b = new SeriesBuilder();
    for (const g of groups.values()) {
      const members = g.members.map((m) => m.s);
      const bs = byStep(members, this.n);
      const steps: number[] = [];
      const vals: number[] = [];
      for (let i = 0; i < this.n; i++) {
        const from = bs.offsets[i]!;
        const to = bs.offsets[i + 1]!;
        if (from === to) continue;
        const buckets: Bucket[] = [];
        for (let p = from; p < to; p++)
          buckets.push({ upperBound: g.members[bs.sidx[p]!]!.le, count: bs.vals[p]! });
        steps.push(i);
        vals.push(f(i, buckets, g.labels));
      }
      if (steps.length) b.addSeries({ labels: g.labels, dropName: true, steps, vals }, g.labels);
    }
    return { type: "vector", series: b.list };
  }
}

/**
 * Builds the window of an `anchored`/`smoothed` range selector (Prometheus's extendFloats): a
 * point at the range start (the last sample before it, or interpolated when smoothed), the
 * samples strictly inside, and a point at the range end.
 */
class Extender {
  t = new Float64Array(64);
  v = new Float64Array(64);

  constructor(
    private readonly lookback: number,
    private readonly smoothed: boolean,
  ) {}

  /** Fills `t`/`v` for the window (mint, maxt]; returns the number of points (0 = none). */
  window(t: Float64Array, v: Float64Array, mint: number, maxt: number, isCounter: boolean): number {
    let a = 0;
    while (a < t.length && t[a]! <= mint - this.lookback) a++;
    let b = a;
    const limit = this.smoothed ? maxt + this.lookback : maxt;
    while (b < t.length && t[b]! <= limit) b++;
    if (b <= a) return 0;
    let last = b - 1;
    let first = a;
    while (first < last && t[first]! <= mint) first++;
    first = Math.max(a, first - 1);
    if (first < last && t[first + 1]! <= mint) first++;
    if (this.smoothed) {
      let k = a;
      while (k < b - 1 && t[k]! < maxt) k++;
      last = k;
    }
    if (t[last]! <= mint) return 0;
    if (this.smoothed && t[first]! > maxt) return 0;
    const interp = (i: number, j: number, x: number) => {
      let y1 = v[i]!;
      const y2 = v[j]!;
      if (isCounter && y2 < y1) y1 = 0;
      return y1 + ((y2 - y1) * (x - t[i]!)) / (t[j]! - t[i]!);
    };
    const left = this.smoothed && t[first]! < mint ? interp(first, first + 1, mint) : v[first]!;
    const right = this.smoothed && last > a && t[last]! > maxt ? interp(last - 1, last, maxt) : v[last]!;
    if (t[first]! <= mint) first++;
    if (t[last]! >= maxt) last--;
    const count = Math.max(last - first + 1, 0) + 2;
    if (this.t.length < count) {
      this.t = new Float64Array(count * 2);
      this.v = new Float64Array(count * 2);
    }
    this.t[0] = mint;
    this.v[0] = left;
    let k = 1;
    for (let i = first; i <= last; i++, k++) {
      this.t[k] = t[i]!;
      this.v[k] = v[i]!;
    }
    this.t[k] = maxt;
    this.v[k] = right;
    return k + 1;
  }
}

function range(n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Parses a float like Go's strconv.ParseFloat (accepts Inf, +Inf, NaN, case-insensitive); NaN when malformed. */
export function parseGoFloat(s: string): number {
  const t = s.trim();
  if (t !== s || s === "") return Number.NaN;
  const l = s.toLowerCase();
  if (l === "inf" || l === "+inf" || l === "infinity" || l === "+infinity") return Number.POSITIVE_INFINITY;
  if (l === "-inf" || l === "-infinity") return Number.NEGATIVE_INFINITY;
  if (l === "nan") return Number.NaN;
  const cleaned = s.replace(/_/g, "");
  if (
    !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cleaned) &&
    !/^[+-]?0[xX][0-9a-fA-F.]+([pP][+-]?\d+)?$/.test(cleaned)
  ) {
    return Number.NaN;
  }
  return Number(cleaned);
}

/** Formats a float for annotation texts like Go's `%g`. */
export function formatAnnFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Number.POSITIVE_INFINITY) return "+Inf";
  if (f === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(f);
}

/**
 * Sorts like Go's `sort.Sort(sort.Reverse(data))` for small inputs (insertion sort, which Go uses
 * up to 12 elements) and stably otherwise. `less` is the non-reversed order.
 */
export function goSortReverse<T>(arr: T[], less: (a: T, b: T) => boolean): void {
  const rless = (a: T, b: T) => less(b, a);
  if (arr.length <= 12) {
    for (let i = 1; i < arr.length; i++) {
      for (let j = i; j > 0 && rless(arr[j]!, arr[j - 1]!); j--) {
        const t = arr[j]!;
        arr[j] = arr[j - 1]!;
        arr[j - 1] = t;
      }
    }
    return;
  }
  arr.sort((a, b) => (rless(a, b) ? -1 : rless(b, a) ? 1 : 0));
}

export { LABEL_NAME_RE, type Label };
