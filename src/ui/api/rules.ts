import type { AlertData } from "./alerts.js";
import { type ApiResult, apiFetch } from "./client.js";

/** A rule of /api/v1/rules (recording or alerting). */
export interface RuleData {
  type: "recording" | "alerting";
  name: string;
  query: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  duration?: number;
  keepFiringFor?: number;
  state?: "firing" | "pending" | "inactive";
  alerts?: AlertData[];
  health: "ok" | "err" | "unknown";
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
}

/** A rule group of /api/v1/rules. */
export interface RuleGroupData {
  name: string;
  file: string;
  interval: number;
  rules: RuleData[];
  evaluationTime?: number;
  lastEvaluation?: string;
}

/** `GET /api/v1/rules`. */
export const rules = (): Promise<ApiResult<{ groups: RuleGroupData[] }>> => apiFetch("/api/v1/rules");
