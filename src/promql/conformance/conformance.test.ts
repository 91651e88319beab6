import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import knownFailures from "./known-failures.json" with { type: "json" };
import { ScriptRunner } from "./runner.js";
import { type EvalCmd, nativeHistogramEvals, parseScript } from "./script.js";

const DIR = fileURLToPath(new URL("../../../../shared/conformance/promql/", import.meta.url));

/** Files skipped wholesale, with the reason. */
const SKIPPED_FILES: Record<string, string> = {
  "native_histograms.test": "native histograms are not supported",
};

/**
 * Files whose native-histogram evals are listed one by one in known-failures.json (with what each
 * needs) instead of being found by the metric-name heuristic of FORMAT.md §13, which would skip
 * every eval naming a metric with any histogram series: every other eval of them runs.
 */
const EXPLICIT_FILES = new Set(["info.test", "limit.test", "start_timestamps.test"]);

/** Every file of the suite, in a fixed order. */
const FILES = [
  "aggregators.test",
  "at_modifier.test",
  "collision.test",
  "duration_expression.test",
  "extended_vectors.test",
  "fill-modifier.test",
  "functions.test",
  "histograms.test",
  "info.test",
  "limit.test",
  "literals.test",
  "name_label_dropping.test",
  "native_histograms.test",
  "operators.test",
  "range_queries.test",
  "selectors.test",
  "staleness.test",
  "start_timestamps.test",
  "subquery.test",
  "trig_functions.test",
  "type_and_unit.test",
];

interface KnownFailure {
  file: string;
  line: number;
  reason: string;
}

const known = new Map<string, string>();
for (const k of knownFailures as KnownFailure[]) known.set(`${k.file}:${k.line}`, k.reason);

const failures: { file: string; line: number; expr: string; error: string }[] = [];
/** How each known failure fails today (written with PROMQL_CONFORMANCE_REPORT). */
const knownErrors: { file: string; line: number; expr: string; error: string }[] = [];
/** Known-failure entries not matched to an eval that runs (stale lines, skipped files). */
const unusedKnown = new Set(known.keys());
const summary: {
  file: string;
  passed: number;
  failed: number;
  known: number;
  nh: number;
  skipped: string;
}[] = [];

for (const file of FILES) {
  if (SKIPPED_FILES[file]) {
    summary.push({ file, passed: 0, failed: 0, known: 0, nh: 0, skipped: SKIPPED_FILES[file]! });
    describe.skip(`${file} (${SKIPPED_FILES[file]})`, () => {
      it("skipped", () => {});
    });
    continue;
  }
  const cmds = parseScript(readFileSync(DIR + file, "utf8"));
  const nh = EXPLICIT_FILES.has(file) ? new Set<EvalCmd>() : nativeHistogramEvals(cmds);
  const row = { file, passed: 0, failed: 0, known: 0, nh: 0, skipped: "" };
  summary.push(row);
  describe(file, () => {
    const runner = new ScriptRunner(cmds);
    cmds.forEach((c, idx) => {
      if (c.kind !== "eval") return;
      const e = c as EvalCmd;
      const title = `line ${e.line}: ${e.instant ? "instant" : "range"} ${e.expr}`;
      if (nh.has(e)) {
        row.nh++;
        it.skip(`${title} — needs native histograms`, () => {});
        return;
      }
      const key = `${file}:${e.line}`;
      const reason = known.get(key);
      if (reason) {
        // A known failure still runs: when it starts passing, the debt is paid and its entry must go.
        unusedKnown.delete(key);
        row.known++;
        it(`${title} — known failure: ${reason}`, async () => {
          const err = await runner.runEval(idx);
          if (err === null) expect.fail(`${key} passes now: remove it from known-failures.json`);
          knownErrors.push({ file, line: e.line, expr: e.expr, error: err });
        });
        return;
      }
      it(title, async () => {
        const err = await runner.runEval(idx);
        if (err === null) row.passed++;
        else {
          row.failed++;
          failures.push({ file, line: e.line, expr: e.expr, error: err });
        }
        expect(err).toBeNull();
      });
    });
  });
}

describe("known-failures.json", () => {
  it("names only evals of files that run, each once", () => {
    expect([...unusedKnown]).toEqual([]);
    expect(known.size).toBe((knownFailures as KnownFailure[]).length);
  });
});

afterAll(() => {
  // PROMQL_CONFORMANCE_REPORT=path writes the failures, and how known failures fail, as JSON.
  const report = process.env.PROMQL_CONFORMANCE_REPORT;
  if (report) writeFileSync(report, JSON.stringify({ failures, known: knownErrors }, null, 1));
  const lines = summary.map(
    (r) =>
      `${r.file.padEnd(28)} ${r.skipped ? `skipped: ${r.skipped}` : `passed ${String(r.passed).padStart(4)}  failed ${String(r.failed).padStart(3)}  known failures ${String(r.known).padStart(3)}  native-histogram evals skipped ${String(r.nh).padStart(3)}`}`,
  );
  console.log(`PromQL conformance\n${lines.join("\n")}`);
});
