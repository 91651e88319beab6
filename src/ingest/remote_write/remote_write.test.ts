import fc from "fast-check";
import { compressSync } from "snappy";
import { describe, expect, it } from "vitest";
import {
  isStaleNaN,
  type Labels,
  labelsFromRecord,
  labelsKey,
  type MetricMetadata,
  STALE_NAN,
} from "../../model/index.js";
import {
  type Appendable,
  type Appender,
  DuplicateSampleError,
  LimitExceededError,
  OutOfOrderError,
  type SeriesRef,
} from "../../storage/index.js";
import {
  applyWriteRequest,
  decodeRemoteWrite,
  decodeWriteRequest,
  encodeRemoteWrite,
  encodeWriteRequest,
  RemoteWriteError,
  snappyDecodedLength,
  type WriteRequestInput,
} from "./index.js";

/** A store that records committed samples and refuses out-of-order ones, like a TSDB head. */
class MemoryStore implements Appendable {
  readonly series = new Map<string, { labels: Labels; t: number[]; v: number[] }>();
  readonly metadata = new Map<string, MetricMetadata>();
  commits = 0;
  rollbacks = 0;
  failAppendAfter = Number.POSITIVE_INFINITY;

  appender(): Appender {
    const pending: Array<{ labels: Labels; t: number; v: number }> = [];
    const meta: Array<[string, MetricMetadata]> = [];
    return {
      append: (_ref: SeriesRef, labels: Labels | null, t: number, v: number): SeriesRef => {
        if (pending.length >= this.failAppendAfter) throw new LimitExceededError("too many samples");
        const s = this.series.get(labelsKey(labels!));
        const last = s ? s.t[s.t.length - 1]! : Number.NEGATIVE_INFINITY;
        const lastPending = pending.findLast((p) => labelsKey(p.labels) === labelsKey(labels!))?.t;
        const newest = Math.max(last, lastPending ?? Number.NEGATIVE_INFINITY);
        if (t < newest) throw new OutOfOrderError();
        if (t === newest && s && s.v[s.v.length - 1] !== v) throw new DuplicateSampleError();
        pending.push({ labels: labels!, t, v });
        return 1;
      },
      updateMetadata: (name, m) => {
        meta.push([name, m]);
      },
      commit: async () => {
        for (const p of pending) {
          const key = labelsKey(p.labels);
          const s = this.series.get(key) ?? { labels: p.labels, t: [], v: [] };
          this.series.set(key, s);
          s.t.push(p.t);
          s.v.push(p.v);
        }
        for (const [n, m] of meta) this.metadata.set(n, m);
        this.commits++;
      },
      rollback: () => {
        this.rollbacks++;
      },
    };
  }

  get sampleCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.t.length;
    return n;
  }
}

const NOW = 1_700_000_000_000;

const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/).filter((n) => n !== "__name__");
const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
const labelValue = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20, unit: "grapheme" }),
  fc.string({ minLength: 250, maxLength: 300 }),
);
const sample = fc.record({
  value: fc.double(),
  timestamp: fc.integer({ min: -2_000_000_000_000, max: NOW }),
});
const seriesArb = fc.record({
  name: metricName,
  labels: fc.uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 6, selector: (p) => p[0] }),
  samples: fc.array(sample, { maxLength: 8 }),
});
const requestArb = fc.array(seriesArb, { maxLength: 10 }).map(
  (ss): WriteRequestInput => ({
    timeseries: ss.map((s) => ({
      labels: [{ name: "__name__", value: s.name }, ...s.labels.map(([name, value]) => ({ name, value }))],
      samples: s.samples,
    })),
  }),
);

