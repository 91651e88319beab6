/**
 * Routes of the app (history API; the server falls back to index.html for these paths). Pure
 * parsing here; the React hook lives in App.tsx.
 */

/** A page the app shows. */
export type Route =
  | { page: "dashboard"; uid: string }
  | { page: "dashboards" }
  | { page: "explore" }
  | { page: "targets" }
  | { page: "rules" }
  | { page: "alerts" }
  | { page: "silences" }
  | { page: "analysis" }
  | { page: "capacity" }
  | { page: "community" }
  | { page: "status" }
  | { page: "notfound"; path: string };

/** The dashboard shown at `/`. */
export const HOME_DASHBOARD = "system-overview";

const SIMPLE = new Set([
  "dashboards",
  "explore",
  "targets",
  "rules",
  "alerts",
  "silences",
  "analysis",
  "capacity",
  "community",
  "status",
]);

/** Prometheus's own UI paths, so links into Prometheus also work here. */
const ALIASES: Readonly<Record<string, string>> = {
  graph: "explore",
  query: "explore",
  "service-discovery": "targets",
};

/** Parses a location pathname into a route. */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split("/").filter((p) => p !== "");
  if (parts.length === 0) return { page: "dashboard", uid: HOME_DASHBOARD };
  const [head, second] = parts as [string, string | undefined];
  if ((head === "d" || head === "dashboards") && second) {
    return { page: "dashboard", uid: decodeURIComponent(second) };
  }
  const name = ALIASES[head] ?? head;
  if (parts.length === 1 && SIMPLE.has(name)) return { page: name } as Route;
  return { page: "notfound", path: pathname };
}

/** The pathname of a route. */
export function routePath(r: Route): string {
  switch (r.page) {
    case "dashboard":
      return `/d/${encodeURIComponent(r.uid)}`;
    case "notfound":
      return r.path;
    default:
      return `/${r.page}`;
  }
}

/** Navigation entries in the order the menu shows them, with their single-key shortcut after `g`. */
export const NAV: readonly { page: Route["page"]; label: string; key: string }[] = [
  { page: "dashboards", label: "Dashboards", key: "d" },
  { page: "explore", label: "Explore", key: "e" },
  { page: "alerts", label: "Alerts", key: "a" },
  { page: "silences", label: "Silences", key: "s" },
  { page: "rules", label: "Rules", key: "r" },
  { page: "targets", label: "Targets", key: "t" },
  { page: "analysis", label: "Analysis", key: "n" },
  { page: "capacity", label: "Capacity", key: "c" },
  { page: "community", label: "Community", key: "m" },
  { page: "status", label: "Status", key: "u" },
];
