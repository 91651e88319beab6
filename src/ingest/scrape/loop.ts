import {
  formatDuration,
  type Labels,
  LabelsBuilder,
  labelsKey,
  labelsToRecord,
  METRIC_NAME,
  type MetricMetadata,
  type MetricType,
  relabel,
  STALE_NAN,
} from "../../model/index.js";
import {
  type Appendable,
  type Appender,
  DuplicateSampleError,
  LimitExceededError,
  OutOfBoundsError,
  OutOfOrderError,
  type SeriesRef,
} from "../../storage/index.js";
import { EntryType, ExpositionParser, formatFromContentType } from "../exposition/index.js";
import type { CompiledJob } from "./config.js";
import { fetchMetrics, ScrapeError, type ScrapeResponse } from "./http.js";
import type { ScrapeMetrics } from "./metrics.js";
import type { Semaphore } from "./semaphore.js";

/** The subset of a pino logger the scrape manager uses. */
export interface ScrapeLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What one scrape did, for the `onScrape` hook. */
export interface ScrapeReport {
  readonly job: string;
  readonly url: string;
  readonly up: boolean;
  readonly durationMs: number;
  readonly samplesScraped: number;
  readonly samplesPostRelabel: number;
  readonly seriesAdded: number;
  readonly error: string;
}

/** A target as the `/api/v1/targets` answer needs it (Prometheus's field names). */
export interface TargetInfo {
  readonly state: "active" | "dropped";
  readonly discoveredLabels: Record<string, string>;
  /** The target's labels (empty for a dropped target). */
  readonly labels: Record<string, string>;
  readonly scrapePool: string;
  readonly scrapeUrl: string;
  readonly globalUrl: string;
  readonly lastError: string;
  /** RFC 3339 time of the last scrape, `0001-01-01T00:00:00Z` before the first. */
  readonly lastScrape: string;
  /** Seconds. */
  readonly lastScrapeDuration: number;
  readonly health: "up" | "down" | "unknown";
  /** Prometheus duration strings, e.g. `15s`. */
  readonly scrapeInterval: string;
  readonly scrapeTimeout: string;
}

/** Everything a loop needs to know about its target; replaced in place on reload. */
export interface LoopTarget {
  readonly cj: CompiledJob;
  readonly key: string;
  readonly discovered: Labels;
  /** Labels after relabelling, `__` labels included. */
  readonly labels: Labels;
  /** Labels attached to samples (no `__` labels). */
  readonly publicLabels: Labels;
  readonly url: string;
  readonly interval: number;
  readonly timeout: number;
}

/** Shared by all loops of a manager. */
export interface LoopDeps {
  readonly appendable: Appendable;
  readonly logger: ScrapeLogger;
  readonly metrics: ScrapeMetrics;
  readonly semaphore: Semaphore;
  readonly onScrape?: (r: ScrapeReport) => void;
  readonly globalUrl: (url: string) => string;
}

/** A series seen in scrapes: its final labels, store reference and bookkeeping. */
interface Series {
  readonly labels: Labels;
  readonly key: string;
  ref: SeriesRef;
  /** Last scrape iteration it was appended in (duplicate detection). */
  seenIter: number;
  /** Last iteration it was tracked for staleness in. */
  trackedIter: number;
  /** After a cache reset, the entry that took its place. */
  replacedBy: Series | undefined;
}

const DROPPED = null;
type CacheValue = { series: Series | typeof DROPPED; lastIter: number };

const REPORT_NAMES = [
  "up",
  "scrape_duration_seconds",
  "scrape_samples_scraped",
  "scrape_samples_post_metric_relabeling",
  "scrape_series_added",
] as const;

const ZERO_TIME = "0001-01-01T00:00:00Z";
const CACHE_EVICT_AFTER = 10;

interface AppendResult {
  scraped: number;
  post: number;
  added: number;
  appended: number;
}

/**
 * The scrape loop of one target: on its interval, fetch, parse, relabel, append with staleness
 * markers and the synthetic series, all in one batch per scrape. It never throws; a failed
 * scrape becomes `up 0` and `lastError`.
 */
