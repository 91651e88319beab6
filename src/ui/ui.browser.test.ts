/**
 * The web UI in a real browser: Debian's chromium, driven by playwright-core, against the real
 * server (built to dist/ by the suite's global setup, with the app built here by Vite) scraping
 * this host and itself every second. Screenshots go to test-output/ui/.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithBinary } from "../testing/index.js";
import { BUILTIN_DASHBOARDS } from "./dashboards/builtin.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SHOTS = join(ROOT, "test-output", "ui");
const CHROMIUM = "/usr/bin/chromium";

/** The part of the server this test uses (imported from dist/ so it serves dist/ui). */
interface Server {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly listenAddress: string;
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until no panel of the page is loading; answers each panel's title and state. */
async function settledPanels(
  page: Page,
  timeoutMs = 15_000,
): Promise<{ title: string; type: string; state: string }[]> {
  await page.waitForSelector("[data-testid=dashboard-grid]", { timeout: timeoutMs });
  await page.waitForFunction(
    () => {
      const ps = [...document.querySelectorAll("section.panel")];
      return ps.length > 0 && ps.every((p) => p.getAttribute("data-state") !== "loading");
    },
    undefined,
    { timeout: timeoutMs, polling: 16 },
  );
  return page.$$eval("section.panel", (ps) =>
    ps.map((p) => ({
      title: p.getAttribute("aria-label") ?? "",
      type: p.getAttribute("data-panel-type") ?? "",
      state: p.getAttribute("data-state") ?? "",
    })),
  );
}

describeWithBinary(CHROMIUM, "chromium", "the web UI in chromium", () => {
  let dir: string;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const figures: Record<string, number> = {};

  beforeAll(async () => {
    execFileSync(
      process.execPath,
      [
        join(ROOT, "node_modules/vite/bin/vite.js"),
        "build",
        "--config",
        "src/ui/vite.config.ts",
        "--logLevel",
        "error",
      ],
      {
        cwd: ROOT,
        stdio: "pipe",
      },
    );
    mkdirSync(SHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), "relay-ui-browser-"));
    const cfg = join(dir, "relay.yml");
    await writeFile(
      cfg,
      "collectors:\n  host: { scrape_interval: 1s, scrape_timeout: 1s }\n  self: { scrape_interval: 1s, scrape_timeout: 1s }\n",
    );
    const { default: pino } = await import("pino");
    const mod = (await import(join(ROOT, "dist/server.js"))) as {
      RelayMonitor: new (o: Record<string, unknown>) => Server;
    };
    server = new mod.RelayMonitor({
      configFile: cfg,
      storagePath: join(dir, "data"),
      listen: "127.0.0.1:0",
      logger: pino({ level: "silent" }),
    });
    await server.start();
    base = `http://${server.listenAddress}`;
    const index = await fetch(`${base}/`);
    if (index.status !== 200 || !(await index.text()).includes("/assets/")) {
      throw new Error(
        `GET / did not serve the built app (status ${index.status}); is uiRoutes registered with dist/ui?`,
      );
    }
    // rate() over node_cpu_seconds_total needs a few scrapes
    await waitFor(
      async () => {
        const r = (await (
          await fetch(`${base}/api/v1/query?query=count_over_time(node_cpu_seconds_total[1m])`)
        ).json()) as {
          data: { result: { value: [number, string] }[] };
        };
        return Number(r.data.result[0]?.value[1] ?? 0) >= 3 ? true : undefined;
      },
      20_000,
      "three host scrapes",
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  }, 120_000);

  afterAll(async () => {
    console.log(`ui browser figures: ${JSON.stringify(figures)}`);
    await browser?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("shows the System Overview at / with non-empty charts, rendered in under 1 s", async () => {
    await page.goto(`${base}/?from=now-5m&to=now`);
    const panels = await settledPanels(page);
    figures.systemOverviewColdMs = Math.round(await page.evaluate(() => performance.now()));
    // warm: assets cached, as on every later visit
    await page.reload();
    await settledPanels(page);
    figures.systemOverviewMs = Math.round(await page.evaluate(() => performance.now()));
    await page.screenshot({ path: join(SHOTS, "system-overview.png"), fullPage: true });

    const byTitle = Object.fromEntries(panels.map((p) => [p.title, p.state]));
    for (const t of [
      "CPU busy",
      "Memory used",
      "CPU usage by mode",
      "Memory",
      "Network traffic",
      "Load average",
    ]) {
      expect(byTitle[t], t).toBe("data");
    }
    const canvases = await page.$$eval("section.panel[data-panel-type=timeseries] canvas", (cs) => cs.length);
    expect(canvases).toBeGreaterThanOrEqual(4);
    expect(figures.systemOverviewMs).toBeLessThan(1000);
    expect(consoleErrors).toEqual([]);
  });

  it("loads every built-in dashboard without console errors or failing panels", async () => {
    for (const d of BUILTIN_DASHBOARDS) {
      const before = consoleErrors.length;
      const t0 = Date.now();
      await page.goto(`${base}/d/${d.uid}?from=now-5m&to=now`);
      const panels = await settledPanels(page);
      figures[`${d.uid}Ms`] = Date.now() - t0;
      await page.screenshot({ path: join(SHOTS, `dashboard-${d.uid}.png`), fullPage: true });
      expect(panels.length, d.uid).toBe(d.panels.length);
      expect(
        panels.filter((p) => p.state === "error").map((p) => p.title),
        `${d.uid}: panels whose queries failed`,
      ).toEqual([]);
      expect(consoleErrors.slice(before), d.uid).toEqual([]);
    }
  });

  it("Explorer completes relay_ metric names and plots a latency quantile", async () => {
    await page.goto(`${base}/explore`);
    const editor = page.locator(".cm-content");
    await editor.click();
    await page.keyboard.type("relay_");
    const option = page.locator(".cm-tooltip-autocomplete li", { hasText: "relay_" }).first();
    await option.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, "explore-autocomplete.png") });
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+a");
    await page.keyboard.press("Backspace");
    const series = (await (
      await fetch(`${base}/api/v1/series?match[]=relay_http_request_duration_seconds_bucket`)
    ).json()) as { data: unknown[] };
    const metric =
      series.data.length > 0
        ? "relay_http_request_duration_seconds_bucket"
        : "relay_query_duration_seconds_bucket";
    const expr = `histogram_quantile(0.95, sum by (le) (rate(${metric}[5m])))`;
    await editor.fill(expr);
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Execute" }).click();
    await page.waitForSelector("[data-testid=explore-graph] canvas", { timeout: 10_000 });
    expect(new URL(page.url()).searchParams.get("g0.expr")).toBe(expr);
    await page.screenshot({ path: join(SHOTS, "explore-graph.png") });
    await page.getByRole("tab", { name: "Table" }).click();
    await page.waitForSelector("[data-testid=explore-table]", { timeout: 10_000 });
    expect(await page.locator("text=histogram_quantile").count()).toBeGreaterThan(0); // history
  });

