import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelsFromRecord, labelsKey, Matcher, STALE_NAN } from "../model/index.js";
import type { Appender } from "../storage/index.js";
import { type DB, type DBOptions, openDB } from "./db.js";

const root = mkdtempSync(join(tmpdir(), "backfill-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);
const H = 3_600_000;
const M = 60_000;
const L = labelsFromRecord;
const all = [new Matcher("=~", "__name__", ".+")];
const open = (dir = freshDir(), o: Partial<DBOptions> = {}) => openDB({ dir, compactionIntervalMs: 0, ...o });

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function bits(v: number): string {
  f64[0] = v;
  return `${u32[1]!.toString(16)}:${u32[0]!.toString(16)}`;
}

/** Every series as labels key → "t=value bits" list, over the whole DB (blocks and head). */
async function dump(db: DB, mint = Number.MIN_SAFE_INTEGER, maxt = Number.MAX_SAFE_INTEGER) {
  const q = db.querier(mint, maxt);
  const out = new Map<string, string[]>();
  for (const s of await q.select(all)) {
    const got: string[] = [];
    const it = s.iterator();
    while (it.next()) got.push(`${it.t}=${bits(it.v)}`);
    out.set(labelsKey(s.labels), got);
  }
  q.close();
  return out;
}

/** The value of series i at t: a pure function, with a stale marker now and then. */
function value(i: number, t: number): number {
  return t % (97 * M) === 0 && i === 1 ? STALE_NAN : t / M + i * 0.5;
}

/** The expected dump of series 0..n-1 sampled every minute in [from, to). */
function expected(n: number, from: number, to: number, name = "hist"): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    const got: string[] = [];
    for (let t = from; t < to; t += M) got.push(`${t}=${bits(value(i, t))}`);
    out.set(labelsKey(L({ __name__: name, i: String(i) })), got);
  }
  return out;
}

/** Appends series 0..n-1 for the minutes in [from, to) as one batch. */
function batch(app: Appender, n: number, from: number, to: number, name = "hist"): void {
  for (let t = from; t < to; t += M)
    for (let i = 0; i < n; i++) app.append(0, L({ __name__: name, i: String(i) }), t, value(i, t));
}

