import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  isStaleNaN,
  type Labels,
  labelsFromRecord,
  labelsToRecord,
  Matcher,
  STALE_NAN,
} from "../../model/index.js";
import type { Querier } from "../../storage/index.js";
import { Head } from "../head.js";
import { Block, writeBlock } from "./block.js";
import { CorruptBlockError } from "./encoding.js";
import { MergeQuerier } from "./merge.js";
import { BlockStore } from "./store.js";
import { HeadWithBlocks, tempDir } from "./testutil.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let dirs = 0;
const freshDir = () => join(tmp.dir, String(dirs++));
const H = 3600_000;
const L = (r: Record<string, string>): Labels => labelsFromRecord(r);
const all = [new Matcher("=~", "__name__", ".+")];
const quiet = { warn: () => {} };

type Dump = [string, [number, string][]][];

/** Everything a querier returns, values rendered bit-exactly (stale marker and -0 distinguished). */
async function dump(q: Querier, matchers = all): Promise<Dump> {
  const out: Dump = [];
  for (const s of await q.select(matchers)) {
    const samples: [number, string][] = [];
    const it = s.iterator();
    while (it.next())
      samples.push([it.t, isStaleNaN(it.v) ? "stale" : Object.is(it.v, -0) ? "-0" : String(it.v)]);
    out.push([JSON.stringify(labelsToRecord(s.labels)), samples]);
  }
  q.close();
  return out;
}

async function fill(head: Head, series: [Record<string, string>, [number, number][]][]): Promise<void> {
  const app = head.appender();
  for (const [l, samples] of series) for (const [t, v] of samples) app.append(0, L(l), t, v);
  await app.commit();
}

function ramp(
  from: number,
  to: number,
  step: number,
  f: (t: number) => number = (t) => t / 1000,
): [number, number][] {
  const out: [number, number][] = [];
  for (let t = from; t < to; t += step) out.push([t, f(t)]);
  return out;
}

