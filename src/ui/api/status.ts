import { type ApiResult, apiFetch } from "./client.js";

/** `data` of /api/v1/status/buildinfo. */
export interface BuildInfoData {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
}

/** `data` of /api/v1/status/runtimeinfo (Prometheus's fields plus Node's). */
export type RuntimeInfoData = Record<string, string | number | boolean>;

/** A name/value pair of the TSDB statistics. */
export interface NameValue {
  name: string;
  value: number;
}

/** `data` of /api/v1/status/tsdb. */
export interface TsdbStatusData {
  headStats: {
    numSeries: number;
    numLabelPairs?: number;
    chunkCount: number;
    minTime: number;
    maxTime: number;
  };
  seriesCountByMetricName: NameValue[];
  labelValueCountByLabelName: NameValue[];
  memoryInBytesByLabelName: NameValue[];
  seriesCountByLabelValuePair: NameValue[];
}

/** `GET /api/v1/status/buildinfo`. */
export const buildInfo = (): Promise<ApiResult<BuildInfoData>> => apiFetch("/api/v1/status/buildinfo");
/** `GET /api/v1/status/runtimeinfo`. */
export const runtimeInfo = (): Promise<ApiResult<RuntimeInfoData>> => apiFetch("/api/v1/status/runtimeinfo");
/** `GET /api/v1/status/flags`. */
export const flags = (): Promise<ApiResult<Record<string, string>>> => apiFetch("/api/v1/status/flags");
/** `GET /api/v1/status/config`. */
export const config = (): Promise<ApiResult<{ yaml: string }>> => apiFetch("/api/v1/status/config");
/** `GET /api/v1/status/tsdb`. */
export const tsdbStatus = (limit = 10): Promise<ApiResult<TsdbStatusData>> =>
  apiFetch("/api/v1/status/tsdb", { params: { limit } });
