import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { ApiError, toApiError } from "./errors.js";
import { Params } from "./params.js";

/** Version and build facts reported by /api/v1/status/buildinfo. */
export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
}

/** Everything the HTTP layer needs from the running server; built by src/server.ts. */
export interface ApiContext {
  readonly logger: Logger;
  /** Our own metrics (prom-client registry) for /metrics. */
  readonly registry: Registry;
  readonly buildInfo: BuildInfo;
  /** Command-line flags as strings, for /api/v1/status/flags. */
  readonly flags: Readonly<Record<string, string>>;
  /** True once storage is open and replayed. */
  ready(): boolean;
  /** Applies the configuration file again; rejects (and keeps the old one) when it is invalid. */
  reload(): Promise<void>;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
}

/** The success envelope of the Prometheus API. */
export function success(
  reply: FastifyReply,
  data: unknown,
  warnings: string[] = [],
  infos: string[] = [],
): void {
  const body: Record<string, unknown> = { status: "success", data };
  if (warnings.length > 0) body.warnings = warnings;
  if (infos.length > 0) body.infos = infos;
  reply.header("content-type", "application/json; charset=utf-8").send(JSON.stringify(body));
}

/** Request parameters from the query string and a urlencoded body. */
export function params(req: FastifyRequest): Params {
  return new Params(req.url, req.body instanceof URLSearchParams ? req.body : undefined);
}

/**
 * Creates the Fastify instance with the API's conventions: urlencoded and protobuf bodies, the
 * Prometheus error envelope for every failure, and the lifecycle endpoints. Feature routes are
 * registered by the caller as plugins.
 */
export function createApp(ctx: ApiContext): FastifyInstance {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) =>
    done(null, new URLSearchParams(body as string)),
  );
  app.addContentTypeParser(
    ["application/x-protobuf", "application/octet-stream"],
    { parseAs: "buffer" },
    (_req, body, done) => done(null, body),
  );

  app.setErrorHandler((err, req, reply) => {
    const fe = err as { statusCode?: number; code?: string; message: string };
    let api: ApiError;
    if (fe.code?.startsWith("FST_") && fe.statusCode !== undefined && fe.statusCode < 500) {
      api = new ApiError(fe.statusCode === 404 ? "not_found" : "bad_data", fe.message, fe.statusCode);
    } else {
      api = toApiError(err);
    }
    if (api.errorType === "internal") req.log.error({ err, url: req.url }, "internal error");
    reply
      .status(api.status)
      .header("content-type", "application/json; charset=utf-8")
      .send(JSON.stringify({ status: "error", errorType: api.errorType, error: api.message }));
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .status(404)
      .header("content-type", "text/plain; charset=utf-8")
      .send(`404 page not found: ${req.url}\n`);
  });

  app.get("/-/healthy", async (_req, reply) => reply.type("text/plain").send("Relay Monitor is Healthy.\n"));
  app.get("/-/ready", async (_req, reply) =>
    ctx.ready()
      ? reply.type("text/plain").send("Relay Monitor is Ready.\n")
      : reply.status(503).type("text/plain").send("Service Unavailable\n"),
  );
  const reload = async (_req: FastifyRequest, reply: FastifyReply) => {
    try {
      await ctx.reload();
    } catch (err) {
      return reply
        .status(500)
        .type("text/plain")
        .send(`failed to reload config: ${(err as Error).message}\n`);
    }
    return reply.type("text/plain").send("");
  };
  app.post("/-/reload", reload);
  app.put("/-/reload", reload);

  app.get("/metrics", async (_req, reply) => {
    const text = await ctx.registry.metrics();
    return reply.header("content-type", ctx.registry.contentType).send(text);
  });

  return app;
}
