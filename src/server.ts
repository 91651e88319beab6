import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { FastifyReply, FastifyRequest } from "fastify";
import pino, { type Logger } from "pino";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { parse as parseYAML } from "yaml";
import {
  AnomalyDetector,
  CapacityPlanner,
  CorrelationEngine,
  engineSource,
  PerformanceAnalyzer,
} from "./analysis/index.js";
import {
  ApiError,
  adminRoutes,
  analysisRoutes,
  createApp,
  dashboardsRoutes,
  ingestRoutes,
  loadBuiltinDashboards,
  metadataRoutes,
  queryRoutes,
  rulesRoutes,
  statusRoutes,
  targetsRoutes,
  uiRoutes,
} from "./api/index.js";
import { type Collector, HostCollector } from "./collectors/index.js";
import {
  Community,
  CommunityAnalytics,
  CommunityApi,
  CommunityPublisher,
  communityRoutes,
} from "./community/index.js";
import { type Config, defaultConfig, loadConfigFile, type ScrapeJobConfig } from "./config/index.js";
import { ScrapeManager } from "./ingest/index.js";
import { formatDuration, type Matcher, parseDuration } from "./model/index.js";
import { NotificationPipeline, notifyRoutes } from "./notify/index.js";
import { Engine } from "./promql/index.js";
import { type Demo, startDemo } from "./relay/index.js";
import { DEFAULT_RULE_PACK, engineQueryFunc, RuleManager, SqliteAlertHistory } from "./rules/index.js";
import type { Storage } from "./storage/index.js";
import { type DB, openDB } from "./tsdb/index.js";
import { VERSION } from "./version.js";

