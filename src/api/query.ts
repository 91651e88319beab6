import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OPENMETRICS_CONTENT_TYPE, writeExposition } from "../ingest/index.js";
import {
  type FamilySample,
  isStaleNaN,
  labelsGet,
  labelsKey,
  METRIC_NAME,
  type MetricFamily,
} from "../model/index.js";
import { type Engine, parseExpr, prettyFormatExpr, queryResultToJSONString } from "../promql/index.js";
import type { Queryable } from "../storage/index.js";
import { params } from "./app.js";
import { badData } from "./errors.js";

/** What the query endpoints need. */
export interface QueryApiDeps {
  readonly engine: Engine;
  readonly queryable: Queryable;
  /** External labels added to federated series (Prometheus's `global.external_labels`). */
  externalLabels(): Readonly<Record<string, string>>;
  /** Lookback for /federate, ms (default 5 m). */
  readonly lookbackDeltaMs?: number;
  /** Called once per evaluated query (for our own metrics). */
  onQuery?(kind: "instant" | "range", seconds: number, ok: boolean): void;
}

function parseQuery(q: string | undefined) {
  try {
    return parseExpr(q ?? "");
  } catch (err) {
    throw badData(`invalid parameter "query": ${(err as Error).message}`);
  }
}

/** Aborts when the client goes away before the answer is written, or after `timeoutMs`. */
function timeoutSignal(reply: FastifyReply, timeoutMs: number | undefined): AbortSignal | undefined {
  const ctl = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) ctl.abort();
  });
  if (timeoutMs !== undefined && timeoutMs > 0)
    return AbortSignal.any([ctl.signal, AbortSignal.timeout(timeoutMs)]);
  return ctl.signal;
}

function sendResult(reply: FastifyReply, dataJSON: string, warnings: string[], infos: string[]): void {
  let body = `{"status":"success","data":${dataJSON}`;
  if (warnings.length > 0) body += `,"warnings":${JSON.stringify(warnings)}`;
  if (infos.length > 0) body += `,"infos":${JSON.stringify(infos)}`;
  reply.header("content-type", "application/json; charset=utf-8").send(`${body}}`);
}

/**
 * `/api/v1/query`, `/api/v1/query_range`, `/api/v1/format_query` (GET and POST form) and
 * `/federate`, with Prometheus's parameters, envelope and error types.
 */
export async function queryRoutes(app: FastifyInstance, deps: QueryApiDeps): Promise<void> {
  const instant = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = params(req);
    const expr = parseQuery(p.get("query"));
    const time = p.time("time", Date.now());
    const timeout = p.duration("timeout");
    const lookback = p.duration("lookback_delta");
    const started = performance.now();
    let ok = false;
    try {
      const r = await deps.engine.instantQuery(deps.queryable, expr, time, {
        signal: timeoutSignal(reply, timeout),
        lookbackDeltaMs: lookback,
      });
      ok = true;
      sendResult(reply, queryResultToJSONString(r), r.warnings, r.infos);
    } finally {
      deps.onQuery?.("instant", (performance.now() - started) / 1000, ok);
    }
  };
  app.get("/api/v1/query", instant);
  app.post("/api/v1/query", instant);

  const range = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = params(req);
    const start = requiredTime(p.get("start"), "start", p);
    const end = requiredTime(p.get("end"), "end", p);
    const step = p.duration("step");
    if (step === undefined) throw badData('invalid parameter "step": cannot parse "" to a valid duration');
    const expr = parseQuery(p.get("query"));
    const timeout = p.duration("timeout");
    const lookback = p.duration("lookback_delta");
    const started = performance.now();
    let ok = false;
    try {
      const r = await deps.engine.rangeQuery(deps.queryable, expr, start, end, step, {
        signal: timeoutSignal(reply, timeout),
        lookbackDeltaMs: lookback,
      });
      ok = true;
      sendResult(reply, queryResultToJSONString(r), r.warnings, r.infos);
    } finally {
      deps.onQuery?.("range", (performance.now() - started) / 1000, ok);
    }
  };
  app.get("/api/v1/query_range", range);
  app.post("/api/v1/query_range", range);

  const format = async (req: FastifyRequest, reply: FastifyReply) => {
    const expr = parseQuery(params(req).get("query"));
    reply
      .header("content-type", "application/json; charset=utf-8")
      .send(JSON.stringify({ status: "success", data: prettyFormatExpr(expr) }));
  };
  app.get("/api/v1/format_query", format);
  app.post("/api/v1/format_query", format);

  const federate = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = params(req);
    const sets = p.matchers();
    const now = Date.now();
    const lookback = deps.lookbackDeltaMs ?? 300_000;
    const q = deps.queryable.querier(now - lookback, now);
    const ext = deps.externalLabels();
    const byName = new Map<string, FamilySample[]>();
    const seen = new Set<string>();
    try {
      for (const ms of sets) {
        for (const s of await q.select(ms, { start: now - lookback, end: now, func: "series" })) {
          const key = labelsKey(s.labels);
          if (seen.has(key)) continue;
          seen.add(key);
          const it = s.iterator();
          let t = Number.NaN;
          let v = 0;
          while (it.next()) {
            t = it.t;
            v = it.v;
          }
          if (Number.isNaN(t) || isStaleNaN(v)) continue;
          const name = labelsGet(s.labels, METRIC_NAME);
          const labels: Record<string, string> = { ...ext };
          for (const l of s.labels) if (l.name !== METRIC_NAME) labels[l.name] = l.value;
          let list = byName.get(name);
          if (!list) {
            list = [];
            byName.set(name, list);
          }
          list.push({ name, labels, value: v, timestamp: t });
        }
      }
    } finally {
      q.close();
    }
    const families: MetricFamily[] = [...byName.keys()].sort().map((name) => ({
      name,
      help: "",
      type: "unknown",
      samples: byName.get(name)!,
    }));
    const om = (req.headers.accept ?? "").includes("application/openmetrics-text");
    reply
      .header("content-type", om ? OPENMETRICS_CONTENT_TYPE : "text/plain; version=0.0.4; charset=utf-8")
      .send(writeExposition(families, om ? "openmetrics" : "text"));
  };
  app.get("/federate", federate);
  app.post("/federate", federate);
}

function requiredTime(v: string | undefined, name: string, p: ReturnType<typeof params>): number {
  if (v === undefined || v === "")
    throw badData(`invalid parameter "${name}": cannot parse "" to a valid timestamp`);
  return p.time(name, 0);
}
