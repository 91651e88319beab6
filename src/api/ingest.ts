import type { FastifyInstance } from "fastify";
import type { Collector } from "../collectors/index.js";
import {
  applyWriteRequest,
  contentTypeFor,
  decodeRemoteWrite,
  negotiateResponseFormat,
  RemoteWriteError,
  writeExposition,
} from "../ingest/index.js";
import type { Appendable } from "../storage/index.js";
import { ApiError } from "./errors.js";

/** What the write endpoint and the built-in collectors' endpoints need. */
export interface IngestApiDeps {
  readonly appendable: Appendable;
  /** Built-in collectors, each served at `/metrics/<name>`. */
  readonly collectors: readonly Collector[];
  /** Called after each accepted remote-write request. */
  onRemoteWrite?(samples: number, series: number): void;
}

/** `POST /api/v1/write` (remote write 1.0) and the built-in collectors' exposition endpoints. */
export async function ingestRoutes(app: FastifyInstance, deps: IngestApiDeps): Promise<void> {
  app.post("/api/v1/write", async (req, reply) => {
    const body = req.body;
    if (!Buffer.isBuffer(body)) {
      throw new ApiError(
        "bad_data",
        "remote write needs a snappy-compressed protobuf body (Content-Type: application/x-protobuf)",
      );
    }
    let stats: { samples: number; series: number };
    try {
      stats = await applyWriteRequest(decodeRemoteWrite(body), deps.appendable);
    } catch (err) {
      if (err instanceof RemoteWriteError) {
        req.log.debug({ err: err.message }, "remote write rejected");
        return reply.status(err.status).type("text/plain").send(`${err.message}\n`);
      }
      throw err;
    }
    deps.onRemoteWrite?.(stats.samples, stats.series);
    return reply.status(204).send();
  });

  for (const c of deps.collectors) {
    app.get(`/metrics/${c.name}`, async (req, reply) => {
      const format = negotiateResponseFormat(req.headers.accept);
      const families = await c.collect();
      return reply.header("content-type", contentTypeFor(format)).send(writeExposition(families, format));
    });
  }
}
