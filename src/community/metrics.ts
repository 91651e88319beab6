/**
 * Pure computations of community figures. Inputs are counts and distinct-user estimates; outputs
 * are plain numbers (NaN when a ratio has no denominator) or plain objects.
 */

/** A ratio, or null when its denominator is zero (the figure does not exist). */
export function ratio(num: number, den: number): number | null {
  return den > 0 && Number.isFinite(num) ? num / den : null;
}

function sortedPairs(values: ArrayLike<number>, counts?: ArrayLike<number>): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const c = counts ? counts[i]! : 1;
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`value ${i} must be a non-negative number`);
    if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`count ${i} must be a non-negative number`);
    if (c > 0) pairs.push([v, c]);
  }
  return pairs.sort((a, b) => a[0] - b[0]);
}

/**
 * The Gini coefficient of a distribution of non-negative amounts (e.g. voting power per ballot):
 * 0 when everyone holds the same, approaching 1 when one holder has everything. `counts[i]`, when
 * given, says how many holders have `values[i]` (exact for grouped data). Computed as
 * 2·Σ rank·x / (n·Σx) − (n+1)/n over amounts sorted ascending. Null for no holders; 0 when every
 * amount is zero.
 * @example gini([1, 1, 1, 1]) // 0
 * @example gini([0, 0, 0, 1]) // 0.75
 */
export function gini(values: ArrayLike<number>, counts?: ArrayLike<number>): number | null {
  const pairs = sortedPairs(values, counts);
  let n = 0;
  let total = 0;
  let weighted = 0;
  for (const [v, c] of pairs) {
    weighted += v * (c * n + (c * (c + 1)) / 2);
    n += c;
    total += v * c;
  }
  if (n === 0) return null;
  if (total === 0) return 0;
  return Math.max(0, (2 * weighted) / (n * total) - (n + 1) / n);
}

/**
 * The Nakamoto coefficient: the fewest holders whose combined amount exceeds `threshold` (default
 * one half) of the total — how many voters it takes to control a decision. Null when the total is
 * zero.
 * @example nakamoto([50, 30, 20]) // 2
 * @example nakamoto([51, 49]) // 1
 */
export function nakamoto(
  values: ArrayLike<number>,
  counts?: ArrayLike<number>,
  threshold = 0.5,
): number | null {
  const pairs = sortedPairs(values, counts).reverse();
  let total = 0;
  for (const [v, c] of pairs) total += v * c;
  if (total === 0) return null;
  const target = threshold * total;
  let acc = 0;
  let holders = 0;
  for (const [v, c] of pairs) {
    if (v === 0) break;
    const need = Math.floor((target - acc) / v) + 1;
    if (need <= c) return holders + need;
    acc += v * c;
    holders += c;
  }
  return holders;
}

/** Stickiness: DAU / MAU, the share of the month's users who come on a given day. */
export function stickiness(dau: number, mau: number): number | null {
  return ratio(dau, mau);
}

/** Inputs of {@link growthAccounting}, all distinct-user counts. */
export interface GrowthInputs {
  /** Active in the current period. */
  readonly active: number;
  /** Active in the previous period. */
  readonly previous: number;
  /** Active in both periods. */
  readonly retained: number;
  /** Active in the current period and not in the lookback before it (new). */
  readonly new: number;
}

/** Growth accounting of a period: how its active users decompose and how the previous period's left. */
export interface GrowthAccounting {
  readonly new: number;
  readonly retained: number;
  /** Active now, not in the previous period, but seen before it: came back. */
  readonly resurrected: number;
  /** Active in the previous period, not now. */
  readonly churned: number;
  /** (new + resurrected) / churned: above 1 the user base grows; null when nobody churned. */
  readonly quickRatio: number | null;
}

/**
 * Growth accounting as product-analytics tools define it: current active = new + retained +
 * resurrected; churned = previous active − retained. Inputs from sketches carry estimation error,
 * so the parts are clamped to [0, active] and made consistent with `active`.
 */
