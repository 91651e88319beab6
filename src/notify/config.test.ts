import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { notifyConfigSchema, notifyConfigWarnings } from "./config.js";
import { formatMatchers, parseMatchers } from "./matchers.js";

const fixture = (name: string) =>
  parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), "utf8")) as unknown;

function problems(input: unknown): string[] {
  const r = notifyConfigSchema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("notify config", () => {
  it("accepts an alertmanager.yml as it is, with Relay's keys", () => {
    const cfg = notifyConfigSchema.parse(fixture("alertmanager.good.yml"));
    expect(cfg.route?.routes[0]?.cooldown).toBe(600_000);
    expect(cfg.route?.group_wait).toBe(30_000);
    expect(cfg.receivers.find((r) => r.name === "team-DB-pager")?.alertmanager_configs[0]?.url).toBe(
      "http://user:am-pass@127.0.0.1:9093",
    );
    expect(cfg.flap_detection).toEqual({ transitions: 4, window: 3600_000, settle: 3600_000 });
    const bh = cfg.time_intervals.find((t) => t.name === "business-hours")!.time_intervals[0]!;
    expect(bh.times).toEqual([{ begin: 540, end: 1020 }]);
    expect(bh.weekdays).toEqual([{ begin: 1, end: 5 }]);
    expect(bh.days_of_month).toEqual([
      { begin: 1, end: 10 },
      { begin: -3, end: -1 },
    ]);
    expect(bh.months).toEqual([
      { begin: 1, end: 3 },
      { begin: 12, end: 12 },
    ]);
    expect(notifyConfigWarnings(cfg)).toEqual([
      "notify.templates: Go templates are not supported; receivers use Relay's formats",
      "notify.receivers[1].pagerduty_configs: integration not supported by Relay; ignored",
      "notify.receivers[3].slack_configs[0]: title/text templates are ignored; Relay formats Slack messages itself",
    ]);
  });

  it("applies Alertmanager's defaults to an empty section", () => {
    const cfg = notifyConfigSchema.parse({});
    expect(cfg.global.resolve_timeout).toBe(300_000);
    expect(cfg.global.smtp_require_tls).toBe(true);
    expect(cfg.route).toBeUndefined();
    expect(cfg.receivers).toEqual([]);
  });

  it("reports every mistake with its path", () => {
    expect(problems(fixture("mistakes.bad.yml")).sort()).toEqual(
      [
        "flap_detection.transitions: Too small: expected number to be >0",
        'inhibit_rules.0.target_matchers.0: bad matcher format: "=x"',
        "receivers.0.webhook_configs.0: one of url or url_file must be configured",
        'receivers.1.name: notification config name "mail" is not unique',
        'route.group_wait: expected a duration like 5m, got "soon"',
        "route.routes.0.group_by.1: cannot have wildcard group_by (`...`) and other labels at the same time",
        'route.routes.0.matchers.0: invalid regular expression "(crit" for label severity: /^(?:(crit)$/u: Unterminated group',
        'time_intervals.0.time_intervals.0.location: unknown time zone "Mars/Olympus"',
        "time_intervals.0.time_intervals.0.times.0.end_time: start time cannot be equal or greater than end time",
        'time_intervals.0.time_intervals.0.weekdays.0: invalid weekday "funday"',
      ].sort(),
    );
  });

  it.each([
    [
      "root without receiver",
      { route: {}, receivers: [] },
      "route.receiver: root route must specify a default receiver",
    ],
    [
      "root with matchers",
      { route: { receiver: "r", matchers: ['a="b"'] }, receivers: [{ name: "r" }] },
      "route: root route must not have any matchers",
    ],
    [
      "undefined receiver",
      { route: { receiver: "r", routes: [{ receiver: "x" }] }, receivers: [{ name: "r" }] },
      'route.routes.0.receiver: undefined receiver "x" used in route',
    ],
    [
      "undefined interval",
      { route: { receiver: "r", routes: [{ active_time_intervals: ["w"] }] }, receivers: [{ name: "r" }] },
      'route.routes.0.active_time_intervals.0: undefined time interval "w" used in route',
    ],
    ["receivers without route", { receivers: [{ name: "r" }] }, "route: no routes provided"],
    [
      "slack without url",
      { route: { receiver: "r" }, receivers: [{ name: "r", slack_configs: [{}] }] },
      "receivers.0.slack_configs.0: no global Slack API URL set either inline or in a file",
    ],
    [
      "email without smarthost",
      { route: { receiver: "r" }, receivers: [{ name: "r", email_configs: [{ to: "a@b" }] }] },
      "receivers.0.email_configs.0: no global SMTP smarthost set",
    ],
    [
      "zero repeat interval",
      { route: { receiver: "r", repeat_interval: "0" }, receivers: [{ name: "r" }] },
      "route.repeat_interval: repeat_interval cannot be zero",
    ],
    [
      "negative day range",
      { time_intervals: [{ name: "t", time_intervals: [{ days_of_month: ["-1:-3"] }] }] },
      'time_intervals.0.time_intervals.0.days_of_month.0: end day must not be less than start day in "-1:-3"',
    ],
    [
      "month 13",
      { time_intervals: [{ name: "t", time_intervals: [{ months: ["13"] }] }] },
      'time_intervals.0.time_intervals.0.months.0: months must be between 1 and 12 in "13"',
    ],
    [
      "typo in a key",
      { route: { receiver: "r", group_wiat: "1m" }, receivers: [{ name: "r" }] },
      'route: Unrecognized key: "group_wiat"',
    ],
  ])("rejects %s", (_name, input, expected) => {
    expect(problems(input)).toContain(expected);
  });
});

describe("matchers", () => {
  it.each([
    ['a="b"', '{a="b"}'],
    ["a=b", '{a="b"}'],
    ['{a="b", c=~"d|e"}', '{a="b",c=~"d|e"}'],
    ['a!="x,y",b!~"z"', '{a!="x,y",b!~"z"}'],
    ['a="quote \\" inside"', '{a="quote \\" inside"}'],
    ["  job = node  ", '{job="node"}'],
    ["", "{}"],
  ])("parses %j", (input, formatted) => {
    expect(formatMatchers(parseMatchers(input))).toBe(formatted);
  });

  it.each([['a="b'], ["=b"], ['a~"b"'], ["1a=b"], ['a=~"("']])("rejects %j", (input) => {
    expect(() => parseMatchers(input)).toThrow();
  });
});
