import { z } from "zod";
import { isDuration, parseDuration } from "../model/index.js";
import { parseMatchers } from "./matchers.js";

/*
 * The `notify` section: Alertmanager's configuration format as it is (global, route, receivers,
 * inhibit_rules, time_intervals), so an alertmanager.yml can be pasted in, plus Relay's keys:
 * `cooldown` on routes, `flap_detection` at the top, `alertmanager_configs` in receivers.
 * This file imports only zod, src/model and ./matchers.js, so it can move into src/config.
 */

function shown(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (typeof v === "object") return Array.isArray(v) ? "a list" : "a mapping";
  return String(v);
}

const duration = () =>
  z.unknown().transform((v, ctx): number => {
    if (typeof v === "string" && isDuration(v)) return parseDuration(v);
    ctx.addIssue({ code: "custom", message: `expected a duration like 5m, got ${shown(v)}` });
    return z.NEVER;
  });

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A list of matcher strings (`a="b"`, `c=~"d"`, or several in one string); each is checked. */
const matcherList = () =>
  z.array(z.string()).superRefine((list, ctx) => {
    list.forEach((s, i) => {
      try {
        parseMatchers(s);
      } catch (err) {
        ctx.addIssue({ code: "custom", path: [i], message: (err as Error).message });
      }
    });
  });

const labelMap = () =>
  z.record(z.string(), z.string()).superRefine((rec, ctx) => {
    for (const k of Object.keys(rec)) {
      if (!LABEL_NAME_RE.test(k))
        ctx.addIssue({ code: "custom", path: [k], message: `invalid label name ${shown(k)}` });
    }
  });

const regexMap = () =>
  labelMap().superRefine((rec, ctx) => {
    for (const [k, v] of Object.entries(rec)) {
      try {
        parseMatchers(`${k}=~${JSON.stringify(v)}`);
      } catch (err) {
        ctx.addIssue({ code: "custom", path: [k], message: (err as Error).message });
      }
    }
  });

const urlString = () =>
  z.string().refine((s) => /^https?:\/\/[^\s/]+/.test(s), {
    error: (iss) =>
      `expected an http(s) URL, got ${typeof iss.input === "string" ? "a malformed URL" : shown(iss.input)}`,
  });

const tlsConfigSchema = z.strictObject({
  ca_file: z.string().optional(),
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  server_name: z.string().optional(),
  insecure_skip_verify: z.boolean().default(false),
  min_version: z.string().optional(),
  max_version: z.string().optional(),
});

/** Prometheus's common HTTP client settings (the parts Relay applies: auth and TLS). */
const httpConfigSchema = z.looseObject({
  basic_auth: z
    .strictObject({
      username: z.string().default(""),
      password: z.string().optional(),
      password_file: z.string().optional(),
    })
    .optional(),
  authorization: z
    .strictObject({
      type: z.string().default("Bearer"),
      credentials: z.string().optional(),
      credentials_file: z.string().optional(),
    })
    .optional(),
  bearer_token: z.string().optional(),
  tls_config: tlsConfigSchema.optional(),
  follow_redirects: z.boolean().optional(),
  proxy_url: z.string().optional(),
});

/** Settings of HTTP-based integrations. */
export type HttpConfig = z.output<typeof httpConfigSchema>;

const globalSchema = z.strictObject({
  resolve_timeout: duration().default(5 * 60_000),
  http_config: httpConfigSchema.optional(),
  smtp_from: z.string().optional(),
  smtp_hello: z.string().default("localhost"),
  smtp_smarthost: z.string().optional(),
  smtp_auth_username: z.string().optional(),
  smtp_auth_password: z.string().optional(),
  smtp_auth_password_file: z.string().optional(),
  smtp_auth_secret: z.string().optional(),
  smtp_auth_identity: z.string().optional(),
  smtp_require_tls: z.boolean().default(true),
  slack_api_url: urlString().optional(),
  slack_api_url_file: z.string().optional(),
  // Accepted so a pasted alertmanager.yml loads; integrations Relay does not have ignore them.
  pagerduty_url: z.string().optional(),
  opsgenie_api_url: z.string().optional(),
  opsgenie_api_key: z.string().optional(),
  opsgenie_api_key_file: z.string().optional(),
  wechat_api_url: z.string().optional(),
  wechat_api_secret: z.string().optional(),
  wechat_api_corp_id: z.string().optional(),
  victorops_api_url: z.string().optional(),
  victorops_api_key: z.string().optional(),
  victorops_api_key_file: z.string().optional(),
  telegram_api_url: z.string().optional(),
  webex_api_url: z.string().optional(),
});

