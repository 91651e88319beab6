/**
 * Issue 7 ("Analysis") end to end, against a real server running `relay-monitor demo` in-process
 * (5 days of simulated history, then the live network scraped every 5 s):
 *
 * - /api/relay/v1/analysis/performance returns findings and a score;
 * - /api/relay/v1/capacity returns per-resource forecasts with their accuracy for the demo nodes;
 * - a latency fault injected through POST /api/relay/v1/sim/faults shows up in
 *   /api/relay/v1/anomalies on the latency series, and the default rule pack's
 *   RelayAnomalyDetected fires on it;
 * - the report command's HTML, fetched from that server, renders in headless chromium with its
 *   SVG charts (screenshot in test-output/analysis/).
 *
 * The configuration keeps the waits short: rules evaluate every second, the detector publishes
 * every 5 s at a 30 s resolution over 3¾ days of baseline, its latency series uses a 2-minute rate
 * window (two history samples) so a fault shows within seconds, and one anomalous point is an
 * episode.
 */
import { mkdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Anomaly, AnomalyReport, CapacityReport, PerformanceReport } from "./analysis/index.js";
import { buildReport, type CliIO } from "./cli/report.js";
import { RelayMonitor } from "./server.js";
import { describeWithBinary } from "./testing/index.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const OUT = join(ROOT, "test-output", "analysis");
const CHROMIUM = "/usr/bin/chromium";

interface FaultJson {
  id: string;
  kind: string;
  target: string;
  startMs: number;
  endMs: number;
}

async function api<T>(base: string, path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(base + path, init);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`${path}: ${res.status} ${body.error}`);
  return body.data;
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const CONFIG = `global:
  evaluation_interval: 1s
analysis:
  anomaly:
    interval: 5s
    step: 30s
    history: 3d18h
    min_points: 1
    series:
      - name: propagation_p95
        expr: histogram_quantile(0.95, sum by (instance, le) (rate(relay_p2p_message_latency_seconds_bucket[2m])))
        min_scale: 0.02
        direction: up
`;

