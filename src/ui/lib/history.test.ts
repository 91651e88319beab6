import { expect, test } from "vitest";
import { addToHistory, parseHistory } from "./history.js";

test.each([
  [[], "up", ["up"]],
  [["a", "b"], "b", ["b", "a"]],
  [["a"], "  ", ["a"]],
  [["a"], " up ", ["up", "a"]],
])("addToHistory(%j, %j)", (h, e, want) => {
  expect(addToHistory(h, e)).toEqual(want);
});

test("history is bounded", () => {
  expect(addToHistory(["a", "b", "c"], "d", 3)).toEqual(["d", "a", "b"]);
});

test.each([
  [null, []],
  ["not json", []],
  ['{"a":1}', []],
  ['["up", 3, "rate(x[5m])"]', ["up", "rate(x[5m])"]],
])("parseHistory(%j)", (s, want) => {
  expect(parseHistory(s)).toEqual(want);
});