const emailConfigSchema = z.strictObject({
  send_resolved: z.boolean().default(false),
  to: z.string().min(1, { error: "expected at least one address in to" }),
  from: z.string().optional(),
  hello: z.string().optional(),
  smarthost: z.string().optional(),
  auth_username: z.string().optional(),
  auth_password: z.string().optional(),
  auth_password_file: z.string().optional(),
  auth_secret: z.string().optional(),
  auth_identity: z.string().optional(),
  require_tls: z.boolean().optional(),
  tls_config: tlsConfigSchema.optional(),
  headers: z.record(z.string(), z.string()).default({}),
  html: z.string().optional(),
  text: z.string().optional(),
});

/** One `email_configs` entry. */
export type EmailConfig = z.output<typeof emailConfigSchema>;

const slackFieldSchema = z.strictObject({
  title: z.string(),
  value: z.string(),
  short: z.boolean().optional(),
});

const slackConfigSchema = z.strictObject({
  send_resolved: z.boolean().default(false),
  http_config: httpConfigSchema.optional(),
  api_url: urlString().optional(),
  api_url_file: z.string().optional(),
  channel: z.string().optional(),
  username: z.string().default("Relay Monitor"),
  color: z.string().optional(),
  title: z.string().optional(),
  title_link: z.string().optional(),
  pretext: z.string().optional(),
  text: z.string().optional(),
  fields: z.array(slackFieldSchema).optional(),
  short_fields: z.boolean().default(false),
  footer: z.string().optional(),
  fallback: z.string().optional(),
  callback_id: z.string().optional(),
  icon_emoji: z.string().optional(),
  icon_url: z.string().optional(),
  image_url: z.string().optional(),
  thumb_url: z.string().optional(),
  link_names: z.boolean().default(false),
  mrkdwn_in: z.array(z.string()).optional(),
  actions: z.array(z.unknown()).optional(),
});

/** One `slack_configs` entry. */
export type SlackConfig = z.output<typeof slackConfigSchema>;

const webhookConfigSchema = z
  .strictObject({
    send_resolved: z.boolean().default(true),
    http_config: httpConfigSchema.optional(),
    url: urlString().optional(),
    url_file: z.string().optional(),
    max_alerts: z.number().int().nonnegative().default(0),
    timeout: duration().default(0),
  })
  .superRefine((w, ctx) => {
    if (!w.url && !w.url_file)
      ctx.addIssue({ code: "custom", message: "one of url or url_file must be configured" });
    if (w.url && w.url_file)
      ctx.addIssue({ code: "custom", message: "at most one of url & url_file must be configured" });
  });

/** One `webhook_configs` entry. */
export type WebhookConfig = z.output<typeof webhookConfigSchema>;

const alertmanagerConfigSchema = z.strictObject({
  send_resolved: z.boolean().default(true),
  http_config: httpConfigSchema.optional(),
  url: urlString(),
  timeout: duration().default(10_000),
});

/** One `alertmanager_configs` entry (Relay): forwards alerts to an external Alertmanager's v2 API. */
export type AlertmanagerForwardConfig = z.output<typeof alertmanagerConfigSchema>;

/** Integrations of Alertmanager that Relay accepts in a pasted file but does not implement. */
export const UNSUPPORTED_INTEGRATIONS = [
  "pagerduty_configs",
  "opsgenie_configs",
  "pushover_configs",
  "victorops_configs",
  "wechat_configs",
  "sns_configs",
  "telegram_configs",
  "webex_configs",
  "discord_configs",
  "msteams_configs",
] as const;

const receiverSchema = z.strictObject({
  name: z.string().min(1, { error: "expected a non-empty receiver name" }),
  email_configs: z.array(emailConfigSchema).default([]),
  slack_configs: z.array(slackConfigSchema).default([]),
  webhook_configs: z.array(webhookConfigSchema).default([]),
  alertmanager_configs: z.array(alertmanagerConfigSchema).default([]),
  ...Object.fromEntries(UNSUPPORTED_INTEGRATIONS.map((k) => [k, z.array(z.unknown()).optional()])),
});

