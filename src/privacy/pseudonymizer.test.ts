import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ExpiredEpochError, FutureEventError, PrivacyInputError } from "./errors.js";
import {
  DEFAULT_KEY_RETENTION_MS,
  fixedEpochs,
  type KeyStore,
  MemoryKeyStore,
  Pseudonymizer,
  utcMonthEpochs,
} from "./pseudonymizer.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 2, 14, 9, 30);

class Clock {
  constructor(public t: number) {}
  readonly now = () => this.t;
}

class SpyStore implements KeyStore {
  readonly inner = new MemoryKeyStore();
  readonly handed: Uint8Array[] = [];
  readonly deleted: number[] = [];
  get(epoch: number) {
    const k = this.inner.get(epoch);
    if (k) this.handed.push(k);
    return k;
  }
  put(epoch: number, key: Uint8Array) {
    this.handed.push(key);
    this.inner.put(epoch, key);
  }
  delete(epoch: number) {
    this.deleted.push(epoch);
    this.inner.delete(epoch);
  }
  epochs() {
    return this.inner.epochs();
  }
}

function counterBytes(): { calls: number; fn: (n: number) => Uint8Array } {
  const state = {
    calls: 0,
    fn: (n: number) => {
      state.calls++;
      return new Uint8Array(n).fill(state.calls);
    },
  };
  return state;
}

