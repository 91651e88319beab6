import { describe, expect, test } from "vitest";
import { formatDuration, parseDuration, parseTimeExpr, resolveRange, stepFor } from "./time.js";

const NOW = Date.UTC(2024, 0, 2, 12, 0, 0);

describe("durations", () => {
  test.each([
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["2d", 172_800_000],
    ["1.5s", 1500],
    ["", undefined],
    ["5", undefined],
    ["5x", undefined],
    ["m5", undefined],
  ])("parseDuration(%j) = %j", (s, want) => {
    expect(parseDuration(s)).toBe(want);
  });

  test.each([
    [300_000, "5m"],
    [5_400_000, "1h30m"],
    [250, "250ms"],
    [0, "0s"],
  ])("formatDuration(%i) = %s", (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });
});

test.each([
  ["now", NOW],
  ["now-1h", NOW - 3_600_000],
  ["now+5m", NOW + 300_000],
  ["1704196800", NOW],
  ["1704196800000", NOW],
  ["2024-01-02T12:00:00Z", NOW],
  ["now-", undefined],
  ["yesterday", undefined],
])("parseTimeExpr(%j)", (expr, want) => {
  expect(parseTimeExpr(expr, NOW)).toBe(want);
});

test("resolveRange falls back to the last hour when the range is invalid", () => {
  expect(resolveRange("now-6h", "now", NOW)).toEqual({ start: NOW - 6 * 3_600_000, end: NOW });
  expect(resolveRange("bogus", "now", NOW)).toEqual({ start: NOW - 3_600_000, end: NOW });
  expect(resolveRange("now", "now-1h", NOW)).toEqual({ start: NOW - 2 * 3_600_000, end: NOW - 3_600_000 });
});

test.each([
  [3_600_000, 1000, 10],
  [3_600_000, 100, 120],
  [300_000, 1200, 1],
  [30 * 86_400_000, 1000, 7200],
])("stepFor(range %i ms, %i px) = %i s", (ms, px, want) => {
  expect(stepFor({ start: NOW - ms, end: NOW }, px)).toBe(want);
});
