#!/usr/bin/env node
// `npm run bench`: the side-by-side comparison (../shared/bench/compare.sh) of relay-monitor with
// Prometheus and VictoriaMetrics on the same load, then our micro-benchmarks. Extra arguments go to
// compare.sh (e.g. `npm run bench -- --quick`). Results land in bench/results/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const shared = process.env.RELAY_SHARED_BENCH ?? resolve(root, "../shared/bench");
const resultsDir = join(root, "bench", "results");
mkdirSync(resultsDir, { recursive: true });

const build = spawnSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")],
  {
    stdio: "inherit",
  },
);
if (build.status !== 0) process.exit(build.status ?? 1);

const args = process.argv.slice(2);
const micro = args.includes("--micro-only");
const compareArgs = args.filter((a) => a !== "--micro-only");
let status = 0;

if (!micro) {
  if (!existsSync(join(shared, "compare.sh"))) {
    console.error(`compare.sh not found in ${shared} (set RELAY_SHARED_BENCH)`);
    process.exit(1);
  }
  const stamp = new Date().toISOString().slice(0, 10);
  const mode = compareArgs.includes("--quick") ? "quick" : "default";
  const out = join(resultsDir, `${stamp}-${mode}.json`);
  const r = spawnSync("bash", [join(shared, "compare.sh"), "--out", out, ...compareArgs], {
    stdio: "inherit",
    env: {
      ...process.env,
      RELAY_CMD: `${process.execPath} ${join(root, "dist/cli/main.js")} start --storage.path {dir} --listen 127.0.0.1:{port} --no-collectors --web.enable-admin-api --log.level warn`,
      RELAY_READY_PATH: "/-/ready",
      RELAY_FLUSH_PATH: process.env.RELAY_FLUSH_PATH ?? "/api/v1/admin/tsdb/flush",
    },
  });
  status = r.status ?? 1;
}

for (const f of readdirSync(join(root, "bench"))
  .filter((f) => f.endsWith(".mjs") && f !== "run.mjs")
  .sort()) {
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, [join(root, "bench", f)], { stdio: "inherit" });
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
