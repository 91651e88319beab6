import { randomFillSync } from "node:crypto";
import { PrivacyInputError } from "./errors.js";
import { DEFAULT_K, isPublishable } from "./kanonymity.js";

/** A source of uniform doubles in (0, 1]. */
export type UniformSource = () => number;

const POOL_BYTES = 4096;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/**
 * Uniform doubles in (0, 1] with 53 random bits each, drawn from the operating system's CSPRNG
 * (`crypto.randomFillSync`) through a 4 KiB pool so that a draw costs no system call.
 */
export class CryptoUniform {
  private readonly pool = Buffer.allocUnsafe(POOL_BYTES);
  private pos = POOL_BYTES;

  /** The next uniform double in (0, 1]. */
  next(): number {
    if (this.pos + 8 > POOL_BYTES) {
      randomFillSync(this.pool);
      this.pos = 0;
    }
    const hi = this.pool.readUInt32LE(this.pos) >>> 11;
    const lo = this.pool.readUInt32LE(this.pos + 4);
    this.pos += 8;
    return (hi * TWO_POW_32 + lo + 1) / TWO_POW_53;
  }
}

const defaultUniform = new CryptoUniform();
const cryptoUniform: UniformSource = () => defaultUniform.next();

function checkEpsilon(epsilon: number, what = "epsilon"): void {
  if (!Number.isFinite(epsilon) || epsilon <= 0) {
    throw new PrivacyInputError(`${what} must be a positive finite number, got ${epsilon}`);
  }
}

function checkSensitivity(sensitivity: number): void {
  if (!Number.isInteger(sensitivity) || sensitivity < 1) {
    throw new PrivacyInputError(`sensitivity must be a positive integer, got ${sensitivity}`);
  }
}

/** The parameter q = exp(−ε/Δ) of the discrete Laplace distribution for privacy loss ε, sensitivity Δ. */
export function discreteLaplaceParameter(epsilon: number, sensitivity = 1): number {
  checkEpsilon(epsilon);
  checkSensitivity(sensitivity);
  return Math.exp(-epsilon / sensitivity);
}

/** The variance of discrete Laplace noise for ε and Δ: 2q/(1−q)², q = exp(−ε/Δ). */
export function discreteLaplaceVariance(epsilon: number, sensitivity = 1): number {
  const q = discreteLaplaceParameter(epsilon, sensitivity);
  return (2 * q) / ((1 - q) * (1 - q));
}

/**
 * One draw of discrete Laplace (two-sided geometric) noise: P(X = x) ∝ q^|x| with q = exp(−ε/Δ),
 * sampled as the difference of two geometric variables obtained by inversion
 * (⌊ln U / ln q⌋, U uniform in (0, 1] with 53 bits from the CSPRNG). Adding it to an integer count
 * of sensitivity Δ gives ε-differential privacy. Floating-point inversion is not an exact sampler;
 * its deviation is far below the statistical tolerance of published figures.
 */
export function discreteLaplace(
  epsilon: number,
  sensitivity = 1,
  uniform: UniformSource = cryptoUniform,
): number {
  const lnq = -epsilon / sensitivity;
  checkEpsilon(epsilon);
  checkSensitivity(sensitivity);
  const g1 = Math.floor(Math.log(uniform()) / lnq);
  const g2 = Math.floor(Math.log(uniform()) / lnq);
  return g1 - g2 + 0;
}

/** What a {@link PrivacyLedger} remembers about one published figure. */
export interface PublishedFigure {
  /** The value that was published (noisy, clamped at 0). */
  readonly published: number;
}

/**
 * Persistence of privacy budgets and published figures, keyed by scope (a channel and a day). It
 * must survive restarts (the community stage keeps it in SQLite): a budget that resets on restart
 * is no budget.
 */
