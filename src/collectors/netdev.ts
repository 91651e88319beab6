import {
  CollectorError,
  type HostContext,
  parseNumber,
  parseUintFile,
  type SubCollector,
} from "./context.js";
import type { FamilySet } from "./families.js";

/** One interface of /proc/net/dev: counters keyed `receive_bytes`, `transmit_colls`, ... */
export interface NetDevStats {
  readonly device: string;
  readonly stats: Map<string, number>;
}

/**
 * Parses /proc/net/dev. The column names come from its second header line
 * (`face |bytes packets ...|bytes packets ...`), prefixed `receive_` and `transmit_`.
 */
export function parseNetDev(text: string, where = "/proc/net/dev"): NetDevStats[] {
  const lines = text.split("\n");
  const header = lines[1]?.split("|");
  if (header === undefined || header.length !== 3) {
    throw new CollectorError(`invalid header line in ${where}: ${JSON.stringify(lines[1] ?? "")}`);
  }
  const names = [
    ...header[1]!
      .trim()
      .split(/\s+/)
      .map((c) => `receive_${c}`),
    ...header[2]!
      .trim()
      .split(/\s+/)
      .map((c) => `transmit_${c}`),
  ];
  const out: NetDevStats[] = [];
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new CollectorError(`invalid line in ${where}: ${JSON.stringify(line)}`);
    const device = line.slice(0, colon).trim();
    const values = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (values.length !== names.length) {
      throw new CollectorError(
        `device ${device} in ${where} has ${values.length} columns, the header names ${names.length}`,
      );
    }
    const stats = new Map<string, number>();
    for (let c = 0; c < names.length; c++) {
      stats.set(names[c]!, parseNumber(values[c], `${where} device ${device} column ${names[c]}`));
    }
    out.push({ device, stats });
  }
  return out;
}

/**
 * node_exporter's `netdev` collector: `node_network_<direction>_<column>_total{device}` for every
 * column of /proc/net/dev, plus `receive_nohandler` from sysfs where the kernel has it (what
 * node_exporter's netlink mode reports). Devices matching the exclude pattern are skipped.
 */
export class NetdevCollector implements SubCollector {
  readonly name = "netdev";

  constructor(private readonly exclude: RegExp | undefined) {}

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const path = ctx.proc("net", "dev");
    const devs = parseNetDev(await ctx.readRequired(path), path).filter(
      (d) => this.exclude === undefined || !this.exclude.test(d.device),
    );
    const nohandler = await Promise.all(
      devs.map((d) => ctx.readOptional(ctx.sys("class", "net", d.device, "statistics", "rx_nohandler"))),
    );
    for (let i = 0; i < devs.length; i++) {
      const d = devs[i]!;
      const stats = new Map(d.stats);
      const nh = parseUintFile(nohandler[i]);
      if (nh !== undefined) stats.set("receive_nohandler", nh);
      for (const [key, value] of stats) {
        out.add(`node_network_${key}_total`, `Network device statistic ${key}.`, "counter", value, {
          device: d.device,
        });
      }
    }
  }
}
