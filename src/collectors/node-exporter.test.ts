import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { EntryType, ExpositionParser } from "../ingest/index.js";
import type { MetricFamily, MetricType } from "../model/index.js";
import { describeWithBinary, freePort } from "../testing/index.js";
import {
  DEFAULT_DISK_EXCLUDE,
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  HOST_COLLECTOR_NAMES,
  HostCollector,
} from "./index.js";

/**
 * Our host collector against Debian's prometheus-node-exporter on this machine. Both run with the
 * same collectors and the same excludes (ours are upstream's defaults; Debian patches its own).
 * We read before and after node_exporter's scrape, so a counter's node_exporter value must lie
 * between our two readings; gauges that move on their own get a tolerance on top.
 */
const BINARY = "/usr/bin/prometheus-node-exporter";

interface Snapshot {
  readonly types: Map<string, MetricType>;
  readonly helps: Map<string, string>;
  readonly values: Map<string, number>;
}

function seriesKey(name: string, pairs: readonly string[]): string {
  const labels: string[] = [];
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    if (pairs[i + 1] !== "") labels.push(`${pairs[i]}=${JSON.stringify(pairs[i + 1])}`);
  }
  return `${name}{${labels.sort().join(",")}}`;
}

function fromFamilies(families: readonly MetricFamily[]): Snapshot {
  const types = new Map<string, MetricType>();
  const helps = new Map<string, string>();
  const values = new Map<string, number>();
  for (const f of families) {
    types.set(f.name, f.type);
    helps.set(f.name, f.help);
    for (const s of f.samples) values.set(seriesKey(s.name, Object.entries(s.labels).flat()), s.value);
  }
  return { types, helps, values };
}

const FOREIGN = /^(go_|process_|promhttp_|node_exporter_build_info)/;

function fromExposition(body: string): Snapshot {
  const types = new Map<string, MetricType>();
  const helps = new Map<string, string>();
  const values = new Map<string, number>();
  const p = new ExpositionParser(body, "text");
  for (let e = p.next(); e !== EntryType.EOF; e = p.next()) {
    if (FOREIGN.test(p.name())) continue;
    if (e === EntryType.Type) types.set(p.name(), p.type());
    if (e === EntryType.Help) helps.set(p.name(), p.text());
    if (e === EntryType.Series) values.set(seriesKey(p.name(), p.labels()), p.value());
  }
  return { types, helps, values };
}

/** How far node_exporter's value may lie outside our two readings: absolute, then relative. */
function tolerance(key: string): [number, number] | "skip" {
  const name = key.slice(0, key.indexOf("{"));
  if (name === "node_scrape_collector_duration_seconds") return "skip";
  if (/^node_cpu(_scaling)?_frequency_hertz$/.test(name)) return "skip";
  if (/^node_memory_(MemTotal|SwapTotal|Hugepagesize|VmallocTotal)_bytes$/.test(name)) return [0, 0];
  if (
    /^node_(boot_time_seconds|uname_info|filesystem_(size_bytes|files|readonly|device_error))$/.test(name)
  ) {
    return [0, 0];
  }
  if (name.startsWith("node_memory_")) return name.endsWith("_bytes") ? [128 * 2 ** 20, 0] : [16, 0];
  if (/^node_filesystem_(free|avail)_bytes$/.test(name)) return [256 * 2 ** 20, 0];
  if (name === "node_filesystem_files_free") return [100_000, 0];
  if (/^node_load/.test(name)) return [0.1, 0];
  if (/^node_procs_|^node_disk_io_now$/.test(name)) return [16, 0];
  if (name === "node_time_seconds") return [0.1, 0];
  return [0, 1e-12];
}

const ISSUE_FAMILIES = [
  "node_cpu_seconds_total",
  "node_load1",
  "node_load5",
  "node_load15",
  "node_memory_MemTotal_bytes",
  "node_memory_MemFree_bytes",
  "node_memory_MemAvailable_bytes",
  "node_memory_Buffers_bytes",
  "node_memory_Cached_bytes",
  "node_memory_SwapTotal_bytes",
  "node_memory_SwapFree_bytes",
  "node_filesystem_size_bytes",
  "node_filesystem_free_bytes",
  "node_filesystem_avail_bytes",
  "node_network_receive_bytes_total",
  "node_network_transmit_bytes_total",
  "node_boot_time_seconds",
  "node_time_seconds",
  "node_uname_info",
];

describeWithBinary(
  BINARY,
  "prometheus-node-exporter",
  "HostCollector agrees with node_exporter",
  (binary) => {
    let child: ChildProcess | undefined;
    let url = "";
    let stderr = "";

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}/metrics`;
      child = spawn(
        binary,
        [
          `--web.listen-address=127.0.0.1:${port}`,
          "--collector.disable-defaults",
          ...HOST_COLLECTOR_NAMES.map((c) => `--collector.${c}`),
          `--collector.filesystem.mount-points-exclude=${DEFAULT_MOUNT_POINTS_EXCLUDE.source}`,
          `--collector.filesystem.fs-types-exclude=${DEFAULT_FS_TYPES_EXCLUDE.source}`,
          `--collector.diskstats.device-exclude=${DEFAULT_DISK_EXCLUDE.source}`,
          "--collector.netdev.device-exclude=",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`node_exporter exited: ${stderr}`);
        try {
          if ((await fetch(url)).ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`node_exporter did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    afterAll(async () => {
      if (child === undefined || child.exitCode !== null) return;
      const exited = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    });

    it("exposes the same series, with the same types, help and values within tolerance", async () => {
      const host = new HostCollector();
      await host.collect();
      const before = fromFamilies(await host.collect());
      const theirs = fromExposition(await (await fetch(url)).text());
      const after = fromFamilies(await host.collect());

      for (const name of ISSUE_FAMILIES) {
        expect([...theirs.types.keys()], `node_exporter lacks ${name}`).toContain(name);
      }
      expect([...before.values.keys()].sort()).toEqual([...theirs.values.keys()].sort());
      expect([...after.values.keys()].sort()).toEqual([...theirs.values.keys()].sort());
      for (const [name, type] of theirs.types) expect([name, before.types.get(name)]).toEqual([name, type]);
      for (const [name, help] of theirs.helps) expect([name, before.helps.get(name)]).toEqual([name, help]);

      const outside: string[] = [];
      for (const [key, theirValue] of theirs.values) {
        const tol = tolerance(key);
        if (tol === "skip") continue;
        const a = before.values.get(key)!;
        const b = after.values.get(key)!;
        const slack = Math.max(tol[0], tol[1] * Math.max(Math.abs(a), Math.abs(b)));
        const lo = Math.min(a, b) - slack;
        const hi = Math.max(a, b) + slack;
        if (!(theirValue >= lo && theirValue <= hi))
          outside.push(`${key}: node_exporter ${theirValue}, ours ${a} / ${b}`);
      }
      expect(outside).toEqual([]);
    });
  },
);
