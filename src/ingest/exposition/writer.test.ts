import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { FamilySample, MetricFamily, MetricType } from "../../model/index.js";
import { STALE_NAN } from "../../model/index.js";
import { EntryType, type ExpositionFormat, ExpositionParser, formatValue, writeExposition } from "./index.js";

const fam = (
  name: string,
  type: MetricType,
  samples: FamilySample[],
  help = "",
  unit?: string,
): MetricFamily => (unit === undefined ? { name, help, type, samples } : { name, help, type, unit, samples });

describe("writeExposition", () => {
  const cases: [string, MetricFamily[], string, string][] = [
    [
      "gauge with labels and timestamp",
      [
        fam(
          "up",
          "gauge",
          [{ name: "up", labels: { job: "node", instance: "a:9100" }, value: 1, timestamp: 1500 }],
          "Up.",
        ),
      ],
      '# HELP up Up.\n# TYPE up gauge\nup{job="node",instance="a:9100"} 1 1500\n',
      '# HELP up Up.\n# TYPE up gauge\nup{job="node",instance="a:9100"} 1 1.5\n# EOF\n',
    ],
    [
      "counter named without _total",
      [fam("req", "counter", [{ name: "req_total", labels: {}, value: 3 }])],
      "# TYPE req_total counter\nreq_total 3\n",
      "# TYPE req counter\nreq_total 3\n# EOF\n",
    ],
    [
      "counter named with _total; a bare sample gains the suffix in OpenMetrics",
      [fam("req_total", "counter", [{ name: "req_total", labels: {}, value: 3 }])],
      "# TYPE req_total counter\nreq_total 3\n",
      "# TYPE req counter\nreq_total 3\n# EOF\n",
    ],
    [
      "bare counter sample",
      [fam("c", "counter", [{ name: "c", labels: {}, value: 1 }])],
      "# TYPE c counter\nc 1\n",
      "# TYPE c counter\nc_total 1\n# EOF\n",
    ],
    [
      "info family",
      [fam("build", "info", [{ name: "build_info", labels: { version: "1.2" }, value: 1 }])],
      '# TYPE build_info untyped\nbuild_info{version="1.2"} 1\n',
      '# TYPE build info\nbuild_info{version="1.2"} 1\n# EOF\n',
    ],
    [
      "unit only when it is a suffix, only in OpenMetrics",
      [fam("d_seconds", "gauge", [], "", "seconds"), fam("e", "gauge", [], "", "bytes")],
      "# TYPE d_seconds gauge\n# TYPE e gauge\n",
      "# TYPE d_seconds gauge\n# UNIT d_seconds seconds\n# TYPE e gauge\n# EOF\n",
    ],
    [
      "escapes in help and label values",
      [fam("x", "unknown", [{ name: "x", labels: { a: 'q"\\\n' }, value: 0 }], 'h\\"\n')],
      '# HELP x h\\\\"\\n\n# TYPE x untyped\nx{a="q\\"\\\\\\n"} 0\n',
      '# HELP x h\\\\\\"\\n\n# TYPE x unknown\nx{a="q\\"\\\\\\n"} 0\n# EOF\n',
    ],
    [
      "special values",
      [
        fam("v", "gauge", [
          { name: "v", labels: { k: "nan" }, value: Number.NaN },
          { name: "v", labels: { k: "stale" }, value: STALE_NAN },
          { name: "v", labels: { k: "inf" }, value: Number.POSITIVE_INFINITY },
          { name: "v", labels: { k: "-inf" }, value: Number.NEGATIVE_INFINITY },
          { name: "v", labels: { k: "-0" }, value: -0 },
          { name: "v", labels: { k: "big" }, value: 1e21 },
        ]),
      ],
      '# TYPE v gauge\nv{k="nan"} NaN\nv{k="stale"} NaN\nv{k="inf"} +Inf\nv{k="-inf"} -Inf\nv{k="-0"} -0\nv{k="big"} 1e+21\n',
      '# TYPE v gauge\nv{k="nan"} NaN\nv{k="stale"} NaN\nv{k="inf"} +Inf\nv{k="-inf"} -Inf\nv{k="-0"} -0\nv{k="big"} 1e+21\n# EOF\n',
    ],
    [
      "UTF-8 names are quoted; __name__ in labels is ignored",
      [fam("my.metric", "gauge", [{ name: "my.metric", labels: { "a.b": "c", __name__: "zzz" }, value: 1 }])],
      '# TYPE "my.metric" gauge\n{"my.metric","a.b"="c"} 1\n',
      '# TYPE "my.metric" gauge\n{"my.metric","a.b"="c"} 1\n# EOF\n',
    ],
    [
      "OpenMetrics timestamps are exact seconds",
      [
        fam("t", "gauge", [
          { name: "t", labels: { a: "1" }, value: 1, timestamp: 1700000000123 },
          { name: "t", labels: { a: "2" }, value: 1, timestamp: 1700000000100 },
          { name: "t", labels: { a: "3" }, value: 1, timestamp: 0 },
        ]),
      ],
      '# TYPE t gauge\nt{a="1"} 1 1700000000123\nt{a="2"} 1 1700000000100\nt{a="3"} 1 0\n',
      '# TYPE t gauge\nt{a="1"} 1 1700000000.123\nt{a="2"} 1 1700000000.1\nt{a="3"} 1 0\n# EOF\n',
    ],
    ["no families", [], "", "# EOF\n"],
  ];
  test.each(cases)("%s", (_name, families, text, om) => {
    expect(writeExposition(families, "text")).toBe(text);
    expect(writeExposition(families, "openmetrics")).toBe(om);
  });

  test("formatValue", () => {
    expect([0.1, 100, -2.5e-7, 2 ** 53].map(formatValue)).toEqual([
      "0.1",
      "100",
      "-2.5e-7",
      "9007199254740992",
    ]);
  });
});

