import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  EntryType,
  type ExpositionFormat,
  ExpositionParseError,
  ExpositionParser,
  OpenMetricsParser,
  parseExposition,
  TextParser,
} from "./index.js";

type Entry =
  | { help: string; text: string }
  | { type: string; mtype: string }
  | { unit: string; text: string }
  | { comment: string }
  | {
      series: string;
      name: string;
      labels: string[];
      value: number;
      ts?: number;
      ex?: { labels: string[]; value: number; ts?: number };
    };

/** Every entry of a body, in a comparable shape. */
function entries(body: string, format: ExpositionFormat): Entry[] {
  const p = new ExpositionParser(body, format);
  const out: Entry[] = [];
  for (let e = p.next(); e !== EntryType.EOF; e = p.next()) {
    switch (e) {
      case EntryType.Help:
        out.push({ help: p.name(), text: p.text() });
        break;
      case EntryType.Type:
        out.push({ type: p.name(), mtype: p.type() });
        break;
      case EntryType.Unit:
        out.push({ unit: p.name(), text: p.text() });
        break;
      case EntryType.Comment:
        out.push({ comment: p.text() });
        break;
      case EntryType.Series: {
        const s: Entry = { series: p.series(), name: p.name(), labels: [...p.labels()], value: p.value() };
        const ts = p.timestamp();
        if (ts !== undefined) s.ts = ts;
        if (p.hasExemplar()) {
          s.ex = { labels: [...p.exemplarLabels()], value: p.exemplarValue() };
          const et = p.exemplarTimestamp();
          if (et !== undefined) s.ex.ts = et;
        }
        out.push(s);
      }
    }
  }
  return out;
}

const S = (series: string, name: string, labels: string[], value: number, ts?: number): Entry =>
  ts === undefined ? { series, name, labels, value } : { series, name, labels, value, ts };