/** One receiver: a name and its integrations. */
export type ReceiverConfig = z.output<typeof receiverSchema>;

/** A route as written (inheritance from the parent is resolved by the routing tree). */
export interface RouteConfig {
  receiver?: string;
  group_by?: string[];
  continue: boolean;
  matchers: string[];
  match: Record<string, string>;
  match_re: Record<string, string>;
  group_wait?: number;
  group_interval?: number;
  repeat_interval?: number;
  mute_time_intervals: string[];
  active_time_intervals: string[];
  /** Relay: least time between two firing notifications of the same alert on this route. */
  cooldown?: number;
  routes: RouteConfig[];
}

const positiveDuration = (what: string) =>
  duration().refine((ms) => ms > 0, { error: `${what} cannot be zero` });

const routeSchema: z.ZodType<RouteConfig> = z.lazy(() =>
  z.strictObject({
    receiver: z.string().optional(),
    group_by: z
      .array(z.string())
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((l, i) => {
          if (l === "...") {
            if (list.length > 1)
              ctx.addIssue({
                code: "custom",
                path: [i],
                message: "cannot have wildcard group_by (`...`) and other labels at the same time",
              });
          } else if (!LABEL_NAME_RE.test(l)) {
            ctx.addIssue({
              code: "custom",
              path: [i],
              message: `invalid label name ${shown(l)} in group_by list`,
            });
          } else if (seen.has(l)) {
            ctx.addIssue({ code: "custom", path: [i], message: `duplicated label ${shown(l)} in group_by` });
          }
          seen.add(l);
        });
      })
      .optional(),
    continue: z.boolean().default(false),
    matchers: matcherList().default([]),
    match: labelMap().default({}),
    match_re: regexMap().default({}),
    group_wait: duration().optional(),
    group_interval: positiveDuration("group_interval").optional(),
    repeat_interval: positiveDuration("repeat_interval").optional(),
    mute_time_intervals: z.array(z.string()).default([]),
    active_time_intervals: z.array(z.string()).default([]),
    cooldown: duration().optional(),
    routes: z.array(routeSchema).default([]),
  }),
);

const inhibitRuleSchema = z.strictObject({
  source_matchers: matcherList().default([]),
  target_matchers: matcherList().default([]),
  source_match: labelMap().default({}),
  source_match_re: regexMap().default({}),
  target_match: labelMap().default({}),
  target_match_re: regexMap().default({}),
  equal: z.array(z.string()).default([]),
});

/** One inhibition rule. */
export type InhibitRuleConfig = z.output<typeof inhibitRuleSchema>;

/** An inclusive range of integers (minutes of day, weekdays 0=Sunday, days, months 1-12, years). */
export interface Range {
  readonly begin: number;
  readonly end: number;
}

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

function rangeList(
  what: string,
  parse: (s: string) => number | undefined,
  check: (r: Range) => string | undefined,
) {
  return z.array(z.string()).transform((list, ctx): Range[] => {
    const out: Range[] = [];
    list.forEach((s, i) => {
      const parts = s.split(":");
      const begin = parts.length <= 2 ? parse(parts[0]!.trim().toLowerCase()) : undefined;
      const end = parts.length === 2 ? parse(parts[1]!.trim().toLowerCase()) : begin;
      if (begin === undefined || end === undefined) {
        ctx.addIssue({ code: "custom", path: [i], message: `invalid ${what} ${shown(s)}` });
        return;
      }
      const problem = check({ begin, end });
      if (problem) ctx.addIssue({ code: "custom", path: [i], message: `${problem} in ${shown(s)}` });
      else out.push({ begin, end });
    });
    return out;
  });
}

const intOf = (s: string): number | undefined => (/^-?\d+$/.test(s) ? Number(s) : undefined);

const timeOfDay = (s: string): number | undefined => {
  const m = /^(\d{2}):(\d{2})$/.exec(s);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return undefined;
  return h * 60 + min;
};

