import { type Matcher, parseDuration } from "../model/index.js";
import { parseMetricSelector } from "../promql/index.js";
import { badData } from "./errors.js";

/** Earliest and latest timestamps (ms) the API accepts, standing in for "no bound". */
export const MIN_TIME = -9_223_372_036_854; // Prometheus's MinTime, in ms, rounded to what a float keeps
export const MAX_TIME = 9_223_372_036_854;

/** Request parameters: the query string merged with a urlencoded form body; repeated keys kept. */
export class Params {
  private readonly all: URLSearchParams;

  constructor(url: string, form?: URLSearchParams) {
    const q = url.indexOf("?");
    this.all = new URLSearchParams(q >= 0 ? url.slice(q + 1) : "");
    if (form) for (const [k, v] of form) this.all.append(k, v);
  }

  get(name: string): string | undefined {
    return this.all.get(name) ?? undefined;
  }

  getAll(name: string): string[] {
    return this.all.getAll(name);
  }

  /** A timestamp parameter (RFC 3339 or Unix seconds with decimals), in ms. */
  time(name: string, fallback: number): number {
    const v = this.get(name);
    if (v === undefined || v === "") return fallback;
    return parseTime(v, name);
  }

  /** A non-negative integer parameter (`limit`), 0 when absent. */
  limit(name = "limit"): number {
    const v = this.get(name);
    if (v === undefined || v === "") return 0;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw badData(`invalid ${name}: ${JSON.stringify(v)}: must be a non-negative integer`);
    return n;
  }

  /** A duration parameter (`step`, `timeout`): Prometheus duration or float seconds, in ms. */
  duration(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined || v === "") return undefined;
    return parseDurationParam(v, name);
  }

  /** The `match[]` selectors, each parsed to matchers. */
  matchers(name = "match[]"): Matcher[][] {
    return this.getAll(name).map((s) => {
      try {
        return parseMetricSelector(s);
      } catch (err) {
        throw badData(`invalid parameter "${name}": ${(err as Error).message}`);
      }
    });
  }
}

/** Parses an API timestamp: float Unix seconds or RFC 3339; returns ms. */
export function parseTime(v: string, name = "time"): number {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
    const s = Number(v);
    if (Number.isFinite(s)) return Math.round(s * 1000);
  }
  if (v === "-292273086-05-16T16:47:06Z" || v === "0001-01-01T00:00:00Z") return MIN_TIME;
  if (v === "292277025-08-18T07:12:54.999999999Z") return MAX_TIME;
  if (/^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  throw badData(`invalid parameter "${name}": cannot parse "${v}" to a valid timestamp`);
}

/** Parses an API duration: float seconds or a Prometheus duration string; returns ms. */
export function parseDurationParam(v: string, name: string): number {
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
    const s = Number(v);
    if (Number.isFinite(s)) return Math.round(s * 1000);
  }
  try {
    return parseDuration(v);
  } catch {
    throw badData(`invalid parameter "${name}": cannot parse "${v}" to a valid duration`);
  }
}
