import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { notifyConfigSchema, type TimeIntervalSpec } from "./config.js";
import { fingerprint } from "./fingerprint.js";
import { Route } from "./route.js";
import { intervalContains } from "./timeinterval.js";

// The tree and cases of Alertmanager's dispatch/route_test.go (TestRouteMatch).
const TREE = `
route:
  receiver: notify-def
  routes:
  - match: {owner: team-A}
    receiver: notify-A
    routes:
    - match: {env: testing}
      receiver: notify-testing
      group_by: ['...']
    - match: {env: production}
      receiver: notify-productionA
      group_wait: 1m
      continue: true
    - match_re: {env: "produ.*", job: ".*"}
      receiver: notify-productionB
      group_wait: 30s
      group_interval: 5m
      repeat_interval: 1h
      group_by: [job]
  - match_re: {owner: 'team-(B|C)'}
    group_by: [foo, bar]
    group_wait: 2m
    receiver: notify-BC
  - match: {group_by: role}
    group_by: [role]
    routes:
    - match: {env: testing}
      receiver: notify-testing
      routes:
      - match: {wait: long}
        group_wait: 2m
receivers: [{name: notify-def}, {name: notify-A}, {name: notify-testing}, {name: notify-productionA}, {name: notify-productionB}, {name: notify-BC}]
`;

const root = new Route(notifyConfigSchema.parse(parse(TREE)).route!);

describe("routing tree", () => {
  it.each([
    [{ owner: "team-A" }, [["notify-A", "", 30_000, '{}/{owner="team-A"}']]],
    [{ owner: "team-A", env: "unset" }, [["notify-A", "", 30_000, '{}/{owner="team-A"}']]],
    [{ owner: "team-C" }, [["notify-BC", "bar,foo", 120_000, '{}/{owner=~"team-(B|C)"}']]],
    [
      { owner: "team-A", env: "testing" },
      [["notify-testing", "...", 30_000, '{}/{owner="team-A"}/{env="testing"}']],
    ],
    [
      { owner: "team-A", env: "production" },
      [
        ["notify-productionA", "", 60_000, '{}/{owner="team-A"}/{env="production"}'],
        ["notify-productionB", "job", 30_000, '{}/{owner="team-A"}/{env=~"produ.*",job=~".*"}'],
      ],
    ],
    [{ owner: "team-X" }, [["notify-def", "", 30_000, "{}"]]],
    [{ group_by: "role" }, [["notify-def", "role", 30_000, '{}/{group_by="role"}']]],
    [
      { env: "testing", group_by: "role" },
      [["notify-testing", "role", 30_000, '{}/{group_by="role"}/{env="testing"}']],
    ],
    [
      { env: "testing", group_by: "role", wait: "long" },
      [["notify-testing", "role", 120_000, '{}/{group_by="role"}/{env="testing"}/{wait="long"}']],
    ],
  ])("routes %j", (labels, expected) => {
    const got = root
      .match(labels)
      .map((r) => [
        r.options.receiver,
        r.options.groupByAll ? "..." : r.options.groupBy.join(","),
        r.options.groupWait,
        r.key(),
      ]);
    expect(got).toEqual(expected);
  });

  it("inherits timing and cooldown, and forms Alertmanager's group keys", () => {
    const r = new Route(
      notifyConfigSchema.parse(
        parse(`
route:
  receiver: a
  group_by: [alertname]
  repeat_interval: 2h
  cooldown: 5m
  routes: [{matchers: ['team="x"'], group_interval: 1m}]
receivers: [{name: a}]
`),
      ).route!,
    );
    const [child] = r.match({ alertname: "Down", team: "x", instance: "h:1" });
    expect(child!.options).toMatchObject({
      receiver: "a",
      groupInterval: 60_000,
      repeatInterval: 7_200_000,
      cooldown: 300_000,
    });
    const gl = child!.groupLabels({ alertname: "Down", team: "x", instance: "h:1" });
    expect(child!.groupKey(gl)).toBe('{}/{team="x"}:{alertname="Down"}');
  });
});

const at = (iso: string) => Date.parse(iso);
const spec = (yaml: string): TimeIntervalSpec =>
  notifyConfigSchema.parse({ time_intervals: [{ name: "t", time_intervals: [parse(yaml)] }] })
    .time_intervals[0]!.time_intervals[0]!;

describe("time intervals", () => {
  it.each([
    ["times: [{start_time: '09:00', end_time: '17:00'}]", "2024-03-04T09:00:00Z", true],
    ["times: [{start_time: '09:00', end_time: '17:00'}]", "2024-03-04T17:00:00Z", false],
    ["times: [{start_time: '09:00', end_time: '17:00'}]", "2024-03-04T08:59:59Z", false],
    ["weekdays: ['monday:friday']", "2024-03-04T12:00:00Z", true],
    ["weekdays: ['monday:friday']", "2024-03-03T12:00:00Z", false],
    ["weekdays: [saturday, sunday]", "2024-03-03T12:00:00Z", true],
    ["days_of_month: ['-1']", "2024-02-29T12:00:00Z", true],
    ["days_of_month: ['-1']", "2024-02-28T12:00:00Z", false],
    ["days_of_month: ['1:5', '-3:-1']", "2024-04-29T00:00:00Z", true],
    ["days_of_month: ['1:5', '-3:-1']", "2024-04-15T00:00:00Z", false],
    ["months: ['december:december', 'january:february']", "2024-01-15T00:00:00Z", true],
    ["months: ['march']", "2024-04-15T00:00:00Z", false],
    ["years: ['2023:2024']", "2025-01-01T00:00:00Z", false],
    [
      "{times: [{start_time: '09:00', end_time: '17:00'}], location: Europe/Berlin}",
      "2024-01-15T08:30:00Z",
      true,
    ],
    [
      "{times: [{start_time: '09:00', end_time: '17:00'}], location: Europe/Berlin}",
      "2024-01-15T16:30:00Z",
      false,
    ],
    ["{weekdays: [monday], location: Australia/Sydney}", "2024-03-03T20:00:00Z", true],
    ["{}", "2024-03-03T20:00:00Z", true],
  ])("%s at %s → %s", (yaml, when, expected) => {
    expect(intervalContains(spec(yaml), at(when))).toBe(expected);
  });
});

describe("fingerprint", () => {
  it.each([
    // Values from Prometheus's model.LabelSet.Fingerprint (FNV-1a 64), as Alertmanager shows them.
    [{}, "cbf29ce484222325"],
    [
      { alertname: "RelayForwarded", severity: "warning" },
      reference({ alertname: "RelayForwarded", severity: "warning" }),
    ],
    [{ a: "ünïcödé", b: "x" }, reference({ a: "ünïcödé", b: "x" })],
  ])("of %j", (labels, expected) => {
    expect(fingerprint(labels)).toBe(expected);
  });
});

/** A straightforward BigInt FNV-1a 64 to check the 32-bit-halves implementation against. */
function reference(labels: Record<string, string>): string {
  let h = 0xcbf29ce484222325n;
  const add = (b: number) => {
    h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  };
  for (const k of Object.keys(labels).sort()) {
    for (const b of new TextEncoder().encode(k)) add(b);
    add(0xff);
    for (const b of new TextEncoder().encode(labels[k])) add(b);
    add(0xff);
  }
  return h.toString(16).padStart(16, "0");
}
