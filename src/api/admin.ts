import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Matcher } from "../model/index.js";
import { params } from "./app.js";
import { ApiError, badData } from "./errors.js";
import { MAX_TIME, MIN_TIME } from "./params.js";

/** The store operations the admin endpoints call. */
export interface AdminApiDeps {
  /** Whether `--web.enable-admin-api` was given; otherwise every admin endpoint is unavailable. */
  readonly enabled: boolean;
  flush(): Promise<number | null>;
  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<number>;
  cleanTombstones(): Promise<number>;
}

/**
 * Prometheus's TSDB admin endpoints (`delete_series`, `clean_tombstones`) and Relay's `flush`,
 * answering `unavailable` unless the admin API is enabled, as Prometheus does.
 */
export async function adminRoutes(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  const guard = () => {
    if (!deps.enabled)
      throw new ApiError("unavailable", "admin APIs disabled (start with --web.enable-admin-api)");
  };
  app.post("/api/v1/admin/tsdb/flush", async (_req, reply) => {
    guard();
    const before = await deps.flush();
    reply.status(200).send({ status: "success", data: { flushedBefore: before } });
  });
  const del = async (req: FastifyRequest, reply: FastifyReply) => {
    guard();
    const p = params(req);
    const sets = p.matchers();
    if (sets.length === 0) throw badData("no match[] parameter provided");
    const start = p.time("start", MIN_TIME);
    const end = p.time("end", MAX_TIME);
    for (const ms of sets) await deps.deleteSeries(ms, start, end);
    reply.status(204).send();
  };
  app.post("/api/v1/admin/tsdb/delete_series", del);
  app.put("/api/v1/admin/tsdb/delete_series", del);
  const clean = async (_req: FastifyRequest, reply: FastifyReply) => {
    guard();
    await deps.cleanTombstones();
    reply.status(204).send();
  };
  app.post("/api/v1/admin/tsdb/clean_tombstones", clean);
  app.put("/api/v1/admin/tsdb/clean_tombstones", clean);
}
