import { execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const fixtures = fileURLToPath(new URL("../config/testdata/", import.meta.url));

async function relayMonitor(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("relay-monitor check config", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-cli-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test("a good file passes with exit 0", async () => {
    const r = await relayMonitor("check", "config", join(fixtures, "relay.good.yml"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("SUCCESS");
  });

  test("a file with three mistakes names all three and exits 1", async () => {
    const r = await relayMonitor("check", "config", join(fixtures, "three-mistakes.bad.yml"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("FAILED: 3 problem(s)");
    expect(r.stderr).toContain("global.evaluation_intervl: unknown field");
    expect(r.stderr).toContain(
      "scrape_configs[1].scrape_interval: expected a duration like 15s, got 15 (line 9)",
    );
    expect(r.stderr).toContain("scrape_configs[2].relabel_configs[0].action: expected one of");
  });

  test("a missing file is a clear error", async () => {
    const r = await relayMonitor("check", "config", join(dir, "nope.yml"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read file: ENOENT/);
  });
});

describe("relay-monitor tsdb backfill", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-backfill-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test("writes OpenMetrics history into blocks a server then serves", async () => {
    const t0 = 1_700_000_000;
    const lines = ["# TYPE backfilled counter", "# HELP backfilled Test history."];
    for (let i = 0; i < 500; i++) lines.push(`backfilled_total{shard="a"} ${i} ${t0 + i * 60}`);
    lines.push("# EOF", "");
    await writeFile(join(dir, "history.om"), lines.join("\n"));
    const r = await relayMonitor(
      "tsdb",
      "backfill",
      join(dir, "history.om"),
      "--storage.path",
      join(dir, "data"),
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/500 samples of 1 series from 2023-11-14T22:13:20\.000Z/);

    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        cli,
        "start",
        "--storage.path",
        join(dir, "data"),
        "--listen",
        `127.0.0.1:${port}`,
        "--no-collectors",
        "--web.enable-admin-api",
      ],
      {
        stdio: "ignore",
      },
    );
    try {
      const base = `http://127.0.0.1:${port}`;
      await until(
        async () => (await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200,
        10_000,
      );
      const q = new URLSearchParams({
        query: "count_over_time(backfilled_total[1d])",
        time: String(t0 + 499 * 60),
      });
      const body = (await (await fetch(`${base}/api/v1/query?${q}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      expect(body.data.result[0]?.value[1]).toBe("500");
      // --web.enable-admin-api turns the admin endpoints on.
      expect((await fetch(`${base}/api/v1/admin/tsdb/flush`, { method: "POST" })).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
  });

  test("a sample without a timestamp is refused with its line and column, nothing written", async () => {
    await writeFile(join(dir, "bad.om"), "# TYPE x gauge\nx 1 1700000000\nx 2\n# EOF\n");
    const r = await relayMonitor(
      "tsdb",
      "backfill",
      join(dir, "bad.om"),
      "--storage.path",
      join(dir, "bad-data"),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.om:3:4: sample x has no timestamp/);
    const blocks = (await readdir(join(dir, "bad-data"))).filter((f) => /^[0-9A-Z]{26}$/.test(f));
    expect(blocks).toEqual([]);
  });
});

describe("relay-monitor start", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-start-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  test("ready within 5 s; SIGHUP applies a good config and rejects a bad one; SIGTERM exits 0", async () => {
    const cfg = join(dir, "relay.yml");
    await writeFile(cfg, "global:\n  scrape_interval: 15s\n");
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        cli,
        "start",
        "--config",
        cfg,
        "--storage.path",
        join(dir, "data"),
        "--listen",
        `127.0.0.1:${port}`,
        "--no-collectors",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let logs = "";
    child.stdout.on("data", (d) => {
      logs += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      const t0 = Date.now();
      await until(async () => (await fetch(`${base}/-/ready`).catch(() => undefined))?.status === 200, 5000);
      expect(Date.now() - t0).toBeLessThan(5000);
      const configText = async () =>
        ((await (await fetch(`${base}/api/v1/status/config`)).json()) as { data: { yaml: string } }).data
          .yaml;

      await writeFile(cfg, "global:\n  scrape_interval: 30s\n");
      child.kill("SIGHUP");
      await until(async () => (await configText()).includes("30s"), 5000);

      await writeFile(cfg, "global:\n  scrape_interval: thirty\n");
      child.kill("SIGHUP");
      await until(async () => logs.includes("reload rejected"), 5000);
      expect(await configText()).toContain("30s");
      // Without --web.enable-admin-api the admin endpoints are unavailable, as in Prometheus.
      const flush = await fetch(`${base}/api/v1/admin/tsdb/flush`, { method: "POST" });
      expect(flush.status).toBe(503);
      expect(await flush.text()).toContain("admin APIs disabled");
      const reload = await fetch(`${base}/-/reload`, { method: "POST" });
      expect(reload.status).toBe(500);
      expect(await reload.text()).toContain("global.scrape_interval: expected a duration like 15s");

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});

async function until(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}
