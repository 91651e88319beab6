import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseEvents } from "../../community/index.js";
import { parseExposition } from "../../ingest/index.js";
import { labelsFromPairs, labelsKey, labelsToRecord, Matcher, METRIC_NAME } from "../../model/index.js";
import { Engine } from "../../promql/index.js";
import { Head } from "../../tsdb/index.js";
import {
  activityCurve,
  COFFEE_SHOP,
  FaultInjector,
  type FaultKind,
  faultApi,
  httpEventSink,
  isWeekend,
  LiveNetwork,
  type RelayEvent,
  Rng,
  Simulation,
  startDemo,
  writeHistory,
} from "./index.js";

const NOW = Date.UTC(2026, 0, 14, 12, 0, 0); // a Wednesday
const SMALL = { nodes: 3, channels: 6, users: 300, now: NOW } as const;

async function dump(head: Head): Promise<Map<string, number[]>> {
  const q = head.querier(0, Number.MAX_SAFE_INTEGER);
  const out = new Map<string, number[]>();
  for (const s of await q.select([new Matcher("=~", METRIC_NAME, ".+")])) {
    const it = s.iterator();
    const vals: number[] = [];
    while (it.next()) vals.push(it.t, it.v);
    out.set(labelsKey(s.labels), vals);
  }
  q.close();
  return out;
}

async function scrape(url: string): Promise<{ name: string; labels: readonly string[]; value: number }[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return parseExposition(await res.text(), "text");
}

describe("Rng", () => {
  it("gives the same sequence for the same seed and another for another seed", () => {
    const a = new Rng(42, 7);
    const b = new Rng(42, 7);
    const c = new Rng(43, 7);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(xs);
  });

  it("draws Poisson counts with the asked mean", () => {
    const r = new Rng(1);
    for (const lambda of [0.5, 4, 80]) {
      let sum = 0;
      for (let i = 0; i < 20_000; i++) sum += r.poisson(lambda);
      expect(sum / 20_000).toBeCloseTo(lambda, lambda < 10 ? 1 : 0);
    }
  });
});

