import { describe, expect, it } from "vitest";
import { type Labels, labelsFromRecord, labelsToRecord, STALE_NAN } from "../model/index.js";
import type { Queryable } from "../storage/index.js";
import { Head } from "../tsdb/index.js";
import {
  BadDataError,
  Engine,
  ExecutionError,
  QueryCanceledError,
  QueryTimeoutError,
  TooManySamplesError,
} from "./index.js";

/** A head holding `series` (labels → [t seconds, value] pairs; a null value is a stale marker). */
async function headWith(series: [Record<string, string>, [number, number | null][]][]): Promise<Head> {
  const head = new Head({ chunkRange: 2 ** 50 });
  const app = head.appender();
  for (const [rec, pts] of series) {
    // STALE_NAN is passed directly: a NaN stored in a plain array loses its payload.
    for (const [t, v] of pts) app.append(0, labelsFromRecord(rec), t * 1000, v === null ? STALE_NAN : v);
  }
  await app.commit();
  return head;
}

/** Wraps a queryable so that every select waits `ms` first. */
function slow(q: Queryable, ms: number, onSelect?: () => void): Queryable {
  return {
    querier(mint, maxt) {
      const inner = q.querier(mint, maxt);
      return {
        async select(m, h) {
          onSelect?.();
          await new Promise((r) => setTimeout(r, ms));
          return inner.select(m, h);
        },
        labelNames: (m) => inner.labelNames(m),
        labelValues: (n, m) => inner.labelValues(n, m),
        close: () => inner.close(),
      };
    },
  };
}

const rec = (ls: Labels) => labelsToRecord(ls);

