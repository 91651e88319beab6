import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { describeWithBinary } from "../../testing/index.js";
import {
  CATALOGUE,
  catalogueMarkdownTable,
  createRelayMetrics,
  type MetricSpec,
  RELAY_AREAS,
  RELAY_METRICS,
  type RelayMetrics,
} from "./index.js";

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const NON_BASE_UNITS =
  /_(ms|millis|milliseconds|microseconds|minutes|hours|days|kb|kib|mb|mib|kilobytes|megabytes|bits|percent)(_|$)/;
const IDENTITY_LABELS = [
  "user",
  "user_id",
  "userid",
  "username",
  "ip",
  "address",
  "email",
  "session",
  "device",
];

const rows = RELAY_METRICS.map((s) => [s.name, s] as const);

describe("catalogue conventions", () => {
  it.each(rows)("%s", (name, s: MetricSpec) => {
    expect(name).toMatch(SNAKE);
    expect(name.startsWith("relay_")).toBe(true);
    expect(name).not.toMatch(NON_BASE_UNITS);
    if (s.type === "counter") expect(name.endsWith("_total")).toBe(true);
    else expect(name).not.toMatch(/_total(_|$)/);
    const stem = s.type === "counter" ? name.slice(0, -"_total".length) : name;
    if (s.unit) expect(stem.endsWith(`_${s.unit}`)).toBe(true);
    else expect(stem).not.toMatch(/_(seconds|bytes|ratio)$/);
    if (/(duration|latency)/.test(name)) expect(s.unit).toBe("seconds");
    if (s.type === "histogram") {
      expect(s.buckets!.length).toBeGreaterThan(0);
      for (let i = 0; i < s.buckets!.length; i++) {
        expect(s.buckets![i]).toBeGreaterThan(i === 0 ? 0 : s.buckets![i - 1]!);
      }
    } else {
      expect(s.buckets).toBeUndefined();
    }
    for (const l of s.labelNames) {
      expect(l).toMatch(SNAKE);
      expect(["le", "quantile", "job", "instance"]).not.toContain(l);
      expect(IDENTITY_LABELS).not.toContain(l);
    }
    expect(new Set(s.labelNames).size).toBe(s.labelNames.length);
    for (const l of Object.keys(s.labelValues ?? {})) expect(s.labelNames).toContain(l);
    expect(s.help).toMatch(/^[A-Z].*\.$/);
    expect(RELAY_AREAS).toContain(s.area);
  });

  it("has unique names and covers every area", () => {
    expect(new Set(RELAY_METRICS.map((s) => s.name)).size).toBe(RELAY_METRICS.length);
    for (const area of RELAY_AREAS) expect(RELAY_METRICS.some((s) => s.area === area)).toBe(true);
  });

  it("uses the seed's request latency buckets (10 ms … 10 s) in seconds", () => {
    const seedMs = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
    expect(CATALOGUE.httpRequestDuration.buckets).toEqual(seedMs.map((ms) => ms / 1000));
  });
});

describe("registration", () => {
  it("registers every entry with its type and help", async () => {
    const relay = createRelayMetrics({ collectDefault: false });
    const text = await relay.metrics();
    for (const s of RELAY_METRICS) {
      expect(text).toContain(`# HELP ${s.name} ${s.help}\n`);
      expect(text).toContain(`# TYPE ${s.name} ${s.type}\n`);
      expect(relay.registry.getSingleMetric(s.name)).toBeDefined();
    }
    expect(relay.registry.getMetricsAsArray()).toHaveLength(RELAY_METRICS.length);
  });

  it("applies the prefix and default labels, and registers runtime metrics on request", async () => {
    const relay = createRelayMetrics({ prefix: "staging_", defaultLabels: { node: "eu-1" } });
    relay.recordTransaction("transfer", 10, 0.1);
    const text = await relay.metrics();
    expect(text).toContain('staging_relay_economy_transactions_total{type="transfer",node="eu-1"} 1');
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(await createRelayMetrics({ collectDefault: false }).metrics()).not.toContain("process_");
  });

  it("uses the given registry and refuses to register twice in it", () => {
    const registry = new Registry();
    const relay = createRelayMetrics({ registry, collectDefault: false });
    expect(relay.registry).toBe(registry);
    expect(() => createRelayMetrics({ registry, collectDefault: false })).toThrow(/already been registered/);
  });
});

type Sample = [name: string, labels: Record<string, string>, value: number];

