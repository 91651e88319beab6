import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { labelsFromRecord } from "../model/index.js";
import { formatFloat, type QueryResult, queryResultToJSON, queryResultToJSONString } from "./value.js";

describe("formatFloat matches Go's strconv.FormatFloat(f, 'f', -1, 64)", () => {
  it.each([
    [0, "0"],
    [-0, "-0"],
    [1, "1"],
    [-1.5, "-1.5"],
    [0.1, "0.1"],
    [1e21, "1000000000000000000000"],
    [1.5e21, "1500000000000000000000"],
    [1e-7, "0.0000001"],
    [-2.5e-8, "-0.000000025"],
    [123456789.125, "123456789.125"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
    [Number.MAX_VALUE, `17976931348623157${"0".repeat(292)}`],
    [5e-324, `0.${"0".repeat(323)}5`],
  ])("%s → %s", (f, want) => {
    expect(formatFloat(f)).toBe(want);
  });

  it("round-trips every finite float and never uses an exponent", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (f) => {
        const s = formatFloat(f);
        expect(s).not.toMatch(/e/i);
        expect(Object.is(Number(s), f) || (f === 0 && Number(s) === 0)).toBe(true);
      }),
    );
  });
});

describe("queryResultToJSON renders Prometheus's data shape", () => {
  const labels = labelsFromRecord({ __name__: "up", job: "node" });
  const cases: [string, QueryResult, unknown][] = [
    [
      "vector",
      { resultType: "vector", result: [{ labels, t: 1500, v: 1 }], warnings: [], infos: [] },
      { resultType: "vector", result: [{ metric: { __name__: "up", job: "node" }, value: [1.5, "1"] }] },
    ],
    [
      "matrix",
      {
        resultType: "matrix",
        result: [{ labels, t: Float64Array.of(0, 60000), v: Float64Array.of(Number.NaN, 2.5) }],
        warnings: [],
        infos: [],
      },
      {
        resultType: "matrix",
        result: [
          {
            metric: { __name__: "up", job: "node" },
            values: [
              [0, "NaN"],
              [60, "2.5"],
            ],
          },
        ],
      },
    ],
    [
      "scalar",
      { resultType: "scalar", result: { t: 1000, v: Number.POSITIVE_INFINITY }, warnings: [], infos: [] },
      { resultType: "scalar", result: [1, "+Inf"] },
    ],
    [
      "string",
      { resultType: "string", result: { t: 1000, value: "x" }, warnings: [], infos: [] },
      { resultType: "string", result: [1, "x"] },
    ],
  ];
  it.each(cases)("%s", (_name, r, want) => {
    expect(queryResultToJSON(r)).toEqual(want);
    expect(JSON.parse(queryResultToJSONString(r))).toEqual(want);
  });
});