describe("Engine", () => {
  it("evaluates instant queries with the 5 m lookback and stale markers", async () => {
    const head = await headWith([
      [
        { __name__: "up", job: "a" },
        [
          [0, 1],
          [60, 1],
        ],
      ],
      [
        { __name__: "up", job: "b" },
        [
          [0, 0],
          [60, null],
        ],
      ],
    ]);
    const engine = new Engine();
    const at = async (s: number) => {
      const r = await engine.instantQuery(head, "up", s * 1000);
      if (r.resultType !== "vector") throw new Error(r.resultType);
      return r.result.map((x) => [rec(x.labels).job, x.v, x.t]);
    };
    expect(await at(30)).toEqual([
      ["a", 1, 30000],
      ["b", 0, 30000],
    ]);
    expect(await at(90)).toEqual([["a", 1, 90000]]);
    // Left-open lookback: a sample exactly 5 m old no longer counts.
    expect(await at(360)).toEqual([]);
    expect(await at(359)).toEqual([["a", 1, 359000]]);
  });

  it("evaluates range queries step by step and sorts series by labels", async () => {
    const head = await headWith([
      [
        { __name__: "c", i: "2" },
        [
          [0, 0],
          [60, 60],
          [120, 120],
          [180, 180],
        ],
      ],
      [
        { __name__: "c", i: "1" },
        [
          [0, 0],
          [60, 30],
          [120, 60],
          [180, 90],
        ],
      ],
    ]);
    const r = await new Engine().rangeQuery(head, "rate(c[2m])", 120_000, 180_000, 60_000);
    expect(r.resultType).toBe("matrix");
    if (r.resultType !== "matrix") return;
    expect(r.result.map((s) => rec(s.labels))).toEqual([{ i: "1" }, { i: "2" }]);
    expect([...r.result[0]!.t]).toEqual([120_000, 180_000]);
    expect([...r.result[1]!.v]).toEqual([1, 1]);
  });

  it("returns scalars, strings and matrices from instant queries", async () => {
    const head = await headWith([
      [
        { __name__: "m" },
        [
          [10, 1],
          [20, 2],
        ],
      ],
    ]);
    const engine = new Engine();
    expect((await engine.instantQuery(head, "1 + 2 * 3", 0)).result).toEqual({ t: 0, v: 7 });
    expect((await engine.instantQuery(head, '"hi"', 5000)).result).toEqual({ t: 5000, value: "hi" });
    const m = await engine.instantQuery(head, "m[15s]", 20_000);
    expect(m.resultType).toBe("matrix");
    if (m.resultType === "matrix") expect([...m.result[0]!.t]).toEqual([10_000, 20_000]);
  });

  it.each<[string, string, new (...a: never[]) => Error, RegExp]>([
    ["a range vector in a range query", "m[1m]", BadDataError, /invalid expression type "range vector"/],
    ["duplicate output series", 'label_replace(m, "a", "", "", "")', ExecutionError, /same labelset/],
    ["many-to-many matching", "m * on() m", ExecutionError, /many-to-many matching not allowed/],
  ])("reports %s", async (_name, q, cls, msg) => {
    const head = await headWith([
      [{ __name__: "m", a: "1" }, [[0, 1]]],
      [{ __name__: "m", a: "2" }, [[0, 1]]],
    ]);
    const p = new Engine().rangeQuery(head, q, 0, 60_000, 15_000);
    await expect(p).rejects.toBeInstanceOf(cls);
    await expect(p).rejects.toThrow(msg);
  });

  it("rejects range queries with more than 11,000 points per series", async () => {
    const head = await headWith([]);
    await expect(new Engine().rangeQuery(head, "1", 0, 11_001_000, 1000)).rejects.toThrow(
      "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
    );
    await expect(new Engine().rangeQuery(head, "1", 0, 11_000_000, 1000)).resolves.toBeDefined();
  });

  it("limits the samples a query loads", async () => {
    const pts: [number, number][] = Array.from({ length: 20 }, (_, i) => [i, i]);
    const head = await headWith([[{ __name__: "m" }, pts]]);
    await expect(
      new Engine({ maxSamples: 10 }).instantQuery(head, "sum_over_time(m[1m])", 19_000),
    ).rejects.toBeInstanceOf(TooManySamplesError);
    await expect(
      new Engine({ maxSamples: 20 }).instantQuery(head, "sum_over_time(m[1m])", 19_000),
    ).resolves.toBeDefined();
  });

  it("times out, honours cancellation and queues beyond maxConcurrent", async () => {
    const head = await headWith([[{ __name__: "m" }, [[0, 1]]]]);
    await expect(new Engine({ timeoutMs: 5 }).instantQuery(slow(head, 30), "m", 0)).rejects.toBeInstanceOf(
      QueryTimeoutError,
    );
    const ac = new AbortController();
    const p = new Engine().instantQuery(slow(head, 30), "m", 0, { signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(QueryCanceledError);

    let running = 0;
    let peak = 0;
    const q = slow(head, 10, () => {
      running++;
      peak = Math.max(peak, running);
      setTimeout(() => running--, 10);
    });
    const engine = new Engine({ maxConcurrent: 1 });
    const rs = await Promise.all([engine.instantQuery(q, "m", 0), engine.instantQuery(q, "m", 0)]);
    expect(rs.map((r) => r.resultType)).toEqual(["vector", "vector"]);
    expect(peak).toBe(1);
  });

  it("keeps or drops the metric name as Prometheus 3 does", async () => {
    const head = await headWith([[{ __name__: "m", a: "1" }, [[0, 2]]]]);
    const engine = new Engine();
    const names = async (q: string) => {
      const r = await engine.instantQuery(head, q, 0);
      return r.resultType === "vector" ? r.result.map((s) => rec(s.labels).__name__ ?? "") : [];
    };
    expect(await names("m")).toEqual(["m"]);
    expect(await names("m > 1")).toEqual(["m"]);
    expect(await names("m * 2")).toEqual([""]);
    expect(await names("m > bool 1")).toEqual([""]);
    expect(await names("abs(m)")).toEqual([""]);
    expect(await names("last_over_time(m[1m])")).toEqual(["m"]);
    expect(await names("sum by (__name__) (m)")).toEqual(["m"]);
  });

  describe("aggregations straight over a range function (fed one series at a time)", () => {
    const counters = () => {
      const series: [Record<string, string>, [number, number | null][]][] = [];
      for (let i = 0; i < 40; i++) {
        const pts: [number, number | null][] = [];
        for (let t = 0; t <= 1800; t += 15) pts.push([t, ((t * (i + 1)) % 997) + t * 0.37 * (i % 7)]);
        if (i % 9 === 0) pts.splice(30, 20); // a 5-minute gap: steps without a value
        series.push([{ __name__: "c", i: String(i), g: String(i % 4), h: String(i % 3) }, pts]);
      }
      return headWith(series);
    };
    const matrix = async (head: Head, q: string) => {
      const r = await new Engine().rangeQuery(head, q, 300_000, 1_800_000, 60_000);
      if (r.resultType !== "matrix") throw new Error(r.resultType);
      return r.result.map((s) => [rec(s.labels), [...s.t], [...s.v]]);
    };

    it.each([
      "sum by (g) (rate(c[5m]))",
      "avg by (g, h) (increase(c[2m]))",
      "count without (h) (max_over_time(c[3m]))",
      "min (deriv(c[5m]))",
      "max by (h) (last_over_time(c[1m]))",
      "stddev by (g) (delta(c[5m]))",
      "stdvar (rate(c[5m]))",
      "group by (g) (changes(c[10m]))",
      "quantile by (h) (0.9, rate(c[5m]))",
    ])("%s answers exactly as over the materialised function (an operation in between)", async (q) => {
      const head = await counters();
      const materialised = q.replace(/\((\w+\(c\[\w+\]\))\)$/, "($1 * 1)").replace(", rate", ", 1 * rate");
      expect(materialised).not.toBe(q);
      expect(await matrix(head, q)).toEqual(await matrix(head, materialised));
    });

    it("still refuses duplicate series the function produces", async () => {
      const head = await headWith([
        [
          { __name__: "a", x: "1" },
          [
            [0, 1],
            [60, 2],
          ],
        ],
        [
          { __name__: "b", x: "1" },
          [
            [0, 1],
            [60, 2],
          ],
        ],
      ]);
      const p = new Engine().rangeQuery(head, 'sum(rate({__name__=~"a|b"}[5m]))', 60_000, 60_000, 15_000);
      await expect(p).rejects.toThrow(/same labelset/);
    });
  });
});
