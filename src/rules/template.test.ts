import { describe, expect, it } from "vitest";
import { formatGoFloat, goSprintf } from "./gofmt.js";
import { expandAlertTemplate, parseAlertTemplate, TemplateError } from "./template.js";

const data = {
  labels: { instance: "x:9100", job: "a" },
  externalLabels: { env: "prod" },
  externalURL: "http://relay:9797",
  value: 0.8567,
};

describe("alert templates render as Prometheus renders them", () => {
  // Expected strings come from Debian's promtool 2.42 (test rules) where marked, else from Go's fmt.
  const cases: Array<[string, string, number?]> = [
    ["{{ $labels.instance }} down", "x:9100 down"],
    ["{{ $labels.nope }}|", "|"],
    ["{{ $value }}", "0.8567"],
    ["{{ $value }}", "0", 0],
    ["{{ 1234567.0 }}", "1.234567e+06"],
    ["{{ 0.000012 }}", "1.2e-05"],
    ["{{ 100000.0 }}", "100000"],
    ["{{ 3 }}", "3"],
    ["{{ humanize 1234567 }}", "1.235M"],
    ["{{ humanize 0.0012 }}", "1.2m"],
    ["{{ humanize 0 }}", "0"],
    ["{{ $value | humanize }}", "856.7m"],
    ["{{ humanize1024 2048 }}", "2ki"],
    ["{{ humanize1024 1 }}", "1"],
    ["{{ humanizeDuration 3725.5 }}", "1h 2m 5s"],
    ["{{ humanizeDuration 90000 }}", "1d 1h 0m 0s"],
    ["{{ humanizeDuration 1.5 }}", "1.5s"],
    ["{{ humanizeDuration 0.0015 }}", "1.5ms"],
    ["{{ humanizeDuration 0 }}", "0s"],
    ["{{ humanizePercentage 0.12345 }}", "12.35%"],
    ["{{ $value | humanizePercentage }}", "85.67%"],
    ["{{ humanizeTimestamp 1.5 }}", "1970-01-01 00:00:01.5 +0000 UTC"],
    ["{{ humanizeTimestamp 1700000000 }}", "2023-11-14 22:13:20 +0000 UTC"],
    ['{{ printf "%.2f" $value }}', "0.86"],
    ['{{ printf "%d %s %v %5.1f|%g" 3 "x" 1.5 2.25 100000000.0 }}', "3 x 1.5   2.2|1e+08"],
    ['{{ printf "%d" 1.5 }}', "%!d(float64=1.5)"],
    ['{{ printf "%s %s" "a" }}', "a %!s(MISSING)"],
    ['{{ printf "%.1f%%" 12.25 }}', "12.2%"],
    ['{{ title "hello world" }}', "Hello World"],
    ['{{ toUpper "abc" }}{{ toLower "DEF" }}', "ABCdef"],
    ["{{ if gt $value 0.5 }}big{{ else }}small{{ end }}", "big"],
    ['{{ if eq $labels.job "b" }}B{{ else if eq $labels.job "a" }}A{{ else }}?{{ end }}', "A"],
    ['{{ reReplaceAll "(a+)" "<$1>" "baaad" }}', "b<aaa>d"],
    ['{{ reReplaceAll ":.*" "" $labels.instance }}', "x"],
    ["{{ $labels.instance | stripPort }}", "x"],
    ["{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}", "instance=x:9100,job=a,"],
    ["a  {{- /* comment */ -}}  b", "ab"],
    ["{{ with $labels.job }}J={{ . }}{{ end }}", "J=a"],
    ["{{ $externalLabels.env }} {{ $externalURL }}", "prod http://relay:9797"],
    ["{{ .Labels.job }} {{ .Value }}", "a 0.8567"],
    ["{{ $x := 2 }}{{ $x }}", "2"],
    ['{{ len $labels }} {{ index $labels "job" }}', "2 a"],
    ["{{ and 1 0 }} {{ or 0 2 }} {{ not false }}", "0 2 true"],
    ["no template", "no template"],
  ];
  it.each(cases)("%s", (text, want, value) => {
    expect(expandAlertTemplate("A", text, { ...data, value: value ?? data.value })).toBe(want);
  });
});

describe("template errors name the template and position", () => {
  const cases: Array<[string, string]> = [
    ["{{ $labels.instance ", "template: __alert_A:1: unclosed action"],
    ["{{ foo 1 }}", 'template: __alert_A:1: function "foo" not defined'],
    ["{{ if true }}x", "template: __alert_A:1: unexpected EOF"],
    ["x\n{{ end }}", "template: __alert_A:2: unexpected {{end}}"],
    ["{{ $nope }}", 'template: __alert_A:1: undefined variable "$nope"'],
    ['{{ query "up" }}', 'template: __alert_A:1: function "query" is not supported'],
  ];
  it.each(cases)("%j", (text, want) => {
    expect(() => parseAlertTemplate("A", text)).toThrow(TemplateError);
    expect(() => parseAlertTemplate("A", text)).toThrow(want);
  });

  it("renders execution errors as Prometheus does", () => {
    expect(expandAlertTemplate("A", '{{ humanize "abc" }}', data)).toMatch(
      /^<error expanding template: template: __alert_A:1: executing "__alert_A" at <humanize "abc">: error calling humanize: .*invalid syntax>$/,
    );
  });
});

describe("Go float formatting", () => {
  const cases: Array<[number, "e" | "E" | "f" | "g", number, string]> = [
    [1.5, "g", 4, "1.5"],
    [100, "g", 4, "100"],
    [1234567, "g", 4, "1.235e+06"],
    [0.0001234, "g", 4, "0.0001234"],
    [0.00001234, "g", 4, "1.234e-05"],
    [123456789, "g", -1, "1.23456789e+08"],
    [2.5, "f", 0, "2"],
    [3.5, "f", 0, "4"],
    [0.125, "f", 2, "0.12"],
    [1, "E", -1, "1E+00"],
    [1.5e300, "e", 2, "1.50e+300"],
    [-0.5, "g", -1, "-0.5"],
    [0, "g", 4, "0"],
    [Number.NaN, "g", -1, "NaN"],
    [Number.POSITIVE_INFINITY, "f", 2, "+Inf"],
  ];
  it.each(cases)("%d %s %d → %s", (v, f, p, want) => {
    expect(formatGoFloat(v, f, p)).toBe(want);
  });
  it("printf pads and signs", () => {
    expect(goSprintf("[%5s|%-5s|%05d|%+.1f|%x|%q]", ["ab", "ab", 42n, 1.25, 255n, 'a"b'])).toBe(
      '[   ab|ab   |00042|+1.2|ff|"a\\"b"]',
    );
  });
});