const timeRangeSchema = z
  .strictObject({ start_time: z.string(), end_time: z.string() })
  .transform((t, ctx): Range => {
    const begin = timeOfDay(t.start_time);
    const end = timeOfDay(t.end_time);
    if (begin === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["start_time"],
        message: `invalid time of day ${shown(t.start_time)} (expected HH:MM, 00:00 to 24:00)`,
      });
    if (end === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["end_time"],
        message: `invalid time of day ${shown(t.end_time)} (expected HH:MM, 00:00 to 24:00)`,
      });
    if (begin !== undefined && end !== undefined && begin >= end) {
      ctx.addIssue({
        code: "custom",
        path: ["end_time"],
        message: "start time cannot be equal or greater than end time",
      });
    }
    return { begin: begin ?? 0, end: end ?? 0 };
  });

const timeIntervalSchema = z.strictObject({
  times: z.array(timeRangeSchema).optional(),
  weekdays: rangeList(
    "weekday",
    (s) => (WEEKDAYS.includes(s) ? WEEKDAYS.indexOf(s) : undefined),
    (r) => (r.begin > r.end ? "start day cannot be before end day" : undefined),
  ).optional(),
  days_of_month: rangeList("day of month", intOf, (r) => {
    if (r.begin === 0 || r.end === 0 || Math.abs(r.begin) > 31 || Math.abs(r.end) > 31)
      return "days of month must be between 1 and 31 or -31 and -1";
    if (Math.sign(r.begin) === Math.sign(r.end) && r.begin > r.end)
      return "end day must not be less than start day";
    if (r.begin > 0 && r.end < 0) return undefined;
    if (r.begin < 0 && r.end > 0) return "start day cannot be negative when end day is positive";
    return undefined;
  }).optional(),
  months: rangeList(
    "month",
    (s) => (MONTHS.includes(s) ? MONTHS.indexOf(s) + 1 : intOf(s)),
    (r) =>
      r.begin < 1 || r.end > 12
        ? "months must be between 1 and 12"
        : r.begin > r.end
          ? "end month must not be before start month"
          : undefined,
  ).optional(),
  years: rangeList("year", intOf, (r) =>
    r.begin < 1
      ? "years must be positive"
      : r.begin > r.end
        ? "end year must not be before start year"
        : undefined,
  ).optional(),
  location: z
    .string()
    .refine(
      (s) => {
        if (s === "Local" || s === "UTC") return true;
        try {
          new Intl.DateTimeFormat("en-US", { timeZone: s });
          return true;
        } catch {
          return false;
        }
      },
      { error: (iss) => `unknown time zone ${shown(iss.input)}` },
    )
    .optional(),
});

/** One recurring window (times, weekdays, days, months, years in a time zone), parsed. */
export type TimeIntervalSpec = z.output<typeof timeIntervalSchema>;

const namedTimeIntervalSchema = z.strictObject({
  name: z.string().min(1, { error: "expected a non-empty time interval name" }),
  time_intervals: z.array(timeIntervalSchema).default([]),
});

const flapDetectionSchema = z
  .strictObject({
    transitions: z.number().int().positive().default(4),
    window: positiveDuration("window").default(3600_000),
    settle: duration().optional(),
  })
  .transform((f) => ({ ...f, settle: f.settle ?? f.window }));

/** Relay's flap detection settings (see README.md in src/notify). */
export type FlapDetectionConfig = z.output<typeof flapDetectionSchema>;

/**
 * The `notify` section: Alertmanager's configuration file plus Relay's keys. Every problem is
 * reported with its path, like the rest of the configuration.
 */
