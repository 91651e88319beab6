import type { Matcher } from "../model/index.js";
import type { RouteConfig } from "./config.js";
import { formatLabelSet } from "./fingerprint.js";
import { formatMatchers, matchRecord, parseMatcher, parseMatchers } from "./matchers.js";

/** Alertmanager's defaults for the root route. */
export const DEFAULT_ROUTE_TIMING = {
  groupWait: 30_000,
  groupInterval: 5 * 60_000,
  repeatInterval: 4 * 3600_000,
  /** Relay's addition: the seed's least time between two notifications of the same alert. */
  cooldown: 5 * 60_000,
};

/** The settings a route applies to the groups it forms, inherited from its parent when unset. */
export interface RouteOptions {
  readonly receiver: string;
  /** Labels to group by; ignored when `groupByAll` is set (`group_by: ['...']`). */
  readonly groupBy: readonly string[];
  readonly groupByAll: boolean;
  readonly groupWait: number;
  readonly groupInterval: number;
  readonly repeatInterval: number;
  /** Relay: least time between two firing notifications of the same alert (0 = none). */
  readonly cooldown: number;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
}

/** A node of the routing tree. Matching follows Alertmanager: depth first, `continue` to go on. */
export class Route {
  readonly parent: Route | undefined;
  readonly options: RouteOptions;
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly routes: readonly Route[];
  /** Position among its siblings (0 for the root). */
  readonly index: number;
  private readonly keyText: string;

  constructor(cfg: RouteConfig, parent?: Route, index = 0) {
    this.parent = parent;
    this.index = index;
    const p = parent?.options;
    const groupBy = cfg.group_by ?? p?.groupBy ?? [];
    const byAll = cfg.group_by ? cfg.group_by.includes("...") : (p?.groupByAll ?? false);
    this.options = {
      receiver: cfg.receiver ?? p?.receiver ?? "",
      groupBy: byAll ? [] : [...groupBy].sort(),
      groupByAll: byAll,
      groupWait: cfg.group_wait ?? p?.groupWait ?? DEFAULT_ROUTE_TIMING.groupWait,
      groupInterval: cfg.group_interval ?? p?.groupInterval ?? DEFAULT_ROUTE_TIMING.groupInterval,
      repeatInterval: cfg.repeat_interval ?? p?.repeatInterval ?? DEFAULT_ROUTE_TIMING.repeatInterval,
      cooldown: cfg.cooldown ?? p?.cooldown ?? DEFAULT_ROUTE_TIMING.cooldown,
      muteTimeIntervals: cfg.mute_time_intervals,
      activeTimeIntervals: cfg.active_time_intervals,
    };
    const ms: Matcher[] = [];
    for (const [k, v] of Object.entries(cfg.match)) ms.push(parseMatcher(`${k}=${JSON.stringify(v)}`));
    for (const [k, v] of Object.entries(cfg.match_re)) ms.push(parseMatcher(`${k}=~${JSON.stringify(v)}`));
    for (const s of cfg.matchers) ms.push(...parseMatchers(s));
    ms.sort((a, b) =>
      a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : a.type < b.type
            ? -1
            : a.type > b.type
              ? 1
              : a.value < b.value
                ? -1
                : a.value > b.value
                  ? 1
                  : 0,
    );
    this.matchers = ms;
    this.continue = cfg.continue;
    this.keyText = parent ? `${parent.key()}/${formatMatchers(ms)}` : formatMatchers(ms);
    this.routes = cfg.routes.map((c, i) => new Route(c, this, i));
  }

  /** Alertmanager's route key: the parent's key, `/`, and this route's matchers (`{}/{a="b"}`). */
  key(): string {
    return this.keyText;
  }

  /** A unique id that also tells apart siblings with equal matchers (`{}/{a="b"}/1`). */
  id(): string {
    return this.parent ? `${this.key()}/${this.index}` : this.key();
  }

  /**
   * The routes an alert with these labels goes to: the deepest matching routes, siblings tried in
   * order and stopping at the first match unless it has `continue: true`; the route itself when no
   * child matches; nothing when its own matchers fail.
   */
  match(labels: Readonly<Record<string, string>>): Route[] {
    if (!matchRecord(this.matchers, labels)) return [];
    const all: Route[] = [];
    for (const child of this.routes) {
      const found = child.match(labels);
      all.push(...found);
      if (found.length > 0 && !child.continue) break;
    }
    return all.length > 0 ? all : [this];
  }

  /** The labels of an alert this route groups by. */
  groupLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
    if (this.options.groupByAll) return { ...labels };
    const out: Record<string, string> = {};
    for (const l of this.options.groupBy) if (labels[l] !== undefined && labels[l] !== "") out[l] = labels[l];
    return out;
  }

  /** Alertmanager's group key: `routeKey:{groupLabels}`. */
  groupKey(groupLabels: Readonly<Record<string, string>>): string {
    return `${this.key()}:${formatLabelSet(groupLabels)}`;
  }

  /** Every route of the tree, depth first. */
  walk(fn: (r: Route) => void): void {
    fn(this);
    for (const c of this.routes) c.walk(fn);
  }
}
