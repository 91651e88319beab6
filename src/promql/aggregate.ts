import { type Labels, LabelsBuilder, labelsGet, labelsKey, METRIC_NAME } from "../model/index.js";
import { ExecutionError } from "./errors.js";
import { type Evaluator, formatAnnFloat, goSortReverse, type Value } from "./eval.js";
import { ratioPosition } from "./labelhash.js";
import type { AggregateExpr } from "./parser/index.js";
import { quantile } from "./quantile.js";
import { byStep, SeriesBuilder, type StepSeries } from "./series.js";
import { formatFloat } from "./value.js";

interface Group {
  labels: Labels;
  members: number[];
}

function groupingLabels(ls: Labels, grouping: readonly string[], without: boolean): Labels {
  if (without) {
    const drop = new Set(grouping);
    drop.add(METRIC_NAME);
    return ls.filter((l) => !drop.has(l.name));
  }
  if (grouping.length === 0) return [];
  const keep = new Set(grouping);
  return ls.filter((l) => keep.has(l.name));
}

function groupSeries(series: readonly StepSeries[], e: AggregateExpr): { groups: Group[]; of: Int32Array } {
  const map = new Map<string, number>();
  const groups: Group[] = [];
  const of = new Int32Array(series.length);
  for (let k = 0; k < series.length; k++) {
    const labels = groupingLabels(series[k]!.labels, e.grouping, e.without);
    const key = labelsKey(labels);
    let g = map.get(key);
    if (g === undefined) {
      g = groups.length;
      map.set(key, g);
      groups.push({ labels, members: [] });
    }
    groups[g]!.members.push(k);
    of[k] = g;
  }
  return { groups, of };
}

function kahanInc(inc: number, sum: number, c: Float64Array, i: number): number {
  const t = sum + inc;
  if (t === Number.POSITIVE_INFINITY || t === Number.NEGATIVE_INFINITY) c[i] = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c[i]! += sum - t + inc;
  else c[i]! += inc - t + sum;
  return t;
}

function toInt64(f: number): number {
  if (f >= 2 ** 63 || f < -(2 ** 63))
    throw new ExecutionError(`Scalar value ${formatAnnFloat(f)} overflows int64`);
  return Math.trunc(f);
}

/** Aggregations that pick input series (with their labels) rather than reduce them. */
const SELECTING = new Set(["topk", "bottomk", "limitk", "limit_ratio"]);

/** Evaluates an aggregation over all steps. */
export async function evalAggregate(ev: Evaluator, e: AggregateExpr): Promise<Value> {
  const n = ev.n;
  const op = e.op;
  const ann = ev.st.annotations;
  let param: Float64Array | null = null;
  let strParam = "";
  if (e.param) {
    if (op === "count_values") {
      const p = await ev.eval(e.param);
      if (p.type !== "string") throw new ExecutionError("count_values expects a string parameter");
      strParam = p.s;
    } else param = await ev.evalScalar(e.param);
  }
  if (param && (op === "topk" || op === "bottomk" || op === "limitk")) {
    for (const p of param) {
      if (Number.isNaN(p)) throw new ExecutionError("Parameter value is NaN");
      toInt64(p);
    }
  }
  if (param && op === "limit_ratio") {
    for (const p of param) {
      if (Number.isNaN(p)) throw new ExecutionError("Ratio value is NaN");
      if (p < -1 || p > 1) {
        ann.warning(
          `ratio value should be between -1 and 1, got ${formatAnnFloat(p)}, capping to ${p < -1 ? -1 : 1}`,
          e.param!.posRange,
        );
        break;
      }
    }
  }
  if (param && op === "quantile") {
    for (const q of param) {
      if (Number.isNaN(q) || q < 0 || q > 1) {
        ann.warning(`quantile value should be between 0 and 1, got ${formatAnnFloat(q)}`, e.param!.posRange);
        break;
      }
    }
  }
  const acc = new Accumulator(op, n, e);
  // an aggregation straight over a range function (sum by (x) (rate(m[5m])), the usual case)
  // takes the function's output series one at a time: none of them is kept
  const streamed =
    op !== "count_values" &&
    !SELECTING.has(op) &&
    (await ev.streamRangeCall(e.expr, (labels, dropName, steps, vals, len) => {
      ev.st.check();
      acc.add(labels, dropName, steps, vals, len);
    }));
  if (!streamed) {
    const series = await ev.evalVector(e.expr);
    if (op === "count_values") return countValues(ev, e, series, strParam);
    if (SELECTING.has(op)) return aggregateK(ev, e, series, param!);
    for (const s of series) {
      ev.st.check();
      acc.add(s.labels, s.dropName, s.steps, s.vals, s.steps.length);
    }
  }
  return { type: "vector", series: acc.finish(param) };
}

