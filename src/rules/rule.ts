import {
  type Alert,
  type Labels,
  LabelsBuilder,
  labelsFromRecord,
  labelsKey,
  labelsToRecord,
  METRIC_NAME,
} from "../model/index.js";
import { type Engine, type Expr, formatExpr, parseExpr } from "../promql/index.js";
import type { Queryable } from "../storage/index.js";
import type { RuleGroupSpec } from "./rulefmt.js";
import { expandAlertTemplate } from "./template.js";

/** One sample of an instant vector as the rule engine sees it. */
export interface RuleSample {
  readonly labels: Labels;
  readonly v: number;
}

/**
 * Evaluates an expression at an instant and returns an instant vector (a scalar becomes one
 * sample with no labels); anything else rejects. Rules reach the query engine only through this.
 */
export type QueryFunc = (expr: string | Expr, tMs: number) => Promise<readonly RuleSample[]>;

/**
 * The usual {@link QueryFunc}: the PromQL engine over a queryable (Prometheus's EngineQueryFunc).
 * @example new RuleManager({ queryFunc: engineQueryFunc(new Engine(), head), ... })
 */
export function engineQueryFunc(engine: Engine, queryable: Queryable): QueryFunc {
  return async (expr, tMs) => {
    const r = await engine.instantQuery(queryable, expr, tMs);
    if (r.resultType === "vector") return r.result;
    if (r.resultType === "scalar") return [{ labels: [], v: r.result.v }];
    throw new Error("rule result is not a vector or scalar");
  };
}

/** Health of a rule after its last evaluation, as the API reports it. */
export type RuleHealth = "unknown" | "ok" | "err";

/** State of one alert instance. */
export type AlertState = "inactive" | "pending" | "firing";

/** A sample a rule wants written to storage (its timestamp is the evaluation time). */
export interface OutputSample {
  labels: Labels;
  v: number;
}

/** The common face of recording and alerting rules. */
interface RuleBase {
  readonly name: string;
  readonly expr: Expr;
  readonly query: string;
  readonly labels: Labels;
  health: RuleHealth;
  lastError: string;
  /** Wall-clock ms when the last evaluation started (0 = never). */
  lastEvaluation: number;
  /** Duration of the last evaluation in ms. */
  evaluationTimeMs: number;
}

/** A recording rule: stores the result of `expr` under a new metric name. */
export class RecordingRule implements RuleBase {
  readonly kind = "recording" as const;
  readonly query: string;
  health: RuleHealth = "unknown";
  lastError = "";
  lastEvaluation = 0;
  evaluationTimeMs = 0;

  constructor(
    readonly name: string,
    readonly expr: Expr,
    readonly labels: Labels,
  ) {
    this.query = formatExpr(expr);
  }

  /** Evaluates at `ts` and returns the samples to store, renamed and relabelled. */
  async eval(ts: number, queryOffsetMs: number, query: QueryFunc, limit: number): Promise<OutputSample[]> {
    const res = await query(this.expr, ts - queryOffsetMs);
    const out: OutputSample[] = new Array(res.length);
    const seen = new Set<string>();
    for (let i = 0; i < res.length; i++) {
      const b = new LabelsBuilder(res[i]!.labels).set(METRIC_NAME, this.name);
      for (const l of this.labels) b.set(l.name, l.value);
      const ls = b.labels();
      const k = labelsKey(ls);
      if (seen.has(k))
        throw new Error("vector contains metrics with the same labelset after applying rule labels");
      seen.add(k);
      out[i] = { labels: ls, v: res[i]!.v };
    }
    if (limit > 0 && out.length > limit)
      throw new Error(`exceeded limit of ${limit} with ${out.length} series`);
    return out;
  }

  /** The rule as promtool prints it (used to compare groups on reload). */
  toString(): string {
    return JSON.stringify({ record: this.name, expr: this.query, labels: labelsToRecord(this.labels) });
  }
}

/** One instance of an alerting rule: a label set with its state and times (ms; 0 = unset). */
export interface ActiveAlert {
  state: AlertState;
  labels: Labels;
  annotations: Labels;
  value: number;
  activeAt: number;
  firedAt: number;
  resolvedAt: number;
  /** When it was last sent (-Infinity = never). */
  lastSentAt: number;
  validUntil: number;
  keepFiringSince: number;
}

/** How long a resolved alert is kept (and re-sent as resolved), as in Prometheus. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

/** A state change of an alert instance, for the history. */
export interface AlertTransition {
  readonly rule: AlertingRule;
  readonly alert: ActiveAlert;
  readonly from: AlertState;
  /** "resolved" when a firing alert stops; "inactive" when a pending one is dropped. */
  readonly to: "pending" | "firing" | "resolved" | "inactive";
  readonly t: number;
}

