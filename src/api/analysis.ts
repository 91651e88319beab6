import type { FastifyInstance } from "fastify";
import type {
  AnomalyDetector,
  CapacityPlanner,
  CorrelationEngine,
  PerformanceAnalyzer,
  Resource,
} from "../analysis/index.js";
import { params, success } from "./app.js";
import { badData } from "./errors.js";

/** The analysis services the routes read. */
export interface AnalysisApiDeps {
  readonly analyzer: PerformanceAnalyzer;
  readonly planner: CapacityPlanner;
  readonly detector: AnomalyDetector;
  readonly correlations: CorrelationEngine;
}

const DAY = 24 * 3600_000;

function asBadData<T>(fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => {
    if (err instanceof RangeError) throw badData(err.message);
    throw err;
  });
}

/**
 * Relay's analysis endpoints under `/api/relay/v1/`: `analysis/performance`, `capacity`,
 * `anomalies` and `correlations`. Times are RFC 3339 or Unix seconds, like the Prometheus API.
 */
export async function analysisRoutes(app: FastifyInstance, deps: AnalysisApiDeps): Promise<void> {
  app.get("/api/relay/v1/analysis/performance", async (req, reply) => {
    const p = params(req);
    const to = p.time("to", Date.now());
    const from = p.time("from", to - 3600_000);
    if (from >= to) throw badData("from must be before to");
    success(reply, await asBadData(() => deps.analyzer.analyze(from, to)));
  });

  app.get("/api/relay/v1/capacity", async (req, reply) => {
    const p = params(req);
    const resources = p.getAll("resource") as Resource[];
    const now = p.time("time", Date.now());
    success(
      reply,
      await asBadData(() => deps.planner.plan({ now, resources: resources.length ? resources : undefined })),
    );
  });

  app.get("/api/relay/v1/anomalies", async (req, reply) => {
    const p = params(req);
    const to = p.time("to", Date.now());
    const from = p.time("from", to - DAY);
    if (from >= to) throw badData("from must be before to");
    const series = p.getAll("series");
    success(
      reply,
      await asBadData(() => deps.detector.detect({ from, to, series: series.length ? series : undefined })),
    );
  });

  app.get("/api/relay/v1/correlations", async (req, reply) => {
    const p = params(req);
    const to = p.time("to", Date.now());
    const from = p.time("from", to - 7 * DAY);
    const step = p.duration("step");
    const maxLagMs = p.duration("max_lag");
    const technical = p.get("technical");
    const community = p.get("community");
    if (technical !== undefined && community !== undefined) {
      success(
        reply,
        await asBadData(() =>
          deps.correlations.correlate({ technical, community, from, to, step, maxLagMs }),
        ),
      );
      return;
    }
    if (technical !== undefined)
      throw badData("technical= needs community= (or give community= alone for a ranking)");
    success(reply, await asBadData(() => deps.correlations.rank({ community, from, to, step, maxLagMs })));
  });
}
