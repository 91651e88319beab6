/**
 * The built-in dashboards as files (`src/ui/public/dashboards/*.json`, copied by the build to
 * `dist/ui/dashboards/`, whence the server's dashboards API serves them). The app itself loads
 * them from that API; this module gives tests the same files, validated by `model.ts`.
 */
import alerts from "../public/dashboards/alerts.json";
import applicationPerformance from "../public/dashboards/application-performance.json";
import capacity from "../public/dashboards/capacity.json";
import communityHealth from "../public/dashboards/community-health.json";
import economy from "../public/dashboards/economy.json";
import governance from "../public/dashboards/governance.json";
import networkHealth from "../public/dashboards/network-health.json";
import systemOverview from "../public/dashboards/system-overview.json";
import type { Dashboard } from "./model.js";
import { validateDashboard } from "./model.js";

/** Built-in dashboards, in menu order. */
export const BUILTIN_DASHBOARDS: readonly Dashboard[] = [
  systemOverview,
  applicationPerformance,
  networkHealth,
  communityHealth,
  governance,
  economy,
  capacity,
  alerts,
].map((d) => ({ ...validateDashboard(d), builtin: true }));
