import type { Matcher } from "../../model/index.js";

/**
 * The typed PromQL syntax tree, mirroring Prometheus's `promql/parser/ast.go` (3.x, including the
 * experimental duration expressions, `anchored`/`smoothed` range modifiers and the binary-operator
 * `fill` modifiers).
 *
 * Every node is a plain object discriminated by `kind`. Positions are offsets into the query
 * string in UTF-16 code units (JavaScript string indices): `start` inclusive, `end` exclusive, so
 * `query.slice(start, end)` is the node's text. (Prometheus counts bytes; `ParseError` converts to
 * byte columns when it formats a message.)
 *
 * The parser returns a fresh tree for each call. The fields documented as "adjusted by the engine"
 * (`offset`, `timestamp`) may be rewritten in place by the evaluator's preparation step, as
 * Prometheus's engine does; everything else should be treated as read-only.
 */

/** The type of value an expression evaluates to. */
export type ValueType = "scalar" | "vector" | "matrix" | "string";

/** A half-open range `[start, end)` of string indices into the query text. */
export interface PositionRange {
  /** Index of the first character of the node. */
  start: number;
  /** Index one past the last character of the node. */
  end: number;
}

/**
 * The description of a PromQL function: the single table (`FUNCTIONS` in functions.ts) that the
 * parser, the engine and the UI share.
 */
export interface FunctionDef {
  /** The name as written in queries, e.g. `rate`. */
  readonly name: string;
  /** The types of the arguments, in order. */
  readonly argTypes: readonly ValueType[];
  /**
   * Variadic count, as in Prometheus: 0 = exactly `argTypes.length` arguments; n > 0 = between
   * `argTypes.length - 1` and `argTypes.length - 1 + n` arguments; -1 = at least
   * `argTypes.length - 1`, no maximum. Arguments beyond `argTypes` take the last type.
   */
  readonly variadic: number;
  /** The type the function returns. */
  readonly returnType: ValueType;
  /** True when Prometheus guards the function behind `--enable-feature=promql-experimental-functions`. */
  readonly experimental: boolean;
}

/** Aggregation operators (`sum`, `topk`, ...). `limitk` and `limit_ratio` are experimental. */
export type AggregateOp =
  | "sum"
  | "avg"
  | "count"
  | "min"
  | "max"
  | "group"
  | "stddev"
  | "stdvar"
  | "topk"
  | "bottomk"
  | "count_values"
  | "quantile"
  | "limitk"
  | "limit_ratio";

/** Arithmetic binary operators. `atan2` is written as a keyword between operands. */
export type ArithmeticOp = "+" | "-" | "*" | "/" | "%" | "^" | "atan2";

/** Comparison operators; they filter unless `bool` is given. */
export type ComparisonOp = "==" | "!=" | ">" | "<" | ">=" | "<=";

/** Set operators; only valid between instant vectors, always many-to-many. */
export type SetOp = "and" | "or" | "unless";

/**
 * Native-histogram trim operators: `h </ x` keeps the part of each histogram below `x`
 * (trim upper), `h >/ x` the part above `x` (trim lower).
 */
export type TrimOp = "</" | ">/";

/** Every binary operator. */
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp | TrimOp;

/** How the elements of two vectors pair up in a binary operation. */
export type VectorMatchCardinality = "one-to-one" | "many-to-one" | "one-to-many" | "many-to-many";

/**
 * Vector matching of a binary operation whose operands are both vectors (`on`, `ignoring`,
 * `group_left`, `group_right`, `fill`).
 */
export interface VectorMatching {
  /** The cardinality; `many-to-many` exactly for set operators. */
  card: VectorMatchCardinality;
  /** The label names listed in `on(...)` or `ignoring(...)`. */
  matchingLabels: string[];
  /** True for `on(...)` (match on exactly these labels), false for `ignoring(...)` or none. */
  on: boolean;
  /** Extra labels copied from the "one" side: `group_left(a, b)`. Empty otherwise. */
  include: string[];
  /**
   * Values from the `fill` modifiers (experimental): `fill(v)` sets both, `fill_left(v)` the value
   * used for a missing left-hand element, `fill_right(v)` for a missing right-hand element. `null`
   * when not given.
   */
  fillValues: { lhs: number | null; rhs: number | null };
}

/** Which end of the query range `@ start()` / `@ end()` refers to. */
export type StartOrEnd = "start" | "end";

/** A number, e.g. `1`, `1e3`, `0x1f`, `Inf`, `NaN`, or a duration used as a number (`5m` = 300). */
export interface NumberLiteral {
  kind: "NumberLiteral";
  /** The value; a duration literal is converted to seconds. */
  value: number;
  /** True when written as a duration (`5m`): printed back as a duration. */
  duration: boolean;
  posRange: PositionRange;
}

/** A string literal; `value` has its escapes resolved. */
export interface StringLiteral {
  kind: "StringLiteral";
  value: string;
  posRange: PositionRange;
}

