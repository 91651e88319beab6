import { type Alert, compileAnchoredRE2, type Matcher } from "../model/index.js";
import { matchRecord, parseMatchers } from "./matchers.js";
import type { NotificationPipeline, StoredAlert } from "./pipeline.js";
import {
  type Silence,
  type SilenceMatcher,
  SilenceNotFoundError,
  SilenceValidationError,
  silenceState,
} from "./silences.js";

/**
 * Plain functions answering Alertmanager's v2 API (`api/v2/openapi.yaml`) from a pipeline. They
 * take already-parsed parameters and bodies and return the JSON body; failures throw
 * {@link NotifyApiError} carrying the HTTP status Alertmanager answers with. Alertmanager sends
 * error bodies as a JSON string (`"silence not found"`), which routes should do too.
 */

/** A failed API call: `status` is the HTTP status, `message` the body (a JSON string in Alertmanager). */
export class NotifyApiError extends Error {
  override name = "NotifyApiError";
  readonly status: 400 | 404 | 500;

  constructor(status: 400 | 404 | 500, message: string) {
    super(message);
    this.status = status;
  }
}

/** Filters of `GET /api/v2/alerts` and `/api/v2/alerts/groups` (each flag defaults to true). */
export interface AlertQuery {
  readonly active?: boolean;
  readonly silenced?: boolean;
  readonly inhibited?: boolean;
  readonly unprocessed?: boolean;
  /** Matchers in Alertmanager's syntax, e.g. `alertname="Down"`; all must match. */
  readonly filter?: readonly string[];
  /** A regular expression the name of one of the alert's receivers must match. */
  readonly receiver?: string;
}

/** An alert in the v2 API's `gettableAlert` shape; `status.flapping` is Relay's addition. */
export interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  generatorURL: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: {
    state: "active" | "suppressed" | "unprocessed";
    silencedBy: string[];
    inhibitedBy: string[];
    mutedBy: string[];
    flapping: boolean;
  };
}

/** An alert group in the v2 API's shape. */
export interface AlertGroup {
  labels: Record<string, string>;
  receiver: { name: string };
  alerts: GettableAlert[];
}

