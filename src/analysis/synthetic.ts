/**
 * Deterministic synthetic series for tests and benchmarks: seasonal signals with noise and trend,
 * and injected faults with their true positions.
 */

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw from a uniform generator (Box–Muller). */
export function gaussian(rand: () => number): number {
  const u = Math.max(1e-12, rand());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Shape of {@link seasonalSeries}. */
export interface SeasonalSpec {
  /** Number of points. */
  n: number;
  /** Points per day. */
  period: number;
  /** Mean level at the start. */
  base: number;
  /** Daily amplitude (a sine wave with a peak in the afternoon). */
  amplitude?: number;
  /** Added per point (linear trend). */
  trend?: number;
  /** Weekend effect: added on two days of every seven (needs 7·period points per week). */
  weekend?: number;
  /** Standard deviation of Gaussian noise. */
  noise?: number;
  seed?: number;
}

/** A daily (and optionally weekly) seasonal series with trend and Gaussian noise. */
export function seasonalSeries(spec: SeasonalSpec): Float64Array {
  const rand = seededRandom(spec.seed ?? 1);
  const y = new Float64Array(spec.n);
  for (let i = 0; i < spec.n; i++) {
    const phase = (2 * Math.PI * (i % spec.period)) / spec.period;
    const day = Math.floor(i / spec.period) % 7;
    y[i] =
      spec.base +
      (spec.trend ?? 0) * i +
      (spec.amplitude ?? 0) * Math.sin(phase - Math.PI / 2) +
      (day >= 5 ? (spec.weekend ?? 0) : 0) +
      (spec.noise ?? 0) * gaussian(rand);
  }
  return y;
}

/** A fault's true position (inclusive indices). */
export interface InjectedFault {
  readonly startIndex: number;
  readonly endIndex: number;
  readonly kind: "spike" | "drop";
}

/** How {@link injectFaults} places faults. */
export interface FaultSpec {
  /** Number of faults. */
  count: number;
  /** No fault starts before this index (the baseline's warm-up). */
  after: number;
  /** Length range in points. */
  minLength: number;
  maxLength: number;
  /** Size of a spike added, or of a drop subtracted, in the series' unit. */
  magnitude: number;
  seed?: number;
}

/**
 * Adds `count` non-overlapping faults (alternating spikes and drops, at least two periods of
 * `minGap` points apart) to `y` in place and returns where they are.
 */
export function injectFaults(y: Float64Array, spec: FaultSpec, minGap = 50): InjectedFault[] {
  const rand = seededRandom(spec.seed ?? 7);
  const faults: InjectedFault[] = [];
  let tries = 0;
  while (faults.length < spec.count && tries++ < 10_000) {
    const len = spec.minLength + Math.floor(rand() * (spec.maxLength - spec.minLength + 1));
    const start = spec.after + Math.floor(rand() * (y.length - spec.after - len));
    const end = start + len - 1;
    if (faults.some((f) => start <= f.endIndex + minGap && f.startIndex <= end + minGap)) continue;
    faults.push({ startIndex: start, endIndex: end, kind: faults.length % 2 === 0 ? "spike" : "drop" });
  }
  faults.sort((a, b) => a.startIndex - b.startIndex);
  for (const f of faults) {
    for (let i = f.startIndex; i <= f.endIndex; i++)
      y[i] = y[i]! + (f.kind === "spike" ? spec.magnitude : -spec.magnitude);
  }
  return faults;
}
