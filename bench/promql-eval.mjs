// PromQL engine benchmark: builds an in-memory head with the shared benchmark data
// (../shared/bench/series.mjs: S series x N samples, 15 s apart) and times the 12 range queries of
// ../shared/bench/queries.mjs over the loaded range with step 60 s, as compare.sh does against
// Prometheus. Prints the median of each query and the sum of medians.
// Build first: npx tsc -p tsconfig.build.json; then: node bench/promql-eval.mjs [series] [samples] [runs]

import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { labelsFromPairs } from "../dist/model/index.js";
import { Engine } from "../dist/promql/index.js";
import { Head } from "../dist/tsdb/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const shared = process.env.RELAY_SHARED_BENCH ?? resolve(root, "../shared/bench");
const { buildSeries, makeTimestamps, SCRAPE_INTERVAL_S } = await import(
  pathToFileURL(`${shared}/series.mjs`).href
);

const S = Number(process.argv[2] ?? 20_000);
const N = Number(process.argv[3] ?? 480);
const RUNS = Number(process.argv[4] ?? 5);
const END = 1_700_000_000_000;

// The 12 queries of queries.mjs (copied, because importing it would run its CLI).
const QUERIES = [
  ["cpu_busy_by_instance", 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))'],
  ["cpu_by_mode", "sum by (mode) (rate(node_cpu_seconds_total[5m]))"],
  [
    "http_p99_by_handler",
    "histogram_quantile(0.99, sum by (le, handler) (rate(http_request_duration_seconds_bucket[5m])))",
  ],
  [
    "http_p50_publish_by_instance",
    'histogram_quantile(0.5, sum by (le, instance) (rate(http_request_duration_seconds_bucket{handler="/api/publish"}[5m])))',
  ],
  ["http_error_ratio", 'sum(rate(http_requests_total{code="500"}[5m])) / sum(rate(http_requests_total[5m]))'],
  ["channel_msg_rate", "sum by (channel) (rate(relay_channel_messages_total[5m]))"],
  ["topk_instances_bytes", "topk(5, sum by (instance) (rate(relay_channel_bytes_total[5m])))"],
  ["mem_avail_avg_over_time", "avg_over_time(node_memory_MemAvailable_bytes[10m])"],
  ["subscribers_max_by_channel", "max by (channel) (max_over_time(relay_channel_subscribers[15m]))"],
  ["net_rx_total_rate", "sum(rate(node_network_receive_bytes_total[1m]))"],
  ["eventloop_lag_p90", "avg(quantile_over_time(0.9, nodejs_eventloop_lag_seconds[10m]))"],
  ["raw_load1", "node_load1"],
];

const t0 = performance.now();
const data = buildSeries(S);
const ts = makeTimestamps(data.instances, N, END);
const labels = data.labels.map((pairs) => labelsFromPairs(pairs.flat()));
const head = new Head();
const refs = new Array(S).fill(0);
const values = new Float64Array(S);
let minT = Number.POSITIVE_INFINITY;
for (let step = 0; step < N; step++) {
  data.step(values);
  const app = head.appender();
  for (let i = 0; i < S; i++) {
    const t = ts(data.instanceOf[i], step);
    if (t < minT) minT = t;
    refs[i] = app.append(refs[i], refs[i] ? null : labels[i], t, values[i]);
  }
  await app.commit();
}
console.log(`loaded ${S} series x ${N} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const engine = new Engine();
const start = END - (N - 1) * SCRAPE_INTERVAL_S * 1000;
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
let total = 0;
const cpu0 = process.cpuUsage();
for (const [name, expr] of QUERIES) {
  const times = [];
  let series = 0;
  let points = 0;
  for (let r = 0; r < RUNS + 1; r++) {
    const q0 = performance.now();
    const res = await engine.rangeQuery(head, expr, start, END, 60_000);
    const ms = performance.now() - q0;
    if (r > 0) times.push(ms);
    series = res.result.length;
    points = res.result.reduce((n, s) => n + s.t.length, 0);
  }
  const med = median(times);
  total += med;
  console.log(
    `${name.padEnd(30)} median ${med.toFixed(1).padStart(8)} ms  series ${String(series).padStart(5)} points ${String(points).padStart(7)}`,
  );
}
const cpu = process.cpuUsage(cpu0);
console.log(`total of medians: ${total.toFixed(1)} ms over ${QUERIES.length} queries (minT ${minT})`);
console.log(
  `process CPU for all ${RUNS + 1} runs of the queries: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`,
);
