import type { Matcher } from "../model/index.js";
import type { InhibitRuleConfig } from "./config.js";
import { matchRecord, parseMatcher, parseMatchers } from "./matchers.js";

interface Rule {
  readonly source: readonly Matcher[];
  readonly target: readonly Matcher[];
  readonly equal: readonly string[];
}

/** An alert as the inhibitor sees it. */
export interface InhibitCandidate {
  readonly fingerprint: string;
  readonly labels: Readonly<Record<string, string>>;
}

function compile(list: readonly string[], eq: Record<string, string>, re: Record<string, string>): Matcher[] {
  const out: Matcher[] = [];
  for (const [k, v] of Object.entries(eq)) out.push(parseMatcher(`${k}=${JSON.stringify(v)}`));
  for (const [k, v] of Object.entries(re)) out.push(parseMatcher(`${k}=~${JSON.stringify(v)}`));
  for (const s of list) out.push(...parseMatchers(s));
  return out;
}

/**
 * Inhibition with Alertmanager's semantics: an alert matching a rule's target matchers is muted
 * while a firing alert matches the source matchers and has equal values (absent = "") for every
 * `equal` label. An alert matching both sides cannot be muted by another that also matches both.
 */
export class Inhibitor {
  private readonly rules: readonly Rule[];

  constructor(configs: readonly InhibitRuleConfig[]) {
    this.rules = configs.map((c) => ({
      source: compile(c.source_matchers, c.source_match, c.source_match_re),
      target: compile(c.target_matchers, c.target_match, c.target_match_re),
      equal: c.equal,
    }));
  }

  /** Fingerprints of the firing alerts that inhibit `labels` (empty when not inhibited). */
  mutes(labels: Readonly<Record<string, string>>, firing: Iterable<InhibitCandidate>): string[] {
    const out = new Set<string>();
    for (const r of this.rules) {
      if (!matchRecord(r.target, labels)) continue;
      const twoSided = matchRecord(r.source, labels);
      for (const a of firing) {
        if (!matchRecord(r.source, a.labels)) continue;
        if (!r.equal.every((n) => (a.labels[n] ?? "") === (labels[n] ?? ""))) continue;
        if (twoSided && matchRecord(r.target, a.labels)) continue;
        out.add(a.fingerprint);
      }
    }
    return [...out].sort();
  }
}
