import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  compareLabels,
  formatDuration,
  formatLabels,
  isStaleNaN,
  LabelsBuilder,
  labelsEqual,
  labelsFromPairs,
  labelsFromRecord,
  labelsGet,
  labelsKey,
  Matcher,
  matchLabels,
  parseDuration,
  STALE_NAN,
} from "./index.js";

describe("labels", () => {
  test("are sorted by name and drop empty values", () => {
    expect(labelsFromRecord({ z: "1", a: "2", __name__: "up", empty: "" })).toEqual([
      { name: "__name__", value: "up" },
      { name: "a", value: "2" },
      { name: "z", value: "1" },
    ]);
    expect(labelsFromPairs(["b", "1", "a", "2", "b", "3"])).toEqual([
      { name: "a", value: "2" },
      { name: "b", value: "3" },
    ]);
  });

  test("keys are equal exactly when the sets are equal", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
        fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
        (a, b) => {
          const la = labelsFromRecord(a);
          const lb = labelsFromRecord(b);
          expect(labelsKey(la) === labelsKey(lb)).toBe(labelsEqual(la, lb));
          expect(compareLabels(la, lb) === 0).toBe(labelsEqual(la, lb));
        },
      ),
    );
  });

  test("order like Prometheus: label by label, then by length", () => {
    const f = (a: Record<string, string>, b: Record<string, string>, sign: number) =>
      expect(Math.sign(compareLabels(labelsFromRecord(a), labelsFromRecord(b)))).toBe(sign);
    f({ a: "1" }, { a: "2" }, -1);
    f({ a: "1" }, { a: "1", b: "1" }, -1);
    f({ a: "1", c: "1" }, { a: "1", b: "1" }, 1);
    f({ a: "x" }, { a: "x" }, 0);
  });

  test("get, builder and formatting", () => {
    const ls = labelsFromRecord({ __name__: "http_requests_total", job: "api", code: "200" });
    expect(labelsGet(ls, "job")).toBe("api");
    expect(labelsGet(ls, "missing")).toBe("");
    expect(formatLabels(ls)).toBe('http_requests_total{code="200", job="api"}');
    const b = new LabelsBuilder(ls).set("job", "").set("instance", "a:1").del("code");
    expect(b.labels()).toEqual(labelsFromRecord({ __name__: "http_requests_total", instance: "a:1" }));
  });
});

describe("matchers", () => {
  const f = (type: "=" | "!=" | "=~" | "!~", value: string, input: string, want: boolean) =>
    expect(new Matcher(type, "l", value).matches(input)).toBe(want);
  test.each([
    ["=", "a", "a", true],
    ["=", "a", "ab", false],
    ["!=", "a", "b", true],
    ["=~", "a|b", "b", true],
    ["=~", "a", "ab", false],
    ["=~", "a.*", "a\nb", true],
    ["=~", ".*", "", true],
    ["!~", "a.+", "ab", false],
    ["!~", "a.+", "a", true],
    ["=~", "(?:foo)", "foo", true],
  ] as const)("%s %j on %j → %s", (type, value, input, want) => f(type, value, input, want));

  test("an absent label matches as the empty string", () => {
    const ls = labelsFromRecord({ __name__: "up" });
    expect(matchLabels([new Matcher("=", "job", "")], ls)).toBe(true);
    expect(matchLabels([new Matcher("!=", "job", "")], ls)).toBe(false);
  });

  test("a bad regular expression is named", () => {
    expect(() => new Matcher("=~", "job", "(")).toThrow(/invalid regular expression "\(" for label job/);
  });
});

describe("durations", () => {
  test.each([
    ["0", 0],
    ["15s", 15_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["2w", 14 * 86_400_000],
    ["1y", 365 * 86_400_000],
    ["1d2h3m4s5ms", 93_784_005],
  ])("%s = %d ms", (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });
  test.each(["", "15", "1m1h", "1.5s", "-1s", "1s1s", "1x"])("%j is rejected", (s) => {
    expect(() => parseDuration(s)).toThrow(/not a valid duration string/);
  });
  test("format round-trips", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), (ms) => parseDuration(formatDuration(ms)) === ms),
    );
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(0)).toBe("0s");
  });
});

describe("stale marker", () => {
  test("is a NaN distinct from ordinary NaN", () => {
    expect(Number.isNaN(STALE_NAN)).toBe(true);
    expect(isStaleNaN(STALE_NAN)).toBe(true);
    expect(isStaleNaN(Number.NaN)).toBe(false);
    expect(isStaleNaN(0)).toBe(false);
    const buf = new Float64Array(1);
    buf[0] = STALE_NAN; // typed arrays keep NaN payloads; plain JS number arrays do not
    expect(isStaleNaN(buf[0]!)).toBe(true);
  });
});
