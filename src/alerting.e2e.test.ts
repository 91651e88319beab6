import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, type TestContext } from "vitest";
import {
  type ChildServer,
  describeWithBinary,
  freePort,
  type ReceivedWebhook,
  sleep,
  startChildServer,
  startWebhookRecorder,
  until,
  type WebhookRecorder,
} from "./testing/index.js";

// Issue 5's acceptance, end to end: the real CLI in a child process (dist/cli/main.js), a temp
// config file with `global.evaluation_interval: 2s`, a rule file, and a `notify` section whose
// webhook receiver is a local HTTP server that records Alertmanager's webhook messages (v4).
// The tests run concurrently, each with its own server, port, data directory and webhook.

/** The evaluation interval and route timings every case starts from. */
const EVAL_S = 2;
const GROUP_WAIT_S = 1;
/** What a loaded CI machine may add to any bound below (process start-up, timers, HTTP). */
const SLACK_S = 2;

const run = promisify(execFile);

interface RuleDef {
  readonly alert: string;
  readonly for: string;
}

function ruleFileText(rules: readonly RuleDef[]): string {
  const lines = ["groups:", "  - name: e2e", "    rules:"];
  for (const r of rules)
    lines.push(
      `      - alert: ${r.alert}`,
      "        expr: vector(1)",
      `        for: ${r.for}`,
      "        labels:",
      "          severity: warning",
    );
  return `${lines.join("\n")}\n`;
}

function configText(
  hook: string,
  route: Readonly<Record<string, string>>,
  withRules: boolean,
  forwardTo?: string,
): string {
  const lines = ["global:", `  evaluation_interval: ${EVAL_S}s`];
  if (withRules) lines.push("rule_files:", "  - rules.yml");
  lines.push("notify:", "  route:", "    receiver: hook");
  for (const [k, v] of Object.entries(route)) lines.push(`    ${k}: ${v}`);
  lines.push("  receivers:", "    - name: hook", "      webhook_configs:", `        - url: ${hook}`);
  if (forwardTo) lines.push("      alertmanager_configs:", `        - url: ${forwardTo}`);
  return `${lines.join("\n")}\n`;
}

/** One test's world: a webhook recorder, a config directory, and the server (restartable). */
interface World {
  readonly hook: WebhookRecorder;
  readonly dir: string;
  readonly configFile: string;
  readonly port: number;
  server: ChildServer;
  /** Rewrites the config with or without the rule file. */
  writeConfig(withRules: boolean): Promise<void>;
  /** Starts a server on the same port and data directory (after the last one died). */
  restart(): Promise<ChildServer>;
  /** Webhook messages that carry an alert with this name and status, in arrival order. */
  messages(alertname: string, status?: "firing" | "resolved"): ReceivedWebhook[];
}

async function world(
  ctx: TestContext,
  rules: readonly RuleDef[],
  route: Readonly<Record<string, string>>,
  forwardTo?: string,
): Promise<World> {
  const hook = await startWebhookRecorder();
  const dir = await mkdtemp(join(tmpdir(), "relay-alerting-"));
  const servers: ChildServer[] = [];
  ctx.onTestFinished(async () => {
    await Promise.all(servers.map((s) => s.stop("SIGKILL")));
    await hook.close();
    await rm(dir, { recursive: true, force: true });
  });
  const configFile = join(dir, "relay.yml");
  await writeFile(join(dir, "rules.yml"), ruleFileText(rules));
  const writeConfig = (withRules: boolean) =>
    writeFile(configFile, configText(hook.url, route, withRules, forwardTo));
  await writeConfig(true);
  const port = await freePort();
  const start = async () => {
    const s = await startChildServer({ configFile, dataDir: join(dir, "data"), port });
    servers.push(s);
    return s;
  };
  const w: World = {
    hook,
    dir,
    configFile,
    port,
    server: await start(),
    writeConfig,
    restart: async () => {
      w.server = await start();
      return w.server;
    },
    messages: (alertname, status) =>
      hook.received.filter((m) =>
        m.body.alerts.some((a) => a.labels.alertname === alertname && (!status || a.status === status)),
      ),
  };
  return w;
}

const isAlert = (alertname: string, status: "firing" | "resolved") => (m: ReceivedWebhook) =>
  m.body.alerts.some((a) => a.labels.alertname === alertname && a.status === status);

async function getJSON<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface RulesAlerts {
  data: { alerts: { labels: Record<string, string>; state: string; activeAt: string }[] };
}

