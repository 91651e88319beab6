import { cp, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import * as os from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MetricFamily } from "../model/index.js";
import type { StatFsFn, StatFsResult } from "./context.js";
import { HostCollector, type HostCollectorName, type HostCollectorOptions } from "./index.js";
import { timeZoneName } from "./system.js";

const FIXTURE = join(import.meta.dirname, "testdata", "host");
const CLOCK_MS = 1700000123456.5;

const FAKE_STATFS: Record<string, StatFsResult> = {
  "/": { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300, files: 500, ffree: 200 },
  "/run": { bsize: 4096, blocks: 100, bfree: 100, bavail: 100, files: 50, ffree: 40 },
  "/media/My Disk": { bsize: 512, blocks: 2000, bfree: 1000, bavail: 1000, files: 0, ffree: 0 },
};

const fakeStatfs: StatFsFn = async (path) => {
  const st = FAKE_STATFS[path];
  if (st === undefined) throw new Error(`EIO: statfs ${path}`);
  return st;
};

function collectorFor(root: string, extra: HostCollectorOptions = {}): HostCollector {
  return new HostCollector({
    procPath: join(root, "proc"),
    sysPath: join(root, "sys"),
    udevDataPath: join(root, "udev"),
    statfs: fakeStatfs,
    clock: () => CLOCK_MS,
    ...extra,
  });
}

/** Renders families as sorted `name{label="value",...} value` lines, like a golden exposition. */
function render(families: readonly MetricFamily[]): string[] {
  const lines: string[] = [];
  for (const f of families) {
    for (const s of f.samples) {
      const labels = Object.keys(s.labels)
        .sort()
        .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
        .join(",");
      lines.push(`${s.name}${labels === "" ? "" : `{${labels}}`} ${s.value}`);
    }
  }
  return lines.sort();
}

function value(families: readonly MetricFamily[], name: string, labels: Record<string, string> = {}) {
  for (const f of families) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(labels);
      if (keys.length === Object.keys(s.labels).length && keys.every((k) => s.labels[k] === labels[k])) {
        return s.value;
      }
    }
  }
  return undefined;
}

describe("HostCollector on a fixture tree", () => {
  it("produces exactly node_exporter's series for testdata/host (golden file host.expected)", async () => {
    const families = await collectorFor(FIXTURE).collect();
    const golden = (await readFile(join(import.meta.dirname, "testdata", "host.expected"), "utf8"))
      .trimEnd()
      .split("\n");
    const date = new Date(Math.floor(CLOCK_MS));
    const expected = [
      ...golden,
      `node_time_zone_offset_seconds{time_zone=${JSON.stringify(timeZoneName(date))}} ${0 - date.getTimezoneOffset() * 60}`,
      `node_uname_info{domainname="(none)",machine=${JSON.stringify(os.machine())},nodename="fixture-host",release="6.1.0-18-amd64",sysname="Linux",version="#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"} 1`,
    ].sort();
    const actual = render(families).filter((l) => !l.startsWith("node_scrape_collector_duration_seconds"));
    expect(actual).toEqual(expected);
  });

  it("gives every family help, a type and the unit its name declares", async () => {
    const families = await collectorFor(FIXTURE).collect();
    const byName = new Map(families.map((f) => [f.name, f]));
    const cases: Array<[string, string, string | undefined]> = [
      ["node_cpu_seconds_total", "counter", "seconds"],
      ["node_memory_MemTotal_bytes", "gauge", "bytes"],
      ["node_memory_HugePages_Total", "gauge", undefined],
      ["node_load1", "gauge", undefined],
      ["node_disk_read_bytes_total", "counter", "bytes"],
      ["node_disk_io_now", "gauge", undefined],
      ["node_network_receive_bytes_total", "counter", "bytes"],
      ["node_cpu_scaling_frequency_hertz", "gauge", "hertz"],
      ["node_boot_time_seconds", "gauge", "seconds"],
      ["node_uname_info", "gauge", undefined],
    ];
    for (const [name, type, unit] of cases) {
      const f = byName.get(name);
      expect(f, name).toBeDefined();
      expect([f!.type, f!.unit], name).toEqual([type, unit]);
    }
    for (const f of families) {
      expect(f.help, f.name).not.toBe("");
      for (const s of f.samples) expect(s.name, f.name).toBe(f.name);
    }
  });

  it("reports the duration of every part", async () => {
    const families = await collectorFor(FIXTURE).collect();
    const parts = families
      .find((f) => f.name === "node_scrape_collector_duration_seconds")!
      .samples.map((s) => {
        expect(s.value).toBeGreaterThanOrEqual(0);
        return s.labels.collector;
      });
    expect(parts.sort()).toEqual([
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
    ]);
  });

  it.each<[string, HostCollectorOptions, string, Record<string, string>, boolean]>([
    [
      "netdevExclude drops matching devices",
      { netdevExclude: "^lo$" },
      "node_network_receive_bytes_total",
      { device: "lo" },
      false,
    ],
    ["netdev keeps lo by default", {}, "node_network_receive_bytes_total", { device: "lo" }, true],
    [
      "diskExclude replaces the default",
      { diskExclude: /^dm-/ },
      "node_disk_reads_completed_total",
      { device: "sda1" },
      true,
    ],
    [
      "diskExclude as a string",
      { diskExclude: "^dm-" },
      "node_disk_reads_completed_total",
      { device: "dm-0" },
      false,
    ],
    [
      "mount point exclude replaces the default",
      { filesystemExclude: { mountPoints: "^/run" } },
      "node_filesystem_size_bytes",
      { device: "tmpfs", fstype: "tmpfs", mountpoint: "/run" },
      false,
    ],
    [
      "fs type exclude replaces the default",
      { filesystemExclude: { fsTypes: /^vfat$/ } },
      "node_filesystem_size_bytes",
      { device: "/dev/sdb1", fstype: "vfat", mountpoint: "/media/My Disk" },
      false,
    ],
    [
      "collectors selects parts",
      { collectors: ["loadavg"] },
      "node_cpu_seconds_total",
      { cpu: "0", mode: "user" },
      false,
    ],
    ["collectors keeps the chosen part", { collectors: ["loadavg"] }, "node_load1", {}, true],
  ])("option: %s", async (_name, opts, metric, labels, present) => {
    const families = await collectorFor(FIXTURE, opts).collect();
    expect(value(families, metric, labels) !== undefined).toBe(present);
  });

  it("strips the rootfs path from mount points and statfs's under it", async () => {
    const seen: string[] = [];
    const families = await collectorFor(FIXTURE, {
      rootfsPath: "/host",
      collectors: ["filesystem"],
      filesystemExclude: { mountPoints: "^/(proc|sys|run)($|/)", fsTypes: "^$" },
      statfs: async (p) => {
        seen.push(p);
        return FAKE_STATFS["/"]!;
      },
    }).collect();
    expect(seen.sort()).toContain("/host/media/My Disk");
    expect(
      value(families, "node_filesystem_size_bytes", { device: "/dev/sda2", fstype: "ext4", mountpoint: "/" }),
    ).toBe(4096000);
  });
});

