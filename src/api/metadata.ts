import type { FastifyInstance } from "fastify";
import {
  isValidLabelName,
  labelsKey,
  labelsToRecord,
  type Matcher,
  type MetricMetadata,
} from "../model/index.js";
import type { Querier, Storage } from "../storage/index.js";
import { params, success } from "./app.js";
import { badData } from "./errors.js";
import { MAX_TIME, MIN_TIME } from "./params.js";

/** What the series/labels/metadata endpoints read. */
export interface MetadataApiDeps {
  readonly storage: Storage;
}

const truncated = (_limit: number) => "results truncated due to limit";

async function withQuerier<T>(
  storage: Storage,
  start: number,
  end: number,
  fn: (q: Querier) => Promise<T>,
): Promise<T> {
  if (end < start) throw badData("end timestamp must not be before start time");
  const q = storage.querier(start, end);
  try {
    return await fn(q);
  } finally {
    q.close();
  }
}

/** Union of label names or values over several matcher sets (or all series when none). */
async function unionOver(
  sets: Matcher[][],
  fn: (matchers: Matcher[] | undefined) => Promise<string[]>,
): Promise<string[]> {
  if (sets.length === 0) return fn(undefined);
  const all = new Set<string>();
  for (const ms of sets) for (const v of await fn(ms)) all.add(v);
  return [...all].sort();
}

/**
 * `/api/v1/series`, `/api/v1/labels`, `/api/v1/label/<name>/values` and `/api/v1/metadata` with
 * Prometheus's parameters (`match[]`, `start`, `end`, `limit`) and envelope.
 */
export async function metadataRoutes(app: FastifyInstance, deps: MetadataApiDeps): Promise<void> {
  const series = async (req: Parameters<typeof params>[0], reply: Parameters<typeof success>[0]) => {
    const p = params(req);
    const sets = p.matchers();
    if (sets.length === 0) throw badData("no match[] parameter provided");
    const start = p.time("start", MIN_TIME);
    const end = p.time("end", MAX_TIME);
    const limit = p.limit();
    const out = await withQuerier(deps.storage, start, end, async (q) => {
      const seen = new Map<string, Record<string, string>>();
      for (const ms of sets) {
        for (const s of await q.select(ms, { start, end, func: "series" })) {
          const key = labelsKey(s.labels);
          if (!seen.has(key)) seen.set(key, labelsToRecord(s.labels));
        }
      }
      return [...seen.values()];
    });
    if (limit > 0 && out.length > limit) return success(reply, out.slice(0, limit), [truncated(limit)]);
    return success(reply, out);
  };
  app.get("/api/v1/series", series);
  app.post("/api/v1/series", series);

  const labels = async (req: Parameters<typeof params>[0], reply: Parameters<typeof success>[0]) => {
    const p = params(req);
    const sets = p.matchers();
    const start = p.time("start", MIN_TIME);
    const end = p.time("end", MAX_TIME);
    const limit = p.limit();
    const names = await withQuerier(deps.storage, start, end, (q) =>
      unionOver(sets, (ms) => q.labelNames(ms)),
    );
    if (limit > 0 && names.length > limit) return success(reply, names.slice(0, limit), [truncated(limit)]);
    return success(reply, names);
  };
  app.get("/api/v1/labels", labels);
  app.post("/api/v1/labels", labels);

  app.get<{ Params: { name: string } }>("/api/v1/label/:name/values", async (req, reply) => {
    let name = req.params.name;
    if (name.startsWith("U__")) name = decodeUtf8LabelName(name);
    if (!isValidLabelName(name) && !name.startsWith("__")) throw badData(`invalid label name: "${name}"`);
    const p = params(req);
    const sets = p.matchers();
    const start = p.time("start", MIN_TIME);
    const end = p.time("end", MAX_TIME);
    const limit = p.limit();
    const values = await withQuerier(deps.storage, start, end, (q) =>
      unionOver(sets, (ms) => q.labelValues(name, ms)),
    );
    if (limit > 0 && values.length > limit) return success(reply, values.slice(0, limit), [truncated(limit)]);
    return success(reply, values);
  });

  app.get("/api/v1/metadata", async (req, reply) => {
    const p = params(req);
    const limit = p.limit();
    const perMetric = p.limit("limit_per_metric");
    const metric = p.get("metric");
    const all =
      deps.storage.metadata?.(metric === "" ? undefined : metric) ?? new Map<string, MetricMetadata[]>();
    const out: Record<string, MetricMetadata[]> = {};
    let n = 0;
    for (const [name, metas] of [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (limit > 0 && n >= limit) break;
      out[name] = perMetric > 0 ? metas.slice(0, perMetric) : metas;
      n++;
    }
    return success(reply, out);
  });
}

/** Decodes Prometheus 3's `U__` escaping of UTF-8 label names in URL paths. */
function decodeUtf8LabelName(s: string): string {
  return s
    .slice(3)
    .replace(/_([0-9a-fA-F]+)_|__/g, (_m, hex: string | undefined) =>
      hex === undefined ? "_" : String.fromCodePoint(Number.parseInt(hex, 16)),
    );
}
