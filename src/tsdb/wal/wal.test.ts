import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type Labels, labelsFromRecord } from "../../model/index.js";
import type { WALSamples, WALSeries } from "../head.js";
import { crc32, crc32Table } from "./crc32.js";
import {
  encodeSamples,
  encodeSeries,
  RecordBuffer,
  RecordType,
  SamplesDecoder,
  scanFile,
  scanRecords,
} from "./record.js";
import { checkpointName, openWAL, segmentName, type WAL, type WALOptions } from "./wal.js";

const root = mkdtempSync(join(tmpdir(), "wal-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `w${dirs++}`);

/** A batch as the head hands it over; values given as [hi, lo] 32-bit words so every bit pattern is exact. */
interface Batch {
  series: WALSeries[];
  refs: number[];
  ts: number[];
  bits: [number, number][];
}

function samplesOf(b: Batch): WALSamples {
  const n = b.refs.length;
  const vs = new Float64Array(n);
  const w = new Uint32Array(vs.buffer);
  for (let i = 0; i < n; i++) {
    w[2 * i] = b.bits[i]![1];
    w[2 * i + 1] = b.bits[i]![0];
  }
  return { refs: Uint32Array.from(b.refs), ts: Float64Array.from(b.ts), vs };
}

/** What replay produced, flattened: series records and samples with their value bits. */
interface Replayed {
  series: WALSeries[];
  samples: [number, number, number, number][];
  metadata: string[];
}

async function replay(dir: string, options: WALOptions = {}): Promise<{ wal: WAL; got: Replayed }> {
  const got: Replayed = { series: [], samples: [], metadata: [] };
  const wal = await openWAL(dir, options, {
    series: (recs) => {
      for (const r of recs) got.series.push({ ref: r.ref, labels: r.labels.map((l) => ({ ...l })) });
    },
    metadata: (entries) => {
      for (const [name, m] of entries) got.metadata.push(`${name} ${m.type} ${m.unit} ${m.help}`);
    },
    samples: ({ refs, ts, vs }) => {
      const w = new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
      for (let i = 0; i < refs.length; i++) got.samples.push([refs[i]!, ts[i]!, w[2 * i + 1]!, w[2 * i]!]);
    },
  });
  return { wal, got };
}

function expected(batches: readonly Batch[]): Replayed {
  const out: Replayed = { series: [], samples: [], metadata: [] };
  for (const b of batches) {
    out.series.push(...b.series);
    for (let i = 0; i < b.refs.length; i++)
      out.samples.push([b.refs[i]!, b.ts[i]!, b.bits[i]![0], b.bits[i]![1]]);
  }
  return out;
}

async function write(dir: string, batches: readonly Batch[], options: WALOptions = {}): Promise<number[]> {
  const { wal } = await replay(dir, options);
  const ends: number[] = [];
  for (const b of batches) {
    await wal.log(b.series, samplesOf(b));
    ends.push(wal.segment);
  }
  await wal.close();
  return ends;
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => /^\d{8}$/.test(n))
    .sort();
}

/** A logger that keeps what it is told. */
function recorder() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    logger: { warn: (m: string) => warnings.push(m), info: (m: string) => infos.push(m) },
  };
}

const L = (name: string, i: number): Labels => labelsFromRecord({ __name__: name, i: String(i) });

/** N batches of `per` samples over a few series, each batch introducing one new series. */
function steadyBatches(n: number, per = 4): Batch[] {
  const out: Batch[] = [];
  for (let k = 0; k < n; k++) {
    const b: Batch = { series: [{ ref: k + 1, labels: L("m", k) }], refs: [], ts: [], bits: [] };
    for (let j = 0; j < per; j++) {
      b.refs.push(1 + ((k + j) % (k + 1)));
      b.ts.push(1_700_000_000_000 + k * 1000 + j);
      b.bits.push([0x40000000 + k, j]);
    }
    out.push(b);
  }
  return out;
}

const special: [number, number][] = [
  [0x7ff00000, 2], // stale marker
  [0x7ff80000, 0], // NaN
  [0x7ff80000, 12345], // NaN with a payload
  [0xfff00000, 0], // -Inf
  [0x80000000, 0], // -0
  [0, 1], // smallest subnormal
];

