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
    out.push(group.length === 1 ? group[0]! : new MergedSeries(min, group.slice()));
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
