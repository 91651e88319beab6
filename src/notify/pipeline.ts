import type Database from "better-sqlite3";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { stringify } from "yaml";
import { type Alert, formatDuration, isDuration, type NotifyFunc, parseDuration } from "../model/index.js";
import { type Clock, systemClock, type TimerHandle } from "./clock.js";
import type { FlapDetectionConfig, NotifyConfig, ReceiverConfig, TimeIntervalSpec } from "./config.js";
import { fingerprint } from "./fingerprint.js";
import { Inhibitor } from "./inhibit.js";
import { type NflogEntry, NotificationLog } from "./nflog.js";
import {
  buildIntegrations,
  type GroupContext,
  type Integration,
  IntegrationError,
  type NotifiedAlert,
  Secrets,
} from "./receivers/index.js";
import { Route } from "./route.js";
import { Silences } from "./silences.js";
import { anyIntervalContains } from "./timeinterval.js";

/** The logging the pipeline needs (pino's Logger fits). Messages never contain secrets. */
export interface NotifyLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const silentLogger: NotifyLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** An alert as the pipeline keeps it (in memory and in table `notify_alerts`). */
export interface StoredAlert {
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly generatorURL: string;
  readonly value?: number;
  readonly updatedAt: number;
  /** True when endsAt came from resolve_timeout because the sender gave none. */
  readonly timeout: boolean;
}

/** Delivery statistics of one integration of a receiver (visible in the receivers API). */
export interface IntegrationStatus {
  readonly receiver: string;
  readonly integration: string;
  readonly index: number;
  readonly sendResolved: boolean;
  notifications: number;
  failures: number;
  lastAttempt: number;
  lastAttemptDuration: number;
  lastSuccess: number;
  /** The last error (secrets redacted), or "" after a success. */
  lastError: string;
}

/** Retry policy: exponential backoff from `initialBackoff` doubling up to `maxBackoff`. */
export interface RetryOptions {
  readonly initialBackoff: number;
  readonly maxBackoff: number;
  /** Least time a flush may spend retrying (Alertmanager's notify.MinTimeout, 10s). */
  readonly minTimeout: number;
}

/** Version facts for the status API. */
export interface NotifyBuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly branch: string;
  readonly buildUser: string;
  readonly buildDate: string;
  readonly goVersion: string;
}

/** Everything the pipeline is built from; only `db` is required. */
export interface NotificationPipelineOptions {
  /** The shared state database; the pipeline creates its tables (`notify_*`) if missing. */
  readonly db: Database.Database;
  readonly logger?: NotifyLogger;
  /** Where to register `relay_notifications_*` and friends; none = metrics kept unregistered. */
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** Our own URL, put into notifications (`externalURL`). */
  readonly externalURL?: string;
  /** How long expired silences and notification log entries are kept (default 120h). */
  readonly retention?: number;
  readonly retry?: Partial<RetryOptions>;
  readonly buildInfo?: NotifyBuildInfo;
  /** Replaces how receivers become integrations (tests use it to capture notifications). */
  readonly makeIntegrations?: (
    r: ReceiverConfig,
    global: NotifyConfig["global"],
    secrets: Secrets,
  ) => Integration[];
}

/** Extra input to {@link NotificationPipeline.applyConfig}. */
export interface ApplyConfigOptions {
  /** The `notify` section as written (parsed YAML), shown with secrets masked by the status API. */
  readonly original?: unknown;
}

interface AlertRow {
  fingerprint: string;
  labels: string;
  annotations: string;
  starts_at: number;
  ends_at: number;
  generator_url: string;
  value: number | null;
  updated_at: number;
  timeout: number;
}

/**
 * Relay's flap detection. Each change of an alert between firing and resolved, as the rule
 * engine reports it (its first firing counts), is a transition. When more than `transitions`
 * happen within `window`, the alert is flapping: it is reported as firing with `flapping`, which
 * gives it a new identity in the notification log, so exactly one notification says it flaps and
 * later transitions send nothing. It settles once `settle` (default: `window`) has passed without
 * a transition; it is then notified in its real state (firing again, or resolved).
 */
export class FlapDetector {
  private cfg: FlapDetectionConfig | undefined;
  private readonly transitions = new Map<string, number[]>();
  private readonly since = new Map<string, number>();

