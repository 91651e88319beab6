import { describe, expect, test } from "vitest";
import { lagCorrelation } from "./correlate.js";
import { gaussian, seededRandom } from "./synthetic.js";

/** x is a random walk; y follows x by `lag` points, plus noise. */
function laggedPair(n: number, lag: number, noise: number, seed: number): [Float64Array, Float64Array] {
  const rand = seededRandom(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 1; i < n; i++) x[i] = x[i - 1]! + gaussian(rand);
  for (let i = 0; i < n; i++) y[i] = 3 * (x[i - lag] ?? 0) + 50 + noise * gaussian(rand);
  return [x, y];
}

describe("lagged correlation finds the known lag", () => {
  test.each([
    [0, 1],
    [5, 1],
    [-7, 1],
    [12, 2],
  ])("lag %i (noise %f)", (lag, noise) => {
    const [x, y] = laggedPair(600, lag, noise, 100 + lag);
    const r = lagCorrelation(x, y, { maxLag: 24 })!;
    expect(r.lag).toBe(lag);
    expect(r.pearson).toBeGreaterThan(0.6);
    expect(r.spearman).toBeGreaterThan(0.5);
    expect(r.pValue).toBeLessThan(1e-6);
    expect(r.lags).toHaveLength(49);
  });
  test("a negative relation is found with its sign", () => {
    const [x, y] = laggedPair(400, 3, 1, 7);
    const r = lagCorrelation(
      x,
      y.map((v) => -v),
      { maxLag: 6 },
    )!;
    expect(r.lag).toBe(3);
    expect(r.pearson).toBeLessThan(-0.7);
  });
});

describe("no relation, no confidence", () => {
  test("independent random walks: levels look correlated, differences do not", () => {
    const [a] = laggedPair(500, 0, 1, 1);
    const [b] = laggedPair(500, 0, 1, 2);
    const diff = lagCorrelation(a, b, { maxLag: 10 })!;
    expect(diff.pValue).toBeGreaterThan(0.05);
    const levels = lagCorrelation(a, b, { maxLag: 10, difference: false })!;
    expect(levels.effectiveN).toBeLessThan(levels.n / 5);
  });
  test("too few pairs or a constant side give null", () => {
    expect(lagCorrelation(Float64Array.of(1, 2, 3), Float64Array.of(1, 2, 3))).toBeNull();
    expect(
      lagCorrelation(
        new Float64Array(50).fill(1),
        new Float64Array(50).map((_, i) => i * i),
      ),
    ).toBeNull();
  });
  test("gaps (NaN) are skipped pairwise", () => {
    const [x, y] = laggedPair(300, 2, 0.5, 3);
    for (let i = 50; i < 80; i++) y[i] = Number.NaN;
    const r = lagCorrelation(x, y, { maxLag: 5 })!;
    expect(r.lag).toBe(2);
    expect(r.n).toBeLessThan(299 - 2 - 30 + 1);
  });
});
