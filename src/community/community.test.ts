import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Community, DAY_MS, dayOf, MAX_WINDOW_DAYS, NETWORK, windowScheme } from "./community.js";

const T0 = Date.UTC(2025, 2, 14, 12);
const open: Database.Database[] = [];
function make(now = () => T0, opts: { keyRetentionMs?: number } = {}) {
  const db = new Database(":memory:");
  open.push(db);
  return new Community({ db, now, ...opts });
}
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

const ev = (id: string, user: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, type: "message", time: T0, channel: "general", user, ...extra });

describe("Community ingest", () => {
  it("accepts a batch, counts distinct users, and is idempotent by event id", () => {
    const c = make();
    const body = [ev("a", "u1"), ev("b", "u2"), ev("c", "u1"), ev("a", "u1")].join("\n");
    expect(c.ingestBody(body)).toEqual({ ok: true, accepted: 3, duplicates: 1 });
    expect(c.ingestBody(body)).toEqual({ ok: true, accepted: 0, duplicates: 4 });
    const day = dayOf(T0);
    expect(Math.round(c.dayDistinct("general", day))).toBe(2);
    expect(Math.round(c.dayDistinct(NETWORK, day))).toBe(2);
    expect(c.store.dailySums("general", day, day).messages).toBe(3);
  });

  it("accepts nothing from a request with one bad event, and reports it by index", () => {
    const c = make();
    const body = [ev("a", "u1"), ev("b", "u2", { type: "vote" }), ev("c", "u3")].join("\n");
    const r = c.ingestBody(body);
    expect(r).toEqual({
      ok: false,
      errors: [{ index: 1, id: "b", reason: expect.stringContaining("direction") }],
    });
    expect(c.store.dailySums("general", 0, 1e6).events).toBe(0);
    expect(c.ingestBody([ev("a", "u1"), ev("c", "u3")].join("\n"))).toMatchObject({ accepted: 2 });
  });

  it("refuses events in destroyed key epochs or too far ahead, by index, accepting none", () => {
    const c = make(() => T0, { keyRetentionMs: 2 * DAY_MS });
    const body = [
      ev("ok", "u1"),
      ev("old", "u1", { time: T0 - 4 * DAY_MS }),
      ev("future", "u1", { time: T0 + 3600_000 }),
    ].join("\n");
    const r = c.ingestBody(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.map((e) => [e.index, e.id])).toEqual([
        [1, "old"],
        [2, "future"],
      ]);
      expect(r.errors[0]!.reason).toContain("destroyed");
    }
  });

  it("destroys keys after their retention and never re-keys their epochs", () => {
    let now = T0;
    const c = make(() => now, { keyRetentionMs: DAY_MS });
    c.ingestBody(ev("a", "u1"));
    expect(c.keyEpochs().day).toEqual([dayOf(T0)]);
    now = T0 + 3 * DAY_MS;
    c.maintain();
    expect(c.keyEpochs().day).toEqual([]);
    expect(c.ingestBody(ev("b", "u1")).ok).toBe(false);
  });

  it("picks a window key whose epoch spans any window of up to 31 days", () => {
    for (let end = 20_000; end < 20_130; end++) {
      expect(() => windowScheme(end - MAX_WINDOW_DAYS + 1, end)).not.toThrow();
    }
    expect(() => windowScheme(20_000, 20_040)).toThrow("longer than the 31 days");
  });
});
