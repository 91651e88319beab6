import {
  type CompiledRelabel,
  compileRelabels,
  formatDuration,
  type RelabelConfig,
} from "../../model/index.js";

/** One group of static targets and the labels they all get. */
export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * One `scrape_configs` entry after parsing, with Prometheus's defaults applied: durations in
 * milliseconds, sizes in bytes, 0 for "no limit". The config module produces exactly this shape.
 */
export interface ScrapeJob {
  readonly job_name: string;
  readonly scrape_interval: number;
  /** At most `scrape_interval`. */
  readonly scrape_timeout: number;
  readonly metrics_path: string;
  /** `http` or `https`. */
  readonly scheme: string;
  readonly params: Readonly<Record<string, readonly string[]>>;
  /** Keep the target's own labels on conflict instead of renaming them `exported_<name>`. */
  readonly honor_labels: boolean;
  /** Use timestamps the target exposes instead of the scrape time. */
  readonly honor_timestamps: boolean;
  /** Write stale markers also for series that carried explicit timestamps (default false). */
  readonly track_timestamps_staleness?: boolean;
  readonly static_configs: readonly StaticConfig[];
  readonly relabel_configs: readonly RelabelConfig[];
  readonly metric_relabel_configs: readonly RelabelConfig[];
  /** Most samples (after metric relabelling) one scrape may have; over it the scrape fails. */
  readonly sample_limit: number;
  /** Most labels one series may have. */
  readonly label_limit: number;
  readonly label_name_length_limit: number;
  readonly label_value_length_limit: number;
  /** Most bytes of uncompressed body one scrape may read. */
  readonly body_size_limit: number;
  /**
   * Most distinct series (after metric relabelling) one scrape of a target may have: Relay's
   * `storage.limits.max_series_per_target`, which the server puts in every job (0 or absent: no
   * limit). Over it the scrape fails as a whole, as with `sample_limit`.
   */
  readonly series_limit?: number;
}

/** Thrown by `ScrapeManager.applyConfig` for a job it cannot run; nothing is changed then. */
export class InvalidScrapeConfigError extends Error {
  override name = "InvalidScrapeConfigError";
}

/** A job with its relabel rules compiled, as the manager and loops use it. */
export interface CompiledJob {
  readonly job: ScrapeJob;
  readonly relabel: readonly CompiledRelabel[];
  readonly metricRelabel: readonly CompiledRelabel[];
  /**
   * A fingerprint of everything that changes how samples are built (metric relabelling, honor
   * flags, limits): when it changes on reload, loops drop their series cache.
   */
  readonly sampleFingerprint: string;
}

/** Validates and compiles a job; throws {@link InvalidScrapeConfigError} naming the job. */
export function compileJob(job: ScrapeJob): CompiledJob {
  const where = `scrape job ${JSON.stringify(job.job_name)}`;
  if (job.job_name === "") throw new InvalidScrapeConfigError("scrape job without job_name");
  if (!(job.scrape_interval > 0))
    throw new InvalidScrapeConfigError(`${where}: scrape interval must be positive`);
  if (!(job.scrape_timeout > 0))
    throw new InvalidScrapeConfigError(`${where}: scrape timeout must be positive`);
  if (job.scrape_timeout > job.scrape_interval) {
    throw new InvalidScrapeConfigError(
      `${where}: scrape timeout ${formatDuration(job.scrape_timeout)} greater than scrape interval ${formatDuration(job.scrape_interval)}`,
    );
  }
  if (job.scheme !== "http" && job.scheme !== "https") {
    throw new InvalidScrapeConfigError(`${where}: unsupported scheme ${JSON.stringify(job.scheme)}`);
  }
  if (!job.metrics_path.startsWith("/")) {
    throw new InvalidScrapeConfigError(`${where}: metrics_path must start with "/"`);
  }
  let relabel: CompiledRelabel[];
  let metricRelabel: CompiledRelabel[];
  try {
    relabel = compileRelabels(job.relabel_configs);
  } catch (err) {
    throw new InvalidScrapeConfigError(`${where}: relabel_configs: ${(err as Error).message}`);
  }
  try {
    metricRelabel = compileRelabels(job.metric_relabel_configs);
  } catch (err) {
    throw new InvalidScrapeConfigError(`${where}: metric_relabel_configs: ${(err as Error).message}`);
  }
  const sampleFingerprint = JSON.stringify([
    job.metric_relabel_configs,
    job.honor_labels,
    job.honor_timestamps,
    job.track_timestamps_staleness ?? false,
    job.label_limit,
    job.label_name_length_limit,
    job.label_value_length_limit,
  ]);
  return { job, relabel, metricRelabel, sampleFingerprint };
}
