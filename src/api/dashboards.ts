import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { success } from "./app.js";
import { ApiError, badData } from "./errors.js";

/** Panel types the web UI draws (the first eight read PromQL; the others read Relay's API). */
export const DASHBOARD_PANEL_TYPES = [
  "timeseries",
  "stat",
  "gauge",
  "bar",
  "table",
  "heatmap",
  "nodegraph",
  "text",
  "alertlist",
  "alerthistory",
  "forecast",
  "channelhealth",
  "recommendations",
] as const;

const num = z.number();
const thresholdSchema = z.object({ value: num.nullable(), color: z.string().min(1) });
const querySchema = z.looseObject({
  expr: z.string(),
  legend: z.string().optional(),
  instant: z.boolean().optional(),
  refId: z.string().optional(),
});
const panelSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number().int()]).optional(),
  type: z.enum(DASHBOARD_PANEL_TYPES),
  title: z.string().optional(),
  description: z.string().optional(),
  grid: z
    .object({
      x: z.number().int().min(0).max(23),
      y: z.number().int().min(0),
      w: z.number().int().min(1).max(24),
      h: z.number().int().min(1).max(100),
    })
    .optional(),
  queries: z.array(querySchema).max(26).optional(),
  unit: z.string().optional(),
  decimals: z.number().int().min(0).max(12).optional(),
  min: num.optional(),
  max: num.optional(),
  thresholds: z.array(thresholdSchema).optional(),
  stack: z.boolean().optional(),
  nodeLabel: z.string().optional(),
  edgeLabel: z.string().optional(),
  text: z.string().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});
const variableSchema = z.looseObject({
  name: z.string().regex(/^\w+$/, "must be a word (letters, digits, _)"),
  label: z.string().optional(),
  query: z.string(),
  values: z.array(z.string()).optional(),
  hide: z.boolean().optional(),
  multi: z.boolean().optional(),
  includeAll: z.boolean().optional(),
  current: z.array(z.string()).optional(),
});

/**
 * The dashboard JSON model the web UI draws (documented in `src/ui/dashboards/model.ts`), as the
 * server validates it. Unknown fields are kept so newer UIs can add options.
 */
export const dashboardSchema = z.looseObject({
  uid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 of A-Z a-z 0-9 _ -"),
  title: z.string().min(1, "must be a non-empty string").max(200),
  description: z.string().optional(),
  tags: z.array(z.string()).max(50).optional(),
  time: z.object({ from: z.string().min(1), to: z.string().min(1) }).optional(),
  refresh: z.string().optional(),
  variables: z.array(variableSchema).max(50).optional(),
  panels: z.array(panelSchema).max(200),
  builtin: z.boolean().optional(),
});

/** A dashboard as validated by {@link dashboardSchema}. */
export type DashboardModel = z.output<typeof dashboardSchema>;

/** One entry of the dashboard list. */
export interface DashboardSummary {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  /** Built-in dashboards ship with the server and are read-only. */
  readonly builtin: boolean;
}

/** What the dashboard routes need. */
export interface DashboardsApiDeps {
  /** The state database (the data directory's `state.db`); the routes keep table `ui_dashboards`. */
  readonly db: Database.Database;
  /** The built-in dashboards, in menu order (see {@link loadBuiltinDashboards}). */
  readonly builtins: readonly unknown[];
}

