import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
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
