import { join } from "node:path";
import {
  CollectorError,
  type HostContext,
  parseNumber,
  parseUintFile,
  type SubCollector,
} from "./context.js";
import type { FamilySet } from "./families.js";

/** Clock ticks per second of `/proc/stat` times (USER_HZ, 100 on every Linux architecture). */
export const USER_HZ = 100;

/** The columns of a `cpu` line of `/proc/stat`, in order. */
export const CPU_MODES = [
  "user",
  "nice",
  "system",
  "idle",
  "iowait",
  "irq",
  "softirq",
  "steal",
  "guest",
  "guest_nice",
] as const;

const IDLE = 3;
const GUEST = 8;
const GUEST_NICE = 9;
/** A CPU whose idle time goes back by this many seconds or more was hot-plugged: start afresh. */
const JUMP_BACK_SECONDS = 3;

/** The parsed content of `/proc/stat`. Times are in seconds. */
export interface ProcStat {
  /** Per-CPU times by CPU number ("0", "1", ...), in {@link CPU_MODES} order. */
  readonly cpus: Map<string, Float64Array>;
  readonly bootTime?: number;
  readonly contextSwitches?: number;
  readonly forks?: number;
  readonly interrupts?: number;
  readonly procsRunning?: number;
  readonly procsBlocked?: number;
}

/** Parses `/proc/stat`; throws a {@link CollectorError} on a malformed line it relies on. */
export function parseProcStat(text: string, where = "/proc/stat"): ProcStat {
  const cpus = new Map<string, Float64Array>();
  const out: {
    -readonly [K in keyof ProcStat]: ProcStat[K];
  } = { cpus };
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    const key = parts[0];
    if (key === undefined || key === "") continue;
    if (key.startsWith("cpu")) {
      if (key === "cpu") continue;
      const id = key.slice(3);
      if (!/^\d+$/.test(id)) continue;
      const times = new Float64Array(CPU_MODES.length);
      for (let i = 0; i < CPU_MODES.length && i + 1 < parts.length; i++) {
        times[i] = parseNumber(parts[i + 1], `${where} line ${key}`) / USER_HZ;
      }
      cpus.set(id, times);
      continue;
    }
    switch (key) {
      case "btime":
        out.bootTime = parseNumber(parts[1], `${where} line btime`);
        break;
      case "ctxt":
        out.contextSwitches = parseNumber(parts[1], `${where} line ctxt`);
        break;
      case "processes":
        out.forks = parseNumber(parts[1], `${where} line processes`);
        break;
      case "intr":
        out.interrupts = parseNumber(parts[1], `${where} line intr`);
        break;
      case "procs_running":
        out.procsRunning = parseNumber(parts[1], `${where} line procs_running`);
        break;
      case "procs_blocked":
        out.procsBlocked = parseNumber(parts[1], `${where} line procs_blocked`);
        break;
    }
  }
  return out;
}

/**
 * Parses a kernel CPU list (`0-3,8,10-11`) into CPU numbers; throws a {@link CollectorError} on
 * anything else.
 */
