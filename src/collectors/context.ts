import { open, readdir, statfs } from "node:fs/promises";
import { join } from "node:path";
import type { FamilySet } from "./families.js";

/** Thrown by a host sub-collector when a file it cannot do without is missing or malformed. */
export class CollectorError extends Error {
  override name = "CollectorError";
}

/** The subset of `fs.StatFs` the filesystem collector uses. */
export interface StatFsResult {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
  readonly files: number;
  readonly ffree: number;
}

/** A statfs(2) call: the real one, or a fake in tests. */
export type StatFsFn = (path: string) => Promise<StatFsResult>;

/** The default {@link StatFsFn}: `fs.promises.statfs` with numbers, not bigints. */
export const realStatfs: StatFsFn = (path) => statfs(path, { bigint: false });

/**
 * What one collection shares between the sub-collectors: the resolved paths and a per-collection
 * cache of file reads, so `/proc/stat` (read by `cpu` and `stat`) is read once.
 */
export class HostContext {
  private readonly reads = new Map<string, Promise<string | undefined>>();
  private readonly dirs = new Map<string, Promise<string[]>>();

  constructor(
    readonly procPath: string,
    readonly sysPath: string,
    readonly rootfsPath: string,
    readonly udevDataPath: string,
  ) {}

  /** A path under the proc mount, e.g. `proc("stat")`. */
  proc(...parts: string[]): string {
    return join(this.procPath, ...parts);
  }

  /** A path under the sys mount, e.g. `sys("class", "net")`. */
  sys(...parts: string[]): string {
    return join(this.sysPath, ...parts);
  }

  /** The file's text, or undefined when it cannot be read (missing, no permission, not a file). */
  readOptional(path: string): Promise<string | undefined> {
    let p = this.reads.get(path);
    if (p === undefined) {
      p = readText(path).then(
        (s) => s,
        () => undefined,
      );
      this.reads.set(path, p);
    }
    return p;
  }

  /** The file's text; throws a {@link CollectorError} naming the path when it cannot be read. */
  async readRequired(path: string): Promise<string> {
    const s = await this.readOptional(path);
    if (s === undefined) throw new CollectorError(`cannot read ${path}`);
    return s;
  }

  /** The directory's entry names, sorted, or `[]` when it cannot be listed. */
  listDir(path: string): Promise<string[]> {
    let p = this.dirs.get(path);
    if (p === undefined) {
      p = readdir(path).then(
        (names) => names.sort(),
        () => [],
      );
      this.dirs.set(path, p);
    }
    return p;
  }

  /**
   * The names of `/sys/devices/system/cpu/cpuN` directories, in numeric order (shared by the
   * `cpu` and `cpufreq` collectors).
   */
  async cpuDirs(): Promise<string[]> {
    const names = await this.listDir(this.sys("devices", "system", "cpu"));
    return names.filter((n) => /^cpu\d+$/.test(n)).sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
  }
}

/**
 * Reads a whole file as UTF-8 with one open, reads until end of file, and one close: cheaper than
 * `readFile`, which also stats the file (and procfs/sysfs report sizes that are not the content's).
 */
async function readText(path: string): Promise<string> {
  const fh = await open(path, "r");
  try {
    let buf = Buffer.allocUnsafe(8192);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, len, buf.length - len, null);
      if (bytesRead === 0) break;
      len += bytesRead;
    }
    return buf.toString("utf8", 0, len);
  } finally {
    await fh.close();
  }
}

/** One of the host collector's parts, named as node_exporter names its collectors. */
export interface SubCollector {
  readonly name: string;
  update(ctx: HostContext, out: FamilySet): Promise<void>;
}

/** Parses a decimal number from a kernel file; throws a {@link CollectorError} naming `where`. */
export function parseNumber(s: string | undefined, where: string): number {
  if (s === undefined || s === "") throw new CollectorError(`missing number in ${where}`);
  const v = Number(s);
  if (Number.isNaN(v) || !/^[-+]?(\d|\.\d)/.test(s)) {
    throw new CollectorError(`invalid number ${JSON.stringify(s)} in ${where}`);
  }
  return v;
}

/** Parses a whole file holding one unsigned integer (sysfs style); undefined when not a number. */
export function parseUintFile(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}
