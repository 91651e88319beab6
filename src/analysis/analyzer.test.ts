import { describe, expect, test } from "vitest";
import { labelsGet } from "../model/index.js";
import {
  CHECKS,
  groupRecommendations,
  PerformanceAnalyzer,
  performanceScore,
  severityFor,
} from "./analyzer.js";
import { performanceConfigSchema } from "./config.js";
import { counter, gauge, headWith, type SeriesSpec } from "./testdata/fixture.js";

const T1 = 1_700_000_000_000;
const T0 = T1 - 3600_000;

describe("scoring", () => {
  test.each([
    [[], 100],
    [["INFO"], 98],
    [["WARNING", "INFO"], 88],
    [["CRITICAL", "WARNING"], 70],
    [["CRITICAL", "CRITICAL", "CRITICAL", "CRITICAL", "CRITICAL", "CRITICAL"], 0],
  ] as const)("%j → %i", (sevs, want) => {
    expect(performanceScore(sevs.map((severity) => ({ severity })))).toBe(want);
  });
  test.each([
    [0.05, undefined],
    [0.2, "INFO"],
    [0.7, "WARNING"],
    [1.5, "CRITICAL"],
    [Number.NaN, undefined],
  ])("p95 %f s → %s", (v, want) => {
    expect(severityFor(v, { info: 0.1, warning: 0.5, critical: 1 })?.severity).toBe(want);
  });
  test("recommendations are grouped by type, most severe first", () => {
    const f = (type: string, severity: "INFO" | "WARNING" | "CRITICAL", instance: string) => ({
      type,
      area: "cpu" as const,
      severity,
      description: "",
      value: 1,
      unit: "%",
      threshold: 0,
      where: { instance },
      impact: "",
      recommendation: `fix ${type}`,
    });
    const r = groupRecommendations([f("A", "WARNING", "x"), f("B", "INFO", "x"), f("A", "CRITICAL", "y")]);
    expect(r.map((x) => [x.type, x.severity, x.count, x.where.map((w) => w.instance)])).toEqual([
      ["A", "CRITICAL", 2, ["x", "y"]],
      ["B", "INFO", 1, ["x"]],
    ]);
  });
  test("every check has a configured level", () => {
    const cfg = performanceConfigSchema.parse({});
    for (const c of CHECKS) expect(Object.keys(c.levels(cfg)).length).toBeGreaterThan(0);
  });
});

