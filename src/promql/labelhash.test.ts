import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { labelsFromRecord } from "../model/index.js";
import { encodeLabels, ratioPosition, xxhash64 } from "./labelhash.js";

describe("xxhash64", () => {
  // Reference values of XXH64 with seed 0 (xxHash's own test vectors).
  const cases: [string, bigint][] = [
    ["", 0xef46db3751d8e999n],
    ["a", 0xd24ec4f1a98c6e5bn],
    ["abc", 0x44bc2cf5ad770999n],
    ["Nobody inspects the spammish repetition", 0xfbcea83c8a378bf1n],
  ];
  it.each(cases)("%j", (s, want) => {
    expect(xxhash64(new TextEncoder().encode(s))).toBe(want);
  });

  it("stays within 64 bits and depends on every byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.nat(), (b, k) => {
        const h = xxhash64(b);
        expect(h >= 0n && h < 1n << 64n).toBe(true);
        const c = b.slice();
        c[k % c.length] = c[k % c.length]! ^ 1;
        expect(xxhash64(c)).not.toBe(h);
      }),
    );
  });
});

describe("encodeLabels", () => {
  it("prefixes names and values with their byte length (255 + 3 bytes from 255 on)", () => {
    expect([...encodeLabels(labelsFromRecord({ a: "é" }))]).toEqual([1, 97, 2, 0xc3, 0xa9]);
    const long = "x".repeat(300);
    expect([...encodeLabels(labelsFromRecord({ b: long })).subarray(0, 6)]).toEqual([1, 98, 255, 44, 1, 0]);
  });
});

describe("ratioPosition", () => {
  // The series limit.test loads; Prometheus's limit_ratio(0.5) keeps exactly those below 0.5.
  const cases: [string, string, boolean][] = [
    ["0", "production", true],
    ["1", "production", true],
    ["0", "canary", false],
    ["1", "canary", true],
    ["2", "canary", false],
    ["3", "canary", true],
  ];
  it.each(cases)("http_requests{instance=%j, group=%j} below 0.5: %s", (instance, group, below) => {
    const ls = labelsFromRecord({ __name__: "http_requests", job: "api-server", instance, group });
    const p = ratioPosition(ls);
    expect(p >= 0 && p <= 1).toBe(true);
    expect(p < 0.5).toBe(below);
  });
});