describe("history", () => {
  it("is deterministic: the same seed gives identical samples and events, another seed does not", async () => {
    const run = async (seed: number) => {
      const head = new Head();
      const events: RelayEvent[] = [];
      const { stats } = await writeHistory({
        ...SMALL,
        days: 1,
        seed,
        appendable: head,
        events: async (b) => void events.push(...b),
      });
      return { stats, events, samples: await dump(head) };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a.stats.samples).toBeGreaterThan(100_000);
    expect(b.samples).toEqual(a.samples);
    expect(b.events).toEqual(a.events);
    expect(c.events).not.toEqual(a.events);
    expect(a.stats.series).toBe(a.samples.size);
    expect(a.stats.rejected).toEqual({});
  });

  it("writes every dashboard's families with job/instance labels, and faults mark a node down", async () => {
    const head = new Head();
    const sim = new Simulation({ ...SMALL, days: 1, defaultFaults: false });
    const down = sim.faults.schedule({
      kind: "node_down",
      at: NOW - 6 * 3_600_000,
      durationMs: 600_000,
      target: "relay-node-2",
    });
    await writeHistory({ simulation: sim, appendable: head });
    const engine = new Engine();
    const value = async (expr: string, t: number) => {
      const r = await engine.instantQuery(head, expr, t);
      return (r.result as { v: number }[]).map((s) => s.v);
    };
    for (const [expr, want] of [
      ['count(up{job="relay"})', 3],
      ['count(up{job="postgres"})', 1],
      ["count(count by (node) (relay_http_requests_total))", 3],
      ['count(node_cpu_seconds_total{cpu="0",node="relay-node-1"})', 8],
      ["count(node_memory_MemAvailable_bytes)", 3],
      ["count(node_filesystem_avail_bytes)", 3],
      ["count(node_load5)", 3],
      ['count(node_disk_written_bytes_total{device="vda"})', 3],
      ['count(node_disk_io_time_seconds_total{device="vda"})', 3],
      ["count(rate(node_disk_reads_completed_total[10m]) > 0)", 3],
      ["count(rate(node_disk_writes_completed_total[10m]) > 0)", 3],
      ["count(rate(node_disk_read_bytes_total[10m]) > 0)", 3],
      ["count(rate(node_disk_io_time_seconds_total[10m]) > 0 < 1)", 3],
      ["count(node_time_seconds - node_boot_time_seconds > 86400)", 2],
      ["count(node_time_seconds - node_boot_time_seconds < 6 * 3600)", 1],
      ['count(relay_consensus_round_duration_seconds_bucket{node="relay-node-1"})', 11],
      ["count(relay_economy_transactions_total) > 0", undefined],
      ['count(relay_channel_members{channel="marias-coffee-shop"})', 1],
      ['pg_settings_max_connections{job="postgres"}', 100],
      ["count(pg_stat_activity_count)", 3],
    ] as const) {
      const got = await value(expr, NOW);
      if (want === undefined) expect(got.length, expr).toBe(1);
      else expect(got, expr).toEqual([want]);
    }
    // disk writes follow the day: the weekday morning rush writes far more than 3 a.m.
    const written = 'sum(rate(node_disk_written_bytes_total{node="relay-node-1"}[15m]))';
    const [rush] = await value(written, Date.UTC(2026, 0, 14, 8, 15));
    const [night] = await value(written, Date.UTC(2026, 0, 14, 3, 15));
    expect(rush).toBeGreaterThan(1.5 * night!);
    expect(
      await value('up{node="relay-node-2"} or up{instance="127.0.0.1:9102"}', down.start + 300_000),
    ).toEqual([0]);
    expect(
      await value('count(relay_http_requests_total{instance="127.0.0.1:9102"})', down.start + 300_000),
    ).toEqual([]);
    expect(await value('up{instance="127.0.0.1:9102"}', down.end + 120_000)).toEqual([1]);
    // the node rebooted when it came back: its boot time is the end of the outage (within a step)
    const [boot] = await value('node_boot_time_seconds{instance="127.0.0.1:9102"}', down.end + 120_000);
    expect(Math.abs(boot! * 1000 - down.end)).toBeLessThanOrEqual(60_000);
  });

  it("slow_consensus pushes round durations above 10 s while it lasts", async () => {
    const head = new Head();
    const sim = new Simulation({ ...SMALL, days: 0.5, defaultFaults: false });
    const f = sim.faults.schedule({
      kind: "slow_consensus",
      at: NOW - 3 * 3_600_000,
      durationMs: 30 * 60_000,
    });
    await writeHistory({ simulation: sim, appendable: head });
    const engine = new Engine();
    const p50 = async (t: number) => {
      const r = await engine.instantQuery(
        head,
        'histogram_quantile(0.5, sum by (le) (rate(relay_consensus_round_duration_seconds_bucket{node="relay-node-1"}[10m])))',
        t,
      );
      return (r.result as { v: number }[])[0]!.v;
    };
    expect(await p50(f.end - 60_000)).toBeGreaterThan(10);
    expect(await p50(f.start - 60_000)).toBeLessThan(5);
    expect(await p50(f.end + 60 * 60_000)).toBeLessThan(5);
  });
});

describe("fault effects", () => {
  const HOUR = 3_600_000;
  const cases: [FaultKind, string | undefined, string][] = [
    ["db_slowdown", undefined, "sum(rate(pg_slow_queries_total[5m]))"],
    ["db_slowdown", undefined, 'max(pg_stat_activity_max_tx_duration{state="active"})'],
    [
      "db_slowdown",
      undefined,
      "histogram_quantile(0.9, sum by (le) (rate(relay_http_request_duration_seconds_bucket[5m])))",
    ],
    [
      "latency_spike",
      "relay-node-1",
      'histogram_quantile(0.5, rate(relay_p2p_peer_latency_seconds_bucket{node="relay-node-1"}[5m]))',
    ],
    [
      "latency_spike",
      "relay-node-1",
      'sum(rate(relay_p2p_gossip_messages_total{outcome="dropped",node="relay-node-1"}[5m]))',
    ],
    ["toxic_burst", "tenants-association", "sum(rate(relay_moderation_actions_total[5m]))"],
    ["toxic_burst", "tenants-association", 'sum(rate(relay_votes_total{direction="down"}[5m]))'],
  ];
  const run = async (kind: FaultKind, target: string | undefined) => {
    const head = new Head();
    const sim = new Simulation({ ...SMALL, channels: 8, days: 0.25, defaultFaults: false });
    const f = sim.faults.schedule({ kind, at: NOW - 2 * HOUR, durationMs: 30 * 60_000, target });
    await writeHistory({ simulation: sim, appendable: head });
    return { head, f };
  };

  it.each(cases)("%s on %s raises %s at least threefold", async (kind, target, expr) => {
    const { head, f } = await run(kind, target);
    const engine = new Engine();
    const at = async (t: number) => {
      const r = (await engine.instantQuery(head, expr, t)).result as { v: number }[];
      return r[0]?.v ?? 0;
    };
    const before = await at(f.start - 10 * 60_000);
    const during = await at(f.end - 60_000);
    expect(during).toBeGreaterThan(3 * before);
  });
});

