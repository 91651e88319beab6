/**
 * Community analytics: user-level events enter through a privacy door (pseudonymized before
 * anything is stored or logged) and become private aggregates — HyperLogLog sketches and counts —
 * from which activity, community health, governance and economy figures are computed, k-suppressed,
 * optionally noised, and published as `relay_community_*` time series. See DESIGN.md.
 */

export {
  type ActivityFigures,
  type AnalyticsOptions,
  type CohortRow,
  CommunityAnalytics,
  type EconomyFigures,
  type EconomyRow,
  type GovernanceFigures,
  type HealthFigures,
  isoDay,
  type PublishedGrowth,
  type RetentionFigures,
  type RetentionRow,
} from "./analytics.js";
export { CommunityApi, CommunityRequestError, type EventsAnswer, parseTimeParam, type Query } from "./api.js";
export {
  Community,
  type CommunityOptions,
  DAY_MS,
  dayOf,
  HOUR_MS,
  type IngestResult,
  KEY_SCHEMES,
  type KeyScheme,
  MAX_WINDOW_DAYS,
  NETWORK,
  reportingDay,
  SKETCH_KINDS,
  type SketchKind,
  WINDOW_EPOCH_DAYS,
  windowScheme,
} from "./community.js";
export {
  type CommunityEvent,
  type CommunityEventInput,
  communityEventSchema,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_EVENTS,
  EVENT_SCHEMAS,
  EVENT_TYPES,
  EventBodyError,
  type EventError,
  type EventLimits,
  type EventType,
  MAX_NAME_LENGTH,
  MAX_SESSION_SECONDS,
  MAX_USER_LENGTH,
  parseEvents,
  parseEventTime,
  splitEventBody,
  validateEvent,
} from "./events.js";
export {
  type ComponentValue,
  DEFAULT_HEALTH_CONFIG,
  type GrowthAccounting,
  type GrowthInputs,
  gini,
  growthAccounting,
  HEALTH_COMPONENTS,
  type HealthComponent,
  type HealthComponentConfig,
  type HealthConfig,
  type HealthInputs,
  healthComponents,
  healthRecommendations,
  healthScore,
  intersectionSize,
  intersectionStandardError,
  nakamoto,
  type Recommendation,
  ratio,
  scoreTrend,
  stickiness,
  type Trend,
  tokenVelocity,
} from "./metrics.js";
export {
  COMMUNITY_SERIES,
  type CollectedSamples,
  CommunityPublisher,
  type CommunityPublisherOptions,
  type CommunitySeriesKey,
  collectSamples,
  type PublishStats,
} from "./publish.js";
export { type CommunityRoutesOptions, communityRoutes } from "./routes.js";
export { CommunityStore, DAILY_FIELDS, type DailyField } from "./store.js";
