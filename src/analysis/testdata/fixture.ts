import { labelsFromRecord } from "../../model/index.js";
import { Engine } from "../../promql/index.js";
import { Head } from "../../tsdb/index.js";
import { type AnalysisSource, engineSource } from "../source.js";
import { gaussian, seededRandom } from "../synthetic.js";

/** A generator of one series: labels and the value at time t (ms). */
export interface SeriesSpec {
  labels: Record<string, string>;
  value: (t: number) => number;
}

/** A counter growing at `perSecond` from 0 at `t0`. */
export const counter = (labels: Record<string, string>, perSecond: number, t0: number): SeriesSpec => ({
  labels,
  value: (t) => (perSecond * (t - t0)) / 1000,
});

/** A gauge with a constant value. */
export const gauge = (labels: Record<string, string>, v: number): SeriesSpec => ({ labels, value: () => v });

/** Writes every series at from, from + step, … ≤ to into a fresh Head and returns it with a source over it. */
export async function headWith(
  specs: readonly SeriesSpec[],
  from: number,
  to: number,
  step: number,
): Promise<{ head: Head; source: AnalysisSource }> {
  const head = new Head();
  const app = head.appender();
  const labels = specs.map((s) => labelsFromRecord(s.labels));
  const refs = new Array<number>(specs.length).fill(0);
  for (let t = from; t <= to; t += step) {
    for (let i = 0; i < specs.length; i++) {
      const v = specs[i]!.value(t);
      if (Number.isFinite(v)) refs[i] = app.append(refs[i]!, refs[i] ? null : labels[i]!, t, v);
    }
  }
  await app.commit();
  return { head, source: engineSource(new Engine({ maxSamples: 1e9 }), head) };
}

/** Gaussian noise that is a fixed function of time: the same t always gives the same draw. */
export function noiseAt(seed: number): (t: number) => number {
  const r = seededRandom(seed);
  const cache = new Map<number, number>();
  return (t) => {
    let v = cache.get(t);
    if (v === undefined) {
      v = gaussian(r);
      cache.set(t, v);
    }
    return v;
  };
}
