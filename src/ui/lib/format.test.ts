import { expect, test } from "vitest";
import { formatValue, parseSampleValue } from "./format.js";

test.each([
  [0.5, "percentunit", undefined, "50%"],
  [42.123, "percent", 1, "42.1%"],
  [1536, "bytes", undefined, "1.5 KiB"],
  [8 * 1024 ** 3, "bytes", undefined, "8 GiB"],
  [1500, "decbytes", undefined, "1.5 kB"],
  [2_500_000, "Bps", undefined, "2.5 MB/s"],
  [0.095, "s", undefined, "95 ms"],
  [0.0000123, "s", undefined, "12.3 µs"],
  [90, "s", undefined, "1.5 min"],
  [250, "ms", undefined, "250 ms"],
  [1234, "reqps", undefined, "1.23 kreq/s"],
  [1234567, "short", undefined, "1.23 Mil"],
  [12, "short", undefined, "12"],
  [0, "short", undefined, "0"],
  [3, "tokens", undefined, "3 tokens"],
  [Number.NaN, "s", undefined, "NaN"],
  [Number.POSITIVE_INFINITY, "short", undefined, "+Inf"],
])("formatValue(%d, %s, %s) = %s", (v, unit, decimals, want) => {
  expect(formatValue(v, unit, decimals)).toBe(want);
});

test.each([
  ["1.5", 1.5],
  ["+Inf", Number.POSITIVE_INFINITY],
  ["-Inf", Number.NEGATIVE_INFINITY],
  ["1e3", 1000],
])("parseSampleValue(%j)", (s, want) => {
  expect(parseSampleValue(s)).toBe(want);
});

test("parseSampleValue reads NaN", () => {
  expect(parseSampleValue("NaN")).toBeNaN();
});
