// In-memory head benchmark: append+commit samples/s and bytes/sample on a realistic dataset
// (20k series x 480 samples: 50% counters with integer increments, 20% near-constant gauges such as
// `up`, 30% integer random-walk gauges; 15 s scrape interval with a few ms of jitter; 200 targets of
// 100 series each, one batch per target scrape).
// Build first: npx tsc -p tsconfig.build.json; then: node --expose-gc bench/tsdb-head.mjs [series] [samples]
import { labelsFromRecord, Matcher } from "../dist/model/index.js";
import { Head } from "../dist/tsdb/index.js";

const SERIES = Number(process.argv[2] ?? 20_000);
const SAMPLES = Number(process.argv[3] ?? 480);
const PER_TARGET = 100;
const TARGETS = Math.ceil(SERIES / PER_TARGET);
const START = 1_700_000_000_000;

function mb(n) {
  return `${(n / 1048576).toFixed(1)} MB`;
}

function gc() {
  if (globalThis.gc) {
    globalThis.gc();
    globalThis.gc();
  }
}

gc();
const base = process.memoryUsage();

const labels = [];
for (let i = 0; i < SERIES; i++) {
  const target = Math.floor(i / PER_TARGET);
  labels.push(
    labelsFromRecord({
      __name__: `relay_metric_${i % PER_TARGET}_${i % 5 === 0 ? "bytes" : "total"}`,
      job: `job_${target % 10}`,
      instance: `10.0.${Math.floor(target / 250)}.${target % 250}:9100`,
      kind: i % 3 === 0 ? "a" : i % 3 === 1 ? "b" : "c",
    }),
  );
}
const state = new Float64Array(SERIES);
for (let i = 0; i < SERIES; i++) state[i] = (i % 10) * 1000;

const head = new Head();
const refs = new Float64Array(SERIES);
let jitterSeed = 1;
function jitter() {
  jitterSeed = (jitterSeed * 1103515245 + 12345) & 0x7fffffff;
  return (jitterSeed % 11) - 5;
}

function value(i) {
  const kind = i % 10;
  if (kind < 5) state[i] += Math.floor(Math.random() * (kind + 1) * 200);
  else if (kind < 7) state[i] = Math.random() < 0.01 ? state[i] + 1 : state[i];
  else state[i] += Math.round(Math.random() * 20 - 10);
  return state[i];
}

// First round: series creation by labels (like a first scrape or remote write without a cache).
let t0 = performance.now();
for (let tg = 0; tg < TARGETS; tg++) {
  const app = head.appender();
  const ts = START + jitter();
  for (let i = tg * PER_TARGET; i < Math.min(SERIES, (tg + 1) * PER_TARGET); i++) {
    refs[i] = app.append(0, labels[i], ts, value(i));
  }
  await app.commit();
}
const createMs = performance.now() - t0;

// Steady state: cached refs, one batch per target scrape.
t0 = performance.now();
for (let s = 1; s < SAMPLES; s++) {
  for (let tg = 0; tg < TARGETS; tg++) {
    const app = head.appender();
    const ts = START + s * 15_000 + jitter();
    const end = Math.min(SERIES, (tg + 1) * PER_TARGET);
    for (let i = tg * PER_TARGET; i < end; i++) app.append(refs[i], null, ts, value(i));
    await app.commit();
  }
}
const steadyMs = performance.now() - t0;
const steadySamples = SERIES * (SAMPLES - 1);

gc();
const mem = process.memoryUsage();
const bytes = head.chunkBytes();
const total = SERIES * SAMPLES;

// Label-lookup path (remote-write style: labels on every sample, no refs), on a fresh head.
const head2 = new Head();
const ROUNDS = 20;
t0 = performance.now();
for (let s = 0; s < ROUNDS; s++) {
  const app = head2.appender();
  const ts = START + s * 15_000;
  for (let i = 0; i < SERIES; i++) app.append(0, labels[i], ts, value(i));
  await app.commit();
}
const byLabelsMs = performance.now() - t0;

// Queries: one metric across all targets, full range; and a regex over instances.
const q = head.querier(START, START + SAMPLES * 15_000);
t0 = performance.now();
const sel = await q.select([new Matcher("=", "__name__", "relay_metric_7_total")]);
let decoded = 0;
for (const s of sel) {
  const it = s.iterator();
  while (it.next()) decoded++;
}
const selectMs = performance.now() - t0;
t0 = performance.now();
let all = 0;
for (const s of await q.select([new Matcher("=~", "job", "job_1|job_2|job_3")])) {
  const it = s.iterator();
  while (it.next()) all++;
}
const decodeMs = performance.now() - t0;

console.log(`series ${SERIES}, samples/series ${SAMPLES}, total ${total.toLocaleString()}`);
console.log(`create (by labels, ${TARGETS} batches): ${((SERIES / createMs) * 1000).toFixed(0)} samples/s`);
console.log(
  `steady append+commit (refs, batches of ${PER_TARGET}): ${(((steadySamples / steadyMs) * 1000) / 1e6).toFixed(2)} M samples/s`,
);
console.log(
  `append by labels (batches of ${SERIES}): ${((((SERIES * ROUNDS) / byLabelsMs) * 1000) / 1e6).toFixed(2)} M samples/s`,
);
console.log(
  `chunk bytes: used ${mb(bytes.used)} (${(bytes.used / total).toFixed(2)} B/sample), allocated ${mb(bytes.allocated)}`,
);
console.log(`chunks: ${head.stats().headStats.chunkCount}`);
console.log(
  `after ingest: heapUsed ${mb(mem.heapUsed - base.heapUsed)} over baseline, heapTotal ${mb(mem.heapTotal)}, arrayBuffers ${mb(mem.arrayBuffers)}, rss ${mb(mem.rss)} (peak ${mb(process.resourceUsage().maxRSS * 1024)})`,
);
console.log(
  `select 1 metric (${sel.length} series, ${decoded} samples): ${selectMs.toFixed(1)} ms; decode ${all.toLocaleString()} samples: ${decodeMs.toFixed(0)} ms (${(((all / decodeMs) * 1000) / 1e6).toFixed(1)} M/s)`,
);