export class ScrapeLoop {
  private target: LoopTarget;
  private readonly deps: LoopDeps;
  private readonly cache = new Map<string, CacheValue>();
  private readonly byKey = new Map<string, Series>();
  private carryOver: Map<string, Series> | undefined;
  private prev: Series[] = [];
  private readonly report = new Map<string, { labels: Labels; ref: SeriesRef }>();
  private readonly metaSeen = new Map<string, string>();
  private iter = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private nextAt = 0;
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private health: "up" | "down" | "unknown" = "unknown";
  private lastError = "";
  private lastScrapeMs = 0;
  private lastDurationMs = 0;
  /** Samples of this scrape whose new series a storage limit refused, and the first message. */
  private refused = 0;
  private refusedMessage = "";
  private warnedRefusal = false;

  constructor(deps: LoopDeps, target: LoopTarget) {
    this.deps = deps;
    this.target = target;
    this.buildReportLabels();
  }

  /** The target this loop scrapes. */
  get current(): LoopTarget {
    return this.target;
  }

  /**
   * Takes a reloaded target with the same key. When metric relabelling, honor flags or limits
   * changed, the series cache is rebuilt on the next scrape without false stale markers.
   */
  update(target: LoopTarget): void {
    const reset = target.cj.sampleFingerprint !== this.target.cj.sampleFingerprint;
    this.target = target;
    if (reset) {
      this.carryOver = new Map(this.prev.map((s) => [s.key, s]));
      this.cache.clear();
      this.byKey.clear();
    }
  }

  /** Starts scraping after `offsetMs`, then every interval. */
  start(offsetMs: number): void {
    this.nextAt = Date.now() + offsetMs;
    this.schedule();
  }

