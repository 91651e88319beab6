import { type ApiResult, apiFetch } from "./client.js";

/** An alert of /api/v1/alerts (Prometheus's shape). */
export interface AlertData {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "firing" | "pending" | "inactive";
  activeAt?: string;
  keepFiringSince?: string;
  value: string;
}

/** One past state change of an alert (Relay's history endpoint). */
export interface AlertHistoryEntry {
  time: string;
  alertname: string;
  /** The state before, and after, the change. */
  from: string;
  state: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  value?: string;
}

/** `GET /api/v1/alerts`. */
export const alerts = (): Promise<ApiResult<{ alerts: AlertData[] }>> => apiFetch("/api/v1/alerts");

/** `GET /api/relay/v1/alerts/history`: state changes, newest first (a Relay extension). */
export async function alertHistory(limit = 200): Promise<ApiResult<AlertHistoryEntry[]>> {
  const r = await apiFetch<{ entries: AlertHistoryEntry[] }>("/api/relay/v1/alerts/history", {
    params: { limit },
  });
  return r.ok ? { ...r, data: r.data.entries ?? [] } : r;
}

/** An alert as the notification pipeline holds it (`GET /api/v2/alerts`, Alertmanager's shape). */
export interface HeldAlert {
  labels: Record<string, string>;
  status: { state: "active" | "suppressed" | "unprocessed"; silencedBy: string[]; inhibitedBy: string[] };
}

/** `GET /api/v2/alerts`: the alerts the notification pipeline holds, with what mutes them. */
export const heldAlerts = (): Promise<ApiResult<HeldAlert[]>> => apiFetch("/api/v2/alerts");

/**
 * Ids of the silences muting the rule alert with these labels: those of the held alert carrying all
 * of them (it may carry external labels besides). Empty when no held alert matches.
 */
export function silencedBy(labels: Readonly<Record<string, string>>, held: readonly HeldAlert[]): string[] {
  const own = Object.entries(labels).filter(([k]) => k !== "alertstate" && k !== "__name__");
  const h = held.find((a) => own.every(([k, v]) => a.labels[k] === v));
  return h?.status.silencedBy ?? [];
}
