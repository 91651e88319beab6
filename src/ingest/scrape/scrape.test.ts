import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  formatLabels,
  isStaleNaN,
  type Labels,
  labelsFromRecord,
  labelsGet,
  labelsKey,
  Matcher,
  type MetricMetadata,
} from "../../model/index.js";
import type { Appendable, Appender, SeriesRef } from "../../storage/index.js";
import { Head } from "../../tsdb/index.js";
import {
  InvalidScrapeConfigError,
  renderTargets,
  type ScrapeJob,
  ScrapeManager,
  type ScrapeReport,
} from "./index.js";

/** Records every committed sample (stale markers included) in order. */
class Recorder implements Appendable {
  readonly samples: Array<{ series: string; labels: Labels; t: number; v: number }> = [];
  readonly metadata = new Map<string, MetricMetadata>();
  appender(): Appender {
    const pending: Array<{ series: string; labels: Labels; t: number; v: number }> = [];
    return {
      append: (_ref: SeriesRef, labels: Labels | null, t: number, v: number) => {
        pending.push({ series: formatLabels(labels!), labels: labels!, t, v });
        return 1;
      },
      updateMetadata: (name, meta) => {
        this.metadata.set(name, meta);
      },
      commit: async () => {
        this.samples.push(...pending);
      },
      rollback: () => {},
    };
  }
  /** Samples of series whose formatted labels start with `prefix`. */
  of(prefix: string) {
    return this.samples.filter((s) => s.series === prefix || s.series.startsWith(`${prefix}{`));
  }
  last(series: string) {
    const all = this.samples.filter((s) => s.series === series);
    return all[all.length - 1];
  }
  names(): Set<string> {
    return new Set(this.samples.map((s) => labelsGet(s.labels, "__name__")));
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const servers: Server[] = [];
const managers: ScrapeManager[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch(() => res.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function text(body: string, contentType = "text/plain; version=0.0.4"): Handler {
  return (_req, res) => {
    res.writeHead(200, { "Content-Type": contentType });
    res.end(body);
  };
}

beforeAll(async () => {
  // The first fetch in a process loads the HTTP client; keep that out of the first scrape's deadline.
  const addr = await serve(text("warm 1\n"));
  await (await fetch(`http://${addr}/`)).text();
});

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

function job(name: string, targets: string[], over: Partial<ScrapeJob> = {}): ScrapeJob {
  return {
    job_name: name,
    scrape_interval: 150,
    scrape_timeout: 140,
    metrics_path: "/metrics",
    scheme: "http",
    params: {},
    honor_labels: false,
    honor_timestamps: true,
    static_configs: [{ targets, labels: {} }],
    relabel_configs: [],
    metric_relabel_configs: [],
    sample_limit: 0,
    label_limit: 0,
    label_name_length_limit: 0,
    label_value_length_limit: 0,
    body_size_limit: 0,
    ...over,
  };
}

function manager(
  store: Appendable,
  onScrape?: (r: ScrapeReport) => void,
  registry?: Registry,
): ScrapeManager {
  const m = new ScrapeManager({
    appendable: store,
    maxStartOffsetMs: 20,
    ...(onScrape ? { onScrape } : {}),
    ...(registry ? { registry } : {}),
  });
  managers.push(m);
  return m;
}

/** Resolves once `n` more scrapes (of any target) are reported. */
function scrapes(reports: ScrapeReport[], n: number, timeoutMs = 5000): Promise<ScrapeReport[]> {
  const start = reports.length;
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (reports.length >= start + n) resolve(reports.slice(start));
      else if (Date.now() - t0 > timeoutMs)
        reject(new Error(`only ${reports.length - start} of ${n} scrapes`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

describe("ScrapeManager end to end against a prom-client target", () => {
  it("scrapes counter, gauge and histogram with target labels, metadata and synthetic series", async () => {
    const reg = new Registry();
    const c = new Counter({
      name: "app_requests_total",
      help: "Requests.",
      labelNames: ["code"],
      registers: [reg],
    });
    const g = new Gauge({ name: "app_temperature_celsius", help: "Temperature.", registers: [reg] });
    const h = new Histogram({
      name: "app_latency_seconds",
      help: "Latency.",
      buckets: [0.1, 1],
      registers: [reg],
    });
    c.inc({ code: "200" }, 3);
    g.set(21.5);
    h.observe(0.5);
    let headers: IncomingMessage["headers"] = {};
    const addr = await serve(async (req, res) => {
      headers = req.headers;
      res.writeHead(200, { "Content-Type": reg.contentType });
      res.end(await reg.metrics());
    });
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const selfReg = new Registry();
    const sm = manager(store, (r) => reports.push(r), selfReg);
    sm.applyConfig([job("app", [addr])]);
    sm.start();
    const [r] = await scrapes(reports, 1);
    expect(r).toMatchObject({ job: "app", up: true, error: "", samplesScraped: 7, seriesAdded: 7 });
    const inst = `instance="${addr}", job="app"`;
    expect(store.last(`app_requests_total{code="200", ${inst}}`)?.v).toBe(3);
    expect(store.last(`app_temperature_celsius{${inst}}`)?.v).toBe(21.5);
    expect(store.last(`app_latency_seconds_bucket{${inst}, le="1"}`)?.v).toBe(1);
    expect(store.last(`app_latency_seconds_count{${inst}}`)?.v).toBe(1);
    expect(store.last(`up{${inst}}`)?.v).toBe(1);
    expect(store.last(`scrape_samples_scraped{${inst}}`)?.v).toBe(7);
    expect(store.last(`scrape_samples_post_metric_relabeling{${inst}}`)?.v).toBe(7);
    expect(store.last(`scrape_series_added{${inst}}`)?.v).toBe(7);
    expect(store.last(`scrape_duration_seconds{${inst}}`)?.v).toBeGreaterThan(0);
    expect(store.metadata.get("app_requests_total")).toEqual({
      type: "counter",
      help: "Requests.",
      unit: "",
    });
    expect(store.metadata.get("app_latency_seconds")?.type).toBe("histogram");
    expect(headers.accept).toContain("application/openmetrics-text");
    expect(headers["x-prometheus-scrape-timeout-seconds"]).toBe("0.14");
    expect(headers["user-agent"]).toMatch(/^relay-monitor/);
    // All samples of one scrape share the scrape timestamp.
    const t = store.last(`up{${inst}}`)!.t;
    expect(store.last(`app_temperature_celsius{${inst}}`)!.t).toBe(t);

    const [info] = sm.targets();
    expect(info).toMatchObject({
      state: "active",
      health: "up",
      lastError: "",
      scrapePool: "app",
      scrapeUrl: `http://${addr}/metrics`,
      scrapeInterval: "150ms",
      labels: { instance: addr, job: "app" },
    });
    expect(info!.discoveredLabels).toMatchObject({ __address__: addr, __scheme__: "http", job: "app" });
    expect(Date.parse(info!.lastScrape)).toBeGreaterThan(0);
    const metricsText = await selfReg.metrics();
    expect(metricsText).toMatch(/relay_scrapes_total\{job="app",result="success"\} [1-9]/);
    expect(metricsText).toMatch(/relay_scrape_samples_appended_total\{job="app"\} [1-9]/);
  });

  it("lands samples in the real in-memory Head", async () => {
    const reg = new Registry();
    new Gauge({ name: "app_up_gauge", help: "x", registers: [reg] }).set(42);
    const addr = await serve(async (_req, res) => {
      res.writeHead(200, { "Content-Type": reg.contentType });
      res.end(await reg.metrics());
    });
    const head = new Head();
    const reports: ScrapeReport[] = [];
    const sm = manager(head, (r) => reports.push(r));
    sm.applyConfig([job("app", [addr])]);
    sm.start();
    await scrapes(reports, 2);
    const q = head.querier(0, Date.now() + 1000);
    const series = await q.select([new Matcher("=", "__name__", "app_up_gauge")]);
    expect(series).toHaveLength(1);
    expect(labelsGet(series[0]!.labels, "instance")).toBe(addr);
    const it = series[0]!.iterator();
    expect(it.next()).toBe(true);
    expect(it.v).toBe(42);
    const up = await q.select([new Matcher("=", "__name__", "up"), new Matcher("=", "job", "app")]);
    expect(up).toHaveLength(1);
    q.close();
  });

  it("writes a stale marker when a series disappears from the target, and accepts gzip", async () => {
    let body = "a 1\nb 2\n";
    const addr = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": "gzip" });
      res.end(gzipSync(body));
    });
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr])]);
    sm.start();
    await scrapes(reports, 1);
    body = "a 1\n";
    await scrapes(reports, 2);
    const b = store.of("b");
    expect(b.length).toBeGreaterThanOrEqual(2);
    expect(isStaleNaN(b[b.length - 1]!.v)).toBe(true);
    expect(b.filter((s) => isStaleNaN(s.v))).toHaveLength(1);
    expect(store.of("a").every((s) => s.v === 1)).toBe(true);
  });

  /** Each case: what fails, the target, the job's settings, lastError, the counter it increments (if any). */
  const failing: Array<[string, Handler, Partial<ScrapeJob>, RegExp, string?]> = [
    [
      "a timeout",
      async (_req, res) => {
        await new Promise((r) => setTimeout(r, 300));
        res.end("a 1\n");
      },
      { scrape_interval: 200, scrape_timeout: 50 },
      /context deadline exceeded/,
    ],
    ["a malformed body", text("a 1\nthis is { not metrics\n"), {}, /line 2/],
    [
      "HTTP 500",
      (_req, res) => {
        res.writeHead(500);
        res.end("boom");
      },
      {},
      /server returned HTTP status 500 Internal Server Error/,
    ],
    [
      "an over-size body",
      text(`a 1\n${"# padding\n".repeat(100)}`),
      { body_size_limit: 200 },
      /body size limit exceeded/,
      "prometheus_target_scrapes_exceeded_body_size_limit_total",
    ],
    [
      "too many samples",
      text("a 1\nb 2\nc 3\n"),
      { sample_limit: 2 },
      /^sample limit exceeded$/,
      "prometheus_target_scrapes_exceeded_sample_limit_total",
    ],
    [
      "too many series for the target (max_series_per_target)",
      text("a 1\na 1\nb 2\nc 3\n"),
      { series_limit: 2 },
      /^series limit exceeded: more than 2 series in one scrape \(storage\.limits\.max_series_per_target\)$/,
      "relay_target_scrapes_exceeded_series_limit_total",
    ],
    [
      "too many labels",
      text('a{x="1",y="2"} 1\n'),
      { label_limit: 4 },
      /label_limit exceeded \(metric: a, number of labels: 5, limit: 4\)/,
      "prometheus_target_scrape_pool_exceeded_label_limits_total",
    ],
    [
      "a long label name",
      text('a{xxxxxxxxxx="1"} 1\n'),
      { label_name_length_limit: 8 },
      /label_name_length_limit exceeded/,
      "prometheus_target_scrape_pool_exceeded_label_limits_total",
    ],
    [
      "a long label value",
      text('a{x="0123456789"} 1\n'),
      { label_value_length_limit: 8 },
      /label_value_length_limit exceeded/,
      "prometheus_target_scrape_pool_exceeded_label_limits_total",
    ],
    ["a repeated label name", text('a{x="1",x="2"} 1\n'), {}, /label name "x" is not unique/],
  ];
  it.each(failing)(
    "reports %s as up 0 with lastError, counted, never crashing, and appends nothing of it",
    async (_n, handler, over, err, counter) => {
      const addr = await serve(handler);
      const store = new Recorder();
      const reports: ScrapeReport[] = [];
      const reg = new Registry();
      const sm = manager(store, (r) => reports.push(r), reg);
      sm.applyConfig([job("bad", [addr], over)]);
      sm.start();
      const [r] = await scrapes(reports, 1);
      expect(r!.up).toBe(false);
      expect(r!.error).toMatch(err);
      const inst = `instance="${addr}", job="bad"`;
      expect(store.last(`up{${inst}}`)?.v).toBe(0);
      expect([...store.names()].sort()).toEqual([
        "scrape_duration_seconds",
        "scrape_samples_post_metric_relabeling",
        "scrape_samples_scraped",
        "scrape_series_added",
        "up",
      ]);
      const [info] = sm.targets();
      expect(info!.health).toBe("down");
      expect(info!.lastError).toMatch(err);
      const limitCounters = (await reg.getMetricsAsJSON())
        .filter((m) => /exceeded/.test(m.name))
        .filter((m) => m.values.some((v) => v.value > 0))
        .map((m) => m.name);
      expect(limitCounters).toEqual(counter === undefined ? [] : [counter]);
    },
  );

  it("accepts a scrape at its series limit: duplicates are not distinct series", async () => {
    const addr = await serve(text("a 1\na 1\nb 2\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr], { series_limit: 2 })]);
    sm.start();
    const [r] = await scrapes(reports, 1);
    expect(r).toMatchObject({ up: true, samplesPostRelabel: 3 });
    expect(store.of("b")).toHaveLength(1);
  });

  it("skips samples whose new series the storage refuses for a limit; the rest of the target stays up", async () => {
    let body = 'a{i="1"} 1\nb 2\n';
    const addr = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
      res.end(body);
    });
    const head = new Head({ maxSeriesPerMetric: 2 });
    const reports: ScrapeReport[] = [];
    const reg = new Registry();
    const warnings: object[] = [];
    const sm = new ScrapeManager({
      appendable: head,
      maxStartOffsetMs: 20,
      onScrape: (r) => reports.push(r),
      registry: reg,
      logger: { debug() {}, info() {}, warn: (o) => warnings.push(o), error() {} },
    });
    managers.push(sm);
    sm.applyConfig([job("j", [addr])]);
    sm.start();
    await scrapes(reports, 1);
    body = 'a{i="1"} 1\na{i="2"} 1\na{i="3"} 1\nb 3\n';
    const [r1, r2] = await scrapes(reports, 2);
    expect([r1!.up, r2!.up]).toEqual([true, true]);
    const q = head.querier(0, Date.now() + 1000);
    const got = (await q.select([new Matcher("=~", "__name__", "a|b|up")])).map((s) =>
      formatLabels(s.labels).replace(addr, "X"),
    );
    expect(got).toEqual([
      'a{i="1", instance="X", job="j"}',
      'a{i="2", instance="X", job="j"}',
      'b{instance="X", job="j"}',
      'up{instance="X", job="j"}',
    ]);
    expect(head.seriesLimitRejections.max_series_per_metric).toBe(2);
    expect(await reg.metrics()).toMatch(/relay_scrape_samples_refused_by_series_limit_total\{job="j"\} 2/);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      refused: 1,
      err: expect.stringContaining('limit of 2 active series per metric name reached for "a"'),
    });
  });