/** The state /api/v1/alerts reports for the alert ("" when it is not listed). */
async function ruleState(server: ChildServer, alertname: string): Promise<string> {
  const body = await getJSON<RulesAlerts>(`${server.url}/api/v1/alerts`);
  return body.data.alerts.find((a) => a.labels.alertname === alertname)?.state ?? "";
}

interface V2Alert {
  labels: Record<string, string>;
  startsAt: string;
  fingerprint: string;
  status: { state: string; silencedBy: string[] };
}

async function v2Alert(server: ChildServer, alertname: string): Promise<V2Alert | undefined> {
  const body = await getJSON<V2Alert[]>(`${server.url}/api/v2/alerts`);
  return body.find((a) => a.labels.alertname === alertname);
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(2));

/** Prints a measured latency to stderr (the figures quoted in reports). */
const note = (what: string, ms: number) => {
  process.stderr.write(`[alerting.e2e] ${what}: ${seconds(ms)} s\n`);
};

describe.concurrent("alerting end to end (rule → notification pipeline → webhook)", () => {
  // Acceptance 1. The rule is pending at its first evaluation (at most one interval after start),
  // fires `for` later (the evaluation may land up to one more interval late), and the group waits
  // group_wait: 10 s + 2 × 2 s + 1 s = 15 s, plus SLACK_S = 17 s, measured from /-/ready. The
  // resolved notification is due at once on reload (bound 2 s + SLACK_S).
  it.for<[string, (w: World) => Promise<void>]>([
    [
      "POST /-/reload",
      async (w) => {
        const res = await fetch(`${w.server.url}/-/reload`, { method: "POST" });
        expect(res.status).toBe(200);
      },
    ],
    ["SIGHUP", async (w) => w.server.signal("SIGHUP")],
  ])(
    "fires within for + 2 × interval + group_wait, and resolves when the rule is removed and %s reloads",
    { timeout: 60_000 },
    async ([how, reload], ctx) => {
      const name = how === "SIGHUP" ? "AlwaysOnHup" : "AlwaysOn";
      const w = await world(ctx, [{ alert: name, for: "10s" }], {
        group_wait: `${GROUP_WAIT_S}s`,
        group_interval: "2s",
        repeat_interval: "1h",
      });
      const boundS = 10 + 2 * EVAL_S + GROUP_WAIT_S;
      const firing = await w.hook.waitFor(isAlert(name, "firing"), (boundS + SLACK_S) * 1000 + 5000);
      const latency = firing.at - w.server.readyAt;
      note(`firing after ready (${how})`, latency);
      ctx.expect(latency).toBeGreaterThanOrEqual(10_000);
      ctx.expect(latency).toBeLessThanOrEqual((boundS + SLACK_S) * 1000);

      // The message has Alertmanager's webhook shape (version 4).
      const msg = firing.body;
      ctx.expect(msg).toMatchObject({
        version: "4",
        status: "firing",
        receiver: "hook",
        groupLabels: {},
        commonLabels: { alertname: name, severity: "warning" },
        commonAnnotations: {},
        truncatedAlerts: 0,
      });
      ctx.expect(msg.groupKey).toBe("{}:{}");
      ctx.expect(msg.externalURL).toBe(w.server.url);
      ctx.expect(msg.alerts).toHaveLength(1);
      const a = msg.alerts[0]!;
      ctx.expect(a.status).toBe("firing");
      ctx.expect(a.labels).toEqual({ alertname: name, severity: "warning" });
      ctx.expect(a.endsAt).toBe("0001-01-01T00:00:00Z");
      ctx.expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      // Prometheus links back absolutely: the external URL, then the expression browser.
      ctx.expect(a.generatorURL).toBe(`${w.server.url}/graph?g0.expr=vector%281%29&g0.tab=1`);
      const startsAt = Date.parse(a.startsAt);
      ctx.expect(startsAt).toBeGreaterThanOrEqual(w.server.readyAt - EVAL_S * 1000);
      ctx.expect(startsAt).toBeLessThanOrEqual(firing.at);
      ctx.expect(await ruleState(w.server, name)).toBe("firing");

      await w.writeConfig(false);
      const t0 = Date.now();
      await reload(w);
      const resolved = await w.hook.waitFor(isAlert(name, "resolved"), 10_000);
      note(`resolved after reload (${how})`, resolved.at - t0);
      ctx.expect(resolved.at - t0).toBeLessThanOrEqual((2 + SLACK_S) * 1000);
      ctx.expect(resolved.body.status).toBe("resolved");
      const r = resolved.body.alerts[0]!;
      ctx.expect(r.fingerprint).toBe(a.fingerprint);
      ctx.expect(r.startsAt).toBe(a.startsAt);
      ctx.expect(Date.parse(r.endsAt)).toBeGreaterThanOrEqual(t0 - 1000);
      ctx.expect(Date.parse(r.endsAt)).toBeLessThanOrEqual(resolved.at);
      // One firing notification (repeat_interval 1h), then the resolved one; nothing else.
      ctx.expect(w.messages(name).map((m) => m.body.status)).toEqual(["firing", "resolved"]);
      ctx.expect(await ruleState(w.server, name)).toBe("");
      const history = await getJSON<{ data: { entries: { state: string }[] } }>(
        `${w.server.url}/api/relay/v1/alerts/history?alertname=${name}`,
      );
      ctx.expect(history.data.entries.map((e) => e.state)).toEqual(["resolved", "firing", "pending"]);
    },
  );

  // Acceptance 2. A firing alert re-notified every repeat_interval (2 s; cooldown 0s so only the
  // repeat governs) is silenced through the v2 API: nothing for three repeat intervals; expiring
  // the silence (DELETE) brings the next notification within repeat_interval + group_interval.
  it("a silence created through /api/v2/silences stops notifications; expiring it resumes them", {
    timeout: 60_000,
  }, async (ctx) => {
    const name = "SilenceProbe";
    const w = await world(ctx, [{ alert: name, for: "0s" }], {
      group_wait: `${GROUP_WAIT_S}s`,
      group_interval: "1s",
      repeat_interval: "2s",
      cooldown: "0s",
    });
    await w.hook.waitFor(isAlert(name, "firing"), (EVAL_S + GROUP_WAIT_S + SLACK_S) * 1000 + 5000);
    // A repeat arrives: notifications are flowing.
    await until(() => w.messages(name, "firing").length >= 2, (3 + SLACK_S) * 1000, "a repeat notification");

    const now = Date.now();
    const created = await fetch(`${w.server.url}/api/v2/silences`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        matchers: [{ name: "alertname", value: name, isRegex: false, isEqual: true }],
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + 3600_000).toISOString(),
        createdBy: "alerting.e2e",
        comment: "acceptance 2",
      }),
    });
    ctx.expect(created.status).toBe(200);
    const { silenceID } = (await created.json()) as { silenceID: string };
    const silencedAt = Date.now();
    const alert = await v2Alert(w.server, name);
    ctx.expect(alert?.status).toMatchObject({ state: "suppressed", silencedBy: [silenceID] });

    await sleep(3 * 2000 + 500);
    // A flush that began before the silence may still land a moment after it.
    const during = w.messages(name).filter((m) => m.at > silencedAt + 300);
    ctx.expect(during).toEqual([]);

    const del = await fetch(`${w.server.url}/api/v2/silence/${silenceID}`, { method: "DELETE" });
    ctx.expect(del.status).toBe(200);
    const expiredAt = Date.now();
    const silence = await getJSON<{ status: { state: string } }>(
      `${w.server.url}/api/v2/silence/${silenceID}`,
    );
    ctx.expect(silence.status.state).toBe("expired");
    const resumed = await w.hook.waitFor((m) => m.at > expiredAt && isAlert(name, "firing")(m), 10_000);
    note("notification resumed after DELETE silence", resumed.at - expiredAt);
    ctx.expect(resumed.at - expiredAt).toBeLessThanOrEqual((2 + 1 + SLACK_S) * 1000);
    ctx.expect((await v2Alert(w.server, name))?.status.state).toBe("active");
  });

  // Relay's cooldown (route `cooldown: 8s`): the rule is removed (resolved is sent at once) and
  // added back, so the alert fires again within one evaluation; the re-fired notification is held
  // until 8 s after the first firing one, then sent (held, not dropped).
  it("holds a re-fired alert until its cooldown has passed, then notifies it", {
    timeout: 60_000,
  }, async (ctx) => {
    const name = "CooldownProbe";
    const cooldownMs = 8000;
    const w = await world(ctx, [{ alert: name, for: "0s" }], {
      group_wait: `${GROUP_WAIT_S}s`,
      group_interval: "1s",
      repeat_interval: "1h",
      cooldown: "8s",
    });
    const first = await w.hook.waitFor(
      isAlert(name, "firing"),
      (EVAL_S + GROUP_WAIT_S + SLACK_S) * 1000 + 5000,
    );
    await w.writeConfig(false);
    ctx.expect((await fetch(`${w.server.url}/-/reload`, { method: "POST" })).status).toBe(200);
    await w.hook.waitFor(isAlert(name, "resolved"), 5000);
    await w.writeConfig(true);
    ctx.expect((await fetch(`${w.server.url}/-/reload`, { method: "POST" })).status).toBe(200);
    await until(async () => (await ruleState(w.server, name)) === "firing", 5000, "the rule fires again");
    const refiredAt = Date.now();
    // Without the cooldown it would be notified within group_wait of the re-fire.
    ctx.expect(refiredAt - first.at).toBeLessThan(cooldownMs - 2000);
    const second = await w.hook.waitFor(
      (m) => m.at > first.at && isAlert(name, "firing")(m),
      cooldownMs + 5000,
    );
    note("re-fired alert held after the rule fired again", second.at - refiredAt);
    note("re-fired notification after the first one (cooldown 8 s)", second.at - first.at);
    ctx.expect(second.at - first.at).toBeGreaterThanOrEqual(cooldownMs);
    ctx.expect(second.at - first.at).toBeLessThanOrEqual(cooldownMs + (1 + SLACK_S) * 1000);
    ctx.expect(w.messages(name).map((m) => m.body.status)).toEqual(["firing", "resolved", "firing"]);
  });

  // Acceptance 3. kill -9 while the alert fires (repeat_interval 1h), restart on the same data
  // directory. A `for` under the 10 m grace period is not restored (Prometheus): the alert is
  // pending again, then fires; the notification log in state.db keeps the webhook quiet.
  it("after kill -9 and restart the alert fires again and is not re-notified before its repeat interval", {
    timeout: 60_000,
  }, async (ctx) => {
    const name = "AlwaysOnCrash";
    const w = await world(ctx, [{ alert: name, for: "10s" }], {
      group_wait: `${GROUP_WAIT_S}s`,
      group_interval: "2s",
      repeat_interval: "1h",
    });
    const firing = await w.hook.waitFor(isAlert(name, "firing"), 25_000);
    const before = await v2Alert(w.server, name);
    ctx.expect(before?.status.state).toBe("active");
    ctx.expect(await w.server.stop("SIGKILL")).toBe("SIGKILL");

    const srv = await w.restart();
    const states: string[] = [];
    await until(
      async () => {
        const s = await ruleState(srv, name);
        if (states.at(-1) !== s) states.push(s);
        return s === "firing";
      },
      (10 + 2 * EVAL_S + SLACK_S) * 1000,
      "the alert fires again after the restart",
    );
    note("firing again after restart (from ready)", Date.now() - srv.readyAt);
    ctx.expect(states).toContain("pending");
    // The pipeline kept the alert across the crash, with the same identity and start.
    const after = await v2Alert(srv, name);
    ctx.expect(after).toMatchObject({ fingerprint: before!.fingerprint, startsAt: before!.startsAt });
    ctx.expect(after?.status.state).toBe("active");
    // Several flushes of the re-fired alert (group_wait + 2 group intervals) send nothing.
    await sleep((GROUP_WAIT_S + 2 * 2 + 1) * 1000);
    ctx.expect(w.messages(name).map((m) => m.at)).toEqual([firing.at]);
  });
  describeWithBinary(
    "/usr/bin/amtool",
    "prometheus-alertmanager",
    "amtool against the real server",
    (amtool) => {
      const am = async (url: string, ...args: string[]) =>
        (await run(amtool, [`--alertmanager.url=${url}`, ...args], { timeout: 10_000 })).stdout;

      // The test: amtool adds a silence that then stops a notification; it queries alerts and
      // silences, and expiring the silence lets notifications resume.
      it("silence add / query / expire and alert query, with the silence stopping notifications", {
        timeout: 60_000,
      }, async (ctx) => {
        const name = "AmtoolProbe";
        const w = await world(ctx, [{ alert: name, for: "0s" }], {
          group_wait: `${GROUP_WAIT_S}s`,
          group_interval: "1s",
          repeat_interval: "2s",
          cooldown: "0s",
        });
        const url = w.server.url;
        await w.hook.waitFor(isAlert(name, "firing"), (EVAL_S + GROUP_WAIT_S + SLACK_S) * 1000 + 5000);
        const alerts = JSON.parse(
          await am(url, "alert", "query", "-o", "json", `alertname=${name}`),
        ) as V2Alert[];
        ctx.expect(alerts.map((a) => [a.labels.alertname, a.status.state])).toEqual([[name, "active"]]);

        const id = (
          await am(
            url,
            "silence",
            "add",
            `alertname=${name}`,
            "--comment=amtool e2e",
            "--author=e2e",
            "-d",
            "1h",
          )
        ).trim();
        const silencedAt = Date.now();
        ctx.expect(id).toMatch(/^[0-9a-f-]{36}$/);
        const listed = JSON.parse(await am(url, "silence", "query", "-o", "json")) as {
          id: string;
          matchers: { name: string; value: string }[];
          createdBy: string;
          status: { state: string };
        }[];
        ctx.expect(listed).toHaveLength(1);
        ctx.expect(listed[0]).toMatchObject({
          id,
          createdBy: "e2e",
          status: { state: "active" },
          matchers: [{ name: "alertname", value: name }],
        });
        const suppressed = JSON.parse(
          await am(url, "alert", "query", "-o", "json", "--silenced", `alertname=${name}`),
        ) as V2Alert[];
        ctx.expect(suppressed[0]?.status).toMatchObject({ state: "suppressed", silencedBy: [id] });

        await sleep(3 * 2000 + 500);
        ctx.expect(w.messages(name).filter((m) => m.at > silencedAt + 300)).toEqual([]);

        await am(url, "silence", "expire", id);
        const expiredAt = Date.now();
        const expired = JSON.parse(await am(url, "silence", "query", "--expired", "-o", "json")) as {
          id: string;
        }[];
        ctx.expect(expired.map((s) => s.id)).toEqual([id]);
        const resumed = await w.hook.waitFor((m) => m.at > expiredAt && isAlert(name, "firing")(m), 10_000);
        ctx.expect(resumed.at - expiredAt).toBeLessThanOrEqual((2 + 1 + SLACK_S) * 1000);
      });
    },
  );

  // The test: Debian's prometheus-alertmanager receives the alerts our server forwards
  // (`alertmanager_configs`), lists them in its own API with the same identity, and sees them
  // resolve when the rule is removed and the config reloaded.
  describeWithBinary(
    "/usr/bin/prometheus-alertmanager",
    "prometheus-alertmanager",
    "forwarding from the real server to Debian's Alertmanager",
    (binary) => {
      it("lists the forwarded alert in Alertmanager's API, then sees it resolve", {
        timeout: 60_000,
      }, async (ctx) => {
        const amDir = await mkdtemp(join(tmpdir(), "relay-alerting-am-"));
        await writeFile(
          join(amDir, "alertmanager.yml"),
          "route: {receiver: blackhole}\nreceivers: [{name: blackhole}]\n",
        );
        const amPort = await freePort();
        const amURL = `http://127.0.0.1:${amPort}`;
        const am = spawn(
          binary,
          [
            `--config.file=${join(amDir, "alertmanager.yml")}`,
            `--storage.path=${join(amDir, "data")}`,
            `--web.listen-address=127.0.0.1:${amPort}`,
            "--cluster.listen-address=",
          ],
          { stdio: "ignore" },
        );
        const amExited = new Promise((r) => am.once("exit", r));
        ctx.onTestFinished(async () => {
          am.kill("SIGKILL");
          await amExited;
          await rm(amDir, { recursive: true, force: true });
        });
        await until(
          async () => (await fetch(`${amURL}/-/ready`).catch(() => undefined))?.ok === true,
          15_000,
          "Alertmanager ready",
        );

        const name = "ForwardProbe";
        const w = await world(
          ctx,
          [{ alert: name, for: "0s" }],
          { group_wait: `${GROUP_WAIT_S}s`, group_interval: "1s", repeat_interval: "1h" },
          amURL,
        );
        const amAlert = async () =>
          (await getJSON<V2Alert[]>(`${amURL}/api/v2/alerts`)).find((a) => a.labels.alertname === name);
        await until(
          async () => (await amAlert()) !== undefined,
          (EVAL_S + GROUP_WAIT_S + SLACK_S) * 1000 + 5000,
          "the alert in Alertmanager",
        );
        const ours = await v2Alert(w.server, name);
        const theirs = await amAlert();
        ctx.expect(theirs?.labels).toEqual({ alertname: name, severity: "warning" });
        ctx.expect(theirs?.status.state).toBe("active");
        ctx.expect(theirs?.fingerprint).toBe(ours?.fingerprint);
        ctx.expect(theirs?.startsAt).toBe(ours?.startsAt);

        await w.writeConfig(false);
        ctx.expect((await fetch(`${w.server.url}/-/reload`, { method: "POST" })).status).toBe(200);
        await until(
          async () => (await amAlert()) === undefined,
          5000,
          "the alert to resolve in Alertmanager",
        );
      });
    },
  );
});
