import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Alert, formatLabels, isStaleNaN, labelsFromRecord, Matcher } from "../model/index.js";
import { Engine } from "../promql/index.js";
import { Head } from "../tsdb/index.js";
import {
  type AlertingRule,
  alertHistoryAPIData,
  alertsAPIData,
  engineQueryFunc,
  MemoryAlertHistory,
  type QueryFunc,
  RuleLoadError,
  RuleManager,
  rulesAPIData,
  SqliteAlertHistory,
} from "./index.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rules-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeRules(name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, body);
  return f;
}

const MIN = 60_000;

/** Reads every sample of the series matching `sel` (name and equality labels) from the head. */
async function samples(head: Head, name: string): Promise<string[]> {
  const q = head.querier(0, Number.MAX_SAFE_INTEGER);
  const out: string[] = [];
  for (const s of await q.select([new Matcher("=", "__name__", name)])) {
    const it = s.iterator();
    while (it.next())
      out.push(`${formatLabels(s.labels)} @${it.t / 1000} ${isStaleNaN(it.v) ? "stale" : it.v}`);
  }
  return out;
}

describe("alert state machine (Prometheus's semantics)", () => {
  // Each step is one evaluation, one minute apart; a number is the expression's value, null = no result.
  const cases: Array<{
    name: string;
    rule: string;
    seq: (number | null)[];
    states: string[];
    sent: string[];
  }> = [
    {
      name: "pending then firing after `for`, resolved when gone",
      rule: "for: 2m",
      seq: [1, 1, 1, null, null],
      states: ["pending", "pending", "firing", "inactive", "inactive"],
      sent: ["2m firing", "3m resolved"],
    },
    {
      name: "a pending alert that goes away is dropped without a notification",
      rule: "for: 5m",
      seq: [1, null, 1],
      states: ["pending", "-", "pending"],
      sent: [],
    },
    {
      name: "for: 0 fires at once",
      rule: "for: 0s",
      seq: [1, null],
      states: ["firing", "inactive"],
      sent: ["0m firing", "1m resolved"],
    },
    {
      name: "keep_firing_for holds a firing alert after the condition clears",
      rule: "keep_firing_for: 2m",
      seq: [1, null, null, null],
      states: ["firing", "firing", "firing", "inactive"],
      sent: ["0m firing", "3m resolved"],
    },
    {
      name: "keep_firing_for restarts when the condition returns",
      rule: "keep_firing_for: 2m",
      seq: [1, null, 1, null, null, null],
      states: ["firing", "firing", "firing", "firing", "firing", "inactive"],
      sent: ["0m firing", "5m resolved"],
    },
  ];
  it.each(cases)("$name", async ({ rule, seq, states, sent }) => {
    const f = writeRules(
      "r.yml",
      `groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: m > 0\n        ${rule}\n`,
    );
    let step = 0;
    const queryFunc: QueryFunc = async () =>
      seq[step] === null ? [] : [{ labels: labelsFromRecord({ x: "1" }), v: seq[step]! }];
    const notified: string[] = [];
    const history = new MemoryAlertHistory();
    const head = new Head();
    const m = new RuleManager({
      queryFunc,
      appendable: head,
      queryable: head,
      history,
      resendDelayMs: 10 * MIN,
      notify: (alerts) => {
        for (const a of alerts) notified.push(`${step}m ${a.endsAt === step * MIN ? "resolved" : "firing"}`);
      },
    });
    await m.applyConfig({ ruleFiles: [f], evaluationIntervalMs: MIN });
    const g = m.groups()[0]!;
    const got: string[] = [];
    for (step = 0; step < seq.length; step++) {
      await g.eval(step * MIN);
      const ar = g.rules[0] as AlertingRule;
      const a = [...ar.active.values()][0];
      got.push(a ? a.state : "-");
    }
    expect(got).toEqual(states);
    expect(notified).toEqual(sent);
    const transitions = history
      .query()
      .reverse()
      .map((e) => `${e.t / MIN}m ${e.from}->${e.to}`);
    expect(transitions.length).toBeGreaterThan(0);
    await m.stop();
  });

  it("records every transition in the history with its value", async () => {
    const f = writeRules(
      "r.yml",
      "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: m > 0\n        for: 1m\n",
    );
    const vals = [5, 6, null];
    let i = 0;
    const history = new SqliteAlertHistory(new Database(":memory:"));
    const head = new Head();
    const m = new RuleManager({
      queryFunc: async () => (vals[i] === null ? [] : [{ labels: [], v: vals[i]! }]),
      appendable: head,
      queryable: head,
      notify: () => {},
      history,
    });
    await m.applyConfig({ ruleFiles: [f], evaluationIntervalMs: MIN });
    for (i = 0; i < vals.length; i++) await m.groups()[0]!.eval(i * MIN);
    expect(history.query().map((e) => [e.t, e.alertname, e.from, e.to, e.value, e.labels])).toEqual([
      [2 * MIN, "A", "firing", "resolved", 6, { alertname: "A" }],
      [MIN, "A", "pending", "firing", 6, { alertname: "A" }],
      [0, "A", "inactive", "pending", 5, { alertname: "A" }],
    ]);
    expect(history.query({ state: "firing" })).toHaveLength(1);
    expect(history.query({ from: MIN, to: MIN })).toHaveLength(1);
    expect(history.query({ alertname: "B" })).toHaveLength(0);
    expect(alertHistoryAPIData(m, { limit: 1 }).entries).toEqual([
      expect.objectContaining({
        alertname: "A",
        state: "resolved",
        value: "6e+00",
        time: "1970-01-01T00:02:00Z",
      }),
    ]);
    await m.stop();
  });
});

