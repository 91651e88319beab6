import { join } from "node:path";
import { CollectorError, type HostContext, parseNumber, type SubCollector } from "./context.js";
import type { FamilySet } from "./families.js";

/** node_exporter's default `--collector.diskstats.device-exclude` on Linux (partitions, ram, loop...). */
export const DEFAULT_DISK_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** /proc/diskstats counts sectors of 512 bytes whatever the device's sector size. */
const SECTOR_BYTES = 512;
/** /proc/diskstats times are in milliseconds. */
const MS = 0.001;

/**
 * The per-device series, in /proc/diskstats column order (after major, minor, name), each with the
 * factor its raw value is multiplied by. A kernel that prints fewer columns gets fewer series.
 * Discarded sectors stay in sectors, as in node_exporter.
 */
const DISK_COLUMNS: ReadonlyArray<readonly [string, string, "counter" | "gauge", number]> = [
  ["node_disk_reads_completed_total", "The total number of reads completed successfully.", "counter", 1],
  ["node_disk_reads_merged_total", "The total number of reads merged.", "counter", 1],
  ["node_disk_read_bytes_total", "The total number of bytes read successfully.", "counter", SECTOR_BYTES],
  ["node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", "counter", MS],
  ["node_disk_writes_completed_total", "The total number of writes completed successfully.", "counter", 1],
  ["node_disk_writes_merged_total", "The number of writes merged.", "counter", 1],
  [
    "node_disk_written_bytes_total",
    "The total number of bytes written successfully.",
    "counter",
    SECTOR_BYTES,
  ],
  [
    "node_disk_write_time_seconds_total",
    "This is the total number of seconds spent by all writes.",
    "counter",
    MS,
  ],
  ["node_disk_io_now", "The number of I/Os currently in progress.", "gauge", 1],
  ["node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", "counter", MS],
  ["node_disk_io_time_weighted_seconds_total", "The weighted # of seconds spent doing I/Os.", "counter", MS],
  [
    "node_disk_discards_completed_total",
    "The total number of discards completed successfully.",
    "counter",
    1,
  ],
  ["node_disk_discards_merged_total", "The total number of discards merged.", "counter", 1],
  ["node_disk_discarded_sectors_total", "The total number of sectors discarded successfully.", "counter", 1],
  [
    "node_disk_discard_time_seconds_total",
    "This is the total number of seconds spent by all discards.",
    "counter",
    MS,
  ],
  [
    "node_disk_flush_requests_total",
    "The total number of flush requests completed successfully",
    "counter",
    1,
  ],
  [
    "node_disk_flush_requests_time_seconds_total",
    "This is the total number of seconds spent by all flush requests.",
    "counter",
    MS,
  ],
];

/** One line of /proc/diskstats. */
export interface DiskStatsLine {
  readonly major: string;
  readonly minor: string;
  readonly device: string;
  /** The raw counters after the device name. */
  readonly stats: readonly number[];
}

/** Parses /proc/diskstats; a line with fewer than 14 fields is an error. */
export function parseDiskstats(text: string, where = "/proc/diskstats"): DiskStatsLine[] {
  const out: DiskStatsLine[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === "") continue;
    if (parts.length < 14) {
      throw new CollectorError(`invalid line in ${where}: ${JSON.stringify(line)}`);
    }
    const device = parts[2]!;
    const stats = parts.slice(3).map((s, i) => parseNumber(s, `${where} device ${device} column ${i + 4}`));
    out.push({ major: parts[0]!, minor: parts[1]!, device, stats });
  }
  return out;
}

/** Parses a udev database file (`/run/udev/data/b<major>:<minor>`) into its `E:` properties. */
export function parseUdevProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("E:")) continue;
    const eq = line.indexOf("=", 2);
    if (eq > 0) out.set(line.slice(2, eq), line.slice(eq + 1));
  }
  return out;
}

const ATA_PROPERTIES: ReadonlyArray<readonly [string, string, string]> = [
  ["ID_ATA_WRITE_CACHE", "node_disk_ata_write_cache", "ATA disk has a write cache."],
  [
    "ID_ATA_WRITE_CACHE_ENABLED",
    "node_disk_ata_write_cache_enabled",
    "ATA disk has its write cache enabled.",
  ],
  [
    "ID_ATA_ROTATION_RATE_RPM",
    "node_disk_ata_rotation_rate_rpm",
    "ATA disk rotation rate in RPMs (0 for SSDs).",
  ],
];

/**
 * node_exporter's `diskstats` collector: every /proc/diskstats counter per device in base units
 * (bytes, seconds), `node_disk_info` with the udev identity of the disk, and the udev-derived
 * `node_disk_filesystem_info`, `node_disk_device_mapper_info` and `node_disk_ata_*` where udev knows
 * them. Devices matching the exclude pattern (partitions, ram, loop by default) are skipped.
 */
export class DiskstatsCollector implements SubCollector {
  readonly name = "diskstats";

  constructor(private readonly exclude: RegExp | undefined) {}

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    const path = ctx.proc("diskstats");
    const lines = parseDiskstats(await ctx.readRequired(path), path).filter(
      (l) => this.exclude === undefined || !this.exclude.test(l.device),
    );
    const udev = await Promise.all(
      lines.map(async (l) => {
        const text = await ctx.readOptional(join(ctx.udevDataPath, `b${l.major}:${l.minor}`));
        return text === undefined ? new Map<string, string>() : parseUdevProperties(text);
      }),
    );
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      const info = udev[i]!;
      const p = (k: string) => info.get(k) ?? "";
      const device = l.device;
      out.add("node_disk_info", "Info of /sys/block/<block_device>.", "gauge", 1, {
        device,
        major: l.major,
        minor: l.minor,
        model: p("ID_MODEL"),
        path: p("ID_PATH"),
        revision: p("ID_REVISION"),
        serial: p("SCSI_IDENT_SERIAL") || p("ID_SERIAL_SHORT"),
        wwn: p("ID_WWN"),
      });
      const labels = { device };
      const n = Math.min(l.stats.length, DISK_COLUMNS.length);
      for (let c = 0; c < n; c++) {
        const [name, help, type, factor] = DISK_COLUMNS[c]!;
        out.add(name, help, type, l.stats[c]! * factor, labels);
      }
      if (p("ID_FS_TYPE") !== "") {
        out.add("node_disk_filesystem_info", "Info about disk filesystem.", "gauge", 1, {
          device,
          type: p("ID_FS_TYPE"),
          usage: p("ID_FS_USAGE"),
          uuid: p("ID_FS_UUID"),
          version: p("ID_FS_VERSION"),
        });
      }
      if (p("DM_NAME") !== "") {
        out.add("node_disk_device_mapper_info", "Info about disk device mapper.", "gauge", 1, {
          device,
          name: p("DM_NAME"),
          uuid: p("DM_UUID"),
          vg_name: p("DM_VG_NAME"),
          lv_name: p("DM_LV_NAME"),
          lv_layer: p("DM_LV_LAYER"),
        });
      }
      if (p("ID_ATA") !== "") {
        for (const [prop, name, help] of ATA_PROPERTIES) {
          const raw = info.get(prop);
          if (raw === undefined) continue;
          const v = Number(raw);
          if (raw.trim() !== "" && !Number.isNaN(v)) out.add(name, help, "gauge", v, labels);
        }
      }
    }
  }
}