const batchArb: fc.Arbitrary<Batch> = fc
  .record({
    series: fc.array(
      fc.record({
        ref: fc.nat({ max: 0xffffffff }),
        labels: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8, unit: "grapheme" }),
          fc.string({ minLength: 1 }),
          {
            maxKeys: 4,
          },
        ),
      }),
      { maxLength: 4 },
    ),
    samples: fc.array(
      fc.tuple(
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: -(2 ** 44), max: 2 ** 44 }),
        fc.oneof(
          fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })),
          fc.constantFrom(...special),
        ),
      ),
      { maxLength: 40 },
    ),
  })
  .map(({ series, samples }) => ({
    series: series.map((s) => ({ ref: s.ref, labels: labelsFromRecord(s.labels) })),
    refs: samples.map((s) => s[0]),
    ts: samples.map((s) => s[1]),
    bits: samples.map((s) => s[2] as [number, number]),
  }));

describe("crc32", () => {
  it("matches the standard check value and zlib's implementation", () => {
    const check = new TextEncoder().encode("123456789");
    expect(crc32(check)).toBe(0xcbf43926);
    expect(crc32Table(check)).toBe(0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 0xffffffff }), (data, seed) => {
        expect(crc32Table(data, seed)).toBe(crc32(data, seed));
      }),
    );
  });
});