/** The life every long-lived component shares: applyConfig on reload, start, stop. */
interface Component {
  readonly name: string;
  /** May reject (rule files with problems): then the reload fails and nothing later is applied. */
  applyConfig(cfg: Config): void | Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

/** A scrape job for static targets with Prometheus's defaults (built-in and demo targets). */
function staticJob(
  b: { job_name: string; scrape_interval: number; scrape_timeout: number },
  path: string,
  targets: string[],
  labels: Record<string, string> = {},
): ScrapeJobConfig {
  return {
    job_name: b.job_name,
    scrape_interval: b.scrape_interval,
    scrape_timeout: b.scrape_timeout,
    metrics_path: path,
    scheme: "http",
    params: {},
    honor_labels: false,
    honor_timestamps: true,
    track_timestamps_staleness: false,
    static_configs: [{ targets, labels }],
    relabel_configs: [],
    metric_relabel_configs: [],
    sample_limit: 0,
    label_limit: 0,
    label_name_length_limit: 0,
    label_value_length_limit: 0,
    target_limit: 0,
    body_size_limit: 0,
  };
}

/** How to run the server; every field has the contract's default (DESIGN.md). */
export interface ServerOptions {
  /** YAML configuration file; none means built-in defaults. */
  configFile?: string;
  /** Data directory (overrides `storage.path`). Default `./data`. */
  storagePath?: string;
  /** `HOST:PORT` to listen on. Default `127.0.0.1:9797`; port 0 picks a free one. */
  listen?: string;
  /** Scrape the built-in host and self targets (default true; `--no-collectors` turns it off). */
  builtinTargets?: boolean;
  /** Serve the TSDB admin endpoints (flush, delete_series, clean_tombstones); default false. */
  enableAdminApi?: boolean;
  /** Run the simulated Relay network beside the monitor, with `days` of history first. */
  demo?: { days: number; seed: number };
  /** Log level (default "info"). */
  logLevel?: string;
  /** A logger to use instead of a new one on stdout. */
  logger?: Logger;
}

/** A port that is free on `host` right now. */
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === "object" && addr ? resolvePort(addr.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Splits `HOST:PORT` (also `[::1]:PORT`). */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new Error(`--listen: expected HOST:PORT like 127.0.0.1:9797, got ${JSON.stringify(listen)}`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

/**
 * The composition root: builds storage, ingestion, collectors and the HTTP API from the
 * configuration, and runs them with one life (start, reload, stop).
 */
export class RelayMonitor {
  readonly logger: Logger;
  readonly registry = new Registry();
  private readonly opts: ServerOptions;
  private config: Config;
  private storage: Storage | undefined;
  private tsdb: DB | undefined;
  /** The one SQLite file for state other than time series (alerts, silences, dashboards, privacy). */
  private state: Database.Database | undefined;
  private scrape: ScrapeManager | undefined;
  private app: ReturnType<typeof createApp> | undefined;
  private isReady = false;
  private stopping = false;
  /** Long-lived components beyond scraping, in start order; reload applies the config to each. */
  private readonly components: Component[] = [];
  /** The simulated network of `relay-monitor demo`, once started. */
  private demo: Demo | undefined;
  private demoJobs: ScrapeJobConfig[] = [];
  /** The community figures of the demo's past days, being written in the background. */
  private demoHistory: Promise<void> | undefined;
  /** The community stage, for the demo's history. */
  community: { community: Community; analytics: CommunityAnalytics } | undefined;
  private lastReload = { success: true, time: new Date() };
  private readonly startTime = new Date();
  private address = "";

  constructor(opts: ServerOptions = {}) {
    this.opts = opts;
    this.logger = opts.logger ?? pino({ level: opts.logLevel ?? "info", base: { app: "relay-monitor" } });
    this.config = defaultConfig();
  }

  /** The `host:port` actually listened on (after start). */
  get listenAddress(): string {
    return this.address;
  }

  /** Loads the configuration, opens storage, starts serving and scraping. */
  async start(): Promise<void> {
    this.config = this.opts.configFile ? await loadConfigFile(this.opts.configFile) : defaultConfig();
    for (const w of this.config.warnings) this.logger.warn(w);
    const dataDir = resolve(this.opts.storagePath ?? this.config.storage.path);
    await mkdir(dataDir, { recursive: true });

    collectDefaultMetrics({ register: this.registry });
    const remoteWriteSamples = new Counter({
      name: "relay_remote_write_samples_total",
      help: "Samples accepted through the remote-write receiver.",
      registers: [this.registry],
    });
    const remoteWriteRequests = new Counter({
      name: "relay_remote_write_requests_total",
      help: "Remote-write requests accepted.",
      registers: [this.registry],
    });

    const head: DB = await openDB({
      dir: dataDir,
      retentionTime: this.config.storage.retention.time,
      retentionSize: this.config.storage.retention.size || undefined,
      outOfOrderWindowMs: this.config.storage.out_of_order_time_window,
      maxSeries: this.config.storage.limits.max_series,
      maxSeriesPerMetric: this.config.storage.limits.max_series_per_metric,
      logger: {
        info: (msg) => this.logger.info({ component: "tsdb" }, msg),
        warn: (msg) => this.logger.warn({ component: "tsdb" }, msg),
      },
    });
    this.storage = head;
    this.tsdb = head;
    new Counter({
      name: "relay_tsdb_series_limit_rejections_total",
      help: "New series refused by a storage cardinality limit (storage.limits), by limit.",
      labelNames: ["limit"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [limit, n] of Object.entries(head.head.seriesLimitRejections)) this.inc({ limit }, n);
      },
    });
    this.state = new Database(join(dataDir, "state.db"));
    this.state.pragma("journal_mode = WAL");
    this.state.pragma("synchronous = NORMAL");

    const collectors: Collector[] = [];
    const hostCfg = this.config.collectors.host;
    collectors.push(
      new HostCollector({
        procPath: hostCfg.proc_path,
        sysPath: hostCfg.sys_path,
        rootfsPath: hostCfg.rootfs_path,
      }),
    );

    const listen = parseListen(this.opts.listen ?? "127.0.0.1:9797");
    const host = listen.host;
    // Port 0 is resolved now, so everything that names our own URL (alerts, notifications) knows it.
    const port = listen.port === 0 ? await freePort(host) : listen.port;
    const app = createApp({
      logger: this.logger,
      registry: this.registry,
      buildInfo: {
        version: VERSION,
        revision: "",
        branch: "",
        buildUser: "",
        buildDate: "",
        goVersion: `node ${process.version}`,
      },
      flags: this.flags(),
      ready: () => this.isReady,
      reload: () => this.reload(),
      maxBodyBytes: 64 * 1024 * 1024,
    });
    await app.register(metadataRoutes, { storage: head });
    await app.register(ingestRoutes, {
      appendable: head,
      collectors,
      onRemoteWrite: (samples: number) => {
        remoteWriteRequests.inc();
        remoteWriteSamples.inc(samples);
      },
    });
    await app.register(statusRoutes, {
      buildInfo: {
        version: VERSION,
        revision: "",
        branch: "",
        buildUser: "",
        buildDate: "",
        goVersion: process.version,
      },
      flags: this.flags(),
      startTime: this.startTime,
      configText: () => this.config.text,
      reloadState: () => this.lastReload,
      storageRetention: () => formatDuration(this.config.storage.retention.time),
      tsdbStatus: (limit: number) => head.stats(limit),
    });
    const queryDuration = new Histogram({
      name: "relay_query_duration_seconds",
      help: "PromQL query evaluation time through the HTTP API.",
      labelNames: ["kind", "result"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
      registers: [this.registry],
    });
    const engine = new Engine();
    await app.register(queryRoutes, {
      engine,
      queryable: head,
      externalLabels: () => this.config.global.external_labels,
      onQuery: (kind: string, seconds: number, ok: boolean) =>
        queryDuration.observe({ kind, result: ok ? "success" : "error" }, seconds),
    });
    const scrape = new ScrapeManager({ appendable: head, logger: this.logger, registry: this.registry });
    this.scrape = scrape;
    await app.register(targetsRoutes, { targets: () => scrape.targets() });
    await app.register(adminRoutes, {
      enabled: this.opts.enableAdminApi === true,
      flush: () => head.flush(),
      deleteSeries: (ms: readonly Matcher[], mint: number, maxt: number) => head.deleteSeries(ms, mint, maxt),
      cleanTombstones: () => head.cleanTombstones(),
    });

    // Alerts link back to us absolutely (generatorURL), as Prometheus's do.
    const urlHost =
      host === "0.0.0.0" || host === "::" ? hostname() : host.includes(":") ? `[${host}]` : host;
    const externalURL = `http://${urlHost}:${port}`;
    const pipeline = new NotificationPipeline({
      db: this.state,
      logger: this.logger.child({ component: "notify" }),
      registry: this.registry,
      externalURL,
      buildInfo: {
        version: VERSION,
        revision: "",
        branch: "",
        buildUser: "",
        buildDate: "",
        goVersion: process.version,
      },
    });
    const applyNotify = (c: Config) =>
      pipeline.applyConfig(c.notify, {
        original: (parseYAML(c.text || "{}") as { notify?: unknown } | null)?.notify,
      });
    applyNotify(this.config);
    const rules = new RuleManager({
      queryFunc: engineQueryFunc(engine, head),
      appendable: head,
      queryable: head,
      notify: pipeline.notify,
      logger: this.logger.child({ component: "rules" }),
      externalLabels: this.config.global.external_labels,
      externalURL,
      registry: this.registry,
      history: new SqliteAlertHistory(this.state),
    });
    await rules.applyConfig(this.rulesConfig(this.config));
    await app.register(rulesRoutes, { rules });
    await app.register(notifyRoutes, { pipeline });
    this.components.push(
      {
        name: "rules",
        applyConfig: (c) => rules.applyConfig(this.rulesConfig(c)),
        start: () => rules.start(),
        stop: () => rules.stop(),
      },
      {
        name: "notify",
        applyConfig: applyNotify,
        start: () => pipeline.start(),
        stop: () => pipeline.stop(),
      },
    );

    const cc = this.config.community;
    const community = new Community({
      db: this.state,
      keyRetentionMs: cc.key_retention,
      maxFutureMs: cc.max_future,
      limits: { maxBodyBytes: cc.max_body_bytes, maxEvents: cc.max_events },
    });
    const communityAnalytics = new CommunityAnalytics(community, {
      k: cc.k,
      noise: cc.noise ? { epsilon: cc.noise.epsilon, budgetPerDay: cc.noise.budget_per_day } : undefined,
      health: cc.health,
      recommendationThreshold: cc.recommendation_threshold,
      circulatingSupply: cc.circulating_supply,
    });
    this.community = { community, analytics: communityAnalytics };
    const publisher = new CommunityPublisher(
      communityAnalytics,
      {
        appendable: head,
        intervalMs: cc.publish_interval,
        onError: (err) =>
          this.logger.warn({ component: "community", err: (err as Error).message }, "publish failed"),
      },
      () => community.maintain(),
    );
    await app.register(communityRoutes, {
      api: new CommunityApi(community, communityAnalytics),
      maxBodyBytes: cc.max_body_bytes,
    });
    this.components.push({
      name: "community",
      applyConfig: () => {},
      start: () => publisher.start(),
      stop: () => publisher.stop(),
    });

    const source = engineSource(engine, head);
    const onError = (component: string) => (err: unknown) =>
      this.logger.warn({ component, err: (err as Error).message }, "periodic analysis failed");
    const analysis = this.config.analysis;
    const analyzer = new PerformanceAnalyzer({
      source,
      appendable: head,
      config: analysis.performance,
      onError: onError("analyzer"),
    });
    const planner = new CapacityPlanner({ source, config: analysis.capacity });
    const detector = new AnomalyDetector({ source, appendable: head, config: analysis.anomaly });
    const correlations = new CorrelationEngine({ source, config: analysis.correlation });
    await app.register(analysisRoutes, { analyzer, planner, detector, correlations });
    this.components.push(
      {
        name: "analyzer",
        applyConfig: (c) => analyzer.applyConfig(c.analysis.performance),
        start: () => analyzer.start(),
        stop: () => analyzer.stop(),
      },
      {
        name: "capacity",
        applyConfig: (c) => planner.applyConfig(c.analysis.capacity),
        start: () => planner.start(),
        stop: () => planner.stop(),
      },
      {
        name: "anomaly",
        applyConfig: (c) => detector.applyConfig(c.analysis.anomaly),
        start: () => detector.start(),
        stop: () => detector.stop(),
      },
      {
        name: "correlation",
        applyConfig: (c) => correlations.applyConfig(c.analysis.correlation),
        start: () => {},
        stop: async () => {},
      },
    );
    await app.register(dashboardsRoutes, {
      db: this.state,
      builtins: await loadBuiltinDashboards(
        fileURLToPath(new URL("../dist/ui/dashboards/", import.meta.url)),
      ),
    });
    await app.register(uiRoutes, { root: fileURLToPath(new URL("../dist/ui/", import.meta.url)) });
    if (this.opts.demo) {
      const faults = async (req: FastifyRequest, reply: FastifyReply) => {
        if (!this.demo) throw new ApiError("unavailable", "the simulated network is still starting");
        const r = req.method === "POST" ? this.demo.api.inject(req.body) : this.demo.api.list();
        reply
          .status(r.status)
          .header("content-type", "application/json; charset=utf-8")
          .send(JSON.stringify(r.body));
      };
      app.get("/api/relay/v1/sim/faults", faults);
      app.post("/api/relay/v1/sim/faults", faults);
    }
    this.app = app;
    await app.listen({ host, port });
    const addr = app.server.address();
    const boundPort = typeof addr === "object" && addr ? addr.port : port;
    this.address = `${host.includes(":") ? `[${host}]` : host}:${boundPort}`;

    if (this.opts.demo) {
      const t0 = performance.now();
      // History goes straight into blocks (the TSDB's backfill path), not through the head and WAL.
      const history = head.backfillAppendable();
      this.demo = await startDemo({
        monitorUrl: `http://${this.address.replace(/^0\.0\.0\.0:/, "127.0.0.1:")}`,
        appendable: history,
        days: this.opts.demo.days,
        seed: this.opts.demo.seed,
        logger: this.logger.child({ component: "demo" }),
      });
      await history.flush();
      this.demoHistory = this.publishCommunityHistory(head, this.opts.demo.days);
      this.demoJobs = this.demo.scrapeJobs.map((j) => {
        const interval = parseDuration(j.scrape_interval);
        return staticJob(
          { job_name: j.job_name, scrape_interval: interval, scrape_timeout: Math.min(interval, 10_000) },
          "/metrics",
          [...j.targets],
        );
      });
      this.logger.info(
        { nodes: this.demo.targets, seconds: ((performance.now() - t0) / 1000).toFixed(1) },
        "simulated Relay network running",
      );
    }
    scrape.applyConfig(this.scrapeJobs(this.config));
    scrape.start();
    for (const c of this.components) c.start();
    this.isReady = true;
    this.logger.info({ listen: this.address, storage: dataDir }, "Relay Monitor is ready");
  }

  /**
   * Publishes the community figures for the demo's past days (every 3 hours) into blocks, so the
   * community dashboards have history too. Runs in the background after the demo goes live.
   */
  private async publishCommunityHistory(db: DB, days: number): Promise<void> {
    const c = this.community;
    if (!c || days <= 0) return;
    const writer = db.backfillAppendable();
    const publisher = new CommunityPublisher(c.analytics, { appendable: writer });
    const step = 3 * 3600_000;
    const now = Date.now();
    const t0 = performance.now();
    try {
      for (let t = Math.ceil((now - days * 86_400_000) / step) * step; t < now - step; t += step) {
        if (this.stopping) break;
        await publisher.publish(t);
        await new Promise((r) => setImmediate(r));
      }
      await writer.flush();
      this.logger.info(
        { seconds: ((performance.now() - t0) / 1000).toFixed(1) },
        "community history published",
      );
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, "community history not published");
    }
  }

  /** The default rule pack plus the configured rule files (globs relative to the config file). */
  private rulesConfig(cfg: Config): { ruleFiles: string[]; evaluationIntervalMs: number; baseDir: string } {
    return {
      ruleFiles: [DEFAULT_RULE_PACK, ...cfg.rule_files],
      evaluationIntervalMs: cfg.global.evaluation_interval,
      baseDir: this.opts.configFile ? dirname(resolve(this.opts.configFile)) : process.cwd(),
    };
  }

  /**
   * The configured jobs plus the built-in ones (host collector and self), unless disabled, each
   * with `storage.limits.max_series_per_target` as its `series_limit`.
   */
  private scrapeJobs(cfg: Config): (ScrapeJobConfig & { series_limit: number })[] {
    const series_limit = cfg.storage.limits.max_series_per_target;
    const jobs = [...cfg.scrape_configs, ...this.demoJobs];
    if (this.opts.builtinTargets !== false) {
      const self = this.address.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
      const labels = { host: hostname() };
      if (cfg.collectors.self.enabled) jobs.push(staticJob(cfg.collectors.self, "/metrics", [self], labels));
      if (cfg.collectors.host.enabled)
        jobs.push(staticJob(cfg.collectors.host, "/metrics/node", [self], labels));
    }
    return jobs.map((j) => ({ ...j, series_limit }));
  }

  private flags(): Record<string, string> {
    return {
      "config.file": this.opts.configFile ?? "",
      "storage.path": this.opts.storagePath ?? this.config.storage.path,
      listen: this.opts.listen ?? "127.0.0.1:9797",
      collectors: String(this.opts.builtinTargets !== false),
      "web.enable-admin-api": String(this.opts.enableAdminApi === true),
      "log.level": this.opts.logLevel ?? "info",
    };
  }

  /**
   * Re-reads the configuration file and applies it to every component. A file with problems is
   * rejected as a whole and the running configuration stays in force.
   */
  async reload(): Promise<void> {
    if (!this.opts.configFile) {
      this.lastReload = { success: true, time: new Date() };
      return;
    }
    let next: Config;
    try {
      next = await loadConfigFile(this.opts.configFile);
    } catch (err) {
      this.lastReload = { success: false, time: new Date() };
      this.logger.error(
        { err: (err as Error).message },
        "reload rejected; keeping the running configuration",
      );
      throw err;
    }
    try {
      for (const c of this.components) await c.applyConfig(next);
    } catch (err) {
      this.lastReload = { success: false, time: new Date() };
      this.logger.error(
        { err: (err as Error).message },
        "reload rejected; keeping the running configuration",
      );
      throw err;
    }
    this.config = next;
    this.tsdb?.head.setLimits({
      maxSeries: next.storage.limits.max_series,
      maxSeriesPerMetric: next.storage.limits.max_series_per_metric,
    });
    this.scrape?.applyConfig(this.scrapeJobs(next));
    this.lastReload = { success: true, time: new Date() };
    this.logger.info("configuration reloaded");
  }

  /** Stops scraping, closes the HTTP server and flushes and closes storage. */
  async stop(): Promise<void> {
    this.isReady = false;
    this.stopping = true;
    await this.demoHistory;
    await this.scrape?.stop();
    await this.demo?.stop();
    for (const c of this.components) await c.stop();
    await this.app?.close();
    await this.storage?.close();
    this.state?.close();
    this.logger.info("stopped");
  }
}
