import { z } from "zod";

/** Every event type `POST /api/relay/v1/events` accepts. */
export const EVENT_TYPES = [
  "message",
  "vote",
  "join",
  "leave",
  "proposal_opened",
  "proposal_closed",
  "ballot",
  "moderation",
  "appeal",
  "transaction",
  "session_start",
  "session_end",
] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Longest event id, channel, proposal id, moderation action or transaction type accepted. */
export const MAX_NAME_LENGTH = 128;
/** Longest raw user id accepted. */
export const MAX_USER_LENGTH = 256;
/** Longest session a `session_end` may report: 7 days, in seconds. */
export const MAX_SESSION_SECONDS = 7 * 86_400;
/** Default bound on the events of one request. */
export const DEFAULT_MAX_EVENTS = 10_000;
/** Default bound on the body of one request: 4 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const MAX_TIME_MS = 8.64e15;

/**
 * Parses an event time: an RFC 3339 timestamp with a zone (`2025-03-14T09:30:00Z`,
 * `2025-03-14T10:30:00.250+01:00`) or integer milliseconds since the Unix epoch. Returns NaN when
 * the value is neither.
 */
export function parseEventTime(v: unknown): number {
  if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 && v <= MAX_TIME_MS ? v : Number.NaN;
  if (typeof v !== "string" || !RFC3339.test(v)) return Number.NaN;
  const t = Date.parse(v.replace(" ", "T"));
  return Number.isFinite(t) ? t : Number.NaN;
}

const name = z.string().min(1).max(MAX_NAME_LENGTH);
const time = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const t = parseEventTime(v);
  if (Number.isNaN(t)) {
    ctx.addIssue({
      code: "custom",
      message: "expected an RFC 3339 timestamp with a zone or integer epoch milliseconds",
    });
    return z.NEVER;
  }
  return t;
});
const amount = z.number().finite().nonnegative();

const base = {
  id: name,
  time,
  channel: name,
  user: z.string().min(1).max(MAX_USER_LENGTH),
};

/** The schema of each event type: the common fields plus what that type needs. */
export const EVENT_SCHEMAS = {
  message: z.object({ ...base, type: z.literal("message") }),
  vote: z.object({ ...base, type: z.literal("vote"), direction: z.enum(["up", "down"]) }),
  join: z.object({ ...base, type: z.literal("join") }),
  leave: z.object({ ...base, type: z.literal("leave") }),
  proposal_opened: z.object({ ...base, type: z.literal("proposal_opened"), proposal: name }),
  proposal_closed: z.object({
    ...base,
    type: z.literal("proposal_closed"),
    proposal: name,
    outcome: z.enum(["passed", "rejected"]),
  }),
  ballot: z.object({
    ...base,
    type: z.literal("ballot"),
    proposal: name,
    weight: amount.default(1),
  }),
  moderation: z.object({ ...base, type: z.literal("moderation"), action: name }),
  appeal: z.object({
    ...base,
    type: z.literal("appeal"),
    outcome: z.enum(["filed", "upheld", "overturned"]).default("filed"),
  }),
  transaction: z.object({
    ...base,
    type: z.literal("transaction"),
    value: amount,
    fee: amount.default(0),
    tx_type: name.default("transfer"),
  }),
  session_start: z.object({ ...base, type: z.literal("session_start") }),
  session_end: z.object({
    ...base,
    type: z.literal("session_end"),
    duration: amount.max(MAX_SESSION_SECONDS),
  }),
} as const;

/** The schema of any event: a union discriminated by `type`. */
export const communityEventSchema = z.discriminatedUnion("type", [
  EVENT_SCHEMAS.message,
  EVENT_SCHEMAS.vote,
  EVENT_SCHEMAS.join,
  EVENT_SCHEMAS.leave,
  EVENT_SCHEMAS.proposal_opened,
  EVENT_SCHEMAS.proposal_closed,
  EVENT_SCHEMAS.ballot,
  EVENT_SCHEMAS.moderation,
  EVENT_SCHEMAS.appeal,
  EVENT_SCHEMAS.transaction,
  EVENT_SCHEMAS.session_start,
  EVENT_SCHEMAS.session_end,
]);

/**
 * An event as a client sends it (the JSON shape): `time` is an RFC 3339 string or epoch ms, and
 * defaulted fields (`weight`, `fee`, `tx_type`, appeal `outcome`) may be left out.
 * @example
 * const e: CommunityEventInput = { id: "m-1", type: "message", time: "2025-03-14T09:30:00Z", channel: "general", user: "u-42" };
 */
export type CommunityEventInput = z.input<typeof communityEventSchema>;