  /** Sets the thresholds (undefined disables detection and forgets every flapping alert). */
  configure(cfg: FlapDetectionConfig | undefined): void {
    this.cfg = cfg;
    if (!cfg) {
      this.transitions.clear();
      this.since.clear();
    }
  }

  /** Records a transition of the alert at `now`. */
  observe(fp: string, now: number): void {
    const cfg = this.cfg;
    if (!cfg) return;
    const list = (this.transitions.get(fp) ?? []).filter((t) => t > now - cfg.window);
    list.push(now);
    this.transitions.set(fp, list);
    if (list.length > cfg.transitions && !this.since.has(fp)) this.since.set(fp, now);
  }

  /** True while the alert is flapping; clears the state once it has settled. */
  isFlapping(fp: string, now: number): boolean {
    const cfg = this.cfg;
    const since = this.since.get(fp);
    if (!cfg || since === undefined) return false;
    const last = this.transitions.get(fp)?.at(-1) ?? since;
    if (now - last >= cfg.settle) {
      this.since.delete(fp);
      return false;
    }
    return true;
  }

  /** Forgets alerts without a transition in the window that are not flapping. */
  gc(now: number): void {
    const cfg = this.cfg;
    if (!cfg) return;
    for (const [fp, list] of this.transitions) {
      if ((list.at(-1) ?? 0) <= now - Math.max(cfg.window, cfg.settle) && !this.isFlapping(fp, now))
        this.transitions.delete(fp);
    }
  }
}

/** An aggregation group: the alerts of one route with equal group labels, flushed on timers. */
export class AggregationGroup {
  readonly route: Route;
  readonly labels: Readonly<Record<string, string>>;
  readonly key: string;
  readonly alerts = new Map<string, StoredAlert>();
  private readonly owner: NotificationPipeline;
  private timer: TimerHandle | undefined;
  private hasFlushed = false;
  private flushing = false;
  private destroyed = false;

  constructor(owner: NotificationPipeline, route: Route, labels: Record<string, string>) {
    this.owner = owner;
    this.route = route;
    this.labels = labels;
    this.key = route.groupKey(labels);
  }

  /** Starts the group_wait timer. */
  start(): void {
    this.schedule(this.route.options.groupWait);
  }

  /** Adds or replaces an alert; an alert older than group_wait makes the first flush immediate. */
  insert(a: StoredAlert): void {
    this.alerts.set(a.fingerprint, a);
    const now = this.owner.clock.now();
    if (!this.hasFlushed && !this.flushing && a.startsAt + this.route.options.groupWait <= now)
      this.schedule(0);
  }

  /** Stops the timers (a flush in progress finishes but schedules nothing). */
  destroy(): void {
    this.destroyed = true;
    if (this.timer !== undefined) this.owner.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.destroyed) return;
    if (this.timer !== undefined) this.owner.clock.clearTimeout(this.timer);
    this.timer = this.owner.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private async flush(): Promise<void> {
    if (this.destroyed || this.flushing) return;
    const clock = this.owner.clock;
    const started = clock.now();
    this.hasFlushed = true;
    this.flushing = true;
    const snapshot = [...this.alerts.values()];
    try {
      await this.owner.flushGroup(this, snapshot);
    } finally {
      this.flushing = false;
    }
    const now = clock.now();
    for (const a of snapshot) {
      if (
        this.alerts.get(a.fingerprint) === a &&
        a.endsAt <= now &&
        !this.owner.flaps.isFlapping(a.fingerprint, now)
      ) {
        this.alerts.delete(a.fingerprint);
      }
    }
    if (this.destroyed) return;
    if (this.alerts.size === 0) {
      this.owner.dropGroup(this);
      return;
    }
    this.schedule(started + this.route.options.groupInterval - now);
  }
}

/**
 * The notification pipeline: Alertmanager's dispatcher and notify stages in one component.
 * Alerts arrive through {@link NotificationPipeline.notify} (the rule engine's NotifyFunc, or
 * `POST /api/v2/alerts`), are routed through the tree into aggregation groups, and each flush goes
 * inhibit → active/mute time intervals → silences → flap detection → per integration: dedup via the
 * notification log (repeat_interval, cooldown) → send with retries. Integrations run concurrently
 * and independently, so a slow or failing one never delays another.
 *
 * Life: construct, `applyConfig`, `start`, `stop`. State (alerts, silences, notification log) lives
 * in SQLite so a restart neither loses alerts nor re-sends before the repeat interval.
 */
