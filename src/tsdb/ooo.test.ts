import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { labelsFromRecord, labelsKey, Matcher, STALE_NAN } from "../model/index.js";
import { OutOfBoundsError, OutOfOrderError, type Series, type Storage } from "../storage/index.js";
import { type DB, openDB } from "./db.js";
import { Head } from "./head.js";
import { runStorageSuite } from "./storage.case.js";

const root = mkdtempSync(join(tmpdir(), "ooo-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);
const H = 3_600_000;
const M = 60_000;
const L = labelsFromRecord;
const all = [new Matcher("=~", "__name__", ".+")];

runStorageSuite("Head with a 1 h out-of-order window", () => new Head({ outOfOrderWindowMs: H }), {
  outOfOrderWindowMs: H,
});
runStorageSuite("Head with a 30 ms out-of-order window", () => new Head({ outOfOrderWindowMs: 30 }), {
  outOfOrderWindowMs: 30,
});
runStorageSuite(
  "DB with a 1 h out-of-order window",
  () => openDB({ dir: freshDir(), compactionIntervalMs: 0, outOfOrderWindowMs: H }),
  { outOfOrderWindowMs: H },
);

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
function bits(v: number): string {
  f64[0] = v;
  return `${u32[1]!.toString(16)}:${u32[0]!.toString(16)}`;
}

/** The value of series i at t, a stale marker now and then. */
function value(i: number, t: number): number {
  return t % 7 === 0 && i === 0 ? STALE_NAN : t / 1000 + i;
}

function read(s: Series): string[] {
  const out: string[] = [];
  const it = s.iterator();
  while (it.next()) out.push(`${it.t}=${bits(it.v)}`);
  return out;
}

/** Labels key → samples, read by iterator, and (for head series) checked against the bulk path. */
async function dump(
  store: Storage,
  mint = 0,
  maxt = Number.MAX_SAFE_INTEGER,
): Promise<Map<string, string[]>> {
  const q = store.querier(mint, maxt);
  const out = new Map<string, string[]>();
  for (const s of await q.select(all)) {
    const samples = read(s);
    const bulk = s as Partial<{
      maxSamples(): number;
      readInto(ts: Float64Array, vs: Float64Array, o: number): number;
    }>;
    if (bulk.readInto !== undefined) {
      const ts = new Float64Array(bulk.maxSamples!() + 3);
      const vs = new Float64Array(ts.length);
      const n = bulk.readInto(ts, vs, 3);
      const got: string[] = [];
      for (let i = 3; i < 3 + n; i++) got.push(`${ts[i]}=${bits(vs[i]!)}`);
      expect(got).toEqual(samples);
    }
    out.set(labelsKey(s.labels), samples);
  }
  q.close();
  return out;
}

/** The expected dump of the given (series, t) pairs, deduplicated and sorted. */
function expected(pairs: readonly (readonly [number, number])[]): Map<string, string[]> {
  const by = new Map<number, Set<number>>();
  for (const [i, t] of pairs) {
    if (!by.has(i)) by.set(i, new Set());
    by.get(i)!.add(t);
  }
  const out = new Map<string, string[]>();
  for (const i of [...by.keys()].sort((a, b) => a - b)) {
    const ts = [...by.get(i)!].sort((a, b) => a - b);
    out.set(
      labelsKey(L({ __name__: "ooo", i: String(i) })),
      ts.map((t) => `${t}=${bits(value(i, t))}`),
    );
  }
  return out;
}

const T0 = 100 * H;
const W = 2 * H;

/** Random batches of (series, t): t anywhere within the window of the newest sample (at most T0 + 10 min). */
const batches = fc.array(
  fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: T0 - W + 10 * M, max: T0 + 10 * M })), {
    minLength: 1,
    maxLength: 30,
  }),
  { minLength: 1, maxLength: 8 },
);

/** Writes an anchor at T0 for each series, then the batches; every sample must be accepted. */
async function writeAll(
  store: Storage,
  bs: readonly (readonly (readonly [number, number])[])[],
): Promise<void> {
  const anchor = store.appender();
  for (let i = 0; i < 3; i++) anchor.append(0, L({ __name__: "ooo", i: String(i) }), T0, value(i, T0));
  await anchor.commit();
  for (const b of bs) {
    const app = store.appender();
    for (const [i, t] of b) app.append(0, L({ __name__: "ooo", i: String(i) }), t, value(i, t));
    await app.commit();
  }
}

