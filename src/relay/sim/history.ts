import { type Labels, labelsFromRecord, STALE_NAN } from "../../model/index.js";
import type { Appendable, Appender } from "../../storage/index.js";
import type { RelayEvent } from "./events.js";
import type { SeriesStore } from "./series.js";
import { Simulation, type SimulationOptions } from "./simulation.js";

/** Where a simulated target's series are said to come from: the labels a scrape would attach. */
export interface TargetInstances {
  /** `host:port` of each node, in node order (the `instance` label of job `relay`). */
  readonly nodes: readonly string[];
  /** `host:port` of the database exporter (the `instance` label of job `postgres`). */
  readonly db: string;
}

/** Receives batches of community events, in time order. */
export type EventSink = (events: readonly RelayEvent[]) => Promise<void>;

/** Minimal logger the simulator writes to. */
export interface SimLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/** Options of {@link writeHistory}. */
export interface WriteHistoryOptions extends SimulationOptions {
  /**
   * Where samples go: the TSDB (head or DB) or its backfill writer — anything that hands out
   * Appenders. Samples are appended in time order across all series (each batch covers
   * `commitEveryMs`), so a head that has not yet taken newer samples accepts them.
   */
  readonly appendable?: Appendable;
  /** Continue this simulation (as `startDemo` does) instead of making one from the options. */
  readonly simulation?: Simulation;
  /** The instance labels; default `127.0.0.1:9101`… for nodes and `127.0.0.1:9187` for the database. */
  readonly instances?: TargetInstances;
  /** Where community events go (e.g. {@link httpEventSink}). Default: dropped. */
  readonly events?: EventSink;
  /** Shorthand for `events: httpEventSink(eventsUrl, logger)`, e.g. `http://127.0.0.1:9797/api/relay/v1/events`. */
  readonly eventsUrl?: string;
  /**
   * Events per batch handed to `events`. Default 5000 (half the monitor's default `max_events`;
   * larger batches cost the monitor fewer sketch writes; {@link httpEventSink} splits a batch the
   * monitor refuses as too large).
   */
  readonly eventBatch?: number;
  /** Resolution of the history. Default 60 000 ms. */
  readonly stepMs?: number;
  /** Samples per Appender batch, in simulated time. Default one hour. */
  readonly commitEveryMs?: number;
  readonly logger?: SimLogger;
}

/** What {@link writeHistory} wrote. */
export interface HistoryStats {
  readonly from: number;
  readonly to: number;
  readonly series: number;
  readonly samples: number;
  /** Samples the store refused (out of bounds, out of order...), by error name. */
  readonly rejected: Readonly<Record<string, number>>;
  readonly events: number;
  readonly tookMs: number;
}

/** The default instance labels of {@link writeHistory} for `nodes` nodes. */
export function defaultInstances(nodes: number): TargetInstances {
  return { nodes: Array.from({ length: nodes }, (_, i) => `127.0.0.1:${9101 + i}`), db: "127.0.0.1:9187" };
}

interface TargetWriter {
  readonly store: SeriesStore;
  readonly base: Readonly<Record<string, string>>;
  readonly labels: Labels[];
  readonly refs: number[];
  readonly upLabels: Labels;
  upRef: number;
  wasUp: boolean;
}

/**
 * Writes the simulated network's history — every node's SDK, host and `up` series and the
 * database's series, with the `job`/`instance` labels a scrape would attach — through Appenders
 * in time order, and hands the community events of the same days to `events`. Returns the
 * simulation, positioned at its `now`, ready to go live with counters continuing where the history
 * left them.
 * @example
 * const { simulation, stats } = await writeHistory({ appendable: head, days: 2, seed: 7 });
 */
