import type { Label, Labels, Matcher } from "../model/index.js";

/** A sorted (ascending), duplicate-free list of series ids. */
export type Postings = readonly number[] | Uint32Array;

const EMPTY: Postings = new Uint32Array(0);

/** Ids present in both lists. Gallops through the longer list when sizes differ a lot. */
export function intersect(a: Postings, b: Postings): Postings {
  if (a.length > b.length) [a, b] = [b, a];
  if (a.length === 0) return EMPTY;
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  const bl = b.length;
  for (let i = 0; i < a.length && j < bl; i++) {
    const x = a[i]!;
    if (b[j]! < x) {
      let step = 1;
      while (j + step < bl && b[j + step]! < x) step *= 2;
      let lo = j + (step >> 1);
      let hi = Math.min(j + step, bl);
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (b[mid]! < x) lo = mid + 1;
        else hi = mid;
      }
      j = lo;
    }
    if (j < bl && b[j] === x) {
      out[n++] = x;
      j++;
    }
  }
  return out.subarray(0, n);
}

/** Ids in `a` but not in `b`. */
export function subtract(a: Postings, b: Postings): Postings {
  if (b.length === 0 || a.length === 0) return a;
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    while (j < b.length && b[j]! < x) j++;
    if (j < b.length && b[j] === x) continue;
    out[n++] = x;
  }
  return out.subarray(0, n);
}

/** Ids in any of the lists (duplicates removed). */
export function union(lists: readonly Postings[]): Postings {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0]!;
  let total = 0;
  for (const l of lists) total += l.length;
  const out = new Uint32Array(total);
  let n = 0;
  for (const l of lists) for (let i = 0; i < l.length; i++) out[n++] = l[i]!;
  out.sort();
  let w = 0;
  for (let i = 0; i < n; i++) if (w === 0 || out[w - 1] !== out[i]) out[w++] = out[i]!;
  return out.subarray(0, w);
}

/** Inserts `id` into a sorted list, keeping it sorted; appending is the common, O(1) case. */
function insertSorted(list: number[], id: number): void {
  const last = list.length - 1;
  if (last < 0 || list[last]! < id) {
    list.push(id);
    return;
  }
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] !== id) list.splice(lo, 0, id);
}

function removeSorted(list: number[], id: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === id) list.splice(lo, 1);
}

/** One label pair's entry: the shared (interned) label object and the ids of the series carrying it. */
export interface PostingsEntry {
  readonly label: Label;
  readonly ids: number[];
}

/**
 * If `re` is a plain alternation of literals (`a|b|c`, optionally wrapped in one group, with
 * backslash-escaped punctuation), returns the literals; otherwise null.
 */