  it("imports a Grafana dashboard and renders its time-series and stat panels", async () => {
    const fixture = readFileSync(join(ROOT, "src/ui/testdata/grafana-node-host.json"), "utf8");
    await page.goto(`${base}/dashboards`);
    await page.getByLabel("Dashboard JSON to import").fill(fixture);
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.waitForURL(/\/d\/node-host-test/);
    const panels = await settledPanels(page);
    await page.screenshot({ path: join(SHOTS, "grafana-import.png"), fullPage: true });
    const byTitle = Object.fromEntries(panels.map((p) => [p.title, p]));
    for (const t of ["Uptime", "Memory used", "CPU busy", "Memory"])
      expect(byTitle[t]?.state, t).toBe("data");
    expect(panels.filter((p) => p.state === "error").map((p) => p.title)).toEqual([]);
  });

  it("creates and expires a silence, or says silences are not available", async () => {
    await page.goto(`${base}/silences?matcher=alertname%3DUiTest`);
    await page.waitForSelector("h1");
    const unavailable = page.getByTestId("not-available");
    if (await unavailable.isVisible().catch(() => false)) {
      await page.screenshot({ path: join(SHOTS, "silences-unavailable.png") });
      return;
    }
    await page.getByLabel("Comment").fill("browser test");
    await page.getByRole("button", { name: "Create silence" }).click();
    const row = page.locator("tr[data-state=active]", { hasText: "UiTest" }).first();
    await row.waitFor({ timeout: 10_000 });
    await row.getByRole("button", { name: "Expire" }).click();
    await page.locator("tr[data-state=expired]", { hasText: "UiTest" }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, "silences.png") });
  });

  it("works at phone width and in the dark theme", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.goto(`${base}/?from=now-5m&to=now`);
    await settledPanels(phone);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await phone.screenshot({ path: join(SHOTS, "system-overview-phone.png"), fullPage: true });
    expect(overflow).toBeLessThanOrEqual(1);
    await phone.close();

    await page.goto(`${base}/d/application-performance`);
    await settledPanels(page);
    await page.keyboard.press("t");
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.screenshot({ path: join(SHOTS, "dark-application-performance.png"), fullPage: true });
    // keyboard navigation: g then t goes to Targets
    await page.keyboard.press("g");
    await page.keyboard.press("t");
    await page.waitForURL(/\/targets$/);
    await page.waitForSelector("table.data");
    await page.screenshot({ path: join(SHOTS, "targets-dark.png"), fullPage: true });
    await page.keyboard.press("t");
  });

  it("shows Status with TSDB cardinality", async () => {
    await page.goto(`${base}/status`);
    await page.waitForSelector("text=Series count by metric name");
    await page.screenshot({ path: join(SHOTS, "status.png"), fullPage: true });
    expect(await page.locator("text=node_cpu_seconds_total").count()).toBeGreaterThan(0);
  });
});
