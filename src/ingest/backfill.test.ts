import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Labels, labelsToRecord, type MetricMetadata } from "../model/index.js";
import { Engine } from "../promql/index.js";
import type { Appendable, Appender } from "../storage/index.js";
import { openDB } from "../tsdb/index.js";
import { backfillOpenMetrics } from "./backfill.js";
import { ExpositionParseError } from "./exposition/index.js";

const root = mkdtempSync(join(tmpdir(), "om-backfill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An Appendable that records committed samples and metadata. */
function recorder() {
  const samples: [Record<string, string>, number, number][] = [];
  const metadata: [string, MetricMetadata][] = [];
  let commits = 0;
  let flushes = 0;
  const appendable: Appendable & { flush(): Promise<void> } = {
    appender(): Appender {
      const staged: [Labels, number, number][] = [];
      const metas: [string, MetricMetadata][] = [];
      return {
        append: (_ref, labels, t, v) => {
          staged.push([labels!, t, v]);
          return 0;
        },
        updateMetadata: (name, m) => metas.push([name, m]),
        commit: async () => {
          commits++;
          for (const [l, t, v] of staged) samples.push([labelsToRecord(l), t, v]);
          metadata.push(...metas);
        },
        rollback: () => {},
      };
    },
    flush: async () => {
      flushes++;
    },
  };
  return { appendable, samples, metadata, counts: () => ({ commits, flushes }) };
}

describe("backfillOpenMetrics", () => {
  it("refuses bad bodies with the line and column, writing nothing", async () => {
    const cases: [string, number, number, RegExp][] = [
      ["a 1 1\n", 2, 1, /does not end with "# EOF"/],
      ["# TYPE a gauge\na 1 1\na 2\n# EOF\n", 3, 4, /sample a has no timestamp/],
      ['# TYPE a gauge\na{x="1"} 1 1\na{x="1"} 2\n# EOF\n', 3, 11, /sample a\{x="1"\} has no timestamp/],
      ["a x 1\n# EOF\n", 1, 3, /value/],
      ['a 1 1\na{b="2" 1 2\n# EOF\n', 2, 8, /./],
      ["a 1 1\n\n# EOF\n", 2, 1, /empty lines/],
    ];
    for (const [body, line, column, reason] of cases) {
      const r = recorder();
      const err = await backfillOpenMetrics(body, r.appendable).catch((e: unknown) => e);
      expect(err, body).toBeInstanceOf(ExpositionParseError);
      expect([(err as ExpositionParseError).line, (err as ExpositionParseError).column], body).toEqual([
        line,
        column,
      ]);
      expect((err as ExpositionParseError).reason, body).toMatch(reason);
      expect(r.samples, body).toEqual([]);
      expect(r.counts().flushes).toBe(0);
    }
  });

  it("commits earlier batches when not validating first, and names the failing line", async () => {
    const r = recorder();
    const body = "a 1 1\na 2 2\na 3\n# EOF\n";
    const err = await backfillOpenMetrics(body, r.appendable, { validateFirst: false, batchSize: 1 }).catch(
      (e: unknown) => e,
    );
    expect((err as ExpositionParseError).line).toBe(3);
    expect(r.samples.map(([, t, v]) => [t, v])).toEqual([
      [1000, 1],
      [2000, 2],
    ]);
  });

  it("appends every sample in batches with its timestamp in ms and passes metadata with each family's first batch", async () => {
    const r = recorder();
    const body = [
      "# TYPE req counter",
      "# HELP req Requests \\\\ served.",
      'req_total{code="200"} 1 10.5',
      'req_total{code="200"} 2 11',
      'req_created{code="200"} 1 10.5',
      "# TYPE temp_celsius gauge",
      "# UNIT temp_celsius celsius",
      "temp_celsius NaN 12",
      "temp_celsius 3.5 13.001",
      "# EOF",
      "",
    ].join("\n");
    const got = await backfillOpenMetrics(body, r.appendable, { batchSize: 2 });
    expect(got).toEqual({ samples: 5, series: 3, minTime: 10_500, maxTime: 13_001 });
    expect(r.samples).toEqual([
      [{ __name__: "req_total", code: "200" }, 10_500, 1],
      [{ __name__: "req_total", code: "200" }, 11_000, 2],
      [{ __name__: "req_created", code: "200" }, 10_500, 1],
      [{ __name__: "temp_celsius" }, 12_000, Number.NaN],
      [{ __name__: "temp_celsius" }, 13_001, 3.5],
    ]);
    expect(r.metadata).toEqual([
      ["req", { type: "counter", help: "Requests \\ served.", unit: "" }],
      ["temp_celsius", { type: "gauge", help: "", unit: "celsius" }],
    ]);
    expect(r.counts()).toEqual({ commits: 3, flushes: 1 });
  });

  it("end to end: file → blocks → reopened DB → PromQL gives the values", async () => {
    const t0 = 1_700_000_000; // seconds
    const lines = ["# TYPE bf_requests counter", "# HELP bf_requests Requests served."];
    for (const [code, per] of [
      ["200", 10],
      ["500", 1],
    ] as const) {
      for (let i = 0; i < 600; i++) lines.push(`bf_requests_total{code="${code}"} ${i * per} ${t0 + i * 60}`);
    }
    lines.push("# TYPE bf_temp_celsius gauge", "# UNIT bf_temp_celsius celsius");
    for (let i = 0; i < 600; i++)
      lines.push(`bf_temp_celsius{room="a"} ${20 + (i % 10) / 2} ${t0 + i * 60}.000`);
    lines.push("# EOF", "");
    const file = join(root, "history.om");
    writeFileSync(file, lines.join("\n"));

    const dir = join(root, "db");
    const db = await openDB({ dir, compactionIntervalMs: 0 });
    const bf = db.backfillAppendable({ ordered: false });
    const got = await backfillOpenMetrics(readFileSync(file, "utf8"), bf, { batchSize: 500 });
    expect(got).toEqual({ samples: 1800, series: 3, minTime: t0 * 1000, maxTime: (t0 + 599 * 60) * 1000 });
    expect(db.head.numSeries).toBe(0);
    const days = new Set([t0, t0 + 599 * 60].map((s) => Math.floor((s * 1000) / 86_400_000)));
    expect(bf.stats.blocks).toBe(days.size);
    await db.close();

    const again = await openDB({ dir, compactionIntervalMs: 0 });
    const engine = new Engine();
    const at = async (expr: string, s: number) => {
      const r = await engine.instantQuery(again, expr, s * 1000);
      if (r.resultType !== "vector") throw new Error(r.resultType);
      return r.result.map((x) => [labelsToRecord(x.labels), x.v]);
    };
    const mid = t0 + 300 * 60;
    expect(await at("bf_temp_celsius", mid + 30)).toEqual([[{ __name__: "bf_temp_celsius", room: "a" }, 20]]);
    expect(await at("bf_temp_celsius", mid + 3 * 60)).toEqual([
      [{ __name__: "bf_temp_celsius", room: "a" }, 21.5],
    ]);
    const rates = await at("sum by (code) (rate(bf_requests_total[10m]))", mid);
    expect(rates.map(([l]) => l)).toEqual([{ code: "200" }, { code: "500" }]);
    expect(rates[0]![1]).toBeCloseTo(10 / 60, 9);
    expect(rates[1]![1]).toBeCloseTo(1 / 60, 9);
    expect(await at("count(bf_requests_total)", t0 + 599 * 60)).toEqual([[{}, 2]]);
    expect(await at("count(bf_requests_total)", t0 + 610 * 60)).toEqual([]);
    expect(again.metadata("bf_requests").get("bf_requests")).toEqual([
      { type: "counter", help: "Requests served.", unit: "" },
    ]);
    await again.close();
  });
});
