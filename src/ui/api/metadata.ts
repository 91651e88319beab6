import { type ApiResult, apiFetch } from "./client.js";

/** One entry of /api/v1/metadata. */
export interface MetricMetadataEntry {
  type: string;
  help: string;
  unit: string;
}

/** `GET /api/v1/label/<name>/values`, optionally restricted by series selectors. */
export function labelValues(
  name: string,
  matchers: readonly string[] = [],
  range?: { start: number; end: number },
): Promise<ApiResult<string[]>> {
  return apiFetch<string[]>(`/api/v1/label/${encodeURIComponent(name)}/values`, {
    params: { "match[]": matchers, start: range?.start, end: range?.end },
  });
}

/** `GET /api/v1/labels`. */
export function labelNames(matchers: readonly string[] = []): Promise<ApiResult<string[]>> {
  return apiFetch<string[]>("/api/v1/labels", { params: { "match[]": matchers } });
}

/** `GET /api/v1/series`. */
export function series(
  matchers: readonly string[],
  range?: { start: number; end: number },
): Promise<ApiResult<Record<string, string>[]>> {
  return apiFetch<Record<string, string>[]>("/api/v1/series", {
    params: { "match[]": matchers, start: range?.start, end: range?.end },
  });
}

/** `GET /api/v1/metadata`. */
export function metadata(metric?: string): Promise<ApiResult<Record<string, MetricMetadataEntry[]>>> {
  return apiFetch("/api/v1/metadata", { params: { metric } });
}
