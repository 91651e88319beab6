import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatExpr,
  formatGoFloat,
  formatNumber,
  formatPromDuration,
  parseExpr,
  prettyFormatExpr,
  resolveDurationExprs,
} from "./index.js";

describe("formatExpr prints like Prometheus's String()", () => {
  // [input, expected output]; an empty output means "same as input".
  const cases: Array<[string, string]> = [
    ['sum by() (task:errors:rate10s{job="s"})', 'sum(task:errors:rate10s{job="s"})'],
    ['sum by(code) (task:errors:rate10s{job="s"})', 'sum by (code) (task:errors:rate10s{job="s"})'],
    ['sum without() (task:errors:rate10s{job="s"})', 'sum without () (task:errors:rate10s{job="s"})'],
    [
      'sum without(instance) (task:errors:rate10s{job="s"})',
      'sum without (instance) (task:errors:rate10s{job="s"})',
    ],
    ['topk(5, task:errors:rate10s{job="s"})', ""],
    ['count_values("value", task:errors:rate10s{job="s"})', ""],
    ["a - on() c", "a - on () c"],
    ["a - on(b) c", "a - on (b) c"],
    ["a - on(b) group_left(x) c", "a - on (b) group_left (x) c"],
    ["a - on(b) group_left(x, y) c", "a - on (b) group_left (x, y) c"],
    ["a - on(b) group_left c", "a - on (b) group_left () c"],
    ["a - on(b) group_left() (c)", "a - on (b) group_left () (c)"],
    ["a - ignoring(b) c", "a - ignoring (b) c"],
    ["a - ignoring() c", "a - c"],
    ["up > bool 0", ""],
    // Prometheus 2's name is an alias; the tree holds (and prints) the Prometheus 3 name.
    ["holt_winters(x[5m], 0.5, 0.5)", "double_exponential_smoothing(x[5m], 0.5, 0.5)"],
    ["a offset 1m", ""],
    ["a offset -7m", ""],
    ['a{c="d"}[5m] offset 1m', ""],
    ["a[5m] offset 1m", ""],
    ["a[12m] offset -3m", ""],
    ["a[1h:5m] offset 1m", ""],
    ['{__name__="a"}', ""],
    ['a{b!="c"}[1m]', ""],
    ['a{b=~"c"}[1m]', ""],
    ['a{b!~"c"}[1m]', ""],
    ["a @ 10", "a @ 10.000"],
    ["a[1m] @ 10", "a[1m] @ 10.000"],
    ["a @ start()", ""],
    ["a @ end()", ""],
    ["a[1m] @ start()", ""],
    ["a[1m] @ end()", ""],
    // Beyond printer_test.go.
    ["SUM BY (job) (x)", "sum by (job) (x)"],
    ["sum(x) by (job)", "sum by (job) (x)"],
    ['x{b="2", a="1"}', 'x{a="1",b="2"}'],
    ["x offset 90d", "x offset 90d"],
    ["x offset 2w", "x offset 2w"],
    ["x offset 1y", "x offset 1y"],
    ["x[1800]", "x[30m]"],
    ["x[1h30m]", "x[1h30m]"],
    ["x[5m:]", ""],
    ["x[5m:] @ 100 offset 1m", "x[5m:] @ 100.000 offset 1m"],
    ["rate(x[5m])", ""],
    ["1e3", "1000"],
    ["0x1f", "31"],
    ["1e-7", "0.0000001"],
    ["Inf", "+Inf"],
    // `+Inf ^ x` would parse back as `+(Inf ^ x)`: the base of `^` keeps no sign (unlike Prometheus)
    ["up + Inf ^ up", "up + Inf ^ up"],
    ["+Inf ^ up", "+Inf ^ up"],
    ["-Inf", ""],
    ["NaN", ""],
    ["-(1)", ""],
    ["- x", "-x"],
    ["5m", ""],
    ["x + 1h", ""],
    ['"a\\tb\\u00e9"', '"a\\tbé"'],
    ["`raw'\"`", '"raw\'\\""'],
    ['sum by ("a.b") (x)', 'sum by ("a.b") (x)'],
    ['{"my.metric", a="b"}', '{__name__="my.metric",a="b"}'],
    ["x[26m+4m]", "x[26m + 4m]"],
    ["x[60*30]", "x[60 * 30]"],
    ["x[2m*(10+5)]", "x[2m * (10 + 5)]"],
    ["x[(9m30s+30s)*3]", "x[(9m30s + 30s) * 3]"],
    ["x[step()]", ""],
    ["x[min_of(step()+1,1h)]", "x[min_of(step() + 1, 1h)]"],
    ["x[29s+1s:20*500ms] offset -(20*4)", "x[29s + 1s:20 * 500ms] offset -(20 * 4)"],
    ["x offset (100 + 2)", "x offset (100 + 2)"],
    ["x offset STEP()", "x offset step()"],
    ["x offset (step())", "x offset (step())"],
    ["x[1m] anchored", ""],
    ["x[1m] smoothed offset 1m", ""],
    ["a + fill(0) b", "a + fill (0) b"],
    ["a + fill_left(5) fill_right(7) b", "a + fill_left (5) fill_right (7) b"],
    ["a + on(x) group_left fill(-Inf) b", "a + on (x) group_left () fill (-Inf) b"],
    ["a == bool fill(1e6) b", "a == bool fill (1e+06) b"],
    ["h >/ 0", ""],
    ["a atan2 b", ""],
    ["limitk(2, x)", ""],
    ["histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", ""],
    ['label_replace(up, "a", "$1", "b", "(.*)")', ""],
    ['info(x, {k="v"})', ""],
  ];
  it.each(cases)("%s", (input, out) => {
    expect(formatExpr(parseExpr(input))).toBe(out === "" ? input : out);
  });

  it("reaches a fixed point after one print for every case", () => {
    for (const [input] of cases) {
      const once = formatExpr(parseExpr(input));
      expect(formatExpr(parseExpr(once))).toBe(once);
    }
  });

  it("prints resolved step() durations as written", () => {
    const e = parseExpr("x[step()]");
    resolveDurationExprs(e, { stepMs: 15_000, rangeMs: 0 });
    expect(e).toMatchObject({ range: 15_000 });
    expect(formatExpr(e)).toBe("x[step()]");
  });
});