describe("rule outputs in storage", () => {
  it("appends recording rule results, ALERTS and ALERTS_FOR_STATE, and marks vanished series stale", async () => {
    const head = new Head();
    const app = head.appender();
    for (let t = 0; t <= 3 * MIN; t += MIN) {
      app.append(0, labelsFromRecord({ __name__: "up", job: "a", instance: "x" }), t, t < 2 * MIN ? 0 : 1);
    }
    await app.commit();
    const f = writeRules(
      "r.yml",
      `groups:
  - name: g
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels: {tier: one}
      - alert: Down
        expr: up == 0
        for: 1m
        labels: {severity: critical}
        annotations: {summary: "{{ $labels.instance }} is down"}
`,
    );
    const m = new RuleManager({
      queryFunc: engineQueryFunc(new Engine(), head),
      appendable: head,
      queryable: head,
      notify: () => {},
    });
    await m.applyConfig({ ruleFiles: [f], evaluationIntervalMs: MIN });
    const g = m.groups()[0]!;
    for (const ar of g.alertingRules()) ar.restored = true;
    for (let t = 0; t <= 3 * MIN; t += MIN) await g.eval(t);
    expect(await samples(head, "job:up:sum")).toEqual([
      'job:up:sum{job="a", tier="one"} @0 0',
      'job:up:sum{job="a", tier="one"} @60 0',
      'job:up:sum{job="a", tier="one"} @120 1',
      'job:up:sum{job="a", tier="one"} @180 1',
    ]);
    expect(await samples(head, "ALERTS")).toEqual([
      'ALERTS{alertname="Down", alertstate="firing", instance="x", job="a", severity="critical"} @60 1',
      'ALERTS{alertname="Down", alertstate="firing", instance="x", job="a", severity="critical"} @120 stale',
      'ALERTS{alertname="Down", alertstate="pending", instance="x", job="a", severity="critical"} @0 1',
      'ALERTS{alertname="Down", alertstate="pending", instance="x", job="a", severity="critical"} @60 stale',
    ]);
    expect(await samples(head, "ALERTS_FOR_STATE")).toEqual([
      'ALERTS_FOR_STATE{alertname="Down", instance="x", job="a", severity="critical"} @0 0',
      'ALERTS_FOR_STATE{alertname="Down", instance="x", job="a", severity="critical"} @60 0',
      'ALERTS_FOR_STATE{alertname="Down", instance="x", job="a", severity="critical"} @120 stale',
    ]);
    await m.stop();
  });
});