  /**
   * Stops the loop and waits for a scrape in flight. With `writeStale`, marks every series of
   * the last scrape and the synthetic series stale (the target went away).
   */
  async stop(writeStale: boolean): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
    if (!writeStale || this.lastScrapeMs === 0) return;
    const app = this.deps.appendable.appender();
    const t = Math.max(Date.now(), this.lastScrapeMs + 1);
    this.appendStale(app, this.prev, t);
    for (const r of this.report.values()) this.appendQuiet(app, r, t, STALE_NAN);
    this.prev = [];
    try {
      await app.commit();
    } catch (err) {
      this.deps.logger.warn({ err, target: this.target.url }, "writing stale markers failed");
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.nextAt - Date.now());
    this.timer = setTimeout(() => {
      this.running = this.runOnce();
    }, delay);
    this.timer.unref?.();
  }

  private async runOnce(): Promise<void> {
    await this.scrapeOnce();
    const now = Date.now();
    this.nextAt += this.target.interval;
    if (this.nextAt <= now)
      this.nextAt += Math.ceil((now - this.nextAt + 1) / this.target.interval) * this.target.interval;
    this.schedule();
  }

  /** Performs one scrape now. Never throws. */
  async scrapeOnce(): Promise<void> {
    const release = await this.deps.semaphore.acquire();
    try {
      if (this.stopped) return;
      await this.scrapeLocked();
    } catch (err) {
      this.deps.logger.error({ err, target: this.target.url }, "scrape loop failure");
    } finally {
      release();
    }
  }

  private async scrapeLocked(): Promise<void> {
    const target = this.target;
    const job = target.cj.job;
    const start = Date.now();
    const t0 = performance.now();
    let error: unknown;
    let resp: ScrapeResponse | undefined;
    try {
      resp = await fetchMetrics(target.url, target.timeout, job.body_size_limit, this.abort.signal);
    } catch (err) {
      error = err;
    }
    if (this.stopped) return;
    let app = this.deps.appendable.appender();
    let res: AppendResult = { scraped: 0, post: 0, added: 0, appended: 0 };
    const created: Series[] = [];
    if (resp !== undefined) {
      try {
        res = this.appendBody(app, resp, start, created);
      } catch (err) {
        error = err;
        if (err instanceof AppendFailure) res = err.result;
        app.rollback();
        for (const s of created) s.ref = 0;
        app = this.deps.appendable.appender();
      }
    }
    const durationMs = performance.now() - t0;
    if (error !== undefined) {
      this.appendStale(app, this.prev, start);
      this.prev = [];
    }
    const up = error === undefined;
    this.appendReport(app, start, up, durationMs / 1000, res);
    let message = "";
    if (error !== undefined) {
      const cause = error instanceof AppendFailure ? error.cause : error;
      message = cause instanceof Error ? cause.message : String(cause);
      this.countFailure(cause);
    }
    try {
      await app.commit();
    } catch (err) {
      message ||= `committing scraped samples failed: ${(err as Error).message}`;
      this.deps.logger.error({ err, target: target.url }, "commit of scraped samples failed");
    }
    const ok = message === "";
    this.health = ok ? "up" : "down";
    this.lastError = message;
    this.lastScrapeMs = start;
    this.lastDurationMs = durationMs;
    this.deps.metrics.scrapes.inc({ job: job.job_name, result: ok ? "success" : "failure" });
    if (ok) this.deps.metrics.samplesAppended.inc({ job: job.job_name }, res.appended);
    if (!ok) this.deps.logger.debug({ target: target.url, err: message }, "scrape failed");
    this.deps.onScrape?.({
      job: job.job_name,
      url: target.url,
      up: ok,
      durationMs,
      samplesScraped: res.scraped,
      samplesPostRelabel: res.post,
      seriesAdded: res.added,
      error: message,
    });
  }

  private countFailure(err: unknown): void {
    if (!(err instanceof ScrapeError)) return;
    const m = this.deps.metrics;
    if (err.kind === "sample_limit") m.exceededSampleLimit.inc();
    else if (err.kind === "series_limit") m.exceededSeriesLimit.inc();
    else if (err.kind === "body_size") m.exceededBodySizeLimit.inc();
    else if (err.kind === "label_limit") m.exceededLabelLimits.inc();
  }

  private appendBody(
    app: Appender,
    resp: ScrapeResponse,
    scrapeTime: number,
    created: Series[],
  ): AppendResult {
    const target = this.target;
    const job = target.cj.job;
    const iter = ++this.iter;
    const res: AppendResult = { scraped: 0, post: 0, added: 0, appended: 0 };
    const parser = new ExpositionParser(resp.body, formatFromContentType(resp.contentType));
    const honorTs = job.honor_timestamps;
    const trackTsStale = job.track_timestamps_staleness ?? false;
    const sampleLimit = job.sample_limit;
    const seriesLimit = job.series_limit ?? 0;
    let distinct = 0;
    this.refused = 0;
    const cur: Series[] = [];
    const meta = new Map<string, { type: MetricType; help: string; unit: string }>();
    let limitErr: ScrapeError | undefined;
    try {
      for (let e = parser.next(); e !== EntryType.EOF; e = parser.next()) {
        if (e !== EntryType.Series) {
          if (e === EntryType.Type || e === EntryType.Help || e === EntryType.Unit) {
            const name = parser.name();
            const m = meta.get(name) ?? { type: "unknown" as MetricType, help: "", unit: "" };
            if (e === EntryType.Type) m.type = parser.type();
            else if (e === EntryType.Help) m.help = parser.text();
            else m.unit = parser.text();
            meta.set(name, m);
          }
          continue;
        }
        res.scraped++;
        const text = parser.series();
        let cv = this.cache.get(text);
        if (cv === undefined) {
          const series = this.newSeries(parser, created);
          if (series !== DROPPED && created[created.length - 1] === series) res.added++;
          cv = { series, lastIter: iter };
          this.cache.set(text, cv);
        }
        cv.lastIter = iter;
        const s = cv.series;
        if (s === DROPPED) continue;
        res.post++;
        if (sampleLimit > 0 && res.post > sampleLimit) {
          limitErr ??= new ScrapeError("sample_limit", "sample limit exceeded");
          continue;
        }
        if (limitErr !== undefined) continue;
        if (s.seenIter === iter) {
          this.deps.metrics.duplicateTimestamp.inc();
          continue;
        }
        s.seenIter = iter;
        if (seriesLimit > 0 && ++distinct > seriesLimit) {
          limitErr = new ScrapeError(
            "series_limit",
            `series limit exceeded: more than ${seriesLimit} series in one scrape (storage.limits.max_series_per_target)`,
          );
          continue;
        }
        const ts = parser.timestamp();
        const t = honorTs && ts !== undefined ? ts : scrapeTime;
        try {
          s.ref = app.append(s.ref, s.labels, t, parser.value());
          res.appended++;
        } catch (err) {
          if (!this.countRefusal(err)) throw err;
          continue;
        }
        if (ts === undefined || trackTsStale) {
          s.trackedIter = iter;
          cur.push(s);
        }
      }
    } catch (err) {
      throw new AppendFailure(err, res);
    }
    if (limitErr !== undefined) throw new AppendFailure(limitErr, res);
    this.reportRefusals();
    const stale: Series[] = [];
    for (const s of this.prev) {
      if (s.trackedIter === iter || s.replacedBy?.trackedIter === iter) continue;
      stale.push(s);
    }
    this.appendStale(app, stale, scrapeTime);
    this.prev = cur;
    this.carryOver = undefined;
    if (app.updateMetadata) {
      for (const [name, m] of meta) {
        const sig = `${m.type}\xff${m.help}\xff${m.unit}`;
        if (this.metaSeen.get(name) === sig) continue;
        this.metaSeen.set(name, sig);
        app.updateMetadata(name, m as MetricMetadata);
      }
    }
    if (iter % CACHE_EVICT_AFTER === 0) this.evict(iter);
    return res;
  }

  /** Builds a new cache entry for the parser's current series; throws ScrapeError for bad labels. */
  private newSeries(parser: ExpositionParser, created: Series[]): Series | typeof DROPPED {
    const target = this.target;
    const job = target.cj.job;
    const name = parser.name();
    const pairs = parser.labels();
    const lb = new LabelsBuilder();
    lb.set(METRIC_NAME, name);
    const seen = new Set<string>();
    for (let i = 0; i < pairs.length; i += 2) {
      const n = pairs[i]!;
      if (seen.has(n) || n === METRIC_NAME) {
        throw new ScrapeError(
          "invalid",
          `invalid sample: label name ${JSON.stringify(n)} is not unique in ${parser.series()}`,
        );
      }
      seen.add(n);
      lb.set(n, pairs[i + 1]!);
    }
    if (job.honor_labels) {
      for (const l of target.publicLabels) if (lb.get(l.name) === "") lb.set(l.name, l.value);
    } else {
      const conflicts: Array<{ name: string; value: string }> = [];
      for (const l of target.publicLabels) {
        const existing = lb.get(l.name);
        if (existing !== "") conflicts.push({ name: l.name, value: existing });
        lb.set(l.name, l.value);
      }
      conflicts.sort((a, b) => a.name.length - b.name.length);
      for (const c of conflicts) {
        let n = c.name;
        do n = `exported_${n}`;
        while (lb.get(n) !== "");
        lb.set(n, c.value);
      }
    }
    const labels = relabel(lb.labels(), target.cj.metricRelabel);
    if (labels === null) return DROPPED;
    this.checkLimits(labels);
    const key = labelsKey(labels);
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing;
    const series: Series = { labels, key, ref: 0, seenIter: 0, trackedIter: 0, replacedBy: undefined };
    const old = this.carryOver?.get(key);
    if (old !== undefined) {
      series.ref = old.ref;
      old.replacedBy = series;
    } else {
      created.push(series);
    }
    this.byKey.set(key, series);
    return series;
  }

  private checkLimits(labels: Labels): void {
    const job = this.target.cj.job;
    let metric = "";
    for (const l of labels) if (l.name === METRIC_NAME) metric = l.value;
    if (metric === "")
      throw new ScrapeError("invalid", "invalid sample: missing metric name (__name__ label)");
    const m50 = metric.slice(0, 50);
    if (job.label_limit > 0 && labels.length > job.label_limit) {
      throw new ScrapeError(
        "label_limit",
        `label_limit exceeded (metric: ${m50}, number of labels: ${labels.length}, limit: ${job.label_limit})`,
      );
    }
    for (const l of labels) {
      if (job.label_name_length_limit > 0 && l.name.length > job.label_name_length_limit) {
        throw new ScrapeError(
          "label_limit",
          `label_name_length_limit exceeded (metric: ${m50}, label name: ${l.name.slice(0, 50)}, length: ${l.name.length}, limit: ${job.label_name_length_limit})`,
        );
      }
      if (job.label_value_length_limit > 0 && l.value.length > job.label_value_length_limit) {
        throw new ScrapeError(
          "label_limit",
          `label_value_length_limit exceeded (metric: ${m50}, label name: ${l.name.slice(0, 50)}, value: ${JSON.stringify(l.value.slice(0, 50))}, length: ${l.value.length}, limit: ${job.label_value_length_limit})`,
        );
      }
    }
  }

  /**
   * True (and counted) when the store refused a sample in a way that skips it, not the scrape. A
   * new series refused by a storage cardinality limit is skipped too: the target's other series
   * (existing ones included) keep their samples, and the scrape stays up.
   */
  private countRefusal(err: unknown): boolean {
    const m = this.deps.metrics;
    if (err instanceof LimitExceededError) {
      if (this.refused++ === 0) this.refusedMessage = err.message;
      m.seriesRefused.inc({ job: this.target.cj.job.job_name });
    } else if (err instanceof OutOfOrderError) m.outOfOrder.inc();
    else if (err instanceof DuplicateSampleError) m.duplicateTimestamp.inc();
    else if (err instanceof OutOfBoundsError) m.outOfBounds.inc();
    else return false;
    return true;
  }

  /** Warns once while scrapes keep having samples refused by a storage limit, again after a clean one. */
  private reportRefusals(): void {
    if (this.refused === 0) {
      this.warnedRefusal = false;
      return;
    }
    if (this.warnedRefusal) return;
    this.warnedRefusal = true;
    this.deps.logger.warn(
      { target: this.target.url, refused: this.refused, err: this.refusedMessage },
      "samples of new series refused by a storage limit (warned once until a scrape has none)",
    );
  }

  private evict(iter: number): void {
    for (const [text, cv] of this.cache) {
      if (cv.lastIter > iter - CACHE_EVICT_AFTER) continue;
      this.cache.delete(text);
      const s = cv.series;
      if (s !== DROPPED && this.byKey.get(s.key) === s) this.byKey.delete(s.key);
    }
  }

  private appendStale(app: Appender, series: readonly Series[], t: number): void {
    for (const s of series) this.appendQuiet(app, s, t, STALE_NAN);
  }

  private appendQuiet(app: Appender, s: { labels: Labels; ref: SeriesRef }, t: number, v: number): void {
    try {
      s.ref = app.append(s.ref, s.labels, t, v);
    } catch (err) {
      if (!this.countRefusal(err)) {
        this.deps.logger.debug(
          { err, target: this.target.url },
          "appending a stale marker or report sample failed",
        );
      }
    }
  }

  private buildReportLabels(): void {
    this.report.clear();
    for (const name of REPORT_NAMES) {
      const labels = new LabelsBuilder(this.target.publicLabels).set(METRIC_NAME, name).labels();
      this.report.set(name, { labels, ref: 0 });
    }
  }

  private appendReport(app: Appender, t: number, up: boolean, durationS: number, res: AppendResult): void {
    const values: Record<(typeof REPORT_NAMES)[number], number> = {
      up: up ? 1 : 0,
      scrape_duration_seconds: durationS,
      scrape_samples_scraped: res.scraped,
      scrape_samples_post_metric_relabeling: res.post,
      scrape_series_added: res.added,
    };
    for (const name of REPORT_NAMES) this.appendQuiet(app, this.report.get(name)!, t, values[name]);
  }

  /** The target's state for `/api/v1/targets`. */
  info(): TargetInfo {
    const t = this.target;
    return {
      state: "active",
      discoveredLabels: labelsToRecord(t.discovered),
      labels: labelsToRecord(t.publicLabels),
      scrapePool: t.cj.job.job_name,
      scrapeUrl: t.url,
      globalUrl: this.deps.globalUrl(t.url),
      lastError: this.lastError,
      lastScrape: this.lastScrapeMs === 0 ? ZERO_TIME : new Date(this.lastScrapeMs).toISOString(),
      lastScrapeDuration: this.lastDurationMs / 1000,
      health: this.health,
      scrapeInterval: formatDuration(t.interval),
      scrapeTimeout: formatDuration(t.timeout),
    };
  }
}

/** Carries the counts so far out of a failed append pass. */
class AppendFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly result: AppendResult,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}