export const notifyConfigSchema = z
  .strictObject({
    global: globalSchema.prefault({}),
    route: routeSchema.optional(),
    receivers: z
      .array(receiverSchema)
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((r, i) => {
          if (seen.has(r.name)) {
            ctx.addIssue({
              code: "custom",
              path: [i, "name"],
              message: `notification config name ${shown(r.name)} is not unique`,
            });
          }
          seen.add(r.name);
        });
      })
      .default([]),
    inhibit_rules: z.array(inhibitRuleSchema).default([]),
    time_intervals: z.array(namedTimeIntervalSchema).default([]),
    mute_time_intervals: z.array(namedTimeIntervalSchema).default([]),
    templates: z.array(z.string()).default([]),
    flap_detection: flapDetectionSchema.optional(),
  })
  .superRefine((cfg, ctx) => {
    const receivers = new Map<string, number>();
    cfg.receivers.forEach((r, i) => {
      receivers.set(r.name, i);
      r.email_configs.forEach((e, j) => {
        const at = ["receivers", i, "email_configs", j];
        if (!(e.smarthost ?? cfg.global.smtp_smarthost))
          ctx.addIssue({ code: "custom", path: at, message: "no global SMTP smarthost set" });
        if (!(e.from ?? cfg.global.smtp_from))
          ctx.addIssue({ code: "custom", path: at, message: "no global mail from address set" });
      });
      r.slack_configs.forEach((s, j) => {
        if (!s.api_url && !s.api_url_file && !cfg.global.slack_api_url && !cfg.global.slack_api_url_file) {
          ctx.addIssue({
            code: "custom",
            path: ["receivers", i, "slack_configs", j],
            message: "no global Slack API URL set either inline or in a file",
          });
        }
      });
    });
    const intervals = new Set<string>();
    for (const key of ["time_intervals", "mute_time_intervals"] as const) {
      cfg[key].forEach((ti, i) => {
        if (intervals.has(ti.name))
          ctx.addIssue({
            code: "custom",
            path: [key, i, "name"],
            message: `time interval ${shown(ti.name)} is not unique`,
          });
        intervals.add(ti.name);
      });
    }
    if (cfg.receivers.length > 0 && !cfg.route) {
      ctx.addIssue({ code: "custom", path: ["route"], message: "no routes provided" });
    }
    if (!cfg.route) return;
    const root = cfg.route;
    if (!root.receiver)
      ctx.addIssue({
        code: "custom",
        path: ["route", "receiver"],
        message: "root route must specify a default receiver",
      });
    if (
      root.matchers.length > 0 ||
      Object.keys(root.match).length > 0 ||
      Object.keys(root.match_re).length > 0
    ) {
      ctx.addIssue({ code: "custom", path: ["route"], message: "root route must not have any matchers" });
    }
    if (root.continue)
      ctx.addIssue({
        code: "custom",
        path: ["route", "continue"],
        message: "cannot have continue in root route",
      });
    if (root.mute_time_intervals.length > 0)
      ctx.addIssue({
        code: "custom",
        path: ["route", "mute_time_intervals"],
        message: "root route must not have any mute time intervals",
      });
    if (root.active_time_intervals.length > 0)
      ctx.addIssue({
        code: "custom",
        path: ["route", "active_time_intervals"],
        message: "root route must not have any active time intervals",
      });
    const walk = (r: RouteConfig, path: (string | number)[]) => {
      if (r.receiver !== undefined && !receivers.has(r.receiver)) {
        ctx.addIssue({
          code: "custom",
          path: [...path, "receiver"],
          message: `undefined receiver ${shown(r.receiver)} used in route`,
        });
      }
      for (const key of ["mute_time_intervals", "active_time_intervals"] as const) {
        r[key].forEach((name, i) => {
          if (!intervals.has(name))
            ctx.addIssue({
              code: "custom",
              path: [...path, key, i],
              message: `undefined time interval ${shown(name)} used in route`,
            });
        });
      }
      r.routes.forEach((c, i) => {
        walk(c, [...path, "routes", i]);
      });
    };
    walk(root, ["route"]);
  });

/** The validated `notify` section, as the pipeline's `applyConfig` receives it. */
export type NotifyConfig = z.output<typeof notifyConfigSchema>;

/** The `notify` section as written in YAML (before defaults). */
export type NotifyConfigInput = z.input<typeof notifyConfigSchema>;

/** Remarks about accepted but unused parts (templates, integrations Relay does not implement). */
export function notifyConfigWarnings(cfg: NotifyConfig): string[] {
  const out: string[] = [];
  if (cfg.templates.length > 0)
    out.push("notify.templates: Go templates are not supported; receivers use Relay's formats");
  cfg.receivers.forEach((r, i) => {
    for (const k of UNSUPPORTED_INTEGRATIONS) {
      if ((r as Record<string, unknown>)[k] !== undefined)
        out.push(`notify.receivers[${i}].${k}: integration not supported by Relay; ignored`);
    }
    r.slack_configs.forEach((s, j) => {
      if (s.title !== undefined || s.text !== undefined)
        out.push(
          `notify.receivers[${i}].slack_configs[${j}]: title/text templates are ignored; Relay formats Slack messages itself`,
        );
    });
  });
  return out;
}
