// Crash-test writer: opens the compiled DB in DIR and commits batch after batch forever, printing
// each batch id on stdout once its commit has resolved (acknowledged). The test kills it with
// SIGKILL. Batch k's content is a pure function of k (see crashBatch in db.test.ts).
// Usage: node crash-writer.mjs DIST DIR FIRST_BATCH (DIST: the compiled src/, e.g. ../../../dist)
import { writeSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dist, dir, first] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(resolve(dist, path)).href);
const { labelsFromRecord, STALE_NAN } = await load("model/index.js");
const { openDB } = await load("tsdb/index.js");
const db = await openDB({
  dir,
  walSegmentSize: 8 * 1024,
  checkpointAfterSegments: 2,
  logger: { info() {}, warn: (m) => writeSync(2, `${m}\n`) },
});
writeSync(1, `ready ${db.replay.samples}\n`);

/** Series of batch k as [labels, j] (must match crashBatch in db.test.ts); all at one timestamp. */
function batch(k) {
  const out = [];
  for (let j = 0; j < 10 + (k % 5); j++) out.push([{ __name__: "crash_metric", j: String(j) }, j]);
  if (k % 10 === 0) out.push([{ __name__: "crash_born", k: String(k) }, -1]);
  return out;
}

/** The value of series j in batch k; returned from a function, never kept in an array (NaN bits). */
function value(k, j) {
  if (j === -1) return k;
  return j === 0 && k % 17 === 0 ? STALE_NAN : k * 1000 + j;
}

for (let k = Number(first); ; k++) {
  const app = db.appender();
  const t = 1_700_000_000_000 + k * 1000;
  for (const [labels, j] of batch(k)) app.append(0, labelsFromRecord(labels), t, value(k, j));
  await app.commit();
  writeSync(1, `${k}\n`);
  // let I/O (fsync timer, background checkpoints) run, as a server between requests does
  if (k % 10 === 0) await new Promise((r) => setImmediate(r));
}