describe("text format 0.0.4: good inputs", () => {
  const cases: [string, string, Entry[]][] = [
    ["empty body", "", []],
    ["blank lines only", "\n\n  \t\n", []],
    ["one sample", "up 1\n", [S("up", "up", [], 1)]],
    ["missing final newline", "up 1", [S("up", "up", [], 1)]],
    ["timestamp", "up 1 1700000000123\n", [S("up", "up", [], 1, 1700000000123)]],
    ["trailing whitespace", "up 1 \t\nx 2 5  \n", [S("up", "up", [], 1), S("x", "x", [], 2, 5)]],
    ["leading whitespace and tabs between tokens", "  up\t\t1\t7\n", [S("up", "up", [], 1, 7)]],
    ["empty label set", "up{} 1\n", [S("up{}", "up", [], 1)]],
    ["value right after the brace", "up{}1\n", [S("up{}", "up", [], 1)]],
    ["space before the brace", 'up {a="b"} 1\n', [S('up {a="b"}', "up", ["a", "b"], 1)]],
    [
      "labels in order of appearance",
      'http_requests_total{method="post",code="200"} 1027 1395066363000\n',
      [
        S(
          'http_requests_total{method="post",code="200"}',
          "http_requests_total",
          ["method", "post", "code", "200"],
          1027,
          1395066363000,
        ),
      ],
    ],
    ["trailing comma", 'a{b="c",} 1\n', [S('a{b="c",}', "a", ["b", "c"], 1)]],
    [
      "whitespace inside braces",
      'a{ b = "c" , d="e" } 1\n',
      [S('a{ b = "c" , d="e" }', "a", ["b", "c", "d", "e"], 1)],
    ],
    ["label escapes", 'a{b="x\\\\y\\"z\\nw"} 1\n', [S('a{b="x\\\\y\\"z\\nw"}', "a", ["b", 'x\\y"z\nw'], 1)]],
    [
      "braces, equals and hashes inside values",
      'a{b="{=}#, "} 1\n',
      [S('a{b="{=}#, "}', "a", ["b", "{=}#, "], 1)],
    ],
    ["unicode label value", 'a{b="日本語 ✓"} 1\n', [S('a{b="日本語 ✓"}', "a", ["b", "日本語 ✓"], 1)]],
    ["colons in metric names", "job:rate5m:sum 3\n", [S("job:rate5m:sum", "job:rate5m:sum", [], 3)]],
    [
      "quoted UTF-8 metric and label names",
      '{"my.metric", "my.label"="v", plain="w"} 2\n',
      [S('{"my.metric", "my.label"="v", plain="w"}', "my.metric", ["my.label", "v", "plain", "w"], 2)],
    ],
    ["quoted name last", '{a="b","x.y"} 2\n', [S('{a="b","x.y"}', "x.y", ["a", "b"], 2)]],
    ["escaped quoted name", '{"a\\"b"} 2\n', [S('{"a\\"b"}', 'a"b', [], 2)]],
    [
      "help, type and comments",
      "# HELP foo Some help.\n# TYPE foo counter\n# plain comment\n#no space\nfoo 1\n",
      [
        { help: "foo", text: "Some help." },
        { type: "foo", mtype: "counter" },
        { comment: "# plain comment" },
        { comment: "#no space" },
        S("foo", "foo", [], 1),
      ],
    ],
    [
      "help escapes: \\\\ and \\n are replaced, other backslashes kept",
      '# HELP foo a\\\\b\\nc \\d \\"\n',
      [{ help: "foo", text: 'a\\b\nc \\d \\"' }],
    ],
    [
      "empty help",
      "# HELP foo\n# HELP bar \n",
      [
        { help: "foo", text: "" },
        { help: "bar", text: "" },
      ],
    ],
    ["help keeps extra spaces after the first", "# HELP foo   x  \n", [{ help: "foo", text: "  x  " }]],
    ["tabs around metadata", "#\tHELP\tfoo\tx\n", [{ help: "foo", text: "x" }]],
    [
      "all text types; untyped is unknown",
      "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d summary\n# TYPE e untyped\n",
      [
        { type: "a", mtype: "counter" },
        { type: "b", mtype: "gauge" },
        { type: "c", mtype: "histogram" },
        { type: "d", mtype: "summary" },
        { type: "e", mtype: "unknown" },
      ],
    ],
    ["type with trailing whitespace", "# TYPE a gauge \t\n", [{ type: "a", mtype: "gauge" }]],
    ["quoted name in metadata", '# TYPE "a.b" gauge\n', [{ type: "a.b", mtype: "gauge" }]],
    [
      "HELP without a name is a comment",
      "# HELP\n# TYPEfoo\n",
      [{ comment: "# HELP" }, { comment: "# TYPEfoo" }],
    ],
    [
      "out-of-order lines and duplicate series are accepted",
      "b 1\n# TYPE a gauge\na 2\nb 3\nb 3\n",
      [
        S("b", "b", [], 1),
        { type: "a", mtype: "gauge" },
        S("a", "a", [], 2),
        S("b", "b", [], 3),
        S("b", "b", [], 3),
      ],
    ],
    [
      "# EOF is just a comment in text",
      "a 1\n# EOF\nb 2\n",
      [S("a", "a", [], 1), { comment: "# EOF" }, S("b", "b", [], 2)],
    ],
    ["NUL inside a label value", 'a{b="\u0000"} 1\n', [S('a{b="\u0000"}', "a", ["b", "\u0000"], 1)]],
  ];
  test.each(cases)("%s", (_name, body, want) => {
    expect(entries(body, "text")).toEqual(want);
  });
});

