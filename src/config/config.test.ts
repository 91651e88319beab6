import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ConfigError, defaultConfig, parseConfig } from "./index.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "testdata", name), "utf8");

function problems(text: string): string[] {
  try {
    parseConfig(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error("expected the config to be rejected");
}

describe("defaults", () => {
  test("no file: 15 s scrapes, ./data, host and self collectors on", () => {
    const c = defaultConfig();
    expect(c.global.scrape_interval).toBe(15_000);
    expect(c.global.scrape_timeout).toBe(10_000);
    expect(c.storage.path).toBe("./data");
    expect(c.storage.retention.time).toBe(15 * 24 * 3600_000);
    expect(c.collectors.host).toMatchObject({ enabled: true, job_name: "node", scrape_interval: 15_000 });
    expect(c.collectors.self).toMatchObject({ enabled: true, job_name: "relay-monitor" });
    expect(Object.isFrozen(c.global)).toBe(true);
  });

  test("an empty file takes Prometheus's own defaults (1m interval, 10s timeout)", () => {
    const c = parseConfig("");
    expect(c.global).toMatchObject({
      scrape_interval: 60_000,
      scrape_timeout: 10_000,
      evaluation_interval: 60_000,
    });
  });
});

describe("good files", () => {
  test("a typical prometheus.yml loads; jobs inherit global defaults", () => {
    const c = parseConfig(fixture("prometheus.good.yml"));
    expect(c.global.external_labels).toEqual({ site: "lab" });
    const [prom, node] = c.scrape_configs;
    expect(prom).toMatchObject({
      job_name: "prometheus",
      scrape_interval: 15_000,
      scrape_timeout: 10_000,
      metrics_path: "/metrics",
      scheme: "http",
      honor_labels: false,
      honor_timestamps: true,
    });
    expect(node).toMatchObject({
      scrape_interval: 30_000,
      scrape_timeout: 20_000,
      params: { "collect[]": ["cpu", "meminfo"] },
      honor_labels: true,
      sample_limit: 10000,
      body_size_limit: 10 * 1024 * 1024,
    });
    expect(node!.static_configs[0]!.labels).toEqual({ env: "prod" });
    expect(node!.relabel_configs[0]).toEqual({
      source_labels: ["__address__"],
      separator: ";",
      regex: "([^:]+):.*",
      modulus: 0,
      target_label: "host",
      replacement: "$1",
      action: "replace",
    });
    expect(node!.relabel_configs[1]!.action).toBe("labeldrop");
    expect(c.collectors.host.enabled).toBe(false);
    expect(c.rule_files).toEqual(["rules/*.yml"]);
    expect(c.warnings).toEqual(['section "alerting" is accepted but not used by this version']);
  });

  test("Relay's own sections", () => {
    const c = parseConfig(fixture("relay.good.yml"));
    expect(c.storage).toMatchObject({
      path: "/var/lib/relay-monitor",
      retention: { time: 30 * 24 * 3600_000, size: 20 * 1024 ** 3 },
      out_of_order_time_window: 600_000,
      limits: { max_series: 2_000_000, max_series_per_metric: 0 },
    });
    expect(c.collectors.self.scrape_interval).toBe(5000);
  });

  test("a job's timeout defaults to the smaller of the global timeout and its interval", () => {
    const c = parseConfig("scrape_configs:\n  - job_name: fast\n    scrape_interval: 5s\n");
    expect(c.scrape_configs[0]!.scrape_timeout).toBe(5000);
  });
});

describe("bad files: every problem, with its path and the expected form", () => {
  test("three mistakes are all named, with lines", () => {
    try {
      parseConfig(fixture("three-mistakes.bad.yml"), "three.yml");
      expect.unreachable();
    } catch (err) {
      const e = err as ConfigError;
      expect(e.problems).toEqual([
        {
          path: "global.evaluation_intervl",
          line: 3,
          message: "unknown field (check its spelling and section)",
        },
        {
          path: "scrape_configs[1].scrape_interval",
          line: 9,
          message: "expected a duration like 15s, got 15",
        },
        expect.objectContaining({ path: "scrape_configs[2].relabel_configs[0].action", line: 13 }),
      ]);
      expect(e.message).toMatch(/^three\.yml: 3 problems:/);
    }
  });

  const f = (yaml: string, expected: string[]) => expect(problems(yaml)).toEqual(expected);
  test.each([
    [
      'global:\n  scrape_interval: "15"\n',
      ['global.scrape_interval: expected a duration like 15s, got "15"'],
    ],
    [
      "global:\n  scrape_timeout: 2m\n",
      ["global.scrape_timeout: global scrape timeout greater than scrape interval"],
    ],
    [
      "scrape_configs:\n  - job_name: x\n  - job_name: x\n",
      [
        'scrape_configs[1].job_name: found multiple scrape configs with job name "x" (first at scrape_configs[0])',
      ],
    ],
    [
      "scrape_configs:\n  - job_name: x\n    scrape_interval: 5s\n    scrape_timeout: 10s\n",
      ['scrape_configs[0].scrape_timeout: scrape timeout greater than scrape interval for job "x"'],
    ],
    [
      'scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: ["http://a:1/metrics"]\n',
      [
        'scrape_configs[0].static_configs[0].targets[0]: expected a target like host:port (no scheme or path), got "http://a:1/metrics"',
      ],
    ],
    [
      'scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - regex: "("\n        action: keep\n        source_labels: [a]\n',
      [expect.stringMatching(/^scrape_configs\[0\]\.relabel_configs\[0\]: .*\(/)],
    ],
    [
      'scrape_configs:\n  - job_name: x\n    static_configs:\n      - labels: {"bad-name": v}\n',
      ['scrape_configs[0].static_configs[0].labels.bad-name: invalid label name "bad-name"'],
    ],
    [
      "scrape_configs:\n  - job_name: x\n    sample_limit: -1\n",
      ["scrape_configs[0].sample_limit: expected a whole number >= 0 (0 = no limit), got -1"],
    ],
    [
      "scrape_configs:\n  - job_name: x\n    scheme: ftp\n",
      ['scrape_configs[0].scheme: expected http or https, got "ftp"'],
    ],
    [
      "storage:\n  retention:\n    size: lots\n",
      ['storage.retention.size: expected a size like 512MB or 0, got "lots"'],
    ],
    [
      "scrape_configs:\n  - job_name: node\n",
      [
        'collectors.host.job_name: job name "node" is also used by scrape_configs[0]; rename one or disable collectors.host',
      ],
    ],
    [
      "scrape_configs:\n  - job_name: x\n    relabel_configs:\n      - action: hashmod\n        source_labels: [a]\n",
      [expect.stringMatching(/^scrape_configs\[0\]\.relabel_configs\[0\]: .*modulus/)],
    ],
    ["scrape_configs: 3\n", ["scrape_configs: expected array, got 3"]],
    ["- a\n- b\n", [": expected a mapping at the top level"]],
  ] as [string, string[]][])("%j", (yaml, expected) => f(yaml, expected));

  test("invalid YAML names its line", () => {
    try {
      parseConfig("global:\n  scrape_interval: [15s\n");
      expect.unreachable();
    } catch (err) {
      const p = (err as ConfigError).problems[0]!;
      expect(p.message).toMatch(/^invalid YAML/);
      expect(p.line).toBeGreaterThanOrEqual(2);
    }
  });
});
