/**
 * Where dashboards are kept: the server's `/api/relay/v1/dashboards` (built-in ones ship with the
 * server and are read-only; the user's are stored in its data directory). Every call throws an
 * Error with the server's message when it fails.
 */
import { apiFetch } from "../api/client.js";
import { type Dashboard, validateDashboard } from "./model.js";

/** A dashboard list entry. */
export interface DashboardSummary {
  uid: string;
  title: string;
  tags: string[];
  builtin: boolean;
}

const path = (uid: string) => `/api/relay/v1/dashboards/${encodeURIComponent(uid)}`;

/** Lists built-in and saved dashboards (built-ins first, in menu order). */
export async function listDashboards(): Promise<DashboardSummary[]> {
  const r = await apiFetch<DashboardSummary[]>("/api/relay/v1/dashboards");
  if (!r.ok) throw new Error(`cannot list dashboards: ${r.error}`);
  return r.data;
}

/** Loads a dashboard by uid; undefined when there is none. */
export async function loadDashboard(uid: string): Promise<Dashboard | undefined> {
  const r = await apiFetch<unknown>(path(uid));
  if (!r.ok) {
    if (r.status === 404) return undefined;
    throw new Error(`cannot load dashboard "${uid}": ${r.error}`);
  }
  return validateDashboard(r.data);
}

/** Saves a dashboard on the server (the server validates it again and names a bad field). */
export async function saveDashboard(d: Dashboard): Promise<void> {
  const { builtin: _builtin, ...clean } = validateDashboard(d);
  const r = await apiFetch<unknown>(path(clean.uid), { method: "PUT", json: clean });
  if (!r.ok) throw new Error(r.error);
}

/** Deletes a saved dashboard. */
export async function deleteDashboard(uid: string): Promise<void> {
  const r = await apiFetch<unknown>(path(uid), { method: "DELETE" });
  if (!r.ok) throw new Error(r.error);
}
