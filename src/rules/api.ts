import { labelsToRecord } from "../model/index.js";
import { formatGoFloat } from "./gofmt.js";
import type { AlertHistoryEntry, AlertHistoryQuery } from "./history.js";
import type { RuleManager } from "./manager.js";
import type { ActiveAlert, AlertingRule, Rule } from "./rule.js";

/** An alert as `/api/v1/alerts` and `/api/v1/rules` show it. */
export interface AlertJSON {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt?: string;
  keepFiringSince?: string;
  value: string;
}

/** A rule as `/api/v1/rules` shows it. */
export type RuleJSON =
  | {
      type: "alerting";
      state: string;
      name: string;
      query: string;
      duration: number;
      keepFiringFor: number;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      alerts?: AlertJSON[];
      health: string;
      lastError?: string;
      evaluationTime: number;
      lastEvaluation: string;
    }
  | {
      type: "recording";
      name: string;
      query: string;
      labels?: Record<string, string>;
      health: string;
      lastError?: string;
      evaluationTime: number;
      lastEvaluation: string;
    };

/** A group as `/api/v1/rules` shows it. */
export interface RuleGroupJSON {
  name: string;
  file: string;
  rules: RuleJSON[];
  interval: number;
  limit: number;
  evaluationTime: number;
  lastEvaluation: string;
}

/** Go's RFC3339Nano rendering of ms since the epoch (zero time when 0). */
export function rfc3339(ms: number): string {
  if (ms === 0) return "0001-01-01T00:00:00Z";
  return new Date(ms)
    .toISOString()
    .replace(/\.?0*Z$/, "Z")
    .replace(/\.(\d*?)0+Z$/, ".$1Z");
}

function alertJSON(a: ActiveAlert): AlertJSON {
  return {
    labels: labelsToRecord(a.labels),
    annotations: labelsToRecord(a.annotations),
    state: a.state,
    ...(a.activeAt !== 0 ? { activeAt: rfc3339(a.activeAt) } : {}),
    ...(a.keepFiringSince !== 0 ? { keepFiringSince: rfc3339(a.keepFiringSince) } : {}),
    value: formatGoFloat(a.value, "e", -1),
  };
}

/** Filters of `/api/v1/rules` (Prometheus's query parameters). */
export interface RulesQuery {
  /** "alert" or "record". */
  type?: string;
  ruleName?: readonly string[];
  ruleGroup?: readonly string[];
  file?: readonly string[];
  excludeAlerts?: boolean;
}

function ruleJSON(r: Rule, excludeAlerts: boolean): RuleJSON {
  const common = {
    name: r.name,
    query: r.query,
    health: r.health,
    ...(r.lastError !== "" ? { lastError: r.lastError } : {}),
    evaluationTime: r.evaluationTimeMs / 1000,
    lastEvaluation: rfc3339(r.lastEvaluation),
  };
  if (r.kind === "recording") {
    return {
      type: "recording",
      ...common,
      ...(r.labels.length > 0 ? { labels: labelsToRecord(r.labels) } : {}),
    };
  }
  return {
    type: "alerting",
    state: r.state(),
    name: r.name,
    query: r.query,
    duration: r.holdMs / 1000,
    keepFiringFor: r.keepFiringForMs / 1000,
    labels: labelsToRecord(r.labels),
    annotations: labelsToRecord(r.annotations),
    ...(excludeAlerts ? {} : { alerts: r.activeAlerts().map(alertJSON) }),
    health: common.health,
    ...(r.lastError !== "" ? { lastError: r.lastError } : {}),
    evaluationTime: common.evaluationTime,
    lastEvaluation: common.lastEvaluation,
  };
}

/**
 * The `data` of Prometheus's `GET /api/v1/rules`: `{ groups: [...] }` with the same fields and
 * filters (type, rule_name[], rule_group[], file[], exclude_alerts). Throws an Error with
 * Prometheus's message for a bad `type`.
 */
export function rulesAPIData(m: RuleManager, q: RulesQuery = {}): { groups: RuleGroupJSON[] } {
  if (q.type !== undefined && q.type !== "" && q.type !== "alert" && q.type !== "record") {
    throw new Error(`not supported value ${JSON.stringify(q.type)}`);
  }
  const wantAlert = q.type !== "record";
  const wantRecord = q.type !== "alert";
  const inSet = (v: string, set?: readonly string[]) => !set || set.length === 0 || set.includes(v);
  const groups: RuleGroupJSON[] = [];
  for (const g of m.groups()) {
    if (!inSet(g.name, q.ruleGroup) || !inSet(g.file, q.file)) continue;
    const rules: RuleJSON[] = [];
    for (const r of g.rules) {
      if (!inSet(r.name, q.ruleName)) continue;
      if (r.kind === "alerting" ? !wantAlert : !wantRecord) continue;
      rules.push(ruleJSON(r, q.excludeAlerts === true));
    }
    if (rules.length === 0 && ((q.type ?? "") !== "" || (q.ruleName?.length ?? 0) > 0)) continue;
    groups.push({
      name: g.name,
      file: g.file,
      rules,
      interval: g.intervalMs / 1000,
      limit: g.limit,
      evaluationTime: g.evaluationTimeMs / 1000,
      lastEvaluation: rfc3339(g.lastEvaluation),
    });
  }
  return { groups };
}

/** The `data` of Prometheus's `GET /api/v1/alerts`: `{ alerts: [...] }` (pending and firing). */
export function alertsAPIData(m: RuleManager): { alerts: AlertJSON[] } {
  return { alerts: m.alerts().map(({ alert }) => alertJSON(alert)) };
}

/** One history entry as `/api/relay/v1/alerts/history` shows it. */
export interface AlertHistoryJSON {
  time: string;
  alertname: string;
  group: string;
  from: string;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  value: string;
}

/**
 * The `data` of `GET /api/relay/v1/alerts/history`: `{ entries: [...] }`, newest first. An
 * absent history store gives no entries.
 */
export function alertHistoryAPIData(
  m: RuleManager,
  q: AlertHistoryQuery = {},
): { entries: AlertHistoryJSON[] } {
  const entries: AlertHistoryEntry[] = m.history?.query(q) ?? [];
  return {
    entries: entries.map((e) => ({
      time: rfc3339(e.t),
      alertname: e.alertname,
      group: e.group,
      from: e.from,
      state: e.to,
      labels: { ...e.labels },
      annotations: { ...e.annotations },
      value: formatGoFloat(e.value, "e", -1),
    })),
  };
}

/** Re-exported for callers that only need an alerting rule's type. */
export type { AlertingRule };
