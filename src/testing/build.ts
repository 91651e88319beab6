import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Vitest global setup: compiles src/ to dist/ once before the suite, so tests that start the real
 * CLI in a child process (signals, crash and restart) run the code under test, not a stale build.
 * Type errors do not stop the build here (`npm test` type-checks separately); dist is emitted
 * regardless.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  try {
    execFileSync(
      process.execPath,
      [`${root}/node_modules/typescript/bin/tsc`, "-p", `${root}/tsconfig.build.json`],
      {
        cwd: root,
        stdio: "pipe",
      },
    );
  } catch {
    // emitted anyway; the type check reports the errors
  }
}
