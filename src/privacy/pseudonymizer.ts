import { createHmac, randomBytes } from "node:crypto";
import { ExpiredEpochError, FutureEventError, PrivacyInputError } from "./errors.js";

const DAY_MS = 86_400_000;

/** Length in bytes of every pseudonymization key. */
export const KEY_BYTES = 32;
/** Bytes of the HMAC-SHA256 digest kept in a pseudonym (128 bits, 22 base64url characters). */
export const PSEUDONYM_BYTES = 16;
/** Default retention of a key after its epoch ends: 35 days, so monthly figures can be computed. */
export const DEFAULT_KEY_RETENTION_MS = 35 * DAY_MS;
/** Default tolerance for events stamped in the future (clock skew): 15 minutes. */
export const DEFAULT_MAX_FUTURE_MS = 15 * 60_000;

/**
 * Persistence of pseudonymization keys, one per epoch. Implementations must be synchronous (the
 * SQLite driver is) and must erase a key when asked to delete it (in SQLite: `PRAGMA secure_delete`
 * or an overwrite before the delete). The pseudonymizer zeroes the key buffers it holds itself.
 */
export interface KeyStore {
  /** The key of `epoch`, or undefined when none is stored. */
  get(epoch: number): Uint8Array | undefined;
  /** Stores the key of `epoch`; called once per epoch, with a fresh random key. */
  put(epoch: number, key: Uint8Array): void;
  /** Destroys the key of `epoch`; a no-op when there is none. */
  delete(epoch: number): void;
  /** The epochs that currently have a key. */
  epochs(): Iterable<number>;
}

/** A {@link KeyStore} in memory: keys live as long as the process; deleted keys are zeroed. */
export class MemoryKeyStore implements KeyStore {
  private readonly keys = new Map<number, Uint8Array>();

  /** See {@link KeyStore.get}. */
  get(epoch: number): Uint8Array | undefined {
    return this.keys.get(epoch);
  }

  /** See {@link KeyStore.put}; the store keeps its own copy. */
  put(epoch: number, key: Uint8Array): void {
    this.keys.get(epoch)?.fill(0);
    this.keys.set(epoch, Uint8Array.from(key));
  }

  /** See {@link KeyStore.delete}; the stored bytes are zeroed before they are forgotten. */
  delete(epoch: number): void {
    this.keys.get(epoch)?.fill(0);
    this.keys.delete(epoch);
  }

  /** See {@link KeyStore.epochs}. */
  epochs(): number[] {
    return [...this.keys.keys()];
  }
}

/**
 * How time is cut into key epochs. Epoch numbers must increase with time; `endOf(e)` is the first
 * millisecond after epoch `e`.
 */
export interface EpochScheme {
  /** The epoch containing time `t` (ms since the Unix epoch). */
  epochOf(t: number): number;
  /** The first millisecond of epoch `e`. */
  startOf(e: number): number;
  /** The first millisecond after epoch `e`. */
  endOf(e: number): number;
}

/**
 * Epochs of a fixed length, shifted by `offsetMs` from the Unix epoch.
 * @example fixedEpochs(86_400_000) // UTC days (the default)
 * @example fixedEpochs(7 * 86_400_000, 4 * 86_400_000) // ISO weeks, Monday 00:00 UTC
 */
export function fixedEpochs(lengthMs: number, offsetMs = 0): EpochScheme {
  if (!Number.isSafeInteger(lengthMs) || lengthMs <= 0) {
    throw new PrivacyInputError(`epoch length must be a positive integer of milliseconds, got ${lengthMs}`);
  }
  if (!Number.isSafeInteger(offsetMs)) {
    throw new PrivacyInputError(`epoch offset must be an integer of milliseconds, got ${offsetMs}`);
  }
  return {
    epochOf: (t) => Math.floor((t - offsetMs) / lengthMs),
    startOf: (e) => e * lengthMs + offsetMs,
    endOf: (e) => (e + 1) * lengthMs + offsetMs,
  };
}

