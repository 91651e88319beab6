import type { Registry } from "prom-client";
import { hashString, labelsToRecord } from "../../model/index.js";
import type { Appendable } from "../../storage/index.js";
import { type CompiledJob, compileJob, InvalidScrapeConfigError, type ScrapeJob } from "./config.js";
import {
  type LoopTarget,
  type ScrapeLogger,
  ScrapeLoop,
  type ScrapeReport,
  type TargetInfo,
} from "./loop.js";
import { ScrapeMetrics } from "./metrics.js";
import { Semaphore } from "./semaphore.js";
import { populateLabels, publicLabels, scrapeUrl, targetKey } from "./target.js";

/** Options for {@link ScrapeManager}. */
export interface ScrapeManagerOptions {
  /** Where scraped samples go. */
  readonly appendable: Appendable;
  readonly logger?: ScrapeLogger;
  /** Most HTTP scrapes in flight at once across all targets (default 32). */
  readonly maxConcurrentScrapes?: number;
  /** Registers the manager's own metrics here (see {@link ScrapeMetrics}). */
  readonly registry?: Registry;
  /** Called after every scrape. */
  readonly onScrape?: (report: ScrapeReport) => void;
  /** Maps a scrape URL to the `globalUrl` shown in `/api/v1/targets` (default: unchanged). */
  readonly globalUrl?: (url: string) => string;
  /**
   * Upper bound of the start offset that spreads targets over their interval (default 5000 ms):
   * a target's first scrape happens within min(interval, this) of `start()`.
   */
  readonly maxStartOffsetMs?: number;
}

const NOOP_LOGGER: ScrapeLogger = { debug() {}, info() {}, warn() {}, error() {} };
const ZERO_TIME = "0001-01-01T00:00:00Z";

/**
 * Scrapes targets with Prometheus's semantics. Life cycle: construct, `applyConfig(jobs)`,
 * `start()`, `applyConfig` again on reload, `stop()`. On reload, a target whose labels and URL
 * are unchanged keeps its loop (and series cache); a removed target's loop stops and marks all its
 * series stale; a new target starts at a stable offset within its interval.
 * @example
 * const sm = new ScrapeManager({ appendable: head });
 * sm.applyConfig(config.scrape_configs);
 * sm.start();
 */
export class ScrapeManager {
  private readonly opts: ScrapeManagerOptions;
  private readonly logger: ScrapeLogger;
  private readonly metrics: ScrapeMetrics;
  private readonly semaphore: Semaphore;
  private readonly loops = new Map<string, ScrapeLoop>();
  private dropped: TargetInfo[] = [];
  private readonly stopping = new Set<Promise<void>>();
  private started = false;
  private stopped = false;

  constructor(opts: ScrapeManagerOptions) {
    this.opts = opts;
    this.logger = opts.logger ?? NOOP_LOGGER;
    this.metrics = new ScrapeMetrics(opts.registry);
    this.semaphore = new Semaphore(Math.max(1, opts.maxConcurrentScrapes ?? 32));
  }

  /**
   * Replaces the scrape configuration. Validates every job first and throws
   * {@link InvalidScrapeConfigError} without changing anything when one is bad.
   */
  applyConfig(jobs: readonly ScrapeJob[]): void {
    const compiled: CompiledJob[] = [];
    const names = new Set<string>();
    for (const job of jobs) {
      if (names.has(job.job_name)) {
        throw new InvalidScrapeConfigError(
          `found multiple scrape configs with job name ${JSON.stringify(job.job_name)}`,
        );
      }
      names.add(job.job_name);
      compiled.push(compileJob(job));
    }
    const desired = new Map<string, LoopTarget>();
    const dropped: TargetInfo[] = [];
    for (const cj of compiled) {
      for (const group of cj.job.static_configs) {
        for (const address of group.targets) {
          const r = populateLabels(cj, address, group.labels);
          if (r.kind === "dropped") {
            if (r.reason !== "dropped by relabelling") {
              this.logger.warn({ job: cj.job.job_name, address, reason: r.reason }, "target dropped");
            }
            dropped.push(droppedInfo(cj, r.discovered));
            continue;
          }
          const url = scrapeUrl(cj, r.labels);
          const key = targetKey(cj.job.job_name, r.labels, url);
          if (desired.has(key)) continue;
          desired.set(key, {
            cj,
            key,
            discovered: r.discovered,
            labels: r.labels,
            publicLabels: publicLabels(r.labels),
            url,
            interval: r.interval,
            timeout: r.timeout,
          });
        }
      }
    }
    for (const [key, loop] of this.loops) {
      const next = desired.get(key);
      if (next !== undefined) {
        loop.update(next);
        continue;
      }
      this.loops.delete(key);
      const p = loop.stop(true).finally(() => this.stopping.delete(p));
      this.stopping.add(p);
    }
    for (const [key, target] of desired) {
      if (this.loops.has(key)) continue;
      const loop = new ScrapeLoop(
        {
          appendable: this.opts.appendable,
          logger: this.logger,
          metrics: this.metrics,
          semaphore: this.semaphore,
          globalUrl: this.opts.globalUrl ?? ((u) => u),
          ...(this.opts.onScrape ? { onScrape: this.opts.onScrape } : {}),
        },
        target,
      );
      this.loops.set(key, loop);
      if (this.started && !this.stopped) loop.start(this.offset(target));
    }
    this.dropped = dropped;
    this.metrics.targets.reset();
    for (const loop of this.loops.values())
      this.metrics.targets.inc({ job: loop.current.cj.job.job_name, state: "active" });
    for (const d of dropped) this.metrics.targets.inc({ job: d.scrapePool, state: "dropped" });
  }

