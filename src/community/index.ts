/**
 * Community analytics: user-level events enter through a privacy door (pseudonymized before
 * anything is stored or logged) and become private aggregates — HyperLogLog sketches and counts —
 * from which activity, community health, governance and economy figures are computed, k-suppressed,
 * optionally noised, and published as `relay_community_*` time series. See DESIGN.md.
 */
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