describe("block writer and reader", () => {
  it("round-trips series, labels and bit-exact values, and answers matchers from its index", async () => {
    const head = new Head();
    const vals = new Float64Array(3);
    vals[0] = STALE_NAN;
    vals[1] = -0;
    vals[2] = Number.POSITIVE_INFINITY;
    const app = head.appender();
    for (let i = 0; i < 3; i++) app.append(0, L({ __name__: "odd", job: "x" }), 1000 * (i + 1), vals[i]!);
    await app.commit();
    await fill(head, [
      [{ __name__: "up", job: "a", zone: "eu" }, ramp(0, 2 * H, 15_000)],
      [{ __name__: "up", job: "b" }, ramp(60_000, 120_000, 15_000)],
    ]);
    const dir = freshDir();
    mkdirSync(dir);
    const q = head.querier(0, 2 * H);
    const meta = await writeBlock(dir, await q.select([]), {
      minTime: 0,
      maxTime: 2 * H,
      samplesPerChunk: 100,
    });
    expect(meta).toMatchObject({
      minTime: 0,
      maxTime: 2 * H,
      stats: { numSeries: 3, numSamples: 3 + 480 + 4, numChunks: 1 + 5 + 1 },
    });
    const block = Block.open(join(dir, meta!.ulid));
    expect(await dump(block.querier(0, 2 * H))).toEqual(await dump(head.querier(0, 2 * H)));
    const bq = block.querier(1000, 90_000);
    const cases: [Matcher[], string[]][] = [
      [[new Matcher("=", "job", "a")], ['{"__name__":"up","job":"a","zone":"eu"}']],
      [[new Matcher("=", "__name__", "up"), new Matcher("=", "zone", "")], ['{"__name__":"up","job":"b"}']],
      [[new Matcher("!=", "job", "a")], ['{"__name__":"odd","job":"x"}', '{"__name__":"up","job":"b"}']],
      [
        [new Matcher("=~", "job", "a|x")],
        ['{"__name__":"odd","job":"x"}', '{"__name__":"up","job":"a","zone":"eu"}'],
      ],
      [
        [new Matcher("!~", "job", "[ab]"), new Matcher("=~", "__name__", ".+")],
        ['{"__name__":"odd","job":"x"}'],
      ],
      [[new Matcher("=", "job", "none")], []],
    ];
    for (const [ms, want] of cases) {
      const got = (await bq.select(ms)).map((s) => JSON.stringify(labelsToRecord(s.labels)));
      expect([ms.map(String), got]).toEqual([ms.map(String), want]);
    }
    expect(await bq.labelNames()).toEqual(["__name__", "job", "zone"]);
    expect(await bq.labelValues("job", [new Matcher("=", "__name__", "up")])).toEqual(["a", "b"]);
    expect(await block.querier(100_000, 110_000).labelValues("job")).toEqual(["a", "b"]);
    const s = (await bq.select([new Matcher("=", "job", "a")]))[0]!.iterator();
    expect([s.seek(30_001), s.t, s.next(), s.t, s.seek(90_001), s.seek(0)]).toEqual([
      true,
      45_000,
      true,
      60_000,
      false,
      false,
    ]);
    bq.close();
    block.close();
  });

  it("round-trips any values bit-exactly, whichever chunk encoding (XOR or decimal) the writer picks (property)", async () => {
    const value = fc.oneof(
      fc.integer({ min: -1e9, max: 1e9 }),
      fc
        .tuple(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 9 }))
        .map(([m, k]) => m / 10 ** k),
      fc.double(),
      fc.constantFrom(0, -0, 1, STALE_NAN, Number.MAX_SAFE_INTEGER, 2 ** 60),
    );
    const f64 = new Float64Array(1);
    const u32 = new Uint32Array(f64.buffer);
    const bits = (v: number) => {
      f64[0] = v;
      return `${u32[1]}:${u32[0]}`;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(value, { minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 3 }),
        async (series) => {
          const head = new Head();
          const want: string[][] = [];
          const app = head.appender();
          series.forEach((vals, i) => {
            want.push(vals.map(bits));
            for (let j = 0; j < vals.length; j++) {
              app.append(0, L({ __name__: "v", i: String(i) }), j * 15_000 + (j % 3), vals[j]!);
            }
          });
          await app.commit();
          const dir = freshDir();
          mkdirSync(dir);
          const meta = (await writeBlock(dir, await head.querier(0, H).select([]), {
            minTime: 0,
            maxTime: H,
            samplesPerChunk: 120,
          }))!;
          const block = Block.open(join(dir, meta.ulid));
          const q = block.querier(0, H);
          const got: string[][] = [];
          for (const s of await q.select(all)) {
            const vs: string[] = [];
            const it = s.iterator();
            while (it.next()) vs.push(bits(it.v));
            got.push(vs);
          }
          q.close();
          block.close();
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("rejects damaged files with a CorruptBlockError naming the file", async () => {
    const head = new Head();
    await fill(head, [[{ __name__: "m", i: "1" }, ramp(0, 600_000, 15_000)]]);
    const dir = freshDir();
    mkdirSync(dir);
    const meta = (await writeBlock(dir, await head.querier(0, H).select([]), { minTime: 0, maxTime: H }))!;
    const bdir = join(dir, meta.ulid);
    const index = readFileSync(join(bdir, "index"));
    const chunk = readFileSync(join(bdir, "chunks", "000001"));
    const cases: [string, string, (b: Buffer) => Buffer][] = [
      ["index", "bad magic", (b) => Buffer.concat([Buffer.from("XXXX"), b.subarray(4)])],
      ["index", "truncated", (b) => b.subarray(0, b.length - 10)],
      ["index", "flipped symbol byte", (b) => flip(b, 12)],
      ["index", "flipped TOC byte", (b) => flip(b, b.length - 6)],
      ["chunks/000001", "flipped chunk byte", (b) => flip(b, 20)],
    ];
    for (const [file, what, damage] of cases) {
      writeFileSync(join(bdir, "index"), index);
      writeFileSync(join(bdir, "chunks", "000001"), chunk);
      writeFileSync(join(bdir, file), damage(file === "index" ? index : chunk));
      const read = async () => {
        const b = Block.open(bdir);
        await dump(b.querier(0, H));
        b.close();
      };
      await expect(read(), `${file}: ${what}`).rejects.toThrow(CorruptBlockError);
    }
  });
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0x55;
  return c;
}

describe("block store", () => {
  it("on open deletes leftover .tmp dirs and replaced sources, and skips unreadable blocks with a warning", async () => {
    const dir = freshDir();
    const s = new HeadWithBlocks(dir, 0);
    await fill(s.head, [[{ __name__: "m" }, ramp(0, 3 * H, 60_000)]]);
    await s.blocks.flushHead(s.head);
    const good = s.blocks.blocks().map((b) => b.ulid);
    expect(good.length).toBe(2);
    await s.close();
    mkdirSync(join(dir, "01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp", "chunks"), { recursive: true });
    writeFileSync(join(dir, "01HZZZZZZZZZZZZZZZZZZZZZZZ.tmp", "chunks", "000001"), "half");
    mkdirSync(join(dir, "01HYYYYYYYYYYYYYYYYYYYYYYY", "chunks"), { recursive: true });
    mkdirSync(join(dir, "01HXXXXXXXXXXXXXXXXXXXXXXX", "chunks"), { recursive: true });
    writeFileSync(
      join(dir, "01HXXXXXXXXXXXXXXXXXXXXXXX", "meta.json"),
      readFileSync(join(dir, good[0]!, "meta.json")),
    );
    writeFileSync(join(dir, "01HXXXXXXXXXXXXXXXXXXXXXXX", "index"), "garbage");
    const warnings: string[] = [];
    const store = BlockStore.open(dir, { logger: { warn: (m) => warnings.push(m) } });
    expect(store.blocks().map((b) => b.ulid)).toEqual(good);
    expect(readdirSync(dir).sort()).toEqual(
      [...good, "01HXXXXXXXXXXXXXXXXXXXXXXX", "01HYYYYYYYYYYYYYYYYYYYYYYY"].sort(),
    );
    expect(warnings.length).toBe(2);
    expect(warnings.join("\n")).toMatch(/01HXXX.*index|01HYYY.*meta\.json/);
    const merged = await dump(new MergeQuerier(store.queriers(0, 3 * H)));
    expect(merged[0]![1].length).toBe(180);
    await store.close();

    // A compaction that crashed after renaming its result in but before deleting its sources.
    const store2 = BlockStore.open(dir, { logger: quiet, compactionRanges: [2 * H, 4 * H] });
    const [a, b] = store2.blocks();
    await writeBlock(dir, store2.blocks()[0]!.allSeries(), {
      minTime: 0,
      maxTime: 2 * H,
      parents: [a!.ulid],
    });
    await store2.close();
    const store3 = BlockStore.open(dir, { logger: quiet });
    expect(store3.blocks().map((x) => x.ulid)).not.toContain(a!.ulid);
    expect(store3.blocks().map((x) => x.ulid)).toContain(b!.ulid);
    expect(existsSync(join(dir, a!.ulid))).toBe(false);
    await store3.close();
  });

  it("cuts the head once it spans more than 1.5 block ranges, oldest aligned range first", async () => {
    const s = new HeadWithBlocks(freshDir(), Number.POSITIVE_INFINITY);
    const cases: [number, number | null, [number, number][]][] = [
      [3 * H, null, []],
      [3 * H + 60_000, 2 * H, [[0, 2 * H]]],
      [5 * H, null, [[0, 2 * H]]],
      [
        5 * H + 120_000,
        4 * H,
        [
          [0, 2 * H],
          [2 * H, 4 * H],
        ],
      ],
    ];
    let t = 0;
    for (const [upTo, cut, blocks] of cases) {
      for (; t <= upTo; t += 60_000) await fill(s.head, [[{ __name__: "m" }, [[t, t]]]]);
      expect([upTo, await s.blocks.cutHead(s.head)]).toEqual([upTo, cut]);
      expect(s.blocks.blocks().map((b) => [b.minTime, b.maxTime])).toEqual(blocks);
      expect(s.head.minTime).toBe(blocks.length === 0 ? 0 : blocks[blocks.length - 1]![1]);
    }
    const got = await dump(s.querier(0, t));
    expect(got[0]![1].map(([x]) => x)).toEqual(ramp(0, t, 60_000).map(([x]) => x));
    await s.close();
  });

  it("deletes exactly the blocks past retention, by time and by size", async () => {
    const s = new HeadWithBlocks(freshDir(), 0, { retentionTime: 5 * H });
    for (let i = 0; i < 6; i++)
      await fill(s.head, [[{ __name__: "m" }, ramp(i * 2 * H, (i + 1) * 2 * H, 600_000)]]);
    await s.blocks.flushHead(s.head);
    const ids = s.blocks.blocks().map((b) => b.ulid);
    const last = 12 * H - 600_000;
    expect(s.blocks.blocks().map((b) => b.maxTime)).toEqual([2 * H, 4 * H, 6 * H, 8 * H, 10 * H, last + 1]);
    const cases: [number | undefined, string[]][] = [
      [undefined, ids.slice(0, 3)],
      [12 * H, []],
      [13 * H - 1, []],
      [13 * H, [ids[3]!]],
      [14 * H, []],
    ];
    for (const [newest, want] of cases)
      expect([newest, await s.blocks.applyRetention(newest)]).toEqual([newest, want]);
    expect(ids.slice(0, 4).map((id) => existsSync(join(s.blocks.dir, id)))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    const each = s.blocks.blocks()[0]!.sizeBytes;
    const sized = BlockStore.open(s.blocks.dir, { logger: quiet, retentionTime: 0, retentionSize: each + 1 });
    expect(await sized.applyRetention()).toEqual([ids[4]]);
    expect(sized.blocks().map((b) => b.ulid)).toEqual([ids[5]]);
    await sized.close();
    await s.close();
  });

  it("compaction preserves data across head/block boundaries, flushes and levels (property)", async () => {
    const sample = fc.record({
      s: fc.integer({ min: 0, max: 4 }),
      dt: fc.integer({ min: 1, max: 3 * H }),
      v: fc.double(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(sample, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        async (batches, compactAfter) => {
          const s = new HeadWithBlocks(freshDir(), Number.POSITIVE_INFINITY, {
            compactionRanges: [2 * H, 6 * H, 24 * H],
            yieldEvery: 1,
          });
          const want = new Map<string, Map<number, number>>();
          const last = new Map<number, number>();
          let now = 0;
          for (let i = 0; i < batches.length; i++) {
            const app = s.head.appender();
            for (const { s: k, dt, v } of batches[i]!) {
              const t = Math.max(now, (last.get(k) ?? -1) + 1) + 1 + (dt % 600_000);
              now = t;
              last.set(k, t);
              app.append(0, L({ __name__: "p", k: String(k) }), t, v);
              const key = JSON.stringify({ __name__: "p", k: String(k) });
              if (!want.has(key)) want.set(key, new Map());
              want.get(key)!.set(t, v);
            }
            await app.commit();
            if (i % 2 === 0) await s.blocks.cutHead(s.head);
            else await s.blocks.flushHead(s.head);
            if (compactAfter[i]) await s.blocks.compact();
          }
          const expected: Dump = [...want]
            .sort((a, b) => (a[0] < b[0] ? -1 : 1))
            .map(([k, m]) => [
              k,
              [...m].sort((a, b) => a[0] - b[0]).map(([t, v]) => [t, Object.is(v, -0) ? "-0" : String(v)]),
            ]);
          expect(await dump(s.querier(0, now))).toEqual(expected);
          await s.blocks.compact();
          expect(await dump(s.querier(0, now))).toEqual(expected);
          const dir = s.blocks.dir;
          await s.close();
          const reopened = BlockStore.open(dir, { logger: quiet });
          expect(
            await dump(new MergeQuerier([...reopened.queriers(0, now), s.head.querier(0, now)])),
          ).toEqual(expected);
          await reopened.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it("compacts 2h blocks into 6h, never the window still being filled, and keeps queries that started before", async () => {
    const s = new HeadWithBlocks(freshDir(), 0);
    for (let i = 0; i < 4; i++) {
      await fill(s.head, [
        [{ __name__: "m", i: "1" }, ramp(i * 2 * H, (i + 1) * 2 * H, 60_000)],
        [{ __name__: "m", i: "2" }, ramp(i * 2 * H, (i + 1) * 2 * H, 120_000)],
      ]);
      await s.blocks.flushHead(s.head);
    }
    const before = await dump(s.querier(0, 8 * H));
    const open = s.querier(0, 8 * H);
    const series = await open.select(all);
    const sources = s.blocks
      .blocks()
      .slice(0, 3)
      .map((b) => b.ulid);
    const steps = await s.blocks.compact();
    expect(steps.map((r) => r.replaced)).toEqual([sources]);
    expect(s.blocks.blocks().map((b) => [b.minTime, b.maxTime, b.meta.compaction.level])).toEqual([
      [0, 6 * H - 59_999, 2],
      [6 * H, 8 * H - 59_999, 1],
    ]);
    expect(existsSync(join(s.blocks.dir, sources[0]!))).toBe(true);
    const counts = series.map((x) => {
      const it = x.iterator();
      let n = 0;
      while (it.next()) n++;
      return n;
    });
    expect(counts).toEqual([480, 240]);
    open.close();
    expect(sources.map((id) => existsSync(join(s.blocks.dir, id)))).toEqual([false, false, false]);
    expect(await dump(s.querier(0, 8 * H))).toEqual(before);
    await s.close();
  });

  it("serves queries while a compaction runs, and appends keep committing meanwhile", async () => {
    const s = new HeadWithBlocks(freshDir(), Number.POSITIVE_INFINITY, { yieldEvery: 16 });
    const many = Array.from(
      { length: 400 },
      (_, i) => [{ __name__: "m", i: String(i) }, [] as [number, number][]] as const,
    );
    for (let w = 0; w < 4; w++) {
      for (const [, samples] of many) samples.length = 0;
      for (const [, samples] of many) samples.push(...ramp(w * 2 * H, (w + 1) * 2 * H, 300_000));
      await fill(
        s.head,
        many.map(([l, x]) => [l, x]),
      );
      await s.blocks.flushHead(s.head);
    }
    const some = [new Matcher("=~", "i", "1|7|300")];
    const before = await dump(s.querier(0, 8 * H), some);
    const compaction = s.blocks.compact();
    let done = false;
    void compaction.then(() => {
      done = true;
    });
    let appendsDuring = 0;
    let queriesDuring = 0;
    for (let t = 8 * H; !done; t += 1000) {
      await new Promise((resolve) => setImmediate(resolve));
      await fill(s.head, [[{ __name__: "live" }, [[t, 1]]]]);
      if (!done) appendsDuring++;
      const got = await dump(s.querier(0, 8 * H), some);
      expect(got).toEqual(before);
      if (!done) queriesDuring++;
    }
    expect((await compaction).length).toBe(1);
    expect(appendsDuring).toBeGreaterThan(0);
    expect(queriesDuring).toBeGreaterThan(0);
    await s.close();
  });

  it("hides deleted series through tombstones, keeps them across reopen, and cleans them by rewriting blocks", async () => {
    const s = new HeadWithBlocks(freshDir(), 0);
    await fill(s.head, [
      [{ __name__: "m", i: "1" }, ramp(0, 4 * H, 600_000)],
      [{ __name__: "m", i: "2" }, ramp(0, 4 * H, 600_000)],
    ]);
    await s.blocks.flushHead(s.head);
    expect(await s.blocks.deleteSeries([new Matcher("=", "i", "2")], H, 3 * H)).toBe(2);
    expect(
      await s.blocks.deleteSeries(
        [new Matcher("=", "i", "1")],
        Number.NEGATIVE_INFINITY,
        Number.POSITIVE_INFINITY,
      ),
    ).toBe(2);
    const check = async (store: BlockStore) => {
      const got = await dump(new MergeQuerier(store.queriers(0, 4 * H)));
      expect(got.map(([k, v]) => [k, v.length, v[5]?.[0], v[6]?.[0]])).toEqual([
        ['{"__name__":"m","i":"2"}', 24 - 13, 5 * 600_000, 3 * H + 600_000],
      ]);
      expect(await new MergeQuerier(store.queriers(0, 4 * H)).labelValues("i")).toEqual(["2"]);
    };
    await check(s.blocks);
    const dir = s.blocks.dir;
    await s.close();
    const reopened = BlockStore.open(dir, { logger: quiet });
    await check(reopened);
    const old = reopened.blocks().map((b) => b.ulid);
    expect(await reopened.cleanTombstones()).toBe(2);
    expect(
      reopened.blocks().map((b) => [b.tombstones.size, b.meta.stats.numSeries, old.includes(b.ulid)]),
    ).toEqual([
      [0, 1, false],
      [0, 1, false],
    ]);
    await check(reopened);
    await reopened.close();
  });
});
