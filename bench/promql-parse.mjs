// Parser throughput: parses a mix of real PromQL queries (dashboard-style queries plus every eval
// expression of the conformance scripts) and reports queries/s and MB/s, then the same for
// formatExpr and prettyFormatExpr. Build first: npx tsc -p tsconfig.build.json
import { readdirSync, readFileSync } from "node:fs";
import { formatExpr, parseExpr, prettyFormatExpr } from "../dist/promql/parser/index.js";

const dashboard = [
  'sum by (job) (rate(http_requests_total{job="api-server",code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{job="api-server"}[5m]))',
  'histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket{job="api-server"}[5m])))',
  '100 - (avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100)',
  'node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes * 100 < 10',
  'predict_linear(node_filesystem_free_bytes{job="node"}[6h], 4 * 3600) < 0',
  "topk(10, sum without (instance) (rate(container_cpu_usage_seconds_total[1m])))",
  "up == 0",
  "increase(relay_messages_total[1h] offset 1d)",
  "max_over_time(relay_queue_depth[30m:1m]) > bool 1000",
  "rate(http_requests_total[5m] @ end()) / on(instance) group_left(version) build_info",
  'label_replace(up{job="node"}, "host", "$1", "instance", "(.*):.*")',
  'absent(up{job="relay"} == 1)',
];

const dir = new URL("../../shared/conformance/promql/", import.meta.url);
const conformance = [];
for (const f of readdirSync(dir).filter((f) => f.endsWith(".test"))) {
  for (const raw of readFileSync(new URL(f, dir), "utf8").split("\n")) {
    const l = raw.trim();
    const m =
      /^eval(?:_\w+)?\s+instant\s+at\s+\S+\s+(.+)$/.exec(l) ??
      /^eval(?:_\w+)?\s+range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+\s+(.+)$/.exec(l);
    if (!m) continue;
    try {
      parseExpr(m[1]);
      conformance.push(m[1]);
    } catch {
      // Expected-failure queries are not part of the mix.
    }
  }
}

const queries = [...dashboard, ...conformance];
const bytes = queries.reduce((n, q) => n + Buffer.byteLength(q), 0);
const trees = queries.map((q) => parseExpr(q));

function run(name, fn, minMs = 1500) {
  for (let i = 0; i < 3; i++) fn();
  let rounds = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    rounds++;
    t = performance.now();
  }
  const secs = (t - t0) / 1000;
  const qps = (rounds * queries.length) / secs;
  const mbs = (rounds * bytes) / secs / 1e6;
  console.log(
    `${name.padEnd(18)} ${Math.round(qps).toLocaleString("en").padStart(10)} queries/s  ${mbs.toFixed(1).padStart(6)} MB/s`,
  );
}

console.log(
  `${queries.length} queries (${dashboard.length} dashboard, ${conformance.length} conformance), ${bytes} bytes`,
);
run("parseExpr", () => {
  for (const q of queries) parseExpr(q);
});
run("formatExpr", () => {
  for (const e of trees) formatExpr(e);
});
run("prettyFormatExpr", () => {
  for (const e of trees) prettyFormatExpr(e);
});