export class NotificationPipeline {
  /** The clock everything reads time from. */
  readonly clock: Clock;
  /** The silences (also reachable through the API functions). */
  readonly silences: Silences;
  /** Flap detection state. */
  readonly flaps = new FlapDetector();
  /** Our own URL, as notifications carry it. */
  readonly externalURL: string;
  readonly buildInfo: NotifyBuildInfo;
  /** When the pipeline was constructed (ms), for the status API's uptime. */
  readonly startedAt: number;
  private readonly db: Database.Database;
  private readonly logger: NotifyLogger;
  private readonly nflog: NotificationLog;
  private readonly retry: RetryOptions;
  private readonly makeIntegrations: NonNullable<NotificationPipelineOptions["makeIntegrations"]>;
  private readonly alerts = new Map<string, StoredAlert>();
  private readonly groups = new Map<string, AggregationGroup>();
  private readonly status = new Map<string, IntegrationStatus>();
  private readonly inflight = new Set<Promise<void>>();
  private route: Route | undefined;
  private receivers = new Map<string, Integration[]>();
  private inhibitor = new Inhibitor([]);
  private intervals = new Map<string, TimeIntervalSpec[]>();
  private resolveTimeout = 5 * 60_000;
  private secrets = new Secrets();
  private originalText = "";
  private running = false;
  private gcTimer: TimerHandle | undefined;
  private abort = new AbortController();
  private readonly upsertAlert: Database.Statement;
  private readonly deleteAlert: Database.Statement;
  private readonly metrics: {
    notifications: Counter<"receiver" | "integration">;
    failed: Counter<"receiver" | "integration" | "reason">;
    requests: Counter<"receiver" | "integration">;
    requestsFailed: Counter<"receiver" | "integration">;
    latency: Histogram<"receiver" | "integration">;
  };

