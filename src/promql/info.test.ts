import { describe, expect, it } from "vitest";
import { formatLabels, labelsFromRecord, STALE_NAN } from "../model/index.js";
import { Head } from "../tsdb/index.js";
import { Engine } from "./index.js";
import { infoNameMatchers, infoReference } from "./info.js";
import { type Call, parseExpr, type VectorSelector } from "./parser/index.js";

/** A head holding `series` (labels → [t seconds, value] pairs; a null value is a stale marker). */
async function headWith(series: [Record<string, string>, [number, number | null][]][]): Promise<Head> {
  const head = new Head({ chunkRange: 2 ** 50 });
  const app = head.appender();
  for (const [rec, pts] of series) {
    for (const [t, v] of pts) app.append(0, labelsFromRecord(rec), t * 1000, v === null ? STALE_NAN : v);
  }
  await app.commit();
  return head;
}

describe("infoReference", () => {
  const cases: [string, { at: number | null; offset: number } | null][] = [
    ["metric", { at: null, offset: 0 }],
    ["metric offset 2m", { at: null, offset: 120_000 }],
    ["metric @ 180 offset 1m", { at: 120_000, offset: 0 }],
    ["metric @ 180 offset 1m or other @ 120", { at: 120_000, offset: 0 }],
    ["metric @ 120 or other @ 480", null],
    ["metric or other offset 1m", null],
    ["scalar(foo @ 120) * metric", { at: null, offset: 0 }],
    ["metric * scalar(foo @ 120)", { at: null, offset: 0 }],
    ["vector(1)", null],
    ["vector(1) + metric", null],
    ["sum by (job) (metric @ 60)", { at: 60_000, offset: 0 }],
    ["topk(scalar(foo @ 5), metric offset 5m)", { at: null, offset: 300_000 }],
    ["rate(metric[5m] offset 1m)", { at: null, offset: 60_000 }],
    ["last_over_time(metric[10m:1m] @ 420)", { at: 420_000, offset: 0 }],
    ["last_over_time((metric offset 1m)[10m:1m] @ 180)", { at: 120_000, offset: 0 }],
    ["last_over_time(metric[5m:1m] offset 6m)", { at: null, offset: 360_000 }],
    ["last_over_time((metric offset 1m)[5m:1m] offset 6m)", { at: null, offset: 420_000 }],
    ["last_over_time((metric @ 60)[5m:1m] @ 600)", { at: 60_000, offset: 0 }],
    ["max_over_time(vector(1)[5m:1m] @ 60)", null],
    ['info(metric @ 60, {data=~".+"})', { at: 60_000, offset: 0 }],
  ];
  it.each(cases)("%s", (text, want) => {
    expect(infoReference(parseExpr(text))).toEqual(want);
  });
});

describe("infoNameMatchers", () => {
  const cases: [string, string[]][] = [
    ["info(x)", ['__name__="target_info"']],
    ['info(x, {data=~".+"})', ['__name__="target_info"']],
    ['info(x, {__name__="build_info"})', ['__name__="build_info"']],
    ['info(x, {__name__!="target_info"})', ['__name__=~".+_info"', '__name__!="target_info"']],
    ['info(x, {__name__=~".+_info", __name__!~"b.*"})', ['__name__=~".+_info"', '__name__!~"b.*"']],
  ];
  it.each(cases)("%s", (text, want) => {
    const call = parseExpr(text) as Call;
    const sel = call.args[1] as VectorSelector | undefined;
    expect(infoNameMatchers(sel?.matchers ?? []).map(String)).toEqual(want);
  });
});

