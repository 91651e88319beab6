/** The kinds of fault the simulator can inject. */
export const FAULT_KINDS = [
  "node_down",
  "slow_consensus",
  "latency_spike",
  "toxic_burst",
  "db_slowdown",
] as const;

/** One of {@link FAULT_KINDS}. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * An injected fault: the ground truth anomaly detection is scored against. `target` is a node name
 * (node_down; latency_spike on one node), a channel slug (toxic_burst), `network` (slow_consensus;
 * latency_spike on every node) or `db` (db_slowdown). Times are epoch ms; the window is [start, end).
 */
export interface Fault {
  readonly id: string;
  readonly kind: FaultKind;
  readonly target: string;
  readonly start: number;
  readonly end: number;
  /** `schedule` for faults planned in options or the default history, `api` for {@link FaultInjector.inject}. */
  readonly source: "schedule" | "api";
}

/** A fault to schedule: when, for how long, and on what. */
export interface FaultSpec {
  readonly kind: FaultKind;
  /** Start time, epoch ms. */
  readonly at: number;
  readonly durationMs: number;
  /** Node name for node_down / latency_spike (default: the first node; `network` for every node), channel slug for toxic_burst. */
  readonly target?: string;
}

/** Options of {@link FaultInjector}. */
export interface FaultInjectorOptions {
  /** The clock used by {@link FaultInjector.inject} (default Date.now). */
  readonly now?: () => number;
  /** Node names, for validation and defaults. */
  readonly nodes: readonly string[];
  /** Channel slugs that exist now, for validation; the first is the default toxic_burst target. */
  readonly channels: () => readonly string[];
}

/** A fault request refused: what is wrong, naming the field. */
export class FaultRequestError extends Error {
  override name = "FaultRequestError";
}

/** Longest fault accepted: one day. */
export const MAX_FAULT_MS = 86_400_000;

/**
 * Plans and records faults. Scheduled faults and those injected now share one list, which the
 * simulator consults at each step (`active`) and which is exported as ground truth (`faults`).
 */
export class FaultInjector {
  private readonly list: Fault[] = [];
  private seq = 0;
  private readonly now: () => number;

  constructor(private readonly opts: FaultInjectorOptions) {
    this.now = opts.now ?? Date.now;
  }

  private defaultTarget(kind: FaultKind): string {
    switch (kind) {
      case "node_down":
        return this.opts.nodes[this.opts.nodes.length > 2 ? 2 : 0]!;
      case "latency_spike":
        return "network";
      case "slow_consensus":
        return "network";
      case "db_slowdown":
        return "db";
      case "toxic_burst":
        return this.opts.channels()[0] ?? "marias-coffee-shop";
    }
  }

  private validate(spec: FaultSpec): string {
    if (!FAULT_KINDS.includes(spec.kind))
      throw new FaultRequestError(`kind: expected one of ${FAULT_KINDS.join(", ")}`);
    if (!Number.isFinite(spec.at)) throw new FaultRequestError("at: expected epoch milliseconds");
    if (!Number.isFinite(spec.durationMs) || spec.durationMs <= 0 || spec.durationMs > MAX_FAULT_MS) {
      throw new FaultRequestError(
        `duration: expected a positive number of milliseconds up to ${MAX_FAULT_MS}`,
      );
    }
    const target = spec.target ?? this.defaultTarget(spec.kind);
    switch (spec.kind) {
      case "node_down":
        if (!this.opts.nodes.includes(target)) {
          throw new FaultRequestError(`node: expected one of ${this.opts.nodes.join(", ")}`);
        }
        break;
      case "latency_spike":
        if (target !== "network" && !this.opts.nodes.includes(target)) {
          throw new FaultRequestError(`node: expected "network" or one of ${this.opts.nodes.join(", ")}`);
        }
        break;
      case "toxic_burst":
        if (!this.opts.channels().includes(target))
          throw new FaultRequestError(`channel: no channel ${JSON.stringify(target)}`);
        break;
      case "slow_consensus":
        if (target !== "network")
          throw new FaultRequestError('target: slow_consensus affects the whole network ("network")');
        break;
      case "db_slowdown":
        if (target !== "db") throw new FaultRequestError('target: db_slowdown affects the database ("db")');
        break;
    }
    return target;
  }

  private add(spec: FaultSpec, source: Fault["source"]): Fault {
    const target = this.validate(spec);
    const fault: Fault = {
      id: `fault-${++this.seq}`,
      kind: spec.kind,
      target,
      start: Math.floor(spec.at),
      end: Math.floor(spec.at + spec.durationMs),
      source,
    };
    this.list.push(fault);
    this.list.sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
    return fault;
  }

  /** Schedules a fault at `spec.at` (past or future). Throws {@link FaultRequestError} for a bad spec. */
  schedule(spec: FaultSpec): Fault {
    return this.add(spec, "schedule");
  }

  /**
   * Starts a fault now, for `durationMs`, on `target` (see {@link FaultSpec.target}).
   * @example injector.inject("node_down", { target: "relay-node-2", durationMs: 60_000 })
   */
  inject(kind: FaultKind, opts: { target?: string; durationMs: number }): Fault {
    return this.add({ kind, at: this.now(), durationMs: opts.durationMs, target: opts.target }, "api");
  }

  /** Every fault, past, present and planned, sorted by start: the ground truth. */
  faults(): Fault[] {
    return [...this.list];
  }

  /**
   * The fault of `kind` active at `t` whose target is `target` (or, for node- and network-wide
   * kinds, `network`), if any.
   */
  active(kind: FaultKind, t: number, target?: string): Fault | undefined {
    for (const f of this.list) {
      if (f.start > t) break;
      if (
        f.kind === kind &&
        t < f.end &&
        (target === undefined || f.target === target || f.target === "network")
      ) {
        return f;
      }
    }
    return undefined;
  }
}

/**
 * A few faults spread over a history window [from, to) so anomaly detection and alerts have
 * something to find in the demo's past: a database slowdown, a node down, a toxic burst, slow
 * consensus and a latency spike, each 10–30 minutes, placed at fixed fractions of the window.
 */
export function defaultHistoryFaults(
  from: number,
  to: number,
  nodes: readonly string[],
  coffeeShop: string,
  struggling: string,
): FaultSpec[] {
  const span = to - from;
  const at = (frac: number, hourUtc: number) => {
    const day = Math.floor((from + span * frac) / 86_400_000) * 86_400_000;
    return Math.min(to - 3_600_000, Math.max(from, day + hourUtc * 3_600_000));
  };
  const node = (i: number) => nodes[i % nodes.length]!;
  return [
    { kind: "db_slowdown", at: at(0.25, 14), durationMs: 20 * 60_000, target: "db" },
    { kind: "node_down", at: at(0.4, 9.5), durationMs: 15 * 60_000, target: node(2) },
    { kind: "toxic_burst", at: at(0.55, 19), durationMs: 30 * 60_000, target: struggling },
    { kind: "slow_consensus", at: at(0.7, 11), durationMs: 20 * 60_000, target: "network" },
    { kind: "latency_spike", at: at(0.85, 16), durationMs: 10 * 60_000, target: node(1) },
    { kind: "toxic_burst", at: at(0.92, 8), durationMs: 15 * 60_000, target: coffeeShop },
  ];
}
