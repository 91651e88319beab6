import { describe, expect, test } from "vitest";
import type { PerformanceReport } from "./analyzer.js";
import type { CapacityReport } from "./capacity.js";
import { forecastSvg, renderReport } from "./report.js";

const from = Date.UTC(2024, 0, 1);
const to = from + 3600_000;
const performance: PerformanceReport = {
  timestamp: to,
  timeRange: { from, to },
  findings: [
    {
      type: "HIGH_CPU_USAGE",
      area: "cpu",
      severity: "WARNING",
      description: "CPU user time averaged 90 % (a|b), above the warning level of 80 %",
      value: 90,
      unit: "%",
      threshold: 80,
      where: { instance: "a|b" },
      impact: "slow",
      recommendation: "Scale <up>",
    },
  ],
  recommendations: [],
  score: 90,
  errors: [],
};
const capacity: CapacityReport = {
  timestamp: to,
  history: { from, to, step: 3600_000 },
  horizonMs: 2 * 86_400_000,
  resources: [
    {
      resource: "memory",
      labels: { instance: "a" },
      current: 70,
      peak: 82,
      average: 76,
      forecast: {
        model: "linear",
        periods: [],
        timestamps: [1, 2, 3],
        points: [70, 76, 82],
        lower: [69, 74, 79],
        upper: [71, 78, 85],
      },
      accuracy: { mape: 1.5, smape: 1.5, heldOut: 24 },
      threshold: 80,
      breaches: [{ start: 3, end: 3, peak: 82 }],
      timeToFirstBreachMs: 36 * 3600_000,
      breachPossible: true,
      shortfall: 0.025,
      recommendations: [
        {
          type: "SCALE_UP",
          priority: "HIGH",
          increasePercent: 3,
          description: "Increase capacity by 3% to handle projected load",
          timeline: "x",
        },
      ],
    },
  ],
  skipped: [],
};

describe("renderReport", () => {
  test("HTML is self-contained, escaped, with an inline SVG per forecast", () => {
    const html = renderReport({ from, to, format: "html", performance, capacity });
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).not.toMatch(/<(script|link|img)\b|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain("Scale &lt;up&gt;");
    expect(html).toContain("Performance (score 90/100)");
    expect(html.match(/<svg /g)).toHaveLength(1);
    expect(html).toContain("1.5 d");
  });
  test("Markdown tables escape pipes", () => {
    const md = renderReport({ from, to, format: "md", performance });
    expect(md).toContain("# Relay Monitor report 2024-01-01T00:00:00Z – 2024-01-01T01:00:00Z");
    expect(md).toContain(
      "| WARNING | HIGH_CPU_USAGE | CPU user time averaged 90 % (a\\|b), above the warning level of 80 % | Scale <up> |",
    );
  });
  test("JSON carries the inputs unchanged", () => {
    const parsed = JSON.parse(renderReport({ from, to, format: "json", capacity }));
    expect(parsed.capacity.resources[0].forecast.points).toEqual([70, 76, 82]);
    expect(parsed.format).toBeUndefined();
  });
  test("forecastSvg draws band, line and threshold; nothing for fewer than two points", () => {
    const svg = forecastSvg([1, 2], [0, 1], [2, 3], 2.5);
    expect(svg).toContain("<polygon");
    expect(svg).toContain("<polyline");
    expect(svg).toContain('stroke-dasharray="4 3"');
    expect(forecastSvg([1], [1], [1], 1)).toBe("");
  });
});
