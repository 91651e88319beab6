import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { labelsFromRecord, labelsToRecord, Matcher } from "../../model/index.js";
import type { Appender, Storage } from "../../storage/index.js";
import { type DB, type DBOptions, openDB } from "../db.js";
import { runStorageSuite } from "../storage.case.js";
import { tempDir } from "./testutil.js";

const tmp = tempDir("rm-dbblock-");
afterAll(() => tmp.cleanup());
let dirs = 0;
const freshDir = () => join(tmp.dir, String(dirs++));
const H = 3600_000;
const all = [new Matcher("=~", "__name__", ".+")];
const open = (dir: string, o: Partial<DBOptions> = {}) => openDB({ dir, compactionIntervalMs: 0, ...o });

/** A DB whose appenders flush all but the newest 100 ms into blocks after each commit. */
async function flushingDB(): Promise<Storage> {
  const db = await open(freshDir());
  const appender = db.appender.bind(db);
  db.appender = () => {
    const app: Appender = appender();
    const commit = app.commit.bind(app);
    app.commit = async () => {
      await commit();
      const end = await db.blocks.flushHead(db.head, db.head.maxTime - 100);
      if (end !== null) await db.truncateWAL(end);
    };
    return app as ReturnType<DB["appender"]>;
  };
  return db;
}

runStorageSuite("DB with older data flushed to blocks", flushingDB);

async function dump(
  db: DB,
  mint = 0,
  maxt = Number.MAX_SAFE_INTEGER,
): Promise<[string, number, number, number][]> {
  const q = db.querier(mint, maxt);
  const out: [string, number, number, number][] = [];
  for (const s of await q.select(all)) {
    const it = s.iterator();
    let n = 0;
    let first = Number.NaN;
    let sum = 0;
    while (it.next()) {
      if (n++ === 0) first = it.t;
      sum += it.v;
    }
    out.push([JSON.stringify(labelsToRecord(s.labels)), n, first, sum]);
  }
  q.close();
  return out;
}

async function write(db: DB, from: number, to: number, series = 20): Promise<void> {
  for (let t = from; t < to; t += 60_000) {
    const app = db.appender();
    for (let i = 0; i < series; i++)
      app.append(0, labelsFromRecord({ __name__: "m", i: String(i) }), t, t / 60_000 + i);
    await app.commit();
  }
}

describe("DB with blocks", () => {
  it("after a restart serves data in blocks and data from the WAL together", async () => {
    const dir = freshDir();
    const db = await open(dir);
    await write(db, 0, 5 * H);
    const r = await db.compact();
    expect(r.cutBefore).toBe(2 * H);
    expect(db.blocks.blocks().map((b) => [b.minTime, b.maxTime])).toEqual([[0, 2 * H]]);
    expect(db.head.minTime).toBe(2 * H);
    await write(db, 5 * H, 6 * H);
    const before = await dump(db);
    expect(before.length).toBe(20);
    expect(before[0]!.slice(1, 3)).toEqual([360, 0]);
    await db.close();
    const again = await open(dir);
    expect(again.blocks.blocks().length).toBe(1);
    expect(again.head.minTime).toBe(2 * H);
    expect(await dump(again)).toEqual(before);
    await again.close();
  });

  it("flush() persists the whole head and truncates the WAL; a restart reads it back from blocks", async () => {
    const dir = freshDir();
    const db = await open(dir);
    await write(db, 0, 3 * H);
    const before = await dump(db);
    expect(await db.flush()).toBe(3 * H - 60_000 + 1);
    expect(db.head.minTime).toBe(Number.POSITIVE_INFINITY);
    expect(await dump(db)).toEqual(before);
    await write(db, 3 * H, 3 * H + 60_000);
    await db.close();
    const again = await open(dir);
    expect(again.replay.samples).toBe(20);
    const after = await dump(again);
    expect(after.map(([k, n]) => [k, n])).toEqual(before.map(([k, n]) => [k, n + 1]));
    await again.close();
  });

  it("compacts in the background round, applies retention, deletes series and cleans tombstones", async () => {
    const dir = freshDir();
    const db = await open(dir, { retentionTime: 10 * H });
    for (let w = 0; w < 8; w++) {
      await write(db, w * 2 * H, (w + 1) * 2 * H, 4);
      await db.compact();
    }
    const shape = () =>
      db.blocks.blocks().map((b) => [b.minTime / H, b.maxTime / H, b.meta.compaction.level]);
    expect(shape()).toEqual([
      [0, 6, 2],
      [6, 12, 2],
      [12, 14, 1],
    ]);
    expect(existsSync(join(dir, "wal"))).toBe(true);
    const oldest = db.blocks.blocks()[0]!.ulid;
    expect(await db.blocks.applyRetention(18 * H)).toEqual([oldest]);
    expect(await db.deleteSeries([new Matcher("=", "i", "1")], 0, 13 * H)).toBeGreaterThan(0);
    const got = await dump(db, 6 * H);
    expect(got.map(([k, n, first]) => [k, n, first])).toEqual([
      ['{"__name__":"m","i":"0"}', 600, 6 * H],
      ['{"__name__":"m","i":"1"}', 179, 13 * H + 60_000],
      ['{"__name__":"m","i":"2"}', 600, 6 * H],
      ['{"__name__":"m","i":"3"}', 600, 6 * H],
    ]);
    const n = await db.cleanTombstones();
    expect(n).toBeGreaterThan(0);
    expect(db.blocks.blocks().every((b) => b.tombstones.size === 0)).toBe(true);
    expect(await dump(db, 6 * H)).toEqual(got);
    await db.close();
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
