import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

/** The built command-line entry point (the vitest global setup compiles src/ to dist/ first). */
export const CLI_MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** How to start a server with {@link startChildServer}. */
export interface ChildServerOptions {
  /** The configuration file (`--config`). */
  readonly configFile: string;
  /** The data directory (`--storage.path`); restarting on the same one keeps the state. */
  readonly dataDir: string;
  /** The port on 127.0.0.1 (see freePort). */
  readonly port: number;
  /** Log level (default "warn"); the logs are kept in {@link ChildServer.logs}. */
  readonly logLevel?: "debug" | "info" | "warn" | "error";
  /** How long to wait for `/-/ready` (default 15 s). */
  readonly readyTimeoutMs?: number;
}

/**
 * A Relay Monitor running `dist/cli/main.js start` in a child process, without the built-in
 * collectors, listening on 127.0.0.1. Its stdout and stderr are collected in `logs`.
 */
export interface ChildServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly process: ChildProcess;
  /** Date.now() when the spawn was issued and when `/-/ready` first answered 200. */
  readonly spawnedAt: number;
  readonly readyAt: number;
  /** Everything the process wrote so far (the last 1 MiB). */
  logs(): string;
  /** Sends a signal (SIGHUP reloads the configuration). */
  signal(sig: NodeJS.Signals): void;
  /** Sends `sig` (default SIGTERM) and waits for the exit; resolves with the exit code or signal. */
  stop(sig?: NodeJS.Signals): Promise<number | string | null>;
}

/**
 * Starts `relay-monitor start --config FILE --storage.path DIR --listen 127.0.0.1:PORT
 * --no-collectors` and waits until `/-/ready` answers 200. Rejects (after killing the child) when
 * it exits or is not ready in time, with its logs in the message.
 * @example const srv = await startChildServer({ configFile, dataDir, port: await freePort() });
 */
export async function startChildServer(opts: ChildServerOptions): Promise<ChildServer> {
  const url = `http://127.0.0.1:${opts.port}`;
  const spawnedAt = Date.now();
  const child = spawn(
    process.execPath,
    [
      CLI_MAIN,
      "start",
      "--config",
      opts.configFile,
      "--storage.path",
      opts.dataDir,
      "--listen",
      `127.0.0.1:${opts.port}`,
      "--no-collectors",
      "--log.level",
      opts.logLevel ?? "warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let logs = "";
  const collect = (d: Buffer) => {
    logs += d.toString();
    if (logs.length > 1 << 20) logs = logs.slice(-(1 << 20));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exit: number | string | null | undefined;
  const exited = new Promise<number | string | null>((resolve) =>
    child.once("exit", (code, sig) => {
      exit = code ?? sig;
      resolve(exit);
    }),
  );
  const stop = async (sig: NodeJS.Signals = "SIGTERM") => {
    if (exit === undefined) child.kill(sig);
    return exited;
  };
  const deadline = spawnedAt + (opts.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (exit !== undefined) throw new Error(`server exited (${exit}) before it was ready:\n${logs}`);
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop("SIGKILL");
      throw new Error(`server not ready within ${deadline - spawnedAt} ms:\n${logs}`);
    }
    await sleep(50);
  }
  return {
    url,
    process: child,
    spawnedAt,
    readyAt: Date.now(),
    logs: () => logs,
    signal: (sig) => {
      if (exit === undefined) child.kill(sig);
    },
    stop,
  };
}

/** One alert of Alertmanager's webhook message. */
export interface WebhookAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager's webhook message, version 4. */
export interface WebhookMessage {
  version: string;
  groupKey: string;
  truncatedAlerts: number;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** A message as the recorder received it. */
export interface ReceivedWebhook {
  /** Date.now() on arrival. */
  readonly at: number;
  readonly path: string;
  readonly body: WebhookMessage;
}

/** A local webhook receiver that records every POST. */
export interface WebhookRecorder {
  /** `http://127.0.0.1:PORT/hook`. */
  readonly url: string;
  /** Every message so far, in arrival order. */
  readonly received: readonly ReceivedWebhook[];
  /**
   * The first message (already received or arriving later) for which `pred` holds; rejects after
   * `timeoutMs` with what was received.
   */
  waitFor(pred: (m: ReceivedWebhook) => boolean, timeoutMs: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 (a free port) that answers 200 to every POST and records the
 * JSON bodies, for checking what a webhook receiver was sent and when.
 * @example const hook = await startWebhookRecorder(); await hook.waitFor((m) => m.body.status === "firing", 20_000);
 */
export async function startWebhookRecorder(): Promise<WebhookRecorder> {
  const received: ReceivedWebhook[] = [];
  const waiters = new Set<(m: ReceivedWebhook) => void>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => {
      body += d;
    });
    req.on("end", () => {
      let parsed: WebhookMessage;
      try {
        parsed = JSON.parse(body) as WebhookMessage;
      } catch {
        res.writeHead(400).end("not JSON");
        return;
      }
      const m: ReceivedWebhook = { at: Date.now(), path: req.url ?? "", body: parsed };
      received.push(m);
      res.writeHead(200).end("ok");
      for (const w of [...waiters]) w(m);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    waitFor(pred, timeoutMs) {
      const found = received.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const done = (m: ReceivedWebhook) => {
          if (!pred(m)) return;
          clearTimeout(timer);
          waiters.delete(done);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(
            new Error(
              `no matching webhook message within ${timeoutMs} ms; received: ${JSON.stringify(
                received.map((r) => ({ status: r.body.status, alerts: r.body.alerts?.map((a) => a.labels) })),
              )}`,
            ),
          );
        }, timeoutMs);
        waiters.add(done);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `fn` every 100 ms until it returns true; rejects naming `what` after `timeoutMs`. */
export async function until(
  fn: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
