import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { normalCdf, type Rng } from "./rng.js";

/** The definition of one simulated metric family. */
export interface FamilyDef {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Histogram bucket upper bounds, ascending (without +Inf). */
  readonly buckets?: readonly number[];
}

/** One exposed sample series of a store: its metric name and labels (without target labels). */
export interface SampleSeries {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A counter of a {@link SeriesStore}. */
export class SimCounter {
  constructor(
    private readonly store: SeriesStore,
    readonly idx: number,
    readonly def: FamilyDef,
    readonly labels: Readonly<Record<string, string>>,
  ) {}
  /** Adds a non-negative amount. */
  add(v: number): void {
    if (v > 0) this.store.values[this.idx]! += v;
  }
  /** The current value. */
  get value(): number {
    return this.store.values[this.idx]!;
  }
}

/** A gauge of a {@link SeriesStore}. */
export class SimGauge {
  constructor(
    private readonly store: SeriesStore,
    readonly idx: number,
    readonly def: FamilyDef,
    readonly labels: Readonly<Record<string, string>>,
  ) {}
  /** Sets the value. */
  set(v: number): void {
    this.store.values[this.idx] = v;
  }
  /** The current value. */
  get value(): number {
    return this.store.values[this.idx]!;
  }
}

/**
 * A histogram of a {@link SeriesStore}: cumulative bucket counts (one per bound, then +Inf), then
 * the sum, then the count, at consecutive indices.
 */
export class SimHistogram {
  readonly bounds: readonly number[];
  constructor(
    private readonly store: SeriesStore,
    readonly idx: number,
    readonly def: FamilyDef,
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.bounds = def.buckets ?? [];
  }
  /** Index of the sum series. */
  get sumIdx(): number {
    return this.idx + this.bounds.length + 1;
  }
  /** Index of the count series. */
  get countIdx(): number {
    return this.idx + this.bounds.length + 2;
  }
  /** Records one observation. */
  observe(v: number): void {
    const vals = this.store.values;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) if (v <= b[i]!) vals[this.idx + i]! += 1;
    vals[this.idx + b.length]! += 1;
    vals[this.sumIdx]! += v;
    vals[this.countIdx]! += 1;
  }
  /**
   * Records `count` observations from a log-normal distribution: drawn one by one when few, else
   * spread over the buckets by the distribution's CDF (with the median jittered a little so the
   * quantiles are not flat lines).
   */
  observeLogNormal(rng: Rng, count: number, median: number, sigma: number): void {
    if (count <= 0) return;
    if (count <= 24) {
      for (let i = 0; i < count; i++) this.observe(rng.lognormal(median, sigma));
      return;
    }
    const m = median * Math.exp(0.05 * rng.normal());
    const vals = this.store.values;
    const b = this.bounds;
    const lm = Math.log(m);
    for (let i = 0; i < b.length; i++) {
      vals[this.idx + i]! += Math.round(count * normalCdf((Math.log(b[i]!) - lm) / sigma));
    }
    vals[this.idx + b.length]! += count;
    vals[this.sumIdx]! += count * m * Math.exp((sigma * sigma) / 2);
    vals[this.countIdx]! += count;
  }
}

/** Any handle of a store. */
export type SimHandle = SimCounter | SimGauge | SimHistogram;

/**
 * The simulated metric state of one target (a node or the database): every series' current value
 * in one growable Float64Array, with the families and handles that move them. History writes
 * these values to storage; the live servers mirror them into prom-client registries.
 */
export class SeriesStore {
  /** Current values, indexed by sample series (only the first `size` are in use). */
  values = new Float64Array(256);
  /** The sample series, in creation order. */
  readonly series: SampleSeries[] = [];
  /** The handles, in creation order. */
  readonly handles: SimHandle[] = [];
  private readonly byKey = new Map<string, SimHandle>();

  /** Number of sample series. */
  get size(): number {
    return this.series.length;
  }