async function sampleValue(
  relay: RelayMetrics,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  for (const metric of await relay.registry.getMetricsAsJSON()) {
    for (const v of metric.values) {
      const sampleName = (v as { metricName?: string }).metricName ?? metric.name;
      if (sampleName !== name) continue;
      const got = v.labels as Record<string, string | number>;
      const keys = Object.keys(got);
      if (keys.length === Object.keys(labels).length && keys.every((k) => String(got[k]) === labels[k])) {
        return v.value;
      }
    }
  }
  return undefined;
}

describe("recorders", () => {
  const cases: Array<[string, (r: RelayMetrics) => void, Sample[]]> = [
    [
      "recordRequest (success)",
      (r) => r.recordRequest("/channels/:id", "GET", 200, 0.03),
      [
        ["relay_http_requests_total", { endpoint: "/channels/:id", method: "GET", status: "200" }, 1],
        [
          "relay_http_request_duration_seconds_bucket",
          { endpoint: "/channels/:id", method: "GET", status: "200", le: "0.025" },
          0,
        ],
        [
          "relay_http_request_duration_seconds_bucket",
          { endpoint: "/channels/:id", method: "GET", status: "200", le: "0.05" },
          1,
        ],
        [
          "relay_http_request_duration_seconds_sum",
          { endpoint: "/channels/:id", method: "GET", status: "200" },
          0.03,
        ],
        ["relay_http_errors_total", { endpoint: "/channels/:id", method: "GET", status: "200" }, Number.NaN],
      ],
    ],
    [
      "recordRequest (error)",
      (r) => r.recordRequest("/vote", "POST", 503, 2),
      [
        ["relay_http_requests_total", { endpoint: "/vote", method: "POST", status: "503" }, 1],
        ["relay_http_errors_total", { endpoint: "/vote", method: "POST", status: "503" }, 1],
      ],
    ],
    [
      "recordMessage",
      (r) => {
        r.recordMessage("block", 1500, 0.02, true);
        r.recordMessage("block", 500, 0.2, false);
      },
      [
        ["relay_p2p_messages_total", { type: "block", result: "success" }, 1],
        ["relay_p2p_messages_total", { type: "block", result: "error" }, 1],
        ["relay_p2p_message_bytes_total", { type: "block" }, 2000],
        ["relay_p2p_message_latency_seconds_count", { type: "block" }, 2],
        ["relay_p2p_message_latency_seconds_bucket", { type: "block", le: "0.025" }, 1],
      ],
    ],
    [
      "recordConsensusRound with validator ids",
      (r) => r.recordConsensusRound(["v1", "v2", "v3"], 4, "success"),
      [
        ["relay_consensus_rounds_total", { result: "success" }, 1],
        ["relay_consensus_round_duration_seconds_sum", {}, 4],
        ["relay_consensus_participants", {}, 3],
        ["relay_validator_rounds_total", { validator: "v2", result: "success" }, 1],
      ],
    ],
    [
      "recordConsensusRound with a count",
      (r) => r.recordConsensusRound(7, 12, "timeout"),
      [
        ["relay_consensus_rounds_total", { result: "timeout" }, 1],
        ["relay_consensus_participants", {}, 7],
        ["relay_consensus_round_duration_seconds_bucket", { le: "10" }, 0],
      ],
    ],
    [
      "recordTransaction",
      (r) => {
        r.recordTransaction("transfer", 25, 0.5);
        r.recordTransaction("transfer", 5, 0.25);
      },
      [
        ["relay_economy_transactions_total", { type: "transfer" }, 2],
        ["relay_economy_transaction_value_total", { type: "transfer" }, 30],
        ["relay_economy_fees_total", { type: "transfer" }, 0.75],
      ],
    ],
    [
      "community recorders",
      (r) => {
        r.recordChannelMessage("coffee");
        r.recordVote("up");
        r.recordVoteConsensus(600);
        r.recordModerationAction("hide");
        r.recordAppeal();
        r.recordAppeal(true);
        r.recordProximityVerification(false, 0.3);
      },
      [
        ["relay_channel_messages_total", { channel: "coffee" }, 1],
        ["relay_votes_total", { direction: "up" }, 1],
        ["relay_vote_consensus_duration_seconds_bucket", { le: "900" }, 1],
        ["relay_moderation_actions_total", { action: "hide" }, 1],
        ["relay_moderation_appeals_total", {}, 2],
        ["relay_moderation_appeals_overturned_total", {}, 1],
        ["relay_proximity_verifications_total", { result: "failure" }, 1],
        ["relay_proximity_verification_duration_seconds_count", {}, 1],
      ],
    ],
    [
      "network recorders",
      (r) => {
        r.recordPeerChurn("connected");
        r.recordPeerLatency(0.004);
        r.recordBandwidth("sent", 4096);
        r.p2pPeers.set({ direction: "inbound", state: "active" }, 8);
      },
      [
        ["relay_p2p_peer_churn_total", { event: "connected" }, 1],
        ["relay_p2p_peer_latency_seconds_bucket", { le: "0.005" }, 1],
        ["relay_p2p_bandwidth_bytes_total", { direction: "sent" }, 4096],
        ["relay_p2p_peers", { direction: "inbound", state: "active" }, 8],
      ],
    ],
  ];

  it.each(cases)("%s", async (_name, record, expected) => {
    const relay = createRelayMetrics({ collectDefault: false });
    record(relay);
    for (const [name, labels, value] of expected) {
      const got = await sampleValue(relay, name, labels);
      if (Number.isNaN(value)) expect(got, `${name} ${JSON.stringify(labels)}`).toBeUndefined();
      else expect(got, `${name} ${JSON.stringify(labels)}`).toBeCloseTo(value, 9);
    }
  });

  it.each([
    ["recordRequest", (r: RelayMetrics) => r.recordRequest("/", "GET", 200, -1), /recordRequest: seconds/],
    ["recordMessage", (r: RelayMetrics) => r.recordMessage("x", Number.NaN, 0, true), /recordMessage: bytes/],
    ["recordTransaction", (r: RelayMetrics) => r.recordTransaction("x", 1, -0.5), /recordTransaction: fee/],
    [
      "recordPeerLatency",
      (r: RelayMetrics) => r.recordPeerLatency(Number.POSITIVE_INFINITY),
      /recordPeerLatency/,
    ],
  ])("%s rejects bad numbers without moving any series", async (_name, call, message) => {
    const relay = createRelayMetrics({ collectDefault: false });
    expect(() => call(relay)).toThrow(message);
    expect(await relay.metrics()).toBe(await createRelayMetrics({ collectDefault: false }).metrics());
  });
});