describe("HostCollector on odd hosts", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(os.tmpdir(), "relay-host-"));
    await cp(FIXTURE, dir, { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function collectWithErrors(opts: HostCollectorOptions = {}) {
    const errors = new Map<HostCollectorName, string>();
    const families = await collectorFor(dir, {
      onError: (c, e) => errors.set(c, e instanceof Error ? e.message : String(e)),
      ...opts,
    }).collect();
    const success = (c: string) => value(families, "node_scrape_collector_success", { collector: c });
    return { families, errors, success };
  }

  it("never rejects on an empty tree: parts with a required file fail, the rest succeed", async () => {
    const empty = await mkdtemp(join(os.tmpdir(), "relay-empty-"));
    try {
      const errors: string[] = [];
      const families = await new HostCollector({
        procPath: join(empty, "proc"),
        sysPath: join(empty, "sys"),
        udevDataPath: join(empty, "udev"),
        onError: (c) => errors.push(c),
      }).collect();
      const success = Object.fromEntries(
        families
          .find((f) => f.name === "node_scrape_collector_success")!
          .samples.map((s) => [s.labels.collector, s.value]),
      );
      expect(success).toEqual({
        cpu: 0,
        cpufreq: 1,
        diskstats: 0,
        filesystem: 0,
        loadavg: 0,
        meminfo: 0,
        netdev: 0,
        stat: 0,
        time: 1,
        uname: 1,
      });
      expect(errors.sort()).toEqual([
        "cpu",
        "diskstats",
        "filesystem",
        "loadavg",
        "meminfo",
        "netdev",
        "stat",
      ]);
      expect(Math.abs(value(families, "node_time_seconds")! - Date.now() / 1000)).toBeLessThan(5);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it.each<[string, string, string, HostCollectorName, string]>([
    ["a meminfo line without a colon", "proc/meminfo", "MemTotal 5 kB\n", "meminfo", "invalid line in"],
    [
      "a meminfo value that is not a number",
      "proc/meminfo",
      "MemTotal: lots kB\n",
      "meminfo",
      "invalid number",
    ],
    ["a short loadavg", "proc/loadavg", "0.1 0.2\n", "loadavg", "unexpected content"],
    ["a cpu line with garbage", "proc/stat", "cpu0 1 2 x 4\n", "cpu", "invalid number"],
    ["a short diskstats line", "proc/diskstats", "8 0 sda 1 2 3\n", "diskstats", "invalid line in"],
    [
      "a net/dev row with too few columns",
      "proc/net/dev",
      "a|b|c\nx|bytes|bytes\n eth0: 1\n",
      "netdev",
      "columns",
    ],
    ["a net/dev file without the header", "proc/net/dev", "eth0: 1 2\n", "netdev", "invalid header"],
    [
      "a mounts line with three fields",
      "proc/1/mounts",
      "/dev/sda / ext4\n",
      "filesystem",
      "malformed mount point",
    ],
    ["a malformed isolated CPU list", "sys/devices/system/cpu/isolated", "one\n", "cpu", "invalid CPU list"],
  ])("reports success 0 and a clear error for %s", async (_name, file, content, part, message) => {
    await writeFile(join(dir, file), content);
    const { errors, success } = await collectWithErrors();
    expect(success(part)).toBe(0);
    expect(errors.get(part)).toContain(message);
    expect(errors.get(part)).toContain(join(dir, file));
  });

  it("reads files larger than its first buffer whole", async () => {
    let meminfo = "";
    for (let i = 0; i < 2000; i++) meminfo += `Field${i}:  ${i} kB\n`;
    await writeFile(join(dir, "proc", "meminfo"), meminfo);
    const { families, success } = await collectWithErrors({ collectors: ["meminfo"] });
    expect(success("meminfo")).toBe(1);
    expect(families.filter((f) => f.name.startsWith("node_memory_")).length).toBe(2000);
    expect(value(families, "node_memory_Field1999_bytes")).toBe(1999 * 1024);
  });

  it("falls back to /proc/mounts when /proc/1/mounts is hidden", async () => {
    await writeFile(join(dir, "proc", "mounts"), "/dev/sda2 / ext4 ro 0 0\n");
    await unlink(join(dir, "proc", "1", "mounts"));
    const { families, success } = await collectWithErrors();
    expect(success("filesystem")).toBe(1);
    expect(
      value(families, "node_filesystem_readonly", { device: "/dev/sda2", fstype: "ext4", mountpoint: "/" }),
    ).toBe(1);
  });

  it("keeps CPU counters monotonic and resets a CPU whose idle time jumps back 3 s or more", async () => {
    const h = collectorFor(dir, { collectors: ["cpu"] });
    const stat = (user0: number, idle0: number) =>
      writeFile(join(dir, "proc", "stat"), `cpu0 ${user0} 0 0 ${idle0} 0 0 0 0 0 0\n`);
    const user = async () => value(await h.collect(), "node_cpu_seconds_total", { cpu: "0", mode: "user" });
    const steps: Array<[number, number, number]> = [
      [1000, 50000, 10],
      [990, 50000, 10],
      [1010, 49900, 10.1],
      [500, 49000, 5],
    ];
    for (const [u, idle, want] of steps) {
      await stat(u, idle);
      expect(await user()).toBe(want);
    }
  });

  it("marks a mount point whose statfs hangs as stuck until the call returns", async () => {
    let release: (st: StatFsResult) => void = () => {};
    let calls = 0;
    const hanging: StatFsFn = (p) => {
      if (p !== "/") return fakeStatfs(p);
      calls++;
      return new Promise((resolve) => {
        release = resolve;
      });
    };
    const h = collectorFor(dir, { collectors: ["filesystem"], statfs: hanging, mountTimeoutMs: 20 });
    const root = { device: "/dev/sda2", fstype: "ext4", mountpoint: "/" };
    const first = await h.collect();
    expect(value(first, "node_filesystem_device_error", root)).toBe(1);
    expect(value(first, "node_filesystem_size_bytes", root)).toBeUndefined();
    await h.collect();
    expect(calls).toBe(1);
    release(FAKE_STATFS["/"]!);
    await new Promise((r) => setTimeout(r, 0));
    await h.collect();
    expect(calls).toBe(2);
  });

  it("leaves optional series out when sysfs and udev are missing", async () => {
    await rm(join(dir, "sys"), { recursive: true });
    await rm(join(dir, "udev"), { recursive: true });
    const { families, errors } = await collectWithErrors();
    expect(errors.size).toBe(0);
    const names = new Set(families.map((f) => f.name));
    for (const gone of [
      "node_cpu_scaling_frequency_hertz",
      "node_cpu_core_throttles_total",
      "node_cpu_isolated",
      "node_network_receive_nohandler_total",
      "node_time_clocksource_current_info",
      "node_disk_ata_write_cache",
    ]) {
      expect(names.has(gone), gone).toBe(false);
    }
    expect(
      value(families, "node_disk_info", {
        device: "sda",
        major: "8",
        minor: "0",
        model: "",
        path: "",
        revision: "",
        serial: "",
        wwn: "",
      }),
    ).toBe(1);
  });
});