  private alloc(entries: SampleSeries[]): number {
    const idx = this.series.length;
    const need = idx + entries.length;
    if (need > this.values.length) {
      const grown = new Float64Array(Math.max(need, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    for (const e of entries) this.series.push(e);
    return idx;
  }

  private key(def: FamilyDef, labels: Readonly<Record<string, string>>): string {
    let k = def.name;
    for (const n of def.labelNames) k += `\xff${labels[n] ?? ""}`;
    return k;
  }

  private check(def: FamilyDef, labels: Readonly<Record<string, string>>): void {
    for (const n of def.labelNames) {
      if (!labels[n]) throw new Error(`simulator: ${def.name} needs label ${n}`);
    }
  }

  /** The counter of `def` with `labels`, created at 0 on first use. */
  counter(def: FamilyDef, labels: Readonly<Record<string, string>> = {}): SimCounter {
    const k = this.key(def, labels);
    const h = this.byKey.get(k);
    if (h) return h as SimCounter;
    this.check(def, labels);
    const c = new SimCounter(this, this.alloc([{ name: def.name, labels }]), def, labels);
    this.byKey.set(k, c);
    this.handles.push(c);
    return c;
  }

  /** The gauge of `def` with `labels`, created at 0 on first use. */
  gauge(def: FamilyDef, labels: Readonly<Record<string, string>> = {}): SimGauge {
    const k = this.key(def, labels);
    const h = this.byKey.get(k);
    if (h) return h as SimGauge;
    this.check(def, labels);
    const g = new SimGauge(this, this.alloc([{ name: def.name, labels }]), def, labels);
    this.byKey.set(k, g);
    this.handles.push(g);
    return g;
  }

  /** The histogram of `def` with `labels`, created empty on first use. */
  histogram(def: FamilyDef, labels: Readonly<Record<string, string>> = {}): SimHistogram {
    const k = this.key(def, labels);
    const h = this.byKey.get(k);
    if (h) return h as SimHistogram;
    this.check(def, labels);
    const entries: SampleSeries[] = [];
    for (const b of def.buckets ?? [])
      entries.push({ name: `${def.name}_bucket`, labels: { ...labels, le: String(b) } });
    entries.push({ name: `${def.name}_bucket`, labels: { ...labels, le: "+Inf" } });
    entries.push({ name: `${def.name}_sum`, labels });
    entries.push({ name: `${def.name}_count`, labels });
    const hist = new SimHistogram(this, this.alloc(entries), def, labels);
    this.byKey.set(k, hist);
    this.handles.push(hist);
    return hist;
  }
}

interface HistogramEntry {
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** A prom-client metric the mirror writes into. */
export type PromMetric = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * Copies a {@link SeriesStore} into prom-client metrics so a real `/metrics` endpoint serves the
 * simulated values. Counters move by `inc(delta)`, gauges by `set`. prom-client has no way to add
 * many observations at once, so histograms are written into the metric's per-label-set entry
 * (created by its public `zero()`); the shape of that entry is checked once and a clear error is
 * thrown should a prom-client upgrade change it.
 */
export class RegistryMirror {
  private pushed = new Float64Array(0);
  private readonly entries = new Map<SimHistogram, HistogramEntry>();

  /**
   * @param store the simulated state to copy.
   * @param metricFor the prom-client metric of a family name (from the SDK's handles or made for
   *   the simulator's own families in the same registry).
   */
  constructor(
    private readonly store: SeriesStore,
    private readonly metricFor: (name: string) => PromMetric,
  ) {}

  /** Copies every handle's current value into the registry. */
  push(): void {
    const vals = this.store.values;
    if (this.pushed.length < vals.length) {
      const grown = new Float64Array(vals.length);
      grown.set(this.pushed);
      this.pushed = grown;
    }
    for (const h of this.store.handles) {
      const metric = this.metricFor(h.def.name);
      if (h instanceof SimCounter) {
        const d = vals[h.idx]! - this.pushed[h.idx]!;
        if (d > 0) (metric as Counter<string>).inc(h.labels, d);
        else if (this.pushed[h.idx] === 0) (metric as Counter<string>).inc(h.labels, 0);
        this.pushed[h.idx] = vals[h.idx]!;
      } else if (h instanceof SimGauge) {
        (metric as Gauge<string>).set(h.labels, vals[h.idx]!);
      } else {
        const e = this.entry(h, metric as Histogram<string>);
        let prev = 0;
        for (let i = 0; i < h.bounds.length; i++) {
          const cum = vals[h.idx + i]!;
          e.bucketValues[String(h.bounds[i])] = cum - prev;
          prev = cum;
        }
        e.sum = vals[h.sumIdx]!;
        e.count = vals[h.countIdx]!;
      }
    }
  }

  private entry(h: SimHistogram, metric: Histogram<string>): HistogramEntry {
    let e = this.entries.get(h);
    if (e) return e;
    metric.zero(h.labels);
    const map = (metric as unknown as { hashMap?: Record<string, { labels?: Record<string, unknown> }> })
      .hashMap;
    const found = map
      ? Object.values(map).find((v) => h.def.labelNames.every((n) => v.labels?.[n] === h.labels[n]))
      : undefined;
    const candidate = found as unknown as HistogramEntry | undefined;
    if (
      !candidate ||
      typeof candidate.sum !== "number" ||
      typeof candidate.count !== "number" ||
      typeof candidate.bucketValues !== "object" ||
      !h.bounds.every((b) => String(b) in candidate.bucketValues)
    ) {
      throw new Error(
        `simulator: cannot mirror histogram ${h.def.name}: prom-client's histogram internals are not as expected`,
      );
    }
    e = candidate;
    this.entries.set(h, e);
    return e;
  }
}

/** Makes prom-client metrics for simulator-only families in `registry`, keyed by name. */
export function makePromMetrics(registry: Registry, defs: readonly FamilyDef[]): Map<string, PromMetric> {
  const out = new Map<string, PromMetric>();
  for (const d of defs) {
    const config = { name: d.name, help: d.help, labelNames: [...d.labelNames], registers: [registry] };
    out.set(
      d.name,
      d.type === "counter"
        ? new Counter(config)
        : d.type === "gauge"
          ? new Gauge(config)
          : new Histogram({ ...config, buckets: [...(d.buckets ?? [])] }),
    );
  }
  return out;
}