describe("scenarios", () => {
  const sim = new Simulation({
    seed: 3,
    nodes: 3,
    channels: 20,
    users: 1500,
    days: 28,
    now: NOW,
    defaultFaults: false,
  });
  const events = sim.advance(NOW, 3_600_000);
  const hour = (t: number) => new Date(t).getUTCHours();

  it("has Maria's Coffee Shop among the channels", () => {
    expect(sim.network.world.channels[0]).toMatchObject({
      name: COFFEE_SHOP.name,
      slug: "marias-coffee-shop",
    });
  });

  it("weekday morning rush (7–9) has far more messages and new members than 3 a.m.", () => {
    const weekday = events.filter((e) => !isWeekend(e.time));
    const count = (type: string, h: number) =>
      weekday.filter((e) => e.type === type && hour(e.time) === h).length;
    expect(count("message", 8)).toBeGreaterThan(5 * count("message", 3));
    expect(count("join", 8)).toBeGreaterThan(5 * Math.max(1, count("join", 3)));
    expect(activityCurve(Date.UTC(2026, 0, 14, 8))).toBeGreaterThan(
      5 * activityCurve(Date.UTC(2026, 0, 14, 3)),
    );
  });

  it("evening event planning opens the proposals, and ballots follow", () => {
    const opened = events.filter((e) => e.type === "proposal_opened");
    expect(opened.length).toBeGreaterThan(20);
    expect(opened.every((e) => hour(e.time) >= 18 && hour(e.time) < 22)).toBe(true);
    expect(events.filter((e) => e.type === "ballot").length).toBeGreaterThan(opened.length);
  });

  it("weekends create channels, weekdays do not", () => {
    const created = sim.network.world.channels.filter((c) => c.createdAt > sim.start);
    expect(created.length).toBeGreaterThan(3);
    expect(created.every((c) => isWeekend(c.createdAt))).toBe(true);
  });

  it("healthy and struggling channels differ in up-vote ratio", () => {
    const ratio = (slug: string) => {
      const votes = events.filter((e) => e.type === "vote" && e.channel === slug) as { direction: string }[];
      return votes.filter((v) => v.direction === "up").length / votes.length;
    };
    expect(ratio("marias-coffee-shop")).toBeGreaterThan(0.75);
    expect(ratio("tenants-association")).toBeLessThan(0.6);
  });

  it("sends every event type, and every batch validates against the community schema", () => {
    expect(new Set(events.map((e) => e.type)).size).toBe(12);
    for (let i = 0; i < events.length; i += 5000) {
      const r = parseEvents(JSON.stringify(events.slice(i, i + 5000)));
      expect(r.errors).toEqual([]);
    }
    expect(events.every((e, i) => i === 0 || events[i - 1]!.time <= e.time)).toBe(true);
    expect(events.every((e) => e.time < NOW && /^user-\d{6}$/.test(e.user))).toBe(true);
  });
});

