/**
 * The HTTP layer: Prometheus API v1 paths and envelope, lifecycle endpoints, remote write, and
 * the built-in collectors' endpoints. Handlers are thin; each layer's errors are mapped here.
 */

export { type AdminApiDeps, adminRoutes } from "./admin.js";
export { type AnalysisApiDeps, analysisRoutes } from "./analysis.js";
export { type ApiContext, type BuildInfo, createApp, params, success } from "./app.js";
export {
  DASHBOARD_PANEL_TYPES,
  type DashboardModel,
  type DashboardSummary,
  type DashboardsApiDeps,
  dashboardSchema,
  dashboardsRoutes,
  loadBuiltinDashboards,
  parseDashboard,
} from "./dashboards.js";
export { ApiError, badData, ERROR_STATUS, type ErrorType, toApiError } from "./errors.js";
export { type IngestApiDeps, ingestRoutes } from "./ingest.js";
export { type MetadataApiDeps, metadataRoutes } from "./metadata.js";
export { MAX_TIME, MIN_TIME, Params, parseDurationParam, parseTime } from "./params.js";
export { type QueryApiDeps, queryRoutes } from "./query.js";
export { type RulesApiDeps, rulesRoutes } from "./rules.js";
export { type StatusApiDeps, statusRoutes } from "./status.js";
export { type TargetsApiDeps, targetsRoutes } from "./targets.js";
export { UI_CONTENT_TYPES, type UiRoutesOptions, uiRoutes } from "./ui.js";
