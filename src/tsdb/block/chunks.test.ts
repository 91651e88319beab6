import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  ChunkFileReader,
  ChunkFileWriter,
  type ChunkLocation,
  ChunkRangeReader,
  decodeChunkRecord,
  ENC_XOR,
} from "./chunks.js";

const root = mkdtempSync(join(tmpdir(), "chunks-test-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** Writes records of the given sizes (byte i of record r is (r + i) & 0xff) into small chunk files. */
function writeRecords(sizes: readonly number[], segmentSize: number): { dir: string; locs: ChunkLocation[] } {
  const dir = join(root, String(dirs++));
  const w = new ChunkFileWriter(dir, segmentSize);
  const locs = sizes.map((n, r) =>
    w.write(
      ENC_XOR,
      Uint8Array.from({ length: n }, (_, i) => (r + i) & 0xff),
    ),
  );
  w.close();
  return { dir, locs };
}

/** A reader that counts its system calls. */
function countingReader(dir: string): { reader: ChunkFileReader; reads: () => number } {
  const reader = new ChunkFileReader(dir);
  let reads = 0;
  const readRange = reader.readRange.bind(reader);
  reader.readRange = (file, offset, length) => {
    reads++;
    return readRange(file, offset, length);
  };
  return { reader, reads: () => reads };
}

describe("reading a selection's chunk records in coalesced ranges", () => {
  it("gives every selected record exactly, whichever records are selected and however files are cut (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 2000, max: 40000 }),
        fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
        (sizes, segmentSize, pick) => {
          const { dir, locs } = writeRecords(sizes, segmentSize);
          const chosen = locs.map((l, r) => ({ l, r })).filter((_, r) => pick[r]);
          const { reader } = countingReader(dir);
          const ranges = new ChunkRangeReader(
            reader,
            chosen.map((c) => c.l),
          );
          chosen.forEach(({ l, r }, j) => {
            const { encoding, data } = decodeChunkRecord(ranges.bytes(j), l.offset - ranges.base(j), dir);
            expect(encoding).toBe(ENC_XOR);
            expect(data).toEqual(Uint8Array.from({ length: sizes[r]! }, (_, i) => (r + i) & 0xff));
          });
          reader.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("reads 2,000 neighbouring records of 400 bytes with one read per MiB, and a record asked for again after others is read again", () => {
    const { dir, locs } = writeRecords(new Array(2000).fill(400), 512 << 20);
    const { reader, reads } = countingReader(dir);
    const ranges = new ChunkRangeReader(reader, locs);
    for (let j = 0; j < locs.length; j++) ranges.bytes(j);
    expect(reads()).toBe(1);
    const spread = writeRecords(new Array(6000).fill(400), 512 << 20);
    const counted = countingReader(spread.dir);
    const all = new ChunkRangeReader(counted.reader, spread.locs);
    for (let j = 0; j < spread.locs.length; j++) all.bytes(j);
    expect(counted.reads()).toBe(3);
    all.bytes(0);
    expect(counted.reads()).toBe(4);
    reader.close();
    counted.reader.close();
  });

  it("reads records far apart one by one (no read across a large gap)", () => {
    const { dir, locs } = writeRecords(new Array(300).fill(400), 512 << 20);
    const every100th = locs.filter((_, r) => r % 100 === 0);
    const { reader, reads } = countingReader(dir);
    const ranges = new ChunkRangeReader(reader, every100th);
    for (let j = 0; j < every100th.length; j++) ranges.bytes(j);
    expect(reads()).toBe(3);
    reader.close();
  });
});