describe("restoring `for` state after a restart", () => {
  const cases = [
    // The restore runs one minute after the restart; wantActiveAt is in minutes from the crash.
    {
      name: "a pending alert resumes, shifted by the downtime",
      forMin: 30,
      pendingMin: 10,
      downMin: 5,
      wantActiveAt: -10 + 5 + 1,
    },
    {
      name: "a nearly due alert gets the grace period",
      forMin: 15,
      pendingMin: 10,
      downMin: 1,
      wantActiveAt: 1 + 1 + 10 - 15,
    },
    {
      name: "a firing alert keeps its activeAt and fires at once",
      forMin: 15,
      pendingMin: 20,
      downMin: 2,
      wantActiveAt: -20,
    },
  ];
  it.each(cases)("$name", async ({ forMin, pendingMin, downMin, wantActiveAt }) => {
    const head = new Head();
    const f = writeRules(
      "r.yml",
      `groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        for: ${forMin}m\n`,
    );
    const base = 100 * MIN;
    const crash = base + pendingMin * MIN;
    // Before the crash: a manager that has been evaluating since `base`.
    const before = new RuleManager({
      queryFunc: engineQueryFunc(new Engine(), head),
      appendable: head,
      queryable: head,
      notify: () => {},
    });
    await before.applyConfig({ ruleFiles: [f], evaluationIntervalMs: MIN });
    for (const ar of before.alertingRules()) ar.restored = true;
    for (let t = base; t <= crash; t += MIN) await before.groups()[0]!.eval(t);
    await before.stop();
    // After the restart: two evaluations, then the restore.
    const sent: Alert[] = [];
    const restart = crash + downMin * MIN;
    const after = new RuleManager({
      queryFunc: engineQueryFunc(new Engine(), head),
      appendable: head,
      queryable: head,
      notify: (a) => sent.push(...a),
    });
    await after.applyConfig({ ruleFiles: [f], evaluationIntervalMs: MIN });
    const g = after.groups()[0]!;
    expect(g.shouldRestore).toBe(true);
    await g.eval(restart);
    await g.eval(restart + MIN);
    await g.restoreForState(restart + MIN);
    const a = [...after.alertingRules()[0]!.active.values()][0]!;
    expect((a.activeAt - crash) / MIN).toBe(wantActiveAt);
    await g.eval(restart + 2 * MIN);
    const firing = a.state === "firing";
    expect(firing).toBe(restart + 2 * MIN - a.activeAt >= forMin * MIN);
    await after.stop();
  });
});

describe("RuleManager.applyConfig", () => {
  it("rejects a bad file with every problem and keeps the old groups", async () => {
    const good = writeRules(
      "good.yml",
      "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n",
    );
    const head = new Head();
    const m = new RuleManager({
      queryFunc: engineQueryFunc(new Engine(), head),
      appendable: head,
      queryable: head,
      notify: () => {},
    });
    await m.applyConfig({ ruleFiles: [join(dir, "*.yml")], evaluationIntervalMs: MIN });
    expect(m.groups().map((g) => g.name)).toEqual(["g"]);
    writeRules("bad.yml", "groups:\n  - name: h\n    rules:\n      - record: 'a b'\n        expr: sum(\n");
    const err = await m
      .applyConfig({ ruleFiles: [join(dir, "*.yml")], evaluationIntervalMs: MIN })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuleLoadError);
    expect((err as RuleLoadError).problems.map((p) => [p.group, p.rule, p.message.split(":")[0]])).toEqual([
      ["h", 1, "could not parse expression"],
      ["h", 1, "invalid recording rule name"],
    ]);
    expect(m.groups().map((g) => `${g.file}:${g.name}`)).toEqual([`${good}:g`]);
    await m.stop();
  });

  it("keeps unchanged groups, and sends the firing alerts of a removed rule as resolved", async () => {
    const f = writeRules(
      "r.yml",
      "groups:\n  - name: g\n    rules:\n      - alert: Always\n        expr: vector(1)\n  - name: h\n    rules:\n      - record: r\n        expr: vector(2)\n",
    );
    const head = new Head();
    const sent: Alert[] = [];
    let now = 10 * MIN;
    const m = new RuleManager({
      queryFunc: engineQueryFunc(new Engine(), head),
      appendable: head,
      queryable: head,
      notify: (a) => sent.push(...a),
      now: () => now,
    });
    await m.applyConfig({ ruleFiles: [f], evaluationIntervalMs: MIN });
    const h = m.groups()[1]!;
    await m.groups()[0]!.eval(now);
    expect(sent.map((a) => [a.labels.alertname, a.startsAt, a.endsAt])).toEqual([
      ["Always", now, now + 4 * MIN],
    ]);
    writeFileSync(
      f,
      "groups:\n  - name: g\n    rules: []\n  - name: h\n    rules:\n      - record: r\n        expr: vector(2)\n",
    );
    now += MIN;
    await m.applyConfig({ ruleFiles: [f], evaluationIntervalMs: MIN });
    expect(m.groups()[1]).toBe(h);
    expect(sent.map((a) => [a.labels.alertname, a.endsAt])).toEqual([
      ["Always", 10 * MIN + 4 * MIN],
      ["Always", now],
    ]);
    await m.stop();
  });
});

