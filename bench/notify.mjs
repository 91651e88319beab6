// Throughput of the notification pipeline's intake (the rule engine's NotifyFunc path):
// fingerprinting, merging, SQLite upsert and routing into aggregation groups.
// Run: npx tsc -p tsconfig.build.json && node bench/notify.mjs
import Database from "better-sqlite3";
import { parse } from "yaml";
import { FakeClock, fingerprint, NotificationPipeline, notifyConfigSchema } from "../dist/notify/index.js";

const cfg = notifyConfigSchema.parse(
  parse(`
route:
  receiver: r
  group_by: [alertname, cluster]
  routes:
    - {matchers: ['severity="critical"'], receiver: r, continue: true}
    - {matchers: ['team=~"db|infra"'], receiver: r}
receivers: [{name: r}]
`),
);
const labels = (i) => ({
  alertname: `Alert${i % 50}`,
  cluster: `c${i % 7}`,
  instance: `node-${i}:9100`,
  severity: i % 3 ? "warning" : "critical",
  team: i % 2 ? "db" : "web",
});

let t = performance.now();
let n = 0;
for (let i = 0; i < 100_000; i++) n += fingerprint(labels(i)).length;
console.log(`fingerprint: ${((performance.now() - t) / 100).toFixed(2)} µs/label set (${n} hex digits)`);

for (const size of [1_000, 10_000]) {
  const p = new NotificationPipeline({
    db: new Database(":memory:"),
    clock: new FakeClock(1e12),
    makeIntegrations: () => [],
  });
  p.applyConfig(cfg);
  p.start();
  const alerts = Array.from({ length: size }, (_, i) => ({
    labels: labels(i),
    annotations: { summary: "s" },
    startsAt: 1e12,
    endsAt: 0,
    generatorURL: "",
  }));
  p.receive(alerts); // first batch creates groups
  const rounds = 5;
  t = performance.now();
  for (let r = 0; r < rounds; r++) p.receive(alerts);
  const ms = (performance.now() - t) / rounds;
  console.log(
    `receive ${size} alerts: ${ms.toFixed(1)} ms per batch (${((ms * 1000) / size).toFixed(1)} µs/alert), groups=${p.aggregationGroups().length}`,
  );
  await p.stop();
}
