import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { RelayMonitor } from "./server.js";
import { describeWithBinary, freePort } from "./testing/index.js";

// A real client: Debian's Prometheus scrapes itself and remote-writes everything to us.
describeWithBinary("/usr/bin/prometheus", "prometheus", "Prometheus remote-writes to us", (prometheus) => {
  let dir: string;
  let server: RelayMonitor;
  let prom: ChildProcess;
  let base: string;
  let promLog = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-rw-e2e-"));
    server = new RelayMonitor({
      storagePath: join(dir, "relay"),
      listen: "127.0.0.1:0",
      builtinTargets: false,
      logger: pino({ level: "silent" }),
    });
    await server.start();
    base = `http://${server.listenAddress}`;
    const promPort = await freePort();
    await writeFile(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  external_labels: { replica: e2e }",
        "scrape_configs:",
        "  - job_name: prometheus",
        `    static_configs: [{ targets: ["127.0.0.1:${promPort}"] }]`,
        "remote_write:",
        `  - url: ${base}/api/v1/write`,
        "    queue_config: { batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s }",
        "",
      ].join("\n"),
    );
    prom = spawn(
      prometheus,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "prom")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    prom.stderr?.on("data", (d) => {
      promLog += d;
    });
  });

  afterAll(async () => {
    prom?.kill("SIGTERM");
    await new Promise((r) => (prom?.exitCode !== null ? r(undefined) : prom.once("exit", r)));
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers Prometheus's own series, with its external labels, queryable by PromQL", async () => {
    const deadline = Date.now() + 30_000;
    let series: Record<string, string>[] = [];
    while (Date.now() < deadline) {
      const r = await fetch(`${base}/api/v1/series?match[]=${encodeURIComponent('up{job="prometheus"}')}`);
      series = ((await r.json()) as { data: Record<string, string>[] }).data;
      if (series.length > 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(series, `Prometheus log:\n${promLog.slice(-2000)}`).toEqual([
      {
        __name__: "up",
        job: "prometheus",
        instance: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        replica: "e2e",
      },
    ]);
    const q = await fetch(
      `${base}/api/v1/query?query=${encodeURIComponent('count({job="prometheus"}) > 100')}`,
    );
    const body = (await q.json()) as { status: string; data: { result: { value: [number, string] }[] } };
    expect(body.status).toBe("success");
    expect(Number(body.data.result[0]?.value[1])).toBeGreaterThan(100);
    expect(promLog).not.toMatch(/non-recoverable error/);
  });
});