export function literalAlternatives(re: string): string[] | null {
  let s = re;
  if (s.startsWith("(?:") && s.endsWith(")")) s = s.slice(3, -1);
  else if (s.startsWith("(") && s.endsWith(")")) s = s.slice(1, -1);
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") {
      const d = s[i + 1];
      if (d === undefined || /[\p{L}\p{N}]/u.test(d)) return null;
      cur += d;
      i++;
    } else if (c === "|") {
      out.push(cur);
      cur = "";
    } else if (".[]{}()*+?^$".includes(c)) {
      return null;
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/**
 * The inverted index of the head: label name → value → sorted series ids. Label objects are
 * interned here, so series sharing a label pair share one object and one pair of strings.
 */
export class MemPostings {
  private readonly m = new Map<string, Map<string, PostingsEntry>>();
  private readonly all: number[] = [];

  /** Number of series indexed. */
  get size(): number {
    return this.all.length;
  }

  /**
   * Indexes series `id` and returns its labels rebuilt from interned label objects.
   * Ids are expected to grow (then each insert is an append), but any order works.
   */
  add(id: number, labels: Labels): Labels {
    const out: Label[] = new Array(labels.length);
    for (let i = 0; i < labels.length; i++) {
      const l = labels[i]!;
      let values = this.m.get(l.name);
      if (values === undefined) {
        values = new Map();
        this.m.set(l.name, values);
      }
      let e = values.get(l.value);
      if (e === undefined) {
        e = { label: { name: l.name, value: l.value }, ids: [] };
        values.set(l.value, e);
      }
      insertSorted(e.ids, id);
      out[i] = e.label;
    }
    insertSorted(this.all, id);
    return out;
  }

  /** Removes series `id` (indexed with `labels`). */
  delete(id: number, labels: Labels): void {
    for (const l of labels) {
      const values = this.m.get(l.name);
      const e = values?.get(l.value);
      if (values === undefined || e === undefined) continue;
      removeSorted(e.ids, id);
      if (e.ids.length === 0) values.delete(l.value);
      if (values.size === 0) this.m.delete(l.name);
    }
    removeSorted(this.all, id);
  }

  /** All indexed ids. */
  allPostings(): Postings {
    return this.all;
  }

  /** The ids of series with label `name` = `value`. */
  get(name: string, value: string): Postings {
    return this.m.get(name)?.get(value)?.ids ?? EMPTY;
  }

  /** Sorted label names. */
  labelNames(): string[] {
    return [...this.m.keys()].sort();
  }

  /** Sorted values of label `name`. */
  labelValues(name: string): string[] {
    const values = this.m.get(name);
    return values === undefined ? [] : [...values.keys()].sort();
  }

  /** The value → entry map of one label name (read only), for statistics. */
  entries(): ReadonlyMap<string, ReadonlyMap<string, PostingsEntry>> {
    return this.m;
  }

  /**
   * The ids of the series matching all `matchers`, with Prometheus semantics: a matcher that
   * matches the empty string also selects series lacking the label. No matchers select all.
   */
  forMatchers(matchers: readonly Matcher[]): Postings {
    const positive: Postings[] = [];
    const negative: Postings[] = [];
    for (const m of matchers) {
      if (m.matchesEmpty()) {
        const p = this.inverse(m);
        if (p !== null) negative.push(p);
      } else {
        const p = this.matching(m);
        if (p.length === 0) return EMPTY;
        positive.push(p);
      }
    }
    let out: Postings;
    if (positive.length === 0) {
      out = this.all;
    } else {
      positive.sort((a, b) => a.length - b.length);
      out = positive[0]!;
      for (let i = 1; i < positive.length && out.length > 0; i++) out = intersect(out, positive[i]!);
    }
    for (const n of negative) {
      if (out.length === 0) break;
      out = subtract(out, n);
    }
    return out;
  }

  /** Ids of series having label `m.name` with a value `m` accepts. */
  private matching(m: Matcher): Postings {
    const values = this.m.get(m.name);
    if (values === undefined) return EMPTY;
    if (m.type === "=") return values.get(m.value)?.ids ?? EMPTY;
    if (m.type === "=~") {
      if (m.value === ".+") return this.unionWhere(values, () => true);
      const lits = literalAlternatives(m.value);
      if (lits !== null) return this.unionOf(values, lits);
    }
    if (m.type === "!=") return this.unionWhere(values, (v) => v !== m.value);
    return this.unionWhere(values, (v) => m.matches(v));
  }

  /**
   * Ids of series having label `m.name` with a value `m` rejects (for a matcher that accepts the
   * empty string), or null when there are none to remove.
   */
  private inverse(m: Matcher): Postings | null {
    const values = this.m.get(m.name);
    if (values === undefined) return null;
    if (m.type === "=~" && m.value === ".*") return null;
    if (m.type === "=" && m.value === "") return this.unionWhere(values, () => true);
    if (m.type === "!=") return values.get(m.value)?.ids ?? null;
    if (m.type === "!~") {
      const lits = literalAlternatives(m.value);
      if (lits !== null) return this.unionOf(values, lits);
    }
    return this.unionWhere(values, (v) => !m.matches(v));
  }

  private unionOf(values: Map<string, PostingsEntry>, lits: readonly string[]): Postings {
    const lists: Postings[] = [];
    for (const v of new Set(lits)) {
      const e = values.get(v);
      if (e !== undefined) lists.push(e.ids);
    }
    return union(lists);
  }

  private unionWhere(values: Map<string, PostingsEntry>, keep: (v: string) => boolean): Postings {
    const lists: Postings[] = [];
    for (const [v, e] of values) if (keep(v)) lists.push(e.ids);
    return union(lists);
  }
}