describe("OpenMetrics 1.0: good inputs", () => {
  const cases: [string, string, Entry[]][] = [
    ["only # EOF", "# EOF\n", []],
    ["# EOF without newline", "# EOF", []],
    ["sample, float-second timestamp", "a 1 1520879607.789\n# EOF\n", [S("a", "a", [], 1, 1520879607789)]],
    ["integer-second timestamp", "a 1 1520879607\n# EOF\n", [S("a", "a", [], 1, 1520879607000)]],
    [
      "negative and exponent timestamps",
      "a 1 -1.5\nb 1 1e3\n# EOF\n",
      [S("a", "a", [], 1, -1500), S("b", "b", [], 1, 1e6)],
    ],
    [
      "full metadata",
      '# TYPE foo_seconds counter\n# UNIT foo_seconds seconds\n# HELP foo_seconds Some \\"help\\" \\n x\\\\\nfoo_seconds_total 1\nfoo_seconds_created 1.5e9\n# EOF\n',
      [
        { type: "foo_seconds", mtype: "counter" },
        { unit: "foo_seconds", text: "seconds" },
        { help: "foo_seconds", text: 'Some "help" \n x\\' },
        S("foo_seconds_total", "foo_seconds_total", [], 1),
        S("foo_seconds_created", "foo_seconds_created", [], 1.5e9),
      ],
    ],
    [
      "empty help and unit",
      "# HELP a \n# UNIT a \n# EOF\n",
      [
        { help: "a", text: "" },
        { unit: "a", text: "" },
      ],
    ],
    [
      "all OpenMetrics types",
      "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d gaugehistogram\n# TYPE e summary\n# TYPE f info\n# TYPE g stateset\n# TYPE h unknown\n# EOF\n",
      ["counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"].map(
        (mtype, i) => ({ type: "abcdefgh"[i]!, mtype }),
      ),
    ],
    [
      "histogram with exemplars",
      '# TYPE h histogram\nh_bucket{le="1"} 0 # {trace_id="KOO5S4vxi0o"} 0.67\nh_bucket{le="+Inf"} 2 123 # {} 2 1520879607.789\nh_count 2\nh_sum 3.5\nh_created 1\n# EOF\n',
      [
        { type: "h", mtype: "histogram" },
        {
          series: 'h_bucket{le="1"}',
          name: "h_bucket",
          labels: ["le", "1"],
          value: 0,
          ex: { labels: ["trace_id", "KOO5S4vxi0o"], value: 0.67 },
        },
        {
          series: 'h_bucket{le="+Inf"}',
          name: "h_bucket",
          labels: ["le", "+Inf"],
          value: 2,
          ts: 123000,
          ex: { labels: [], value: 2, ts: 1520879607789 },
        },
        S("h_count", "h_count", [], 2),
        S("h_sum", "h_sum", [], 3.5),
        S("h_created", "h_created", [], 1),
      ],
    ],
    [
      "counter exemplar, gaugehistogram suffixes",
      '# TYPE c counter\nc_total 1 # {a="b"} 1\n# TYPE g gaugehistogram\ng_bucket{le="+Inf"} 1 # {} 1\ng_gcount 1\ng_gsum 1\n# EOF\n',
      [
        { type: "c", mtype: "counter" },
        { series: "c_total", name: "c_total", labels: [], value: 1, ex: { labels: ["a", "b"], value: 1 } },
        { type: "g", mtype: "gaugehistogram" },
        {
          series: 'g_bucket{le="+Inf"}',
          name: "g_bucket",
          labels: ["le", "+Inf"],
          value: 1,
          ex: { labels: [], value: 1 },
        },
        S("g_gcount", "g_gcount", [], 1),
        S("g_gsum", "g_gsum", [], 1),
      ],
    ],
    [
      "info, stateset and summary families",
      '# TYPE i info\ni_info{v="1"} 1\n# TYPE s stateset\ns{s="a"} 1\ns{s="b"} 0\n# TYPE q summary\nq{quantile="0.5"} 1\nq_count 1\nq_sum 1\n# EOF\n',
      [
        { type: "i", mtype: "info" },
        S('i_info{v="1"}', "i_info", ["v", "1"], 1),
        { type: "s", mtype: "stateset" },
        S('s{s="a"}', "s", ["s", "a"], 1),
        S('s{s="b"}', "s", ["s", "b"], 0),
        { type: "q", mtype: "summary" },
        S('q{quantile="0.5"}', "q", ["quantile", "0.5"], 1),
        S("q_count", "q_count", [], 1),
        S("q_sum", "q_sum", [], 1),
      ],
    ],
    [
      "families without metadata, each contiguous",
      "a 1\na 2\nb 1\nc_total 1\n# EOF\n",
      [S("a", "a", [], 1), S("a", "a", [], 2), S("b", "b", [], 1), S("c_total", "c_total", [], 1)],
    ],
    [
      "trailing comma, empty labels",
      'a{b="c",} 1\nz{} 2\n# EOF\n',
      [S('a{b="c",}', "a", ["b", "c"], 1), S("z{}", "z", [], 2)],
    ],
    [
      "quoted names",
      '# TYPE "a.b" gauge\n{"a.b","c.d"="e"} 1\n# EOF\n',
      [{ type: "a.b", mtype: "gauge" }, S('{"a.b","c.d"="e"}', "a.b", ["c.d", "e"], 1)],
    ],
  ];
  test.each(cases)("%s", (_name, body, want) => {
    expect(entries(body, "openmetrics")).toEqual(want);
  });
});

