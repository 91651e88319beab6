import { expect, test } from "vitest";
import { normalizeColor, SERIES_COLORS, seriesColor, thresholdColor } from "./palette.js";

const steps = [
  { value: null, color: "ok" },
  { value: 0.1, color: "warning" },
  { value: 0.5, color: "critical" },
];

test.each([
  [0.05, "#009E73"],
  [0.1, "#E69F00"],
  [0.3, "#E69F00"],
  [0.5, "#D55E00"],
  [9, "#D55E00"],
])("thresholdColor(p95 latency %d s) = %s", (v, want) => {
  expect(thresholdColor(steps, v)).toBe(want);
});

test("no thresholds, or NaN, has no colour", () => {
  expect(thresholdColor(undefined, 1)).toBeUndefined();
  expect(thresholdColor(steps, Number.NaN)).toBeUndefined();
});

test.each([
  ["green", "ok"],
  ["dark-red", "critical"],
  ["#EAB839", "#EAB839"],
  ["warning", "warning"],
])("normalizeColor(%s) = %s", (c, want) => {
  expect(normalizeColor(c)).toBe(want);
});

test("series colours cycle through the eight Okabe–Ito colours", () => {
  expect(new Set(SERIES_COLORS).size).toBe(8);
  expect(seriesColor(8)).toBe(seriesColor(0));
});
