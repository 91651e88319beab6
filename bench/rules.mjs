// Rule evaluation and alert-template throughput. Build first: npx tsc -p tsconfig.build.json
import { labelsFromRecord } from "../dist/model/index.js";
import { parseExpr } from "../dist/promql/index.js";
import { AlertingRule, expandAlertTemplate, RecordingRule } from "../dist/rules/index.js";

function bench(name, n, fn) {
  fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(
    `${name.padEnd(48)} ${(1e9 / ns).toFixed(0).padStart(10)} ops/s  ${(ns / 1000).toFixed(2)} µs/op`,
  );
}

const data = {
  labels: { instance: "h1:9100", job: "node" },
  externalLabels: {},
  externalURL: "",
  value: 0.8567,
};
bench("template: plain text", 200_000, () => expandAlertTemplate("A", "static summary", data));
bench("template: {{ $labels.instance }}", 200_000, () =>
  expandAlertTemplate("A", "High CPU on {{ $labels.instance }}", data),
);
bench("template: humanizePercentage pipeline", 200_000, () =>
  expandAlertTemplate("A", "CPU is {{ $value | humanizePercentage }} on {{ $labels.instance }}", data),
);
bench("template: printf %.2f", 200_000, () => expandAlertTemplate("A", '{{ printf "%.2f" $value }}', data));

for (const n of [1_000, 10_000]) {
  const vec = Array.from({ length: n }, (_, i) => ({
    labels: labelsFromRecord({ instance: `h${i}`, job: "node" }),
    v: 0.9,
  }));
  const query = async () => vec;
  const ctx = { externalLabels: {}, externalURL: "" };
  const rule = new AlertingRule(
    "HighCpu",
    parseExpr("x > 0.8"),
    300_000,
    0,
    labelsFromRecord({ severity: "warning" }),
    labelsFromRecord({
      summary: "High CPU on {{ $labels.instance }}",
      description: "{{ $value | humanizePercentage }}",
    }),
    ctx,
    true,
  );
  let t = 0;
  const rounds = 20;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    t += 60_000;
    await rule.eval(t, 0, query, 0);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  console.log(
    `alerting rule eval, ${String(n).padStart(6)} alerts, 2 templates   ${ms.toFixed(1)} ms/eval  ${((n / ms) * 1000).toFixed(0)} alerts/s`,
  );
  const rec = new RecordingRule("r", parseExpr("x"), labelsFromRecord({ tier: "1" }));
  const r0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await rec.eval(i, 0, query, 0);
  const rms = Number(process.hrtime.bigint() - r0) / 1e6 / rounds;
  console.log(
    `recording rule eval, ${String(n).padStart(6)} series              ${rms.toFixed(1)} ms/eval  ${((n / rms) * 1000).toFixed(0)} series/s`,
  );
}
