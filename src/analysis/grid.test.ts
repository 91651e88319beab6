import { describe, expect, test } from "vitest";
import { fillGaps, gridLength, gridTimes, lagPairs, toGrid } from "./grid.js";

const f = (...v: number[]) => Float64Array.from(v);
const arr = (x: Float64Array) => Array.from(x, (v) => (Number.isNaN(v) ? null : v));

describe("toGrid", () => {
  test.each([
    ["exact samples", f(0, 10, 20), f(1, 2, 3), 3, [1, 2, 3]],
    ["jitter within half a step", f(2, 9, 24), f(1, 2, 3), 3, [1, 2, 3]],
    ["short gap interpolated", f(0, 30), f(0, 3), 3, [0, 1, 2, 3]],
    ["long gap stays empty", f(0, 30), f(0, 3), 1, [0, null, null, 3]],
    ["NaN values are missing", f(0, 10, 20), f(1, Number.NaN, 3), 0, [1, null, 3]],
    ["outside the grid is ignored", f(-10, 0, 40), f(9, 1, 9), 0, [1, null, null, null]],
  ])("%s", (_n, t, v, maxGap, want) => {
    expect(arr(toGrid(t, v, { start: 0, end: 30, step: 10 }, maxGap).subarray(0, want.length))).toEqual(want);
  });
  test("grid length and times", () => {
    expect(gridLength({ start: 0, end: 25, step: 10 })).toBe(3);
    expect(Array.from(gridTimes({ start: 5, end: 25, step: 10 }))).toEqual([5, 15, 25]);
  });
  test("fillGaps leaves leading and trailing gaps", () => {
    expect(arr(fillGaps(f(Number.NaN, 1, Number.NaN, 3, Number.NaN), 5))).toEqual([null, 1, 2, 3, null]);
  });
});

describe("lagPairs", () => {
  test.each([
    [0, [1, 2, 3, 4], [10, 20, 30, 40]],
    [1, [1, 2, 3], [20, 30, 40]],
    [-1, [2, 3, 4], [10, 20, 30]],
  ])("lag %i", (lag, wx, wy) => {
    const [a, b] = lagPairs(f(1, 2, 3, 4), f(10, 20, 30, 40), lag);
    expect(Array.from(a)).toEqual(wx);
    expect(Array.from(b)).toEqual(wy);
  });
});
