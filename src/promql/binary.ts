import { compareLabels, type Labels, labelsKey, METRIC_NAME } from "../model/index.js";
import { ExecutionError } from "./errors.js";
import type { Evaluator, Value } from "./eval.js";
import type { BinaryExpr, BinaryOp, VectorMatching } from "./parser/index.js";
import { byStep, dropMetadata, goLabelsString, SeriesBuilder, type StepSeries } from "./series.js";

/** Go's math.Pow where it differs from JavaScript's `**`. */
function pow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case "+":
      return l + r;
    case "-":
      return l - r;
    case "*":
      return l * r;
    case "/":
      return l / r;
    case "%":
      return l % r;
    case "^":
      return pow(l, r);
    case "atan2":
      return Math.atan2(l, r);
    default:
      throw new ExecutionError(`operator ${JSON.stringify(op)} not allowed for arithmetic`);
  }
}

function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case "==":
      return l === r;
    case "!=":
      return l !== r;
    case ">":
      return l > r;
    case "<":
      return l < r;
    case ">=":
      return l >= r;
    case "<=":
      return l <= r;
    default:
      throw new ExecutionError(`operator ${JSON.stringify(op)} is not a comparison`);
  }
}

function isComparison(op: BinaryOp): boolean {
  return op === "==" || op === "!=" || op === ">" || op === "<" || op === ">=" || op === "<=";
}

function changesSchema(op: BinaryOp): boolean {
  return op === "+" || op === "-" || op === "*" || op === "/" || op === "%" || op === "^" || op === "atan2";
}

/** Evaluates a binary expression over all steps. */
export async function evalBinary(ev: Evaluator, e: BinaryExpr): Promise<Value> {
  const lv = await ev.eval(e.lhs);
  const rv = await ev.eval(e.rhs);
  const op = e.op;
  const n = ev.n;
  if (lv.type === "scalar" && rv.type === "scalar") {
    const out = new Float64Array(n);
    const cmp = isComparison(op);
    for (let i = 0; i < n; i++) {
      out[i] = cmp ? (compare(op, lv.v[i]!, rv.v[i]!) ? 1 : 0) : arith(op, lv.v[i]!, rv.v[i]!);
    }
    return { type: "scalar", v: out };
  }
  if (lv.type === "vector" && rv.type === "scalar") return vectorScalar(ev, e, lv.series, rv.v, false);
  if (lv.type === "scalar" && rv.type === "vector") return vectorScalar(ev, e, rv.series, lv.v, true);
  if (lv.type === "vector" && rv.type === "vector") {
    const m = e.vectorMatching ?? {
      card: "one-to-one",
      matchingLabels: [],
      on: false,
      include: [],
      fillValues: { lhs: null, rhs: null },
    };
    if (op === "and" || op === "or" || op === "unless") return setOp(ev, op, lv.series, rv.series, m);
    return vectorVector(ev, e, lv.series, rv.series, m);
  }
  throw new ExecutionError(`binary operator ${op} not allowed between ${lv.type} and ${rv.type}`);
}

function vectorScalar(
  ev: Evaluator,
  e: BinaryExpr,
  series: StepSeries[],
  sc: Float64Array,
  swap: boolean,
): Value {
  const op = e.op;
  const cmp = isComparison(op);
  const dropName = changesSchema(op) || e.returnBool;
  const delayed = ev.st.opts.delayedNameRemoval;
  const b = new SeriesBuilder();
  for (const s of series) {
    const steps: number[] = [];
    const vals: number[] = [];
    for (let j = 0; j < s.steps.length; j++) {
      const i = s.steps[j]!;
      const x = s.vals[j]!;
      const l = swap ? sc[i]! : x;
      const r = swap ? x : sc[i]!;
      let v: number;
      if (cmp) {
        const keep = compare(op, l, r);
        if (e.returnBool) v = keep ? 1 : 0;
        else if (!keep) continue;
        else v = x;
      } else v = arith(op, l, r);
      steps.push(i);
      vals.push(v);
    }
    if (!steps.length) continue;
    const labels = dropName && !delayed ? dropMetadata(s.labels) : s.labels;
    b.addSeries({ labels, dropName: dropName || s.dropName, steps, vals }, labels);
  }
  return { type: "vector", series: b.list };
}