/** A silence in the v2 API's `gettableSilence` shape. */
export interface GettableSilence {
  id: string;
  status: { state: "pending" | "active" | "expired" };
  updatedAt: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** The v2 API's `alertmanagerStatus`. */
export interface AlertmanagerStatus {
  cluster: { status: "disabled"; peers: never[]; name?: string };
  versionInfo: {
    branch: string;
    buildDate: string;
    buildUser: string;
    goVersion: string;
    revision: string;
    version: string;
  };
  config: { original: string };
  uptime: string;
}

/** A receiver; `integrations` is Relay's addition (delivery counts and last error, secrets redacted). */
export interface ApiReceiver {
  name: string;
  integrations: {
    name: string;
    index: number;
    sendResolved: boolean;
    notifications: number;
    failures: number;
    lastNotifyAttempt: string | null;
    lastNotifyAttemptDuration: string;
    lastNotifyAttemptError: string;
  }[];
}

const iso = (t: number) => new Date(t).toISOString();

function bool(v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const s = Array.isArray(v) ? v.at(-1) : v;
  if (s === true || s === "true") return true;
  if (s === false || s === "false") return false;
  throw new NotifyApiError(400, `${name} in query should be of type boolean`);
}

/**
 * Reads alert filters from a parsed query string (`?active=false&filter=a="b"&filter=c=~"d"`).
 * @example alertQueryFromParams({ silenced: "false", filter: ['alertname="Down"'] })
 */
export function alertQueryFromParams(q: Readonly<Record<string, unknown>>): AlertQuery {
  const filter = q.filter === undefined ? [] : (Array.isArray(q.filter) ? q.filter : [q.filter]).map(String);
  return {
    active: bool(q.active, "active", true),
    silenced: bool(q.silenced, "silenced", true),
    inhibited: bool(q.inhibited, "inhibited", true),
    unprocessed: bool(q.unprocessed, "unprocessed", true),
    filter,
    ...(typeof q.receiver === "string" && q.receiver !== "" ? { receiver: q.receiver } : {}),
  };
}

function filterMatchers(filter: readonly string[] | undefined): Matcher[] {
  try {
    return (filter ?? []).flatMap((f) => parseMatchers(f));
  } catch (err) {
    throw new NotifyApiError(400, (err as Error).message);
  }
}

function receiverRE(re: string | undefined): RegExp | undefined {
  if (re === undefined) return undefined;
  try {
    return compileAnchoredRE2(re);
  } catch (err) {
    throw new NotifyApiError(400, `failed to parse receiver param: ${(err as Error).message}`);
  }
}

function render(p: NotificationPipeline, a: StoredAlert, receivers: string[]): GettableAlert {
  const silencedBy = p.silencedBy(a);
  const inhibitedBy = p.inhibitedBy(a);
  const flapping = p.isFlapping(a.fingerprint);
  return {
    labels: { ...a.labels },
    annotations: { ...a.annotations },
    startsAt: iso(a.startsAt),
    endsAt: iso(a.endsAt),
    updatedAt: iso(a.updatedAt),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
    receivers: receivers.map((name) => ({ name })),
    status: {
      state: silencedBy.length > 0 || inhibitedBy.length > 0 ? "suppressed" : "active",
      silencedBy,
      inhibitedBy,
      mutedBy: [],
      flapping,
    },
  };
}

function selector(p: NotificationPipeline, q: AlertQuery) {
  const ms = filterMatchers(q.filter);
  const re = receiverRE(q.receiver);
  const now = p.clock.now();
  return (a: StoredAlert): GettableAlert | undefined => {
    if (a.endsAt <= now && !p.isFlapping(a.fingerprint)) return undefined;
    if (!matchRecord(ms, a.labels)) return undefined;
    const receivers = p.receiversFor(a.labels);
    if (re && !receivers.some((r) => re.test(r))) return undefined;
    const g = render(p, a, receivers);
    if (q.active === false && g.status.state === "active") return undefined;
    if (q.silenced === false && g.status.silencedBy.length > 0) return undefined;
    if (q.inhibited === false && g.status.inhibitedBy.length > 0) return undefined;
    return g;
  };
}

/** `GET /api/v2/alerts`: the alerts held (not resolved), sorted by fingerprint. */
export function getAlerts(p: NotificationPipeline, q: AlertQuery = {}): GettableAlert[] {
  const pick = selector(p, q);
  const out: GettableAlert[] = [];
  for (const a of p.storedAlerts()) {
    const g = pick(a);
    if (g) out.push(g);
  }
  return out.sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : x.fingerprint > y.fingerprint ? 1 : 0));
}

/** `GET /api/v2/alerts/groups`: aggregation groups with their (filtered) alerts. */
export function getAlertGroups(p: NotificationPipeline, q: AlertQuery = {}): AlertGroup[] {
  const pick = selector(p, q);
  const out: { key: string; g: AlertGroup }[] = [];
  for (const ag of p.aggregationGroups()) {
    const alerts: GettableAlert[] = [];
    for (const a of ag.alerts.values()) {
      const g = pick(a);
      if (g) alerts.push(g);
    }
    if (alerts.length === 0) continue;
    alerts.sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : 1));
    out.push({
      key: ag.key,
      g: { labels: { ...ag.labels }, receiver: { name: ag.route.options.receiver }, alerts },
    });
  }
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)).map((x) => x.g);
}

function parseTime(v: unknown, what: string): number {
  if (v === undefined || v === null || v === "") return 0;
  const t = typeof v === "string" ? Date.parse(v) : Number.NaN;
  if (!Number.isFinite(t))
    throw new NotifyApiError(400, `${what} in body must be of type date-time: ${JSON.stringify(v)}`);
  return Math.max(t, 0);
}