/** Names over an alphabet with the characters that need quoting or escaping. */
const nameChars = fc.constantFrom(
  "a",
  "b",
  "z",
  "_",
  "0",
  "é",
  "日",
  "🙂",
  ".",
  " ",
  '"',
  "\\",
  "\n",
  "{",
  "}",
  "=",
  ",",
  "#",
);
const anyName = fc.oneof(
  fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/),
  fc.string({ unit: nameChars, minLength: 1, maxLength: 8 }),
);
const labelsArb = fc.dictionary(
  anyName.filter((k) => k !== "__name__"),
  fc.oneof(fc.string({ unit: nameChars, maxLength: 10 }), fc.string({ maxLength: 10 })),
  { maxKeys: 4 },
);
const valueArb = fc.oneof(
  fc.double(),
  fc.integer().map((i) => i),
  fc.constantFrom(0, -0, 1, Number.NaN),
);

function familiesArb(format: ExpositionFormat): fc.Arbitrary<MetricFamily[]> {
  const ts =
    format === "text"
      ? fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined })
      : fc.option(fc.integer({ min: -(10 ** 14), max: 10 ** 14 }), { nil: undefined });
  const family = fc.record({
    base: anyName,
    type: fc.constantFrom<MetricType>("gauge", "counter", "unknown"),
    help: fc.oneof(
      fc.constant(""),
      fc.string({ unit: nameChars, maxLength: 12 }),
      fc.string({ maxLength: 12 }),
    ),
    samples: fc.array(fc.record({ labels: labelsArb, value: valueArb, timestamp: ts }), { maxLength: 4 }),
  });
  return fc.array(family, { maxLength: 5 }).map((fs) =>
    fs.map((f, i) => {
      const name = `${f.base}_f${i}`;
      const sampleName = f.type === "counter" ? `${name}_total` : name;
      return {
        name,
        help: f.help,
        type: f.type,
        samples: f.samples.map((s) =>
          s.timestamp === undefined
            ? { name: sampleName, labels: s.labels, value: s.value }
            : { name: sampleName, labels: s.labels, value: s.value, timestamp: s.timestamp },
        ),
      };
    }),
  );
}

describe("write → parse round trip", () => {
  test.each(["text", "openmetrics"] as const)("%s", (format) => {
    fc.assert(
      fc.property(familiesArb(format), (families) => {
        const body = writeExposition(families, format);
        const p = new ExpositionParser(body, format);
        const helps: [string, string][] = [];
        const types: [string, string][] = [];
        const samples: unknown[] = [];
        for (let e = p.next(); e !== EntryType.EOF; e = p.next()) {
          if (e === EntryType.Help) helps.push([p.name(), p.text()]);
          else if (e === EntryType.Type) types.push([p.name(), p.type()]);
          else if (e === EntryType.Series)
            samples.push([p.name(), [...p.labels()], p.value(), p.timestamp()]);
        }
        const metaName = (f: MetricFamily): string =>
          f.type === "counter" && format === "text" && f.samples.length > 0 ? `${f.name}_total` : f.name;
        expect(helps).toEqual(families.filter((f) => f.help !== "").map((f) => [metaName(f), f.help]));
        expect(types).toEqual(families.map((f) => [metaName(f), f.type]));
        const want = families.flatMap((f) =>
          f.samples.map((s) => [s.name, Object.entries(s.labels).flat(), s.value, s.timestamp]),
        );
        expect(samples.length).toBe(want.length);
        samples.forEach((got, i) => {
          const [gn, gl, gv, gt] = got as [string, string[], number, number | undefined];
          const [wn, wl, wv, wt] = want[i]!;
          expect([gn, gl, gt]).toEqual([wn, wl, wt]);
          expect(Object.is(gv, wv)).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });
});