/** One group's state at every step; arrays an operation does not use stay null. */
interface GroupState {
  readonly labels: Labels;
  dropName: boolean;
  readonly val: Float64Array;
  readonly count: Float64Array;
  /** Kahan compensation (sum, avg). */
  readonly comp: Float64Array | null;
  /** Running mean (avg, stddev, stdvar). */
  readonly mean: Float64Array | null;
  /** Steps where avg switched to the incremental mean (the sum overflowed). */
  readonly incr: Uint8Array | null;
  /** Every value (quantile). */
  readonly heaps: number[][] | null;
}

/**
 * The state of every group of an aggregation at every step, fed series by series in evaluation
 * order; a group is created, with arrays of exactly the steps' length, when its first member
 * arrives, so groups come out in order of first appearance.
 */
class Accumulator {
  private readonly index = new Map<string, GroupState>();
  private readonly groups: GroupState[] = [];
  private readonly comp: boolean;
  private readonly mean: boolean;

  constructor(
    private readonly op: string,
    private readonly n: number,
    private readonly e: AggregateExpr,
  ) {
    this.comp = op === "sum" || op === "avg";
    this.mean = op === "avg" || op === "stddev" || op === "stdvar";
  }

  private group(labels: Labels): GroupState {
    const gl = groupingLabels(labels, this.e.grouping, this.e.without);
    const key = labelsKey(gl);
    let g = this.index.get(key);
    if (g === undefined) {
      const n = this.n;
      g = {
        labels: gl,
        dropName: false,
        val: new Float64Array(n),
        count: new Float64Array(n),
        comp: this.comp ? new Float64Array(n) : null,
        mean: this.mean ? new Float64Array(n) : null,
        incr: this.op === "avg" ? new Uint8Array(n) : null,
        heaps: this.op === "quantile" ? new Array(n) : null,
      };
      this.index.set(key, g);
      this.groups.push(g);
    }
    return g;
  }

