import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRemoteWrite } from "./ingest/index.js";
import { freePort } from "./testing/index.js";

const cli = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));

function startServer(dir: string, port: number): ChildProcess {
  return spawn(
    process.execPath,
    [
      cli,
      "start",
      "--storage.path",
      dir,
      "--listen",
      `127.0.0.1:${port}`,
      "--no-collectors",
      "--log.level",
      "warn",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
}

async function ready(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${base}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error("server not ready");
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The acceptance: kill -9 the server while a client streams remote write; restart;
// every sample that got a 204 is there, and the server starts without manual repair.
describe("kill -9 during remote-write ingestion", () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "relay-crash-"));
  });
  afterAll(async () => {
    child?.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("loses no acknowledged sample", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = startServer(join(dir, "data"), port);
    await ready(base, 10_000);

    const series = 50;
    const t0 = Date.now() - 3600_000;
    const acked: number[] = [];
    let batch = 0;
    let killed = false;
    const stream = (async () => {
      while (!killed) {
        const b = batch++;
        const timeseries = Array.from({ length: series }, (_, i) => ({
          labels: [
            { name: "__name__", value: "crash_test" },
            { name: "series", value: String(i) },
          ],
          samples: [{ value: b, timestamp: t0 + b * 1000 }],
        }));
        const res = await fetch(`${base}/api/v1/write`, {
          method: "POST",
          headers: { "content-type": "application/x-protobuf" },
          body: encodeRemoteWrite({ timeseries }),
        }).catch(() => undefined);
        if (res?.status === 204) acked.push(b);
        else if (res) throw new Error(`unexpected status ${res.status}`);
      }
    })();
    const deadline = Date.now() + 15_000;
    while (acked.length < 200) {
      if (Date.now() > deadline) throw new Error(`only ${acked.length} batches acknowledged in 15 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // listen before killing: the exit may come while the write in flight is still failing
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGKILL");
    killed = true;
    await stream;
    await exited;

    child = startServer(join(dir, "data"), port);
    await ready(base, 10_000);
    const last = acked[acked.length - 1]!;
    const q = new URLSearchParams({
      query: "count_over_time(crash_test[2h])",
      time: String((t0 + last * 1000 + 1) / 1000),
    });
    const body = (await (await fetch(`${base}/api/v1/query?${q}`)).json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    expect(body.data.result).toHaveLength(series);
    for (const r of body.data.result) {
      // Every acknowledged batch 0..last is there; at most the one batch in flight may be too.
      expect(Number(r.value[1])).toBeGreaterThanOrEqual(last + 1);
      expect(Number(r.value[1])).toBeLessThanOrEqual(batch);
    }
    // Values are exactly the batch numbers: nothing else changed.
    const raw = new URLSearchParams({ query: 'crash_test{series="7"}[2h]', time: q.get("time")! });
    const rawBody = (await (await fetch(`${base}/api/v1/query?${raw}`)).json()) as {
      data: { result: { values: [number, string][] }[] };
    };
    const values = rawBody.data.result[0]!.values;
    values.forEach(([t, v], i) => {
      expect(Number(v)).toBe(i);
      expect(Math.round(t * 1000)).toBe(t0 + i * 1000);
    });
    const stopped = new Promise((r) => child!.once("exit", r));
    child.kill("SIGTERM");
    await stopped;
  });
});
