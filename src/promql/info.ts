/**
 * PromQL's experimental `info(v [, data-label-selector])` (Prometheus 3): enriches each series of
 * `v` with the data labels of the info series (default `target_info`) that share its identifying
 * labels (`instance`, `job`).
 */
import {
  isStaleNaN,
  type Labels,
  LabelsBuilder,
  labelsGet,
  labelsKey,
  Matcher,
  METRIC_NAME,
} from "../model/index.js";
import { ExecutionError } from "./errors.js";
import type { Evaluator, Value } from "./eval.js";
import type { Call, Expr, VectorSelector } from "./parser/index.js";
import { byStep, goLabelsString, type StepSeries } from "./series.js";

/** The info metric `info()` reads when its selector names none. */
export const TARGET_INFO = "target_info";

/** The labels that tie a series to its info series (hard-coded, as in Prometheus). */
export const IDENTIFYING_LABELS: readonly string[] = ["instance", "job"];

/**
 * The time an expression's samples refer to, when every vector-producing path of it agrees: a
 * fixed time (`at`, offset already applied) or the step time minus `offset` (`at` null).
 */
export interface InfoReference {
  at: number | null;
  offset: number;
}

/**
 * Where `info()` looks up the info series for the samples of `e` (Prometheus's reference-time
 * rule): the `@` time and offsets of the selectors every vector-producing path of `e` ends in,
 * composed through enclosing subqueries. Returns null when the paths disagree or one produces a
 * vector without a selector (`vector(1)`), so enrichment follows the step time; scalar-only
 * operands (`scalar(x @ 120)`) do not count.
 */
export function infoReference(e: Expr): InfoReference | null {
  return refOf(e) ?? null;
}

/** A reference, null for "step time", undefined for "no vector path here". */
function refOf(e: Expr): InfoReference | null | undefined {
  switch (e.kind) {
    case "NumberLiteral":
    case "StringLiteral":
    case "DurationExpr":
      return undefined;
    case "VectorSelector":
      return norm(e.timestamp, e.offset);
    case "MatrixSelector":
      return norm(e.vectorSelector.timestamp, e.vectorSelector.offset);
    case "SubqueryExpr": {
      const inner = refOf(e.expr);
      if (inner === null || inner === undefined) return null;
      if (inner.at !== null) return inner;
      return norm(e.timestamp, e.offset + inner.offset);
    }
    case "ParenExpr":
    case "StepInvariantExpr":
    case "UnaryExpr":
      return refOf(e.expr);
    case "AggregateExpr":
      return refOf(e.expr) ?? null;
    case "BinaryExpr":
      return combine([refOf(e.lhs), refOf(e.rhs)]);
    case "Call": {
      if (e.func.returnType === "scalar" || e.func.returnType === "string") return undefined;
      const args = e.func.name === "info" ? e.args.slice(0, 1) : e.args;
      return combine(args.map(refOf)) ?? null;
    }
  }
}

function norm(at: number | null, offset: number): InfoReference {
  return at === null ? { at: null, offset } : { at: at - offset, offset: 0 };
}

function combine(refs: (InfoReference | null | undefined)[]): InfoReference | null | undefined {
  let out: InfoReference | undefined;
  for (const r of refs) {
    if (r === undefined) continue;
    if (r === null) return null;
    if (out === undefined) out = r;
    else if (out.at !== r.at || out.offset !== r.offset) return null;
  }
  return out;
}

/**
 * The `__name__` matchers that say which series are info series (Prometheus's effective info-name
 * matchers): those of the selector when one is positive; `=~".+_info"` plus the negative ones when
 * all are negative; `__name__="target_info"` when there are none.
 */
export function infoNameMatchers(selector: readonly Matcher[]): Matcher[] {
  const names = selector.filter((m) => m.name === METRIC_NAME);
  if (names.some((m) => m.type === "=" || m.type === "=~")) return names;
  if (names.length) return [new Matcher("=~", METRIC_NAME, ".+_info"), ...names];
  return [new Matcher("=", METRIC_NAME, TARGET_INFO)];
}

/** Escapes RE2 metacharacters (Go's regexp.QuoteMeta). */
function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
}

/** The identifying part of a signature: the identifying labels the set has, in order. */
function idKey(ls: Labels): string {
  let s = "";
  for (const name of IDENTIFYING_LABELS) {
    const v = labelsGet(ls, name);
    if (v !== "") s += `${name}\xff${v}\xff`;
  }
  return s;
}

/** One fetched info series: its labels, signature and, per step, its sample's timestamp (NaN: none). */
interface InfoSeries {
  labels: Labels;
  name: string;
  sig: string;
  origT: Float64Array;
}

