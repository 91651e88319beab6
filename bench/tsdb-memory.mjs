// Server memory by phase: starts the built server (../dist/cli/main.js) on a free loopback port with
// a fresh data dir, remote-writes the shared bench's load (default 20,000 series x 480 samples),
// runs its correctness check and then each of its 12 queries, and prints VmRSS and VmHWM of the
// server process after every phase, so the phase that sets the peak can be seen.
// Build first: npx tsc -p tsconfig.build.json; then:
//   node bench/tsdb-memory.mjs [--series N] [--samples N] [--runs N] [--bench DIR] [-- node flags...]
// DIR is the side-by-side harness (default /work/shared/bench: load.mjs, queries.mjs).
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const dashes = process.argv.indexOf("--");
const { values: opt } = parseArgs({
  args: process.argv.slice(2, dashes < 0 ? undefined : dashes),
  options: {
    series: { type: "string", default: "20000" },
    samples: { type: "string", default: "480" },
    runs: { type: "string", default: "3" },
    bench: { type: "string", default: "/work/shared/bench" },
  },
});
const nodeFlags = dashes < 0 ? [] : process.argv.slice(dashes + 1);
const main = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

const port = await new Promise((resolve) => {
  const srv = createServer().listen(0, "127.0.0.1", () => {
    const p = srv.address().port;
    srv.close(() => resolve(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), "relay-mem-"));
const url = `http://127.0.0.1:${port}`;
const server = spawn(
  process.execPath,
  [
    ...nodeFlags,
    main,
    "start",
    "--storage.path",
    join(dir, "data"),
    "--listen",
    `127.0.0.1:${port}`,
    "--no-collectors",
    "--log.level",
    "warn",
  ],
  { stdio: ["ignore", "ignore", "inherit"] },
);

function status() {
  const s = readFileSync(`/proc/${server.pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

function run(script, args) {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [join(opt.bench, script), ...args],
      { maxBuffer: 1 << 24 },
      (err, out, errOut) =>
        err ? reject(new Error(`${script} failed: ${errOut || err.message}`)) : resolve({ out, err: errOut }),
    ),
  );
}

const rows = [];
function phase(name, note = "") {
  const { rss, hwm } = status();
  rows.push({ phase: name, rss, hwm, note });
  console.error(
    `${name.padEnd(30)} RSS ${rss.toFixed(0).padStart(4)} MiB  peak ${hwm.toFixed(0).padStart(4)} MiB  ${note}`,
  );
}

try {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  phase("idle");
  const load = await run("load.mjs", [
    "--url",
    `${url}/api/v1/write`,
    "--series",
    opt.series,
    "--samples",
    opt.samples,
    "--json",
  ]);
  const { start_ms: start, end_ms: end } = JSON.parse(load.out);
  phase(
    "ingest",
    load.err
      .trim()
      .split("\n")
      .pop()
      .replace(/^load: /, "")
      .slice(0, 60),
  );
  const total = Number(opt.series) * Number(opt.samples);
  const range = ["--url", url, "--start", String(start), "--end", String(end)];
  await run("queries.mjs", [
    ...range,
    "--runs",
    "1",
    "--warmup",
    "0",
    "--only",
    "raw_load1",
    "--verify-series",
    opt.series,
    "--verify-samples",
    String(total),
  ]);
  phase("verify");
  // The names of queries.mjs's QUERIES (importing it would run it).
  const names = [
    "cpu_busy_by_instance",
    "cpu_by_mode",
    "http_p99_by_handler",
    "http_p50_publish_by_instance",
    "http_error_ratio",
    "channel_msg_rate",
    "topk_instances_bytes",
    "mem_avail_avg_over_time",
    "subscribers_max_by_channel",
    "net_rx_total_rate",
    "eventloop_lag_p90",
    "raw_load1",
  ];
  for (const q of names) {
    const r = await run("queries.mjs", [...range, "--runs", opt.runs, "--only", q]);
    const m = /median\s+([\d.]+) ms/.exec(r.err);
    phase(q, m ? `median ${m[1]} ms` : "");
  }
  const peak = Math.max(...rows.map((r) => r.hwm));
  console.log(
    JSON.stringify({
      series: Number(opt.series),
      samples: Number(opt.samples),
      nodeFlags,
      peakMiB: Math.round(peak),
      phases: rows,
    }),
  );
} finally {
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}