  /** Adds a series' first `len` steps and values to its group. */
  add(
    labels: Labels,
    dropName: boolean,
    steps: readonly number[],
    vals: readonly number[],
    len: number,
  ): void {
    const g = this.group(labels);
    if (dropName) g.dropName = true;
    const op = this.op;
    const { val, count, comp, mean, incr, heaps } = g;
    for (let j = 0; j < len; j++) {
      const i = steps[j]!;
      const f = vals[j]!;
      const c = count[i]!;
      if (c === 0) {
        count[i] = 1;
        if (mean !== null) mean[i] = f;
        switch (op) {
          case "stddev":
          case "stdvar":
            val[i] = Number.isNaN(f) || !Number.isFinite(f) ? Number.NaN : 0;
            break;
          case "group":
            val[i] = 1;
            break;
          case "quantile":
            heaps![i] = [f];
            val[i] = f;
            break;
          default:
            val[i] = f;
        }
        continue;
      }
      switch (op) {
        case "sum":
          val[i] = kahanInc(f, val[i]!, comp!, i);
          count[i] = c + 1;
          break;
        case "avg": {
          const cnt = c + 1;
          count[i] = cnt;
          if (!incr![i]) {
            const saved = comp![i]!;
            const nv = kahanInc(f, val[i]!, comp!, i);
            if (nv !== Number.POSITIVE_INFINITY && nv !== Number.NEGATIVE_INFINITY) {
              val[i] = nv;
              break;
            }
            comp![i] = saved;
            incr![i] = 1;
            mean![i] = val[i]! / (cnt - 1);
            comp![i] = comp![i]! / (cnt - 1);
          }
          const q = (cnt - 1) / cnt;
          comp![i] = q * comp![i]!;
          mean![i] = kahanInc(f / cnt, q * mean![i]!, comp!, i);
          break;
        }
        case "max":
          if (val[i]! < f || Number.isNaN(val[i]!)) val[i] = f;
          count[i] = c + 1;
          break;
        case "min":
          if (val[i]! > f || Number.isNaN(val[i]!)) val[i] = f;
          count[i] = c + 1;
          break;
        case "count":
        case "group":
          count[i] = c + 1;
          break;
        case "stddev":
        case "stdvar": {
          const cnt = c + 1;
          count[i] = cnt;
          const delta = f - mean![i]!;
          mean![i] = mean![i]! + delta / cnt;
          val[i] = val[i]! + delta * (f - mean![i]!);
          break;
        }
        case "quantile":
          heaps![i]!.push(f);
          count[i] = c + 1;
          break;
        default:
          throw new ExecutionError(`unknown aggregation ${op}`);
      }
    }
  }

  /** The result: one series per group with a value at the steps where it had members. */
  finish(param: Float64Array | null): StepSeries[] {
    const { op, n } = this;
    const b = new SeriesBuilder();
    for (const g of this.groups) {
      const { val, count, comp, mean, incr, heaps } = g;
      const steps: number[] = [];
      const vals: number[] = [];
      for (let i = 0; i < n; i++) {
        const c = count[i]!;
        if (c === 0) continue;
        let f = val[i]!;
        switch (op) {
          case "sum":
            f += comp![i]!;
            break;
          case "avg":
            f = incr![i] ? mean![i]! + comp![i]! : f / c + comp![i]! / c;
            break;
          case "count":
            f = c;
            break;
          case "stdvar":
            f /= c;
            break;
          case "stddev":
            f = Math.sqrt(f / c);
            break;
          case "quantile":
            f = quantile(param![i]!, heaps![i]!);
            break;
        }
        steps.push(i);
        vals.push(f);
      }
      if (steps.length) b.addSeries({ labels: g.labels, dropName: g.dropName, steps, vals }, g.labels);
    }
    return b.list;
  }
}

function countValues(ev: Evaluator, e: AggregateExpr, series: StepSeries[], label: string): Value {
  if (!isValidLabelNameUTF8(label)) throw new ExecutionError(`invalid label name ${JSON.stringify(label)}`);
  const n = ev.n;
  const out = new Map<string, { labels: Labels; counts: Float64Array }>();
  for (const s of series) {
    for (let j = 0; j < s.steps.length; j++) {
      const lb = new LabelsBuilder(s.labels);
      lb.set(label, formatFloat(s.vals[j]!));
      const labels = groupingLabels(lb.labels(), e.grouping, e.without);
      const key = labelsKey(labels);
      let o = out.get(key);
      if (!o) {
        o = { labels, counts: new Float64Array(n) };
        out.set(key, o);
      }
      o.counts[s.steps[j]!]!++;
    }
  }
  const result: StepSeries[] = [];
  for (const o of out.values()) {
    const steps: number[] = [];
    const vals: number[] = [];
    for (let i = 0; i < n; i++) {
      if (o.counts[i]! > 0) {
        steps.push(i);
        vals.push(o.counts[i]!);
      }
    }
    result.push({ labels: o.labels, dropName: false, steps, vals });
  }
  return { type: "vector", series: result };
}

function isValidLabelNameUTF8(s: string): boolean {
  if (s === "" || s.includes("\ufffd")) return false;
  return !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""));
}

