import { isDuration, parseDuration } from "../../model/index.js";
import type { Appendable } from "../../storage/index.js";
import {
  FAULT_KINDS,
  type Fault,
  type FaultInjector,
  type FaultKind,
  FaultRequestError,
  type FaultSpec,
} from "./faults.js";
import { type HistoryStats, httpEventSink, type SimLogger, writeHistory } from "./history.js";
import { LiveNetwork } from "./live.js";
import { Simulation } from "./simulation.js";

/** A scrape job the integrator adds for the demo's targets. */
export interface DemoScrapeJob {
  readonly job_name: string;
  readonly scrape_interval: string;
  readonly targets: readonly string[];
}

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The monitor's base URL, e.g. `http://127.0.0.1:9797`; events go to `<monitorUrl>/api/relay/v1/events`. */
  readonly monitorUrl: string;
  /** Number of nodes. Default 5. */
  readonly nodes?: number;
  /** Channels at the start. Default 20. */
  readonly channels?: number;
  /** Days of history. Default 14. */
  readonly days?: number;
  /** Seed. Default 42. */
  readonly seed?: number;
  /**
   * Where history samples go (the TSDB or its backfill writer). Without it no metric history is
   * written, but community events for the history window are still sent.
   */
  readonly appendable?: Appendable;
  /** Send community events to the monitor. Default true. */
  readonly sendEvents?: boolean;
  /** Interface of the node servers. Default 127.0.0.1. */
  readonly host?: string;
  /** First port (nodes, then the database exporter); 0 for free ports. Default 0. */
  readonly basePort?: number;
  /** Live tick. Default 1000 ms. */
  readonly tickMs?: number;
  /** Resolution of the history. Default 60 000 ms. */
  readonly historyStepMs?: number;
  /** Extra faults (absolute times). */
  readonly faults?: readonly FaultSpec[];
  /** Schedule the default faults in the history. Default true. */
  readonly defaultFaults?: boolean;
  /** The clock. Default Date.now. */
  readonly clock?: () => number;
  readonly logger?: SimLogger;
}

/** A running demo network. */
export interface Demo {
  /** `host:port` of the nodes: scrape job `relay`, 5 s interval, path /metrics. */
  readonly targets: readonly string[];
  /** `host:port` of the simulated database's exporter: scrape job `postgres`. */
  readonly dbTarget: string;
  /** Both scrape jobs, ready to add to the scrape manager. */
  readonly scrapeJobs: readonly DemoScrapeJob[];
  readonly simulation: Simulation;
  /** The fault injector; `faults.faults()` is the ground truth of injected fault windows. */
  readonly faults: FaultInjector;
  /** Handlers for the fault routes. */
  readonly api: FaultApi;
  /** What the history wrote (samples are 0 without an appendable). */
  readonly history: HistoryStats;
  /** Stops the live network: ticking, event sending and every server. */
  stop(): Promise<void>;
}

/**
 * Starts the simulated Relay network beside the monitor: binds the node and database servers (so
 * their `instance` labels are known), writes `days` of history into `appendable` and sends that
 * history's community events to the monitor, then goes live. Call it before the monitor starts
 * appending scraped samples of its own when `appendable` is the head (it refuses samples more
 * than an hour older than its newest), then add `scrapeJobs`.
 * @example
 * const demo = await startDemo({ monitorUrl: "http://127.0.0.1:9797", appendable: db });
 * scrapeManager.addJobs(demo.scrapeJobs); // then, on shutdown: await demo.stop();
 */
export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const clock = opts.clock ?? Date.now;
  const sim = new Simulation({
    seed: opts.seed,
    nodes: opts.nodes,
    channels: opts.channels,
    days: opts.days,
    now: clock(),
    clock,
    faults: opts.faults,
    defaultFaults: opts.defaultFaults,
  });
  const events =
    (opts.sendEvents ?? true)
      ? httpEventSink(`${opts.monitorUrl.replace(/\/+$/, "")}/api/relay/v1/events`, opts.logger)
      : undefined;
  const live = new LiveNetwork(sim, {
    host: opts.host,
    basePort: opts.basePort,
    tickMs: opts.tickMs,
    events,
    clock,
    logger: opts.logger,
  });
  const instances = await live.listen();
  try {
    const { stats } = await writeHistory({
      simulation: sim,
      appendable: opts.appendable,
      instances,
      events,
      stepMs: opts.historyStepMs,
      logger: opts.logger,
    });
    live.start();
    const api = faultApi(sim.faults);
    return {
      targets: instances.nodes,
      dbTarget: instances.db,
      scrapeJobs: [
        { job_name: "relay", scrape_interval: "5s", targets: instances.nodes },
        { job_name: "postgres", scrape_interval: "15s", targets: [instances.db] },
      ],
      simulation: sim,
      faults: sim.faults,
      api,
      history: stats,
      stop: () => live.stop(),
    };
  } catch (err) {
    await live.stop();
    throw err;
  }
}

/** An HTTP answer of the fault API: status and JSON body (Prometheus's envelope). */
export interface FaultApiResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Handlers of the fault routes, for the HTTP layer to mount. */
export interface FaultApi {
  /** `GET /api/relay/v1/sim/faults`: every fault (the ground truth), sorted by start. */
  list(): FaultApiResponse;
  /**
   * `POST /api/relay/v1/sim/faults` with a JSON body `{ kind, node?, channel?, duration }`:
   * `duration` is seconds (number) or a Prometheus duration (`"5m"`), default 5 minutes. Answers
   * 200 with the fault, or 400 naming the bad field.
   */
  inject(body: unknown): FaultApiResponse;
}

function faultJson(f: Fault) {
  return {
    id: f.id,
    kind: f.kind,
    target: f.target,
    start: new Date(f.start).toISOString(),
    end: new Date(f.end).toISOString(),
    startMs: f.start,
    endMs: f.end,
    source: f.source,
  };
}

/** The fault routes' handlers over `injector`. */
export function faultApi(injector: FaultInjector): FaultApi {
  const bad = (error: string): FaultApiResponse => ({
    status: 400,
    body: { status: "error", errorType: "bad_data", error },
  });
  return {
    list: () => ({ status: 200, body: { status: "success", data: injector.faults().map(faultJson) } }),
    inject(body) {
      if (typeof body !== "object" || body === null || Array.isArray(body))
        return bad("body: expected a JSON object");
      const b = body as Record<string, unknown>;
      if (typeof b.kind !== "string" || !FAULT_KINDS.includes(b.kind as FaultKind)) {
        return bad(`kind: expected one of ${FAULT_KINDS.join(", ")}`);
      }
      let durationMs = 300_000;
      if (typeof b.duration === "number") durationMs = b.duration * 1000;
      else if (typeof b.duration === "string") {
        if (!isDuration(b.duration)) return bad('duration: expected seconds or a duration like "5m"');
        durationMs = parseDuration(b.duration);
      } else if (b.duration !== undefined) return bad('duration: expected seconds or a duration like "5m"');
      const target = b.node ?? b.channel ?? b.target;
      if (target !== undefined && typeof target !== "string") return bad("node: expected a string");
      try {
        const f = injector.inject(b.kind as FaultKind, { target, durationMs });
        return { status: 200, body: { status: "success", data: faultJson(f) } };
      } catch (err) {
        if (err instanceof FaultRequestError) return bad(err.message);
        throw err;
      }
    },
  };
}
