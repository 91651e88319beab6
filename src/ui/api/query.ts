import { type ApiResult, apiFetch } from "./client.js";

/** A series' labels, including `__name__` when it was kept. */
export type Metric = Record<string, string>;

/** One sample as Prometheus encodes it: seconds (float) and the value as a string. */
export type SamplePair = [number, string];

/** A native histogram bucket: boundary rule, lower, upper, count. */
export type HistogramBucket = [number, string, string, string];

/** A native histogram sample's value. */
export interface HistogramValue {
  count: string;
  sum: string;
  buckets?: HistogramBucket[];
}

/** A series of a range query. */
export interface RangeSeries {
  metric: Metric;
  values?: SamplePair[];
  histograms?: [number, HistogramValue][];
}

/** A series of an instant query. */
export interface InstantSample {
  metric: Metric;
  value?: SamplePair;
  histogram?: [number, HistogramValue];
}

/** The `data` of /api/v1/query and /api/v1/query_range. */
export type QueryData =
  | { resultType: "matrix"; result: RangeSeries[] }
  | { resultType: "vector"; result: InstantSample[] }
  | { resultType: "scalar"; result: SamplePair }
  | { resultType: "string"; result: SamplePair };

/** `GET /api/v1/query`: evaluates `query` at `time` (seconds). */
export function instantQuery(
  query: string,
  time?: number,
  signal?: AbortSignal,
): Promise<ApiResult<QueryData>> {
  return apiFetch<QueryData>("/api/v1/query", { method: "POST", form: { query, time }, signal });
}

/** `POST /api/v1/query_range` over [start, end] seconds with `step` seconds. */
export function rangeQuery(
  query: string,
  start: number,
  end: number,
  step: number,
  signal?: AbortSignal,
): Promise<ApiResult<QueryData>> {
  return apiFetch<QueryData>("/api/v1/query_range", {
    method: "POST",
    form: { query, start, end, step },
    signal,
  });
}