/** Go's container/heap over an array with a `less` order. */
function heapUp<T>(h: T[], j: number, less: (a: T, b: T) => boolean): void {
  while (j > 0) {
    const i = (j - 1) >> 1;
    if (i === j || !less(h[j]!, h[i]!)) break;
    const t = h[i]!;
    h[i] = h[j]!;
    h[j] = t;
    j = i;
  }
}

function heapDown<T>(h: T[], i0: number, n: number, less: (a: T, b: T) => boolean): void {
  let i = i0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2]!, h[j1]!)) j = j2;
    if (!less(h[j]!, h[i]!)) break;
    const t = h[i]!;
    h[i] = h[j]!;
    h[j] = t;
    i = j;
  }
}

interface KItem {
  k: number;
  f: number;
}

function ratioOffset(labels: Labels): number {
  return ratioPosition(labels);
}

function aggregateK(ev: Evaluator, e: AggregateExpr, series: StepSeries[], param: Float64Array): Value {
  const n = ev.n;
  const op = e.op;
  const { groups, of } = groupSeries(series, e);
  const bs = byStep(series, n);
  const instant = n === 1;
  const b = new SeriesBuilder();
  const ordered: StepSeries[] = [];
  const lessVal = (a: KItem, c: KItem) => Number.isNaN(a.f) || a.f < c.f;
  const lessRev = (a: KItem, c: KItem) => Number.isNaN(a.f) || a.f > c.f;
  const offsets = op === "limit_ratio" ? series.map((s) => ratioOffset(s.labels)) : null;
  for (let i = 0; i < n; i++) {
    ev.st.check();
    const from = bs.offsets[i]!;
    const to = bs.offsets[i + 1]!;
    if (from === to) continue;
    const p = param[i]!;
    let k = 0;
    let r = 0;
    if (op === "limit_ratio") {
      if (p === 0) continue;
      r = Math.max(-1, Math.min(1, p));
    } else {
      k = Math.min(toInt64(p), series.length);
      if (k < 1) continue;
    }
    const heaps: (KItem[] | undefined)[] = new Array(groups.length);
    const order: number[] = [];
    for (let q = from; q < to; q++) {
      const si = bs.sidx[q]!;
      const f = bs.vals[q]!;
      const g = of[si]!;
      let h = heaps[g];
      const item = { k: si, f };
      if (!h) {
        h = [];
        heaps[g] = h;
        order.push(g);
      }
      switch (op) {
        case "topk":
          if (h.length < k) {
            h.push(item);
            heapUp(h, h.length - 1, lessVal);
          } else if (h[0]!.f < f || (Number.isNaN(h[0]!.f) && !Number.isNaN(f))) {
            h[0] = item;
            if (k > 1) heapDown(h, 0, h.length, lessVal);
          }
          break;
        case "bottomk":
          if (h.length < k) {
            h.push(item);
            heapUp(h, h.length - 1, lessRev);
          } else if (h[0]!.f > f || (Number.isNaN(h[0]!.f) && !Number.isNaN(f))) {
            h[0] = item;
            if (k > 1) heapDown(h, 0, h.length, lessRev);
          }
          break;
        case "limitk":
          if (h.length < k) h.push(item);
          break;
        case "limit_ratio": {
          const off = offsets![si]!;
          if ((r >= 0 && off < r) || (r < 0 && off >= 1 + r)) h.push(item);
          break;
        }
      }
    }
    for (const g of groups.keys()) {
      const h = heaps[g];
      if (!h) continue;
      if (op === "topk" && h.length > 1) goSortReverse(h, lessVal);
      if (op === "bottomk" && h.length > 1) goSortReverse(h, lessRev);
      for (const it of h) {
        const s = series[it.k]!;
        if (instant) ordered.push({ labels: s.labels, dropName: s.dropName, steps: [i], vals: [it.f] });
        else b.add(s.labels, i, it.f, s.dropName);
      }
    }
    void order;
  }
  return { type: "vector", series: instant ? ordered : b.list };
}

export { labelsGet };
