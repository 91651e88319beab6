import { type Labels, labelsFromRecord, type MetricMetadata } from "../model/index.js";
import type { Appendable } from "../storage/index.js";
import type { CommunityAnalytics } from "./analytics.js";
import { HOUR_MS, NETWORK, reportingDay } from "./community.js";
import { HEALTH_COMPONENTS } from "./metrics.js";

/**
 * Every series the publisher writes: name → help, labels. Rule packs and dashboards rely on these
 * names; they are gauges sampled at each publication. Per-channel series carry `channel`; the
 * `_network_` ones describe all channels together (a user in two channels counts once).
 */
export const COMMUNITY_SERIES = {
  dau: { name: "relay_community_dau", help: "Distinct users active today (UTC day).", labels: ["channel"] },
  wau: {
    name: "relay_community_wau",
    help: "Distinct users active in the last 7 days.",
    labels: ["channel"],
  },
  mau: {
    name: "relay_community_mau",
    help: "Distinct users active in the last 30 days.",
    labels: ["channel"],
  },
  stickiness: { name: "relay_community_stickiness_ratio", help: "DAU / MAU.", labels: ["channel"] },
  newUsers: {
    name: "relay_community_new_users",
    help: "Users active today who were not active in the 28 days before.",
    labels: ["channel"],
  },
  members: {
    name: "relay_community_members",
    help: "Channel members (net joins, at least MAU).",
    labels: ["channel"],
  },
  messagesPerUser: {
    name: "relay_community_messages_per_active_user",
    help: "Messages today per user active today.",
    labels: ["channel"],
  },
  sessionSeconds: {
    name: "relay_community_session_duration_seconds_avg",
    help: "Average session duration of sessions ended today.",
    labels: ["channel"],
  },
  healthScore: {
    name: "relay_community_health_score",
    help: "Community health composite, 0 to 100.",
    labels: ["channel"],
  },
  healthComponent: {
    name: "relay_community_health_component_ratio",
    help: "A normalised health component, 0 to 1.",
    labels: ["channel", "component"],
  },
  healthChange: {
    name: "relay_community_health_score_change_ratio",
    help: "Relative change of the health score over 7 days ((now - 7d ago) / 7d ago).",
    labels: ["channel"],
  },
  participation: {
    name: "relay_community_governance_participation_ratio",
    help: "Distinct voters in the last 7 days / members.",
    labels: ["channel"],
  },
  passRatio: {
    name: "relay_community_governance_proposal_pass_ratio",
    help: "Proposals passed / proposals closed in the last 7 days.",
    labels: ["channel"],
  },
  consensus: {
    name: "relay_community_governance_time_to_consensus_seconds",
    help: "Average time from a proposal opening to its closing, last 7 days.",
    labels: ["channel"],
  },
  competitions: {
    name: "relay_community_governance_active_competitions",
    help: "Proposals (topic-row competitions) open now.",
    labels: ["channel"],
  },
  gini: {
    name: "relay_community_governance_voting_power_gini",
    help: "Gini coefficient of ballot weights, last 7 days.",
    labels: ["channel"],
  },
  nakamoto: {
    name: "relay_community_governance_nakamoto_coefficient",
    help: "Fewest ballots whose weight exceeds half the total, last 7 days.",
    labels: ["channel"],
  },
  moderation: {
    name: "relay_community_governance_moderation_actions",
    help: "Moderation actions in the last 7 days.",
    labels: ["channel"],
  },
  appealRatio: {
    name: "relay_community_governance_appeal_ratio",
    help: "Appeals filed / moderation actions, last 7 days.",
    labels: ["channel"],
  },
  overturnRatio: {
    name: "relay_community_governance_overturn_ratio",
    help: "Appeals overturned / appeals decided, last 7 days.",
    labels: ["channel"],
  },
  txCount: {
    name: "relay_community_economy_transactions",
    help: "Transactions in the last hour, by type (network).",
    labels: ["type"],
  },
  txVolume: {
    name: "relay_community_economy_volume",
    help: "Value moved in the last hour, by type (network).",
    labels: ["type"],
  },
  txFees: {
    name: "relay_community_economy_fees",
    help: "Fees paid in the last hour, by type (network).",
    labels: ["type"],
  },
  txAverage: {
    name: "relay_community_economy_average_value",
    help: "Average transaction value in the last hour, by type (network).",
    labels: ["type"],
  },
  velocity: {
    name: "relay_community_economy_token_velocity",
    help: "Volume of the last 24 hours / circulating supply (or per active holder when no supply is configured).",
    labels: [],
  },
  networkDau: {
    name: "relay_community_network_dau",
    help: "Distinct users active today, all channels.",
    labels: [],
  },
  networkWau: {
    name: "relay_community_network_wau",
    help: "Distinct users, last 7 days, all channels.",
    labels: [],
  },
  networkMau: {
    name: "relay_community_network_mau",
    help: "Distinct users, last 30 days, all channels.",
    labels: [],
  },
  networkStickiness: {
    name: "relay_community_network_stickiness_ratio",
    help: "Network DAU / MAU.",
    labels: [],
  },
  networkNewUsers: {
    name: "relay_community_network_new_users",
    help: "Users active today, not in the 28 days before, all channels.",
    labels: [],
  },
} as const;

/** The handle of a series in {@link COMMUNITY_SERIES}. */
export type CommunitySeriesKey = keyof typeof COMMUNITY_SERIES;

/** What one publication wrote. */
export interface PublishStats {
  readonly t: number;
  readonly samples: number;
  readonly channels: number;
  readonly suppressedChannels: number;
}