describe("WAL records", () => {
  it("round-trip any batch through a segment, value bits (stale marker, NaN payloads, -0) included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchArb, { maxLength: 6 }),
        fc.integer({ min: 200, max: 5000 }),
        async (batches, size) => {
          const dir = freshDir();
          await write(dir, batches, { segmentSize: size });
          const { wal, got } = await replay(dir);
          await wal.close();
          // Batches with neither series nor samples are not written at all.
          expect(got).toEqual(expected(batches));
          rmSync(dir, { recursive: true });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("refuse a timestamp that is not an integer, leaving the log as it was", async () => {
    const dir = freshDir();
    const { wal } = await replay(dir);
    const good = steadyBatches(1)[0]!;
    await wal.log(good.series, samplesOf(good));
    const bad = samplesOf(steadyBatches(1)[0]!);
    bad.ts[0] = 1.5;
    await expect(wal.log([], bad)).rejects.toThrow(/timestamp 1.5 is not an integer/);
    await wal.close();
    const { wal: again, got } = await replay(dir);
    await again.close();
    expect(got).toEqual(expected([good]));
  });

  it("frame each record with type, length and a CRC that catches a flip anywhere", () => {
    const rb = new RecordBuffer(16);
    const b = steadyBatches(3)[2]!;
    encodeSeries(rb, b.series);
    encodeSamples(rb, samplesOf(b));
    const buf = Buffer.from(rb.buf.subarray(0, rb.length));
    const seen: number[] = [];
    expect(scanRecords(buf, (type) => seen.push(type))).toEqual({ end: buf.length });
    expect(seen).toEqual([RecordType.Series, RecordType.Samples]);
    for (let at = 0; at < buf.length; at++) {
      const bad = Buffer.from(buf);
      bad[at]! ^= 0x10;
      expect(scanRecords(bad, () => undefined).error).toBeDefined();
    }
    const dec = new SamplesDecoder();
    let n = 0;
    scanRecords(buf, (type, st, en) => {
      if (type === RecordType.Samples) n = dec.decode(buf, st, en).refs.length;
    });
    expect(n).toBe(4);
  });
});

describe("reading a segment through a window", () => {
  /** Every record visit as [type, payload bytes as hex, file offset]. */
  type Visit = [number, string, number];

  function wholeFile(buf: Buffer): { visits: Visit[]; res: ReturnType<typeof scanRecords> } {
    const visits: Visit[] = [];
    const res = scanRecords(buf, (type, s, e, rec) =>
      visits.push([type, buf.subarray(s, e).toString("hex"), rec]),
    );
    return { visits, res };
  }

  it("sees the same records, errors and offsets as reading the whole file, whatever the window (property)", async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 9, max: 600 }),
        fc.option(fc.tuple(fc.nat(), fc.constantFrom("flip", "cut")), { nil: null }),
        async (nBatches, perBatch, window, damage) => {
          const rb = new RecordBuffer(64);
          for (const b of steadyBatches(nBatches, perBatch)) {
            encodeSeries(rb, b.series);
            encodeSamples(rb, samplesOf(b));
          }
          let buf = Buffer.from(rb.buf.subarray(0, rb.length));
          if (damage !== null) {
            const at = damage[0] % buf.length;
            if (damage[1] === "cut") buf = buf.subarray(0, at);
            else buf[at]! ^= 0x04;
          }
          const path = join(dir, `seg${n++}`);
          writeFileSync(path, buf);
          const want = wholeFile(buf);
          const visits: Visit[] = [];
          const res = await scanFile(
            path,
            (b, type, s, e, rec) => visits.push([type, b.subarray(s, e).toString("hex"), rec]),
            window,
          );
          expect(visits).toEqual(want.visits);
          expect(res).toEqual({ ...want.res, size: buf.length });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("WAL segments", () => {
  it("cut segments at the size limit, never splitting a batch, and replay across them", async () => {
    const dir = freshDir();
    const batches = steadyBatches(30, 20);
    await write(dir, batches, { segmentSize: 1000 });
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const buf = readFileSync(join(dir, f));
      const types: number[] = [];
      expect(scanRecords(buf, (t) => types.push(t)).error).toBeUndefined();
      expect(types.at(-1)).toBe(RecordType.Samples);
    }
    const { wal, got } = await replay(dir, { segmentSize: 1000 });
    await wal.close();
    expect(got).toEqual(expected(batches));
  });

  it("log metadata once per distinct entry and replay it", async () => {
    const dir = freshDir();
    const { wal } = await replay(dir);
    const b = steadyBatches(2);
    const meta = ["up", { type: "gauge", unit: "", help: "Up." }] as const;
    await wal.log(b[0]!.series, samplesOf(b[0]!), [meta]);
    await wal.log(b[1]!.series, samplesOf(b[1]!), [meta, ["x", { type: "counter", unit: "s", help: "X." }]]);
    await wal.log([], { refs: new Uint32Array(0), ts: new Float64Array(0), vs: new Float64Array(0) }, [meta]);
    await wal.close();
    const { wal: again, got } = await replay(dir);
    expect(got.metadata).toEqual(["up gauge  Up.", "x counter s X."]);
    await again.log([], samplesOf({ series: [], refs: [], ts: [], bits: [] }), [meta]);
    await again.close();
    const { wal: third, got: got3 } = await replay(dir);
    await third.close();
    expect(got3.metadata).toEqual(["up gauge  Up.", "x counter s X."]);
  });

  for (const fsync of ["batch", "interval", "never"] as const) {
    it(`write and replay with fsync "${fsync}"`, async () => {
      const dir = freshDir();
      const batches = steadyBatches(12, 5);
      await write(dir, batches, { fsync, fsyncIntervalMs: 1, segmentSize: 600 });
      const { wal, got } = await replay(dir);
      await wal.close();
      expect(got).toEqual(expected(batches));
    });
  }

  it("refuse bad options, naming them", async () => {
    await expect(openWAL(freshDir(), { fsync: "sometimes" as "never" })).rejects.toThrow(
      /fsync must be "batch", "interval" or "never", got "sometimes"/,
    );
    await expect(openWAL(freshDir(), { segmentSize: 0 })).rejects.toThrow(/segmentSize must be positive/);
  });

  it("reject writes after close", async () => {
    const { wal } = await replay(freshDir());
    await wal.close();
    await expect(wal.log(steadyBatches(1)[0]!.series, samplesOf(steadyBatches(1)[0]!))).rejects.toThrow(
      /closed/,
    );
  });
});

describe("WAL repair", () => {
  /** Writes `batches` and returns the directory and the offset where the last batch starts. */
  async function withLastBatch(
    batches: Batch[],
  ): Promise<{ dir: string; seg: string; lastStart: number; size: number }> {
    const dir = freshDir();
    const { wal } = await replay(dir);
    for (const b of batches.slice(0, -1)) await wal.log(b.series, samplesOf(b));
    const seg = join(dir, segmentName(wal.segment));
    const lastStart = statSync(seg).size;
    const b = batches.at(-1)!;
    await wal.log(b.series, samplesOf(b));
    await wal.close();
    const size = statSync(seg).size;
    expect(lastStart).toBeGreaterThan(0);
    expect(size).toBeGreaterThan(lastStart + 60);
    return { dir, seg, lastStart, size };
  }

  it("cut a tail torn at any byte of the last batch back to the batch before, with a warning", async () => {
    const batches = steadyBatches(5, 6);
    const { dir, seg, lastStart, size } = await withLastBatch(batches);
    const full = readFileSync(seg);
    const before = expected(batches.slice(0, -1));
    for (let cut = lastStart; cut < size; cut++) {
      writeFileSync(seg, full.subarray(0, cut));
      const log = recorder();
      const { wal, got } = await replay(dir, { logger: log.logger });
      await wal.close();
      expect(got).toEqual(before);
      expect(log.warnings.length).toBe(cut === lastStart ? 0 : 1);
      if (cut > lastStart)
        expect(log.warnings[0]).toMatch(/cut the log back to the last good record at offset/);
      expect(statSync(seg).size).toBe(lastStart);
    }
  });

  it("cut a tail with flipped bytes back to the last intact record", async () => {
    const batches = steadyBatches(5, 6);
    const { dir, seg, lastStart, size } = await withLastBatch(batches);
    const full = readFileSync(seg);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: lastStart, max: size - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, xor) => {
          const bad = Buffer.from(full);
          bad[at]! ^= xor;
          writeFileSync(seg, bad);
          const log = recorder();
          const { wal, got } = await replay(dir, { logger: log.logger });
          await wal.close();
          expect(got).toEqual(expected(batches.slice(0, -1)));
          expect(log.warnings.length).toBe(1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("drop the segments after a damaged one, and keep appending after the repair", async () => {
    const dir = freshDir();
    const batches = steadyBatches(40, 20);
    await write(dir, batches, { segmentSize: 1500 });
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(4);
    const victim = join(dir, files[2]!);
    const buf = readFileSync(victim);
    buf[buf.length - 3]! ^= 0xff;
    writeFileSync(victim, buf);
    const log = recorder();
    const { wal, got } = await replay(dir, { logger: log.logger, segmentSize: 1500 });
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toMatch(/removed \d+ later segment/);
    const kept = got.samples.length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(40 * 20);
    expect(got.samples).toEqual(expected(batches).samples.slice(0, kept));
    const more = steadyBatches(41, 3).slice(40);
    await wal.log(more[0]!.series, samplesOf(more[0]!));
    await wal.close();
    const again = recorder();
    const { wal: w2, got: got2 } = await replay(dir, { logger: again.logger });
    await w2.close();
    expect(again.warnings).toEqual([]);
    expect(got2.samples.length).toBe(kept + 3);
  });
});

describe("WAL checkpoints", () => {
  it("fold closed segments into a checkpoint that replays the same records", async () => {
    const dir = freshDir();
    const batches = steadyBatches(40, 20);
    const { wal } = await replay(dir, { segmentSize: 2000 });
    for (const b of batches.slice(0, 30)) await wal.log(b.series, samplesOf(b));
    const closed = wal.closedSegments;
    expect(closed).toBeGreaterThan(2);
    const stats = await wal.checkpoint();
    expect(stats).toMatchObject({ index: wal.segment - 1, segmentsRemoved: closed, droppedSamples: 0 });
    expect(wal.closedSegments).toBe(0);
    for (const b of batches.slice(30)) await wal.log(b.series, samplesOf(b));
    const second = await wal.checkpoint();
    expect(second?.segmentsRemoved).toBeGreaterThan(1);
    await wal.close();
    const names = readdirSync(dir);
    expect(names.filter((n) => n.startsWith("checkpoint."))).toEqual([checkpointName(second!.index)]);
    expect(segmentFiles(dir).every((n) => Number(n) > second!.index)).toBe(true);

    const { wal: again, got } = await replay(dir);
    await again.close();
    expect(again.replayStats.checkpoint).toBe(second!.index);
    const want = expected(batches);
    const order = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]!;
    expect(got.series).toEqual(want.series);
    expect([...got.samples].sort(order)).toEqual([...want.samples].sort(order));
  });

  it("drop samples before mint and series the caller no longer keeps", async () => {
    const dir = freshDir();
    const batches = steadyBatches(20, 10);
    const { wal } = await replay(dir, { segmentSize: 1000 });
    for (const b of batches) await wal.log(b.series, samplesOf(b));
    const mint = batches[10]!.ts[0]!;
    const stats = await wal.truncate(mint, (ref) => ref % 2 === 1);
    await wal.close();
    const { wal: again, got } = await replay(dir);
    await again.close();
    expect(stats!.samples + stats!.droppedSamples).toBe(200);
    expect(got.series.map((s) => s.ref)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    const want = expected(batches).samples.filter(([ref, t]) => t >= mint && ref % 2 === 1);
    expect(got.samples.length).toBe(want.length);
    expect(new Set(got.samples.map((s) => s.join()))).toEqual(new Set(want.map((s) => s.join())));
  });

  it("ignore an unfinished checkpoint and segments a finished one already covers", async () => {
    const dir = freshDir();
    const batches = steadyBatches(10, 10);
    await write(dir, batches, { segmentSize: 500 });
    const { wal } = await replay(dir, { segmentSize: 500 });
    const stats = await wal.checkpoint();
    await wal.close();
    // a crash between writing the checkpoint and deleting its segments, and a half-written next one
    writeFileSync(join(dir, segmentName(stats!.index)), "leftover");
    mkdirSync(join(dir, `${checkpointName(stats!.index + 5)}.tmp`));
    const log = recorder();
    const { wal: again, got } = await replay(dir, { logger: log.logger });
    await again.close();
    expect(log.warnings).toEqual([]);
    expect(got.samples.length).toBe(100);
    expect(readdirSync(dir).some((n) => n.endsWith(".tmp") || n === segmentName(stats!.index))).toBe(false);
  });
});