export function parseCpuList(text: string, where: string): number[] {
  const out: number[] = [];
  const t = text.trim();
  if (t === "") return out;
  for (const part of t.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CollectorError(`invalid CPU list ${JSON.stringify(t)} in ${where}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/**
 * node_exporter's `cpu` collector: `node_cpu_seconds_total{cpu,mode}`,
 * `node_cpu_guest_seconds_total{cpu,mode}`, thermal throttle counters and `node_cpu_isolated`.
 * Like node_exporter it keeps the last value of each counter and never lets one go backwards
 * (the kernel's per-CPU times occasionally do), resetting a CPU whose idle time fell by 3 s or
 * more (a hot-plug).
 */
export class CpuCollector implements SubCollector {
  readonly name = "cpu";
  private readonly last = new Map<string, Float64Array>();

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const stat = parseProcStat(await ctx.readRequired(ctx.proc("stat")), ctx.proc("stat"));
    await this.updateIsolated(ctx, out);
    for (const [cpu, fresh] of stat.cpus) {
      const kept = this.clamp(cpu, fresh);
      for (let i = 0; i < GUEST; i++) {
        out.add("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", "counter", kept[i]!, {
          cpu,
          mode: CPU_MODES[i]!,
        });
      }
      const guestHelp = "Seconds the CPUs spent in guests (VMs) for each mode.";
      out.add("node_cpu_guest_seconds_total", guestHelp, "counter", kept[GUEST]!, { cpu, mode: "user" });
      out.add("node_cpu_guest_seconds_total", guestHelp, "counter", kept[GUEST_NICE]!, { cpu, mode: "nice" });
    }
    for (const cpu of [...this.last.keys()]) if (!stat.cpus.has(cpu)) this.last.delete(cpu);
    await this.updateThrottles(ctx, out);
  }

  private clamp(cpu: string, fresh: Float64Array): Float64Array {
    let kept = this.last.get(cpu);
    if (kept === undefined || kept[IDLE]! - fresh[IDLE]! >= JUMP_BACK_SECONDS) {
      kept = new Float64Array(CPU_MODES.length);
      this.last.set(cpu, kept);
    }
    for (let i = 0; i < kept.length; i++) if (fresh[i]! >= kept[i]!) kept[i] = fresh[i]!;
    return kept;
  }

  private async updateIsolated(ctx: HostContext, out: FamilySet): Promise<void> {
    const path = ctx.sys("devices", "system", "cpu", "isolated");
    const text = await ctx.readOptional(path);
    if (text === undefined) return;
    for (const cpu of parseCpuList(text, path)) {
      out.add(
        "node_cpu_isolated",
        "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
        "gauge",
        1,
        { cpu: String(cpu) },
      );
    }
  }

  private async updateThrottles(ctx: HostContext, out: FamilySet): Promise<void> {
    const base = ctx.sys("devices", "system", "cpu");
    const dirs = await ctx.cpuDirs();
    const infos = await Promise.all(
      dirs.map(async (d) => {
        const dir = join(base, d);
        if (!(await ctx.listDir(dir)).includes("thermal_throttle")) return undefined;
        const [pkg, core, coreCount, pkgCount] = await Promise.all([
          ctx.readOptional(join(dir, "topology", "physical_package_id")),
          ctx.readOptional(join(dir, "topology", "core_id")),
          ctx.readOptional(join(dir, "thermal_throttle", "core_throttle_count")),
          ctx.readOptional(join(dir, "thermal_throttle", "package_throttle_count")),
        ]);
        return {
          pkg: parseUintFile(pkg),
          core: parseUintFile(core),
          coreCount: parseUintFile(coreCount),
          pkgCount: parseUintFile(pkgCount),
        };
      }),
    );
    const packages = new Map<number, number>();
    const cores = new Map<string, { pkg: number; core: number; count: number }>();
    for (const i of infos) {
      if (i === undefined || i.pkg === undefined || i.core === undefined) continue;
      const key = `${i.pkg}/${i.core}`;
      if (!cores.has(key) && i.coreCount !== undefined) {
        cores.set(key, { pkg: i.pkg, core: i.core, count: i.coreCount });
      }
      if (!packages.has(i.pkg) && i.pkgCount !== undefined) packages.set(i.pkg, i.pkgCount);
    }
    for (const [pkg, count] of packages) {
      out.add(
        "node_cpu_package_throttles_total",
        "Number of times this CPU package has been throttled.",
        "counter",
        count,
        { package: String(pkg) },
      );
    }
    for (const c of cores.values()) {
      out.add(
        "node_cpu_core_throttles_total",
        "Number of times this CPU core has been throttled.",
        "counter",
        c.count,
        { package: String(c.pkg), core: String(c.core) },
      );
    }
  }
}

/**
 * node_exporter's `stat` collector: boot time, context switches, forks, interrupts and the
 * running/blocked process counts from `/proc/stat`.
 */
export class StatCollector implements SubCollector {
  readonly name = "stat";

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const s = parseProcStat(await ctx.readRequired(ctx.proc("stat")), ctx.proc("stat"));
    const add = (name: string, help: string, type: "gauge" | "counter", v: number | undefined) => {
      if (v !== undefined) out.add(name, help, type, v);
    };
    add("node_intr_total", "Total number of interrupts serviced.", "counter", s.interrupts);
    add("node_context_switches_total", "Total number of context switches.", "counter", s.contextSwitches);
    add("node_forks_total", "Total number of forks.", "counter", s.forks);
    add("node_boot_time_seconds", "Node boot time, in unixtime.", "gauge", s.bootTime);
    add("node_procs_running", "Number of processes in runnable state.", "gauge", s.procsRunning);
    add(
      "node_procs_blocked",
      "Number of processes blocked waiting for I/O to complete.",
      "gauge",
      s.procsBlocked,
    );
  }
}

const CPUFREQ_FILES = [
  ["cpuinfo_cur_freq", "node_cpu_frequency_hertz", "Current cpu thread frequency in hertz."],
  ["cpuinfo_min_freq", "node_cpu_frequency_min_hertz", "Minimum cpu thread frequency in hertz."],
  ["cpuinfo_max_freq", "node_cpu_frequency_max_hertz", "Maximum cpu thread frequency in hertz."],
  ["scaling_cur_freq", "node_cpu_scaling_frequency_hertz", "Current scaled CPU thread frequency in hertz."],
  [
    "scaling_min_freq",
    "node_cpu_scaling_frequency_min_hertz",
    "Minimum scaled CPU thread frequency in hertz.",
  ],
  [
    "scaling_max_freq",
    "node_cpu_scaling_frequency_max_hertz",
    "Maximum scaled CPU thread frequency in hertz.",
  ],
] as const;

/**
 * node_exporter's `cpufreq` collector: per-CPU frequencies (sysfs kHz → Hz) and the scaling
 * governor, for CPUs that have a `cpufreq` directory. A host without cpufreq yields nothing.
 */
export class CpuFreqCollector implements SubCollector {
  readonly name = "cpufreq";

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const base = ctx.sys("devices", "system", "cpu");
    const dirs = await ctx.cpuDirs();
    const per = await Promise.all(
      dirs.map(async (d) => {
        if (!(await ctx.listDir(join(base, d))).includes("cpufreq")) return undefined;
        const dir = join(base, d, "cpufreq");
        const names = await ctx.listDir(dir);
        const read = (f: string) => (names.includes(f) ? ctx.readOptional(join(dir, f)) : undefined);
        const freqs = await Promise.all(CPUFREQ_FILES.map(([f]) => read(f)));
        const [governor, available] = await Promise.all([
          read("scaling_governor"),
          read("scaling_available_governors"),
        ]);
        return { cpu: d.slice(3), freqs, governor, available };
      }),
    );
    for (const p of per) {
      if (p === undefined) continue;
      for (let i = 0; i < CPUFREQ_FILES.length; i++) {
        const v = parseUintFile(p.freqs[i]);
        const [, name, help] = CPUFREQ_FILES[i]!;
        if (v !== undefined) out.add(name, help, "gauge", v * 1000, { cpu: p.cpu });
      }
      const governor = p.governor?.trim() ?? "";
      if (governor === "") continue;
      for (const g of (p.available ?? "").trim().split(" ")) {
        out.add(
          "node_cpu_scaling_governor",
          "Current enabled CPU frequency governor.",
          "gauge",
          g === governor ? 1 : 0,
          { cpu: p.cpu, governor: g },
        );
      }
    }
  }
}
