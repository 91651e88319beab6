import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CollectorError } from "./context.js";
import { parseCpuList, parseProcStat, USER_HZ } from "./cpu.js";
import { parseDiskstats, parseUdevProperties } from "./diskstats.js";
import { unitOf } from "./families.js";
import { parseMounts } from "./filesystem.js";
import { HostCollector } from "./index.js";
import { parseLoadavg, parseMeminfo } from "./memory.js";
import { parseNetDev } from "./netdev.js";

const fieldName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/);
const counter = fc.integer({ min: 0, max: 2 ** 52 });

describe("parseMeminfo", () => {
  it.each<[string, string, number]>([
    ["MemTotal:       16384 kB", "MemTotal_bytes", 16384 * 1024],
    ["Active(anon):     100 kB", "Active_anon_bytes", 102400],
    ["HugePages_Total:      4", "HugePages_Total", 4],
    ["Inactive(file):     0 kB", "Inactive_file_bytes", 0],
  ])("%s → %s", (line, key, value) => {
    expect([...parseMeminfo(`${line}\n`)]).toEqual([[key, value]]);
  });

  it("round-trips any set of fields, with and without kB", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fieldName, counter, fc.boolean()), { selector: (t) => t[0] }),
        (fields) => {
          const text = fields.map(([k, v, kb]) => `${k}:  ${v}${kb ? " kB" : ""}\n`).join("");
          const parsed = parseMeminfo(text);
          for (const [k, v, kb] of fields) expect(parsed.get(kb ? `${k}_bytes` : k)).toBe(kb ? v * 1024 : v);
        },
      ),
    );
  });
});

describe("parseNetDev", () => {
  const HEADER =
    "Inter-|   Receive                                                |  Transmit\n" +
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n";

  it("round-trips any devices and counters", () => {
    const device = fc.stringMatching(/^[a-z][a-z0-9.@-]{0,14}$/);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(device, fc.array(counter, { minLength: 16, maxLength: 16 })), {
          selector: (t) => t[0],
        }),
        (devs) => {
          const text = HEADER + devs.map(([d, vs]) => `${d.padStart(6)}: ${vs.join(" ")}\n`).join("");
          const parsed = parseNetDev(text);
          expect(parsed.map((p) => p.device)).toEqual(devs.map(([d]) => d));
          for (let i = 0; i < devs.length; i++) {
            expect(parsed[i]!.stats.get("receive_bytes")).toBe(devs[i]![1][0]);
            expect(parsed[i]!.stats.get("transmit_colls")).toBe(devs[i]![1][13]);
            expect(parsed[i]!.stats.get("transmit_compressed")).toBe(devs[i]![1][15]);
          }
        },
      ),
    );
  });
});

describe("parseCpuList", () => {
  it.each<[string, number[]]>([
    ["", []],
    ["\n", []],
    ["3", [3]],
    ["0-3", [0, 1, 2, 3]],
    ["1,4-5,9\n", [1, 4, 5, 9]],
  ])("%j → %j", (text, cpus) => {
    expect(parseCpuList(text, "isolated")).toEqual(cpus);
  });

  it.each(["a", "1-", "1,,2", "-3"])("rejects %j", (text) => {
    expect(() => parseCpuList(text, "isolated")).toThrow(CollectorError);
  });
});

describe("parseProcStat", () => {
  it("divides jiffies by USER_HZ and pads short cpu lines with zeros", () => {
    const s = parseProcStat("cpu  9 9 9 9\ncpu3 100 200 300 400\nbtime 5\n");
    expect([...s.cpus.keys()]).toEqual(["3"]);
    expect([...s.cpus.get("3")!]).toEqual([100, 200, 300, 400, 0, 0, 0, 0, 0, 0].map((v) => v / USER_HZ));
    expect(s.bootTime).toBe(5);
  });
});

describe("other parsers", () => {
  it("parseLoadavg reads the first three fields", () => {
    expect(parseLoadavg("1.5 2.25 3 1/2 3\n")).toEqual([1.5, 2.25, 3]);
  });

  it("parseMounts unescapes space and tab in mount points only", () => {
    expect(parseMounts("dev\\040x /a\\040b\\011c ext4 rw 0 0\n")).toEqual([
      { device: "dev\\040x", mountPoint: "/a b\tc", fsType: "ext4", options: "rw" },
    ]);
  });

  it("parseDiskstats keeps however many columns the kernel prints", () => {
    const [d] = parseDiskstats("8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n");
    expect(d).toEqual({ major: "8", minor: "0", device: "sda", stats: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] });
  });

  it("parseUdevProperties reads E: lines only, values may contain '='", () => {
    expect([...parseUdevProperties("S:x\nE:A=1\nE:B=c=d\nG:y\n")]).toEqual([
      ["A", "1"],
      ["B", "c=d"],
    ]);
  });

  it.each<[string, string | undefined]>([
    ["node_memory_MemTotal_bytes", "bytes"],
    ["node_disk_read_bytes_total", "bytes"],
    ["node_cpu_seconds_total", "seconds"],
    ["node_cpu_scaling_frequency_hertz", "hertz"],
    ["node_disk_discarded_sectors_total", undefined],
    ["node_load1", undefined],
  ])("unitOf(%s) = %s", (name, unit) => {
    expect(unitOf(name)).toBe(unit);
  });
});

describe("HostCollector options", () => {
  it.each<[string, object]>([
    ["diskExclude", { diskExclude: "(" }],
    ["filesystemExclude.mountPoints", { filesystemExclude: { mountPoints: "[" } }],
    ["netdevExclude", { netdevExclude: "*" }],
  ])("names %s when its pattern is not a valid RegExp", (option, opts) => {
    expect(() => new HostCollector(opts)).toThrow(new RegExp(`option ${option.replace(".", "\\.")}:`));
  });
});
