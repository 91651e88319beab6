import type { Matcher } from "../../model/index.js";
import type {
  AggregateExpr,
  BinaryExpr,
  DurationExpr,
  Expr,
  MatrixSelector,
  SubqueryExpr,
  VectorSelector,
} from "./ast.js";
import { AGGREGATORS_WITH_PARAM } from "./ast.js";
import { byteLength } from "./errors.js";
import { goQuote } from "./lexer.js";

const MS_YEAR = 365 * 24 * 3600_000;
const MS_WEEK = 7 * 24 * 3600_000;
const DURATION_UNITS: ReadonlyArray<readonly [string, number, boolean]> = [
  ["y", MS_YEAR, true],
  ["w", MS_WEEK, true],
  ["d", 24 * 3600_000, false],
  ["h", 3600_000, false],
  ["m", 60_000, false],
  ["s", 1000, false],
  ["ms", 1, false],
];

/**
 * Formats milliseconds exactly like Prometheus's `model.Duration.String()`: years and weeks only
 * when they divide the duration exactly (`90d`, not `12w6d`), `0s` for zero, "" for negatives.
 * @example formatPromDuration(5400000) // "1h30m"
 */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.trunc(ms);
  let out = "";
  for (const [unit, mult, exact] of DURATION_UNITS) {
    if (exact && rest % mult !== 0) continue;
    const v = Math.trunc(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}

function secondsToMs(s: number): number {
  return Math.trunc(Math.round(s * 1e9) / 1e6);
}

function shortestDigits(v: number): { digits: string; exp: number } {
  const [mant, e] = Math.abs(v).toExponential().split("e");
  return { digits: mant!.replace(".", ""), exp: Number(e) };
}

/**
 * Formats a float like Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that
 * round-trip, never in exponent form; `+Inf`, `-Inf`, `NaN`.
 * @example formatNumber(1e3) // "1000"
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const sign = v < 0 ? "-" : "";
  const { digits, exp } = shortestDigits(v);
  const point = exp + 1;
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Formats a float like Go's `%v` (`'g'` with the shortest precision): exponent form (`1e+06`,
 * `1e-05`) when the decimal exponent is below -4 or at least 6.
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const { digits, exp } = shortestDigits(v);
  if (exp < -4 || exp >= 6) {
    const sign = v < 0 ? "-" : "";
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = exp < 0 ? "-" : "+";
    return `${sign}${m}e${es}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return formatNumber(v);
}

const LEGACY_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function writeLabels(ls: readonly string[]): string {
  return ls.map((l) => (LEGACY_NAME_RE.test(l) ? l : goQuote(l))).join(", ");
}

/** Formats a matcher as Prometheus does: `name="value"`, quoting names that are not legacy-valid. */
export function formatMatcher(m: Matcher): string {
  const name = LEGACY_NAME_RE.test(m.name) ? m.name : goQuote(m.name);
  return `${name}${m.type}${goQuote(m.value)}`;
}

function formatAt(timestamp: number | null, startOrEnd: string | null): string {
  if (timestamp !== null) return ` @ ${(timestamp / 1000).toFixed(3)}`;
  if (startOrEnd !== null) return ` @ ${startOrEnd}()`;
  return "";
}

function formatOffset(original: number, expr: DurationExpr | null): string {
  if (expr) return ` offset ${formatDurationExpr(expr)}`;
  if (original > 0) return ` offset ${formatPromDuration(original)}`;
  if (original < 0) return ` offset -${formatPromDuration(-original)}`;
  return "";
}

function formatSelectorBase(vs: VectorSelector): string {
  const parts: string[] = [];
  for (const m of vs.matchers) {
    if (m.name === "__name__" && m.type === "=" && m.value === vs.name && m.value !== "") continue;
    parts.push(formatMatcher(m));
  }
  if (parts.length === 0) return vs.name;
  parts.sort();
  return `${vs.name}{${parts.join(",")}}`;
}

function formatVectorSelector(vs: VectorSelector): string {
  let s = formatSelectorBase(vs) + formatAt(vs.timestamp, vs.startOrEnd);
  if (vs.anchored) s += " anchored";
  else if (vs.smoothed) s += " smoothed";
  return s + formatOffset(vs.originalOffset, vs.offsetExpr);
}

function formatMatrixSelector(ms: MatrixSelector): string {
  const vs = ms.vectorSelector;
  const range = ms.rangeExpr ? formatDurationExpr(ms.rangeExpr) : formatPromDuration(ms.range);
  const ext = vs.anchored ? " anchored" : vs.smoothed ? " smoothed" : "";
  return `${formatSelectorBase(vs)}[${range}]${ext}${formatAt(vs.timestamp, vs.startOrEnd)}${formatOffset(vs.originalOffset, vs.offsetExpr)}`;
}

function subquerySuffix(sq: SubqueryExpr): string {
  const range = sq.rangeExpr ? formatDurationExpr(sq.rangeExpr) : formatPromDuration(sq.range);
  const step = sq.stepExpr
    ? formatDurationExpr(sq.stepExpr)
    : sq.step !== 0
      ? formatPromDuration(sq.step)
      : "";
  return `[${range}:${step}]${formatAt(sq.timestamp, sq.startOrEnd)}${formatOffset(sq.originalOffset, sq.offsetExpr)}`;
}

function aggregatePrefix(e: AggregateExpr): string {
  if (e.without) return `${e.op} without (${writeLabels(e.grouping)}) `;
  if (e.grouping.length > 0) return `${e.op} by (${writeLabels(e.grouping)}) `;
  return e.op;
}

function binaryMatching(e: BinaryExpr): string {
  const vm = e.vectorMatching;
  if (!vm) return "";
  let s = "";
  const grouped = vm.card === "many-to-one" || vm.card === "one-to-many";
  if (vm.matchingLabels.length > 0 || vm.on || grouped) {
    s += ` ${vm.on ? "on" : "ignoring"} (${writeLabels(vm.matchingLabels)})`;
  }
  if (grouped) {
    s += ` group_${vm.card === "many-to-one" ? "left" : "right"} (${writeLabels(vm.include)})`;
  }
  const { lhs, rhs } = vm.fillValues;
  if (lhs !== null || rhs !== null) {
    if (lhs !== null && rhs !== null && Object.is(lhs, rhs)) s += ` fill (${formatGoFloat(lhs)})`;
    else {
      if (lhs !== null) s += ` fill_left (${formatGoFloat(lhs)})`;
      if (rhs !== null) s += ` fill_right (${formatGoFloat(rhs)})`;
    }
  }
  return s;
}

function binaryOperator(e: BinaryExpr): string {
  return `${e.op}${e.returnBool ? " bool" : ""}${binaryMatching(e)}`;
}

/** Formats a duration expression (the text inside `[...]` or after `offset`). */
export function formatDurationExpr(e: Expr): string {
  if (e.kind !== "DurationExpr") return formatExpr(e);
  let s: string;
  switch (e.op) {
    case "step":
    case "range":
      s = `${e.op}()`;
      break;
    case "min_of":
    case "max_of":
      s = `${e.op}(${formatDurationExpr(e.lhs!)}, ${formatDurationExpr(e.rhs!)})`;
      break;
    default:
      if (e.lhs === null) s = e.op === "-" ? `-${formatDurationExpr(e.rhs!)}` : formatDurationExpr(e.rhs!);
      else s = `${formatDurationExpr(e.lhs)} ${e.op} ${formatDurationExpr(e.rhs!)}`;
  }
  return e.wrapped ? `(${s})` : s;
}

/**
 * Prints an expression on one line, canonically, exactly as Prometheus's `Expr.String()`:
 * `sum by (job) (rate(x[5m]))`. Parsing the output gives back an equivalent tree.
 * @example formatExpr(parseExpr("sum by(job)(rate(x[5m]))")) // "sum by (job) (rate(x[5m]))"
 */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case "NumberLiteral":
      if (e.duration) {
        return e.value < 0
          ? `-${formatPromDuration(secondsToMs(-e.value))}`
          : formatPromDuration(secondsToMs(e.value));
      }
      return formatNumber(e.value);
    case "StringLiteral":
      return goQuote(e.value);
    case "VectorSelector":
      return formatVectorSelector(e);
    case "MatrixSelector":
      return formatMatrixSelector(e);
    case "SubqueryExpr":
      return formatExpr(e.expr) + subquerySuffix(e);
    case "Call":
      return `${e.func.name}(${e.args.map(formatExpr).join(", ")})`;
    case "AggregateExpr": {
      const param = AGGREGATORS_WITH_PARAM.has(e.op) && e.param ? `${formatExpr(e.param)}, ` : "";
      return `${aggregatePrefix(e)}(${param}${formatExpr(e.expr)})`;
    }
    case "BinaryExpr":
      return `${formatLhs(e)} ${binaryOperator(e)} ${formatExpr(e.rhs)}`;
    case "UnaryExpr":
      return e.op + formatExpr(e.expr);
    case "ParenExpr":
      return `(${formatExpr(e.expr)})`;
    case "StepInvariantExpr":
      return formatExpr(e.expr);
    case "DurationExpr":
      return formatDurationExpr(e);
  }
}

