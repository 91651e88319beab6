import type { FunctionDef, ValueType } from "./ast.js";

function def(
  name: string,
  argTypes: ValueType[],
  variadic: number,
  returnType: ValueType,
  experimental: boolean,
): FunctionDef {
  return Object.freeze({ name, argTypes: Object.freeze(argTypes), variadic, returnType, experimental });
}

/**
 * Every PromQL function of Prometheus 3 (as of the 3.x line the conformance scripts come from),
 * keyed by name, with argument types, variadic count, return type and the experimental flag.
 * This is the single table the parser, the engine and the UI use. Aggregations (`sum`, `topk`,
 * `limitk`, `limit_ratio`, ...) are operators, not functions: see `AGGREGATE_OPS` in ast.ts.
 *
 * Variadic semantics (as Prometheus's checker): with `variadic` 0 a call takes exactly
 * `argTypes.length` arguments; with n > 0 it takes between `argTypes.length - 1` and
 * `argTypes.length - 1 + n`; with -1 at least `argTypes.length - 1` and no maximum. Arguments
 * beyond `argTypes` have the type of the last entry.
 */
export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(
  [
    def("abs", ["vector"], 0, "vector", false),
    def("absent", ["vector"], 0, "vector", false),
    def("absent_over_time", ["matrix"], 0, "vector", false),
    def("acos", ["vector"], 0, "vector", false),
    def("acosh", ["vector"], 0, "vector", false),
    def("asin", ["vector"], 0, "vector", false),
    def("asinh", ["vector"], 0, "vector", false),
    def("atan", ["vector"], 0, "vector", false),
    def("atanh", ["vector"], 0, "vector", false),
    def("avg_over_time", ["matrix"], 0, "vector", false),
    def("ceil", ["vector"], 0, "vector", false),
    def("changes", ["matrix"], 0, "vector", false),
    def("clamp", ["vector", "scalar", "scalar"], 0, "vector", false),
    def("clamp_max", ["vector", "scalar"], 0, "vector", false),
    def("clamp_min", ["vector", "scalar"], 0, "vector", false),
    def("cos", ["vector"], 0, "vector", false),
    def("cosh", ["vector"], 0, "vector", false),
    def("count_over_time", ["matrix"], 0, "vector", false),
    def("day_of_month", ["vector"], 1, "vector", false),
    def("day_of_week", ["vector"], 1, "vector", false),
    def("day_of_year", ["vector"], 1, "vector", false),
    def("days_in_month", ["vector"], 1, "vector", false),
    def("deg", ["vector"], 0, "vector", false),
    def("delta", ["matrix"], 0, "vector", false),
    def("deriv", ["matrix"], 0, "vector", false),
    def("double_exponential_smoothing", ["matrix", "scalar", "scalar"], 0, "vector", true),
    def("end", [], 0, "scalar", true),
    def("exp", ["vector"], 0, "vector", false),
    def("first_over_time", ["matrix"], 0, "vector", true),
    def("floor", ["vector"], 0, "vector", false),
    def("histogram_avg", ["vector"], 0, "vector", false),
    def("histogram_count", ["vector"], 0, "vector", false),
    def("histogram_fraction", ["scalar", "scalar", "vector"], 0, "vector", false),
    def("histogram_quantile", ["scalar", "vector"], 0, "vector", false),
    def("histogram_quantiles", ["vector", "string", "scalar", "scalar"], 9, "vector", true),
    def("histogram_stddev", ["vector"], 0, "vector", false),
    def("histogram_stdvar", ["vector"], 0, "vector", false),
    def("histogram_sum", ["vector"], 0, "vector", false),
    def("hour", ["vector"], 1, "vector", false),
    def("idelta", ["matrix"], 0, "vector", false),
    def("increase", ["matrix"], 0, "vector", false),
    def("info", ["vector", "vector"], 1, "vector", true),
    def("integral", ["matrix", "scalar"], 1, "vector", true),
    def("irate", ["matrix"], 0, "vector", false),
    def("label_join", ["vector", "string", "string", "string"], -1, "vector", false),
    def("label_replace", ["vector", "string", "string", "string", "string"], 0, "vector", false),
    def("last_over_time", ["matrix"], 0, "vector", false),
    def("ln", ["vector"], 0, "vector", false),
    def("log10", ["vector"], 0, "vector", false),
    def("log2", ["vector"], 0, "vector", false),
    def("mad_over_time", ["matrix"], 0, "vector", true),
    def("max_over_time", ["matrix"], 0, "vector", false),
    def("max_of", ["scalar", "scalar"], 0, "scalar", true),
    def("min_of", ["scalar", "scalar"], 0, "scalar", true),
    def("min_over_time", ["matrix"], 0, "vector", false),
    def("minute", ["vector"], 1, "vector", false),
    def("month", ["vector"], 1, "vector", false),
    def("pi", [], 0, "scalar", false),
    def("predict_linear", ["matrix", "scalar"], 0, "vector", false),
    def("present_over_time", ["matrix"], 0, "vector", false),
    def("quantile_over_time", ["scalar", "matrix"], 0, "vector", false),
    def("rad", ["vector"], 0, "vector", false),
    def("range", [], 0, "scalar", true),
    def("rate", ["matrix"], 0, "vector", false),
    def("resets", ["matrix"], 0, "vector", false),
    def("round", ["vector", "scalar"], 1, "vector", false),
    def("scalar", ["vector"], 0, "scalar", false),
    def("sgn", ["vector"], 0, "vector", false),
    def("sin", ["vector"], 0, "vector", false),
    def("sinh", ["vector"], 0, "vector", false),
    def("sort", ["vector"], 0, "vector", false),
    def("sort_by_label", ["vector", "string"], -1, "vector", true),
    def("sort_by_label_desc", ["vector", "string"], -1, "vector", true),
    def("sort_desc", ["vector"], 0, "vector", false),
    def("sqrt", ["vector"], 0, "vector", false),
    def("start", [], 0, "scalar", true),
    def("start_timestamp", ["vector"], 0, "vector", true),
    def("stddev_over_time", ["matrix"], 0, "vector", false),
    def("stdvar_over_time", ["matrix"], 0, "vector", false),
    def("step", [], 0, "scalar", true),
    def("sum_over_time", ["matrix"], 0, "vector", false),
    def("tan", ["vector"], 0, "vector", false),
    def("tanh", ["vector"], 0, "vector", false),
    def("time", [], 0, "scalar", false),
    def("timestamp", ["vector"], 0, "vector", false),
    def("ts_of_first_over_time", ["matrix"], 0, "vector", true),
    def("ts_of_last_over_time", ["matrix"], 0, "vector", true),
    def("ts_of_max_over_time", ["matrix"], 0, "vector", true),
    def("ts_of_min_over_time", ["matrix"], 0, "vector", true),
    def("vector", ["scalar"], 0, "vector", false),
    def("year", ["vector"], 1, "vector", false),
  ].map((f) => [f.name, f] as const),
);

