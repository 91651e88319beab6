import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeRemoteWrite } from "./ingest/index.js";
import { RelayMonitor } from "./server.js";

const silent = pino({ level: "silent" });

async function getJSON(
  base: string,
  path: string,
): Promise<{ status: string; data: unknown; errorType?: string; warnings?: string[] }> {
  const res = await fetch(base + path);
  return (await res.json()) as { status: string; data: unknown };
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a running monitor watching this host and itself", () => {
  let dir: string;
  let server: RelayMonitor;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-server-"));
    const cfg = join(dir, "relay.yml");
    await writeFile(
      cfg,
      "collectors:\n  host: { scrape_interval: 1s, scrape_timeout: 1s }\n  self: { scrape_interval: 1s, scrape_timeout: 1s }\n",
    );
    server = new RelayMonitor({
      configFile: cfg,
      storagePath: join(dir, "data"),
      listen: "127.0.0.1:0",
      logger: silent,
    });
    await server.start();
    base = `http://${server.listenAddress}`;
  });

  afterAll(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("is healthy and ready", async () => {
    expect((await fetch(`${base}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${base}/-/ready`)).status).toBe(200);
  });

  test("serves its own metrics: process, runtime and ingestion counters", async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^relay_remote_write_samples_total /m);
  });

  test("scrapes the host collector and itself: node_* series listed, both targets up", async () => {
    const series = await waitFor(async () => {
      const r = await getJSON(base, `/api/v1/series?match[]=${encodeURIComponent('{__name__=~"node_.*"}')}`);
      const data = r.data as Record<string, string>[];
      return data.some((s) => s.__name__ === "node_load1") ? data : undefined;
    }, 10_000);
    expect(series.find((s) => s.__name__ === "node_cpu_seconds_total")).toMatchObject({ job: "node" });
    const targets = await waitFor(async () => {
      const r = await getJSON(base, "/api/v1/targets");
      const active = (r.data as { activeTargets: { labels: Record<string, string>; health: string }[] })
        .activeTargets;
      return active.length === 2 && active.every((t) => t.health === "up") ? active : undefined;
    }, 10_000);
    expect(targets.map((t) => t.labels.job).sort()).toEqual(["node", "relay-monitor"]);
  });

  test("remote write: 100,000 samples answered 204 and their series listed", async () => {
    const series = 1000;
    const perSeries = 100;
    const t0 = Date.now() - 3600_000;
    const timeseries = Array.from({ length: series }, (_, i) => ({
      labels: [
        { name: "__name__", value: "rw_test_total" },
        { name: "instance", value: `host-${i % 10}` },
        { name: "shard", value: String(i) },
      ],
      samples: Array.from({ length: perSeries }, (_, j) => ({ value: i * j, timestamp: t0 + j * 15_000 })),
    }));
    const res = await fetch(`${base}/api/v1/write`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", "content-encoding": "snappy" },
      body: encodeRemoteWrite({ timeseries }),
    });
    expect(res.status).toBe(204);
    const r = await getJSON(base, `/api/v1/series?match[]=rw_test_total`);
    expect((r.data as unknown[]).length).toBe(series);
    const values = await getJSON(base, "/api/v1/label/instance/values?match[]=rw_test_total");
    expect(values.data).toEqual(Array.from({ length: 10 }, (_, i) => `host-${i}`).sort());
  });

  test("remote write: a truncated or garbage body gets 400 and changes nothing", async () => {
    const body = encodeRemoteWrite({
      timeseries: [
        { labels: [{ name: "__name__", value: "rw_bad" }], samples: [{ value: 1, timestamp: Date.now() }] },
      ],
    });
    for (const bad of [body.subarray(0, body.length - 3), Buffer.from("this is not snappy at all")]) {
      const res = await fetch(`${base}/api/v1/write`, {
        method: "POST",
        headers: { "content-type": "application/x-protobuf" },
        body: bad,
      });
      expect(res.status).toBe(400);
      expect((await res.text()).length).toBeGreaterThan(0);
    }
    const r = await getJSON(base, "/api/v1/series?match[]=rw_bad");
    expect(r.data).toEqual([]);
  });

  test.each([
    ["/api/v1/series", "no match[] parameter provided"],
    ["/api/v1/series?match[]=%7B", 'invalid parameter "match[]"'],
    ["/api/v1/series?match[]=up&start=yesterday", 'cannot parse "yesterday" to a valid timestamp'],
    ["/api/v1/labels?limit=-1", "invalid limit"],
  ])("%s → bad_data naming the problem", async (path, message) => {
    const res = await fetch(base + path);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { status: string; errorType: string; error: string };
    expect(body).toMatchObject({ status: "error", errorType: "bad_data" });
    expect(body.error).toContain(message);
  });

  test("labels with limit are truncated with a warning", async () => {
    const r = await getJSON(base, "/api/v1/labels?limit=2");
    expect((r.data as string[]).length).toBe(2);
    expect(r.warnings).toEqual(["results truncated due to limit"]);
  });

  test("status endpoints answer in Prometheus's shapes", async () => {
    expect((await getJSON(base, "/api/v1/status/buildinfo")).data).toHaveProperty("version");
    expect((await getJSON(base, "/api/v1/status/config")).data).toHaveProperty("yaml");
    expect((await getJSON(base, "/api/v1/status/flags")).data).toHaveProperty("storage.path");
    expect((await getJSON(base, "/api/v1/status/runtimeinfo")).data).toHaveProperty(
      "storageRetention",
      "2w1d",
    );
    const tsdb = (await getJSON(base, "/api/v1/status/tsdb")).data as { headStats: { numSeries: number } };
    expect(tsdb.headStats.numSeries).toBeGreaterThan(1000);
  });
});
