import { CollectorError, type HostContext, parseNumber, type SubCollector } from "./context.js";
import type { FamilySet } from "./families.js";

/**
 * Parses `/proc/meminfo` into node_exporter's field names and base units: `Active(anon)` becomes
 * `Active_anon`; a value with a unit (always kB) is multiplied by 1024 and its name gets `_bytes`;
 * a value without one (HugePages_Total) keeps its name and value.
 */
export function parseMeminfo(text: string, where = "/proc/meminfo"): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === "") continue;
    const rawKey = parts[0]!;
    if (parts.length < 2 || parts.length > 3 || !rawKey.endsWith(":")) {
      throw new CollectorError(`invalid line in ${where}: ${JSON.stringify(line)}`);
    }
    let key = rawKey.slice(0, -1).replace(/\((.*)\)/, "_$1");
    let value = parseNumber(parts[1], `${where} field ${key}`);
    if (parts.length === 3) {
      value *= 1024;
      key += "_bytes";
    }
    out.set(key, value);
  }
  return out;
}

/** node_exporter's `meminfo` collector: one `node_memory_<Field>` gauge per `/proc/meminfo` line. */
export class MeminfoCollector implements SubCollector {
  readonly name = "meminfo";

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const path = ctx.proc("meminfo");
    for (const [key, value] of parseMeminfo(await ctx.readRequired(path), path)) {
      out.add(
        `node_memory_${key}`,
        `Memory information field ${key}.`,
        key.endsWith("_total") ? "counter" : "gauge",
        value,
      );
    }
  }
}

/** Parses the three load averages of `/proc/loadavg`. */
export function parseLoadavg(text: string, where = "/proc/loadavg"): [number, number, number] {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 3) throw new CollectorError(`unexpected content in ${where}: ${JSON.stringify(text)}`);
  return [
    parseNumber(parts[0], `${where} field 1`),
    parseNumber(parts[1], `${where} field 2`),
    parseNumber(parts[2], `${where} field 3`),
  ];
}

/** node_exporter's `loadavg` collector: `node_load1`, `node_load5`, `node_load15`. */
export class LoadavgCollector implements SubCollector {
  readonly name = "loadavg";

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const path = ctx.proc("loadavg");
    const [l1, l5, l15] = parseLoadavg(await ctx.readRequired(path), path);
    out.add("node_load1", "1m load average.", "gauge", l1);
    out.add("node_load5", "5m load average.", "gauge", l5);
    out.add("node_load15", "15m load average.", "gauge", l15);
  }
}
