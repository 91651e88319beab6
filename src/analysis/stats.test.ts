import { describe, expect, test } from "vitest";
import {
  correlationInterval,
  correlationPValue,
  incompleteBeta,
  linearRegression,
  mad,
  mean,
  median,
  normalCdf,
  normalQuantile,
  pearson,
  predictLinear,
  quantile,
  ranks,
  spearman,
  tCdf,
  tQuantile,
} from "./stats.js";

const f = (...v: number[]) => Float64Array.from(v);

describe("order statistics skip NaN", () => {
  test.each([
    ["mean", () => mean(f(1, 2, Number.NaN, 3)), 2],
    ["median odd", () => median(f(5, 1, 3)), 3],
    ["median even", () => median(f(4, 1, 3, 2)), 2.5],
    ["median with NaN", () => median(f(Number.NaN, 1, 9)), 5],
    ["quantile 0.9 (type 7)", () => quantile(f(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.9), 9.1],
    ["mad", () => mad(f(1, 1, 2, 2, 4, 6, 9)), 1],
    ["empty mean", () => mean(f()), Number.NaN],
  ])("%s", (_name, fn, want) => {
    if (Number.isNaN(want)) expect(fn()).toBeNaN();
    else expect(fn()).toBeCloseTo(want, 12);
  });
});

describe("distributions (known table values)", () => {
  test.each([
    // [p, df, t] from standard t tables
    [0.975, 1, 12.7062],
    [0.975, 10, 2.2281],
    [0.975, 30, 2.0423],
    [0.95, 5, 2.015],
    [0.995, 20, 2.8453],
    [0.975, Number.POSITIVE_INFINITY, 1.96],
  ])("tQuantile(%f, %f) = %f", (p, df, t) => {
    expect(tQuantile(p, df)).toBeCloseTo(t, 3);
    expect(tCdf(t, df)).toBeCloseTo(p, 4);
  });
  test("normal", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.841344746)).toBeCloseTo(1, 4);
  });
  test("incomplete beta: I_x(1,1) = x and I_x(2,1) = x²", () => {
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    expect(incompleteBeta(0.3, 2, 1)).toBeCloseTo(0.09, 12);
  });
});

describe("linear regression", () => {
  test("exact line: slope, intercept, zero residual", () => {
    const fit = linearRegression(f(0, 1, 2, 3), f(1, 3, 5, 7));
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(1, 12);
    expect(fit.sigma).toBeCloseTo(0, 12);
    expect(fit.r2).toBeCloseTo(1, 12);
  });
  test("prediction interval matches the textbook formula", () => {
    // x = 1..5, y = 2,4,5,4,5: slope 0.6, intercept 2.2, SSE 2.4, σ = √0.8
    const fit = linearRegression(f(1, 2, 3, 4, 5), f(2, 4, 5, 4, 5));
    expect(fit.slope).toBeCloseTo(0.6, 12);
    expect(fit.intercept).toBeCloseTo(2.2, 12);
    expect(fit.sigma).toBeCloseTo(Math.sqrt(0.8), 12);
    const p = predictLinear(fit, 6);
    const half = 3.18245 * Math.sqrt(0.8) * Math.sqrt(1 + 1 / 5 + 9 / 10);
    expect(p.value).toBeCloseTo(5.8, 12);
    expect(p.upper - p.value).toBeCloseTo(half, 3);
    expect(p.value - p.lower).toBeCloseTo(half, 3);
  });
  test.each([
    ["one point", f(1), f(1), /at least 2 points/],
    ["equal x", f(1, 1), f(1, 2), /two distinct x values/],
  ])("rejects %s", (_n, x, y, msg) => {
    expect(() => linearRegression(x, y)).toThrow(msg);
  });
});

describe("correlation", () => {
  test("ranks average ties", () => {
    expect(Array.from(ranks(f(10, 30, 20, 20)))).toEqual([1, 4, 2.5, 2.5]);
  });
  test("pearson of a perfect line is 1, of its negation -1", () => {
    expect(pearson(f(1, 2, 3, 4), f(2, 4, 6, 8))).toBeCloseTo(1, 12);
    expect(pearson(f(1, 2, 3, 4), f(8, 6, 4, 2))).toBeCloseTo(-1, 12);
  });
  test("spearman sees monotone non-linear relations as perfect; pearson does not", () => {
    const x = f(1, 2, 3, 4, 5, 6);
    const y = x.map((v) => Math.exp(v));
    expect(spearman(x, y)).toBeCloseTo(1, 12);
    expect(pearson(x, y)).toBeLessThan(0.95);
  });
  test("constant side gives NaN", () => {
    expect(pearson(f(1, 2, 3), f(5, 5, 5))).toBeNaN();
  });
  test("p-value: r = 0.5, n = 20 → t = 2.449, p ≈ 0.0248", () => {
    expect(correlationPValue(0.5, 20)).toBeCloseTo(0.0248, 3);
  });
  test("Fisher interval contains r and narrows with n", () => {
    const a = correlationInterval(0.5, 20);
    const b = correlationInterval(0.5, 200);
    expect(a.lower).toBeLessThan(0.5);
    expect(a.upper).toBeGreaterThan(0.5);
    expect(b.upper - b.lower).toBeLessThan(a.upper - a.lower);
  });
});