export function growthAccounting(g: GrowthInputs): GrowthAccounting {
  const active = Math.max(0, g.active);
  const retained = clamp(g.retained, 0, Math.min(active, Math.max(0, g.previous)));
  const fresh = clamp(g.new, 0, active - retained);
  const resurrected = Math.max(0, active - retained - fresh);
  const churned = Math.max(0, g.previous - retained);
  return { new: fresh, retained, resurrected, churned, quickRatio: ratio(fresh + resurrected, churned) };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(x, hi));
}

/**
 * The size of A ∩ B from |A|, |B| and |A ∪ B| (inclusion–exclusion), clamped to [0, min(|A|, |B|)].
 * With HyperLogLog inputs each term has relative standard error σ = 1.04/√m, so the result's
 * standard error is about σ·√(|A|² + |B|² + |A∪B|²) — see {@link intersectionStandardError}.
 */
export function intersectionSize(a: number, b: number, union: number): number {
  return clamp(a + b - union, 0, Math.min(a, b));
}

/** The standard error of {@link intersectionSize} when each input has relative standard error σ. */
export function intersectionStandardError(a: number, b: number, union: number, sigma: number): number {
  return sigma * Math.sqrt(a * a + b * b + union * union);
}

/**
 * Token velocity: value moved in a window divided by the tokens available to move. When the
 * circulating supply is configured it is the classic velocity (volume / supply); otherwise the
 * proxy volume / distinct transacting users (tokens moved per active holder) is used and said so.
 */
export function tokenVelocity(
  volume: number,
  supply: number | undefined,
  activeHolders: number,
): { value: number | null; basis: "supply" | "active_holders" } {
  if (supply !== undefined && supply > 0) return { value: volume / supply, basis: "supply" };
  return { value: ratio(volume, activeHolders), basis: "active_holders" };
}

/** The components of the community health composite, in the order they are reported. */
export const HEALTH_COMPONENTS = [
  "engagement",
  "positivity",
  "growth",
  "retention",
  "governance",
  "content",
] as const;

/** One of {@link HEALTH_COMPONENTS}. */
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number];

/** How one component counts: its weight in the score and the raw value that earns full marks. */
export interface HealthComponentConfig {
  /** Non-negative weight; weights are renormalised over the components that exist. */
  readonly weight: number;
  /** The raw ratio at which the component scores 1 (normalised = min(1, raw / target)). */
  readonly target: number;
}

/** Weights and targets of every component. */
export type HealthConfig = Readonly<Record<HealthComponent, HealthComponentConfig>>;

/**
 * Default health configuration. Targets are where a channel is doing well, not the maximum:
 * a fifth of members active daily, four in five votes positive, 5 % weekly member growth, three in
 * five active users returning, a quarter of members voting, nine in ten messages drawing no
 * moderation action.
 */
export const DEFAULT_HEALTH_CONFIG: HealthConfig = {
  engagement: { weight: 0.25, target: 0.2 },
  positivity: { weight: 0.15, target: 0.8 },
  growth: { weight: 0.15, target: 0.05 },
  retention: { weight: 0.2, target: 0.6 },
  governance: { weight: 0.15, target: 0.25 },
  content: { weight: 0.1, target: 0.9 },
};

/** The raw inputs of the composite for one channel and day (see {@link healthComponents}). */
export interface HealthInputs {
  /** Distinct users active on the day. */
  readonly dau: number;
  /** Members at the end of the day. */
  readonly members: number;
  /** Up and down votes in the last 7 days. */
  readonly upVotes: number;
  readonly downVotes: number;
  /** Joins in the last 7 days and members 7 days before. */
  readonly newMembers: number;
  readonly membersLastWeek: number;
  /** Distinct users active on the day who were also active in the 7 days before it. */
  readonly returning: number;
  /** Distinct ballot casters in the last 7 days; eligible = members. */
  readonly voters: number;
  /** Messages in the last 7 days, and how many drew no moderation action. */
  readonly messages: number;
  readonly qualityMessages: number;
}

/** A component's raw ratio and its normalised value in [0, 1]; both null when it cannot be computed. */
export interface ComponentValue {
  readonly raw: number | null;
  readonly normalized: number | null;
  readonly weight: number;
}

