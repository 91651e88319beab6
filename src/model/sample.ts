/** The type of a metric family, as exposition formats declare it. */
export type MetricType =
  | "counter"
  | "gauge"
  | "histogram"
  | "gaugehistogram"
  | "summary"
  | "info"
  | "stateset"
  | "unknown";

/** What a target says about a metric family. */
export interface MetricMetadata {
  type: MetricType;
  help: string;
  unit: string;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * The value Prometheus writes to mark a series stale: the NaN with bit pattern 0x7ff0000000000002.
 * It is distinct from an ordinary NaN sample value.
 *
 * Beware: V8 canonicalises NaN payloads stored in plain JS number arrays (`[v]`, `push(v)`,
 * `Float64Array.from([v])`), which turns the marker into an ordinary NaN. Keep sample values in
 * typed arrays (element assignment keeps the bits), object fields or variables.
 */
export const STALE_NAN: number = (() => {
  u32[0] = 2;
  u32[1] = 0x7ff00000;
  return f64[0]!;
})();

/** True when `v` is the stale marker (not merely any NaN). */
export function isStaleNaN(v: number): boolean {
  if (!Number.isNaN(v)) return false;
  f64[0] = v;
  return u32[0] === 2 && u32[1] === 0x7ff00000;
}
