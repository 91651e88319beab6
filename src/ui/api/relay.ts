import { type ApiResult, apiFetch } from "./client.js";

/** A finding of the performance analyzer. */
export interface Finding {
  severity: "info" | "warning" | "critical";
  title: string;
  detail?: string;
  metric?: string;
  value?: number;
}

/** A recommendation attached to an analysis. */
export interface Recommendation {
  priority?: "low" | "medium" | "high";
  title: string;
  detail?: string;
}

/** `data` of /api/relay/v1/analysis: a score out of 100, findings and recommendations. */
export interface AnalysisData {
  score: number;
  generatedAt?: string;
  findings: Finding[];
  recommendations: Recommendation[];
}

/** A capacity forecast of one resource. */
export interface CapacityForecast {
  resource: string;
  query?: string;
  current: number;
  threshold: number;
  unit?: string;
  /** When the forecast crosses the threshold (RFC 3339), or null when it does not within the horizon. */
  breachAt: string | null;
  /** Forecast points as [seconds, value]. */
  forecast?: [number, number][];
  recommendation?: string;
}

/** `data` of /api/relay/v1/capacity. */
export interface CapacityData {
  horizon?: string;
  forecasts: CapacityForecast[];
}

/** Health of one channel (scores 0..100). */
export interface ChannelHealth {
  channel: string;
  score: number;
  components?: Record<string, number>;
  trend?: "up" | "down" | "flat";
}

/** `data` of /api/relay/v1/community/health. */
export interface CommunityHealthData {
  score: number;
  components?: Record<string, number>;
  channels: ChannelHealth[];
  recommendations?: Recommendation[];
}

/** `GET /api/relay/v1/analysis`. */
export const analysis = (): Promise<ApiResult<AnalysisData>> => apiFetch("/api/relay/v1/analysis");
/** `GET /api/relay/v1/capacity`. */
export const capacity = (): Promise<ApiResult<CapacityData>> => apiFetch("/api/relay/v1/capacity");
/** `GET /api/relay/v1/community/health`. */
export const communityHealth = (): Promise<ApiResult<CommunityHealthData>> =>
  apiFetch("/api/relay/v1/community/health");
