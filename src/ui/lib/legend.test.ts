import { expect, test } from "vitest";
import { formatLegend, formatSeriesName } from "./legend.js";

const m = { __name__: "node_cpu_seconds_total", instance: "host:9100", mode: "idle" };

test.each([
  ["{{instance}} {{mode}}", "host:9100 idle"],
  ["{{ mode }}", "idle"],
  ["cpu {{missing}}", "cpu "],
  ["", 'node_cpu_seconds_total{instance="host:9100", mode="idle"}'],
  ["__auto", 'node_cpu_seconds_total{instance="host:9100", mode="idle"}'],
])("formatLegend(%j)", (tpl, want) => {
  expect(formatLegend(tpl, m)).toBe(want);
});

test.each([
  [{}, "{}"],
  [{ __name__: "up" }, "up"],
  [{ job: "a" }, '{job="a"}'],
])("formatSeriesName(%j)", (metric, want) => {
  expect(formatSeriesName(metric)).toBe(want);
});
