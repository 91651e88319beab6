import { expect, test } from "vitest";
import { alignSeries, reduceValues } from "./seriesData.js";

test("aligns series of two queries on the union of their timestamps with gaps as null", () => {
  const out = alignSeries([
    {
      legend: "{{mode}}",
      series: [
        {
          metric: { mode: "user" },
          values: [
            [10, "1"],
            [20, "2"],
          ],
        },
        {
          metric: { mode: "idle" },
          values: [
            [20, "NaN"],
            [30, "3"],
          ],
        },
      ],
    },
    { series: [{ metric: { __name__: "up" }, values: [[30, "1"]] }] },
  ]);
  expect([...out.times]).toEqual([10, 20, 30]);
  expect(out.columns).toEqual([
    [1, 2, null],
    [null, null, 3],
    [null, null, 1],
  ]);
  expect(out.names).toEqual(["user", "idle", "up"]);
});

test("an empty result has no columns", () => {
  const out = alignSeries([{ series: [] }]);
  expect(out.times.length).toBe(0);
  expect(out.columns).toEqual([]);
});

test.each([
  ["last", 3],
  ["mean", 2],
  ["max", 3],
  ["min", 1],
] as const)("reduceValues %s", (how, want) => {
  expect(reduceValues([1, null, Number.NaN, 2, 3], how)).toBe(want);
});

test("reduceValues of nothing is NaN", () => {
  expect(reduceValues([null])).toBeNaN();
});
