/**
 * Runs promqltest scripts against the engine and the in-memory Head: executes loads and clears,
 * evaluates each eval and compares the result with its expectations (FORMAT.md §9–§10).
 */
import { compareLabels, formatLabels, type Labels, labelsKey, STALE_NAN } from "../../model/index.js";
import { Head } from "../../tsdb/index.js";
import { Engine } from "../engine.js";
import { type Expr, parseExpr } from "../parser/index.js";
import type { QueryResult } from "../value.js";
import type { Command, EvalCmd, LoadCmd, SeriesLine } from "./script.js";

const SMALLEST_NORMAL = 2.2250738585072014e-308;

/** The runner's float comparison (relative tolerance 1e-6, NaN equal to NaN). */
export function floatsMatch(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  const eps = 1e-6;
  const abs = Math.abs(a - b);
  if (a === 0 || b === 0 || Math.abs(a) + Math.abs(b) < SMALLEST_NORMAL) return abs < eps * SMALLEST_NORMAL;
  return abs / Math.min(Math.abs(a) + Math.abs(b), Number.MAX_VALUE) < eps;
}

/** True when a script line's expected output or data needs native histograms. */
export function usesHistogramLiteral(lines: readonly SeriesLine[]): boolean {
  return lines.some((l) => l.slots.some((s) => s.kind === "histogram"));
}

/** Executes the commands of one script in order. */
export class ScriptRunner {
  private head = newHead();
  private next = 0;
  /** Metric names that received native-histogram samples since the last clear. */
  readonly histogramMetrics = new Set<string>();

  constructor(
    private readonly cmds: readonly Command[],
    private readonly engine = new Engine({
      enableDelayedNameRemoval: process.env.PROMQL_CONFORMANCE_DELAYED !== "0",
    }),
  ) {}

  /** Runs every load/clear before command index `idx`. */
  async advanceTo(idx: number): Promise<void> {
    for (; this.next < idx; this.next++) {
      const c = this.cmds[this.next]!;
      if (c.kind === "clear") {
        await this.head.close();
        this.head = newHead();
        this.histogramMetrics.clear();
      } else if (c.kind === "load") await this.load(c);
    }
  }

  private async load(c: LoadCmd): Promise<void> {
    const byKey = new Map<string, SeriesLine>();
    for (const s of c.series) byKey.set(labelsKey(s.labels), s);
    const app = this.head.appender();
    for (const s of byKey.values()) {
      for (let i = 0; i < s.slots.length; i++) {
        const slot = s.slots[i]!;
        const t = i * c.stepMs;
        if (slot.kind === "float") app.append(0, s.labels, t, slot.v);
        else if (slot.kind === "stale") app.append(0, s.labels, t, STALE_NAN);
        else if (slot.kind === "histogram") {
          const name = s.labels.find((l) => l.name === "__name__")?.value ?? "";
          this.histogramMetrics.add(name);
        }
      }
    }
    await app.commit();
  }

  /** Runs the eval at command index `idx` (after the loads before it); resolves to a failure text or null. */
  async runEval(idx: number): Promise<string | null> {
    await this.advanceTo(idx);
    this.next = idx + 1;
    const c = this.cmds[idx] as EvalCmd;
    const err = await this.runOne(c);
    if (err !== null || !c.instant || c.rangeVector || AT_UNSAFE.test(c.expr)) return err;
    return this.stepInvarianceCheck(c);
  }

  /**
   * FORMAT.md §11.1: with `@ t` added to every selector and subquery, the query must give the
   * same result (or failure) at other evaluation times.
   */
  private async stepInvarianceCheck(c: EvalCmd): Promise<string | null> {
    const t = c.startMs;
    const times = t === 0 ? [-1000, 0, 1000] : [-10 * t, 0, t / 5, t, 10 * t];
    for (const at of times) {
      let expr: Expr;
      try {
        expr = addAt(parseExpr(c.expr), t);
      } catch {
        return null;
      }
      let res: QueryResult;
      try {
        res = await this.engine.instantQuery(this.head, expr, at);
      } catch (e) {
        if (c.fail) continue;
        return `with @ ${t} at ${at}: unexpected error: ${(e as Error).message}`;
      }
      if (c.fail) return `with @ ${t} at ${at}: expected error`;
      const err = compareResult(c, res);
      if (err !== null) return `with @ ${t} at ${at}: ${err}`;
    }
    return null;
  }

