import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isStaleNaN, STALE_NAN } from "../model/index.js";
import { CorruptChunkError, decodeInto, XORAppender, XORChunk, XORIterator } from "./chunk.js";

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function fromBits(hi: number, lo: number): number {
  u32[1] = hi;
  u32[0] = lo;
  return f64[0]!;
}

/**
 * A sample as a timestamp and the value's bit pattern. Values are kept as bits because V8
 * canonicalises NaNs stored in plain double arrays, which would hide a lost stale marker.
 */
type Sample = readonly [t: number, hi: number, lo: number];

function sample(t: number, v: number): Sample {
  f64[0] = v;
  return [t, u32[1]!, u32[0]!];
}

function encode(samples: readonly Sample[]): XORChunk {
  const app = new XORAppender(4);
  for (const [t, hi, lo] of samples) app.append(t, fromBits(hi, lo));
  return app.finish();
}

function decode(chunk: XORChunk): Sample[] {
  const out: Sample[] = [];
  const it = chunk.iterator();
  while (it.next()) out.push(sample(it.t, it.v));
  return out;
}

/** Strictly increasing integer timestamps with deltas drawn to hit every delta-of-delta bucket. */
const timestamps = fc
  .tuple(
    fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
    fc.array(
      fc.oneof(
        fc.constant(15_000),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 9_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
      ),
      { maxLength: 300 },
    ),
  )
  .map(([start, deltas]) => {
    const ts = [start];
    for (const d of deltas) ts.push(ts[ts.length - 1]! + d);
    return ts;
  });

const word = fc.integer({ min: 0, max: 0xffffffff });

/** Any float64 bit pattern as [hi, lo], with the interesting ones (NaNs, infinities, -0) made likely. */
const valueBits = fc.oneof(
  fc.tuple(word, word),
  fc.tuple(fc.constantFrom(0x7ff00000, 0xfff00000, 0x7ff80000, 0x80000000, 0), fc.constantFrom(0, 1, 2)),
  fc.tuple(fc.constant(0x40590000), fc.integer({ min: 0, max: 1000 })),
  fc.double().map((d) => sample(0, d).slice(1) as [number, number]),
);

const samplesArb = fc
  .tuple(timestamps, fc.array(valueBits, { minLength: 301, maxLength: 301 }))
  .map(([ts, vs]) => ts.map((t, i): Sample => [t, vs[i]![0], vs[i]![1]]));

