import { randomUUID } from "node:crypto";
import type Database from "better-sqlite3";
import type { Matcher } from "../model/index.js";
import type { Clock } from "./clock.js";
import { matchRecord, parseMatcher } from "./matchers.js";

/** A silence matcher in Alertmanager's API shape. */
export interface SilenceMatcher {
  readonly name: string;
  readonly value: string;
  readonly isRegex: boolean;
  /** False for `!=` and `!~`; Alertmanager treats a missing value as true. */
  readonly isEqual: boolean;
}

/** A stored silence. Times are ms since the epoch. */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly updatedAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** The life of a silence: pending before it starts, active until it ends, then expired. */
export type SilenceState = "pending" | "active" | "expired";

/** What a client asks for when it creates or updates a silence (`id` set = update). */
export interface SilenceInput {
  readonly id?: string;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

/** A silence that cannot be stored; the message says why, as Alertmanager words it. */
export class SilenceValidationError extends Error {
  override name = "SilenceValidationError";
}

/** The silence named does not exist. */
export class SilenceNotFoundError extends Error {
  override name = "SilenceNotFoundError";
}

/** The state of a silence at `now`. */
export function silenceState(s: Silence, now: number): SilenceState {
  if (now < s.startsAt) return "pending";
  if (now >= s.endsAt) return "expired";
  return "active";
}

/** Compiles API matchers into model matchers; throws SilenceValidationError naming the bad one. */
export function compileSilenceMatchers(ms: readonly SilenceMatcher[]): Matcher[] {
  return ms.map((m, i) => {
    const op = m.isRegex ? (m.isEqual ? "=~" : "!~") : m.isEqual ? "=" : "!=";
    try {
      return parseMatcher(`${m.name}${op}${JSON.stringify(m.value)}`);
    } catch (err) {
      throw new SilenceValidationError(`invalid label matcher ${i}: ${(err as Error).message}`);
    }
  });
}

interface Row {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  updated_at: number;
  created_by: string;
  comment: string;
}

/**
 * Silences with Alertmanager's semantics, stored in SQLite (table `notify_silences`) and cached
 * in memory. Updating a silence changes it in place when Alertmanager would (same matchers, not
 * expired, start unchanged if active); otherwise the old one expires and a new one takes a new id.
 */
export class Silences {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly retention: number;
  private readonly all = new Map<string, { s: Silence; ms: Matcher[] }>();
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;

  /** `retention`: how long an expired silence is kept (Alertmanager's default is 120h). */
  constructor(db: Database.Database, clock: Clock, retention = 120 * 3600_000) {
    this.db = db;
    this.clock = clock;
    this.retention = retention;
    db.exec(`CREATE TABLE IF NOT EXISTS notify_silences (
      id TEXT PRIMARY KEY, matchers TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL, created_by TEXT NOT NULL, comment TEXT NOT NULL)`);
    this.upsert = db.prepare(
      `INSERT OR REPLACE INTO notify_silences (id, matchers, starts_at, ends_at, updated_at, created_by, comment)
       VALUES (@id, @matchers, @starts_at, @ends_at, @updated_at, @created_by, @comment)`,
    );
    this.remove = db.prepare("DELETE FROM notify_silences WHERE id = ?");
    for (const r of db.prepare("SELECT * FROM notify_silences").all() as Row[]) {
      const s: Silence = {
        id: r.id,
        matchers: JSON.parse(r.matchers) as SilenceMatcher[],
        startsAt: r.starts_at,
        endsAt: r.ends_at,
        updatedAt: r.updated_at,
        createdBy: r.created_by,
        comment: r.comment,
      };
      try {
        this.all.set(s.id, { s, ms: compileSilenceMatchers(s.matchers) });
      } catch {
        // A silence whose matchers no longer compile cannot mute anything; it is dropped.
      }
    }
  }

  private store(s: Silence): void {
    this.all.set(s.id, { s, ms: compileSilenceMatchers(s.matchers) });
    this.upsert.run({
      id: s.id,
      matchers: JSON.stringify(s.matchers),
      starts_at: s.startsAt,
      ends_at: s.endsAt,
      updated_at: s.updatedAt,
      created_by: s.createdBy,
      comment: s.comment,
    });
  }