  private async runOne(c: EvalCmd): Promise<string | null> {
    let res: QueryResult;
    try {
      if (c.instant) {
        const at = c.rangeVector ? c.rangeVector.endMs : c.startMs;
        res = await this.engine.instantQuery(this.head, c.expr, at);
      } else res = await this.engine.rangeQuery(this.head, c.expr, c.startMs, c.endMs, c.stepMs);
    } catch (err) {
      const msg = (err as Error).message;
      if (!c.fail) return `unexpected error: ${msg}`;
      if (c.fail.msg !== undefined && msg !== c.fail.msg)
        return `expected error ${JSON.stringify(c.fail.msg)}, got ${JSON.stringify(msg)}`;
      if (c.fail.regex !== undefined && !new RegExp(c.fail.regex).test(msg)) {
        return `expected error matching ${c.fail.regex}, got ${JSON.stringify(msg)}`;
      }
      return null;
    }
    if (c.fail) return `expected error, got ${res.resultType} result`;
    const annErr =
      checkAnnotations("warn", c.warn, res.warnings) ?? checkAnnotations("info", c.info, res.infos);
    if (annErr) return annErr;
    return compareResult(c, res);
  }
}

function checkAnnotations(kind: string, spec: EvalCmd["warn"], got: string[]): string | null {
  if (spec.none) return got.length ? `expected no ${kind} annotations, got ${JSON.stringify(got)}` : null;
  if (spec.any) return got.length ? null : `expected a ${kind} annotation, got none`;
  if (!spec.lines.length) return null;
  if (!got.length) return `expected ${kind} annotations, got none`;
  const matches = (l: { msg?: string; regex?: string }, a: string) =>
    l.msg !== undefined ? a === l.msg : l.regex !== undefined ? new RegExp(l.regex).test(a) : true;
  for (const l of spec.lines) {
    if (!got.some((a) => matches(l, a)))
      return `no ${kind} annotation matches ${JSON.stringify(l)}; got ${JSON.stringify(got)}`;
  }
  for (const a of got) {
    if (!spec.lines.some((l) => matches(l, a))) return `unexpected ${kind} annotation ${JSON.stringify(a)}`;
  }
  return null;
}

function fmtVal(v: number): string {
  return Number.isNaN(v) ? "NaN" : String(v);
}

