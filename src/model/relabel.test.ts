// biome-ignore-all lint/suspicious/noTemplateCurlyInString: relabel templates contain ${n} literally.
import { describe, expect, it } from "vitest";
import { labelsFromRecord, labelsToRecord } from "./labels.js";
import {
  compileAnchoredRegex,
  compileRelabel,
  compileRelabels,
  expandTemplate,
  isValidRelabelTarget,
  type RelabelConfig,
  relabel,
} from "./relabel.js";

type Case = {
  name: string;
  input: Record<string, string>;
  rules: RelabelConfig[];
  /** null means the set is dropped. */
  output: Record<string, string> | null;
};

// The cases of Prometheus's model/relabel/relabel_test.go TestRelabel, plus a few of our own.
const cases: Case[] = [
  {
    name: "replace with ${1} twice",
    input: { a: "foo", b: "bar", c: "baz" },
    rules: [{ source_labels: ["a"], regex: "f(.*)", target_label: "d", replacement: "ch${1}-ch${1}" }],
    output: { a: "foo", b: "bar", c: "baz", d: "choo-choo" },
  },
  {
    name: "two source labels, chained replaces",
    input: { a: "foo", b: "bar", c: "baz" },
    rules: [
      { source_labels: ["a", "b"], regex: "f(.*);(.*)r", target_label: "a", replacement: "b${1}${2}m" },
      { source_labels: ["c", "a"], regex: "(b).*b(.*)ba(.*)", target_label: "d", replacement: "$1$2$2$3" },
    ],
    output: { a: "boobam", b: "bar", c: "baz", d: "boooom" },
  },
  {
    name: "drop stops processing",
    input: { a: "foo" },
    rules: [
      { source_labels: ["a"], regex: ".*o.*", action: "drop" },
      { source_labels: ["a"], regex: "f(.*)", target_label: "d", replacement: "ch$1-ch$1" },
    ],
    output: null,
  },
  {
    name: "drop on match",
    input: { a: "foo", b: "bar" },
    rules: [{ source_labels: ["a"], regex: ".*o.*", action: "drop" }],
    output: null,
  },
  {
    name: "replace with a group in the middle",
    input: { a: "abc" },
    rules: [{ source_labels: ["a"], regex: ".*(b).*", target_label: "d" }],
    output: { a: "abc", d: "b" },
  },
  {
    name: "drop without match keeps",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "no-match", action: "drop" }],
    output: { a: "foo" },
  },
  {
    name: "regex is anchored (f|o does not match foo)",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "f|o", action: "drop" }],
    output: { a: "foo" },
  },
  {
    name: "keep without match drops",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "no-match", action: "keep" }],
    output: null,
  },
  {
    name: "keep with match keeps",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "f.*", action: "keep" }],
    output: { a: "foo" },
  },
  {
    name: "no replacement without a match",
    input: { a: "boo" },
    rules: [{ source_labels: ["a"], regex: "f", target_label: "b", replacement: "bar" }],
    output: { a: "boo" },
  },
  {
    name: "hashmod",
    input: { a: "foo", b: "bar", c: "baz" },
    rules: [{ source_labels: ["c"], target_label: "d", action: "hashmod", modulus: 1000 }],
    output: { a: "foo", b: "bar", c: "baz", d: "976" },
  },
  {
    name: "hashmod over a newline",
    input: { a: "foo\nbar" },
    rules: [{ source_labels: ["a"], target_label: "b", action: "hashmod", modulus: 1000 }],
    output: { a: "foo\nbar", b: "734" },
  },
  {
    name: "labelmap",
    input: { a: "foo", b1: "bar", b2: "baz" },
    rules: [{ regex: "(b.*)", replacement: "bar_${1}", action: "labelmap" }],
    output: { a: "foo", b1: "bar", b2: "baz", bar_b1: "bar", bar_b2: "baz" },
  },
  {
    name: "labelmap of __meta labels",
    input: { a: "foo", __meta_my_bar: "aaa", __meta_my_baz: "bbb", __meta_other: "ccc" },
    rules: [{ regex: "__meta_(my.*)", replacement: "${1}", action: "labelmap" }],
    output: {
      a: "foo",
      __meta_my_bar: "aaa",
      __meta_my_baz: "bbb",
      __meta_other: "ccc",
      my_bar: "aaa",
      my_baz: "bbb",
    },
  },
  {
    name: "target label from a group",
    input: { a: "some-name-value" },
    rules: [
      { source_labels: ["a"], regex: "some-([^-]+)-([^,]+)", replacement: "${2}", target_label: "${1}" },
    ],
    output: { a: "some-name-value", name: "value" },
  },
  {
    name: "empty replacement deletes nothing that is absent",
    input: { a: "some-name-value" },
    rules: [
      { source_labels: ["a"], regex: "some-([^-]+)-([^,]+)", replacement: "${3}", target_label: "${1}" },
    ],
    output: { a: "some-name-value" },
  },
  {
    name: "invalid expanded target labels are skipped",
    input: { a: "some-name-0" },
    rules: [
      { source_labels: ["a"], regex: "some-([^-]+)-([^,]+)", replacement: "${1}", target_label: "${3}" },
      { source_labels: ["a"], regex: "some-([^-]+)-([^,]+)", replacement: "${1}", target_label: "${3}" },
      { source_labels: ["a"], regex: "some-([^-]+)(-[^,]+)", replacement: "${1}", target_label: "${3}" },
    ],
    output: { a: "some-name-0" },
  },
  {
    name: "real-life service discovery tags",
    input: { __meta_sd_tags: "path:/secret,job:some-job,label:foo=bar" },
    rules: [
      {
        source_labels: ["__meta_sd_tags"],
        regex: "(?:.+,|^)path:(/[^,]+).*",
        replacement: "${1}",
        target_label: "__metrics_path__",
      },
      {
        source_labels: ["__meta_sd_tags"],
        regex: "(?:.+,|^)job:([^,]+).*",
        replacement: "${1}",
        target_label: "job",
      },
      {
        source_labels: ["__meta_sd_tags"],
        regex: "(?:.+,|^)label:([^=]+)=([^,]+).*",
        replacement: "${2}",
        target_label: "${1}",
      },
    ],
    output: {
      __meta_sd_tags: "path:/secret,job:some-job,label:foo=bar",
      __metrics_path__: "/secret",
      job: "some-job",
      foo: "bar",
    },
  },
  {
    name: "prometheus#12283: labeldrop then replace then keep",
    input: {
      __meta_kubernetes_pod_container_port_name: "foo",
      __meta_kubernetes_pod_annotation_XXX_metrics_port: "9091",
    },
    rules: [
      { regex: "^__meta_kubernetes_pod_container_port_name$", action: "labeldrop" },
      {
        source_labels: ["__meta_kubernetes_pod_annotation_XXX_metrics_port"],
        regex: "(.+)",
        replacement: "metrics",
        target_label: "__meta_kubernetes_pod_container_port_name",
      },
      { source_labels: ["__meta_kubernetes_pod_container_port_name"], regex: "^metrics$", action: "keep" },
    ],
    output: {
      __meta_kubernetes_pod_annotation_XXX_metrics_port: "9091",
      __meta_kubernetes_pod_container_port_name: "metrics",
    },
  },
  {
    name: "labelkeep",
    input: { a: "foo", b1: "bar", b2: "baz" },
    rules: [{ regex: "(b.*)", action: "labelkeep" }],
    output: { b1: "bar", b2: "baz" },
  },
  {
    name: "labeldrop",
    input: { a: "foo", b1: "bar", b2: "baz" },
    rules: [{ regex: "(b.*)", action: "labeldrop" }],
    output: { a: "foo" },
  },
  {
    name: "uppercase and lowercase",
    input: { foo: "bAr123Foo" },
    rules: [
      { source_labels: ["foo"], action: "uppercase", target_label: "foo_uppercase" },
      { source_labels: ["foo"], action: "lowercase", target_label: "foo_lowercase" },
    ],
    output: { foo: "bAr123Foo", foo_lowercase: "bar123foo", foo_uppercase: "BAR123FOO" },
  },
  {
    name: "keepequal keeps on equality",
    input: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
    rules: [{ source_labels: ["__tmp_port"], action: "keepequal", target_label: "__port1" }],
    output: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
  },
  {
    name: "dropequal drops on equality",
    input: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
    rules: [{ source_labels: ["__tmp_port"], action: "dropequal", target_label: "__port1" }],
    output: null,
  },
  {
    name: "dropequal keeps on difference",
    input: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
    rules: [{ source_labels: ["__tmp_port"], action: "dropequal", target_label: "__port2" }],
    output: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
  },
  {
    name: "keepequal drops on difference",
    input: { __tmp_port: "1234", __port1: "1234", __port2: "5678" },
    rules: [{ source_labels: ["__tmp_port"], action: "keepequal", target_label: "__port2" }],
    output: null,
  },
  // Our own cases.
  {
    name: "replace with an empty source value sets the replacement (fast path)",
    input: { a: "x" },
    rules: [{ target_label: "env", replacement: "prod" }],
    output: { a: "x", env: "prod" },
  },
  {
    name: "replace with an empty result deletes the target",
    input: { a: "x", b: "y" },
    rules: [{ source_labels: ["missing"], target_label: "b", regex: "(.*)", replacement: "$1" }],
    output: { a: "x" },
  },
  {
    name: "action names are case-insensitive",
    input: { a: "foo" },
    rules: [{ source_labels: ["a"], regex: "foo", action: "DROP" }],
    output: null,
  },
  {
    name: "dot matches a newline: Prometheus compiles ^(?s:re)$",
    input: { a: "foo\nbar" },
    rules: [{ source_labels: ["a"], regex: "foo.bar", action: "drop" }],
    output: null,
  },
  {
    name: "Go named groups (?P<name>) and $name",
    input: { a: "host:9100" },
    rules: [
      {
        source_labels: ["a"],
        regex: "(?P<host>[^:]+):(?P<port>.*)",
        target_label: "port",
        replacement: "$port",
      },
    ],
    output: { a: "host:9100", port: "9100" },
  },
  {
    name: "leading (?i) flag",
    input: { a: "FOO" },
    rules: [{ source_labels: ["a"], regex: "(?i)foo", action: "keep" }],
    output: { a: "FOO" },
  },
  {
    name: "separator joins source values",
    input: { a: "x", b: "y" },
    rules: [{ source_labels: ["a", "b"], separator: "/", target_label: "c" }],
    output: { a: "x", b: "y", c: "x/y" },
  },
];

