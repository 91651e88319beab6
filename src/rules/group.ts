import {
  type Alert,
  hashString,
  isStaleNaN,
  type Labels,
  labelsKey,
  labelsToRecord,
  Matcher,
  METRIC_NAME,
  STALE_NAN,
} from "../model/index.js";
import {
  type Appendable,
  DuplicateSampleError,
  OutOfBoundsError,
  OutOfOrderError,
  type Queryable,
} from "../storage/index.js";
import type { AlertHistoryEntry } from "./history.js";
import {
  type AlertingRule,
  type AlertTransition,
  type OutputSample,
  type QueryFunc,
  type Rule,
  tableLinkForExpression,
  toNotifyAlert,
} from "./rule.js";

/** A logger with pino's call shape (the project's logger); all methods optional in tests. */
export interface RulesLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything. */
export const NOP_LOGGER: RulesLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** What a group needs from its manager. */
export interface GroupDeps {
  readonly queryFunc: QueryFunc;
  readonly appendable: Appendable;
  readonly queryable: Queryable;
  readonly notify: (alerts: readonly Alert[]) => void;
  readonly logger: RulesLogger;
  readonly externalURL: string;
  readonly resendDelayMs: number;
  readonly outageToleranceMs: number;
  readonly forGracePeriodMs: number;
  readonly recordHistory: (entries: readonly AlertHistoryEntry[]) => void;
  readonly metrics: GroupMetrics | null;
}

/** Per-group metric hooks (implemented with prom-client by the manager). */
export interface GroupMetrics {
  evalTotal(group: string): void;
  evalFailure(group: string): void;
  evalDuration(seconds: number): void;
  iterationsMissed(group: string, n: number): void;
  iterationsScheduled(group: string, n: number): void;
  groupState(
    group: string,
    st: { lastDurationS: number; lastEvalS: number; samples: number; rules: number; intervalS: number },
  ): void;
  remove(group: string): void;
}

