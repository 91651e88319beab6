// Crash-test backfiller: opens the compiled DB in DIR and backfills hour after hour of history for
// 20 series at one sample a minute through db.backfillAppendable() (one-day blocks), forever, printing
// "block <minTime>" for each block written. The test kills it with SIGKILL mid-way.
// Usage: node backfill-writer.mjs DIST DIR
import { writeSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dist, dir] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(resolve(dist, path)).href);
const { labelsFromRecord } = await load("model/index.js");
const { openDB } = await load("tsdb/index.js");
const db = await openDB({ dir, compactionIntervalMs: 0, logger: { info() {}, warn() {} } });
const persist = db.blocks.persist.bind(db.blocks);
db.blocks.persist = async (...args) => {
  const meta = await persist(...args);
  if (meta !== null) writeSync(1, `block ${meta.minTime}\n`);
  return meta;
};
const bf = db.backfillAppendable({ compact: false });
const HOUR = 3_600_000;
const labels = Array.from({ length: 20 }, (_, i) => labelsFromRecord({ __name__: "bf", i: String(i) }));
writeSync(1, "ready\n");
for (let h = 0; ; h++) {
  const app = bf.appender();
  for (let t = h * HOUR; t < (h + 1) * HOUR; t += 60_000) {
    for (let i = 0; i < labels.length; i++) app.append(0, labels[i], t, t / 60_000 + i);
  }
  await app.commit();
  await new Promise((r) => setImmediate(r));
}