  /**
   * Creates a silence, or updates the one named by `input.id`; returns the id it is stored under.
   * A start in the past becomes now.
   */
  set(input: SilenceInput): string {
    const now = this.clock.now();
    validate(input, now);
    const prev = input.id ? this.all.get(input.id)?.s : undefined;
    if (input.id && !prev) throw new SilenceNotFoundError(`silence ${input.id} not found`);
    if (prev) {
      if (canUpdate(prev, input, now)) {
        this.store({ ...input, id: prev.id, matchers: [...input.matchers], updatedAt: now });
        return prev.id;
      }
      if (silenceState(prev, now) !== "expired") this.expire(prev.id);
    }
    const id = randomUUID();
    this.store({
      id,
      matchers: input.matchers.map((m) => ({ ...m })),
      startsAt: Math.max(input.startsAt, now),
      endsAt: input.endsAt,
      updatedAt: now,
      createdBy: input.createdBy,
      comment: input.comment,
    });
    return id;
  }

  /** Ends a silence now (a pending one never starts). */
  expire(id: string): void {
    const cur = this.all.get(id)?.s;
    if (!cur) throw new SilenceNotFoundError(`silence ${id} not found`);
    const now = this.clock.now();
    switch (silenceState(cur, now)) {
      case "expired":
        throw new SilenceValidationError(`silence ${id} already expired`);
      case "active":
        this.store({ ...cur, endsAt: now, updatedAt: now });
        return;
      case "pending":
        this.store({ ...cur, startsAt: now, endsAt: now, updatedAt: now });
        return;
    }
  }

  /** The silence with this id, if kept. */
  get(id: string): Silence | undefined {
    return this.all.get(id)?.s;
  }

  /** Every kept silence. */
  list(): Silence[] {
    return [...this.all.values()].map((e) => e.s);
  }

  /** Ids of the active silences that match a label set (sorted). */
  mutes(labels: Readonly<Record<string, string>>): string[] {
    const now = this.clock.now();
    const out: string[] = [];
    for (const { s, ms } of this.all.values()) {
      if (silenceState(s, now) === "active" && matchRecord(ms, labels)) out.push(s.id);
    }
    return out.sort();
  }

  /** Drops silences expired for longer than the retention; returns how many. */
  gc(): number {
    const limit = this.clock.now() - this.retention;
    let n = 0;
    const tx = this.db.transaction(() => {
      for (const { s } of [...this.all.values()]) {
        if (s.endsAt < limit) {
          this.all.delete(s.id);
          this.remove.run(s.id);
          n++;
        }
      }
    });
    tx();
    return n;
  }
}

function sameMatchers(a: readonly SilenceMatcher[], b: readonly SilenceMatcher[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (m, i) =>
        m.name === b[i]!.name &&
        m.value === b[i]!.value &&
        m.isRegex === b[i]!.isRegex &&
        m.isEqual === b[i]!.isEqual,
    )
  );
}

function canUpdate(prev: Silence, next: SilenceInput, now: number): boolean {
  if (!sameMatchers(prev.matchers, next.matchers)) return false;
  switch (silenceState(prev, now)) {
    case "expired":
      return false;
    case "active":
      return next.startsAt === prev.startsAt && next.endsAt >= now;
    case "pending":
      return next.startsAt >= now;
  }
}

function validate(s: SilenceInput, now: number): void {
  if (s.matchers.length === 0) throw new SilenceValidationError("at least one matcher required");
  const ms = compileSilenceMatchers(s.matchers);
  if (ms.every((m) => m.matchesEmpty())) {
    throw new SilenceValidationError("at least one matcher must not match the empty string");
  }
  if (!Number.isFinite(s.startsAt) || s.startsAt <= 0)
    throw new SilenceValidationError("invalid zero start timestamp");
  if (!Number.isFinite(s.endsAt) || s.endsAt <= 0)
    throw new SilenceValidationError("invalid zero end timestamp");
  if (s.endsAt <= s.startsAt) throw new SilenceValidationError("start time must be before end time");
  if (s.endsAt < now) throw new SilenceValidationError("end time can't be in the past");
  if (s.createdBy === "") throw new SilenceValidationError("creator information missing");
  if (s.comment === "") throw new SilenceValidationError("comment missing");
}
