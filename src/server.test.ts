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

/** The test server's configuration; `limits` go to `storage.limits`. */
function configText(limits = "{ max_series_per_metric: 1000 }"): string {
  return (
    "collectors:\n  host: { scrape_interval: 1s, scrape_timeout: 1s }\n  self: { scrape_interval: 1s, scrape_timeout: 1s }\n" +
    `storage:\n  limits: ${limits}\n`
  );
}

function postWrite(base: string, timeseries: Parameters<typeof encodeRemoteWrite>[0]["timeseries"]) {
  return fetch(`${base}/api/v1/write`, {
    method: "POST",
    headers: { "content-type": "application/x-protobuf", "content-encoding": "snappy" },
    body: encodeRemoteWrite({ timeseries }),
  });
}

async function scalar(base: string, expr: string): Promise<number> {
  const r = await getJSON(base, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  const result = (r.data as { result: { value: [number, string] }[] }).result;
  return result.length === 0 ? Number.NaN : Number(result[0]!.value[1]);
}

describe("a running monitor watching this host and itself", () => {
  let dir: string;
  let cfg: string;
  let server: RelayMonitor;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-server-"));
    cfg = join(dir, "relay.yml");
    await writeFile(cfg, configText());
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

  test("remote write over storage.limits.max_series_per_metric: 400 naming the limit, nothing applied, counted; existing series still take samples", async () => {
    const now = Date.now();
    const sample = (shard: string, t: number) => ({
      labels: [
        { name: "__name__", value: "rw_test_total" },
        { name: "instance", value: "host-0" },
        { name: "shard", value: shard },
      ],
      samples: [{ value: 1, timestamp: t }],
    });
    const count = 'count_over_time(rw_test_total{shard="0"}[2h])';
    expect(await scalar(base, count)).toBe(100);
    const res = await postWrite(base, [sample("0", now - 1000), sample("1000", now - 1000)]);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain(
      'limit of 1000 active series per metric name reached for "rw_test_total" (storage.limits.max_series_per_metric); series rejected: rw_test_total{instance="host-0", shard="1000"}',
    );
    expect(text).toContain("nothing in this request was applied");
    expect((await getJSON(base, "/api/v1/series?match[]=rw_test_total{shard='1000'}")).data).toEqual([]);
    expect(await scalar(base, count)).toBe(100);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^relay_tsdb_series_limit_rejections_total\{limit="max_series_per_metric"\} 1$/m);
    expect(metrics).toMatch(/^relay_tsdb_series_limit_rejections_total\{limit="max_series"\} 0$/m);
    expect((await postWrite(base, [sample("0", now - 500)])).status).toBe(204);
    expect(await scalar(base, count)).toBe(101);
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
  });

  test("/api/v1/status/tsdb: Prometheus's shape, top lists cut to `limit`, the cardinality of what was written", async () => {
    type Stat = { name: string; value: number };
    type Status = {
      headStats: Record<string, number>;
      seriesCountByMetricName: Stat[];
      labelValueCountByLabelName: Stat[];
      memoryInBytesByLabelName: Stat[];
      seriesCountByLabelValuePair: Stat[];
    };
    const tsdb = (await getJSON(base, "/api/v1/status/tsdb?limit=3")).data as Status;
    const { headStats, ...lists } = tsdb;
    expect(Object.keys(headStats).sort()).toEqual([
      "chunkCount",
      "maxTime",
      "minTime",
      "numLabelPairs",
      "numSeries",
    ]);
    expect(headStats.numSeries).toBeGreaterThan(1000);
    expect(headStats.numLabelPairs).toBeGreaterThan(1000);
    expect(headStats.chunkCount).toBeGreaterThanOrEqual(headStats.numSeries!);
    expect(headStats.minTime).toBeLessThan(headStats.maxTime!);
    expect(Object.keys(lists).sort()).toEqual([
      "labelValueCountByLabelName",
      "memoryInBytesByLabelName",
      "seriesCountByLabelValuePair",
      "seriesCountByMetricName",
    ]);
    for (const list of Object.values(lists)) {
      expect(list).toHaveLength(3);
      for (const s of list) expect(Object.keys(s).sort()).toEqual(["name", "value"]);
      expect(list.map((s) => s.value)).toEqual(list.map((s) => s.value).sort((a, b) => b - a));
    }
    expect(tsdb.seriesCountByMetricName[0]).toEqual({ name: "rw_test_total", value: 1000 });
    expect(tsdb.seriesCountByLabelValuePair[0]).toEqual({ name: "__name__=rw_test_total", value: 1000 });
    const all = (await getJSON(base, "/api/v1/status/tsdb")).data as Status;
    expect(all.seriesCountByMetricName).toHaveLength(10);
    expect(all.labelValueCountByLabelName).toContainEqual({ name: "shard", value: 1000 });
    expect(all.labelValueCountByLabelName).toContainEqual({ name: "instance", value: 10 + 1 });
  });

  // Last: it leaves both targets over their limit.
  test("scraping over storage.limits.max_series_per_target (after a reload): targets down naming the limit, counted", async () => {
    await writeFile(cfg, configText("{ max_series_per_metric: 1000, max_series_per_target: 5 }"));
    expect((await fetch(`${base}/-/reload`, { method: "POST" })).status).toBe(200);
    const targets = await waitFor(async () => {
      const r = await getJSON(base, "/api/v1/targets");
      const active = (r.data as { activeTargets: { health: string; lastError: string }[] }).activeTargets;
      return active.length === 2 && active.every((t) => t.health === "down") ? active : undefined;
    }, 10_000);
    for (const t of targets) {
      expect(t.lastError).toBe(
        "series limit exceeded: more than 5 series in one scrape (storage.limits.max_series_per_target)",
      );
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^relay_target_scrapes_exceeded_series_limit_total [1-9]/m);
    expect(await scalar(base, 'up{job="node"}')).toBe(0);
  });
});