/** Calendar months in UTC; epoch number = year·12 + month (0-based). */
export function utcMonthEpochs(): EpochScheme {
  return {
    epochOf: (t) => {
      const d = new Date(t);
      return d.getUTCFullYear() * 12 + d.getUTCMonth();
    },
    startOf: (e) => Date.UTC(Math.floor(e / 12), e % 12, 1),
    endOf: (e) => Date.UTC(Math.floor((e + 1) / 12), (e + 1) % 12, 1),
  };
}

/** Options of a {@link Pseudonymizer}. */
export interface PseudonymizerOptions {
  /** Where keys are kept. Default: a new {@link MemoryKeyStore}. */
  readonly store?: KeyStore;
  /** How time is cut into key epochs. Default: UTC days. */
  readonly epochs?: EpochScheme;
  /** How long a key survives after its epoch ends before it is destroyed. Default 35 days. */
  readonly retentionMs?: number;
  /** How far in the future an event may be stamped. Default 15 minutes. */
  readonly maxFutureMs?: number;
  /** The clock, in ms since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** The source of key bytes. Default `crypto.randomBytes`. */
  readonly randomBytes?: (n: number) => Uint8Array;
}

function isoTime(t: number): string {
  return Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(t).toISOString() : String(t);
}

/**
 * Turns user ids into pseudonyms: the first 16 bytes of HMAC-SHA256(key of the event's epoch, user
 * id), in base64url (22 characters). Within one epoch a user always gets the same pseudonym; across
 * epochs the pseudonyms are unrelated. Keys come from `crypto.randomBytes`, one per epoch, created on
 * first use, and are destroyed (zeroed and deleted from the store) once `retentionMs` has passed
 * since their epoch ended. Events in a destroyed epoch are refused with {@link ExpiredEpochError},
 * never re-keyed. Collision odds: for n users in one epoch, about n²/2¹²⁹ (≈ 1.5·10⁻²¹ for a
 * billion users). Error messages never contain a user id.
 * @example
 * const p = new Pseudonymizer();
 * p.pseudonymize("alice", Date.now()) // e.g. "q3Jx0vW2fB6mE1yHc8LtZA"
 */
export class Pseudonymizer {
  private readonly store: KeyStore;
  private readonly scheme: EpochScheme;
  private readonly retentionMs: number;
  private readonly maxFutureMs: number;
  private readonly now: () => number;
  private readonly random: (n: number) => Uint8Array;
  private readonly cache = new Map<number, Buffer>();
  private liveFrom = Number.NEGATIVE_INFINITY;
  private sweptAt = Number.NaN;

  /** Creates a pseudonymizer; nothing is generated until the first event. */
  constructor(options: PseudonymizerOptions = {}) {
    this.store = options.store ?? new MemoryKeyStore();
    this.scheme = options.epochs ?? fixedEpochs(DAY_MS);
    this.retentionMs = options.retentionMs ?? DEFAULT_KEY_RETENTION_MS;
    this.maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
    this.now = options.now ?? Date.now;
    this.random = options.randomBytes ?? randomBytes;
    if (!Number.isFinite(this.retentionMs) || this.retentionMs < 0) {
      throw new PrivacyInputError(
        `key retention must be a non-negative number of ms, got ${this.retentionMs}`,
      );
    }
    if (!Number.isFinite(this.maxFutureMs) || this.maxFutureMs < 0) {
      throw new PrivacyInputError(
        `max future skew must be a non-negative number of ms, got ${this.maxFutureMs}`,
      );
    }
  }

  /** The epoch an event at `t` belongs to. */
  epochOf(t: number): number {
    return this.scheme.epochOf(t);
  }

  /** True when the key of `epoch` is destroyed (or due to be) at time `now`. */
  isExpired(epoch: number, now: number = this.now()): boolean {
    return epoch < this.liveFrom || this.scheme.endOf(epoch) + this.retentionMs <= now;
  }

