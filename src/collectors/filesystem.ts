import { join } from "node:path";
import {
  CollectorError,
  type HostContext,
  type StatFsFn,
  type StatFsResult,
  type SubCollector,
} from "./context.js";
import type { FamilySet } from "./families.js";

/** node_exporter's default `--collector.filesystem.mount-points-exclude` on Linux. */
export const DEFAULT_MOUNT_POINTS_EXCLUDE =
  /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;

/** node_exporter's default `--collector.filesystem.fs-types-exclude` on Linux. */
export const DEFAULT_FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/;

/** One line of a mounts file. */
export interface MountEntry {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly options: string;
}

/**
 * Parses `/proc/<pid>/mounts` (fstab format). Only `\040` (space) and `\011` (tab) are unescaped
 * in mount points, as node_exporter does; a line with fewer than four fields is an error.
 */
export function parseMounts(text: string, where = "/proc/1/mounts"): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length === 1 && parts[0] === "") continue;
    if (parts.length < 4) {
      throw new CollectorError(`malformed mount point information in ${where}: ${JSON.stringify(line)}`);
    }
    out.push({
      device: parts[0]!,
      mountPoint: parts[1]!.replaceAll("\\040", " ").replaceAll("\\011", "\t"),
      fsType: parts[2]!,
      options: parts[3]!,
    });
  }
  return out;
}

/** Options of the filesystem collector. */
export interface FilesystemOptions {
  readonly mountPointsExclude: RegExp;
  readonly fsTypesExclude: RegExp;
  readonly statfs: StatFsFn;
  /** How long a statfs may take before the mount point counts as stuck (node_exporter: 5 s). */
  readonly mountTimeoutMs: number;
}

type StatOutcome = { ok: true; st: StatFsResult } | { ok: false };

/**
 * node_exporter's `filesystem` collector: size, free, avail, files, files_free, readonly and
 * device_error per mount, from the mounts of PID 1 (falling back to `/proc/mounts` under hidepid)
 * and statfs(2) under the rootfs path. Mounts are deduplicated on (device, mountpoint, fstype),
 * first wins. A statfs that fails gives `device_error 1` and no other series; one that takes longer
 * than the mount timeout marks the mount point stuck, and it is not statted again (it reports
 * `device_error 1`) until that call returns, so a hung NFS server cannot exhaust libuv's threads.
 */
export class FilesystemCollector implements SubCollector {
  readonly name = "filesystem";
  private readonly stuck = new Set<string>();

  constructor(private readonly opts: FilesystemOptions) {}

  async update(ctx: HostContext, out: FamilySet): Promise<void> {
    let path = ctx.proc("1", "mounts");
    let text = await ctx.readOptional(path);
    if (text === undefined) {
      path = ctx.proc("mounts");
      text = await ctx.readRequired(path);
    }
    const seen = new Set<string>();
    const mounts: MountEntry[] = [];
    for (const m0 of parseMounts(text, path)) {
      const m = { ...m0, mountPoint: stripRootfs(m0.mountPoint, ctx.rootfsPath) };
      if (this.opts.mountPointsExclude.test(m.mountPoint) || this.opts.fsTypesExclude.test(m.fsType))
        continue;
      const key = `${m.device}\xff${m.mountPoint}\xff${m.fsType}`;
      if (seen.has(key)) continue;
      seen.add(key);
      mounts.push(m);
    }
    const outcomes = await Promise.all(
      mounts.map((m) => this.stat(join(ctx.rootfsPath, m.mountPoint), m.mountPoint)),
    );
    for (let i = 0; i < mounts.length; i++) {
      const m = mounts[i]!;
      const r = outcomes[i]!;
      const labels = { device: m.device, fstype: m.fsType, mountpoint: m.mountPoint };
      out.add(
        "node_filesystem_device_error",
        "Whether an error occurred while getting statistics for the given device.",
        "gauge",
        r.ok ? 0 : 1,
        labels,
      );
      if (!r.ok) continue;
      const st = r.st;
      const g = (name: string, help: string, v: number) => out.add(name, help, "gauge", v, labels);
      g("node_filesystem_size_bytes", "Filesystem size in bytes.", st.blocks * st.bsize);
      g("node_filesystem_free_bytes", "Filesystem free space in bytes.", st.bfree * st.bsize);
      g(
        "node_filesystem_avail_bytes",
        "Filesystem space available to non-root users in bytes.",
        st.bavail * st.bsize,
      );
      g("node_filesystem_files", "Filesystem total file nodes.", st.files);
      g("node_filesystem_files_free", "Filesystem total free file nodes.", st.ffree);
      g(
        "node_filesystem_readonly",
        "Filesystem read-only status.",
        m.options.split(",").includes("ro") ? 1 : 0,
      );
    }
  }

  private async stat(path: string, mountPoint: string): Promise<StatOutcome> {
    if (this.stuck.has(mountPoint)) return { ok: false };
    const call = this.opts.statfs(path).then(
      (st): StatOutcome => ({ ok: true, st }),
      (): StatOutcome => ({ ok: false }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.opts.mountTimeoutMs);
      timer.unref();
    });
    const r = await Promise.race([call, timeout]);
    clearTimeout(timer);
    if (r !== "timeout") return r;
    this.stuck.add(mountPoint);
    void call.then(() => this.stuck.delete(mountPoint));
    return { ok: false };
  }
}

function stripRootfs(mountPoint: string, rootfs: string): string {
  if (rootfs === "/" || rootfs === "") return mountPoint;
  const prefix = rootfs.endsWith("/") ? rootfs.slice(0, -1) : rootfs;
  if (!mountPoint.startsWith(prefix)) return mountPoint;
  const stripped = mountPoint.slice(prefix.length);
  return stripped === "" ? "/" : stripped;
}
