import { describe, expect, it } from "vitest";
import { labelsFromRecord, Matcher, STALE_NAN } from "../model/index.js";
import { LimitExceededError, OutOfBoundsError, type Series } from "../storage/index.js";
import { Head, type HeadOptions, type WALSamples, type WALSeries, type WriteAheadLog } from "./head.js";
import { runStorageSuite } from "./storage.case.js";

runStorageSuite("Head", () => new Head());
runStorageSuite("Head with every label hash colliding", () => new Head({ hashLabels: () => 7 }));

const L = labelsFromRecord;
const name = (n: string) => new Matcher("=", "__name__", n);

function read(series: Series): [number, number][] {
  const out: [number, number][] = [];
  const it = series.iterator();
  while (it.next()) out.push([it.t, it.v]);
  return out;
}

/** A WAL that records what it was given and lets the test decide when each call resolves. */
class RecordingWAL implements WriteAheadLog {
  readonly series: WALSeries[] = [];
  readonly samples: [number, number, number][] = [];
  readonly waiting: (() => void)[] = [];
  fail = false;
  log(series: readonly WALSeries[], samples: WALSamples): Promise<void> {
    if (this.fail) return Promise.reject(new Error("disk full"));
    this.series.push(...series);
    for (let i = 0; i < samples.refs.length; i++) {
      this.samples.push([samples.refs[i]!, samples.ts[i]!, samples.vs[i]!]);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

describe("Head", () => {
  it("cuts chunks of about 120 samples aligned to the chunk range", async () => {
    const head = new Head();
    const app = head.appender();
    for (let i = 0; i < 4 * 240; i++) app.append(0, L({ __name__: "c" }), i * 15_000, i);
    await app.commit();
    expect(head.stats().headStats.chunkCount).toBe(8);
    const app2 = head.appender();
    app2.append(0, L({ __name__: "c" }), 4 * 3600_000, 1);
    await app2.commit();
    expect(head.stats().headStats.chunkCount).toBe(9);
  });

  // Every kind of value must read back bit for bit, by iterator and by bulk read, in any range.
  const values: [string, (i: number) => number][] = [
    ["XOR: stale markers every 7th sample", (i) => (i % 7 === 3 ? STALE_NAN : i)],
    ["decimal: two-decimal counter", (i) => i * 15 + (i % 100) / 100],
    ["mixed: decimals, then full-precision noise", (i) => (i < 350 ? i / 4 : Math.sqrt(i))],
    ["decimal: constant", () => 42],
  ];
  it.each(values)(
    "bulk-reads a selected series in its range exactly as its iterator does (%s)",
    async (_, f) => {
      const head = new Head();
      const app = head.appender();
      for (let i = 0; i < 700; i++) app.append(0, L({ __name__: "c" }), i * 15_000, f(i));
      await app.commit();
      const cases: [number, number][] = [
        [0, 700 * 15_000],
        [-5, 0],
        [1_000_000, 2_000_000],
        [1_800_000, 1_800_000],
        [3_000_001, 9_000_000],
        [20_000_000, 30_000_000],
      ];
      const cell = new Float64Array(1);
      const bits = (v: number) => {
        cell[0] = v;
        return Buffer.from(cell.buffer).toString("hex");
      };
      for (const [mint, maxt] of cases) {
        const want: [number, string][] = [];
        for (let i = 0; i < 700; i++)
          if (i * 15_000 >= mint && i * 15_000 <= maxt) want.push([i * 15_000, bits(f(i))]);
        const [s] = await head.querier(mint, maxt).select([name("c")]);
        if (s === undefined) {
          expect(want).toEqual([]);
          continue;
        }
        const bulk = s as Series & {
          maxSamples(): number;
          readInto(t: Float64Array, v: Float64Array, o: number): number;
        };
        const ts = new Float64Array(bulk.maxSamples() + 2);
        const vs = new Float64Array(ts.length);
        const n = bulk.readInto(ts, vs, 2);
        const got: [number, string][] = [];
        for (let k = 2; k < 2 + n; k++) got.push([ts[k]!, bits(vs[k]!)]);
        expect(got).toEqual(want);
        const iterated: [number, string][] = [];
        const it = s.iterator();
        while (it.next()) iterated.push([it.t, bits(it.v)]);
        expect(iterated).toEqual(want);
        const sought = s.iterator();
        if (want.length > 1) {
          expect(sought.seek(want[1]![0] - 1)).toBe(true);
          expect([sought.t, bits(sought.v)]).toEqual(want[1]);
        }
      }
    },
  );

  it("gives each select a snapshot that later commits do not change", async () => {
    const head = new Head();
    const app = head.appender();
    for (let i = 0; i < 10; i++) app.append(0, L({ __name__: "s" }), i, i);
    await app.commit();
    const [series] = await head.querier(0, 1000).select([name("s")]);
    const more = head.appender();
    for (let i = 10; i < 300; i++) more.append(0, L({ __name__: "s" }), i, i);
    await more.commit();
    expect(read(series!).length).toBe(10);
    const [fresh] = await head.querier(0, 1000).select([name("s")]);
    expect(read(fresh!).length).toBe(300);
  });

  it("removes series a rolled-back batch created, even with interleaved batches", async () => {
    const head = new Head();
    const a = head.appender();
    const b = head.appender();
    const ref = a.append(0, L({ __name__: "shared" }), 1, 1);
    b.append(ref, null, 2, 2);
    a.append(0, L({ __name__: "only_a" }), 1, 1);
    a.rollback();
    expect(head.numSeries).toBe(1);
    b.rollback();
    expect(head.numSeries).toBe(0);
    expect(head.postings.labelNames()).toEqual([]);
    const c = head.appender();
    const d = head.appender();
    c.append(0, L({ __name__: "x" }), 1, 1);
    d.append(0, L({ __name__: "x" }), 1, 1);
    await d.commit();
    c.rollback();
    expect(head.numSeries).toBe(1);
    expect(read((await head.querier(0, 10).select([name("x")]))[0]!)).toEqual([[1, 1]]);
  });

  it("drops at commit a sample another batch made out of order meanwhile", async () => {
    const head = new Head();
    const a = head.appender();
    const b = head.appender();
    a.append(0, L({ __name__: "r" }), 10, 1);
    b.append(0, L({ __name__: "r" }), 20, 2);
    await b.commit();
    await a.commit();
    expect(read((await head.querier(0, 100).select([name("r")]))[0]!)).toEqual([[20, 2]]);
    expect(head.outOfOrderDropped).toBe(1);
  });

  it("rejects samples older than the appendable window", () => {
    const head = new Head({ minValidTime: 1000 });
    const app = head.appender();
    expect(() => app.append(0, L({ __name__: "o" }), 999, 1)).toThrow(OutOfBoundsError);
    expect(head.numSeries).toBe(0);
    app.append(0, L({ __name__: "o" }), 10 * 3600_000, 1);
    return app.commit().then(() => {
      const next = head.appender();
      expect(() => next.append(0, L({ __name__: "p" }), 8 * 3600_000, 1)).toThrow(OutOfBoundsError);
      expect(() => next.append(0, L({ __name__: "p" }), 9.5 * 3600_000, 1)).not.toThrow();
    });
  });

  it("logs new series once and samples before they become visible", async () => {
    const wal = new RecordingWAL();
    const head = new Head({ wal });
    const app = head.appender();
    const ref = app.append(0, L({ __name__: "w" }), 1, 1);
    app.append(ref, null, 2, 2);
    const done = app.commit();
    expect(wal.series).toEqual([{ ref, labels: L({ __name__: "w" }) }]);
    expect(wal.samples).toEqual([
      [ref, 1, 1],
      [ref, 2, 2],
    ]);
    expect(await head.querier(0, 10).select([name("w")])).toEqual([]);
    wal.waiting.shift()!();
    await done;
    expect(read((await head.querier(0, 10).select([name("w")]))[0]!)).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const next = head.appender();
    next.append(ref, null, 3, 3);
    const done2 = next.commit();
    wal.waiting.shift()!();
    await done2;
    expect(wal.series.length).toBe(1);
  });

  it("discards a batch whose WAL write fails and logs its series again next time", async () => {
    const wal = new RecordingWAL();
    const head = new Head({ wal });
    wal.fail = true;
    const app = head.appender();
    app.append(0, L({ __name__: "f" }), 1, 1);
    await expect(app.commit()).rejects.toThrow("disk full");
    expect(head.numSeries).toBe(0);
    wal.fail = false;
    const again = head.appender();
    again.append(0, L({ __name__: "f" }), 1, 1);
    const done = again.commit();
    wal.waiting.shift()!();
    await done;
    expect(wal.series.map((s) => s.labels)).toEqual([L({ __name__: "f" })]);
  });

  it("rebuilds the same head from replayed records, keeping refs", async () => {
    const wal = new RecordingWAL();
    const head = new Head({ wal });
    const app = head.appender();
    for (let i = 0; i < 300; i++) {
      app.append(0, L({ __name__: "a", i: String(i % 3) }), i * 1000, i);
    }
    const done = app.commit();
    wal.waiting.shift()!();
    await done;
    const replayed = new Head();
    const aliases = replayed.replaySeries(wal.series);
    const n = wal.samples.length;
    const samples: WALSamples = {
      refs: Uint32Array.from(wal.samples, (s) => s[0]),
      ts: Float64Array.from(wal.samples, (s) => s[1]),
      vs: Float64Array.from(wal.samples, (s) => s[2]),
    };
    expect(replayed.replaySamples(samples, aliases)).toBe(n);
    const q1 = await head.querier(0, 1e9).select([name("a")]);
    const q2 = await replayed.querier(0, 1e9).select([name("a")]);
    expect(q2.map((s) => [s.labels, read(s)])).toEqual(q1.map((s) => [s.labels, read(s)]));
    expect(replayed.ref(L({ __name__: "a", i: "1" }))).toBe(head.ref(L({ __name__: "a", i: "1" })));
    const next = replayed.appender();
    const fresh = next.append(0, L({ __name__: "new" }), 1e6, 1);
    expect(fresh).toBeGreaterThan(3);
    expect(replayed.replaySeries([{ ref: 99, labels: L({ __name__: "a", i: "0" }) }]).get(99)).toBe(
      head.ref(L({ __name__: "a", i: "0" })),
    );
  });

  it("reports statistics in Prometheus's /api/v1/status/tsdb shape", async () => {
    const head = new Head();
    const app = head.appender();
    app.append(0, L({ __name__: "up", job: "node" }), 1000, 1);
    app.append(0, L({ __name__: "up", job: "api" }), 2000, 1);
    app.append(0, L({ __name__: "go_info", job: "api" }), 3000, 1);
    await app.commit();
    expect(head.stats(2)).toEqual({
      headStats: { numSeries: 3, numLabelPairs: 4, chunkCount: 3, minTime: 1000, maxTime: 3000 },
      seriesCountByMetricName: [
        { name: "up", value: 2 },
        { name: "go_info", value: 1 },
      ],
      labelValueCountByLabelName: [
        { name: "__name__", value: 2 },
        { name: "job", value: 2 },
      ],
      memoryInBytesByLabelName: [
        { name: "__name__", value: 11 },
        { name: "job", value: 10 },
      ],
      seriesCountByLabelValuePair: [
        { name: "__name__=up", value: 2 },
        { name: "job=api", value: 2 },
      ],
    });
  });
});

describe("Head cardinality limits", () => {
  const up = (job: string) => L({ __name__: "up", job });
  const cpu = (core: string) => L({ __name__: "cpu", core });
  type Case = [
    what: string,
    opts: HeadOptions,
    existing: ReturnType<typeof L>[],
    next: ReturnType<typeof L>,
    error: string | null,
    rejections: { max_series: number; max_series_per_metric: number },
  ];
  const cases: Case[] = [
    ["no limits", {}, [up("a"), up("b")], up("c"), null, { max_series: 0, max_series_per_metric: 0 }],
    [
      "global limit reached",
      { maxSeries: 2 },
      [up("a"), cpu("0")],
      up("c"),
      'limit of 2 active series reached (storage.limits.max_series); series rejected: up{job="c"}',
      { max_series: 1, max_series_per_metric: 0 },
    ],
    [
      "global limit not reached",
      { maxSeries: 3 },
      [up("a"), cpu("0")],
      up("c"),
      null,
      { max_series: 0, max_series_per_metric: 0 },
    ],
    [
      "per-metric limit reached for that metric",
      { maxSeriesPerMetric: 2 },
      [up("a"), up("b"), cpu("0")],
      up("c"),
      'limit of 2 active series per metric name reached for "up" (storage.limits.max_series_per_metric); series rejected: up{job="c"}',
      { max_series: 0, max_series_per_metric: 1 },
    ],
    [
      "per-metric limit leaves other metrics alone",
      { maxSeriesPerMetric: 2 },
      [up("a"), up("b"), cpu("0")],
      cpu("1"),
      null,
      { max_series: 0, max_series_per_metric: 0 },
    ],
    [
      "the global limit is checked first",
      { maxSeries: 2, maxSeriesPerMetric: 2 },
      [up("a"), up("b")],
      up("c"),
      "(storage.limits.max_series)",
      { max_series: 1, max_series_per_metric: 0 },
    ],
    [
      "labels normalised before the check (empty value dropped: an existing series)",
      { maxSeries: 1 },
      [up("a")],
      L({ __name__: "up", job: "a", x: "" }),
      null,
      { max_series: 0, max_series_per_metric: 0 },
    ],
  ];
  it.each(cases)("%s", async (_what, opts, existing, next, error, rejections) => {
    const head = new Head(opts);
    const app = head.appender();
    for (const ls of existing) app.append(0, ls, 1000, 1);
    await app.commit();
    const app2 = head.appender();
    if (error === null) {
      app2.append(0, next, 2000, 2);
    } else {
      let caught: unknown;
      try {
        app2.append(0, next, 2000, 2);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(LimitExceededError);
      expect((caught as Error).message).toContain(error);
    }
    for (const ls of existing) app2.append(0, ls, 2000, 2);
    await app2.commit();
    expect(head.seriesLimitRejections).toEqual(rejections);
    const ids = new Set(existing.map((ls) => head.ref(ls)));
    expect(head.numSeries).toBe(error === null ? new Set([...ids, head.ref(next)]).size : ids.size);
    for (const ls of existing) {
      const [s] = await head
        .querier(0, 3000)
        .select([name(ls[0]!.value), new Matcher("=", ls[1]!.name, ls[1]!.value)]);
      expect(read(s!)).toEqual([
        [1000, 1],
        [2000, 2],
      ]);
    }
  });

  it("counts series of unfinished batches, and frees them on rollback", () => {
    const head = new Head({ maxSeries: 1 });
    const a = head.appender();
    a.append(0, up("a"), 1000, 1);
    const b = head.appender();
    expect(() => b.append(0, up("b"), 1000, 1)).toThrow(LimitExceededError);
    a.rollback();
    expect(b.append(0, up("b"), 1000, 1)).toBeGreaterThan(0);
  });

  it("makes room when truncation removes series, and never refuses WAL replay", async () => {
    const head = new Head({ maxSeries: 3, maxSeriesPerMetric: 1 });
    const app = head.appender();
    app.append(0, up("a"), 1000, 1);
    app.append(0, cpu("0"), 10_000_000, 1);
    await app.commit();
    expect(() => head.appender().append(0, up("b"), 10_000_000, 1)).toThrow(/per metric name/);
    head.truncateBefore(5_000_000);
    expect(head.numSeries).toBe(1);
    const app2 = head.appender();
    app2.append(0, up("b"), 10_000_001, 1);
    await app2.commit();
    head.replaySeries([
      { ref: 100, labels: up("c") },
      { ref: 101, labels: up("d") },
    ]);
    expect(head.numSeries).toBe(4);
    expect(head.stats().seriesCountByMetricName).toContainEqual({ name: "up", value: 3 });
  });

  it("takes new limits on reload: lowering refuses new series only, 0 lifts a limit", async () => {
    const head = new Head();
    const app = head.appender();
    for (const j of ["a", "b", "c"]) app.append(0, up(j), 1000, 1);
    await app.commit();
    head.setLimits({ maxSeries: 2 });
    expect(head.seriesLimits).toEqual({ maxSeries: 2, maxSeriesPerMetric: 0 });
    const app2 = head.appender();
    expect(() => app2.append(0, up("d"), 2000, 1)).toThrow(/limit of 2 active series/);
    app2.append(0, up("a"), 2000, 1);
    await app2.commit();
    expect(head.numSeries).toBe(3);
    head.setLimits({ maxSeries: 0 });
    expect(head.appender().append(0, up("d"), 2000, 1)).toBeGreaterThan(0);
  });
});