/**
 * Evaluates `info(v [, selector])` for all steps of `ev`. Info series are the float series that
 * match the effective name matchers, the selector's other matchers and the identifying-label
 * values of the (non-info) input series; at each step the one with the latest sample in the
 * lookback window wins per info metric and identifying labels (two with the same timestamp are an
 * error), and its data labels not already on the series are added. Data labels of different info
 * metrics that disagree are an error (`conflicting label: X`). A series without any info series
 * is dropped when a data-label matcher rejects the empty string, and kept unchanged otherwise;
 * series that are themselves info series pass through unchanged.
 */
export async function evalInfo(ev: Evaluator, call: Call): Promise<Value> {
  const base = await ev.evalVector(call.args[0]!);
  const sel = call.args[1] as VectorSelector | undefined;
  const selMatchers = sel?.matchers ?? [];
  const nameMatchers = infoNameMatchers(selMatchers);
  const dataMatchers = new Map<string, Matcher[]>();
  for (const m of selMatchers) {
    if (m.name === METRIC_NAME) continue;
    const ms = dataMatchers.get(m.name);
    if (ms) ms.push(m);
    else dataMatchers.set(m.name, [m]);
  }
  const dropUnmatched = selMatchers.some((m) => m.name !== METRIC_NAME && !m.matches(""));

  const ignored = new Uint8Array(base.length);
  const idValues = new Map<string, Set<string>>();
  for (let k = 0; k < base.length; k++) {
    const ls = base[k]!.labels;
    const name = labelsGet(ls, METRIC_NAME);
    if (nameMatchers.every((m) => m.matches(name))) {
      ignored[k] = 1;
      continue;
    }
    for (const l of IDENTIFYING_LABELS) {
      const v = labelsGet(ls, l);
      if (v === "") continue;
      let set = idValues.get(l);
      if (!set) {
        set = new Set();
        idValues.set(l, set);
      }
      set.add(v);
    }
  }

  const n = ev.n;
  const ref = new Float64Array(n);
  const r = infoReference(call.args[0]!);
  for (let i = 0; i < n; i++) ref[i] = r === null ? ev.ts(i) : (r.at ?? ev.ts(i)) - r.offset;
  const infos = idValues.size ? await fetchInfoSeries(ev, nameMatchers, selMatchers, idValues, ref) : [];

  // Signatures (info metric name + identifying labels) are interned; base series look theirs up
  // once per info metric, so the step loop works on integer ids only.
  const infoNames = [...new Set(infos.map((s) => s.name))];
  const M = infoNames.length;
  const sigIds = new Map<string, number>();
  const infoSig = new Int32Array(infos.length);
  for (let q = 0; q < infos.length; q++) {
    const sig = infos[q]!.sig;
    let id = sigIds.get(sig);
    if (id === undefined) {
      id = sigIds.size;
      sigIds.set(sig, id);
    }
    infoSig[q] = id;
  }
  const baseSig = new Int32Array(base.length * M).fill(-1);
  for (let k = 0; k < base.length; k++) {
    if (ignored[k]) continue;
    const id = idKey(base[k]!.labels);
    for (let m = 0; m < M; m++) baseSig[k * M + m] = sigIds.get(`${infoNames[m]}\x00${id}`) ?? -1;
  }

  const outMap = new Map<string, StepSeries>();
  const outList: StepSeries[] = [];
  const target = (labels: Labels, dropName: boolean): StepSeries => {
    const key = labelsKey(labels);
    let o = outMap.get(key);
    if (!o) {
      o = { labels, dropName, steps: [], vals: [] };
      outMap.set(key, o);
      outList.push(o);
    } else if (dropName) o.dropName = true;
    return o;
  };
  const bs = byStep(base, n);
  const chosen = new Int32Array(sigIds.size);
  // Per base series: the info series it was last enriched from (-2: none yet) and the output series.
  const lastPicks = new Int32Array(base.length * M).fill(-2);
  const outOf: (StepSeries | null | undefined)[] = new Array(base.length);
  const picks: number[] = [];
  for (let i = 0; i < n; i++) {
    ev.st.check();
    const from = bs.offsets[i]!;
    const to = bs.offsets[i + 1]!;
    if (from === to) continue;
    chosen.fill(-1);
    for (let q = 0; q < infos.length; q++) {
      const t = infos[q]!.origT[i]!;
      if (Number.isNaN(t)) continue;
      const sig = infoSig[q]!;
      const prev = chosen[sig]!;
      if (prev < 0) {
        chosen[sig] = q;
        continue;
      }
      const pt = infos[prev]!.origT[i]!;
      if (pt === t) {
        throw new ExecutionError(
          `found duplicate series for info metric: existing ${goLabelsString(infos[prev]!.labels)} @ ${pt}, new ${goLabelsString(infos[q]!.labels)} @ ${t}`,
        );
      }
      if (t > pt) chosen[sig] = q;
    }
    for (let p = from; p < to; p++) {
      const k = bs.sidx[p]!;
      const s = base[k]!;
      let o = outOf[k];
      if (ignored[k]) {
        if (o === undefined) {
          o = target(s.labels, s.dropName);
          outOf[k] = o;
        }
      } else {
        let changed = o === undefined;
        for (let m = 0; m < M; m++) {
          const sig = baseSig[k * M + m]!;
          const q = sig < 0 ? -1 : chosen[sig]!;
          if (lastPicks[k * M + m] !== q) {
            lastPicks[k * M + m] = q;
            changed = true;
          }
        }
        if (changed) {
          picks.length = 0;
          for (let m = 0; m < M; m++) if (lastPicks[k * M + m]! >= 0) picks.push(lastPicks[k * M + m]!);
          const labels = enrich(s, picks, infos, dataMatchers, dropUnmatched);
          o = labels ? target(labels, s.dropName) : null;
          outOf[k] = o;
        }
      }
      if (!o) continue;
      if (o.steps.length && o.steps[o.steps.length - 1] === i) {
        throw new ExecutionError("vector cannot contain metrics with the same labelset");
      }
      o.steps.push(i);
      o.vals.push(bs.vals[p]!);
    }
  }
  return { type: "vector", series: outList };
}