const S = (rec: Record<string, string>) => rec;
/** Crafted hosts and services; comments give the value each check should measure. */
const specs: SeriesSpec[] = [
  // cpu: a 90 % user on 1 core; b 50 % user on 2 cores with load5 1.8 (0.9 per core)
  counter(S({ __name__: "node_cpu_seconds_total", instance: "a", cpu: "0", mode: "user" }), 0.9, T0),
  counter(S({ __name__: "node_cpu_seconds_total", instance: "a", cpu: "0", mode: "idle" }), 0.1, T0),
  counter(S({ __name__: "node_cpu_seconds_total", instance: "b", cpu: "0", mode: "user" }), 0.5, T0),
  counter(S({ __name__: "node_cpu_seconds_total", instance: "b", cpu: "0", mode: "idle" }), 0.5, T0),
  counter(S({ __name__: "node_cpu_seconds_total", instance: "b", cpu: "1", mode: "user" }), 0.5, T0),
  counter(S({ __name__: "node_cpu_seconds_total", instance: "b", cpu: "1", mode: "idle" }), 0.5, T0),
  gauge(S({ __name__: "node_load5", instance: "a" }), 0.5),
  gauge(S({ __name__: "node_load5", instance: "b" }), 1.8),
  // memory: a 97 % used, b 50 %
  gauge(S({ __name__: "node_memory_MemTotal_bytes", instance: "a" }), 100),
  gauge(S({ __name__: "node_memory_MemAvailable_bytes", instance: "a" }), 3),
  gauge(S({ __name__: "node_memory_MemTotal_bytes", instance: "b" }), 100),
  gauge(S({ __name__: "node_memory_MemAvailable_bytes", instance: "b" }), 50),
  // disk: a:/ 90 % full; tmpfs ignored
  gauge(
    S({
      __name__: "node_filesystem_avail_bytes",
      instance: "a",
      mountpoint: "/",
      fstype: "ext4",
      device: "sda1",
    }),
    10,
  ),
  gauge(
    S({
      __name__: "node_filesystem_size_bytes",
      instance: "a",
      mountpoint: "/",
      fstype: "ext4",
      device: "sda1",
    }),
    100,
  ),
  gauge(
    S({
      __name__: "node_filesystem_avail_bytes",
      instance: "a",
      mountpoint: "/run",
      fstype: "tmpfs",
      device: "tmpfs",
    }),
    1,
  ),
  gauge(
    S({
      __name__: "node_filesystem_size_bytes",
      instance: "a",
      mountpoint: "/run",
      fstype: "tmpfs",
      device: "tmpfs",
    }),
    100,
  ),
  // network: a eth0 0.2 % errors, no drops
  counter(S({ __name__: "node_network_receive_packets_total", instance: "a", device: "eth0" }), 500, T0),
  counter(S({ __name__: "node_network_transmit_packets_total", instance: "a", device: "eth0" }), 500, T0),
  counter(S({ __name__: "node_network_receive_errs_total", instance: "a", device: "eth0" }), 2, T0),
  counter(S({ __name__: "node_network_transmit_errs_total", instance: "a", device: "eth0" }), 0, T0),
  counter(S({ __name__: "node_network_receive_drop_total", instance: "a", device: "eth0" }), 0, T0),
  counter(S({ __name__: "node_network_transmit_drop_total", instance: "a", device: "eth0" }), 0, T0),
  // a eth0 receives at 80 % of its 1000 B/s link and sends at 10 % (both directions present)
  counter(S({ __name__: "node_network_receive_bytes_total", instance: "a", device: "eth0" }), 800, T0),
  counter(S({ __name__: "node_network_transmit_bytes_total", instance: "a", device: "eth0" }), 100, T0),
  gauge(S({ __name__: "node_network_speed_bytes", instance: "a", device: "eth0" }), 1000),
  // http on a: 3 % 5xx, p95 = 0.5 + (95 − 80)/(100 − 80)·0.5 = 0.875 s
  counter(
    S({ __name__: "relay_http_requests_total", instance: "a", endpoint: "/x", method: "GET", status: "200" }),
    97,
    T0,
  ),
  counter(
    S({ __name__: "relay_http_requests_total", instance: "a", endpoint: "/x", method: "GET", status: "500" }),
    3,
    T0,
  ),
  counter(S({ __name__: "relay_http_request_duration_seconds_bucket", instance: "a", le: "0.5" }), 80, T0),
  counter(S({ __name__: "relay_http_request_duration_seconds_bucket", instance: "a", le: "1" }), 100, T0),
  counter(S({ __name__: "relay_http_request_duration_seconds_bucket", instance: "a", le: "+Inf" }), 100, T0),
  // database db: a 6 s query; 90 of 100 connections
  gauge(S({ __name__: "pg_stat_activity_max_tx_duration", instance: "db", state: "active" }), 6),
  gauge(S({ __name__: "pg_stat_activity_count", instance: "db", state: "active" }), 50),
  gauge(S({ __name__: "pg_stat_activity_count", instance: "db", state: "idle" }), 40),
  gauge(S({ __name__: "pg_settings_max_connections", instance: "db" }), 100),
  // p2p on a: 10 peers, 10 disconnections per hour → churn 1 per hour
  gauge(S({ __name__: "relay_p2p_peers", instance: "a", direction: "inbound", state: "active" }), 10),
  counter(S({ __name__: "relay_p2p_peer_churn_total", instance: "a", event: "disconnected" }), 10 / 3600, T0),
  counter(S({ __name__: "relay_p2p_peer_churn_total", instance: "a", event: "connected" }), 10 / 3600, T0),
  // consensus on a: 12 s rounds, one a minute; 20 % failures
  counter(S({ __name__: "relay_consensus_round_duration_seconds_sum", instance: "a" }), 12 / 60, T0),
  counter(S({ __name__: "relay_consensus_round_duration_seconds_count", instance: "a" }), 1 / 60, T0),
  counter(S({ __name__: "relay_consensus_rounds_total", instance: "a", result: "success" }), 0.8 / 60, T0),
  counter(S({ __name__: "relay_consensus_rounds_total", instance: "a", result: "failure" }), 0.2 / 60, T0),
  // community: coffee falls from 80 to 40 (−50 %), books steady
  {
    labels: S({ __name__: "relay_community_health_score", channel: "coffee" }),
    value: (t) => (t < T0 + 1800_000 ? 80 : 40),
  },
  gauge(S({ __name__: "relay_community_health_score", channel: "books" }), 70),
];

