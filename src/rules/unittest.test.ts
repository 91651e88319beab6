import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { describeWithBinary } from "../testing/index.js";
import { Head } from "../tsdb/index.js";
import {
  checkRuleFiles,
  DEFAULT_RULE_PACK,
  DEFAULT_RULE_PACK_TESTS,
  goDurationString,
  testRuleFiles,
} from "./index.js";

const run = promisify(execFile);
const testdata = (f: string) => fileURLToPath(new URL(`./testdata/${f}`, import.meta.url));
const newHead = () => new Head();

async function promtool(
  bin: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(bin, args);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("testRuleFiles (promtool test rules)", () => {
  it("passes the default rule pack", async () => {
    const r = await testRuleFiles([DEFAULT_RULE_PACK_TESTS], newHead);
    expect(r.output).toContain("SUCCESS");
    expect(r.passed).toBe(true);
  });

  it("reports failures as promtool does", async () => {
    const r = await testRuleFiles([testdata("failing.test.yml")], newHead);
    expect(r.passed).toBe(false);
    expect(r.output).toContain(
      "  FAILED:\n    alertname: InstanceDown, time: 3m, \n        exp:[\n            0:\n",
    );
    expect(r.output).toContain(
      '    expr: "job:up:sum", time: 2m,\n        exp: {__name__="job:up:sum", job="b"} 1E+00\n        got: {__name__="job:up:sum", job="a"} 0E+00',
    );
  });

  it("formats Go durations", () => {
    expect([0, 500, 1500, 180_000, 3_725_000].map(goDurationString)).toEqual([
      "0s",
      "500ms",
      "1.5s",
      "3m0s",
      "1h2m5s",
    ]);
  });
});

describe("checkRuleFiles (promtool check rules)", () => {
  it("accepts the default pack", () => {
    const r = checkRuleFiles([DEFAULT_RULE_PACK]);
    expect(r.passed).toBe(true);
    expect(r.output).toMatch(/SUCCESS: 17 rules found/);
  });
});

describeWithBinary("/usr/bin/promtool", "prometheus", "promtool agrees", (bin) => {
  it("check rules accepts the default pack", async () => {
    const r = await promtool(bin, "check", "rules", DEFAULT_RULE_PACK);
    expect(r.code, r.stderr).toBe(0);
  });

  it.each([[DEFAULT_RULE_PACK_TESTS], [testdata("failing.test.yml")]])(
    "test rules gives the same verdict and failures on %s",
    async (file) => {
      const theirs = await promtool(bin, "test", "rules", file);
      const ours = await testRuleFiles([file], newHead);
      expect(ours.passed).toBe(theirs.code === 0);
      const strip = (s: string) => s.replace(/\s+/g, " ").trim();
      if (theirs.code !== 0) expect(strip(ours.output)).toContain(strip(theirs.stderr));
    },
  );
});
