import type { FastifyInstance } from "fastify";
import { renderTargets, type TargetInfo } from "../ingest/index.js";
import { params, success } from "./app.js";

/** What `/api/v1/targets` reads. */
export interface TargetsApiDeps {
  targets(): readonly TargetInfo[];
}

/** `/api/v1/targets` with Prometheus's `state` and `scrapePool` parameters and JSON shape. */
export async function targetsRoutes(app: FastifyInstance, deps: TargetsApiDeps): Promise<void> {
  app.get("/api/v1/targets", async (req, reply) => {
    const p = params(req);
    success(reply, renderTargets(deps.targets(), { state: p.get("state"), scrapePool: p.get("scrapePool") }));
  });
}
