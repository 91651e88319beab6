import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { labelsGet } from "../model/index.js";
import { Engine } from "../promql/index.js";
import { Head } from "../tsdb/index.js";
import { type AnalyticsOptions, CommunityAnalytics } from "./analytics.js";
import { Community, DAY_MS, dayOf, NETWORK } from "./community.js";
import { type CommunityEvent, validateEvent } from "./events.js";
import { COMMUNITY_SERIES, CommunityPublisher, collectSamples } from "./publish.js";

const NOW = Date.UTC(2025, 2, 14, 12);
const D = dayOf(NOW);
const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function setup(opts: AnalyticsOptions = {}) {
  const db = new Database(":memory:");
  dbs.push(db);
  const community = new Community({ db, now: () => NOW });
  return { community, analytics: new CommunityAnalytics(community, opts) };
}

let seq = 0;
function event(
  type: CommunityEvent["type"],
  channel: string,
  user: string,
  day: number,
  extra: Record<string, unknown> = {},
): CommunityEvent {
  const r = validateEvent({ id: `e${seq++}`, type, channel, user, time: day * DAY_MS + 3_600_000, ...extra });
  if (!("event" in r)) throw new Error(r.reason);
  return r.event;
}

/** A seeded pseudo-random generator (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 30 days of traffic: 300 users in "big", active with probability 0.3 a day; 3 users in "tiny". */
function traffic(community: Community) {
  const rand = rng(7);
  const active = new Map<number, Set<string>>();
  const events: CommunityEvent[] = [];
  for (let d = D - 29; d <= D; d++) {
    const today = new Set<string>();
    for (let u = 0; u < 300; u++) {
      if (rand() >= 0.3) continue;
      const user = `big-${u}`;
      today.add(user);
      events.push(event("message", "big", user, d));
      if (rand() < 0.5)
        events.push(event("vote", "big", user, d, { direction: rand() < 0.8 ? "up" : "down" }));
      if (rand() < 0.2)
        events.push(event("ballot", "big", user, d, { proposal: `p${d}`, weight: 1 + (u % 10) }));
      if (rand() < 0.1) events.push(event("transaction", "big", user, d, { value: 10, fee: 0.5 }));
    }
    active.set(d, today);
    for (let u = 0; u < 3; u++) events.push(event("message", "tiny", `tiny-${u}`, d));
  }
  for (let u = 0; u < 120; u++) events.push(event("join", "big", `big-${u}`, D - 20));
  for (let i = 0; i < events.length; i += 5000) {
    const r = community.ingest(events.slice(i, i + 5000));
    expect(r.ok).toBe(true);
  }
  const union = (from: number, to: number) => {
    const s = new Set<string>();
    for (let d = from; d <= to; d++) for (const u of active.get(d) ?? []) s.add(u);
    return s;
  };
  return { active, union };
}

const near = (x: number | null, expected: number, rel = 0.02) => {
  expect(x).not.toBeNull();
  expect(Math.abs(x! - expected)).toBeLessThanOrEqual(Math.max(1, rel * expected));
};

