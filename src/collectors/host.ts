import type { MetricFamily } from "../model/index.js";
import { CollectorError, HostContext, realStatfs, type StatFsFn, type SubCollector } from "./context.js";
import { CpuCollector, CpuFreqCollector, StatCollector } from "./cpu.js";
import { DEFAULT_DISK_EXCLUDE, DiskstatsCollector } from "./diskstats.js";
import { FamilySet } from "./families.js";
import { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE, FilesystemCollector } from "./filesystem.js";
import { LoadavgCollector, MeminfoCollector } from "./memory.js";
import { NetdevCollector } from "./netdev.js";
import { type Clock, systemClock, TimeCollector, UnameCollector } from "./system.js";

/**
 * A source of metric families that the scraper calls on its schedule. `collect()` resolves with
 * a fresh snapshot each time and never rejects; a collector reports its own failures as series.
 */
export interface Collector {
  /** Short name, used in logs and as the default job name's suffix. */
  readonly name: string;
  collect(): Promise<MetricFamily[]>;
}

/** The parts of the host collector, named as node_exporter names its collectors. */
export const HOST_COLLECTOR_NAMES = [
  "cpu",
  "cpufreq",
  "diskstats",
  "filesystem",
  "loadavg",
  "meminfo",
  "netdev",
  "stat",
  "time",
  "uname",
] as const;

/** One of {@link HOST_COLLECTOR_NAMES}. */
export type HostCollectorName = (typeof HOST_COLLECTOR_NAMES)[number];

/** A pattern given as a RegExp or as the source of one (from a config file). */
export type Pattern = RegExp | string;

/** Options of {@link HostCollector}; every field has node_exporter's default. */
export interface HostCollectorOptions {
  /** Where procfs is mounted (node_exporter `--path.procfs`). Default `/proc`. */
  readonly procPath?: string;
  /** Where sysfs is mounted (`--path.sysfs`). Default `/sys`. */
  readonly sysPath?: string;
  /** Where the host's root filesystem is mounted (`--path.rootfs`), for statfs. Default `/`. */
  readonly rootfsPath?: string;
  /** The udev database (`--path.udev.data`), for `node_disk_info`. Default `/run/udev/data`. */
  readonly udevDataPath?: string;
  /** Mount points and filesystem types left out of `node_filesystem_*`. */
  readonly filesystemExclude?: {
    readonly mountPoints?: Pattern;
    readonly fsTypes?: Pattern;
  };
  /** Network devices left out of `node_network_*`; none by default, as in upstream node_exporter. */
  readonly netdevExclude?: Pattern;
  /** Block devices left out of `node_disk_*`; default {@link DEFAULT_DISK_EXCLUDE}. */
  readonly diskExclude?: Pattern;
  /** The parts to run; default all of {@link HOST_COLLECTOR_NAMES}. */
  readonly collectors?: readonly HostCollectorName[];
  /** How long a statfs may take before its mount point counts as stuck. Default 5000 ms. */
  readonly mountTimeoutMs?: number;
  /** Called with each part's error (its `node_scrape_collector_success` is then 0). */
  readonly onError?: (collector: HostCollectorName, error: unknown) => void;
  /** The statfs(2) implementation; tests pass a fake. */
  readonly statfs?: StatFsFn;
  /** The wall clock for `node_time_seconds`, in ms; tests pass a fixed one. */
  readonly clock?: Clock;
}

function toRegExp(option: string, p: Pattern | undefined, fallback: RegExp | undefined): RegExp | undefined {
  if (p === undefined) return fallback;
  if (typeof p !== "string") return p;
  try {
    return new RegExp(p);
  } catch (err) {
    throw new CollectorError(`host collector option ${option}: ${(err as Error).message}`);
  }
}

