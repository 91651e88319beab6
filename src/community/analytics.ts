import { DEFAULT_K, FigurePublisher, hllStandardError } from "../privacy/index.js";
import { ACTIVE_PRECISION, type Community, DAY_MS, dayOf, HOUR_MS, MAX_WINDOW_DAYS } from "./community.js";
import {
  type ComponentValue,
  DEFAULT_HEALTH_CONFIG,
  type GrowthAccounting,
  gini,
  growthAccounting,
  HEALTH_COMPONENTS,
  type HealthComponent,
  type HealthComponentConfig,
  type HealthConfig,
  healthComponents,
  healthRecommendations,
  healthScore,
  intersectionSize,
  intersectionStandardError,
  nakamoto,
  type Recommendation,
  ratio,
  scoreTrend,
  type Trend,
  tokenVelocity,
} from "./metrics.js";

/** Options of {@link CommunityAnalytics}: the publication rules and the health configuration. */
export interface AnalyticsOptions {
  /** Minimum distinct users behind a published figure. Default 5. */
  readonly k?: number;
  /** Differential-privacy noise on published counts; absent means exact counts. */
  readonly noise?: { readonly epsilon: number; readonly budgetPerDay?: number };
  /** Weights and targets per health component, merged over the defaults. */
  readonly health?: Partial<Record<HealthComponent, Partial<HealthComponentConfig>>>;
  /** Below this normalised value a component gets a recommendation. Default 0.6. */
  readonly recommendationThreshold?: number;
  /** Tokens in circulation, for token velocity; absent means the active-holder proxy. */
  readonly circulatingSupply?: number;
}

/** {@link GrowthAccounting} as published: each count gated by k on its own. */
export type PublishedGrowth = {
  readonly [K in keyof GrowthAccounting]: number | null;
};

/** Activity figures of a channel (or the network) on one day; null means suppressed or undefined. */
export interface ActivityFigures {
  readonly channel: string;
  readonly day: string;
  readonly suppressed: boolean;
  readonly members: number | null;
  readonly dau: number | null;
  readonly wau: number | null;
  readonly mau: number | null;
  readonly stickiness: number | null;
  readonly newUsers: number | null;
  /** Growth accounting; each part is null on its own when fewer than k users are behind it. */
  readonly growth: PublishedGrowth | null;
  readonly engagement: {
    readonly messagesPerActiveUser: number | null;
    readonly averageSessionSeconds: number | null;
    readonly votingParticipation: number | null;
    readonly contentCreation: number | null;
  };
}

/** Health of one channel on one day. */
export interface HealthFigures {
  readonly channel: string;
  readonly day: string;
  readonly suppressed: boolean;
  readonly score: number | null;
  readonly components: Record<HealthComponent, ComponentValue>;
  /** The score 7 days before and the change since. */
  readonly trend: Trend & { readonly previousScore: number | null };
  readonly recommendations: readonly Recommendation[];
}

/** One row of N-day retention. */
export interface RetentionRow {
  readonly n: number;
  readonly cohortDay: string;
  readonly cohort: number | null;
  readonly retained: number | null;
  readonly ratio: number | null;
  /** Standard error of `retained` from the HyperLogLog estimates (inclusion–exclusion). */
  readonly retainedStdError: number | null;
}

/** One weekly activity cohort: users active in the week, and the share active in each later week. */
export interface CohortRow {
  readonly weekStart: string;
  readonly weekEnd: string;
  readonly size: number | null;
  /** retention[i]: share of the cohort active i weeks later (i = 0 is 1). */
  readonly retention: readonly (number | null)[];
}

/** Retention figures of a channel as of one day. */
export interface RetentionFigures {
  readonly channel: string;
  readonly day: string;
  readonly suppressed: boolean;
  readonly nDay: readonly RetentionRow[];
  readonly weeklyCohorts: readonly CohortRow[];
}