/** `panels[2].type`-style path of a zod issue. */
function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out ? "." : ""}${String(p)}`;
  return out || "(dashboard)";
}

/**
 * Validates `value` as a dashboard. Throws a `bad_data` {@link ApiError} naming the first wrong
 * field, e.g. `invalid dashboard: panels[2].type: ...`.
 */
export function parseDashboard(value: unknown): DashboardModel {
  const r = dashboardSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw badData(`invalid dashboard: ${issuePath(issue.path)}: ${issue.message}`);
}

/**
 * Reads the built-in dashboards from `dir` (the web UI's build puts them in `dist/ui/dashboards`):
 * the files named by `index.json` in that order, or every `*.json` by name. A missing directory
 * gives none (the UI was not built).
 */
export async function loadBuiltinDashboards(dir: string): Promise<unknown[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json") && n !== "index.json").sort();
  } catch {
    return [];
  }
  try {
    const order = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as unknown;
    if (Array.isArray(order)) names = order.filter((n): n is string => typeof n === "string");
  } catch {
    // no index.json: alphabetical order
  }
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), "utf8")) as unknown));
}

const summaryOf = (d: DashboardModel, builtin: boolean): DashboardSummary => ({
  uid: d.uid,
  title: d.title,
  tags: d.tags ?? [],
  builtin,
});

function readOnly(uid: string): ApiError {
  return new ApiError(
    "bad_data",
    `dashboard "${uid}" is built in and read-only; save a copy under another uid (POST /api/relay/v1/dashboards/${uid}/copy)`,
    403,
  );
}

/**
 * Dashboards under `/api/relay/v1/dashboards`: `GET` lists built-in and saved ones
 * (`{uid, title, tags, builtin}`), `GET /:uid` answers one dashboard's JSON, `PUT /:uid` validates
 * and saves one (400 naming the bad field), `DELETE /:uid` removes a saved one, and
 * `POST /:uid/copy` (body `{uid?, title?}`) saves a copy of any dashboard, built-in ones included.
 * Built-ins are read-only (403). Saved dashboards live in the state database's `ui_dashboards`.
 */
export async function dashboardsRoutes(app: FastifyInstance, deps: DashboardsApiDeps): Promise<void> {
  const { db } = deps;
  db.exec(`CREATE TABLE IF NOT EXISTS ui_dashboards (
    uid TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    tags TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  )`);
  const builtins = new Map<string, DashboardModel>();
  deps.builtins.forEach((b, i) => {
    const d = dashboardSchema.safeParse(b);
    if (!d.success) {
      const issue = d.error.issues[0]!;
      throw new Error(`built-in dashboard ${i}: ${issuePath(issue.path)}: ${issue.message}`);
    }
    builtins.set(d.data.uid, { ...d.data, builtin: true });
  });

  const listStmt = db.prepare<[], { uid: string; title: string; tags: string }>(
    "SELECT uid, title, tags FROM ui_dashboards ORDER BY title COLLATE NOCASE, uid",
  );
  const getStmt = db.prepare<[string], { model: string }>("SELECT model FROM ui_dashboards WHERE uid = ?");
  const existsStmt = db.prepare<[string], { n: number }>("SELECT 1 AS n FROM ui_dashboards WHERE uid = ?");
  const upsert = db.prepare(
    `INSERT INTO ui_dashboards (uid, title, tags, model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(uid) DO UPDATE SET title = excluded.title, tags = excluded.tags, model = excluded.model,
     updated_at = excluded.updated_at`,
  );
  const del = db.prepare("DELETE FROM ui_dashboards WHERE uid = ?");

  const save = (d: DashboardModel): { created: boolean } => {
    const { builtin: _omit, ...model } = d;
    const created = existsStmt.get(d.uid) === undefined;
    const now = Date.now();
    upsert.run(d.uid, d.title, JSON.stringify(d.tags ?? []), JSON.stringify(model), now, now);
    return { created };
  };
  const find = (uid: string): DashboardModel | undefined => {
    const b = builtins.get(uid);
    if (b) return b;
    const row = getStmt.get(uid);
    return row ? { ...(JSON.parse(row.model) as DashboardModel), builtin: false } : undefined;
  };
  const uidParam = (req: FastifyRequest): string => (req.params as { uid: string }).uid;
  const notFound = (uid: string) => new ApiError("not_found", `no dashboard with uid "${uid}"`);

  app.get("/api/relay/v1/dashboards", async (_req, reply) => {
    const saved = listStmt.all().map((r) => ({
      uid: r.uid,
      title: r.title,
      tags: JSON.parse(r.tags) as string[],
      builtin: false,
    }));
    success(reply, [...[...builtins.values()].map((d) => summaryOf(d, true)), ...saved]);
  });

  app.get("/api/relay/v1/dashboards/:uid", async (req, reply) => {
    const uid = uidParam(req);
    const d = find(uid);
    if (!d) throw notFound(uid);
    success(reply, d);
  });

  app.put("/api/relay/v1/dashboards/:uid", async (req, reply) => {
    const uid = uidParam(req);
    if (builtins.has(uid)) throw readOnly(uid);
    const body = req.body;
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw badData("invalid dashboard: the body must be a JSON object (content-type application/json)");
    }
    const withUid = { ...(body as Record<string, unknown>) };
    if (withUid.uid === undefined) withUid.uid = uid;
    else if (withUid.uid !== uid) {
      throw badData(`invalid dashboard: uid: ${JSON.stringify(withUid.uid)} differs from the URL's "${uid}"`);
    }
    const d = parseDashboard(withUid);
    const { created } = save(d);
    reply.status(created ? 201 : 200);
    success(reply, { ...summaryOf(d, false), created });
  });

  app.delete("/api/relay/v1/dashboards/:uid", async (req, reply) => {
    const uid = uidParam(req);
    if (builtins.has(uid)) throw readOnly(uid);
    if (del.run(uid).changes === 0) throw notFound(uid);
    success(reply, { uid });
  });

  app.post("/api/relay/v1/dashboards/:uid/copy", async (req, reply) => {
    const uid = uidParam(req);
    const src = find(uid);
    if (!src) throw notFound(uid);
    const body = (typeof req.body === "object" && req.body !== null ? req.body : {}) as {
      uid?: unknown;
      title?: unknown;
    };
    const next = parseDashboard({
      ...src,
      builtin: undefined,
      uid: body.uid ?? `${uid}-copy`,
      title: body.title ?? `${src.title} (copy)`,
    });
    if (builtins.has(next.uid) || existsStmt.get(next.uid) !== undefined) {
      throw new ApiError("bad_data", `a dashboard with uid "${next.uid}" already exists`, 409);
    }
    save(next);
    reply.status(201);
    success(reply, { ...summaryOf(next, false), created: true });
  });
}
