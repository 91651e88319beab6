// Remote-write 1.0 decoding throughput: snappy + protobuf → columnar arrays.
// Build first: npx tsc -p tsconfig.build.json
import {
  decodeRemoteWrite,
  decodeWriteRequest,
  encodeRemoteWrite,
  encodeWriteRequest,
} from "../dist/ingest/remote_write/index.js";

function makeRequest(series, samplesPerSeries) {
  const now = Date.now();
  const timeseries = [];
  for (let i = 0; i < series; i++) {
    const samples = [];
    for (let j = 0; j < samplesPerSeries; j++)
      samples.push({ value: Math.random() * 1000, timestamp: now + j * 15000 });
    timeseries.push({
      labels: [
        { name: "__name__", value: `http_requests_total` },
        { name: "code", value: String(200 + (i % 5)) },
        { name: "handler", value: `/api/v1/handler_${i % 50}` },
        { name: "instance", value: `10.0.${(i >> 8) & 255}.${i & 255}:9100` },
        { name: "job", value: "relay-node" },
        { name: "method", value: i % 2 ? "GET" : "POST" },
        { name: "pod", value: `relay-node-${i}` },
      ],
      samples,
    });
  }
  return { timeseries };
}

function bench(name, series, perSeries) {
  const req = makeRequest(series, perSeries);
  const pb = encodeWriteRequest(req);
  const body = encodeRemoteWrite(req);
  const samples = series * perSeries;
  for (const [label, fn] of [
    ["protobuf only", () => decodeWriteRequest(pb)],
    ["snappy + protobuf", () => decodeRemoteWrite(body)],
  ]) {
    for (let i = 0; i < 20; i++) fn();
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 1e9) {
      fn();
      n++;
      elapsed = Number(process.hrtime.bigint() - t0);
    }
    const perReq = elapsed / n / 1e6;
    console.log(
      `${name.padEnd(28)} ${label.padEnd(18)} ${perReq.toFixed(3)} ms/request  ${((samples * n) / (elapsed / 1e9) / 1e6).toFixed(2)} M samples/s  ${((series * n) / (elapsed / 1e9) / 1e6).toFixed(2)} M series/s  (${(pb.length / 1024).toFixed(0)} KiB pb, ${(body.length / 1024).toFixed(0)} KiB snappy)`,
    );
  }
}

bench("2000 series x 1 sample", 2000, 1);
bench("500 series x 100 samples", 500, 100);
