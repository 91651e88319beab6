import { type ApiResult, apiFetch } from "./client.js";

/** Severity of a performance finding. */
export type Severity = "CRITICAL" | "WARNING" | "INFO";

/** Where a finding was measured: the identifying labels of its series. */
export type Where = Partial<Record<"instance" | "channel" | "device" | "mountpoint", string>>;

/** A finding of the performance analyzer. */
export interface Finding {
  type: string;
  area: string;
  severity: Severity;
  description: string;
  value: number;
  unit: string;
  threshold: number;
  where: Where;
  impact: string;
  recommendation: string;
}

/** The findings of one type, merged into one recommendation. */
export interface AnalysisRecommendation {
  type: string;
  area: string;
  severity: Severity;
  count: number;
  where: Where[];
  recommendation: string;
}

/** `data` of /api/relay/v1/analysis/performance: a score out of 100, findings and recommendations. */
export interface AnalysisData {
  timestamp: number;
  timeRange: { from: number; to: number };
  score: number;
  findings: Finding[];
  recommendations: AnalysisRecommendation[];
  errors: { type: string; error: string }[];
}

/** A capacity forecast of one resource on one instance (utilisation in percent). */
export interface CapacityForecast {
  resource: "cpu" | "memory" | "storage" | "network";
  labels: Record<string, string>;
  current: number;
  peak: number;
  average: number;
  forecast: {
    model: string;
    timestamps: number[];
    points: number[];
    lower: number[];
    upper: number[];
  };
  threshold: number;
  breaches: { start: number; end: number; peak: number }[];
  /** Time from the last observation to the first forecast breach (ms), or null when none. */
  timeToFirstBreachMs: number | null;
  breachPossible: boolean;
  recommendations: { type: string; priority: string; description: string; timeline: string }[];
}

/** `data` of /api/relay/v1/capacity. */
export interface CapacityData {
  timestamp: number;
  history: { from: number; to: number; step: number };
  horizonMs: number;
  resources: CapacityForecast[];
  skipped: { resource: string; labels?: Record<string, string>; reason: string }[];
}

/** One component of a channel's health score. */
export interface HealthComponent {
  raw: number | null;
  normalized: number | null;
  weight: number;
}

/** A community recommendation: the weakest components and what to do about them. */
export interface CommunityRecommendation {
  component: string;
  normalized: number;
  action: string;
}

/** Health of one channel on one day (score 0..100, null when suppressed by k-anonymity). */
export interface ChannelHealth {
  channel: string;
  day: string;
  suppressed: boolean;
  score: number | null;
  components: Record<string, HealthComponent>;
  trend: {
    change: number | null;
    relative: number | null;
    direction: "up" | "down" | "flat" | "unknown";
    previousScore: number | null;
  };
  recommendations: CommunityRecommendation[];
}

/** `data` of /api/relay/v1/community/health. */
export interface CommunityHealthData {
  k: number;
  weights: Record<string, { weight: number; target: number }>;
  channels: ChannelHealth[];
}

/** `GET /api/relay/v1/analysis/performance` (the last hour). */
export const analysis = (): Promise<ApiResult<AnalysisData>> =>
  apiFetch("/api/relay/v1/analysis/performance");
/** `GET /api/relay/v1/capacity`. */
export const capacity = (): Promise<ApiResult<CapacityData>> => apiFetch("/api/relay/v1/capacity");
/** `GET /api/relay/v1/community/health`. */
export const communityHealth = (): Promise<ApiResult<CommunityHealthData>> =>
  apiFetch("/api/relay/v1/community/health");

/** The mean score of the channels that have one, or NaN. */
export function meanScore(channels: readonly ChannelHealth[]): number {
  const xs = channels.map((c) => c.score).filter((s): s is number => s !== null);
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** A short name for a forecast: resource and instance. */
export function forecastName(f: CapacityForecast): string {
  const where = f.labels.node ?? f.labels.instance ?? Object.values(f.labels).join(",");
  return where ? `${f.resource} ${where}` : f.resource;
}
