import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import Fastify from "fastify";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Alert } from "../model/index.js";
import { describeWithBinary, freePort } from "../testing/index.js";
import { getReceivers } from "./api.js";
import { notifyConfigSchema } from "./config.js";
import { notifyRoutes } from "./http.js";
import { NotificationPipeline } from "./pipeline.js";

const run = promisify(execFile);

interface Captured {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A local HTTP server that records JSON posts; `/fail` answers 500. */
async function captureServer(): Promise<{ server: Server; url: string; got: Captured[] }> {
  const got: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url?.startsWith("/fail")) {
        res.writeHead(500).end("boom");
        return;
      }
      got.push({
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>,
      });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 8000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function decodeQP(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, "");
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "=" && /^[0-9A-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

function makePipeline(yaml: string): NotificationPipeline {
  const p = new NotificationPipeline({
    db: new Database(":memory:"),
    externalURL: "http://relay.test:9797",
    retry: { initialBackoff: 100, maxBackoff: 400, minTimeout: 1000 },
  });
  p.applyConfig(notifyConfigSchema.parse(parse(yaml)), { original: parse(yaml) });
  p.start();
  return p;
}

const alert = (
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
  value?: number,
): Alert => ({
  labels,
  annotations,
  startsAt: Date.now(),
  endsAt: 0,
  generatorURL: "http://relay.test:9797/graph?g0.expr=cpu",
  ...(value === undefined ? {} : { value }),
});

const pipelines: NotificationPipeline[] = [];
afterEach(async () => {
  for (const p of pipelines.splice(0)) await p.stop();
});

describe("receivers against real peers on 127.0.0.1", () => {
  let http: Awaited<ReturnType<typeof captureServer>>;
  let smtp: SMTPServer;
  let smtpPort = 0;
  const mails: { from: string; to: string[]; raw: string }[] = [];

  beforeAll(async () => {
    http = await captureServer();
    smtp = new SMTPServer({
      logger: false,
      disabledCommands: ["STARTTLS"],
      allowInsecureAuth: true,
      onAuth(auth, _session, cb) {
        if (auth.username === "relay" && auth.password === "smtp-s3cret") cb(null, { user: "relay" });
        else cb(new Error("invalid credentials"));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString("utf8"),
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => smtp.close(() => r()));
    await new Promise<void>((r) => http.server.close(() => r()));
  });

  it("delivers email over SMTP with auth, Slack and webhook payloads; a failing receiver delays none", async () => {
    const p = makePipeline(`
global:
  smtp_smarthost: 127.0.0.1:${smtpPort}
  smtp_from: relay@example.org
  smtp_auth_username: relay
  smtp_auth_password: smtp-s3cret
  smtp_require_tls: false
route:
  receiver: all
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  routes:
    - {matchers: [alertname="HighCPU"], receiver: broken, continue: true}
    - {matchers: [alertname="HighCPU"], receiver: all}
receivers:
  - name: all
    email_configs: [{to: ops@example.org}]
    slack_configs: [{api_url: '${http.url}/services/T0/B0/SLACKSECRET', channel: '#ops'}]
    webhook_configs: [{url: '${http.url}/hook', max_alerts: 1}]
  - name: broken
    webhook_configs: [{url: '${http.url}/fail/BROKENSECRET'}]
`);
    pipelines.push(p);
    p.notify([
      alert(
        { alertname: "HighCPU", severity: "critical", instance: "node-1" },
        { summary: "CPU above 90%", description: "node-1 is busy" },
        97.5,
      ),
      alert(
        { alertname: "HighCPU", severity: "critical", instance: "node-2" },
        { summary: "CPU above 90%" },
        93,
      ),
    ]);
    const mail = await until("the email", () => mails[0]);
    await until("slack and webhook", () => http.got.length >= 2);
    // The broken receiver is still retrying (it gives up after ~700ms of backoff): nothing waited for it.
    const brokenNow = getReceivers(p).find((r) => r.name === "broken")!.integrations[0]!;
    expect(brokenNow.failures).toBe(0);

    expect(mail.from).toBe("relay@example.org");
    expect(mail.to).toEqual(["ops@example.org"]);
    expect(mail.raw).toMatch(/^Subject: \[CRITICAL\] Relay Alert: HighCPU\r?$/m);
    const text = decodeQP(mail.raw);
    for (const part of [
      "Alert: HighCPU",
      "Severity: critical",
      "Message: CPU above 90% — node-1 is busy",
      '"value": 97.5',
      '"instance": "node-1"',
      '"instance": "node-2"',
      '<th align="left">Value</th><td>93</td>',
    ]) {
      expect(text).toContain(part);
    }
    expect(text).toMatch(/Time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);

    const slack = http.got.find((g) => g.path.startsWith("/services/"))!;
    expect(slack.path).toBe("/services/T0/B0/SLACKSECRET");
    expect(slack.headers["content-type"]).toBe("application/json");
    expect(slack.body).toMatchObject({
      channel: "#ops",
      username: "Relay Monitor",
      icon_emoji: ":rotating_light:",
    });
    const atts = slack.body.attachments as Record<string, unknown>[];
    expect(atts.length).toBe(2);
    expect(atts[0]).toMatchObject({
      color: "#d63232",
      title: "Alert: HighCPU",
      title_link: "http://relay.test:9797/graph?g0.expr=cpu",
    });
    expect((atts[0]!.fields as { title: string }[]).map((f) => f.title)).toEqual([
      "Severity",
      "Time",
      "Value",
    ]);
    expect(atts[0]!.ts).toBeTypeOf("number");

    const hook = http.got.find((g) => g.path === "/hook")!;
    expect(Object.keys(hook.body).sort()).toEqual(
      [
        "alerts",
        "commonAnnotations",
        "commonLabels",
        "externalURL",
        "groupKey",
        "groupLabels",
        "receiver",
        "status",
        "truncatedAlerts",
        "version",
      ].sort(),
    );
    expect(hook.body).toMatchObject({
      version: "4",
      status: "firing",
      receiver: "all",
      groupKey: '{}/{alertname="HighCPU"}:{alertname="HighCPU"}',
      groupLabels: { alertname: "HighCPU" },
      commonLabels: { alertname: "HighCPU", severity: "critical" },
      commonAnnotations: { summary: "CPU above 90%" },
      externalURL: "http://relay.test:9797",
      truncatedAlerts: 1,
    });
    const [first] = hook.body.alerts as Record<string, unknown>[];
    expect(Object.keys(first!).sort()).toEqual([
      "annotations",
      "endsAt",
      "fingerprint",
      "generatorURL",
      "labels",
      "startsAt",
      "status",
    ]);
    expect(first!.endsAt).toBe("0001-01-01T00:00:00Z");

    const broken = await until("the broken receiver to give up", () =>
      getReceivers(p).find((r) => r.name === "broken" && r.integrations[0]!.failures > 0),
    );
    expect(broken.integrations[0]!.lastNotifyAttemptError).toBe("webhook: unexpected status code 500: boom");
    expect(JSON.stringify(getReceivers(p))).not.toContain("SECRET");
  });
});

describeWithBinary(
  "/usr/bin/prometheus-alertmanager",
  "prometheus-alertmanager",
  "forwarding to Debian's Alertmanager",
  (binary) => {
    let am: ChildProcess;
    let amURL = "";
    let dir = "";

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "relay-am-"));
      writeFileSync(
        join(dir, "alertmanager.yml"),
        "route: {receiver: blackhole}\nreceivers: [{name: blackhole}]\n",
      );
      const port = await freePort();
      amURL = `http://127.0.0.1:${port}`;
      am = spawn(
        binary,
        [
          `--config.file=${join(dir, "alertmanager.yml")}`,
          `--storage.path=${join(dir, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--cluster.listen-address=",
        ],
        { stdio: "ignore" },
      );
      await until(
        "Alertmanager to be ready",
        async () => (await fetch(`${amURL}/-/ready`).catch(() => undefined))?.ok || undefined,
        15_000,
      );
    });
    afterAll(() => {
      am?.kill();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("receives forwarded alerts, lists them in its own API, and sees them resolve", async () => {
      const p = makePipeline(`
route: {receiver: am, group_by: [alertname], group_wait: 0s, group_interval: 1s}
receivers: [{name: am, alertmanager_configs: [{url: '${amURL}'}]}]
`);
      pipelines.push(p);
      const a = alert(
        { alertname: "RelayForwarded", severity: "warning" },
        { summary: "forwarded by Relay" },
      );
      p.notify([a]);
      const listed = await until("the alert in Alertmanager", async () => {
        const list = (await (await fetch(`${amURL}/api/v2/alerts`)).json()) as {
          labels: Record<string, string>;
          annotations: Record<string, string>;
          status: { state: string };
          fingerprint: string;
        }[];
        return list.find((x) => x.labels.alertname === "RelayForwarded");
      });
      expect(listed.labels).toEqual({ alertname: "RelayForwarded", severity: "warning" });
      expect(listed.annotations).toEqual({ summary: "forwarded by Relay" });
      expect(listed.status.state).toBe("active");
      expect(listed.fingerprint).toBe(p.storedAlerts()[0]!.fingerprint);

      p.notify([{ ...a, endsAt: Date.now() }]);
      await until("the alert to resolve in Alertmanager", async () => {
        const list = (await (await fetch(`${amURL}/api/v2/alerts`)).json()) as {
          labels: Record<string, string>;
        }[];
        return list.every((x) => x.labels.alertname !== "RelayForwarded") || undefined;
      });
    });
  },
);

describeWithBinary("/usr/bin/amtool", "prometheus-alertmanager", "amtool against our v2 API", (amtool) => {
  it("adds a silence that stops a notification, queries it, and expiring it resumes the notification", async () => {
    const http = await captureServer();
    const p = makePipeline(`
route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 500ms, repeat_interval: 1h}
receivers: [{name: hook, webhook_configs: [{url: '${http.url}/hook'}]}]
`);
    pipelines.push(p);
    const app = Fastify();
    await app.register(notifyRoutes, { pipeline: p });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const url = `--alertmanager.url=http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const tool = async (...args: string[]) =>
      (await run(amtool, [url, ...args], { timeout: 10_000 })).stdout.trim();
    try {
      const id = await tool(
        "silence",
        "add",
        "alertname=Maintenance",
        "--comment=planned work",
        "--author=ops",
        "--duration=1h",
      );
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await tool("silence", "query", "-q")).toBe(id);
      const listed = JSON.parse(await tool("silence", "query", "-o", "json")) as {
        id: string;
        createdBy: string;
        comment: string;
        status: { state: string };
      }[];
      expect(listed).toMatchObject([
        { id, createdBy: "ops", comment: "planned work", status: { state: "active" } },
      ]);

      p.notify([alert({ alertname: "Maintenance" }), alert({ alertname: "Other" })]);
      await until("the unsilenced alert", () => http.got.length >= 1 || undefined);
      await new Promise((r) => setTimeout(r, 1200));
      const names = () =>
        http.got.flatMap((g) =>
          (g.body.alerts as { labels: { alertname: string } }[]).map((a) => a.labels.alertname),
        );
      expect(names()).toEqual(["Other"]);

      const active = JSON.parse(await tool("alert", "query", "-o", "json")) as {
        labels: { alertname: string };
      }[];
      expect(active.map((a) => a.labels.alertname)).toEqual(["Other"]);
      const withSilenced = JSON.parse(await tool("alert", "query", "-s", "-o", "json")) as {
        labels: { alertname: string };
        status: { silencedBy: string[] };
      }[];
      expect(withSilenced.find((a) => a.labels.alertname === "Maintenance")?.status.silencedBy).toEqual([id]);

      await tool("silence", "expire", id);
      expect(await tool("silence", "query", "-q")).toBe("");
      await until(
        "the notification after the silence expired",
        () => names().includes("Maintenance") || undefined,
      );
    } finally {
      await app.close();
      await new Promise<void>((r) => http.server.close(() => r()));
    }
  });
});