function compareResult(c: EvalCmd, res: QueryResult): string | null {
  if (c.string !== null) {
    if (res.resultType !== "string") return `expected string, got ${res.resultType}`;
    return res.result.value === c.string
      ? null
      : `expected string ${JSON.stringify(c.string)}, got ${JSON.stringify(res.result.value)}`;
  }
  if (c.scalar !== null) {
    if (res.resultType !== "scalar") return `expected scalar ${c.scalar}, got ${res.resultType}`;
    return floatsMatch(res.result.v, c.scalar)
      ? null
      : `expected scalar ${fmtVal(c.scalar)}, got ${fmtVal(res.result.v)}`;
  }
  if (usesHistogramLiteral(c.series)) return "expectation contains native histograms (not supported)";
  const expected = new Map<string, SeriesLine>();
  for (const s of c.series) expected.set(labelsKey(s.labels), s);
  if (res.resultType === "vector") {
    if (!c.instant || c.rangeVector) return `expected a matrix, got a vector`;
    const seen = new Set<string>();
    for (let k = 0; k < res.result.length; k++) {
      const r = res.result[k]!;
      const key = labelsKey(r.labels);
      const exp = expected.get(key);
      if (!exp) return `unexpected series ${formatLabels(r.labels)} ${fmtVal(r.v)}`;
      if (c.ordered && c.series[k] && labelsKey(c.series[k]!.labels) !== key) {
        return `expected ${formatLabels(c.series[k]!.labels)} at position ${k + 1}, got ${formatLabels(r.labels)}`;
      }
      seen.add(key);
      const slot = exp.slots[0];
      if (slot?.kind !== "float") {
        if (slot?.kind === "stale") continue;
        return `bad expectation for ${formatLabels(r.labels)}`;
      }
      if (!floatsMatch(r.v, slot.v))
        return `${formatLabels(r.labels)}: expected ${fmtVal(slot.v)}, got ${fmtVal(r.v)}`;
    }
    for (const [key, s] of expected) if (!seen.has(key)) return `missing series ${formatLabels(s.labels)}`;
    return null;
  }
  if (res.resultType === "matrix") {
    if (c.instant && !c.rangeVector) return "expected an instant vector, got a matrix";
    if (c.ordered) return "ordered expectation on a matrix result";
    for (let k = 1; k < res.result.length; k++) {
      if (compareLabels(res.result[k - 1]!.labels, res.result[k]!.labels) >= 0)
        return "matrix not sorted by labels";
    }
    const start = c.rangeVector ? c.rangeVector.startMs : c.startMs;
    const step = c.rangeVector ? c.rangeVector.stepMs : c.stepMs;
    const seen = new Set<string>();
    for (const r of res.result) {
      const key = labelsKey(r.labels);
      const exp = expected.get(key);
      if (!exp) return `unexpected series ${formatLabels(r.labels)} (${r.t.length} points)`;
      seen.add(key);
      const want: { t: number; v: number }[] = [];
      exp.slots.forEach((s, i) => {
        if (s.kind === "float") want.push({ t: start + i * step, v: s.v });
      });
      if (want.length !== r.t.length) {
        return `${formatLabels(r.labels)}: expected ${want.length} points, got ${r.t.length}: ${describePoints(r.t, r.v)}`;
      }
      for (let i = 0; i < want.length; i++) {
        if (r.t[i] !== want[i]!.t || !floatsMatch(r.v[i]!, want[i]!.v)) {
          return `${formatLabels(r.labels)}: point ${i}: expected ${fmtVal(want[i]!.v)}@${want[i]!.t}, got ${fmtVal(r.v[i]!)}@${r.t[i]}`;
        }
      }
    }
    for (const [key, s] of expected) if (!seen.has(key)) return `missing series ${formatLabels(s.labels)}`;
    return null;
  }
  if (res.resultType === "scalar") return `unexpected scalar ${fmtVal(res.result.v)}`;
  return `unexpected ${res.resultType} result`;
}

function describePoints(t: Float64Array, v: Float64Array): string {
  const parts: string[] = [];
  for (let i = 0; i < t.length && i < 8; i++) parts.push(`${fmtVal(v[i]!)}@${t[i]}`);
  return parts.join(" ");
}

export type { Labels };

const AT_UNSAFE =
  /\b(days_in_month|day_of_month|day_of_week|day_of_year|end|hour|minute|month|year|predict_linear|range|start|step|time|timestamp)\s*\(/;

/** Adds `@ t` to every selector and subquery without one, not descending into subqueries. */
function addAt(e: Expr, t: number): Expr {
  const visit = (n: Expr): void => {
    switch (n.kind) {
      case "VectorSelector":
        if (n.timestamp === null && n.startOrEnd === null) n.timestamp = t;
        return;
      case "MatrixSelector":
        visit(n.vectorSelector);
        return;
      case "SubqueryExpr":
        // Selectors below a subquery with `@` (given or just added) are left alone.
        if (n.timestamp === null && n.startOrEnd === null) n.timestamp = t;
        return;
      case "Call":
        n.args.forEach(visit);
        return;
      case "AggregateExpr":
        visit(n.expr);
        if (n.param) visit(n.param);
        return;
      case "BinaryExpr":
        visit(n.lhs);
        visit(n.rhs);
        return;
      case "UnaryExpr":
      case "ParenExpr":
      case "StepInvariantExpr":
        visit(n.expr);
        return;
      default:
        return;
    }
  };
  visit(e);
  return e;
}

/** A head that accepts samples at any time (test scripts load old data after new). */
function newHead(): Head {
  return new Head({ chunkRange: 2 ** 50 });
}