  /** Starts every loop, each at its stable offset. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const loop of this.loops.values()) loop.start(this.offset(loop.current));
  }

  /**
   * Stops all loops and waits for scrapes in flight. Like Prometheus on shutdown, it writes no
   * stale markers (a restart continues the series).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.loops.values()].map((l) => l.stop(false)));
    await Promise.all([...this.stopping]);
  }

  /** Active targets (in job, then URL order) followed by dropped ones. */
  targets(): TargetInfo[] {
    const active = [...this.loops.values()]
      .map((l) => l.info())
      .sort((a, b) =>
        a.scrapePool !== b.scrapePool
          ? a.scrapePool < b.scrapePool
            ? -1
            : 1
          : a.scrapeUrl < b.scrapeUrl
            ? -1
            : 1,
      );
    return [...active, ...this.dropped];
  }

  private offset(t: LoopTarget): number {
    const span = Math.min(t.interval, this.opts.maxStartOffsetMs ?? 5000);
    return span <= 0 ? 0 : hashString(t.key) % span;
  }
}

function droppedInfo(cj: CompiledJob, discovered: LoopTarget["discovered"]): TargetInfo {
  return {
    state: "dropped",
    discoveredLabels: labelsToRecord(discovered),
    labels: {},
    scrapePool: cj.job.job_name,
    scrapeUrl: "",
    globalUrl: "",
    lastError: "",
    lastScrape: ZERO_TIME,
    lastScrapeDuration: 0,
    health: "unknown",
    scrapeInterval: "",
    scrapeTimeout: "",
  };
}

/** The `data` object of Prometheus's `/api/v1/targets` answer. */
export interface TargetsData {
  activeTargets: Array<Omit<TargetInfo, "state">>;
  droppedTargets: Array<{ discoveredLabels: Record<string, string>; scrapePool: string }>;
  droppedTargetCounts: Record<string, number>;
}

/**
 * Renders targets as Prometheus's `/api/v1/targets` `data`, honouring its `state`
 * (`active`, `dropped`, `any`; default any) and `scrapePool` parameters.
 * @example reply.send({ status: "success", data: renderTargets(sm.targets(), { state: "active" }) })
 */
export function renderTargets(
  targets: readonly TargetInfo[],
  opts: { state?: string; scrapePool?: string } = {},
): TargetsData {
  const state = (opts.state ?? "any").toLowerCase();
  const pool = opts.scrapePool ?? "";
  const inPool = (t: TargetInfo) => pool === "" || t.scrapePool === pool;
  const data: TargetsData = { activeTargets: [], droppedTargets: [], droppedTargetCounts: {} };
  for (const t of targets) {
    if (t.state === "dropped")
      data.droppedTargetCounts[t.scrapePool] = (data.droppedTargetCounts[t.scrapePool] ?? 0) + 1;
    if (!inPool(t)) continue;
    if (t.state === "active" && (state === "any" || state === "active")) {
      const { state: _s, ...rest } = t;
      data.activeTargets.push(rest);
    } else if (t.state === "dropped" && (state === "any" || state === "dropped")) {
      data.droppedTargets.push({ discoveredLabels: t.discoveredLabels, scrapePool: t.scrapePool });
    }
  }
  return data;
}