/** The matching signature of a series: its `on` labels, or all but the `ignoring` labels and the name. */
function signature(ls: Labels, m: VectorMatching): string {
  if (m.on) {
    const names = [...m.matchingLabels].sort();
    let s = "";
    for (const name of names) {
      const l = ls.find((x) => x.name === name);
      s += `${name}\xff${l ? l.value : ""}\xff`;
    }
    return s;
  }
  const drop = new Set(m.matchingLabels);
  drop.add(METRIC_NAME);
  let s = "";
  for (const l of ls) if (!drop.has(l.name)) s += `${l.name}\xff${l.value}\xff`;
  return s;
}

function matchLabels(ls: Labels, m: VectorMatching): Labels {
  if (m.on) {
    const keep = new Set(m.matchingLabels);
    return ls.filter((l) => keep.has(l.name));
  }
  const drop = new Set(m.matchingLabels);
  drop.add(METRIC_NAME);
  return ls.filter((l) => !drop.has(l.name));
}

function sigOrdinals(series: StepSeries[], m: VectorMatching, ords: Map<string, number>): Int32Array {
  const out = new Int32Array(series.length);
  for (let k = 0; k < series.length; k++) {
    const sig = signature(series[k]!.labels, m);
    let o = ords.get(sig);
    if (o === undefined) {
      o = ords.size;
      ords.set(sig, o);
    }
    out[k] = o;
  }
  return out;
}

function setOp(
  ev: Evaluator,
  op: "and" | "or" | "unless",
  lhs: StepSeries[],
  rhs: StepSeries[],
  m: VectorMatching,
): Value {
  const n = ev.n;
  const ords = new Map<string, number>();
  const ls = sigOrdinals(lhs, m, ords);
  const rs = sigOrdinals(rhs, m, ords);
  const S = ords.size;
  const rPresent = new Uint8Array(S * n);
  const rAny = new Uint8Array(n);
  for (let k = 0; k < rhs.length; k++) {
    for (const i of rhs[k]!.steps) {
      rPresent[rs[k]! * n + i] = 1;
      rAny[i] = 1;
    }
  }
  const b = new SeriesBuilder();
  const filterL = (want: boolean) => {
    for (let k = 0; k < lhs.length; k++) {
      const s = lhs[k]!;
      const steps: number[] = [];
      const vals: number[] = [];
      for (let j = 0; j < s.steps.length; j++) {
        const i = s.steps[j]!;
        if ((rPresent[ls[k]! * n + i] === 1) === want) {
          steps.push(i);
          vals.push(s.vals[j]!);
        }
      }
      if (steps.length) b.addSeries({ labels: s.labels, dropName: s.dropName, steps, vals });
    }
  };
  if (op === "and") filterL(true);
  else if (op === "unless") filterL(false);
  else {
    const lPresent = new Uint8Array(S * n);
    for (let k = 0; k < lhs.length; k++) {
      const s = lhs[k]!;
      for (const i of s.steps) lPresent[ls[k]! * n + i] = 1;
      b.addSeries(s);
    }
    for (let k = 0; k < rhs.length; k++) {
      const s = rhs[k]!;
      const steps: number[] = [];
      const vals: number[] = [];
      for (let j = 0; j < s.steps.length; j++) {
        const i = s.steps[j]!;
        if (!lPresent[rs[k]! * n + i]) {
          steps.push(i);
          vals.push(s.vals[j]!);
        }
      }
      if (steps.length) b.addSeries({ labels: s.labels, dropName: s.dropName, steps, vals });
    }
  }
  void rAny;
  return { type: "vector", series: b.list };
}

