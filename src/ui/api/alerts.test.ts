import { describe, expect, test } from "vitest";
import { type HeldAlert, silencedBy } from "./alerts.js";

const held = (labels: Record<string, string>, ids: string[]): HeldAlert => ({
  labels,
  status: { state: ids.length > 0 ? "suppressed" : "active", silencedBy: ids, inhibitedBy: [] },
});

describe("silencedBy: the silences muting a rule alert, from the held alerts", () => {
  const list = [
    held({ alertname: "A", instance: "x" }, ["s1"]),
    held({ alertname: "A", instance: "y" }, []),
    held({ alertname: "B", instance: "x", cluster: "eu" }, ["s2", "s3"]),
  ];
  test.each([
    ["the held alert with the same labels", { alertname: "A", instance: "x" }, ["s1"]],
    ["not silenced", { alertname: "A", instance: "y" }, []],
    ["a held alert with external labels besides", { alertname: "B", instance: "x" }, ["s2", "s3"]],
    [
      "alertstate is not a label of held alerts",
      { alertname: "A", instance: "x", alertstate: "firing" },
      ["s1"],
    ],
    ["no held alert", { alertname: "C" }, []],
  ])("%s", (_, labels, want) => {
    expect(silencedBy(labels, list)).toEqual(want);
  });
});