/** Democratic-process figures of a channel over a window of days. */
export interface GovernanceFigures {
  readonly channel: string;
  readonly from: string;
  readonly to: string;
  readonly suppressed: boolean;
  readonly voters: number | null;
  readonly eligible: number | null;
  readonly participation: number | null;
  readonly ballots: number | null;
  readonly proposalsOpened: number | null;
  readonly proposalsPassed: number | null;
  readonly proposalsRejected: number | null;
  readonly passRate: number | null;
  readonly timeToConsensusSeconds: number | null;
  readonly activeCompetitions: number | null;
  readonly votingPowerGini: number | null;
  readonly nakamotoCoefficient: number | null;
  readonly moderationActions: number | null;
  readonly appeals: number | null;
  readonly appealRate: number | null;
  readonly overturned: number | null;
  readonly overturnRate: number | null;
}

/** Transactions of one type (over a window, or in one hour). */
export interface EconomyRow {
  readonly type: string;
  readonly hour?: string;
  readonly count: number | null;
  readonly volume: number | null;
  readonly fees: number | null;
  readonly averageValue: number | null;
  readonly suppressed: boolean;
}

/** Economy figures of a channel (or the network) over a window of hours. */
export interface EconomyFigures {
  readonly channel: string;
  readonly from: string;
  readonly to: string;
  readonly suppressed: boolean;
  readonly transactors: number | null;
  readonly byType: readonly EconomyRow[];
  readonly hourly: readonly EconomyRow[];
  readonly velocity: number | null;
  readonly velocityBasis: "supply" | "active_holders";
}

/** The ISO date (YYYY-MM-DD) of a UTC day number. */
export function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function isoHour(hour: number): string {
  return new Date(hour * HOUR_MS).toISOString();
}

function mergeHealthConfig(over: AnalyticsOptions["health"]): HealthConfig {
  const out = {} as Record<HealthComponent, HealthComponentConfig>;
  for (const c of HEALTH_COMPONENTS) out[c] = { ...DEFAULT_HEALTH_CONFIG[c], ...(over?.[c] ?? {}) };
  return out;
}

const SUPPRESSED_COMPONENTS = Object.fromEntries(
  HEALTH_COMPONENTS.map((c) => [c, { raw: null, normalized: null, weight: 0 }]),
) as Record<HealthComponent, ComponentValue>;

/**
 * The read side: figures computed from the sketches and counters, under the publication rules —
 * a figure backed by fewer than k distinct users (but more than none) is null, a channel with fewer
 * than k members has every figure null and `suppressed: true`, and with noise configured every
 * published count goes through the privacy layer's FigurePublisher (ε per channel and day, never
 * fresh noise beyond the budget). Ratios are computed from the published counts.
 */
export class CommunityAnalytics {
  /** The k of k-anonymity. */
  readonly k: number;
  /** The effective health configuration. */
  readonly healthConfig: HealthConfig;
  private readonly community: Community;
  private readonly figures: FigurePublisher | undefined;
  private readonly threshold: number;
  private readonly supply: number | undefined;

  /** Creates the read side over a {@link Community}. */
  constructor(community: Community, options: AnalyticsOptions = {}) {
    this.community = community;
    this.k = options.k ?? DEFAULT_K;
    this.healthConfig = mergeHealthConfig(options.health);
    this.threshold = options.recommendationThreshold ?? 0.6;
    this.supply = options.circulatingSupply;
    this.figures = options.noise
      ? new FigurePublisher({ k: this.k, noise: options.noise, ledger: community.store.ledger() })
      : undefined;
    if (!Number.isInteger(this.k) || this.k < 1)
      throw new RangeError(`k must be a positive integer, got ${this.k}`);
  }

  /** True when DP noise is configured. */
  get noisy(): boolean {
    return this.figures !== undefined;
  }

  /** The ε spent on a channel (NETWORK for the network) and day, when noise is configured. */
  spent(channel: string, day: number): number {
    return this.figures?.budget?.spent(channel, isoDay(day)) ?? 0;
  }

  /** Every channel with data, sorted. */
  channels(): string[] {
    return this.community.store.channels();
  }

