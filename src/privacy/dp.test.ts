import { describe, expect, it } from "vitest";
import {
  CryptoUniform,
  discreteLaplace,
  discreteLaplaceParameter,
  discreteLaplaceVariance,
  FigurePublisher,
  MemoryPrivacyLedger,
  PrivacyBudget,
} from "./dp.js";
import { PrivacyInputError } from "./errors.js";

function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe("discrete Laplace noise", () => {
  it.each([
    [0.1, 1],
    [0.5, 1],
    [1, 1],
    [2, 1],
    [1, 3],
  ])("with ε=%s, Δ=%s has mean 0, variance 2q/(1−q)² and P(0) = (1−q)/(1+q)", (epsilon, sensitivity) => {
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    let zeros = 0;
    let fractional = 0;
    for (let i = 0; i < n; i++) {
      const x = discreteLaplace(epsilon, sensitivity);
      if (!Number.isInteger(x)) fractional++;
      sum += x;
      sq += x * x;
      if (x === 0) zeros++;
    }
    const variance = discreteLaplaceVariance(epsilon, sensitivity);
    const q = discreteLaplaceParameter(epsilon, sensitivity);
    const mean = sum / n;
    expect(fractional).toBe(0);
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(variance / n));
    expect(sq / n - mean * mean).toBeGreaterThan(variance * 0.95);
    expect(sq / n - mean * mean).toBeLessThan(variance * 1.05);
    const p0 = (1 - q) / (1 + q);
    expect(Math.abs(zeros / n - p0)).toBeLessThan(5 * Math.sqrt((p0 * (1 - p0)) / n));
  });

  it("is the difference of two geometric draws by inversion", () => {
    const q = Math.exp(-1);
    expect(discreteLaplace(1, 1, sequence(1, 1))).toBe(0);
    expect(discreteLaplace(1, 1, sequence(q ** 3, 1))).toBe(3);
    expect(discreteLaplace(1, 1, sequence(1, q ** 2 * 0.999))).toBe(-2);
  });

  it.each([
    [0, 1],
    [-1, 1],
    [Number.POSITIVE_INFINITY, 1],
    [1, 0],
    [1, 1.5],
  ])("rejects ε=%s, Δ=%s", (epsilon, sensitivity) => {
    expect(() => discreteLaplace(epsilon, sensitivity)).toThrow(PrivacyInputError);
  });

  it("draws uniforms in (0, 1] from the CSPRNG", () => {
    const u = new CryptoUniform();
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const x = u.next();
      if (x > 0 && x <= 1) sum += x;
      else sum = Number.NaN;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  });
});

describe("PrivacyBudget", () => {
  it("caps the ε spent per channel and day", () => {
    const b = new PrivacyBudget(1);
    for (let i = 0; i < 10; i++) expect(b.trySpend("cafe", "2025-03-14", 0.1)).toBe(true);
    expect(b.trySpend("cafe", "2025-03-14", 0.1)).toBe(false);
    expect(b.spent("cafe", "2025-03-14")).toBeCloseTo(1, 9);
    expect(b.remaining("cafe", "2025-03-14")).toBe(0);
    expect(b.trySpend("cafe", "2025-03-15", 0.5)).toBe(true);
    expect(b.trySpend("library", "2025-03-14", 1)).toBe(true);
    expect(b.trySpend("library", "2025-03-15", 1.5)).toBe(false);
    expect(b.spent("library", "2025-03-15")).toBe(0);
  });

  it("shares its state through the ledger (a restart keeps the spending)", () => {
    const ledger = new MemoryPrivacyLedger();
    expect(new PrivacyBudget(1, ledger).trySpend("c", "d", 0.8)).toBe(true);
    expect(new PrivacyBudget(1, ledger).trySpend("c", "d", 0.8)).toBe(false);
  });

  it.each([0, -1, Number.NaN])("rejects cap %s", (cap) => {
    expect(() => new PrivacyBudget(cap)).toThrow(PrivacyInputError);
  });
});

describe("FigurePublisher", () => {
  const req = { channel: "cafe", day: "2025-03-14", figure: "active_users", value: 40, groupSize: 40 };

  it("publishes exact figures without noise, suppressing groups under k", () => {
    const pub = new FigurePublisher();
    expect(pub.publish(req)).toEqual({ value: 40, status: "exact" });
    expect(pub.publish({ ...req, value: 4, groupSize: 4 })).toEqual({ value: null, status: "suppressed" });
    expect(new FigurePublisher({ k: 3 }).publish({ ...req, value: 4, groupSize: 4 }).status).toBe("exact");
  });

  it("adds noise while the budget lasts, then re-serves the last noisy value", () => {
    const pub = new FigurePublisher({
      noise: { epsilon: 0.5, budgetPerDay: 1 },
      uniform: sequence(Math.exp(-1), 1),
    });
    expect(pub.publish(req)).toEqual({ value: 42, status: "noised" });
    expect(pub.publish({ ...req, value: 50 })).toEqual({ value: 52, status: "noised" });
    expect(pub.budget!.remaining("cafe", "2025-03-14")).toBe(0);
    expect(pub.publish({ ...req, value: 60 })).toEqual({ value: 52, status: "stale" });
    expect(pub.publish({ ...req, figure: "messages", value: 900 })).toEqual({
      value: null,
      status: "exhausted",
    });
    expect(pub.lastPublished("cafe", "2025-03-14", "active_users")).toBe(52);
    expect(pub.lastPublished("cafe", "2025-03-14", "messages")).toBeNull();
    expect(pub.publish({ ...req, day: "2025-03-15" }).status).toBe("noised");
  });

  it("suppresses before spending any budget", () => {
    const pub = new FigurePublisher({ noise: { epsilon: 1 } });
    expect(pub.publish({ ...req, groupSize: 2 }).status).toBe("suppressed");
    expect(pub.budget!.spent("cafe", "2025-03-14")).toBe(0);
  });

  it("clamps noisy values at zero", () => {
    const pub = new FigurePublisher({ k: 1, noise: { epsilon: 1 }, uniform: sequence(1, 1e-12) });
    expect(pub.publish({ ...req, value: 2, groupSize: 2 })).toEqual({ value: 0, status: "noised" });
  });

  it.each([
    ["a negative value", { value: -1 }, /non-negative/],
    ["a fractional value with noise", { value: 2.5 }, /integer counts/],
    ["a bad sensitivity", { sensitivity: 0 }, /sensitivity/],
  ])("rejects %s", (_what, patch, message) => {
    const pub = new FigurePublisher({ noise: { epsilon: 1 } });
    expect(() => pub.publish({ ...req, ...patch })).toThrow(message);
  });
});
