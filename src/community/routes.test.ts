import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import Fastify, { type FastifyBaseLogger } from "fastify";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { CommunityAnalytics } from "./analytics.js";
import { CommunityApi } from "./api.js";
import { Community, DAY_MS } from "./community.js";
import { CommunityPublisher } from "./publish.js";
import { communityRoutes } from "./routes.js";

const CANARY = "user-7f3a-canary";
const NOW = Date.UTC(2025, 2, 14, 12);
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

async function server(dir: string, opts: { k?: number; now?: number } = {}) {
  const db = new Database(join(dir, "state.db"));
  db.pragma("journal_mode = WAL");
  const logFile = join(dir, "server.log");
  const logger = pino({ level: "trace" }, pino.destination({ dest: logFile, sync: true }));
  const now = opts.now ?? NOW;
  const community = new Community({ db, now: () => now });
  const analytics = new CommunityAnalytics(community, { k: opts.k });
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  await app.register(communityRoutes, { api: new CommunityApi(community, analytics), maxBodyBytes: 1 << 20 });
  cleanup.push(() => db.close());
  cleanup.push(() => void app.close());
  return { app, db, community, analytics, logFile };
}

const ev = (id: string, user: string, type = "message", extra: Record<string, unknown> = {}) => ({
  id,
  type,
  time: NOW - 3600_000,
  channel: "general",
  user,
  ...extra,
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("POST /api/relay/v1/events", () => {
  it("never lets the raw user id reach the data directory or the logs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "community-canary-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const { app, db, community, analytics, logFile } = await server(dir, { k: 1 });
    const events = [
      ev("c1", CANARY),
      ev("c2", CANARY, "vote", { direction: "up" }),
      ev("c3", CANARY, "ballot", { proposal: "p1" }),
      ev("c4", CANARY, "transaction", { value: 5 }),
      ev("c5", CANARY, "join"),
      ...Array.from({ length: 6 }, (_, i) => ev(`o${i}`, `other-${i}`)),
    ];
    const ok = await app.inject({
      method: "POST",
      url: "/api/relay/v1/events",
      payload: JSON.stringify(events),
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: "success", data: { accepted: 11, duplicates: 0 } });
    const nd = events.map((e) => JSON.stringify(e)).join("\n");
    const again = await app.inject({
      method: "POST",
      url: "/api/relay/v1/events",
      headers: { "content-type": "application/x-ndjson" },
      payload: nd,
    });
    expect(again.json().data).toEqual({ accepted: 0, duplicates: 11 });
    const bad = await app.inject({
      method: "POST",
      url: "/api/relay/v1/events",
      headers: { "content-type": "application/json" },
      payload: `[${JSON.stringify(ev("b1", CANARY, "vote"))}, {"user": "${CANARY}"`,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain(CANARY);
    const badEvent = await app.inject({
      method: "POST",
      url: "/api/relay/v1/events",
      payload: JSON.stringify([ev("b2", CANARY), ev("b3", CANARY, "vote"), { user: CANARY, type: "x" }]),
    });
    expect(badEvent.statusCode).toBe(400);
    expect(badEvent.json().errors.map((e: { index: number }) => e.index)).toEqual([1, 2]);
    expect(badEvent.body).not.toContain(CANARY);
    await new CommunityPublisher(analytics, {
      appendable: { appender: () => ({ append: () => 0, commit: async () => {}, rollback: () => {} }) },
      now: () => NOW,
    }).publish();
    community.maintain(NOW + 40 * DAY_MS);
    app.log.info("done");
    await app.close();
    db.close();
    const forms = [
      CANARY,
      Buffer.from(CANARY).toString("hex"),
      Buffer.from(CANARY).toString("base64"),
      Buffer.from(CANARY).toString("base64url"),
      Buffer.from(CANARY, "utf16le").toString("latin1"),
    ];
    const files = filesUnder(dir);
    expect(files.some((f) => f.endsWith("state.db"))).toBe(true);
    expect(readFileSync(logFile, "utf8")).toContain("done");
    for (const f of files) {
      const content = readFileSync(f).toString("latin1");
      for (const form of forms) expect(content.includes(form), `${form} in ${f}`).toBe(false);
    }
  });

  it.each([
    ["text/plain", "", 400, "no events"],
    ["application/json", "x".repeat((1 << 20) + 1), 413, ""],
  ])("refuses a %s body of %#", async (type, payload, status, msg) => {
    const dir = mkdtempSync(join(tmpdir(), "community-body-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const { app } = await server(dir);
    const r = await app.inject({
      method: "POST",
      url: "/api/relay/v1/events",
      headers: { "content-type": type },
      payload,
    });
    expect(r.statusCode).toBe(status);
    if (msg) expect(r.json().error).toContain(msg);
  });
});

describe("GET community routes", () => {
  it("answers health, activity, retention, governance and economy, suppressing small channels", async () => {
    const dir = mkdtempSync(join(tmpdir(), "community-get-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // Five minutes past the midnight after the events: answers are about the last complete day.
    const afterMidnight = Date.UTC(2025, 2, 15, 0, 5);
    const { app } = await server(dir, { now: afterMidnight });
    const events = [
      ...Array.from({ length: 8 }, (_, i) => ev(`g${i}`, `u${i}`)),
      ...Array.from({ length: 2 }, (_, i) => ({ ...ev(`s${i}`, `u${i}`), channel: "small" })),
    ];
    await app.inject({ method: "POST", url: "/api/relay/v1/events", payload: JSON.stringify(events) });
    const get = async (url: string) => {
      const r = await app.inject({ method: "GET", url });
      expect(r.statusCode, url).toBe(200);
      return r.json().data;
    };
    const health = await get("/api/relay/v1/community/health");
    expect(health.channels.map((c: { channel: string }) => c.channel)).toEqual(["general", "small"]);
    expect(health.channels[0]).toMatchObject({ suppressed: false, score: expect.any(Number) });
    expect(health.channels[1]).toMatchObject({ suppressed: true, score: null });
    expect(health.channels[0].day).toBe("2025-03-14");
    expect(health.channels[0].components.engagement.raw).toBeGreaterThan(0);
    const activity = await get("/api/relay/v1/community/activity?channel=general");
    expect(activity.channels[0].days[0]).toMatchObject({ day: "2025-03-14", dau: 8, wau: 8, mau: 8 });
    const today = await get(`/api/relay/v1/community/activity?channel=general&to=${afterMidnight / 1000}`);
    expect(today.channels[0].days[0]).toMatchObject({ day: "2025-03-15", dau: 0, wau: 8 });
    const small = await get("/api/relay/v1/community/activity?channel=small");
    expect(small.channels[0].days[0]).toMatchObject({ suppressed: true, dau: null });
    expect((await get("/api/relay/v1/community/retention?n=1,7")).channels[0].nDay).toHaveLength(2);
    expect((await get("/api/relay/v1/governance?channel=small")).channels[0].suppressed).toBe(true);
    expect(await get("/api/relay/v1/economy")).toMatchObject({ byType: [] });
    const bad = await app.inject({ method: "GET", url: "/api/relay/v1/community/retention?n=99" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toContain('"n"');
    const badTime = await app.inject({ method: "GET", url: "/api/relay/v1/governance?from=yesterday" });
    expect(badTime.statusCode).toBe(400);
  });
});
