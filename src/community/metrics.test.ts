import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_HEALTH_CONFIG,
  gini,
  growthAccounting,
  type HealthInputs,
  healthComponents,
  healthRecommendations,
  healthScore,
  intersectionSize,
  nakamoto,
  scoreTrend,
  stickiness,
  tokenVelocity,
} from "./metrics.js";

describe("gini", () => {
  it.each([
    [[], undefined, null],
    [[0, 0], undefined, 0],
    [[5], undefined, 0],
    [[1, 1, 1, 1], undefined, 0],
    [[0, 0, 0, 1], undefined, 0.75],
    [[1, 2, 3, 4], undefined, 0.25],
    [[0, 1], [3, 1], 0.75],
    [[1, 4], [2, 2], 0.3],
  ])("gini(%j, %j) = %j", (values, counts, expected) => {
    const g = gini(values, counts);
    if (expected === null) expect(g).toBeNull();
    else expect(g).toBeCloseTo(expected, 12);
  });

  it("grouped counts equal the expanded list", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 5 })), {
          minLength: 1,
        }),
        (pairs) => {
          const expanded = pairs.flatMap(([v, c]) => Array<number>(c).fill(v));
          const grouped = gini(
            pairs.map((p) => p[0]),
            pairs.map((p) => p[1]),
          );
          expect(grouped).toBeCloseTo(gini(expanded)!, 9);
          const naive = (() => {
            const s = expanded.reduce((a, b) => a + b, 0);
            if (s === 0) return 0;
            let d = 0;
            for (const x of expanded) for (const y of expanded) d += Math.abs(x - y);
            return d / (2 * expanded.length * s);
          })();
          expect(grouped).toBeCloseTo(naive, 9);
        },
      ),
    );
  });

  it("refuses negative amounts", () => {
    expect(() => gini([1, -1])).toThrow("value 1 must be a non-negative number");
  });
});

describe("nakamoto", () => {
  it.each([
    [[], undefined, null],
    [[0, 0], undefined, null],
    [[51, 49], undefined, 1],
    [[50, 50], undefined, 2],
    [[50, 30, 20], undefined, 2],
    [[1], [10], 6],
    [[1], [11], 6],
    [[10, 1], [1, 20], 7],
  ])("nakamoto(%j, %j) = %j", (values, counts, expected) => {
    expect(nakamoto(values, counts)).toBe(expected);
  });
});

describe("activity ratios", () => {
  it.each([
    [10, 40, 0.25],
    [0, 40, 0],
    [3, 0, null],
  ])("stickiness(%j, %j) = %j", (dau, mau, expected) => {
    expect(stickiness(dau, mau)).toBe(expected);
  });

  it.each([
    [
      { active: 100, previous: 80, retained: 60, new: 30 },
      { new: 30, retained: 60, resurrected: 10, churned: 20, quickRatio: 2 },
    ],
    [
      { active: 10, previous: 0, retained: 0, new: 10 },
      { new: 10, retained: 0, resurrected: 0, churned: 0, quickRatio: null },
    ],
    [
      { active: 10, previous: 20, retained: 12, new: 5 },
      { new: 0, retained: 10, resurrected: 0, churned: 10, quickRatio: 0 },
    ],
  ])("growthAccounting(%j)", (input, expected) => {
    expect(growthAccounting(input)).toEqual(expected);
  });

  it.each([
    [10, 10, 15, 5],
    [10, 10, 25, 0],
    [10, 4, 9, 4],
  ])("intersectionSize(%j, %j, %j) = %j", (a, b, u, expected) => {
    expect(intersectionSize(a, b, u)).toBe(expected);
  });

  it.each([
    [1000, 500, 10, { value: 2, basis: "supply" }],
    [1000, undefined, 10, { value: 100, basis: "active_holders" }],
    [1000, undefined, 0, { value: null, basis: "active_holders" }],
  ])("tokenVelocity(%j, %j, %j)", (volume, supply, holders, expected) => {
    expect(tokenVelocity(volume, supply, holders)).toEqual(expected);
  });
});

describe("health composite", () => {
  const healthy: HealthInputs = {
    dau: 30,
    members: 100,
    upVotes: 90,
    downVotes: 10,
    newMembers: 10,
    membersLastWeek: 90,
    returning: 24,
    voters: 30,
    messages: 200,
    qualityMessages: 190,
  };

  it("normalises each component against its target and scores 100 when all meet it", () => {
    const c = healthComponents(healthy);
    expect(c.engagement.raw).toBeCloseTo(0.3);
    expect(c.positivity.raw).toBeCloseTo(0.9);
    expect(c.growth.raw).toBeCloseTo(10 / 90);
    expect(c.retention.raw).toBeCloseTo(0.8);
    expect(c.governance.raw).toBeCloseTo(0.3);
    expect(c.content.raw).toBeCloseTo(0.95);
    for (const v of Object.values(c)) expect(v.normalized).toBe(1);
    expect(healthScore(c)).toBe(100);
    expect(healthRecommendations(c)).toEqual([]);
  });

  it.each([
    ["engagement", { dau: 5 }, 0.25, 100 - 25 * 0.75],
    ["positivity", { upVotes: 40, downVotes: 60 }, 0.5, 100 - 15 * 0.5],
    ["retention", { returning: 9 }, 0.5, 100 - 20 * 0.5],
    ["governance", { voters: 0 }, 0, 100 - 15],
    ["content", { qualityMessages: 90 }, 0.5, 100 - 10 * 0.5],
  ] as const)(
    "a weak %s lowers the score and is named with an action",
    (component, patch, normalized, score) => {
      const c = healthComponents({ ...healthy, ...patch });
      expect(c[component].normalized).toBeCloseTo(normalized);
      expect(healthScore(c)).toBeCloseTo(score);
      const recs = healthRecommendations(c);
      expect(recs.map((r) => r.component)).toEqual([component]);
      expect(recs[0]!.action.length).toBeGreaterThan(20);
    },
  );

  it("drops components without a denominator and renormalises the weights", () => {
    const c = healthComponents({ ...healthy, upVotes: 0, downVotes: 0, dau: 5 });
    expect(c.positivity).toEqual({ raw: null, normalized: null, weight: 0.15 });
    expect(healthScore(c)).toBeCloseTo((100 * (0.85 - 0.25 * 0.75)) / 0.85);
  });

  it("uses configured weights and targets", () => {
    const config = { ...DEFAULT_HEALTH_CONFIG, engagement: { weight: 1, target: 0.6 } };
    const c = healthComponents(healthy, config);
    expect(c.engagement.normalized).toBeCloseTo(0.5);
    expect(healthScore(c)).toBeCloseTo((100 * (0.5 + 0.75)) / 1.75);
  });

  it("orders recommendations by weighted shortfall", () => {
    const c = healthComponents({ ...healthy, dau: 10, voters: 0 });
    expect(healthRecommendations(c).map((r) => r.component)).toEqual(["governance", "engagement"]);
  });

  it.each([
    [80, 60, { change: -20, relative: -0.25, direction: "down" }],
    [60, 60.5, { change: 0.5, relative: 0.5 / 60, direction: "flat" }],
    [50, 70, { change: 20, relative: 0.4, direction: "up" }],
    [null, 70, { change: null, relative: null, direction: "unknown" }],
  ])("scoreTrend(%j, %j)", (a, b, expected) => {
    expect(scoreTrend(a, b)).toEqual(expected);
  });
});