describe("values", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["-0", -0],
    ["42", 42],
    ["+42", 42],
    ["-17.25", -17.25],
    ["0.1", 0.1],
    ["1.", 1],
    [".5", 0.5],
    ["1e3", 1000],
    ["1E-3", 0.001],
    ["-1.5e+10", -1.5e10],
    ["123456789012345678901234567890", 1.2345678901234568e29],
    ["0.30000000000000004", 0.30000000000000004],
    ["1.7976931348623157e308", Number.MAX_VALUE],
    ["5e-324", 5e-324],
    ["1e-400", 0],
    ["NaN", Number.NaN],
    ["Nan", Number.NaN],
    ["nan", Number.NaN],
    ["+Inf", Number.POSITIVE_INFINITY],
    ["+inf", Number.POSITIVE_INFINITY],
    ["Inf", Number.POSITIVE_INFINITY],
    ["-Inf", Number.NEGATIVE_INFINITY],
    ["-infinity", Number.NEGATIVE_INFINITY],
    ["+Infinity", Number.POSITIVE_INFINITY],
  ];
  test.each(cases)("%s", (token, want) => {
    for (const format of ["text", "openmetrics"] as const) {
      const [s] = parseExposition(`a ${token}\n${format === "openmetrics" ? "# EOF\n" : ""}`, format);
      expect(Object.is(s!.value, want)).toBe(true);
    }
  });

  test("the fast path agrees with Number() on plain decimals", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const token = String(v);
        const [s] = parseExposition(`a ${token}\n`, "text");
        expect(Object.is(s!.value, Number(token))).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[+-]?\d{1,17}(\.\d{0,17})?$/), (token) => {
        const [s] = parseExposition(`a ${token}\n`, "text");
        expect(Object.is(s!.value, Number(token))).toBe(true);
      }),
    );
  });
});