  constructor(opts: NotificationPipelineOptions) {
    this.db = opts.db;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.externalURL = opts.externalURL ?? "";
    this.startedAt = this.clock.now();
    this.buildInfo = opts.buildInfo ?? {
      version: "0.1.0",
      revision: "",
      branch: "",
      buildUser: "",
      buildDate: "",
      goVersion: `node ${process.version}`,
    };
    this.retry = { initialBackoff: 500, maxBackoff: 30_000, minTimeout: 10_000, ...opts.retry };
    this.makeIntegrations = opts.makeIntegrations ?? buildIntegrations;
    const retention = opts.retention ?? 120 * 3600_000;
    this.silences = new Silences(this.db, this.clock, retention);
    this.nflog = new NotificationLog(this.db, this.clock, retention);
    this.db.exec(`CREATE TABLE IF NOT EXISTS notify_alerts (
      fingerprint TEXT PRIMARY KEY, labels TEXT NOT NULL, annotations TEXT NOT NULL, starts_at INTEGER NOT NULL,
      ends_at INTEGER NOT NULL, generator_url TEXT NOT NULL, value REAL, updated_at INTEGER NOT NULL, timeout INTEGER NOT NULL)`);
    this.upsertAlert = this.db.prepare(
      `INSERT OR REPLACE INTO notify_alerts VALUES (@fingerprint, @labels, @annotations, @starts_at, @ends_at, @generator_url, @value, @updated_at, @timeout)`,
    );
    this.deleteAlert = this.db.prepare("DELETE FROM notify_alerts WHERE fingerprint = ?");
    for (const r of this.db.prepare("SELECT * FROM notify_alerts").all() as AlertRow[]) {
      this.alerts.set(r.fingerprint, {
        fingerprint: r.fingerprint,
        labels: JSON.parse(r.labels) as Record<string, string>,
        annotations: JSON.parse(r.annotations) as Record<string, string>,
        startsAt: r.starts_at,
        endsAt: r.ends_at,
        generatorURL: r.generator_url,
        ...(r.value === null ? {} : { value: r.value }),
        updatedAt: r.updated_at,
        timeout: r.timeout === 1,
      });
    }
    const registers = opts.registry ? [opts.registry] : [];
    const labelNames = ["receiver", "integration"] as const;
    this.metrics = {
      notifications: new Counter({
        name: "relay_notifications_total",
        help: "Notifications attempted (as alertmanager_notifications_total).",
        labelNames,
        registers,
      }),
      failed: new Counter({
        name: "relay_notifications_failed_total",
        help: "Notifications that failed after all retries.",
        labelNames: [...labelNames, "reason"],
        registers,
      }),
      requests: new Counter({
        name: "relay_notification_requests_total",
        help: "Notification requests (each retry counts).",
        labelNames,
        registers,
      }),
      requestsFailed: new Counter({
        name: "relay_notification_requests_failed_total",
        help: "Notification requests that failed.",
        labelNames,
        registers,
      }),
      latency: new Histogram({
        name: "relay_notification_latency_seconds",
        help: "Latency of notification requests.",
        labelNames,
        buckets: [0.01, 0.1, 1, 10, 15, 20, 30],
        registers,
      }),
    };
    const self = this;
    new Gauge({
      name: "relay_alerts",
      help: "Alerts held by the notification pipeline, by state (active, suppressed).",
      labelNames: ["state"],
      registers,
      collect() {
        let active = 0;
        let suppressed = 0;
        const now = self.clock.now();
        for (const a of self.alerts.values()) {
          if (a.endsAt <= now) continue;
          if (self.silencedBy(a).length > 0 || self.inhibitedBy(a).length > 0) suppressed++;
          else active++;
        }
        this.set({ state: "active" }, active);
        this.set({ state: "suppressed" }, suppressed);
      },
    });
    new Gauge({
      name: "relay_silences",
      help: "Silences by state.",
      labelNames: ["state"],
      registers,
      collect() {
        const counts = { active: 0, pending: 0, expired: 0 };
        const now = self.clock.now();
        for (const s of self.silences.list())
          counts[now < s.startsAt ? "pending" : now >= s.endsAt ? "expired" : "active"]++;
        for (const [k, v] of Object.entries(counts)) this.set({ state: k }, v);
      },
    });
  }

  /**
   * Applies a validated `notify` section: routing tree, receivers, inhibition rules, time
   * intervals, flap detection. When running, aggregation groups are rebuilt (as Alertmanager does on
   * reload); the notification log keeps anything from being sent twice.
   */
  applyConfig(cfg: NotifyConfig, opts: ApplyConfigOptions = {}): void {
    const secrets = new Secrets();
    const receivers = new Map<string, Integration[]>();
    for (const r of cfg.receivers) receivers.set(r.name, this.makeIntegrations(r, cfg.global, secrets));
    this.route = cfg.route ? new Route(cfg.route) : undefined;
    this.receivers = receivers;
    this.secrets = secrets;
    this.inhibitor = new Inhibitor(cfg.inhibit_rules);
    this.intervals = new Map(
      [...cfg.mute_time_intervals, ...cfg.time_intervals].map((t) => [t.name, t.time_intervals]),
    );
    this.resolveTimeout = cfg.global.resolve_timeout;
    this.flaps.configure(cfg.flap_detection);
    this.originalText = stringify(alertmanagerView(maskSecrets(opts.original ?? renderDurations(cfg))));
    const old = new Map(this.status);
    this.status.clear();
    for (const [name, list] of receivers) {
      for (const i of list) {
        const key = integrationKey(name, i);
        this.status.set(key, old.get(key) ?? newStatus(name, i));
      }
    }
    if (this.running) this.rebuildGroups();
  }

  /** Starts dispatching: stored alerts are routed into groups and the GC timer runs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.rebuildGroups();
    const gc = () => {
      this.gc();
      this.gcTimer = this.clock.setTimeout(gc, 15 * 60_000);
    };
    this.gcTimer = this.clock.setTimeout(gc, 15 * 60_000);
  }

  /** Stops timers, aborts notifications in flight and waits for them to end. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.gcTimer !== undefined) this.clock.clearTimeout(this.gcTimer);
    for (const g of this.groups.values()) g.destroy();
    this.groups.clear();
    this.abort.abort();
    await Promise.allSettled([...this.inflight]);
  }

  /** The rule engine's entry point: stores the alerts and hands them to the dispatcher. */
  readonly notify: NotifyFunc = (alerts: readonly Alert[]) => {
    this.receive(alerts);
  };