function sameNumber(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

describe("decodeRemoteWrite", () => {
  it("round-trips any valid request (property)", () => {
    fc.assert(
      fc.property(requestArb, (input) => {
        const req = decodeRemoteWrite(encodeRemoteWrite(input));
        expect(req.series.length).toBe(input.timeseries.length);
        input.timeseries.forEach((ts, i) => {
          const want = labelsFromRecord(Object.fromEntries(ts.labels.map((l) => [l.name, l.value])));
          expect(req.series[i]).toEqual(want);
          const from = req.sampleOffsets[i]!;
          expect(req.sampleOffsets[i + 1]! - from).toBe(ts.samples.length);
          ts.samples.forEach((s, j) => {
            expect(req.timestamps[from + j]).toBe(s.timestamp);
            expect(sameNumber(req.values[from + j]!, s.value)).toBe(true);
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the stale-marker NaN bit pattern", () => {
    const req = decodeRemoteWrite(
      encodeRemoteWrite({
        timeseries: [
          {
            labels: [{ name: "__name__", value: "up" }],
            samples: [
              { value: STALE_NAN, timestamp: 1 },
              { value: Number.NaN, timestamp: 2 },
            ],
          },
        ],
      }),
    );
    expect(isStaleNaN(req.values[0]!)).toBe(true);
    expect(isStaleNaN(req.values[1]!)).toBe(false);
  });

  it("sorts labels and drops empty values", () => {
    const req = decodeRemoteWrite(
      encodeRemoteWrite({
        timeseries: [
          {
            labels: [
              { name: "z", value: "1" },
              { name: "__name__", value: "m" },
              { name: "a", value: "" },
              { name: "b", value: "2" },
            ],
            samples: [{ value: 1, timestamp: 5 }],
          },
        ],
      }),
    );
    expect(req.series[0]).toEqual(labelsFromRecord({ __name__: "m", b: "2", z: "1" }));
  });

  it("decodes metadata", () => {
    const req = decodeRemoteWrite(
      encodeRemoteWrite({
        timeseries: [],
        metadata: [{ type: "counter", metricFamilyName: "http_requests_total", help: "Requests.", unit: "" }],
      }),
    );
    expect(req.metadata).toEqual([
      { metricFamilyName: "http_requests_total", type: "counter", help: "Requests.", unit: "" },
    ]);
  });

  it("counts and skips exemplars, histograms and unknown fields", () => {
    // TimeSeries{labels:[__name__=m], samples:[{1, 7}], exemplars:[{}], histograms:[{}], field 9 varint 5}
    const label = [0x0a, 0x0d, 0x0a, 0x08, ...Buffer.from("__name__"), 0x12, 0x01, 0x6d];
    const smp = [0x12, 0x0b, 0x09, ...new Uint8Array(new Float64Array([1]).buffer), 0x10, 0x07];
    const ts = [...label, ...smp, 0x1a, 0x00, 0x22, 0x00, 0x48, 0x05];
    const body = Uint8Array.from([0x0a, ts.length, ...ts, 0x10, 0x01]);
    const req = decodeWriteRequest(body);
    expect(req.exemplars).toBe(1);
    expect(req.histograms).toBe(1);
    expect(Array.from(req.timestamps)).toEqual([7]);
  });

  const invalid: Array<[string, WriteRequestInput, string]> = [
    ["no metric name", { timeseries: [{ labels: [{ name: "a", value: "b" }], samples: [] }] }, "series 0"],
    [
      "empty metric name",
      { timeseries: [{ labels: [{ name: "__name__", value: "" }], samples: [] }] },
      "empty metric name",
    ],
    [
      "duplicate label name",
      {
        timeseries: [
          { labels: [{ name: "__name__", value: "ok" }], samples: [] },
          {
            labels: [
              { name: "__name__", value: "x" },
              { name: "job", value: "a" },
              { name: "job", value: "b" },
            ],
            samples: [],
          },
        ],
      },
      'series 1 x{job="a", job="b"}: duplicate label name "job"',
    ],
    [
      "invalid label name",
      {
        timeseries: [
          {
            labels: [
              { name: "__name__", value: "x" },
              { name: "a-b", value: "1" },
            ],
            samples: [],
          },
        ],
      },
      'invalid label name "a-b"',
    ],
    [
      "invalid metric name",
      { timeseries: [{ labels: [{ name: "__name__", value: "1x" }], samples: [] }] },
      'invalid metric name "1x"',
    ],
  ];
  it.each(invalid)("rejects %s with a 400 naming the series", (_name, input, msg) => {
    let err: unknown;
    try {
      decodeRemoteWrite(encodeRemoteWrite(input));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RemoteWriteError);
    expect((err as RemoteWriteError).status).toBe(400);
    expect((err as RemoteWriteError).message).toContain(msg);
  });

  it("accepts UTF-8 names when asked to", () => {
    const input = {
      timeseries: [{ labels: [{ name: "__name__", value: "http.server.duration" }], samples: [] }],
    };
    expect(() => decodeRemoteWrite(encodeRemoteWrite(input))).toThrow(RemoteWriteError);
    expect(decodeRemoteWrite(encodeRemoteWrite(input), { utf8Names: true }).series).toHaveLength(1);
  });

  it("fails every truncation of a valid body cleanly (protobuf level)", () => {
    const pb = encodeWriteRequest({
      timeseries: [
        {
          labels: [
            { name: "__name__", value: "m" },
            { name: "ünï", value: "çödé" },
          ],
          samples: [{ value: 1.5, timestamp: -5 }],
        },
      ],
    });
    for (let n = 1; n < pb.length; n++) {
      try {
        decodeWriteRequest(pb.subarray(0, n), { utf8Names: true });
      } catch (err) {
        expect(err).toBeInstanceOf(RemoteWriteError);
        expect((err as RemoteWriteError).status).toBe(400);
      }
    }
  });

  it("fails truncated and garbage snappy bodies with a 400 (property)", () => {
    const body = encodeRemoteWrite({
      timeseries: [{ labels: [{ name: "__name__", value: "m" }], samples: [{ value: 1, timestamp: 1 }] }],
    });
    for (let n = 0; n < body.length; n++) {
      expect(() => decodeRemoteWrite(body.subarray(0, n))).toThrow(RemoteWriteError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeRemoteWrite(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(RemoteWriteError);
          expect([400, 413]).toContain((err as RemoteWriteError).status);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("decodes garbage protobuf (validly compressed) to a clean error or a valid request (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          const req = decodeRemoteWrite(compressSync(bytes));
          expect(req.sampleOffsets.length).toBe(req.series.length + 1);
        } catch (err) {
          expect(err).toBeInstanceOf(RemoteWriteError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a body whose declared size is over the limit before decompressing it (413)", () => {
    const bomb = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(snappyDecodedLength(bomb)).toBe(0xffffffff);
    let err: unknown;
    try {
      decodeRemoteWrite(bomb);
    } catch (e) {
      err = e;
    }
    expect((err as RemoteWriteError).status).toBe(413);
    const body = encodeRemoteWrite({
      timeseries: [{ labels: [{ name: "__name__", value: "m" }], samples: [] }],
    });
    expect(() => decodeRemoteWrite(body, { maxDecodedBytes: 4 })).toThrow(/exceeds the limit of 4 bytes/);
  });
});

function input(series: Array<[Record<string, string>, Array<[number, number]>]>): WriteRequestInput {
  return {
    timeseries: series.map(([ls, samples]) => ({
      labels: Object.entries(ls).map(([name, value]) => ({ name, value })),
      samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
    })),
  };
}

describe("applyWriteRequest", () => {
  const opts = { now: () => NOW };

  it("appends every sample in one batch and commits", async () => {
    const store = new MemoryStore();
    const req = decodeRemoteWrite(
      encodeRemoteWrite({
        ...input([
          [
            { __name__: "a", job: "x" },
            [
              [NOW - 2, 1],
              [NOW - 1, 2],
            ],
          ],
          [{ __name__: "b" }, [[NOW - 1, 3]]],
          [{ __name__: "c" }, []],
        ]),
        metadata: [{ type: "gauge", metricFamilyName: "a", help: "A.", unit: "" }],
      }),
    );
    const stats = await applyWriteRequest(req, store, opts);
    expect(stats).toEqual({ samples: 3, series: 2, skipped: 0, exemplarsSkipped: 0, histogramsSkipped: 0 });
    expect(store.commits).toBe(1);
    expect(store.series.get(labelsKey(labelsFromRecord({ __name__: "a", job: "x" })))?.v).toEqual([1, 2]);
    expect(store.metadata.get("a")).toEqual({ type: "gauge", help: "A.", unit: "" });
  });

  it("rejects an out-of-order sample with a 400 and applies nothing (Prometheus's receiver)", async () => {
    const store = new MemoryStore();
    await applyWriteRequest(
      decodeRemoteWrite(encodeRemoteWrite(input([[{ __name__: "a" }, [[NOW - 10, 1]]]]))),
      store,
      opts,
    );
    const req = decodeRemoteWrite(
      encodeRemoteWrite(
        input([
          [{ __name__: "b" }, [[NOW, 1]]],
          [{ __name__: "a" }, [[NOW - 20, 1]]],
        ]),
      ),
    );
    await expect(applyWriteRequest(req, store, opts)).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("out of order sample for series 1 a"),
    });
    expect(store.rollbacks).toBe(1);
    expect(store.sampleCount).toBe(1);
  });

  it("skips refused samples and applies the rest with outOfOrder: skip", async () => {
    const store = new MemoryStore();
    await applyWriteRequest(
      decodeRemoteWrite(encodeRemoteWrite(input([[{ __name__: "a" }, [[NOW - 10, 1]]]]))),
      store,
      opts,
    );
    const req = decodeRemoteWrite(
      encodeRemoteWrite(
        input([
          [
            { __name__: "a" },
            [
              [NOW - 20, 1],
              [NOW - 5, 2],
            ],
          ],
          [{ __name__: "b" }, [[NOW, 1]]],
        ]),
      ),
    );
    const stats = await applyWriteRequest(req, store, { ...opts, outOfOrder: "skip" });
    expect(stats).toMatchObject({ samples: 2, series: 2, skipped: 1 });
    expect(store.sampleCount).toBe(3);
  });

  it("rejects samples too far in the future before appending anything", async () => {
    const store = new MemoryStore();
    const req = decodeRemoteWrite(
      encodeRemoteWrite(
        input([
          [{ __name__: "a" }, [[NOW, 1]]],
          [{ __name__: "b" }, [[NOW + 600_001, 1]]],
        ]),
      ),
    );
    await expect(applyWriteRequest(req, store, opts)).rejects.toThrow(/too far in the future for series 1 b/);
    expect(store.sampleCount).toBe(0);
  });

  it("rolls back everything when the store refuses a sample for another reason", async () => {
    const store = new MemoryStore();
    store.failAppendAfter = 2;
    const req = decodeRemoteWrite(
      encodeRemoteWrite(
        input([
          [
            { __name__: "a" },
            [
              [1, 1],
              [2, 2],
              [3, 3],
            ],
          ],
        ]),
      ),
    );
    await expect(applyWriteRequest(req, store, opts)).rejects.toMatchObject({ status: 400 });
    expect(store.rollbacks).toBe(1);
    expect(store.commits).toBe(0);
  });

  it.each([
    ["reject", "reject" as const],
    ["skip (limits are not skipped)", "skip" as const],
  ])(
    "answers a cardinality limit with 400 naming it, nothing applied (outOfOrder: %s)",
    async (_, outOfOrder) => {
      const store = new MemoryStore();
      store.failAppendAfter = 1;
      const req = decodeRemoteWrite(
        encodeRemoteWrite(
          input([
            [{ __name__: "a" }, [[NOW - 2, 1]]],
            [{ __name__: "b", x: "1" }, [[NOW - 1, 1]]],
          ]),
        ),
      );
      await expect(applyWriteRequest(req, store, { ...opts, outOfOrder })).rejects.toMatchObject({
        status: 400,
        message:
          "too many samples (series 1 of the request, at timestamp 1699999999999; nothing in this request was applied)",
      });
      expect(store.rollbacks).toBe(1);
      expect(store.sampleCount).toBe(0);
    },
  );
});

describe("series cache (label bytes → validated labels and the store's ref)", () => {
  /** A store that hands out a ref per label set, forgets refs on `forget()`, and logs what it got. */
  class RefStore implements Appendable {
    readonly refs = new Map<string, number>();
    readonly known = new Set<number>();
    readonly calls: [ref: number, key: string][] = [];
    next = 1;
    forget(): void {
      this.known.clear();
    }
    appender(): Appender {
      return {
        append: (ref, labels, _t, _v) => {
          this.calls.push([ref, labelsKey(labels!)]);
          if (ref !== 0 && this.known.has(ref)) return ref;
          const key = labelsKey(labels!);
          let r = this.refs.get(key);
          if (r === undefined || !this.known.has(r)) {
            r = this.next++;
            this.refs.set(key, r);
            this.known.add(r);
          }
          return r;
        },
        commit: async () => {},
        rollback: () => {},
      };
    }
  }
  const body = (t: number) =>
    encodeRemoteWrite(
      input([
        [{ job: "x", __name__: "cache_a", e: "" }, [[t, 1]]],
        [{ __name__: "cache_b" }, [[t, 2]]],
      ]),
    );

  it("decodes a repeated series to the same validated labels and passes the store its ref", async () => {
    const store = new RefStore();
    const first = decodeRemoteWrite(body(NOW - 2));
    const second = decodeRemoteWrite(body(NOW - 1));
    expect(second.series).toEqual(first.series);
    expect(second.series[0]).toEqual(labelsFromRecord({ __name__: "cache_a", job: "x" }));
    await applyWriteRequest(first, store, { now: () => NOW });
    await applyWriteRequest(decodeRemoteWrite(body(NOW - 1)), store, { now: () => NOW });
    expect(store.calls.map((c) => c[0])).toEqual([0, 0, 1, 2]);
    const other = new RefStore();
    other.next = 100;
    await applyWriteRequest(decodeRemoteWrite(body(NOW)), other, { now: () => NOW });
    expect(other.calls.map((c) => c[0])).toEqual([0, 0]);
  });

  it("falls back to labels when the store no longer knows a cached ref", async () => {
    const store = new RefStore();
    await applyWriteRequest(decodeRemoteWrite(body(NOW - 3)), store, { now: () => NOW });
    store.forget();
    await applyWriteRequest(decodeRemoteWrite(body(NOW - 2)), store, { now: () => NOW });
    await applyWriteRequest(decodeRemoteWrite(body(NOW - 1)), store, { now: () => NOW });
    expect(store.calls.map((c) => c[0])).toEqual([0, 0, 1, 2, 3, 4]);
    expect(store.calls.slice(2, 4).map((c) => c[1])).toEqual(store.calls.slice(0, 2).map((c) => c[1]));
  });

  it("decodes label fields that are not contiguous (after a sample) without caching them wrongly", () => {
    const str = (field: number, v: string) => [(field << 3) | 2, v.length, ...Buffer.from(v)];
    const msg = (field: number, bytes: number[]) => [(field << 3) | 2, bytes.length, ...bytes];
    const label = (n: string, v: string) => msg(1, [...str(1, n), ...str(2, v)]);
    const sampleBytes = [0x09, ...new Uint8Array(new Float64Array([7]).buffer), 0x10, 5];
    const ts = (order: string) => {
      const parts = { n: label("__name__", "split"), s: msg(2, sampleBytes), j: label("job", "y") };
      return new Uint8Array(
        msg(
          1,
          [...order].flatMap((k) => parts[k as "n" | "s" | "j"]),
        ),
      );
    };
    for (const order of ["nsj", "nsj", "njs", "snj"]) {
      const req = decodeWriteRequest(ts(order));
      expect(req.series).toEqual([labelsFromRecord({ __name__: "split", job: "y" })]);
      expect([...req.timestamps, ...req.values]).toEqual([5, 7]);
    }
  });

  it("validates each series under its own options and never caches a bad one", () => {
    const dotted = encodeRemoteWrite({
      timeseries: [{ labels: [{ name: "__name__", value: "cache.dotted" }], samples: [] }],
    });
    expect(decodeRemoteWrite(dotted, { utf8Names: true }).series).toHaveLength(1);
    expect(() => decodeRemoteWrite(dotted)).toThrow(/invalid metric name "cache.dotted"/);
    expect(() => decodeRemoteWrite(dotted)).toThrow(/invalid metric name "cache.dotted"/);
  });
});
