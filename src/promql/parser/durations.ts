import type { DurationExpr, Expr, MatrixSelector, SubqueryExpr, VectorSelector } from "./ast.js";
import { inspect } from "./ast.js";

/** The query parameters a duration expression may refer to (`step()`, `range()`), in milliseconds. */
export interface DurationContext {
  /** The range-query step (0 for an instant query). */
  stepMs: number;
  /** The range-query range, end minus start (0 for an instant query). */
  rangeMs: number;
}

/** Thrown when a duration expression cannot be evaluated (division by zero, out of range). */
export class DurationExprError extends Error {
  override name = "DurationExprError";
}

/** True when the duration expression uses `step()` or `range()` and so depends on the query. */
export function durationExprIsDynamic(e: Expr): boolean {
  let dynamic = false;
  inspect(e, (n) => {
    if (n.kind === "DurationExpr" && (n.op === "step" || n.op === "range")) dynamic = true;
    return !dynamic;
  });
  return dynamic;
}

/**
 * Evaluates a duration expression (a NumberLiteral or DurationExpr in seconds) to seconds.
 * @example evalDurationSeconds(parsedRangeExpr, { stepMs: 15000, rangeMs: 0 })
 */
export function evalDurationSeconds(e: Expr, ctx: DurationContext): number {
  switch (e.kind) {
    case "NumberLiteral":
      return e.value;
    case "ParenExpr":
      return evalDurationSeconds(e.expr, ctx);
    case "DurationExpr":
      return evalOp(e, ctx);
    default:
      throw new DurationExprError(`unexpected ${e.kind} in duration expression`);
  }
}

function evalOp(e: DurationExpr, ctx: DurationContext): number {
  switch (e.op) {
    case "step":
      return ctx.stepMs / 1000;
    case "range":
      return ctx.rangeMs / 1000;
    case "min_of":
      return Math.min(evalDurationSeconds(e.lhs!, ctx), evalDurationSeconds(e.rhs!, ctx));
    case "max_of":
      return Math.max(evalDurationSeconds(e.lhs!, ctx), evalDurationSeconds(e.rhs!, ctx));
  }
  const r = evalDurationSeconds(e.rhs!, ctx);
  if (e.lhs === null) return e.op === "-" ? -r : r;
  const l = evalDurationSeconds(e.lhs, ctx);
  switch (e.op) {
    case "+":
      return l + r;
    case "-":
      return l - r;
    case "*":
      return l * r;
    case "/":
      if (r === 0) throw new DurationExprError("division by zero");
      return l / r;
    case "%":
      if (r === 0) throw new DurationExprError("modulo by zero");
      return l % r;
    case "^":
      return l ** r;
  }
}

const MAX_DURATION_SECONDS = 2 ** 63 / 1e9;

/**
 * Evaluates a duration expression to whole milliseconds, truncating like Prometheus's
 * `time.Duration(seconds * 1e9)`. Throws DurationExprError when the result is out of range or,
 * unless `allowNegative`, not greater than zero.
 */
export function evalDurationMs(e: Expr, ctx: DurationContext, allowNegative: boolean): number {
  const s = evalDurationSeconds(e, ctx);
  if (!Number.isFinite(s) || Math.abs(s) >= MAX_DURATION_SECONDS) {
    throw new DurationExprError("duration out of range");
  }
  const ms = Math.trunc(Math.round(s * 1e9) / 1e6);
  if (!allowNegative && ms <= 0) throw new DurationExprError("duration must be greater than 0");
  return ms;
}

/**
 * Fills in the millisecond fields (`range`, `step`, `originalOffset`, `offset`) of every
 * selector and subquery whose duration was written as an expression using `step()` or
 * `range()`. The engine calls it once per query, before evaluation; the parser already resolved
 * constant expressions.
 */
export function resolveDurationExprs(root: Expr, ctx: DurationContext): void {
  inspect(root, (n) => {
    if (n.kind === "MatrixSelector") resolveMatrix(n, ctx);
    else if (n.kind === "SubqueryExpr") resolveSubquery(n, ctx);
    else if (n.kind === "VectorSelector") resolveOffset(n, ctx);
    return true;
  });
}

function resolveMatrix(n: MatrixSelector, ctx: DurationContext): void {
  if (n.rangeExpr && durationExprIsDynamic(n.rangeExpr)) n.range = evalDurationMs(n.rangeExpr, ctx, false);
}

function resolveSubquery(n: SubqueryExpr, ctx: DurationContext): void {
  if (n.rangeExpr && durationExprIsDynamic(n.rangeExpr)) n.range = evalDurationMs(n.rangeExpr, ctx, false);
  if (n.stepExpr && durationExprIsDynamic(n.stepExpr)) n.step = evalDurationMs(n.stepExpr, ctx, false);
  resolveOffset(n, ctx);
}

function resolveOffset(n: VectorSelector | SubqueryExpr, ctx: DurationContext): void {
  if (n.offsetExpr && durationExprIsDynamic(n.offsetExpr)) {
    n.originalOffset = evalDurationMs(n.offsetExpr, ctx, true);
    n.offset = n.originalOffset;
  }
}
