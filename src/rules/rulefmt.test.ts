import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { describeWithBinary } from "../testing/index.js";
import { checkRuleFiles, formatRuleProblem, parseRules } from "./index.js";

const testdata = (f: string) => fileURLToPath(new URL(`./testdata/${f}`, import.meta.url));

function problems(yaml: string): string[] {
  return parseRules(yaml, "f.yml").problems.map(formatRuleProblem);
}

function rule(body: string): string {
  return `groups:\n  - name: g\n    rules:\n${body}`;
}

describe("parseRules validates like promtool check rules", () => {
  const cases: Array<[string, string, string[]]> = [
    ["a valid alert", rule("      - alert: A\n        expr: up == 0\n        for: 5m\n"), []],
    ["empty file", "", []],
    [
      "unparseable expr",
      rule("      - record: a:b\n        expr: sum(up\n"),
      [
        'f.yml: 5:15: group "g", rule 1, "a:b": could not parse expression: 1:7: parse error: unclosed left parenthesis',
      ],
    ],
    [
      "missing expr",
      rule("      - alert: A\n"),
      ['f.yml: 0:0: group "g", rule 1, "A": field \'expr\' must be set in rule'],
    ],
    [
      "record and alert",
      rule("      - alert: A\n        record: b\n        expr: up\n"),
      ["f.yml: 5:17: 4:16: group \"g\", rule 1, \"A\": only one of 'record' and 'alert' must be set"],
    ],
    [
      "neither record nor alert",
      rule("      - expr: up\n"),
      ["f.yml: 0:0: 0:0: group \"g\", rule 1, \"\": one of 'record' or 'alert' must be set"],
    ],
    [
      "bad record name and for",
      rule("      - record: 'a-b'\n        expr: up\n        for: 1m\n"),
      [
        'f.yml: 4:17: group "g", rule 1, "a-b": invalid field \'for\' in recording rule',
        'f.yml: 4:17: group "g", rule 1, "a-b": invalid recording rule name: a-b',
      ],
    ],
    [
      "annotations on a recording rule",
      rule("      - record: a\n        expr: up\n        annotations: {x: y}\n"),
      ['f.yml: 4:17: group "g", rule 1, "a": invalid field \'annotations\' in recording rule'],
    ],
    [
      "bad label and annotation names",
      rule(
        "      - alert: A\n        expr: up\n        labels: {'a-b': x, __name__: y}\n        annotations: {'c d': z}\n",
      ),
      [
        'f.yml: group "g", rule 1, "A": invalid label name: a-b',
        'f.yml: group "g", rule 1, "A": invalid label name: __name__',
        'f.yml: group "g", rule 1, "A": invalid annotation name: c d',
      ],
    ],
    [
      "bad template",
      rule("      - alert: A\n        expr: up\n        annotations: {s: '{{ $labels.x '}\n"),
      ['f.yml: group "g", rule 1, "A": annotation "s": template: __alert_A:1: unclosed action'],
    ],
    [
      "repeated and empty group names",
      "groups:\n  - name: g\n    rules: []\n  - name: g\n    rules: []\n  - name: ''\n",
      ['f.yml: 4:5: groupname: "g" is repeated in the same file', "f.yml: 6:5: Groupname must not be empty"],
    ],
    [
      "unknown fields",
      rule("      - alert: A\n        expr: up\n        cooldown: 5m\n"),
      ["f.yml: yaml: unmarshal errors:\n  line 6: field cooldown not found in type rulefmt.RuleNode"],
    ],
    [
      "bad duration",
      rule("      - alert: A\n        expr: up\n        for: 5 minutes\n"),
      ['f.yml: not a valid duration string: "5 minutes"'],
    ],
  ];
  it.each(cases)("%s", (_name, yaml, want) => {
    expect(problems(yaml)).toEqual(want);
  });

  it("reads rule fields and durations", () => {
    const r = parseRules(
      rule(
        "      - alert: A\n        expr: up == 0\n        for: 1m30s\n        keep_firing_for: 5m\n        labels: {severity: critical, n: 1}\n        annotations: {summary: s}\n",
      ),
      "f.yml",
    );
    expect(r.spec?.groups[0]?.rules[0]).toMatchObject({
      alert: "A",
      expr: "up == 0",
      forMs: 90_000,
      keepFiringForMs: 300_000,
      labels: { severity: "critical", n: "1" },
      annotations: { summary: "s" },
    });
  });

  it("warns about Relay's conventions without rejecting the file", () => {
    const r = parseRules(
      rule(
        "      - alert: A\n        expr: up\n        labels: {severity: page, channels: 'slack, email'}\n        annotations: {cooldown: soon}\n",
      ),
      "f.yml",
    );
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'group "g", rule 1, "A": severity "page" is not one of info, warning, critical',
      'group "g", rule 1, "A": channels "slack, email" is not a comma-separated list of channel names',
      'group "g", rule 1, "A": cooldown "soon" is not a duration; the default 5m applies',
    ]);
  });
});

const run = promisify(execFile);

describeWithBinary("/usr/bin/promtool", "prometheus", "check rules agrees with promtool", (bin) => {
  it.each([["bad.rules.yml"], ["unknown-fields.rules.yml"], ["duplicate.rules.yml"], ["failing.rules.yml"]])(
    "%s",
    async (name) => {
      const file = testdata(name);
      let code = 0;
      let stderr = "";
      try {
        stderr = (await run(bin, ["check", "rules", file])).stderr;
      } catch (e) {
        code = (e as { code: number }).code;
        stderr = (e as { stderr: string }).stderr;
      }
      const ours = checkRuleFiles([file]);
      expect(ours.passed).toBe(code === 0);
      const lines = (s: string) =>
        s
          .split("\n")
          .filter(
            (l) =>
              l.trim() !== "" &&
              !l.startsWith("Checking") &&
              !l.includes("SUCCESS") &&
              !l.includes("WARNING"),
          )
          .sort();
      expect(lines(ours.output)).toEqual(lines(stderr));
    },
  );
});
