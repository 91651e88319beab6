import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventBodyError, parseEvents, parseEventTime, splitEventBody } from "./events.js";

const ok = { id: "e1", time: "2025-03-14T09:30:00Z", channel: "general", user: "u-1" };
const T = Date.UTC(2025, 2, 14, 9, 30);
const nd = (...evs: unknown[]) => evs.map((e) => JSON.stringify(e)).join("\n");

describe("event schema", () => {
  it.each([
    [
      { ...ok, type: "message" },
      { type: "message", time: T },
    ],
    [{ ...ok, type: "vote", direction: "down" }, { direction: "down" }],
    [{ ...ok, type: "join", time: T }, { time: T }],
    [{ ...ok, type: "leave", time: "2025-03-14T10:30:00.000+01:00" }, { time: T }],
    [{ ...ok, type: "proposal_opened", proposal: "p1" }, { proposal: "p1" }],
    [{ ...ok, type: "proposal_closed", proposal: "p1", outcome: "passed" }, { outcome: "passed" }],
    [{ ...ok, type: "ballot", proposal: "p1" }, { weight: 1 }],
    [{ ...ok, type: "ballot", proposal: "p1", weight: 2.5 }, { weight: 2.5 }],
    [{ ...ok, type: "moderation", action: "remove" }, { action: "remove" }],
    [{ ...ok, type: "appeal" }, { outcome: "filed" }],
    [{ ...ok, type: "appeal", outcome: "overturned" }, { outcome: "overturned" }],
    [
      { ...ok, type: "transaction", value: 10 },
      { value: 10, fee: 0, tx_type: "transfer" },
    ],
    [
      { ...ok, type: "transaction", value: 10, fee: 0.1, tx_type: "stake" },
      { fee: 0.1, tx_type: "stake" },
    ],
    [{ ...ok, type: "session_start" }, { type: "session_start" }],
    [{ ...ok, type: "session_end", duration: 300 }, { duration: 300 }],
  ])("accepts %j", (input, expected) => {
    const r = parseEvents(JSON.stringify([input]));
    expect(r.errors).toEqual([]);
    expect(r.events[0]).toMatchObject(expected);
  });

  it.each([
    [{ ...ok, type: "nope" }, "type: expected one of message, vote"],
    [{ ...ok }, "type: expected one of"],
    [{ ...ok, type: "vote" }, "direction:"],
    [{ ...ok, type: "vote", direction: "sideways" }, "direction:"],
    [{ ...ok, type: "message", id: "" }, "id:"],
    [{ ...ok, type: "message", id: 7 }, "id:"],
    [{ ...ok, type: "message", channel: "x".repeat(129) }, "channel:"],
    [{ ...ok, type: "message", user: "" }, "user:"],
    [{ ...ok, type: "message", time: "2025-03-14" }, "time: expected an RFC 3339"],
    [{ ...ok, type: "message", time: "2025-03-14T09:30:00" }, "time: expected an RFC 3339"],
    [{ ...ok, type: "message", time: 1.5 }, "time:"],
    [{ ...ok, type: "message", time: -1 }, "time:"],
    [{ ...ok, type: "proposal_closed", proposal: "p" }, "outcome:"],
    [{ ...ok, type: "ballot" }, "proposal:"],
    [{ ...ok, type: "ballot", proposal: "p", weight: -1 }, "weight:"],
    [{ ...ok, type: "transaction" }, "value:"],
    [{ ...ok, type: "transaction", value: 1, fee: -2 }, "fee:"],
    [{ ...ok, type: "session_end" }, "duration:"],
    [{ ...ok, type: "session_end", duration: 8 * 86400 }, "duration:"],
    [{ ...ok, type: "moderation" }, "action:"],
    ["just a string", "event is not a JSON object"],
    [null, "event is not a JSON object"],
  ])("refuses %j", (input, reason) => {
    const r = parseEvents(JSON.stringify([{ ...ok, type: "join" }, input]));
    expect(r.events).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.index).toBe(1);
    expect(r.errors[0]!.reason).toContain(reason);
  });

  it("reports every bad event by index and id, accepts none, and never quotes the user id", () => {
    const user = "user-7f3a-canary";
    const body = nd(
      { ...ok, id: "a", type: "message", user },
      { ...ok, id: "b", type: "vote", user },
      { ...ok, id: "c", type: "join", user },
      { ...ok, id: "d", type: "transaction", value: -3, user },
    );
    const r = parseEvents(body);
    expect(r.events).toEqual([]);
    expect(r.errors.map((e) => [e.index, e.id])).toEqual([
      [1, "b"],
      [3, "d"],
    ]);
    expect(JSON.stringify(r.errors)).not.toContain(user);
  });

  it("reads NDJSON, skipping blank lines, and reports a bad line without quoting it", () => {
    const body = `${JSON.stringify({ ...ok, type: "join" })}\n\n{"user":"user-7f3a-canary",\n${JSON.stringify({ ...ok, id: "e2", type: "leave" })}\n`;
    const r = parseEvents(body);
    expect(r.errors).toEqual([{ index: 1, reason: expect.stringContaining("line is not valid JSON") }]);
    expect(JSON.stringify(r.errors)).not.toContain("canary");
    const good = parseEvents(`${nd({ ...ok, type: "join" }, { ...ok, id: "e2", type: "leave" })}\r\n`);
    expect(good.events.map((e) => e.id)).toEqual(["e1", "e2"]);
  });

  it.each([
    ["", "no events"],
    ["[]", "no events"],
    ['[{"user":"user-7f3a-canary"', "not a valid JSON array"],
    ["x".repeat(101), "above the limit of 100"],
  ])("refuses the body %j as a whole", (body, msg) => {
    expect(() => splitEventBody(body, { maxBodyBytes: 100 })).toThrow(msg);
    try {
      splitEventBody(body, { maxBodyBytes: 100 });
    } catch (err) {
      expect(err).toBeInstanceOf(EventBodyError);
      expect((err as Error).message).not.toContain("canary");
    }
  });

  it("bounds the events of one request", () => {
    const body = nd(...Array.from({ length: 3 }, (_, i) => ({ ...ok, id: `e${i}`, type: "join" })));
    expect(() => splitEventBody(body, { maxEvents: 2 })).toThrow("3 events, above the limit of 2");
    expect(splitEventBody(body, { maxEvents: 3 }).values).toHaveLength(3);
  });

  it("parses RFC 3339 and epoch milliseconds to the same instant", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (t) => {
        expect(parseEventTime(t)).toBe(t);
        expect(parseEventTime(new Date(t).toISOString())).toBe(t);
      }),
    );
    expect(parseEventTime("2025-03-14t09:30:00z")).toBe(T);
    expect(parseEventTime("2025-13-14T09:30:00Z")).toBeNaN();
  });
});
