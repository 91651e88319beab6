/**
 * Runs an async task now and then every `interval` ms, never two at once (a run that overruns
 * delays the next). `stop()` cancels the timer and waits for a run in progress.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private interval = 0;
  private stopped = true;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Starts the loop; the first run is immediate. Starting twice is a no-op. */
  start(interval: number): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.interval = interval;
    this.schedule(0);
  }

  /** Changes the interval from the next run on. */
  setInterval(interval: number): void {
    this.interval = interval;
  }

  /** Stops the loop and resolves once a run in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.task()
        .catch((err: unknown) => this.onError(err))
        .finally(() => {
          this.running = null;
          this.schedule(this.interval);
        });
    }, delay);
    this.timer.unref?.();
  }
}

/**
 * The life the analysis services share: a configuration with an `interval`, a periodic run whose
 * result is kept as `latest()`, and `applyConfig` / `start` / `stop`.
 */
export abstract class PeriodicService<C extends { interval: number }, R> {
  protected config: C;
  private readonly periodic: Periodic;
  private last: R | null = null;

  constructor(config: C, onError?: (err: unknown) => void) {
    this.config = config;
    this.periodic = new Periodic(async () => {
      this.last = await this.run();
    }, onError);
  }

  /** One periodic run; its result becomes {@link latest}. */
  protected abstract run(): Promise<R>;

  /** Replaces the configuration; a running loop picks up the new interval. */
  applyConfig(config: C): void {
    this.config = config;
    this.periodic.setInterval(config.interval);
  }

  /** Starts the periodic runs (the first is immediate). */
  start(): void {
    this.periodic.start(this.config.interval);
  }

  /** Stops the loop and waits for a run in progress. */
  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** The result of the latest periodic run, or null before the first. */
  latest(): R | null {
    return this.last;
  }
}