describe("analyzer findings on crafted series", () => {
  test("exactly the expected findings, with values and places", async () => {
    const { source } = await headWith(specs, T0 - 600_000, T1, 15_000);
    const pa = new PerformanceAnalyzer({ source, now: () => T1 });
    const r = await pa.analyze(T0, T1);
    expect(r.errors).toEqual([]);
    const got = r.findings.map((f) => [f.severity, f.type, f.where]);
    expect(got).toEqual([
      ["CRITICAL", "COMMUNITY_HEALTH_DROP", { channel: "coffee" }],
      ["CRITICAL", "HIGH_CONSENSUS_FAILURE_RATE", { instance: "a" }],
      ["CRITICAL", "HIGH_MEMORY_USAGE", { instance: "a" }],
      ["CRITICAL", "HIGH_PEER_CHURN", { instance: "a" }],
      ["CRITICAL", "SLOW_QUERIES", { instance: "db" }],
      ["WARNING", "DB_CONNECTION_SATURATION", { instance: "db" }],
      ["WARNING", "DISK_SPACE_LOW", { instance: "a", device: "sda1", mountpoint: "/" }],
      ["WARNING", "HIGH_CPU_USAGE", { instance: "a" }],
      ["WARNING", "HIGH_ERROR_RATE", { instance: "a" }],
      ["WARNING", "HIGH_LATENCY", { instance: "a" }],
      ["WARNING", "HIGH_LOAD_AVERAGE", { instance: "b" }],
      ["WARNING", "NETWORK_ERRORS", { instance: "a", device: "eth0" }],
      ["WARNING", "NETWORK_SATURATION", { instance: "a", device: "eth0" }],
      ["WARNING", "SLOW_CONSENSUS", { instance: "a" }],
    ]);
    const value = (type: string) => r.findings.find((f) => f.type === type)!.value;
    expect(value("HIGH_CPU_USAGE")).toBeCloseTo(90, 1);
    expect(value("HIGH_LOAD_AVERAGE")).toBeCloseTo(0.9, 6);
    expect(value("HIGH_MEMORY_USAGE")).toBeCloseTo(97, 6);
    expect(value("DISK_SPACE_LOW")).toBeCloseTo(90, 6);
    expect(value("NETWORK_ERRORS")).toBeCloseTo(0.2, 3);
    expect(value("NETWORK_SATURATION")).toBeCloseTo(80, 3);
    expect(value("HIGH_ERROR_RATE")).toBeCloseTo(3, 3);
    expect(value("HIGH_LATENCY")).toBeCloseTo(0.875, 3);
    expect(value("SLOW_QUERIES")).toBe(6);
    expect(value("DB_CONNECTION_SATURATION")).toBeCloseTo(90, 6);
    expect(value("HIGH_PEER_CHURN")).toBeCloseTo(1, 1);
    expect(value("SLOW_CONSENSUS")).toBeCloseTo(12, 3);
    expect(value("HIGH_CONSENSUS_FAILURE_RATE")).toBeCloseTo(20, 3);
    expect(value("COMMUNITY_HEALTH_DROP")).toBeCloseTo(50, 6);
    expect(r.findings.find((f) => f.type === "HIGH_CPU_USAGE")!.description).toBe(
      "CPU user time averaged 90 % (a), above the warning level of 80 %",
    );
    expect(r.score).toBe(0);
    expect(r.recommendations).toHaveLength(14);
  });

  test("thresholds come from config", async () => {
    const { source } = await headWith(specs.slice(0, 8), T0 - 600_000, T1, 15_000);
    const config = performanceConfigSchema.parse({
      cpu_user_percent: { warning: 95 },
      load5_per_core: { info: 0.5, warning: 1 },
    });
    const r = await new PerformanceAnalyzer({ source, config }).analyze(T0, T1);
    expect(r.findings.map((f) => [f.type, f.severity, f.where.instance])).toEqual([
      ["HIGH_LOAD_AVERAGE", "INFO", "b"],
    ]);
    expect(r.score).toBe(98);
  });

  test("a failing check is reported and the others still run", async () => {
    const { source } = await headWith(specs.slice(6, 8), T0 - 600_000, T1, 15_000);
    const broken = {
      ...source,
      instant: (expr: string, t: number) =>
        expr.includes("node_load5") ? Promise.reject(new Error("boom")) : source.instant(expr, t),
    };
    const r = await new PerformanceAnalyzer({ source: broken }).analyze(T0, T1);
    expect(r.errors).toEqual([{ type: "HIGH_LOAD_AVERAGE", error: "boom" }]);
    expect(r.score).toBe(100);
  });

  test("the periodic run stores the score as relay_performance_score", async () => {
    const { head, source } = await headWith(specs.slice(0, 8), T0 - 600_000, T1, 15_000);
    const pa = new PerformanceAnalyzer({ source, appendable: head, now: () => T1 + 1000 });
    pa.applyConfig(performanceConfigSchema.parse({ interval: "1h" }));
    pa.start();
    await expect.poll(() => pa.latest()?.score, { timeout: 5000 }).toBe(80);
    await pa.stop();
    const got = await source.instant("relay_performance_score", T1 + 1000);
    expect(got.map((s) => [labelsGet(s.labels, "__name__"), s.v])).toEqual([["relay_performance_score", 80]]);
  });

  test("with nothing measured the periodic run writes no score (an empty store stays empty)", async () => {
    const { head, source } = await headWith([], T0, T1, 60_000);
    const pa = new PerformanceAnalyzer({ source, appendable: head, now: () => T1 + 1000 });
    pa.applyConfig(performanceConfigSchema.parse({ interval: "1h" }));
    pa.start();
    await expect.poll(() => pa.latest()?.measured, { timeout: 5000 }).toBe(0);
    await pa.stop();
    expect(head.numSeries).toBe(0);
  });

  test("rejects an empty range", async () => {
    const { source } = await headWith([], T0, T1, 60_000);
    await expect(new PerformanceAnalyzer({ source }).analyze(T1, T1)).rejects.toThrow(/to > from/);
  });
});