function vectorVector(
  ev: Evaluator,
  e: BinaryExpr,
  lhsIn: StepSeries[],
  rhsIn: StepSeries[],
  m: VectorMatching,
): Value {
  const n = ev.n;
  const op = e.op;
  const swap = m.card === "one-to-many";
  const L = swap ? rhsIn : lhsIn;
  const R = swap ? lhsIn : rhsIn;
  const ords = new Map<string, number>();
  const lsig = sigOrdinals(L, m, ords);
  const rsig = sigOrdinals(R, m, ords);
  const S = ords.size;
  const lb = byStep(L, n);
  const rb = byStep(R, n);
  const rightAt = new Int32Array(S);
  const rightStamp = new Int32Array(S);
  const matchedStamp = new Int32Array(S);
  const manyMatched = new Map<number, Set<string>>();
  const cmp = isComparison(op);
  const delayed = ev.st.opts.delayedNameRemoval;
  const schema = changesSchema(op);
  const metricCache = new Map<string, { labels: Labels; key: string }>();
  const includeSet = m.include;
  const keepSet = new Set(m.matchingLabels);
  const resultMetric = (ck: string, lLabels: Labels, rl: Labels) => {
    let r = metricCache.get(ck);
    if (r) return r;
    let ls = lLabels;
    if (schema) ls = dropMetadata(ls);
    if (m.card === "one-to-one") {
      ls = m.on ? ls.filter((l) => keepSet.has(l.name)) : ls.filter((l) => !keepSet.has(l.name));
    }
    if (includeSet.length) {
      const map = new Map(ls.map((l) => [l.name, l.value]));
      for (const name of includeSet) {
        const v = rl.find((l) => l.name === name)?.value ?? "";
        if (v !== "") map.set(name, v);
        else map.delete(name);
      }
      ls = [...map]
        .map(([name, value]) => ({ name, value }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    if (e.returnBool && !delayed) ls = dropMetadata(ls);
    r = { labels: ls, key: labelsKey(ls) };
    metricCache.set(ck, r);
    return r;
  };
  const fillR = m.fillValues?.rhs ?? null;
  const fillL = m.fillValues?.lhs ?? null;
  const out = new SeriesBuilder();
  const doOp = (
    i: number,
    stamp: number,
    sig: number,
    lv: number,
    rv: number,
    metric: { labels: Labels; key: string },
  ) => {
    let fl = lv;
    let fr = rv;
    if (swap) [fl, fr] = [fr, fl];
    let v: number;
    let keep = true;
    if (cmp) {
      keep = compare(op, fl, fr);
      v = fl;
    } else v = arith(op, fl, fr);
    if (e.returnBool) v = keep ? 1 : 0;
    if (m.card === "one-to-one") {
      if (matchedStamp[sig] === stamp) {
        throw new ExecutionError(
          "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)",
        );
      }
      matchedStamp[sig] = stamp;
    } else {
      let set = manyMatched.get(sig);
      if (!set) {
        set = new Set();
        manyMatched.set(sig, set);
      } else if (set.has(metric.key)) {
        throw new ExecutionError("multiple matches for labels: grouping labels must ensure unique matches");
      }
      set.add(metric.key);
    }
    if (!keep && !e.returnBool) return;
    out.add(metric.labels, i, v, e.returnBool, metric.key);
  };
  for (let i = 0; i < n; i++) {
    ev.st.check();
    const stamp = i + 1;
    const rFrom = rb.offsets[i]!;
    const rTo = rb.offsets[i + 1]!;
    const lFrom = lb.offsets[i]!;
    const lTo = lb.offsets[i + 1]!;
    if (rFrom === rTo && lFrom === lTo) continue;
    if ((rFrom === rTo || lFrom === lTo) && fillR === null && fillL === null) continue;
    for (let p = rFrom; p < rTo; p++) {
      const ri = rb.sidx[p]!;
      const sig = rsig[ri]!;
      if (rightStamp[sig] === stamp) {
        const a = R[ri]!.labels;
        const b = R[rb.sidx[rightAt[sig]!]!]!.labels;
        const [x, y] = compareLabels(a, b) <= 0 ? [a, b] : [b, a];
        throw new ExecutionError(
          `found duplicate series for the match group ${goLabelsString(matchLabels(a, m))} on the ${swap ? "left" : "right"} hand-side of the operation: [${goLabelsString(x)}, ${goLabelsString(y)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      rightStamp[sig] = stamp;
      rightAt[sig] = p;
    }
    if (m.card !== "one-to-one") manyMatched.clear();
    for (let p = lFrom; p < lTo; p++) {
      const li = lb.sidx[p]!;
      const sig = lsig[li]!;
      if (rightStamp[sig] !== stamp) {
        if (fillR === null) continue;
        const ll = L[li]!.labels;
        doOp(i, stamp, sig, lb.vals[p]!, fillR, resultMetric(`l${li}`, ll, matchLabels(ll, m)));
        continue;
      }
      const rp = rightAt[sig]!;
      const ri = rb.sidx[rp]!;
      doOp(
        i,
        stamp,
        sig,
        lb.vals[p]!,
        rb.vals[rp]!,
        resultMetric(`${li},${ri}`, L[li]!.labels, R[ri]!.labels),
      );
    }
    if (fillL !== null) {
      for (let p = rFrom; p < rTo; p++) {
        const ri = rb.sidx[p]!;
        const sig = rsig[ri]!;
        if (rightAt[sig] !== p) continue;
        const matched = m.card === "one-to-one" ? matchedStamp[sig] === stamp : manyMatched.has(sig);
        if (matched) continue;
        const rl = R[ri]!.labels;
        doOp(i, stamp, sig, fillL, rb.vals[p]!, resultMetric(`r${ri}`, matchLabels(rl, m), rl));
      }
    }
  }
  return { type: "vector", series: out.list };
}
