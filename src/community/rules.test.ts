import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMMUNITY_SERIES } from "./publish.js";
import { COMMUNITY_ALERT_RULES } from "./rules.js";

describe("community alert rules", () => {
  it("use only published series names", () => {
    const names = new Set<string>(Object.values(COMMUNITY_SERIES).map((s) => s.name));
    const doc = parse(COMMUNITY_ALERT_RULES) as { groups: { rules: { expr: string }[] }[] };
    for (const r of doc.groups[0]!.rules) {
      const metric = /relay_community_\w+/.exec(r.expr)![0];
      expect(names.has(metric), metric).toBe(true);
    }
  });

  it("pass promtool check rules", () => {
    const dir = mkdtempSync(join(tmpdir(), "community-rules-"));
    try {
      const file = join(dir, "community.rules.yml");
      writeFileSync(file, COMMUNITY_ALERT_RULES);
      const out = execFileSync("promtool", ["check", "rules", file], { encoding: "utf8" });
      expect(out).toContain("SUCCESS: 3 rules found");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
