import type { SampleIterator } from "../../storage/index.js";
import { type XORChunk, XORIterator } from "../chunk.js";
import { DecimalChunk, DecimalIterator } from "./decimal.js";

/**
 * Iterates a series' chunks (in time order, not overlapping) within [mint, maxt], skipping samples
 * inside deleted intervals (`deleted`: sorted, disjoint [min, max] pairs, inclusive).
 */
export class ChunksIterator implements SampleIterator {
  t = 0;
  v = 0;
  private ci = -1;
  private started = false;
  private done = false;
  private di = 0;
  private readonly xor = new XORIterator();
  private readonly dec = new DecimalIterator();
  private it: XORIterator | DecimalIterator = this.xor;

  constructor(
    private readonly chunks: readonly XORChunk[],
    private readonly mint: number,
    private readonly maxt: number,
    private readonly deleted: Float64Array | null = null,
  ) {}

  private nextChunk(from: number): boolean {
    for (;;) {
      this.ci++;
      if (this.ci >= this.chunks.length) return false;
      const c = this.chunks[this.ci]!;
      if (c.minT > this.maxt) return false;
      if (c.maxT >= from) {
        this.it = c instanceof DecimalChunk ? this.dec : this.xor;
        this.it.reset(c.bytes, c.numSamples);
        this.started = false;
        return true;
      }
    }
  }

  private isDeleted(t: number): boolean {
    const d = this.deleted!;
    while (this.di < d.length && d[this.di + 1]! < t) this.di += 2;
    return this.di < d.length && d[this.di]! <= t;
  }

  private advance(target: number): boolean {
    if (this.done) return false;
    for (;;) {
      if (this.ci >= 0 && this.ci < this.chunks.length && this.chunks[this.ci]!.maxT >= target) {
        const ok = this.started
          ? this.it.next() && (this.it.t >= target || this.it.seek(target))
          : this.it.seek(target);
        if (ok) {
          this.started = true;
          const t = this.it.t;
          if (t > this.maxt) break;
          if (this.deleted !== null && this.isDeleted(t)) continue;
          this.t = t;
          this.v = this.it.v;
          return true;
        }
      }
      if (!this.nextChunk(target)) break;
    }
    this.done = true;
    return false;
  }

  next(): boolean {
    return this.advance(this.mint);
  }

  seek(t: number): boolean {
    if (this.done) return false;
    if (this.started && this.t >= t) return true;
    return this.advance(Math.max(t, this.mint));
  }
}