  /**
   * A count under the rules: null when 0 < group < k; with noise, the published noisy value (a
   * fresh draw when `fresh`, else the last one published for that figure, publishing once if none).
   */
  private gate(
    channel: string,
    day: number,
    figure: string,
    value: number,
    group: number,
    fresh: boolean,
  ): number | null {
    const g = Math.round(group);
    if (g > 0 && g < this.k) return null;
    if (!this.figures) return value;
    const d = isoDay(day);
    if (!fresh) {
      const last = this.figures.lastPublished(channel, d, figure);
      if (last !== null) return last;
    }
    return this.figures.publish({
      channel,
      day: d,
      figure,
      value: Math.max(0, Math.round(value)),
      groupSize: Math.max(g, this.k),
    }).value;
  }

  /** Members of a channel at the end of `day`: net joins, but at least the 30-day active users. */
  members(channel: string, day: number): number {
    const s = this.community.store.dailySums(channel, 0, day);
    return Math.max(
      0,
      s.joins - s.leaves,
      Math.round(this.community.distinct(channel, "active", day - 29, day)),
    );
  }

  private suppressedChannel(channel: string, day: number): boolean {
    return this.members(channel, day) < this.k;
  }

  /** Activity of a channel (NETWORK for the network) on `day`. */
  activity(channel: string, day: number, fresh = false): ActivityFigures {
    const c = this.community;
    const suppressed = this.suppressedChannel(channel, day);
    const dayRaw = Math.round(c.dayDistinct(channel, day));
    const wauRaw = Math.max(dayRaw, Math.round(c.distinct(channel, "active", day - 6, day)));
    const mauRaw = Math.max(wauRaw, Math.round(c.distinct(channel, "active", day - 29, day)));
    const blank = {
      channel,
      day: isoDay(day),
      suppressed: true,
      members: null,
      dau: null,
      wau: null,
      mau: null,
      stickiness: null,
      newUsers: null,
      growth: null,
      engagement: {
        messagesPerActiveUser: null,
        averageSessionSeconds: null,
        votingParticipation: null,
        contentCreation: null,
      },
    };
    if (suppressed) return blank;
    const g = (figure: string, v: number, group: number) => this.gate(channel, day, figure, v, group, fresh);
    const dau = g("dau", dayRaw, dayRaw);
    const wau = g("wau", wauRaw, wauRaw);
    const mau = g("mau", mauRaw, mauRaw);
    const members = g("members", this.members(channel, day), this.members(channel, day));
    const seen28 = c.distinct(channel, "active", day - 28, day);
    const before = c.distinct(channel, "active", day - 28, day - 1);
    const newRaw = Math.max(0, Math.round(seen28 - before));
    const newUsers = g("new_users", newRaw, newRaw);
    const cur = c.distinct(channel, "active", day - 6, day);
    const prev = c.distinct(channel, "active", day - 13, day - 7);
    const both = c.distinct(channel, "active", day - 13, day);
    const look = c.distinct(channel, "active", day - 27, day - 7);
    const all = c.distinct(channel, "active", day - 27, day);
    const ga = growthAccounting({
      active: cur,
      previous: prev,
      retained: intersectionSize(cur, prev, both),
      new: all - look,
    });
    const rounded = (x: number) => Math.round(x);
    const gaGated = {
      new: g("growth_new", rounded(ga.new), ga.new),
      retained: g("growth_retained", rounded(ga.retained), ga.retained),
      resurrected: g("growth_resurrected", rounded(ga.resurrected), ga.resurrected),
      churned: g("growth_churned", rounded(ga.churned), ga.churned),
    };
    const growth: PublishedGrowth = {
      ...gaGated,
      quickRatio:
        gaGated.new === null || gaGated.resurrected === null || gaGated.churned === null
          ? null
          : ratio(gaGated.new + gaGated.resurrected, gaGated.churned),
    };
    const s = c.store.dailySums(channel, day, day);
    const messages = g("messages", s.messages, dayRaw);
    const sessions = g("sessions", s.sessions_ended, dayRaw);
    const sessionSeconds = g("session_seconds", Math.round(s.session_seconds), dayRaw);
    const votersRaw = Math.round(c.distinct(channel, "voters", day - 6, day));
    const postersRaw = Math.round(c.distinct(channel, "posters", day - 6, day));
    const voters = g("voters_7d", votersRaw, votersRaw);
    const posters = g("posters_7d", postersRaw, postersRaw);
    return {
      ...blank,
      suppressed: false,
      members,
      dau,
      wau,
      mau,
      stickiness: dau === null || mau === null ? null : ratio(dau, mau),
      newUsers,
      growth,
      engagement: {
        messagesPerActiveUser: messages === null || dau === null ? null : ratio(messages, dau),
        averageSessionSeconds:
          sessionSeconds === null || sessions === null ? null : ratio(sessionSeconds, sessions),
        votingParticipation: voters === null || wau === null ? null : ratio(voters, wau),
        contentCreation: posters === null || wau === null ? null : ratio(posters, wau),
      },
    };
  }

