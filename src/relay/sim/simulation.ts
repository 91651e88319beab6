import type { RelayEvent } from "./events.js";
import { defaultHistoryFaults, FaultInjector, type FaultSpec } from "./faults.js";
import { Network, nodeNames } from "./network.js";
import { COFFEE_SHOP, DAY_MS } from "./world.js";

/** Options of {@link Simulation}. */
export interface SimulationOptions {
  /** Seed of every random draw. Default 42. */
  readonly seed?: number;
  /** Number of Relay nodes. Default 5. */
  readonly nodes?: number;
  /** Channels at the start, one of them Maria's Coffee Shop. Default 20. */
  readonly channels?: number;
  /** Users at the start. Default 100 per channel. */
  readonly users?: number;
  /** Days of history before `now`. Default 14. */
  readonly days?: number;
  /** The moment history ends and live begins (epoch ms). Default Date.now(). */
  readonly now?: number;
  /** Clock of faults injected by API (default Date.now). */
  readonly clock?: () => number;
  /** Faults to schedule (absolute times; past ones land in the history, future ones in live). */
  readonly faults?: readonly FaultSpec[];
  /** Schedule {@link defaultHistoryFaults} in the history window. Default true. */
  readonly defaultFaults?: boolean;
}

/**
 * A simulated Relay network on a timeline: it starts `days` before `now` and moves forward only,
 * through {@link Simulation.advance}. History and live mode both drive it; the same seed and `now`
 * give the same series and events.
 */
export class Simulation {
  readonly seed: number;
  readonly start: number;
  readonly now: number;
  readonly network: Network;
  readonly faults: FaultInjector;
  readonly nodeNames: readonly string[];
  private t: number;

  constructor(opts: SimulationOptions = {}) {
    this.seed = opts.seed ?? 42;
    const nodes = opts.nodes ?? 5;
    const channels = opts.channels ?? 20;
    const days = opts.days ?? 14;
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 64)
      throw new RangeError(`nodes: expected 1 to 64, got ${nodes}`);
    if (!Number.isInteger(channels) || channels < 1 || channels > 500) {
      throw new RangeError(`channels: expected 1 to 500, got ${channels}`);
    }
    if (!(days >= 0 && days <= 35))
      throw new RangeError(`days: expected 0 to 35 (the privacy retention), got ${days}`);
    this.now = Math.floor((opts.now ?? Date.now()) / 1000) * 1000;
    this.start = this.now - Math.round(days * DAY_MS);
    this.t = this.start;
    this.nodeNames = nodeNames(nodes);
    let network: Network | undefined;
    this.faults = new FaultInjector({
      now: opts.clock,
      nodes: this.nodeNames,
      channels: () => network?.world.channels.map((c) => c.slug) ?? [],
    });
    network = new Network({
      seed: this.seed,
      nodes,
      channels,
      users: opts.users,
      start: this.start,
      faults: this.faults,
    });
    this.network = network;
    if ((opts.defaultFaults ?? true) && days >= 1) {
      const struggling = network.world.channels.find((c) => c.struggling)?.slug ?? COFFEE_SHOP.slug;
      for (const f of defaultHistoryFaults(
        this.start,
        this.now,
        this.nodeNames,
        COFFEE_SHOP.slug,
        struggling,
      )) {
        this.faults.schedule(f);
      }
    }
    for (const f of opts.faults ?? []) this.faults.schedule(f);
  }

  /** The simulated time reached so far (epoch ms). */
  get time(): number {
    return this.t;
  }

  /**
   * Moves the network to `to` in steps of at most `maxStepMs`, returning the community events of
   * the interval in time order. A `to` not after the current time does nothing.
   */
  advance(to: number, maxStepMs = 60_000): RelayEvent[] {
    const out: RelayEvent[] = [];
    while (this.t < to) {
      const t1 = Math.min(to, this.t + maxStepMs);
      for (const e of this.network.step(this.t, t1)) out.push(e);
      this.t = t1;
    }
    return out;
  }
}
