// Exposition parser benchmark: lines/s for text 0.0.4 and OpenMetrics 1.0 on a node_exporter-like
// body (~10k lines). Build first: npx tsc -p tsconfig.build.json; then: node bench/exposition.mjs
import { EntryType, ExpositionParser, writeExposition } from "../dist/ingest/exposition/index.js";

function families() {
  const fams = [];
  const modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"];
  const cpu = [];
  for (let c = 0; c < 96; c++) {
    for (const mode of modes) {
      cpu.push({
        name: "node_cpu_seconds_total",
        labels: { cpu: String(c), mode },
        value: c * 1234.56 + mode.length * 0.01,
      });
    }
  }
  fams.push({
    name: "node_cpu_seconds",
    help: "Seconds the CPUs spent in each mode.",
    type: "counter",
    samples: cpu,
  });
  const net = [];
  const rx = [];
  for (let d = 0; d < 400; d++) {
    net.push({
      name: "node_network_receive_bytes_total",
      labels: { device: `veth${d.toString(16)}a9c` },
      value: 98765432 + d * 7919,
    });
    rx.push({
      name: "node_network_up",
      labels: { device: `veth${d.toString(16)}a9c`, operstate: "up" },
      value: 1,
    });
  }
  fams.push({
    name: "node_network_receive_bytes",
    help: "Network device statistic receive_bytes.",
    type: "counter",
    samples: net,
  });
  fams.push({
    name: "node_network_up",
    help: "Value is 1 if operstate is 'up', 0 otherwise.",
    type: "gauge",
    samples: rx,
  });
  const fs = [];
  for (let i = 0; i < 300; i++) {
    fs.push({
      name: "node_filesystem_avail_bytes",
      labels: {
        device: `/dev/nvme0n1p${i}`,
        fstype: "ext4",
        mountpoint: `/var/lib/kubelet/pods/${i}/volumes`,
      },
      value: 1.073741824e11 - i * 4096,
    });
  }
  fams.push({
    name: "node_filesystem_avail_bytes",
    help: "Filesystem space available to non-root users in bytes.",
    type: "gauge",
    samples: fs,
  });
  const buckets = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
  const hist = [];
  for (let h = 0; h < 500; h++) {
    const handler = `/api/v1/endpoint_${h}`;
    let cum = 0;
    for (const le of buckets) {
      cum += (h * 7 + le.length) % 13;
      hist.push({
        name: "http_request_duration_seconds_bucket",
        labels: { handler, method: "GET", le },
        value: cum,
      });
    }
    hist.push({
      name: "http_request_duration_seconds_sum",
      labels: { handler, method: "GET" },
      value: cum * 0.137,
    });
    hist.push({
      name: "http_request_duration_seconds_count",
      labels: { handler, method: "GET" },
      value: cum,
    });
  }
  fams.push({
    name: "http_request_duration_seconds",
    help: "Request latency.",
    type: "histogram",
    samples: hist,
  });
  const misc = [];
  for (let i = 0; i < 300; i++)
    misc.push({ name: "node_scrape_collector_success", labels: { collector: `c${i}` }, value: i % 2 });
  fams.push({
    name: "node_scrape_collector_success",
    help: "node_exporter: Whether a collector succeeded.",
    type: "gauge",
    samples: misc,
  });
  return fams;
}

function countLines(body) {
  let n = 0;
  for (let i = 0; i < body.length; i++) if (body.charCodeAt(i) === 10) n++;
  return n;
}

function run(body, format, full) {
  let sink = 0;
  const p = new ExpositionParser(body, format);
  for (let e = p.next(); e !== EntryType.EOF; e = p.next()) {
    if (e !== EntryType.Series) continue;
    sink += p.series().length + p.value() + (p.timestamp() ?? 0);
    if (full) sink += p.name().length + p.labels().length;
  }
  return sink;
}

function bench(label, body, format, full) {
  const lines = countLines(body);
  for (let i = 0; i < 30; i++) run(body, format, full);
  let iters = 0;
  let sink = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 1.5e9) {
    sink += run(body, format, full);
    iters++;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  const perSec = (lines * iters) / (elapsed / 1e9);
  console.log(
    `${label.padEnd(44)} ${String(lines).padStart(6)} lines  ${(perSec / 1e6).toFixed(2)}M lines/s  (${((body.length * iters) / (elapsed / 1e9) / 1e6).toFixed(0)} MB/s)${sink === 42 ? "" : ""}`,
  );
}

const fams = families();
const text = writeExposition(fams, "text");
const om = writeExposition(fams, "openmetrics");
bench("text 0.0.4, series+value+timestamp", text, "text", false);
bench("text 0.0.4, + name and labels", text, "text", true);
bench("OpenMetrics 1.0, series+value+timestamp", om, "openmetrics", false);
bench("OpenMetrics 1.0, + name and labels", om, "openmetrics", true);