describe("errors name line and column", () => {
  const cases: [ExpositionFormat, string, number, number, string][] = [
    // text: series
    ["text", "a 1\n1foo 2\n", 2, 1, 'expected a metric name or a comment, got "1"'],
    ["text", "a 1\n  -x\n", 2, 3, "expected a metric name or a comment"],
    ["text", '{a="b"} 1\n', 1, 1, "metric name not set"],
    ["text", "foo\n", 1, 4, "expected value after metric, got newline"],
    ["text", "foo", 1, 4, "expected value after metric, got end of input"],
    ["text", "foo{} \n", 1, 7, "expected value after metric"],
    ["text", "foo-1\n", 1, 4, 'expected whitespace or "{" after the metric name, got "-"'],
    ["text", "foo abc\n", 1, 5, 'invalid value "abc"'],
    ["text", "foo 0x10\n", 1, 5, 'invalid value "0x10"'],
    ["text", "foo 1_000\n", 1, 5, "invalid value"],
    ["text", "foo 1e\n", 1, 5, "invalid value"],
    ["text", "foo 1e+\n", 1, 5, "invalid value"],
    ["text", "foo 1.2.3\n", 1, 5, "invalid value"],
    ["text", "foo -nan\n", 1, 5, "invalid value"],
    ["text", "foo .\n", 1, 5, "invalid value"],
    ["text", "foo 1{a}\n", 1, 5, "invalid value"],
    ["text", "foo 1e400\n", 1, 5, 'value "1e400" out of range'],
    ["text", "foo 1 1.5\n", 1, 7, 'invalid timestamp "1.5"'],
    ["text", "foo 1 -5\n", 1, 7, 'invalid timestamp "-5"'],
    ["text", "foo 1 99999999999999999999\n", 1, 7, "timestamp out of range"],
    ["text", "foo 1 2 3\n", 1, 9, 'expected end of line after timestamp, got "3"'],
    ["text", "foo 1\rbar 2\n", 1, 5, "invalid value"],
    // text: labels
    ["text", 'foo{"bar"} 1\n', 1, 5, "metric name already set"],
    ["text", '{"a","b"} 1\n', 1, 6, "metric name already set"],
    ["text", '{""} 1\n', 1, 2, "empty metric name"],
    ["text", 'foo{""="x"} 1\n', 1, 5, "empty label name"],
    ["text", 'foo{1="x"} 1\n', 1, 5, 'expected label name, got "1"'],
    ["text", "foo{,} 1\n", 1, 5, "expected label name"],
    ["text", 'foo{a="b",,} 1\n', 1, 11, "expected label name"],
    ["text", 'foo{a:b="c"} 1\n', 1, 6, 'expected "=" after label name, got ":"'],
    ["text", 'foo{a "b"} 1\n', 1, 7, 'expected "=" after label name'],
    ["text", "foo{a=b} 1\n", 1, 7, 'expected quoted label value, got "b"'],
    ["text", 'foo{a="b" c="d"} 1\n', 1, 11, 'expected "," or "}" after label value, got "c"'],
    ["text", 'foo{a="b"', 1, 10, 'expected "," or "}" after label value, got end of input'],
    ["text", 'foo{a="b} 1\n', 1, 7, "unterminated label value"],
    ["text", 'a 1\nfoo{a="b\nc"} 1\n', 2, 7, "unterminated label value"],
    ["text", 'foo{a="b\\', 1, 7, "unterminated label value"],
    ["text", 'foo{"ab', 1, 5, "unterminated label name"],
    ["text", 'foo{a="x\\ty"} 1\n', 1, 9, 'invalid escape sequence "\\\\t" in label value'],
    ["text", 'foo{a="\\u00e9"} 1\n', 1, 8, "invalid escape sequence"],
    ["text", "foo{\u0000} 1\n", 1, 5, "expected label name"],
    // text: metadata
    ["text", "# TYPE foo blah\n", 1, 12, 'invalid metric type "blah"'],
    ["text", "# TYPE foo unknown\n", 1, 12, 'invalid metric type "unknown"'],
    ["text", "# TYPE foo\n", 1, 11, 'invalid metric type ""'],
    ["text", "# HELP 9foo x\n", 1, 8, "expected metric name after HELP"],
    ["text", "# TYPE \n", 1, 8, "expected metric name after TYPE"],
    ["text", "# HELP foo{x} y\n", 1, 11, "expected whitespace after the metric name"],
    ["text", '# HELP "" x\n', 1, 8, "empty metric name"],
    ["text", '# HELP "ab x\n', 1, 8, "unterminated metric name"],
    // OpenMetrics: framing
    ["openmetrics", "", 1, 1, 'data does not end with "# EOF"'],
    ["openmetrics", "a 1\n", 2, 1, 'data does not end with "# EOF"'],
    ["openmetrics", "a 1", 1, 4, 'data does not end with "# EOF"'],
    ["openmetrics", "a 1 2", 1, 6, 'data does not end with "# EOF"'],
    ["openmetrics", "# HELP a x", 1, 11, 'data does not end with "# EOF"'],
    ["openmetrics", "a_total 1 # {} 1", 1, 17, 'data does not end with "# EOF"'],
    ["openmetrics", "a_total 1 # {}", 1, 15, 'data does not end with "# EOF"'],
    ["openmetrics", "a{", 1, 3, "expected label name, got end of input"],
    ["openmetrics", "a", 1, 2, 'data does not end with "# EOF"'],
    ["openmetrics", "# EOF\nx 1\n", 2, 1, 'unexpected data after "# EOF"'],
    ["openmetrics", "# EOF\n\n", 2, 1, 'unexpected data after "# EOF"'],
    ["openmetrics", "# EOFx\n", 1, 6, 'expected end of line after "# EOF"'],
    ["openmetrics", "# EOF \n", 1, 6, 'expected end of line after "# EOF"'],
    ["openmetrics", "a 1\n\n# EOF\n", 2, 1, "empty lines are not allowed"],
    ["openmetrics", "#HELP a x\n# EOF\n", 1, 2, 'expected a space after "#"'],
    ["openmetrics", "# a comment\n# EOF\n", 1, 3, "expected HELP, TYPE, UNIT or EOF"],
    ["openmetrics", "# HELP a\n# EOF\n", 1, 9, "expected a space and text after the metric name in HELP"],
    ["openmetrics", "# HELP 1a x\n# EOF\n", 1, 8, "expected metric name after HELP"],
    ["openmetrics", "# HELP a x\\ty\n# EOF\n", 1, 11, 'invalid escape sequence "\\\\t" in help text'],
    ["openmetrics", "# TYPE a untyped\n# EOF\n", 1, 10, 'invalid metric type "untyped"'],
    ["openmetrics", "# TYPE a gauge \n# EOF\n", 1, 10, 'invalid metric type "gauge "'],
    [
      "openmetrics",
      "# UNIT a_seconds bytes\n# EOF\n",
      1,
      18,
      'unit "bytes" is not a suffix of metric "a_seconds"',
    ],
    ["openmetrics", "# UNIT seconds seconds\n# EOF\n", 1, 16, "is not a suffix"],
    // OpenMetrics: samples
    ["openmetrics", "1a 1\n# EOF\n", 1, 1, "expected a metric name or a comment"],
    ["openmetrics", '{a="b"} 1\n# EOF\n', 1, 1, "metric name not set"],
    ["openmetrics", "a\t1\n# EOF\n", 1, 2, "expected a single space before the value"],
    ["openmetrics", "a{} 1 \n# EOF\n", 1, 7, "expected timestamp"],
    ["openmetrics", "a  1\n# EOF\n", 1, 3, "expected value"],
    ["openmetrics", 'a{b="c", d="e"} 1\n# EOF\n', 1, 9, "expected label name"],
    ["openmetrics", "a 1 NaN\n# EOF\n", 1, 5, 'invalid timestamp "NaN"'],
    ["openmetrics", "a 1 +Inf\n# EOF\n", 1, 5, "invalid timestamp"],
    ["openmetrics", "a 1 1e300\n# EOF\n", 1, 5, "timestamp out of range"],
    ["openmetrics", "a 1 2 3\n# EOF\n", 1, 7, 'expected timestamp or exemplar (" # {"), got "3"'],
    // OpenMetrics: exemplars
    ["openmetrics", "# TYPE a counter\na_total 1 #x\n# EOF\n", 2, 11, "expected timestamp or exemplar"],
    [
      "openmetrics",
      "# TYPE a counter\na_total 1 # {}1\n# EOF\n",
      2,
      15,
      "expected a single space before the exemplar value",
    ],
    [
      "openmetrics",
      '# TYPE a counter\na_total 1 # {"x"} 1\n# EOF\n',
      2,
      14,
      "exemplar labels cannot name a metric",
    ],
    ["openmetrics", "# TYPE a counter\na_total 1 # {} x\n# EOF\n", 2, 16, 'invalid exemplar value "x"'],
    [
      "openmetrics",
      "# TYPE a counter\na_total 1 # {} 1 2 3\n# EOF\n",
      2,
      19,
      "expected end of line after exemplar timestamp",
    ],
    ["openmetrics", "# TYPE a counter\na_total 1 # {} 1 x\n# EOF\n", 2, 18, "invalid exemplar timestamp"],
    [
      "openmetrics",
      "a 1 # {} 1\n# EOF\n",
      1,
      5,
      "exemplars are only allowed on counter _total and histogram _bucket",
    ],
    ["openmetrics", "# TYPE h histogram\nh_count 1 # {} 1\n# EOF\n", 2, 11, "exemplars are only allowed"],
    [
      "openmetrics",
      `# TYPE a counter\na_total 1 # {x="${"y".repeat(128)}"} 1\n# EOF\n`,
      2,
      11,
      "more than 128",
    ],
    // OpenMetrics: families
    ["openmetrics", "a 1\nb 1\na 2\n# EOF\n", 3, 1, 'metric family "a" appears again after another family'],
    [
      "openmetrics",
      "# TYPE a gauge\na 1\n# TYPE b gauge\n# HELP a x\n# EOF\n",
      4,
      8,
      'metric family "a" appears again',
    ],
    [
      "openmetrics",
      "# TYPE a counter\na_total 1\nb 1\na_total 2\n# EOF\n",
      4,
      1,
      'metric "a_total" of family "a" appears again',
    ],
    [
      "openmetrics",
      "a_total 1\n# TYPE a counter\na_total 2\n# EOF\n",
      3,
      1,
      'metric "a_total" of family "a_total"',
    ],
    [
      "openmetrics",
      "# TYPE a counter\na 1\n# EOF\n",
      2,
      1,
      'sample name "a" is not valid in counter family "a"',
    ],
    [
      "openmetrics",
      "# TYPE a histogram\na 1\n# EOF\n",
      2,
      1,
      "expected suffix _bucket, _count, _sum, _created",
    ],
    ["openmetrics", "# TYPE a info\na 1\n# EOF\n", 2, 1, "not valid in info family"],
    [
      "openmetrics",
      "a 1\n# TYPE a counter\na 2\n# EOF\n",
      3,
      1,
      'sample name "a" is not valid in counter family',
    ],
    [
      "openmetrics",
      "# TYPE a histogram\na_bucket 1\na_sum 1\nb 1\na_sum 2\n# EOF\n",
      5,
      1,
      'metric "a_sum" of family "a" appears again',
    ],
  ];
  test.each(cases)("%s %j", (format, body, line, column, fragment) => {
    let err: unknown;
    try {
      parseExposition(body, format);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExpositionParseError);
    const pe = err as ExpositionParseError;
    expect(pe.reason).toContain(fragment);
    expect([pe.line, pe.column]).toEqual([line, column]);
    expect(pe.message).toBe(`line ${line}, column ${column}: ${pe.reason}`);
  });

  test("the context of a huge line is truncated", () => {
    const body = `foo{a="${"x".repeat(1 << 20)}" b="c"} 1\n`;
    const err = (() => {
      try {
        parseExposition(body, "text");
      } catch (e) {
        return e as ExpositionParseError;
      }
    })()!;
    expect(err.column).toBe(8 + (1 << 20) + 2);
    expect(err.message.length).toBeLessThan(300);
  });
});

