import { expect, test } from "vitest";
import { bucketsToHeatmap } from "./heatmap.js";

test("cumulative buckets become per-bucket counts, summed over series with the same le", () => {
  const g = bucketsToHeatmap([
    {
      metric: { le: "+Inf" },
      values: [
        [1, "10"],
        [2, "12"],
      ],
    },
    {
      metric: { le: "0.1", instance: "a" },
      values: [
        [1, "2"],
        [2, "3"],
      ],
    },
    {
      metric: { le: "0.1", instance: "b" },
      values: [
        [1, "1"],
        [2, "1"],
      ],
    },
    {
      metric: { le: "0.5" },
      values: [
        [1, "7"],
        [2, "4"],
      ],
    },
    { metric: { job: "no le" }, values: [[1, "99"]] },
  ]);
  expect(g.bounds).toEqual([0.1, 0.5, Number.POSITIVE_INFINITY]);
  expect(g.times).toEqual([1, 2]);
  expect(g.counts).toEqual([
    [3, 4],
    [4, 0],
    [3, 8],
  ]);
  expect(g.max).toBe(8);
});

test("no bucket series gives an empty grid", () => {
  expect(bucketsToHeatmap([])).toEqual({ times: [], bounds: [], counts: [], max: 0 });
});
