/**
 * The notification pipeline: Alertmanager's routing tree, grouping, inhibition, time intervals,
 * silences and notification log, plus Relay's cooldown and flap detection, delivering to email,
 * Slack, webhooks and external Alertmanagers. The API functions answer Alertmanager's v2 API.
 */
export {
  type AlertGroup,
  type AlertmanagerStatus,
  type AlertQuery,
  type ApiReceiver,
  alertQueryFromParams,
  deleteSilence,
  type GettableAlert,
  type GettableSilence,
  getAlertGroups,
  getAlerts,
  getReceivers,
  getSilence,
  getSilences,
  getStatus,
  NotifyApiError,
  postAlerts,
  postSilences,
} from "./api.js";
export { type Clock, FakeClock, systemClock } from "./clock.js";
export {
  type NotifyConfig,
  type NotifyConfigInput,
  notifyConfigSchema,
  notifyConfigWarnings,
  type RouteConfig,
} from "./config.js";
export { fingerprint } from "./fingerprint.js";
export { type NotifyRoutesOptions, notifyRoutes } from "./http.js";
export { formatMatchers, MatcherParseError, parseMatcher, parseMatchers } from "./matchers.js";
export {
  type ApplyConfigOptions,
  type IntegrationStatus,
  maskSecrets,
  NotificationPipeline,
  type NotificationPipelineOptions,
  type NotifyBuildInfo,
  type NotifyLogger,
  type StoredAlert,
} from "./pipeline.js";
export type { GroupContext, Integration, NotifiedAlert } from "./receivers/index.js";
export { IntegrationError } from "./receivers/index.js";
export { Route } from "./route.js";
export { type Silence, type SilenceMatcher, type SilenceState, Silences } from "./silences.js";
