import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PANEL_TYPES } from "../ui/dashboards/model.js";
import { createApp } from "./app.js";
import {
  DASHBOARD_PANEL_TYPES,
  dashboardsRoutes,
  loadBuiltinDashboards,
  parseDashboard,
} from "./dashboards.js";

const BUILTIN_DIR = fileURLToPath(new URL("../ui/public/dashboards/", import.meta.url));
const BASE = "/api/relay/v1/dashboards";

const mine = {
  uid: "my-board",
  title: "My board",
  tags: ["team"],
  panels: [
    {
      id: "p1",
      type: "timeseries",
      title: "up",
      grid: { x: 0, y: 0, w: 12, h: 8 },
      queries: [{ expr: "up" }],
    },
  ],
};

async function makeApp(db: Database.Database): Promise<FastifyInstance> {
  const app = createApp({
    logger: pino({ level: "silent" }),
    registry: new Registry(),
    buildInfo: { version: "t", revision: "", branch: "", buildUser: "", buildDate: "", goVersion: "" },
    flags: {},
    ready: () => true,
    reload: async () => {},
    maxBodyBytes: 1 << 20,
  });
  await app.register(dashboardsRoutes, { db, builtins: await loadBuiltinDashboards(BUILTIN_DIR) });
  return app;
}

// The web app cannot import server code (it is built for the browser), so the panel types are
// written twice; this test fails when the two lists drift apart.
test("the server accepts exactly the panel types the web app draws", () => {
  expect([...DASHBOARD_PANEL_TYPES]).toEqual([...PANEL_TYPES]);
});

describe("the dashboards API", () => {
  let db: Database.Database;
  let app: FastifyInstance;
  beforeEach(async () => {
    db = new Database(":memory:");
    app = await makeApp(db);
  });
  afterEach(async () => {
    await app.close();
    db.close();
  });

  const call = async (method: "GET" | "PUT" | "DELETE" | "POST", path: string, payload?: unknown) => {
    const r = await app.inject({ method, url: `${BASE}${path}`, payload: payload as object | undefined });
    // biome-ignore lint/suspicious/noExplicitAny: the tests read several JSON shapes
    return { status: r.statusCode, body: r.json() as { status: string; data: any; error?: string } };
  };

  test("lists the eight built-ins first, in menu order, as read-only", async () => {
    const r = await call("GET", "");
    expect(r.status).toBe(200);
    expect(r.body.data.map((d: { uid: string }) => d.uid)).toEqual([
      "system-overview",
      "application-performance",
      "network-health",
      "community-health",
      "governance",
      "economy",
      "capacity",
      "alerts",
    ]);
    expect(r.body.data.every((d: { builtin: boolean }) => d.builtin)).toBe(true);
    const one = await call("GET", "/system-overview");
    expect(one.body.data).toMatchObject({ uid: "system-overview", title: "System Overview", builtin: true });
    expect(one.body.data.panels.length).toBeGreaterThan(5);
  });

  test("saves, reads back, updates, lists and deletes a dashboard", async () => {
    expect((await call("PUT", "/my-board", mine)).status).toBe(201);
    expect((await call("GET", "/my-board")).body.data).toEqual({ ...mine, builtin: false });
    const renamed = { ...mine, title: "Renamed" };
    const upd = await call("PUT", "/my-board", renamed);
    expect(upd.status).toBe(200);
    expect(upd.body.data).toEqual({
      uid: "my-board",
      title: "Renamed",
      tags: ["team"],
      builtin: false,
      created: false,
    });
    const list = await call("GET", "");
    expect(list.body.data.at(-1)).toEqual({
      uid: "my-board",
      title: "Renamed",
      tags: ["team"],
      builtin: false,
    });
    expect((await call("DELETE", "/my-board")).status).toBe(200);
    expect((await call("GET", "/my-board")).status).toBe(404);
    expect((await call("DELETE", "/my-board")).status).toBe(404);
  });

  test("keeps saved dashboards in the state database across restarts", async () => {
    await call("PUT", "/my-board", mine);
    await app.close();
    app = await makeApp(db);
    expect((await call("GET", "/my-board")).body.data.title).toBe("My board");
  });

  test.each([
    // body, status, the error names
    [{ ...mine, panels: [{ ...mine.panels[0], type: "piechart" }] }, 400, "panels[0].type"],
    [{ ...mine, title: "" }, 400, "title"],
    [{ ...mine, panels: "none" }, 400, "panels"],
    [
      { ...mine, panels: [{ ...mine.panels[0], grid: { x: 30, y: 0, w: 4, h: 4 } }] },
      400,
      "panels[0].grid.x",
    ],
    [
      { ...mine, panels: [{ ...mine.panels[0], queries: [{ legend: "x" }] }] },
      400,
      "panels[0].queries[0].expr",
    ],
    [{ ...mine, variables: [{ name: "a b", query: "" }] }, 400, "variables[0].name"],
    [{ ...mine, uid: "other" }, 400, "uid"],
    [[1, 2], 400, "JSON object"],
  ])("PUT %# answers %i naming %s", async (body, status, field) => {
    const r = await call("PUT", "/my-board", body);
    expect(r.status).toBe(status);
    expect(r.body.status).toBe("error");
    expect(r.body.error).toContain(field);
    expect((await call("GET", "/my-board")).status).toBe(404);
  });

  test("built-ins cannot be overwritten or deleted, but can be copied", async () => {
    expect((await call("PUT", "/system-overview", { ...mine, uid: "system-overview" })).status).toBe(403);
    expect((await call("DELETE", "/system-overview")).status).toBe(403);
    const copy = await call("POST", "/system-overview/copy", {});
    expect(copy.status).toBe(201);
    expect(copy.body.data).toMatchObject({ uid: "system-overview-copy", title: "System Overview (copy)" });
    const saved = await call("GET", "/system-overview-copy");
    expect(saved.body.data.builtin).toBe(false);
    expect((await call("POST", "/system-overview/copy", {})).status).toBe(409);
    const named = await call("POST", "/system-overview/copy", { uid: "ops", title: "Ops" });
    expect(named.body.data).toMatchObject({ uid: "ops", title: "Ops" });
    expect((await call("POST", "/nope/copy", {})).status).toBe(404);
  });

  test("parseDashboard keeps fields it does not know (newer UIs' options)", () => {
    const d = parseDashboard({
      ...mine,
      panels: [{ ...mine.panels[0], options: { resource: "cpu" }, extra: 1 }],
    });
    expect(d.panels[0]).toMatchObject({ options: { resource: "cpu" }, extra: 1 });
  });

  test("loadBuiltinDashboards answers none when the UI was not built", async () => {
    expect(await loadBuiltinDashboards("/nonexistent/relay-ui")).toEqual([]);
  });
});