function stringRecord(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v))
    throw new NotifyApiError(400, `${what} in body must be of type object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string") throw new NotifyApiError(400, `${what}.${k} in body must be of type string`);
    out[k] = x;
  }
  return out;
}

/** `POST /api/v2/alerts`: receives alerts as Prometheus posts them. */
export function postAlerts(p: NotificationPipeline, body: unknown): void {
  if (!Array.isArray(body)) throw new NotifyApiError(400, "alerts in body must be of type array");
  const alerts: Alert[] = body.map((raw, i) => {
    if (typeof raw !== "object" || raw === null)
      throw new NotifyApiError(400, `alerts[${i}] in body must be of type object`);
    const r = raw as Record<string, unknown>;
    if (r.labels === undefined) throw new NotifyApiError(400, `${i}.labels in body is required`);
    const labels = stringRecord(r.labels, `${i}.labels`);
    const startsAt = parseTime(r.startsAt, `${i}.startsAt`);
    const endsAt = parseTime(r.endsAt, `${i}.endsAt`);
    if (startsAt > 0 && endsAt > 0 && endsAt < startsAt)
      throw new NotifyApiError(400, "start time must be before end time");
    if (Object.keys(labels).length === 0) throw new NotifyApiError(400, "at least one label pair required");
    return {
      labels,
      annotations: stringRecord(r.annotations, `${i}.annotations`),
      startsAt,
      endsAt,
      generatorURL: typeof r.generatorURL === "string" ? r.generatorURL : "",
    };
  });
  const problems = p.receive(alerts);
  if (problems.length > 0) throw new NotifyApiError(400, problems.join("; "));
}

function renderSilence(s: Silence, now: number): GettableSilence {
  return {
    id: s.id,
    status: { state: silenceState(s, now) },
    updatedAt: iso(s.updatedAt),
    matchers: s.matchers.map((m) => ({ ...m })),
    startsAt: iso(s.startsAt),
    endsAt: iso(s.endsAt),
    createdBy: s.createdBy,
    comment: s.comment,
  };
}

/** Alertmanager's filter on silences: a filter matcher checks the silence matcher of that name. */
function silenceMatchesFilter(s: Silence, ms: readonly Matcher[]): boolean {
  const byName = new Map(s.matchers.map((m) => [m.name, m.value]));
  for (const m of ms) {
    const v = byName.get(m.name);
    const negative = m.type === "!=" || m.type === "!~";
    if (m.value === "" && (negative ? v !== undefined : v === undefined)) continue;
    if (!m.matches(v ?? "")) return false;
  }
  return true;
}

const STATE_ORDER = { active: 0, pending: 1, expired: 2 } as const;

/** `GET /api/v2/silences`: active (by end), then pending (by start), then expired (latest first). */
export function getSilences(
  p: NotificationPipeline,
  q: { filter?: readonly string[] } = {},
): GettableSilence[] {
  const ms = filterMatchers(q.filter);
  const now = p.clock.now();
  return p.silences
    .list()
    .filter((s) => silenceMatchesFilter(s, ms))
    .map((s) => ({ s, st: silenceState(s, now) }))
    .sort((a, b) => {
      if (a.st !== b.st) return STATE_ORDER[a.st] - STATE_ORDER[b.st];
      if (a.st === "active") return a.s.endsAt - b.s.endsAt;
      if (a.st === "pending") return a.s.startsAt - b.s.startsAt;
      return b.s.endsAt - a.s.endsAt;
    })
    .map(({ s }) => renderSilence(s, now));
}

/** `GET /api/v2/silence/{id}`. */
export function getSilence(p: NotificationPipeline, id: string): GettableSilence {
  const s = p.silences.get(id);
  if (!s) throw new NotifyApiError(404, "silence not found");
  return renderSilence(s, p.clock.now());
}

function parseSilenceMatchers(v: unknown): SilenceMatcher[] {
  if (!Array.isArray(v)) throw new NotifyApiError(400, "matchers in body is required");
  return v.map((m, i) => {
    const r = (typeof m === "object" && m !== null ? m : {}) as Record<string, unknown>;
    for (const k of ["name", "value"])
      if (typeof r[k] !== "string") throw new NotifyApiError(400, `matchers.${i}.${k} in body is required`);
    if (typeof r.isRegex !== "boolean")
      throw new NotifyApiError(400, `matchers.${i}.isRegex in body is required`);
    if (r.isEqual !== undefined && typeof r.isEqual !== "boolean")
      throw new NotifyApiError(400, `matchers.${i}.isEqual in body must be of type boolean`);
    return {
      name: r.name as string,
      value: r.value as string,
      isRegex: r.isRegex,
      isEqual: r.isEqual !== false,
    };
  });
}

/** `POST /api/v2/silences`: creates or updates a silence; answers `{ silenceID }`. */
export function postSilences(p: NotificationPipeline, body: unknown): { silenceID: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new NotifyApiError(400, "silence in body must be of type object");
  const b = body as Record<string, unknown>;
  const matchers = parseSilenceMatchers(b.matchers);
  for (const k of ["startsAt", "endsAt", "createdBy", "comment"]) {
    if (b[k] === undefined || b[k] === null) throw new NotifyApiError(400, `${k} in body is required`);
  }
  if (typeof b.createdBy !== "string" || typeof b.comment !== "string")
    throw new NotifyApiError(400, "createdBy and comment in body must be of type string");
  const startsAt = parseTime(b.startsAt, "startsAt");
  const endsAt = parseTime(b.endsAt, "endsAt");
  if (startsAt >= endsAt)
    throw new NotifyApiError(400, "failed to create silence: start time must be before end time");
  if (endsAt < p.clock.now())
    throw new NotifyApiError(400, "failed to create silence: end time can't be in the past");
  const id = typeof b.id === "string" && b.id !== "" ? b.id : undefined;
  try {
    const silenceID = p.silences.set({
      ...(id ? { id } : {}),
      matchers,
      startsAt,
      endsAt,
      createdBy: b.createdBy,
      comment: b.comment,
    });
    return { silenceID };
  } catch (err) {
    if (err instanceof SilenceNotFoundError) throw new NotifyApiError(404, err.message);
    if (err instanceof SilenceValidationError)
      throw new NotifyApiError(400, `failed to create silence: ${err.message}`);
    throw err;
  }
}

/** `DELETE /api/v2/silence/{id}`: expires the silence. */
export function deleteSilence(p: NotificationPipeline, id: string): void {
  try {
    p.silences.expire(id);
  } catch (err) {
    if (err instanceof SilenceNotFoundError) throw new NotifyApiError(404, "silence not found");
    if (err instanceof SilenceValidationError) throw new NotifyApiError(500, err.message);
    throw err;
  }
}

/** `GET /api/v2/status`: version, uptime and the configuration (secrets shown as `<secret>`). */
export function getStatus(p: NotificationPipeline): AlertmanagerStatus {
  return {
    cluster: { status: "disabled", peers: [] },
    versionInfo: { ...p.buildInfo },
    config: { original: p.configText() },
    uptime: iso(p.startedAt),
  };
}

/** `GET /api/v2/receivers`: receiver names, with Relay's delivery statistics per integration. */
export function getReceivers(p: NotificationPipeline): ApiReceiver[] {
  const stats = p.integrationStatus();
  return p.receiverNames().map((name) => ({
    name,
    integrations: stats
      .filter((s) => s.receiver === name)
      .map((s) => ({
        name: s.integration,
        index: s.index,
        sendResolved: s.sendResolved,
        notifications: s.notifications,
        failures: s.failures,
        lastNotifyAttempt: s.lastAttempt > 0 ? iso(s.lastAttempt) : null,
        lastNotifyAttemptDuration: `${s.lastAttemptDuration.toFixed(3)}s`,
        lastNotifyAttemptError: s.lastError,
      })),
  }));
}
