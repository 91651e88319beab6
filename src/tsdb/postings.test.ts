import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Labels, labelsFromRecord, Matcher, type MatchType, matchLabels } from "../model/index.js";
import { intersect, literalAlternatives, MemPostings, subtract, union } from "./postings.js";

const sortedIds = fc
  .uniqueArray(fc.integer({ min: 1, max: 300 }), { maxLength: 80 })
  .map((a) => a.sort((x, y) => x - y));

describe("postings set operations", () => {
  it("intersect, subtract and union agree with sets", () => {
    fc.assert(
      fc.property(sortedIds, sortedIds, sortedIds, (a, b, c) => {
        const sb = new Set(b);
        expect([...intersect(a, b)]).toEqual(a.filter((x) => sb.has(x)));
        expect([...subtract(a, b)]).toEqual(a.filter((x) => !sb.has(x)));
        expect([...union([a, b, c])]).toEqual([...new Set([...a, ...b, ...c])].sort((x, y) => x - y));
      }),
    );
  });
});

describe("literalAlternatives", () => {
  const cases: [string, string[] | null][] = [
    ["a|b|c", ["a", "b", "c"]],
    ["(?:foo|bar)", ["foo", "bar"]],
    ["(foo|bar)", ["foo", "bar"]],
    ["node", ["node"]],
    ["a\\.b|c", ["a.b", "c"]],
    ["a|", ["a", ""]],
    ["a.*", null],
    ["a|b+", null],
    ["\\d", null],
    ["(a)|(b)", null],
  ];
  it.each(cases)("%s", (re, want) => {
    expect(literalAlternatives(re)).toEqual(want);
  });
});

const NAMES = ["__name__", "a", "b", "c"];
const VALUES = ["x", "y", "xy", "z", "1"];

const labelSet = fc
  .record({
    a: fc.constantFrom("", ...VALUES),
    b: fc.constantFrom("", ...VALUES),
    c: fc.constantFrom("", ...VALUES),
  })
  .map((r) => labelsFromRecord({ __name__: "m", ...r }));

const matcherArb = fc
  .tuple(
    fc.constantFrom<MatchType>("=", "!=", "=~", "!~"),
    fc.constantFrom(...NAMES, "missing"),
    fc.constantFrom("", "x", "y", "xy", "m", ".*", ".+", "x|y", "x.*", "x|", "(?:z|1)", "[xy]+", "q"),
  )
  .filter(([type, , value]) => type === "=~" || type === "!~" || !/[.*+|([]/.test(value))
  .map(([type, name, value]) => new Matcher(type, name, value));

describe("MemPostings", () => {
  it("answers matchers exactly like a filter over all series", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(labelSet, { selector: (ls) => JSON.stringify(ls), maxLength: 60 }),
        fc.array(matcherArb, { maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (sets, matchers, deletions) => {
          const p = new MemPostings();
          const live = new Map<number, Labels>();
          // Insert in a shuffled order to exercise sorted insertion.
          const order = sets.map((_, i) => i + 1).sort((x, y) => ((x * 7919) % 61) - ((y * 7919) % 61));
          for (const id of order) {
            p.add(id, sets[id - 1]!);
            live.set(id, sets[id - 1]!);
          }
          for (const d of deletions) {
            const id = (d % (sets.length + 1)) + 1;
            const ls = live.get(id);
            if (ls !== undefined) {
              p.delete(id, ls);
              live.delete(id);
            }
          }
          const want = [...live].filter(([, ls]) => matchLabels(matchers, ls)).map(([id]) => id);
          expect([...p.forMatchers(matchers)]).toEqual(want.sort((x, y) => x - y));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("interns label objects and lists names and values sorted", () => {
    const p = new MemPostings();
    const a = p.add(1, labelsFromRecord({ __name__: "up", job: "node" }));
    const b = p.add(2, labelsFromRecord({ __name__: "up", job: "api", zone: "eu" }));
    expect(a[0]).toBe(b[0]);
    expect(p.labelNames()).toEqual(["__name__", "job", "zone"]);
    expect(p.labelValues("job")).toEqual(["api", "node"]);
    p.delete(2, b);
    expect(p.labelNames()).toEqual(["__name__", "job"]);
    expect(p.labelValues("zone")).toEqual([]);
    expect(p.size).toBe(1);
  });
});