export interface PrivacyLedger {
  /** The ε already spent in `scope` (0 when unknown). */
  spent(scope: string): number;
  /** Records that `scope` has now spent `epsilon` in total. */
  setSpent(scope: string, epsilon: number): void;
  /** The last figure published under `figure` in `scope`, if any. */
  published(scope: string, figure: string): PublishedFigure | undefined;
  /** Records the figure just published. */
  setPublished(scope: string, figure: string, value: PublishedFigure): void;
}

/** A {@link PrivacyLedger} in memory. */
export class MemoryPrivacyLedger implements PrivacyLedger {
  private readonly spentBy = new Map<string, number>();
  private readonly figures = new Map<string, PublishedFigure>();

  /** See {@link PrivacyLedger.spent}. */
  spent(scope: string): number {
    return this.spentBy.get(scope) ?? 0;
  }

  /** See {@link PrivacyLedger.setSpent}. */
  setSpent(scope: string, epsilon: number): void {
    this.spentBy.set(scope, epsilon);
  }

  /** See {@link PrivacyLedger.published}. */
  published(scope: string, figure: string): PublishedFigure | undefined {
    return this.figures.get(`${scope}\u0000${figure}`);
  }

  /** See {@link PrivacyLedger.setPublished}. */
  setPublished(scope: string, figure: string, value: PublishedFigure): void {
    this.figures.set(`${scope}\u0000${figure}`, value);
  }
}

/** The scope key of a channel and a day in a {@link PrivacyLedger}. */
export function budgetScope(channel: string, day: string): string {
  return `${channel}\u0000${day}`;
}

/**
 * The differential-privacy budget of every (channel, day): at most `capPerDay` ε may be spent on
 * the noisy figures published about one channel on one day (sequential composition).
 */
export class PrivacyBudget {
  /** The ε cap per channel per day. */
  readonly capPerDay: number;
  private readonly ledger: PrivacyLedger;

  /** Creates a budget with its cap and the ledger that persists it. */
  constructor(capPerDay: number, ledger: PrivacyLedger = new MemoryPrivacyLedger()) {
    checkEpsilon(capPerDay, "budget cap");
    this.capPerDay = capPerDay;
    this.ledger = ledger;
  }

  /** The ε spent on (channel, day). */
  spent(channel: string, day: string): number {
    return this.ledger.spent(budgetScope(channel, day));
  }

  /** The ε still available on (channel, day). */
  remaining(channel: string, day: string): number {
    const left = this.capPerDay - this.spent(channel, day);
    return left > 1e-9 ? left : 0;
  }

  /**
   * Spends `epsilon` on (channel, day) if the cap allows it (with a 1e-9 tolerance for rounding)
   * and returns true; returns false and spends nothing otherwise.
   */
  trySpend(channel: string, day: string, epsilon: number): boolean {
    checkEpsilon(epsilon);
    const scope = budgetScope(channel, day);
    const after = this.ledger.spent(scope) + epsilon;
    if (after > this.capPerDay + 1e-9) return false;
    this.ledger.setSpent(scope, after);
    return true;
  }
}

/** Options of a {@link FigurePublisher}. */
export interface FigurePublisherOptions {
  /** Minimum distinct users behind a published figure. Default 5. */
  readonly k?: number;
  /** Differential-privacy noise; absent means exact figures (k-anonymity only). */
  readonly noise?: {
    /** ε spent per published noisy figure. */
    readonly epsilon: number;
    /** ε cap per channel per day. Default: 4 × epsilon. */
    readonly budgetPerDay?: number;
  };
  /** Where budgets and published figures are kept. Default: in memory. */
  readonly ledger?: PrivacyLedger;
  /** Uniform source for the noise (tests only). Default: the CSPRNG. */
  readonly uniform?: UniformSource;
}

/** One figure to publish. */
export interface FigureRequest {
  readonly channel: string;
  /** The day the figure describes, e.g. "2025-03-14". */
  readonly day: string;
  /** The figure's name, e.g. "active_users" or "messages". */
  readonly figure: string;
  /** The exact value (an integer count when noise is on). */
  readonly value: number;
  /** Distinct users behind the figure (its k-anonymity group). */
  readonly groupSize: number;
  /** How much one user can change the value (Δ). Default 1. */
  readonly sensitivity?: number;
}

