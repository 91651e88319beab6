import { describe, expect, it } from "vitest";
import { formatLabels, isStaleNaN } from "../../model/index.js";
import { parseSeriesDesc } from "./index.js";

function slots(line: string): string[] {
  return parseSeriesDesc(line).values.map((v) => {
    if (v.omitted) return "_";
    if (v.histogram) return `h${v.histogram.count}`;
    if (isStaleNaN(v.value)) return "stale";
    return String(v.value);
  });
}

describe("parseSeriesDesc", () => {
  const cases: Array<[string, string[]]> = [
    ["m 1 2 3", ["1", "2", "3"]],
    ["m 0+10x3", ["0", "10", "20", "30"]],
    ["m 1-2x4", ["1", "-1", "-3", "-5", "-7"]],
    ["m -1+1x2", ["-1", "0", "1"]],
    ["m 5x2", ["5", "5", "5"]],
    ["m 0x3", ["0", "0", "0", "0"]],
    ["m _ _x3 1", ["_", "_", "_", "_", "1"]],
    ["m 1 stale 2", ["1", "stale", "2"]],
    ["m Inf -Inf +Inf NaN", ["Infinity", "-Infinity", "Infinity", "NaN"]],
    ["m 1_000 .5 1e3", ["1000", "0.5", "1000"]],
    ["m\t1\t\t2 ", ["1", "2"]],
    ["m", []],
    ["m {{count:2 sum:3}}x2", ["h2", "h2", "h2"]],
    ["m {{count:2}}+{{count:1}}x2", ["h2", "h3", "h4"]],
    ["m {{count:5}}-{{count:1}}x1", ["h5", "h4"]],
    ["m {{}} {{ count:1 }}", ["h0", "h1"]],
  ];
  it.each(cases)("%s", (line, want) => {
    expect(slots(line)).toEqual(want);
  });

  it("reads the label set, name included", () => {
    expect(formatLabels(parseSeriesDesc('http_requests{job="api", path="/a\\"b"} 1').labels)).toBe(
      'http_requests{job="api", path="/a\\"b"}',
    );
    expect(parseSeriesDesc('{a="b"} 1').labels).toEqual([{ name: "a", value: "b" }]);
    expect(parseSeriesDesc("{} 1").labels).toEqual([]);
    expect(parseSeriesDesc("sum 1").labels).toEqual([{ name: "__name__", value: "sum" }]);
  });

  it("builds native histograms with absolute bucket counts and one span per sign", () => {
    const [v] = parseSeriesDesc(
      "m {{schema:1 sum:-0.3 count:3.1 z_bucket:7.1 z_bucket_w:0.05 buckets:[5.1 10 7] offset:-3 n_buckets:[4.1 5] n_offset:-5 counter_reset_hint:gauge}}",
    ).values;
    expect(v).toMatchObject({
      counterResetHintSet: true,
      histogram: {
        schema: 1,
        sum: -0.3,
        count: 3.1,
        zeroCount: 7.1,
        zeroThreshold: 0.05,
        positiveSpans: [{ offset: -3, length: 3 }],
        positiveBuckets: [5.1, 10, 7],
        negativeSpans: [{ offset: -5, length: 2 }],
        negativeBuckets: [4.1, 5],
        counterResetHint: "gauge",
      },
    });
  });

  it("adds histograms bucket by bucket when expanding", () => {
    const vs = parseSeriesDesc("m {{buckets:[1 2] offset:1}}+{{buckets:[1] offset:0}}x1").values;
    expect(vs[1]!.histogram).toMatchObject({
      positiveSpans: [{ offset: 0, length: 3 }],
      positiveBuckets: [1, 1, 2],
    });
  });

  const errors: Array<[string, string]> = [
    ["m 1 foo", '1:5: parse error: unexpected identifier "foo" in series values, expected number or "stale"'],
    ["m 90s", '1:3: parse error: bad number syntax: "90"'],
    ["m {{count:1 count:2}}", '1:13: parse error: duplicate key "count" in histogram'],
    ["m {{foo:1}}", '1:5: parse error: bad histogram descriptor found: "foo"'],
    ['m{a=~"b"} 1', '1:4: parse error: unexpected <op:=~> in label set, expected "="'],
  ];
  it.each(errors)("%j fails with %j", (line, want) => {
    expect(() => parseSeriesDesc(line)).toThrow(want);
  });
});