/** An instant-vector selector, e.g. `http_requests_total{job="api"} offset 5m @ 1600000000`. */
export interface VectorSelector {
  kind: "VectorSelector";
  /** The metric name written before the braces (or as a quoted name inside them); "" when none. */
  name: string;
  /**
   * All matchers, including `__name__="<name>"` for a metric name; the name matcher comes last
   * when the name was written before the braces, as in Prometheus.
   */
  matchers: Matcher[];
  /** The offset as written, in milliseconds (negative allowed); 0 when absent. */
  originalOffset: number;
  /** The offset duration expression when the offset is not a constant (uses `step()`/`range()`). */
  offsetExpr: DurationExpr | null;
  /** The offset used during evaluation, in milliseconds; the parser sets it to `originalOffset`. Adjusted by the engine. */
  offset: number;
  /** The `@` time in milliseconds since the epoch, or null. Adjusted by the engine for `start()`/`end()`. */
  timestamp: number | null;
  /** Set when `@ start()` or `@ end()` was written. */
  startOrEnd: StartOrEnd | null;
  /** True when the selector need not contain a non-empty matcher (second argument of `info`). */
  bypassEmptyMatcherCheck: boolean;
  /** True when the range selector wrapping this selector has the `anchored` modifier (experimental). */
  anchored: boolean;
  /** True when the range selector wrapping this selector has the `smoothed` modifier (experimental). */
  smoothed: boolean;
  posRange: PositionRange;
}

/** A range-vector selector: `selector[5m]`. */
export interface MatrixSelector {
  kind: "MatrixSelector";
  /** The selector the range applies to (it carries offset, `@`, anchored, smoothed). */
  vectorSelector: VectorSelector;
  /** The range in milliseconds; 0 while `rangeExpr` still has to be evaluated (uses `step()`). */
  range: number;
  /** The range as a duration expression when it was not a plain duration literal; else null. */
  rangeExpr: DurationExpr | null;
  posRange: PositionRange;
}

/** A subquery: `expr[range:step] offset d @ t`. */
export interface SubqueryExpr {
  kind: "SubqueryExpr";
  expr: Expr;
  /** The range in milliseconds (0 while `rangeExpr` still has to be evaluated). */
  range: number;
  rangeExpr: DurationExpr | null;
  /** The resolution in milliseconds; 0 means "the default evaluation interval". */
  step: number;
  stepExpr: DurationExpr | null;
  /** The offset as written, in milliseconds. */
  originalOffset: number;
  offsetExpr: DurationExpr | null;
  /** The offset used during evaluation; the parser sets it to `originalOffset`. Adjusted by the engine. */
  offset: number;
  /** The `@` time in milliseconds, or null. Adjusted by the engine for `start()`/`end()`. */
  timestamp: number | null;
  startOrEnd: StartOrEnd | null;
  posRange: PositionRange;
}

/** A function call; arguments are already type-checked against `func.argTypes`. */
export interface Call {
  kind: "Call";
  func: FunctionDef;
  args: Expr[];
  posRange: PositionRange;
}

/** An aggregation: `sum by (job) (x)`, `topk(3, x)`, `count_values("v", x)`. */
export interface AggregateExpr {
  kind: "AggregateExpr";
  op: AggregateOp;
  /** The aggregated vector expression. */
  expr: Expr;
  /** The parameter of topk, bottomk, quantile, count_values, limitk, limit_ratio; null otherwise. */
  param: Expr | null;
  /** The labels of `by (...)` or `without (...)`, in the order written. */
  grouping: string[];
  /** True for `without`. */
  without: boolean;
  posRange: PositionRange;
}

/** A binary operation. */
export interface BinaryExpr {
  kind: "BinaryExpr";
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
  /** True when `bool` was given on a comparison. */
  returnBool: boolean;
  /** Matching rules when both operands are vectors; null otherwise. */
  vectorMatching: VectorMatching | null;
  posRange: PositionRange;
}

/**
 * A unary `-` or `+` on an expression. The parser folds `-<number>` into a negative
 * NumberLiteral, as Prometheus does, so this node wraps only non-literals.
 */
export interface UnaryExpr {
  kind: "UnaryExpr";
  op: "-" | "+";
  expr: Expr;
  posRange: PositionRange;
}

/** Parentheses kept so printing preserves grouping. */
export interface ParenExpr {
  kind: "ParenExpr";
  expr: Expr;
  posRange: PositionRange;
}

/**
 * An expression that evaluates to the same result at every step (e.g. it uses `@`). The parser
 * never produces it; the engine may wrap subtrees in it. The printer prints the inner expression.
 */
export interface StepInvariantExpr {
  kind: "StepInvariantExpr";
  expr: Expr;
  posRange: PositionRange;
}