  private healthAt(channel: string, day: number, fresh: boolean) {
    const c = this.community;
    if (this.suppressedChannel(channel, day)) return null;
    const g = (figure: string, v: number, group: number) => this.gate(channel, day, figure, v, group, fresh);
    const nan = (x: number | null) => (x === null ? Number.NaN : x);
    const dauRaw = Math.round(c.dayDistinct(channel, day));
    const wauRaw = Math.round(c.distinct(channel, "active", day - 6, day));
    const membersRaw = this.members(channel, day);
    const lastWeekRaw = this.members(channel, day - 7);
    const week = c.store.dailySums(channel, day - 6, day);
    const ratersRaw = Math.round(c.distinct(channel, "raters", day - 6, day));
    const votersRaw = Math.round(c.distinct(channel, "voters", day - 6, day));
    const dayW = c.distinct(channel, "active", day, day);
    const prior = c.distinct(channel, "active", day - 7, day - 1);
    const returningRaw = Math.round(
      intersectionSize(dayW, prior, c.distinct(channel, "active", day - 7, day)),
    );
    const messages = g("messages_7d", week.messages, wauRaw);
    const moderated = g("moderation_7d", week.moderation, wauRaw);
    const components = healthComponents(
      {
        dau: nan(g("dau", dauRaw, dauRaw)),
        members: nan(g("members", membersRaw, membersRaw)),
        upVotes: nan(g("votes_up_7d", week.votes_up, ratersRaw)),
        downVotes: nan(g("votes_down_7d", week.votes_down, ratersRaw)),
        newMembers: nan(g("joins_7d", week.joins, wauRaw)),
        membersLastWeek: nan(g("members_last_week", lastWeekRaw, lastWeekRaw)),
        returning: nan(g("returning", returningRaw, returningRaw)),
        // Without a proposal to vote on in the window, participation is undefined, not zero.
        voters:
          week.proposals_opened + week.proposals_passed + week.proposals_rejected + week.ballots > 0
            ? nan(g("voters_7d", votersRaw, votersRaw))
            : Number.NaN,
        messages: nan(messages),
        qualityMessages:
          messages === null || moderated === null ? Number.NaN : Math.max(0, messages - moderated),
      },
      this.healthConfig,
    );
    return { components, score: healthScore(components) };
  }

  /** Health of a channel on `day`: score, components, 7-day trend and recommendations. */
  health(channel: string, day: number, fresh = false): HealthFigures {
    const now = this.healthAt(channel, day, fresh);
    if (!now) {
      return {
        channel,
        day: isoDay(day),
        suppressed: true,
        score: null,
        components: SUPPRESSED_COMPONENTS,
        trend: { ...scoreTrend(null, null), previousScore: null },
        recommendations: [],
      };
    }
    const before = this.healthAt(channel, day - 7, false);
    const previousScore = before?.score ?? null;
    return {
      channel,
      day: isoDay(day),
      suppressed: false,
      score: now.score,
      components: now.components,
      trend: { ...scoreTrend(previousScore, now.score), previousScore },
      recommendations: healthRecommendations(now.components, this.threshold),
    };
  }

