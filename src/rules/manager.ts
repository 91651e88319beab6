import { readdirSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve, sep } from "node:path";
import { Counter, Gauge, type Registry, Summary } from "prom-client";
import type { Alert, NotifyFunc } from "../model/index.js";
import type { Appendable, Queryable } from "../storage/index.js";
import { Group, type GroupMetrics, NOP_LOGGER, type RulesLogger } from "./group.js";
import type { AlertHistoryEntry, AlertHistoryStore } from "./history.js";
import { type AlertContext, type AlertingRule, buildRules, type QueryFunc, type Rule } from "./rule.js";
import { loadRuleFiles, type RuleFileSpec } from "./rulefmt.js";

/** Options of a {@link RuleManager}. */
export interface RuleManagerOptions {
  /** Evaluates an expression at an instant (see engineQueryFunc). */
  queryFunc: QueryFunc;
  /** Where recording-rule results and ALERTS / ALERTS_FOR_STATE samples go. */
  appendable: Appendable;
  /** Where ALERTS_FOR_STATE is read back after a restart. */
  queryable: Queryable;
  /** Receives alerts to send (the notification pipeline). */
  notify: NotifyFunc;
  logger?: RulesLogger;
  /** The global config's external labels (for `$externalLabels` in templates). */
  externalLabels?: Readonly<Record<string, string>>;
  /** The server's external URL (templates' `$externalURL`, alerts' generatorURL). */
  externalURL?: string;
  /** A prom-client registry for relay_rule_* metrics (none when absent). */
  registry?: Registry;
  /** Where alert transitions are recorded. */
  history?: AlertHistoryStore;
  /** Least time between two sends of a still-firing alert (default 1 minute). */
  resendDelayMs?: number;
  /** How long an outage may last for `for` state to be restored (default 1 hour). */
  outageToleranceMs?: number;
  /** Least time an alert waits to fire after a restart (default 10 minutes). */
  forGracePeriodMs?: number;
  /** Wall clock (tests pass a fake one). */
  now?: () => number;
}

/** The rules part of the configuration. */
export interface RulesConfig {
  /** Rule file paths or globs (`rules/*.yml`), relative to `baseDir`. */
  ruleFiles: readonly string[];
  /** The global evaluation interval in ms (groups without `interval`). */
  evaluationIntervalMs: number;
  /** Directory relative paths are resolved against (the config file's directory). */
  baseDir?: string;
}

