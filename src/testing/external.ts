import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { describe, it } from "vitest";

/** Whether an external program a test needs is installed, and what to do about it if not. */
export interface BinaryRequirement {
  /** The absolute path that was checked. */
  readonly path: string;
  /** The Debian package that provides it. */
  readonly debianPackage: string;
  /** True when the file exists and is executable by this process. */
  readonly available: boolean;
  /** A sentence naming the path and the `apt-get install` that provides it. */
  readonly message: string;
}

/** What a test that needs an external program does: run, skip (developer machine) or fail (CI). */
export type BinaryPolicy = "run" | "skip" | "fail";

/**
 * Checks that `path` is an executable file. It never throws: the answer says whether it is
 * available and, when not, how to install it.
 * @example requireBinary("/usr/bin/promtool", "prometheus").available
 */
export function requireBinary(path: string, debianPackage: string): BinaryRequirement {
  let available = true;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    available = false;
  }
  const message = available
    ? `${path} is available`
    : `${path} is not installed; install it with \`apt-get install ${debianPackage}\``;
  return { path, debianPackage, available, message };
}

/**
 * The house rule for tests that need an external program: run when it is installed; when it is
 * not, skip on a developer machine but fail in CI (`CI=true`), where it must be installed.
 */
export function binaryPolicy(available: boolean, env: NodeJS.ProcessEnv = process.env): BinaryPolicy {
  if (available) return "run";
  return env.CI === "true" ? "fail" : "skip";
}

/**
 * A vitest `describe` block that needs the program at `path`. When it is installed, `body`
 * registers the tests as usual. When it is missing, the block is skipped with a title naming the
 * `apt-get install` command, except in CI (`CI=true`), where the block holds one failing test
 * carrying that message instead.
 * @example
 * describeWithBinary("/usr/bin/prometheus-node-exporter", "prometheus-node-exporter",
 *   "agrees with node_exporter", (binary) => { it("...", async () => { ... }); });
 */
export function describeWithBinary(
  path: string,
  debianPackage: string,
  name: string,
  body: (binary: string) => void,
): void {
  const req = requireBinary(path, debianPackage);
  switch (binaryPolicy(req.available)) {
    case "run":
      describe(name, () => body(path));
      return;
    case "skip":
      describe.skip(`${name} (skipped: ${req.message})`, () => {
        it("needs an external program", () => {});
      });
      return;
    case "fail":
      describe(name, () => {
        it(`needs ${path}`, () => {
          throw new Error(`CI=true and ${req.message}`);
        });
      });
      return;
  }
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago (the OS picked it). Another process may take
 * it before the caller binds, so a caller that can should retry on EADDRINUSE.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error("could not get a free port"))));
    });
  });
}
