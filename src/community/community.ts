import { createHmac, randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import {
  DEFAULT_KEY_RETENTION_MS,
  DEFAULT_MAX_FUTURE_MS,
  type EpochScheme,
  fixedEpochs,
  HyperLogLog,
  PrivacyError,
  Pseudonymizer,
} from "../privacy/index.js";
import { type CommunityEvent, type EventError, type EventLimits, parseEvents } from "./events.js";
import { CommunityStore, type DailyField } from "./store.js";

/** One day in milliseconds; days are UTC days numbered from the Unix epoch. */
export const DAY_MS = 86_400_000;
/** One hour in milliseconds. */
export const HOUR_MS = 3_600_000;

/** The UTC day number of time `t`. */
export function dayOf(t: number): number {
  return Math.floor(t / DAY_MS);
}

/**
 * The day the figures at time `t` are about when no day is asked for: the last complete UTC day
 * (the one before `t`'s). A day still in progress would read DAU 0 just after midnight and pull
 * every health score down until the evening (DESIGN.md, "Publication rules").
 */
export function reportingDay(t: number): number {
  return dayOf(t) - 1;
}

/** The key schemes: `day` rotates daily; `w0` and `w1` are 60-day epochs staggered by 30 days. */
export const KEY_SCHEMES = ["day", "w0", "w1"] as const;
/** One of {@link KEY_SCHEMES}. */
export type KeyScheme = (typeof KEY_SCHEMES)[number];

/** Length of the window-key epochs (60 days): any window of up to 31 days lies inside one of them. */
export const WINDOW_EPOCH_DAYS = 60;
/** Longest window of days whose distinct users can be counted (MAU's 30 days fit). */
export const MAX_WINDOW_DAYS = WINDOW_EPOCH_DAYS / 2 + 1;

const SCHEMES: Readonly<Record<KeyScheme, EpochScheme>> = {
  day: fixedEpochs(DAY_MS),
  w0: fixedEpochs(WINDOW_EPOCH_DAYS * DAY_MS, 0),
  w1: fixedEpochs(WINDOW_EPOCH_DAYS * DAY_MS, (WINDOW_EPOCH_DAYS / 2) * DAY_MS),
};

/**
 * Kinds of distinct-user sketch. `active` (any event but a leave) is kept under every key scheme;
 * the others only under the window schemes.
 */
export const SKETCH_KINDS = ["active", "posters", "raters", "voters", "transactors"] as const;
/** One of {@link SKETCH_KINDS}. */
export type SketchKind = (typeof SKETCH_KINDS)[number];

const KIND_OF: Partial<Record<CommunityEvent["type"], SketchKind>> = {
  message: "posters",
  vote: "raters",
  ballot: "voters",
  transaction: "transactors",
};

/** Precision of `active` sketches (0.81 % standard error) and of the others (1.6 %). */
export const ACTIVE_PRECISION = 14;
/** See {@link ACTIVE_PRECISION}. */
export const KIND_PRECISION = 12;

/** The channel key of network-wide aggregates (real channels are never empty). */
export const NETWORK = "";

/** Options of a {@link Community}. */
export interface CommunityOptions {
  /** The shared SQLite database (state.db); the `community_*` tables are created in it. */
  readonly db: Database.Database;
  /** The clock. Default `Date.now`. */
  readonly now?: () => number;
  /** How long a key survives after its epoch ends. Default 35 days (privacy's default). */
  readonly keyRetentionMs?: number;
  /** How far ahead of the clock an event may be stamped. Default 15 minutes. */
  readonly maxFutureMs?: number;
  /** Days of sketches kept. Default 40 (MAU's 30 days plus late events). */
  readonly sketchRetentionDays?: number;
  /** Request bounds. */
  readonly limits?: EventLimits;
  /** The source of key bytes (tests). Default `crypto.randomBytes`. */
  readonly randomBytes?: (n: number) => Uint8Array;
}

/** The outcome of an ingest request. */
export type IngestResult =
  | { readonly ok: true; readonly accepted: number; readonly duplicates: number }
  | { readonly ok: false; readonly errors: readonly EventError[] };

interface Prepared {
  readonly e: CommunityEvent;
  readonly day: string;
  readonly w0: string;
  readonly w1: string;
  readonly idHash: string;
}

interface CachedSketch {
  readonly hll: HyperLogLog;
  dirty: boolean;
}

const SKETCH_CACHE_LIMIT = 4096;

function roundWeight(w: number): number {
  return w === 0 ? 0 : Number(w.toPrecision(4));
}

/**
 * The community stage's write side and its private aggregates. A raw user id exists only in the
 * events handed to {@link ingest} and only until they are pseudonymized under three keys (the
 * daily key and two 60-day window keys); the pseudonyms go into HyperLogLog sketches and are never
 * stored. Sketches, counters and hashed ids live in the shared SQLite file.
 */
export class Community {
  /** The tables. */
  readonly store: CommunityStore;
  /** The clock. */
  readonly now: () => number;
  /** Request bounds. */
  readonly limits: EventLimits;
  private readonly keys: Readonly<Record<KeyScheme, Pseudonymizer>>;
  private readonly sketchRetentionDays: number;
  private readonly cache = new Map<string, CachedSketch>();
  private readonly proposalKey: Buffer;

  /** Opens (or creates) the community tables in `options.db`. */
  constructor(options: CommunityOptions) {
    this.store = new CommunityStore(options.db);
    this.now = options.now ?? Date.now;
    this.limits = options.limits ?? {};
    this.sketchRetentionDays = options.sketchRetentionDays ?? 40;
    const common = {
      now: this.now,
      retentionMs: options.keyRetentionMs ?? DEFAULT_KEY_RETENTION_MS,
      maxFutureMs: options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS,
      ...(options.randomBytes ? { randomBytes: options.randomBytes } : {}),
    };
    const make = (s: KeyScheme) =>
      new Pseudonymizer({ ...common, epochs: SCHEMES[s], store: this.store.keyStore(s) });
    this.keys = { day: make("day"), w0: make("w0"), w1: make("w1") };
    let pk = this.store.meta("proposal_key");
    if (!pk) {
      pk = Buffer.from((options.randomBytes ?? randomBytes)(32));
      this.store.setMeta("proposal_key", pk);
    }
    this.proposalKey = pk;
  }

  /**
   * Parses, validates and ingests a request body (JSON array or NDJSON), all or nothing. Throws
   * {@link EventBodyError} when the body as a whole is unreadable.
   */
  ingestBody(body: string | Uint8Array): IngestResult {
    const { events, errors } = parseEvents(body, this.limits);
    if (errors.length > 0) return { ok: false, errors };
    return this.ingest(events);
  }

  /**
   * Ingests validated events, all or nothing: every user id is pseudonymized first (an event
   * whose key epoch is destroyed or that lies too far ahead is refused by index), then the batch is
   * applied in one transaction. Events whose id was seen before (in this batch or earlier) are
   * counted as duplicates and skipped.
   */
  ingest(events: readonly CommunityEvent[]): IngestResult {
    const prepared: Prepared[] = [];
    const errors: EventError[] = [];
    // A user's pseudonym per key epoch, for this request only (users repeat within a batch; the
    // HMAC is most of the cost). The event-id hash is computed first and never memoized, so every
    // event's time is still checked against its epoch's key and the clock.
    const memo = new Map<string, string>();
    const pseudonym = (scheme: KeyScheme, user: string, t: number): string => {
      const key = `${scheme}\u0000${this.keys[scheme].epochOf(t)}\u0000${user}`;
      let p = memo.get(key);
      if (p === undefined) {
        p = this.keys[scheme].pseudonymize(user, t);
        memo.set(key, p);
      }
      return p;
    };
    events.forEach((e, index) => {
      try {
        const idHash = this.keys.day.pseudonymize(`\u0000event-id\u0000${e.id}`, e.time);
        prepared.push({
          e,
          day: pseudonym("day", e.user, e.time),
          w0: pseudonym("w0", e.user, e.time),
          w1: pseudonym("w1", e.user, e.time),
          idHash,
        });
      } catch (err) {
        if (!(err instanceof PrivacyError)) throw err;
        errors.push({ index, id: e.id, reason: `time: ${err.message}` });
      }
    });
    if (errors.length > 0) return { ok: false, errors };
    let duplicates = 0;
    this.store.transaction(() => {
      const counters = new Map<string, number>();
      const add = (channel: string, day: number, field: DailyField, v: number) => {
        const key = `${channel}\u0000${day}\u0000${field}`;
        counters.set(key, (counters.get(key) ?? 0) + v);
      };
      for (const p of prepared) {
        const expires = this.keys.day.epochOf(p.e.time) * DAY_MS + DAY_MS + 36 * DAY_MS;
        if (!this.store.remember(p.idHash, expires)) {
          duplicates++;
          continue;
        }
        this.apply(p, add);
      }
      for (const [key, v] of counters) {
        const [channel, day, field] = key.split("\u0000") as [string, string, DailyField];
        this.store.addDaily(channel, Number(day), field, v);
      }
      this.flush();
    });
    if (this.cache.size > SKETCH_CACHE_LIMIT) this.cache.clear();
    return { ok: true, accepted: prepared.length - duplicates, duplicates };
  }

  private apply(p: Prepared, add: (c: string, d: number, f: DailyField, v: number) => void): void {
    const e = p.e;
    const day = dayOf(e.time);
    const kind = KIND_OF[e.type];
    for (const c of [e.channel, NETWORK]) {
      add(c, day, "events", 1);
      if (e.type !== "leave") {
        this.writable(c, day, "active", "day").add(p.day);
        this.writable(c, day, "active", "w0").add(p.w0);
        this.writable(c, day, "active", "w1").add(p.w1);
      }
      if (kind) {
        this.writable(c, day, kind, "w0").add(p.w0);
        this.writable(c, day, kind, "w1").add(p.w1);
      }
      switch (e.type) {
        case "message":
          add(c, day, "messages", 1);
          break;
        case "vote":
          add(c, day, e.direction === "up" ? "votes_up" : "votes_down", 1);
          break;
        case "join":
          add(c, day, "joins", 1);
          break;
        case "leave":
          add(c, day, "leaves", 1);
          break;
        case "proposal_opened":
          add(c, day, "proposals_opened", 1);
          break;
        case "proposal_closed":
          add(c, day, e.outcome === "passed" ? "proposals_passed" : "proposals_rejected", 1);
          break;
        case "ballot":
          add(c, day, "ballots", 1);
          this.store.addWeight(c, day, roundWeight(e.weight));
          break;
        case "moderation":
          add(c, day, "moderation", 1);
          break;
        case "appeal":
          add(c, day, `appeals_${e.outcome}`, 1);
          break;
        case "transaction":
          add(c, day, "transactions", 1);
          add(c, day, "tx_volume", e.value);
          add(c, day, "tx_fees", e.fee);
          this.store.addTx(c, Math.floor(e.time / HOUR_MS), e.tx_type, e.value, e.fee);
          break;
        case "session_start":
          add(c, day, "sessions_started", 1);
          break;
        case "session_end":
          add(c, day, "sessions_ended", 1);
          add(c, day, "session_seconds", e.duration);
          break;
      }
    }
    if (e.type === "proposal_opened") {
      this.store.openProposal(e.channel, this.proposalHash(e.proposal), e.time);
    } else if (e.type === "proposal_closed") {
      const opened = this.store.closeProposal(e.channel, this.proposalHash(e.proposal));
      if (opened !== undefined && opened <= e.time) {
        for (const c of [e.channel, NETWORK]) {
          add(c, day, "consensus_seconds", (e.time - opened) / 1000);
          add(c, day, "consensus_count", 1);
        }
      }
    }
  }

  private proposalHash(id: string): string {
    return createHmac("sha256", this.proposalKey)
      .update(id, "utf8")
      .digest()
      .subarray(0, 16)
      .toString("base64url");
  }

  private cacheKey(channel: string, day: number, kind: SketchKind, scheme: KeyScheme): string {
    return `${channel}\u0000${day}\u0000${kind}\u0000${scheme}`;
  }

  private writable(channel: string, day: number, kind: SketchKind, scheme: KeyScheme): HyperLogLog {
    const key = this.cacheKey(channel, day, kind, scheme);
    let c = this.cache.get(key);
    if (!c) {
      const hll =
        this.store.sketch(channel, day, kind, scheme) ??
        new HyperLogLog({
          precision: kind === "active" ? ACTIVE_PRECISION : KIND_PRECISION,
          scope: SCHEMES[scheme].epochOf(day * DAY_MS),
        });
      c = { hll, dirty: true };
      this.cache.set(key, c);
    }
    c.dirty = true;
    return c.hll;
  }

  private flush(): void {
    for (const [key, c] of this.cache) {
      if (!c.dirty) continue;
      const [channel, day, kind, scheme] = key.split("\u0000") as [string, string, string, string];
      this.store.putSketch(channel, Number(day), kind, scheme, c.hll);
      c.dirty = false;
    }
  }

  /** The sketch of one channel, day, kind and scheme, or undefined when nobody was counted. */
  sketch(channel: string, day: number, kind: SketchKind, scheme: KeyScheme): HyperLogLog | undefined {
    const key = this.cacheKey(channel, day, kind, scheme);
    const c = this.cache.get(key);
    if (c) return c.hll;
    const hll = this.store.sketch(channel, day, kind, scheme);
    if (hll) {
      if (this.cache.size > SKETCH_CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, { hll, dirty: false });
    }
    return hll;
  }

  /** The daily-key distinct count of `kind` in a channel on one day (DAU for `active`). */
  dayDistinct(channel: string, day: number): number {
    return this.sketch(channel, day, "active", "day")?.estimate() ?? 0;
  }

  /**
   * Estimated distinct users of `kind` over days [from, to], merged under the window key whose
   * epoch contains the whole window. Throws RangeError for windows longer than
   * {@link MAX_WINDOW_DAYS} (no key spans them, by design).
   */
  distinct(channel: string, kind: SketchKind, from: number, to: number): number {
    if (to < from) return 0;
    const scheme = windowScheme(from, to);
    let acc: HyperLogLog | undefined;
    for (let d = from; d <= to; d++) {
      const s = this.sketch(channel, d, kind, scheme);
      if (!s) continue;
      acc = acc ? acc.merge(s) : s.clone();
    }
    return acc?.estimate() ?? 0;
  }

  /**
   * Estimated distinct users in the union of several day ranges (each [from, to]), for
   * inclusion–exclusion. All ranges must fit in one window-key epoch.
   */
  distinctUnion(channel: string, kind: SketchKind, ranges: readonly (readonly [number, number])[]): number {
    const lo = Math.min(...ranges.map((r) => r[0]));
    const hi = Math.max(...ranges.map((r) => r[1]));
    const scheme = windowScheme(lo, hi);
    let acc: HyperLogLog | undefined;
    const seen = new Set<number>();
    for (const [from, to] of ranges) {
      for (let d = from; d <= to; d++) {
        if (seen.has(d)) continue;
        seen.add(d);
        const s = this.sketch(channel, d, kind, scheme);
        if (s) acc = acc ? acc.merge(s) : s.clone();
      }
    }
    return acc?.estimate() ?? 0;
  }

  /**
   * Housekeeping: destroys expired keys (zeroed, deleted with secure_delete, log truncated), and
   * forgets expired event ids and old sketches. Run it from a timer (the publisher does).
   */
  maintain(now: number = this.now()): void {
    for (const s of KEY_SCHEMES) this.keys[s].destroyExpiredKeys(now);
    this.store.expire(now, dayOf(now) - this.sketchRetentionDays);
    this.cache.clear();
  }

  /** The epochs that currently have a key, by scheme (for tests and status pages). */
  keyEpochs(): Record<KeyScheme, number[]> {
    const out = {} as Record<KeyScheme, number[]>;
    for (const s of KEY_SCHEMES) out[s] = [...this.store.keyStore(s).epochs()].sort((a, b) => a - b);
    return out;
  }
}

/**
 * The window-key scheme whose epoch contains days [from, to]. Throws RangeError when the window is
 * longer than {@link MAX_WINDOW_DAYS}.
 */
export function windowScheme(from: number, to: number): "w0" | "w1" {
  for (const s of ["w0", "w1"] as const) {
    if (SCHEMES[s].epochOf(from * DAY_MS) === SCHEMES[s].epochOf(to * DAY_MS)) return s;
  }
  throw new RangeError(
    `a window of ${to - from + 1} days is longer than the ${MAX_WINDOW_DAYS} days a window key spans`,
  );
}
