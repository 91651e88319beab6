import type { NotifyConfig, ReceiverConfig } from "../config.js";
import type { Integration, Secrets } from "./common.js";
import { emailIntegration } from "./email.js";
import { slackIntegration } from "./slack.js";
import { alertmanagerIntegration, webhookIntegration } from "./webhook.js";

export * from "./common.js";
export { emailHTML, emailIntegration, emailSubject, emailText } from "./email.js";
export { SLACK_COLORS, slackIntegration, slackPayload } from "./slack.js";
export {
  alertmanagerIntegration,
  alertmanagerPayload,
  webhookIntegration,
  webhookPayload,
} from "./webhook.js";

/** Builds the integrations of a receiver, in Alertmanager's order (email, slack, webhook), then forwarding. */
export function buildIntegrations(
  r: ReceiverConfig,
  global: NotifyConfig["global"],
  secrets: Secrets,
): Integration[] {
  return [
    ...r.email_configs.map((c, i) => emailIntegration(c, global, i, secrets)),
    ...r.slack_configs.map((c, i) => slackIntegration(c, global, i, secrets)),
    ...r.webhook_configs.map((c, i) => webhookIntegration(c, global, i, secrets)),
    ...r.alertmanager_configs.map((c, i) => alertmanagerIntegration(c, global, i, secrets)),
  ];
}
