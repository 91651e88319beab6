// Remote-write receive path without HTTP: decode (snappy + protobuf) and apply into a Head and into
// a DB with its WAL, on the shared benchmark data sent as compare.sh's load does (groups of 500
// series x 4 samples per request, in time order). Prints samples per second for each store.
// Build first: npx tsc -p tsconfig.build.json; then: node bench/remote-write-apply.mjs [series] [samples]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  applyWriteRequest,
  decodeRemoteWrite,
  encodeRemoteWrite,
} from "../dist/ingest/remote_write/index.js";
import { Head, openDB } from "../dist/tsdb/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const shared = process.env.RELAY_SHARED_BENCH ?? resolve(root, "../shared/bench");
const { buildSeries, makeTimestamps } = await import(pathToFileURL(`${shared}/series.mjs`).href);

const S = Number(process.argv[2] ?? 20_000);
const N = Number(process.argv[3] ?? 240);
const BATCH = 500;
const STEPS = 4;
const END = Date.now();

const data = buildSeries(S);
const tsOf = makeTimestamps(data.instances, N, END);
const labels = data.labels.map((pairs) => pairs.map(([name, value]) => ({ name, value })));
const V = new Float64Array(S * N);
const row = new Float64Array(S);
for (let step = 0; step < N; step++) {
  data.step(row);
  for (let i = 0; i < S; i++) V[i * N + step] = row[i];
}
const bodies = [];
for (let w = 0; w < N; w += STEPS) {
  for (let g = 0; g < S; g += BATCH) {
    const timeseries = [];
    for (let i = g; i < Math.min(S, g + BATCH); i++) {
      const samples = [];
      for (let k = w; k < Math.min(N, w + STEPS); k++)
        samples.push({ timestamp: tsOf(data.instanceOf[i], k), value: V[i * N + k] });
      timeseries.push({ labels: labels[i], samples });
    }
    bodies.push(encodeRemoteWrite({ timeseries }));
  }
}
console.log(`${bodies.length} requests, ${S} series x ${N} samples`);

async function run(name, store) {
  const t0 = performance.now();
  let samples = 0;
  for (const body of bodies) samples += (await applyWriteRequest(decodeRemoteWrite(body), store)).samples;
  const ms = performance.now() - t0;
  console.log(
    `${name.padEnd(20)} ${(samples / ms / 1000).toFixed(2).padStart(6)} M samples/s  (${(ms / 1000).toFixed(2)} s)`,
  );
}

await run("decode + Head", new Head());
const dir = mkdtempSync(join(tmpdir(), "rw-apply-"));
try {
  const db = await openDB({ dir, compactionIntervalMs: 0 });
  await run("decode + DB (WAL)", db);
  await db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