describe("Pseudonymizer", () => {
  it("is HMAC-SHA256 under the epoch's key, truncated to 16 bytes, in base64url", () => {
    const rnd = counterBytes();
    const p = new Pseudonymizer({ now: () => T0, randomBytes: rnd.fn });
    const got = p.pseudonymize("alice", T0);
    const expected = createHmac("sha256", new Uint8Array(32).fill(1))
      .update("alice", "utf8")
      .digest()
      .subarray(0, 16)
      .toString("base64url");
    expect(got).toBe(expected);
    expect(got).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("is stable within an epoch and unrelated across epochs and users", () => {
    const clock = new Clock(T0 + DAY);
    const p = new Pseudonymizer({ now: clock.now });
    const day0 = p.pseudonymize("alice", T0);
    expect(p.pseudonymize("alice", T0 + 3600_000)).toBe(day0);
    expect(p.pseudonymize("bob", T0)).not.toBe(day0);
    expect(p.pseudonymize("alice", T0 + DAY)).not.toBe(day0);
  });

  it("creates one random key per epoch, on first use", () => {
    const rnd = counterBytes();
    const clock = new Clock(T0 + 2 * DAY);
    const p = new Pseudonymizer({ now: clock.now, randomBytes: rnd.fn });
    expect(rnd.calls).toBe(0);
    for (let i = 0; i < 10; i++) p.pseudonymize(`u${i}`, T0);
    expect(rnd.calls).toBe(1);
    p.pseudonymize("u", T0 + DAY);
    p.pseudonymize("u", T0 + 2 * DAY);
    expect(rnd.calls).toBe(3);
  });

  it("keeps pseudonyms across restarts through its key store", () => {
    const store = new MemoryKeyStore();
    const a = new Pseudonymizer({ store, now: () => T0 });
    const b = new Pseudonymizer({ store, now: () => T0 });
    expect(b.pseudonymize("alice", T0)).toBe(a.pseudonymize("alice", T0));
  });

  it("destroys keys after the retention window: zeroed and deleted", () => {
    const store = new SpyStore();
    const clock = new Clock(T0);
    const p = new Pseudonymizer({ store, now: clock.now });
    p.pseudonymize("alice", T0);
    const epoch = p.epochOf(T0);
    const end = (epoch + 1) * DAY;
    clock.t = end + DEFAULT_KEY_RETENTION_MS - 1;
    p.pseudonymize("alice", T0);
    expect(store.deleted).toEqual([]);
    clock.t = end + DEFAULT_KEY_RETENTION_MS;
    p.pseudonymize("bob", clock.t);
    expect(store.deleted).toEqual([epoch]);
    expect([...store.epochs()]).toEqual([p.epochOf(clock.t)]);
    for (const k of store.handed.slice(0, -1)) expect(k.every((b) => b === 0)).toBe(true);
  });

  it("refuses events whose key is destroyed, even when the clock goes back", () => {
    const clock = new Clock(T0);
    const p = new Pseudonymizer({ now: clock.now, retentionMs: 2 * DAY });
    const before = p.pseudonymize("alice", T0);
    clock.t = T0 + 5 * DAY;
    expect(p.destroyExpiredKeys()).toEqual([p.epochOf(T0)]);
    expect(() => p.pseudonymize("alice", T0)).toThrow(ExpiredEpochError);
    expect(() => p.pseudonymize("alice", T0)).toThrow(/never re-keyed/);
    clock.t = T0;
    expect(() => p.pseudonymize("alice", T0)).toThrow(ExpiredEpochError);
    expect(before).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("accepts an event until its epoch's retention ends", () => {
    const clock = new Clock(0);
    const p = new Pseudonymizer({ now: clock.now, retentionMs: DAY });
    const epochEnd = (p.epochOf(T0) + 1) * DAY;
    clock.t = epochEnd + DAY - 1;
    expect(() => p.pseudonymize("alice", T0)).not.toThrow();
    clock.t = epochEnd + DAY;
    expect(() => p.pseudonymize("alice", T0)).toThrow(ExpiredEpochError);
  });

  it("refuses events too far in the future", () => {
    const p = new Pseudonymizer({ now: () => T0, maxFutureMs: 60_000 });
    expect(() => p.pseudonymize("alice", T0 + 60_000)).not.toThrow();
    expect(() => p.pseudonymize("alice", T0 + 60_001)).toThrow(FutureEventError);
  });

  const secret = "secret-user-42@example.org";
  const badCalls: Array<[string, (p: Pseudonymizer) => unknown, new (...a: never[]) => Error]> = [
    ["an empty id", (p) => p.pseudonymize("", T0), PrivacyInputError],
    ["a non-string id", (p) => p.pseudonymize(42 as unknown as string, T0), PrivacyInputError],
    ["a NaN time", (p) => p.pseudonymize(secret, Number.NaN), PrivacyInputError],
    ["an expired event", (p) => p.pseudonymize(secret, T0 - 400 * DAY), ExpiredEpochError],
    ["a future event", (p) => p.pseudonymize(secret, T0 + DAY), FutureEventError],
  ];
  it.each(badCalls)("rejects %s without naming the user", (_what, call, type) => {
    const p = new Pseudonymizer({ now: () => T0 });
    let error: unknown;
    try {
      call(p);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(type);
    expect(String((error as Error).message)).not.toContain(secret);
    expect(String((error as Error).stack)).not.toContain(secret);
  });

  it.each([
    ["negative retention", { retentionMs: -1 }],
    ["NaN future skew", { maxFutureMs: Number.NaN }],
  ])("rejects %s", (_what, options) => {
    expect(() => new Pseudonymizer(options)).toThrow(PrivacyInputError);
  });
});

describe("epoch schemes", () => {
  const cases: Array<[string, ReturnType<typeof fixedEpochs>, number, number, number]> = [
    ["UTC days", fixedEpochs(DAY), T0, Date.UTC(2025, 2, 14), Date.UTC(2025, 2, 15)],
    ["ISO weeks", fixedEpochs(7 * DAY, 4 * DAY), T0, Date.UTC(2025, 2, 10), Date.UTC(2025, 2, 17)],
    ["hours", fixedEpochs(3600_000), T0, Date.UTC(2025, 2, 14, 9), Date.UTC(2025, 2, 14, 10)],
    ["UTC months", utcMonthEpochs(), T0, Date.UTC(2025, 2, 1), Date.UTC(2025, 3, 1)],
    [
      "UTC months, December",
      utcMonthEpochs(),
      Date.UTC(2024, 11, 31, 23),
      Date.UTC(2024, 11, 1),
      Date.UTC(2025, 0, 1),
    ],
  ];
  it.each(cases)("%s", (_name, scheme, t, start, end) => {
    const e = scheme.epochOf(t);
    expect(scheme.startOf(e)).toBe(start);
    expect(scheme.endOf(e)).toBe(end);
    expect(scheme.epochOf(end)).toBe(e + 1);
    expect(scheme.epochOf(start)).toBe(e);
    expect(scheme.epochOf(end - 1)).toBe(e);
  });

  it.each([0, -5, 1.5])("rejects epoch length %s", (len) => {
    expect(() => fixedEpochs(len)).toThrow(PrivacyInputError);
  });
});