  /**
   * Stores alerts (merging with the ones already held, as Alertmanager does) and dispatches them;
   * returns the problems of alerts that were rejected (an alert needs at least one label).
   */
  receive(alerts: readonly Alert[]): string[] {
    const now = this.clock.now();
    const problems: string[] = [];
    const accepted: StoredAlert[] = [];
    const tx = this.db.transaction(() => {
      for (const a of alerts) {
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(a.labels)) if (v !== "") labels[k] = v;
        if (Object.keys(labels).length === 0) {
          problems.push("at least one label pair required");
          continue;
        }
        const fp = fingerprint(labels);
        const prev = this.alerts.get(fp);
        const timeout = !(a.endsAt > 0);
        let startsAt = a.startsAt > 0 ? a.startsAt : now;
        let endsAt = timeout ? now + this.resolveTimeout : a.endsAt;
        if (prev && (prev.endsAt > now || startsAt <= prev.endsAt)) {
          startsAt = Math.min(prev.startsAt, startsAt);
          if (timeout && !prev.timeout && prev.endsAt > endsAt) endsAt = prev.endsAt;
        }
        const wasFiring = prev !== undefined && prev.endsAt > now;
        if (wasFiring !== endsAt > now) this.flaps.observe(fp, now);
        const stored: StoredAlert = {
          fingerprint: fp,
          labels,
          annotations: { ...a.annotations },
          startsAt,
          endsAt,
          generatorURL: a.generatorURL ?? "",
          ...(a.value === undefined ? {} : { value: a.value }),
          updatedAt: now,
          timeout,
        };
        this.alerts.set(fp, stored);
        this.upsertAlert.run({
          fingerprint: fp,
          labels: JSON.stringify(labels),
          annotations: JSON.stringify(stored.annotations),
          starts_at: startsAt,
          ends_at: endsAt,
          generator_url: stored.generatorURL,
          value: a.value === undefined || !Number.isFinite(a.value) ? null : a.value,
          updated_at: now,
          timeout: timeout ? 1 : 0,
        });
        accepted.push(stored);
      }
    });
    tx();
    if (this.running) for (const a of accepted) this.dispatch(a);
    if (problems.length > 0) this.logger.warn({ problems }, "notify: alerts rejected");
    return problems;
  }

  /** Resolves when every notification in flight has ended (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  // ---- read access for the API functions (api.ts) ----

  /** Every alert held, resolved ones included. */
  storedAlerts(): StoredAlert[] {
    return [...this.alerts.values()];
  }

  /** The aggregation groups that exist now. */
  aggregationGroups(): AggregationGroup[] {
    return [...this.groups.values()];
  }

  /** Receiver names of the routes an alert with these labels takes. */
  receiversFor(labels: Readonly<Record<string, string>>): string[] {
    if (!this.route) return [];
    return [...new Set(this.route.match(labels).map((r) => r.options.receiver))];
  }

  /** Ids of active silences that mute the alert. */
  silencedBy(a: StoredAlert): string[] {
    return this.silences.mutes(a.labels);
  }

  /** Fingerprints of firing alerts that inhibit the alert. */
  inhibitedBy(a: StoredAlert): string[] {
    const now = this.clock.now();
    const firing = [...this.alerts.values()].filter((x) => x.endsAt > now);
    return this.inhibitor.mutes(a.labels, firing);
  }

  /** True while flap detection holds the alert. */
  isFlapping(fp: string): boolean {
    return this.flaps.isFlapping(fp, this.clock.now());
  }

  /** The configured receiver names, in order. */
  receiverNames(): string[] {
    return [...this.receivers.keys()];
  }

  /** Delivery statistics per receiver integration (errors already redacted). */
  integrationStatus(): IntegrationStatus[] {
    return [...this.status.values()].map((s) => ({ ...s }));
  }

  /** The applied `notify` section as YAML with every secret shown as `<secret>`. */
  configText(): string {
    return this.originalText;
  }

  /** The resolve timeout in force (ms). */
  resolveTimeoutMs(): number {
    return this.resolveTimeout;
  }

  /** Redacts known secrets from a message. */
  redact(text: string): string {
    return this.secrets.redact(text);
  }

  // ---- dispatcher internals ----

  private rebuildGroups(): void {
    for (const g of this.groups.values()) g.destroy();
    this.groups.clear();
    for (const a of this.alerts.values()) this.dispatch(a);
  }

  private dispatch(a: StoredAlert): void {
    if (!this.route) return;
    for (const r of this.route.match(a.labels)) {
      const labels = r.groupLabels(a.labels);
      const key = `${r.id()}\n${r.groupKey(labels)}`;
      let g = this.groups.get(key);
      if (!g) {
        g = new AggregationGroup(this, r, labels);
        this.groups.set(key, g);
        g.start();
      }
      g.insert(a);
    }
  }

  /** Removes an empty group (called by the group itself). */
  dropGroup(g: AggregationGroup): void {
    const key = `${g.route.id()}\n${g.key}`;
    if (this.groups.get(key) === g) this.groups.delete(key);
    g.destroy();
  }

  /** Runs the notify stages for one flush of a group; never rejects. */
  async flushGroup(g: AggregationGroup, alerts: readonly StoredAlert[]): Promise<void> {
    const run = this.runStages(g, alerts).catch((err: unknown) => {
      this.logger.error({ group: g.key, err: this.redact(String(err)) }, "notify: flush failed");
    });
    this.inflight.add(run);
    try {
      await run;
    } finally {
      this.inflight.delete(run);
    }
  }

  private async runStages(g: AggregationGroup, alerts: readonly StoredAlert[]): Promise<void> {
    const now = this.clock.now();
    const opts = g.route.options;
    if (
      opts.activeTimeIntervals.length > 0 &&
      !opts.activeTimeIntervals.some((n) => anyIntervalContains(this.intervals.get(n) ?? [], now))
    ) {
      this.logger.debug({ group: g.key }, "notify: outside active time intervals");
      return;
    }
    if (opts.muteTimeIntervals.some((n) => anyIntervalContains(this.intervals.get(n) ?? [], now))) {
      this.logger.debug({ group: g.key }, "notify: muted by time interval");
      return;
    }
    const firingNow = [...this.alerts.values()].filter((x) => x.endsAt > now);
    const kept: NotifiedAlert[] = [];
    for (const a of alerts) {
      if (this.inhibitor.mutes(a.labels, firingNow).length > 0) continue;
      if (this.silences.mutes(a.labels).length > 0) continue;
      const flapping = this.flaps.isFlapping(a.fingerprint, now);
      kept.push({
        fingerprint: a.fingerprint,
        labels: a.labels,
        annotations: flapping ? { ...a.annotations, flapping: "true" } : a.annotations,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
        generatorURL: a.generatorURL,
        ...(a.value === undefined ? {} : { value: a.value }),
        status: flapping || a.endsAt > now ? "firing" : "resolved",
        flapping,
        timeout: a.timeout,
      });
    }
    if (kept.length === 0) return;
    kept.sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : x.fingerprint > y.fingerprint ? 1 : 0));
    const ctx: GroupContext = {
      receiver: opts.receiver,
      groupKey: g.key,
      groupLabels: g.labels,
      externalURL: this.externalURL,
      groupInterval: opts.groupInterval,
      now,
    };
    const integrations = this.receivers.get(opts.receiver) ?? [];
    await Promise.all(integrations.map((i) => this.deliver(g, i, ctx, kept)));
  }

  private async deliver(
    g: AggregationGroup,
    integ: Integration,
    ctx: GroupContext,
    alerts: readonly NotifiedAlert[],
  ): Promise<void> {
    const rkey = integrationKey(ctx.receiver, integ);
    const entry = this.nflog.get(g.key, rkey);
    const idOf = (a: NotifiedAlert) => (a.flapping ? `${a.fingerprint}:flapping` : a.fingerprint);
    const firing = alerts.filter((a) => a.status === "firing");
    const firingIds = firing.map(idOf);
    const resolvedIds = alerts.filter((a) => a.status === "resolved").map(idOf);
    const cooldownOf = new Map(firing.map((a) => [idOf(a), alertCooldown(a, g.route.options.cooldown)]));
    const needed = integ.resendEveryFlush
      ? firingIds.length > 0 ||
        (entry !== undefined &&
          resolvedIds.some((id) => !entry.resolved.includes(id)) &&
          entry.firing.length > 0)
      : needsUpdate(
          entry,
          firingIds,
          resolvedIds,
          integ.sendResolved,
          g.route.options.repeatInterval,
          cooldownOf,
          ctx.now,
        );
    if (!needed) return;
    const toSend = integ.sendResolved ? alerts : firing;
    if (toSend.length === 0) {
      this.nflog.log(g.key, rkey, firingIds, resolvedIds, entry);
      return;
    }
    const ok = await this.sendWithRetry(
      rkey,
      integ,
      ctx,
      toSend,
      Math.max(g.route.options.groupInterval, this.retry.minTimeout),
    );
    if (ok) this.nflog.log(g.key, rkey, firingIds, resolvedIds, entry);
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const h = this.clock.setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        this.clock.clearTimeout(h);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private async sendWithRetry(
    rkey: string,
    integ: Integration,
    ctx: GroupContext,
    alerts: readonly NotifiedAlert[],
    budget: number,
  ): Promise<boolean> {
    const labels = { receiver: ctx.receiver, integration: integ.name };
    const st = this.status.get(rkey);
    const deadline = this.clock.now() + budget;
    const stop = this.abort.signal;
    this.metrics.notifications.inc(labels);
    let backoff = this.retry.initialBackoff;
    let lastErr: IntegrationError | undefined;
    for (let attempt = 1; ; attempt++) {
      const ac = new AbortController();
      const onStop = () => ac.abort();
      stop.addEventListener("abort", onStop, { once: true });
      const timer = this.clock.setTimeout(() => ac.abort(), Math.max(0, deadline - this.clock.now()));
      const t0 = performance.now();
      const at = this.clock.now();
      try {
        this.metrics.requests.inc(labels);
        await integ.send({ ...ctx, now: this.clock.now() }, alerts, ac.signal);
        const secs = (performance.now() - t0) / 1000;
        this.metrics.latency.observe(labels, secs);
        if (st) {
          st.notifications++;
          st.lastAttempt = at;
          st.lastAttemptDuration = secs;
          st.lastSuccess = this.clock.now();
          st.lastError = "";
        }
        this.logger.debug(
          { receiver: ctx.receiver, integration: integ.name, alerts: alerts.length, attempt },
          "notify: sent",
        );
        return true;
      } catch (err) {
        lastErr =
          err instanceof IntegrationError
            ? new IntegrationError(this.redact(err.message), err.retryable, err.reason)
            : new IntegrationError(this.redact((err as Error).message ?? String(err)), true);
        this.metrics.requestsFailed.inc(labels);
        this.metrics.latency.observe(labels, (performance.now() - t0) / 1000);
        if (st) {
          st.lastAttempt = at;
          st.lastAttemptDuration = (performance.now() - t0) / 1000;
          st.lastError = lastErr.message;
        }
        this.logger.debug(
          { receiver: ctx.receiver, integration: integ.name, attempt, err: lastErr.message },
          "notify: attempt failed",
        );
      } finally {
        this.clock.clearTimeout(timer);
        stop.removeEventListener("abort", onStop);
      }
      if (!lastErr.retryable || stop.aborted || this.clock.now() + backoff >= deadline) break;
      await this.sleep(backoff, stop);
      backoff = Math.min(backoff * 2, this.retry.maxBackoff);
    }
    this.metrics.failed.inc({ ...labels, reason: lastErr.reason });
    if (st) st.failures++;
    this.logger.warn(
      { receiver: ctx.receiver, integration: integ.name, err: lastErr.message },
      "notify: notification failed",
    );
    return false;
  }

  /** Drops expired silences and log entries, and resolved alerts that no flap holds. */
  gc(): void {
    const now = this.clock.now();
    this.silences.gc();
    this.nflog.gc();
    this.flaps.gc(now);
    const tx = this.db.transaction(() => {
      for (const a of [...this.alerts.values()]) {
        if (a.endsAt <= now && !this.flaps.isFlapping(a.fingerprint, now)) {
          this.alerts.delete(a.fingerprint);
          this.deleteAlert.run(a.fingerprint);
        }
      }
    });
    tx();
  }
}

