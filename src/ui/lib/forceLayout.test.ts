import { expect, test } from "vitest";
import { forceLayout } from "./forceLayout.js";

const dist = (a: { x: number; y: number }, b: { x: number; y: number }) => Math.hypot(a.x - b.x, a.y - b.y);

test("connected nodes end closer together than unconnected ones, inside the box", () => {
  const ids = ["a", "b", "c", "d", "e", "f"];
  const edges = [
    ["a", "b"],
    ["b", "c"],
    ["a", "c"],
    ["d", "e"],
    ["e", "f"],
    ["d", "f"],
  ] as const;
  const out = forceLayout(ids, edges, 400, 300);
  const at = Object.fromEntries(out.map((n) => [n.id, n]));
  for (const n of out) {
    expect(n.x).toBeGreaterThanOrEqual(10);
    expect(n.x).toBeLessThanOrEqual(390);
    expect(n.y).toBeGreaterThanOrEqual(10);
    expect(n.y).toBeLessThanOrEqual(290);
  }
  expect(dist(at.a!, at.b!)).toBeLessThan(dist(at.a!, at.d!));
  expect(dist(at.e!, at.f!)).toBeLessThan(dist(at.c!, at.f!));
});

test("is deterministic and ignores edges to unknown nodes", () => {
  const a = forceLayout(["x", "y"], [["x", "zz"]], 100, 100);
  expect(forceLayout(["x", "y"], [["x", "zz"]], 100, 100)).toEqual(a);
  expect(forceLayout([], [], 100, 100)).toEqual([]);
});