describe("live network", () => {
  it("serves SDK metrics on 127.0.0.1, continues the history's counters without reset, and stops cleanly", async () => {
    let clock = NOW;
    const head = new Head();
    const sim = new Simulation({ ...SMALL, days: 0.25, clock: () => clock, defaultFaults: false });
    const live = new LiveNetwork(sim, { clock: () => clock, tickMs: 1000 });
    const instances = await live.listen();
    expect(instances.nodes).toHaveLength(3);
    expect(instances.nodes.every((i) => /^127\.0\.0\.1:\d+$/.test(i))).toBe(true);
    try {
      await writeHistory({ simulation: sim, appendable: head, instances });
      const historySeries = new Set((await dump(head)).keys());
      clock = NOW + 30_000;
      live.tick();
      const app = head.appender();
      const targets = [
        ...instances.nodes.map((instance) => ({ job: "relay", instance })),
        { job: "postgres", instance: instances.db },
      ];
      let scraped = 0;
      for (const { job, instance } of targets) {
        for (const s of await scrape(`http://${instance}/metrics`)) {
          const ls = labelsFromPairs([METRIC_NAME, s.name, ...s.labels, "job", job, "instance", instance]);
          expect(historySeries.has(labelsKey(ls)), JSON.stringify(labelsToRecord(ls))).toBe(true);
          app.append(0, ls, clock, s.value);
          scraped++;
        }
      }
      await app.commit();
      expect(scraped).toBeGreaterThan(500);
      const engine = new Engine();
      const names = new Set([...historySeries].map((k) => k.split("\xff")[1]!));
      const counters = [...names].filter(
        (n) =>
          /(_total|_bucket)$/.test(n) ||
          (/_(count|sum)$/.test(n) && names.has(n.replace(/_(count|sum)$/, "_bucket"))),
      );
      expect(counters.length).toBeGreaterThan(40);
      for (const name of counters) {
        const r = await engine.instantQuery(
          head,
          `sum(resets(${name}[10m])) + sum(increase(${name}[10m])) * 0`,
          clock,
        );
        expect((r.result as { v: number }[])[0]!.v, name).toBe(0);
      }
      const rate = await engine.instantQuery(
        head,
        'sum(rate(relay_consensus_rounds_total{result="success"}[1m]))',
        clock,
      );
      expect((rate.result as { v: number }[])[0]!.v).toBeGreaterThan(0.3);
      const text = await (await fetch(`http://${instances.nodes[0]}/metrics`)).text();
      expect(text).toContain('relay_consensus_rounds_total{result="success",node="relay-node-1"}');
      expect(await (await fetch(`http://${instances.db}/metrics`)).text()).toMatch(/^pg_up 1$/m);
    } finally {
      await live.stop();
    }
    await expect(fetch(`http://${instances.nodes[0]}/metrics`)).rejects.toThrow();
  });

  it("node_down closes that node's port until the fault ends", async () => {
    let clock = NOW;
    const sim = new Simulation({ ...SMALL, days: 0, clock: () => clock, defaultFaults: false });
    const live = new LiveNetwork(sim, { clock: () => clock });
    const { nodes } = await live.listen();
    try {
      live.tick();
      sim.faults.inject("node_down", { target: "relay-node-2", durationMs: 60_000 });
      clock += 1000;
      live.tick();
      await new Promise((r) => setTimeout(r, 20));
      await expect(fetch(`http://${nodes[1]}/metrics`)).rejects.toThrow();
      expect((await fetch(`http://${nodes[0]}/metrics`)).status).toBe(200);
      clock += 60_000;
      live.tick();
      await new Promise((r) => setTimeout(r, 20));
      expect((await fetch(`http://${nodes[1]}/metrics`)).status).toBe(200);
      expect(sim.faults.faults()).toMatchObject([
        { kind: "node_down", target: "relay-node-2", source: "api" },
      ]);
    } finally {
      await live.stop();
    }
  });
});

describe("httpEventSink", () => {
  it("splits a batch the monitor refuses as too large (413) until it fits, losing nothing", async () => {
    const events: RelayEvent[] = [];
    await writeHistory({ ...SMALL, days: 0.5, seed: 3, events: async (b) => void events.push(...b) });
    expect(events.length).toBeGreaterThan(250);
    const batch = events.slice(0, 250);
    const received: string[] = [];
    const monitor = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const got = JSON.parse(body) as RelayEvent[];
        if (got.length > 60) {
          res.writeHead(413, { "content-type": "application/json" }).end('{"status":"error"}');
          return;
        }
        received.push(...got.map((e) => e.id));
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"success"}');
      });
    });
    await new Promise<void>((r) => monitor.listen(0, "127.0.0.1", r));
    const warnings: string[] = [];
    try {
      const url = `http://127.0.0.1:${(monitor.address() as AddressInfo).port}/api/relay/v1/events`;
      await httpEventSink(url, { info: () => {}, warn: (m) => void warnings.push(m) })(batch);
      expect(received).toEqual(batch.map((e) => e.id));
      expect(warnings).toEqual([]);
    } finally {
      await new Promise((r) => monitor.close(r));
    }
  });
});

