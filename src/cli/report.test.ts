import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Command } from "commander";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import type { CorrelationReport, RankingReport } from "../analysis/index.js";
import {
  buildReport,
  CliError,
  type CliIO,
  formatTable,
  ProgressBar,
  parseTimeArg,
  registerAnalysisCommands,
  runCorrelate,
  runReport,
} from "./report.js";

const NOW = Date.UTC(2024, 4, 20, 12, 0, 0);
const H = 3600_000;

function captureIO(isTTY = false): CliIO & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY },
    out: () => out,
    err: () => err,
  };
}

describe("parseTimeArg", () => {
  test.each([
    ["now", NOW],
    ["now-1h", NOW - H],
    ["now-7d", NOW - 7 * 24 * H],
    ["1716206400", Date.UTC(2024, 4, 20, 12)],
    ["1716206400.5", Date.UTC(2024, 4, 20, 12) + 500],
    ["2024-05-20T10:00:00Z", NOW - 2 * H],
    ["2024-05-20T12:00:00+02:00", NOW - 2 * H],
  ])("%s", (arg, want) => {
    expect(parseTimeArg(arg, "--from", NOW)).toBe(want);
  });
  test.each(["yesterday", "now-", "now-7x", "2024-05-20", ""])("%j is refused naming the flag", (arg) => {
    expect(() => parseTimeArg(arg, "--from", NOW)).toThrow(CliError);
    expect(() => parseTimeArg(arg, "--from", NOW)).toThrow(/^--from: expected RFC 3339/);
  });
});

describe("ProgressBar", () => {
  test("on a terminal one line is redrawn in place", () => {
    const io = captureIO(true);
    const bar = new ProgressBar(4, io.stderr);
    bar.update(1, "performance");
    bar.update(2, "capacity");
    bar.finish();
    expect(io.err()).toBe("\r[###-------] 1/4 performance\r[#####-----] 2/4 capacity   \n");
  });
  test("elsewhere one plain line per step", () => {
    const io = captureIO(false);
    const bar = new ProgressBar(4, io.stderr);
    bar.update(1, "performance");
    bar.update(2, "capacity");
    bar.finish();
    expect(io.err()).toMatch(
      /^report: 1\/4 performance \(\d+\.\d s\)\nreport: 2\/4 capacity \(\d+\.\d s\)\n$/,
    );
  });
});

test("report and correlate are registered with their flags", () => {
  const program = new Command("relay-monitor");
  registerAnalysisCommands(program);
  const flags = (name: string) => program.commands.find((c) => c.name() === name)!.options.map((o) => o.long);
  expect(flags("report")).toEqual(["--server", "--from", "--to", "--format", "--output", "--title"]);
  expect(flags("correlate")).toEqual([
    "--server",
    "--technical",
    "--community",
    "--from",
    "--to",
    "--max-lag",
    "--step",
    "--format",
  ]);
});

test("formatTable pads every column but the last", () => {
  expect(
    formatTable(
      ["A", "BB"],
      [
        ["xyz", "1"],
        ["q", "22"],
      ],
    ),
  ).toBe("A    BB\n---  --\nxyz  1\nq    22");
});

const pair: CorrelationReport = {
  range: { from: NOW - 7 * 24 * H, to: NOW, step: 900_000 },
  maxLagMs: 6 * H,
  pairs: [
    {
      technical: { expr: "max(lat)", labels: {} },
      community: { expr: "engagement", labels: { channel: "marias-coffee-shop" } },
      pearson: -0.614,
      spearman: -0.58,
      bestLagMs: 2 * H,
      pValue: 0.00012,
      confidence: 0.9999,
      interval: { lower: -0.7, upper: -0.5 },
      n: 600,
      effectiveN: 200,
      differenced: true,
      lags: [],
    },
  ],
  skipped: [{ reason: "technical expression returned no series: nothing" }],
};
const ranking: RankingReport = {
  community: { expr: "relay_community_engagement_ratio", labels: {} },
  range: { from: NOW - 7 * 24 * H, to: NOW, step: 900_000 },
  maxLagMs: 6 * H,
  ranking: [
    {
      name: "p95_latency",
      technical: { expr: "x", name: "p95_latency", labels: {} },
      pearson: -0.5,
      spearman: -0.4,
      bestLagMs: -900_000,
      pValue: Number.NaN,
      confidence: 0.99,
      n: 600,
      strength: 0.495,
    },
  ],
  skipped: [{ name: "cpu_utilisation", reason: "no data" }],
};