const META = /[*?[\\]/;

function matchSegment(pattern: string, name: string): boolean {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) throw new Error(`syntax error in pattern: ${pattern}`);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith("^")) body = `\\^${body.slice(1)}`;
      re += `[${body.startsWith("!") ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else if (c === "\\" && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\]]/g, "\\$&");
  }
  return new RegExp(`${re}$`).test(name);
}

/**
 * Expands a path pattern like Go's filepath.Glob (`*`, `?`, `[...]` within one path element);
 * a pattern without metacharacters yields the path when it exists. Results are sorted.
 */
export function globFiles(pattern: string): string[] {
  if (!META.test(pattern)) {
    try {
      statSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const abs = isAbsolute(pattern);
  const parts = pattern.split(sep).filter((p, i) => p !== "" || i === 0);
  let paths = [abs ? sep : ""];
  for (let i = abs ? 1 : 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next: string[] = [];
    for (const base of paths) {
      if (!META.test(part)) {
        next.push(base === "" ? part : join(base, part));
        continue;
      }
      let entries: string[] = [];
      try {
        entries = readdirSync(base === "" ? "." : base);
      } catch {
        continue;
      }
      for (const e of entries.sort()) if (matchSegment(part, e)) next.push(base === "" ? e : join(base, e));
    }
    paths = next;
  }
  return paths.filter((p) => {
    try {
      statSync(p);
      return true;
    } catch {
      return false;
    }
  });
}

function makeMetrics(reg: Registry): GroupMetrics {
  const labelNames = ["rule_group"];
  const evalDuration = new Summary({
    name: "relay_rule_evaluation_duration_seconds",
    help: "The duration for a rule to execute.",
    percentiles: [0.5, 0.9, 0.99],
    registers: [reg],
  });
  const evals = new Counter({
    name: "relay_rule_evaluations_total",
    help: "The total number of rule evaluations.",
    labelNames,
    registers: [reg],
  });
  const failures = new Counter({
    name: "relay_rule_evaluation_failures_total",
    help: "The total number of rule evaluation failures.",
    labelNames,
    registers: [reg],
  });
  const missed = new Counter({
    name: "relay_rule_group_iterations_missed_total",
    help: "The total number of rule group evaluations missed due to slow rule group evaluation.",
    labelNames,
    registers: [reg],
  });
  const scheduled = new Counter({
    name: "relay_rule_group_iterations_total",
    help: "The total number of scheduled rule group evaluations, whether executed or missed.",
    labelNames,
    registers: [reg],
  });
  const g = (name: string, help: string) => new Gauge({ name, help, labelNames, registers: [reg] });
  const lastDuration = g(
    "relay_rule_group_last_duration_seconds",
    "The duration of the last rule group evaluation.",
  );
  const lastEval = g(
    "relay_rule_group_last_evaluation_timestamp_seconds",
    "The timestamp of the last rule group evaluation in seconds.",
  );
  const samples = g(
    "relay_rule_group_last_evaluation_samples",
    "The number of samples returned during the last rule group evaluation.",
  );
  const rules = g("relay_rule_group_rules", "The number of rules.");
  const interval = g("relay_rule_group_interval_seconds", "The interval of a rule group.");
  return {
    evalTotal: (k) => evals.inc({ rule_group: k }),
    evalFailure: (k) => failures.inc({ rule_group: k }),
    evalDuration: (s) => evalDuration.observe(s),
    iterationsMissed: (k, n) => missed.inc({ rule_group: k }, n),
    iterationsScheduled: (k, n) => scheduled.inc({ rule_group: k }, n),
    groupState: (k, st) => {
      lastDuration.set({ rule_group: k }, st.lastDurationS);
      lastEval.set({ rule_group: k }, st.lastEvalS);
      samples.set({ rule_group: k }, st.samples);
      rules.set({ rule_group: k }, st.rules);
      interval.set({ rule_group: k }, st.intervalS);
    },
    remove: (k) => {
      for (const m of [
        evals,
        failures,
        missed,
        scheduled,
        lastDuration,
        lastEval,
        samples,
        rules,
        interval,
      ]) {
        m.remove({ rule_group: k });
      }
    },
  };
}

/**
 * Loads rule files and runs their groups: recording rules append to storage, alerting rules
 * write ALERTS / ALERTS_FOR_STATE, send alerts through `notify` and record transitions in the
 * history. The same life as every component: construct, `applyConfig`, `start`, `stop`.
 * @example
 * const rm = new RuleManager({ queryFunc: engineQueryFunc(engine, db), appendable: db, queryable: db, notify });
 * await rm.applyConfig({ ruleFiles: ["rules/*.yml"], evaluationIntervalMs: 15_000 });
 * rm.start();
 */
export class RuleManager {
  private groupsByKey = new Map<string, Group>();
  private started = false;
  /** True once groups have been loaded (later loads do not restore `for` state). */
  private restored = false;
  private readonly logger: RulesLogger;
  private readonly now: () => number;
  private readonly metrics: GroupMetrics | null;
  private readonly ctx: AlertContext;
  private updating: Promise<void> = Promise.resolve();

  constructor(private readonly opts: RuleManagerOptions) {
    this.logger = opts.logger ?? NOP_LOGGER;
    this.now = opts.now ?? Date.now;
    this.metrics = opts.registry ? makeMetrics(opts.registry) : null;
    this.ctx = { externalLabels: opts.externalLabels ?? {}, externalURL: opts.externalURL ?? "" };
  }

  /**
   * Loads the rule files and replaces the running groups. All or nothing: when any file has a
   * problem this rejects with a RuleLoadError listing them all, and the old groups keep running.
   * Unchanged groups keep running undisturbed; changed ones take over their predecessor's alert
   * state; alerts of removed rules are sent as resolved.
   */
  applyConfig(cfg: RulesConfig): Promise<void> {
    const run = this.updating.then(() => this.update(cfg));
    this.updating = run.catch(() => {});
    return run;
  }

  private async update(cfg: RulesConfig): Promise<void> {
    const files: string[] = [];
    for (const pattern of cfg.ruleFiles) {
      const p = cfg.baseDir && !isAbsolute(pattern) ? resolve(cfg.baseDir, pattern) : pattern;
      const matched = globFiles(p);
      if (matched.length === 0) this.logger.warn({ pattern: p }, "rule file pattern matches no file");
      for (const f of matched) if (!files.includes(f)) files.push(f);
    }
    const specs = loadRuleFiles(files);
    const shouldRestore = !this.restored;
    const next = this.buildGroups(specs, cfg.evaluationIntervalMs, shouldRestore);
    this.restored = true;
    const ts = this.now();
    const old = this.groupsByKey;
    const result = new Map<string, Group>();
    for (const [key, ng] of next) {
      const og = old.get(key);
      if (og?.equals(ng)) {
        result.set(key, og);
        old.delete(key);
        continue;
      }
      if (og) {
        await og.stop();
        const orphans = ng.copyState(og);
        ng.resolveRemoved(orphans, ts);
        old.delete(key);
      }
      result.set(key, ng);
      if (this.started) ng.start(this.now);
    }
    for (const [key, og] of old) {
      await og.stop();
      og.resolveRemoved(og.alertingRules(), ts);
      og.staleSeries.push(...og.lastSeries());
      og.seriesInPreviousEval = og.rules.map(() => new Map());
      await og.cleanupStaleSeries(og.lastEvalTimestamp > 0 ? og.lastEvalTimestamp + og.intervalMs : ts);
      this.metrics?.remove(key);
    }
    this.groupsByKey = result;
    this.logger.info({ files: files.length, groups: result.size }, "rule files loaded");
  }

  private buildGroups(
    specs: readonly RuleFileSpec[],
    defaultIntervalMs: number,
    shouldRestore: boolean,
  ): Map<string, Group> {
    const out = new Map<string, Group>();
    const deps = {
      queryFunc: this.opts.queryFunc,
      appendable: this.opts.appendable,
      queryable: this.opts.queryable,
      notify: (alerts: readonly Alert[]) => this.opts.notify(alerts),
      logger: this.logger,
      externalURL: this.ctx.externalURL,
      resendDelayMs: this.opts.resendDelayMs ?? 60_000,
      outageToleranceMs: this.opts.outageToleranceMs ?? 3_600_000,
      forGracePeriodMs: this.opts.forGracePeriodMs ?? 600_000,
      recordHistory: (entries: readonly AlertHistoryEntry[]) => {
        try {
          this.opts.history?.record(entries);
        } catch (e) {
          this.logger.error({ err: (e as Error).message }, "recording alert history failed");
        }
      },
      metrics: this.metrics,
    };
    for (const spec of specs) {
      for (const g of spec.groups) {
        const rules: Rule[] = buildRules(g, this.ctx, !shouldRestore);
        const group = new Group(
          spec.file,
          g.name,
          g.intervalMs > 0 ? g.intervalMs : defaultIntervalMs,
          g.limit,
          g.queryOffsetMs ?? 0,
          rules,
          shouldRestore,
          deps,
        );
        out.set(group.key, group);
      }
    }
    return out;
  }

  /** Starts evaluating the loaded groups (and groups loaded later). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const g of this.groupsByKey.values()) g.start(this.now);
  }

  /** Stops every group and waits for running evaluations. */
  async stop(): Promise<void> {
    this.started = false;
    await this.updating;
    await Promise.all([...this.groupsByKey.values()].map((g) => g.stop()));
  }

  /** The loaded groups, sorted by file then name (for /api/v1/rules). */
  groups(): Group[] {
    return [...this.groupsByKey.values()].sort((a, b) =>
      a.file === b.file ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.file < b.file ? -1 : 1,
    );
  }

  /** Every alerting rule of every group. */
  alertingRules(): AlertingRule[] {
    return this.groups().flatMap((g) => g.alertingRules());
  }

  /** Pending and firing alerts with their rule (for /api/v1/alerts). */
  alerts(): { rule: AlertingRule; alert: import("./rule.js").ActiveAlert }[] {
    return this.alertingRules().flatMap((rule) => rule.activeAlerts().map((alert) => ({ rule, alert })));
  }

  /** The history store, when one was given. */
  get history(): AlertHistoryStore | undefined {
    return this.opts.history;
  }
}

/** The directory of a file (for resolving rule files relative to a config file). */
export function configDir(configFile: string): string {
  return dirname(resolve(configFile));
}
