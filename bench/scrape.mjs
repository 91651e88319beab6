// Scrape loop throughput: one local target exposing N series, scraped into a no-op store and into the
// in-memory Head. Prints per-scrape wall time and samples/s (HTTP + parse + relabel + append).
// Build first: npx tsc -p tsconfig.build.json
import { createServer } from "node:http";
import { ScrapeManager } from "../dist/ingest/index.js";
import { Head } from "../dist/tsdb/index.js";

const N = Number(process.env.SERIES ?? 20000);
let body = "# HELP relay_bench_requests_total Requests.\n# TYPE relay_bench_requests_total counter\n";
for (let i = 0; i < N; i++) {
  body += `relay_bench_requests_total{handler="/api/v1/h${i % 100}",code="${200 + (i % 5)}",pod="pod-${i}"} ${i * 3.5}\n`;
}
const server = createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
  res.end(body);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const addr = `127.0.0.1:${server.address().port}`;

const noop = {
  appender: () => ({ append: () => 1, commit: async () => {}, rollback() {} }),
};

async function run(name, store) {
  const durations = [];
  const sm = new ScrapeManager({
    appendable: store,
    maxStartOffsetMs: 1,
    onScrape: (r) => {
      if (!r.up) console.error(r.error);
      durations.push(r.durationMs);
    },
  });
  sm.applyConfig([
    {
      job_name: "bench",
      scrape_interval: 1000,
      scrape_timeout: 1000,
      metrics_path: "/metrics",
      scheme: "http",
      params: {},
      honor_labels: false,
      honor_timestamps: true,
      static_configs: [{ targets: [addr], labels: {} }],
      relabel_configs: [],
      metric_relabel_configs: [{ source_labels: ["__name__"], regex: "go_.*", action: "drop" }],
      sample_limit: 0,
      label_limit: 0,
      label_name_length_limit: 0,
      label_value_length_limit: 0,
      body_size_limit: 0,
    },
  ]);
  sm.start();
  while (durations.length < 6) await new Promise((r) => setTimeout(r, 50));
  await sm.stop();
  const first = durations[0];
  const steady = durations.slice(1).sort((a, b) => a - b)[2];
  console.log(
    `${name.padEnd(10)} ${N} series: first scrape ${first.toFixed(1)} ms (${(((N / first) * 1000) / 1e6).toFixed(2)} M samples/s), ` +
      `cached scrape median ${steady.toFixed(1)} ms (${(((N / steady) * 1000) / 1e6).toFixed(2)} M samples/s), body ${(body.length / 1024 / 1024).toFixed(1)} MiB`,
  );
}

await run("no-op", noop);
await run("Head", new Head());
server.close();
