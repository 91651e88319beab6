import * as os from "node:os";
import { join } from "node:path";
import type { HostContext, SubCollector } from "./context.js";
import type { FamilySet } from "./families.js";

/**
 * node_exporter's `uname` collector: `node_uname_info{sysname,release,version,machine,nodename,
 * domainname} 1`. The fields come from `/proc/sys/kernel` (the values uname(2) returns for this
 * UTS namespace), falling back to `node:os`; the machine comes from `os.machine()`, which has no
 * /proc file.
 */
export class UnameCollector implements SubCollector {
  readonly name = "uname";

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const kernel = (f: string) =>
      ctx.readOptional(ctx.proc("sys", "kernel", f)).then((s) => (s === undefined ? undefined : trimNl(s)));
    const [sysname, release, version, nodename, domainname] = await Promise.all([
      kernel("ostype"),
      kernel("osrelease"),
      kernel("version"),
      kernel("hostname"),
      kernel("domainname"),
    ]);
    out.add(
      "node_uname_info",
      "Labeled system information as provided by the uname system call.",
      "gauge",
      1,
      {
        domainname: domainname ?? "(none)",
        machine: os.machine(),
        nodename: nodename ?? os.hostname(),
        release: release ?? os.release(),
        sysname: sysname ?? os.type(),
        version: version ?? os.version(),
      },
    );
  }
}

function trimNl(s: string): string {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}

/** Wall-clock time in milliseconds since the epoch, with sub-millisecond precision where possible. */
export type Clock = () => number;

/** The default clock: `performance.timeOrigin + performance.now()` (microsecond resolution). */
export const systemClock: Clock = () => performance.timeOrigin + performance.now();

/**
 * The short name of the local time zone at `date` as `Intl` spells it ("UTC", "CET", or "GMT+1"
 * where ICU knows no abbreviation).
 */
export function timeZoneName(date: Date): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(date);
  return parts.find((p) => p.type === "timeZoneName")?.value ?? "UTC";
}

/**
 * node_exporter's `time` collector: `node_time_seconds`, `node_time_zone_offset_seconds{time_zone}`
 * and the clocksources of `/sys/devices/system/clocksource`.
 */
export class TimeCollector implements SubCollector {
  readonly name = "time";

  constructor(private readonly clock: Clock = systemClock) {}

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const nowMs = this.clock();
    out.add("node_time_seconds", "System time in seconds since epoch (1970).", "gauge", nowMs / 1000);
    const date = new Date(Math.floor(nowMs));
    out.add(
      "node_time_zone_offset_seconds",
      "System time zone offset in seconds.",
      "gauge",
      0 - date.getTimezoneOffset() * 60,
      {
        time_zone: timeZoneName(date),
      },
    );

    const base = ctx.sys("devices", "system", "clocksource");
    const devices = (await ctx.listDir(base)).filter((n) => /^clocksource\d+$/.test(n));
    for (const d of devices) {
      const device = d.slice("clocksource".length);
      const [available, current] = await Promise.all([
        ctx.readOptional(join(base, d, "available_clocksource")),
        ctx.readOptional(join(base, d, "current_clocksource")),
      ]);
      for (const cs of (available ?? "").trim().split(/\s+/)) {
        if (cs === "") continue;
        out.add(
          "node_time_clocksource_available_info",
          "Available clocksources read from '/sys/devices/system/clocksource'.",
          "gauge",
          1,
          { clocksource: cs, device },
        );
      }
      const cur = (current ?? "").trim();
      if (cur !== "") {
        out.add(
          "node_time_clocksource_current_info",
          "Current clocksource read from '/sys/devices/system/clocksource'.",
          "gauge",
          1,
          { clocksource: cur, device },
        );
      }
    }
  }
}
