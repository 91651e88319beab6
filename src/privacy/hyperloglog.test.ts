import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IncompatibleSketchError, PrivacyInputError } from "./errors.js";
import { HyperLogLog, hllStandardError } from "./hyperloglog.js";
import { Pseudonymizer } from "./pseudonymizer.js";

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function sketchOf(values: Iterable<string>, precision = 14): HyperLogLog {
  const h = new HyperLogLog({ precision });
  for (const v of values) h.add(v);
  return h;
}

function* range(from: number, to: number, prefix = "user-"): Generator<string> {
  for (let i = from; i < to; i++) yield `${prefix}${i}`;
}

describe("HyperLogLog accuracy", () => {
  it("estimates known distinct counts within 3 standard errors (one sketch, growing)", () => {
    const h = new HyperLogLog();
    const se = h.standardError;
    expect(se).toBeCloseTo(1.04 / 128, 12);
    let added = 0;
    const figures: string[] = [];
    for (const n of [10, 100, 1_000, 10_000, 100_000, 1_000_000]) {
      for (; added < n; added++) h.add(`user-${added}`);
      const est = h.estimate();
      const classic = h.estimateClassic();
      figures.push(`${n}: ${est.toFixed(1)} (${(((est - n) / n) * 100).toFixed(3)} %)`);
      expect(Math.abs(est - n), `improved estimate at ${n}`).toBeLessThanOrEqual(3 * se * n);
      expect(Math.abs(classic - n), `classic estimate at ${n}`).toBeLessThanOrEqual(3 * se * n);
    }
    expect(figures).toHaveLength(6);
  });

  it("counts distinct pseudonymized users within its stated error (acceptance)", () => {
    const t0 = Date.UTC(2025, 2, 14, 12);
    const p = new Pseudonymizer({ now: () => t0 });
    const h = new HyperLogLog();
    const users = 20_000;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < users; i++) h.add(p.pseudonymize(`user-${i}`, t0 + round * 1000));
    }
    expect(Math.abs(h.estimate() - users)).toBeLessThanOrEqual(3 * h.standardError * users);
  });

  it("is near exact for small counts (linear counting)", () => {
    const h = new HyperLogLog();
    for (let n = 1; n < 100; n++) {
      h.add(`small-${n}`);
      expect(Math.abs(h.estimateClassic() - n), `classic at ${n}`).toBeLessThanOrEqual(
        Math.max(0.5, 0.01 * n),
      );
      expect(Math.abs(h.estimate() - n), `improved at ${n}`).toBeLessThanOrEqual(Math.max(0.5, 0.01 * n));
    }
    expect(new HyperLogLog().estimate()).toBe(0);
    expect(new HyperLogLog().estimateClassic()).toBe(0);
  });

  it("has the documented standard error 1.04/√m across many sketches", () => {
    const p = 10;
    const n = 20_000;
    const rnd = mulberry32(42);
    let sq = 0;
    let sum = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const h = new HyperLogLog({ precision: p });
      for (let i = 0; i < n; i++) h.addHash(rnd(), rnd());
      const rel = h.estimate() / n - 1;
      sq += rel * rel;
      sum += rel;
    }
    const rmse = Math.sqrt(sq / trials);
    expect(rmse / hllStandardError(p)).toBeGreaterThan(0.7);
    expect(rmse / hllStandardError(p)).toBeLessThan(1.3);
    expect(Math.abs(sum / trials)).toBeLessThan(hllStandardError(p) / 2);
  });

  it("stays unbiased where the classic estimator overshoots (2.5m..5m)", () => {
    const p = 10;
    const m = 1 << p;
    const rnd = mulberry32(7);
    const trials = 60;
    let improved = 0;
    let classic = 0;
    const n = Math.round(2.7 * m);
    for (let t = 0; t < trials; t++) {
      const h = new HyperLogLog({ precision: p });
      for (let i = 0; i < n; i++) h.addHash(rnd(), rnd());
      improved += h.estimate() / n - 1;
      classic += h.estimateClassic() / n - 1;
    }
    expect(Math.abs(improved / trials)).toBeLessThan(0.5 * hllStandardError(p));
    expect(classic / trials).toBeGreaterThan(improved / trials);
  });

  it("ignores duplicates", () => {
    const h = sketchOf(range(0, 5_000));
    const before = h.clone();
    for (const v of range(0, 5_000)) expect(h.add(v)).toBe(false);
    expect(h.equals(before)).toBe(true);
    expect(h.estimate()).toBe(before.estimate());
  });
});

describe("HyperLogLog registers", () => {
  const cases: Array<[string, number, number, number, number]> = [
    // name, hi, lo, register, rank (p = 14)
    ["first bit after the index set", 0x00020000, 0, 0, 1],
    ["index from the top bits", 0xffffffff, 0, 16383, 1],
    ["all 64-p bits zero", 0, 0, 0, 51],
    ["rank continues into the low half", 0, 0x80000000, 0, 19],
    ["lowest bit of hi", 0x00000001, 0, 0, 18],
  ];
  it.each(cases)("%s", (_name, hi, lo, register, rank) => {
    const h = new HyperLogLog();
    h.addHash(hi, lo);
    const buf = h.serialize();
    const view = Buffer.from(buf);
    expect(view[2]).toBe(1);
    expect(view.readUInt32LE(7)).toBe(1);
    expect(view.readUInt32LE(11)).toBe(((register << 8) | rank) >>> 0);
  });

  it.each([3, 19, 14.5, Number.NaN])("rejects precision %s", (p) => {
    expect(() => new HyperLogLog({ precision: p })).toThrow(PrivacyInputError);
  });

  it.each([-1, 2 ** 32, 1.5])("rejects scope %s", (scope) => {
    expect(() => new HyperLogLog({ scope })).toThrow(/scope/);
  });
});