/**
 * The left operand of a binary expression. One deliberate difference from Prometheus: `Inf ^ x`
 * prints as `Inf ^ x`, not `+Inf ^ x`, because `^` binds tighter than a unary sign and
 * `+Inf ^ x` parses back as `+(Inf ^ x)` — a different tree, which grows a `+` each round trip.
 */
function formatLhs(e: BinaryExpr): string {
  const l = e.lhs;
  if (e.op === "^" && l.kind === "NumberLiteral" && !l.duration && l.value === Infinity) return "Inf";
  return formatExpr(l);
}

const MAX_CHARACTERS_PER_LINE = 100;

function indent(level: number): string {
  return "  ".repeat(level);
}

function needsSplit(e: Expr): boolean {
  return byteLength(formatExpr(e)) > MAX_CHARACTERS_PER_LINE;
}

function pretty(e: Expr, level: number): string {
  switch (e.kind) {
    case "AggregateExpr": {
      if (!needsSplit(e)) return indent(level) + formatExpr(e);
      let s = `${indent(level)}${aggregatePrefix(e)}(\n`;
      if (AGGREGATORS_WITH_PARAM.has(e.op) && e.param) s += `${pretty(e.param, level + 1)},\n`;
      return `${s}${pretty(e.expr, level + 1)}\n${indent(level)})`;
    }
    case "BinaryExpr":
      if (!needsSplit(e)) return indent(level) + formatExpr(e);
      return `${e.lhs.kind === "NumberLiteral" ? indent(level + 1) + formatLhs(e) : pretty(e.lhs, level + 1)}\n${indent(level)}${binaryOperator(e)}\n${pretty(e.rhs, level + 1)}`;
    case "Call":
      if (!needsSplit(e)) return indent(level) + formatExpr(e);
      return `${indent(level)}${e.func.name}(\n${e.args.map((a) => pretty(a, level + 1)).join(",\n")}\n${indent(level)})`;
    case "ParenExpr":
      if (!needsSplit(e)) return indent(level) + formatExpr(e);
      return `${indent(level)}(\n${pretty(e.expr, level + 1)}\n${indent(level)})`;
    case "StepInvariantExpr":
      return pretty(e.expr, level);
    case "SubqueryExpr":
      if (!needsSplit(e)) return formatExpr(e);
      return pretty(e.expr, level) + subquerySuffix(e);
    case "UnaryExpr":
      return `${indent(level)}${e.op}${pretty(e.expr, level).trim()}`;
    case "DurationExpr":
      return formatDurationExpr(e);
    default:
      return indent(level) + formatExpr(e);
  }
}

/**
 * Prints an expression the way Prometheus's `Pretty(0)` does (what `/api/v1/format_query`
 * returns): nodes longer than 100 characters are split over indented lines.
 */
export function prettyFormatExpr(e: Expr): string {
  return pretty(e, 0);
}