describe("serveMetrics", () => {
  it("serves /metrics on 127.0.0.1 and closes", async () => {
    const relay = createRelayMetrics({ collectDefault: false });
    relay.recordRequest("/health", "GET", 200, 0.001);
    const server = await relay.serveMetrics(0);
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(await res.text()).toContain(
        'relay_http_requests_total{endpoint="/health",method="GET",status="200"} 1',
      );
      const head = await fetch(server.url, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe("");
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
      const post = await fetch(server.url, { method: "POST" });
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET, HEAD");
    } finally {
      await server.close();
    }
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it.each([-1, 65536, 1.5])("rejects port %s", async (port) => {
    await expect(createRelayMetrics({ collectDefault: false }).serveMetrics(port)).rejects.toThrow(
      /port must be/,
    );
  });
});

describeWithBinary("/usr/bin/promtool", "prometheus", "promtool check metrics", (promtool) => {
  it("finds no problem in the exposition of every catalogue metric", async () => {
    const relay = createRelayMetrics({ collectDefault: false });
    relay.recordRequest("/", "GET", 500, 0.1);
    relay.recordMessage("vote", 10, 0.01, true);
    relay.recordConsensusRound(["v1"], 1, "success");
    relay.recordTransaction("transfer", 1, 0.1);
    const text = await relay.metrics();
    const out = execFileSync(promtool, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(out).toBe("");
  });
});

describe("the catalogue table in README.md", () => {
  const file = fileURLToPath(new URL("../../../README.md", import.meta.url));
  const START = "<!-- sdk-catalogue:start -->\n";
  const END = "<!-- sdk-catalogue:end -->";

  it("matches catalogueMarkdownTable() (regenerate with UPDATE_SDK_CATALOGUE=1)", () => {
    const table = catalogueMarkdownTable();
    let text = readFileSync(file, "utf8");
    if (process.env.UPDATE_SDK_CATALOGUE === "1") {
      text = text.slice(0, text.indexOf(START) + START.length) + table + text.slice(text.indexOf(END));
      writeFileSync(file, text);
    }
    const start = text.indexOf(START);
    const end = text.indexOf(END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    expect(text.slice(start + START.length, end)).toBe(table);
  });

  it("lists every metric", () => {
    const table = catalogueMarkdownTable();
    for (const s of RELAY_METRICS) expect(table).toMatch(new RegExp(`\\| \`${s.name}\` +\\| ${s.type} +\\|`));
  });
});
