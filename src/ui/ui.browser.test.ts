/**
 * The web UI in a real browser: Debian's chromium, driven by playwright-core, against the real
 * server (built to dist/ by the suite's global setup, with the app built here by Vite) running the
 * demo (`demo: { days: 2, seed: 42 }`: a simulated Relay network with two days of history, so the
 * community figures, which are about the last complete UTC day, have all of that day whatever the
 * time the suite runs; with one day, late in the UTC evening yesterday held minutes). Every
 * built-in dashboard must show data in every panel. A rule file adds an alert that always fires, so
 * the silence test always silences a firing alert from the Alerts page. Screenshots go to
 * test-output/ui/; the render times are printed as `ui browser figures`.
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
/** The alert the test's rule file adds: `vector(1)`, firing from the first evaluation. */
const TEST_ALERT = "UiSilenceTest";

/** The part of the server this test uses (imported from dist/ so it serves dist/ui). */
interface Server {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly listenAddress: string;
}

interface PanelState {
  title: string;
  type: string;
  state: string;
  text: string;
}

/** An alert of Alertmanager's API v2 (`GET /api/v2/alerts`), the part this test reads. */
interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; silencedBy: string[] };
}

/** Polls `check` every 100 ms until it holds; fails naming `what` after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  return (await r.json()) as T;
}

/** Waits until no panel of the page is loading; answers each panel's title, type, state and text. */
async function settledPanels(page: Page, timeoutMs = 20_000): Promise<PanelState[]> {
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
      text: (p.querySelector(".panel-state")?.textContent ?? "").slice(0, 200),
    })),
  );
}

const notData = (ps: readonly PanelState[]) =>
  ps.filter((p) => p.state !== "data").map((p) => `${p.title} [${p.type}]: ${p.state} ${p.text}`);

