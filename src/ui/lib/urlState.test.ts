import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  DEFAULT_EXPLORER,
  decodeDashboardView,
  decodeExplorer,
  type ExplorerState,
  encodeDashboardView,
  encodeExplorer,
} from "./urlState.js";

describe("Explorer URL state", () => {
  test("a Prometheus link opens as the same query", () => {
    expect(decodeExplorer("?g0.expr=rate(up%5B5m%5D)&g0.tab=1&g0.range_input=6h&g0.step_input=30")).toEqual({
      expr: "rate(up[5m])",
      tab: "table",
      range: "6h",
      end: "",
      step: "30",
    });
  });

  test("an empty URL gives the defaults", () => {
    expect(decodeExplorer("")).toEqual(DEFAULT_EXPLORER);
  });

  test("encode then decode gives the state back", () => {
    const state = fc.record<ExplorerState>({
      expr: fc.string(),
      tab: fc.constantFrom("graph", "table"),
      range: fc.constantFrom("5m", "1h", "1d"),
      end: fc.constantFrom("", "now-1h", "1704196800"),
      step: fc.constantFrom("", "15", "60"),
    });
    fc.assert(
      fc.property(state, (s) => {
        expect(decodeExplorer(encodeExplorer(s))).toEqual(s);
      }),
    );
  });
});

describe("dashboard URL state", () => {
  test("reads Grafana's parameters and repeated var- values", () => {
    expect(
      decodeDashboardView("from=now-6h&to=now&refresh=30s&var-instance=a&var-instance=b&var-job=x"),
    ).toEqual({
      from: "now-6h",
      to: "now",
      refresh: "30s",
      vars: { instance: ["a", "b"], job: ["x"] },
    });
  });

  test("round trips", () => {
    const s = { from: "now-1h", to: "now", refresh: "5s", vars: { channel: ["general", "a b&c"] } };
    expect(decodeDashboardView(encodeDashboardView(s))).toEqual(s);
  });
});
