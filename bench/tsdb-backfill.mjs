// Backfill: the 14-day simulator history (relay-monitor demo) written straight into blocks through
// db.backfillAppendable(), against the same history through the head and its WAL; then an
// OpenMetrics file through backfillOpenMetrics. Each run is a child process, so peak RSS is its own.
// Build first: npx tsc -p tsconfig.build.json. Usage: node bench/tsdb-backfill.mjs [DAYS]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const days = Number(process.argv[3] ?? process.argv[2] ?? 14);
const mode = process.argv[2];
const now = Date.UTC(2026, 0, 14, 12);

function du(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const f of readdirSync(path)) n += du(join(path, f));
  return n;
}

const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const peak = () => process.resourceUsage().maxRSS * 1024;

async function history(kind) {
  const { writeHistory } = await import("../dist/relay/sim/index.js");
  const { openDB } = await import("../dist/tsdb/index.js");
  const dir = mkdtempSync(join(tmpdir(), "bench-backfill-"));
  try {
    const db = await openDB({ dir, compactionIntervalMs: 0 });
    const t0 = performance.now();
    const bf = kind === "backfill" ? db.backfillAppendable({ compact: false }) : db;
    const { stats } = await writeHistory({ days, seed: 42, now, appendable: bf });
    if (kind === "backfill") await bf.flush();
    const written = performance.now() - t0;
    const blocksBytes = db.blocks.sizeBytes;
    const walBytes = du(join(dir, "wal"));
    const t1 = performance.now();
    await db.compact();
    const compacted = performance.now() - t1;
    const after = db.blocks.sizeBytes;
    const nBlocks = db.blocks.blocks().length;
    await db.close();
    const rejected = Object.entries(stats.rejected)
      .map(([k, v]) => `${v} ${k}`)
      .join(", ");
    console.log(
      `${kind === "backfill" ? "backfill → blocks" : "head + WAL     "}: ${stats.samples} samples of ${stats.series} series ` +
        `in ${(written / 1000).toFixed(2)} s (${(((stats.samples / written) * 1000) / 1e6).toFixed(2)} M samples/s), ` +
        `blocks ${mib(blocksBytes)} (${(blocksBytes / stats.samples).toFixed(2)} B/sample), WAL ${mib(walBytes)}, ` +
        `peak RSS ${mib(peak())}; then compaction ${(compacted / 1000).toFixed(2)} s → ${nBlocks} blocks, ` +
        `${mib(after)} (${(after / stats.samples).toFixed(2)} B/sample)${rejected ? `; refused: ${rejected}` : ""}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openmetrics() {
  const { backfillOpenMetrics } = await import("../dist/ingest/index.js");
  const { openDB } = await import("../dist/tsdb/index.js");
  const series = 2000;
  const points = 24 * 60;
  const t0 = Math.floor(now / 1000) - points * 60;
  const parts = [];
  for (let s = 0; s < series; s++) {
    if (s % 20 === 0) parts.push(`# TYPE om_metric_${s / 20} gauge\n`);
    const name = `om_metric_${Math.floor(s / 20)}{instance="host-${s % 20}",job="bench"}`;
    let v = s;
    for (let i = 0; i < points; i++) {
      v += ((i * 7919 + s) % 13) - 6;
      parts.push(`${name} ${v} ${t0 + i * 60}\n`);
    }
  }
  parts.push("# EOF\n");
  const text = parts.join("");
  const dir = mkdtempSync(join(tmpdir(), "bench-om-"));
  try {
    const db = await openDB({ dir, compactionIntervalMs: 0 });
    const t1 = performance.now();
    const r = await backfillOpenMetrics(text, db.backfillAppendable({ ordered: false, compact: false }));
    const took = performance.now() - t1;
    const bytes = db.blocks.sizeBytes;
    await db.close();
    console.log(
      `OpenMetrics file (${mib(text.length)}, ${r.series} series × ${points} samples, grouped by series): ` +
        `${r.samples} samples in ${(took / 1000).toFixed(2)} s (${(((r.samples / took) * 1000) / 1e6).toFixed(2)} M samples/s, ` +
        `validation pass included), blocks ${mib(bytes)} (${(bytes / r.samples).toFixed(2)} B/sample), peak RSS ${mib(peak())}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (mode === "backfill" || mode === "head") await history(mode);
else if (mode === "openmetrics") await openmetrics();
else {
  const self = fileURLToPath(import.meta.url);
  for (const m of ["backfill", "head", "openmetrics"]) {
    const r = spawnSync(process.execPath, [self, m, String(days)], { stdio: "inherit" });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