describe("startDemo", () => {
  it("binds the nodes, writes history, sends events to the monitor and stops; a 404 is warned about once", async () => {
    const received: RelayEvent[] = [];
    let answer404 = false;
    const monitor = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        if (answer404 || req.url !== "/api/relay/v1/events") {
          res.writeHead(404).end();
          return;
        }
        const r = parseEvents(body);
        expect(r.errors).toEqual([]);
        received.push(...(JSON.parse(body) as RelayEvent[]));
        res.writeHead(200, { "content-type": "application/json" }).end('{"status":"success"}');
      });
    });
    await new Promise<void>((r) => monitor.listen(0, "127.0.0.1", r));
    const monitorUrl = `http://127.0.0.1:${(monitor.address() as AddressInfo).port}`;
    const warnings: string[] = [];
    const logger = { info: () => {}, warn: (m: string) => void warnings.push(m) };
    try {
      const head = new Head();
      const demo = await startDemo({
        monitorUrl,
        nodes: 2,
        channels: 3,
        days: 0.2,
        seed: 5,
        appendable: head,
        logger,
      });
      try {
        expect(demo.targets).toHaveLength(2);
        expect(demo.scrapeJobs.map((j) => j.job_name)).toEqual(["relay", "postgres"]);
        expect(demo.history.samples).toBeGreaterThan(10_000);
        expect(received.length).toBe(demo.history.events);
        expect(received.length).toBeGreaterThan(50);
        expect((await fetch(`http://${demo.targets[0]}/metrics`)).status).toBe(200);
      } finally {
        await demo.stop();
      }
      answer404 = true;
      const again = await startDemo({ monitorUrl, nodes: 1, channels: 2, days: 0.2, seed: 5, logger });
      await again.stop();
      expect(warnings.filter((w) => w.includes("404"))).toHaveLength(1);
    } finally {
      await new Promise((r) => monitor.close(r));
    }
  });
});

describe("faults", () => {
  const injector = () =>
    new FaultInjector({
      now: () => NOW,
      nodes: ["relay-node-1", "relay-node-2"],
      channels: () => ["marias-coffee-shop"],
    });

  it.each([
    [{ kind: "node_down", node: "relay-node-2", duration: "5m" }, 200, "relay-node-2"],
    [{ kind: "toxic_burst", duration: 60 }, 200, "marias-coffee-shop"],
    [{ kind: "latency_spike" }, 200, "network"],
    [{ kind: "db_slowdown", duration: 120 }, 200, "db"],
    [{ kind: "meltdown" }, 400, "kind: expected one of"],
    [{ kind: "node_down", node: "relay-node-9" }, 400, "node: expected one of"],
    [{ kind: "toxic_burst", channel: "nowhere" }, 400, "channel: no channel"],
    [{ kind: "slow_consensus", duration: "soon" }, 400, "duration:"],
    [{ kind: "slow_consensus", duration: -5 }, 400, "duration:"],
    [[], 400, "body:"],
  ])("POST %j answers %i", (body, status, text) => {
    const api = faultApi(injector());
    const r = api.inject(body);
    expect(r.status).toBe(status);
    expect(JSON.stringify(r.body)).toContain(text);
  });

  it("lists injected faults as the ground truth, with their windows", () => {
    const inj = injector();
    const api = faultApi(inj);
    api.inject({ kind: "db_slowdown", duration: "10m" });
    const body = api.list().body as { data: { kind: string; startMs: number; endMs: number }[] };
    expect(body.data).toEqual([
      expect.objectContaining({ kind: "db_slowdown", startMs: NOW, endMs: NOW + 600_000 }),
    ]);
    expect(inj.active("db_slowdown", NOW + 1)).toBeDefined();
    expect(inj.active("db_slowdown", NOW + 600_000)).toBeUndefined();
  });

  it("schedules default faults inside the history window", () => {
    const sim = new Simulation({ ...SMALL, days: 14 });
    const faults = sim.faults.faults();
    expect(new Set(faults.map((f) => f.kind)).size).toBe(5);
    expect(faults.every((f) => f.start >= sim.start && f.end <= NOW)).toBe(true);
  });
});
