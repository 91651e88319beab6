import { expect, test } from "vitest";
import { interpretKey } from "./keys.js";

test.each([
  ["", "g", { kind: "prefix" }],
  ["g", "e", { kind: "go", page: "explore" }],
  ["g", "d", { kind: "go", page: "dashboards" }],
  ["g", "s", { kind: "go", page: "silences" }],
  ["g", "h", { kind: "go", page: "dashboard" }],
  ["g", "z", null],
  ["", "?", { kind: "help" }],
  ["", "t", { kind: "theme" }],
  ["", "e", null],
])("after %j, %j means %j", (prev, key, want) => {
  expect(interpretKey(prev, key)).toEqual(want);
});
