import { describe, expect, it } from "vitest";
import { PrivacyInputError } from "./errors.js";
import { isPublishable, suppressSmallGroups } from "./kanonymity.js";

describe("k-anonymity", () => {
  const cases: Array<[number, number, number | undefined, number | null]> = [
    // value, group size, k, published
    [42, 5, undefined, 42],
    [42, 4, undefined, null],
    [0, 0, undefined, null],
    [7, 4.6, undefined, 7],
    [7, 4.4, undefined, null],
    [3, 1, 1, 3],
    [100, 9, 10, null],
    [100, 10, 10, 100],
  ];
  it.each(cases)("value %s with %s distinct users (k=%s) publishes %s", (value, group, k, expected) => {
    expect(suppressSmallGroups(value, group, k)).toBe(expected);
    expect(isPublishable(group, k)).toBe(expected !== null);
  });

  it.each([
    [5, 0],
    [5, 2.5],
    [-1, 5],
    [Number.NaN, 5],
  ])("rejects group size %s with k=%s", (group, k) => {
    expect(() => suppressSmallGroups(1, group, k)).toThrow(PrivacyInputError);
  });
});