describe("number and duration formatting", () => {
  const numbers: Array<[number, string, string]> = [
    [0, "0", "0"],
    [-0, "-0", "-0"],
    [1, "1", "1"],
    [0.1, "0.1", "0.1"],
    [1e21, "1000000000000000000000", "1e+21"],
    [123456, "123456", "123456"],
    [1234567, "1234567", "1.234567e+06"],
    [0.0001, "0.0001", "0.0001"],
    [0.00001, "0.00001", "1e-05"],
    [-2.5, "-2.5", "-2.5"],
    [Number.NaN, "NaN", "NaN"],
  ];
  it.each(numbers)("%s prints as %s (f) and %s (v)", (v, f, g) => {
    expect(formatNumber(v)).toBe(f);
    expect(formatGoFloat(v)).toBe(g);
  });

  const durations: Array<[number, string]> = [
    [0, "0s"],
    [1, "1ms"],
    [90_000, "1m30s"],
    [5_400_000, "1h30m"],
    [90 * 86_400_000, "90d"],
    [14 * 86_400_000, "2w"],
    [365 * 86_400_000, "1y"],
    [366 * 86_400_000, "366d"],
    [3_723_004, "1h2m3s4ms"],
  ];
  it.each(durations)("%s ms prints as %s", (ms, s) => {
    expect(formatPromDuration(ms)).toBe(s);
  });
});

