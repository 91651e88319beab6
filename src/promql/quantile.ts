/**
 * Quantile helpers: classic-histogram bucket quantiles and fractions, and the φ-quantile of a
 * set of values (used by `quantile`, `quantile_over_time`, `mad_over_time`).
 */

/** One classic-histogram bucket: its upper bound (`le`) and cumulative count. */
export interface Bucket {
  upperBound: number;
  count: number;
}

/** The outcome of {@link bucketQuantile}. */
export interface BucketQuantileResult {
  value: number;
  /** True when bucket counts had to be made monotonic (Prometheus reports an info annotation). */
  forcedMonotonicity: boolean;
}

function sortBuckets(buckets: Bucket[]): void {
  buckets.sort((a, b) => (a.upperBound < b.upperBound ? -1 : a.upperBound > b.upperBound ? 1 : 0));
}

function coalesce(buckets: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  let last = { ...buckets[0]! };
  for (let i = 1; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (b.upperBound === last.upperBound) last.count += b.count;
    else {
      out.push(last);
      last = { ...b };
    }
  }
  out.push(last);
  return out;
}

function correctPrecision(buckets: Bucket[], tolerance: number): void {
  let prev = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const curr = buckets[i]!.count;
    const delta = Math.abs(curr - prev);
    if (delta === 0) continue;
    if (delta / curr <= tolerance) buckets[i]!.count = prev;
    else prev = curr;
  }
}

function ensureMonotonic(buckets: Bucket[]): boolean {
  let forced = false;
  let max = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    const c = buckets[i]!.count;
    if (c > max) max = c;
    else if (c < max) {
      buckets[i]!.count = max;
      forced = true;
    }
  }
  return forced;
}

/**
 * The φ-quantile `q` of a classic histogram, interpolating linearly inside the bucket, exactly as
 * Prometheus's bucketQuantile: NaN without a +Inf bucket, fewer than two buckets or no
 * observations; -Inf/+Inf for q < 0 / q > 1. `buckets` is reordered.
 */
export function bucketQuantile(q: number, buckets: Bucket[]): BucketQuantileResult {
  if (Number.isNaN(q)) return { value: Number.NaN, forcedMonotonicity: false };
  if (q < 0) return { value: Number.NEGATIVE_INFINITY, forcedMonotonicity: false };
  if (q > 1) return { value: Number.POSITIVE_INFINITY, forcedMonotonicity: false };
  sortBuckets(buckets);
  if (buckets[buckets.length - 1]!.upperBound !== Number.POSITIVE_INFINITY) {
    return { value: Number.NaN, forcedMonotonicity: false };
  }
  const bs = coalesce(buckets);
  correctPrecision(bs, 1e-12);
  const forced = ensureMonotonic(bs);
  if (bs.length < 2) return { value: Number.NaN, forcedMonotonicity: false };
  const observations = bs[bs.length - 1]!.count;
  if (observations === 0) return { value: Number.NaN, forcedMonotonicity: false };
  let rank = q * observations;
  let lo = 0;
  let hi = bs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bs[mid]!.count >= rank) hi = mid;
    else lo = mid + 1;
  }
  const b = lo;
  if (b === bs.length - 1) return { value: bs[bs.length - 2]!.upperBound, forcedMonotonicity: forced };
  if (b === 0 && bs[0]!.upperBound <= 0) return { value: bs[0]!.upperBound, forcedMonotonicity: forced };
  let bucketStart = 0;
  const bucketEnd = bs[b]!.upperBound;
  let count = bs[b]!.count;
  if (b > 0) {
    bucketStart = bs[b - 1]!.upperBound;
    count -= bs[b - 1]!.count;
    rank -= bs[b - 1]!.count;
  }
  return { value: bucketStart + (bucketEnd - bucketStart) * (rank / count), forcedMonotonicity: forced };
}

/**
 * The fraction of observations of a classic histogram between `lower` and `upper`, interpolating
 * linearly inside buckets (Prometheus's BucketFraction). `buckets` is reordered.
 */
export function bucketFraction(lower: number, upper: number, buckets: Bucket[]): number {
  sortBuckets(buckets);
  if (Number.isNaN(lower) || Number.isNaN(upper)) return Number.NaN;
  if (buckets.length < 2 || buckets[buckets.length - 1]!.upperBound !== Number.POSITIVE_INFINITY) {
    return Number.NaN;
  }
  const bs = coalesce(buckets);
  ensureMonotonic(bs);
  const total = bs[bs.length - 1]!.count;
  if (total === 0) return Number.NaN;
  if (lower >= upper) return 0;
  const rankAt = (x: number): number => {
    if (x === Number.NEGATIVE_INFINITY) return 0;
    if (x === Number.POSITIVE_INFINITY) return total;
    let prevUpper = bs[0]!.upperBound > 0 ? 0 : Number.NEGATIVE_INFINITY;
    let prevCount = 0;
    for (const b of bs) {
      if (x <= b.upperBound) {
        if (b.upperBound === Number.POSITIVE_INFINITY) return prevCount;
        if (prevUpper === Number.NEGATIVE_INFINITY) return x === b.upperBound ? b.count : 0;
        if (x <= prevUpper) return prevCount;
        return prevCount + ((b.count - prevCount) * (x - prevUpper)) / (b.upperBound - prevUpper);
      }
      prevUpper = b.upperBound;
      prevCount = b.count;
    }
    return total;
  };
  return (rankAt(upper) - rankAt(lower)) / total;
}

/**
 * The φ-quantile of `values` (sorted in place; NaN sorts first), with linear interpolation between
 * neighbours: NaN for no values or q = NaN, -Inf/+Inf for q < 0 / q > 1.
 */
export function quantile(q: number, values: Float64Array | number[]): number {
  const n = values.length;
  if (n === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  sortNaNFirst(values);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}

/** Sorts ascending with NaN first (Prometheus's vectorByValueHeap order). */
export function sortNaNFirst(values: Float64Array | number[]): void {
  if (values instanceof Float64Array) {
    values.sort();
    let nan = 0;
    for (let i = values.length - 1; i >= 0 && Number.isNaN(values[i]!); i--) nan++;
    if (nan > 0) {
      values.copyWithin(nan, 0, values.length - nan);
      values.fill(Number.NaN, 0, nan);
    }
    return;
  }
  values.sort((a, b) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b));
}