/**
 * An arithmetic duration expression inside `[...]`, after `offset`, or as a subquery step
 * (Prometheus 3's duration expressions). Leaves are NumberLiterals (seconds) or nested
 * DurationExprs.
 * - Binary: `op` is an arithmetic operator, `lhs` and `rhs` are set.
 * - Unary minus/plus: `op` is "-"/"+", `lhs` null, `rhs` set.
 * - `step()` / `range()`: `op` is "step"/"range", both null (the query step or range, in seconds).
 * - `min_of(a, b)` / `max_of(a, b)`: `op` is "min_of"/"max_of", `lhs`/`rhs` the arguments.
 * Evaluate one with `evalDurationExpr` (durations.ts).
 */
export interface DurationExpr {
  kind: "DurationExpr";
  op: "+" | "-" | "*" | "/" | "%" | "^" | "step" | "range" | "min_of" | "max_of";
  lhs: Expr | null;
  rhs: Expr | null;
  /** True when the expression was written in parentheses. */
  wrapped: boolean;
  posRange: PositionRange;
}

/** Any PromQL expression. Switch on `kind`. */
export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr
  | StepInvariantExpr
  | DurationExpr;

/** The `kind` tags of all expression nodes. */
export type ExprKind = Expr["kind"];

/** Aggregations that take a parameter as first argument. */
export const AGGREGATORS_WITH_PARAM: ReadonlySet<AggregateOp> = new Set<AggregateOp>([
  "topk",
  "bottomk",
  "count_values",
  "quantile",
  "limitk",
  "limit_ratio",
]);

/** Aggregations guarded by the experimental-functions flag in Prometheus. */
export const EXPERIMENTAL_AGGREGATORS: ReadonlySet<AggregateOp> = new Set<AggregateOp>([
  "limitk",
  "limit_ratio",
]);

/** All aggregation operator names. */
export const AGGREGATE_OPS: readonly AggregateOp[] = [
  "sum",
  "avg",
  "count",
  "min",
  "max",
  "group",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "count_values",
  "quantile",
  "limitk",
  "limit_ratio",
];

/** True for `==`, `!=`, `>`, `<`, `>=`, `<=`. */
export function isComparisonOp(op: BinaryOp): op is ComparisonOp {
  return op === "==" || op === "!=" || op === ">" || op === "<" || op === ">=" || op === "<=";
}

/** True for `and`, `or`, `unless`. */
export function isSetOp(op: BinaryOp): op is SetOp {
  return op === "and" || op === "or" || op === "unless";
}

/**
 * The value type an expression evaluates to, as Prometheus's `Expr.Type()`: a binary expression
 * is scalar only when both sides are scalars; a duration expression is a scalar.
 * @example exprType(parseExpr("rate(x[5m])")) // "vector"
 */
export function exprType(e: Expr): ValueType {
  switch (e.kind) {
    case "NumberLiteral":
    case "DurationExpr":
      return "scalar";
    case "StringLiteral":
      return "string";
    case "VectorSelector":
    case "AggregateExpr":
      return "vector";
    case "MatrixSelector":
    case "SubqueryExpr":
      return "matrix";
    case "Call":
      return e.func.returnType;
    case "BinaryExpr":
      return exprType(e.lhs) === "scalar" && exprType(e.rhs) === "scalar" ? "scalar" : "vector";
    case "UnaryExpr":
    case "ParenExpr":
    case "StepInvariantExpr":
      return exprType(e.expr);
  }
}

/**
 * The direct children of a node, in source order (aggregation: expression then parameter, as
 * Prometheus's `Children`). Duration sub-expressions (`rangeExpr`, `offsetExpr`, `stepExpr`) are
 * not children.
 */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case "AggregateExpr":
      return e.param ? [e.expr, e.param] : [e.expr];
    case "BinaryExpr":
      return [e.lhs, e.rhs];
    case "Call":
      return e.args;
    case "SubqueryExpr":
    case "ParenExpr":
    case "UnaryExpr":
    case "StepInvariantExpr":
      return [e.expr];
    case "MatrixSelector":
      return [e.vectorSelector];
    case "DurationExpr": {
      const out: Expr[] = [];
      if (e.lhs) out.push(e.lhs);
      if (e.rhs) out.push(e.rhs);
      return out;
    }
    default:
      return [];
  }
}

/**
 * Visits every node depth-first (pre-order). `f` receives the node and the path of its
 * ancestors (outermost first); returning `false` skips the node's children.
 */
export function inspect(e: Expr, f: (node: Expr, path: readonly Expr[]) => boolean | undefined): void {
  const path: Expr[] = [];
  const walk = (n: Expr): void => {
    if (f(n, path) === false) return;
    path.push(n);
    for (const c of children(n)) walk(c);
    path.pop();
  };
  walk(e);
}

/** The matcher lists of every vector selector in the expression, in source order. */
export function extractSelectors(e: Expr): Matcher[][] {
  const out: Matcher[][] = [];
  inspect(e, (n) => {
    if (n.kind === "VectorSelector") out.push(n.matchers);
    return true;
  });
  return out;
}
