import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labelsFromRecord, labelsKey, Matcher, STALE_NAN } from "../model/index.js";
import { LimitExceededError } from "../storage/index.js";
import { type DB, DBLockedError, type DBOptions, openDB } from "./db.js";
import { runStorageSuite } from "./storage.case.js";

const root = mkdtempSync(join(tmpdir(), "db-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);
const L = labelsFromRecord;

runStorageSuite("DB", () => openDB({ dir: freshDir() }));

function recorder() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    logger: { warn: (m: string) => warnings.push(m), info: (m: string) => infos.push(m) },
  };
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function bits(v: number): string {
  f64[0] = v;
  return `${u32[1]!.toString(16)}:${u32[0]!.toString(16)}`;
}

/** Every series with its samples as [t, value bits], keyed by labels, sorted. */
async function dump(db: DB): Promise<Map<string, [number, string][]>> {
  const q = db.querier(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const out = new Map<string, [number, string][]>();
  for (const s of await q.select([new Matcher("=~", "__name__", ".+")])) {
    const samples: [number, string][] = [];
    const it = s.iterator();
    while (it.next()) samples.push([it.t, bits(it.v)]);
    out.set(labelsKey(s.labels), samples);
  }
  q.close();
  return out;
}

/** Writes `batches` batches of `perBatch` series (a new series every batch), metadata included. */
async function fill(db: DB, batches: number, perBatch = 50, from = 0): Promise<void> {
  for (let k = from; k < from + batches; k++) {
    const app = db.appender();
    for (let j = 0; j < perBatch; j++) {
      app.append(
        0,
        L({ __name__: `m${j % 3}`, j: String(j) }),
        k * 15_000,
        j === 1 && k % 4 === 0 ? STALE_NAN : k + j,
      );
    }
    app.append(0, L({ __name__: "born", k: String(k) }), k * 15_000, k);
    app.updateMetadata("m0", { type: "counter", help: "M zero.", unit: "" });
    await app.commit();
  }
}

async function reopen(db: DB, opts: Partial<DBOptions> = {}): Promise<DB> {
  await db.close();
  return openDB({ dir: db.dir, ...opts });
}

describe("DB durability", () => {
  it("reopens with the same series, samples (stale marker bits), refs, metadata and stats", async () => {
    const db = await openDB({ dir: freshDir() });
    await fill(db, 30);
    const before = await dump(db);
    const ref = db.ref(L({ __name__: "m1", j: "1" }));
    const stats = db.stats();
    const log = recorder();
    const again = await reopen(db, { logger: log.logger });
    expect(await dump(again)).toEqual(before);
    expect(before.get(labelsKey(L({ __name__: "m1", j: "1" })))![0]![1]).toBe(bits(STALE_NAN));
    expect(again.ref(L({ __name__: "m1", j: "1" }))).toBe(ref);
    expect(again.stats()).toEqual(stats);
    expect(again.metadata()).toEqual(new Map([["m0", [{ type: "counter", help: "M zero.", unit: "" }]]]));
    expect(again.replay).toMatchObject({ samples: 30 * 51, appliedSamples: 30 * 51, series: 50 + 30 });
    expect(again.replay.samplesPerSecond).toBeGreaterThan(0);
    expect(log.infos.some((m) => /WAL replay: 80 series, 1530 samples .* samples\/s\)/.test(m))).toBe(true);
    expect(log.warnings).toEqual([]);
    // new series after a restart get fresh refs, and appends continue where they stopped
    await fill(again, 5, 50, 30);
    const third = await reopen(again);
    expect((await dump(third)).get(labelsKey(L({ __name__: "born", k: "34" })))).toEqual([
      [34 * 15_000, bits(34)],
    ]);
    expect(third.replay.samples).toBe(35 * 51);
    await third.close();
  });

  it("keeps every series past a lowered limit on reopen, refuses new ones, and makes room once blocks are cut", async () => {
    const small = {
      blockRange: 60_000,
      chunkRange: 60_000,
      compactionRanges: [60_000],
      compactionIntervalMs: 0,
    };
    const db = await openDB({ dir: freshDir(), ...small });
    await fill(db, 2);
    const again = await reopen(db, { ...small, maxSeries: 50, maxSeriesPerMetric: 10 });
    expect(again.head.numSeries).toBe(52);
    const app = again.appender();
    expect(() => app.append(0, L({ __name__: "born", k: "99" }), 30_000, 1)).toThrow(LimitExceededError);
    app.append(0, L({ __name__: "m0", j: "0" }), 200_000, 1);
    await app.commit();
    expect(again.head.seriesLimitRejections).toEqual({ max_series: 1, max_series_per_metric: 0 });
    const { cutBefore } = await again.compact();
    expect(cutBefore).toBe(60_000);
    expect(again.head.numSeries).toBe(1);
    const app2 = again.appender();
    app2.append(0, L({ __name__: "born", k: "99" }), 200_000, 1);
    await app2.commit();
    expect(again.stats().headStats.numSeries).toBe(2);
    await again.close();
  });

  it("replays a checkpoint plus the recent segments into the same head", async () => {
    const log = recorder();
    const db = await openDB({
      dir: freshDir(),
      walSegmentSize: 8 * 1024,
      checkpointAfterSegments: 2,
      logger: log.logger,
    });
    await fill(db, 60);
    await db.checkpoint();
    expect(db.wal.checkpointIndex).not.toBeNull();
    expect(log.infos.some((m) => m.includes("checkpoint"))).toBe(true);
    await fill(db, 10, 50, 60);
    const before = await dump(db);
    const again = await reopen(db);
    expect(again.replay.checkpoint).not.toBeNull();
    expect(await dump(again)).toEqual(before);
    expect(again.metadata().get("m0")).toHaveLength(1);
    await again.close();
  });

  it("truncates the WAL before a time once it is persisted elsewhere", async () => {
    const db = await openDB({ dir: freshDir(), walSegmentSize: 8 * 1024 });
    await fill(db, 20);
    const stats = await db.truncateWAL(10 * 15_000);
    expect(stats?.droppedSamples).toBe(10 * 51);
    const again = await reopen(db);
    const got = await dump(again);
    expect(Math.min(...[...got.values()].flat().map(([t]) => t))).toBe(10 * 15_000);
    expect(got.has(labelsKey(L({ __name__: "born", k: "3" })))).toBe(false);
    await again.close();
  });
});

describe("DB write failures", () => {
  it.skipIf(!existsSync("/dev/full"))(
    "fails the commit on a full disk and shows nothing of the batch",
    async () => {
      const dir = freshDir();
      const db = await openDB({ dir, walSegmentSize: 100 });
      await fill(db, 1, 10);
      // the next segment the WAL opens is a device where every write fails with ENOSPC
      symlinkSync("/dev/full", join(dir, "wal", "00000001"));
      const before = await dump(db);
      await expect(fill(db, 1, 10, 1)).rejects.toThrow(/WAL write to segment 00000001 failed: ENOSPC/);
      expect(await dump(db)).toEqual(before);
      expect(db.ref(L({ __name__: "born", k: "1" }))).toBe(0);
      await expect(fill(db, 1, 10, 2)).rejects.toThrow(/ENOSPC/);
      // /dev/full cannot be fsynced either (a real full disk's file can); close says so
      await expect(db.close()).rejects.toThrow(/EINVAL/);
      rmSync(join(dir, "wal", "00000001"));
      const again = await openDB({ dir });
      expect(await dump(again)).toEqual(before);
      await again.close();
    },
  );
});

describe("DB lock", () => {
  const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid!;
  const cases: [string, string | null, RegExp | null][] = [
    [
      "a dead process's lock is taken over",
      `${deadPid()}\n`,
      /stale lock .* of process \d+, which is not running/,
    ],
    ["an empty lock is taken over", "", /stale lock .* \(empty\)/],
    ["a lock that is not a pid is taken over", "garbage", /stale lock/],
    ["no lock at all", null, null],
  ];
  for (const [name, content, warning] of cases) {
    it(name, async () => {
      const dir = freshDir();
      await (await openDB({ dir })).close();
      if (content !== null) writeFileSync(join(dir, "lock"), content);
      const log = recorder();
      const db = await openDB({ dir, logger: log.logger });
      expect(readFileSync(join(dir, "lock"), "utf8")).toBe(`${process.pid}\n`);
      if (warning === null) expect(log.warnings).toEqual([]);
      else expect(log.warnings).toEqual([expect.stringMatching(warning)]);
      await db.close();
      expect(existsSync(join(dir, "lock"))).toBe(false);
    });
  }

  it("refuses a directory a live process holds, naming it", async () => {
    const dir = freshDir();
    const db = await openDB({ dir });
    const err = await openDB({ dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DBLockedError);
    expect(String(err)).toContain(`in use by process ${process.pid}`);
    await db.close();
    await (await openDB({ dir })).close();
  });
});

describe("DB crash safety (child process, SIGKILL)", () => {
  const repo = fileURLToPath(new URL("../..", import.meta.url));
  const fixture = fileURLToPath(new URL("./testdata/crash-writer.mjs", import.meta.url));

  // A private build of the store (not the shared dist/, which other builds may be rewriting).
  const dist = join(root, "dist");
  beforeAll(() => {
    const tsc = spawnSync(
      process.execPath,
      [
        join(repo, "node_modules/typescript/bin/tsc"),
        join(repo, "src/tsdb/index.ts"),
        ...["--ignoreConfig", "--noCheck", "--skipLibCheck", "--types", "node", "--target", "es2023"],
        ...[
          "--module",
          "nodenext",
          "--moduleResolution",
          "nodenext",
          "--rootDir",
          join(repo, "src"),
          "--outDir",
          dist,
        ],
      ],
      { cwd: repo, encoding: "utf8" },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  });

  /** Batch k's samples as [labels key, t, value bits] (the fixture's batch() and value()). */
  function crashBatch(k: number): [string, number, string][] {
    const t = 1_700_000_000_000 + k * 1000;
    const out: [string, number, string][] = [];
    for (let j = 0; j < 10 + (k % 5); j++) {
      const v = j === 0 && k % 17 === 0 ? STALE_NAN : k * 1000 + j;
      out.push([labelsKey(L({ __name__: "crash_metric", j: String(j) })), t, bits(v)]);
    }
    if (k % 10 === 0) out.push([labelsKey(L({ __name__: "crash_born", k: String(k) })), t, bits(k)]);
    return out;
  }

  /** Runs the writer from batch `first`, kills it with SIGKILL after `acks` acknowledgements. */
  function runAndKill(
    dir: string,
    first: number,
    acks: number,
  ): Promise<{ acked: number[]; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child: ChildProcess = spawn(process.execPath, [fixture, dist, dir, String(first)], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      const acked: number[] = [];
      let stderr = "";
      let buf = "";
      child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdout!.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const line of lines) if (/^\d+$/.test(line)) acked.push(Number(line));
        if (acked.length >= acks && child.exitCode === null) child.kill("SIGKILL");
      });
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`writer did not ack ${acks} batches in time: ${stderr}`));
      }, 20_000);
      child.on("close", (_code, signal) => {
        clearTimeout(timer);
        if (signal !== "SIGKILL") reject(new Error(`writer exited by itself (${signal}): ${stderr}`));
        else resolve({ acked, stderr });
      });
    });
  }

  /** Checks every acked batch is fully there, at most the in-flight one more, and nothing else. */
  async function verify(db: DB, acked: readonly number[], lastAck: number): Promise<number> {
    const got = await dump(db);
    const have = new Set<string>();
    for (const [key, samples] of got) for (const [t, b] of samples) have.add(`${key}|${t}|${b}`);
    let expectedCount = 0;
    for (const k of acked) {
      for (const [key, t, b] of crashBatch(k))
        expect(have.has(`${key}|${t}|${b}`), `batch ${k}: ${key}@${t}`).toBe(true);
    }
    const inFlight = crashBatch(lastAck + 1).filter(([key, t, b]) => have.has(`${key}|${t}|${b}`)).length;
    expect([0, crashBatch(lastAck + 1).length]).toContain(inFlight);
    const batches = new Set(acked);
    if (inFlight > 0) batches.add(lastAck + 1);
    for (const k of batches) expectedCount += crashBatch(k).length;
    expect(have.size).toBe(expectedCount);
    return inFlight > 0 ? lastAck + 1 : lastAck;
  }

  it("keeps every acknowledged batch, whole, across kill -9, a corrupted tail, and a second kill", async () => {
    const dir = freshDir();
    const first = await runAndKill(dir, 0, 150 + Math.floor(Math.random() * 150));
    expect(first.acked.length).toBeGreaterThanOrEqual(150);
    const lastAck = first.acked.at(-1)!;
    const log = recorder();
    let db = await openDB({ dir, logger: log.logger });
    expect(log.warnings.some((w) => /stale lock/.test(w))).toBe(true);
    const applied = await verify(db, first.acked, lastAck);
    await db.close();

    // garbage after the last record (a torn write) is cut back with a warning, nothing is lost
    const walDir = join(dir, "wal");
    const segs = readdirSync(walDir)
      .filter((n) => /^\d{8}$/.test(n))
      .sort();
    appendFileSync(join(walDir, segs.at(-1)!), Buffer.from([2, 0, 0, 1, 0, 9, 9, 9, 9, 1, 2, 3]));
    const log2 = recorder();
    db = await openDB({ dir, logger: log2.logger });
    expect(log2.warnings).toEqual([expect.stringMatching(/cut the log back/)]);
    await verify(db, first.acked, lastAck);
    await db.close();

    const second = await runAndKill(dir, applied + 1, 1500 + Math.floor(Math.random() * 1500));
    db = await openDB({ dir });
    const all = [...first.acked, ...(applied > lastAck ? [applied] : []), ...second.acked];
    await verify(db, all, second.acked.at(-1)!);
    expect(db.replay.checkpoint).not.toBeNull();
    await db.close();
  });
});