describe("relabel", () => {
  it.each(cases)("$name", ({ input, rules, output }) => {
    const compiled = rules.map((r) => compileRelabel(r));
    const got = relabel(labelsFromRecord(input), compiled);
    if (output === null) expect(got).toBeNull();
    else {
      expect(got).not.toBeNull();
      expect(labelsToRecord(got!)).toEqual(output);
      expect(got!.map((l) => l.name)).toEqual(Object.keys(output).sort());
    }
  });

  it("returns the input unchanged when there are no rules", () => {
    const ls = labelsFromRecord({ a: "b" });
    expect(relabel(ls, [])).toBe(ls);
  });
});

describe("compileRelabel validation (Prometheus's messages)", () => {
  const bad: Array<[RelabelConfig, string]> = [
    [{ action: "" }, "relabel action cannot be empty"],
    [{ action: "frobnicate" }, 'unknown relabel action "frobnicate"'],
    [{ action: "replace" }, "requires 'target_label' value"],
    [{ action: "lowercase" }, "requires 'target_label' value"],
    [{ action: "lowercase", target_label: "${3}" }, `"\${3}" is invalid 'target_label'`],
    [
      { source_labels: ["a"], regex: "some-([^-]+)-([^,]+)", replacement: "${1}", target_label: "0${3}" },
      `"0\${3}" is invalid 'target_label'`,
    ],
    [
      { source_labels: ["a"], regex: "some-([^-]+)-([^,]+)", replacement: "${1}", target_label: "-${3}" },
      `"-\${3}" is invalid 'target_label' for replace action`,
    ],
    [{ action: "hashmod", target_label: "x" }, "hashmod requires non-zero modulus"],
    [
      { action: "hashmod", target_label: "1x", modulus: 2 },
      `"1x" is invalid 'target_label' for hashmod action`,
    ],
    [
      { action: "uppercase", target_label: "x", replacement: "y" },
      "'replacement' can not be set for uppercase action",
    ],
    [{ action: "labelmap", replacement: "-bad" }, `"-bad" is invalid 'replacement' for labelmap action`],
    [
      { action: "keepequal", target_label: "x", regex: "a" },
      "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    ],
    [
      { action: "labeldrop", regex: "a", target_label: "x" },
      "labeldrop action requires only 'regex', and no other fields",
    ],
    [
      { action: "labelkeep", source_labels: ["a"] },
      "labelkeep action requires only 'regex', and no other fields",
    ],
    [{ action: "keep", regex: "(" }, 'invalid regex "("'],
    [{ action: "keep", source_labels: ["a-b"] }, `"a-b" is not a valid label name`],
  ];
  it.each(bad)("rejects %j", (cfg, msg) => {
    expect(() => compileRelabel(cfg)).toThrow(msg);
  });

  it("accepts a template target label that may expand to something invalid", () => {
    expect(() =>
      compileRelabel({
        source_labels: ["a"],
        regex: "some-([^-]+)-([^,]+)",
        replacement: "${1}",
        target_label: "${3}",
      }),
    ).not.toThrow();
  });

  it("applies Prometheus's defaults", () => {
    const r = compileRelabel({ target_label: "x" });
    expect(r).toMatchObject({
      action: "replace",
      separator: ";",
      regexSource: "(.*)",
      replacement: "$1",
      modulus: 0,
    });
  });

  it("names the index of a bad rule in a list", () => {
    expect(() => compileRelabels([{ target_label: "x" }, { action: "nope" }])).toThrow(/relabel rule 1: /);
  });
});

describe("isValidRelabelTarget (Prometheus's TestTargetLabelValidity)", () => {
  const table: Array<[string, boolean]> = [
    ["-label", false],
    ["label", true],
    ["label${1}", true],
    ["${1}label", true],
    ["${1}", true],
    ["${", false],
    ["$", false],
    ["${}", false],
    ["foo${", false],
    ["$1", true],
    ["asd$2asd", true],
    ["-foo${1}bar-", false],
    ["_${1}_", true],
    ["foo${bar}foo", true],
    ["1abc", false],
    ["", false],
  ];
  it.each(table)("%j → %s", (s, valid) => {
    expect(isValidRelabelTarget(s)).toBe(valid);
  });

  it("runs in linear time on long near-miss input", () => {
    const s = `${"a".repeat(50_000)}-`;
    const t0 = performance.now();
    expect(isValidRelabelTarget(s)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});

describe("expandTemplate (Go regexp.Expand)", () => {
  const m = compileAnchoredRegex("(?P<first>a+)(b+)(c*)").exec("aabbb")!;
  const table: Array<[string, string]> = [
    ["$1", "aa"],
    ["${1}", "aa"],
    ["${2}x", "bbbx"],
    ["$2x", ""], // `$2x` names group "2x", which does not exist
    ["$first-$2", "aa-bbb"],
    ["${first}", "aa"],
    ["$3", ""], // unmatched-empty group
    ["$9", ""], // out of range
    ["$$1", "$1"],
    ["a$", "a$"], // malformed reference kept as text
    ["${1", "${1"],
    ["$01", ""], // leading zero: a name, not a number
    ["plain", "plain"],
  ];
  it.each(table)("%j → %j", (tmpl, want) => {
    expect(expandTemplate(tmpl, m)).toBe(want);
  });
});
