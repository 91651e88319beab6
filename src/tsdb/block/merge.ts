import { compareLabels, type Labels, type Matcher } from "../../model/index.js";
import type { Querier, SampleIterator, SelectHints, Series } from "../../storage/index.js";

/**
 * Merges the samples of several iterators of one series by timestamp; equal timestamps yield one
 * sample (the one from the latest iterator in the list, so the head wins over blocks).
 */
export class MergeIterator implements SampleIterator {
  t = 0;
  v = 0;
  private readonly ok: boolean[];
  private started = false;

  constructor(private readonly its: readonly SampleIterator[]) {
    this.ok = its.map(() => false);
  }

  private pick(): boolean {
    let best = -1;
    let bt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.its.length; i++) {
      if (this.ok[i] && this.its[i]!.t <= bt) {
        bt = this.its[i]!.t;
        best = i;
      }
    }
    if (best < 0) return false;
    this.t = bt;
    this.v = this.its[best]!.v;
    return true;
  }

  next(): boolean {
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.its.length; i++) this.ok[i] = this.its[i]!.next();
      return this.pick();
    }
    const t = this.t;
    for (let i = 0; i < this.its.length; i++)
      if (this.ok[i] && this.its[i]!.t === t) this.ok[i] = this.its[i]!.next();
    return this.pick();
  }

  seek(t: number): boolean {
    if (this.started && this.t >= t) return true;
    this.started = true;
    for (let i = 0; i < this.its.length; i++) {
      const it = this.its[i]!;
      if (this.ok[i] && it.t >= t) continue;
      this.ok[i] = it.seek(t);
    }
    return this.pick();
  }
}

/** One series assembled from the same label set in several queriers. */
class MergedSeries implements Series {
  constructor(
    readonly labels: Labels,
    private readonly parts: readonly Series[],
  ) {}

  iterator(): SampleIterator {
    return new MergeIterator(this.parts.map((p) => p.iterator()));
  }
}

/** A series that decodes its samples in range straight into typed arrays. */
interface BulkSeries extends Series {
  maxSamples(): number;
  readInto(ts: Float64Array, vs: Float64Array, offset: number): number;
}

function isBulk(s: Series): s is BulkSeries {
  const b = s as Partial<BulkSeries>;
  return typeof b.maxSamples === "function" && typeof b.readInto === "function";
}

