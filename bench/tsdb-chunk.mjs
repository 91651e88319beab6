// XOR chunk codec benchmark on the shared benchmark data (../shared/bench/series.mjs): encodes
// S series x N samples into 120-sample chunks, then decodes them with the iterator and (when the
// build has it) with the bulk decoder. Prints samples per second for each.
// Build first: npx tsc -p tsconfig.build.json; then: node bench/tsdb-chunk.mjs [series] [samples]

import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as chunkMod from "../dist/tsdb/chunk.js";

const { XORAppender, XORIterator } = chunkMod;
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const shared = process.env.RELAY_SHARED_BENCH ?? resolve(root, "../shared/bench");
const { buildSeries, makeTimestamps } = await import(pathToFileURL(`${shared}/series.mjs`).href);

const S = Number(process.argv[2] ?? 2000);
const N = Number(process.argv[3] ?? 480);
const PER_CHUNK = 120;
const END = 1_700_000_000_000;

const data = buildSeries(S);
const tsOf = makeTimestamps(data.instances, N, END);
const T = new Float64Array(S * N);
const V = new Float64Array(S * N);
const row = new Float64Array(S);
for (let step = 0; step < N; step++) {
  data.step(row);
  for (let i = 0; i < S; i++) {
    T[i * N + step] = tsOf(data.instanceOf[i], step);
    V[i * N + step] = row[i];
  }
}
const total = S * N;

function timeIt(name, reps, fn) {
  fn();
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ms = times[times.length >> 1];
  console.log(
    `${name.padEnd(34)} ${(total / ms / 1000).toFixed(2).padStart(7)} M samples/s  (${ms.toFixed(1)} ms)`,
  );
  return ms;
}

let chunks = [];
timeIt("encode (append)", 5, () => {
  chunks = [];
  for (let i = 0; i < S; i++) {
    let app = null;
    for (let j = 0; j < N; j++) {
      if (j % PER_CHUNK === 0) {
        if (app) chunks.push(app.finish());
        app = new XORAppender(64);
      }
      app.append(T[i * N + j], V[i * N + j]);
    }
    chunks.push(app.finish());
  }
});
const bytes = chunks.reduce((a, c) => a + c.bytes.length, 0);
console.log(`${chunks.length} chunks, ${(bytes / total).toFixed(3)} bytes/sample`);

let check = 0;
const it = new XORIterator();
timeIt("decode (iterator next)", 7, () => {
  let s = 0;
  for (const c of chunks) {
    it.reset(c.bytes, c.numSamples);
    while (it.next()) s += it.t;
  }
  check = s;
});

if (typeof chunkMod.decodeInto === "function") {
  const ts = new Float64Array(PER_CHUNK * 2);
  const vs = new Float64Array(PER_CHUNK * 2);
  timeIt("decode (decodeInto, whole chunk)", 7, () => {
    let s = 0;
    for (const c of chunks) {
      const n = chunkMod.decodeInto(c, ts, vs, 0);
      for (let k = 0; k < n; k++) s += ts[k];
    }
    if (s !== check) throw new Error(`decodeInto disagrees with the iterator: ${s} != ${check}`);
  });
}
