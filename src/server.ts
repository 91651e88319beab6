import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino, { type Logger } from "pino";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import {
  createApp,
  ingestRoutes,
  metadataRoutes,
  queryRoutes,
  statusRoutes,
  targetsRoutes,
  uiRoutes,
} from "./api/index.js";
import { type Collector, HostCollector } from "./collectors/index.js";
import { type Config, defaultConfig, loadConfigFile, type ScrapeJobConfig } from "./config/index.js";
import { ScrapeManager } from "./ingest/index.js";
import { formatDuration } from "./model/index.js";
import { Engine } from "./promql/index.js";
import type { Storage } from "./storage/index.js";
import { type DB, openDB } from "./tsdb/index.js";
import { VERSION } from "./version.js";

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
  /** Log level (default "info"). */
  logLevel?: string;
  /** A logger to use instead of a new one on stdout. */
  logger?: Logger;
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
  private scrape: ScrapeManager | undefined;
  private app: ReturnType<typeof createApp> | undefined;
  private isReady = false;
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
      logger: {
        info: (msg) => this.logger.info({ component: "tsdb" }, msg),
        warn: (msg) => this.logger.warn({ component: "tsdb" }, msg),
      },
    });
    this.storage = head;

    const collectors: Collector[] = [];
    const hostCfg = this.config.collectors.host;
    collectors.push(
      new HostCollector({
        procPath: hostCfg.proc_path,
        sysPath: hostCfg.sys_path,
        rootfsPath: hostCfg.rootfs_path,
      }),
    );

    const { host, port } = parseListen(this.opts.listen ?? "127.0.0.1:9797");
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
    await app.register(uiRoutes, { root: fileURLToPath(new URL("./ui/", import.meta.url)) });
    this.app = app;
    await app.listen({ host, port });
    const addr = app.server.address();
    const boundPort = typeof addr === "object" && addr ? addr.port : port;
    this.address = `${host.includes(":") ? `[${host}]` : host}:${boundPort}`;

    scrape.applyConfig(this.scrapeJobs(this.config));
    scrape.start();
    this.isReady = true;
    this.logger.info({ listen: this.address, storage: dataDir }, "Relay Monitor is ready");
  }

  /** The configured jobs plus the built-in ones (host collector and self), unless disabled. */
  private scrapeJobs(cfg: Config): ScrapeJobConfig[] {
    const jobs = [...cfg.scrape_configs];
    if (this.opts.builtinTargets === false) return jobs;
    const self = this.address.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
    const builtin = (
      b: { job_name: string; scrape_interval: number; scrape_timeout: number },
      path: string,
    ) => ({
      job_name: b.job_name,
      scrape_interval: b.scrape_interval,
      scrape_timeout: b.scrape_timeout,
      metrics_path: path,
      scheme: "http" as const,
      params: {},
      honor_labels: false,
      honor_timestamps: true,
      track_timestamps_staleness: false,
      static_configs: [{ targets: [self], labels: { host: hostname() } }],
      relabel_configs: [],
      metric_relabel_configs: [],
      sample_limit: 0,
      label_limit: 0,
      label_name_length_limit: 0,
      label_value_length_limit: 0,
      target_limit: 0,
      body_size_limit: 0,
    });
    if (cfg.collectors.self.enabled) jobs.push(builtin(cfg.collectors.self, "/metrics"));
    if (cfg.collectors.host.enabled) jobs.push(builtin(cfg.collectors.host, "/metrics/node"));
    return jobs;
  }

  private flags(): Record<string, string> {
    return {
      "config.file": this.opts.configFile ?? "",
      "storage.path": this.opts.storagePath ?? this.config.storage.path,
      listen: this.opts.listen ?? "127.0.0.1:9797",
      collectors: String(this.opts.builtinTargets !== false),
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
    this.config = next;
    this.scrape?.applyConfig(this.scrapeJobs(next));
    this.lastReload = { success: true, time: new Date() };
    this.logger.info("configuration reloaded");
  }

  /** Stops scraping, closes the HTTP server and flushes and closes storage. */
  async stop(): Promise<void> {
    this.isReady = false;
    await this.scrape?.stop();
    await this.app?.close();
    await this.storage?.close();
    this.logger.info("stopped");
  }
}