/**
 * The seed's components: engagement = DAU / members, positivity = up / (up + down), growth = new
 * members this week / members last week, retention = returning / active, governance = voters /
 * eligible, content = quality / total. A component without a denominator is null.
 */
export function healthComponents(
  x: HealthInputs,
  config: HealthConfig = DEFAULT_HEALTH_CONFIG,
): Record<HealthComponent, ComponentValue> {
  const raw: Record<HealthComponent, number | null> = {
    engagement: ratio(x.dau, x.members),
    positivity: ratio(x.upVotes, x.upVotes + x.downVotes),
    growth: ratio(x.newMembers, x.membersLastWeek),
    retention: ratio(x.returning, x.dau),
    governance: ratio(x.voters, x.members),
    content: ratio(x.qualityMessages, x.messages),
  };
  const out = {} as Record<HealthComponent, ComponentValue>;
  for (const c of HEALTH_COMPONENTS) {
    const r = raw[c];
    const { weight, target } = config[c];
    out[c] = {
      raw: r,
      normalized: r === null ? null : target > 0 ? clamp(r / target, 0, 1) : 1,
      weight,
    };
  }
  return out;
}

/**
 * The composite score, 0–100: 100 · Σ wᵢ·nᵢ / Σ wᵢ over the components that exist. Null when none
 * does (or all weights are zero).
 */
export function healthScore(components: Readonly<Record<HealthComponent, ComponentValue>>): number | null {
  let sum = 0;
  let weights = 0;
  for (const c of HEALTH_COMPONENTS) {
    const v = components[c];
    if (v.normalized === null || v.weight <= 0) continue;
    sum += v.weight * v.normalized;
    weights += v.weight;
  }
  return weights > 0 ? (100 * sum) / weights : null;
}

/** Direction and size of a score's change over a window. */
export interface Trend {
  /** Score at the end minus score at the start (points), or null without both. */
  readonly change: number | null;
  /** Relative change (change / start), or null. */
  readonly relative: number | null;
  readonly direction: "up" | "down" | "flat" | "unknown";
}

/** The trend between a score `days` ago and now; a change under one point is flat. */
export function scoreTrend(start: number | null, end: number | null): Trend {
  if (start === null || end === null) return { change: null, relative: null, direction: "unknown" };
  const change = end - start;
  return {
    change,
    relative: ratio(change, start),
    direction: Math.abs(change) < 1 ? "flat" : change > 0 ? "up" : "down",
  };
}

/** A recommendation: the weak component, how weak, and a concrete action. */
export interface Recommendation {
  readonly component: HealthComponent;
  readonly normalized: number;
  readonly action: string;
}

const ACTIONS: Readonly<Record<HealthComponent, string>> = {
  engagement:
    "Few members are active daily: post a daily prompt or thread and notify members of replies to their messages.",
  positivity:
    "Down-votes are frequent: review the most down-voted content, clarify channel guidelines and pin them.",
  growth:
    "Few members joined this week: share invite links in related channels and make the channel discoverable.",
  retention:
    "Active users do not come back: welcome newcomers personally and follow up on their first posts within a day.",
  governance:
    "Few members vote: shorten ballots, announce open proposals in the channel and remind members before they close.",
  content:
    "Many messages draw moderation action: tighten posting rules, add moderators at peak hours and explain removals.",
};

/**
 * Recommendations for every component whose normalised value is below `threshold` (default 0.6),
 * weakest weighted shortfall first.
 */
export function healthRecommendations(
  components: Readonly<Record<HealthComponent, ComponentValue>>,
  threshold = 0.6,
): Recommendation[] {
  const weak: { r: Recommendation; shortfall: number }[] = [];
  for (const c of HEALTH_COMPONENTS) {
    const v = components[c];
    if (v.normalized === null || v.normalized >= threshold || v.weight <= 0) continue;
    weak.push({
      r: { component: c, normalized: v.normalized, action: ACTIONS[c] },
      shortfall: v.weight * (1 - v.normalized),
    });
  }
  return weak.sort((a, b) => b.shortfall - a.shortfall).map((w) => w.r);
}
