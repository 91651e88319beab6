import type { FastifyInstance } from "fastify";
import { type BuildInfo, params, success } from "./app.js";
import { badData } from "./errors.js";

/** What the status endpoints report. */
export interface StatusApiDeps {
  readonly buildInfo: BuildInfo;
  readonly flags: Readonly<Record<string, string>>;
  readonly startTime: Date;
  /** The YAML text of the configuration in force. */
  configText(): string;
  /** Facts about the last reload. */
  reloadState(): { success: boolean; time: Date };
  /** Retention as Prometheus prints it, e.g. "15d". */
  storageRetention(): string;
  /** Head statistics in Prometheus's /api/v1/status/tsdb shape. */
  tsdbStatus(limit: number): unknown;
}

/** `/api/v1/status/{buildinfo,flags,config,runtimeinfo,tsdb}` in Prometheus's shapes. */
export async function statusRoutes(app: FastifyInstance, deps: StatusApiDeps): Promise<void> {
  app.get("/api/v1/status/buildinfo", async (_req, reply) => success(reply, deps.buildInfo));
  app.get("/api/v1/status/flags", async (_req, reply) => success(reply, deps.flags));
  app.get("/api/v1/status/config", async (_req, reply) => success(reply, { yaml: deps.configText() }));
  app.get("/api/v1/status/runtimeinfo", async (_req, reply) => {
    const r = deps.reloadState();
    const mem = process.memoryUsage();
    success(reply, {
      startTime: deps.startTime.toISOString(),
      CWD: process.cwd(),
      reloadConfigSuccess: r.success,
      lastConfigTime: r.time.toISOString(),
      corruptionCount: 0,
      goroutineCount: 0,
      GOMAXPROCS: 1,
      GOMEMLIMIT: 0,
      GOGC: "",
      GODEBUG: "",
      storageRetention: deps.storageRetention(),
      nodeVersion: process.version,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
    });
  });
  app.get("/api/v1/status/tsdb", async (req, reply) => {
    const p = params(req);
    const limit = p.get("limit") === undefined ? 10 : p.limit();
    if (limit === 0) throw badData("limit must be a positive number");
    success(reply, deps.tsdbStatus(limit));
  });
}