/**
 * The built-in host collector: what node_exporter's default Linux collectors `cpu`, `cpufreq`,
 * `diskstats`, `filesystem`, `loadavg`, `meminfo`, `netdev`, `stat`, `time` and `uname` expose,
 * with the same metric names, label sets and units, read from /proc and /sys with fs/promises.
 * Its parts run concurrently; each reports `node_scrape_collector_success{collector}` and
 * `node_scrape_collector_duration_seconds{collector}`. A part whose essential file is missing or
 * malformed reports success 0 and whatever it had already produced; an optional file that is
 * missing (cpufreq in a VM, udev data in a container) only leaves its series out.
 * @example
 * const host = new HostCollector();
 * const families = await host.collect(); // node_cpu_seconds_total, node_load1, ...
 */
export class HostCollector implements Collector {
  readonly name = "node";
  private readonly parts: SubCollector[];
  private readonly procPath: string;
  private readonly sysPath: string;
  private readonly rootfsPath: string;
  private readonly udevDataPath: string;
  private readonly onError: ((collector: HostCollectorName, error: unknown) => void) | undefined;

  /** Throws a {@link CollectorError} naming the option when a pattern string is not a valid RegExp. */
  constructor(options: HostCollectorOptions = {}) {
    this.procPath = options.procPath ?? "/proc";
    this.sysPath = options.sysPath ?? "/sys";
    this.rootfsPath = options.rootfsPath ?? "/";
    this.udevDataPath = options.udevDataPath ?? "/run/udev/data";
    this.onError = options.onError;
    const all: Record<HostCollectorName, () => SubCollector> = {
      cpu: () => new CpuCollector(),
      cpufreq: () => new CpuFreqCollector(),
      diskstats: () =>
        new DiskstatsCollector(toRegExp("diskExclude", options.diskExclude, DEFAULT_DISK_EXCLUDE)),
      filesystem: () =>
        new FilesystemCollector({
          mountPointsExclude: toRegExp(
            "filesystemExclude.mountPoints",
            options.filesystemExclude?.mountPoints,
            DEFAULT_MOUNT_POINTS_EXCLUDE,
          )!,
          fsTypesExclude: toRegExp(
            "filesystemExclude.fsTypes",
            options.filesystemExclude?.fsTypes,
            DEFAULT_FS_TYPES_EXCLUDE,
          )!,
          statfs: options.statfs ?? realStatfs,
          mountTimeoutMs: options.mountTimeoutMs ?? 5000,
        }),
      loadavg: () => new LoadavgCollector(),
      meminfo: () => new MeminfoCollector(),
      netdev: () => new NetdevCollector(toRegExp("netdevExclude", options.netdevExclude, undefined)),
      stat: () => new StatCollector(),
      time: () => new TimeCollector(options.clock ?? systemClock),
      uname: () => new UnameCollector(),
    };
    const enabled = new Set<HostCollectorName>(options.collectors ?? HOST_COLLECTOR_NAMES);
    this.parts = HOST_COLLECTOR_NAMES.filter((n) => enabled.has(n)).map((n) => all[n]());
  }

  /** Reads every enabled part once and returns the families; never rejects. */
  async collect(): Promise<MetricFamily[]> {
    const ctx = new HostContext(this.procPath, this.sysPath, this.rootfsPath, this.udevDataPath);
    const out = new FamilySet();
    const results = await Promise.all(
      this.parts.map(async (part) => {
        const start = performance.now();
        let ok = true;
        try {
          await part.update(ctx, out);
        } catch (err) {
          ok = false;
          this.onError?.(part.name as HostCollectorName, err);
        }
        return { name: part.name, ok, seconds: (performance.now() - start) / 1000 };
      }),
    );
    for (const r of results) {
      out.add(
        "node_scrape_collector_duration_seconds",
        "node_exporter: Duration of a collector scrape.",
        "gauge",
        r.seconds,
        { collector: r.name },
      );
    }
    for (const r of results) {
      out.add(
        "node_scrape_collector_success",
        "node_exporter: Whether a collector succeeded.",
        "gauge",
        r.ok ? 1 : 0,
        { collector: r.name },
      );
    }
    return out.toArray();
  }
}