/**
 * Functions that accept a range selector with the `anchored` modifier (experimental); the engine
 * rejects other uses with "anchored modifier can only be used with: ...".
 */
export const ANCHORED_FUNCTIONS: readonly string[] = ["changes", "delta", "increase", "rate", "resets"];

/** Functions that accept a range selector with the `smoothed` modifier (experimental). */
export const SMOOTHED_FUNCTIONS: readonly string[] = ["delta", "increase", "rate"];

/**
 * Names Prometheus 2 accepted that Prometheus 3 renamed. Prometheus 3 rejects the old name; this
 * parser accepts it as an alias (the tree holds the new function, so it prints the new name), so
 * dashboards and rules written for Prometheus 2 keep working.
 */
export const RENAMED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ["holt_winters", "double_exponential_smoothing"],
]);

/**
 * Looks a function up by name.
 * @example getFunction("rate")?.argTypes // ["matrix"]
 */
export function getFunction(name: string): FunctionDef | undefined {
  return FUNCTIONS.get(name);
}

/** The smallest and largest number of arguments a function accepts (`max` is Infinity if unbounded). */
export function functionArity(f: FunctionDef): { min: number; max: number } {
  const n = f.argTypes.length;
  if (f.variadic === 0) return { min: n, max: n };
  if (f.variadic < 0) return { min: n - 1, max: Number.POSITIVE_INFINITY };
  return { min: n - 1, max: n - 1 + f.variadic };
}