function u32(a: Float64Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** A merged series whose parts all read in bulk, so it reads in bulk too. */
class BulkMergedSeries extends MergedSeries {
  constructor(
    labels: Labels,
    private readonly bulk: readonly BulkSeries[],
  ) {
    super(labels, bulk);
  }

  /** An upper bound of the samples {@link readInto} writes: the sum of its parts' bounds. */
  maxSamples(): number {
    let n = 0;
    for (const p of this.bulk) n += p.maxSamples();
    return n;
  }

  /**
   * Writes the merged samples into `ts`/`vs` from `offset` on and returns how many; on equal
   * timestamps the later part wins, as in {@link MergeIterator}. Value bits are copied exactly.
   */
  readInto(ts: Float64Array, vs: Float64Array, offset: number): number {
    const parts = this.bulk;
    const np = parts.length;
    // the usual case, adjacent blocks and the head: each part's samples come after the previous
    // part's, so the parts are read straight into the output one after the other
    let k = offset;
    let disjoint = true;
    for (let i = 0; i < np; i++) {
      const n = parts[i]!.readInto(ts, vs, k);
      if (n > 0 && k > offset && ts[k]! <= ts[k - 1]!) {
        disjoint = false;
        break;
      }
      k += n;
    }
    if (disjoint) return k - offset;
    return this.mergeInto(ts, vs, offset);
  }

  /** The general case: parts that overlap in time, merged sample by sample. */
  private mergeInto(ts: Float64Array, vs: Float64Array, offset: number): number {
    const parts = this.bulk;
    const np = parts.length;
    const pt: Float64Array[] = new Array(np);
    const pv: Uint32Array[] = new Array(np);
    const len = new Array<number>(np);
    const pos = new Array<number>(np).fill(0);
    for (let i = 0; i < np; i++) {
      const m = parts[i]!.maxSamples();
      const t = new Float64Array(m);
      const v = new Float64Array(m);
      len[i] = parts[i]!.readInto(t, v, 0);
      pt[i] = t;
      pv[i] = u32(v);
    }
    const out = u32(vs);
    let k = offset;
    for (;;) {
      let best = -1;
      let bt = Number.POSITIVE_INFINITY;
      for (let i = 0; i < np; i++) {
        const p = pos[i]!;
        if (p < len[i]! && pt[i]![p]! <= bt) {
          bt = pt[i]![p]!;
          best = i;
        }
      }
      if (best < 0) break;
      const src = pv[best]!;
      const p = pos[best]!;
      ts[k] = bt;
      out[2 * k] = src[2 * p]!;
      out[2 * k + 1] = src[2 * p + 1]!;
      k++;
      for (let i = 0; i < np; i++) if (pos[i]! < len[i]! && pt[i]![pos[i]!] === bt) pos[i]!++;
    }
    return k - offset;
  }
}

/**
 * Merges already sorted series lists (one per source, sources in priority order: later wins on
 * equal timestamps) into one sorted list; equal label sets become one series.
 */
export function mergeSeriesSets(sets: readonly (readonly Series[])[]): Series[] {
  const nonEmpty = sets.filter((s) => s.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return nonEmpty[0]!.slice();
  const pos = nonEmpty.map(() => 0);
  const out: Series[] = [];
  const group: Series[] = [];
  for (;;) {
    let min: Labels | null = null;
    for (let i = 0; i < nonEmpty.length; i++) {
      const s = nonEmpty[i]![pos[i]!];
      if (s !== undefined && (min === null || compareLabels(s.labels, min) < 0)) min = s.labels;
    }
    if (min === null) break;
    group.length = 0;
    for (let i = 0; i < nonEmpty.length; i++) {
      const s = nonEmpty[i]![pos[i]!];
      if (s !== undefined && compareLabels(s.labels, min) === 0) {
        group.push(s);
        pos[i]!++;
      }
    }
    if (group.length === 1) out.push(group[0]!);
    else if (group.every(isBulk)) out.push(new BulkMergedSeries(min, group.slice() as BulkSeries[]));
    else out.push(new MergedSeries(min, group.slice()));
  }
  return out;
}

function mergeSorted(lists: readonly string[][]): string[] {
  const set = new Set<string>();
  for (const l of lists) for (const s of l) set.add(s);
  return [...set].sort();
}

/**
 * A querier over several queriers (blocks oldest first, then the head): series sorted by labels,
 * the same series from several sources merged, samples de-duplicated by timestamp.
 */
export class MergeQuerier implements Querier {
  constructor(private readonly queriers: readonly Querier[]) {}

  async select(matchers: readonly Matcher[], hints?: SelectHints): Promise<Series[]> {
    const inner = hints?.limit ? { ...hints, limit: 0 } : hints;
    const sets = await Promise.all(this.queriers.map((q) => q.select(matchers, inner)));
    const out = mergeSeriesSets(sets);
    const limit = hints?.limit ?? 0;
    if (limit > 0 && out.length > limit) out.length = limit;
    return out;
  }

  async labelNames(matchers?: readonly Matcher[]): Promise<string[]> {
    return mergeSorted(await Promise.all(this.queriers.map((q) => q.labelNames(matchers))));
  }

  async labelValues(name: string, matchers?: readonly Matcher[]): Promise<string[]> {
    return mergeSorted(await Promise.all(this.queriers.map((q) => q.labelValues(name, matchers))));
  }

  close(): void {
    for (const q of this.queriers) q.close();
  }
}