function integrationKey(receiver: string, i: Integration): string {
  return `${receiver}/${i.name}/${i.index}`;
}

function newStatus(receiver: string, i: Integration): IntegrationStatus {
  return {
    receiver,
    integration: i.name,
    index: i.index,
    sendResolved: i.sendResolved,
    notifications: 0,
    failures: 0,
    lastAttempt: 0,
    lastAttemptDuration: 0,
    lastSuccess: 0,
    lastError: "",
  };
}

/** The cooldown of an alert: its `cooldown` annotation (a duration) when valid, else the route's. */
export function alertCooldown(
  a: { readonly annotations: Readonly<Record<string, string>> },
  routeCooldown: number,
): number {
  const s = a.annotations.cooldown;
  return s !== undefined && isDuration(s) ? parseDuration(s) : routeCooldown;
}

/**
 * Alertmanager's dedup decision (notify.DedupStage.needsUpdate) plus Relay's cooldown: new firing
 * alerts trigger a notification only once their cooldown has passed since they were last sent
 * as firing.
 */
export function needsUpdate(
  entry: NflogEntry | undefined,
  firing: readonly string[],
  resolved: readonly string[],
  sendResolved: boolean,
  repeatInterval: number,
  cooldownOf: ReadonlyMap<string, number>,
  now: number,
): boolean {
  if (!entry) return firing.length > 0;
  const newFiring = firing.filter((id) => !entry.firing.includes(id));
  if (
    newFiring.some((id) => now - (entry.firedAt[id] ?? Number.NEGATIVE_INFINITY) >= (cooldownOf.get(id) ?? 0))
  )
    return true;
  if (firing.length === 0) return entry.firing.length > 0;
  if (sendResolved && resolved.some((id) => !entry.resolved.includes(id))) return true;
  return entry.timestamp <= now - repeatInterval;
}