export async function writeHistory(
  opts: WriteHistoryOptions,
): Promise<{ simulation: Simulation; stats: HistoryStats }> {
  const started = performance.now();
  const sim = opts.simulation ?? new Simulation(opts);
  const instances = opts.instances ?? defaultInstances(sim.nodeNames.length);
  const stepMs = opts.stepMs ?? 60_000;
  const commitEvery = opts.commitEveryMs ?? 3_600_000;
  const batchSize = opts.eventBatch ?? 5000;
  const sink = opts.events ?? (opts.eventsUrl ? httpEventSink(opts.eventsUrl, opts.logger) : undefined);
  const from = sim.time;
  const targets: TargetWriter[] = sim.network.nodes.map((n, i) =>
    target(n.store, "relay", instances.nodes[i]!, n.name),
  );
  targets.push(target(sim.network.db, "postgres", instances.db));
  const rejected: Record<string, number> = {};
  let samples = 0;
  let events = 0;
  let pending: RelayEvent[] = [];
  let app: Appender | undefined;
  let batchStart = from;

  const append = (ref: number, labels: Labels, t: number, v: number): number => {
    try {
      const r = app!.append(ref, ref === 0 ? labels : null, t, v);
      samples++;
      return r;
    } catch (err) {
      const name = err instanceof Error ? err.name : "Error";
      rejected[name] = (rejected[name] ?? 0) + 1;
      return ref;
    }
  };

  while (sim.time < sim.now) {
    const t = Math.min(sim.now, sim.time + stepMs);
    for (const e of sim.advance(t, stepMs)) pending.push(e);
    if (opts.appendable) {
      app ??= opts.appendable.appender();
      for (let i = 0; i < targets.length; i++) {
        const w = targets[i]!;
        const up = i >= sim.network.nodes.length || sim.network.isUp(i, t);
        w.upRef = append(w.upRef, w.upLabels, t, up ? 1 : 0);
        if (up) {
          const vals = w.store.values;
          for (let k = 0; k < w.store.size; k++) {
            const labels = w.labels[k] ?? seriesLabels(w, k);
            w.refs[k] = append(w.refs[k] ?? 0, labels, t, vals[k]!);
          }
        } else if (w.wasUp) {
          for (let k = 0; k < w.labels.length; k++)
            w.refs[k] = append(w.refs[k] ?? 0, w.labels[k]!, t, STALE_NAN);
        }
        w.wasUp = up;
      }
      if (t - batchStart >= commitEvery || t >= sim.now) {
        await app.commit();
        app = undefined;
        batchStart = t;
      }
    }
    if (pending.length >= batchSize || (t >= sim.now && pending.length > 0)) {
      events += pending.length;
      if (sink) {
        for (let i = 0; i < pending.length; i += batchSize) await sink(pending.slice(i, i + batchSize));
      }
      pending = [];
    }
  }
  const refused = Object.entries(rejected);
  if (refused.length > 0) {
    opts.logger?.warn(
      `simulator history: the store refused ${refused.map(([k, v]) => `${v} samples (${k})`).join(", ")}; ` +
        "history must be written before anything appends newer samples (or through the TSDB's backfill path)",
    );
  }
  let series = 0;
  for (const w of targets) series += w.store.size + 1;
  const stats: HistoryStats = {
    from,
    to: sim.time,
    series,
    samples,
    rejected,
    events,
    tookMs: Math.round(performance.now() - started),
  };
  opts.logger?.info(
    `simulator history: ${stats.samples} samples of ${stats.series} series and ${stats.events} events ` +
      `from ${new Date(from).toISOString()} in ${stats.tookMs} ms`,
  );
  return { simulation: sim, stats };
}

function target(store: SeriesStore, job: string, instance: string, node?: string): TargetWriter {
  const base: Record<string, string> = node ? { job, instance, node } : { job, instance };
  return {
    store,
    base,
    labels: [],
    refs: [],
    upLabels: labelsFromRecord({ __name__: "up", job, instance }),
    upRef: 0,
    wasUp: true,
  };
}

function seriesLabels(w: TargetWriter, k: number): Labels {
  const s = w.store.series[k]!;
  const ls = labelsFromRecord({ ...s.labels, ...w.base, __name__: s.name });
  w.labels[k] = ls;
  return ls;
}

/**
 * An {@link EventSink} that POSTs batches as a JSON array to the monitor's
 * `/api/relay/v1/events`. A batch refused as too large (413: over the monitor's `max_events` or
 * `max_body_bytes`) is split in halves until it fits. A 404 (route not wired) or an unreachable
 * monitor is reported once and further batches are dropped; other refusals are reported once per
 * status.
 */
export function httpEventSink(url: string, logger?: SimLogger): EventSink {
  let disabled = false;
  const warned = new Set<string>();
  const warnOnce = (key: string, msg: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    logger?.warn(msg);
  };
  const send = async (events: readonly RelayEvent[]): Promise<void> => {
    if (disabled || events.length === 0) return;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(events),
      });
      if (res.status === 413 && events.length > 1) {
        await res.arrayBuffer();
        const half = Math.ceil(events.length / 2);
        await send(events.slice(0, half));
        await send(events.slice(half));
      } else if (res.status === 404) {
        disabled = true;
        warnOnce(
          "404",
          `simulator: ${url} answered 404; community events are not sent (is the events route wired?)`,
        );
      } else if (!res.ok) {
        const text = (await res.text()).slice(0, 300);
        warnOnce(
          String(res.status),
          `simulator: ${url} refused a batch of ${events.length} events: ${res.status} ${text}`,
        );
      } else {
        await res.arrayBuffer();
      }
    } catch (err) {
      disabled = true;
      warnOnce(
        "net",
        `simulator: cannot reach ${url} (${err instanceof Error ? err.message : String(err)}); events are not sent`,
      );
    }
  };
  return send;
}