  it("marks the last good scrape's series stale when a later scrape fails", async () => {
    let ok = true;
    const addr = await serve((_req, res) => {
      res.writeHead(ok ? 200 : 503);
      res.end("a 1\n");
    });
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr])]);
    sm.start();
    await scrapes(reports, 1);
    ok = false;
    const [r] = await scrapes(reports, 1);
    expect(r!.up).toBe(false);
    const a = store.of("a");
    expect(isStaleNaN(a[a.length - 1]!.v)).toBe(true);
  });

  it("reports an unreachable target as down", async () => {
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("gone", ["127.0.0.1:1"])]);
    sm.start();
    const [r] = await scrapes(reports, 1);
    expect(r!.up).toBe(false);
    expect(r!.error).toMatch(/^Get "http:\/\/127\.0\.0\.1:1\/metrics": /);
  });
});

describe("labels and relabelling", () => {
  it("keeps and drops targets by relabel_configs, lists dropped ones, and renders /api/v1/targets", async () => {
    const a = await serve(text("m 1\n"));
    const b = await serve(text("m 2\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([
      job("j", [a, b], {
        static_configs: [
          { targets: [a], labels: { env: "prod" } },
          { targets: [b], labels: { env: "dev" } },
        ],
        relabel_configs: [
          { source_labels: ["env"], regex: "prod", action: "keep" },
          { source_labels: ["__address__"], target_label: "host", regex: "([^:]+):.*" },
          { target_label: "__param_module", replacement: "x" },
        ],
      }),
    ]);
    sm.start();
    await scrapes(reports, 2);
    expect(new Set(reports.map((r) => r.url))).toEqual(new Set([`http://${a}/metrics?module=x`]));
    expect(store.last(`m{env="prod", host="127.0.0.1", instance="${a}", job="j"}`)?.v).toBe(1);
    const data = renderTargets(sm.targets());
    expect(data.activeTargets).toHaveLength(1);
    expect(data.activeTargets[0]).not.toHaveProperty("state");
    expect(data.droppedTargets).toEqual([
      {
        discoveredLabels: {
          __address__: b,
          __metrics_path__: "/metrics",
          __scheme__: "http",
          __scrape_interval__: "150ms",
          __scrape_timeout__: "140ms",
          env: "dev",
          job: "j",
        },
        scrapePool: "j",
      },
    ]);
    expect(data.droppedTargetCounts).toEqual({ j: 1 });
    expect(renderTargets(sm.targets(), { state: "dropped" }).activeTargets).toEqual([]);
    expect(renderTargets(sm.targets(), { scrapePool: "other" }).droppedTargets).toEqual([]);
  });

  it("applies metric_relabel_configs (drop) and counts post-relabelling samples", async () => {
    const addr = await serve(text("keep_me 1\ndrop_me 2\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([
      job("j", [addr], {
        metric_relabel_configs: [{ source_labels: ["__name__"], regex: "drop_.*", action: "drop" }],
      }),
    ]);
    sm.start();
    const [r] = await scrapes(reports, 1);
    expect(r).toMatchObject({ samplesScraped: 2, samplesPostRelabel: 1 });
    expect(store.of("drop_me")).toEqual([]);
    expect(store.of("keep_me")).toHaveLength(1);
  });

  const honor: Array<[boolean, string]> = [
    // Prometheus's resolution: the scraped job becomes exported_job, which is taken, so exported_exported_job.
    [false, 'm{exported_exported_job="x", exported_job="y", instance="INST", job="j"}'],
    [true, 'm{exported_job="y", instance="INST", job="x"}'],
  ];
  it.each(honor)("honor_labels: %s", async (honorLabels, want) => {
    const addr = await serve(text('m{job="x",exported_job="y"} 1\n'));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr], { honor_labels: honorLabels })]);
    sm.start();
    await scrapes(reports, 1);
    expect(store.of("m").map((s) => s.series)).toEqual([want.replace("INST", addr)]);
  });

  const stamps: Array<[boolean, (t: number) => boolean]> = [
    [true, (t) => t === 1_000_000],
    [false, (t) => t > 1_600_000_000_000],
  ];
  it.each(stamps)("honor_timestamps: %s", async (honorTs, check) => {
    const addr = await serve(text("m 1 1000000\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr], { honor_timestamps: honorTs })]);
    sm.start();
    await scrapes(reports, 1);
    expect(check(store.of("m")[0]!.t)).toBe(true);
  });

  it("counts and skips a duplicate series within one scrape", async () => {
    const addr = await serve(text("m 1\nm 2\nn 3\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const reg = new Registry();
    const sm = manager(store, (r) => reports.push(r), reg);
    sm.applyConfig([job("j", [addr])]);
    sm.start();
    const [r] = await scrapes(reports, 1);
    expect(r!.up).toBe(true);
    expect(store.of("m").map((s) => s.v)).toEqual([1]);
    expect(await reg.metrics()).toMatch(/prometheus_target_scrapes_sample_duplicate_timestamp_total [1-9]/);
  });
});

describe("reload", () => {
  it("keeps surviving loops, stops removed ones with stale markers, starts new ones", async () => {
    const a = await serve(text("ma 1\n"));
    const b = await serve(text("mb 1\n"));
    const c = await serve(text("mc 1\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [a, b])]);
    sm.start();
    await scrapes(reports, 4);
    const aSeriesBefore = store.of("scrape_series_added").filter((s) => s.series.includes(a));
    sm.applyConfig([job("j", [a, c])]);
    await scrapes(reports, 4);
    // b: its series and synthetic series end with a stale marker, and it is no longer scraped.
    const mb = store.of("mb");
    expect(isStaleNaN(mb[mb.length - 1]!.v)).toBe(true);
    expect(isStaleNaN(store.last(`up{instance="${b}", job="j"}`)!.v)).toBe(true);
    const after = reports.slice(-2).map((r) => r.url);
    expect(after).not.toContain(`http://${b}/metrics`);
    // a kept its loop: its series cache survived, so no series were added again.
    const aAdded = store.of("scrape_series_added").filter((s) => s.series.includes(a));
    expect(aAdded.length).toBeGreaterThan(aSeriesBefore.length);
    expect(aAdded.slice(1).every((s) => s.v === 0)).toBe(true);
    expect(store.of("ma").some((s) => isStaleNaN(s.v))).toBe(false);
    // c started.
    expect(store.of("mc").length).toBeGreaterThan(0);
    expect(sm.targets().map((t) => t.scrapeUrl)).toEqual(
      [`http://${a}/metrics`, `http://${c}/metrics`].sort(),
    );
  });

  it("rebuilds the series cache when metric relabelling changes: no false stale markers, real ones when labels change", async () => {
    const addr = await serve(text("m 1\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr])]);
    sm.start();
    await scrapes(reports, 1);
    const dropOther = [{ source_labels: ["__name__"], regex: "other", action: "drop" }];
    sm.applyConfig([job("j", [addr], { metric_relabel_configs: dropOther })]);
    const again = await scrapes(reports, 2);
    expect(again.map((r) => r.seriesAdded)).toEqual([0, 0]);
    expect(store.of("m").some((s) => isStaleNaN(s.v))).toBe(false);
    sm.applyConfig([job("j", [addr], { metric_relabel_configs: [{ target_label: "x", replacement: "1" }] })]);
    await scrapes(reports, 1);
    const plain = store.of("m").filter((s) => !s.series.includes("x="));
    expect(isStaleNaN(plain[plain.length - 1]!.v)).toBe(true);
    expect(
      store
        .of("m")
        .filter((s) => s.series.includes('x="1"'))
        .every((s) => s.v === 1),
    ).toBe(true);
  });

  it("rejects an invalid config as a whole and keeps running the old one", async () => {
    const addr = await serve(text("m 1\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr])]);
    const bad: Array<[ScrapeJob[], RegExp]> = [
      [[job("j", [addr]), job("j", [addr])], /multiple scrape configs with job name "j"/],
      [
        [job("k", [addr], { scrape_timeout: 500 })],
        /scrape timeout 500ms greater than scrape interval 150ms/,
      ],
      [
        [job("k", [addr], { relabel_configs: [{ action: "hashmod", target_label: "x" }] })],
        /relabel rule 0: .*non-zero modulus/,
      ],
    ];
    for (const [jobs, msg] of bad) {
      expect(() => sm.applyConfig(jobs)).toThrow(InvalidScrapeConfigError);
      expect(() => sm.applyConfig(jobs)).toThrow(msg);
    }
    sm.start();
    await scrapes(reports, 1);
    expect(sm.targets().map((t) => t.scrapePool)).toEqual(["j"]);
  });
});

describe("scheduling", () => {
  it("bounds concurrent scrapes", async () => {
    let inFlight = 0;
    let peak = 0;
    const handler: Handler = async (_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      res.end("m 1\n");
    };
    const addrs = await Promise.all([1, 2, 3, 4, 5].map(() => serve(handler)));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = new ScrapeManager({
      appendable: store,
      maxConcurrentScrapes: 2,
      maxStartOffsetMs: 1,
      onScrape: (r) => reports.push(r),
    });
    managers.push(sm);
    sm.applyConfig([job("j", addrs, { scrape_interval: 200, scrape_timeout: 150 })]);
    sm.start();
    await scrapes(reports, 5);
    expect(reports.every((r) => r.up)).toBe(true);
    expect(peak).toBe(2);
  });

  it("scrapes each target first within min(interval, maxStartOffset) and then on its interval", async () => {
    const times: number[] = [];
    const addr = await serve((_req, res) => {
      times.push(Date.now());
      res.end("m 1\n");
    });
    const store = new Recorder();
    const sm = new ScrapeManager({ appendable: store });
    managers.push(sm);
    sm.applyConfig([job("j", [addr], { scrape_interval: 200, scrape_timeout: 150 })]);
    const t0 = Date.now();
    sm.start();
    while (times.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(times[0]! - t0).toBeLessThan(200 + 100);
    const gap = times[2]! - times[1]!;
    expect(gap).toBeGreaterThan(120);
    expect(gap).toBeLessThan(320);
  });

  it("stops without writing stale markers and scrapes no more", async () => {
    const addr = await serve(text("m 1\n"));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr])]);
    sm.start();
    await scrapes(reports, 1);
    await sm.stop();
    const n = store.samples.length;
    await new Promise((r) => setTimeout(r, 250));
    expect(store.samples.length).toBe(n);
    expect(store.samples.some((s) => isStaleNaN(s.v))).toBe(false);
  });
});

describe("samples are keyed by final labels", () => {
  it("uses the cache across scrapes (same label objects)", async () => {
    const addr = await serve(text('m{a="1"} 1\n'));
    const store = new Recorder();
    const reports: ScrapeReport[] = [];
    const sm = manager(store, (r) => reports.push(r));
    sm.applyConfig([job("j", [addr])]);
    sm.start();
    await scrapes(reports, 2);
    const ms = store.of("m");
    expect(ms.length).toBeGreaterThanOrEqual(2);
    expect(ms[0]!.labels).toBe(ms[1]!.labels);
    expect(labelsKey(ms[0]!.labels)).toBe(
      labelsKey(labelsFromRecord({ __name__: "m", a: "1", instance: addr, job: "j" })),
    );
  });
});
