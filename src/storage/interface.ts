import type { Labels, Matcher, MetricMetadata } from "../model/index.js";

/**
 * An opaque, process-local reference to a series inside one store. 0 means "no reference":
 * the appender looks the series up by its labels.
 */
export type SeriesRef = number;

/**
 * A batch of samples that is applied all or nothing. Not safe for concurrent use; obtain one per
 * batch from {@link Appendable.appender} and end it with exactly one `commit` or `rollback`.
 */
export interface Appender {
  /**
   * Adds a sample to the batch. `ref` may be a reference returned earlier by this store (then
   * `labels` may be null) or 0. Returns the series' reference, which callers may cache for later
   * batches. Throws a {@link StorageError} subclass for a sample the store will not take; the
   * batch stays usable and that sample is simply not part of it.
   */
  append(ref: SeriesRef, labels: Labels | null, t: number, v: number): SeriesRef;
  /** Records metadata for a metric family (optional for a store; default no-op). */
  updateMetadata?(metricName: string, meta: MetricMetadata): void;
  /** Makes the batch durable and visible. Resolves once it is (for a WAL store: once logged). */
  commit(): Promise<void>;
  /** Discards the batch. */
  rollback(): void;
}

/** Something that accepts samples. */
export interface Appendable {
  appender(): Appender;
}

/** The result of `next()` and `seek()` on an iterator: false once it is exhausted. */
export interface SampleIterator {
  /** Advances to the next sample; false when there is none. */
  next(): boolean;
  /**
   * Advances to the first sample with timestamp >= t (never moves backwards); false when there is
   * none. If the current sample already satisfies it, stays.
   */
  seek(t: number): boolean;
  /** Timestamp (ms) of the current sample; valid after next()/seek() returned true. */
  readonly t: number;
  /** Value of the current sample. */
  readonly v: number;
}

/** A series returned by a query: its labels and a fresh iterator over its samples on each call. */
export interface Series {
  readonly labels: Labels;
  iterator(): SampleIterator;
}

/** Hints that let a store skip work; a store may ignore them. */
export interface SelectHints {
  /** Start and end of the data actually needed (ms), after lookback/range extension. */
  start?: number;
  end?: number;
  /** Evaluation step (ms) of a range query, 0 for instant queries. */
  step?: number;
  /** Surrounding function name, e.g. "rate", or "series" for metadata-only selects. */
  func?: string;
  /** Cap on the number of series returned (0 = none). */
  limit?: number;
}

/**
 * Read access to the data in a time window. Series are returned sorted by labels
 * ({@link compareLabels}), each with its samples in [mint, maxt] in time order.
 * Call `close()` when done; iterators must not be used after that.
 */
export interface Querier {
  select(matchers: readonly Matcher[], hints?: SelectHints): Promise<Series[]>;
  /** Sorted label names of the series matching all `matchers` (all series when empty). */
  labelNames(matchers?: readonly Matcher[]): Promise<string[]>;
  /** Sorted values of label `name` among the series matching all `matchers`. */
  labelValues(name: string, matchers?: readonly Matcher[]): Promise<string[]>;
  close(): void;
}

/** A store that can be queried: the embedded TSDB and a remote engine both implement it. */
export interface Queryable {
  /** A querier over samples with timestamps in [mint, maxt] (ms, inclusive). */
  querier(mint: number, maxt: number): Querier;
}

/** A store that both takes and serves samples. */
export interface Storage extends Appendable, Queryable {
  /** Metadata known for metric families (name → list of distinct metadata). */
  metadata?(metric?: string, limit?: number): Map<string, MetricMetadata[]>;
  close(): Promise<void>;
}
