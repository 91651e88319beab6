import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { labelsFromRecord, Matcher, STALE_NAN } from "../../model/index.js";
import type { Series } from "../../storage/index.js";
import { MergeQuerier } from "./merge.js";
import { HeadWithBlocks, tempDir } from "./testutil.js";

const tmp = tempDir("rm-bulk-");
afterAll(() => tmp.cleanup());
let dirs = 0;
const all = [new Matcher("=~", "__name__", ".+")];

interface Bulk {
  maxSamples(): number;
  readInto(ts: Float64Array, vs: Float64Array, offset: number): number;
}

/** The iterator's samples and readInto's, as [t, value bits] pairs. */
function both(s: Series): [string[], string[]] {
  const bits = (v: number) => {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v);
    return b.getBigUint64(0).toString(16);
  };
  const it = s.iterator();
  const want: string[] = [];
  const wantV = new Float64Array(1);
  while (it.next()) {
    wantV[0] = it.v;
    want.push(`${it.t}:${bits(wantV[0]!)}`);
  }
  const b = s as unknown as Partial<Bulk>;
  expect(typeof b.readInto).toBe("function");
  const ts = new Float64Array(b.maxSamples!() + 3);
  const vs = new Float64Array(ts.length);
  const n = b.readInto!(ts, vs, 3);
  const dv = new DataView(vs.buffer);
  const got: string[] = [];
  for (let i = 0; i < n; i++) got.push(`${ts[3 + i]}:${dv.getBigUint64((3 + i) * 8, true).toString(16)}`);
  return [got, want];
}

const value = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map((x) => x / 10),
  fc.double({ noNaN: true }),
  fc.constant(STALE_NAN),
  fc.constant(Number.NaN),
);
const batch = fc.array(
  fc.tuple(
    fc.integer({ min: 0, max: 2 }),
    fc.integer({ min: 0, max: 100 }).map((t) => t * 30),
    value,
  ),
  {
    maxLength: 60,
  },
);

async function fill(store: HeadWithBlocks, samples: [number, number, number][]): Promise<void> {
  const sorted = [...samples].sort((a, b) => a[1] - b[1]);
  for (let i = 0; i < sorted.length; i += 7) {
    const app = store.appender();
    for (const [s, t, v] of sorted.slice(i, i + 7)) {
      try {
        app.append(0, labelsFromRecord({ __name__: "m", s: String(s) }), t, v);
      } catch {}
    }
    await app.commit();
  }
}

describe("bulk reads (readInto) of block and merged series", () => {
  it("give exactly the iterator's samples across head, blocks, tombstones and overlapping stores", async () => {
    await fc.assert(
      fc.asyncProperty(
        batch,
        batch,
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 500 }))),
        async (a, b, lo, span, del) => {
          const x = new HeadWithBlocks(join(tmp.dir, String(dirs++)), 100);
          const y = new HeadWithBlocks(join(tmp.dir, String(dirs++)), 300);
          try {
            await fill(x, a);
            await fill(y, b);
            if (del) await x.blocks.deleteSeries(all, del[0], del[0] + del[1]);
            for (const q of [
              x.querier(lo, lo + span),
              new MergeQuerier([x.querier(lo, lo + span), y.querier(lo, lo + span)]),
              new MergeQuerier([...x.blocks.queriers(0, 5000), ...y.blocks.queriers(0, 5000)]),
            ]) {
              for (const s of await q.select(all)) {
                const [got, want] = both(s);
                expect(got).toEqual(want);
              }
              q.close();
            }
          } finally {
            await x.close();
            await y.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
