import { describe, expect, test } from "vitest";
import { CapacityPlanner, capacityRecommendations, findBreaches } from "./capacity.js";
import { capacityConfigSchema } from "./config.js";
import { gauge, headWith, noiseAt, type SeriesSpec } from "./testdata/fixture.js";

const DAY = 86_400_000;
const NOW = 1_700_006_400_000; // a whole hour
const FROM = NOW - 28 * DAY;

/** Memory of `instance` used `usage(t)` percent (MemTotal 1000). */
function memory(instance: string, usage: (t: number) => number): SeriesSpec[] {
  return [
    gauge({ __name__: "node_memory_MemTotal_bytes", instance }, 1000),
    { labels: { __name__: "node_memory_MemAvailable_bytes", instance }, value: (t) => 1000 - 10 * usage(t) },
  ];
}

describe("breaches and recommendations", () => {
  test("findBreaches merges consecutive points", () => {
    expect(findBreaches([1, 2, 3, 4, 5], [10, 90, 95, 10, 81], 80)).toEqual([
      { start: 2, end: 3, peak: 95 },
      { start: 5, end: 5, peak: 81 },
    ]);
  });
  test.each([
    [0.125, 50, ["SCALE_UP"], 13],
    [0, 20, ["SCALE_DOWN"], undefined],
    [0, 50, [], undefined],
  ])("shortfall %f, average %f", (shortfall, avg, types, pct) => {
    const r = capacityRecommendations(shortfall, avg, null, 30);
    expect(r.map((x) => x.type)).toEqual(types);
    expect(r[0]?.increasePercent).toBe(pct);
  });
});

describe("capacity planner on crafted history", () => {
  test("linear growth: breach date within 5 %, SCALE_UP sized to the peak", async () => {
    const n = noiseAt(1);
    // 40 % growing 1 %/day: 68 % now, 80 % twelve days from now
    const usage = (t: number) => 40 + (t - FROM) / DAY + 0.3 * n(t);
    const { source } = await headWith(memory("a", usage), FROM, NOW, 300_000);
    const planner = new CapacityPlanner({ source, now: () => NOW });
    const r = await planner.plan({ resources: ["memory"] });
    expect(r.skipped).toEqual([]);
    const m = r.resources[0]!;
    expect(m.labels).toEqual({ instance: "a" });
    expect(m.forecast.model).toBe("linear");
    expect(m.current).toBeCloseTo(68, 0);
    expect(m.threshold).toBe(80);
    const truth = 12 * DAY;
    expect(Math.abs(m.timeToFirstBreachMs! - truth) / truth).toBeLessThan(0.05);
    expect(m.peak).toBeCloseTo(82, 0);
    expect(m.shortfall).toBeCloseTo(2 / 80, 2);
    expect(m.recommendations.map((x) => [x.type, x.increasePercent])).toEqual([["SCALE_UP", 3]]);
    expect(m.accuracy.mape).toBeLessThan(2);
    expect(m.accuracy.heldOut).toBeGreaterThan(0);
    expect(m.forecast.points).toHaveLength(14 * 24);
    expect(m.forecast.timestamps[0]).toBe(NOW + 3600_000);
    expect(m.breaches).toHaveLength(1);
  });

  test("daily seasonality: Holt–Winters chosen, no breach, interval reported", async () => {
    const n = noiseAt(2);
    const usage = (t: number) => 50 + 15 * Math.sin((2 * Math.PI * (t % DAY)) / DAY) + n(t);
    const { source } = await headWith(memory("b", usage), FROM, NOW, 300_000);
    const r = await new CapacityPlanner({ source, now: () => NOW }).plan({ resources: ["memory"] });
    const m = r.resources[0]!;
    expect(m.forecast.model).toBe("holt-winters");
    expect(m.peak).toBeGreaterThan(60);
    expect(m.peak).toBeLessThan(70);
    expect(m.breaches).toEqual([]);
    expect(m.timeToFirstBreachMs).toBeNull();
    expect(m.recommendations).toEqual([]);
    for (let i = 0; i < m.forecast.points.length; i++) {
      expect(m.forecast.lower[i]).toBeLessThan(m.forecast.points[i]!);
      expect(m.forecast.upper[i]).toBeGreaterThan(m.forecast.points[i]!);
    }
  });

  test("low utilisation recommends SCALE_DOWN; thresholds are configurable", async () => {
    const { source } = await headWith(
      memory("c", () => 20),
      FROM,
      NOW,
      300_000,
    );
    const config = capacityConfigSchema.parse({ thresholds: { memory: 15 }, history: "7d", horizon: "1d" });
    const r = await new CapacityPlanner({ source, config, now: () => NOW }).plan({ resources: ["memory"] });
    const m = r.resources[0]!;
    expect(m.threshold).toBe(15);
    expect(m.timeToFirstBreachMs).toBe(0);
    expect(m.recommendations.map((x) => x.type)).toEqual(["SCALE_UP", "SCALE_DOWN"]);
    expect(r.history).toEqual({ from: NOW - 7 * DAY, to: NOW, step: 3600_000 });
  });

  test("too little history is skipped with a reason", async () => {
    const { source } = await headWith(
      memory("d", () => 50),
      NOW - 2 * 3600_000,
      NOW,
      300_000,
    );
    const r = await new CapacityPlanner({ source, now: () => NOW }).plan({ resources: ["memory"] });
    expect(r.resources).toEqual([]);
    expect(r.skipped).toEqual([
      { resource: "memory", labels: { instance: "d" }, reason: "forecasting needs at least 4 points, got 3" },
    ]);
  });
});
