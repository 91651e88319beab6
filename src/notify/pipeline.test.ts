import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Alert } from "../model/index.js";
import { FakeClock } from "./clock.js";
import { notifyConfigSchema } from "./config.js";
import { NotificationPipeline } from "./pipeline.js";
import { IntegrationError, type NotifiedAlert } from "./receivers/index.js";

const T0 = Date.parse("2024-01-01T00:00:00Z");
const S = 1000;
const M = 60 * S;

interface Sent {
  at: number;
  receiver: string;
  integration: string;
  alerts: string[];
}

/** A failure plan per receiver: how many attempts fail before one succeeds (Infinity = always). */
type Failures = Record<string, number>;

const BASE = `
global: {resolve_timeout: 1h}
route:
  receiver: team
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 1h
receivers: [{name: team}]
`;

function harness(
  yaml: string,
  opts: { db?: Database.Database; clock?: FakeClock; failures?: Failures; sendResolved?: boolean } = {},
) {
  const db = opts.db ?? new Database(":memory:");
  const clock = opts.clock ?? new FakeClock(T0);
  const sent: Sent[] = [];
  const attempts: Sent[] = [];
  const failures = opts.failures ?? {};
  const registry = new Registry();
  const p = new NotificationPipeline({
    db,
    clock,
    registry,
    externalURL: "http://relay.test",
    retry: { initialBackoff: S, maxBackoff: 8 * S, minTimeout: 10 * S },
    makeIntegrations: (r, _global, secrets) => {
      secrets.add(r.webhook_configs[0]?.url);
      return [
        {
          name: "webhook",
          index: 0,
          sendResolved: opts.sendResolved ?? true,
          async send(ctx, alerts: readonly NotifiedAlert[]) {
            const rec = {
              at: clock.now() - T0,
              receiver: ctx.receiver,
              integration: "webhook",
              alerts: alerts.map(
                (a) =>
                  `${a.labels.alertname}${a.labels.instance ? `@${a.labels.instance}` : ""}:${a.status}${a.flapping ? ":flapping" : ""}`,
              ),
            };
            attempts.push(rec);
            const left = failures[r.name] ?? 0;
            if (left > 0) {
              failures[r.name] = left - 1;
              throw new IntegrationError(
                "webhook: unexpected status code 500 from https://hooks.example/SECRET-TOKEN-123",
                true,
                "serverError",
              );
            }
            sent.push(rec);
          },
        },
      ];
    },
  });
  p.applyConfig(notifyConfigSchema.parse(parse(yaml)));
  p.start();
  const fire = (
    name: string,
    extra: Record<string, string> = {},
    annotations: Record<string, string> = {},
    startsAt = clock.now(),
  ) =>
    ({
      labels: { alertname: name, ...extra },
      annotations,
      startsAt,
      endsAt: 0,
      generatorURL: "",
    }) satisfies Alert;
  const resolve = (a: Alert): Alert => ({ ...a, endsAt: clock.now() });
  return { p, db, clock, sent, attempts, registry, fire, resolve };
}

const pipelines: NotificationPipeline[] = [];
afterEach(async () => {
  for (const p of pipelines.splice(0)) await p.stop();
});
function track<T extends { p: NotificationPipeline }>(h: T): T {
  pipelines.push(h.p);
  return h;
}

