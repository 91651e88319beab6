import { z } from "zod";
import { analysisConfigSchema } from "../analysis/index.js";
import { compileRelabel, InvalidRelabelConfigError, RELABEL_ACTIONS } from "../model/index.js";
import { notifyConfigSchema } from "../notify/index.js";
import { communityConfigSchema } from "./community.js";
import { byteSize, duration, labelName, labelSet, limit, shown } from "./types.js";

/** One relabelling step, with Prometheus's field names and defaults. */
export const relabelConfigSchema = z
  .strictObject({
    source_labels: z.array(labelName()).default([]),
    separator: z.string().default(";"),
    regex: z.string().default("(.*)"),
    modulus: z.number().int().nonnegative().default(0),
    target_label: z.string().default(""),
    replacement: z.string().default("$1"),
    action: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(
        z.enum(RELABEL_ACTIONS, {
          error: (iss) => `expected one of ${RELABEL_ACTIONS.join(", ")}, got ${shown(iss.input)}`,
        }),
      )
      .default("replace"),
  })
  .superRefine((cfg, ctx) => {
    try {
      compileRelabel(cfg);
    } catch (err) {
      if (!(err instanceof InvalidRelabelConfigError)) throw err;
      ctx.addIssue({ code: "custom", message: err.message });
    }
  });

const HOST_PORT_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/;

const staticConfigSchema = z.strictObject({
  targets: z
    .array(
      z.string().refine((s) => HOST_PORT_RE.test(s), {
        error: (iss) => `expected a target like host:port (no scheme or path), got ${shown(iss.input)}`,
      }),
    )
    .default([]),
  labels: labelSet().default({}),
});

/** A scrape job before global defaults are filled in. */
const scrapeConfigSchema = z.strictObject({
  job_name: z.string().min(1, { error: "expected a non-empty job name" }),
  scrape_interval: duration().optional(),
  scrape_timeout: duration().optional(),
  metrics_path: z
    .string()
    .refine((s) => s.startsWith("/"), {
      error: (iss) => `expected a path starting with /, got ${shown(iss.input)}`,
    })
    .default("/metrics"),
  scheme: z
    .enum(["http", "https"], { error: (iss) => `expected http or https, got ${shown(iss.input)}` })
    .default("http"),
  params: z.record(z.string(), z.array(z.string())).default({}),
  honor_labels: z.boolean().default(false),
  honor_timestamps: z.boolean().default(true),
  track_timestamps_staleness: z.boolean().default(false),
  static_configs: z.array(staticConfigSchema).default([]),
  relabel_configs: z.array(relabelConfigSchema).default([]),
  metric_relabel_configs: z.array(relabelConfigSchema).default([]),
  sample_limit: limit().default(0),
  label_limit: limit().default(0),
  label_name_length_limit: limit().default(0),
  label_value_length_limit: limit().default(0),
  target_limit: limit().default(0),
  body_size_limit: byteSize().default(0),
});

const globalSchema = z.strictObject({
  scrape_interval: duration().default(60_000),
  scrape_timeout: duration().default(10_000),
  evaluation_interval: duration().default(60_000),
  external_labels: labelSet().default({}),
  query_log_file: z.string().optional(),
});

const storageSchema = z.strictObject({
  path: z.string().min(1).default("./data"),
  retention: z
    .strictObject({
      time: duration().default(15 * 24 * 3600_000),
      size: byteSize().default(0),
    })
    .prefault({}),
  out_of_order_time_window: duration().default(0),
  limits: z
    .strictObject({
      max_series: limit().default(0),
      max_series_per_metric: limit().default(0),
      max_series_per_target: limit().default(0),
    })
    .prefault({}),
});

const builtinTargetFields = (jobName: string) => ({
  enabled: z.boolean().default(true),
  job_name: z.string().min(1).default(jobName),
  scrape_interval: duration().default(15_000),
  scrape_timeout: duration().default(10_000),
});

const collectorsSchema = z.strictObject({
  host: z
    .strictObject({
      ...builtinTargetFields("node"),
      proc_path: z.string().default("/proc"),
      sys_path: z.string().default("/sys"),
      rootfs_path: z.string().default("/"),
    })
    .prefault({}),
  self: z.strictObject(builtinTargetFields("relay-monitor")).prefault({}),
});

/** Sections that belong to later stages: accepted so a prometheus.yml loads, reported as ignored. */
const NOT_YET = ["alerting", "remote_write", "remote_read", "privacy", "auth"] as const;

/** The whole configuration file. */
export const configSchema = z
  .strictObject({
    global: globalSchema.prefault({}),
    scrape_configs: z.array(scrapeConfigSchema).default([]),
    storage: storageSchema.prefault({}),
    collectors: collectorsSchema.prefault({}),
    rule_files: z.array(z.string().min(1)).default([]),
    analysis: analysisConfigSchema.prefault({}),
    notify: notifyConfigSchema.prefault({}),
    community: communityConfigSchema.prefault({}),
    ...Object.fromEntries(NOT_YET.map((k) => [k, z.unknown().optional()])),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.scrape_configs.forEach((sc, i) => {
      const first = seen.get(sc.job_name);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["scrape_configs", i, "job_name"],
          message: `found multiple scrape configs with job name ${shown(sc.job_name)} (first at scrape_configs[${first}])`,
        });
      } else seen.set(sc.job_name, i);
      const interval = sc.scrape_interval ?? cfg.global.scrape_interval;
      if (sc.scrape_timeout !== undefined && sc.scrape_timeout > interval) {
        ctx.addIssue({
          code: "custom",
          path: ["scrape_configs", i, "scrape_timeout"],
          message: `scrape timeout greater than scrape interval for job ${shown(sc.job_name)}`,
        });
      }
    });
    for (const key of ["host", "self"] as const) {
      const b = cfg.collectors[key];
      if (b.enabled && seen.has(b.job_name)) {
        ctx.addIssue({
          code: "custom",
          path: ["collectors", key, "job_name"],
          message: `job name ${shown(b.job_name)} is also used by scrape_configs[${seen.get(b.job_name)}]; rename one or disable collectors.${key}`,
        });
      }
      if (b.scrape_timeout > b.scrape_interval) {
        ctx.addIssue({
          code: "custom",
          path: ["collectors", key, "scrape_timeout"],
          message: "scrape timeout greater than scrape interval",
        });
      }
    }
    if (cfg.global.scrape_timeout > cfg.global.scrape_interval) {
      ctx.addIssue({
        code: "custom",
        path: ["global", "scrape_timeout"],
        message: "global scrape timeout greater than scrape interval",
      });
    }
  });

/** Names of accepted sections whose stage is not built yet. */
export const PENDING_SECTIONS: readonly string[] = NOT_YET;

/** The raw parsed file (before global defaults are applied to scrape jobs). */
export type RawConfig = z.output<typeof configSchema>;
