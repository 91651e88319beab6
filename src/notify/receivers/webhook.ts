import type { AlertmanagerForwardConfig, NotifyConfig, WebhookConfig } from "../config.js";
import {
  type GroupContext,
  type Integration,
  iso,
  type NotifiedAlert,
  postJSON,
  readSecretFile,
  type Secrets,
} from "./common.js";

const ZERO_TIME = "0001-01-01T00:00:00Z";

function common(alerts: readonly NotifiedAlert[], key: "labels" | "annotations"): Record<string, string> {
  if (alerts.length === 0) return {};
  const out: Record<string, string> = { ...alerts[0]![key] };
  for (const a of alerts.slice(1)) {
    for (const k of Object.keys(out)) if (a[key][k] !== out[k]) delete out[k];
  }
  return out;
}

/** Alertmanager's webhook message (version 4), truncated to `maxAlerts` when that is > 0. */
export function webhookPayload(
  ctx: GroupContext,
  alerts: readonly NotifiedAlert[],
  maxAlerts = 0,
): Record<string, unknown> {
  const kept = maxAlerts > 0 ? alerts.slice(0, maxAlerts) : alerts;
  return {
    receiver: ctx.receiver,
    status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    alerts: kept.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: iso(a.startsAt),
      endsAt: a.status === "resolved" ? iso(a.endsAt) : ZERO_TIME,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
    groupLabels: ctx.groupLabels,
    commonLabels: common(alerts, "labels"),
    commonAnnotations: common(alerts, "annotations"),
    externalURL: ctx.externalURL,
    version: "4",
    groupKey: ctx.groupKey,
    truncatedAlerts: alerts.length - kept.length,
  };
}

/** Generic webhook: POSTs the version 4 message; retries on 5xx and 429. */
export function webhookIntegration(
  cfg: WebhookConfig,
  global: NotifyConfig["global"],
  index: number,
  secrets: Secrets,
): Integration {
  secrets.add(cfg.url);
  return {
    name: "webhook",
    index,
    sendResolved: cfg.send_resolved,
    async send(ctx, alerts, signal) {
      const url = cfg.url ?? (await readSecretFile(cfg.url_file!, secrets));
      await postJSON(url, webhookPayload(ctx, alerts, cfg.max_alerts), {
        httpConfig: cfg.http_config ?? global.http_config,
        signal,
        timeout: cfg.timeout,
        secrets,
        what: "webhook",
      });
    },
  };
}

/** The body of `POST /api/v2/alerts` for the given alerts (firing ones end after `holdFor` ms unless renewed). */
export function alertmanagerPayload(
  alerts: readonly NotifiedAlert[],
  now: number,
  holdFor: number,
): Record<string, unknown>[] {
  return alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: iso(a.startsAt),
    endsAt: iso(a.status === "resolved" ? a.endsAt : Math.max(a.timeout ? 0 : a.endsAt, now + holdFor)),
    generatorURL: a.generatorURL,
  }));
}

/**
 * Relay's forwarding to an external Alertmanager (its v2 API). Firing alerts are sent on every
 * flush with an end 4 group intervals ahead, as Prometheus re-sends, so the peer keeps them.
 */
export function alertmanagerIntegration(
  cfg: AlertmanagerForwardConfig,
  global: NotifyConfig["global"],
  index: number,
  secrets: Secrets,
): Integration {
  const base = cfg.url.replace(/\/+$/, "");
  if (cfg.http_config?.basic_auth?.password) secrets.add(cfg.http_config.basic_auth.password);
  return {
    name: "alertmanager",
    index,
    sendResolved: cfg.send_resolved,
    resendEveryFlush: true,
    async send(ctx: GroupContext, alerts, signal) {
      await postJSON(`${base}/api/v2/alerts`, alertmanagerPayload(alerts, ctx.now, 4 * ctx.groupInterval), {
        httpConfig: cfg.http_config ?? global.http_config,
        signal,
        timeout: cfg.timeout,
        secrets,
        what: "alertmanager",
      });
    },
  };
}
