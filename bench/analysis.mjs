// Analysis benchmarks: forecasting, anomaly scoring and lagged correlation on synthetic series,
// plus the anomaly detector's recall/precision on injected faults. Run after
// `npx tsc -p tsconfig.build.json`: node bench/analysis.mjs
import {
  chooseBaseline,
  findEpisodes,
  forecastSeries,
  injectFaults,
  lagCorrelation,
  matchEpisodes,
  robustScores,
  seasonalSeries,
} from "../dist/analysis/index.js";

function time(label, reps, fn) {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  const ms = (performance.now() - t0) / reps;
  console.log(`${label.padEnd(58)} ${ms.toFixed(2).padStart(9)} ms/op`);
}

const hourly = seasonalSeries({
  n: 24 * 28,
  period: 24,
  base: 50,
  amplitude: 10,
  weekend: -8,
  trend: 0.01,
  noise: 1,
  seed: 1,
});
time("forecast 28d hourly (linear, HW daily, HW daily+weekly)", 5, () =>
  forecastSeries(hourly, { horizon: 24 * 14, periods: [24, 168] }),
);
const fine = seasonalSeries({ n: 288 * 14, period: 288, base: 50, amplitude: 10, noise: 1, seed: 2 });
time("forecast 14d at 5m (linear, HW daily)", 3, () =>
  forecastSeries(fine, { horizon: 288, periods: [288, 2016] }),
);

const fiveMin = seasonalSeries({ n: 288 * 22, period: 288, base: 100, amplitude: 40, noise: 3, seed: 3 });
time("anomaly scores 22d at 5m (daily + weekly baselines)", 5, () => {
  const b = chooseBaseline(fiveMin, { daily: 288 });
  findEpisodes(robustScores(fiveMin, b));
});

const x = seasonalSeries({ n: 672, period: 96, base: 0, amplitude: 1, noise: 1, seed: 4 });
const y = x.map((_v, i) => (i >= 8 ? x[i - 8] : 0) + Math.random() * 0.1);
time("lagged correlation 7d at 15m, ±6h (49 lags)", 20, () => lagCorrelation(x, y, { maxLag: 24 }));

let tp = 0;
let fp = 0;
let found = 0;
let total = 0;
let quiet = 0;
let weeks = 0;
const shapes = [
  { weeks: 4, warm: 7, spec: { base: 100, amplitude: 40, noise: 3 } },
  { weeks: 4, warm: 7, spec: { base: 20, amplitude: 5, noise: 0.5, trend: 0.0005 } },
  { weeks: 5, warm: 14, spec: { base: 1000, amplitude: 600, noise: 20, weekend: -200 } },
];
for (const [k, s] of shapes.entries()) {
  for (let seed = 1; seed <= 10; seed++) {
    const series = seasonalSeries({ n: 288 * 7 * s.weeks, period: 288, ...s.spec, seed: seed * 97 + k });
    const detect = (v) => findEpisodes(robustScores(v, chooseBaseline(v, { daily: 288 })), { threshold: 4 });
    quiet += detect(series.slice()).length;
    weeks += s.weeks;
    for (const mag of [6]) {
      const faults = injectFaults(series, {
        count: 12,
        after: 288 * s.warm,
        minLength: 3,
        maxLength: 12,
        magnitude: mag * s.spec.noise,
        seed,
      });
      const m = matchEpisodes(detect(series), faults);
      tp += m.truePositives;
      fp += m.falsePositives;
      found += faults.length - m.missed;
      total += faults.length;
    }
  }
}
console.log(
  `anomaly detection on 30 synthetic series, 360 faults of ±6σ, 15–60 min: recall ${(found / total).toFixed(3)}, precision ${(tp / (tp + fp)).toFixed(3)}, false episodes without faults ${quiet} in ${weeks} series-weeks`,
);
