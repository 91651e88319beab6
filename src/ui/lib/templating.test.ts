import { describe, expect, test } from "vitest";
import { ALL, interpolate, parseLabelValuesQuery, variableText } from "./templating.js";

describe("parseLabelValuesQuery", () => {
  test.each([
    ["label_values(instance)", { selector: "", label: "instance" }],
    ["label_values(node_uname_info, instance)", { selector: "node_uname_info", label: "instance" }],
    [
      'label_values(node_uname_info{job="node", x=~"a,b"}, nodename)',
      { selector: 'node_uname_info{job="node", x=~"a,b"}', label: "nodename" },
    ],
    [
      " label_values( relay_channel_members , channel ) ",
      { selector: "relay_channel_members", label: "channel" },
    ],
    ["query_result(up)", undefined],
    ["label_values()", undefined],
  ])("%j", (q, want) => {
    expect(parseLabelValuesQuery(q)).toEqual(want);
  });
});

describe("interpolate", () => {
  const vars = {
    instance: ["host:9100"],
    channel: ["a", "b.c"],
    addr: ["127.0.0.1:9100"],
    odd: ['C:\\tmp "q"'],
    job: [ALL],
    none: [],
  };
  test.each([
    ['up{instance=~"$instance"}', 'up{instance=~"host:9100"}'],
    ['up{instance=~"$' + '{instance}"}', 'up{instance=~"host:9100"}'],
    ['up{instance=~"[[instance]]"}', 'up{instance=~"host:9100"}'],
    // the query text is a PromQL string: `b\\.c` there is the regex b\.c
    ['m{channel=~"$channel"}', 'm{channel=~"(a|b\\\\.c)"}'],
    ['up{instance=~"$addr"}', 'up{instance=~"127\\\\.0\\\\.0\\\\.1:9100"}'],
    ['x{path=~"$odd"}', 'x{path=~"C:\\\\\\\\tmp \\"q\\""}'],
    ['up{job=~"$job"}', 'up{job=~".*"}'],
    ['up{x=~"$none"}', 'up{x=~".*"}'],
    ['up{x="$unknown"}', 'up{x="$unknown"}'],
    ["rate(x[$__rate_interval])", "rate(x[60s])"],
    ["rate(x[$__interval])", "rate(x[30s])"],
    ["increase(x[$__range])", "increase(x[3600s])"],
  ])("%s", (expr, want) => {
    expect(interpolate(expr, vars, { intervalS: 30, rangeS: 3600 })).toBe(want);
  });

  test("the rate interval grows with the step", () => {
    expect(interpolate("$__rate_interval", {}, { intervalS: 300, rangeS: 86400 })).toBe("315s");
  });

  test("single-value variables named raw are inserted unescaped (a custom regex value)", () => {
    const v = { disk: ["[a-z]+|nvme[0-9]+"], job: ["a.b"] };
    expect(interpolate('x{device=~"$disk",job="$job"}', v, undefined, new Set(["disk", "job"]))).toBe(
      'x{device=~"[a-z]+|nvme[0-9]+",job="a.b"}',
    );
  });

  test("variableText escapes regex metacharacters for the inside of a PromQL string", () => {
    expect(variableText(["a+b"])).toBe("a\\\\+b");
  });
});
