import type { CommunityAnalytics } from "./analytics.js";
import {
  type Community,
  DAY_MS,
  dayOf,
  HOUR_MS,
  MAX_WINDOW_DAYS,
  NETWORK,
  reportingDay,
} from "./community.js";
import type { EventError } from "./events.js";

/** A bad request parameter; `errorType` lets the HTTP layer map it to Prometheus's `bad_data`. */
export class CommunityRequestError extends Error {
  override name = "CommunityRequestError";
  /** The Prometheus API error type. */
  readonly errorType = "bad_data";
  /** HTTP status. */
  readonly status = 400;
}

/** Query parameters as strings (Fastify's `req.query`). */
export type Query = Readonly<Record<string, string | string[] | undefined>>;

/** The answer of `POST /api/relay/v1/events`: the HTTP status and a JSON-able body. */
export interface EventsAnswer {
  readonly status: 200 | 400;
  readonly body:
    | { status: "success"; data: { accepted: number; duplicates: number } }
    | { status: "error"; errorType: "bad_data"; error: string; errors: readonly EventError[] };
}

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/**
 * Parses a time parameter like Prometheus does: a Unix timestamp in seconds (fractions allowed) or
 * an RFC 3339 time. Returns ms.
 */
export function parseTimeParam(name: string, value: string): number {
  if (/^[+-]?\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const t = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}T/.test(value) && Number.isFinite(t)) return t;
  throw new CommunityRequestError(
    `invalid parameter "${name}": expected a Unix time in seconds or an RFC 3339 time`,
  );
}

/**
 * The Relay community API as plain handlers over {@link Community} and {@link CommunityAnalytics}:
 * each takes query parameters and returns the `data` of a success answer (JSON-able), or throws
 * {@link CommunityRequestError}. Suppressed figures are null beside `suppressed: true`.
 */
export class CommunityApi {
  private readonly community: Community;
  private readonly analytics: CommunityAnalytics;

  /** Creates the handlers. */
  constructor(community: Community, analytics: CommunityAnalytics) {
    this.community = community;
    this.analytics = analytics;
  }

  /**
   * `POST /api/relay/v1/events`: a JSON array or NDJSON body; all events are accepted or none.
   * Throws EventBodyError (status 400 or 413) when the body as a whole is unreadable. Neither the
   * answer nor any error quotes a user id.
   */
  postEvents(body: string | Uint8Array): EventsAnswer {
    const r = this.community.ingestBody(body);
    if (r.ok) {
      return {
        status: 200,
        body: { status: "success", data: { accepted: r.accepted, duplicates: r.duplicates } },
      };
    }
    return {
      status: 400,
      body: {
        status: "error",
        errorType: "bad_data",
        error: `${r.errors.length} event(s) refused; nothing from this request was accepted`,
        errors: r.errors,
      },
    };
  }

  private time(q: Query, name = "time"): number {
    const v = one(q, name);
    return v === undefined || v === "" ? this.community.now() : parseTimeParam(name, v);
  }

  /** The UTC day of a time parameter; without one, the last complete day ({@link reportingDay}). */
  private day(q: Query, name = "time"): number {
    const v = one(q, name);
    return v === undefined || v === "" ? reportingDay(this.community.now()) : dayOf(parseTimeParam(name, v));
  }

  private channels(q: Query): string[] {
    const c = one(q, "channel");
    return c ? [c] : this.analytics.channels();
  }

  private dayRange(q: Query, defaultDays: number, maxDays: number): [number, number] {
    const to = this.day(q, "to");
    const fromParam = one(q, "from");
    const from = fromParam ? dayOf(parseTimeParam("from", fromParam)) : to - defaultDays + 1;
    if (from > to) throw new CommunityRequestError('invalid parameters: "from" is after "to"');
    if (to - from + 1 > maxDays) {
      throw new CommunityRequestError(`the window from "from" to "to" spans more than ${maxDays} days`);
    }
    return [from, to];
  }

  /**
   * `GET /api/relay/v1/community/health?channel=&time=`: every channel's score, components, trend
   * on the UTC day of `time` (default: the last complete day).
   */
  health(q: Query) {
    const day = this.day(q);
    return {
      k: this.analytics.k,
      weights: this.analytics.healthConfig,
      channels: this.channels(q).map((c) => this.analytics.health(c, day)),
    };
  }

  /**
   * `GET /api/relay/v1/community/activity?channel=&from=&to=`: activity per day (at most 90); `to`
   * defaults to the last complete day.
   */
  activity(q: Query) {
    const [from, to] = this.dayRange(q, 1, 90);
    const perDay = (c: string) => {
      const out = [];
      for (let d = from; d <= to; d++) out.push(this.analytics.activity(c, d));
      return out;
    };
    return {
      k: this.analytics.k,
      network: one(q, "channel") ? undefined : perDay(NETWORK).map((a) => ({ ...a, channel: undefined })),
      channels: this.channels(q).map((c) => ({ channel: c, days: perDay(c) })),
    };
  }

  /** `GET /api/relay/v1/community/retention?channel=&time=&n=1,7,14,28` (default: the last complete day). */
  retention(q: Query) {
    const day = this.day(q);
    const nParam = one(q, "n");
    const ns = nParam ? nParam.split(",").map((s) => Number(s.trim())) : [1, 7, 14, 28];
    for (const n of ns) {
      if (!Number.isInteger(n) || n < 1 || n >= MAX_WINDOW_DAYS) {
        throw new CommunityRequestError(
          `invalid parameter "n": each value must be an integer from 1 to ${MAX_WINDOW_DAYS - 1}`,
        );
      }
    }
    return {
      k: this.analytics.k,
      channels: this.channels(q).map((c) => this.analytics.retention(c, day, ns)),
    };
  }

  /** `GET /api/relay/v1/governance?channel=&from=&to=`: default the last 7 complete days, at most 31. */
  governance(q: Query) {
    const [from, to] = this.dayRange(q, 7, MAX_WINDOW_DAYS);
    return {
      k: this.analytics.k,
      network: one(q, "channel")
        ? undefined
        : { ...this.analytics.governance(NETWORK, from, to), channel: undefined },
      channels: this.channels(q).map((c) => this.analytics.governance(c, from, to)),
    };
  }

  /** `GET /api/relay/v1/economy?channel=&from=&to=`: hourly and per type; default the last 24 hours. */
  economy(q: Query) {
    const toT = this.time(q, "to");
    const fromParam = one(q, "from");
    const fromT = fromParam ? parseTimeParam("from", fromParam) : toT - 24 * HOUR_MS;
    if (fromT > toT) throw new CommunityRequestError('invalid parameters: "from" is after "to"');
    if (toT - fromT > MAX_WINDOW_DAYS * DAY_MS) {
      throw new CommunityRequestError(
        `the window from "from" to "to" spans more than ${MAX_WINDOW_DAYS} days`,
      );
    }
    const fromHour = Math.floor(fromT / HOUR_MS);
    const toHour = Math.floor(toT / HOUR_MS);
    const c = one(q, "channel");
    return {
      k: this.analytics.k,
      ...this.analytics.economy(c ?? NETWORK, fromHour, toHour),
      channel: c ?? null,
    };
  }
}
