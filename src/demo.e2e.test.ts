import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./testing/index.js";

// Issue 6's acceptance, end to end through the real CLI (dist/, built by the global setup):
// `relay-monitor demo` answers community health for every channel within 60 s with consistent
// DAU ≤ WAU ≤ MAU, the relay_community_* series answer PromQL, a raw user id never reaches the
// data directory or the logs, and a channel under k members is suppressed in every answer.

const cli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const DAY_MS = 86_400_000;
const K = 5;

interface Server {
  readonly base: string;
  readonly dir: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

/** Starts `relay-monitor <command>` with stdout and stderr going to `<dir>/server.log`. */
async function startCli(dir: string, command: "start" | "demo", args: string[]): Promise<Server> {
  const port = await freePort();
  const logFile = join(dir, "server.log");
  const fd = openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    [cli, command, "--storage.path", join(dir, "data"), "--listen", `127.0.0.1:${port}`, ...args],
    { stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { base: `http://127.0.0.1:${port}`, dir, logFile, child, exited };
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function getData<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (res.status !== 200 || body.status !== "success")
    throw new Error(`${path}: ${res.status} ${body.error}`);
  return body.data;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function promql(base: string, expr: string): Promise<Sample[]> {
  const data = await getData<{ resultType: string; result: Sample[] }>(
    base,
    `/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  expect(data.resultType, expr).toBe("vector");
  return data.result;
}

async function postEvents(base: string, events: unknown[] | string): Promise<Response> {
  return fetch(`${base}/api/relay/v1/events`, {
    method: "POST",
    headers: { "content-type": typeof events === "string" ? "application/x-ndjson" : "application/json" },
    body: typeof events === "string" ? events : JSON.stringify(events),
  });
}

interface Component {
  raw: number | null;
  normalized: number | null;
  weight: number;
}
interface Health {
  channel: string;
  suppressed: boolean;
  score: number | null;
  components: Record<string, Component>;
  trend: { previousScore: number | null };
}
interface Activity {
  channel?: string;
  suppressed: boolean;
  members: number | null;
  dau: number | null;
  wau: number | null;
  mau: number | null;
}
interface HealthData {
  k: number;
  channels: Health[];
}
interface ActivityData {
  network: Activity[];
  channels: { channel: string; days: Activity[] }[];
}

const COMPONENTS = ["engagement", "positivity", "growth", "retention", "governance", "content"];

/**
 * What keeps the demo's community answers from meeting the acceptance criteria (empty when they
 * do): every channel with at least k members has a 0–100 score and all six components, each a
 * value or null where it is undefined — governance without a proposal in the week; growth,
 * retention and governance in a channel younger than a week (no score 7 days ago) or backed by
 * fewer than k users — and Maria's Coffee Shop has all six; DAU ≤ WAU ≤ MAU, all non-zero, for
 * every channel and the network.
 */
function demoProblems(health: HealthData, activity: ActivityData): string[] {
  const problems: string[] = [];
  if (health.channels.length < 20) problems.push(`${health.channels.length} channels, expected at least 20`);
  const members = new Map(activity.channels.map((c) => [c.channel, c.days[0]?.members ?? null]));
  for (const h of health.channels) {
    const m = members.get(h.channel);
    if (h.suppressed) {
      if (m !== null && m !== undefined && m >= K)
        problems.push(`${h.channel}: suppressed with ${m} members`);
      continue;
    }
    if (typeof h.score !== "number" || h.score < 0 || h.score > 100) {
      problems.push(`${h.channel}: score ${h.score}`);
    }
    const established = h.trend.previousScore !== null;
    for (const c of COMPONENTS) {
      const v = h.components[c];
      if (!v) {
        problems.push(`${h.channel}: no ${c} component`);
      } else if (v.normalized === null) {
        const mayBeUndefined =
          c === "governance"
            ? h.channel !== "marias-coffee-shop"
            : (c === "growth" || c === "retention") && !established;
        if (!mayBeUndefined) problems.push(`${h.channel}: ${c} is null`);
      } else if (!(v.normalized >= 0 && v.normalized <= 1)) {
        problems.push(`${h.channel}: ${c} normalized ${v.normalized}`);
      }
    }
  }
  const rows = [
    ...activity.network.map((a) => ({ ...a, channel: "(network)" })),
    ...activity.channels.map((c) => ({ ...c.days[0]!, channel: c.channel })),
  ];
  for (const a of rows) {
    if (a.suppressed && a.channel !== "(network)") continue;
    const { dau, wau, mau } = a;
    if (!(dau !== null && wau !== null && mau !== null && dau > 0 && dau <= wau && wau <= mau)) {
      problems.push(`${a.channel}: DAU ${dau}, WAU ${wau}, MAU ${mau}`);
    }
  }
  return problems;
}

describe("relay-monitor demo --days 14", () => {
  let dir: string;
  let server: Server;
  let health: HealthData;
  let activity: ActivityData;
  let secondsToHealth = Number.NaN;
  let lastProblems: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-demo-e2e-"));
    const t0 = performance.now();
    server = await startCli(dir, "demo", ["--days", "14"]);
    const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);
    let firstMet = "";
    let readyAt = "";
    try {
      // The server answers while the history is still being written; the figures count only
      // once it is ready (history and its events all in), but the first passing answer is noted.
      await until("complete community health", 60_000, async () => {
        const ready = (await fetch(`${server.base}/-/ready`)).status === 200;
        if (ready && !readyAt) readyAt = seconds();
        const h = await getData<HealthData>(server.base, "/api/relay/v1/community/health");
        const a = await getData<ActivityData>(server.base, "/api/relay/v1/community/activity");
        lastProblems = demoProblems(h, a);
        if (lastProblems.length > 0) return undefined;
        firstMet ||= seconds();
        if (!ready) return undefined;
        health = h;
        activity = a;
        return true;
      });
      secondsToHealth = (performance.now() - t0) / 1000;
    } catch {
      // the first test reports it, with what was still wrong
    }
    console.info(
      `relay-monitor demo --days 14: criteria first met ${firstMet || "-"} s, ready ${readyAt || "-"} s, ` +
        `complete health ${secondsToHealth.toFixed(1)} s after spawn`,
    );
  }, 90_000);

  afterAll(async () => {
    server?.child.kill("SIGTERM");
    const exited = await Promise.race([server?.exited, new Promise((r) => setTimeout(r, 10_000, "timeout"))]);
    if (exited === "timeout") server.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }, 20_000);

  it("lists a score with its components for every channel, DAU ≤ WAU ≤ MAU non-zero, within 60 s", () => {
    expect(lastProblems).toEqual([]);
    expect(secondsToHealth).toBeLessThan(60);
    expect(health.k).toBe(K);
    expect(health.channels.filter((h) => !h.suppressed).length).toBeGreaterThanOrEqual(20);
    expect(activity.network[0]!.dau).toBeGreaterThan(0);
  });

  it("answers PromQL over the relay_community_* series with the API's figures", async () => {
    const scored = health.channels.filter((h) => h.score !== null);
    const scores = await until("relay_community_health_score for every scored channel", 20_000, async () => {
      const r = await promql(server.base, "relay_community_health_score");
      return r.length === scored.length ? r : undefined;
    });
    const byChannel = new Map(scores.map((s) => [s.metric.channel, Number(s.value[1])]));
    for (const h of scored) expect(byChannel.get(h.channel), h.channel).toBeCloseTo(h.score!, 6);

    const dau = await promql(server.base, "relay_community_dau");
    expect(dau.length).toBe(activity.channels.filter((c) => !c.days[0]!.suppressed).length);
    const table: [expr: string, expected: (n: number) => boolean][] = [
      ["relay_community_dau > on(channel) relay_community_wau", (n) => n === 0],
      ["relay_community_wau > on(channel) relay_community_mau", (n) => n === 0],
      ["relay_community_dau <= on(channel) relay_community_wau", (n) => n === dau.length],
      ["relay_community_dau > 0", (n) => n === dau.length],
      ["relay_community_network_dau <= on() relay_community_network_wau", (n) => n === 1],
      ["relay_community_network_wau <= on() relay_community_network_mau", (n) => n === 1],
      ["relay_community_network_dau > 0", (n) => n === 1],
      [
        "relay_community_health_score >= 0 and relay_community_health_score <= 100",
        (n) => n === scored.length,
      ],
      ['count by (component) (relay_community_health_component_ratio{component=~".+"})', (n) => n === 6],
      ["avg(relay_community_health_score)", (n) => n === 1],
      ["topk(3, relay_community_health_score)", (n) => n === 3],
      ["relay_community_stickiness_ratio > 1", (n) => n === 0],
      ['count(up{job="relay"} == 1)', (n) => n === 1],
      ['count_over_time(up{job="relay"}[1h] offset 13d)', (n) => n === 5],
    ];
    for (const [expr, ok] of table) {
      const r = await promql(server.base, expr);
      expect(ok(r.length), `${expr} → ${r.length} series`).toBe(true);
    }
  }, 40_000);
});

/** A config file that publishes the community series every second. */
async function fastPublishConfig(dir: string): Promise<string> {
  const file = join(dir, "relay.yml");
  await writeFile(file, "community:\n  publish_interval: 1s\n");
  return file;
}

const event = (id: string, type: string, channel: string, user: string, time: number, extra = {}) => ({
  id,
  type,
  time,
  channel,
  user,
  ...extra,
});

/** One of each kind of event by `user` in `channel` at `time` (ids prefixed by `p`). */
function everyKind(p: string, channel: string, user: string, time: number) {
  return [
    event(`${p}-join`, "join", channel, user, time),
    event(`${p}-msg`, "message", channel, user, time + 1000),
    event(`${p}-up`, "vote", channel, user, time + 2000, { direction: "up" }),
    event(`${p}-open`, "proposal_opened", channel, user, time + 3000, { proposal: `${p}-prop` }),
    event(`${p}-ballot`, "ballot", channel, user, time + 4000, { proposal: `${p}-prop`, weight: 2 }),
    event(`${p}-close`, "proposal_closed", channel, user, time + 5000, {
      proposal: `${p}-prop`,
      outcome: "passed",
    }),
    event(`${p}-mod`, "moderation", channel, user, time + 6000, { action: "hide" }),
    event(`${p}-appeal`, "appeal", channel, user, time + 7000),
    ...[1, 2, 3, 4, 5, 6].map((i) =>
      event(`${p}-tx${i}`, "transaction", channel, user, time + 8000 + i, { value: 10 * i, fee: 1 }),
    ),
    event(`${p}-s0`, "session_start", channel, user, time + 9000),
    event(`${p}-s1`, "session_end", channel, user, time + 9500, { duration: 600 }),
  ];
}

describe("relay-monitor start: k-anonymity and distinct counts", () => {
  let dir: string;
  let server: Server;
  // Yesterday at noon UTC, so that one complete day holds all these events (they span an hour;
  // "24 hours ago" put some of them on today when the tests ran in the last hour before midnight)
  const t = Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS + DAY_MS / 2;
  const day = new Date(t).toISOString().slice(0, 10);
  const distinct = 20_000;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-k-e2e-"));
    server = await startCli(dir, "start", ["--config", await fastPublishConfig(dir), "--no-collectors"]);
    await until("ready", 10_000, async () =>
      (await fetch(`${server.base}/-/ready`)).status === 200 ? true : undefined,
    );
    const tiny = [0, 1, 2].flatMap((u) => everyKind(`tiny${u}`, "tiny", `tiny-user-${u}`, t + u * 60_000));
    const crowd = [0, 1, 2, 3, 4, 5].flatMap((u) =>
      everyKind(`crowd${u}`, "crowd", `crowd-user-${u}`, t + u * 60_000),
    );
    const res = await postEvents(server.base, [...tiny, ...crowd]);
    expect(res.status).toBe(200);
    for (let from = 0; from < distinct; from += 10_000) {
      const batch = Array.from({ length: 10_000 }, (_, i) =>
        event(`many-${from + i}`, "message", "many", `many-user-${from + i}`, t + (i % 3600) * 1000),
      );
      expect((await postEvents(server.base, batch)).status).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it("suppresses a channel of 3 users in every answer and every series, and publishes one of 6", async () => {
    type Channels<T> = { channels: (T & { channel: string })[] };
    const find = <T>(d: Channels<T>, c: string) => d.channels.find((x) => x.channel === c)!;
    const time = `&time=${t / 1000}`;
    for (const q of ["", time]) {
      const h = await getData<Channels<Health>>(server.base, `/api/relay/v1/community/health?x=${q}`);
      expect(find(h, "tiny")).toMatchObject({ suppressed: true, score: null });
      for (const c of COMPONENTS) expect(find(h, "tiny").components[c]!.normalized).toBeNull();
      const r = await getData<Channels<{ suppressed: boolean; nDay: unknown[] }>>(
        server.base,
        `/api/relay/v1/community/retention?x=${q}`,
      );
      expect(find(r, "tiny")).toMatchObject({ suppressed: true, nDay: [], weeklyCohorts: [] });
    }
    expect(
      find(await getData<Channels<Health>>(server.base, `/api/relay/v1/community/health?${time}`), "crowd"),
    ).toMatchObject({ suppressed: false, score: expect.any(Number) });

    for (const q of ["", `&to=${t / 1000}`]) {
      const a = await getData<{ channels: { channel: string; days: Activity[] }[] }>(
        server.base,
        `/api/relay/v1/community/activity?x=${q}`,
      );
      const tiny = a.channels.find((c) => c.channel === "tiny")!.days[0]!;
      expect(tiny).toMatchObject({ suppressed: true, members: null, dau: null, wau: null, mau: null });
      expect(tiny.channel).toBe("tiny");
      const g = await getData<Channels<Record<string, unknown>>>(
        server.base,
        `/api/relay/v1/governance?x=${q}`,
      );
      const tinyGov = find(g, "tiny");
      expect(tinyGov.suppressed).toBe(true);
      for (const [field, v] of Object.entries(tinyGov)) {
        if (!["channel", "from", "to", "suppressed"].includes(field)) expect(v, field).toBeNull();
      }
    }
    const crowdActivity = await getData<ActivityData>(
      server.base,
      `/api/relay/v1/community/activity?channel=crowd&to=${t / 1000}`,
    );
    expect(crowdActivity.channels[0]!.days[0]).toMatchObject({ suppressed: false, dau: 6, members: 6 });

    const economy = (q: string) =>
      getData<{ suppressed: boolean; transactors: number | null; byType: unknown[]; hourly: unknown[] }>(
        server.base,
        `/api/relay/v1/economy?${q}`,
      );
    const window = `from=${(t - 3_600_000) / 1000}&to=${(t + 3_600_000) / 1000}`;
    expect(await economy(`channel=tiny&${window}`)).toMatchObject({
      suppressed: true,
      transactors: null,
      byType: [],
      hourly: [],
    });
    expect(await economy("channel=tiny")).toMatchObject({ suppressed: true, transactors: null });
    expect(await economy(`channel=crowd&${window}`)).toMatchObject({ suppressed: false, transactors: 6 });

    await until("the crowd channel's series", 10_000, async () =>
      (await promql(server.base, 'relay_community_members{channel="crowd"}')).length === 1 ? true : undefined,
    );
    expect(await promql(server.base, '{__name__=~"relay_community_.+", channel="tiny"}')).toEqual([]);
    const series = await getData<unknown[]>(
      server.base,
      `/api/v1/series?match[]=${encodeURIComponent('{channel="tiny"}')}&start=0`,
    );
    expect(series).toEqual([]);
    expect(
      (await promql(server.base, '{__name__=~"relay_community_.+", channel="crowd"}')).length,
    ).toBeGreaterThan(10);
  });

  it(`estimates ${distinct} distinct users within the sketches' stated error (3σ, σ = 0.81 %)`, async () => {
    const a = await getData<ActivityData>(
      server.base,
      `/api/relay/v1/community/activity?channel=many&to=${t / 1000}`,
    );
    const figures = a.channels[0]!.days[0]!;
    const bound = 3 * 0.0081 * distinct;
    for (const f of ["dau", "wau", "mau"] as const) {
      expect(Math.abs(figures[f]! - distinct), `${f} ${figures[f]} on ${day}`).toBeLessThanOrEqual(bound);
    }
  });
});

const CANARY = "user-7f3a-canary";

/** The canary as it would appear in text or bytes: raw, hex, base64 (every alignment), UTF-16LE. */
function canaryNeedles(): Map<string, Buffer> {
  const raw = Buffer.from(CANARY, "utf8");
  const needles = new Map<string, Buffer>([
    ["raw", raw],
    ["hex", Buffer.from(raw.toString("hex"))],
    ["HEX", Buffer.from(raw.toString("hex").toUpperCase())],
    ["utf16le", Buffer.from(CANARY, "utf16le")],
  ]);
  for (const enc of ["base64", "base64url"] as const) {
    for (let shift = 0; shift < 3; shift++) {
      const s = Buffer.concat([Buffer.alloc(shift), raw]).toString(enc);
      const from = Math.ceil((shift * 4) / 3);
      const to = Math.floor(((shift + raw.length) * 4) / 3);
      needles.set(`${enc}+${shift}`, Buffer.from(s.slice(from, to)));
    }
  }
  return needles;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

/** Every (file, encoding) where a canary needle occurs. */
async function canarySightings(files: string[]): Promise<string[]> {
  const found: string[] = [];
  const needles = canaryNeedles();
  for (const f of files) {
    const bytes = await readFile(f).catch(() => Buffer.alloc(0));
    for (const [name, n] of needles) if (bytes.includes(n)) found.push(`${f}: ${name}`);
  }
  return found;
}

describe("relay-monitor start: a raw user id never reaches the data directory or the logs", () => {
  let dir: string;
  let server: Server | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-canary-e2e-"));
  });
  afterAll(async () => {
    server?.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("finds no trace of user-7f3a-canary in any file or the debug log", async () => {
    const s = await startCli(dir, "start", [
      "--config",
      await fastPublishConfig(dir),
      "--no-collectors",
      "--log.level",
      "debug",
    ]);
    server = s;
    await until("ready", 10_000, async () =>
      (await fetch(`${s.base}/-/ready`)).status === 200 ? true : undefined,
    );
    const t = Date.now() - DAY_MS;
    const others = [0, 1, 2, 3, 4, 5].flatMap((u) => everyKind(`o${u}`, "canary-room", `other-${u}`, t));
    const mine = everyKind("c", "canary-room", CANARY, t + 60_000);
    const ok = await postEvents(s.base, [...others, ...mine]);
    expect(ok.status).toBe(200);
    expect(await ok.text()).not.toContain(CANARY);
    const nd = mine
      .map((e) => JSON.stringify({ ...e, id: `nd-${e.id}`, time: Date.now() - 1000 }))
      .join("\n");
    expect((await postEvents(s.base, nd)).status).toBe(200);

    const refused: [what: string, body: unknown[] | string][] = [
      ["a vote without a direction", [event("bad-1", "vote", "canary-room", CANARY, t)]],
      ["an unknown type", [event("bad-2", CANARY, "canary-room", CANARY, t)]],
      ["a user id over the limit", [event("bad-3", "message", "canary-room", CANARY.repeat(20), t)]],
      ["a bad time", [event("bad-4", "message", "canary-room", CANARY, Number.NaN)]],
      ["a broken NDJSON line", `${JSON.stringify(mine[1])}\n{"user":"${CANARY}",`],
      ["a broken JSON array", `[{"user":"${CANARY}"`],
    ];
    for (const [what, body] of refused) {
      const res = await postEvents(s.base, body);
      expect(res.status, what).toBe(400);
      expect(await res.text(), what).not.toContain(CANARY);
    }
    await until("the canary room's series", 10_000, async () =>
      (await promql(s.base, 'relay_community_dau{channel="canary-room"}')).length === 1 ? true : undefined,
    );
    for (const path of [
      "/api/relay/v1/community/health",
      "/api/relay/v1/community/activity",
      "/api/relay/v1/community/retention",
      "/api/relay/v1/governance",
      "/api/relay/v1/economy?channel=canary-room",
      `/api/v1/series?match[]=${encodeURIComponent('{__name__=~"relay_community_.+"}')}`,
    ]) {
      expect(await (await fetch(`${s.base}${path}`)).text(), path).not.toContain(CANARY);
    }

    const dataDir = join(dir, "data");
    expect(await canarySightings([...(await filesUnder(dataDir)), s.logFile])).toEqual([]);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const files = [...(await filesUnder(dataDir)), s.logFile];
    expect(files.some((f) => f.endsWith("state.db"))).toBe(true);
    expect(files.some((f) => f.includes(`${join("data", "wal")}`))).toBe(true);
    expect((await readFile(s.logFile, "utf8")).length).toBeGreaterThan(0);
    expect(await canarySightings(files)).toEqual([]);
    // The search itself finds the canary where it is, at any alignment.
    const control = join(dir, "control.bin");
    for (const shift of [0, 1, 2]) {
      const encoded = Buffer.concat([Buffer.from("xyz".slice(0, shift)), Buffer.from(CANARY)]).toString(
        "base64url",
      );
      await writeFile(control, `{"blob":"${encoded}"}`);
      expect(await canarySightings([control])).toContain(`${control}: base64url+${shift}`);
    }
  }, 30_000);
});