describe("community analytics on synthetic traffic", () => {
  it("DAU ≤ WAU ≤ MAU, each near the exact distinct count; stickiness = DAU/MAU", () => {
    const { community, analytics } = setup();
    const { active, union } = traffic(community);
    const a = analytics.activity("big", D);
    expect(a.suppressed).toBe(false);
    near(a.dau, active.get(D)!.size);
    near(a.wau, union(D - 6, D).size);
    near(a.mau, union(D - 29, D).size);
    expect(a.dau!).toBeLessThanOrEqual(a.wau!);
    expect(a.wau!).toBeLessThanOrEqual(a.mau!);
    expect(a.stickiness).toBeCloseTo(a.dau! / a.mau!);
    const n = analytics.activity(NETWORK, D);
    expect(n.mau!).toBeGreaterThanOrEqual(a.mau!);
    const prev = union(D - 13, D - 7);
    const cur = union(D - 6, D);
    const retained = [...cur].filter((u) => prev.has(u)).length;
    near(a.growth!.retained, retained, 0.05);
    near(a.growth!.churned, prev.size - retained, 0.1);
    expect(a.engagement.messagesPerActiveUser).toBeCloseTo(1, 1);
  });

  it("N-day retention and weekly cohorts are within the HLL error bound", () => {
    const { community, analytics } = setup();
    const { active, union } = traffic(community);
    const r = analytics.retention("big", D, [1, 7, 28]);
    for (const row of r.nDay) {
      const cohort = active.get(D - row.n)!;
      const kept = [...cohort].filter((u) => active.get(D)!.has(u)).length;
      near(row.cohort, cohort.size);
      expect(Math.abs(row.retained! - kept)).toBeLessThanOrEqual(Math.max(2, 3 * row.retainedStdError!));
    }
    expect(r.weeklyCohorts).toHaveLength(4);
    expect(r.weeklyCohorts[3]!.retention[0]).toBe(1);
    const w3 = union(D - 27, D - 21);
    const w0 = union(D - 6, D);
    const exact = [...w3].filter((u) => w0.has(u)).length / w3.size;
    expect(Math.abs(r.weeklyCohorts[3]!.retention[3]! - exact)).toBeLessThan(0.05);
  });

  it("health: a 0–100 score with its components, trend and recommendations", () => {
    const { community, analytics } = setup();
    traffic(community);
    const h = analytics.health("big", D);
    expect(h.suppressed).toBe(false);
    expect(h.score).toBeGreaterThan(0);
    expect(h.score).toBeLessThanOrEqual(100);
    expect(h.components.positivity.raw).toBeCloseTo(0.8, 1);
    expect(h.components.engagement.raw).toBeGreaterThan(0.2);
    expect(h.trend.previousScore).not.toBeNull();
    expect(["up", "down", "flat"]).toContain(h.trend.direction);
  });

  it("health: governance counts only when there was a proposal to vote on in the 7 days", () => {
    const { community, analytics } = setup();
    const users = Array.from({ length: 10 }, (_, u) => `quiet-${u}`);
    const events = users.flatMap((u) => [event("join", "quiet", u, D - 3), event("message", "quiet", u, D)]);
    expect(community.ingest(events).ok).toBe(true);
    const before = analytics.health("quiet", D);
    expect(before.components.governance.normalized).toBeNull();
    expect(before.recommendations.map((r) => r.component)).not.toContain("governance");
    expect(
      community.ingest([event("proposal_opened", "quiet", "quiet-0", D - 1, { proposal: "q1" })]).ok,
    ).toBe(true);
    const after = analytics.health("quiet", D);
    expect(after.components.governance).toMatchObject({ raw: 0, normalized: 0 });
    expect(after.score!).toBeLessThan(before.score!);
  });

  it("governance and economy figures", () => {
    const { community, analytics } = setup();
    traffic(community);
    community.ingest([
      event("proposal_opened", "big", "big-1", D - 2, { proposal: "x" }),
      { ...event("proposal_closed", "big", "big-1", D - 1, { proposal: "x", outcome: "passed" }) },
      event("proposal_opened", "big", "big-1", D, { proposal: "y" }),
      event("moderation", "big", "big-2", D, { action: "remove" }),
      event("moderation", "big", "big-2", D, { action: "remove" }),
      event("appeal", "big", "big-3", D),
      event("appeal", "big", "big-3", D, { outcome: "overturned" }),
    ]);
    const g = analytics.governance("big", D - 6, D);
    expect(g.passRate).toBe(1);
    expect(g.timeToConsensusSeconds).toBe(86_400);
    expect(g.activeCompetitions).toBe(1);
    expect(g.appealRate).toBe(0.5);
    expect(g.overturnRate).toBe(1);
    expect(g.votingPowerGini).toBeGreaterThan(0.1);
    expect(g.votingPowerGini).toBeLessThan(0.4);
    expect(g.nakamotoCoefficient).toBeGreaterThan(1);
    const e = analytics.economy("big", D * 24 - 24 * 6, D * 24 + 23);
    expect(e.byType.map((r) => r.type)).toEqual(["transfer"]);
    expect(e.byType[0]!.averageValue).toBe(10);
    expect(e.velocity).toBeGreaterThan(0);
    expect(e.velocityBasis).toBe("active_holders");
  });

  it("suppresses a channel with fewer than k members in every answer and every series", () => {
    const { community, analytics } = setup();
    traffic(community);
    expect(analytics.activity("tiny", D)).toMatchObject({ suppressed: true, dau: null, mau: null });
    expect(analytics.health("tiny", D)).toMatchObject({ suppressed: true, score: null });
    expect(analytics.retention("tiny", D)).toMatchObject({ suppressed: true, nDay: [] });
    expect(analytics.governance("tiny", D - 6, D)).toMatchObject({ suppressed: true, voters: null });
    expect(analytics.economy("tiny", D * 24, D * 24 + 23)).toMatchObject({ suppressed: true, byType: [] });
    const s = collectSamples(analytics, NOW);
    expect(s.suppressed).toBe(1);
    expect(s.labels.filter((l) => labelsGet(l, "channel") === "tiny")).toEqual([]);
    expect(s.labels.some((l) => labelsGet(l, "channel") === "big")).toBe(true);
    const k2 = new CommunityAnalytics(community, { k: 3 });
    expect(k2.activity("tiny", D).suppressed).toBe(false);
  });

  it("with noise, spends at most the budget per channel and day and serves stale values after", () => {
    const { community, analytics } = setup({ noise: { epsilon: 0.5, budgetPerDay: 5 } });
    traffic(community);
    for (let i = 0; i < 5; i++) collectSamples(analytics, NOW + DAY_MS);
    expect(analytics.spent("big", D)).toBeLessThanOrEqual(5 + 1e-9);
    expect(analytics.spent("big", D)).toBeGreaterThan(4);
    const a = analytics.activity("big", D, true);
    const b = analytics.activity("big", D, true);
    expect(a.dau).toBe(b.dau);
    expect(analytics.spent("big", D)).toBeLessThanOrEqual(5 + 1e-9);
  });
});

