import { describe, expect, test } from "vitest";
import { labelsToRecord } from "../model/index.js";
import { anomalyConfigSchema } from "./config.js";
import { AnomalyDetector } from "./detector.js";
import { headWith, noiseAt, type SeriesSpec } from "./testdata/fixture.js";

const DAY = 86_400_000;
const STEP = 300_000;
const NOW = 1_700_006_400_000;
const START = NOW - 22 * DAY;

/** Daily-seasonal latency around 200 ms (σ 5 ms), with faults [start, end) adding `size`. */
function latency(instance: string, seed: number, faults: [number, number, number][]): SeriesSpec {
  const noise = noiseAt(seed);
  return {
    labels: { __name__: "app_latency_seconds", instance },
    value: (t) => {
      let v = 0.2 + 0.05 * Math.sin((2 * Math.PI * (t % DAY)) / DAY) + 0.005 * noise(t);
      for (const [a, b, size] of faults) if (t >= a && t < b) v += size;
      return v;
    },
  };
}

const FAULTS: [number, number, number][] = [
  [NOW - 2 * DAY, NOW - 2 * DAY + 30 * 60_000, 0.05],
  [NOW - DAY + 3600_000, NOW - DAY + 3600_000 + 20 * 60_000, -0.04],
  [NOW - 6 * 3600_000, NOW - 6 * 3600_000 + 45 * 60_000, 0.1],
];

const config = anomalyConfigSchema.parse({
  series: [{ name: "latency", expr: "app_latency_seconds", min_scale: 0.001 }],
});

describe("anomaly detector over PromQL", () => {
  test("finds the injected faults with their band, and a clean series stays quiet", async () => {
    const { source } = await headWith([latency("a", 1, FAULTS), latency("b", 2, [])], START, NOW, STEP);
    const d = new AnomalyDetector({ source, config, now: () => NOW });
    const r = await d.detect({ from: NOW - 3 * DAY, to: NOW });
    expect(r.skipped).toEqual([]);
    expect(r.anomalies.map((a) => [a.series, a.labels.instance])).toEqual([
      ["latency", "a"],
      ["latency", "a"],
      ["latency", "a"],
    ]);
    for (const [i, [a, b, size]] of FAULTS.entries()) {
      const got = r.anomalies[i]!;
      expect(got.start).toBeGreaterThanOrEqual(a);
      expect(got.end).toBeLessThan(b);
      expect(Math.sign(got.score)).toBe(Math.sign(size));
      expect(Math.abs(got.score)).toBeGreaterThanOrEqual(4);
      expect(got.peak.value < got.expected.lower || got.peak.value > got.expected.upper).toBe(true);
      expect(got.baselinePeriodMs).toBe(DAY);
    }
    expect(r.current.map((c) => c.labels.instance).sort()).toEqual(["a", "b"]);
    expect(r.current.every((c) => c.t === NOW)).toBe(true);
  });

  test("the periodic run publishes relay_anomaly_score with the series' labels", async () => {
    const { head, source } = await headWith(
      [latency("a", 3, [[NOW - 15 * 60_000, NOW + 1, 0.1]])],
      START,
      NOW,
      STEP,
    );
    const d = new AnomalyDetector({ source, appendable: head, config, now: () => NOW });
    d.start();
    await expect.poll(() => d.latest(), { timeout: 10_000 }).not.toBeNull();
    await d.stop();
    const got = await source.instant("relay_anomaly_score", NOW);
    expect(got.map((s) => labelsToRecord(s.labels))).toEqual([
      { __name__: "relay_anomaly_score", instance: "a", series: "latency" },
    ]);
    expect(got[0]!.v).toBeGreaterThan(4);
    const alert = await source.instant('abs(relay_anomaly_score{series="latency"}) > 4', NOW);
    expect(alert).toHaveLength(1);
  });

  test("a failing query is skipped with its reason", async () => {
    const { source } = await headWith([], START, NOW, STEP);
    const bad = anomalyConfigSchema.parse({ series: [{ name: "broken", expr: "rate(x[5m]" }] });
    const r = await new AnomalyDetector({ source, config: bad }).detect({ from: NOW - DAY, to: NOW });
    expect(r.skipped).toHaveLength(1);
    expect(r.skipped[0]!.series).toBe("broken");
  });

  test("default watched series are the brief's six and the Relay fault signals", () => {
    expect(anomalyConfigSchema.parse({}).series.map((s) => s.name)).toEqual([
      "request_rate",
      "error_ratio",
      "p95_latency",
      "consensus_duration",
      "message_volume",
      "health_score",
      "propagation_p95",
      "consensus_participants",
      "moderation_rate",
      "db_max_tx_duration",
    ]);
  });

  test.each([
    ["up", [["latency", "a"]], 1],
    ["down", [["latency", "a"]], -1],
    [
      "both",
      [
        ["latency", "a"],
        ["latency", "a"],
      ],
      0,
    ],
  ] as const)("direction %s keeps only departures that way", async (direction, want, sign) => {
    const faults: [number, number, number][] = [
      [NOW - 2 * DAY, NOW - 2 * DAY + 30 * 60_000, 0.05],
      [NOW - DAY, NOW - DAY + 30 * 60_000, -0.05],
    ];
    const { source } = await headWith([latency("a", 4, faults)], START, NOW, STEP);
    const cfg = anomalyConfigSchema.parse({
      series: [{ name: "latency", expr: "app_latency_seconds", min_scale: 0.001, direction }],
    });
    const r = await new AnomalyDetector({ source, config: cfg }).detect({ from: NOW - 3 * DAY, to: NOW });
    expect(r.anomalies.map((a) => [a.series, a.labels.instance])).toEqual(want);
    if (sign !== 0) expect(r.anomalies.every((a) => Math.sign(a.score) === sign)).toBe(true);
  });
});