  /**
   * N-day retention (share of users active on day D−n who are active on day D) and weekly activity
   * cohorts (weeks ending on D, D−7, D−14, D−21) of a channel, from window-key sketches by
   * inclusion–exclusion. n is limited to {@link MAX_WINDOW_DAYS} − 1.
   */
  retention(channel: string, day: number, ns: readonly number[] = [1, 7, 14, 28]): RetentionFigures {
    const c = this.community;
    const base = { channel, day: isoDay(day) };
    if (this.suppressedChannel(channel, day))
      return { ...base, suppressed: true, nDay: [], weeklyCohorts: [] };
    const sigma = hllStandardError(ACTIVE_PRECISION);
    const g = (figure: string, v: number) => this.gate(channel, day, figure, Math.round(v), v, false);
    const nDay = ns.map((n): RetentionRow => {
      if (!Number.isInteger(n) || n < 1 || n >= MAX_WINDOW_DAYS) {
        throw new RangeError(`retention day n must be an integer from 1 to ${MAX_WINDOW_DAYS - 1}, got ${n}`);
      }
      const a = c.distinct(channel, "active", day - n, day - n);
      const b = c.distinct(channel, "active", day, day);
      const u = c.distinctUnion(channel, "active", [
        [day - n, day - n],
        [day, day],
      ]);
      const kept = intersectionSize(a, b, u);
      const cohort = g(`cohort_${n}d`, a);
      const retained = g(`retained_${n}d`, kept);
      return {
        n,
        cohortDay: isoDay(day - n),
        cohort,
        retained,
        ratio: cohort === null || retained === null ? null : ratio(retained, cohort),
        retainedStdError: retained === null ? null : intersectionStandardError(a, b, u, sigma),
      };
    });
    const weeks = [0, 1, 2, 3].map((j) => [day - 7 * j - 6, day - 7 * j] as const);
    const sizes = weeks.map(([f, t]) => c.distinct(channel, "active", f, t));
    const weeklyCohorts = weeks.map(([f, t], j): CohortRow => {
      const size = g(`cohort_week_${j}`, sizes[j]!);
      const retention: (number | null)[] = [];
      for (let i = 0; i <= j; i++) {
        const later = weeks[j - i]!;
        const u = c.distinctUnion(channel, "active", [[f, t], later]);
        const kept = i === 0 ? sizes[j]! : intersectionSize(sizes[j]!, sizes[j - i]!, u);
        const keptG = g(`cohort_week_${j}_${i}`, kept);
        retention.push(size === null || keptG === null ? null : ratio(keptG, size));
      }
      return { weekStart: isoDay(f), weekEnd: isoDay(t), size, retention };
    });
    return { ...base, suppressed: false, nDay, weeklyCohorts };
  }

  /** Democratic-process figures of a channel over days [from, to] (at most 31 days). */
  governance(channel: string, from: number, to: number): GovernanceFigures {
    const c = this.community;
    const votersRaw = Math.round(c.distinct(channel, "voters", from, to));
    const activeRaw = Math.round(c.distinct(channel, "active", from, to));
    const eligibleRaw = this.members(channel, to);
    const s = c.store.dailySums(channel, from, to);
    const suppressed = eligibleRaw < this.k;
    const g = (figure: string, v: number, group: number) =>
      suppressed ? null : this.gate(channel, to, `${figure}_${to - from + 1}d`, v, group, false);
    const voters = g("voters", votersRaw, votersRaw);
    const eligible = g("members", eligibleRaw, eligibleRaw);
    const passed = g("proposals_passed", s.proposals_passed, activeRaw);
    const rejected = g("proposals_rejected", s.proposals_rejected, activeRaw);
    const moderation = g("moderation", s.moderation, activeRaw);
    const appeals = g("appeals_filed", s.appeals_filed, activeRaw);
    const overturned = g("appeals_overturned", s.appeals_overturned, activeRaw);
    const upheld = g("appeals_upheld", s.appeals_upheld, activeRaw);
    const w = c.store.weights(channel, from, to);
    const powerOk = !suppressed && (votersRaw === 0 || votersRaw >= this.k);
    const consensusOk = !suppressed && s.consensus_count > 0 && (activeRaw === 0 || activeRaw >= this.k);
    const sum = (a: number | null, b: number | null) => (a === null || b === null ? null : a + b);
    return {
      channel,
      from: isoDay(from),
      to: isoDay(to),
      suppressed,
      voters,
      eligible,
      participation: voters === null || eligible === null ? null : ratio(voters, eligible),
      ballots: g("ballots", s.ballots, votersRaw),
      proposalsOpened: g("proposals_opened", s.proposals_opened, activeRaw),
      proposalsPassed: passed,
      proposalsRejected: rejected,
      passRate: passed === null || rejected === null ? null : ratio(passed, passed + rejected),
      timeToConsensusSeconds: consensusOk ? s.consensus_seconds / s.consensus_count : null,
      activeCompetitions: g(
        "active_competitions",
        c.store.openProposals(channel, (to + 1) * DAY_MS - 30 * DAY_MS),
        activeRaw,
      ),
      votingPowerGini: powerOk ? gini(w.weights, w.counts) : null,
      nakamotoCoefficient: powerOk ? nakamoto(w.weights, w.counts) : null,
      moderationActions: moderation,
      appeals,
      appealRate: appeals === null || moderation === null ? null : ratio(appeals, moderation),
      overturned,
      overturnRate: overturned === null ? null : ratio(overturned, sum(overturned, upheld) ?? 0),
    };
  }

