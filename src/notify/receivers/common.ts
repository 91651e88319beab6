import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { HttpConfig } from "../config.js";

/** An alert as a receiver sees it at flush time. */
export interface NotifiedAlert {
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: number;
  /** When it ended (resolved) or when it will end unless renewed (firing). */
  readonly endsAt: number;
  readonly generatorURL: string;
  readonly value?: number;
  readonly status: "firing" | "resolved";
  /** True while Relay's flap detection holds the alert (it is then reported as firing). */
  readonly flapping: boolean;
  /** True when endsAt was set by resolve_timeout, not by the sender. */
  readonly timeout: boolean;
}

/** What a receiver knows about the group it notifies. */
export interface GroupContext {
  readonly receiver: string;
  readonly groupKey: string;
  readonly groupLabels: Readonly<Record<string, string>>;
  readonly externalURL: string;
  readonly groupInterval: number;
  readonly now: number;
}

/** One notifier of a receiver (an entry of email_configs, slack_configs, ...). */
export interface Integration {
  /** Alertmanager's integration name: email, slack, webhook; Relay's alertmanager. */
  readonly name: string;
  /** Position within its list in the receiver. */
  readonly index: number;
  readonly sendResolved: boolean;
  /** True for forwarding: firing alerts are re-sent on every flush so the peer keeps them. */
  readonly resendEveryFlush?: boolean;
  /** Sends one notification; rejects with {@link IntegrationError}. */
  send(ctx: GroupContext, alerts: readonly NotifiedAlert[], signal: AbortSignal): Promise<void>;
}

/** A failed notification attempt; `retryable` false stops retries (e.g. HTTP 400). */
export class IntegrationError extends Error {
  override name = "IntegrationError";
  readonly retryable: boolean;
  /** A short reason for metrics: `clientError`, `serverError`, `other`. */
  readonly reason: string;

  constructor(message: string, retryable: boolean, reason = "other") {
    super(message);
    this.retryable = retryable;
    this.reason = reason;
  }
}

/**
 * The secrets of the configuration (passwords, webhook URLs, tokens). Every message that leaves
 * the pipeline (logs, API) goes through {@link Secrets.redact}.
 */
export class Secrets {
  private readonly values = new Set<string>();

  /** Remembers a secret value (ignores short or empty ones, which would redact ordinary words). */
  add(v: string | undefined): void {
    if (v && v.length >= 4) {
      this.values.add(v);
      try {
        const u = new URL(v);
        if (u.password) this.values.add(u.password);
        if (u.pathname.length > 8) this.values.add(u.pathname);
      } catch {
        // not a URL
      }
    }
  }

  /** The text with every known secret replaced by `<secret>`. */
  redact(text: string): string {
    let out = text;
    for (const v of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(v).join("<secret>");
    return out;
  }
}

/** Reads a secret from a `*_file` setting (trimmed), remembering it for redaction. */
export async function readSecretFile(path: string, secrets: Secrets): Promise<string> {
  let v: string;
  try {
    v = (await readFile(path, "utf8")).trim();
  } catch (err) {
    throw new IntegrationError(
      `cannot read secret file ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
      false,
    );
  }
  secrets.add(v);
  return v;
}

/** Resolves the Authorization header an http_config asks for. */
async function authHeader(cfg: HttpConfig | undefined, secrets: Secrets): Promise<string | undefined> {
  if (!cfg) return undefined;
  if (cfg.basic_auth) {
    const pw = cfg.basic_auth.password_file
      ? await readSecretFile(cfg.basic_auth.password_file, secrets)
      : (cfg.basic_auth.password ?? "");
    return `Basic ${Buffer.from(`${cfg.basic_auth.username}:${pw}`).toString("base64")}`;
  }
  if (cfg.authorization) {
    const cred = cfg.authorization.credentials_file
      ? await readSecretFile(cfg.authorization.credentials_file, secrets)
      : (cfg.authorization.credentials ?? "");
    return `${cfg.authorization.type} ${cred}`;
  }
  if (cfg.bearer_token) return `Bearer ${cfg.bearer_token}`;
  return undefined;
}

/**
 * POSTs JSON with node:http(s). 2xx succeeds; 429 and 5xx are retryable failures; other statuses
 * are final. Error messages never include the URL (it may carry a token).
 */
export async function postJSON(
  url: string,
  body: unknown,
  opts: { httpConfig?: HttpConfig; signal: AbortSignal; timeout: number; secrets: Secrets; what: string },
): Promise<void> {
  const auth = await authHeader(opts.httpConfig, opts.secrets);
  const data = Buffer.from(JSON.stringify(body));
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new IntegrationError(`${opts.what}: invalid URL`, false);
  }
  const lib = target.protocol === "https:" ? https : http;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "content-length": String(data.length),
    "user-agent": "Relay-Monitor",
  };
  if (auth) headers.authorization = auth;
  if (target.username && !auth) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString("base64")}`;
  }
  await new Promise<void>((resolve, reject) => {
    const req = lib.request(
      target,
      {
        method: "POST",
        headers,
        signal: opts.signal,
        timeout: opts.timeout > 0 ? opts.timeout : undefined,
        rejectUnauthorized: !(opts.httpConfig?.tls_config?.insecure_skip_verify ?? false),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          if (chunks.length < 16) chunks.push(c);
        });
        res.on("end", () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) return resolve();
          const text = opts.secrets.redact(Buffer.concat(chunks).toString("utf8").slice(0, 200).trim());
          const retryable = code === 429 || code >= 500;
          reject(
            new IntegrationError(
              `${opts.what}: unexpected status code ${code}${text ? `: ${text}` : ""}`,
              retryable,
              code >= 500 ? "serverError" : "clientError",
            ),
          );
        });
        res.on("error", (err) => reject(new IntegrationError(`${opts.what}: ${err.message}`, true)));
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", (err: NodeJS.ErrnoException) =>
      reject(
        new IntegrationError(
          `${opts.what}: request failed: ${err.code ?? opts.secrets.redact(err.message)}`,
          true,
        ),
      ),
    );
    req.end(data);
  });
}

const SEVERITY_RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };

/** The highest severity label among the alerts ("" when none has one). */
export function highestSeverity(alerts: readonly NotifiedAlert[]): string {
  let best = "";
  for (const a of alerts) {
    const s = a.labels.severity ?? "";
    if (best === "" || (SEVERITY_RANK[s.toLowerCase()] ?? -1) > (SEVERITY_RANK[best.toLowerCase()] ?? -1))
      best = s;
  }
  return best;
}

/** The human message of an alert: its summary and description annotations (or message). */
export function alertMessage(a: NotifiedAlert): string {
  const parts = [a.annotations.summary, a.annotations.description ?? a.annotations.message].filter(
    (s): s is string => s !== undefined && s !== "",
  );
  return parts.join(" — ");
}

/** RFC 3339 with milliseconds, as Alertmanager prints times. */
export function iso(t: number): string {
  return new Date(t).toISOString();
}
