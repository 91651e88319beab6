import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { FakeClock } from "./clock.js";
import { notifyConfigSchema } from "./config.js";
import { notifyRoutes } from "./http.js";
import { NotificationPipeline } from "./pipeline.js";

const T0 = Date.parse("2024-01-01T00:00:00Z");
const iso = (t: number) => new Date(t).toISOString();
const raw = parse(
  readFileSync(new URL("./testdata/alertmanager.good.yml", import.meta.url), "utf8"),
) as unknown;

const clock = new FakeClock(T0);
const pipeline = new NotificationPipeline({
  db: new Database(":memory:"),
  clock,
  makeIntegrations: () => [],
});
pipeline.applyConfig(
  notifyConfigSchema.parse(
    parse(`
route:
  receiver: default
  group_by: [alertname]
  routes: [{matchers: [team="db"], receiver: db}]
inhibit_rules: [{source_matchers: [severity="critical"], target_matchers: [severity="warning"], equal: [alertname]}]
receivers: [{name: default}, {name: db}]
`),
  ),
  { original: raw },
);
const app = Fastify();
app.register(notifyRoutes, { pipeline });

beforeAll(async () => {
  pipeline.start();
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await pipeline.stop();
});

async function call(method: "GET" | "POST" | "DELETE", url: string, payload?: unknown) {
  const res = await app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.body === "" ? undefined : (JSON.parse(res.body) as unknown) };
}

const silence = (over: Record<string, unknown> = {}) => ({
  matchers: [{ name: "alertname", value: "Down", isRegex: false, isEqual: true }],
  startsAt: iso(T0),
  endsAt: iso(T0 + 3600_000),
  createdBy: "ops",
  comment: "maintenance",
  ...over,
});

describe("Alertmanager v2 API: silences", () => {
  it.each([
    ["no matchers", { matchers: [] }, "failed to create silence: at least one matcher required"],
    [
      "only empty-matching matchers",
      { matchers: [{ name: "a", value: ".*", isRegex: true, isEqual: true }] },
      "failed to create silence: at least one matcher must not match the empty string",
    ],
    [
      "a bad regex",
      { matchers: [{ name: "a", value: "(", isRegex: true }] },
      expect.stringMatching(/^failed to create silence: invalid label matcher 0: invalid regular expression/),
    ],
    [
      "end before start",
      { endsAt: iso(T0 - 1000) },
      "failed to create silence: start time must be before end time",
    ],
    [
      "end in the past",
      { startsAt: iso(T0 - 7200_000), endsAt: iso(T0 - 3600_000) },
      "failed to create silence: end time can't be in the past",
    ],
    ["no creator", { createdBy: "" }, "failed to create silence: creator information missing"],
    ["no comment", { comment: undefined }, "comment in body is required"],
    ["a bad time", { startsAt: "yesterday" }, 'startsAt in body must be of type date-time: "yesterday"'],
  ])("rejects a silence with %s", async (_name, over, message) => {
    const r = await call("POST", "/api/v2/silences", silence(over));
    expect(r).toEqual({ status: 400, body: message });
  });

  it("creates, lists, gets, updates in place, replaces and expires silences", async () => {
    const created = await call("POST", "/api/v2/silences", silence());
    expect(created.status).toBe(200);
    const id = (created.body as { silenceID: string }).silenceID;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const got = await call("GET", `/api/v2/silence/${id}`);
    expect(got.body).toEqual({
      id,
      status: { state: "active" },
      updatedAt: iso(T0),
      ...silence(),
      matchers: [{ name: "alertname", value: "Down", isRegex: false, isEqual: true }],
    });

    const extended = await call("POST", "/api/v2/silences", silence({ id, endsAt: iso(T0 + 7200_000) }));
    expect(extended.body).toEqual({ silenceID: id });

    const changed = await call(
      "POST",
      "/api/v2/silences",
      silence({ id, matchers: [{ name: "alertname", value: "Up", isRegex: false, isEqual: true }] }),
    );
    const newId = (changed.body as { silenceID: string }).silenceID;
    expect(newId).not.toBe(id);
    expect(((await call("GET", `/api/v2/silence/${id}`)).body as { status: unknown }).status).toEqual({
      state: "expired",
    });

    const listed = await call("GET", `/api/v2/silences?filter=${encodeURIComponent('alertname="Up"')}`);
    expect((listed.body as { id: string }[]).map((s) => s.id)).toEqual([newId]);

    expect(await call("DELETE", `/api/v2/silence/${newId}`)).toEqual({ status: 200, body: null });
    expect(await call("DELETE", "/api/v2/silence/nope")).toEqual({ status: 404, body: "silence not found" });
    expect(await call("GET", "/api/v2/silence/nope")).toEqual({ status: 404, body: "silence not found" });
    expect(await call("POST", "/api/v2/silences", silence({ id: "nope" }))).toEqual({
      status: 404,
      body: "silence nope not found",
    });
  });

  it("keeps silences in the database", () => {
    const again = new NotificationPipeline({
      db: (pipeline as unknown as { db: Database.Database }).db,
      clock,
    });
    expect(again.silences.list().length).toBe(pipeline.silences.list().length);
  });
});