describe("analysis on relay-monitor demo", () => {
  let dir: string;
  let server: RelayMonitor;
  let base: string;
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-analysis-e2e-"));
    await writeFile(join(dir, "relay.yml"), CONFIG);
    const t0 = performance.now();
    server = new RelayMonitor({
      configFile: join(dir, "relay.yml"),
      storagePath: join(dir, "data"),
      listen: "127.0.0.1:0",
      builtinTargets: false,
      demo: { days: 5, seed: 42 },
      logger: pino({ level: "silent" }),
    });
    await server.start();
    figures.demoStartMs = Math.round(performance.now() - t0);
    base = `http://${server.listenAddress}`;
  }, 60_000);

  afterAll(async () => {
    console.log(`analysis e2e figures: ${JSON.stringify(figures)}`);
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("performance analysis over the history's database slowdown returns findings and a score", async () => {
    const faults = await api<FaultJson[]>(base, "/api/relay/v1/sim/faults");
    const db = faults.find((f) => f.kind === "db_slowdown")!;
    expect(db).toBeDefined();
    const t0 = performance.now();
    const r = await api<PerformanceReport>(
      base,
      `/api/relay/v1/analysis/performance?from=${(db.startMs - 1800_000) / 1000}&to=${(db.endMs + 600_000) / 1000}`,
    );
    figures.performanceMs = Math.round(performance.now() - t0);
    expect(r.errors).toEqual([]);
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThan(100);
    expect(r.findings.length).toBeGreaterThan(0);
    expect(r.findings.map((f) => f.area)).toContain("database");
  });

  test("capacity returns per-resource forecasts with accuracy for each demo node", async () => {
    const t0 = performance.now();
    const r = await api<CapacityReport>(base, "/api/relay/v1/capacity");
    figures.capacityMs = Math.round(performance.now() - t0);
    const nodes = new Set<string>();
    for (const res of ["cpu", "memory", "storage"] as const) {
      const got = r.resources.filter((x) => x.resource === res);
      expect(got.length, `${res} forecasts`).toBeGreaterThanOrEqual(5);
      for (const x of got) {
        nodes.add(x.labels.instance!);
        expect(x.forecast.points.length).toBeGreaterThan(0);
        expect(x.forecast.points.length).toBe(x.forecast.timestamps.length);
        expect(Number.isFinite(x.accuracy.mape), `${res} ${x.labels.instance} MAPE`).toBe(true);
        expect(x.threshold).toBeGreaterThan(0);
      }
    }
    expect(nodes.size).toBeGreaterThanOrEqual(5);
  });

  test("an injected latency fault is an anomaly on the latency series and fires RelayAnomalyDetected", async () => {
    const fault = await api<FaultJson>(base, "/api/relay/v1/sim/faults", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "latency_spike", duration: "3m" }),
    });
    expect(fault.target).toBe("network");
    const t0 = performance.now();
    const alert = await until("RelayAnomalyDetected to fire", 60_000, async () => {
      const { alerts } = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
        base,
        "/api/v1/alerts",
      );
      return alerts.find(
        (a) =>
          a.labels.alertname === "RelayAnomalyDetected" &&
          a.labels.series === "propagation_p95" &&
          a.state === "firing",
      );
    });
    figures.alertAfterFaultMs = Math.round(performance.now() - t0);
    expect(alert.labels.severity).toBe("warning");
    const from = (fault.startMs - 600_000) / 1000;
    const covering = await until("an anomaly covering the fault", 20_000, async () => {
      const r = await api<AnomalyReport>(
        base,
        `/api/relay/v1/anomalies?from=${from}&to=${Date.now() / 1000}&series=propagation_p95`,
      );
      return r.anomalies.find(
        (a: Anomaly) => a.start <= fault.endMs && a.end >= fault.startMs - 30_000 && a.score > 6,
      );
    });
    figures.anomalyAfterFaultMs = Math.round(performance.now() - t0);
    expect(covering.series).toBe("propagation_p95");
    expect(covering.peak.value).toBeGreaterThan(covering.expected.upper);
  }, 90_000);

  describeWithBinary(CHROMIUM, "chromium", "the report", () => {
    test("relay-monitor report's HTML renders in chromium with its SVG charts", async () => {
      const io: CliIO = { stdout: { write: () => true }, stderr: { write: () => true } };
      const t0 = performance.now();
      const { text, warnings } = await buildReport(
        { server: base, from: "now-1d", to: "now", format: "html" },
        io,
      );
      figures.reportMs = Math.round(performance.now() - t0);
      expect(warnings.filter((w) => !w.startsWith("correlations"))).toEqual([]);
      mkdirSync(OUT, { recursive: true });
      await writeFile(join(OUT, "report.html"), text);
      const browser: Browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-background-networking",
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(e.message));
        page.on("requestfailed", (r) => errors.push(`request ${r.url()}`));
        await page.setContent(text, { waitUntil: "load" });
        const svgs = await page.locator("svg").evaluateAll((els) =>
          els.map((e) => {
            const b = e.getBoundingClientRect();
            return {
              w: b.width,
              h: b.height,
              shapes: e.querySelectorAll("polyline, polygon, rect, line").length,
            };
          }),
        );
        figures.svgCharts = svgs.length;
        // the score gauge, a forecast per resource and node, and the anomaly timeline at least
        expect(svgs.length).toBeGreaterThanOrEqual(1 + 15 + 1);
        expect(svgs.every((s) => s.w > 0 && s.h > 0 && s.shapes > 0)).toBe(true);
        expect(await page.locator("h2").allTextContents()).toEqual(
          expect.arrayContaining([expect.stringMatching(/^Performance \(score \d+\/100\)$/), "Anomalies"]),
        );
        await page.screenshot({ path: join(OUT, "report.png"), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    }, 60_000);
  });
});