describe("grouping and timing", () => {
  it("waits group_wait, batching alerts of a group into one notification", async () => {
    const h = track(harness(BASE));
    h.p.notify([h.fire("Down", { instance: "a" })]);
    await h.clock.advance(10 * S);
    h.p.notify([h.fire("Down", { instance: "b" })]);
    await h.clock.advance(19 * S);
    expect(h.sent).toEqual([]);
    await h.clock.advance(1 * S);
    expect(h.sent).toEqual([
      {
        at: 30 * S,
        receiver: "team",
        integration: "webhook",
        alerts: ["Down@b:firing", "Down@a:firing"].sort(byFp(h)),
      },
    ]);
  });

  it("sends a new alert at the next group_interval, not before, and repeats after repeat_interval", async () => {
    const h = track(harness(BASE));
    const a = h.fire("Down", { instance: "a" });
    h.p.notify([a]);
    await h.clock.advance(30 * S);
    h.p.notify([a, h.fire("Down", { instance: "b" })]);
    await h.clock.advance(4 * M);
    expect(h.sent.map((s) => s.at)).toEqual([30 * S]);
    await h.clock.advance(1 * M);
    expect(h.sent.map((s) => [s.at, s.alerts.length])).toEqual([
      [30 * S, 1],
      [30 * S + 5 * M, 2],
    ]);
    // Keep the alerts firing (the rule engine re-sends them) until the repeat interval passes.
    for (let i = 0; i < 12; i++) {
      h.p.notify([a, h.fire("Down", { instance: "b" })]);
      await h.clock.advance(5 * M);
    }
    expect(h.sent.map((s) => s.at)).toEqual([30 * S, 30 * S + 5 * M, 30 * S + 65 * M]);
  });

  it("flushes at once when the alert is older than group_wait", async () => {
    const h = track(harness(BASE));
    h.p.notify([h.fire("Down", {}, {}, T0 - 10 * M)]);
    await h.clock.advance(0);
    expect(h.sent.map((s) => s.at)).toEqual([0]);
  });

  it("sends resolved alerts at the next flush (send_resolved) and drops the group", async () => {
    const h = track(harness(BASE));
    const a = h.fire("Down");
    h.p.notify([a]);
    await h.clock.advance(1 * M);
    h.p.notify([h.resolve(a)]);
    await h.clock.advance(5 * M);
    expect(h.sent.map((s) => [s.at, s.alerts])).toEqual([
      [30 * S, ["Down:firing"]],
      [30 * S + 5 * M, ["Down:resolved"]],
    ]);
    expect(h.p.aggregationGroups()).toEqual([]);
  });

  it("does not send resolved alerts to integrations without send_resolved", async () => {
    const h = track(harness(BASE, { sendResolved: false }));
    const a = h.fire("Down");
    h.p.notify([a]);
    await h.clock.advance(1 * M);
    h.p.notify([h.resolve(a)]);
    await h.clock.advance(10 * M);
    expect(h.sent.map((s) => s.alerts)).toEqual([["Down:firing"]]);
  });
});

function byFp(h: ReturnType<typeof harness>) {
  // Notifications list alerts by fingerprint; compute the expected order the same way.
  return (x: string, y: string) => {
    const fp = (s: string) => {
      const [name, inst] = s.split(":")[0]!.split("@");
      return (
        h.p
          .storedAlerts()
          .find((a) => a.labels.alertname === name && (a.labels.instance ?? "") === (inst ?? ""))
          ?.fingerprint ?? ""
      );
    };
    return fp(x) < fp(y) ? -1 : 1;
  };
}

