import { type Labels, labelsKey, METRIC_NAME } from "../model/index.js";
import { ExecutionError } from "./errors.js";

/**
 * One series of an instant-vector expression evaluated over all steps: the steps (indices into
 * the evaluator's step grid) where it has a value, and those values. `times` holds the samples'
 * own timestamps when a vector selector produced the series (for `timestamp()`).
 */
export interface StepSeries {
  labels: Labels;
  /** True when the metric name is to be dropped at the end (delayed name removal). */
  dropName: boolean;
  steps: number[];
  vals: number[];
  times?: number[];
}

/** Labels Prometheus treats as metadata and drops together with `__name__`. */
const METADATA_LABELS = new Set([METRIC_NAME, "__type__", "__unit__"]);

/** The label set without `__name__`, `__type__` and `__unit__`. */
export function dropMetadata(ls: Labels): Labels {
  for (let i = 0; i < ls.length; i++) {
    if (METADATA_LABELS.has(ls[i]!.name)) return ls.filter((l) => !METADATA_LABELS.has(l.name));
  }
  return ls;
}

/** Formats labels like Go's `labels.Labels.String()`: `{a="b", c="d"}`. */
export function goLabelsString(ls: Labels): string {
  return `{${ls.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(", ")}}`;
}

/**
 * Collects output points into series keyed by label set, in first-seen order. Adding a second
 * point for the same label set at the same step raises Prometheus's duplicate-labelset error.
 */
export class SeriesBuilder {
  private readonly map = new Map<string, StepSeries>();
  readonly list: StepSeries[] = [];

  add(labels: Labels, step: number, v: number, dropName = false, key = labelsKey(labels)): StepSeries {
    let s = this.map.get(key);
    if (!s) {
      s = { labels, dropName, steps: [], vals: [] };
      this.map.set(key, s);
      this.list.push(s);
    } else {
      const last = s.steps.length - 1;
      if (last >= 0 && s.steps[last]! >= step) {
        if (s.steps[last] === step)
          throw new ExecutionError("vector cannot contain metrics with the same labelset");
      }
      if (dropName) s.dropName = true;
    }
    s.steps.push(step);
    s.vals.push(v);
    return s;
  }

  /** Adds a whole series; merges into an existing one with the same labels (sorted by step). */
  addSeries(src: StepSeries, labels: Labels = src.labels, key = labelsKey(labels)): void {
    const s = this.map.get(key);
    if (!s) {
      const n: StepSeries = { labels, dropName: src.dropName, steps: src.steps, vals: src.vals };
      if (src.times) n.times = src.times;
      this.map.set(key, n);
      this.list.push(n);
      return;
    }
    const steps: number[] = [];
    const vals: number[] = [];
    let i = 0;
    let j = 0;
    while (i < s.steps.length || j < src.steps.length) {
      const a = i < s.steps.length ? s.steps[i]! : Number.POSITIVE_INFINITY;
      const b = j < src.steps.length ? src.steps[j]! : Number.POSITIVE_INFINITY;
      if (a === b) throw new ExecutionError("vector cannot contain metrics with the same labelset");
      if (a < b) {
        steps.push(a);
        vals.push(s.vals[i++]!);
      } else {
        steps.push(b);
        vals.push(src.vals[j++]!);
      }
    }
    s.steps = steps;
    s.vals = vals;
    s.times = undefined;
    s.dropName ||= src.dropName;
  }
}

/**
 * A step-major view of a list of series: for step i, entries `offsets[i]..offsets[i+1]` list the
 * series present at that step (`sidx`, in series order) and their values.
 */
export interface ByStep {
  offsets: Int32Array;
  sidx: Int32Array;
  vals: Float64Array;
}

/** Builds the step-major view of `series` over `n` steps. */
export function byStep(series: readonly StepSeries[], n: number): ByStep {
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (const s of series) {
    for (const st of s.steps) offsets[st + 1]!++;
    total += s.steps.length;
  }
  for (let i = 0; i < n; i++) offsets[i + 1]! += offsets[i]!;
  const fill = offsets.slice(0, n);
  const sidx = new Int32Array(total);
  const vals = new Float64Array(total);
  for (let k = 0; k < series.length; k++) {
    const s = series[k]!;
    for (let j = 0; j < s.steps.length; j++) {
      const p = fill[s.steps[j]!]!++;
      sidx[p] = k;
      vals[p] = s.vals[j]!;
    }
  }
  return { offsets, sidx, vals };
}
