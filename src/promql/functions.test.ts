import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DATE_FUNCTIONS,
  hasCounterReset,
  linearRegression,
  RANGE_FUNCTIONS,
  RESET_FREE_RANGE_FUNCTIONS,
  roundTo,
  slidingExtremum,
} from "./functions.js";
import { bucketQuantile, quantile, sortNaNFirst } from "./quantile.js";

/** Runs a range function over samples given as [seconds, value] pairs in a window (start, end]. */
function run(name: string, pts: [number, number][], start: number, end: number, args: number[] = []) {
  const t = Float64Array.from(pts.map((p) => p[0] * 1000));
  const v = Float64Array.from(pts.map((p) => p[1]));
  return RANGE_FUNCTIONS[name]!(t, v, 0, t.length, {
    ts: end * 1000,
    rangeStart: start * 1000,
    rangeEnd: end * 1000,
    args,
  });
}

const counter: [number, number][] = [
  [0, 0],
  [60, 10],
  [120, 20],
  [180, 30],
  [240, 40],
];

describe("range functions", () => {
  it.each<[string, [number, number][], number, number, number[], number | undefined]>([
    // Samples cover the window: rate = increase / range.
    // Starts at zero: extrapolation towards the start stops at the zero point.
    ["rate", counter, -60, 240, [], 40 / 300],
    ["increase", counter.slice(1), 0, 240, [], 40],
    ["increase", counter, 0, 240, [], 40],
    // A counter reset adds the value before the reset.
    [
      "increase",
      [
        [60, 10],
        [120, 2],
        [180, 12],
      ],
      0,
      180,
      [],
      12 * 1.5,
    ],
    [
      "delta",
      [
        [60, 10],
        [120, 2],
        [180, 12],
      ],
      0,
      180,
      [],
      2 * 1.5,
    ],
    ["rate", [[60, 1]], 0, 120, [], undefined],
    [
      "irate",
      [
        [60, 10],
        [120, 5],
      ],
      0,
      120,
      [],
      5 / 60,
    ],
    [
      "irate",
      [
        [60, 10],
        [120, 16],
      ],
      0,
      120,
      [],
      6 / 60,
    ],
    [
      "idelta",
      [
        [60, 10],
        [120, 5],
      ],
      0,
      120,
      [],
      -5,
    ],
    [
      "resets",
      [
        [1, 5],
        [2, 3],
        [3, 4],
        [4, 1],
      ],
      0,
      4,
      [],
      2,
    ],
    [
      "changes",
      [
        [1, 5],
        [2, 5],
        [3, Number.NaN],
        [4, Number.NaN],
        [5, 1],
      ],
      0,
      5,
      [],
      2,
    ],
    [
      "sum_over_time",
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      0,
      3,
      [],
      6,
    ],
    [
      "avg_over_time",
      [
        [1, 1],
        [2, 2],
        [3, 6],
      ],
      0,
      3,
      [],
      3,
    ],
    [
      "avg_over_time",
      [
        [1, 1.7976931348623157e308],
        [2, 1.7976931348623157e308],
      ],
      0,
      2,
      [],
      1.7976931348623157e308,
    ],
    [
      "count_over_time",
      [
        [1, 1],
        [2, 2],
      ],
      0,
      2,
      [],
      2,
    ],
    [
      "min_over_time",
      [
        [1, Number.NaN],
        [2, 2],
        [3, 1],
      ],
      0,
      3,
      [],
      1,
    ],
    [
      "max_over_time",
      [
        [1, 3],
        [2, Number.NaN],
        [3, 1],
      ],
      0,
      3,
      [],
      3,
    ],
    [
      "last_over_time",
      [
        [1, 3],
        [2, 4],
      ],
      0,
      2,
      [],
      4,
    ],
    [
      "first_over_time",
      [
        [1, 3],
        [2, 4],
      ],
      0,
      2,
      [],
      3,
    ],
    [
      "ts_of_max_over_time",
      [
        [1, 3],
        [2, 4],
        [3, 4],
      ],
      0,
      3,
      [],
      3,
    ],
    [
      "stdvar_over_time",
      [
        [1, 2],
        [2, 4],
        [3, 4],
        [4, 4],
        [5, 5],
        [6, 5],
        [7, 7],
        [8, 9],
      ],
      0,
      8,
      [],
      4,
    ],
    [
      "stddev_over_time",
      [
        [1, 2],
        [2, 4],
        [3, 4],
        [4, 4],
        [5, 5],
        [6, 5],
        [7, 7],
        [8, 9],
      ],
      0,
      8,
      [],
      2,
    ],
    [
      "quantile_over_time",
      [
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
      ],
      0,
      4,
      [0.5],
      2.5,
    ],
    [
      "mad_over_time",
      [
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
        [5, 100],
      ],
      0,
      5,
      [],
      1,
    ],
    [
      "deriv",
      [
        [0, 0],
        [10, 10],
        [20, 20],
      ],
      0,
      20,
      [],
      1,
    ],
    [
      "predict_linear",
      [
        [0, 0],
        [10, 10],
        [20, 20],
      ],
      0,
      20,
      [100],
      120,
    ],
    ["present_over_time", [[1, 0]], 0, 1, [], 1],
  ])("%s over %j in (%s, %s] args %j = %s", (name, pts, start, end, args, want) => {
    const got = run(name, pts, start, end, args);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(want, 9);
  });

  it("gives bit-identical rate/increase through the reset-free kernels on series without resets", () => {
    const cases: [number[], boolean][] = [
      [[0, 10.1, 20.3, 30.7, 40.9, 41, 41], false],
      [[5, 3, 9], true],
      [[1e15, 1e15 + 1, 1e15 + 3, Number.NaN, 1e15 + 4], false],
      [[0.1, 0.2, 0.30000000000000004, 0.3], true],
    ];
    for (const [vals, resets] of cases) {
      const v = Float64Array.from(vals);
      const t = Float64Array.from(vals.map((_, i) => i * 15_000 + (i % 3)));
      expect(hasCounterReset(v)).toBe(resets);
      if (resets) continue;
      for (const name of ["rate", "increase"]) {
        for (let lo = 0; lo < v.length; lo++) {
          for (let hi = lo + 1; hi <= v.length; hi++) {
            const w = { ts: t[hi - 1]!, rangeStart: t[lo]! - 7_000, rangeEnd: t[hi - 1]! + 3_000, args: [] };
            expect(
              Object.is(
                RESET_FREE_RANGE_FUNCTIONS[name]!(t, v, lo, hi, w),
                RANGE_FUNCTIONS[name]!(t, v, lo, hi, w),
              ),
            ).toBe(true);
          }
        }
      }
    }
  });

  it("computes max/min_over_time for all steps with a sliding deque exactly as per window", () => {
    const value = fc.oneof(fc.constantFrom(Number.NaN, 0, -0, 1, 2, -1), fc.double({ noNaN: false }));
    const arb = fc.record({
      vals: fc.array(value, { maxLength: 60 }),
      gaps: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 60, maxLength: 60 }),
      start: fc.integer({ min: -50, max: 200 }),
      interval: fc.integer({ min: 1, max: 30 }),
      range: fc.integer({ min: 1, max: 120 }),
      offset: fc.integer({ min: -20, max: 20 }),
      at: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
      n: fc.integer({ min: 1, max: 40 }),
    });
    fc.assert(
      fc.property(arb, ({ vals, gaps, start, interval, range, offset, at, n }) => {
        const v = Float64Array.from(vals);
        const t = new Float64Array(v.length);
        for (let i = 0; i < t.length; i++) t[i] = (i ? t[i - 1]! : 0) + gaps[i]!;
        for (const name of ["max_over_time", "min_over_time"]) {
          const steps: number[] = [];
          const got: number[] = [];
          slidingExtremum(
            t,
            v,
            n,
            start,
            interval,
            at,
            offset,
            range,
            name === "max_over_time",
            steps,
            got,
            new Int32Array(2),
          );
          const wantSteps: number[] = [];
          const want: number[] = [];
          for (let i = 0; i < n; i++) {
            const ref = (at ?? start + i * interval) - offset;
            let lo = 0;
            while (lo < t.length && t[lo]! <= ref - range) lo++;
            let hi = lo;
            while (hi < t.length && t[hi]! <= ref) hi++;
            if (hi === lo) continue;
            wantSteps.push(i);
            want.push(RANGE_FUNCTIONS[name]!(t, v, lo, hi, { ts: 0, rangeStart: 0, rangeEnd: 0, args: [] })!);
          }
          expect(steps).toEqual(wantSteps);
          expect(got.map((x, k) => Object.is(x, want[k]))).not.toContain(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("extrapolates rate to the window edges like Prometheus", () => {
    // 5 samples 60 s apart in a 300 s window starting 30 s before the first: extrapolation
    // extends to both edges (less than 1.1 × the average interval away).
    // The counter starts at 0, so nothing is added before the first sample.
    expect(run("increase", counter, -30, 270, [])).toBeCloseTo(40 * (270 / 240), 9);
    expect(
      run(
        "increase",
        [
          [60, 0],
          [120, 10],
        ],
        0,
        180,
        [],
      ),
    ).toBeCloseTo(20, 9);
    // A gauge is extrapolated to both edges; far edges only by half an interval.
    expect(
      run(
        "delta",
        [
          [60, 5],
          [120, 10],
        ],
        0,
        180,
        [],
      ),
    ).toBeCloseTo(15, 9);
    expect(
      run(
        "delta",
        [
          [60, 5],
          [120, 10],
        ],
        -300,
        180,
        [],
      ),
    ).toBeCloseTo((5 * (60 + 30 + 60)) / 60, 9);
  });
});

describe("quantiles", () => {
  it("selects the same φ-quantile as a full sort, bit for bit (NaN, ±0, duplicates)", () => {
    const value = fc.oneof(fc.constantFrom(Number.NaN, 0, -0, 1, -1, 3), fc.double());
    fc.assert(
      fc.property(fc.array(value, { maxLength: 120 }), fc.double({ min: 0, max: 1 }), (vals, q) => {
        const sorted = Float64Array.from(vals);
        sortNaNFirst(sorted);
        const n = sorted.length;
        const rank = q * (n - 1);
        const lower = Math.max(0, Math.floor(rank));
        const upper = Math.min(n - 1, lower + 1);
        const weight = rank - Math.floor(rank);
        const want = n === 0 ? Number.NaN : sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
        expect(Object.is(quantile(q, Float64Array.from(vals)), want)).toBe(true);
        if (n === 0) return;
        const padded = Float64Array.from([-7, 9, ...vals, 1e300, -1e300]);
        const w = { ts: 0, rangeStart: 0, rangeEnd: 0, args: [q] };
        const viaWindow = RANGE_FUNCTIONS.quantile_over_time!(padded, padded, 2, 2 + n, w);
        expect(Object.is(viaWindow, want)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("sorts short and long windows alike: NaN first, ascending, -0 before +0", () => {
    const value = fc.oneof(
      fc.constantFrom(Number.NaN, 0, -0, 1, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
      fc.double(),
    );
    fc.assert(
      fc.property(fc.array(value, { maxLength: 100 }), (vals) => {
        const got = Float64Array.from(vals);
        sortNaNFirst(got);
        const want = Float64Array.from(vals).sort();
        const nan = want.filter(Number.isNaN).length;
        const ref = [...want.subarray(0, want.length - nan)];
        expect([...got].map((x, i) => Object.is(x, i < nan ? Number.NaN : ref[i - nan]))).not.toContain(
          false,
        );
      }),
      { numRuns: 300 },
    );
  });

  it.each<[number, number[], number]>([
    [0.5, [1, 2, 3, 4], 2.5],
    [0, [3, 1, 2], 1],
    [1, [3, 1, 2], 3],
    [-1, [1], Number.NEGATIVE_INFINITY],
    [2, [1], Number.POSITIVE_INFINITY],
    [0.5, [], Number.NaN],
  ])("quantile(%s, %j) = %s", (q, vals, want) => {
    expect(quantile(q, vals)).toBe(want);
  });

  it.each<[number, [number, number][], number, boolean]>([
    [
      0.5,
      [
        [1, 10],
        [2, 20],
        [Number.POSITIVE_INFINITY, 20],
      ],
      1,
      false,
    ],
    [
      0.75,
      [
        [1, 10],
        [2, 20],
        [Number.POSITIVE_INFINITY, 20],
      ],
      1.5,
      false,
    ],
    [
      0.99,
      [
        [1, 10],
        [2, 10],
        [Number.POSITIVE_INFINITY, 20],
      ],
      2,
      false,
    ],
    [
      0.5,
      [
        [1, 10],
        [2, 20],
      ],
      Number.NaN,
      false,
    ],
    [
      0.5,
      [
        [1, 0],
        [Number.POSITIVE_INFINITY, 0],
      ],
      Number.NaN,
      false,
    ],
    // Non-monotonic counts are fixed and reported.
    [
      0.5,
      [
        [1, 10],
        [2, 5],
        [Number.POSITIVE_INFINITY, 20],
      ],
      1,
      true,
    ],
  ])("histogram_quantile(%s, %j) = %s", (q, bs, want, forced) => {
    const r = bucketQuantile(
      q,
      bs.map(([upperBound, count]) => ({ upperBound, count })),
    );
    expect(r.value).toBe(want);
    expect(r.forcedMonotonicity).toBe(forced);
  });
});

describe("instant helpers", () => {
  it.each([
    [2.5, 1, 3],
    [-2.5, 1, -2],
    [1.234, 0.1, 1.2],
    [7, 5, 5],
  ])("round(%s, %s) = %s", (x, to, want) => {
    expect(roundTo(x, to)).toBeCloseTo(want, 12);
  });

  it.each<[string, number, number]>([
    ["day_of_week", 0, 4],
    ["day_of_month", 0, 1],
    ["day_of_year", 86400 * 40, 41],
    ["days_in_month", 86400 * 40, 28],
    ["hour", 3600 * 5 + 59, 5],
    ["minute", 125, 2],
    ["month", 86400 * 40, 2],
    ["year", 0, 1970],
  ])("%s(%s) = %s", (name, s, want) => {
    expect(DATE_FUNCTIONS[name]!(s)).toBe(want);
  });

  it("linearRegression finds slope and intercept", () => {
    const [slope, intercept] = linearRegression(
      Float64Array.of(0, 1000, 2000),
      Float64Array.of(1, 3, 5),
      0,
      3,
      0,
    );
    expect(slope).toBeCloseTo(2, 12);
    expect(intercept).toBeCloseTo(1, 12);
  });
});