describe("suppression stages", () => {
  it("inhibits a warning while a critical alert with equal labels fires", async () => {
    const h = track(
      harness(`${BASE}
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [cluster]
`),
    );
    h.p.notify([
      h.fire("DiskFull", { severity: "critical", cluster: "eu" }),
      h.fire("DiskSlow", { severity: "warning", cluster: "eu" }),
      h.fire("CPUHigh", { severity: "warning", cluster: "us" }),
    ]);
    await h.clock.advance(30 * S);
    expect(h.sent.flatMap((s) => s.alerts).sort()).toEqual(["CPUHigh:firing", "DiskFull:firing"]);
  });

  it("holds notifications of silenced alerts and sends them once the silence expires", async () => {
    const h = track(harness(BASE));
    const id = h.p.silences.set({
      matchers: [{ name: "alertname", value: "Down", isRegex: false, isEqual: true }],
      startsAt: T0,
      endsAt: T0 + 2 * 3600_000,
      createdBy: "ops",
      comment: "maintenance",
    });
    const a = h.fire("Down");
    h.p.notify([a]);
    await h.clock.advance(11 * M);
    expect(h.sent).toEqual([]);
    h.p.silences.expire(id);
    h.p.notify([a]);
    await h.clock.advance(5 * M);
    expect(h.sent.map((s) => [s.at, s.alerts])).toEqual([[15 * M + 30 * S, ["Down:firing"]]]);
  });

  it.each([
    [
      "mute_time_intervals covering now",
      "mute_time_intervals: [now]",
      "times: [{start_time: '00:00', end_time: '01:00'}]",
      false,
    ],
    [
      "mute_time_intervals not covering now",
      "mute_time_intervals: [now]",
      "times: [{start_time: '02:00', end_time: '03:00'}]",
      true,
    ],
    [
      "active_time_intervals covering now",
      "active_time_intervals: [now]",
      "times: [{start_time: '00:00', end_time: '01:00'}]",
      true,
    ],
    ["active_time_intervals not covering now", "active_time_intervals: [now]", "weekdays: [sunday]", false],
  ])("honours %s", async (_name, routeKey, window, delivered) => {
    const h = track(
      harness(`
route:
  receiver: team
  group_wait: 30s
  routes: [{matchers: [team="db"], ${routeKey}}]
time_intervals: [{name: now, time_intervals: [{${window}}]}]
receivers: [{name: team}]
`),
    );
    h.p.notify([h.fire("Down", { team: "db" })]);
    await h.clock.advance(1 * M);
    expect(h.sent.length).toBe(delivered ? 1 : 0);
  });
});

describe("notification log across a restart", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("does not notify a still-firing alert again before repeat_interval after a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "relay-notify-"));
    dirs.push(dir);
    const clock = new FakeClock(T0);
    const db1 = new Database(join(dir, "state.db"));
    const h1 = harness(BASE, { db: db1, clock });
    const a = h1.fire("Down");
    h1.p.notify([a]);
    await clock.advance(1 * M);
    expect(h1.sent.length).toBe(1);
    // "kill -9": no stop(), the database is simply abandoned; a new process opens the same file.
    await h1.p.stop(); // only to silence its timers on the shared fake clock
    db1.close();
    const db2 = new Database(join(dir, "state.db"));
    const h2 = track(harness(BASE, { db: db2, clock }));
    expect(h2.p.storedAlerts().map((x) => x.labels.alertname)).toEqual(["Down"]);
    for (let i = 0; i < 11; i++) {
      h2.p.notify([a]);
      await clock.advance(5 * M);
    }
    expect(h2.sent).toEqual([]);
    h2.p.notify([a]);
    await clock.advance(5 * M);
    expect(h2.sent.map((s) => s.alerts)).toEqual([["Down:firing"]]);
    db2.close();
  });
});

