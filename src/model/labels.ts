/** One label: a name and a value. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

/**
 * A label set: sorted by name, names unique, no empty values (an empty value means "absent",
 * as in Prometheus). Treat it as immutable; build new ones with {@link LabelsBuilder}.
 */
export type Labels = readonly Label[];

/** The reserved label that holds the metric name. */
export const METRIC_NAME = "__name__";

/** The empty label set. */
export const EMPTY_LABELS: Labels = Object.freeze([]);

const SEP = "\xff";

/**
 * Builds a label set from a plain object, dropping empty values and sorting by name.
 * @example labelsFromRecord({ __name__: "up", job: "node" })
 */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  const out: Label[] = [];
  for (const name of Object.keys(record)) {
    const value = record[name];
    if (value !== undefined && value !== "") out.push({ name, value });
  }
  return out.sort(compareLabelNames);
}

/**
 * Builds a label set from flat name/value pairs, dropping empty values and sorting by name.
 * A later duplicate name overrides an earlier one.
 */
export function labelsFromPairs(pairs: readonly string[]): Labels {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < pairs.length; i += 2) map.set(pairs[i]!, pairs[i + 1]!);
  const out: Label[] = [];
  for (const [name, value] of map) if (value !== "") out.push({ name, value });
  return out.sort(compareLabelNames);
}

/** Converts a label set to a plain object (for JSON answers). */
export function labelsToRecord(ls: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of ls) out[l.name] = l.value;
  return out;
}

function compareLabelNames(a: Label, b: Label): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The value of `name`, or "" when the label is absent. */
export function labelsGet(ls: Labels, name: string): string {
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (l.name === name) return l.value;
  }
  return "";
}

/** True when the set has a label `name`. */
export function labelsHas(ls: Labels, name: string): boolean {
  return labelsGet(ls, name) !== "";
}

/**
 * A canonical string key for the set: equal sets give equal keys, different sets different keys
 * (0xff cannot appear in UTF-8 text, so it separates unambiguously).
 */
export function labelsKey(ls: Labels): string {
  let s = "";
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    s += l.name + SEP + l.value + SEP;
  }
  return s;
}

/** Compares two label sets the way Prometheus orders series: label by label, name then value. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name) return x.name < y.name ? -1 : 1;
    if (x.value !== y.value) return x.value < y.value ? -1 : 1;
  }
  return a.length - b.length;
}

/** True when both sets hold the same labels. */
export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.name !== b[i]!.name || a[i]!.value !== b[i]!.value) return false;
  }
  return true;
}

/** The set without the metric name. */
export function dropMetricName(ls: Labels): Labels {
  return ls.some((l) => l.name === METRIC_NAME) ? ls.filter((l) => l.name !== METRIC_NAME) : ls;
}

/** Formats a set the way Prometheus prints series: `name{a="b", c="d"}`. */
export function formatLabels(ls: Labels): string {
  const name = labelsGet(ls, METRIC_NAME);
  const parts: string[] = [];
  for (const l of ls) {
    if (l.name !== METRIC_NAME) parts.push(`${l.name}=${JSON.stringify(l.value)}`);
  }
  if (name !== "" && parts.length === 0) return name;
  return `${name}{${parts.join(", ")}}`;
}

/** 64-bit FNV-1a over the canonical key, returned as a bigint-free pair folded to a safe integer. */
export function labelsHash(ls: Labels): number {
  return hashString(labelsKey(ls));
}

/** A 53-bit hash of a string (two independent 32-bit FNV-1a variants combined). */
export function hashString(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}

/** Mutable builder for label sets. */
export class LabelsBuilder {
  private readonly map = new Map<string, string>();

  constructor(base: Labels = EMPTY_LABELS) {
    for (const l of base) this.map.set(l.name, l.value);
  }

  /** Sets `name` to `value`; an empty value deletes the label. */
  set(name: string, value: string): this {
    if (value === "") this.map.delete(name);
    else this.map.set(name, value);
    return this;
  }

  del(name: string): this {
    this.map.delete(name);
    return this;
  }

  get(name: string): string {
    return this.map.get(name) ?? "";
  }

  /** Keeps only the named labels. */
  keep(names: readonly string[]): this {
    const keep = new Set(names);
    for (const name of [...this.map.keys()]) if (!keep.has(name)) this.map.delete(name);
    return this;
  }

  /** Calls `fn` for each label currently in the builder. */
  forEach(fn: (name: string, value: string) => void): void {
    for (const [name, value] of [...this.map]) fn(name, value);
  }

  labels(): Labels {
    const out: Label[] = [];
    for (const [name, value] of this.map) out.push({ name, value });
    return out.sort(compareLabelNames);
  }
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** True for a legacy (non-UTF-8) valid label name. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

/** True for a legacy valid metric name. */
export function isValidMetricName(name: string): boolean {
  return METRIC_NAME_RE.test(name);
}