  /**
   * The pseudonym of `userId` for an event at `eventTimeMs`. Throws {@link ExpiredEpochError} when
   * the epoch's key is destroyed, {@link FutureEventError} when the event is too far ahead, and
   * {@link PrivacyInputError} for an empty id or a non-finite time.
   */
  pseudonymize(userId: string, eventTimeMs: number): string {
    if (typeof userId !== "string" || userId.length === 0) {
      throw new PrivacyInputError("user id must be a non-empty string");
    }
    if (typeof eventTimeMs !== "number" || !Number.isFinite(eventTimeMs)) {
      throw new PrivacyInputError(`event time must be a finite number of ms, got ${String(eventTimeMs)}`);
    }
    const now = this.now();
    const epoch = this.scheme.epochOf(eventTimeMs);
    this.sweepIfNewEpoch(now);
    if (this.isExpired(epoch, now)) {
      throw new ExpiredEpochError(
        `event at ${isoTime(eventTimeMs)} is refused: the key of its epoch ${epoch} (ended ${isoTime(this.scheme.endOf(epoch))}) ` +
          `was destroyed after the ${this.retentionMs} ms retention window, and old epochs are never re-keyed`,
      );
    }
    if (eventTimeMs > now + this.maxFutureMs) {
      throw new FutureEventError(
        `event at ${isoTime(eventTimeMs)} is more than ${this.maxFutureMs} ms ahead of the clock (${isoTime(now)})`,
      );
    }
    const key = this.keyOf(epoch);
    return createHmac("sha256", key)
      .update(userId, "utf8")
      .digest()
      .subarray(0, PSEUDONYM_BYTES)
      .toString("base64url");
  }

  /**
   * Destroys every key whose retention has passed: zeroes the buffers held here and deletes them
   * from the store. Returns the destroyed epochs. Called automatically when the clock enters a new
   * epoch; call it from a timer too if events may stop arriving.
   */
  destroyExpiredKeys(now: number = this.now()): number[] {
    const current = this.scheme.epochOf(now);
    const destroyed: number[] = [];
    for (const epoch of [...this.store.epochs()]) {
      if (this.scheme.endOf(epoch) + this.retentionMs <= now) {
        this.forget(epoch);
        destroyed.push(epoch);
      }
    }
    for (const epoch of [...this.cache.keys()]) {
      if (this.scheme.endOf(epoch) + this.retentionMs <= now) this.forget(epoch);
    }
    let firstLive = current;
    while (this.scheme.endOf(firstLive - 1) + this.retentionMs > now) firstLive--;
    if (firstLive > this.liveFrom) this.liveFrom = firstLive;
    this.sweptAt = current;
    return destroyed.sort((a, b) => a - b);
  }

  private sweepIfNewEpoch(now: number): void {
    if (this.scheme.epochOf(now) !== this.sweptAt) this.destroyExpiredKeys(now);
  }

  private forget(epoch: number): void {
    this.cache.get(epoch)?.fill(0);
    this.cache.delete(epoch);
    this.store.get(epoch)?.fill(0);
    this.store.delete(epoch);
  }

  private keyOf(epoch: number): Buffer {
    let key = this.cache.get(epoch);
    if (key) return key;
    const stored = this.store.get(epoch);
    if (stored) {
      if (stored.length !== KEY_BYTES) {
        throw new PrivacyInputError(
          `stored key of epoch ${epoch} has ${stored.length} bytes, expected ${KEY_BYTES}`,
        );
      }
      key = Buffer.from(stored);
    } else {
      const fresh = this.random(KEY_BYTES);
      if (fresh.length !== KEY_BYTES) {
        throw new PrivacyInputError(`random source returned ${fresh.length} bytes, expected ${KEY_BYTES}`);
      }
      key = Buffer.from(fresh);
      this.store.put(epoch, key);
      fresh.fill(0);
    }
    this.cache.set(epoch, key);
    return key;
  }
}