describe("flap detection and cooldown", () => {
  it("notifies a flapping alert once and stays quiet until it settles", async () => {
    const h = track(
      harness(`${BASE.replace("group_interval: 5m", "group_interval: 1m")}
flap_detection: {transitions: 3, window: 30m, settle: 20m}
`),
    );
    const a = h.fire("Flappy");
    for (let i = 0; i < 6; i++) {
      h.p.notify([i % 2 === 0 ? h.fire("Flappy", {}, {}, a.startsAt) : h.resolve(a)]);
      await h.clock.advance(2 * M);
    }
    // Transitions at 0, 2, 4 and 6 minutes: the fourth exceeds 3 in the window.
    expect(h.sent.map((s) => s.alerts)).toEqual([
      ["Flappy:firing"],
      ["Flappy:resolved"],
      ["Flappy:firing"],
      ["Flappy:firing:flapping"],
    ]);
    expect(h.p.isFlapping(h.p.storedAlerts()[0]!.fingerprint)).toBe(true);
    // Still toggling: nothing more is sent while it flaps.
    for (let i = 0; i < 4; i++) {
      h.p.notify([i % 2 === 0 ? h.fire("Flappy", {}, {}, a.startsAt) : h.resolve(a)]);
      await h.clock.advance(2 * M);
    }
    expect(h.sent.length).toBe(4);
    // It ends resolved and settles 20 minutes after its last transition: one resolved notification.
    await h.clock.advance(25 * M);
    expect(h.sent.map((s) => s.alerts).slice(4)).toEqual([["Flappy:resolved"]]);
    expect(h.p.isFlapping(h.p.storedAlerts()[0]?.fingerprint ?? "")).toBe(false);
  });

  it.each([
    ["route cooldown", "cooldown: 10m", {}],
    ["alert annotation", "", { cooldown: "10m" }],
  ])("waits the %s before notifying a re-fired alert", async (_name, routeKey, annotations) => {
    const h = track(
      harness(
        BASE.replace("repeat_interval: 1h", `repeat_interval: 1h\n  ${routeKey}`).replace(
          "group_interval: 5m",
          "group_interval: 1m",
        ),
      ),
    );
    const a = h.fire("Cool", {}, annotations);
    h.p.notify([a]);
    await h.clock.advance(1 * M); // firing sent at 30s
    h.p.notify([h.resolve(a)]);
    await h.clock.advance(1 * M); // resolved sent at 1m30s
    h.p.notify([h.fire("Cool", {}, annotations)]);
    await h.clock.advance(15 * M);
    expect(h.sent.map((s) => [s.at, s.alerts[0]])).toEqual([
      [30 * S, "Cool:firing"],
      [90 * S, "Cool:resolved"],
      [10 * M + 30 * S, "Cool:firing"],
    ]);
  });
});

describe("retries", () => {
  it("retries a failing receiver with exponential backoff while another is notified on time", async () => {
    const h = track(
      harness(
        `
route:
  receiver: good
  group_wait: 30s
  group_interval: 5m
  routes:
    - {matchers: [team="x"], receiver: bad, continue: true}
    - {matchers: [team="x"], receiver: good}
receivers: [{name: good}, {name: bad}]
`,
        { failures: { bad: 3 } },
      ),
    );
    h.p.notify([h.fire("Down", { team: "x" })]);
    await h.clock.advance(30 * S);
    expect(h.sent.map((s) => [s.receiver, s.at])).toEqual([["good", 30 * S]]);
    await h.clock.advance(10 * S);
    expect(h.attempts.filter((s) => s.receiver === "bad").map((s) => s.at)).toEqual([
      30 * S,
      31 * S,
      33 * S,
      37 * S,
    ]);
    expect(h.sent.map((s) => [s.receiver, s.at])).toEqual([
      ["good", 30 * S],
      ["bad", 37 * S],
    ]);
    const bad = h.p.integrationStatus().find((s) => s.receiver === "bad")!;
    expect(bad).toMatchObject({ notifications: 1, failures: 0, lastError: "" });
  });

  it("gives up at the flush deadline, counts the failure and keeps secrets out of the status", async () => {
    const withUrl = BASE.replace(
      "receivers: [{name: team}]",
      "receivers: [{name: team, webhook_configs: [{url: 'https://hooks.example/SECRET-TOKEN-123'}]}]",
    );
    const h = track(harness(withUrl, { failures: { team: Number.POSITIVE_INFINITY } }));
    h.p.notify([h.fire("Down")]);
    await h.clock.advance(326 * S);
    const st = h.p.integrationStatus()[0]!;
    expect(st.failures).toBe(1);
    const expected = [30, 31, 33, 37];
    for (let t = 45; t <= 325; t += 8) expected.push(t);
    expect(h.attempts.map((a) => a.at)).toEqual(expected.map((t) => t * S));
    const text = await h.registry.getSingleMetricAsString("relay_notifications_failed_total");
    expect(text).toContain(
      'relay_notifications_failed_total{receiver="team",integration="webhook",reason="serverError"} 1',
    );
    expect(JSON.stringify(h.p.integrationStatus())).not.toContain("SECRET-TOKEN");
  });
});
