// Persistent blocks benchmark: ingest the shared bench's data shape (/work/shared/bench/series.mjs:
// 20k series x 480 samples at 15 s by default, one batch per instance scrape) into a DB (head + WAL),
// flush the head into blocks, and report bytes per sample on disk, flush and compaction time, query
// time from blocks, and peak RSS. Prometheus 2.42 measured 4.18 B/sample on this data.
// Build first: npx tsc -p tsconfig.build.json; then: node bench/tsdb-block.mjs [series] [samples]
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSeries, makeTimestamps } from "../../shared/bench/series.mjs";
import { labelsFromPairs, Matcher } from "../dist/model/index.js";
import { openDB } from "../dist/tsdb/index.js";

const SERIES = Number(process.argv[2] ?? 20_000);
const SAMPLES = Number(process.argv[3] ?? 480);
const END = 1_700_000_000_000;
const mb = (n) => `${(n / 1048576).toFixed(1)} MiB`;

function du(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const f of readdirSync(path)) n += du(join(path, f));
  return n;
}

const dir = mkdtempSync(join(tmpdir(), "tsdb-block-bench-"));
try {
  const gen = buildSeries(SERIES, 1);
  const tsOf = makeTimestamps(gen.instances, SAMPLES, END, 1);
  const labels = gen.labels.map((pairs) => labelsFromPairs(pairs.flat()));
  const byInstance = [];
  for (let i = 0; i < SERIES; i++) {
    byInstance[gen.instanceOf[i]] ??= [];
    byInstance[gen.instanceOf[i]].push(i);
  }
  const values = new Float64Array(SERIES);
  const refs = new Float64Array(SERIES);

  const db = await openDB({ dir, compactionIntervalMs: 0 });
  let t0 = performance.now();
  for (let step = 0; step < SAMPLES; step++) {
    gen.step(values);
    for (let inst = 0; inst < byInstance.length; inst++) {
      const ids = byInstance[inst];
      if (ids === undefined) continue;
      const t = tsOf(inst, step);
      const app = db.appender();
      for (const i of ids) refs[i] = app.append(refs[i], labels[i], t, values[i]);
      await app.commit();
    }
  }
  const ingestMs = performance.now() - t0;
  const total = SERIES * SAMPLES;
  const walBytes = du(join(dir, "wal"));

  t0 = performance.now();
  await db.flush();
  const flushMs = performance.now() - t0;
  const blocks = db.blocks.blocks();
  let blockBytes = 0;
  let chunkBytes = 0;
  let indexBytes = 0;
  for (const b of blocks) {
    blockBytes += du(b.dir);
    chunkBytes += du(join(b.dir, "chunks"));
    indexBytes += du(join(b.dir, "index"));
  }
  const samplesInBlocks = blocks.reduce((n, b) => n + b.meta.stats.numSamples, 0);

  t0 = performance.now();
  const q = db.querier(0, END + 1);
  let n = 0;
  for (const s of await q.select([new Matcher("=~", "__name__", ".+")])) {
    const it = s.iterator();
    while (it.next()) n++;
  }
  q.close();
  const queryMs = performance.now() - t0;

  // Appends continue while the blocks are merged: count batches committed during the compaction.
  let during = 0;
  let compacting = true;
  const ticker = (async () => {
    let t = END + 15_000;
    while (compacting) {
      await new Promise((r) => setImmediate(r));
      const app = db.appender();
      t += 15_000;
      app.append(0, labelsFromPairs(["__name__", "bench_live"]), t, during);
      await app.commit();
      during++;
    }
  })();
  t0 = performance.now();
  const res = await db.blocks.compactBlocks(blocks.map((b) => b.ulid));
  const compactMs = performance.now() - t0;
  compacting = false;
  await ticker;
  const compactedBytes = res.created === null ? 0 : du(join(dir, res.created.ulid));
  await db.close();

  console.log(`series ${SERIES}, samples/series ${SAMPLES}, total ${total.toLocaleString()}`);
  console.log(
    `ingest into head + WAL: ${(((total / ingestMs) * 1000) / 1e6).toFixed(2)} M samples/s (${(ingestMs / 1000).toFixed(1)} s), WAL ${mb(walBytes)}`,
  );
  console.log(
    `flush head -> ${blocks.length} block(s): ${flushMs.toFixed(0)} ms, ${samplesInBlocks.toLocaleString()} samples`,
  );
  console.log(
    `on disk: ${mb(blockBytes)} = ${(blockBytes / total).toFixed(3)} B/sample (chunks ${(chunkBytes / total).toFixed(3)}, index ${(indexBytes / total).toFixed(3)}); Prometheus 2.42: 4.18, VictoriaMetrics: 1.94`,
  );
  console.log(`read all ${n.toLocaleString()} samples back from blocks: ${queryMs.toFixed(0)} ms`);
  console.log(
    `compact ${blocks.length} blocks -> 1 (${res.created?.stats.numSamples.toLocaleString()} samples): ${compactMs.toFixed(0)} ms, ${during} batches committed meanwhile; compacted block ${(compactedBytes / total).toFixed(3)} B/sample`,
  );
  console.log(`peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} (Prometheus ~225 MiB)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
