import type Database from "better-sqlite3";

/** One recorded state change of an alert. */
export interface AlertHistoryEntry {
  /** When the transition happened (evaluation time, ms since the epoch). */
  readonly t: number;
  readonly alertname: string;
  /** The rule group's file and name (`file;name`). */
  readonly group: string;
  /** The state before the transition. */
  readonly from: "inactive" | "pending" | "firing";
  /** pending (became active), firing, resolved (a firing alert stopped), inactive (a pending alert stopped). */
  readonly to: "pending" | "firing" | "resolved" | "inactive";
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The value of the alert expression at the transition. */
  readonly value: number;
}

/** A query over the history; every field is optional. */
export interface AlertHistoryQuery {
  /** Earliest time (ms, inclusive). */
  from?: number;
  /** Latest time (ms, inclusive). */
  to?: number;
  alertname?: string;
  /** Only transitions into this state. */
  state?: AlertHistoryEntry["to"];
  /** Most entries returned, newest first (default 1000). */
  limit?: number;
}

/**
 * Where alert transitions are kept. `record` must not throw for storage trouble it can log
 * instead; the rule engine calls it from the evaluation loop.
 */
export interface AlertHistoryStore {
  record(entries: readonly AlertHistoryEntry[]): void;
  /** Entries matching the query, newest first. */
  query(q?: AlertHistoryQuery): AlertHistoryEntry[];
}

/** An in-memory history (tests, agent mode), bounded to `max` entries. */
export class MemoryAlertHistory implements AlertHistoryStore {
  private readonly entries: AlertHistoryEntry[] = [];

  constructor(private readonly max = 100_000) {}

  record(entries: readonly AlertHistoryEntry[]): void {
    this.entries.push(...entries);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
  }

  query(q: AlertHistoryQuery = {}): AlertHistoryEntry[] {
    const out: AlertHistoryEntry[] = [];
    const limit = q.limit ?? 1000;
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i]!;
      if (matches(e, q)) out.push(e);
    }
    return out;
  }
}

function matches(e: AlertHistoryEntry, q: AlertHistoryQuery): boolean {
  return (
    (q.from === undefined || e.t >= q.from) &&
    (q.to === undefined || e.t <= q.to) &&
    (q.alertname === undefined || e.alertname === q.alertname) &&
    (q.state === undefined || e.to === q.state)
  );
}

interface Row {
  t: number;
  alertname: string;
  rule_group: string;
  from_state: string;
  to_state: string;
  labels: string;
  annotations: string;
  value: number | null;
}

/**
 * The alert history in the data directory's SQLite file (table `rules_alert_history`). The
 * server passes its shared better-sqlite3 Database; the table is created when missing. A value
 * that is not finite is stored as its text (`NaN`, `+Inf`, `-Inf`).
 */
export class SqliteAlertHistory implements AlertHistoryStore {
  private readonly insert: Database.Statement;
  private readonly insertMany: (entries: readonly AlertHistoryEntry[]) => void;

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS rules_alert_history (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      t INTEGER NOT NULL,
      alertname TEXT NOT NULL,
      rule_group TEXT NOT NULL,
      from_state TEXT NOT NULL,
      to_state TEXT NOT NULL,
      labels TEXT NOT NULL,
      annotations TEXT NOT NULL,
      value REAL,
      value_text TEXT
    );
    CREATE INDEX IF NOT EXISTS rules_alert_history_t ON rules_alert_history (t);
    CREATE INDEX IF NOT EXISTS rules_alert_history_name_t ON rules_alert_history (alertname, t);`);
    this.insert = db.prepare(
      "INSERT INTO rules_alert_history (t, alertname, rule_group, from_state, to_state, labels, annotations, value, value_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.insertMany = db.transaction((entries: readonly AlertHistoryEntry[]) => {
      for (const e of entries) {
        const finite = Number.isFinite(e.value);
        this.insert.run(
          e.t,
          e.alertname,
          e.group,
          e.from,
          e.to,
          JSON.stringify(e.labels),
          JSON.stringify(e.annotations),
          finite ? e.value : null,
          finite ? null : Number.isNaN(e.value) ? "NaN" : e.value > 0 ? "+Inf" : "-Inf",
        );
      }
    });
  }

  record(entries: readonly AlertHistoryEntry[]): void {
    if (entries.length > 0) this.insertMany(entries);
  }

  query(q: AlertHistoryQuery = {}): AlertHistoryEntry[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.from !== undefined) {
      where.push("t >= ?");
      params.push(q.from);
    }
    if (q.to !== undefined) {
      where.push("t <= ?");
      params.push(q.to);
    }
    if (q.alertname !== undefined) {
      where.push("alertname = ?");
      params.push(q.alertname);
    }
    if (q.state !== undefined) {
      where.push("to_state = ?");
      params.push(q.state);
    }
    params.push(q.limit ?? 1000);
    const rows = this.db
      .prepare(
        `SELECT t, alertname, rule_group, from_state, to_state, labels, annotations, value, value_text FROM rules_alert_history${
          where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""
        } ORDER BY t DESC, id DESC LIMIT ?`,
      )
      .all(...params) as (Row & { value_text: string | null })[];
    return rows.map((r) => ({
      t: r.t,
      alertname: r.alertname,
      group: r.rule_group,
      from: r.from_state as AlertHistoryEntry["from"],
      to: r.to_state as AlertHistoryEntry["to"],
      labels: JSON.parse(r.labels) as Record<string, string>,
      annotations: JSON.parse(r.annotations) as Record<string, string>,
      value:
        r.value !== null
          ? r.value
          : r.value_text === "+Inf"
            ? Number.POSITIVE_INFINITY
            : r.value_text === "-Inf"
              ? Number.NEGATIVE_INFINITY
              : Number.NaN,
    }));
  }
}