describe("Alertmanager v2 API: alerts", () => {
  it("receives alerts and lists them with receivers and suppression state", async () => {
    expect(
      await call("POST", "/api/v2/alerts", [
        { labels: { alertname: "Disk", severity: "critical" }, annotations: { summary: "full" } },
        { labels: { alertname: "Disk", severity: "warning" } },
        { labels: { alertname: "Replica", team: "db" }, generatorURL: "http://prom/graph" },
      ]),
    ).toEqual({ status: 200, body: null });
    const id = (
      (
        await call(
          "POST",
          "/api/v2/silences",
          silence({ matchers: [{ name: "team", value: "db", isRegex: false }] }),
        )
      ).body as { silenceID: string }
    ).silenceID;

    const all = (await call("GET", "/api/v2/alerts")).body as {
      labels: Record<string, string>;
      receivers: { name: string }[];
      status: unknown;
      endsAt: string;
    }[];
    const by = (name: string, sev?: string) =>
      all.find((a) => a.labels.alertname === name && (sev === undefined || a.labels.severity === sev))!;
    expect(all.length).toBe(3);
    expect(by("Disk", "critical").status).toEqual({
      state: "active",
      silencedBy: [],
      inhibitedBy: [],
      mutedBy: [],
      flapping: false,
    });
    expect(by("Disk", "critical").endsAt).toBe(iso(T0 + 5 * 60_000));
    expect((by("Disk", "warning").status as { inhibitedBy: string[] }).inhibitedBy.length).toBe(1);
    expect(by("Replica").status).toEqual({
      state: "suppressed",
      silencedBy: [id],
      inhibitedBy: [],
      mutedBy: [],
      flapping: false,
    });
    expect(by("Replica").receivers).toEqual([{ name: "db" }]);

    const names = async (q: string) =>
      ((await call("GET", `/api/v2/alerts?${q}`)).body as { labels: Record<string, string> }[])
        .map((a) => `${a.labels.alertname}/${a.labels.severity ?? ""}`)
        .sort();
    expect(await names("silenced=false&inhibited=false")).toEqual(["Disk/critical"]);
    expect(await names("active=false")).toEqual(["Disk/warning", "Replica/"]);
    expect(await names(`filter=${encodeURIComponent('severity=~"crit.*"')}`)).toEqual(["Disk/critical"]);
    expect(await names("receiver=db")).toEqual(["Replica/"]);
    expect(await call("GET", `/api/v2/alerts?filter=${encodeURIComponent("a=~(")}`)).toMatchObject({
      status: 400,
    });
    expect(await call("GET", "/api/v2/alerts?active=maybe")).toEqual({
      status: 400,
      body: "active in query should be of type boolean",
    });
    expect(await call("POST", "/api/v2/alerts", [{ labels: {} }])).toEqual({
      status: 400,
      body: "at least one label pair required",
    });
  });

  it("lists aggregation groups (ordered by group key)", async () => {
    const groups = (await call("GET", "/api/v2/alerts/groups")).body as {
      labels: unknown;
      receiver: unknown;
      alerts: unknown[];
    }[];
    expect(groups.map((g) => [g.labels, g.receiver, g.alerts.length])).toEqual([
      [{ alertname: "Replica" }, { name: "db" }, 1],
      [{ alertname: "Disk" }, { name: "default" }, 2],
    ]);
  });
});

describe("Alertmanager v2 API: status and receivers", () => {
  it("shows the configuration with every secret masked", async () => {
    const status = (await call("GET", "/api/v2/status")).body as {
      cluster: unknown;
      config: { original: string };
    };
    expect(status.cluster).toEqual({ status: "disabled", peers: [] });
    const text = status.config.original;
    for (const secret of ["hunter2-smtp", "XXXXSECRET", "abc123secret", "webhook-pass", "am-pass"])
      expect(text).not.toContain(secret);
    expect(text).toContain("smtp_auth_password: <secret>");
    expect(text).toContain("smtp_from: alertmanager@example.org");
    // Alertmanager's own view, for amtool: webhook URLs stay URLs (path hidden), Relay's additions
    // (alertmanager_configs forwarding, cooldown, flap_detection) are left out.
    expect(text).toMatch(/url: https?:\/\/[^/\s]+\/<secret>/);
    expect(text).not.toContain("alertmanager_configs");
    expect(text).not.toContain("cooldown");
  });

  it("lists receivers", async () => {
    expect((await call("GET", "/api/v2/receivers")).body).toEqual([
      { name: "default", integrations: [] },
      { name: "db", integrations: [] },
    ]);
  });
});