/** A stand-in for the server's analysis routes, recording each request. */
describe("against a server", () => {
  let server: Server;
  let url: string;
  const requests: { path: string; params: Record<string, string> }[] = [];
  let failing = new Set<string>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const u = new URL(req.url!, "http://x");
      requests.push({ path: u.pathname, params: Object.fromEntries(u.searchParams) });
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (failing.has(u.pathname)) {
        send(400, {
          status: "error",
          errorType: "bad_data",
          error: "community expression returned no series",
        });
        return;
      }
      const data: Record<string, unknown> = {
        "/api/relay/v1/analysis/performance": {
          timestamp: NOW,
          timeRange: { from: 0, to: 1 },
          findings: [],
          recommendations: [],
          score: 100,
          errors: [],
        },
        "/api/relay/v1/capacity": {
          timestamp: NOW,
          history: { from: 0, to: 1, step: H },
          horizonMs: H,
          resources: [],
          skipped: [],
        },
        "/api/relay/v1/anomalies": {
          timestamp: NOW,
          range: { from: 0, to: 1, step: 1 },
          anomalies: [],
          current: [],
          skipped: [],
        },
        "/api/relay/v1/correlations": u.searchParams.has("technical") ? pair : ranking,
      };
      if (!(u.pathname in data)) send(404, { status: "error", errorType: "not_found", error: "no route" });
      else send(200, { status: "success", data: data[u.pathname] });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    requests.length = 0;
    failing = new Set();
  });

  test("report asks for the four analyses of the range and renders them", async () => {
    const io = captureIO();
    const r = await buildReport({ server: url, from: "now-2h", to: "now", format: "md" }, io, NOW);
    const range = { from: String((NOW - 2 * H) / 1000), to: String(NOW / 1000) };
    expect(requests).toEqual([
      { path: "/api/relay/v1/analysis/performance", params: range },
      { path: "/api/relay/v1/capacity", params: { time: range.to } },
      { path: "/api/relay/v1/anomalies", params: range },
      { path: "/api/relay/v1/correlations", params: range },
    ]);
    expect(r.text).toContain("## Performance (score 100/100)");
    expect(r.text).toContain("## Anomalies");
    expect(r.text).toContain("## Technical series most associated with relay_community_engagement_ratio");
    expect(io.err().trim().split("\n")).toHaveLength(4);
  });

  test("a part the server refuses is left out with a warning", async () => {
    failing.add("/api/relay/v1/correlations");
    const io = captureIO();
    const r = await buildReport({ server: url, format: "html" }, io, NOW);
    expect(r.input.correlations).toBeUndefined();
    expect(r.input.performance?.score).toBe(100);
    expect(io.err()).toContain(
      "warning: correlations left out: /api/relay/v1/correlations: bad_data: community expression returned no series",
    );
    expect(r.text.startsWith("<!doctype html>")).toBe(true);
  });

  test.each([
    ["every part failing", { format: "md" }, true, /^error: no part of the report could be fetched/],
    ["an unknown format", { format: "pdf" }, false, /^error: --format: expected html, md or json/],
    ["a range backwards", { from: "now", to: "now-1h" }, false, /^error: --from must be before --to/],
    [
      "an unreachable server",
      { server: "http://127.0.0.1:1" },
      false,
      /cannot reach http:\/\/127\.0\.0\.1:1/,
    ],
  ])("report fails with exit 1 on %s", async (_name, opts, failAll, message) => {
    if (failAll)
      for (const p of [
        "/api/relay/v1/analysis/performance",
        "/api/relay/v1/capacity",
        "/api/relay/v1/anomalies",
        "/api/relay/v1/correlations",
      ])
        failing.add(p);
    const io = captureIO();
    expect(await runReport({ server: url, ...opts }, io)).toBe(1);
    expect(
      io
        .err()
        .split("\n")
        .find((l) => l.startsWith("error:")),
    ).toMatch(message);
    expect(io.out()).toBe("");
  });

  test("correlate with both sides prints each pair as a row", async () => {
    const io = captureIO();
    const code = await runCorrelate(
      { server: url, technical: "max(lat)", community: "engagement", from: "now-7d", maxLag: "6h" },
      io,
      NOW,
    );
    expect(code).toBe(0);
    expect(requests[0]!.params).toEqual({
      technical: "max(lat)",
      community: "engagement",
      from: String((NOW - 7 * 24 * H) / 1000),
      max_lag: "6h",
    });
    const lines = io.out().split("\n");
    expect(lines[0]).toBe(
      "Correlation 2024-05-13T12:00:00.000Z – 2024-05-20T12:00:00.000Z, step 15m, lags up to ±6h, changes (first differences)",
    );
    expect(lines[3]).toMatch(
      /^TECHNICAL\s+COMMUNITY\s+PEARSON\s+SPEARMAN\s+BEST LAG\s+P-VALUE\s+CONFIDENCE\s+N$/,
    );
    expect(lines[5]).toMatch(
      /^max\(lat\)\s+\{channel="marias-coffee-shop"\}\s+-0\.61\s+-0\.58\s+2h\s+1\.2e-4\s+1\.000\s+600$/,
    );
    expect(io.out()).toContain("skipped: technical expression returned no series: nothing");
  });

  test("correlate with --community alone prints the ranking; -o json the API's data", async () => {
    const io = captureIO();
    expect(await runCorrelate({ server: url, community: "relay_community_engagement_ratio" }, io, NOW)).toBe(
      0,
    );
    expect(io.out()).toMatch(/\n1\s+p95_latency\s+\(all\)\s+-0\.50\s+-0\.40\s+-15m\s+—\s+0\.495\n/);
    expect(io.out()).toContain("skipped: cpu_utilisation: no data");
    const json = captureIO();
    expect(
      await runCorrelate({ server: url, technical: "a", community: "b", format: "json" }, json, NOW),
    ).toBe(0);
    expect(JSON.parse(json.out()).pairs[0].pearson).toBe(-0.614);
  });

  test.each([
    [{ technical: "a" }, /--technical needs --community/],
    [{ community: "b", maxLag: "six hours" }, /--max-lag: expected a duration like 6h/],
    [{ community: "b", to: "tomorrow" }, /--to: expected RFC 3339/],
    [{ community: "b", format: "csv" }, /--format: expected table or json/],
  ])("correlate refuses %j with exit 1", async (opts, message) => {
    const io = captureIO();
    expect(await runCorrelate({ server: url, ...opts }, io, NOW)).toBe(1);
    expect(io.err()).toMatch(message);
    expect(requests).toEqual([]);
  });
});
