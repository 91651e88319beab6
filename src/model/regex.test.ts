import { describe, expect, test } from "vitest";
import { compileAnchoredRE2, InvalidRegexError } from "./index.js";

describe("RE2 patterns as Prometheus compiles them (^(?s:re)$)", () => {
  const f = (re: string, input: string, want: boolean) =>
    expect(compileAnchoredRE2(re).test(input)).toBe(want);
  test.each([
    ["foo", "foo", true],
    ["foo", "foobar", false],
    ["a|b", "b", true],
    ["foo.bar", "foo\nbar", true],
    ["(?i)get|post", "POST", true],
    ["(?i)get", "gEt", true],
    ["x(?i:ab)y", "xABy", true],
    ["x(?i:ab)y", "XABy", false],
    ["(?i)[a-c]+", "AbC", true],
    ["(?i)[^a-c]", "B", false],
    ["(?-s:a.b)", "a\nb", false],
    ["(?s).", "\n", true],
    ["(?P<host>[^:]+):.*", "h:1", true],
    ["[[:digit:]]+", "123", true],
    ["[[:alpha:]_]+", "ab_c", true],
    ["\\Qa.b\\E", "a.b", true],
    ["\\Qa.b\\E", "axb", false],
    ["\\Afoo\\z", "foo", true],
    ["\\pL+", "héllo", true],
    ["\\p{Greek}+", "αβ", true],
    ["a\\-b", "a-b", true],
    ["[a\\-z]", "-", true],
    ["a\\:b", "a:b", true],
    ["a{", "a{", true],
    ["", "", true],
  ] as const)("%j on %j → %s", (re, input, want) => f(re, input, want));

  test.each(["(", "[a", "(?=x)", "(?<!x)", "a\\", "[[:nope:]]"])(
    "%j is rejected with a clear error",
    (re) => {
      expect(() => compileAnchoredRE2(re)).toThrow(InvalidRegexError);
    },
  );
});
