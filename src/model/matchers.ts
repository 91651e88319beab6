import { type Labels, labelsGet } from "./labels.js";
import { compileAnchoredRE2 } from "./regex.js";

/** The four PromQL matcher operators. */
export type MatchType = "=" | "!=" | "=~" | "!~";

/** Thrown when a regular expression in a matcher does not compile. */
export class InvalidMatcherError extends Error {
  override name = "InvalidMatcherError";
}

/**
 * A label matcher. Regular expressions use RE2 syntax, fully anchored, and `.` matches newlines,
 * as in Prometheus (`^(?s:re)$`).
 * @example new Matcher("=~", "job", "node|relay").matches("node") // true
 */
export class Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  private readonly re: RegExp | undefined;

  constructor(type: MatchType, name: string, value: string) {
    this.type = type;
    this.name = name;
    this.value = value;
    if (type === "=~" || type === "!~") {
      try {
        this.re = compileAnchoredRE2(value);
      } catch (err) {
        throw new InvalidMatcherError(
          `invalid regular expression ${JSON.stringify(value)} for label ${name}: ${(err as Error).message}`,
        );
      }
    }
  }

  /** True when a label value (the empty string for an absent label) satisfies the matcher. */
  matches(v: string): boolean {
    switch (this.type) {
      case "=":
        return v === this.value;
      case "!=":
        return v !== this.value;
      case "=~":
        return this.re!.test(v);
      case "!~":
        return !this.re!.test(v);
    }
  }

  /** True when the matcher also matches the empty string (so it selects series lacking the label). */
  matchesEmpty(): boolean {
    return this.matches("");
  }

  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

/** True when every matcher accepts the corresponding label of `ls`. */
export function matchLabels(matchers: readonly Matcher[], ls: Labels): boolean {
  for (const m of matchers) if (!m.matches(labelsGet(ls, m.name))) return false;
  return true;
}