describeWithBinary(CHROMIUM, "chromium", "the web UI in chromium on the demo", () => {
  let dir: string;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const figures: Record<string, number> = {};
  const t0 = Date.now();

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
      // vitest sets NODE_ENV=test, which would make Vite bundle React's development build
      { cwd: ROOT, stdio: "pipe", env: { ...process.env, NODE_ENV: "production" } },
    );
    figures.viteBuildMs = Date.now() - t0;
    mkdirSync(SHOTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), "relay-ui-browser-"));
    const { default: pino } = await import("pino");
    const mod = (await import(join(ROOT, "dist/server.js"))) as {
      RelayMonitor: new (o: Record<string, unknown>) => Server;
    };
    // The simulated nodes have a day of history; this host's own series only have what the server
    // scraped since it started, so scrape it every second and wait for two scrapes (a rate). A rule
    // file adds an alert that fires at its first evaluation, for the silence test to silence.
    const cfg = join(dir, "relay.yml");
    await writeFile(
      join(dir, "ui-test.rules.yml"),
      [
        "groups:",
        "  - name: ui-browser-test",
        "    interval: 1s",
        "    rules:",
        `      - alert: ${TEST_ALERT}`,
        "        expr: vector(1)",
        "        for: 0s",
        "        labels: { severity: warning }",
        "        annotations: { summary: Always firing so the browser test can silence it. }",
        "",
      ].join("\n"),
    );
    await writeFile(
      cfg,
      [
        "rule_files: [ui-test.rules.yml]",
        "collectors:",
        "  host: { scrape_interval: 1s, scrape_timeout: 1s }",
        "  self: { scrape_interval: 1s, scrape_timeout: 1s }",
        "",
      ].join("\n"),
    );
    const s0 = Date.now();
    server = new mod.RelayMonitor({
      configFile: cfg,
      storagePath: join(dir, "data"),
      listen: "127.0.0.1:0",
      demo: { days: 2, seed: 42 },
      logger: pino({ level: "silent" }),
    });
    await server.start();
    figures.demoStartMs = Date.now() - s0;
    base = `http://${server.listenAddress}`;
    const index = await fetch(`${base}/`);
    if (index.status !== 200 || !(await index.text()).includes("/assets/")) {
      throw new Error(`GET / did not serve the built app (status ${index.status})`);
    }
    for (let i = 0; ; i++) {
      const r = await getJson<{ data: { result: { value: [number, string] }[] } }>(
        `${base}/api/v1/query?query=${encodeURIComponent("count_over_time(node_disk_read_bytes_total[1m])")}`,
      );
      if (Number(r.data.result[0]?.value[1] ?? 0) >= 2) break;
      if (i > 100) throw new Error("the host was not scraped twice within 20 s");
      await new Promise((res) => setTimeout(res, 200));
    }
    figures.readyMs = Date.now() - s0;
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
    figures.suiteMs = Date.now() - t0;
    console.log(`ui browser figures: ${JSON.stringify(figures)}`);
    await browser?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("shows the System Overview at / with non-empty charts, rendered in under 1 s when warm", async () => {
    await page.goto(`${base}/`);
    const cold = await settledPanels(page);
    figures.systemOverviewColdMs = Math.round(await page.evaluate(() => performance.now()));
    await page.reload();
    const panels = await settledPanels(page);
    figures.systemOverviewWarmMs = Math.round(await page.evaluate(() => performance.now()));
    await page.screenshot({ path: join(SHOTS, "system-overview.png"), fullPage: true });

    expect(notData(cold)).toEqual([]);
    expect(notData(panels)).toEqual([]);
    const canvases = await page.$$eval("section.panel[data-panel-type=timeseries] canvas", (cs) => cs.length);
    expect(canvases).toBeGreaterThanOrEqual(5);
    expect(figures.systemOverviewWarmMs).toBeLessThan(1000);
    expect(consoleErrors).toEqual([]);
  });

  it("shows one demo node on System Overview, its disk's day of history in Disk I/O", async () => {
    const q = (expr: string) =>
      getJson<{ data: { result: { metric: Record<string, string>; value: [number, string] }[] } }>(
        `${base}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
    const nodes = (await q('node_disk_written_bytes_total{job="relay",device="vda"}')).data.result
      .map((s) => s.metric.instance!)
      .sort();
    expect(nodes).toHaveLength(5);
    const history = await q(`count_over_time(node_disk_written_bytes_total{instance="${nodes[0]}"}[1d])`);
    expect(Number(history.data.result[0]?.value[1])).toBeGreaterThan(1000);
    await page.goto(
      `${base}/d/system-overview?from=now-24h&to=now&var-instance=${encodeURIComponent(nodes[0]!)}`,
    );
    const panels = await settledPanels(page);
    await page.screenshot({ path: join(SHOTS, "system-overview-demo-node.png"), fullPage: true });
    expect(notData(panels)).toEqual([]);
    const legend = await page.locator("section[aria-label='Disk I/O'] .legend button").allTextContents();
    expect(legend).toEqual(["vda read", "vda written"]);
  });

  it("serves the built-in dashboards from the API, and each loads with data in every panel", async () => {
    const list = await getJson<{ data: { uid: string; builtin: boolean }[] }>(
      `${base}/api/relay/v1/dashboards`,
    );
    expect(list.data.filter((d) => d.builtin).map((d) => d.uid)).toEqual(
      BUILTIN_DASHBOARDS.map((d) => d.uid),
    );
    for (const d of BUILTIN_DASHBOARDS) {
      const before = consoleErrors.length;
      const start = Date.now();
      await page.goto(`${base}/d/${d.uid}`);
      const panels = await settledPanels(page);
      figures[`${d.uid}Ms`] = Date.now() - start;
      await page.screenshot({ path: join(SHOTS, `dashboard-${d.uid}.png`), fullPage: true });
      expect(panels.length, d.uid).toBe(d.panels.length);
      expect(notData(panels), `${d.uid}: panels without data`).toEqual([]);
      expect(consoleErrors.slice(before), d.uid).toEqual([]);
    }
    // the topology is drawn from relay_p2p_peer_connected: five nodes and their links
    await page.goto(`${base}/d/network-health`);
    await settledPanels(page);
    const topo = await page.getAttribute("section[aria-label='P2P topology'] svg", "aria-label");
    expect(topo).toMatch(/^Topology: 5 nodes, [1-9]\d* links$/);
  });

  it("Explorer completes relay_ metric names and plots the p95 request latency", async () => {
    await page.goto(`${base}/explore`);
    const editor = page.locator(".cm-content");
    await editor.click();
    await page.keyboard.type("relay_http_req");
    const option = page.locator(".cm-tooltip-autocomplete li", { hasText: "relay_http_request" }).first();
    await option.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, "explore-autocomplete.png") });
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+a");
    await page.keyboard.press("Backspace");
    const expr =
      "histogram_quantile(0.95, sum by (le) (rate(relay_http_request_duration_seconds_bucket[5m])))";
    await editor.fill(expr);
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Execute" }).click();
    await page.waitForSelector("[data-testid=explore-graph] canvas", { timeout: 10_000 });
    expect(new URL(page.url()).searchParams.get("g0.expr")).toBe(expr);
    await page.screenshot({ path: join(SHOTS, "explore-graph.png") });
    await page.getByRole("tab", { name: "Table" }).click();
    await page.waitForSelector("[data-testid=explore-table]", { timeout: 10_000 });
    const value = Number(await page.locator("[data-testid=explore-table] td.num").first().textContent());
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThan(10);
  });

  it("imports a Grafana dashboard, saves it through the dashboards API, and saves an edit", async () => {
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

    const saved = await getJson<{ data: { uid: string; builtin: boolean; panels: unknown[] } }>(
      `${base}/api/relay/v1/dashboards/node-host-test`,
    );
    expect(saved.data.builtin).toBe(false);
    expect(saved.data.panels.length).toBe(panels.length);

    await page.getByRole("button", { name: "Edit JSON" }).click();
    const json = page.getByLabel("Dashboard JSON", { exact: true });
    const edited = JSON.parse(await json.inputValue()) as { title: string };
    edited.title = "Node host (edited)";
    await json.fill(JSON.stringify(edited));
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Saved" }).waitFor({ timeout: 5000 });
    const after = await getJson<{ data: { title: string } }>(
      `${base}/api/relay/v1/dashboards/node-host-test`,
    );
    expect(after.data.title).toBe("Node host (edited)");
  });

  it("silences the firing test alert from the Alerts page, shows it silenced, and expires the silence", async () => {
    const filter = encodeURIComponent(`{alertname="${TEST_ALERT}"}`);
    const amAlert = async () =>
      (await getJson<AmAlert[]>(`${base}/api/v2/alerts?filter=${filter}`)).find(
        (a) => a.labels.alertname === TEST_ALERT,
      );
    await until(`${TEST_ALERT} in /api/v2/alerts`, async () => (await amAlert()) !== undefined);
    expect((await amAlert())?.status).toMatchObject({ state: "active", silencedBy: [] });

    await page.goto(`${base}/alerts`);
    const alertRow = page
      .getByRole("region", { name: "firing alerts" })
      .locator("tr", { hasText: TEST_ALERT });
    await alertRow.waitFor({ timeout: 10_000 });
    await alertRow.getByRole("link", { name: "Silence", exact: true }).click();
    await page.waitForURL(/\/silences\?/);
    const matchers = await page.getByLabel("Matchers (one per line)").inputValue();
    expect(matchers.split("\n").sort()).toEqual([`alertname=${TEST_ALERT}`, "severity=warning"]);
    await page.getByLabel("Comment").fill("browser test");
    await page.getByRole("button", { name: "Create silence" }).click();
    const created = page.locator("tr[data-state=active]", { hasText: TEST_ALERT });
    await created.waitFor({ timeout: 10_000 });
    const id = (await created.getAttribute("data-silence-id")) ?? "";
    expect(await created.textContent()).toContain("browser test");
    expect(await page.getByLabel("Matchers (one per line)").inputValue()).toBe("");
    await page.screenshot({ path: join(SHOTS, "silence-active.png"), fullPage: true });
    await until(
      "the alert silenced in /api/v2/alerts",
      async () => (await amAlert())?.status.state === "suppressed",
    );
    expect((await amAlert())?.status.silencedBy).toEqual([id]);
    await page.goto(`${base}/alerts`);
    const badge = alertRow.getByRole("link", { name: "silenced", exact: true });
    await badge.waitFor({ timeout: 10_000 });
    expect(await alertRow.getAttribute("data-silenced")).toBe("true");
    await page.screenshot({ path: join(SHOTS, "alert-silenced.png"), fullPage: true });
    await badge.click();
    await page.waitForURL(/\/silences$/);
    const row = page.locator(`tr[data-silence-id="${id}"][data-state=active]`);

    await row.getByRole("button", { name: "Expire" }).click();
    await page.locator(`tr[data-silence-id="${id}"][data-state=expired]`).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SHOTS, "silence-expired.png"), fullPage: true });
    const sil = await getJson<{ id: string; status: { state: string } }[]>(`${base}/api/v2/silences`);
    expect(sil.find((s) => s.id === id)?.status.state).toBe("expired");
    expect((await amAlert())?.status).toMatchObject({ state: "active", silencedBy: [] });
    await page.goto(`${base}/alerts`);
    await alertRow.getByRole("link", { name: "Silence", exact: true }).waitFor({ timeout: 10_000 });
    expect(await alertRow.getAttribute("data-silenced")).toBe("false");
  });

  it("shows Analysis, Capacity, Community, Alerts, Rules, Targets and Status with content", async () => {
    const pages: [string, string][] = [
      ["analysis", "text=Performance score"],
      ["capacity", ".capacity-card canvas"],
      ["community", "text=Recommendations"],
      ["alerts", "text=History"],
      ["rules", "text=HostHighCpuUsage"],
      ["targets", "table.data"],
      ["status", "text=Series count by metric name"],
    ];
    for (const [p, sel] of pages) {
      const before = consoleErrors.length;
      await page.goto(`${base}/${p}`);
      await page.waitForSelector(sel, { timeout: 15_000 });
      await page.screenshot({ path: join(SHOTS, `page-${p}.png`), fullPage: true });
      expect(await page.getByTestId("not-available").count(), p).toBe(0);
      expect(consoleErrors.slice(before), p).toEqual([]);
    }
  });

  it("works at phone width, in the dark theme and from the keyboard", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.goto(`${base}/`);
    expect(notData(await settledPanels(phone))).toEqual([]);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await phone.screenshot({ path: join(SHOTS, "system-overview-phone.png"), fullPage: true });
    expect(overflow).toBeLessThanOrEqual(1);
    await phone.close();

    await page.goto(`${base}/d/network-health`);
    await settledPanels(page);
    await page.keyboard.press("t");
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.screenshot({ path: join(SHOTS, "dark-network-health.png"), fullPage: true });
    // g then a goes to Alerts; Tab reaches the skip link first
    await page.keyboard.press("g");
    await page.keyboard.press("a");
    await page.waitForURL(/\/alerts$/);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.screenshot({ path: join(SHOTS, "alerts-dark.png"), fullPage: true });
    await page.keyboard.press("t");
    expect(consoleErrors).toEqual([]);
  });
});
