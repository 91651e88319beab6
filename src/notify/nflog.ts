import type Database from "better-sqlite3";
import type { Clock } from "./clock.js";

/** What was last sent for one group to one integration of a receiver. */
export interface NflogEntry {
  /** Identities (fingerprints) of the alerts sent as firing. */
  readonly firing: readonly string[];
  /** Identities of the alerts sent as resolved. */
  readonly resolved: readonly string[];
  /** When the notification was sent (ms). */
  readonly timestamp: number;
  /** Per alert identity, when it was last sent as firing (for cooldowns); outlives `firing`. */
  readonly firedAt: Readonly<Record<string, number>>;
}

interface Row {
  firing: string;
  resolved: string;
  timestamp: number;
  fired_at: string;
}

/**
 * The notification log: Alertmanager's nflog, in SQLite (table `notify_nflog`), so a restart
 * neither forgets what was sent nor sends it again before the repeat interval. Keyed by group key
 * and receiver integration (`receiver/integration/index`).
 */
export class NotificationLog {
  private readonly clock: Clock;
  private readonly retention: number;
  private readonly getStmt: Database.Statement;
  private readonly putStmt: Database.Statement;
  private readonly gcStmt: Database.Statement;

  /** `retention`: how long an entry is kept after it was written (Alertmanager's default 120h). */
  constructor(db: Database.Database, clock: Clock, retention = 120 * 3600_000) {
    this.clock = clock;
    this.retention = retention;
    db.exec(`CREATE TABLE IF NOT EXISTS notify_nflog (
      group_key TEXT NOT NULL, receiver TEXT NOT NULL, firing TEXT NOT NULL, resolved TEXT NOT NULL,
      timestamp INTEGER NOT NULL, fired_at TEXT NOT NULL, expires_at INTEGER NOT NULL,
      PRIMARY KEY (group_key, receiver))`);
    this.getStmt = db.prepare(
      "SELECT firing, resolved, timestamp, fired_at FROM notify_nflog WHERE group_key = ? AND receiver = ?",
    );
    this.putStmt = db.prepare(
      `INSERT OR REPLACE INTO notify_nflog (group_key, receiver, firing, resolved, timestamp, fired_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.gcStmt = db.prepare("DELETE FROM notify_nflog WHERE expires_at < ?");
  }

  /** The last entry for a group and receiver integration, if any and not expired. */
  get(groupKey: string, receiver: string): NflogEntry | undefined {
    const r = this.getStmt.get(groupKey, receiver) as Row | undefined;
    if (!r) return undefined;
    return {
      firing: JSON.parse(r.firing) as string[],
      resolved: JSON.parse(r.resolved) as string[],
      timestamp: r.timestamp,
      firedAt: JSON.parse(r.fired_at) as Record<string, number>,
    };
  }

  /** Records a notification that was sent now (or handled, for integrations that skip resolved). */
  log(
    groupKey: string,
    receiver: string,
    firing: readonly string[],
    resolved: readonly string[],
    prev?: NflogEntry,
  ): void {
    const now = this.clock.now();
    const firedAt: Record<string, number> = {};
    const keepAfter = now - 24 * 3600_000;
    for (const [id, t] of Object.entries(prev?.firedAt ?? {})) if (t >= keepAfter) firedAt[id] = t;
    for (const id of firing) firedAt[id] = now;
    this.putStmt.run(
      groupKey,
      receiver,
      JSON.stringify([...firing].sort()),
      JSON.stringify([...resolved].sort()),
      now,
      JSON.stringify(firedAt),
      now + this.retention,
    );
  }

  /** Deletes expired entries; returns how many. */
  gc(): number {
    return this.gcStmt.run(this.clock.now()).changes;
  }
}
