import { describe, expect, test } from "vitest";
import {
  fitHoltWinters,
  forecastSeries,
  holtWintersForecast,
  linearForecast,
  mape,
  nelderMead,
  smape,
} from "./forecast.js";
import { seasonalSeries } from "./synthetic.js";

const f = (...v: number[]) => Float64Array.from(v);

describe("error measures", () => {
  test.each([
    ["mape", mape(f(100, 200), f(110, 180)), 10],
    ["mape skips zero actuals", mape(f(0, 100), f(5, 90)), 10],
    ["smape", smape(f(100, 0), f(100, 0)), 0],
    ["smape symmetric", smape(f(100), f(300)), 100],
  ])("%s", (_n, got, want) => {
    expect(got).toBeCloseTo(want, 10);
  });
});

test("Nelder–Mead finds the minimum of a shifted paraboloid", () => {
  const r = nelderMead((x) => (x[0]! - 3) ** 2 + 2 * (x[1]! + 1) ** 2, [0, 0], 500);
  expect(r.x[0]).toBeCloseTo(3, 3);
  expect(r.x[1]).toBeCloseTo(-1, 3);
});

describe("Holt–Winters", () => {
  test("a constant series forecasts the constant with a zero-width interval", () => {
    const fit = fitHoltWinters(new Float64Array(48).fill(7), [12]);
    const fc = holtWintersForecast(fit, 5);
    for (let i = 0; i < 5; i++) {
      expect(fc.points[i]).toBeCloseTo(7, 9);
      expect(fc.upper[i]! - fc.lower[i]!).toBeCloseTo(0, 9);
    }
  });
  test("a noiseless seasonal series is forecast exactly, phase included", () => {
    const y = seasonalSeries({ n: 24 * 6, period: 24, base: 50, amplitude: 10 });
    const fc = holtWintersForecast(fitHoltWinters(y, [24]), 30);
    const want = seasonalSeries({ n: 24 * 6 + 30, period: 24, base: 50, amplitude: 10 }).subarray(24 * 6);
    for (let i = 0; i < 30; i++) expect(fc.points[i]).toBeCloseTo(want[i]!, 1);
  });
  test("intervals widen with the horizon and cover most held-out points", () => {
    const y = seasonalSeries({ n: 24 * 16, period: 24, base: 50, amplitude: 10, noise: 1, seed: 3 });
    const train = y.subarray(0, 24 * 14);
    const fc = holtWintersForecast(fitHoltWinters(train, [24]), 48);
    expect(fc.upper[47]! - fc.lower[47]!).toBeGreaterThan(fc.upper[0]! - fc.lower[0]!);
    let inside = 0;
    for (let i = 0; i < 48; i++)
      if (y[24 * 14 + i]! >= fc.lower[i]! && y[24 * 14 + i]! <= fc.upper[i]!) inside++;
    expect(inside / 48).toBeGreaterThanOrEqual(0.85);
  });
  test.each([
    [[24], 47, /needs 48 points/],
    [[24, 36], 200, /not a multiple/],
    [[2, 4, 8], 200, /at most two/],
  ])("rejects periods %j with %i points", (periods, n, msg) => {
    expect(() => fitHoltWinters(new Float64Array(n).fill(1), periods)).toThrow(msg);
  });
});

describe("model choice by backtest", () => {
  test("a daily-seasonal series: Holt–Winters beats linear", () => {
    const y = seasonalSeries({ n: 24 * 14, period: 24, base: 50, amplitude: 10, noise: 1, seed: 5 });
    const r = forecastSeries(y, { horizon: 24, periods: [24, 168] });
    const lin = r.candidates.find((c) => c.model === "linear")!;
    const hw = r.candidates.find((c) => c.model === "holt-winters")!;
    expect(hw.mape).toBeLessThan(lin.mape / 3);
    expect(r.model).toBe("holt-winters");
    expect(r.accuracy.heldOut).toBe(24);
    expect(r.accuracy.mape).toBe(hw.mape);
  });
  test("daily + weekly: the double-seasonal model wins when a weekend is held out", () => {
    const y = seasonalSeries({
      n: 24 * 7 * 5,
      period: 24,
      base: 50,
      amplitude: 10,
      weekend: -15,
      noise: 1,
      seed: 9,
    });
    const r = forecastSeries(y, { horizon: 168, periods: [24, 168], heldOut: 168 });
    expect(r.model).toBe("holt-winters");
    expect(r.periods).toEqual([24, 168]);
    const single = r.candidates.find((c) => c.periods.length === 1)!;
    expect(r.accuracy.mape).toBeLessThan(single.mape);
  });
  test("linear growth: linear chosen, slope recovered, interval contains the truth", () => {
    const y = seasonalSeries({ n: 500, period: 24, base: 20, trend: 0.1, noise: 1, seed: 11 });
    const r = forecastSeries(y, { horizon: 100, periods: [24] });
    expect(r.model).toBe("linear");
    expect(r.points[99]).toBeCloseTo(20 + 0.1 * 599, -0.5);
    expect(r.lower[99]).toBeLessThan(20 + 0.1 * 599);
    expect(r.upper[99]).toBeGreaterThan(20 + 0.1 * 599);
  });
  test("trailing gaps are dropped and reported through startIndex", () => {
    const y = new Float64Array(40);
    for (let i = 0; i < 40; i++) y[i] = i < 36 ? 2 * i : Number.NaN;
    const r = forecastSeries(y, { horizon: 3 });
    expect(r.startIndex).toBe(36);
    expect(Array.from(r.points, (v) => Math.round(v))).toEqual([72, 74, 76]);
  });
  test("too short a history is a clear error", () => {
    expect(() => forecastSeries(f(1, 2, Number.NaN), { horizon: 1 })).toThrow(/at least 4 points, got 2/);
  });
  test("linearForecast extrapolates the fitted line", () => {
    expect(Array.from(linearForecast(f(1, 3, 5, 7), 2).points)).toEqual([9, 11]);
  });
});
