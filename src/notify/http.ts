import type { FastifyInstance, FastifyReply } from "fastify";
import {
  alertQueryFromParams,
  deleteSilence,
  getAlertGroups,
  getAlerts,
  getReceivers,
  getSilence,
  getSilences,
  getStatus,
  NotifyApiError,
  postAlerts,
  postSilences,
} from "./api.js";
import type { NotificationPipeline } from "./pipeline.js";

/** Options of {@link notifyRoutes}. */
export interface NotifyRoutesOptions {
  readonly pipeline: NotificationPipeline;
}

function answer(reply: FastifyReply, fn: () => unknown, okStatus = 200): void {
  try {
    const body = fn();
    reply
      .code(okStatus)
      .header("content-type", "application/json")
      .send(JSON.stringify(body ?? null));
  } catch (err) {
    if (!(err instanceof NotifyApiError)) throw err;
    reply.code(err.status).header("content-type", "application/json").send(JSON.stringify(err.message));
  }
}

type Q = { Querystring: Record<string, unknown> };
type Id = { Params: { id: string } };

/**
 * Alertmanager's v2 API paths for alerts, groups, silences, status and receivers, as thin
 * Fastify routes over the plain functions of api.ts. Errors answer with Alertmanager's status and
 * a JSON string body. Register with `app.register(notifyRoutes, { pipeline })`.
 */
export async function notifyRoutes(app: FastifyInstance, opts: NotifyRoutesOptions): Promise<void> {
  const p = opts.pipeline;
  app.get<Q>("/api/v2/alerts", (req, reply) =>
    answer(reply, () => getAlerts(p, alertQueryFromParams(req.query))),
  );
  app.post("/api/v2/alerts", (req, reply) => answer(reply, () => postAlerts(p, req.body)));
  app.get<Q>("/api/v2/alerts/groups", (req, reply) =>
    answer(reply, () => getAlertGroups(p, alertQueryFromParams(req.query))),
  );
  app.get<Q>("/api/v2/silences", (req, reply) =>
    answer(reply, () => getSilences(p, { filter: alertQueryFromParams(req.query).filter ?? [] })),
  );
  app.post("/api/v2/silences", (req, reply) => answer(reply, () => postSilences(p, req.body)));
  app.get<Id>("/api/v2/silence/:id", (req, reply) => answer(reply, () => getSilence(p, req.params.id)));
  app.delete<Id>("/api/v2/silence/:id", (req, reply) => answer(reply, () => deleteSilence(p, req.params.id)));
  app.get("/api/v2/status", (_req, reply) => answer(reply, () => getStatus(p)));
  app.get("/api/v2/receivers", (_req, reply) => answer(reply, () => getReceivers(p)));
}
