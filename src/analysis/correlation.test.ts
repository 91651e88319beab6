import { describe, expect, test } from "vitest";
import { correlationConfigSchema } from "./config.js";
import { CorrelationEngine } from "./correlation.js";
import { gaussian, seededRandom } from "./synthetic.js";
import { headWith, noiseAt, type SeriesSpec } from "./testdata/fixture.js";

const H = 3600_000;
const STEP = 15 * 60_000;
const NOW = 1_700_006_400_000;
const FROM = NOW - 7 * 24 * H;

/** A random walk sampled every STEP (latency-like), fixed by seed. */
function walk(seed: number): (t: number) => number {
  const r = seededRandom(seed);
  const values = new Map<number, number>();
  let v = 0;
  for (let t = FROM - 24 * H; t <= NOW; t += STEP) {
    v += gaussian(r);
    values.set(t, v);
  }
  return (t) => values.get(Math.floor(t / STEP) * STEP) ?? 0;
}

const latency = walk(1);
const noise = noiseAt(5);
const LAG = 2 * H;
const specs: SeriesSpec[] = [
  { labels: { __name__: "app_latency_seconds", instance: "a" }, value: (t) => 0.3 + 0.01 * latency(t) },
  { labels: { __name__: "app_cpu_percent", instance: "a" }, value: walk(2) },
  // engagement falls two hours after latency rises
  {
    labels: {
      __name__: "relay_community_health_component_ratio",
      component: "engagement",
      channel: "coffee",
    },
    value: (t) => 0.5 - 0.02 * latency(t - LAG) + 0.005 * noise(Math.floor(t / STEP)),
  },
];

const config = correlationConfigSchema.parse({
  step: "15m",
  window: "7d",
  max_lag: "6h",
  technical: [
    { name: "cpu", expr: "app_cpu_percent" },
    { name: "latency", expr: "app_latency_seconds" },
    { name: "missing", expr: "nothing_here" },
  ],
});

describe("correlation engine over PromQL", () => {
  test("a pair correlated with a known lag: that lag is found", async () => {
    const { source } = await headWith(specs, FROM - 24 * H, NOW, 60_000);
    const ce = new CorrelationEngine({ source, config, now: () => NOW });
    const r = await ce.correlate({
      technical: "app_latency_seconds",
      community: 'relay_community_health_component_ratio{component="engagement"}',
    });
    expect(r.skipped).toEqual([]);
    expect(r.pairs).toHaveLength(1);
    const p = r.pairs[0]!;
    expect(p.bestLagMs).toBe(LAG);
    expect(p.pearson).toBeLessThan(-0.8);
    expect(p.spearman).toBeLessThan(-0.7);
    expect(p.confidence).toBeGreaterThan(0.999);
    expect(p.technical).toEqual({ expr: "app_latency_seconds", labels: { instance: "a" } });
    expect(p.community.labels).toEqual({ channel: "coffee", component: "engagement" });
    expect(p.lags).toHaveLength(2 * 24 + 1);
    expect(r.range).toEqual({ from: FROM, to: NOW, step: STEP });
  });

  test("ranking puts the technical series that drives engagement first", async () => {
    const { source } = await headWith(specs, FROM - 24 * H, NOW, 60_000);
    const r = await new CorrelationEngine({ source, config, now: () => NOW }).rank();
    expect(r.ranking.map((e) => e.name)).toEqual(["latency", "cpu"]);
    expect(r.ranking[0]!.bestLagMs).toBe(LAG);
    expect(r.ranking[1]!.confidence).toBeLessThan(0.95);
    expect(r.skipped).toEqual([{ name: "missing", reason: "no data" }]);
    expect(r.community.labels).toEqual({ channel: "coffee", component: "engagement" });
  });

  test("bad ranges are clear errors", async () => {
    const { source } = await headWith([], FROM, NOW, 60_000);
    const ce = new CorrelationEngine({ source, config });
    await expect(ce.correlate({ technical: "a", community: "b", from: NOW, to: NOW - H })).rejects.toThrow(
      /to > from/,
    );
    await expect(ce.rank({ to: NOW })).rejects.toThrow(/community expression returned no series/);
  });
});
