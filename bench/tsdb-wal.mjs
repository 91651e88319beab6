// WAL benchmark: append+commit samples/s through the DB (head + WAL, default fsync policy) against
// the bare head on the same workload, WAL bytes per sample, and replay samples/s after reopening.
// Workload as bench/tsdb-head.mjs (20k series x 480 samples, 15 s interval), sent like remote
// write: batches of 2,000 samples looked up by labels.
// Build first: npx tsc -p tsconfig.build.json; then: node bench/tsdb-wal.mjs [series] [samples] [fsync]
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labelsFromRecord } from "../dist/model/index.js";
import { Head, openDB } from "../dist/tsdb/index.js";

const SERIES = Number(process.argv[2] ?? 20_000);
const SAMPLES = Number(process.argv[3] ?? 480);
const FSYNC = process.argv[4] ?? "interval";
const BATCH = 2_000;
const START = 1_700_000_000_000;

const labels = [];
for (let i = 0; i < SERIES; i++) {
  const target = Math.floor(i / 100);
  labels.push(
    labelsFromRecord({
      __name__: `relay_metric_${i % 100}_${i % 5 === 0 ? "bytes" : "total"}`,
      job: `job_${target % 10}`,
      instance: `10.0.${Math.floor(target / 250)}.${target % 250}:9100`,
      kind: i % 3 === 0 ? "a" : i % 3 === 1 ? "b" : "c",
    }),
  );
}

function makeValues() {
  const state = new Float64Array(SERIES);
  for (let i = 0; i < SERIES; i++) state[i] = (i % 10) * 1000;
  let seed = 1;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  return (i) => {
    const kind = i % 10;
    if (kind < 5) state[i] += Math.floor(rnd() * (kind + 1) * 200);
    else if (kind < 7) state[i] = rnd() < 0.01 ? state[i] + 1 : state[i];
    else state[i] += Math.round(rnd() * 20 - 10);
    return state[i];
  };
}

/** Sends the whole workload to `store`; returns samples/s. */
async function ingest(store) {
  const value = makeValues();
  const t0 = performance.now();
  let batches = 0;
  for (let s = 0; s < SAMPLES; s++) {
    const ts = START + s * 15_000;
    for (let from = 0; from < SERIES; from += BATCH) {
      const app = store.appender();
      const end = Math.min(SERIES, from + BATCH);
      for (let i = from; i < end; i++) app.append(0, labels[i], ts, value(i));
      await app.commit();
      // let timers and I/O run between batches, as a server does between requests
      if (++batches % 10 === 0) await new Promise((r) => setImmediate(r));
    }
  }
  return (SERIES * SAMPLES * 1000) / (performance.now() - t0);
}

function dirBytes(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

const total = SERIES * SAMPLES;
const m = (x) => `${(x / 1e6).toFixed(2)} M samples/s`;
console.log(
  `series ${SERIES}, samples/series ${SAMPLES}, total ${total.toLocaleString()}, batches of ${BATCH}, fsync ${FSYNC}`,
);

const headRate = await ingest(new Head());
console.log(`head only: append+commit ${m(headRate)}`);

const dir = mkdtempSync(join(tmpdir(), "tsdb-wal-bench-"));
try {
  const db = await openDB({ dir, fsync: FSYNC });
  const dbRate = await ingest(db);
  await db.close();
  const walBytes = dirBytes(join(dir, "wal"));
  console.log(
    `DB (head + WAL): append+commit ${m(dbRate)} (${((dbRate / headRate) * 100).toFixed(0)}% of head only)`,
  );
  console.log(`WAL: ${(walBytes / 1048576).toFixed(1)} MB, ${(walBytes / total).toFixed(2)} B/sample`);

  const t0 = performance.now();
  const again = await openDB({ dir });
  const openMs = performance.now() - t0;
  const r = again.replay;
  console.log(
    `replay: ${r.samples.toLocaleString()} samples, ${r.series} series in ${r.durationMs.toFixed(0)} ms: ${m(r.samplesPerSecond)} (openDB ${openMs.toFixed(0)} ms)`,
  );
  if (r.appliedSamples !== total) console.log(`MISMATCH: applied ${r.appliedSamples} of ${total}`);
  await again.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
