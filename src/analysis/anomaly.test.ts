import { describe, expect, test } from "vitest";
import {
  chooseBaseline,
  effectiveScale,
  findEpisodes,
  MAD_TO_SIGMA,
  matchEpisodes,
  robustScores,
  seasonalBaseline,
} from "./anomaly.js";
import { injectFaults, seasonalSeries } from "./synthetic.js";

const f = (...v: number[]) => Float64Array.from(v);

describe("seasonal baseline", () => {
  test("median and scaled MAD of the same slot in previous cycles", () => {
    // period 2, window 0: point 6 looks at 4, 2, 0 → values 1, 3, 2 → median 2, MAD 1
    const y = f(2, 0, 3, 0, 1, 0, 100);
    const b = seasonalBaseline(y, { period: 2, cycles: 3, window: 0, minSamples: 3, levelWindow: 0 });
    expect(b.median[6]).toBe(2);
    expect(b.scale[6]).toBeCloseTo(MAD_TO_SIGMA, 12);
    expect(b.median[3]).toBeNaN();
  });
  test("a past spike barely moves the baseline", () => {
    const y = f(10, 10, 10, 1000, 10, 10, 10);
    const b = seasonalBaseline(y, { period: 1, cycles: 5, window: 0, minSamples: 3, levelWindow: 0 });
    expect(b.median[6]).toBe(10);
  });
  test("rejects a bad period", () => {
    expect(() => seasonalBaseline(f(1), { period: 0 })).toThrow(/positive integer, got 0/);
  });
});

describe("scores and episodes", () => {
  test("scale floors: absolute, relative, never zero", () => {
    expect(effectiveScale(0, 0, { absolute: 0.5 })).toBe(0.5);
    expect(effectiveScale(0.1, 100, {})).toBe(2);
    expect(effectiveScale(0, 0)).toBeGreaterThan(0);
  });
  test("robust z-score", () => {
    const s = robustScores(f(14, Number.NaN), { median: f(10, 10), scale: f(1, 1) });
    expect(s[0]).toBe(4);
    expect(s[1]).toBeNaN();
  });
  test.each([
    ["one run", [0, 5, 6, 0, 0, 0], {}, [[1, 2, 2]]],
    ["single point dropped by minPoints", [0, 5, 0, 0, 0, 0], {}, []],
    ["single point kept with minPoints 1", [0, 5, 0, 0, 0, 0], { minPoints: 1 }, [[1, 1, 1]]],
    ["runs within mergeGap merge", [5, 0, 0, 5, 0, 0], { minPoints: 1 }, [[0, 3, 0]]],
    [
      "runs beyond mergeGap split",
      [5, 0, 0, 0, 5, 0],
      { minPoints: 1 },
      [
        [0, 0, 0],
        [4, 4, 4],
      ],
    ],
    ["negative scores count; peak by magnitude", [0, -4, -9, -5, 0, 0], {}, [[1, 3, 2]]],
    ["NaN never anomalous", [Number.NaN, Number.NaN, 0], {}, []],
  ])("%s", (_n, scores, opts, want) => {
    const got = findEpisodes(Float64Array.from(scores), opts).map((e) => [
      e.startIndex,
      e.endIndex,
      e.peakIndex,
    ]);
    expect(got).toEqual(want);
  });
  test("matchEpisodes counts overlaps", () => {
    const m = matchEpisodes(
      [
        { startIndex: 0, endIndex: 2 },
        { startIndex: 10, endIndex: 11 },
      ],
      [
        { startIndex: 2, endIndex: 4 },
        { startIndex: 20, endIndex: 22 },
      ],
    );
    expect(m).toEqual({ precision: 0.5, recall: 0.5, truePositives: 1, falsePositives: 1, missed: 1 });
  });
});

/**
 * Known answer: four or five weeks of 5-minute data (daily cycle, trend or weekend dip, noise σ),
 * 12 faults of 15–60 minutes and ±6σ injected after the warm-up (one week; two when there is a
 * weekly pattern), for several seeds and shapes. Detected episodes must find ≥ 90 % of the faults
 * and ≥ 90 % of episodes must be faults; the same series without faults must stay quiet (at most
 * one false episode per ten series-weeks).
 */
describe("injected faults: recall and precision ≥ 0.9", () => {
  const period = 288;
  const shapes = [
    { weeks: 4, warmDays: 7, spec: { base: 100, amplitude: 40, noise: 3 } },
    { weeks: 4, warmDays: 7, spec: { base: 20, amplitude: 5, noise: 0.5, trend: 0.0005 } },
    // weekly patterns need two weeks of history before they are learnt
    { weeks: 5, warmDays: 14, spec: { base: 1000, amplitude: 600, noise: 20, weekend: -200 } },
  ];
  const detect = (y: Float64Array) => {
    const b = chooseBaseline(y, { daily: period });
    return findEpisodes(robustScores(y, b), { threshold: 4, minPoints: 2, mergeGap: 2 });
  };
  test("figures", () => {
    let tp = 0;
    let fp = 0;
    let found = 0;
    let total = 0;
    let quietFalse = 0;
    for (const [k, shape] of shapes.entries()) {
      for (let seed = 1; seed <= 4; seed++) {
        const y = seasonalSeries({ n: period * 7 * shape.weeks, period, ...shape.spec, seed: seed * 31 + k });
        const after = period * shape.warmDays;
        quietFalse += detect(y.slice()).length;
        const faults = injectFaults(y, {
          count: 12,
          after,
          minLength: 3,
          maxLength: 12,
          magnitude: 6 * shape.spec.noise,
          seed,
        });
        const m = matchEpisodes(detect(y), faults);
        tp += m.truePositives;
        fp += m.falsePositives;
        found += faults.length - m.missed;
        total += faults.length;
      }
    }
    const precision = tp / (tp + fp);
    const recall = found / total;
    console.log(
      `anomaly: recall ${recall.toFixed(3)} (${found}/${total}), precision ${precision.toFixed(3)} (${tp}/${tp + fp}), false episodes in 52 clean series-weeks: ${quietFalse}`,
    );
    expect(recall).toBeGreaterThanOrEqual(0.9);
    expect(precision).toBeGreaterThanOrEqual(0.9);
    expect(quietFalse / 52).toBeLessThanOrEqual(0.1);
  });
});
