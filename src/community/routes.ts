import type { FastifyInstance, FastifyReply } from "fastify";
import { type CommunityApi, CommunityRequestError, type Query } from "./api.js";
import { DEFAULT_MAX_BODY_BYTES, EventBodyError } from "./events.js";

/** What {@link communityRoutes} needs. */
export interface CommunityRoutesOptions {
  /** The handlers. */
  readonly api: CommunityApi;
  /** Largest events body, in bytes. Default 4 MiB. */
  readonly maxBodyBytes?: number;
}

function send(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply
    .status(status)
    .header("content-type", "application/json; charset=utf-8")
    .send(JSON.stringify(body));
}

function fail(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof EventBodyError || err instanceof CommunityRequestError) {
    return send(reply, err.status, { status: "error", errorType: "bad_data", error: err.message });
  }
  if (err instanceof RangeError)
    return send(reply, 400, { status: "error", errorType: "bad_data", error: err.message });
  throw err;
}

/**
 * The Relay community routes as a Fastify plugin (register it without fastify-plugin: its content
 * parser is scoped to it). `POST /api/relay/v1/events` reads the raw body itself — any content
 * type, JSON array or NDJSON — so that no parser or log ever sees or quotes it. Answers use the
 * Prometheus envelope `{status, data}` / `{status: "error", errorType, error}`; a refused batch adds
 * `errors: [{index, id?, reason}]`.
 */
export async function communityRoutes(app: FastifyInstance, opts: CommunityRoutesOptions): Promise<void> {
  const api = opts.api;
  const bodyLimit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_req, body, done) => done(null, body));

  app.post("/api/relay/v1/events", { bodyLimit }, async (req, reply) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const answer = api.postEvents(body);
      return send(reply, answer.status, answer.body);
    } catch (err) {
      return fail(reply, err);
    }
  });

  const get = (path: string, handler: (q: Query) => unknown) =>
    app.get(path, async (req, reply) => {
      try {
        return send(reply, 200, { status: "success", data: handler(req.query as Query) });
      } catch (err) {
        return fail(reply, err);
      }
    });
  get("/api/relay/v1/community/health", (q) => api.health(q));
  get("/api/relay/v1/community/activity", (q) => api.activity(q));
  get("/api/relay/v1/community/retention", (q) => api.retention(q));
  get("/api/relay/v1/governance", (q) => api.governance(q));
  get("/api/relay/v1/economy", (q) => api.economy(q));
}
