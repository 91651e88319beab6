import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { encodeRemoteWrite } from "./ingest/index.js";
import { RelayMonitor } from "./server.js";
import { describeWithBinary } from "./testing/index.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

// Debian's promtool queries us as it would query Prometheus; `relay-monitor query` prints the same.
describeWithBinary("/usr/bin/promtool", "prometheus", "promtool against our query API", (promtool) => {
  let dir: string;
  let server: RelayMonitor;
  let base: string;
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const start = end - 30 * 60_000;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-promtool-"));
    server = new RelayMonitor({
      storagePath: join(dir, "data"),
      listen: "127.0.0.1:0",
      builtinTargets: false,
      logger: pino({ level: "silent" }),
    });
    await server.start();
    base = `http://${server.listenAddress}`;
    const timeseries = [];
    for (const job of ["api", "db"]) {
      for (let i = 0; i < 3; i++) {
        const samples = [];
        for (let t = start; t <= end; t += 15_000)
          samples.push({ value: (t - start) / 1000 + i, timestamp: t });
        timeseries.push({
          labels: [
            { name: "__name__", value: "up" },
            { name: "instance", value: `${job}-${i}:9100` },
            { name: "job", value: job },
          ],
          samples,
        });
      }
    }
    const res = await fetch(`${base}/api/v1/write`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: encodeRemoteWrite({ timeseries }),
    });
    expect(res.status).toBe(204);
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const sec = (ms: number) => String(ms / 1000);

  it("query instant: sum by (job) (rate(up[5m])), as the issue's acceptance runs it", async () => {
    const expr = "sum by (job) (rate(up[5m]))";
    const p = await run(promtool, ["query", "instant", "--time", sec(end), base, expr]);
    const lines = p.stdout.trim().split("\n");
    expect(lines.map((l) => l.replace(/ => .*/, ""))).toEqual(['{job="api"}', '{job="db"}']);
    for (const l of lines) expect(Number(/ => (\S+) @\[[\d.]+\]$/.exec(l)?.[1])).toBeCloseTo(3, 9);
    const ours = await run(process.execPath, [cli, "query", "--server", base, "--time", sec(end), expr]);
    expect(ours.stdout).toBe(p.stdout);
  });

  it("query range", async () => {
    const expr = 'up{job="db", instance="db-1:9100"}';
    const args = ["--start", sec(end - 120_000), "--end", sec(end), "--step", "1m"];
    const p = await run(promtool, ["query", "range", ...args, base, expr]);
    expect(p.stdout.trim().split("\n")).toHaveLength(4);
    const ours = await run(process.execPath, [
      cli,
      "query",
      "--server",
      base,
      ...args.slice(0, 4),
      "--step",
      "60s",
      expr,
    ]);
    expect(ours.stdout).toBe(p.stdout);
  });

  it("query series and labels", async () => {
    const s = await run(promtool, ["query", "series", "--match", 'up{job="api"}', base]);
    expect(s.stdout.trim().split("\n")).toEqual([
      '{__name__="up", instance="api-0:9100", job="api"}',
      '{__name__="up", instance="api-1:9100", job="api"}',
      '{__name__="up", instance="api-2:9100", job="api"}',
    ]);
    const l = await run(promtool, ["query", "labels", base, "job"]);
    expect(l.stdout.trim().split("\n")).toEqual(["api", "db"]);
  });

  it("a bad query fails in both with Prometheus's error", async () => {
    await expect(run(promtool, ["query", "instant", base, "sum(up"])).rejects.toMatchObject({
      stderr: expect.stringContaining("bad_data"),
    });
    const ours = await run(process.execPath, [cli, "query", "--server", base, "sum(up"]).catch((e) => e);
    expect(ours.code).toBe(1);
    expect(ours.stdout).toMatch(/^bad_data: invalid parameter "query": 1:7: parse error/);
  });
});