describe("out-of-order window", () => {
  it("accepts only samples within the window of the head's newest sample", async () => {
    // [window, t of the sample (series newest at 10 h, head newest at 10 h), expected]
    const cases: [number, number, (new () => Error) | null][] = [
      [0, 10 * H - 1, OutOfOrderError],
      [0, 8 * H, OutOfBoundsError],
      [H, 9 * H + 1, null],
      [H, 9 * H, null],
      [H, 9 * H - 1, OutOfBoundsError],
      [3 * H, 7 * H + 1, null],
      [3 * H, 7 * H - 1, OutOfBoundsError],
      [30 * M, 9 * H + 15 * M, OutOfOrderError],
    ];
    for (const [window, t, err] of cases) {
      const head = new Head({ outOfOrderWindowMs: window });
      const app = head.appender();
      app.append(0, L({ __name__: "m" }), 10 * H, 1);
      await app.commit();
      const next = head.appender();
      const add = () => next.append(0, L({ __name__: "m" }), t, 2);
      if (err === null) expect(add, `window ${window}, t ${t}`).not.toThrow();
      else expect(add, `window ${window}, t ${t}`).toThrow(err);
      await next.commit();
      expect(head.outOfOrderSamples).toBe(err === null ? 1 : 0);
    }
  });

  it("reads back randomly interleaved in-window samples sorted, deduplicated and complete (property)", async () => {
    await fc.assert(
      fc.asyncProperty(batches, async (bs) => {
        const head = new Head({ outOfOrderWindowMs: W });
        await writeAll(head, bs);
        const want = expected([[0, T0], [1, T0], [2, T0], ...bs.flat()]);
        expect(await dump(head)).toEqual(want);
        const q = head.querier(T0 - W / 2, T0);
        for (const s of await q.select(all)) {
          const it = s.iterator();
          const wantHere = want.get(labelsKey(s.labels))!.filter((x) => {
            const t = Number(x.split("=")[0]);
            return t >= T0 - W / 2 && t <= T0;
          });
          expect(it.seek(T0 - W / 2 - 5)).toBe(wantHere.length > 0);
          if (wantHere.length > 0) expect(`${it.t}=${bits(it.v)}`).toBe(wantHere[0]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("survives a restart through the WAL and is persisted when the head is cut (property)", async () => {
    await fc.assert(
      fc.asyncProperty(batches, async (bs) => {
        const dir = freshDir();
        const opts = { dir, compactionIntervalMs: 0, outOfOrderWindowMs: W };
        let db: DB = await openDB(opts);
        await writeAll(db, bs);
        const want = expected([[0, T0], [1, T0], [2, T0], ...bs.flat()]);
        await db.close();
        db = await openDB(opts);
        expect(db.head.outOfOrderSamples).toBeGreaterThan(0);
        expect(await dump(db)).toEqual(want);
        await db.flush();
        expect(db.head.outOfOrderSamples).toBe(0);
        expect(await dump(db)).toEqual(want);
        await db.close();
        db = await openDB(opts);
        expect(await dump(db)).toEqual(want);
        await db.close();
      }),
      { numRuns: 8 },
    );
  });

  it("takes samples for ranges already cut to blocks, keeps them in the WAL until persisted, then compacts", async () => {
    const dir = freshDir();
    const opts = { dir, compactionIntervalMs: 0, outOfOrderWindowMs: 4 * H };
    let db = await openDB(opts);
    for (let t = 0; t <= 5 * H; t += 10 * M) {
      const app = db.appender();
      app.append(0, L({ __name__: "m" }), t, t / M);
      await app.commit();
    }
    expect((await db.compact()).cutBefore).toBe(2 * H);
    const late = db.appender();
    late.append(0, L({ __name__: "m" }), H + 5 * M, -1);
    late.append(0, L({ __name__: "m" }), 3 * H + 5 * M, -2);
    await late.commit();
    const want = new Map([[labelsKey(L({ __name__: "m" })), [] as string[]]]);
    for (let t = 0; t <= 5 * H; t += 5 * M)
      if (t % (10 * M) === 0 || t === H + 5 * M || t === 3 * H + 5 * M)
        want
          .get(labelsKey(L({ __name__: "m" })))!
          .push(`${t}=${bits(t % (10 * M) === 0 ? t / M : t < 2 * H ? -1 : -2)}`);
    expect(await dump(db)).toEqual(want);
    await db.truncateWAL(2 * H);
    await db.close();
    db = await openDB(opts);
    expect(await dump(db)).toEqual(want);
    await db.compact();
    expect(db.head.outOfOrderSamples).toBe(1);
    expect(db.blocks.blocks().map((b) => [b.minTime / H, b.maxTime / H, b.meta.compaction.level])).toEqual([
      [0, 2, 2],
    ]);
    expect(await dump(db)).toEqual(want);
    await db.flush();
    expect(db.head.outOfOrderSamples).toBe(0);
    expect(await dump(db)).toEqual(want);
    await db.close();
  });
});
