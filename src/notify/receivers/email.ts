import type { EmailConfig, NotifyConfig } from "../config.js";
import {
  alertMessage,
  type GroupContext,
  highestSeverity,
  type Integration,
  IntegrationError,
  iso,
  type NotifiedAlert,
  readSecretFile,
  type Secrets,
} from "./common.js";

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The subject line: `[SEVERITY] Relay Alert: NAME` (`[RESOLVED]` when nothing fires). */
export function emailSubject(alerts: readonly NotifiedAlert[]): string {
  const firing = alerts.filter((a) => a.status === "firing");
  const shown = firing.length > 0 ? firing : alerts;
  const names = [...new Set(shown.map((a) => a.labels.alertname ?? "alert"))];
  const sev = firing.length > 0 ? (highestSeverity(firing) || "alert").toUpperCase() : "RESOLVED";
  const more = names.length > 1 ? ` (+${names.length - 1} more)` : "";
  return `[${sev}] Relay Alert: ${names[0] ?? "alert"}${more}${firing.some((a) => a.flapping) ? " (flapping)" : ""}`;
}

function metricsOf(a: NotifiedAlert): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a.value !== undefined) out.value = a.value;
  out.labels = a.labels;
  return out;
}

/** The plain-text body: per alert its name, severity, time, message and metric values. */
export function emailText(ctx: GroupContext, alerts: readonly NotifiedAlert[]): string {
  const blocks = alerts.map((a) =>
    [
      `Alert: ${a.labels.alertname ?? ""}`,
      `Status: ${a.status}${a.flapping ? " (flapping)" : ""}`,
      `Severity: ${a.labels.severity ?? ""}`,
      `Time: ${iso(a.status === "resolved" ? a.endsAt : a.startsAt)}`,
      `Message: ${alertMessage(a)}`,
      "",
      "Metrics:",
      JSON.stringify(metricsOf(a), null, 2),
      a.generatorURL ? `Source: ${a.generatorURL}` : "",
    ]
      .filter((l, i) => l !== "" || i === 5)
      .join("\n"),
  );
  return `${blocks.join("\n\n----\n\n")}\n\nSent by Relay Monitor ${ctx.externalURL}\n`;
}

/** The HTML body: the same facts as the text body, one table per alert. */
export function emailHTML(ctx: GroupContext, alerts: readonly NotifiedAlert[]): string {
  const rows = alerts.map((a) => {
    const cells: [string, string][] = [
      ["Alert", a.labels.alertname ?? ""],
      ["Status", a.status + (a.flapping ? " (flapping)" : "")],
      ["Severity", a.labels.severity ?? ""],
      ["Time", iso(a.status === "resolved" ? a.endsAt : a.startsAt)],
      ["Message", alertMessage(a)],
    ];
    if (a.value !== undefined) cells.push(["Value", String(a.value)]);
    cells.push([
      "Labels",
      Object.entries(a.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(", "),
    ]);
    return `<table>${cells.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;
  });
  return `<!DOCTYPE html><html><body>${rows.join("<hr>")}<p>Sent by Relay Monitor ${esc(ctx.externalURL)}</p></body></html>`;
}

/** Email over SMTP with nodemailer (STARTTLS required unless require_tls is false; port 465 = TLS). */
export function emailIntegration(
  cfg: EmailConfig,
  global: NotifyConfig["global"],
  index: number,
  secrets: Secrets,
): Integration {
  const smarthost = cfg.smarthost ?? global.smtp_smarthost ?? "";
  const from = cfg.from ?? global.smtp_from ?? "";
  const user = cfg.auth_username ?? global.smtp_auth_username;
  const requireTLS = cfg.require_tls ?? global.smtp_require_tls;
  secrets.add(cfg.auth_password ?? global.smtp_auth_password);
  secrets.add(cfg.auth_secret ?? global.smtp_auth_secret);
  const i = smarthost.lastIndexOf(":");
  const host = i > 0 ? smarthost.slice(0, i).replace(/^\[|\]$/g, "") : smarthost;
  const port = i > 0 ? Number(smarthost.slice(i + 1)) : 25;
  return {
    name: "email",
    index,
    sendResolved: cfg.send_resolved,
    async send(ctx, alerts, signal) {
      let pass = cfg.auth_password ?? global.smtp_auth_password;
      const file = cfg.auth_password_file ?? global.smtp_auth_password_file;
      if (pass === undefined && file) pass = await readSecretFile(file, secrets);
      // loaded on first use: most servers never send mail, and nodemailer costs ~10 MiB resident
      const { default: nodemailer } = await import("nodemailer");
      const transport = nodemailer.createTransport({
        host,
        port,
        secure: port === 465,
        requireTLS: port !== 465 && requireTLS,
        ignoreTLS: !requireTLS && port !== 465 ? false : undefined,
        name: cfg.hello ?? global.smtp_hello,
        auth: user ? { user, pass: pass ?? "" } : undefined,
        tls: {
          rejectUnauthorized: !(cfg.tls_config?.insecure_skip_verify ?? false),
          servername: cfg.tls_config?.server_name,
        },
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      });
      const abort = () => transport.close();
      signal.addEventListener("abort", abort, { once: true });
      const headers = Object.fromEntries(
        Object.entries(cfg.headers).filter(([k, v]) => !/^(subject|to|from)$/i.test(k) && !v.includes("{{")),
      );
      const subjectHeader = Object.entries(cfg.headers).find(([k]) => /^subject$/i.test(k))?.[1];
      try {
        await transport.sendMail({
          from,
          to: cfg.to,
          subject: subjectHeader && !subjectHeader.includes("{{") ? subjectHeader : emailSubject(alerts),
          text: emailText(ctx, alerts),
          html: emailHTML(ctx, alerts),
          headers,
        });
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; message: string };
        const permanent = e.responseCode !== undefined && e.responseCode >= 500 && e.code !== "ECONNECTION";
        throw new IntegrationError(
          `email: ${secrets.redact(e.code ? `${e.code}: ${e.message}` : e.message)}`,
          !permanent && !signal.aborted,
          e.responseCode && e.responseCode >= 500 ? "clientError" : "other",
        );
      } finally {
        signal.removeEventListener("abort", abort);
        transport.close();
      }
    },
  };
}
