import { type ApiResult, apiFetch } from "./client.js";

/** One active target of /api/v1/targets. */
export interface ActiveTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl?: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: "up" | "down" | "unknown";
  scrapeInterval?: string;
  scrapeTimeout?: string;
}

/** The `data` of /api/v1/targets. */
export interface TargetsData {
  activeTargets: ActiveTarget[];
  droppedTargets: { discoveredLabels: Record<string, string> }[];
  droppedTargetCounts?: Record<string, number>;
}

/** `GET /api/v1/targets`. */
export function targets(): Promise<ApiResult<TargetsData>> {
  return apiFetch<TargetsData>("/api/v1/targets", { params: { state: "any" } });
}