describe("publisher", () => {
  it("writes relay_community_* series into a Head, and PromQL reads them", async () => {
    const { community, analytics } = setup();
    traffic(community);
    const head = new Head();
    const pub = new CommunityPublisher(analytics, { appendable: head, now: () => NOW });
    const stats = await pub.publish();
    expect(stats.samples).toBeGreaterThan(20);
    const engine = new Engine();
    const q = async (expr: string) => {
      const r = await engine.instantQuery(head, expr, NOW);
      if (r.resultType !== "vector") throw new Error(`expected a vector from ${expr}`);
      return r.result;
    };
    const score = await q(`${COMMUNITY_SERIES.healthScore.name}{channel="big"}`);
    expect(score).toHaveLength(1);
    expect(score[0]!.v).toBeGreaterThan(0);
    expect(
      await q("relay_community_dau <= on(channel) relay_community_wau <= on(channel) relay_community_mau"),
    ).toHaveLength(1);
    expect(await q("count(relay_community_health_component_ratio)")).toEqual([
      expect.objectContaining({ v: 6 }),
    ]);
    expect(await q('relay_community_dau{channel="tiny"}')).toEqual([]);
    expect(await q("relay_community_network_mau >= relay_community_network_wau")).toHaveLength(1);
  });

  it("publishes the last complete UTC day, so DAU and health do not collapse at midnight", () => {
    const { community, analytics } = setup();
    traffic(community);
    const value = (s: ReturnType<typeof collectSamples>, name: string, channel: string) => {
      const i = s.labels.findIndex(
        (l) => labelsGet(l, "__name__") === name && labelsGet(l, "channel") === channel,
      );
      return i < 0 ? undefined : s.values[i];
    };
    const complete = analytics.activity("big", D);
    const afterMidnight = collectSamples(analytics, (D + 1) * DAY_MS + 5 * 60_000);
    expect(complete.dau).toBeGreaterThan(0);
    expect(value(afterMidnight, "relay_community_dau", "big")).toBe(complete.dau);
    expect(value(afterMidnight, "relay_community_health_score", "big")).toBe(
      analytics.health("big", D).score,
    );
    const lateThatDay = collectSamples(analytics, (D + 1) * DAY_MS + 23 * 3_600_000);
    expect(value(lateThatDay, "relay_community_dau", "big")).toBe(complete.dau);
  });
});