/** The labels of `s` enriched from the chosen info series; null when the sample is dropped. */
function enrich(
  s: StepSeries,
  picks: readonly number[],
  infos: readonly InfoSeries[],
  dataMatchers: ReadonlyMap<string, Matcher[]>,
  dropUnmatched: boolean,
): Labels | null {
  if (picks.length === 0) return dropUnmatched ? null : s.labels;
  const added = new Map<string, string>();
  for (const q of picks) {
    for (const l of infos[q]!.labels) {
      if (l.name === METRIC_NAME) continue;
      if (dataMatchers.size > 0 && !dataMatchers.has(l.name)) continue;
      const prev = added.get(l.name);
      if (prev !== undefined && prev !== l.value) throw new ExecutionError(`conflicting label: ${l.name}`);
      if (labelsGet(s.labels, l.name) !== "") continue;
      added.set(l.name, l.value);
    }
  }
  if (added.size === 0) return s.labels;
  const b = new LabelsBuilder(s.labels);
  for (const [name, value] of added) b.set(name, value);
  return b.labels();
}

/**
 * Selects the info series for the identifying-label values seen and records, per step, the
 * timestamp of each one's sample in the lookback window before the step's reference time.
 */
async function fetchInfoSeries(
  ev: Evaluator,
  nameMatchers: readonly Matcher[],
  selMatchers: readonly Matcher[],
  idValues: ReadonlyMap<string, ReadonlySet<string>>,
  ref: Float64Array,
): Promise<InfoSeries[]> {
  const matchers: Matcher[] = [...nameMatchers];
  for (const [name, vals] of idValues)
    matchers.push(new Matcher("=~", name, [...vals].map(quoteMeta).join("|")));
  for (const m of selMatchers) if (m.name !== METRIC_NAME) matchers.push(m);
  const lookback = ev.st.opts.lookbackDelta;
  let minRef = Number.POSITIVE_INFINITY;
  let maxRef = Number.NEGATIVE_INFINITY;
  for (const t of ref) {
    if (t < minRef) minRef = t;
    if (t > maxRef) maxRef = t;
  }
  const vs: VectorSelector = {
    kind: "VectorSelector",
    name: "",
    matchers,
    originalOffset: 0,
    offsetExpr: null,
    offset: 0,
    timestamp: null,
    startOrEnd: null,
    bypassEmptyMatcherCheck: true,
    anchored: false,
    smoothed: false,
    posRange: { start: 0, end: 0 },
  };
  const data = await ev.load(vs, minRef - lookback + 1, maxRef, false);
  const out: InfoSeries[] = [];
  const n = ref.length;
  for (const s of data) {
    const { t, v } = s;
    const origT = new Float64Array(n).fill(Number.NaN);
    let any = false;
    for (let i = 0; i < n; i++) {
      const at = ref[i]!;
      let lo = 0;
      let hi = t.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (t[mid]! <= at) lo = mid + 1;
        else hi = mid;
      }
      const j = lo - 1;
      if (j < 0 || t[j]! <= at - lookback) continue;
      const x = v[j]!;
      if (Number.isNaN(x) && isStaleNaN(x)) continue;
      origT[i] = t[j]!;
      any = true;
    }
    if (!any) continue;
    const name = labelsGet(s.labels, METRIC_NAME);
    out.push({ labels: s.labels, name, sig: `${name}\x00${idKey(s.labels)}`, origT });
  }
  return out;
}
