import { describe, expect, test } from "vitest";
import type { PerformanceReport } from "./analyzer.js";
import type { CapacityReport } from "./capacity.js";
import type { RankingReport } from "./correlation.js";
import type { AnomalyReport } from "./detector.js";
import { anomalySvg, correlationSvg, forecastSvg, renderReport, scoreSvg } from "./report.js";

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
  measured: 16,
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

const anomalies: AnomalyReport = {
  timestamp: to,
  range: { from, to, step: 300_000 },
  anomalies: [
    {
      series: "p95_latency",
      labels: { instance: "a" },
      start: from + 600_000,
      end: from + 1200_000,
      peak: { t: from + 900_000, value: 0.9, score: 12 },
      expected: { median: 0.1, lower: 0.05, upper: 0.15 },
      score: 12,
      baselinePeriodMs: 86_400_000,
    },
  ],
  current: [],
  skipped: [],
};
const correlations: RankingReport = {
  community: { expr: "relay_community_engagement_ratio", labels: {} },
  range: { from, to, step: 900_000 },
  maxLagMs: 3600_000,
  ranking: [
    {
      name: "p95_latency",
      technical: { expr: "x", labels: {} },
      pearson: -0.62,
      spearman: -0.5,
      bestLagMs: 900_000,
      pValue: 0.001,
      confidence: 0.999,
      n: 100,
      strength: 0.62,
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
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain("1.5 d");
  });
  test("HTML has a chart for the score, each forecast, the anomaly timeline and the correlations", () => {
    const html = renderReport({ from, to, format: "html", performance, capacity, anomalies, correlations });
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain('aria-label="score 90"');
    expect(html).toContain('class="breach"');
    expect(html).toContain('class="episode"');
    expect(html).toContain("15 min");
  });
  test("values JSON turned into null (NaN) show as a dash instead of failing", () => {
    const broken = structuredClone(capacity);
    const res = broken.resources[0]!;
    (res.accuracy as { mape: number | null }).mape = null;
    (res as { current: number | null }).current = null;
    const md = renderReport({ from, to, format: "md", capacity: broken });
    expect(md).toContain("| memory | instance=a | — | 82 | 80 |");
    expect(md).toContain("linear (— %)");
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
  test.each([
    [
      "breach line at the first breach",
      forecastSvg([1, 2, 3], [1, 2, 3], [1, 2, 3], 2.5, { timestamps: [0, 10, 20], breachAt: 20 }),
      'x1="360.0"',
    ],
    ["score gauge colour for a low score", scoreSvg(30), "#d73027"],
    ["score gauge colour for a good score", scoreSvg(95), "#1a9850"],
    [
      "anomaly bar spans start to end plus a step",
      anomalySvg([{ series: "s", start: 0, end: 50, score: 5 }], 0, 100, 10),
      'x="150.0" y="3" width="312.0"',
    ],
    [
      "negative correlation bar to the left",
      correlationSvg([{ name: "x", pearson: -0.5 }]),
      'x="245.0" y="3" width="75.0"',
    ],
  ])("%s", (_name, svg, want) => {
    expect(svg).toContain(want);
  });
  test("charts of nothing are empty", () => {
    expect(anomalySvg([], 0, 1)).toBe("");
    expect(correlationSvg([])).toBe("");
  });
});
