import { type Labels, labelsToRecord } from "../model/index.js";

/** One series of a range-vector result: its labels and its points (times in ms, values). */
export interface MatrixSeries {
  readonly labels: Labels;
  readonly t: Float64Array;
  readonly v: Float64Array;
}

/** One element of an instant-vector result. */
export interface VectorSample {
  readonly labels: Labels;
  /** Timestamp in ms (the evaluation time). */
  readonly t: number;
  readonly v: number;
}

/** A scalar result at time `t` (ms). */
export interface ScalarValue {
  readonly t: number;
  readonly v: number;
}

/** A string result at time `t` (ms). */
export interface StringValue {
  readonly t: number;
  readonly value: string;
}

/** Annotations that travel beside a result. */
interface Annotated {
  /** Warning annotations, as Prometheus prints them (`PromQL warning: ... (1:7)`). */
  readonly warnings: string[];
  /** Info annotations (`PromQL info: ...`). */
  readonly infos: string[];
}

/** The result of a query: one of Prometheus's four result types, plus annotations. */
export type QueryResult =
  | ({ readonly resultType: "matrix"; readonly result: MatrixSeries[] } & Annotated)
  | ({ readonly resultType: "vector"; readonly result: VectorSample[] } & Annotated)
  | ({ readonly resultType: "scalar"; readonly result: ScalarValue } & Annotated)
  | ({ readonly resultType: "string"; readonly result: StringValue } & Annotated);

/**
 * Formats a float the way Prometheus's JSON API does (Go `strconv.FormatFloat(f, 'f', -1, 64)`):
 * the shortest representation that round-trips, never with an exponent; `NaN`, `+Inf`, `-Inf`.
 * @example formatFloat(1e21) // "1000000000000000000000"
 */
export function formatFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Number.POSITIVE_INFINITY) return "+Inf";
  if (f === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Object.is(f, -0)) return "-0";
  const s = String(f);
  const e = s.indexOf("e");
  if (e < 0) return s;
  const neg = s[0] === "-";
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf(".");
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const pointPos = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (pointPos <= 0) out = `0.${"0".repeat(-pointPos)}${digits}`;
  else if (pointPos >= digits.length) out = digits + "0".repeat(pointPos - digits.length);
  else out = `${digits.slice(0, pointPos)}.${digits.slice(pointPos)}`;
  return neg ? `-${out}` : out;
}

/**
 * Formats a millisecond timestamp as Prometheus writes it in JSON: seconds with up to three
 * decimals (`1435781451.781`, `10`, `0.5`).
 */
export function formatTimestamp(ms: number): string {
  return String(ms / 1000);
}

/** A JSON point: `[seconds, "value"]`. */
export type JsonPoint = [number, string];

/** The `data` object of a Prometheus query response. */
export type QueryResultJSON =
  | { resultType: "matrix"; result: { metric: Record<string, string>; values: JsonPoint[] }[] }
  | { resultType: "vector"; result: { metric: Record<string, string>; value: JsonPoint }[] }
  | { resultType: "scalar"; result: JsonPoint }
  | { resultType: "string"; result: [number, string] };

/**
 * Renders a result into the exact `data` shape of Prometheus's `/api/v1/query(_range)` answer:
 * values as strings (see {@link formatFloat}), timestamps as seconds.
 * @example queryResultToJSON(result) // { resultType: "vector", result: [{ metric: {...}, value: [10, "1"] }] }
 */
export function queryResultToJSON(r: QueryResult): QueryResultJSON {
  switch (r.resultType) {
    case "scalar":
      return { resultType: "scalar", result: [r.result.t / 1000, formatFloat(r.result.v)] };
    case "string":
      return { resultType: "string", result: [r.result.t / 1000, r.result.value] };
    case "vector":
      return {
        resultType: "vector",
        result: r.result.map((s) => ({
          metric: labelsToRecord(s.labels),
          value: [s.t / 1000, formatFloat(s.v)],
        })),
      };
    case "matrix":
      return {
        resultType: "matrix",
        result: r.result.map((s) => {
          const values: JsonPoint[] = new Array(s.t.length);
          for (let i = 0; i < s.t.length; i++) values[i] = [s.t[i]! / 1000, formatFloat(s.v[i]!)];
          return { metric: labelsToRecord(s.labels), values };
        }),
      };
  }
}

/**
 * Serialises {@link queryResultToJSON}'s object straight to a JSON string without building the
 * intermediate objects (faster for large matrices). The text parses to the same value.
 */
export function queryResultToJSONString(r: QueryResult): string {
  if (r.resultType !== "matrix") return JSON.stringify(queryResultToJSON(r));
  const parts: string[] = ['{"resultType":"matrix","result":['];
  for (let i = 0; i < r.result.length; i++) {
    const s = r.result[i]!;
    if (i > 0) parts.push(",");
    parts.push('{"metric":', JSON.stringify(labelsToRecord(s.labels)), ',"values":[');
    let pts = "";
    for (let j = 0; j < s.t.length; j++) {
      pts += `${j > 0 ? "," : ""}[${s.t[j]! / 1000},"${formatFloat(s.v[j]!)}"]`;
    }
    parts.push(pts, "]}");
  }
  parts.push("]}");
  return parts.join("");
}