/** A group of rules evaluated in order at one interval. */
export class Group {
  /** Series written by each rule in the previous evaluation (for staleness markers). */
  seriesInPreviousEval: Map<string, Labels>[];
  /** Series of removed rules still to be marked stale. */
  staleSeries: Labels[] = [];
  /** Duration of the last evaluation in ms. */
  evaluationTimeMs = 0;
  /** Wall-clock ms of the last evaluation's start (0 = never). */
  lastEvaluation = 0;
  /** The slotted timestamp of the last evaluation. */
  lastEvalTimestamp = 0;
  /** True until the `for` state has been restored from ALERTS_FOR_STATE. */
  shouldRestore: boolean;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    readonly file: string,
    readonly name: string,
    readonly intervalMs: number,
    readonly limit: number,
    readonly queryOffsetMs: number,
    readonly rules: Rule[],
    shouldRestore: boolean,
    private readonly deps: GroupDeps,
  ) {
    this.seriesInPreviousEval = rules.map(() => new Map());
    this.shouldRestore = shouldRestore;
  }

  /** The group's key: `file;name` (group names are unique per file only). */
  get key(): string {
    return `${this.file};${this.name}`;
  }

  /** The slotted evaluation time at or before `t` (Prometheus's EvalTimestamp, hash-offset). */
  evalTimestamp(t: number): number {
    const offset = hashString(`${this.name}\xff${this.file}`) % this.intervalMs;
    const adj = t - offset;
    return adj - (((adj % this.intervalMs) + this.intervalMs) % this.intervalMs) + offset;
  }

  /** Evaluates every rule at `ts`, in order: appends samples, sends alerts, marks stale series. */
  async eval(ts: number): Promise<void> {
    const start = Date.now();
    let samples = 0;
    const history: AlertHistoryEntry[] = [];
    const onTransition = (tr: AlertTransition) => {
      history.push({
        t: tr.t,
        alertname: tr.rule.name,
        group: this.key,
        from: tr.from,
        to: tr.to,
        labels: labelsToRecord(tr.alert.labels),
        annotations: labelsToRecord(tr.alert.annotations),
        value: tr.alert.value,
      });
    };
    for (let i = 0; i < this.rules.length; i++) {
      if (this.stopped) break;
      const rule = this.rules[i]!;
      const ruleStart = Date.now();
      rule.lastEvaluation = ruleStart;
      this.deps.metrics?.evalTotal(this.key);
      let vector: OutputSample[];
      try {
        vector =
          rule.kind === "alerting"
            ? await rule.eval(ts, this.queryOffsetMs, this.deps.queryFunc, this.limit, onTransition)
            : await rule.eval(ts, this.queryOffsetMs, this.deps.queryFunc, this.limit);
      } catch (e) {
        rule.health = "err";
        rule.lastError = (e as Error).message;
        rule.evaluationTimeMs = Date.now() - ruleStart;
        this.deps.metrics?.evalFailure(this.key);
        this.deps.logger.warn(
          { group: this.name, file: this.file, rule: rule.name, index: i, err: rule.lastError },
          "Evaluating rule failed",
        );
        continue;
      }
      rule.health = "ok";
      rule.lastError = "";
      samples += vector.length;
      if (rule.kind === "alerting") {
        const alerts = rule.alertsToSend(
          ts,
          this.deps.resendDelayMs,
          this.intervalMs,
          tableLinkForExpression(this.deps.externalURL, rule.query),
        );
        if (alerts.length > 0) this.deps.notify(alerts);
      }
      await this.appendRuleOutput(i, rule, vector, ts - this.queryOffsetMs);
      rule.evaluationTimeMs = Date.now() - ruleStart;
      this.deps.metrics?.evalDuration(rule.evaluationTimeMs / 1000);
    }
    if (history.length > 0) this.deps.recordHistory(history);
    await this.cleanupStaleSeries(ts);
    this.evaluationTimeMs = Date.now() - start;
    this.lastEvaluation = start;
    this.lastEvalTimestamp = ts;
    this.deps.metrics?.groupState(this.key, {
      lastDurationS: this.evaluationTimeMs / 1000,
      lastEvalS: start / 1000,
      samples,
      rules: this.rules.length,
      intervalS: this.intervalMs / 1000,
    });
  }

  private async appendRuleOutput(i: number, rule: Rule, vector: OutputSample[], t: number): Promise<void> {
    const app = this.deps.appendable.appender();
    const returned = new Map<string, Labels>();
    let outOfOrder = 0;
    let tooOld = 0;
    let dup = 0;
    for (const s of vector) {
      try {
        app.append(0, s.labels, t, s.v);
        returned.set(labelsKey(s.labels), s.labels);
      } catch (e) {
        rule.health = "err";
        rule.lastError = (e as Error).message;
        if (e instanceof OutOfOrderError) outOfOrder++;
        else if (e instanceof OutOfBoundsError) tooOld++;
        else if (e instanceof DuplicateSampleError) dup++;
        else
          this.deps.logger.warn(
            { rule: rule.name, err: (e as Error).message },
            "Rule evaluation result discarded",
          );
      }
    }
    if (outOfOrder + tooOld + dup > 0) {
      this.deps.logger.warn(
        { rule: rule.name, outOfOrder, tooOld, duplicates: dup },
        "Rule evaluation results discarded",
      );
    }
    for (const [k, ls] of this.seriesInPreviousEval[i]!) {
      if (returned.has(k)) continue;
      try {
        app.append(0, ls, t, STALE_NAN);
      } catch {
        // Expected when another rule now writes the same series.
      }
    }
    try {
      await app.commit();
      this.seriesInPreviousEval[i] = returned;
    } catch (e) {
      rule.health = "err";
      rule.lastError = (e as Error).message;
      this.deps.metrics?.evalFailure(this.key);
      this.deps.logger.warn({ rule: rule.name, err: (e as Error).message }, "Rule sample appending failed");
    }
  }

  /** Writes staleness markers for series of rules that no longer exist. */
  async cleanupStaleSeries(ts: number): Promise<void> {
    if (this.staleSeries.length === 0) return;
    const app = this.deps.appendable.appender();
    for (const s of this.staleSeries) {
      try {
        app.append(0, s, ts - this.queryOffsetMs, STALE_NAN);
      } catch {
        // Expected when another rule now writes the same series.
      }
    }
    try {
      await app.commit();
      this.staleSeries = [];
    } catch (e) {
      this.deps.logger.warn(
        { err: (e as Error).message },
        "Stale sample appending for previous configuration failed",
      );
    }
  }

  /** The group's alerting rules. */
  alertingRules(): AlertingRule[] {
    return this.rules.filter((r): r is AlertingRule => r.kind === "alerting");
  }

  /**
   * Restores the `for` state of active alerts from ALERTS_FOR_STATE, as Prometheus does after a
   * restart: alerts that were pending resume their count (shifted by the downtime), within the
   * outage tolerance; those whose remaining time is under the grace period get the grace period.
   */
  async restoreForState(ts: number): Promise<void> {
    const q = this.deps.queryable.querier(ts - this.deps.outageToleranceMs, ts);
    try {
      for (const rule of this.alertingRules()) {
        if (rule.holdMs < this.deps.forGracePeriodMs) {
          rule.restored = true;
          continue;
        }
        const matchers = rule.forStateSeries([]).map((l) => new Matcher("=", l.name, l.value));
        let series: Awaited<ReturnType<typeof q.select>>;
        try {
          series = await q.select(matchers);
        } catch (e) {
          this.deps.logger.error(
            { alertname: rule.name, err: (e as Error).message },
            "Failed to restore 'for' state",
          );
          rule.restored = true;
          continue;
        }
        const byLabels = new Map<string, (typeof series)[number]>();
        for (const s of series) byLabels.set(labelsKey(s.labels.filter((l) => l.name !== METRIC_NAME)), s);
        if (byLabels.size === 0) {
          rule.restored = true;
          continue;
        }
        for (const a of rule.active.values()) {
          const s = byLabels.get(labelsKey(a.labels));
          if (s === undefined) continue;
          const it = s.iterator();
          let t = 0;
          let v = 0;
          let found = false;
          while (it.next()) {
            t = it.t;
            v = it.v;
            found = true;
          }
          if (!found || isStaleNaN(v)) continue;
          const downAt = Math.trunc(t / 1000) * 1000;
          let restoredActiveAt = v * 1000;
          const timeSpentPending = downAt - restoredActiveAt;
          const timeRemainingPending = rule.holdMs - timeSpentPending;
          if (timeRemainingPending <= 0) {
            // It was firing when we went down; the next evaluation fires it again.
          } else if (timeRemainingPending < this.deps.forGracePeriodMs) {
            restoredActiveAt = ts + this.deps.forGracePeriodMs - rule.holdMs;
          } else {
            restoredActiveAt += ts - downAt;
          }
          a.activeAt = restoredActiveAt;
          this.deps.logger.debug({ alertname: rule.name, restoredActiveAt }, "'for' state restored");
        }
        rule.restored = true;
      }
    } finally {
      q.close();
    }
  }

  /**
   * Runs the evaluation loop: waits for the group's first slot, evaluates, and when restoring,
   * evaluates once more before restoring the `for` state (as Prometheus does).
   */
  start(now: () => number): void {
    this.stopped = false;
    let evalTs = this.evalTimestamp(now()) + this.intervalMs;
    let evaluations = 0;
    const tick = () => {
      if (this.stopped) return;
      const current = now();
      const missed = Math.max(0, Math.floor((current - evalTs) / this.intervalMs));
      if (missed > 0) {
        this.deps.metrics?.iterationsMissed(this.key, missed);
        evalTs += missed * this.intervalMs;
      }
      this.deps.metrics?.iterationsScheduled(this.key, 1 + missed);
      const ts = evalTs;
      this.running = (async () => {
        await this.eval(ts);
        evaluations++;
        if (this.shouldRestore && evaluations >= 2 && !this.stopped) {
          await this.restoreForState(now());
          this.shouldRestore = false;
        }
      })()
        .catch((e: unknown) =>
          this.deps.logger.error({ group: this.name, err: String(e) }, "rule group evaluation failed"),
        )
        .finally(() => {
          this.running = null;
          evalTs += this.intervalMs;
          if (!this.stopped) this.timer = setTimeout(tick, Math.max(0, evalTs - now()));
        });
    };
    this.timer = setTimeout(tick, Math.max(0, evalTs - now()));
  }

  /** Stops the loop and waits for a running evaluation to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) await this.running;
  }

  /** True when both groups have the same settings and rules (a reload keeps the old one running). */
  equals(o: Group): boolean {
    return (
      this.name === o.name &&
      this.file === o.file &&
      this.intervalMs === o.intervalMs &&
      this.limit === o.limit &&
      this.queryOffsetMs === o.queryOffsetMs &&
      this.rules.length === o.rules.length &&
      this.rules.every((r, i) => r.toString() === o.rules[i]!.toString())
    );
  }

  /**
   * Takes over alert state and staleness tracking from the group this one replaces. Rules are
   * matched by name and labels; alerts of old rules without a match are returned so the caller
   * can resolve them.
   */
  copyState(from: Group): AlertingRule[] {
    this.evaluationTimeMs = from.evaluationTimeMs;
    this.lastEvaluation = from.lastEvaluation;
    const key = (r: Rule) => `${r.name}\xff${labelsKey(r.labels)}`;
    const ruleMap = new Map<string, number[]>();
    from.rules.forEach((r, fi) => {
      const k = key(r);
      ruleMap.set(k, [...(ruleMap.get(k) ?? []), fi]);
    });
    this.rules.forEach((r, i) => {
      const idx = ruleMap.get(key(r));
      if (!idx || idx.length === 0) return;
      const fi = idx.shift()!;
      this.seriesInPreviousEval[i] = from.seriesInPreviousEval[fi]!;
      const fr = from.rules[fi]!;
      if (r.kind === "alerting" && fr.kind === "alerting") {
        for (const [k, a] of fr.active) r.active.set(k, a);
      }
    });
    this.staleSeries = [...from.staleSeries];
    const orphans: AlertingRule[] = [];
    for (const [, idx] of ruleMap) {
      for (const fi of idx) {
        for (const s of from.seriesInPreviousEval[fi]!.values()) this.staleSeries.push(s);
        const fr = from.rules[fi]!;
        if (fr.kind === "alerting") orphans.push(fr);
      }
    }
    return orphans;
  }

  /**
   * Resolves every firing alert of `rules` at `ts` (the rules were removed): sends them as
   * resolved and records the transitions.
   */
  resolveRemoved(rules: readonly AlertingRule[], ts: number): void {
    const sent: Alert[] = [];
    const history: AlertHistoryEntry[] = [];
    for (const r of rules) {
      for (const a of r.active.values()) {
        if (a.state === "inactive") continue;
        const from = a.state;
        a.state = "inactive";
        a.resolvedAt = ts;
        history.push({
          t: ts,
          alertname: r.name,
          group: this.key,
          from,
          to: from === "firing" ? "resolved" : "inactive",
          labels: labelsToRecord(a.labels),
          annotations: labelsToRecord(a.annotations),
          value: a.value,
        });
        if (from === "firing")
          sent.push(toNotifyAlert(a, tableLinkForExpression(this.deps.externalURL, r.query)));
      }
      r.active.clear();
    }
    if (sent.length > 0) this.deps.notify(sent);
    if (history.length > 0) this.deps.recordHistory(history);
  }

  /** All series this group wrote in its last evaluation. */
  lastSeries(): Labels[] {
    const out: Labels[] = [];
    for (const m of this.seriesInPreviousEval) for (const s of m.values()) out.push(s);
    return out;
  }
}
