import { describe, expect, it } from "vitest";
import {
  isStaleNaN,
  type Labels,
  labelsFromRecord,
  labelsToRecord,
  Matcher,
  type MatchType,
  STALE_NAN,
} from "../model/index.js";
import {
  DuplicateSampleError,
  InvalidLabelsError,
  OutOfOrderError,
  type Querier,
  type Series,
  type Storage,
} from "../storage/index.js";

/** What the store under test is configured with, where it changes what the suite expects. */
export interface StorageSuiteOptions {
  /** The store's out-of-order window (ms): older samples within it are accepted, not refused. */
  outOfOrderWindowMs?: number;
}

/**
 * The shared specification of a {@link Storage}: every implementation (the in-memory head, the
 * on-disk DB, remote backends) runs it with a factory that returns a fresh, empty store.
 * @example runStorageSuite("Head", () => new Head());
 */
export function runStorageSuite(
  name: string,
  create: () => Storage | Promise<Storage>,
  options: StorageSuiteOptions = {},
): void {
  const window = options.outOfOrderWindowMs ?? 0;
  /** Whether a sample at t, older than its series' newest, is accepted when the store's newest is 100. */
  const ooo = (t: number) => window > 0 && t >= 100 - window;
  const lbl = (r: Record<string, string>): Labels => labelsFromRecord(r);
  const m = (spec: string): Matcher => {
    const match = /^(\w+)(=~|!~|!=|=)"(.*)"$/.exec(spec);
    if (match === null) throw new Error(`bad matcher spec ${spec}`);
    return new Matcher(match[2] as MatchType, match[1]!, match[3]!);
  };

  async function withStore(fn: (s: Storage) => Promise<void>): Promise<void> {
    const s = await create();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  async function load(s: Storage, series: [Record<string, string>, [number, number][]][]): Promise<void> {
    const app = s.appender();
    for (const [labels, samples] of series) for (const [t, v] of samples) app.append(0, lbl(labels), t, v);
    await app.commit();
  }

  async function dump(
    q: Querier,
    ...specs: string[]
  ): Promise<[Record<string, string>, [number, number][]][]> {
    const out: [Record<string, string>, [number, number][]][] = [];
    for (const series of await q.select(specs.map(m)))
      out.push([labelsToRecord(series.labels), read(series)]);
    return out;
  }

  function read(series: Series): [number, number][] {
    const out: [number, number][] = [];
    const it = series.iterator();
    while (it.next()) out.push([it.t, it.v]);
    return out;
  }

  describe(`Storage: ${name}`, () => {
    it("returns committed samples, series sorted by labels, only within [mint, maxt]", async () => {
      await withStore(async (s) => {
        await load(s, [
          [
            { __name__: "up", job: "b" },
            [
              [1000, 1],
              [2000, 2],
              [3000, 3],
            ],
          ],
          [{ __name__: "up", job: "a" }, [[1500, 5]]],
          [
            { __name__: "up", job: "c" },
            [
              [500, 7],
              [3500, 8],
            ],
          ],
        ]);
        const q = s.querier(1000, 3000);
        expect(await dump(q, 'job=~".+"')).toEqual([
          [{ __name__: "up", job: "a" }, [[1500, 5]]],
          [
            { __name__: "up", job: "b" },
            [
              [1000, 1],
              [2000, 2],
              [3000, 3],
            ],
          ],
        ]);
        q.close();
      });
    });

    it("answers each kind of matcher, empty-matching ones selecting series without the label", async () => {
      await withStore(async (s) => {
        await load(s, [
          [{ __name__: "m", a: "x" }, [[1, 1]]],
          [{ __name__: "m", a: "y" }, [[1, 2]]],
          [{ __name__: "m", b: "x" }, [[1, 3]]],
        ]);
        const q = s.querier(0, 10);
        const cases: [string[], number[]][] = [
          [['a="x"'], [1]],
          [['__name__="m"', 'a=""'], [3]],
          [
            ['__name__="m"', 'a!="x"'],
            [2, 3],
          ],
          [
            ['__name__="m"', 'a=~".*"'],
            [1, 2, 3],
          ],
          [
            ['__name__="m"', 'a!~"x"'],
            [2, 3],
          ],
          [['a=~"x|y"'], [1, 2]],
          [
            ['a=~"x|"', '__name__="m"'],
            [1, 3],
          ],
          [['a=~".+"'], [1, 2]],
          [['a="nope"'], []],
          [['__name__="other"'], []],
        ];
        for (const [specs, want] of cases) {
          const got = (await dump(q, ...specs)).map(([, samples]) => samples[0]![1]);
          expect([specs, got.sort()]).toEqual([specs, want]);
        }
      });
    });

    it("discards a rolled-back batch entirely, including series it created", async () => {
      await withStore(async (s) => {
        await load(s, [[{ __name__: "kept" }, [[1, 1]]]]);
        const app = s.appender();
        app.append(0, lbl({ __name__: "gone", x: "1" }), 5, 1);
        app.append(0, lbl({ __name__: "kept" }), 5, 2);
        app.rollback();
        const q = s.querier(0, 100);
        expect(await dump(q, '__name__=~".+"')).toEqual([[{ __name__: "kept" }, [[1, 1]]]]);
        expect(await q.labelNames()).toEqual(["__name__"]);
        expect(await q.labelValues("__name__")).toEqual(["kept"]);
      });
    });

    it("shows nothing of a batch before it commits", async () => {
      await withStore(async (s) => {
        const app = s.appender();
        app.append(0, lbl({ __name__: "pending", job: "j" }), 5, 1);
        const q = s.querier(0, 100);
        expect(await q.select([m('__name__="pending"')])).toEqual([]);
        expect(await q.labelNames()).toEqual([]);
        await app.commit();
        expect(await dump(s.querier(0, 100), '__name__="pending"')).toEqual([
          [{ __name__: "pending", job: "j" }, [[5, 1]]],
        ]);
      });
    });

    it("rejects bad samples without poisoning the batch", async () => {
      await withStore(async (s) => {
        await load(s, [[{ __name__: "c" }, [[100, 1]]]]);
        const app = s.appender();
        const cases: [Labels, number, number, (new (...a: never[]) => Error) | null][] = [
          [lbl({ __name__: "c" }), 50, 1, ooo(50) ? null : OutOfOrderError],
          [lbl({ __name__: "c" }), 100, 2, DuplicateSampleError],
          [lbl({ __name__: "c" }), 100, 1, null],
          [[], 200, 1, InvalidLabelsError],
          [lbl({ job: "x" }), 200, 1, InvalidLabelsError],
          [
            [
              { name: "__name__", value: "d" },
              { name: "a", value: "1" },
              { name: "a", value: "2" },
            ],
            200,
            1,
            InvalidLabelsError,
          ],
          [lbl({ __name__: "c" }), 200, 2, null],
          [lbl({ __name__: "c" }), 150, 2, ooo(150) ? null : OutOfOrderError],
          [lbl({ __name__: "c" }), 200, 3, DuplicateSampleError],
        ];
        for (const [labels, t, v, err] of cases) {
          if (err === null) expect(() => app.append(0, labels, t, v)).not.toThrow();
          else expect(() => app.append(0, labels, t, v)).toThrow(err);
        }
        await app.commit();
        const kept: [number, number][] = [
          [50, 1],
          [100, 1],
          [150, 2],
          [200, 2],
        ];
        expect(await dump(s.querier(0, 1000), '__name__=~".+"')).toEqual([
          [{ __name__: "c" }, kept.filter(([t]) => t === 100 || t === 200 || ooo(t))],
        ]);
      });
    });

    it("returns refs that later batches can use without labels", async () => {
      await withStore(async (s) => {
        const app = s.appender();
        const ref = app.append(0, lbl({ __name__: "r" }), 1, 1);
        expect(app.append(ref, null, 2, 2)).toBe(ref);
        await app.commit();
        const next = s.appender();
        expect(next.append(ref, null, 3, 3)).toBe(ref);
        await next.commit();
        expect(await dump(s.querier(0, 10), '__name__="r"')).toEqual([
          [
            { __name__: "r" },
            [
              [1, 1],
              [2, 2],
              [3, 3],
            ],
          ],
        ]);
      });
    });

    it("keeps values bit-exact: stale marker, NaN, infinities, negative zero", async () => {
      await withStore(async (s) => {
        const app = s.appender();
        // Filled one by one: a plain array literal of doubles would canonicalise the stale NaN.
        const vals = new Float64Array(5);
        vals[0] = STALE_NAN;
        vals[1] = Number.NaN;
        vals[2] = Number.POSITIVE_INFINITY;
        vals[3] = Number.NEGATIVE_INFINITY;
        vals[4] = -0;
        for (let i = 0; i < vals.length; i++) app.append(0, lbl({ __name__: "v" }), i + 1, vals[i]!);
        await app.commit();
        const [series] = await s.querier(0, 10).select([m('__name__="v"')]);
        const it = series!.iterator();
        const got: string[] = [];
        while (it.next()) {
          const v = it.v;
          got.push(isStaleNaN(v) ? "stale" : Object.is(v, -0) ? "-0" : String(v));
        }
        expect(got).toEqual(["stale", "NaN", "Infinity", "-Infinity", "-0"]);
      });
    });

    it("iterates and seeks across many samples", async () => {
      await withStore(async (s) => {
        const app = s.appender();
        for (let i = 0; i < 2000; i++) app.append(0, lbl({ __name__: "long" }), i * 15_000, i);
        await app.commit();
        const [series] = await s.querier(300_000, 20_000_000).select([m('__name__="long"')]);
        const all = read(series!);
        expect(all.length).toBe(1314);
        expect(all[0]).toEqual([300_000, 20]);
        expect(all[all.length - 1]).toEqual([19_995_000, 1333]);
        const it = series!.iterator();
        const seeks: [number, number | false][] = [
          [0, 300_000],
          [300_000, 300_000],
          [7_200_001, 7_215_000],
          [7_000_000, 7_215_000],
          [19_995_000, 19_995_000],
          [19_995_001, false],
        ];
        for (const [t, want] of seeks) expect([t, it.seek(t) ? it.t : false]).toEqual([t, want]);
      });
    });

    it("skips series with no sample inside the range", async () => {
      await withStore(async (s) => {
        await load(s, [
          [
            { __name__: "gap" },
            [
              [0, 1],
              [10_000, 2],
            ],
          ],
          [{ __name__: "hit" }, [[5000, 1]]],
        ]);
        expect(await dump(s.querier(4000, 6000), '__name__=~".+"')).toEqual([
          [{ __name__: "hit" }, [[5000, 1]]],
        ]);
      });
    });

    it("lists label names and values, optionally filtered by matchers", async () => {
      await withStore(async (s) => {
        await load(s, [
          [{ __name__: "up", job: "node", instance: "a" }, [[1000, 1]]],
          [{ __name__: "up", job: "api", zone: "eu" }, [[1000, 1]]],
          [{ __name__: "build_info", version: "1" }, [[1000, 1]]],
          [{ __name__: "old", era: "past" }, [[1, 1]]],
        ]);
        const q = s.querier(500, 2000);
        const cases: [string | null, string[], string[]][] = [
          [null, [], ["__name__", "instance", "job", "version", "zone"]],
          [null, ['job="api"'], ["__name__", "job", "zone"]],
          ["job", [], ["api", "node"]],
          ["__name__", [], ["build_info", "up"]],
          ["job", ['zone="eu"'], ["api"]],
          ["era", [], []],
          ["missing", [], []],
        ];
        for (const [label, specs, want] of cases) {
          const got =
            label === null ? await q.labelNames(specs.map(m)) : await q.labelValues(label, specs.map(m));
          expect([label, specs, got]).toEqual([label, specs, want]);
        }
        expect(await s.querier(0, 5000).labelValues("__name__")).toEqual(["build_info", "old", "up"]);
      });
    });

    it("keeps metric metadata when the store supports it", async () => {
      await withStore(async (s) => {
        if (s.metadata === undefined) return;
        const app = s.appender();
        app.updateMetadata?.("up", { type: "gauge", help: "Target is up.", unit: "" });
        app.updateMetadata?.("up", { type: "gauge", help: "Target is up.", unit: "" });
        app.append(0, lbl({ __name__: "up" }), 1, 1);
        await app.commit();
        expect(s.metadata("up")).toEqual(
          new Map([["up", [{ type: "gauge", help: "Target is up.", unit: "" }]]]),
        );
      });
    });
  });
}