describe("API shapes", () => {
  it("renders /api/v1/rules and /api/v1/alerts like Prometheus", async () => {
    const f = writeRules(
      "r.yml",
      "groups:\n  - name: g\n    interval: 30s\n    rules:\n      - record: r\n        expr: vector(2)\n      - alert: A\n        expr: vector(1) > 0\n        for: 1m\n        labels: {severity: info}\n        annotations: {summary: 'v={{ $value }}'}\n",
    );
    const head = new Head();
    const m = new RuleManager({
      queryFunc: engineQueryFunc(new Engine(), head),
      appendable: head,
      queryable: head,
      notify: () => {},
    });
    await m.applyConfig({ ruleFiles: [f], evaluationIntervalMs: MIN });
    await m.groups()[0]!.eval(1_700_000_000_000);
    const data = rulesAPIData(m);
    expect(data.groups[0]).toMatchObject({ name: "g", file: f, interval: 30, limit: 0 });
    expect(data.groups[0]!.rules[0]).toMatchObject({
      type: "recording",
      name: "r",
      query: "vector(2)",
      health: "ok",
    });
    expect(data.groups[0]!.rules[1]).toMatchObject({
      type: "alerting",
      name: "A",
      query: "vector(1) > 0",
      duration: 60,
      keepFiringFor: 0,
      state: "pending",
      labels: { severity: "info" },
      annotations: { summary: "v={{ $value }}" },
      health: "ok",
      alerts: [
        {
          labels: { alertname: "A", severity: "info" },
          annotations: { summary: "v=1" },
          state: "pending",
          activeAt: "2023-11-14T22:13:20Z",
          value: "1e+00",
        },
      ],
    });
    expect(rulesAPIData(m, { type: "record" }).groups[0]!.rules).toHaveLength(1);
    expect(rulesAPIData(m, { excludeAlerts: true }).groups[0]!.rules[1]).not.toHaveProperty("alerts");
    expect(() => rulesAPIData(m, { type: "bogus" })).toThrow('not supported value "bogus"');
    expect(alertsAPIData(m).alerts).toHaveLength(1);
    await m.stop();
  });
});

describe("the evaluation loop", () => {
  it("fires within for + 2 intervals and resolves after the rule is removed", async () => {
    const f = writeRules(
      "r.yml",
      "groups:\n  - name: g\n    rules:\n      - alert: Always\n        expr: vector(1)\n        for: 400ms\n",
    );
    const head = new Head();
    const events: { at: number; state: string }[] = [];
    const start = Date.now();
    const m = new RuleManager({
      queryFunc: engineQueryFunc(new Engine(), head),
      appendable: head,
      queryable: head,
      notify: (alerts) => {
        for (const a of alerts)
          events.push({ at: Date.now() - start, state: a.endsAt <= Date.now() ? "resolved" : "firing" });
      },
    });
    await m.applyConfig({ ruleFiles: [f], evaluationIntervalMs: 100 });
    m.start();
    while (events.length === 0 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 20));
    expect(events[0]?.state).toBe("firing");
    expect(events[0]!.at).toBeLessThanOrEqual(400 + 2 * 100 + 100);
    writeFileSync(f, "groups: []\n");
    await m.applyConfig({ ruleFiles: [f], evaluationIntervalMs: 100 });
    expect(events.at(-1)?.state).toBe("resolved");
    await m.stop();
  });
});