const SECRET_KEYS = new Set([
  "smtp_auth_password",
  "smtp_auth_secret",
  "auth_password",
  "auth_secret",
  "slack_api_url",
  "api_url",
  "password",
  "credentials",
  "bearer_token",
  "opsgenie_api_key",
  "victorops_api_key",
  "wechat_api_secret",
  "api_key",
  "api_secret",
  "routing_key",
  "service_key",
  "token",
  "user_key",
  "bot_token",
  "webhook_url",
]);

/**
 * A copy of a configuration object with every secret replaced by `<secret>`: passwords,
 * tokens, Slack and webhook URLs, and the password in any other URL.
 */
/** A webhook URL with its secret part (path, query, credentials) hidden, still a valid URL. */
function maskUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}/<secret>`;
  } catch {
    return "<secret>";
  }
}

/** Keys only Relay understands; Alertmanager's own tools (amtool) reject them in a config. */
const RELAY_ONLY_KEYS = new Set(["cooldown", "flap_detection", "alertmanager_configs"]);

/** The configuration as Alertmanager would read it: Relay's additions left out (for amtool). */
export function alertmanagerView(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(alertmanagerView);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (!RELAY_ONLY_KEYS.has(k)) out[k] = alertmanagerView(x);
  }
  return out;
}

export function maskSecrets(v: unknown, parent = ""): unknown {
  if (Array.isArray(v)) return v.map((x) => maskSecrets(x, parent));
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (
      typeof x === "string" &&
      k.endsWith("url") &&
      parent !== "alertmanager_configs" &&
      !SECRET_KEYS.has(k)
    )
      out[k] = maskUrl(x);
    else if (typeof x === "string" && SECRET_KEYS.has(k)) out[k] = "<secret>";
    else if (typeof x === "string" && k === "url")
      out[k] = x.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:<secret>@");
    else out[k] = maskSecrets(x, k);
  }
  return out;
}

const DURATION_KEYS = new Set([
  "resolve_timeout",
  "group_wait",
  "group_interval",
  "repeat_interval",
  "cooldown",
  "window",
  "settle",
  "timeout",
]);

function renderDurations(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(renderDurations);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    out[k] = DURATION_KEYS.has(k) && typeof x === "number" ? formatDuration(x) : renderDurations(x);
  }
  return out;
}
