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
 * The φ-quantile of `values` (reordered in place: a Float64Array by selection, an array by
 * sorting; NaN counts as smallest), with linear interpolation between neighbours: NaN for no
 * values or q = NaN, -Inf/+Inf for q < 0 / q > 1.
 */
export function quantile(q: number, values: Float64Array | number[]): number {
  return quantileOf(q, values, values.length);
}

/** {@link quantile} of the first `n` entries of `values` (reordered in place). */
export function quantileOf(q: number, values: Float64Array | number[], n: number): number {
  if (n === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  if (values instanceof Float64Array && n > 16) {
    selectNaNFirst(values, n, lower);
    const a = values[lower]!;
    let b = a;
    if (upper !== lower) {
      b = values[upper]!;
      for (let i = upper + 1; i < n; i++) if (before(values[i]!, b)) b = values[i]!;
    }
    return a * (1 - weight) + b * weight;
  }
  const vals = n === values.length ? values : values.slice(0, n);
  sortNaNFirst(vals);
  return vals[lower]! * (1 - weight) + vals[upper]! * weight;
}

/** The order of {@link sortNaNFirst}: NaN first, then ascending, -0 before +0. */
function before(x: number, y: number): boolean {
  if (x < y) return true;
  if (x >= y) return x === 0 && y === 0 && 1 / x < 1 / y;
  return Number.isNaN(x) && !Number.isNaN(y);
}

/**
 * Reorders `a` so that `a[k]` holds what sorting (in the {@link before} order) would put there,
 * with no element after it ordered before it (quickselect, median of three).
 */
function selectNaNFirst(a: Float64Array, n: number, k: number): void {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    if (before(a[mid]!, a[lo]!)) swap(a, mid, lo);
    if (before(a[hi]!, a[lo]!)) swap(a, hi, lo);
    if (before(a[hi]!, a[mid]!)) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (before(a[i]!, pivot)) i++;
      while (before(pivot, a[j]!)) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const x = a[i]!;
  a[i] = a[j]!;
  a[j] = x;
}

/** Sorts ascending with NaN first (Prometheus's vectorByValueHeap order). */
export function sortNaNFirst(values: Float64Array | number[]): void {
  if (values instanceof Float64Array) {
    if (values.length <= 16) {
      insertionSortNaNFirst(values);
      return;
    }
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

/**
 * Insertion sort in the order `Float64Array.prototype.sort` gives after NaNs are moved to the
 * front: NaN first, then ascending, -0 before +0. Faster than the native sort for short windows.
 */
function insertionSortNaNFirst(a: Float64Array): void {
  for (let i = 1; i < a.length; i++) {
    const x = a[i]!;
    let j = i - 1;
    if (Number.isNaN(x)) {
      while (j >= 0 && !Number.isNaN(a[j]!)) {
        a[j + 1] = a[j]!;
        j--;
      }
    } else if (x === 0) {
      const neg = Object.is(x, -0);
      while (j >= 0 && (a[j]! > 0 || (neg && Object.is(a[j]!, 0)))) {
        a[j + 1] = a[j]!;
        j--;
      }
    } else {
      while (j >= 0 && a[j]! > x) {
        a[j + 1] = a[j]!;
        j--;
      }
    }
    a[j + 1] = x;
  }
}
