/**
 * Where dashboards are kept: the built-in ones ship with the app; the user's are stored by the
 * server under `/api/relay/v1/dashboards` (in the data directory). When the server has no
 * dashboard storage (the endpoint answers 404), they are kept in this browser's localStorage and
 * the UI says so.
 */
import { apiFetch, isNotAvailable } from "../api/client.js";
import { BUILTIN_DASHBOARDS } from "./builtin.js";
import { type Dashboard, validateDashboard } from "./model.js";

const LOCAL_KEY = "relay.dashboards";

/** Where the user's dashboards are being saved. */
export type StorageKind = "server" | "browser";

/** A dashboard list entry. */
export interface DashboardSummary {
  uid: string;
  title: string;
  tags: string[];
  builtin: boolean;
}

function readLocal(): Record<string, Dashboard> {
  try {
    const v = JSON.parse(localStorage.getItem(LOCAL_KEY) ?? "{}") as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, Dashboard>) : {};
  } catch {
    return {};
  }
}

function writeLocal(all: Record<string, Dashboard>): void {
  localStorage.setItem(LOCAL_KEY, JSON.stringify(all));
}

const summary = (d: Dashboard, builtin: boolean): DashboardSummary => ({
  uid: d.uid,
  title: d.title,
  tags: d.tags ?? [],
  builtin,
});

/** Lists built-in and saved dashboards, and where saved ones live. */
export async function listDashboards(): Promise<{ items: DashboardSummary[]; storage: StorageKind }> {
  const builtins = BUILTIN_DASHBOARDS.map((d) => summary(d, true));
  const r = await apiFetch<unknown>("/api/relay/v1/dashboards");
  if (r.ok) {
    const list = Array.isArray(r.data)
      ? r.data
      : ((r.data as { dashboards?: unknown[] } | null)?.dashboards ?? []);
    const saved = (list as Dashboard[])
      .filter((d) => d && typeof d.uid === "string")
      .map((d) => summary({ ...d, panels: [] }, false));
    return { items: [...builtins, ...saved], storage: "server" };
  }
  const local = Object.values(readLocal()).map((d) => summary(d, false));
  return { items: [...builtins, ...local], storage: "browser" };
}

/** Loads a dashboard by uid: a built-in one, else the server's, else this browser's. */
export async function loadDashboard(uid: string): Promise<Dashboard | undefined> {
  const builtin = BUILTIN_DASHBOARDS.find((d) => d.uid === uid);
  if (builtin) return builtin;
  const r = await apiFetch<unknown>(`/api/relay/v1/dashboards/${encodeURIComponent(uid)}`);
  if (r.ok) {
    const d = (r.data as { dashboard?: unknown }).dashboard ?? r.data;
    return validateDashboard(d);
  }
  const local = readLocal()[uid];
  return local ? validateDashboard(local) : undefined;
}

/** Saves a dashboard; answers where it went. */
export async function saveDashboard(d: Dashboard): Promise<StorageKind> {
  const clean = validateDashboard({ ...d, builtin: undefined });
  if (BUILTIN_DASHBOARDS.some((b) => b.uid === clean.uid)) {
    throw new Error(`"${clean.uid}" is a built-in dashboard's uid; choose another uid for your copy`);
  }
  const r = await apiFetch<unknown>(`/api/relay/v1/dashboards/${encodeURIComponent(clean.uid)}`, {
    method: "PUT",
    json: clean,
  });
  if (r.ok) return "server";
  if (!isNotAvailable(r)) throw new Error(r.error);
  writeLocal({ ...readLocal(), [clean.uid]: clean });
  return "browser";
}

/** Deletes a saved dashboard. */
export async function deleteDashboard(uid: string): Promise<void> {
  const r = await apiFetch<unknown>(`/api/relay/v1/dashboards/${encodeURIComponent(uid)}`, {
    method: "DELETE",
  });
  if (!r.ok && !isNotAvailable(r)) throw new Error(r.error);
  const local = readLocal();
  delete local[uid];
  writeLocal(local);
}