/** A validated event: `time` in epoch ms, defaults applied. It still holds the raw user id. */
export type CommunityEvent = z.output<typeof communityEventSchema>;

/** Why one event of a request was refused: its position, its id when it had one, and the reason. */
export interface EventError {
  /** Position of the event in the request (0-based; for NDJSON, among the non-empty lines). */
  readonly index: number;
  /** The event's id, when it had a string one. */
  readonly id?: string;
  /** What is wrong, naming the field. Never contains the user id. */
  readonly reason: string;
}

/** Thrown when a request body as a whole cannot be read (too large, not JSON, too many events). */
export class EventBodyError extends Error {
  override name = "EventBodyError";
  /** For the HTTP layer: the Prometheus API error type. */
  readonly errorType = "bad_data";
  /** For the HTTP layer: 413 for a body or batch over its bound, 400 otherwise. */
  readonly status: number;

  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

/** Bounds on one request. */
export interface EventLimits {
  /** Largest body, in bytes. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
  /** Most events in one request. Default {@link DEFAULT_MAX_EVENTS}. */
  readonly maxEvents?: number;
}

function jsonErrorWhere(err: unknown): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : "");
  return m ? ` at position ${m[1]}` : "";
}

/**
 * Splits a request body into raw event values: a JSON array of objects, or NDJSON (one JSON
 * object per line; blank lines are skipped). A line of NDJSON that is not JSON is returned as an
 * {@link EventError} rather than thrown, so every bad line is reported. Error messages never quote
 * the body (it holds user ids). Throws {@link EventBodyError} for a body over its bound, an array
 * that is not valid JSON, or too many events.
 */
export function splitEventBody(
  body: string | Uint8Array,
  limits: EventLimits = {},
): { values: unknown[]; errors: EventError[] } {
  const maxBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxEvents = limits.maxEvents ?? DEFAULT_MAX_EVENTS;
  const bytes = typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  if (bytes > maxBytes) {
    throw new EventBodyError(`request body is ${bytes} bytes, above the limit of ${maxBytes}`, 413);
  }
  const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
  const trimmed = text.trimStart();
  const errors: EventError[] = [];
  let values: unknown[];
  if (trimmed.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new EventBodyError(`request body is not a valid JSON array${jsonErrorWhere(err)}`);
    }
    if (!Array.isArray(parsed)) throw new EventBodyError("request body is not a JSON array");
    values = parsed;
  } else {
    values = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const index = values.length;
      try {
        values.push(JSON.parse(line));
      } catch (err) {
        values.push(undefined);
        errors.push({ index, reason: `line is not valid JSON${jsonErrorWhere(err)}` });
      }
    }
  }
  if (values.length === 0) throw new EventBodyError("request body holds no events");
  if (values.length > maxEvents) {
    throw new EventBodyError(
      `request holds ${values.length} events, above the limit of ${maxEvents}; split it`,
      413,
    );
  }
  return { values, errors };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

const TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * Validates one raw event value. Returns the event, or the reason it is refused (naming each bad
 * field; the user id and the other field values are never quoted).
 */
export function validateEvent(value: unknown): { event: CommunityEvent } | { reason: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { reason: "event is not a JSON object" };
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !TYPE_SET.has(type)) {
    return { reason: `type: expected one of ${EVENT_TYPES.join(", ")}` };
  }
  const r = EVENT_SCHEMAS[type as EventType].safeParse(value);
  if (r.success) return { event: r.data as CommunityEvent };
  return { reason: r.error.issues.map(describeIssue).join("; ") };
}

/**
 * Parses and validates a whole request body (see {@link splitEventBody}). Returns either every
 * event, or every refused one by index and reason — a request is accepted all or nothing.
 * @example
 * const r = parseEvents('{"id":"a","type":"join","time":0,"channel":"c","user":"u"}');
 * // r.events has one event, r.errors is empty
 */
export function parseEvents(
  body: string | Uint8Array,
  limits: EventLimits = {},
): { events: CommunityEvent[]; errors: EventError[] } {
  const { values, errors } = splitEventBody(body, limits);
  const bad = new Set(errors.map((e) => e.index));
  const events: CommunityEvent[] = [];
  for (let i = 0; i < values.length; i++) {
    if (bad.has(i)) continue;
    const v = values[i];
    const r = validateEvent(v);
    if ("event" in r) {
      events.push(r.event);
      continue;
    }
    const id = (v as { id?: unknown } | null)?.id;
    errors.push(
      typeof id === "string" && id.length <= MAX_NAME_LENGTH
        ? { index: i, id, reason: r.reason }
        : { index: i, reason: r.reason },
    );
  }
  errors.sort((a, b) => a.index - b.index);
  return errors.length > 0 ? { events: [], errors } : { events, errors };
}
