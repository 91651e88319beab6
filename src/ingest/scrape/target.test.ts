import { describe, expect, it } from "vitest";
import { labelsToRecord } from "../../model/index.js";
import { compileJob, type ScrapeJob } from "./config.js";
import { populateLabels, publicLabels, scrapeUrl } from "./target.js";

function job(over: Partial<ScrapeJob> = {}): ScrapeJob {
  return {
    job_name: "node",
    scrape_interval: 15_000,
    scrape_timeout: 10_000,
    metrics_path: "/metrics",
    scheme: "http",
    params: {},
    honor_labels: false,
    honor_timestamps: true,
    static_configs: [],
    relabel_configs: [],
    metric_relabel_configs: [],
    sample_limit: 0,
    label_limit: 0,
    label_name_length_limit: 0,
    label_value_length_limit: 0,
    body_size_limit: 0,
    ...over,
  };
}

type Case = {
  name: string;
  job?: Partial<ScrapeJob>;
  address: string;
  group?: Record<string, string>;
  /** Public labels and URL of an active target, or the reason it is dropped. */
  want: { labels: Record<string, string>; url: string; interval?: number } | { dropped: string };
};

const cases: Case[] = [
  {
    name: "defaults: job and instance",
    address: "host:9100",
    want: { labels: { instance: "host:9100", job: "node" }, url: "http://host:9100/metrics" },
  },
  {
    name: "group labels are kept; a group job label wins over the job name",
    address: "h:1",
    group: { job: "custom", env: "prod" },
    want: { labels: { env: "prod", instance: "h:1", job: "custom" }, url: "http://h:1/metrics" },
  },
  {
    name: "params become __param_ labels and the query; relabelling can override them",
    job: {
      params: { module: ["a", "b"], target: ["x"] },
      relabel_configs: [{ source_labels: ["__address__"], target_label: "__param_target" }],
    },
    address: "h:1",
    want: {
      labels: { instance: "h:1", job: "node" },
      url: "http://h:1/metrics?module=a&module=b&target=h%3A1",
    },
  },
  {
    name: "relabelling sets scheme, path and address; instance keeps its relabelled value",
    job: {
      relabel_configs: [
        { target_label: "__scheme__", replacement: "https" },
        { target_label: "__metrics_path__", replacement: "/probe" },
        { source_labels: ["__address__"], target_label: "instance" },
        { target_label: "__address__", replacement: "exporter:9115" },
      ],
    },
    address: "site.example",
    want: { labels: { instance: "site.example", job: "node" }, url: "https://exporter:9115/probe" },
  },
  {
    name: "__meta_ labels are removed, other labels kept",
    address: "h:1",
    group: { __meta_x: "1", team: "a" },
    want: { labels: { instance: "h:1", job: "node", team: "a" }, url: "http://h:1/metrics" },
  },
  {
    name: "relabelled __scrape_interval__ sets the target's interval",
    job: { relabel_configs: [{ target_label: "__scrape_interval__", replacement: "30s" }] },
    address: "h:1",
    want: { labels: { instance: "h:1", job: "node" }, url: "http://h:1/metrics", interval: 30_000 },
  },
  {
    name: "dropped by keep",
    job: { relabel_configs: [{ source_labels: ["__address__"], regex: "other:.*", action: "keep" }] },
    address: "h:1",
    want: { dropped: "dropped by relabelling" },
  },
  {
    name: "no address after relabelling",
    job: { relabel_configs: [{ target_label: "__address__", replacement: "" }] },
    address: "h:1",
    want: { dropped: "no address" },
  },
  {
    name: "a path in the address",
    address: "h:1/metrics",
    want: { dropped: '"h:1/metrics" is not a valid hostname' },
  },
  {
    name: "a relabelled timeout over the interval",
    job: { relabel_configs: [{ target_label: "__scrape_timeout__", replacement: "1m" }] },
    address: "h:1",
    want: { dropped: "scrape timeout cannot be greater than scrape interval" },
  },
];

describe("populateLabels (Prometheus's PopulateLabels)", () => {
  it.each(cases)("$name", ({ job: over, address, group, want }) => {
    const cj = compileJob(job(over));
    const r = populateLabels(cj, address, group ?? {});
    if ("dropped" in want) {
      expect(r.kind).toBe("dropped");
      if (r.kind === "dropped") expect(r.reason).toBe(want.dropped);
      return;
    }
    expect(r.kind).toBe("active");
    if (r.kind !== "active") return;
    expect(labelsToRecord(publicLabels(r.labels))).toEqual(want.labels);
    expect(scrapeUrl(cj, r.labels)).toBe(want.url);
    expect(r.interval).toBe(want.interval ?? 15_000);
    expect(labelsToRecord(r.discovered)).toMatchObject({
      __address__: address,
      __scrape_interval__: "15s",
      __scrape_timeout__: "10s",
    });
  });
});