describe("DB.backfillAppendable", () => {
  it("writes time-ordered history straight into 2h blocks as input moves on, queried with the head", async () => {
    const db = await open();
    const live = db.appender();
    batch(live, 2, 20 * H, 20 * H + 10 * M, "live");
    await live.commit();
    const bf = db.backfillAppendable({ compact: false, rangeMs: 2 * H });
    const open_: number[] = [];
    for (let h = 0; h < 10; h++) {
      const app = bf.appender();
      batch(app, 3, h * H, (h + 1) * H);
      app.updateMetadata("hist", { type: "gauge", help: "History.", unit: "" });
      await app.commit();
      open_.push(bf.openRanges);
    }
    expect(Math.max(...open_)).toBe(1);
    expect(db.blocks.blocks().map((b) => [b.minTime / H, b.maxTime / H])).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
    ]);
    const stats = await bf.flush();
    expect(stats).toEqual({ samples: 1800, series: 3, blocks: 5, minTime: 0, maxTime: 10 * H - M });
    const want = new Map([...expected(3, 0, 10 * H), ...expected(2, 20 * H, 20 * H + 10 * M, "live")]);
    expect(await dump(db)).toEqual(want);
    expect(db.head.numSeries).toBe(2);
    expect(db.metadata("hist").get("hist")).toEqual([{ type: "gauge", help: "History.", unit: "" }]);
    const dir = db.dir;
    await db.close();
    const again = await open(dir);
    expect(await dump(again)).toEqual(want);
    expect(again.metadata("hist").get("hist")).toEqual([{ type: "gauge", help: "History.", unit: "" }]);
    await again.close();
  });

  it("keeps head data that is not yet in blocks when backfilled blocks lie after it (restart)", async () => {
    const db = await open();
    const live = db.appender();
    batch(live, 2, 10 * H, 10 * H + 30 * M, "live");
    await live.commit();
    const bf = db.backfillAppendable({ compact: false });
    const app = bf.appender();
    batch(app, 2, 11 * H, 13 * H);
    await app.commit();
    await bf.flush();
    expect(db.blocks.blocks().map((b) => [b.minTime / H, b.maxTime / H])).toEqual([[10, 14]]);
    const want = new Map([...expected(2, 11 * H, 13 * H), ...expected(2, 10 * H, 10 * H + 30 * M, "live")]);
    expect(await dump(db)).toEqual(want);
    const dir = db.dir;
    await db.close();
    const again = await open(dir);
    expect(await dump(again)).toEqual(want);
    await again.close();
  });

  it("takes input in any order across ranges, with duplicates, and reads back as if sorted (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 8 * 60 - 1 })), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 4000 }),
        async (samples, perBatch, ordered, maxBufferedBytes) => {
          const db = await open();
          const bf = db.backfillAppendable({ compact: false, ordered, maxBufferedBytes });
          for (let k = 0; k < samples.length; k += perBatch) {
            const app = bf.appender();
            for (const [i, m] of samples.slice(k, k + perBatch))
              app.append(0, L({ __name__: "hist", i: String(i) }), m * M, value(i, m * M));
            await app.commit();
          }
          await bf.flush();
          const want = new Map<string, string[]>();
          const sorted = [...new Set(samples.map(([i, m]) => `${i}:${m}`))]
            .map((s) => s.split(":").map(Number) as [number, number])
            .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          for (const [i, m] of sorted) {
            const key = labelsKey(L({ __name__: "hist", i: String(i) }));
            if (!want.has(key)) want.set(key, []);
            want.get(key)!.push(`${m * M}=${bits(value(i, m * M))}`);
          }
          const byLabels = new Map([...want].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
          expect(await dump(db)).toEqual(byLabels);
          await db.blocks.compact();
          expect(db.blocks.blocks().every((b, j, bs) => j === 0 || bs[j - 1]!.maxTime <= b.minTime)).toBe(
            true,
          );
          expect(await dump(db)).toEqual(byLabels);
          await db.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it("overlaps blocks cut from the head; compaction merges them into one and deduplicates", async () => {
    const db = await open();
    for (let h = 0; h < 4; h++) {
      const app = db.appender();
      batch(app, 2, h * H, (h + 1) * H);
      await app.commit();
    }
    await db.compact();
    expect(db.blocks.blocks().map((b) => [b.minTime / H, b.maxTime / H])).toEqual([[0, 2]]);
    const bf = db.backfillAppendable({ compact: false });
    const app = bf.appender();
    batch(app, 4, 30 * M, 150 * M);
    await app.commit();
    await bf.flush();
    expect(db.blocks.blocks().map((b) => [b.minTime / H, b.maxTime / H])).toEqual([
      [0, 2],
      [0, 4],
    ]);
    const want = new Map([...expected(2, 0, 4 * H)]);
    for (const [k, v] of expected(4, 30 * M, 150 * M)) if (!want.has(k)) want.set(k, v);
    const sorted = new Map([...want].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    expect(await dump(db)).toEqual(sorted);
    const steps = await db.blocks.compact();
    expect(steps.length).toBeGreaterThan(0);
    expect(db.blocks.blocks().map((b) => [b.minTime / H, b.maxTime / H, b.meta.compaction.level])).toEqual([
      [0, 4, 2],
    ]);
    expect(db.blocks.blocks()[0]!.meta.stats.numSamples).toBe(2 * 150 + 2 * 120);
    expect(await dump(db)).toEqual(sorted);
    await db.close();
  });
});

describe("backfill crash safety (child process, SIGKILL)", () => {
  const repo = fileURLToPath(new URL("../..", import.meta.url));
  const fixture = fileURLToPath(new URL("./testdata/backfill-writer.mjs", import.meta.url));
  const dist = join(root, "dist");
  beforeAll(() => {
    const tsc = spawnSync(
      process.execPath,
      [
        join(repo, "node_modules/typescript/bin/tsc"),
        join(repo, "src/tsdb/index.ts"),
        ...["--ignoreConfig", "--noCheck", "--skipLibCheck", "--types", "node", "--target", "es2023"],
        ...["--module", "nodenext", "--moduleResolution", "nodenext", "--rootDir", join(repo, "src")],
        ...["--outDir", dist],
      ],
      { cwd: repo, encoding: "utf8" },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  });

  function runAndKill(dir: string, blocks: number): Promise<number[]> {
    return new Promise((resolve, reject) => {
      const child: ChildProcess = spawn(process.execPath, [fixture, dist, dir], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      const written: number[] = [];
      let stderr = "";
      let buf = "";
      child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const line of lines) if (line.startsWith("block ")) written.push(Number(line.slice(6)));
        if (written.length >= blocks && child.exitCode === null) child.kill("SIGKILL");
      });
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`backfiller did not write ${blocks} blocks in time: ${stderr}`));
      }, 20_000);
      child.on("close", (_code, signal) => {
        clearTimeout(timer);
        if (signal !== "SIGKILL") reject(new Error(`backfiller exited by itself (${signal}): ${stderr}`));
        else resolve(written);
      });
    });
  }

  it("leaves a loadable DB holding only whole blocks", async () => {
    const dir = freshDir();
    const written = await runAndKill(dir, 3 + Math.floor(Math.random() * 5));
    const warnings: string[] = [];
    const db = await open(dir, { logger: { warn: (m) => warnings.push(m), info: () => {} } });
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const starts = db.blocks.blocks().map((b) => b.minTime);
    for (const t of written) expect(starts).toContain(t);
    expect(starts.length - written.length).toBeLessThanOrEqual(1);
    for (const b of db.blocks.blocks()) {
      expect(b.maxTime - b.minTime).toBe(24 * H);
      expect(b.meta.stats.numSamples).toBe(20 * 24 * 60);
    }
    const end = Math.max(...starts) + 24 * H;
    const got = await dump(db);
    expect(got.size).toBe(20);
    for (const [, samples] of got) expect(samples.length).toBe(end / M);
    expect(warnings.filter((w) => !/stale lock/.test(w))).toEqual([]);
    await db.close();
  });
});
