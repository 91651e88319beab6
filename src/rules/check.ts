import { parseRuleFile } from "./rulefmt.js";

/** The outcome of checking rule files: a verdict and promtool-style text. */
export interface RuleCheckResult {
  readonly passed: boolean;
  readonly output: string;
}

/**
 * Checks rule files like `promtool check rules`: for each file `Checking FILE`, then
 * `  SUCCESS: N rules found` or `  FAILED:` followed by every problem (file, position, group,
 * rule index and name). Duplicate rules are reported as promtool's lint (not a failure), and
 * Relay's conventions (severity info|warning|critical, channels list, cooldown duration) as
 * `  WARNING:` lines after a success.
 * @example const { passed, output } = checkRuleFiles(["rules/relay.yml"]);
 */
export function checkRuleFiles(files: readonly string[]): RuleCheckResult {
  const out: string[] = [];
  let passed = true;
  for (const f of files) {
    out.push(`Checking ${f}`);
    const r = parseRuleFile(f);
    if (r.problems.length > 0 || r.spec === null) {
      passed = false;
      out.push("  FAILED:");
      for (const p of r.problems) {
        out.push(
          p.position === "" && p.rule === undefined && !p.message.startsWith(f)
            ? `${f}: ${p.message}`
            : formatProblem(p),
        );
      }
      out.push("");
      continue;
    }
    const dups = r.warnings.filter((w) => w.message.startsWith("lint error"));
    if (dups.length > 0) {
      out.push("  FAILED:");
      for (const d of dups) out.push(d.message);
      out.push("");
      continue;
    }
    const n = r.spec.groups.reduce((acc, g) => acc + g.rules.length, 0);
    out.push(`  SUCCESS: ${n} rules found`);
    for (const w of r.warnings) out.push(`  WARNING: ${w.message}`);
    out.push("");
  }
  return { passed, output: `${out.join("\n")}\n` };
}

function formatProblem(p: import("./rulefmt.js").RuleProblem): string {
  if (p.rule !== undefined) {
    return `${p.file}: ${p.position}group ${JSON.stringify(p.group ?? "")}, rule ${p.rule}, ${JSON.stringify(p.ruleName ?? "")}: ${p.message}`;
  }
  return `${p.file}: ${p.position}${p.message}`;
}
