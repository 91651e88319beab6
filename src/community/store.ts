import type Database from "better-sqlite3";
import type { KeyStore, PrivacyLedger, PublishedFigure } from "../privacy/index.js";
import { HyperLogLog } from "../privacy/index.js";

/** Integer counters kept per channel and day (see DESIGN.md, "Aggregates"). */
export const DAILY_FIELDS = [
  "events",
  "messages",
  "votes_up",
  "votes_down",
  "joins",
  "leaves",
  "proposals_opened",
  "proposals_passed",
  "proposals_rejected",
  "consensus_seconds",
  "consensus_count",
  "ballots",
  "moderation",
  "appeals_filed",
  "appeals_upheld",
  "appeals_overturned",
  "transactions",
  "tx_volume",
  "tx_fees",
  "sessions_started",
  "sessions_ended",
  "session_seconds",
] as const;

/** One of {@link DAILY_FIELDS}. */
export type DailyField = (typeof DAILY_FIELDS)[number];

/** Sums of the daily counters over a window. */
export type DailySums = Record<DailyField, number>;

/** Transactions of one type in one hour (or summed over a window). */
export interface TxRow {
  readonly hour: number;
  readonly txType: string;
  readonly count: number;
  readonly volume: number;
  readonly fees: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS community_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS community_keys (
  scheme TEXT NOT NULL, epoch INTEGER NOT NULL, key BLOB NOT NULL, PRIMARY KEY (scheme, epoch)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_dedup (id_hash TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS community_dedup_expires ON community_dedup (expires);
CREATE TABLE IF NOT EXISTS community_sketches (
  channel TEXT NOT NULL, day INTEGER NOT NULL, kind TEXT NOT NULL, scheme TEXT NOT NULL, hll BLOB NOT NULL,
  PRIMARY KEY (channel, day, kind, scheme)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_daily (
  channel TEXT NOT NULL, day INTEGER NOT NULL, field TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (channel, day, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_tx (
  channel TEXT NOT NULL, hour INTEGER NOT NULL, tx_type TEXT NOT NULL,
  count INTEGER NOT NULL, volume REAL NOT NULL, fees REAL NOT NULL,
  PRIMARY KEY (channel, hour, tx_type)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_weights (
  channel TEXT NOT NULL, day INTEGER NOT NULL, weight REAL NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (channel, day, weight)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_proposals (
  channel TEXT NOT NULL, proposal_hash TEXT NOT NULL, opened_at INTEGER NOT NULL,
  PRIMARY KEY (channel, proposal_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_dp_spent (scope TEXT PRIMARY KEY, spent REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS community_dp_published (
  scope TEXT NOT NULL, figure TEXT NOT NULL, published REAL NOT NULL, PRIMARY KEY (scope, figure)
) WITHOUT ROWID;
`;

/**
 * The community stage's tables in the shared SQLite file (`community_*`). Nothing here holds a user
 * id or a pseudonym: sketches, counters, hashed event and proposal ids, keys and privacy budgets.
 * Keys are erased for real: `secure_delete` overwrites freed pages and the write-ahead log is
 * truncated after keys are destroyed.
 */
export class CommunityStore {
  /** The database the tables live in. */
  readonly db: Database.Database;
  private readonly st: ReturnType<CommunityStore["prepare"]>;

  /** Creates the tables if needed and turns on `PRAGMA secure_delete`. */
  constructor(db: Database.Database) {
    this.db = db;
    db.pragma("secure_delete = ON");
    db.exec(SCHEMA);
    this.st = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      metaGet: db.prepare<[string], { value: Buffer }>("SELECT value FROM community_meta WHERE key = ?"),
      metaPut: db.prepare("INSERT OR REPLACE INTO community_meta (key, value) VALUES (?, ?)"),
      keyGet: db.prepare<[string, number], { key: Buffer }>(
        "SELECT key FROM community_keys WHERE scheme = ? AND epoch = ?",
      ),
      keyPut: db.prepare("INSERT OR REPLACE INTO community_keys (scheme, epoch, key) VALUES (?, ?, ?)"),
      keyDelete: db.prepare("DELETE FROM community_keys WHERE scheme = ? AND epoch = ?"),
      keyEpochs: db.prepare<[string], { epoch: number }>("SELECT epoch FROM community_keys WHERE scheme = ?"),
      dedupHas: db.prepare<[string], { one: number }>(
        "SELECT 1 AS one FROM community_dedup WHERE id_hash = ?",
      ),
      dedupPut: db.prepare("INSERT OR IGNORE INTO community_dedup (id_hash, expires) VALUES (?, ?)"),
      dedupExpire: db.prepare("DELETE FROM community_dedup WHERE expires <= ?"),
      sketchGet: db.prepare<[string, number, string, string], { hll: Buffer }>(
        "SELECT hll FROM community_sketches WHERE channel = ? AND day = ? AND kind = ? AND scheme = ?",
      ),
      sketchPut: db.prepare(
        "INSERT OR REPLACE INTO community_sketches (channel, day, kind, scheme, hll) VALUES (?, ?, ?, ?, ?)",
      ),
      sketchExpire: db.prepare("DELETE FROM community_sketches WHERE day < ?"),
      dailyAdd: db.prepare(
        "INSERT INTO community_daily (channel, day, field, value) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (channel, day, field) DO UPDATE SET value = value + excluded.value",
      ),
      dailySum: db.prepare<[string, number, number], { field: string; total: number }>(
        "SELECT field, SUM(value) AS total FROM community_daily WHERE channel = ? AND day BETWEEN ? AND ? GROUP BY field",
      ),
      channels: db.prepare<[], { channel: string }>(
        "SELECT DISTINCT channel FROM community_daily WHERE channel <> '' ORDER BY channel",
      ),
      txAdd: db.prepare(
        "INSERT INTO community_tx (channel, hour, tx_type, count, volume, fees) VALUES (?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (channel, hour, tx_type) DO UPDATE SET count = count + excluded.count, " +
          "volume = volume + excluded.volume, fees = fees + excluded.fees",
      ),
      txHourly: db.prepare<[string, number, number], TxRow>(
        "SELECT hour, tx_type AS txType, count, volume, fees FROM community_tx " +
          "WHERE channel = ? AND hour BETWEEN ? AND ? ORDER BY hour, tx_type",
      ),
      weightAdd: db.prepare(
        "INSERT INTO community_weights (channel, day, weight, count) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (channel, day, weight) DO UPDATE SET count = count + excluded.count",
      ),
      weights: db.prepare<[string, number, number], { weight: number; count: number }>(
        "SELECT weight, SUM(count) AS count FROM community_weights WHERE channel = ? AND day BETWEEN ? AND ? GROUP BY weight",
      ),
      proposalOpen: db.prepare(
        "INSERT OR IGNORE INTO community_proposals (channel, proposal_hash, opened_at) VALUES (?, ?, ?)",
      ),
      proposalTake: db.prepare<[string, string], { opened_at: number }>(
        "DELETE FROM community_proposals WHERE channel = ? AND proposal_hash = ? RETURNING opened_at",
      ),
      proposalsOpen: db.prepare<[string, string, number], { n: number }>(
        "SELECT COUNT(*) AS n FROM community_proposals WHERE (? = '' OR channel = ?) AND opened_at > ?",
      ),
      dpSpent: db.prepare<[string], { spent: number }>(
        "SELECT spent FROM community_dp_spent WHERE scope = ?",
      ),
      dpSetSpent: db.prepare("INSERT OR REPLACE INTO community_dp_spent (scope, spent) VALUES (?, ?)"),
      dpPublished: db.prepare<[string, string], { published: number }>(
        "SELECT published FROM community_dp_published WHERE scope = ? AND figure = ?",
      ),
      dpSetPublished: db.prepare(
        "INSERT OR REPLACE INTO community_dp_published (scope, figure, published) VALUES (?, ?, ?)",
      ),
    };
  }

  /** Runs `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** A stored meta value. */
  meta(key: string): Buffer | undefined {
    return this.st.metaGet.get(key)?.value;
  }

  /** Stores a meta value. */
  setMeta(key: string, value: Buffer): void {
    this.st.metaPut.run(key, value);
  }

  /** A {@link KeyStore} over `community_keys` for one key scheme. */
  keyStore(scheme: string): KeyStore {
    const st = this.st;
    return {
      get: (epoch) => {
        const row = st.keyGet.get(scheme, epoch);
        return row ? new Uint8Array(row.key) : undefined;
      },
      put: (epoch, key) => void st.keyPut.run(scheme, epoch, Buffer.from(key)),
      delete: (epoch) => {
        if (st.keyDelete.run(scheme, epoch).changes > 0) this.truncateLog();
      },
      epochs: () => st.keyEpochs.all(scheme).map((r) => r.epoch),
    };
  }

  /** Truncates the write-ahead log (when there is one) so erased pages leave no old copy behind. */
  truncateLog(): void {
    if (this.db.inTransaction) return;
    const mode = this.db.pragma("journal_mode", { simple: true });
    if (mode === "wal") this.db.pragma("wal_checkpoint(TRUNCATE)");
  }

  /** True when an event id hash was seen. */
  seen(idHash: string): boolean {
    return this.st.dedupHas.get(idHash) !== undefined;
  }

  /**
   * Remembers an event id hash until `expires`. Returns false when it was already remembered (a
   * duplicate, earlier or in the same transaction), true when it is new.
   */
  remember(idHash: string, expires: number): boolean {
    return this.st.dedupPut.run(idHash, expires).changes > 0;
  }

  /** Forgets event ids whose expiry has passed and sketches of days before `oldestSketchDay`. */
  expire(now: number, oldestSketchDay: number): void {
    this.st.dedupExpire.run(now);
    this.st.sketchExpire.run(oldestSketchDay);
  }

  /** A stored sketch, or undefined. */
  sketch(channel: string, day: number, kind: string, scheme: string): HyperLogLog | undefined {
    const row = this.st.sketchGet.get(channel, day, kind, scheme);
    return row ? HyperLogLog.deserialize(row.hll) : undefined;
  }

  /** Stores a sketch (replacing the previous one). */
  putSketch(channel: string, day: number, kind: string, scheme: string, hll: HyperLogLog): void {
    this.st.sketchPut.run(channel, day, kind, scheme, Buffer.from(hll.serialize()));
  }

  /** Adds `value` to a daily counter. */
  addDaily(channel: string, day: number, field: DailyField, value: number): void {
    this.st.dailyAdd.run(channel, day, field, value);
  }

  /** The counters summed over days [from, to] (0 for counters never touched). */
  dailySums(channel: string, from: number, to: number): DailySums {
    const out = Object.fromEntries(DAILY_FIELDS.map((f) => [f, 0])) as DailySums;
    for (const r of this.st.dailySum.all(channel, from, to)) {
      if (r.field in out) out[r.field as DailyField] = r.total;
    }
    return out;
  }

  /** Every channel that has counters, sorted. */
  channels(): string[] {
    return this.st.channels.all().map((r) => r.channel);
  }

  /** Adds a transaction to its hour and type. */
  addTx(channel: string, hour: number, txType: string, value: number, fee: number): void {
    this.st.txAdd.run(channel, hour, txType, 1, value, fee);
  }

  /** Transactions per hour and type in hours [from, to]. */
  txHourly(channel: string, from: number, to: number): TxRow[] {
    return this.st.txHourly.all(channel, from, to);
  }

  /** Counts one ballot of `weight`. */
  addWeight(channel: string, day: number, weight: number): void {
    this.st.weightAdd.run(channel, day, weight, 1);
  }

  /** Ballot weights over days [from, to], grouped: parallel arrays of weight and count. */
  weights(channel: string, from: number, to: number): { weights: Float64Array; counts: Float64Array } {
    const rows = this.st.weights.all(channel, from, to);
    const weights = new Float64Array(rows.length);
    const counts = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      weights[i] = r.weight;
      counts[i] = r.count;
    });
    return { weights, counts };
  }

  /** Records a proposal as open (the first opening wins). */
  openProposal(channel: string, proposalHash: string, openedAt: number): void {
    this.st.proposalOpen.run(channel, proposalHash, openedAt);
  }

  /** Removes an open proposal and returns when it was opened, if it was known. */
  closeProposal(channel: string, proposalHash: string): number | undefined {
    return this.st.proposalTake.get(channel, proposalHash)?.opened_at;
  }

  /** Proposals still open that were opened after `since` (in `channel`, or everywhere for ""). */
  openProposals(channel: string, since: number): number {
    return this.st.proposalsOpen.get(channel, channel, since)?.n ?? 0;
  }

  /** A {@link PrivacyLedger} over `community_dp_*`, so budgets survive restarts. */
  ledger(): PrivacyLedger {
    const st = this.st;
    return {
      spent: (scope) => st.dpSpent.get(scope)?.spent ?? 0,
      setSpent: (scope, epsilon) => void st.dpSetSpent.run(scope, epsilon),
      published: (scope, figure): PublishedFigure | undefined => {
        const row = st.dpPublished.get(scope, figure);
        return row ? { published: row.published } : undefined;
      },
      setPublished: (scope, figure, value) => void st.dpSetPublished.run(scope, figure, value.published),
    };
  }
}