describe("XOR chunk", () => {
  it("round-trips any increasing timestamps and any float64 bits exactly", () => {
    fc.assert(
      fc.property(samplesArb, (samples) => {
        const chunk = encode(samples);
        expect(decode(chunk)).toEqual(samples);
        expect(chunk.numSamples).toBe(samples.length);
        expect(chunk.minT).toBe(samples[0]![0]);
        expect(chunk.maxT).toBe(samples[samples.length - 1]![0]);
      }),
      { numRuns: 300 },
    );
  });

  it("bulk-decodes the samples in [mint, maxt] at any offset exactly as the iterator reads them", () => {
    fc.assert(
      fc.property(samplesArb, fc.nat(7), fc.nat(), fc.nat(), (samples, offset, a, b) => {
        const chunk = encode(samples);
        const lo = samples[a % samples.length]![0] - (a % 3);
        const hi = samples[b % samples.length]![0] + (b % 2);
        const ts = new Float64Array(offset + samples.length);
        const vs = new Float64Array(offset + samples.length);
        const n = decodeInto(chunk, ts, vs, offset, lo, hi);
        const got: Sample[] = [];
        for (let k = offset; k < offset + n; k++) got.push(sample(ts[k]!, vs[k]!));
        expect(got).toEqual(samples.filter(([t]) => t >= lo && t <= hi));
        expect(decodeInto(chunk, ts, vs.subarray(offset), 0)).toBe(samples.length);
        expect(sample(0, vs[offset + samples.length - 1]!)).toEqual([
          0,
          ...samples[samples.length - 1]!.slice(1),
        ]);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the stale marker distinct from an ordinary NaN", () => {
    const app = new XORAppender();
    app.append(1, STALE_NAN);
    app.append(2, Number.NaN);
    app.append(3, STALE_NAN);
    app.append(4, -0);
    const it = app.finish().iterator();
    const seen: [boolean, boolean][] = [];
    while (it.next()) seen.push([isStaleNaN(it.v), Object.is(it.v, -0)]);
    expect(seen).toEqual([
      [true, false],
      [false, false],
      [true, false],
      [false, true],
    ]);
  });

  it("lays out the header, first timestamp and first value like Prometheus", () => {
    const chunk = encode([sample(1000, 1)]);
    expect([...chunk.bytes]).toEqual([0, 1, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
    const two = encode([sample(1000, 1), sample(16000, 1), sample(31000, 1)]);
    // count 3; uvarint 15000 = 0x98 0x75; unchanged value = bit 0; dod 0 = bit 0; value = bit 0.
    expect([...two.bytes]).toEqual([0, 3, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x98, 0x75, 0]);
  });

  it("compresses a regular counter to under 2 bytes a sample", () => {
    const samples: Sample[] = [];
    for (let i = 0; i < 120; i++) samples.push(sample(1_700_000_000_000 + i * 15_000, i * 3));
    expect(encode(samples).bytes.length / 120).toBeLessThan(2);
  });

  it("seeks forward to the first sample at or after t and never backwards", () => {
    const chunk = encode([sample(10, 1), sample(20, 2), sample(30, 3), sample(40, 4)]);
    const cases: [number[], (number | false)[]][] = [
      [[5], [10]],
      [[20], [20]],
      [[21], [30]],
      [
        [30, 10],
        [30, 30],
      ],
      [[41], [false]],
      [
        [41, 10],
        [false, false],
      ],
    ];
    for (const [seeks, want] of cases) {
      const it = chunk.iterator();
      expect(seeks.map((t) => (it.seek(t) ? it.t : false))).toEqual(want);
    }
  });

  it("continues an open chunk from its bytes with identical encoding", () => {
    fc.assert(
      fc.property(samplesArb, fc.nat(), (samples, cut) => {
        const k = cut % (samples.length + 1);
        const whole = encode(samples);
        const app = XORAppender.resume(encode(samples.slice(0, k)).bytes);
        for (const [t, hi, lo] of samples.slice(k)) app.append(t, fromBits(hi, lo));
        expect([...app.finish().bytes]).toEqual([...whole.bytes]);
      }),
      { numRuns: 100 },
    );
  });

  it("keeps a snapshot stable while the appender goes on", () => {
    const app = new XORAppender(4);
    app.append(1, 1);
    app.append(2, 2.5);
    const snap = app.snapshot();
    for (let i = 3; i < 200; i++) app.append(i, i * 1.1);
    expect(decode(snap)).toEqual([sample(1, 1), sample(2, 2.5)]);
  });

  it("rebuilds count and time range from bytes", () => {
    const c = XORChunk.fromBytes(encode([sample(5, 1), sample(9, 2)]).bytes);
    expect([c.numSamples, c.minT, c.maxT]).toEqual([2, 5, 9]);
  });

  it("rejects non-increasing timestamps and truncated data", () => {
    const app = new XORAppender();
    app.append(10, 1);
    expect(() => app.append(10, 2)).toThrow(RangeError);
    const bytes = encode([sample(1, 1), sample(2, 2), sample(3, 3.3)]).bytes;
    const it = new XORIterator(bytes.subarray(0, 8), 3);
    expect(() => {
      while (it.next()) {}
    }).toThrow(CorruptChunkError);
    const out = new Float64Array(3);
    expect(() => decodeInto({ bytes: bytes.subarray(0, 8), numSamples: 3 }, out, out.slice())).toThrow(
      CorruptChunkError,
    );
    expect(() => decodeInto({ bytes, numSamples: 3 }, out, out.slice(), 1)).toThrow(RangeError);
  });
});