describe("the pull API", () => {
  test("labels() reuses one array; series(), timestamp() and lineNumber() follow the entry", () => {
    const p = new TextParser('a{x="1",y="2"} 1 5\n\n# c\nb{z="3"} 2\n');
    expect(p.next()).toBe(EntryType.Series);
    const first = p.labels();
    expect([...first]).toEqual(["x", "1", "y", "2"]);
    expect([p.series(), p.timestamp(), p.lineNumber()]).toEqual(['a{x="1",y="2"}', 5, 1]);
    expect(p.next()).toBe(EntryType.Comment);
    expect(p.lineNumber()).toBe(3);
    expect(p.next()).toBe(EntryType.Series);
    expect(p.labels()).toBe(first);
    expect([...first]).toEqual(["z", "3"]);
    expect([p.series(), p.timestamp(), p.lineNumber(), p.entry]).toEqual([
      'b{z="3"}',
      undefined,
      4,
      EntryType.Series,
    ]);
    expect(p.next()).toBe(EntryType.EOF);
    expect(p.next()).toBe(EntryType.EOF);
  });

  test("after an error every next() throws the same error", () => {
    const p = new OpenMetricsParser("a 1\n");
    expect(p.next()).toBe(EntryType.Series);
    let first: unknown;
    try {
      p.next();
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(ExpositionParseError);
    expect(() => p.next()).toThrow(first as Error);
  });

  test("a 1 MB label value and a 1 MB help text parse", () => {
    const big = "v".repeat(1 << 20);
    const body = `# HELP a ${big}\na{b="${big}",c="\\n${big}"} 1\n`;
    const [help, s] = entries(body, "text");
    expect(help).toEqual({ help: "a", text: big });
    expect((s as { labels: string[] }).labels).toEqual(["b", big, "c", `\n${big}`]);
  });

  test("many labels grow the offset buffers", () => {
    const names = Array.from({ length: 100 }, (_, i) => `l${i}`);
    const body = `a{${names.map((n) => `${n}="${n}"`).join(",")}} 1\n# EOF\n`;
    const [s] = parseExposition(body, "openmetrics");
    expect(s!.labels).toEqual(names.flatMap((n) => [n, n]));
  });
});

describe("garbage never crashes or hangs", () => {
  const check = (body: string, format: ExpositionFormat): void => {
    const p = new ExpositionParser(body, format);
    let steps = 0;
    try {
      while (p.next() !== EntryType.EOF) {
        p.name();
        p.labels();
        p.text();
        p.series();
        p.exemplarLabels();
        if (++steps > body.length + 2) throw new Error("parser does not advance");
      }
    } catch (e) {
      if (!(e instanceof ExpositionParseError)) throw e;
      expect(e.line).toBeGreaterThanOrEqual(1);
      expect(e.column).toBeGreaterThanOrEqual(1);
    }
  };

  test("random bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom("text", "openmetrics"),
        (bytes, format) => {
          check(new TextDecoder().decode(bytes), format as ExpositionFormat);
          check(Buffer.from(bytes).toString("latin1"), format as ExpositionFormat);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("random strings over the format's own alphabet", () => {
    const alphabet = fc.constantFrom(...'ab_:{}=",# \t\n\\01.eE+-InfNaHELPTYPEUNITOF');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 120 }),
        fc.constantFrom("text", "openmetrics"),
        (cs, format) => {
          check(cs.join(""), format as ExpositionFormat);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("one mutated character in a valid body", () => {
    const body =
      '# HELP a_total x\n# TYPE a counter\na_total{b="c",d="e"} 1.5 1700000000 # {t="x"} 1 1\n# EOF\n';
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.string({ minLength: 0, maxLength: 2 }), (at, ins) => {
        const mutated = body.slice(0, at) + ins + body.slice(at + 1);
        check(mutated, "openmetrics");
        check(mutated, "text");
      }),
      { numRuns: 1000 },
    );
  });
});
