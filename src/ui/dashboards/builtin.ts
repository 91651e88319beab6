/**
 * The dashboards that ship with the UI, one JSON file each in this folder (they are valid
 * dashboards of `model.ts`; `builtin.test.ts` checks them).
 */
import alerts from "./alerts.json";
import applicationPerformance from "./application-performance.json";
import capacity from "./capacity.json";
import communityHealth from "./community-health.json";
import economy from "./economy.json";
import governance from "./governance.json";
import type { Dashboard } from "./model.js";
import { validateDashboard } from "./model.js";
import networkHealth from "./network-health.json";
import systemOverview from "./system-overview.json";

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