/** Options of a {@link CommunityPublisher}. */
export interface CommunityPublisherOptions {
  /** Where the series go (the server's storage). */
  readonly appendable: Appendable;
  /** Seconds between publications. Default 30. */
  readonly intervalMs?: number;
  /** The clock. Default `Date.now`. */
  readonly now?: () => number;
  /** Called when a publication fails (the timer keeps running). */
  readonly onError?: (err: unknown) => void;
}

/**
 * Publishes the community figures as `relay_community_*` gauges through an Appender, every
 * `intervalMs` and on demand ({@link publish}). A figure that is suppressed (or undefined) is not
 * written at all; with noise configured, each scheduled publication draws fresh noise within the
 * budget of the channel and day.
 */
export class CommunityPublisher {
  private readonly analytics: CommunityAnalytics;
  private readonly opts: CommunityPublisherOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PublishStats> | undefined;
  private readonly maintain: (() => void) | undefined;

  /** Creates a stopped publisher; `maintain`, when given, runs before each publication. */
  constructor(analytics: CommunityAnalytics, opts: CommunityPublisherOptions, maintain?: () => void) {
    this.analytics = analytics;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.maintain = maintain;
  }

  /** Starts the timer (publishing once right away). */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.publish().catch((err) => this.opts.onError?.(err));
    };
    this.timer = setInterval(tick, this.opts.intervalMs ?? 30_000);
    this.timer.unref();
    tick();
  }

  /** Stops the timer and waits for a publication in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Computes every figure now and appends it in one batch. */
  publish(t: number = this.now()): Promise<PublishStats> {
    const run = (async () => {
      await this.running?.catch(() => undefined);
      this.maintain?.();
      const samples = collectSamples(this.analytics, t);
      const app = this.opts.appendable.appender();
      for (const meta of Object.values(COMMUNITY_SERIES)) {
        app.updateMetadata?.(meta.name, {
          type: "gauge",
          help: meta.help,
          unit: "",
        } satisfies MetricMetadata);
      }
      let written = 0;
      try {
        for (let i = 0; i < samples.labels.length; i++) {
          app.append(0, samples.labels[i]!, t, samples.values[i]!);
          written++;
        }
        await app.commit();
      } catch (err) {
        app.rollback();
        throw err;
      }
      return { t, samples: written, channels: samples.channels, suppressedChannels: samples.suppressed };
    })();
    this.running = run;
    return run;
  }
}

/** The samples of one publication: labels and values in parallel (values in a typed array). */
export interface CollectedSamples {
  readonly labels: Labels[];
  readonly values: Float64Array;
  readonly channels: number;
  readonly suppressed: number;
}

/**
 * Computes every publishable figure at time `t` as series samples (suppressed ones are left out):
 * day figures of the last complete UTC day ({@link reportingDay}), economy of the previous full hour.
 */
export function collectSamples(analytics: CommunityAnalytics, t: number): CollectedSamples {
  const labels: Labels[] = [];
  const vals: number[] = [];
  const put = (key: CommunitySeriesKey, extra: Record<string, string>, v: number | null | undefined) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    labels.push(labelsFromRecord({ __name__: COMMUNITY_SERIES[key].name, ...extra }));
    vals.push(v);
  };
  const day = reportingDay(t);
  const channels = analytics.channels();
  let suppressed = 0;
  for (const channel of channels) {
    const l = { channel };
    const a = analytics.activity(channel, day, true);
    if (a.suppressed) {
      suppressed++;
      continue;
    }
    put("dau", l, a.dau);
    put("wau", l, a.wau);
    put("mau", l, a.mau);
    put("stickiness", l, a.stickiness);
    put("newUsers", l, a.newUsers);
    put("members", l, a.members);
    put("messagesPerUser", l, a.engagement.messagesPerActiveUser);
    put("sessionSeconds", l, a.engagement.averageSessionSeconds);
    const h = analytics.health(channel, day, true);
    put("healthScore", l, h.score);
    for (const c of HEALTH_COMPONENTS)
      put("healthComponent", { channel, component: c }, h.components[c].normalized);
    put("healthChange", l, h.trend.relative);
    const g = analytics.governance(channel, day - 6, day);
    put("participation", l, g.participation);
    put("passRatio", l, g.passRate);
    put("consensus", l, g.timeToConsensusSeconds);
    put("competitions", l, g.activeCompetitions);
    put("gini", l, g.votingPowerGini);
    put("nakamoto", l, g.nakamotoCoefficient);
    put("moderation", l, g.moderationActions);
    put("appealRatio", l, g.appealRate);
    put("overturnRatio", l, g.overturnRate);
  }
  const n = analytics.activity(NETWORK, day, true);
  put("networkDau", {}, n.dau);
  put("networkWau", {}, n.wau);
  put("networkMau", {}, n.mau);
  put("networkStickiness", {}, n.stickiness);
  put("networkNewUsers", {}, n.newUsers);
  const hour = Math.floor(t / HOUR_MS);
  const lastHour = analytics.economy(NETWORK, hour - 1, hour - 1);
  for (const r of lastHour.byType) {
    put("txCount", { type: r.type }, r.count);
    put("txVolume", { type: r.type }, r.volume);
    put("txFees", { type: r.type }, r.fees);
    put("txAverage", { type: r.type }, r.averageValue);
  }
  put("velocity", {}, analytics.economy(NETWORK, hour - 24, hour - 1).velocity);
  return { labels, values: Float64Array.from(vals), channels: channels.length, suppressed };
}