describe("prettyFormatExpr splits long expressions like Prometheus's Pretty(0)", () => {
  it("keeps short expressions on one line", () => {
    expect(prettyFormatExpr(parseExpr("sum by (job) (rate(x[5m]))"))).toBe("sum by (job) (rate(x[5m]))");
  });

  it("splits a binary expression and a call whose text exceeds 100 characters", () => {
    const q =
      'sum by (job) (rate(http_requests_total{job="api-server",handler="/api/v1/query",code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{job="api-server"}[5m]))';
    expect(prettyFormatExpr(parseExpr(q))).toBe(
      [
        '  sum by (job) (rate(http_requests_total{code=~"5..",handler="/api/v1/query",job="api-server"}[5m]))',
        "/",
        '  sum by (job) (rate(http_requests_total{job="api-server"}[5m]))',
      ].join("\n"),
    );
    const call =
      'histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket{job="api-server", verb="GET"}[5m])))';
    expect(prettyFormatExpr(parseExpr(call))).toBe(
      [
        "histogram_quantile(",
        "  0.99,",
        '  sum by (le, job) (rate(http_request_duration_seconds_bucket{job="api-server",verb="GET"}[5m]))',
        ")",
      ].join("\n"),
    );
  });

  it("splits nested nodes level by level", () => {
    const sel = `metric_with_a_rather_long_name_to_force_splitting{instance="host-1.example.org:9100",job="node"}`;
    const q = `sum without (instance) (rate(${sel}[5m]))`;
    expect(prettyFormatExpr(parseExpr(q))).toBe(
      ["sum without (instance) (", `  rate(\n    ${sel}[5m]\n  )`, ")"].join("\n"),
    );
  });

  it("is parseable back to the same canonical expression", () => {
    const q =
      'topk(10, sum without (instance) (rate(node_cpu_seconds_total{mode!="idle",job="node-exporter-with-a-long-name"}[5m])) > bool 0.5)';
    const e = parseExpr(q);
    expect(formatExpr(parseExpr(prettyFormatExpr(e)))).toBe(formatExpr(e));
  });
});

describe("print → parse → print is a fixed point (property)", () => {
  const ident = fc.constantFrom("up", "x", "http_requests_total", "job:rate5m", "sum", "offset");
  const label = fc.constantFrom("job", "instance", "le", "a_b");
  const value = fc.string({ maxLength: 6 });
  const matchOp = fc.constantFrom("=", "!=", "=~", "!~");
  const selector = fc
    .tuple(ident, fc.array(fc.tuple(label, matchOp, value), { maxLength: 3 }))
    .map(
      ([n, ms]) =>
        `${n}{${ms.map(([l, o, v]) => `${l}${o}${JSON.stringify(v.replace(/[\\[\](){}.*+?^$|]/g, ""))}`).join(",")}}`,
    );
  const duration = fc.constantFrom("5m", "1h30m", "30s", "1d", "90", "2w");
  const number = fc.oneof(
    fc.integer({ min: -1000, max: 1000 }).map(String),
    fc.constantFrom("0.5", "1e3", "Inf", "NaN", "0x10"),
  );
  const vectorExpr: fc.Arbitrary<string> = fc.letrec((tie) => ({
    vec: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      selector,
      fc.tuple(selector, duration).map(([s, d]) => `rate(${s}[${d}])`),
      fc.tuple(selector, duration).map(([s, d]) => `${s} offset -${d}`),
      fc
        .tuple(fc.constantFrom("sum", "max", "count"), fc.array(label, { maxLength: 2 }), tie("vec"))
        .map(([op, g, e]) => `${op} by (${g.join(", ")}) (${e})`),
      fc
        .tuple(
          tie("vec"),
          fc.constantFrom("+", "-", "*", "/", "^", "and", "or", "unless", "> bool", "atan2"),
          tie("vec"),
        )
        .map(([a, op, b]) => `${a} ${op} ${b}`),
      fc.tuple(tie("vec"), fc.constantFrom("+", "*", "<"), number).map(([a, op, n]) => `${a} ${op} ${n}`),
      fc.tuple(tie("vec"), label).map(([a, l]) => `(${a}) + on(${l}) group_left ${a}`),
      tie("vec").map((e) => `-(${e})`),
      fc.tuple(tie("vec"), duration).map(([e, d]) => `max_over_time((${e})[${d}:])`),
      fc.tuple(number, tie("vec")).map(([n, e]) => `topk(${n}, ${e})`),
    ),
  })).vec;

  it("holds for generated queries", () => {
    fc.assert(
      fc.property(vectorExpr, (q) => {
        let e: ReturnType<typeof parseExpr>;
        try {
          e = parseExpr(q);
        } catch {
          return true;
        }
        const once = formatExpr(e);
        expect(formatExpr(parseExpr(once))).toBe(once);
        expect(formatExpr(parseExpr(prettyFormatExpr(e)))).toBe(once);
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
