import type { NotifyConfig, SlackConfig } from "../config.js";
import {
  alertMessage,
  type GroupContext,
  type Integration,
  iso,
  type NotifiedAlert,
  postJSON,
  readSecretFile,
  type Secrets,
} from "./common.js";

/** Attachment colours by severity (resolved alerts are green). */
export const SLACK_COLORS: Readonly<Record<string, string>> = {
  critical: "#d63232",
  warning: "#daa038",
  info: "#439fe0",
  resolved: "#2eb886",
};

const EMOJI: Readonly<Record<string, string>> = {
  critical: ":rotating_light:",
  warning: ":warning:",
  info: ":information_source:",
};

/** The incoming-webhook payload: one attachment per alert, coloured by severity, with Severity and Time fields. */
export function slackPayload(cfg: SlackConfig, alerts: readonly NotifiedAlert[]): Record<string, unknown> {
  const top = alerts.find((a) => a.status === "firing") ?? alerts[0];
  const topSev = (top?.labels.severity ?? "").toLowerCase();
  const payload: Record<string, unknown> = {
    username: cfg.username,
    attachments: alerts.map((a) => {
      const sev = a.labels.severity ?? "";
      const t = a.status === "resolved" ? a.endsAt : a.startsAt;
      const color =
        cfg.color && !cfg.color.includes("{{")
          ? cfg.color
          : a.status === "resolved"
            ? SLACK_COLORS.resolved
            : (SLACK_COLORS[sev.toLowerCase()] ?? SLACK_COLORS.info);
      const prefix = a.status === "resolved" ? "Resolved" : a.flapping ? "Flapping" : "Alert";
      const att: Record<string, unknown> = {
        color,
        title: `${prefix}: ${a.labels.alertname ?? "alert"}`,
        text: alertMessage(a),
        fallback: `[${(sev || a.status).toUpperCase()}] Relay Alert: ${a.labels.alertname ?? "alert"}`,
        fields: [
          { title: "Severity", value: sev, short: true },
          { title: "Time", value: iso(t), short: true },
          ...(a.value !== undefined ? [{ title: "Value", value: String(a.value), short: true }] : []),
        ],
        ts: Math.floor(t / 1000),
      };
      if (a.generatorURL) att.title_link = a.generatorURL;
      return att;
    }),
  };
  if (cfg.channel) payload.channel = cfg.channel;
  if (cfg.icon_url) payload.icon_url = cfg.icon_url;
  else payload.icon_emoji = cfg.icon_emoji ?? EMOJI[topSev] ?? ":bell:";
  if (cfg.link_names) payload.link_names = true;
  return payload;
}

/** Slack incoming webhook. */
export function slackIntegration(
  cfg: SlackConfig,
  global: NotifyConfig["global"],
  index: number,
  secrets: Secrets,
): Integration {
  secrets.add(cfg.api_url ?? global.slack_api_url);
  return {
    name: "slack",
    index,
    sendResolved: cfg.send_resolved,
    async send(_ctx: GroupContext, alerts, signal) {
      const file = cfg.api_url_file ?? (cfg.api_url ? undefined : global.slack_api_url_file);
      const url = cfg.api_url ?? (file ? await readSecretFile(file, secrets) : (global.slack_api_url ?? ""));
      await postJSON(url, slackPayload(cfg, alerts), {
        httpConfig: cfg.http_config ?? global.http_config,
        signal,
        timeout: 0,
        secrets,
        what: "slack",
      });
    },
  };
}