/**
 * How a figure was published: `exact` (no noise configured), `noised` (fresh noise, ε spent),
 * `stale` (budget exhausted: the last noisy value of this figure is served again), `suppressed`
 * (group smaller than k) or `exhausted` (budget exhausted and nothing published before: withheld).
 */
export type PublishStatus = "exact" | "noised" | "stale" | "suppressed" | "exhausted";

/** The outcome of {@link FigurePublisher.publish}: null value means withheld. */
export interface PublishedResult {
  readonly value: number | null;
  readonly status: PublishStatus;
}

/**
 * Applies the publication rules to community figures: suppress groups smaller than k, then (when
 * configured) add discrete Laplace noise, spending ε from the (channel, day) budget. Fresh noise is
 * never drawn once the budget is spent — averaging repeated draws would reveal the exact value — so
 * the last noisy value of the figure is served again, or the figure is withheld if it never had one.
 * Noisy values are clamped at 0 (post-processing, free of privacy cost). Every call to
 * {@link FigurePublisher.publish} with noise spends ε, even when the exact value has not changed
 * (re-serving on "unchanged" would itself reveal that the value did not change): callers publish on
 * a schedule and answer reads with {@link FigurePublisher.lastPublished}.
 */
export class FigurePublisher {
  /** The k of k-anonymity. */
  readonly k: number;
  /** The budget, when noise is configured. */
  readonly budget: PrivacyBudget | undefined;
  private readonly epsilon: number;
  private readonly ledger: PrivacyLedger;
  private readonly uniform: UniformSource;

  /** Creates a publisher. */
  constructor(options: FigurePublisherOptions = {}) {
    this.k = options.k ?? DEFAULT_K;
    isPublishable(0, this.k);
    this.ledger = options.ledger ?? new MemoryPrivacyLedger();
    this.uniform = options.uniform ?? cryptoUniform;
    this.epsilon = options.noise?.epsilon ?? 0;
    if (options.noise) {
      checkEpsilon(options.noise.epsilon);
      this.budget = new PrivacyBudget(options.noise.budgetPerDay ?? 4 * options.noise.epsilon, this.ledger);
    }
  }

  /** Publishes one figure under the rules above. */
  publish(req: FigureRequest): PublishedResult {
    if (!Number.isFinite(req.value) || req.value < 0) {
      throw new PrivacyInputError(
        `figure ${req.figure} of channel ${req.channel}: value must be a non-negative number, got ${req.value}`,
      );
    }
    if (!isPublishable(req.groupSize, this.k)) return { value: null, status: "suppressed" };
    if (!this.budget) return { value: req.value, status: "exact" };
    if (!Number.isInteger(req.value)) {
      throw new PrivacyInputError(
        `figure ${req.figure} of channel ${req.channel}: noisy figures must be integer counts, got ${req.value}`,
      );
    }
    const sensitivity = req.sensitivity ?? 1;
    checkSensitivity(sensitivity);
    const scope = budgetScope(req.channel, req.day);
    const last = this.ledger.published(scope, req.figure);
    if (!this.budget.trySpend(req.channel, req.day, this.epsilon)) {
      return last ? { value: last.published, status: "stale" } : { value: null, status: "exhausted" };
    }
    const published = Math.max(0, req.value + discreteLaplace(this.epsilon, sensitivity, this.uniform));
    this.ledger.setPublished(scope, req.figure, { published });
    return { value: published, status: "noised" };
  }

  /** The value last published for a figure with noise, or null when there is none. */
  lastPublished(channel: string, day: string, figure: string): number | null {
    return this.ledger.published(budgetScope(channel, day), figure)?.published ?? null;
  }
}