describe("HyperLogLog merge", () => {
  it("of disjoint sets equals the sketch of the union", () => {
    const a = sketchOf(range(0, 50_000));
    const b = sketchOf(range(50_000, 100_000));
    const union = sketchOf(range(0, 100_000));
    const merged = a.clone().merge(b);
    expect(merged.equals(union)).toBe(true);
    expect(Math.abs(merged.estimate() - 100_000)).toBeLessThanOrEqual(3 * merged.standardError * 100_000);
  });

  it("of overlapping sets counts the overlap once", () => {
    const merged = sketchOf(range(0, 30_000)).merge(sketchOf(range(20_000, 50_000)));
    expect(Math.abs(merged.estimate() - 50_000)).toBeLessThanOrEqual(3 * merged.standardError * 50_000);
  });

  it("visits every register, the first and the last included", () => {
    const a = new HyperLogLog({ precision: 4 });
    const b = new HyperLogLog({ precision: 4 });
    b.addHash(0x00000000, 1);
    b.addHash(0xffffffff, 0);
    a.merge(b);
    expect(a.equals(b)).toBe(true);
  });

  it("is idempotent, commutative and associative", () => {
    const hashes = fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), {
      maxLength: 200,
    });
    const build = (hs: Array<[number, number]>) => {
      const h = new HyperLogLog({ precision: 8 });
      for (const [hi, lo] of hs) h.addHash(hi, lo);
      return h;
    };
    fc.assert(
      fc.property(hashes, hashes, hashes, (x, y, z) => {
        const [a, b, c] = [build(x), build(y), build(z)];
        expect(a.clone().merge(a).equals(a)).toBe(true);
        expect(a.clone().merge(b).equals(b.clone().merge(a))).toBe(true);
        const left = a.clone().merge(b).merge(c);
        const right = a.clone().merge(b.clone().merge(c));
        expect(left.equals(right)).toBe(true);
        expect(left.equals(build([...z, ...x, ...y]))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it.each([
    ["precision", new HyperLogLog({ precision: 12 }), /precision 12/],
    ["scope", new HyperLogLog({ scope: 7 }), /scope 7/],
  ])("refuses a different %s", (_what, other, message) => {
    expect(() => new HyperLogLog().merge(other)).toThrow(IncompatibleSketchError);
    expect(() => new HyperLogLog().merge(other)).toThrow(message);
  });
});

describe("HyperLogLog serialization", () => {
  it("round-trips any sketch, sparse or dense", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 12 }),
        fc.nat({ max: 0xffffffff }),
        fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), { maxLength: 3000 }),
        (precision, scope, hs) => {
          const h = new HyperLogLog({ precision, scope });
          for (const [hi, lo] of hs) h.addHash(hi, lo);
          const back = HyperLogLog.deserialize(h.serialize());
          expect(back.equals(h)).toBe(true);
          expect(back.estimate()).toBe(h.estimate());
        },
      ),
      { numRuns: 200 },
    );
  });

  it("chooses the smaller encoding", () => {
    expect(sketchOf(range(0, 10)).serialize().length).toBe(7 + 4 + 40);
    expect(sketchOf(range(0, 100_000)).serialize().length).toBe(7 + 16384);
  });

  const valid = sketchOf(range(0, 3)).serialize();
  const dense = sketchOf(range(0, 50_000), 4).serialize();
  const mutate = (b: Buffer, f: (c: Buffer) => void) => {
    const c = Buffer.from(b);
    f(c);
    return c;
  };
  const bad: Array<[string, Uint8Array, RegExp]> = [
    ["short header", valid.subarray(0, 5), /shorter than the 7-byte header/],
    ["unknown version", mutate(valid, (c) => (c[0] = 9)), /unknown format version 9/],
    ["precision out of range", mutate(valid, (c) => (c[1] = 30)), /precision 30 out of range/],
    ["unknown encoding", mutate(valid, (c) => (c[2] = 5)), /unknown encoding 5/],
    ["truncated sparse body", valid.subarray(0, valid.length - 1), /wrong length for 3 entries/],
    ["missing entry count", valid.subarray(0, 9), /lacks its entry count/],
    ["unordered entries", mutate(valid, (c) => c.copy(c, 11, 15, 19)), /not in ascending/],
    ["index out of range", mutate(valid, (c) => c.writeUInt32LE(0xffff01, 19)), /beyond 16383/],
    ["rank zero in sparse entry", mutate(valid, (c) => (c[19] = 0)), /outside 1..51/],
    ["dense body too short", dense.subarray(0, dense.length - 1), /dense body is 15 bytes, expected 16/],
    [
      "dense rank too large",
      mutate(dense, (c) => (c[10] = 62)),
      /register 3 holds 62, above the maximum rank 61/,
    ],
  ];
  it.each(bad)("rejects %s", (_name, buf, message) => {
    expect(() => HyperLogLog.deserialize(buf)).toThrow(PrivacyInputError);
    expect(() => HyperLogLog.deserialize(buf)).toThrow(message);
  });
});