describe("info()", () => {
  const engine = new Engine();
  const cases: {
    name: string;
    data: [Record<string, string>, [number, number | null][]][];
    query: string;
    at: number;
    want?: string[];
    error?: RegExp;
  }[] = [
    {
      name: "two info series of one metric and identity with samples at the same time are an error",
      data: [
        [{ __name__: "m", instance: "a", job: "j" }, [[0, 1]]],
        [{ __name__: "target_info", instance: "a", job: "j", v: "1" }, [[0, 1]]],
        [{ __name__: "target_info", instance: "a", job: "j", v: "2" }, [[0, 1]]],
      ],
      query: "info(m)",
      at: 60,
      error:
        /^found duplicate series for info metric: existing \{__name__="target_info", instance="a", job="j", v="\d"\} @ 0, new .* @ 0$/,
    },
    {
      name: "of two info series of one metric and identity the later sample wins",
      data: [
        [{ __name__: "m", instance: "a", job: "j" }, [[120, 1]]],
        [{ __name__: "target_info", instance: "a", job: "j", v: "old" }, [[0, 1]]],
        [{ __name__: "target_info", instance: "a", job: "j", v: "new" }, [[60, 1]]],
      ],
      query: "info(m)",
      at: 120,
      want: ['m{instance="a", job="j", v="new"} 1'],
    },
    {
      name: "data labels of different info metrics that disagree are an error",
      data: [
        [{ __name__: "m", instance: "a", job: "j" }, [[0, 1]]],
        [{ __name__: "target_info", instance: "a", job: "j", x: "t" }, [[0, 1]]],
        [{ __name__: "build_info", instance: "a", job: "j", x: "b" }, [[0, 1]]],
      ],
      query: 'info(m, {__name__=~".+_info"})',
      at: 0,
      error: /^conflicting label: x$/,
    },
    {
      name: "identifying values are matched literally, not as regular expressions",
      data: [
        [{ __name__: "m", instance: "a.b:9100", job: "j" }, [[0, 1]]],
        [{ __name__: "target_info", instance: "axb:9100", job: "j", v: "wrong" }, [[0, 1]]],
        [{ __name__: "target_info", instance: "a.b:9100", job: "j", v: "right" }, [[0, 1]]],
      ],
      query: "info(m)",
      at: 0,
      want: ['m{instance="a.b:9100", job="j", v="right"} 1'],
    },
    {
      name: "a stale info series no longer enriches",
      data: [
        [
          { __name__: "m", instance: "a", job: "j" },
          [
            [0, 1],
            [60, 2],
          ],
        ],
        [
          { __name__: "target_info", instance: "a", job: "j", v: "1" },
          [
            [0, 1],
            [60, null],
          ],
        ],
      ],
      query: "info(m)",
      at: 60,
      want: ['m{instance="a", job="j"} 2'],
    },
    {
      name: "an @ shared by every vector path pins the info lookup",
      data: [
        [
          { __name__: "m", instance: "a", job: "j" },
          [
            [0, 1],
            [600, 2],
          ],
        ],
        [{ __name__: "target_info", instance: "a", job: "j", v: "1" }, [[0, 1]]],
      ],
      query: "info(m @ 0)",
      at: 600,
      want: ['m{instance="a", job="j", v="1"} 1'],
    },
    {
      name: "paths without one reference look the info series up at the step time",
      data: [
        [
          { __name__: "m", instance: "a", job: "j" },
          [
            [0, 1],
            [600, 2],
          ],
        ],
        [{ __name__: "target_info", instance: "a", job: "j", v: "1" }, [[0, 1]]],
      ],
      query: "info(m @ 0 or vector(5))",
      at: 600,
      want: ['m{instance="a", job="j"} 1', "{} 5"],
    },
  ];
  it.each(cases)("$name", async (c) => {
    const head = await headWith(c.data);
    const run = engine.instantQuery(head, c.query, c.at * 1000);
    if (c.error) {
      await expect(run).rejects.toThrow(c.error);
      return;
    }
    const res = await run;
    if (res.resultType !== "vector") throw new Error(`got ${res.resultType}`);
    expect(res.result.map((s) => `${formatLabels(s.labels)} ${s.v}`).sort()).toEqual(c.want);
  });
});