  /**
   * Transactions of a channel (NETWORK for the network) in hours [fromHour, toHour]: per type over
   * the window and per hour, with token velocity over the window. An hour of a type with fewer than
   * k transactions is suppressed; the whole answer is when fewer than k distinct users transacted.
   */
  economy(channel: string, fromHour: number, toHour: number): EconomyFigures {
    const c = this.community;
    const fromDay = dayOf(fromHour * HOUR_MS);
    const toDay = dayOf(toHour * HOUR_MS);
    const span = toDay - fromDay + 1 <= MAX_WINDOW_DAYS;
    const transactorsRaw = span ? Math.round(c.distinct(channel, "transactors", fromDay, toDay)) : 0;
    const base = { channel, from: isoHour(fromHour), to: isoHour(toHour + 1) };
    const rows = c.store.txHourly(channel, fromHour, toHour);
    const suppressed =
      (transactorsRaw > 0 && transactorsRaw < this.k) || this.suppressedChannel(channel, toDay);
    if (suppressed) {
      return {
        ...base,
        suppressed: true,
        transactors: null,
        byType: [],
        hourly: [],
        velocity: null,
        velocityBasis: this.supply ? "supply" : "active_holders",
      };
    }
    const totals = new Map<string, { count: number; volume: number; fees: number }>();
    const hourly: EconomyRow[] = rows.map((r) => {
      const t = totals.get(r.txType) ?? { count: 0, volume: 0, fees: 0 };
      t.count += r.count;
      t.volume += r.volume;
      t.fees += r.fees;
      totals.set(r.txType, t);
      const hidden = r.count < this.k;
      return {
        type: r.txType,
        hour: isoHour(r.hour),
        suppressed: hidden,
        count: hidden ? null : r.count,
        volume: hidden ? null : r.volume,
        fees: hidden ? null : r.fees,
        averageValue: hidden ? null : r.volume / r.count,
      };
    });
    let volume = 0;
    const byType: EconomyRow[] = [...totals].map(([type, t]) => {
      volume += t.volume;
      const count = this.gate(
        channel,
        toDay,
        `tx_count_${type}_${toHour - fromHour + 1}h`,
        t.count,
        transactorsRaw,
        false,
      );
      return {
        type,
        suppressed: false,
        count,
        volume: t.volume,
        fees: t.fees,
        averageValue: t.count > 0 ? t.volume / t.count : null,
      };
    });
    const transactors = this.gate(channel, toDay, "transactors", transactorsRaw, transactorsRaw, false);
    const v = tokenVelocity(volume, this.supply, transactors ?? 0);
    return {
      ...base,
      suppressed: false,
      transactors,
      byType,
      hourly,
      velocity: span || this.supply ? v.value : null,
      velocityBasis: v.basis,
    };
  }
}