/** Data that alert templates see besides the sample itself. */
export interface AlertContext {
  readonly externalLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
}

/** An alerting rule: its expression, hold durations, templates and active alerts. */
export class AlertingRule implements RuleBase {
  readonly kind = "alerting" as const;
  readonly query: string;
  health: RuleHealth = "unknown";
  lastError = "";
  lastEvaluation = 0;
  evaluationTimeMs = 0;
  /** Active (pending, firing, recently resolved) alerts by label-set key. */
  active = new Map<string, ActiveAlert>();
  /** False until the `for` state has been restored; ALERTS series are written only after. */
  restored: boolean;
  private readonly annotationEntries: [string, string][];
  private readonly labelRecord: Record<string, string>;

  constructor(
    readonly name: string,
    readonly expr: Expr,
    readonly holdMs: number,
    readonly keepFiringForMs: number,
    readonly labels: Labels,
    readonly annotations: Labels,
    private readonly ctx: AlertContext,
    restored: boolean,
  ) {
    this.query = formatExpr(expr);
    this.restored = restored;
    this.annotationEntries = annotations.map((l) => [l.name, l.value]);
    this.labelRecord = labelsToRecord(labels);
  }

  /**
   * Evaluates at `ts`: creates pending alerts for new label sets, fires those held long enough,
   * keeps firing for `keep_firing_for`, resolves the rest. Returns the ALERTS and
   * ALERTS_FOR_STATE samples (once restored) and reports state changes to `onTransition`.
   */
  async eval(
    ts: number,
    queryOffsetMs: number,
    query: QueryFunc,
    limit: number,
    onTransition?: (t: AlertTransition) => void,
  ): Promise<OutputSample[]> {
    const res = await query(this.expr, ts - queryOffsetMs);
    const fresh = new Map<string, ActiveAlert>();
    for (const s of res) {
      const l = labelsToRecord(s.labels);
      const data = {
        labels: l,
        externalLabels: this.ctx.externalLabels,
        externalURL: this.ctx.externalURL,
        value: s.v,
      };
      const b = new LabelsBuilder(s.labels).del(METRIC_NAME);
      for (const k of Object.keys(this.labelRecord))
        b.set(k, expandAlertTemplate(this.name, this.labelRecord[k]!, data));
      b.set("alertname", this.name);
      const anns = this.annotationEntries.map(([k, v]) => ({
        name: k,
        value: expandAlertTemplate(this.name, v, data),
      }));
      const ls = b.labels();
      const key = labelsKey(ls);
      if (fresh.has(key))
        throw new Error("vector contains metrics with the same labelset after applying alert labels");
      fresh.set(key, {
        state: "pending",
        labels: ls,
        annotations: anns.sort((a, c) => (a.name < c.name ? -1 : a.name > c.name ? 1 : 0)),
        value: s.v,
        activeAt: ts,
        firedAt: 0,
        resolvedAt: 0,
        lastSentAt: Number.NEGATIVE_INFINITY,
        validUntil: 0,
        keepFiringSince: 0,
      });
    }
    for (const [key, a] of fresh) {
      const cur = this.active.get(key);
      if (cur !== undefined && cur.state !== "inactive") {
        cur.value = a.value;
        cur.annotations = a.annotations;
        continue;
      }
      this.active.set(key, a);
      onTransition?.({ rule: this, alert: a, from: "inactive", to: "pending", t: ts });
    }
    const out: OutputSample[] = [];
    let numActive = 0;
    for (const [key, a] of this.active) {
      if (!fresh.has(key)) {
        let keepFiring = false;
        if (a.state === "firing" && this.keepFiringForMs > 0) {
          if (a.keepFiringSince === 0) a.keepFiringSince = ts;
          if (ts - a.keepFiringSince < this.keepFiringForMs) keepFiring = true;
        }
        if (a.state === "pending" || (a.resolvedAt !== 0 && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) {
          this.active.delete(key);
        }
        if (a.state !== "inactive" && !keepFiring) {
          const from = a.state;
          a.state = "inactive";
          a.resolvedAt = ts;
          onTransition?.({
            rule: this,
            alert: a,
            from,
            to: from === "firing" ? "resolved" : "inactive",
            t: ts,
          });
        }
        if (!keepFiring) continue;
      } else {
        a.keepFiringSince = 0;
      }
      numActive++;
      if (a.state === "pending" && ts - a.activeAt >= this.holdMs) {
        a.state = "firing";
        a.firedAt = ts;
        onTransition?.({ rule: this, alert: a, from: "pending", to: "firing", t: ts });
      }
      if (this.restored) {
        out.push({ labels: this.alertsSeries(a), v: 1 });
        out.push({ labels: this.forStateSeries(a.labels), v: Math.floor(a.activeAt / 1000) });
      }
    }
    if (limit > 0 && numActive > limit) {
      this.active = new Map();
      throw new Error(`exceeded limit of ${limit} with ${numActive} alerts`);
    }
    return out;
  }

  private alertsSeries(a: ActiveAlert): Labels {
    const b = new LabelsBuilder(this.labels);
    for (const l of a.labels) b.set(l.name, l.value);
    return b.set(METRIC_NAME, "ALERTS").set("alertname", this.name).set("alertstate", a.state).labels();
  }

  /** The ALERTS_FOR_STATE series of an alert (or, with no alert labels, the rule's matchers). */
  forStateSeries(alertLabels: Labels): Labels {
    const b = new LabelsBuilder(this.labels);
    for (const l of alertLabels) b.set(l.name, l.value);
    return b.set(METRIC_NAME, "ALERTS_FOR_STATE").set("alertname", this.name).labels();
  }

  /** The highest state among the rule's alerts ("inactive" when none). */
  state(): AlertState {
    let s: AlertState = "inactive";
    for (const a of this.active.values()) {
      if (a.state === "firing") return "firing";
      if (a.state === "pending") s = "pending";
    }
    return s;
  }

  /** Pending and firing alerts (not the resolved ones kept for re-sending). */
  activeAlerts(): ActiveAlert[] {
    return [...this.active.values()].filter((a) => a.resolvedAt === 0);
  }

  /**
   * The alerts due to be sent at `ts` (Prometheus's needsSending): firing ones not sent within
   * `resendDelayMs`, and ones resolved since they were last sent. Marks them sent.
   */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number, generatorURL: string): Alert[] {
    const out: Alert[] = [];
    for (const a of this.active.values()) {
      if (a.state === "pending") continue;
      const needs = (a.resolvedAt !== 0 && a.resolvedAt > a.lastSentAt) || a.lastSentAt + resendDelayMs < ts;
      if (!needs) continue;
      a.lastSentAt = ts;
      a.validUntil = ts + 4 * Math.max(intervalMs, resendDelayMs);
      out.push(toNotifyAlert(a, generatorURL));
    }
    return out;
  }

  /** The rule as a comparable string (used to compare groups on reload). */
  toString(): string {
    return JSON.stringify({
      alert: this.name,
      expr: this.query,
      for: this.holdMs,
      keep_firing_for: this.keepFiringForMs,
      labels: this.labelRecord,
      annotations: Object.fromEntries(this.annotationEntries),
    });
  }
}

/** Converts an alert instance to what the notification pipeline receives. */
export function toNotifyAlert(a: ActiveAlert, generatorURL: string): Alert {
  return {
    labels: labelsToRecord(a.labels),
    annotations: labelsToRecord(a.annotations),
    startsAt: a.firedAt,
    endsAt: a.resolvedAt !== 0 ? a.resolvedAt : a.validUntil,
    generatorURL,
    value: a.value,
  };
}

/** Either kind of rule. */
export type Rule = RecordingRule | AlertingRule;

/** Prometheus's link to an expression in the expression browser, relative to the external URL. */
export function tableLinkForExpression(externalURL: string, expr: string): string {
  return `${externalURL.replace(/\/$/, "")}/graph?g0.expr=${goQueryEscape(expr)}&g0.tab=1`;
}

/** Go's `url.QueryEscape`. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

/** Builds a label set from a rule file's record. */
export function ruleLabels(rec: Readonly<Record<string, string>>): Labels {
  return labelsFromRecord(rec);
}

/**
 * The rules of one group of a loaded rule file: recording rules and alerting rules with the
 * group's labels under their own. `restored` marks alerting rules whose `for` state needs no
 * restoring from ALERTS_FOR_STATE (fresh starts, unit tests).
 */
export function buildRules(g: RuleGroupSpec, ctx: AlertContext, restored: boolean): Rule[] {
  return g.rules.map((r) => {
    const labels = labelsFromRecord({ ...g.labels, ...r.labels });
    if (r.record !== undefined) return new RecordingRule(r.record, ruleExpr(r.expr), labels);
    return new AlertingRule(
      r.alert!,
      ruleExpr(r.expr),
      r.forMs,
      r.keepFiringForMs,
      labels,
      labelsFromRecord(r.annotations),
      ctx,
      restored,
    );
  });
}

/** Parses a rule's expression (already validated when the file was loaded). */
export function ruleExpr(text: string): Expr {
  return parseExpr(text);
}
